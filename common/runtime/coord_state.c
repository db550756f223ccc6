/* coord_state.c - the coordinator's task table and in-order aggregation. */
#include "coord_state.h"

#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"

int ar_coord_state_init(ar_coord_state_t *st, int nranks, const int *worker_ranks, int nworkers,
                        double now, ar_err_t *err)
{
    memset(st, 0, sizeof *st);
    st->workers = calloc((size_t)nranks, sizeof *st->workers);
    if (!st->workers) return ar_err_set(err, AR_E_NOMEM, "out of memory for %d workers", nranks);
    st->nranks = nranks;
    for (int i = 0; i < nworkers; i++) {
        ar_worker_entry_t *w = &st->workers[worker_ranks[i]];
        w->expected = 1;
        w->last_seen = now;
    }
    return AR_OK;
}

void ar_coord_state_free(ar_coord_state_t *st)
{
    for (uint64_t i = 0; i < st->ntasks; i++) {
        ar_task_entry_t *t = &st->tasks[i];
        ar_fields_clear(&t->params);
        for (int r = 0; r < t->nresults; r++) ar_fields_clear(&t->results[r]);
        free(t->results);
        for (uint32_t r = 0; r < t->nraw; r++) free(t->raw[r].data);
        free(t->raw);
        free(t->members);
        ar_reduction_free(&t->red);
    }
    free(st->tasks);
    free(st->workers);
    memset(st, 0, sizeof *st);
}

ar_taskplan_t *ar_coord_state_plan(ar_coord_state_t *st)
{
    /* The plan handle is the state itself seen through the opaque type. */
    return (ar_taskplan_t *)(void *)st;
}

int ar_taskplan_add(ar_taskplan_t *plan, const char *type, ar_fields_t *params, ar_err_t *err)
{
    ar_coord_state_t *st = (ar_coord_state_t *)(void *)plan;
    if (!type || !*type || strlen(type) >= AR_PROTO_MAX_NAME)
        return ar_err_set(err, AR_E_ARG, "plan: bad task type name");
    if (st->ntasks == st->cap) {
        uint64_t cap = st->cap ? st->cap * 2 : 64;
        ar_task_entry_t *t = realloc(st->tasks, cap * sizeof *t);
        if (!t) return ar_err_set(err, AR_E_NOMEM, "out of memory planning task %llu",
                                  (unsigned long long)st->ntasks);
        st->tasks = t;
        st->cap = cap;
    }
    ar_task_entry_t *t = &st->tasks[st->ntasks++];
    memset(t, 0, sizeof *t);
    strcpy(t->type, type);
    t->params = *params;
    memset(params, 0, sizeof *params);
    t->worker = -1;
    t->max_parts = 1;
    return AR_OK;
}

int ar_taskplan_add_shared(ar_taskplan_t *plan, const ar_task_type_t *tt, const void *params,
                           int max_parts, ar_err_t *err)
{
    if (max_parts < 1 || max_parts > AR_PROTO_MAX_PARTS)
        return ar_err_set(err, AR_E_ARG, "plan: task '%s' shared by %d workers (1..%d)", tt->name,
                          max_parts, AR_PROTO_MAX_PARTS);
    int s = ar_taskplan_add_typed(plan, tt, params, err);
    if (!s) {
        ar_coord_state_t *st = (ar_coord_state_t *)(void *)plan;
        st->tasks[st->ntasks - 1].max_parts = max_parts;
    }
    return s;
}

int ar_taskplan_add_typed(ar_taskplan_t *plan, const ar_task_type_t *tt, const void *params,
                          ar_err_t *err)
{
    if (!tt->params) return ar_err_set(err, AR_E_INTERNAL, "task type '%s' has no schema", tt->name);
    ar_fields_t f = {0};
    int s = ar_params_encode(tt->params(), params, &f, err);
    if (!s) s = ar_taskplan_add(plan, tt->name, &f, err);
    ar_fields_clear(&f);
    return s;
}

/* Moves next_pending past every task no longer pending (sent, or restored
 * from a checkpoint). */
static void skip_sent(ar_coord_state_t *st)
{
    while (st->next_pending < st->ntasks && st->tasks[st->next_pending].state != AR_TASK_PENDING)
        st->next_pending++;
}

int64_t ar_coord_next_pending(const ar_coord_state_t *st)
{
    return st->next_pending < st->ntasks ? (int64_t)st->next_pending : -1;
}

void ar_coord_mark_sent(ar_coord_state_t *st, uint64_t id, int rank, double now)
{
    ar_task_entry_t *t = &st->tasks[id];
    t->state = AR_TASK_INFLIGHT;
    t->worker = rank;
    t->sent_at = now;
    t->attempt++;
    st->workers[rank].credit--;
    st->workers[rank].inflight++;
    skip_sent(st);
}

int ar_coord_mark_sent_parts(ar_coord_state_t *st, uint64_t id, const int *ranks, int parts,
                             double now, ar_err_t *err)
{
    ar_task_entry_t *t = &st->tasks[id];
    int *m = realloc(t->members, (size_t)parts * sizeof *m);
    if (!m) return ar_err_set(err, AR_E_NOMEM, "out of memory sending task %llu", (unsigned long long)id);
    t->members = m;
    memcpy(m, ranks, (size_t)parts * sizeof *m);
    t->parts = parts;
    if (parts > t->max_parts_run) t->max_parts_run = parts;
    t->step = 0;
    ar_reduction_free(&t->red);
    ar_coord_mark_sent(st, id, ranks[0], now);
    for (int j = 1; j < parts; j++) st->workers[ranks[j]].credit--, st->workers[ranks[j]].inflight++;
    return AR_OK;
}

/* Whether rank runs a part of task t now. -1 when not, else the part. */
static int part_of(const ar_task_entry_t *t, int rank)
{
    if (t->state != AR_TASK_INFLIGHT) return -1;
    if (t->parts <= 1 || !t->members) return t->worker == rank ? 0 : -1;
    for (int j = 0; j < t->parts; j++)
        if (t->members[j] == rank) return j;
    return -1;
}

int ar_share_parts(int idle, int waiting, int max_parts)
{
    if (idle <= 0) return 0;
    int k = (idle + (waiting > 0 ? waiting : 1) - 1) / (waiting > 0 ? waiting : 1);
    return k > max_parts ? max_parts : k;
}

int64_t ar_coord_shared_on(const ar_coord_state_t *st, int rank)
{
    for (uint64_t id = st->next_aggregate; id < st->ntasks; id++)
        if (st->tasks[id].parts > 1 && part_of(&st->tasks[id], rank) >= 0) return (int64_t)id;
    return -1;
}

int ar_coord_accept_reduce(ar_coord_state_t *st, int rank, ar_msg_t *m, int *complete,
                           ar_err_t *err)
{
    *complete = 0;
    unsigned long long id = (unsigned long long)m->u.task.id;
    if (m->u.task.id >= st->ntasks)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: REDUCE for unknown task %llu", rank, id);
    ar_task_entry_t *t = &st->tasks[m->u.task.id];
    int part = part_of(t, rank);
    if (part < 0 || t->parts < 2 || part != m->u.task.part)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: REDUCE for task %llu part %d, which it "
                          "does not run", rank, id, (int)m->u.task.part);
    if (m->u.task.attempt + 1 != t->attempt)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: REDUCE for sending %u of task %llu, it "
                          "runs sending %u", rank, (unsigned)m->u.task.attempt + 1, id,
                          (unsigned)t->attempt);
    if (m->u.task.step != t->step)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: task %llu exchange %llu, expected %llu",
                          rank, id, (unsigned long long)m->u.task.step, (unsigned long long)t->step);
    int s = t->red.parts ? AR_OK : ar_reduction_begin(&t->red, t->parts, err);
    char who[96];
    snprintf(who, sizeof who, "worker r%d, task %llu exchange %llu", rank, id,
             (unsigned long long)t->step);
    if (!s) s = ar_reduction_add(&t->red, part, &m->body, who, err);
    if (!s) *complete = ar_reduction_complete(&t->red);
    return s;
}

int ar_coord_reduced(ar_coord_state_t *st, uint64_t id, ar_fields_t *out, ar_err_t *err)
{
    ar_task_entry_t *t = &st->tasks[id];
    int s = ar_reduction_result(&t->red, out, err);
    ar_reduction_free(&t->red);
    t->step++;
    if (s) return ar_err_prefix(err, "task %llu exchange %llu", (unsigned long long)id,
                                (unsigned long long)t->step - 1);
    return AR_OK;
}

int ar_coord_accept_result(ar_coord_state_t *st, int rank, ar_msg_t *m, ar_err_t *err)
{
    unsigned long long id = (unsigned long long)m->u.task.id;
    if (m->u.task.id >= st->ntasks)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: RESULT for unknown task %llu", rank, id);
    ar_task_entry_t *t = &st->tasks[m->u.task.id];
    if (t->state != AR_TASK_INFLIGHT || t->worker != rank)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: RESULT for task %llu it was not given",
                          rank, id);
    if (strcmp(t->type, m->u.task.kind))
        return ar_err_set(err, AR_E_PROTO, "worker r%d: task %llu is '%s', result says '%s'", rank,
                          id, t->type, m->u.task.kind);
    if (m->u.task.seq != t->next_seq)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: task %llu result seq %u, expected %u", rank,
                          id, m->u.task.seq, t->next_seq);
    if (t->nresults == t->cap_results) {
        int cap = t->cap_results ? 2 * t->cap_results : 2;
        ar_fields_t *r = realloc(t->results, (size_t)cap * sizeof *r);
        if (!r) return ar_err_set(err, AR_E_NOMEM, "out of memory storing task %llu result", id);
        t->results = r;
        t->cap_results = cap;
    }
    if (m->u.task.seq >= t->consumed) t->results[t->nresults++] = m->body;
    else ar_fields_clear(&m->body); /* aggregated before its worker was lost */
    memset(&m->body, 0, sizeof m->body);
    t->next_seq++;
    if (m->u.task.final) {
        t->final_seen = 1;
        t->state = AR_TASK_DONE;
        int n = t->parts > 1 && t->members ? t->parts : 1;
        for (int j = 0; j < n; j++) { /* every part's worker is free of it now */
            int r = n > 1 ? t->members[j] : rank;
            st->workers[r].inflight--;
            st->workers[r].done++;
        }
        ar_reduction_free(&t->red);
    }
    return AR_OK;
}

int ar_coord_drain(ar_coord_state_t *st, const ar_job_kind_t *kind, void *kstate,
                   const ar_job_ctx_t *job, ar_err_t *err)
{
    while (st->next_aggregate < st->ntasks) {
        uint64_t id = st->next_aggregate;
        ar_task_entry_t *t = &st->tasks[id];
        for (int r = 0; r < t->nresults; r++) {
            int final = t->final_seen && r == t->nresults - 1;
            int s = kind->aggregate(kstate, job, id, t->type, &t->params, &t->results[r], final, err);
            if (s) {
                /* drop what was consumed so a retry never double counts */
                for (int k = 0; k <= r; k++) ar_fields_clear(&t->results[k]);
                return ar_err_prefix(err, "aggregating task %llu (%s)", (unsigned long long)id,
                                     t->type);
            }
        }
        for (int r = 0; r < t->nresults; r++) ar_fields_clear(&t->results[r]);
        if (t->state != AR_TASK_DONE) t->consumed += (uint32_t)t->nresults;
        t->nresults = 0;
        if (t->state != AR_TASK_DONE) break;
        t->state = AR_TASK_AGGREGATED;
        st->next_aggregate++;
    }
    return AR_OK;
}

int ar_coord_round_complete(const ar_coord_state_t *st)
{
    return st->next_aggregate == st->ntasks;
}

int ar_coord_requeue(ar_coord_state_t *st, int rank)
{
    int n = 0;
    for (uint64_t id = st->next_aggregate; id < st->ntasks; id++) {
        ar_task_entry_t *t = &st->tasks[id];
        if (part_of(t, rank) < 0) continue;
        for (int j = 0; t->parts > 1 && t->members && j < t->parts; j++) {
            ar_worker_entry_t *w = &st->workers[t->members[j]];
            if (t->members[j] == rank) continue;
            w->inflight--; /* its part stops (REDUCED failed); its READY ends `revoked` */
            w->revoked = id + 1;
        }
        t->parts = 0;
        t->step = 0;
        ar_reduction_free(&t->red);
        for (int r = 0; r < t->nresults; r++) ar_fields_clear(&t->results[r]);
        t->nresults = 0;
        for (uint32_t r = t->consumed; r < t->nraw; r++) free(t->raw[r].data);
        if (t->nraw > t->consumed) t->nraw = t->consumed;
        t->next_seq = 0;
        t->state = AR_TASK_PENDING;
        t->worker = -1;
        if (id < st->next_pending) st->next_pending = id;
        n++;
    }
    st->workers[rank].inflight = 0;
    st->workers[rank].credit = 0;
    return n;
}

int ar_coord_stale(const ar_coord_state_t *st, int rank, uint64_t id)
{
    return rank >= 0 && rank < st->nranks && st->workers[rank].revoked == id + 1 &&
           (id >= st->ntasks || part_of(&st->tasks[id], rank) < 0);
}

int ar_coord_keep_raw(ar_coord_state_t *st, uint64_t id, const void *raw, size_t len, ar_err_t *err)
{
    ar_task_entry_t *t = &st->tasks[id];
    if (t->nraw >= t->next_seq) return AR_OK; /* kept from the lost worker's run */
    if (t->nraw == t->cap_raw) {
        uint32_t cap = t->cap_raw ? 2 * t->cap_raw : 2;
        ar_ckpt_blob_t *b = realloc(t->raw, cap * sizeof *b);
        if (!b) return ar_err_set(err, AR_E_NOMEM, "out of memory keeping task %llu's result",
                                  (unsigned long long)id);
        t->raw = b;
        t->cap_raw = cap;
    }
    ar_ckpt_blob_t *b = &t->raw[t->nraw];
    if (!(b->data = malloc(len ? len : 1)))
        return ar_err_set(err, AR_E_NOMEM, "out of memory keeping task %llu's result", (unsigned long long)id);
    memcpy(b->data, raw, len);
    b->len = len;
    t->nraw++;
    return AR_OK;
}

/* A hash of a task's type and parameters (their encoding as a TASK). */
static int params_hash(const ar_task_entry_t *t, uint64_t *h, ar_err_t *err)
{
    ar_msg_t m = ar_msg_make(AR_MSG_TASK, 0);
    int32_t none = 0;
    strcpy(m.u.task.kind, t->type);
    m.u.task.parts = 1, m.u.task.members = &none; /* borrowed, as the body */
    m.body = t->params; /* borrowed */
    ar_bytes_t b;
    int s = ar_msg_encode(&m, SIZE_MAX / 4, &b, err);
    if (s) return s;
    *h = ar_fnv1a(AR_FNV_INIT, b.data, b.len);
    ar_bytes_free(&b);
    return AR_OK;
}

int ar_coord_save(const ar_coord_state_t *st, const char *path, const char *job_text,
                  const ar_ckpt_input_t *inputs, uint32_t ninputs, uint64_t *ntasks, size_t *bytes,
                  ar_err_t *err)
{
    ar_ckpt_t ck = {.job_text = (char *)job_text, .inputs = (ar_ckpt_input_t *)inputs,
                    .ninputs = ninputs};
    uint64_t n = 0;
    for (uint64_t i = 0; i < st->ntasks; i++) n += st->tasks[i].final_seen;
    if (n && !(ck.tasks = calloc(n, sizeof *ck.tasks)))
        return ar_err_set(err, AR_E_NOMEM, "out of memory writing the checkpoint");
    int s = AR_OK;
    for (uint64_t i = 0; !s && i < st->ntasks; i++) {
        const ar_task_entry_t *t = &st->tasks[i];
        if (!t->final_seen) continue;
        ar_ckpt_task_t *c = &ck.tasks[ck.ntasks++];
        c->id = i;
        snprintf(c->type, sizeof c->type, "%s", t->type);
        c->results = t->raw; /* borrowed */
        c->nresults = t->nraw;
        s = params_hash(t, &c->params_hash, err);
    }
    if (!s) s = ar_ckpt_write(path, &ck, err);
    free(ck.tasks);
    *ntasks = n;
    *bytes = ck.file_bytes;
    return s;
}

int ar_coord_restore(ar_coord_state_t *st, uint64_t from, const ar_ckpt_t *ck, size_t max_bytes,
                     uint64_t *restored, ar_err_t *err)
{
    *restored = 0;
    for (uint64_t id = from; id < st->ntasks; id++) {
        const ar_ckpt_task_t *c = ar_ckpt_find(ck, id);
        if (!c) continue;
        ar_task_entry_t *t = &st->tasks[id];
        uint64_t h = 0;
        int s = params_hash(t, &h, err);
        if (s) return s;
        if (strcmp(c->type, t->type) || h != c->params_hash)
            return ar_err_set(err, AR_E_CONFIG,
                              "the checkpoint's task %llu (%s) is not the task the job plans now "
                              "(%s, other parameters): was it written by another version?",
                              (unsigned long long)id, c->type, t->type);
        if (t->state != AR_TASK_PENDING || !c->nresults)
            return ar_err_set(err, AR_E_INTERNAL, "restoring task %llu twice", (unsigned long long)id);
        for (uint32_t k = 0; k < c->nresults; k++) {
            ar_msg_t m;
            s = ar_msg_decode(c->results[k].data, c->results[k].len, max_bytes, "checkpoint", &m, err);
            if (!s && (m.type != AR_MSG_RESULT || m.u.task.id != id || m.u.task.seq != k ||
                       m.u.task.final != (k + 1 == c->nresults)))
                s = ar_err_set(err, AR_E_FORMAT, "checkpoint: task %llu's result %u is out of place",
                               (unsigned long long)id, k);
            /* accept it as if from the rank it names, then forget the rank */
            int rank = s ? 0 : m.rank;
            if (!s && (rank < 0 || rank >= st->nranks)) rank = 0;
            if (!s && k == 0) {
                t->state = AR_TASK_INFLIGHT;
                t->worker = rank;
                st->workers[rank].inflight++;
            }
            if (!s) t->worker = rank, s = ar_coord_accept_result(st, rank, &m, err);
            if (!s) s = ar_coord_keep_raw(st, id, c->results[k].data, c->results[k].len, err);
            ar_msg_clear(&m);
            if (s) return ar_err_prefix(err, "resuming task %llu", (unsigned long long)id);
        }
        st->workers[t->worker].done--; /* not work done by this run's workers */
        (*restored)++;
    }
    skip_sent(st);
    return AR_OK;
}
