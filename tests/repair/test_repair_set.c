/* test_repair_set.c - repair and validation sets from a dataset file: sizes,
 * failing rows first and really misclassified, the same bytes on a rebuild,
 * augmentation that changes images (and only some), and errors; a set built
 * by 2, 3 or 4 parts sharing its predictions (threads through an in-process
 * exchange) is the one built alone, byte for byte. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "io/h5.h"
#include "nn/plan.h"
#include "nn/zoo.h"
#include "repair/repair_set.h"

#define XCH_MAXP 4
#include "dp_xch.h"

typedef struct member {
    ar_graph_t *g;
    const ar_repair_set_cfg_t *c;
    xref_t xr;
    ar_repair_set_t set;
    int st;
    ar_err_t e;
} member_t;

static void *member_main(void *arg)
{
    member_t *m = arg;
    ar_repair_set_share_t sh = {.part = m->xr.part, .parts = m->xr.x->parts, .reduce = xch_reduce,
                                .ctx = &m->xr};
    m->st = ar_repair_set_build_shared(m->g, m->c, &sh, &m->set, &m->e);
    return NULL;
}

static int same_set(const ar_repair_set_t *a, const ar_repair_set_t *b, int classes)
{
    int64_t n = a->x.shape[0], img = ar_tensor_numel(&a->x) / n, nv = a->xv.shape[0];
    return b->x.shape[0] == n && a->nfailing == b->nfailing && a->pool_acc == b->pool_acc &&
           a->val_clean0 == b->val_clean0 && a->val_corrupt0 == b->val_corrupt0 &&
           !memcmp(a->x.data, b->x.data, (size_t)(n * img) * 4) &&
           !memcmp(a->y, b->y, (size_t)n * sizeof *a->y) && !memcmp(a->idx, b->idx, (size_t)n * 8) &&
           !memcmp(a->soft, b->soft, (size_t)(n * classes) * 4) &&
           !memcmp(a->xvk.data, b->xvk.data, (size_t)(nv * img) * 4);
}

/* Builds c with `parts` threads sharing the predictions; 1 when every
 * member's set equals ref. */
static int shared_equals(ar_graph_t *g, const ar_repair_set_cfg_t *c, int parts,
                         const ar_repair_set_t *ref)
{
    xch_t x = {.parts = parts};
    pthread_mutex_init(&x.mu, NULL);
    pthread_cond_init(&x.cv, NULL);
    member_t m[XCH_MAXP];
    pthread_t th[XCH_MAXP];
    memset(m, 0, sizeof m);
    for (int j = 0; j < parts; j++) {
        m[j].g = g, m[j].c = c, m[j].xr = (xref_t){&x, j};
        pthread_create(&th[j], NULL, member_main, &m[j]);
    }
    int ok = 1;
    for (int j = 0; j < parts; j++) pthread_join(th[j], NULL);
    for (int j = 0; j < parts; j++) {
        CHECK_OK(m[j].st, &m[j].e);
        ok &= !m[j].st && same_set(&m[j].set, ref, g->num_classes);
        ar_repair_set_free(&m[j].set);
    }
    printf("%d parts: %lld floats exchanged\n", parts, (long long)x.floats);
    free(x.sum), free(x.cat);
    pthread_mutex_destroy(&x.mu);
    pthread_cond_destroy(&x.cv);
    return ok;
}

static int write_data(const char *path, int n)
{
    ar_err_t e = {0};
    uint8_t *px = malloc((size_t)n * 144);
    int64_t *lab = malloc((size_t)n * sizeof *lab);
    ar_rng_t r;
    ar_rng_init(&r, 4);
    for (int i = 0; i < n; i++) {
        lab[i] = (int64_t)ar_rng_below(&r, 3);
        for (int j = 0; j < 144; j++) px[i * 144 + j] = (uint8_t)ar_rng_below(&r, 256);
    }
    ar_h5_t *h = ar_h5_create(path, &e);
    int st = h ? 0 : 1;
    if (!st) st = ar_h5_write(h, "/images", AR_DT_U8, 4, (int64_t[]){n, 12, 12, 1}, px, 0, &e);
    if (!st) st = ar_h5_write(h, "/labels", AR_DT_I64, 1, (int64_t[]){n}, lab, 0, &e);
    if (!st) st = ar_h5_commit(&h, &e);
    ar_h5_destroy(&h);
    free(px);
    free(lab);
    return st;
}

int main(void)
{
    ar_err_t e = {0};
    const char *path = test_tmp("repair_set_data.h5");
    CHECK(write_data(path, 300) == 0, "data");
    ar_zoo_opts_t zo = {.in_c = 1, .in_h = 12, .in_w = 12, .num_classes = 3, .width = 0.25, .seed = 2};
    ar_graph_t *g = ar_zoo_build("resnet20", &zo, &e);
    float mean = 0.5f, std = 0.25f;
    ar_repair_set_cfg_t c = {.path = path, .pool = 120, .val = 50, .failing = 30, .sample = 20,
                             .augment = 0.5, .ncorruptions = 2, .nseverities = 1, .seed = 9,
                             .mean = &mean, .std = &std, .batch = 32};
    c.corruptions[0] = AR_CORRUPT_GAUSSIAN_NOISE, c.corruptions[1] = AR_CORRUPT_CONTRAST;
    c.severities[0] = 3;
    const ar_repair_set_cfg_t c0 = c; /* a's */
    ar_repair_set_t a, b, clean;
    CHECK_OK(ar_repair_set_build(g, &c, &a, &e), &e);
    CHECK(a.x.shape[0] == a.nfailing + 20 && a.nfailing > 0 && a.nfailing <= 30 &&
              a.xv.shape[0] == 50 && a.pool_acc > 0 && a.pool_acc < 1,
          "sizes: %lld repair (%lld failing), pool acc %g", (long long)a.x.shape[0],
          (long long)a.nfailing, a.pool_acc);
    /* the failing rows are misclassified by the model, the others are not */
    ar_plan_opts_t po = {.batch = (int)a.x.shape[0]};
    ar_plan_t *p = ar_plan_new(g, &po, &e);
    CHECK_OK(ar_plan_forward(p, &a.x, AR_MODE_EVAL, &e), &e);
    const ar_tensor_t *lg = ar_plan_logits(p);
    int agree = 1;
    for (int64_t i = 0; i < a.x.shape[0]; i++) {
        const float *row = lg->data + i * 3;
        int best = row[1] > row[0] ? 1 : 0;
        if (row[2] > row[best]) best = 2;
        agree &= (best != a.y[i]) == (i < a.nfailing);
    }
    CHECK(agree, "failing rows first, exactly the misclassified ones");
    ar_plan_destroy(&p);
    CHECK_OK(ar_repair_set_build(g, &c, &b, &e), &e);
    CHECK(b.x.shape[0] == a.x.shape[0] &&
              memcmp(a.x.data, b.x.data, (size_t)ar_tensor_numel(&a.x) * 4) == 0 &&
              memcmp(a.xv.data, b.xv.data, (size_t)ar_tensor_numel(&a.xv) * 4) == 0,
          "a rebuild gives the same sets");
    c.augment = 0;
    CHECK_OK(ar_repair_set_build(g, &c, &clean, &e), &e);
    int64_t differ = 0, img = 144;
    for (int64_t i = 0; i < 50; i++)
        differ += memcmp(clean.xv.data + i * img, a.xv.data + i * img, (size_t)img * 4) != 0;
    CHECK(differ > 5 && differ < 45, "augmentation corrupts about half the images (%lld of 50)",
          (long long)differ);
    /* the selection versions: xvc is the clean set whatever augment is, every
     * xvk image is corrupted, and an image the augmentation corrupted is
     * corrupted the same way in xvk */
    int64_t kdiff = 0, same_aug = 1;
    for (int64_t i = 0; i < 50; i++) {
        int aug = memcmp(clean.xv.data + i * img, a.xv.data + i * img, (size_t)img * 4) != 0;
        kdiff += memcmp(a.xvk.data + i * img, a.xvc.data + i * img, (size_t)img * 4) != 0;
        if (aug) same_aug &= memcmp(a.xvk.data + i * img, a.xv.data + i * img, (size_t)img * 4) == 0;
    }
    CHECK(a.xvc.shape[0] == 50 && a.xvk.shape[0] == 50 &&
              memcmp(a.xvc.data, clean.xv.data, 50 * 144 * 4) == 0 &&
              memcmp(clean.xvc.data, clean.xv.data, 50 * 144 * 4) == 0,
          "clean validation version");
    CHECK(kdiff == 50 && same_aug, "every corrupted validation image differs from its clean one "
          "(%lld of 50), as the augmentation draws it", (long long)kdiff);
    CHECK(a.val_clean0 > 0 && a.val_clean0 < 1 && a.val_corrupt0 > 0 && a.val_corrupt0 < 1 &&
              a.val_clean0 == clean.val_clean0 && a.val_corrupt0 == b.val_corrupt0,
          "the original's validation accuracies: clean %g, corrupted %g", a.val_clean0,
          a.val_corrupt0);
    /* each repair row's clean image and the model's softmax on it; redraw:
     * epoch 0 is the set as built, epoch 1 another draw (about half the
     * corrupted rows change, clean-drawn rows are the clean image),
     * reproducible */
    {
        int64_t n = a.x.shape[0];
        ar_tensor_t r0 = a.x, r1 = a.x, r1b = a.x;
        r0.data = NULL, r1.data = NULL, r1b.data = NULL;
        ar_tensor_alloc(&r0), ar_tensor_alloc(&r1), ar_tensor_alloc(&r1b);
        ar_corrupt_ctx_t *cc = ar_corrupt_ctx_new(NULL, 12, 12, 1, &e);
        c.augment = 0.5; /* a's */
        CHECK(cc != NULL, "corrupt ctx: %s", e.msg);
        CHECK_OK(ar_repair_set_redraw(&a, &c, cc, 0, NULL, 0, &r0, &e), &e);
        CHECK_OK(ar_repair_set_redraw(&a, &c, cc, 1, NULL, 0, &r1, &e), &e);
        CHECK_OK(ar_repair_set_redraw(&a, &c, cc, 1, NULL, 0, &r1b, &e), &e);
        CHECK(memcmp(r0.data, a.x.data, (size_t)n * img * 4) == 0, "redraw epoch 0 = the set as built");
        CHECK(memcmp(r1.data, r1b.data, (size_t)n * img * 4) == 0, "redraw is reproducible");
        int64_t changed = 0, soft_ok = 1;
        for (int64_t i = 0; i < n; i++) {
            changed += memcmp(r1.data + i * img, a.x.data + i * img, (size_t)img * 4) != 0;
            double sum = 0;
            for (int k = 0; k < 3; k++) sum += a.soft[i * 3 + k];
            soft_ok &= fabs(sum - 1) < 1e-5 && a.idx[i] >= 0 && a.idx[i] < 300;
        }
        CHECK(changed > n / 5 && changed < n, "epoch 1 redraws some rows (%lld of %lld)",
              (long long)changed, (long long)n);
        CHECK(soft_ok, "soft targets are probability rows, indices in range");
        /* a row drawn clean equals its clean image, normalised */
        int64_t clean_rows = 0, clean_ok = 1;
        for (int64_t i = 0; i < n; i++) {
            int same = 1;
            for (int64_t j = 0; j < img && same; j++)
                same = fabsf(a.x.data[i * img + j] - (a.clean[i * img + j] / 255.0f - mean) / std) < 1e-5f;
            clean_rows += same;
        }
        CHECK(clean_rows > 0 && clean_rows < n && clean_ok, "some rows are clean as built (%lld)",
              (long long)clean_rows);
        ar_corrupt_ctx_destroy(&cc);
        ar_tensor_free(&r0), ar_tensor_free(&r1), ar_tensor_free(&r1b);
    }
    /* the pool as a dataset: rows pool..pool+val are the validation images */
    c.augment = 0.5;
    ar_dataset_t *pd = ar_repair_pool_open(&c, 170, &e);
    CHECK(pd != NULL && ar_dataset_info(pd)->count == 170, "pool dataset: %s", e.msg);
    if (pd) {
        ar_tensor_t xv = ar_tensor_4d(50, 1, 12, 12);
        ar_tensor_alloc(&xv);
        int32_t yv[50];
        uint8_t scratch[50 * 144];
        CHECK_OK(ar_dataset_read_batch(pd, 120, 50, &mean, &std, &xv, yv, scratch, &e), &e);
        CHECK(memcmp(xv.data, a.xv.data, 50 * 144 * 4) == 0 && memcmp(yv, a.yv, sizeof yv) == 0,
              "pool dataset rows 120..169 are the validation set");
        ar_tensor_free(&xv);
        ar_dataset_destroy(&pd);
    }
    /* repair.skip: pool and validation come only from images skip.. (here
     * exactly 130..299, each once), and too large a skip is an error */
    {
        ar_repair_set_cfg_t k = c;
        k.skip = 130, k.augment = 0;
        ar_data_source_t src = {.path = path};
        ar_dataset_t *raw = ar_dataset_open(&src, &e), *pk = ar_repair_pool_open(&k, 170, &e);
        CHECK(raw && pk, "skip: open: %s", e.msg);
        static uint8_t all[300 * 144], got[170 * 144];
        int32_t lab[300];
        int seen[300] = {0}, ok = raw && pk;
        if (ok) {
            CHECK_OK(ar_dataset_read_u8(raw, 0, 300, all, lab, &e), &e);
            CHECK_OK(ar_dataset_read_u8(pk, 0, 170, got, lab, &e), &e);
            for (int i = 0; i < 170; i++)
                for (int j = 0; j < 300; j++)
                    if (memcmp(got + i * 144, all + j * 144, 144) == 0) seen[j]++;
            for (int j = 0; j < 300; j++) ok &= seen[j] == (j >= 130);
        }
        CHECK(ok, "skip 130: the pool dataset is exactly images 130..299");
        ar_dataset_destroy(&raw);
        ar_dataset_destroy(&pk);
        ar_repair_set_t ks;
        CHECK_OK(ar_repair_set_build(g, &k, &ks, &e), &e);
        ar_repair_set_free(&ks);
        k.skip = 131;
        CHECK(ar_repair_set_build(g, &k, &ks, &e) == AR_E_ARG && strstr(e.msg, "131 skipped"),
              "skip leaving too few images: %s", e.msg);
    }
    c.pool = 280;
    ar_repair_set_t bad;
    CHECK(ar_repair_set_build(g, &c, &bad, &e) == AR_E_ARG && strstr(e.msg, "300 images"),
          "too small a source: %s", e.msg);
    /* shared predictions: 120 pool images in batches of 32 = 4 batches, so
     * 4 parts have one each and 3 parts 2, 1, 1 */
    for (int parts = 2; parts <= 4; parts++)
        CHECK(shared_equals(g, &c0, parts, &a), "%d parts share the build: the same set", parts);
    ar_repair_set_free(&a);
    ar_repair_set_free(&b);
    ar_repair_set_free(&clean);
    ar_graph_destroy(&g);
    remove(path);
    TEST_MAIN_END();
}
