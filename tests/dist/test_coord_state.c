/* test_coord_state.c - [run] options (BLAS threads per rank, range checks)
 * and the coordinator's task table: tasks go out in id
 * order against credit, results arriving in any order (and streamed in
 * pieces) reach aggregate() strictly in task order, and unexpected results
 * (unknown task, a task given to another worker, wrong seq or type, after
 * the final one) are rejected naming the worker. */
#include <string.h>

#include "check.h"
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
    TEST_MAIN_END();
}
