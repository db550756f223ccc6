/* coordinator.c - the coordinator's event loop. Contract: coordinator.h. */
#include "coordinator.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "proto/codec.h"
#include "runtime/coord_state.h"

/* The heartbeat thread: it alone uses cfg->hb_server (a ZeroMQ socket
 * belongs to one thread) and shares only the atomics below with the loop. */
typedef struct hbt {
    ar_server_t *srv;
    int nranks;
    int *expected;           /* ranks that run workers (read-only) */
    size_t max;
    int64_t *seen_us;        /* atomic, per rank: last beat (ar_now() in us); 0 = none yet */
    uint64_t done;           /* atomic: tasks aggregated, reported in replies */
    int shutdown;            /* atomic: answer SHUTDOWN (failed / reason set before) */
    int failed;
    char reason[AR_PROTO_MAX_TEXT];
    int stop;                /* atomic: end the thread */
    uint8_t (*id)[256];      /* the thread's own: each worker's heartbeat connection */
    size_t *len;
} hbt_t;

typedef struct co {
    const ar_coord_cfg_t *cfg;
    const ar_job_ctx_t *job;
    ar_coord_state_t st;
    void *kstate;
    size_t max;
    int finished;            /* every round planned and aggregated */
    double t0, last_progress;
    uint64_t last_progress_done;
    /* heartbeat connections, by rank */
    uint8_t (*hb_id)[256];
    size_t *hb_len;
    int connected;           /* all_connected was called */
    /* checkpoints */
    uint64_t finals;         /* tasks whose final result is in (restored included) */
    uint64_t saved_finals;   /* ... as of the last checkpoint written */
    double last_save;
    uint64_t restored;       /* tasks taken from the --resume checkpoint */
    hbt_t *hb;               /* heartbeat thread's shared state; NULL = the loop answers */
    int lost;                /* workers declared lost */
    uint64_t exchanges;      /* shared tasks' exchanges answered */
    double exchange_in, exchange_out; /* their bytes received (REDUCE) and sent (REDUCED) */
    char lost_msg[AR_PROTO_MAX_TEXT + 128];
} co_t;

static int hb_send(hbt_t *h, const uint8_t *id, size_t len, int rank, const ar_msg_t *m)
{
    ar_bytes_t b;
    ar_err_t e = {0};
    if (ar_msg_encode(m, h->max, &b, &e)) return -1;
    ar_peer_t p = {.id_len = len, .rank = rank};
    memcpy(p.id, id, len);
    int s = ar_server_send(h->srv, &p, b.data, b.len, &e);
    ar_bytes_free(&b);
    return s;
}

static ar_msg_t hb_reply(hbt_t *h)
{
    if (!__atomic_load_n(&h->shutdown, __ATOMIC_ACQUIRE)) {
        ar_msg_t m = ar_msg_make(AR_MSG_HEARTBEAT, 0);
        m.u.beat.done = __atomic_load_n(&h->done, __ATOMIC_RELAXED);
        return m;
    }
    ar_msg_t m = ar_msg_make(AR_MSG_SHUTDOWN, 0);
    m.u.shutdown.failed = h->failed;
    ar_str_copy(m.u.shutdown.reason, sizeof m.u.shutdown.reason, h->reason);
    return m;
}

/* Answers every worker's heartbeat (with SHUTDOWN once the job ends, also
 * sent unasked to each worker seen), whatever the event loop is doing. */
static void *hb_main(void *arg)
{
    hbt_t *h = arg;
    int announced = 0;
    for (;;) {
        int stop = __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE);
        if (!announced && __atomic_load_n(&h->shutdown, __ATOMIC_ACQUIRE)) {
            ar_msg_t m = hb_reply(h);
            for (int r = 0; r < h->nranks; r++)
                if (h->len[r]) (void)hb_send(h, h->id[r], h->len[r], r, &m);
            announced = 1;
        }
        if (stop) break;
        uint8_t *d = NULL;
        size_t n = 0;
        ar_peer_t from;
        int got = 0;
        ar_err_t e = {0};
        if (ar_server_recv(h->srv, 50, &d, &n, &from, &got, &e) || !got) continue;
        ar_msg_t m;
        int r = from.rank;
        if (ar_msg_decode(d, n, h->max, "heartbeat", &m, &e) == AR_OK) {
            if (r >= 0 && r < h->nranks && h->expected[r] && m.rank == r && m.type == AR_MSG_HEARTBEAT &&
                from.id_len <= sizeof h->id[r]) {
                memcpy(h->id[r], from.id, from.id_len);
                h->len[r] = from.id_len;
                __atomic_store_n(&h->seen_us[r], (int64_t)(ar_now() * 1e6), __ATOMIC_RELEASE);
                ar_msg_t reply = hb_reply(h);
                (void)hb_send(h, from.id, from.id_len, r, &reply);
            }
            ar_msg_clear(&m);
        }
        free(d);
    }
    return NULL;
}

/* When rank r last showed it is alive: its last message on either socket. */
static double last_alive(const co_t *c, int r)
{
    double t = c->st.workers[r].last_seen;
    if (c->hb) {
        int64_t us = __atomic_load_n(&c->hb->seen_us[r], __ATOMIC_ACQUIRE);
        if (us && (double)us / 1e6 > t) t = (double)us / 1e6;
    }
    return t;
}

/* Whether rank r's heartbeat connection is up. */
static int beating(const co_t *c, int r)
{
    return c->hb ? __atomic_load_n(&c->hb->seen_us[r], __ATOMIC_ACQUIRE) != 0 : c->hb_len[r] > 0;
}

static void hb_free(hbt_t *h)
{
    if (!h) return;
    free(h->expected);
    free(h->seen_us);
    free(h->id);
    free(h->len);
    free(h);
}

/* Starts the heartbeat thread on cfg->hb_server. */
static int hb_start(co_t *c, pthread_t *th, ar_err_t *err)
{
    int n = c->st.nranks;
    hbt_t *h = calloc(1, sizeof *h);
    if (h) {
        h->expected = calloc((size_t)n, sizeof *h->expected);
        h->seen_us = calloc((size_t)n, sizeof *h->seen_us);
        h->id = calloc((size_t)n, sizeof *h->id);
        h->len = calloc((size_t)n, sizeof *h->len);
    }
    if (!h || !h->expected || !h->seen_us || !h->id || !h->len) {
        hb_free(h);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    h->srv = c->cfg->hb_server;
    h->nranks = n;
    h->max = c->max;
    for (int r = 0; r < n; r++) h->expected[r] = c->st.workers[r].expected;
    if (pthread_create(th, NULL, hb_main, h) != 0) {
        hb_free(h);
        return ar_err_set(err, AR_E_INTERNAL, "cannot start the coordinator's heartbeat thread");
    }
    c->hb = h;
    return AR_OK;
}

static const char *who(co_t *c, int rank, char *buf, size_t cap)
{
    const ar_worker_entry_t *w = &c->st.workers[rank];
    if (w->joined) snprintf(buf, cap, "worker r%d (%s, pid %lld)", rank, w->host, (long long)w->pid);
    else snprintf(buf, cap, "worker r%d", rank);
    return buf;
}

/* Sends an encoded message to the peer with routing id `id`. */
static int send_bytes(co_t *c, const uint8_t *id, size_t len, int rank, const ar_bytes_t *b,
                      ar_err_t *err)
{
    ar_peer_t p = {.id_len = len, .rank = rank};
    memcpy(p.id, id, len);
    return ar_server_send(c->cfg->server, &p, b->data, b->len, err);
}

static int send_to(co_t *c, const uint8_t *id, size_t len, int rank, const ar_msg_t *m,
                   ar_err_t *err)
{
    ar_bytes_t b;
    int s = ar_msg_encode(m, c->max, &b, err);
    if (s) return s;
    s = send_bytes(c, id, len, rank, &b, err);
    ar_bytes_free(&b);
    return s;
}

/* Writes a checkpoint when results came in since the last one. */
static int save(co_t *c, const char *why, ar_err_t *err)
{
    if (!c->cfg->ckpt_path || c->finals == c->saved_finals) return AR_OK;
    double t = ar_now();
    uint64_t n = 0;
    size_t bytes = 0;
    int s = ar_coord_save(&c->st, c->cfg->ckpt_path, c->job->job_text, c->cfg->inputs,
                          c->cfg->ninputs, &n, &bytes, err);
    if (s) return ar_err_prefix(err, "writing the checkpoint");
    c->saved_finals = c->finals;
    c->last_save = ar_now();
    ar_info(c->job->log, "checkpoint (%s): %llu tasks done, %zu bytes, %s, %.3f s", why,
            (unsigned long long)n, bytes, c->cfg->ckpt_path, c->last_save - t);
    return AR_OK;
}

static int plan_round(co_t *c, ar_err_t *err)
{
    uint64_t before = c->st.ntasks;
    /* Test hook: AR_COORD_STALL_S=<s> makes planning round 1 take s seconds
     * longer (a slow plan()), to show that heartbeats are answered meanwhile. */
    const char *stall = getenv("AR_COORD_STALL_S");
    if (stall && c->st.round == 1) {
        double until = ar_now() + atof(stall);
        while (ar_now() < until) usleep(10000);
    }
    int s = c->cfg->kind->plan(c->kstate, c->job, c->st.round, ar_coord_state_plan(&c->st), err);
    if (s) return ar_err_prefix(err, "planning round %d of job '%s'", c->st.round,
                                c->cfg->kind->name);
    if (c->st.ntasks == before) {
        c->finished = 1; /* nothing more to do */
        return AR_OK;
    }
    uint64_t restored = 0;
    if (c->cfg->resume) {
        s = ar_coord_restore(&c->st, before, c->cfg->resume, c->max, &restored, err);
        if (s) return ar_err_prefix(err, "resuming round %d", c->st.round);
        c->finals += restored;
        c->saved_finals += restored; /* the checkpoint holds them already */
        c->restored += restored;
    }
    if (restored)
        ar_info(c->job->log, "round %d: %llu tasks planned, %llu of them done before (checkpoint)",
                c->st.round, (unsigned long long)(c->st.ntasks - before), (unsigned long long)restored);
    else
        ar_info(c->job->log, "round %d: %llu tasks planned", c->st.round,
                (unsigned long long)(c->st.ntasks - before));
    c->st.round++;
    return AR_OK;
}

/* Aggregates what is next in task order and plans the next round each time
 * one completes (a resumed job may complete several rounds here from its
 * checkpoint alone); checkpoints at every round's end. */
static int advance(co_t *c, ar_err_t *err)
{
    for (;;) {
        int s = ar_coord_drain(&c->st, c->cfg->kind, c->kstate, c->job, err);
        if (s || c->finished || !ar_coord_round_complete(&c->st)) return s;
        if (c->st.round > 0 && (s = save(c, "end of a round", err))) return s;
        if ((s = plan_round(c, err)) || c->finished) return s;
    }
}

/* Sends part `part` of task id to rank; ranks[0..parts) are all its parts'
 * workers (ignored when parts == 1). */
static int send_task(co_t *c, int64_t id, int rank, int part, int parts, const int *ranks,
                     ar_err_t *err)
{
    ar_task_entry_t *t = &c->st.tasks[id];
    ar_worker_entry_t *w = &c->st.workers[rank];
    ar_msg_t m = ar_msg_make(AR_MSG_TASK, 0);
    m.u.task.id = (uint64_t)id;
    m.u.task.part = part, m.u.task.parts = parts;
    m.u.task.attempt = t->attempt; /* marked sent after: this sending's number */
    int32_t one = rank, *members = parts > 1 ? malloc((size_t)parts * sizeof *members) : &one;
    if (!members) return ar_err_set(err, AR_E_NOMEM, "out of memory sending task %lld", (long long)id);
    for (int j = 0; j < parts && parts > 1; j++) members[j] = ranks[j];
    m.u.task.members = members;
    strcpy(m.u.task.kind, t->type);
    m.body = t->params; /* borrowed: not cleared */
    int s = send_to(c, w->peer_id, w->peer_len, rank, &m, err);
    if (members != &one) free(members);
    if (!s) w->unreachable_since = 0; /* reached again (not_sent) */
    return s;
}

/* Whether rank r may be sent a task at `now`: joined, not lost, not still
 * stopping a part of a task taken back, and reachable. A TASK that failed
 * to send (its connection gone - a killed process - or not draining) bars
 * it from ordinary tasks for a heartbeat interval, after which it is tried
 * again; from a shared task's parts until it has sent a message since
 * (others would start their parts and wait on the missing one). Its
 * heartbeats decide whether it is lost - or, when it holds a shared task's
 * part that failed to send, its silence on the task connection
 * (check_liveness). */
static int can_take(const co_t *c, int r, double now, int shared)
{
    const ar_worker_entry_t *w = &c->st.workers[r];
    if (!w->joined || w->lost || w->revoked) return 0;
    if (shared) return w->unreachable_since <= w->last_seen;
    return now - w->unreachable_at >= c->job->run.heartbeat_interval;
}

/* A TASK (part `part` of `parts`) to rank r failed to send (AR_E_NET in
 * err): warned, noted (can_take), err cleared. */
static void not_sent(co_t *c, int r, int64_t id, int part, int parts, ar_err_t *err)
{
    char wbuf[AR_PROTO_MAX_TEXT + 64];
    if (parts > 1)
        ar_warn(c->job->log, "%s: part %d of %d of task %lld not sent (%s); unless it sends a "
                "message within %.1f s it is declared lost and the task runs again",
                who(c, r, wbuf, sizeof wbuf), part, parts, (long long)id, ar_err_msg(err),
                c->job->run.heartbeat_timeout);
    else
        ar_warn(c->job->log, "%s: task %lld not sent (%s); trying again in %.1f s unless it "
                "is declared lost", who(c, r, wbuf, sizeof wbuf), (long long)id,
                ar_err_msg(err), c->job->run.heartbeat_interval);
    ar_worker_entry_t *w = &c->st.workers[r];
    double t = ar_now();
    if (w->unreachable_since <= w->last_seen) w->unreachable_since = t;
    w->unreachable_at = t;
    ar_err_clear(err);
}

/* A shared task (ar_taskplan_add_shared) goes to idle workers only - none
 * of its parts may wait behind another task - and only once every worker
 * has joined. Its share: the workers not running another shared task (the
 * idle ones and those finishing ordinary, short tasks) split between the
 * waiting shared tasks of the round (ar_share_parts: the first ones get
 * the remainder), at most max_parts each; it waits until that many are
 * idle. *sent = 0 when it must wait. */
static int dispatch_shared(co_t *c, int64_t id, double now, int *sent, ar_err_t *err)
{
    *sent = 0;
    ar_task_entry_t *t = &c->st.tasks[id];
    if (!c->connected) return AR_OK;
    int n = c->cfg->nworkers, nidle = 0, nfree = 0;
    int *idle = malloc((size_t)n * sizeof *idle);
    unsigned char *held = calloc((size_t)c->st.nranks, 1); /* runs a shared task now */
    if (!idle || !held) {
        free(idle), free(held);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    for (uint64_t j = c->st.next_aggregate; j < c->st.ntasks; j++) {
        const ar_task_entry_t *u = &c->st.tasks[j];
        if (u->state != AR_TASK_INFLIGHT || u->max_parts < 2) continue;
        if (u->members)
            for (int p = 0; p < u->parts; p++) held[u->members[p]] = 1;
        else
            held[u->worker] = 1;
    }
    for (int i = 0; i < n; i++) {
        int r = c->cfg->worker_ranks[i];
        const ar_worker_entry_t *w = &c->st.workers[r];
        if (!can_take(c, r, now, 1) || held[r]) continue;
        nfree++;
        if (w->credit > 0 && w->inflight == 0) idle[nidle++] = r;
    }
    int waiting = 0;
    for (uint64_t j = (uint64_t)id; j < c->st.ntasks; j++)
        waiting += c->st.tasks[j].state == AR_TASK_PENDING && c->st.tasks[j].max_parts > 1;
    int k = ar_share_parts(nfree, waiting, t->max_parts);
    int s = AR_OK;
    if (k > 0 && nidle >= k) {
        /* a part that fails to send (its worker killed since its last
         * message) is as if that worker died holding it: the others run
         * theirs, and when its heartbeats stop it is declared lost and the
         * task taken back and run again (check_liveness) - the same path
         * as a worker dying in the middle of its part */
        for (int j = 0; j < k && !s; j++) {
            s = send_task(c, id, idle[j], j, k, idle, err);
            if (s == AR_E_NET) {
                not_sent(c, idle[j], id, j, k, err);
                s = AR_OK;
            }
        }
        if (!s) s = ar_coord_mark_sent_parts(&c->st, (uint64_t)id, idle, k, now, err);
        *sent = !s;
    }
    free(idle), free(held);
    return s;
}

/* Sends pending tasks in id order: an ordinary one to the lowest rank
 * holding credit, a shared one as above. */
static int dispatch(co_t *c, ar_err_t *err)
{
    const double now = ar_now();
    for (;;) {
        int64_t id = ar_coord_next_pending(&c->st);
        if (id < 0) return AR_OK;
        if (c->st.tasks[id].max_parts > 1 && c->cfg->nworkers > 1) {
            int sent = 0, s = dispatch_shared(c, id, now, &sent, err);
            if (s || !sent) return s;
            continue;
        }
        int r = -1;
        for (int i = 0; i < c->cfg->nworkers && r < 0; i++) {
            int w = c->cfg->worker_ranks[i];
            if (can_take(c, w, now, 0) && c->st.workers[w].credit > 0) r = w;
        }
        if (r < 0) return AR_OK;
        int s = send_task(c, id, r, 0, 1, NULL, err);
        if (s == AR_E_NET) { /* not fatal: it goes to another worker */
            not_sent(c, r, id, 0, 1, err);
            continue;
        }
        if (s) return s;
        ar_coord_mark_sent(&c->st, (uint64_t)id, r, now);
    }
}

/* A REDUCE: kept; when it completes its exchange, the answer goes to every
 * part (encoded once). */
static int on_reduce(co_t *c, int r, ar_msg_t *m, size_t rawlen, ar_err_t *err)
{
    int complete = 0;
    c->exchange_in += rawlen;
    int s = ar_coord_accept_reduce(&c->st, r, m, &complete, err);
    if (s || !complete) return s;
    uint64_t id = m->u.task.id;
    ar_task_entry_t *t = &c->st.tasks[id];
    ar_msg_t a = ar_msg_make(AR_MSG_REDUCED, 0);
    a.u.task.id = id, a.u.task.step = t->step, a.u.task.attempt = t->attempt - 1;
    if ((s = ar_coord_reduced(&c->st, id, &a.body, err))) {
        ar_msg_clear(&a);
        return s;
    }
    ar_bytes_t b;
    s = ar_msg_encode(&a, c->max, &b, err);
    ar_msg_clear(&a);
    if (s) return s;
    for (int j = 0; !s && j < t->parts; j++) { /* encoded once, sent to every part */
        const ar_worker_entry_t *w = &c->st.workers[t->members[j]];
        s = send_bytes(c, w->peer_id, w->peer_len, t->members[j], &b, err);
        c->exchange_out += b.len;
    }
    ar_bytes_free(&b);
    t->sent_at = ar_now(); /* progress: restart its clock */
    c->exchanges++;
    return s;
}

static void progress(co_t *c, int force)
{
    double now = ar_now();
    uint64_t done = c->st.next_aggregate, n = c->st.ntasks;
    if (!force && (now - c->last_progress < 2.0 || done == c->last_progress_done)) return;
    int inflight = 0, joined = 0;
    for (int r = 0; r < c->st.nranks; r++) {
        inflight += c->st.workers[r].inflight;
        joined += c->st.workers[r].joined;
    }
    ar_info(c->job->log, "progress: %llu/%llu tasks done (%.0f%%), %d in flight, %d workers, %.1f s",
            (unsigned long long)done, (unsigned long long)n, n ? 100.0 * (double)done / (double)n : 100.0,
            inflight, joined, now - c->t0);
    c->last_progress = now;
    c->last_progress_done = done;
}

/* Handles one decoded message from an authenticated peer (raw: its
 * encoding, kept for checkpoints). */
static int handle(co_t *c, const ar_peer_t *from, ar_msg_t *m, const uint8_t *raw, size_t rawlen,
                  ar_err_t *err)
{
    char wbuf[AR_PROTO_MAX_TEXT + 64];
    int r = from->rank;
    if (r < 0 || r >= c->st.nranks || !c->st.workers[r].expected)
        return ar_err_set(err, AR_E_PROTO, "message from unexpected rank %d", r);
    ar_worker_entry_t *w = &c->st.workers[r];
    if (w->lost) return AR_OK; /* back after being declared lost: its tasks are elsewhere now */
    if (m->rank != r)
        return ar_err_set(err, AR_E_PROTO, "%s sent %s claiming to be rank %d",
                          who(c, r, wbuf, sizeof wbuf), ar_msg_type_name(m->type), (int)m->rank);
    w->last_seen = ar_now();
    switch (m->type) {
    case AR_MSG_HELLO:
        if (w->joined) return ar_err_set(err, AR_E_PROTO, "%s said HELLO twice", who(c, r, wbuf, sizeof wbuf));
        w->joined = 1;
        strcpy(w->host, m->u.hello.host);
        w->pid = m->u.hello.pid;
        w->threads = m->u.hello.threads;
        memcpy(w->peer_id, from->id, from->id_len);
        w->peer_len = from->id_len;
        ar_info(c->job->log, "worker r%d joined: host %s pid %lld, %d BLAS threads", r, w->host,
                (long long)w->pid, w->threads);
        return AR_OK;
    case AR_MSG_READY:
        if (!w->joined) return ar_err_set(err, AR_E_PROTO, "%s sent READY before HELLO", who(c, r, wbuf, sizeof wbuf));
        w->credit += m->u.ready.credit;
        if (w->revoked) { /* it stopped its part of a task taken back: messages count again */
            ar_info(c->job->log, "%s stopped its part of task %llu", who(c, r, wbuf, sizeof wbuf),
                    (unsigned long long)w->revoked - 1);
            w->revoked = 0;
        }
        if (w->credit > AR_PROTO_MAX_CREDIT)
            return ar_err_set(err, AR_E_PROTO, "%s claims credit %d (max %d)", who(c, r, wbuf, sizeof wbuf),
                              w->credit, AR_PROTO_MAX_CREDIT);
        return AR_OK;
    case AR_MSG_HEARTBEAT: {
        if (from->id_len <= sizeof c->hb_id[r]) {
            memcpy(c->hb_id[r], from->id, from->id_len);
            c->hb_len[r] = from->id_len;
        }
        ar_msg_t beat = ar_msg_make(AR_MSG_HEARTBEAT, 0);
        beat.u.beat.done = c->st.next_aggregate;
        return send_to(c, from->id, from->id_len, r, &beat, err);
    }
    case AR_MSG_RESULT: {
        if (ar_coord_stale(&c->st, r, m->u.task.id)) return AR_OK; /* a run taken back */
        int s = ar_coord_accept_result(&c->st, r, m, err);
        if (!s) s = ar_coord_keep_raw(&c->st, m->u.task.id, raw, rawlen, err);
        if (s) return s;
        c->finals += m->u.task.final ? 1 : 0;
        c->st.tasks[m->u.task.id].sent_at = ar_now(); /* progress: restart its clock */
        s = advance(c, err);
        progress(c, 0);
        return s;
    }
    case AR_MSG_REDUCE:
        if (ar_coord_stale(&c->st, r, m->u.task.id)) return AR_OK; /* a run taken back */
        return on_reduce(c, r, m, rawlen, err);
    case AR_MSG_ERROR: /* the text already names the task */
        return ar_err_set(err, AR_E_WORKER, "worker r%d on %s failed: %s", r, m->u.error.host,
                          m->u.error.text);
    case AR_MSG_BYE:
        return ar_err_set(err, AR_E_PROTO, "%s left (BYE) before the job ended", who(c, r, wbuf, sizeof wbuf));
    default:
        return ar_err_set(err, AR_E_PROTO, "%s sent %s, which only the coordinator sends",
                          who(c, r, wbuf, sizeof wbuf), ar_msg_type_name(m->type));
    }
}

/* Tells the other parts of shared task id, whose part on `lost` will never
 * come, to stop: a REDUCED with failed set for the exchange they are in or
 * will reach next (ar_coord_requeue then takes the task back). */
static int take_back(co_t *c, uint64_t id, int lost, ar_err_t *err)
{
    const ar_task_entry_t *t = &c->st.tasks[id];
    ar_msg_t a = ar_msg_make(AR_MSG_REDUCED, 0);
    a.u.task.id = id, a.u.task.step = t->step, a.u.task.failed = 1;
    a.u.task.attempt = t->attempt - 1;
    ar_bytes_t b;
    int s = ar_msg_encode(&a, c->max, &b, err);
    for (int j = 0; j < t->parts && !s; j++) { /* encoded once, as on_reduce does */
        const ar_worker_entry_t *w = &c->st.workers[t->members[j]];
        if (t->members[j] == lost || w->lost) continue;
        s = send_bytes(c, w->peer_id, w->peer_len, t->members[j], &b, err);
    }
    ar_bytes_free(&b);
    return s;
}

/* A worker silent past [run] heartbeat_timeout_s (dead, stopped, cut off)
 * is declared lost: its tasks go back to the queue for the others, and the
 * job fails only when no worker is left. A worker that never joined, or a
 * task without a result past [run] task_timeout_s (a worker alive but
 * stuck), fails the job. */
static int check_liveness(co_t *c, ar_err_t *err)
{
    double now = ar_now();
    char wbuf[AR_PROTO_MAX_TEXT + 64];
    double tl = c->job->run.task_timeout;
    for (uint64_t id = c->st.next_aggregate; tl > 0 && id < c->st.next_pending; id++) {
        ar_task_entry_t *t = &c->st.tasks[id];
        if (t->state == AR_TASK_INFLIGHT && now - t->sent_at > tl) {
            c->st.workers[t->worker].lost = 1; /* stuck in the task: no BYE to wait for */
            return ar_err_set(err, AR_E_TIMEOUT, "task %llu (%s) on %s: no result for %.1f s (limit %.1f s)",
                              (unsigned long long)id, t->type, who(c, t->worker, wbuf, sizeof wbuf),
                              now - t->sent_at, tl);
        }
    }
    int alive = 0;
    for (int i = 0; i < c->cfg->nworkers; i++) {
        int r = c->cfg->worker_ranks[i];
        ar_worker_entry_t *w = &c->st.workers[r];
        if (w->lost) continue;
        double limit = w->joined ? c->job->run.heartbeat_timeout : c->job->run.startup_timeout;
        double seen = last_alive(c, r);
        const char *how = "silent";
        if (w->joined && w->unreachable_since > w->last_seen &&
            ar_coord_shared_on(&c->st, r) >= 0) {
            /* a TASK could not reach it, it has sent nothing since and it
             * holds a part of a shared task the other parts wait on: its
             * heartbeats alone do not keep it (without such a part it is
             * only tried again later, can_take) */
            seen = w->unreachable_since, how = "unreachable";
        }
        if (now - seen <= limit) {
            alive++;
            continue;
        }
        w->lost = 1;
        if (!w->joined)
            return ar_err_set(err, AR_E_TIMEOUT, "%s never joined for %.1f s (limit %.1f s)",
                              who(c, r, wbuf, sizeof wbuf), now - seen, limit);
        int64_t sh = ar_coord_shared_on(&c->st, r);
        if (sh >= 0) {
            int s = take_back(c, (uint64_t)sh, r, err);
            if (s) return s;
            ar_warn(c->job->log, "%s %s while running a part of task %lld: the task goes back "
                    "to the queue and starts again on the workers free then (its result does not "
                    "depend on how many run it)", who(c, r, wbuf, sizeof wbuf), how, (long long)sh);
        }
        int n = ar_coord_requeue(&c->st, r);
        ar_warn(c->job->log, "%s %s for %.1f s (limit %.1f s): declared lost; its %d task(s) go "
                "back to the queue", who(c, r, wbuf, sizeof wbuf), how, now - seen, limit, n);
        c->lost++;
        snprintf(c->lost_msg, sizeof c->lost_msg, "%s %s for %.1f s (limit %.1f s)",
                 who(c, r, wbuf, sizeof wbuf), how, now - seen, limit);
    }
    if (!alive)
        return ar_err_set(err, AR_E_TIMEOUT, "every worker is lost (last: %s)", c->lost_msg);
    return AR_OK;
}

/* Receives and handles at most one message, waiting up to timeout_ms. */
static int poll_once(co_t *c, int timeout_ms, int *got, ar_err_t *err)
{
    uint8_t *d = NULL;
    size_t n = 0;
    ar_peer_t from;
    int s = ar_server_recv(c->cfg->server, timeout_ms, &d, &n, &from, got, err);
    if (s || !*got) return s;
    char label[32];
    snprintf(label, sizeof label, "r%d", from.rank);
    ar_msg_t m;
    s = ar_msg_decode(d, n, c->max, label, &m, err);
    if (!s) s = handle(c, &from, &m, d, n, err);
    free(d);
    ar_msg_clear(&m);
    return s;
}

static int interrupted(co_t *c, ar_err_t *err)
{
    int sig = c->cfg->stop ? *c->cfg->stop : 0;
    if (!sig) return AR_OK;
    return ar_err_set(err, AR_E_INTERRUPTED, "interrupted by %s",
                      sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal");
}

static int run_loop(co_t *c, ar_err_t *err)
{
    c->last_save = ar_now();
    int s = advance(c, err);
    while (!s && !c->finished) {
        if ((s = interrupted(c, err))) break;
        if ((s = dispatch(c, err))) break;
        int got = 0;
        s = poll_once(c, 50, &got, err);
        /* Drain what queued up (e.g. while a job kind's plan() ran) before
         * judging liveness, so a worker is never blamed for our delay. */
        for (int k = 0; !s && got && !c->finished && k < 10000; k++) s = poll_once(c, 0, &got, err);
        if (!s) s = check_liveness(c, err);
        if (c->hb) __atomic_store_n(&c->hb->done, c->st.next_aggregate, __ATOMIC_RELAXED);
        if (!s && c->job->run.checkpoint_s > 0 && ar_now() - c->last_save >= c->job->run.checkpoint_s)
            s = save(c, "periodic", err);
        if (!s && !c->connected) {
            int all = 1;
            for (int i = 0; i < c->cfg->nworkers; i++) {
                int r = c->cfg->worker_ranks[i];
                all &= c->st.workers[r].joined && beating(c, r);
            }
            if (all) {
                c->connected = 1;
                if (c->cfg->all_connected) c->cfg->all_connected(c->cfg->user);
            }
        }
    }
    return s;
}

/* SHUTDOWN to every joined worker, then collect BYEs for up to the heartbeat
 * timeout (3 s at most after a signal: the launcher kills soon). Returns 1
 * when every expected worker said BYE. */
static int shutdown_all(co_t *c, int failed, const char *reason)
{
    ar_err_t e = {0};
    ar_msg_t m = ar_msg_make(AR_MSG_SHUTDOWN, 0);
    m.u.shutdown.failed = failed;
    ar_str_copy(m.u.shutdown.reason, sizeof m.u.shutdown.reason, reason);
    if (c->hb) { /* the heartbeat thread tells every worker's heartbeat connection */
        c->hb->failed = failed;
        ar_str_copy(c->hb->reason, sizeof c->hb->reason, reason);
        __atomic_store_n(&c->hb->shutdown, 1, __ATOMIC_RELEASE);
    }
    for (int i = 0; i < c->cfg->nworkers; i++) {
        int r = c->cfg->worker_ranks[i];
        ar_worker_entry_t *w = &c->st.workers[r];
        if (!w->joined) continue;
        (void)send_to(c, w->peer_id, w->peer_len, r, &m, &e);
        if (c->hb_len[r]) (void)send_to(c, c->hb_id[r], c->hb_len[r], r, &m, &e);
    }
    /* A lost worker will never answer: MPI_Abort is the only way out. */
    for (int i = 0; i < c->cfg->nworkers; i++)
        if (c->st.workers[c->cfg->worker_ranks[i]].lost) return 0;
    double wait = c->job->run.heartbeat_timeout;
    if (c->cfg->stop && *c->cfg->stop && wait > 3) wait = 3;
    double until = ar_now() + wait;
    for (;;) {
        int missing = 0;
        for (int i = 0; i < c->cfg->nworkers; i++) {
            const ar_worker_entry_t *w = &c->st.workers[c->cfg->worker_ranks[i]];
            missing += !w->said_bye;
        }
        if (!missing) return 1;
        if (ar_now() > until) {
            for (int i = 0; i < c->cfg->nworkers; i++) {
                int r = c->cfg->worker_ranks[i];
                char wbuf[AR_PROTO_MAX_TEXT + 64];
                if (!c->st.workers[r].said_bye)
                    ar_warn(c->job->log, "%s did not acknowledge SHUTDOWN", who(c, r, wbuf, sizeof wbuf));
            }
            return 0;
        }
        uint8_t *d = NULL;
        size_t n = 0;
        ar_peer_t from;
        int got = 0;
        if (ar_server_recv(c->cfg->server, 50, &d, &n, &from, &got, &e) || !got) continue;
        ar_msg_t in;
        int r = from.rank;
        if (ar_msg_decode(d, n, c->max, "worker", &in, &e) == AR_OK && r >= 0 &&
            r < c->st.nranks && c->st.workers[r].expected && in.rank == r) {
            ar_worker_entry_t *w = &c->st.workers[r];
            if (in.type == AR_MSG_BYE) w->said_bye = 1;
            /* a worker that joins or beats only now still has to be told */
            if (in.type == AR_MSG_HELLO && !w->joined) {
                w->joined = 1;
                ar_str_copy(w->host, sizeof w->host, in.u.hello.host);
                w->pid = in.u.hello.pid;
                (void)send_to(c, from.id, from.id_len, r, &m, &e);
            }
            if (in.type == AR_MSG_HEARTBEAT) (void)send_to(c, from.id, from.id_len, r, &m, &e);
        }
        ar_msg_clear(&in);
        free(d);
    }
}

int ar_coord_run(const ar_coord_cfg_t *cfg, int *clean, ar_err_t *err)
{
    *clean = 0;
    co_t c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.job = cfg->job;
    c.max = (size_t)cfg->job->run.max_message_mb << 20;
    c.t0 = c.last_progress = ar_now();
    int nranks = cfg->job->ranks;
    c.hb_id = calloc((size_t)nranks, sizeof *c.hb_id);
    c.hb_len = calloc((size_t)nranks, sizeof *c.hb_len);
    int s = (!c.hb_id || !c.hb_len) ? ar_err_set(err, AR_E_NOMEM, "out of memory") : AR_OK;
    if (!s) s = ar_coord_state_init(&c.st, nranks, cfg->worker_ranks, cfg->nworkers, c.t0, err);
    pthread_t hb_th;
    if (!s && cfg->hb_server) s = hb_start(&c, &hb_th, err);
    if (!s) s = cfg->kind->create(cfg->job, &c.kstate, err);
    if (!s) s = run_loop(&c, err);
    /* signalled: say so, whatever else (a worker's ERROR for the same
     * signal) ended the loop */
    if (s && s != AR_E_INTERRUPTED && cfg->stop && *cfg->stop) s = interrupted(&c, err);
    if (!s) {
        progress(&c, 1);
        for (int i = 0; i < cfg->nworkers; i++) {
            const ar_worker_entry_t *w = &c.st.workers[cfg->worker_ranks[i]];
            ar_info(c.job->log, "worker r%d (%s): %llu tasks", cfg->worker_ranks[i], w->host,
                    (unsigned long long)w->done);
        }
        if (c.exchanges)
            ar_info(c.job->log, "shared tasks: %llu exchanges answered, %.1f MB received, %.1f MB sent",
                    (unsigned long long)c.exchanges, c.exchange_in / 1e6, c.exchange_out / 1e6);
    }
    /* Output only once every result is in: a failed job leaves no output. */
    if (!s) s = interrupted(&c, err);
    if (!s) s = cfg->kind->finish(c.kstate, cfg->job, err);
    if (!s && cfg->ckpt_path) {
        unlink(cfg->ckpt_path); /* the output is complete */
    } else if (s) {
        /* keep what is done (all of it when only finish failed): --resume
         * continues from it */
        ar_err_t e = {0};
        /* said now: mpirun SIGKILLs about 1.5 s after its SIGTERM, maybe
         * before the workers have answered the SHUTDOWN below */
        if (s == AR_E_INTERRUPTED) ar_error(c.job->log, "%s: stopping the job", ar_err_msg(err));
        if (c.finished) c.saved_finals = (uint64_t)-1;
        if (save(&c, s == AR_E_INTERRUPTED ? "interrupted" : "job failed", &e))
            ar_warn(c.job->log, "%s", ar_err_msg(&e));
        else if (cfg->ckpt_path && c.finals)
            ar_info(c.job->log, "to continue: mpirun ... archrepair-coord --resume %s", c.job->job_path);
    }
    *clean = shutdown_all(&c, s != AR_OK, s ? ar_err_msg(err) : "job complete");
    if (c.hb) {
        __atomic_store_n(&c.hb->stop, 1, __ATOMIC_RELEASE);
        pthread_join(hb_th, NULL);
        hb_free(c.hb);
    }
    if (c.kstate && cfg->kind->destroy) cfg->kind->destroy(c.kstate);
    ar_coord_state_free(&c.st);
    free(c.hb_id);
    free(c.hb_len);
    return s;
}
