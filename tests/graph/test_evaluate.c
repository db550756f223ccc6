/* test_evaluate.c - the evaluation loop (nn/evaluate.h) against a naive
 * per-image loop: predictions, correct flags, confusion matrix and loss on a
 * range that is not a multiple of the batch; the same bits when the source
 * puts the batch into the plan itself; argmax ties; label errors; the
 * per-batch hook. */
#include <string.h>

#include "check.h"
#include "graph_testutil.h"
#include "nn/evaluate.h"

enum { N = 41, K = 5, START = 5, COUNT = 29, BATCH = 8 };

typedef struct ref {
    int32_t pred[COUNT];
    int64_t correct, confusion[K * K];
    double loss;
} ref_t;

/* One image at a time through a batch-1 plan; argmax written out. */
static void naive(ar_graph_t *g, const ar_tensor_t *x, const int32_t *y, ref_t *out)
{
    ar_err_t e = {0};
    memset(out, 0, sizeof *out);
    ar_plan_opts_t po = {.batch = 1, .fold_bn = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &e);
    CHECK(p != NULL, "%s", ar_err_msg(&e));
    if (!p) return;
    int64_t img = ar_tensor_numel(x) / x->shape[0];
    for (int i = 0; i < COUNT; i++) {
        ar_tensor_t one = ar_tensor_4d(1, x->shape[1], x->shape[2], x->shape[3]);
        one.data = x->data + (START + i) * img;
        CHECK_OK(ar_plan_forward(p, &one, AR_MODE_EVAL, &e), &e);
        const float *z = ar_plan_logits(p)->data;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > z[best]) best = k;
        out->pred[i] = best;
        out->correct += best == y[START + i];
        out->confusion[y[START + i] * K + best]++;
        out->loss += ar_plan_loss(p, y + START + i, NULL);
    }
    out->loss /= COUNT;
    ar_plan_destroy(&p);
}

/* A source that puts the batch into the plan itself (x = NULL). */
typedef struct placed {
    ar_plan_t *p;
    ar_eval_images_t im;
} placed_t;

static int read_placed(void *ctx, int64_t start, int n, const ar_tensor_t **x,
                       const int32_t **labels, ar_err_t *err)
{
    placed_t *pl = ctx;
    const ar_tensor_t *view;
    int st = ar_eval_images_read(&pl->im, start, n, &view, labels, err);
    if (!st) st = ar_plan_set_input(pl->p, view, err);
    *x = NULL;
    return st;
}

typedef struct hook {
    int calls, stop_at;
    int64_t seen[8];
} hook_t;

static int count_batches(void *ctx, const ar_eval_result_t *r, ar_err_t *err)
{
    hook_t *h = ctx;
    h->seen[h->calls++] = r->count;
    return h->calls == h->stop_at ? ar_err_set(err, AR_E_TIMEOUT, "cancelled") : AR_OK;
}

/* Evaluates rows START.. of (x, y) with the plan; out-params as ref_t. */
static int run(ar_plan_t *p, ar_eval_read_fn read, void *ctx, ref_t *out, uint8_t *ok,
               ar_eval_result_t *r, ar_err_t *e)
{
    memset(out, 0, sizeof *out);
    ar_eval_opts_t o = {.start = START, .count = COUNT, .read = read, .read_ctx = ctx,
                        .loss = 1, .pred = out->pred, .correct = ok,
                        .confusion = out->confusion};
    int st = ar_evaluate(p, &o, r, e);
    out->correct = r->correct, out->loss = r->loss;
    return st;
}

static void test_against_naive(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    if (!g) return;
    ar_tensor_t x;
    int32_t y[N];
    gt_batch(&x, y, N, 3, 8, 8, K, 11);
    ref_t want, got, placed;
    naive(g, &x, y, &want);

    ar_plan_opts_t po = {.batch = BATCH, .fold_bn = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &e);
    CHECK(p != NULL, "%s", ar_err_msg(&e));
    ar_eval_images_t im = {.x = &x, .y = y};
    uint8_t ok[COUNT];
    ar_eval_result_t r;
    CHECK_OK(run(p, ar_eval_images_read, &im, &got, ok, &r, &e), &e);
    CHECK(r.count == COUNT, "count %lld", (long long)r.count);
    CHECK(memcmp(got.pred, want.pred, sizeof want.pred) == 0, "predictions differ");
    CHECK(got.correct == want.correct && want.correct > 0 && want.correct < COUNT,
          "correct %lld vs %lld", (long long)got.correct, (long long)want.correct);
    CHECK(memcmp(got.confusion, want.confusion, sizeof want.confusion) == 0, "confusion differs");
    CHECK_NEAR(got.loss, want.loss, 1e-5);
    int flags = 0;
    for (int i = 0; i < COUNT; i++) flags += ok[i] == (want.pred[i] == y[START + i]);
    CHECK(flags == COUNT, "%d of %d correct flags right", flags, COUNT);

    /* the batch placed into the plan by the source: the same bits */
    placed_t pl = {.p = p, .im = im};
    CHECK_OK(run(p, read_placed, &pl, &placed, NULL, &r, &e), &e);
    CHECK(memcmp(placed.pred, got.pred, sizeof got.pred) == 0 && placed.correct == got.correct &&
              memcmp(placed.confusion, got.confusion, sizeof got.confusion) == 0 &&
              memcmp(&placed.loss, &got.loss, sizeof got.loss) == 0,
          "placed batches give other results");

    /* the hook sees the running count after each batch; a status stops */
    hook_t h = {.stop_at = 3};
    ar_eval_opts_t o = {.start = START, .count = COUNT, .read = ar_eval_images_read,
                        .read_ctx = &im, .after_batch = count_batches, .hook_ctx = &h};
    CHECK(ar_evaluate(p, &o, &r, &e) == AR_E_TIMEOUT && h.calls == 3 && r.count == 24 &&
              h.seen[0] == 8 && h.seen[1] == 16 && h.seen[2] == 24,
          "stopped after %d calls, %lld images", h.calls, (long long)r.count);
    h = (hook_t){.stop_at = -1};
    CHECK_OK(ar_evaluate(p, &o, &r, &e), &e);
    CHECK(h.calls == 4 && h.seen[3] == COUNT && r.loss == 0, "%d calls", h.calls);

    /* a label outside the classes stops at its batch, with its row */
    y[START + 10] = K + 2;
    o = (ar_eval_opts_t){.start = START, .count = COUNT, .read = ar_eval_images_read,
                         .read_ctx = &im, .name = "set"};
    CHECK(ar_evaluate(p, &o, &r, &e) == AR_E_FORMAT && r.count == BATCH &&
              !strcmp(e.msg, "set: image 15 has label 7, the model has 5 classes"),
          "%s (%lld images)", e.msg, (long long)r.count);
    o.name = NULL;
    CHECK(ar_evaluate(p, &o, &r, &e) == AR_E_FORMAT &&
              !strcmp(e.msg, "image 15 has label 7, the model has 5 classes"), "%s", e.msg);
    y[START + 10] = -1;
    CHECK(ar_evaluate(p, &o, &r, &e) == AR_E_FORMAT && strstr(e.msg, "has label -1"), "%s", e.msg);
    o.start = N - 3;
    CHECK(ar_evaluate(p, &o, &r, &e) == AR_E_ARG && strstr(e.msg, "outside the 41 images"), "%s",
          e.msg);

    ar_plan_destroy(&p);
    ar_tensor_free(&x);
    ar_graph_destroy(&g);
}

/* Equal logits: the first of them is the prediction (torch.argmax). */
static void test_ties(void)
{
    ar_err_t e = {0};
    ar_graph_t *g = gt_allops(&e);
    CHECK(g != NULL, "%s", ar_err_msg(&e));
    if (!g) return;
    ar_node_t *fc = &g->nodes[g->nnodes - 1];
    const float bias[K] = {0.25f, 1.0f, 0.5f, 1.0f, 1.0f};
    for (int k = 0; k < fc->nparams; k++) {
        ar_tensor_t *t = &fc->params[k].value;
        if (!strcmp(fc->params[k].name, "weight")) memset(t->data, 0, (size_t)ar_tensor_numel(t) * sizeof(float));
        else memcpy(t->data, bias, sizeof bias);
    }
    ar_tensor_t x;
    int32_t y[N];
    gt_batch(&x, y, N, 3, 8, 8, K, 12);
    ar_plan_opts_t po = {.batch = BATCH, .lean = 1, .fold_bn = 1};
    ar_plan_t *p = ar_plan_new(g, &po, &e);
    CHECK(p != NULL, "%s", ar_err_msg(&e));
    ar_eval_images_t im = {.x = &x, .y = y};
    ref_t got;
    ar_eval_result_t r;
    int64_t ones = 0, conf[K * K] = {0};
    for (int i = 0; i < COUNT; i++) {
        ones += y[START + i] == 1;
        conf[y[START + i] * K + 1] += 2;  /* accumulated over the two runs below */
    }
    CHECK_OK(run(p, ar_eval_images_read, &im, &got, NULL, &r, &e), &e);
    int all1 = 1;
    for (int i = 0; i < COUNT; i++) all1 &= got.pred[i] == 1;
    CHECK(all1 && r.correct == ones, "ties: correct %lld of %lld", (long long)r.correct,
          (long long)ones);
    ar_eval_opts_t o = {.start = START, .count = COUNT, .read = ar_eval_images_read,
                        .read_ctx = &im, .confusion = got.confusion};
    CHECK_OK(ar_evaluate(p, &o, &r, &e), &e);
    CHECK(memcmp(got.confusion, conf, sizeof conf) == 0, "confusion: all in column 1, added to");
    ar_plan_destroy(&p);
    ar_tensor_free(&x);
    ar_graph_destroy(&g);
}

int main(void)
{
    test_against_naive();
    test_ties();
    TEST_MAIN_END();
}
