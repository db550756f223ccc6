/* test_checkpoint.c - the checkpoint file and what the coordinator does with
 * it: a save / read round trip keeps the job text, the inputs and every
 * finished task's results (not the unfinished ones); a restore into a fresh
 * task table marks those tasks done so they are aggregated, in order,
 * without being sent; a plan with other parameters, a damaged or truncated
 * file and a changed input are refused; a lost worker's tasks go back to
 * the queue and the re-run's partial results already aggregated are not
 * aggregated twice. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/fsutil.h"
#include "proto/codec.h"
#include "runtime/coord_state.h"

typedef struct rec {
    uint64_t order[64];
    int64_t value[64];
    int n;
} rec_t;

static int agg(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
               const ar_fields_t *params, const ar_fields_t *result, int final, ar_err_t *err)
{
    (void)job, (void)type, (void)params, (void)final;
    rec_t *r = state;
    int64_t v = 0;
    if (ar_fields_get_int(result, "v", &v, err)) return err->status;
    r->order[r->n] = id;
    r->value[r->n++] = v;
    return AR_OK;
}

/* plans n tasks "t" with parameter i = base + k */
static void plan(ar_coord_state_t *st, int n, int base)
{
    ar_err_t err = {0};
    for (int k = 0; k < n; k++) {
        ar_fields_t p = {0};
        CHECK_OK(ar_fields_put_int(&p, "i", base + k, &err), &err);
        CHECK_OK(ar_taskplan_add(ar_coord_state_plan(st), "t", &p, &err), &err);
    }
}

/* a RESULT from rank, accepted and kept as the coordinator does */
static int deliver(ar_coord_state_t *st, int rank, uint64_t id, uint32_t seq, int final, int64_t v,
                   ar_err_t *err)
{
    ar_msg_t m = ar_msg_make(AR_MSG_RESULT, rank);
    m.u.task.id = id;
    strcpy(m.u.task.kind, "t");
    m.u.task.seq = seq;
    m.u.task.final = final;
    ar_fields_put_int(&m.body, "v", v, err);
    ar_bytes_t b;
    int s = ar_msg_encode(&m, 0, &b, err);
    if (!s) s = ar_coord_accept_result(st, rank, &m, err);
    if (!s) s = ar_coord_keep_raw(st, id, b.data, b.len, err);
    ar_bytes_free(&b);
    ar_msg_clear(&m);
    return s;
}

static void send_all(ar_coord_state_t *st, int rank)
{
    st->workers[rank].credit = 64;
    int64_t id;
    while ((id = ar_coord_next_pending(st)) >= 0) ar_coord_mark_sent(st, (uint64_t)id, rank, 1.0);
}

int main(void)
{
    ar_err_t err = {0};
    char dir[1024]; /* a private directory under the tests' temporary root */
    snprintf(dir, sizeof dir, "%s", test_tmp("ar_ckpt_XXXXXX"));
    CHECK(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
    char path[1100], input[1100];
    snprintf(path, sizeof path, "%s/out.h5.ckpt", dir);
    snprintf(input, sizeof input, "%s/data.bin", dir);
    CHECK_OK(ar_write_file_atomic(input, "0123456789", 10, &err), &err);
    ar_ckpt_input_t in;
    CHECK_OK(ar_ckpt_identify(input, &in, &err), &err);
    ar_job_kind_t kind = {.name = "k", .aggregate = agg};
    int workers[2] = {1, 2};

    /* a run: tasks 0 (partial + final) and 2 finish, 1 and 3 do not */
    ar_coord_state_t a;
    CHECK_OK(ar_coord_state_init(&a, 3, workers, 2, 0.0, &err), &err);
    plan(&a, 4, 100);
    send_all(&a, 1);
    CHECK_OK(deliver(&a, 1, 0, 0, 0, 7, &err), &err);
    CHECK_OK(deliver(&a, 1, 2, 0, 1, 20, &err), &err);
    CHECK_OK(deliver(&a, 1, 1, 0, 0, 99, &err), &err); /* a partial of an unfinished task */
    CHECK_OK(deliver(&a, 1, 0, 1, 1, 8, &err), &err);
    uint64_t n = 0;
    size_t bytes = 0;
    CHECK_OK(ar_coord_save(&a, path, "job text", &in, 1, &n, &bytes, &err), &err);
    CHECK(n == 2 && bytes > 0 && ar_file_size(path) == (int64_t)bytes, "saved %llu tasks, %zu bytes",
          (unsigned long long)n, bytes);
    ar_coord_state_free(&a);

    ar_ckpt_t ck;
    CHECK_OK(ar_ckpt_read(path, &ck, &err), &err);
    CHECK(!strcmp(ck.job_text, "job text") && ck.ninputs == 1 && !strcmp(ck.inputs[0].path, input),
          "header read back");
    CHECK(ck.ntasks == 2 && ck.tasks[0].id == 0 && ck.tasks[0].nresults == 2 && ck.tasks[1].id == 2 &&
          ck.tasks[1].nresults == 1, "tasks read back");
    CHECK_OK(ar_ckpt_check_inputs(&ck, &err), &err);

    /* resume: the same plan; 0 and 2 are done without being sent */
    ar_coord_state_t b;
    CHECK_OK(ar_coord_state_init(&b, 3, workers, 2, 0.0, &err), &err);
    plan(&b, 4, 100);
    uint64_t restored = 0;
    CHECK_OK(ar_coord_restore(&b, 0, &ck, 0, &restored, &err), &err);
    CHECK(restored == 2, "restored %llu", (unsigned long long)restored);
    CHECK(ar_coord_next_pending(&b) == 1, "next pending %lld", (long long)ar_coord_next_pending(&b));
    rec_t rec = {0};
    CHECK_OK(ar_coord_drain(&b, &kind, &rec, NULL, &err), &err);
    CHECK(rec.n == 2 && rec.value[0] == 7 && rec.value[1] == 8, "task 0 aggregated (%d)", rec.n);
    send_all(&b, 2);
    CHECK(b.tasks[1].worker == 2 && b.tasks[3].worker == 2 && b.tasks[2].state == AR_TASK_DONE,
          "only the unfinished tasks are sent");
    CHECK_OK(deliver(&b, 2, 1, 0, 1, 10, &err), &err);
    CHECK_OK(deliver(&b, 2, 3, 0, 1, 30, &err), &err);
    CHECK_OK(ar_coord_drain(&b, &kind, &rec, NULL, &err), &err);
    int64_t want[] = {7, 8, 10, 20, 30};
    CHECK(rec.n == 5, "aggregated %d", rec.n);
    for (int i = 0; i < 5 && i < rec.n; i++) CHECK(rec.value[i] == want[i], "#%d: %lld", i, (long long)rec.value[i]);
    CHECK(ar_coord_round_complete(&b), "complete");
    ar_coord_state_free(&b);

    /* another plan (other parameters) is refused */
    CHECK_OK(ar_coord_state_init(&b, 3, workers, 2, 0.0, &err), &err);
    plan(&b, 4, 200);
    CHECK(ar_coord_restore(&b, 0, &ck, 0, &restored, &err) == AR_E_CONFIG && strstr(err.msg, "task 0"),
          "other plan: %s", err.msg);
    ar_coord_state_free(&b);
    ar_ckpt_free(&ck);

    /* a changed input is named */
    CHECK_OK(ar_ckpt_read(path, &ck, &err), &err);
    CHECK_OK(ar_write_file_atomic(input, "0123456788", 10, &err), &err);
    CHECK(ar_ckpt_check_inputs(&ck, &err) == AR_E_CONFIG && strstr(err.msg, input) &&
          strstr(err.msg, "changed since the checkpoint"), "changed input: %s", err.msg);
    ar_ckpt_free(&ck);

    /* damaged files: one byte changed, truncated */
    FILE *f = fopen(path, "r+b");
    CHECK(f && fseek(f, 20, SEEK_SET) == 0 && fputc('x', f) != EOF && fclose(f) == 0, "damage it");
    CHECK(ar_ckpt_read(path, &ck, &err) == AR_E_FORMAT && strstr(err.msg, "damaged"), "flipped: %s", err.msg);
    CHECK(truncate(path, (off_t)bytes / 2) == 0, "truncate");
    CHECK(ar_ckpt_read(path, &ck, &err) == AR_E_FORMAT, "truncated: %s", err.msg);
    CHECK(ar_ckpt_read(input, &ck, &err) == AR_E_FORMAT, "not a checkpoint: %s", err.msg);

    /* a lost worker: its tasks go back, the partial already aggregated is
     * skipped when the re-run sends it again */
    ar_coord_state_t c;
    CHECK_OK(ar_coord_state_init(&c, 3, workers, 2, 0.0, &err), &err);
    plan(&c, 2, 0);
    send_all(&c, 1);
    CHECK_OK(deliver(&c, 1, 0, 0, 0, 1, &err), &err);
    memset(&rec, 0, sizeof rec);
    CHECK_OK(ar_coord_drain(&c, &kind, &rec, NULL, &err), &err);
    CHECK(rec.n == 1, "partial aggregated");
    CHECK(ar_coord_requeue(&c, 1) == 2 && ar_coord_next_pending(&c) == 0, "requeued");
    send_all(&c, 2);
    CHECK_OK(deliver(&c, 2, 0, 0, 0, 1, &err), &err);
    CHECK_OK(deliver(&c, 2, 0, 1, 1, 2, &err), &err);
    CHECK_OK(deliver(&c, 2, 1, 0, 1, 3, &err), &err);
    CHECK_OK(ar_coord_drain(&c, &kind, &rec, NULL, &err), &err);
    CHECK(rec.n == 3 && rec.value[0] == 1 && rec.value[1] == 2 && rec.value[2] == 3,
          "re-run aggregated once (%d results)", rec.n);
    CHECK(c.tasks[0].nraw == 2, "kept results %u", c.tasks[0].nraw);
    ar_coord_state_free(&c);

    unlink(path);
    unlink(input);
    rmdir(dir);
    TEST_MAIN_END();
}
