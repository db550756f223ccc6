/* fuzz_coord_state.c - libFuzzer target for the coordinator's state machine
 * (runtime/coord_state.[ch]) fed message sequences from fake worker ranks.
 *
 * The harness plays the coordinator's event loop around the state, as
 * coordinator/coordinator.c does: HELLO joins a rank, READY adds credit
 * (at most AR_PROTO_MAX_CREDIT held), dispatch hands pending tasks to
 * joined ranks holding credit, a RESULT goes through
 * ar_coord_accept_result and, when accepted, ar_coord_drain into a fake job
 * kind whose aggregate checks the ordering contract; a round is planned
 * whenever every task so far is aggregated. Input:
 *   byte 0   workers 1..4 (ranks 1..N; rank 0 is the coordinator)
 *   byte 1   tasks per round 0..7;  byte 2  rounds 1..4
 *   then events, one opcode byte and its operands (missing bytes read 0):
 *     0 r       HELLO from rank r          1 r c   READY, credit c
 *     2         dispatch                   3 r i s f  RESULT for task i,
 *               seq s (255: the expected one), final f&1, type f&2 wrong
 *     4 r f     the next RESULT rank r owes for its oldest task in flight
 *     5 r n ... n bytes decoded as a wire message from rank r; a RESULT
 *               that decodes and names rank r is handled like 3
 * After every event the invariants below are asserted; a refused RESULT
 * must leave the state as it was. At the end the workers behave and the
 * job must run to completion with every task aggregated exactly once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "runtime/coord_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXT 64                  /* 4 rounds of 7 tasks fit */
#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

typedef struct {
    const uint8_t *p;
    size_t n;
} input_t;

static unsigned next(input_t *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

/* What the fake kind saw: per task the next seq it expects and whether its
 * final result was folded in; tasks arrive strictly in id order. */
typedef struct {
    uint64_t next_id;
    uint32_t seq[MAXT];
    int finals[MAXT];
    int per_round, rounds, planned_rounds;
    int finished;
} kind_t;

static int aggregate(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                     const ar_fields_t *params, const ar_fields_t *result, int final, ar_err_t *err)
{
    (void)job;
    (void)err;
    kind_t *k = state;
    int64_t pid = -1, seq = -1;
    CHECK(id < MAXT && ar_fields_get_int(params, "id", &pid, NULL) == AR_OK && pid == (int64_t)id);
    CHECK(strcmp(type, id % 2 ? "odd" : "even") == 0);
    CHECK(id == k->next_id);                 /* in id order, no task skipped */
    CHECK(!k->finals[id]);                   /* nothing after the final result */
    /* results arrive in seq order (a body from the wire may lack the field) */
    if (ar_fields_get_int(result, "seq", &seq, NULL) == AR_OK) CHECK(seq == (int64_t)k->seq[id]);
    k->seq[id]++;
    if (final) {
        k->finals[id] = 1;
        k->next_id++;
    }
    return AR_OK;
}

static const ar_job_kind_t fake_kind = {.name = "fuzz", .aggregate = aggregate};

static void plan_round(ar_coord_state_t *st, kind_t *k)
{
    if (k->planned_rounds == k->rounds || k->per_round == 0) {
        k->finished = 1;
        return;
    }
    for (int i = 0; i < k->per_round; i++) {
        uint64_t id = st->ntasks;
        ar_fields_t f = {0};
        CHECK(ar_fields_put_int(&f, "id", (int64_t)id, NULL) == AR_OK);
        CHECK(ar_taskplan_add(ar_coord_state_plan(st), id % 2 ? "odd" : "even", &f, NULL) == AR_OK);
        ar_fields_clear(&f);
    }
    k->planned_rounds++;
    st->round++;
}

static void invariants(const ar_coord_state_t *st, const kind_t *k)
{
    CHECK(st->next_aggregate <= st->next_pending && st->next_pending <= st->ntasks);
    CHECK(st->next_aggregate == k->next_id);
    int inflight[8] = {0};
    uint64_t finished = 0, done_sum = 0;
    for (uint64_t id = 0; id < st->ntasks; id++) {
        const ar_task_entry_t *t = &st->tasks[id];
        if (id < st->next_aggregate) CHECK(t->state == AR_TASK_AGGREGATED && t->nresults == 0 && k->finals[id]);
        else CHECK(t->state != AR_TASK_AGGREGATED && !k->finals[id]);
        if (id >= st->next_pending) CHECK(t->state == AR_TASK_PENDING && t->worker == -1);
        else CHECK(t->worker >= 1 && t->worker < st->nranks && st->workers[t->worker].joined);
        CHECK(t->nresults >= 0 && t->nresults <= t->cap_results);
        CHECK((t->state == AR_TASK_DONE || t->state == AR_TASK_AGGREGATED) == (t->final_seen == 1));
        CHECK(t->next_seq == (uint32_t)t->nresults + (id < MAXT ? k->seq[id] : 0));
        if (t->state == AR_TASK_INFLIGHT) inflight[t->worker]++;
        if (t->state == AR_TASK_DONE || t->state == AR_TASK_AGGREGATED) finished++;
    }
    for (int r = 0; r < st->nranks; r++) {
        const ar_worker_entry_t *w = &st->workers[r];
        CHECK(w->inflight == inflight[r]);
        CHECK(w->credit >= 0 && w->credit <= AR_PROTO_MAX_CREDIT);
        done_sum += w->done;
    }
    CHECK(done_sum == finished);
}

/* The coordinator's dispatch: pending tasks to joined ranks with credit,
 * lowest rank first. */
static void dispatch(ar_coord_state_t *st, double now)
{
    for (int r = 1; r < st->nranks; r++) {
        ar_worker_entry_t *w = &st->workers[r];
        while (w->joined && w->credit > 0) {
            int64_t id = ar_coord_next_pending(st);
            if (id < 0) return;
            CHECK(st->tasks[id].state == AR_TASK_PENDING);
            ar_coord_mark_sent(st, (uint64_t)id, r, now);
        }
    }
}

/* Handles a RESULT from rank r: on refusal nothing may have changed. */
static void result(ar_coord_state_t *st, kind_t *k, int r, ar_msg_t *m)
{
    uint64_t id = m->u.task.id;
    ar_task_entry_t before = id < st->ntasks ? st->tasks[id] : (ar_task_entry_t){0};
    ar_worker_entry_t wb = st->workers[r];
    uint64_t np = st->next_pending, na = st->next_aggregate;
    ar_err_t e = {0};
    if (ar_coord_accept_result(st, r, m, &e) != AR_OK) {
        CHECK(e.status == AR_E_PROTO || e.status == AR_E_NOMEM);
        CHECK(st->next_pending == np && st->next_aggregate == na);
        CHECK(memcmp(&wb, &st->workers[r], sizeof wb) == 0);
        if (id < st->ntasks) {
            const ar_task_entry_t *t = &st->tasks[id];
            CHECK(t->state == before.state && t->nresults == before.nresults && t->next_seq == before.next_seq);
        }
        return;
    }
    /* accepted: it was the task's next result from the rank it was sent to */
    CHECK(id < st->ntasks && before.state == AR_TASK_INFLIGHT && before.worker == r);
    CHECK(m->u.task.seq == before.next_seq && m->body.n == 0);
    CHECK(ar_coord_drain(st, &fake_kind, k, NULL, &e) == AR_OK);
    if (ar_coord_round_complete(st)) plan_round(st, k);
}

static ar_msg_t make_result(int r, uint64_t id, const char *type, uint32_t seq, int final)
{
    ar_msg_t m = ar_msg_make(AR_MSG_RESULT, r);
    m.u.task.id = id;
    snprintf(m.u.task.kind, sizeof m.u.task.kind, "%s", type);
    m.u.task.seq = seq;
    m.u.task.final = final;
    CHECK(ar_fields_put_int(&m.body, "seq", seq, NULL) == AR_OK);
    return m;
}

/* The oldest task in flight on rank r, or -1. */
static int64_t oldest_on(const ar_coord_state_t *st, int r)
{
    for (uint64_t id = st->next_aggregate; id < st->next_pending; id++)
        if (st->tasks[id].state == AR_TASK_INFLIGHT && st->tasks[id].worker == r) return (int64_t)id;
    return -1;
}

static void owed_result(ar_coord_state_t *st, kind_t *k, int r, int final)
{
    int64_t id = oldest_on(st, r);
    if (id < 0) return;
    ar_msg_t m = make_result(r, (uint64_t)id, st->tasks[id].type, st->tasks[id].next_seq, final);
    result(st, k, r, &m);
    ar_msg_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input_t in = {data, size};
    int nw = 1 + (int)(next(&in) % 4);
    kind_t k = {.per_round = (int)(next(&in) % 8), .rounds = 1 + (int)(next(&in) % 4)};
    int ranks[4];
    for (int i = 0; i < nw; i++) ranks[i] = i + 1;
    ar_coord_state_t st;
    CHECK(ar_coord_state_init(&st, nw + 1, ranks, nw, 0.0, NULL) == AR_OK);
    plan_round(&st, &k);
    double now = 0;
    while (in.n) {
        unsigned op = next(&in) % 6;
        int r = 1 + (int)(next(&in) % (unsigned)nw);
        ar_worker_entry_t *w = &st.workers[r];
        now += 1;
        switch (op) {
        case 0: /* HELLO: a second one fails the job in the coordinator */
            w->joined = 1;
            break;
        case 1: { /* READY: credit 0..MAX; too much fails the job */
            int c = (int)next(&in);
            if (w->joined && w->credit + c <= AR_PROTO_MAX_CREDIT) w->credit += c;
            break;
        }
        case 2:
            dispatch(&st, now);
            break;
        case 3: {
            uint64_t id = next(&in);
            unsigned s = next(&in), f = next(&in);
            const char *type = id < st.ntasks ? st.tasks[id].type : "even";
            uint32_t seq = s == 255 && id < st.ntasks ? st.tasks[id].next_seq : s;
            ar_msg_t m = make_result(r, id, f & 2 ? "other" : type, seq, (int)(f & 1));
            result(&st, &k, r, &m);
            ar_msg_clear(&m);
            break;
        }
        case 4:
            owed_result(&st, &k, r, (int)(next(&in) & 1));
            break;
        case 5: {
            size_t n = next(&in);
            if (n > in.n) n = in.n;
            ar_msg_t m;
            if (ar_msg_decode(in.p, n, 0, "fuzz-peer", &m, NULL) == AR_OK) {
                if (m.type == AR_MSG_RESULT && m.rank == r) {
                    ar_fields_clear(&m.body); /* the fake kind checks only our own bodies */
                    result(&st, &k, r, &m);
                }
                ar_msg_clear(&m);
            }
            in.p += n;
            in.n -= n;
            break;
        }
        }
        invariants(&st, &k);
    }
    /* The workers behave from here: the job must finish. */
    for (int i = 0; i < nw; i++) st.workers[ranks[i]].joined = 1;
    for (int guard = 0; !k.finished; guard++) {
        CHECK(guard < 10000);
        for (int i = 0; i < nw; i++)
            if (st.workers[ranks[i]].credit == 0) st.workers[ranks[i]].credit = 1;
        dispatch(&st, now);
        for (int i = 0; i < nw; i++) owed_result(&st, &k, ranks[i], 1);
        invariants(&st, &k);
    }
    CHECK(ar_coord_round_complete(&st) && st.ntasks == (uint64_t)(k.per_round * k.rounds));
    for (uint64_t id = 0; id < st.ntasks; id++) CHECK(k.finals[id] == 1);
    ar_coord_state_free(&st);
    return 0;
}
