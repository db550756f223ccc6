/* test_search_dp.c - data-parallel candidates in one process: 1, 2 and 3
 * members (threads exchanging rows through an in-process reducer, as the
 * coordinator does over ZeroMQ) train block-weights and archrepair with
 * fixed micro-batches, resampling and keep_best, and end with the same
 * model bit for bit; one member with one micro-batch per step trains what
 * whole-batch steps train (to rounding); the exchange's shape errors. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "patch_set.h"
#include "core/fold.h"
#include "core/par.h"
#include "core/rng.h"
#include "repair/search.h"

#define MAXP 3
#define XCH_MAXP MAXP
#include "dp_xch.h"

/* A resample hook: each member its own copy of the images; noise keyed by
 * (epoch, row), so any subset of rows is drawn as in a full redraw. */
typedef struct redraw {
    ar_tensor_t x;
    const ar_tensor_t *orig;
    int64_t rows_drawn;
} redraw_t;

static int redraw(void *ctx, int epoch, const int64_t *rows, int64_t nrows, ar_err_t *err)
{
    (void)err;
    redraw_t *r = ctx;
    int64_t n = rows ? nrows : r->x.shape[0], img = ar_tensor_numel(&r->x) / r->x.shape[0];
    for (int64_t k = 0; k < n; k++) {
        int64_t i = rows ? rows[k] : k;
        ar_rng_t g;
        ar_rng_init(&g, (1000 + (uint64_t)epoch) * 100003u + (uint64_t)i);
        for (int64_t j = i * img; j < (i + 1) * img; j++)
            r->x.data[j] = r->orig->data[j] + (float)(0.3 * ar_rng_normal(&g));
    }
    r->rows_drawn += n;
    return 0;
}

typedef struct member {
    const ar_graph_t *g;
    ar_search_cfg_t c;
    ar_dp_t dp;
    xref_t xr;
    redraw_t rd;
    const ar_imgset_t *train, *val;
    ar_search_result_t r;
    int st;
    ar_err_t e;
} member_t;

static void *member_main(void *arg)
{
    member_t *m = arg;
    m->c.dp = &m->dp;
    m->c.resample = redraw, m->c.resample_ctx = &m->rd;
    ar_imgset_t tr = {&m->rd.x, m->train->y, NULL};
    m->st = ar_search_run(m->g, &m->c, &tr, m->val, NULL, NULL, &m->r, &m->e);
    return NULL;
}

/* Runs cfg with `parts` members (micro-batch `micro`); out[j] = member j's
 * result. Returns the floats exchanged. */
static int64_t run_members(const ar_graph_t *g, const ar_search_cfg_t *cfg, int parts, int micro,
                           const ar_imgset_t *train, const ar_imgset_t *val, member_t *ms)
{
    xch_t x = {.parts = parts};
    pthread_mutex_init(&x.mu, NULL);
    pthread_cond_init(&x.cv, NULL);
    pthread_t th[MAXP];
    for (int j = 0; j < parts; j++) {
        member_t *m = &ms[j];
        memset(m, 0, sizeof *m);
        m->g = g, m->c = *cfg, m->train = train, m->val = val;
        m->xr = (xref_t){&x, j};
        m->dp = (ar_dp_t){.part = j, .parts = parts, .micro = micro,
                          .reduce = parts > 1 ? xch_reduce : NULL, .ctx = &m->xr};
        m->rd.orig = train->x;
        m->rd.x = *train->x;
        m->rd.x.data = NULL;
        ar_tensor_alloc(&m->rd.x);
        memcpy(m->rd.x.data, train->x->data, (size_t)ar_tensor_numel(train->x) * 4);
        pthread_create(&th[j], NULL, member_main, m);
    }
    for (int j = 0; j < parts; j++) pthread_join(th[j], NULL);
    for (int j = 0; j < parts; j++) ar_tensor_free(&ms[j].rd.x);
    free(x.sum), free(x.cat);
    pthread_mutex_destroy(&x.mu);
    pthread_cond_destroy(&x.cv);
    return x.floats;
}

static int same_model(const ar_graph_t *a, const ar_graph_t *b)
{
    int same = a && b && a->nnodes == b->nnodes;
    for (int i = 0; same && i < a->nnodes; i++)
        for (int k = 0; k < a->nodes[i].nparams; k++)
            same &= memcmp(a->nodes[i].params[k].value.data, b->nodes[i].params[k].value.data,
                           (size_t)ar_tensor_numel(&a->nodes[i].params[k].value) * 4) == 0;
    return same;
}

/* Largest |a - b| over every parameter (running statistics included). */
static double max_diff(const ar_graph_t *a, const ar_graph_t *b)
{
    double d = 0;
    for (int i = 0; i < a->nnodes; i++)
        for (int k = 0; k < a->nodes[i].nparams; k++) {
            const ar_tensor_t *p = &a->nodes[i].params[k].value, *q = &b->nodes[i].params[k].value;
            for (int64_t j = 0; j < ar_tensor_numel(p); j++)
                if (fabs((double)p->data[j] - q->data[j]) > d) d = fabs((double)p->data[j] - q->data[j]);
        }
    return d;
}

static void test_members(const ar_graph_t *g, ar_method_t method, const ar_imgset_t *train,
                         const ar_imgset_t *val)
{
    ar_search_cfg_t c = ar_search_cfg_default();
    c.method = method;
    snprintf(c.block, sizeof c.block, "layer3.0");
    c.cell.nodes = 2;
    c.search_epochs = method == AR_METHOD_ARCHREPAIR ? 2 : 3, c.finetune_epochs = 1;
    c.batch = 16, c.seed = 5, c.lr = 0.1, c.alpha_lr = 0.05;
    c.nval = 2, c.keep_best = 1, c.clean0 = 0.5, c.max_clean_drop = 0.5;
    member_t one[1], two[2], three[3];
    run_members(g, &c, 1, 4, train, val, one);
    int64_t b2 = run_members(g, &c, 2, 4, train, val, two);
    run_members(g, &c, 3, 4, train, val, three);
    const char *name = ar_method_name(method);
    CHECK(one[0].st == 0, "%s 1 member: %s", name, one[0].e.msg);
    for (int j = 0; j < 2; j++) CHECK(two[j].st == 0, "%s 2 members: %s", name, two[j].e.msg);
    for (int j = 0; j < 3; j++) CHECK(three[j].st == 0, "%s 3 members: %s", name, three[j].e.msg);
    if (one[0].st || two[0].st || two[1].st || three[0].st || three[1].st || three[2].st) return;
    int same = 1;
    for (int j = 0; j < 2; j++) same &= same_model(one[0].r.model, two[j].r.model);
    for (int j = 0; j < 3; j++) same &= same_model(one[0].r.model, three[j].r.model);
    CHECK(same, "%s: 1, 2 and 3 members train the same weights and running statistics", name);
    CHECK(one[0].r.val_acc == two[1].r.val_acc && one[0].r.val_acc == three[2].r.val_acc &&
              one[0].r.val_set_acc[0] == three[1].r.val_set_acc[0] &&
              one[0].r.kept_epoch == three[0].r.kept_epoch &&
              one[0].r.last_loss == three[2].r.last_loss,
          "%s: the same validation accuracy (%g %g %g), kept epoch and loss", name,
          one[0].r.val_acc, two[1].r.val_acc, three[2].r.val_acc);
    CHECK(strcmp(one[0].r.genotype, three[1].r.genotype) == 0, "%s: genotype %s vs %s", name,
          one[0].r.genotype, three[1].r.genotype);
    /* each member drew (and refreshed) only its own rows: about 1/parts */
    CHECK(three[0].rd.rows_drawn + three[1].rd.rows_drawn + three[2].rd.rows_drawn <=
              one[0].rd.rows_drawn + 2 * 16,
          "%s: resampled rows split between members (%lld+%lld+%lld vs %lld)", name,
          (long long)three[0].rd.rows_drawn, (long long)three[1].rd.rows_drawn,
          (long long)three[2].rd.rows_drawn, (long long)one[0].rd.rows_drawn);
    CHECK(b2 > 0, "%s: rows were exchanged", name);
    CHECK(one[0].r.last_loss < one[0].r.first_loss, "%s trains (%g -> %g)", name,
          one[0].r.first_loss, one[0].r.last_loss);
    printf("%-14s val %.4f  loss %.4f -> %.4f  %s\n", name, one[0].r.val_acc, one[0].r.first_loss,
           one[0].r.last_loss, one[0].r.genotype);
    ar_search_result_free(&one[0].r);
    for (int j = 0; j < 2; j++) ar_search_result_free(&two[j].r);
    for (int j = 0; j < 3; j++) ar_search_result_free(&three[j].r);
}

/* One member, micro-batch = batch: the whole-batch step, to rounding. */
static void test_whole_batch(const ar_graph_t *g, const ar_imgset_t *train, const ar_imgset_t *val)
{
    ar_err_t e = {0};
    ar_search_cfg_t c = ar_search_cfg_default();
    c.method = AR_METHOD_BLOCK_WEIGHTS;
    snprintf(c.block, sizeof c.block, "layer3.0");
    c.search_epochs = 3, c.finetune_epochs = 0, c.batch = 16, c.seed = 9, c.lr = 0.1;
    ar_search_result_t plain, dp;
    CHECK_OK(ar_search_run(g, &c, train, val, NULL, NULL, &plain, &e), &e);
    ar_dp_t d = {.part = 0, .parts = 1, .micro = 16};
    c.dp = &d;
    CHECK_OK(ar_search_run(g, &c, train, val, NULL, NULL, &dp, &e), &e);
    if (plain.model && dp.model) {
        double diff = max_diff(plain.model, dp.model);
        CHECK(diff < 1e-4 && diff > 0 ? 1 : diff == 0, "micro = batch: max |diff| %g", diff);
        CHECK(fabs(plain.last_loss - dp.last_loss) < 1e-5, "loss %g vs %g", plain.last_loss,
              dp.last_loss);
        printf("one member, micro-batch = batch: max |weight diff| %.3g vs whole-batch steps\n", diff);
    }
    ar_search_result_free(&plain), ar_search_result_free(&dp);
    /* a member holding only some slots needs an exchange */
    ar_dp_t bad = {.part = 0, .parts = 2, .micro = 4};
    c.dp = &bad;
    CHECK(ar_search_run(g, &c, train, val, NULL, NULL, &dp, &e) == AR_E_ARG &&
              strstr(e.msg, "member 0 of 2"),
          "two members without an exchange: %s", e.msg);
}

int main(void)
{
    ar_err_t e = {0};
    ar_par_set_default_threads(1);
    patch_fixture_t f;
    int ok = patch_fixture_init(&f, 90, 30, &e) == 0; /* 90 = 5 full steps + a short one */
    CHECK(ok, "zoo: %s", e.msg);
    if (!ok) TEST_MAIN_END();
    ar_tensor_t xc = ar_tensor_4d(30, 1, 8, 8);
    ar_tensor_alloc(&xc);
    memcpy(xc.data, f.xv.data, 30 * 64 * 4);
    for (int64_t i = 0; i < 30 * 64; i++) xc.data[i] += (float)(0.5 * ((i * 7919) % 13 - 6) / 6.0);
    ar_imgset_t val[2] = {f.val, {&xc, f.yv, NULL}};
    test_members(f.g, AR_METHOD_BLOCK_WEIGHTS, &f.train, val);
    test_members(f.g, AR_METHOD_ARCHREPAIR, &f.train, val);
    test_members(f.g, AR_METHOD_FINETUNE, &f.train, val);
    test_whole_batch(f.g, &f.train, &f.val);
    ar_tensor_free(&xc);
    patch_fixture_free(&f);
    TEST_MAIN_END();
}
