/* test_coord_state.c - [run] options (BLAS threads per rank, range checks)
 * and the coordinator's task table: tasks go out in id
 * order against credit, results arriving in any order (and streamed in
 * pieces) reach aggregate() strictly in task order, and unexpected results
 * (unknown task, a task given to another worker, wrong seq or type, after
 * the final one) are rejected naming the worker; shared tasks (parts on
 * several workers): their exchanges are accepted only from their parts at
 * the expected step, answered when complete, and the final result frees
 * every part's worker; the share rule. */
#include <string.h>

#include "check.h"
#include "core/fold.h"
#include "runtime/coord_state.h"
#include "runtime/run_opts.h"

typedef struct rec {
    uint64_t order[64];   /* task id of each aggregate() call */
    int64_t value[64];    /* its "v" */
    int finals[64];
    int n;
} rec_t;

static int agg(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
               const ar_fields_t *params, const ar_fields_t *result, int final, ar_err_t *err)
{
    (void)job, (void)type, (void)params;
    rec_t *r = state;
    int64_t v = 0;
    if (ar_fields_get_int(result, "v", &v, err)) return err->status;
    r->order[r->n] = id;
    r->value[r->n] = v;
    r->finals[r->n++] = final;
    return AR_OK;
}

static ar_msg_t result(int rank, uint64_t id, const char *kind, uint32_t seq, int final, int64_t v)
{
    ar_msg_t m = ar_msg_make(AR_MSG_RESULT, rank);
    m.u.task.id = id;
    strcpy(m.u.task.kind, kind);
    m.u.task.seq = seq;
    m.u.task.final = final;
    ar_err_t e = {0};
    ar_fields_put_int(&m.body, "v", v, &e);
    return m;
}

static int accept(ar_coord_state_t *st, int rank, uint64_t id, const char *kind, uint32_t seq,
                  int final, int64_t v, ar_err_t *err)
{
    ar_msg_t m = result(rank, id, kind, seq, final, v);
    int s = ar_coord_accept_result(st, rank, &m, err);
    ar_msg_clear(&m);
    return s;
}

/* A REDUCE of part p of k for task id at step. */
static ar_msg_t reduce_msg(int rank, uint64_t id, uint64_t step, int p, int k)
{
    ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, rank);
    m.u.task.id = id, m.u.task.step = step, m.u.task.part = p;
    ar_err_t e = {0};
    int64_t lo, hi;
    ar_fold_part(4, p, k, &lo, &hi);
    float sum[3] = {1, 2, (float)p}, cat[4] = {0};
    ar_fields_put_int(&m.body, "nslots", 4, &e);
    ar_fields_put_int(&m.body, "lo", lo, &e);
    ar_fields_put_int(&m.body, "hi", hi, &e);
    ar_fields_put_tensor(&m.body, "sum", AR_WDT_F32, 1, (int64_t[]){3}, sum, &e);
    ar_fields_put_tensor(&m.body, "cat", AR_WDT_F32, 2, (int64_t[]){hi - lo, 1}, cat, &e);
    return m;
}

static void test_shared(void)
{
    ar_err_t err = {0};
    ar_coord_state_t st;
    int workers[3] = {1, 2, 3};
    CHECK_OK(ar_coord_state_init(&st, 4, workers, 3, 0.0, &err), &err);
    ar_taskplan_t *plan = ar_coord_state_plan(&st);
    ar_fields_t p = {0};
    CHECK_OK(ar_taskplan_add(plan, "t", &p, &err), &err);
    st.tasks[0].max_parts = 4;
    for (int r = 1; r <= 3; r++) st.workers[r].credit = 2;
    int ranks[2] = {3, 1};
    CHECK_OK(ar_coord_mark_sent_parts(&st, 0, ranks, 2, 1.0, &err), &err);
    CHECK(st.tasks[0].worker == 3 && st.workers[1].inflight == 1 && st.workers[3].inflight == 1 &&
              st.workers[2].inflight == 0 && st.workers[1].credit == 1,
          "parts sent to r3 (part 0) and r1 (part 1)");
    CHECK(ar_coord_shared_on(&st, 1) == 0 && ar_coord_shared_on(&st, 2) == -1, "shared_on");
    int done = 0;
    ar_msg_t m = reduce_msg(2, 0, 0, 1, 2);
    CHECK(ar_coord_accept_reduce(&st, 2, &m, &done, &err) == AR_E_PROTO && strstr(err.msg, "r2"),
          "a rank without a part: %s", err.msg);
    ar_msg_clear(&m);
    m = reduce_msg(1, 0, 0, 0, 2);
    CHECK(ar_coord_accept_reduce(&st, 1, &m, &done, &err) == AR_E_PROTO && strstr(err.msg, "part 0"),
          "another rank's part: %s", err.msg);
    ar_msg_clear(&m);
    m = reduce_msg(1, 0, 1, 1, 2);
    CHECK(ar_coord_accept_reduce(&st, 1, &m, &done, &err) == AR_E_PROTO && strstr(err.msg, "exchange 1"),
          "a later step: %s", err.msg);
    ar_msg_clear(&m);
    for (int step = 0; step < 2; step++) {
        m = reduce_msg(1, 0, (uint64_t)step, 1, 2);
        CHECK_OK(ar_coord_accept_reduce(&st, 1, &m, &done, &err), &err);
        CHECK(!done, "half an exchange");
        ar_msg_clear(&m);
        m = reduce_msg(3, 0, (uint64_t)step, 0, 2);
        CHECK_OK(ar_coord_accept_reduce(&st, 3, &m, &done, &err), &err);
        CHECK(done, "complete");
        ar_msg_clear(&m);
        ar_fields_t out = {0};
        CHECK_OK(ar_coord_reduced(&st, 0, &out, &err), &err);
        const ar_wtensor_t *t = NULL;
        CHECK_OK(ar_fields_get_tensor(&out, "sum", AR_WDT_F32, 1, &t, &err), &err);
        CHECK(t && ((float *)t->data)[0] == 2 && ((float *)t->data)[2] == 1, "parts' sums added");
        ar_fields_clear(&out);
        CHECK(st.tasks[0].step == (uint64_t)step + 1, "next exchange");
    }
    m = result(1, 0, "t", 0, 1, 7);
    CHECK(ar_coord_accept_result(&st, 1, &m, &err) == AR_E_PROTO, "a result from part 1: %s", err.msg);
    ar_msg_clear(&m);
    m = result(3, 0, "t", 0, 1, 7);
    CHECK_OK(ar_coord_accept_result(&st, 3, &m, &err), &err);
    ar_msg_clear(&m);
    CHECK(st.workers[1].inflight == 0 && st.workers[3].inflight == 0 && st.workers[1].done == 1 &&
              ar_coord_shared_on(&st, 1) == -1,
          "the final result frees every part's worker");
    ar_coord_state_free(&st);
    /* the share rule: idle workers split between the waiting shared tasks */
    CHECK(ar_share_parts(63, 4, 8) == 8 && ar_share_parts(7, 4, 8) == 2 && ar_share_parts(3, 4, 8) == 1 &&
              ar_share_parts(0, 2, 8) == 0 && ar_share_parts(5, 1, 4) == 4,
          "ar_share_parts");
}

/* A part of a shared task lost: the task goes back to pending, its other
 * part's worker is freed of it and `revoked` (its messages about the task
 * are stale) until it says READY; the partial results already aggregated
 * are skipped when the task runs again. */
static void test_shared_lost(void)
{
    ar_err_t err = {0};
    ar_coord_state_t st;
    int workers[3] = {1, 2, 3};
    CHECK_OK(ar_coord_state_init(&st, 4, workers, 3, 0.0, &err), &err);
    ar_fields_t p = {0};
    CHECK_OK(ar_taskplan_add(ar_coord_state_plan(&st), "t", &p, &err), &err);
    st.tasks[0].max_parts = 4;
    for (int r = 1; r <= 3; r++) st.workers[r].credit = 2;
    int ranks[2] = {3, 1};
    CHECK_OK(ar_coord_mark_sent_parts(&st, 0, ranks, 2, 1.0, &err), &err);
    int done = 0;
    ar_msg_t m = reduce_msg(3, 0, 0, 0, 2);
    CHECK_OK(ar_coord_accept_reduce(&st, 3, &m, &done, &err), &err);
    ar_msg_clear(&m);
    m = result(3, 0, "t", 0, 0, 7); /* an epoch report of part 0, aggregated */
    CHECK_OK(ar_coord_accept_result(&st, 3, &m, &err), &err);
    ar_msg_clear(&m);
    ar_fields_clear(&st.tasks[0].results[0]); /* as ar_coord_drain does */
    st.tasks[0].consumed = 1, st.tasks[0].nresults = 0;
    CHECK(!ar_coord_stale(&st, 3, 0), "not stale before");
    CHECK(ar_coord_requeue(&st, 1) == 1, "r1 lost: its shared task goes back");
    CHECK(st.tasks[0].state == AR_TASK_PENDING && ar_coord_next_pending(&st) == 0 && st.tasks[0].parts == 0 &&
              st.tasks[0].step == 0 && st.tasks[0].red.parts == 0,
          "pending again, its exchange cleared");
    CHECK(st.workers[3].inflight == 0 && st.workers[3].revoked == 1 && st.workers[1].credit == 0,
          "the other part's worker freed and revoked");
    CHECK(ar_coord_stale(&st, 3, 0) && !ar_coord_stale(&st, 3, 1) && !ar_coord_stale(&st, 2, 0),
          "r3's messages about task 0 are stale");
    /* the run again, on r2 and r3 (r3 after its READY): the first result is skipped */
    st.workers[3].revoked = 0;
    int again[2] = {2, 3};
    CHECK_OK(ar_coord_mark_sent_parts(&st, 0, again, 2, 2.0, &err), &err);
    m = result(2, 0, "t", 0, 0, 7);
    CHECK_OK(ar_coord_accept_result(&st, 2, &m, &err), &err);
    ar_msg_clear(&m);
    CHECK(st.tasks[0].nresults == 0, "the re-run's first report, aggregated before, skipped");
    m = result(2, 0, "t", 1, 1, 7);
    CHECK_OK(ar_coord_accept_result(&st, 2, &m, &err), &err);
    ar_msg_clear(&m);
    CHECK(st.tasks[0].state == AR_TASK_DONE && st.workers[2].inflight == 0 && st.workers[3].inflight == 0 &&
              st.tasks[0].max_parts_run == 2,
          "done on the second run");
    ar_coord_state_free(&st);
}

int main(void)
{
    ar_err_t err = {0};
    ar_coord_state_t st;
    int workers[2] = {1, 2};
    CHECK_OK(ar_coord_state_init(&st, 3, workers, 2, 0.0, &err), &err);
    ar_taskplan_t *plan = ar_coord_state_plan(&st);
    for (int i = 0; i < 5; i++) {
        ar_fields_t p = {0};
        CHECK_OK(ar_fields_put_int(&p, "i", i, &err), &err);
        CHECK_OK(ar_taskplan_add(plan, "t", &p, &err), &err);
        CHECK(p.n == 0, "params not moved");
    }
    CHECK(st.ntasks == 5 && ar_coord_next_pending(&st) == 0, "planned");
    st.workers[1].credit = 2;
    st.workers[2].credit = 3;
    /* ids go out in order: 0,1 -> r1; 2,3,4 -> r2 */
    for (int i = 0; i < 5; i++) {
        int64_t id = ar_coord_next_pending(&st);
        CHECK(id == i, "next pending %lld, expected %d", (long long)id, i);
        ar_coord_mark_sent(&st, (uint64_t)id, i < 2 ? 1 : 2, 1.0);
    }
    CHECK(ar_coord_next_pending(&st) == -1, "nothing pending");
    CHECK(st.workers[1].credit == 0 && st.workers[2].credit == 0, "credit spent");

    ar_job_kind_t kind = {.name = "k", .aggregate = agg};
    rec_t rec = {0};
    /* results arrive out of order: 4, 2 (two pieces), 3, then 1, 0 */
    CHECK_OK(accept(&st, 2, 4, "t", 0, 1, 40, &err), &err);
    CHECK_OK(accept(&st, 2, 2, "t", 0, 0, 20, &err), &err);
    CHECK_OK(accept(&st, 2, 2, "t", 1, 1, 21, &err), &err);
    CHECK_OK(accept(&st, 2, 3, "t", 0, 1, 30, &err), &err);
    CHECK_OK(ar_coord_drain(&st, &kind, &rec, NULL, &err), &err);
    CHECK(rec.n == 0, "aggregated before task 0 arrived (%d)", rec.n);
    /* streaming: a partial of task 0 is released at once */
    CHECK_OK(accept(&st, 1, 0, "t", 0, 0, 1, &err), &err);
    CHECK_OK(ar_coord_drain(&st, &kind, &rec, NULL, &err), &err);
    CHECK(rec.n == 1 && rec.order[0] == 0 && rec.finals[0] == 0, "partial of task 0");

    /* unexpected results are refused, naming the worker */
    CHECK(accept(&st, 1, 9, "t", 0, 1, 0, &err) == AR_E_PROTO && strstr(err.msg, "r1") &&
          strstr(err.msg, "unknown task 9"), "unknown id: %s", err.msg);
    CHECK(accept(&st, 2, 1, "t", 0, 1, 0, &err) == AR_E_PROTO && strstr(err.msg, "r2") &&
          strstr(err.msg, "not given"), "other worker's task: %s", err.msg);
    CHECK(accept(&st, 1, 1, "u", 0, 1, 0, &err) == AR_E_PROTO && strstr(err.msg, "'u'"),
          "wrong type: %s", err.msg);
    CHECK(accept(&st, 1, 0, "t", 5, 1, 0, &err) == AR_E_PROTO && strstr(err.msg, "seq 5"),
          "wrong seq: %s", err.msg);
    CHECK(accept(&st, 2, 4, "t", 1, 1, 0, &err) == AR_E_PROTO, "result after the final one");

    CHECK_OK(accept(&st, 1, 1, "t", 0, 1, 10, &err), &err);
    CHECK_OK(ar_coord_drain(&st, &kind, &rec, NULL, &err), &err);
    CHECK(rec.n == 1, "task 1 aggregated before task 0 finished");
    CHECK_OK(accept(&st, 1, 0, "t", 1, 1, 2, &err), &err);
    CHECK_OK(ar_coord_drain(&st, &kind, &rec, NULL, &err), &err);
    uint64_t want_id[] = {0, 0, 1, 2, 2, 3, 4};
    int64_t want_v[] = {1, 2, 10, 20, 21, 30, 40};
    CHECK(rec.n == 7, "aggregated %d results", rec.n);
    for (int i = 0; i < 7 && i < rec.n; i++)
        CHECK(rec.order[i] == want_id[i] && rec.value[i] == want_v[i], "#%d: task %llu v %lld", i,
              (unsigned long long)rec.order[i], (long long)rec.value[i]);
    CHECK(ar_coord_round_complete(&st), "round complete");
    CHECK(st.workers[1].done == 2 && st.workers[2].done == 3 && st.workers[1].inflight == 0,
          "worker counters");
    ar_coord_state_free(&st);

    /* ranks x BLAS threads: cores per node / ranks per node, at least 1 */
    ar_run_opts_t o = ar_run_opts_default();
    CHECK(ar_run_opts_threads(&o, 32, 8) == 4, "32 cores, 8 ranks");
    CHECK(ar_run_opts_threads(&o, 2, 4) == 1, "2 cores, 4 ranks");
    CHECK(ar_run_opts_threads(&o, 16, 1) == 16, "16 cores, 1 rank");
    o.blas_threads = 3;
    CHECK(ar_run_opts_threads(&o, 32, 8) == 3, "explicit, older name");
    o.threads = 5;
    CHECK(ar_run_opts_threads(&o, 32, 8) == 5, "threads wins over blas_threads");
    o = ar_run_opts_default();
    CHECK_OK(ar_run_opts_check(&o, &err), &err);
    o.heartbeat_timeout = 1.5 * o.heartbeat_interval;
    CHECK(ar_run_opts_check(&o, &err) == AR_E_CONFIG && strstr(err.msg, "heartbeat_timeout"),
          "timeout < 2 x interval: %s", err.msg);
    o = ar_run_opts_default();
    strcpy(o.transport, "udp");
    CHECK(ar_run_opts_check(&o, &err) == AR_E_CONFIG && strstr(err.msg, "udp"), "%s", err.msg);
    test_shared();
    test_shared_lost();
    TEST_MAIN_END();
}
