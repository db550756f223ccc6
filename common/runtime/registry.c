/* registry.c - job kind / task type tables and the task context helpers. */
#include "registry.h"

#include "reduce.h"

#include <string.h>

int ar_registry_add_job(ar_registry_t *r, const ar_job_kind_t *k, ar_err_t *err)
{
    if (ar_registry_job(r, k->name))
        return ar_err_set(err, AR_E_ARG, "job kind '%s' registered twice", k->name);
    if (r->njobs >= AR_REGISTRY_MAX)
        return ar_err_set(err, AR_E_ARG, "too many job kinds (adding '%s')", k->name);
    r->jobs[r->njobs++] = k;
    return AR_OK;
}

int ar_registry_add_task(ar_registry_t *r, const ar_task_type_t *t, ar_err_t *err)
{
    if (ar_registry_task(r, t->name))
        return ar_err_set(err, AR_E_ARG, "task type '%s' registered twice", t->name);
    if (r->ntasks >= AR_REGISTRY_MAX)
        return ar_err_set(err, AR_E_ARG, "too many task types (adding '%s')", t->name);
    r->tasks[r->ntasks++] = t;
    return AR_OK;
}

const ar_job_kind_t *ar_registry_job(const ar_registry_t *r, const char *name)
{
    for (int i = 0; name && i < r->njobs; i++)
        if (!strcmp(r->jobs[i]->name, name)) return r->jobs[i];
    return NULL;
}

const ar_task_type_t *ar_registry_task(const ar_registry_t *r, const char *name)
{
    for (int i = 0; name && i < r->ntasks; i++)
        if (!strcmp(r->tasks[i]->name, name)) return r->tasks[i];
    return NULL;
}

int ar_task_emit(const ar_task_ctx_t *t, ar_fields_t *partial, ar_err_t *err)
{
    if (!t->emit_fn) return ar_err_set(err, AR_E_INTERNAL, "task %llu: no result channel",
                                       (unsigned long long)t->id);
    return t->emit_fn(t->emit_user, t, partial, err);
}

int ar_task_cancelled(const ar_task_ctx_t *t)
{
    return t->cancel_flag && __atomic_load_n(t->cancel_flag, __ATOMIC_RELAXED);
}

int ar_task_exchange(const ar_task_ctx_t *t, ar_fields_t *send, ar_fields_t *recv, ar_err_t *err)
{
    if (t->parts <= 1 || !t->exchange_fn) {
        int s = ar_reduce_local(send, recv, err);
        ar_fields_clear(send);
        return s;
    }
    return t->exchange_fn(t->exchange_user, t, send, recv, err);
}
