/* exchange.c - a shared task's exchanges on the worker: one REDUCE to the
 * coordinator and its REDUCED back, or the reduction tree among the parts
 * (comm/tree_exchange.h), over the worker's own server and links to the
 * workers above it. Either way the answer has the same bits. While a part
 * waits, a TASK or SHUTDOWN from the coordinator is kept for later, and a
 * REDUCED failed for its task stops it (the task was taken back). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "comm/tree_exchange.h"
#include "proto/codec.h"
#include "worker_impl.h"

int ar_wk_backlog_push(wk_t *w, ar_msg_t *m, ar_err_t *err)
{
    if (w->nback == w->capback) {
        int cap = w->capback ? 2 * w->capback : 4;
        ar_msg_t *b = realloc(w->backlog, (size_t)cap * sizeof *b);
        if (!b) return ar_err_set(err, AR_E_NOMEM, "worker r%d: out of memory", w->cfg->rank);
        w->backlog = b, w->capback = cap;
    }
    w->backlog[w->nback++] = *m;
    memset(&m->body, 0, sizeof m->body); /* moved */
    if (m->type == AR_MSG_TASK) m->u.task.members = NULL;
    return AR_OK;
}

int ar_wk_recv(wk_t *w, int timeout_ms, ar_msg_t *m, int *got, ar_err_t *err)
{
    uint8_t *d = NULL;
    size_t n = 0;
    *got = 0;
    int s = ar_client_recv(w->c, timeout_ms, &d, &n, got, err);
    if (s || !*got) return s;
    s = ar_msg_decode(d, n, w->max, "coordinator", m, err);
    free(d);
    return s ? ar_err_prefix(err, "worker r%d", w->cfg->rank) : AR_OK;
}

/* One message from the coordinator during task t's exchange: the answer
 * (star, recv given: *done = 1, *recv set), the task taken back (an error,
 * r->taken_back set), or something kept for later (*done = 0). */
static int from_coordinator(run_t *r, const ar_task_ctx_t *t, ar_msg_t *in, ar_fields_t *recv,
                            int *done, ar_err_t *err)
{
    wk_t *w = r->w;
    *done = 0;
    int mine = in->type == AR_MSG_REDUCED && in->u.task.id == t->id &&
               in->u.task.attempt == r->attempt;
    if (mine && in->u.task.failed) {
        ar_msg_clear(in);
        r->taken_back = 1;
        return ar_err_set(err, AR_E_WORKER, "task %llu was taken back", (unsigned long long)t->id);
    }
    if (mine && recv && in->u.task.step == r->step) {
        *recv = in->body;
        memset(&in->body, 0, sizeof in->body);
        ar_msg_clear(in);
        *done = 1;
        return AR_OK;
    }
    if (in->type == AR_MSG_TASK || in->type == AR_MSG_SHUTDOWN || in->type == AR_MSG_REDUCED) {
        /* a REDUCED here is about another task (one taken back): answered after */
        int shutdown = in->type == AR_MSG_SHUTDOWN;
        int s = ar_wk_backlog_push(w, in, err);
        if (s) return s;
        if (shutdown) {
            __atomic_store_n(&w->hb->cancel, 1, __ATOMIC_SEQ_CST);
            return ar_err_set(err, AR_E_TIMEOUT, "task %llu: the job ends (SHUTDOWN) during "
                              "exchange %llu", (unsigned long long)t->id, (unsigned long long)r->step);
        }
        return AR_OK;
    }
    ar_warn(w->cfg->job->log, "unexpected %s from the coordinator during task %llu ignored",
            ar_msg_type_name(in->type), (unsigned long long)t->id);
    ar_msg_clear(in);
    return AR_OK;
}

static int cancelled(const run_t *r, const ar_task_ctx_t *t, ar_err_t *err)
{
    if (!__atomic_load_n(&r->w->hb->cancel, __ATOMIC_SEQ_CST)) return AR_OK;
    return ar_err_set(err, AR_E_TIMEOUT, "task %llu: cancelled during exchange %llu",
                      (unsigned long long)t->id, (unsigned long long)r->step);
}

/* Through the coordinator: REDUCE, then wait for the REDUCED of this step. */
static int exchange_star(run_t *r, const ar_task_ctx_t *t, ar_fields_t *send, ar_fields_t *recv,
                         ar_err_t *err)
{
    wk_t *w = r->w;
    ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, w->cfg->rank);
    m.u.task.id = t->id, m.u.task.step = r->step, m.u.task.part = t->part;
    m.u.task.attempt = r->attempt;
    m.body = *send;
    memset(send, 0, sizeof *send);
    int s = ar_wk_send(w->c, &m, w->max, err);
    ar_msg_clear(&m);
    if (s) return s;
    for (;;) {
        if ((s = cancelled(r, t, err))) return s;
        ar_msg_t in;
        int got = 0, done = 0;
        if ((s = ar_wk_recv(w, 100, &in, &got, err))) return s;
        if (got && (s = from_coordinator(r, t, &in, recv, &done, err))) return s;
        if (done) return AR_OK;
    }
}

/* The link to the worker of `rank` above this one in a tree, made on first
 * use and kept. */
static ar_client_t *link_to(wk_t *w, int rank, ar_err_t *err)
{
    const ar_worker_cfg_t *cfg = w->cfg;
    if (rank < 0 || rank >= cfg->npeers || !cfg->peers[rank].endpoint[0]) {
        ar_err_set(err, AR_E_PROTO, "worker r%d: task names rank %d, which has no reduction-tree "
                   "socket", cfg->rank, rank);
        return NULL;
    }
    if (!w->up && !(w->up = calloc((size_t)cfg->npeers, sizeof *w->up))) {
        ar_err_set(err, AR_E_NOMEM, "out of memory");
        return NULL;
    }
    if (w->up[rank]) return w->up[rank];
    char id[32], name[32];
    snprintf(id, sizeof id, "t%d", cfg->rank);
    snprintf(name, sizeof name, "worker r%d", rank);
    w->up[rank] = ar_client_new(cfg->peers[rank].endpoint, cfg->peers[rank].pub, &cfg->keys, id,
                                &w->hb->net, err);
    if (w->up[rank]) ar_client_set_peer_name(w->up[rank], name);
    return w->up[rank];
}

/* The tree's hooks: the coordinator's messages and the cancel flag while a
 * part waits on the tree, and its links up. */
typedef struct tree_ctx {
    run_t *r;
    const ar_task_ctx_t *t;
} tree_ctx_t;

static int tree_watch(void *ctx, ar_err_t *err)
{
    tree_ctx_t *c = ctx;
    ar_msg_t in;
    int got = 0, done = 0;
    int s = ar_wk_recv(c->r->w, 0, &in, &got, err);
    if (!s && got) s = from_coordinator(c->r, c->t, &in, NULL, &done, err);
    return s;
}

static int tree_cancelled(void *ctx, ar_err_t *err)
{
    tree_ctx_t *c = ctx;
    return cancelled(c->r, c->t, err);
}

static ar_client_t *tree_link(void *ctx, int rank, ar_err_t *err) { return link_to(ctx, rank, err); }

/* Along the tree (comm/tree_exchange.h). */
static int exchange_tree(run_t *r, const ar_task_ctx_t *t, ar_fields_t *send, ar_fields_t *recv,
                         ar_err_t *err)
{
    wk_t *w = r->w;
    if (t->part < 0 || t->part >= t->parts || r->members[t->part] != w->cfg->rank)
        return ar_err_set(err, AR_E_PROTO, "worker r%d: task %llu names rank %d as its part %d",
                          w->cfg->rank, (unsigned long long)t->id,
                          t->part >= 0 && t->part < t->parts ? (int)r->members[t->part] : -1, t->part);
    tree_ctx_t c = {r, t};
    ar_tree_net_t net = {.rank = w->cfg->rank, .server = w->cfg->peer_server, .max = w->max,
                         .link = tree_link, .link_ctx = w, .watch = w->c, .watch_fn = tree_watch,
                         .cancelled = tree_cancelled, .ctx = &c};
    ar_tree_ex_t x = {.id = t->id, .step = r->step, .attempt = r->attempt, .part = t->part,
                      .parts = t->parts, .members = r->members};
    int s = ar_tree_exchange(&net, &x, send, recv, err);
    w->tree_in += net.bytes_in, w->tree_out += net.bytes_out;
    return s;
}

int ar_wk_exchange(void *user, const ar_task_ctx_t *t, ar_fields_t *send, ar_fields_t *recv,
                   ar_err_t *err)
{
    run_t *r = user;
    wk_t *w = r->w;
    if (w->cfg->fault_mode == AR_FAULT_STOP_EXCHANGE && w->exchanges++ >= (uint64_t)w->cfg->fault_after)
        raise(SIGSTOP); /* test hook: silent in the middle of a shared task */
    int s = w->cfg->peer_server && r->members ? exchange_tree(r, t, send, recv, err)
                                              : exchange_star(r, t, send, recv, err);
    if (!s) r->step++;
    return s;
}
