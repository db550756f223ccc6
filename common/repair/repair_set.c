/* repair_set.c - repair and validation sets from training data (repair_set.h). */
#include "repair_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "nn/evaluate.h"
#include "nn/plan.h"

void ar_repair_set_free(ar_repair_set_t *s)
{
    if (!s) return;
    ar_tensor_free(&s->x);
    ar_tensor_free(&s->xv);
    ar_tensor_free(&s->xvc);
    ar_tensor_free(&s->xvk);
    free(s->y);
    free(s->yv);
    free(s->idx);
    free(s->clean);
    free(s->soft);
    memset(s, 0, sizeof *s);
}

/* Source image idx (clean, uint8 HWC h x w x ch) into px, corrupted by the
 * augmentation draw of (idx, epoch) (repair_set.h; epoch 0: the set as
 * built, whose keys have no epoch). */
static int augment_image(ar_corrupt_ctx_t *cc, const ar_repair_set_cfg_t *c, int64_t idx,
                         int epoch, const uint8_t *clean, uint8_t *px, int h, int w, int ch,
                         ar_err_t *err)
{
    if (c->augment > 0) {
        uint64_t ids[3] = {ar_rng_hash_str("augment"), (uint64_t)idx, (uint64_t)epoch};
        ar_rng_t r;
        ar_rng_init(&r, ar_rng_key(c->seed, ids, epoch ? 3 : 2));
        if (ar_rng_uniform(&r) < c->augment) {
            int k = c->corruptions[ar_rng_below(&r, (uint64_t)c->ncorruptions)];
            int s = c->severities[ar_rng_below(&r, (uint64_t)c->nseverities)];
            uint64_t e[2] = {ar_rng_hash_str("epoch"), (uint64_t)epoch};
            uint64_t seed = epoch ? ar_rng_key(c->seed, e, 2) : c->seed;
            return ar_corrupt_image(cc, k, s, seed, idx, clean, px, h, w, ch, err);
        }
    }
    memcpy(px, clean, (size_t)h * w * ch);
    return AR_OK;
}

/* Reads dataset image idx into px (uint8 HWC) and *label, corrupted by the
 * augmentation draw of that index (repair_set.h); tmp holds one image. */
static int pool_image(ar_dataset_t *ds, ar_corrupt_ctx_t *cc, const ar_repair_set_cfg_t *c,
                      int64_t idx, uint8_t *px, uint8_t *tmp, int32_t *label, ar_err_t *err)
{
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    int st = ar_dataset_read_u8(ds, idx, 1, tmp, label, err);
    if (st) return st;
    return augment_image(cc, c, idx, 0, tmp, px, in->height, in->width, in->channels, err);
}

int ar_repair_set_redraw(const ar_repair_set_t *s, const ar_repair_set_cfg_t *c,
                         ar_corrupt_ctx_t *cc, int epoch, const int64_t *rows, int64_t nrows,
                         ar_tensor_t *x, ar_err_t *err)
{
    const int64_t n = rows ? nrows : s->x.shape[0];
    const int ch = (int)s->x.shape[1], h = (int)s->x.shape[2], w = (int)s->x.shape[3];
    const size_t img = (size_t)h * w * ch;
    uint8_t *px = malloc(img);
    int st = px ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int64_t k = 0; k < n && !st; k++) {
        int64_t i = rows ? rows[k] : k;
        st = augment_image(cc, c, s->idx[i], epoch, s->clean + i * img, px, h, w, ch, err);
        if (!st) ar_normalize_nhwc(px, 1, h, w, ch, c->mean, c->std, x->data + i * img);
    }
    free(px);
    return st;
}

/* Reads (and maybe corrupts) images idx[0..n) into normalised x, labels y. */
static int load(ar_dataset_t *ds, ar_corrupt_ctx_t *cc, const ar_repair_set_cfg_t *c,
                const int64_t *idx, int64_t n, ar_tensor_t *x, int32_t *y, ar_err_t *err)
{
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    int h = in->height, w = in->width, ch = in->channels;
    size_t img = (size_t)h * w * ch;
    uint8_t *a = malloc(img), *b = malloc(img);
    int st = (!a || !b) ? ar_err_set(err, AR_E_NOMEM, "out of memory") : AR_OK;
    for (int64_t i = 0; i < n && !st; i++) {
        st = pool_image(ds, cc, c, idx[i], a, b, &y[i], err);
        if (!st) ar_normalize_nhwc(a, 1, h, w, ch, c->mean, c->std, x->data + (size_t)i * img);
    }
    free(a), free(b);
    return st;
}

/* The permutation of the source's images skip..N-1 (N - skip of them)
 * keyed by the seed. */
static void pool_perm(const ar_repair_set_cfg_t *c, int64_t *perm, int64_t N)
{
    N -= c->skip;
    for (int64_t i = 0; i < N; i++) perm[i] = c->skip + i;
    uint64_t id = ar_rng_hash_str("pool");
    ar_rng_t r;
    ar_rng_init(&r, ar_rng_key(c->seed, &id, 1));
    ar_rng_shuffle(&r, perm, N);
}

/* 1 per image the model gets right (ok), the model's softmax (probs); either
 * may be NULL. *plan: made on first use (batch `batch`), kept for the next. Shared: this part's whole batches only, then every part's
 * gathered (ar_repair_set_share_t). */
static int predict(ar_graph_t *g, ar_plan_t **plan, const ar_tensor_t *x, const int32_t *y,
                   int batch, const ar_repair_set_share_t *sh, uint8_t *ok, float *probs,
                   ar_err_t *err)
{
    const int64_t n = x->shape[0], k = g->num_classes, img = ar_tensor_numel(x) / (n ? n : 1);
    int64_t blo = 0, bhi = (n + batch - 1) / batch, nb = bhi;
    if (sh && sh->parts > 1) ar_fold_part(nb, sh->part, sh->parts, &blo, &bhi);
    const int64_t a = blo * batch, b = bhi * batch < n ? bhi * batch : n;
    const int64_t q = (int64_t)batch * (1 + (probs ? k : 0)); /* floats per batch */
    uint8_t *mok = NULL;
    float *mprob = NULL, *mine = NULL, *all = NULL;
    int st = AR_OK;
    if (sh && sh->parts > 1) {
        mok = calloc((size_t)(b > a ? b - a : 1), 1);
        mprob = probs ? calloc((size_t)((b > a ? b - a : 1) * k), sizeof *mprob) : NULL;
        mine = calloc((size_t)((bhi - blo) * q + 1), sizeof *mine);
        all = calloc((size_t)(nb * q + 1), sizeof *all);
        if (!mok || (probs && !mprob) || !mine || !all)
            st = ar_err_set(err, AR_E_NOMEM, "repair set: out of memory");
    }
    if (!st && b > a) {
        ar_plan_opts_t po = {.batch = batch, .fold_bn = 1, .lean = 1}; /* only the logits are read */
        if (!*plan && !(*plan = ar_plan_new(g, &po, err))) st = err->status;
        ar_tensor_t view = *x; /* images a..b-1, not owned */
        view.shape[0] = b - a;
        view.data = x->data + a * img;
        ar_eval_images_t images = {.x = &view, .y = y + a};
        ar_eval_opts_t o = {.count = b - a, .read = ar_eval_images_read, .read_ctx = &images,
                            .correct = mok ? mok : (ok ? ok + a : NULL),
                            .probs = mprob ? mprob : (probs ? probs + a * k : NULL)};
        ar_eval_result_t r;
        if (!st) st = ar_evaluate(*plan, &o, &r, err);
    }
    if (!st && mine) { /* per batch: ok flags, then the softmax rows */
        for (int64_t i = a; i < b; i++) {
            float *row = mine + ((i / batch) - blo) * q;
            row[i % batch] = mok[i - a];
            if (probs) memcpy(row + batch + (i % batch) * k, mprob + (i - a) * k, (size_t)k * sizeof *row);
        }
        ar_dp_rows_t in = {.nslots = nb, .lo = blo, .hi = bhi, .sum_len = 0, .cat_len = q,
                           .sum = mine, .cat = mine};
        float none = 0;
        st = sh->reduce(sh->ctx, &in, &none, all, err);
        for (int64_t i = 0; !st && i < n; i++) {
            const float *row = all + (i / batch) * q;
            if (ok) ok[i] = row[i % batch] != 0;
            if (probs) memcpy(probs + i * k, row + batch + (i % batch) * k, (size_t)k * sizeof *probs);
        }
        if (st) ar_err_prefix(err, "repair set: sharing the predictions");
    }
    free(mok), free(mprob), free(mine), free(all);
    return st;
}

/* The repair rows' source indices, clean images and the model's softmax on
 * them (pool row rows[i] is source image perm[rows[i]]). */
static int clean_rows(ar_dataset_t *ds, ar_graph_t *g, ar_plan_t **plan,
                      const ar_repair_set_cfg_t *c, const ar_repair_set_share_t *sh, const int64_t *perm, const int64_t *rows,
                      ar_repair_set_t *out, ar_err_t *err)
{
    const int64_t n = out->x.shape[0];
    const size_t img = (size_t)g->in_c * g->in_h * g->in_w;
    ar_tensor_t xc = ar_tensor_4d(n, g->in_c, g->in_h, g->in_w);
    out->idx = malloc((size_t)n * sizeof *out->idx);
    out->clean = malloc((size_t)n * img);
    out->soft = malloc((size_t)n * (size_t)g->num_classes * sizeof *out->soft);
    int32_t lab;
    int st = (!out->idx || !out->clean || !out->soft || ar_tensor_alloc(&xc))
                 ? ar_err_set(err, AR_E_NOMEM, "repair set: out of memory")
                 : AR_OK;
    for (int64_t i = 0; i < n && !st; i++) {
        out->idx[i] = perm[rows[i]];
        st = ar_dataset_read_u8(ds, out->idx[i], 1, out->clean + i * img, &lab, err);
        if (!st)
            ar_normalize_nhwc(out->clean + i * img, 1, g->in_h, g->in_w, g->in_c, c->mean, c->std,
                              xc.data + i * img);
    }
    if (!st) st = predict(g, plan, &xc, out->y, c->batch, sh, NULL, out->soft, err);
    ar_tensor_free(&xc);
    return st;
}

int ar_repair_set_build(ar_graph_t *g, const ar_repair_set_cfg_t *c, ar_repair_set_t *out,
                        ar_err_t *err)
{
    return ar_repair_set_build_shared(g, c, NULL, out, err);
}

int ar_repair_set_build_shared(ar_graph_t *g, const ar_repair_set_cfg_t *c,
                               const ar_repair_set_share_t *sh, ar_repair_set_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (c->pool < 1 || c->val < 1 || c->failing + c->sample < 1 || c->batch < 1 ||
        (c->augment > 0 && (c->ncorruptions < 1 || c->nseverities < 1)))
        return ar_err_set(err, AR_E_ARG, "repair set: bad sizes or empty corruption list");
    ar_data_source_t src = {.path = c->path, .split = c->split};
    ar_dataset_t *ds = ar_dataset_open(&src, err);
    if (!ds) return err->status;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    ar_corrupt_ctx_t *cc = NULL;
    int64_t *perm = NULL, *rows = NULL;
    int32_t *py = NULL;
    uint8_t *ok = NULL;
    ar_tensor_t px = {0};
    ar_plan_t *plan = NULL; /* the predictions' (one for all of them) */
    int st = AR_OK;
    if (in->height != g->in_h || in->width != g->in_w || in->channels != g->in_c) {
        st = ar_err_set(err, AR_E_ARG, "%s: images %dx%dx%d, the model takes %dx%dx%d", c->path,
                        in->height, in->width, in->channels, g->in_h, g->in_w, g->in_c);
        goto done;
    }
    if (c->skip < 0 || in->count - c->skip < c->pool + c->val) {
        st = ar_err_set(err, AR_E_ARG, "%s: %lld images (%lld skipped), repair pool + validation need %lld",
                        c->path, (long long)in->count, (long long)c->skip, (long long)(c->pool + c->val));
        goto done;
    }
    if (c->augment > 0 && !(cc = ar_corrupt_ctx_new(NULL, in->height, in->width, in->channels, err))) {
        st = err->status;
        goto done;
    }
    int64_t N = in->count;
    perm = malloc((size_t)N * sizeof *perm);
    rows = malloc((size_t)c->pool * sizeof *rows);
    py = malloc((size_t)c->pool * sizeof *py);
    ok = malloc((size_t)c->pool);
    out->yv = malloc((size_t)c->val * sizeof *out->yv);
    px = ar_tensor_4d(c->pool, g->in_c, g->in_h, g->in_w);
    out->xv = ar_tensor_4d(c->val, g->in_c, g->in_h, g->in_w);
    out->xvc = ar_tensor_4d(c->val, g->in_c, g->in_h, g->in_w);
    out->xvk = ar_tensor_4d(c->val, g->in_c, g->in_h, g->in_w);
    int32_t *yv2 = malloc((size_t)c->val * sizeof *yv2);
    uint8_t *okv = malloc((size_t)c->val);
    if (!perm || !rows || !py || !ok || !out->yv || !yv2 || !okv || ar_tensor_alloc(&px) ||
        ar_tensor_alloc(&out->xv) || ar_tensor_alloc(&out->xvc) || ar_tensor_alloc(&out->xvk)) {
        free(yv2), free(okv);
        st = ar_err_set(err, AR_E_NOMEM, "repair set: out of memory");
        goto done;
    }
    pool_perm(c, perm, N);
    if ((st = load(ds, cc, c, perm, c->pool, &px, py, err)) ||
        (st = load(ds, cc, c, perm + c->pool, c->val, &out->xv, out->yv, err)) ||
        (st = predict(g, &plan, &px, py, c->batch, sh, ok, NULL, err)))
        goto val_done;
    /* the selection versions of the validation images: clean, all corrupted */
    ar_repair_set_cfg_t cl = *c, co = *c;
    cl.augment = 0;
    co.augment = c->ncorruptions > 0 && c->nseverities > 0 ? 1.0 : 0.0;
    if (co.augment > 0 && !cc &&
        !(cc = ar_corrupt_ctx_new(NULL, in->height, in->width, in->channels, err))) {
        st = err->status;
        goto val_done;
    }
    double acc[2] = {0, 0};
    for (int v = 0; v < 2 && !st; v++) {
        ar_tensor_t *xs = v ? &out->xvk : &out->xvc;
        st = load(ds, cc, v ? &co : &cl, perm + c->pool, c->val, xs, yv2, err);
        if (!st) st = predict(g, &plan, xs, yv2, c->batch, sh, okv, NULL, err);
        for (int64_t i = 0; i < c->val && !st; i++) acc[v] += okv[i];
        acc[v] /= (double)c->val;
    }
    out->val_clean0 = acc[0], out->val_corrupt0 = acc[1];
val_done:
    free(yv2), free(okv);
    if (st) goto done;
    int64_t nf = 0, ns = 0, right = 0;
    for (int64_t i = 0; i < c->pool; i++) right += ok[i];
    for (int64_t i = 0; i < c->pool && nf < c->failing; i++)
        if (!ok[i]) rows[nf++] = i;
    for (int64_t i = 0; i < c->pool && ns < c->sample; i++)
        if (ok[i]) rows[nf + ns++] = i;
    if (nf + ns < 2) {
        st = ar_err_set(err, AR_E_ARG, "repair set: only %lld images selected", (long long)(nf + ns));
        goto done;
    }
    int64_t img = ar_tensor_numel(&px) / c->pool;
    out->x = ar_tensor_4d(nf + ns, g->in_c, g->in_h, g->in_w);
    out->y = malloc((size_t)(nf + ns) * sizeof *out->y);
    if (ar_tensor_alloc(&out->x) || !out->y) {
        st = ar_err_set(err, AR_E_NOMEM, "repair set: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < nf + ns; i++) {
        memcpy(out->x.data + i * img, px.data + rows[i] * img, (size_t)img * sizeof(float));
        out->y[i] = py[rows[i]];
    }
    if ((st = clean_rows(ds, g, &plan, c, sh, perm, rows, out, err))) goto done;
    out->nfailing = nf;
    out->pool_acc = (double)right / (double)c->pool;
done:
    if (st) ar_repair_set_free(out);
    ar_tensor_free(&px);
    ar_plan_destroy(&plan);
    free(perm), free(rows), free(py), free(ok);
    ar_corrupt_ctx_destroy(&cc);
    ar_dataset_destroy(&ds);
    return st;
}

/* ---- the pool as a dataset --------------------------------------------------- */

typedef struct pool_ds {
    ar_dataset_t *base;
    ar_corrupt_ctx_t *cc;
    ar_repair_set_cfg_t c;
    int64_t *perm;              /* first count entries used */
    uint8_t *tmp;
    size_t img;
} pool_ds_t;

static void pool_destroy(void *self)
{
    pool_ds_t *p = self;
    if (!p) return;
    ar_dataset_destroy(&p->base);
    ar_corrupt_ctx_destroy(&p->cc);
    free(p->perm);
    free(p->tmp);
    free(p);
}

static int pool_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                     ar_err_t *err)
{
    pool_ds_t *p = self;
    for (int64_t i = 0; i < count; i++) {
        int32_t lab;
        uint8_t *dst = pixels ? pixels + (size_t)i * p->img : p->tmp + p->img;
        int st = pool_image(p->base, p->cc, &p->c, p->perm[start + i], dst, p->tmp, &lab, err);
        if (st) return st;
        if (labels) labels[i] = lab;
    }
    return AR_OK;
}

ar_dataset_t *ar_repair_pool_open(const ar_repair_set_cfg_t *c, int64_t count, ar_err_t *err)
{
    static const ar_dataset_vt_t vt = {.read = pool_read, .destroy = pool_destroy};
    pool_ds_t *p = calloc(1, sizeof *p);
    if (!p) {
        ar_err_set(err, AR_E_NOMEM, "out of memory");
        return NULL;
    }
    p->c = *c;
    ar_data_source_t src = {.path = c->path, .split = c->split};
    if (!(p->base = ar_dataset_open(&src, err))) goto fail;
    const ar_dataset_info_t *in = ar_dataset_info(p->base);
    if (count < 1 || c->skip < 0 || count > in->count - c->skip) {
        ar_err_set(err, AR_E_ARG, "%s: pool of %lld from %lld images (%lld skipped)", c->path,
                   (long long)count, (long long)in->count, (long long)c->skip);
        goto fail;
    }
    p->img = (size_t)in->height * in->width * in->channels;
    p->perm = malloc((size_t)in->count * sizeof *p->perm);
    p->tmp = malloc(2 * p->img);
    if (!p->perm || !p->tmp) {
        ar_err_set(err, AR_E_NOMEM, "out of memory");
        goto fail;
    }
    if (c->augment > 0 &&
        !(p->cc = ar_corrupt_ctx_new(NULL, in->height, in->width, in->channels, err)))
        goto fail;
    pool_perm(c, p->perm, in->count);
    ar_dataset_info_t info = *in;
    info.count = count;
    snprintf(info.format, sizeof info.format, "repair-pool");
    snprintf(info.name, sizeof info.name, "repair pool of %.100s", in->name);
    return ar_dataset_new_custom(&info, &vt, p, err);
fail:
    pool_destroy(p);
    return NULL;
}
