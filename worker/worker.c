/* worker.c - the worker's task loop and heartbeat thread. Contract: worker.h. */
#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "proto/codec.h"
#include "worker_impl.h"

int ar_wk_send(ar_client_t *c, const ar_msg_t *m, size_t max, ar_err_t *err)
{
    ar_bytes_t b;
    int s = ar_msg_encode(m, max, &b, err);
    if (s) return s;
    s = ar_client_send(c, b.data, b.len, err);
    ar_bytes_free(&b);
    return s;
}

static void *hb_main(void *arg)
{
    hb_t *h = arg;
    const ar_worker_cfg_t *cfg = h->cfg;
    char id[32];
    snprintf(id, sizeof id, "h%d", cfg->rank);
    const char *ep = cfg->hb_endpoint && cfg->hb_endpoint[0] ? cfg->hb_endpoint : cfg->endpoint;
    ar_client_t *c = ar_client_new(ep, cfg->server_pub, &cfg->keys, id, &h->net, &h->err);
    if (!c) {
        __atomic_store_n(&h->failed, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&h->lost, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    double interval = cfg->job->run.heartbeat_interval, timeout = cfg->job->run.heartbeat_timeout;
    double last_heard = ar_now(), next_beat = 0;
    while (!__atomic_load_n(&h->stop, __ATOMIC_SEQ_CST)) {
        double now = ar_now();
        if (now >= next_beat) {
            ar_msg_t m = ar_msg_make(AR_MSG_HEARTBEAT, cfg->rank);
            m.u.beat.done = __atomic_load_n(&h->done, __ATOMIC_SEQ_CST);
            ar_err_t e = {0};
            (void)ar_wk_send(c, &m, h->net.max_bytes, &e); /* a failed beat shows as silence */
            next_beat = now + interval;
        }
        int wait = (int)((next_beat - now) * 1000);
        if (wait > 100) wait = 100;
        uint8_t *d = NULL;
        size_t n = 0;
        int got = 0;
        ar_err_t e = {0};
        if (ar_client_recv(c, wait < 1 ? 1 : wait, &d, &n, &got, &e) == AR_OK && got) {
            ar_msg_t m;
            if (ar_msg_decode(d, n, h->net.max_bytes, "coordinator", &m, &e) == AR_OK) {
                last_heard = ar_now();
                if (m.type == AR_MSG_SHUTDOWN) __atomic_store_n(&h->cancel, 1, __ATOMIC_SEQ_CST);
                ar_msg_clear(&m);
            }
            free(d);
        }
        if (cfg->stop && *cfg->stop) __atomic_store_n(&h->cancel, 1, __ATOMIC_SEQ_CST);
        if (ar_now() - last_heard > timeout) {
            ar_err_set(&h->err, AR_E_TIMEOUT,
                       "worker r%d: coordinator silent for %.1f s (heartbeat timeout %.1f s)",
                       cfg->rank, ar_now() - last_heard, timeout);
            __atomic_store_n(&h->cancel, 1, __ATOMIC_SEQ_CST);
            __atomic_store_n(&h->lost, 1, __ATOMIC_SEQ_CST);
            break;
        }
    }
    ar_client_destroy(&c);
    return NULL;
}

static int send_result(run_t *r, const ar_task_ctx_t *t, ar_fields_t *body, int final,
                       ar_err_t *err)
{
    ar_msg_t m = ar_msg_make(AR_MSG_RESULT, r->w->cfg->rank);
    m.u.task.id = t->id;
    ar_str_copy(m.u.task.kind, sizeof m.u.task.kind, t->type);
    m.u.task.seq = r->seq++;
    m.u.task.final = final;
    m.body = *body;
    memset(body, 0, sizeof *body);
    int s = ar_wk_send(r->w->c, &m, r->w->max, err);
    ar_msg_clear(&m);
    return s;
}

static int emit_partial(void *user, const ar_task_ctx_t *t, ar_fields_t *partial, ar_err_t *err)
{
    if (t->part > 0) { /* only part 0 speaks for a shared task */
        ar_fields_clear(partial);
        return AR_OK;
    }
    return send_result(user, t, partial, 0, err);
}

static int send_error(wk_t *w, int64_t task, int status, const char *text)
{
    ar_msg_t m = ar_msg_make(AR_MSG_ERROR, w->cfg->rank);
    ar_str_copy(m.u.error.host, sizeof m.u.error.host, w->cfg->host);
    m.u.error.task = task;
    m.u.error.status = status > 0 ? status : AR_E_INTERNAL;
    ar_str_copy(m.u.error.text, sizeof m.u.error.text, text);
    ar_err_t e = {0};
    return ar_wk_send(w->c, &m, w->max, &e);
}

/* Runs one TASK; on failure the error is on err (and not yet reported),
 * and *taken_back says whether the coordinator stopped it. */
static int run_task(wk_t *w, const ar_msg_t *m, int *taken_back, ar_err_t *err)
{
    *taken_back = 0;
    const ar_registry_t *reg = w->cfg->reg;
    if (w->cfg->fault_mode != AR_FAULT_NONE &&
        __atomic_load_n(&w->hb->done, __ATOMIC_SEQ_CST) >= (uint64_t)w->cfg->fault_after) {
        if (w->cfg->fault_mode == AR_FAULT_KILL) raise(SIGKILL);
        if (w->cfg->fault_mode == AR_FAULT_STOP) raise(SIGSTOP); /* until SIGCONT */
        if (w->cfg->fault_mode == AR_FAULT_SLOW) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        while (w->cfg->fault_mode == AR_FAULT_LONG) { /* a long task that honours cancellation */
            if (__atomic_load_n(&w->hb->cancel, __ATOMIC_SEQ_CST))
                return ar_err_set(err, AR_E_TIMEOUT, "cancelled");
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        while (w->cfg->fault_mode == AR_FAULT_HANG) { /* a deadlock: ignores cancellation */
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
        if (w->cfg->fault_mode == AR_FAULT_ERROR) return ar_err_set(err, AR_E_INTERNAL, "injected fault (AR_FAULT) after %d tasks",
                          w->cfg->fault_after);
    }
    int ti = 0;
    while (ti < reg->ntasks && strcmp(reg->tasks[ti]->name, m->u.task.kind)) ti++;
    if (ti == reg->ntasks)
        return ar_err_set(err, AR_E_UNSUPPORTED, "unknown task type '%s'", m->u.task.kind);
    const ar_task_type_t *tt = reg->tasks[ti];
    if (!w->tinit[ti]) {
        if (tt->init) {
            int s = tt->init(&w->task_job, &w->tstate[ti], err);
            if (s) return ar_err_prefix(err, "initialising task type '%s'", tt->name);
        }
        w->tinit[ti] = 1;
    }
    void *p = NULL;
    if (tt->params) {
        const ar_params_schema_t *sch = tt->params();
        if (!(p = malloc(sch->size))) return ar_err_set(err, AR_E_NOMEM, "out of memory");
        int s = ar_params_decode(sch, &m->body, p, err);
        if (s) {
            free(p);
            return ar_err_prefix(err, "task %llu from the coordinator", (unsigned long long)m->u.task.id);
        }
    }
    run_t r = {.w = w, .attempt = m->u.task.attempt, .members = m->u.task.members};
    ar_task_ctx_t t = {.job = &w->task_job, .id = m->u.task.id, .type = tt->name,
                       .params = &m->body, .p = p, .emit_fn = emit_partial, .emit_user = &r,
                       .cancel_flag = &w->hb->cancel, .part = m->u.task.part,
                       .parts = m->u.task.parts, .exchange_fn = ar_wk_exchange, .exchange_user = &r,
                       };
    ar_fields_t result = {0};
    int s = tt->run(w->tstate[ti], &t, &result, err);
    *taken_back = r.taken_back;
    if (!s && t.part == 0) s = send_result(&r, &t, &result, 1, err);
    ar_fields_clear(&result);
    free(p);
    return s;
}

static int send_ready(wk_t *w, int credit, ar_err_t *err)
{
    ar_msg_t m = ar_msg_make(AR_MSG_READY, w->cfg->rank);
    m.u.ready.credit = credit;
    return ar_wk_send(w->c, &m, w->max, err);
}

/* The receive loop; returns when SHUTDOWN arrives or the worker must quit. */
static int loop(wk_t *w, int *job_failed, ar_err_t *err)
{
    const ar_worker_cfg_t *cfg = w->cfg;
    int failed_task = 0; /* after an ERROR: take no more tasks, wait for SHUTDOWN */
    int told = 0;        /* the coordinator knows of our signal */
    int quiet = 0;       /* receive polls in a row that got nothing */
    for (;;) {
        if (cfg->stop && *cfg->stop && !told) {
            char text[64];
            snprintf(text, sizeof text, "interrupted by %s", *cfg->stop == SIGINT ? "SIGINT" : "SIGTERM");
            told = failed_task = 1;
            __atomic_store_n(&w->hb->cancel, 1, __ATOMIC_SEQ_CST);
            int s = send_error(w, -1, AR_E_INTERRUPTED, text);
            if (s) return s;
        }
        if (__atomic_load_n(&w->hb->lost, __ATOMIC_SEQ_CST)) {
            *err = w->hb->err;
            return err->status ? err->status : AR_E_TIMEOUT;
        }
        ar_msg_t m;
        int s;
        if (w->nback) { /* what came during a shared task's exchange, first */
            m = w->backlog[0];
            memmove(w->backlog, w->backlog + 1, (size_t)--w->nback * sizeof *w->backlog);
        } else {
            int got = 0;
            if ((s = ar_wk_recv(w, 100, &m, &got, err))) return s;
            quiet = got ? 0 : quiet + 1;
            if (cfg->fault_mode == AR_FAULT_KILL_IDLE && quiet >= 3 &&
                __atomic_load_n(&w->hb->done, __ATOMIC_SEQ_CST) >= (uint64_t)cfg->fault_after)
                raise(SIGKILL);
            if (!got) continue;
        }
        if (m.type == AR_MSG_SHUTDOWN) {
            *job_failed = m.u.shutdown.failed;
            ar_msg_t bye = ar_msg_make(AR_MSG_BYE, cfg->rank);
            bye.u.bye.done = __atomic_load_n(&w->hb->done, __ATOMIC_SEQ_CST);
            return ar_wk_send(w->c, &bye, w->max, err);
        }
        if (m.type == AR_MSG_TASK && !failed_task) {
            ar_err_t te = {0};
            int taken_back = 0;
            s = run_task(w, &m, &taken_back, &te);
            if (s && taken_back) {
                /* another part was lost: the task runs again elsewhere; this
                 * READY also tells the coordinator that this part stopped */
                ar_info(cfg->job->log, "task %llu (%s) taken back by the coordinator (another "
                        "worker of it was lost)", (unsigned long long)m.u.task.id, m.u.task.kind);
                s = send_ready(w, 1, err);
            } else if (s && __atomic_load_n(&w->hb->cancel, __ATOMIC_SEQ_CST)) {
                /* stopped early because the job is ending: nothing to report */
                failed_task = 1;
                s = AR_OK;
            } else if (s) {
                char text[AR_PROTO_MAX_TEXT];
                snprintf(text, sizeof text, "task %llu (%s): %s",
                         (unsigned long long)m.u.task.id, m.u.task.kind, ar_err_msg(&te));
                ar_error(cfg->job->log, "%s", text);
                failed_task = 1;
                s = send_error(w, (int64_t)m.u.task.id, te.status, text);
            } else {
                __atomic_add_fetch(&w->hb->done, 1, __ATOMIC_SEQ_CST);
                s = send_ready(w, 1, err);
            }
        } else if (m.type == AR_MSG_REDUCED && m.u.task.failed) {
            /* a task taken back after this worker's part had ended: say so */
            s = send_ready(w, 0, err);
        } else if (m.type == AR_MSG_REDUCED) {
            /* a shared task's answer after the task stopped: nothing to do */
        } else if (m.type != AR_MSG_TASK) {
            ar_warn(cfg->job->log, "unexpected %s from the coordinator ignored",
                    ar_msg_type_name(m.type));
        }
        ar_msg_clear(&m);
        if (s) return s;
    }
}

int ar_worker_run(const ar_worker_cfg_t *cfg, int *job_failed, ar_err_t *err)
{
    *job_failed = 1;
    hb_t *hb = calloc(1, sizeof *hb);
    wk_t *w = calloc(1, sizeof *w);
    if (!hb || !w) {
        free(hb);
        free(w);
        return ar_err_set(err, AR_E_NOMEM, "worker r%d: out of memory", cfg->rank);
    }
    hb->cfg = cfg;
    hb->net = ar_net_opts_default();
    hb->net.hwm = cfg->job->run.hwm;
    hb->net.max_bytes = (size_t)cfg->job->run.max_message_mb << 20;
    hb->net.send_timeout_ms = (int)(cfg->job->run.heartbeat_timeout * 1000);
    w->cfg = cfg;
    w->task_job = *cfg->job;
    w->task_job.cfg = NULL; /* tasks are self-contained (runtime/registry.h) */
    w->hb = hb;
    w->max = hb->net.max_bytes;
    char id[32];
    snprintf(id, sizeof id, "w%d", cfg->rank);
    int s = AR_OK;
    pthread_t th;
    int th_started = 0;
    w->c = ar_client_new(cfg->endpoint, cfg->server_pub, &cfg->keys, id, &hb->net, err);
    if (!w->c) {
        s = err->status;
        goto done;
    }
    ar_msg_t hello = ar_msg_make(AR_MSG_HELLO, cfg->rank);
    ar_str_copy(hello.u.hello.host, sizeof hello.u.hello.host, cfg->host);
    hello.u.hello.pid = (int64_t)getpid();
    hello.u.hello.threads = cfg->blas_threads;
    if ((s = ar_wk_send(w->c, &hello, w->max, err))) goto done;
    if (pthread_create(&th, NULL, hb_main, hb) != 0) {
        s = ar_err_set(err, AR_E_INTERNAL, "worker r%d: cannot start the heartbeat thread",
                       cfg->rank);
        goto done;
    }
    th_started = 1;
    if ((s = send_ready(w, cfg->job->run.credit, err))) goto done;
    s = loop(w, job_failed, err);
done:
    if (th_started) {
        __atomic_store_n(&hb->stop, 1, __ATOMIC_SEQ_CST);
        pthread_join(th, NULL);
    }
    for (int i = 0; i < cfg->reg->ntasks; i++)
        if (w->tinit[i] && cfg->reg->tasks[i]->destroy) cfg->reg->tasks[i]->destroy(w->tstate[i]);
    ar_client_destroy(&w->c);
    for (int i = 0; w->up && i < cfg->npeers; i++) ar_client_destroy(&w->up[i]);
    free(w->up);
    if (w->tree_in > 0 || w->tree_out > 0)
        ar_info(cfg->job->log, "worker r%d: reduction tree %.1f MB in, %.1f MB out", cfg->rank,
                 w->tree_in / 1e6, w->tree_out / 1e6);
    for (int i = 0; i < w->nback; i++) ar_msg_clear(&w->backlog[i]);
    free(w->backlog);
    free(w);
    free(hb);
    return s;
}
