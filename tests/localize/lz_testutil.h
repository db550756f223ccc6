/* lz_testutil.h - helpers of the localization tests: the first n rows of
 * Fashion-MNIST and a row subset as datasets of their own, and damaging one
 * block of a model. */
#ifndef AR_TEST_LZ_TESTUTIL_H
#define AR_TEST_LZ_TESTUTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "nn/graph.h"

typedef struct head_ds {
    ar_dataset_t *base;
} head_ds_t;

static int head_read(void *self, int64_t start, int64_t count, uint8_t *px, int32_t *lab, ar_err_t *err)
{
    head_ds_t *h = self;
    return ar_dataset_read_u8(h->base, start, count, px, lab, err);
}

static void head_destroy(void *self)
{
    head_ds_t *h = self;
    ar_dataset_destroy(&h->base);
    free(h);
}

/* The first n rows of the Fashion-MNIST split (NULL with err on failure). */
static ar_dataset_t *fmnist_head(const char *split, int64_t n, ar_err_t *err)
{
    ar_data_source_t src = {.path = "/usr/share/datasets/fashion-mnist", .split = split};
    ar_dataset_t *base = ar_dataset_open(&src, err);
    if (!base) return NULL;
    ar_dataset_info_t in = *ar_dataset_info(base);
    if (n < in.count) in.count = n;
    in.class_names = NULL;
    head_ds_t *h = calloc(1, sizeof *h);
    if (!h) {
        ar_dataset_destroy(&base);
        return NULL;
    }
    h->base = base;
    static const ar_dataset_vt_t vt = {.read = head_read, .destroy = head_destroy};
    return ar_dataset_new_custom(&in, &vt, h, err);
}

typedef struct subset_ds {
    ar_dataset_t *base;     /* borrowed */
    int64_t *rows;          /* owned */
} subset_ds_t;

static int subset_read(void *self, int64_t start, int64_t count, uint8_t *px, int32_t *lab, ar_err_t *err)
{
    subset_ds_t *d = self;
    const ar_dataset_info_t *in = ar_dataset_info(d->base);
    size_t img = (size_t)in->height * in->width * in->channels;
    for (int64_t i = 0; i < count; i++) {
        int s = ar_dataset_read_u8(d->base, d->rows[start + i], 1, px ? px + i * img : NULL, lab ? lab + i : NULL, err);
        if (s) return s;
    }
    return AR_OK;
}

static void subset_destroy(void *self)
{
    subset_ds_t *d = self;
    free(d->rows);
    free(d);
}

/* The rows of base (borrowed, must outlive the result) with keep[i] != 0. */
static ar_dataset_t *subset(ar_dataset_t *base, const uint8_t *keep, ar_err_t *err)
{
    ar_dataset_info_t in = *ar_dataset_info(base);
    subset_ds_t *d = calloc(1, sizeof *d);
    if (!d || !(d->rows = malloc((size_t)in.count * sizeof *d->rows))) {
        free(d);
        return NULL;
    }
    d->base = base;
    int64_t n = 0;
    for (int64_t i = 0; i < in.count; i++)
        if (keep[i]) d->rows[n++] = i;
    in.count = n;
    in.class_names = NULL;
    static const ar_dataset_vt_t vt = {.read = subset_read, .destroy = subset_destroy};
    return ar_dataset_new_custom(&in, &vt, d, err);
}

/* Multiplies the BN scale (weight) of `nch` channels (a keyed choice) of
 * the first batchnorm2d of block by factor: those neurons' deviations from
 * their mean are amplified, so inputs that activate them above the mean push
 * a large value through the ReLU (and tend to fail) while inputs below the
 * mean are cut by the ReLU as before. Returns the channels changed. */
static int amplify_block(ar_graph_t *g, const char *block, int nch, double factor, uint64_t seed)
{
    for (int i = 0; i < g->nnodes; i++) {
        ar_node_t *nd = &g->nodes[i];
        if (strcmp(nd->block, block) || nd->op != AR_OP_BATCHNORM2D) continue;
        ar_param_t *w = ar_graph_param(g, i, "weight");
        int64_t oc = w->value.shape[0];
        ar_rng_t r;
        ar_rng_init(&r, ar_rng_key(seed, (uint64_t[]){ar_rng_hash_str(nd->name)}, 1));
        int done = 0;
        uint8_t hit[4096] = {0};
        while (done < nch && done < oc && oc <= 4096) {
            int64_t c = (int64_t)ar_rng_below(&r, (uint64_t)oc);
            if (hit[c]) continue;
            hit[c] = 1;
            w->value.data[c] *= (float)factor;
            done++;
        }
        return done;
    }
    return 0;
}

#endif
