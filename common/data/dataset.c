/* dataset.c - the dataset object: wrapping implementations, range and index
 * reads, normalisation to float NCHW. */
#include "dataset.h"

#include <stdlib.h>
#include <string.h>

#include "core/par.h"
#include "data/readers.h"

struct ar_dataset {
    ar_dataset_info_t info;   /* class_names owned */
    ar_dataset_vt_t vt;
    void *self;
};

int ar_labels_import(const char *where, const int64_t *raw, int64_t n, int declared, int32_t *out,
                     int *num_classes, ar_err_t *err)
{
    int64_t max = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t l = raw[i];
        if (l < 0 || l > AR_MAX_LABEL || (declared > 0 && l >= declared)) {
            if (declared > 0)
                return ar_err_set(err, AR_E_FORMAT, "%s: label %lld of image %lld is out of range 0..%d",
                                  where, (long long)l, (long long)i, declared - 1);
            return ar_err_set(err, AR_E_FORMAT, "%s: label %lld of image %lld is out of range 0..%d",
                              where, (long long)l, (long long)i, AR_MAX_LABEL);
        }
        if (l > max) max = l;
        out[i] = (int32_t)l;
    }
    *num_classes = declared > 0 ? declared : (int)(max + 1);
    return AR_OK;
}

static void free_names(char **names, int n)
{
    if (!names) return;
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

ar_dataset_t *ar_dataset_new_custom(const ar_dataset_info_t *info, const ar_dataset_vt_t *vt,
                                    void *self, ar_err_t *err)
{
    ar_dataset_t *ds = calloc(1, sizeof *ds);
    if (!ds) goto nomem;
    ds->info = *info;
    ds->info.class_names = NULL;
    ds->vt = *vt;
    ds->self = self;
    if (info->class_names && info->num_classes > 0) {
        ds->info.class_names = calloc((size_t)info->num_classes, sizeof(char *));
        if (!ds->info.class_names) goto nomem;
        for (int i = 0; i < info->num_classes; i++)
            if (!(ds->info.class_names[i] = strdup(info->class_names[i] ? info->class_names[i] : "")))
                goto nomem;
    }
    return ds;
nomem:
    ar_err_set(err, AR_E_NOMEM, "%s: out of memory", info->name);
    if (ds) free_names(ds->info.class_names, info->num_classes);
    free(ds);
    if (vt->destroy) vt->destroy(self);
    return NULL;
}

void ar_dataset_destroy(ar_dataset_t **dsp)
{
    if (!dsp || !*dsp) return;
    ar_dataset_t *ds = *dsp;
    if (ds->vt.destroy) ds->vt.destroy(ds->self);
    free_names(ds->info.class_names, ds->info.num_classes);
    free(ds);
    *dsp = NULL;
}

const ar_dataset_info_t *ar_dataset_info(const ar_dataset_t *ds) { return &ds->info; }

int ar_dataset_read_u8(ar_dataset_t *ds, int64_t start, int64_t count, uint8_t *pixels,
                       int32_t *labels, ar_err_t *err)
{
    if (start < 0 || count < 0 || start > ds->info.count - count)
        return ar_err_set(err, AR_E_ARG, "%s: images %lld..%lld outside the dataset's %lld", ds->info.name,
                          (long long)start, (long long)(start + count), (long long)ds->info.count);
    if (count == 0 || (!pixels && !labels)) return AR_OK;
    return ds->vt.read(ds->self, start, count, pixels, labels, err);
}

/* Images [lo, hi) of ar_normalize_nhwc. */
static void normalize_images(const uint8_t *pixels, int64_t lo, int64_t hi, int h, int w, int c,
                             const float *mean, const float *std, float *out)
{
    /* The exact float32 formula of PyTorch's ToTensor + Normalize; written
     * per channel plane so the compiler vectorises it (vector division is
     * correctly rounded: the result is bit-identical to scalar code, and
     * twice as fast as a 256-entry lookup table). */
    int64_t hw = (int64_t)h * w;
    if (c == 1) {
        const float m = mean[0], s = std[0];
        for (int64_t i = lo * hw; i < hi * hw; i++) out[i] = ((float)pixels[i] / 255.0f - m) / s;
    } else if (c == 3) {
        const float m0 = mean[0], m1 = mean[1], m2 = mean[2], s0 = std[0], s1 = std[1], s2 = std[2];
        for (int64_t i = lo; i < hi; i++) {
            const uint8_t *src = pixels + i * hw * 3;
            float *o0 = out + i * 3 * hw, *o1 = o0 + hw, *o2 = o1 + hw;
            for (int64_t p = 0; p < hw; p++) {
                o0[p] = ((float)src[3 * p] / 255.0f - m0) / s0;
                o1[p] = ((float)src[3 * p + 1] / 255.0f - m1) / s1;
                o2[p] = ((float)src[3 * p + 2] / 255.0f - m2) / s2;
            }
        }
    } else {
        for (int64_t i = lo; i < hi; i++)
            for (int k = 0; k < c; k++) {
                const uint8_t *src = pixels + i * hw * c + k;
                float *o = out + (i * c + k) * hw;
                const float m = mean[k], s = std[k];
                for (int64_t p = 0; p < hw; p++) o[p] = ((float)src[p * c] / 255.0f - m) / s;
            }
    }
}

typedef struct {
    const uint8_t *pixels;
    int h, w, c;
    const float *mean, *std;
    float *out;
} normalize_job_t;

static void normalize_range(void *ctx, int64_t lo, int64_t hi)
{
    const normalize_job_t *j = ctx;
    normalize_images(j->pixels, lo, hi, j->h, j->w, j->c, j->mean, j->std, j->out);
}

/* At least this many values per thread's run of images. */
#define AR_NORMALIZE_GRAIN 16384

void ar_normalize_nhwc(const uint8_t *pixels, int64_t n, int h, int w, int c, const float *mean,
                       const float *std, float *out)
{
    /* Over the process's threads, each a contiguous run of images: thread 0
     * the first ones, as the plans' ops split a batch, so the first layer
     * reads the images its own core wrote (a serial pass here was 3% of a
     * 2-thread evaluate job's CPU and left the other core waiting). */
    normalize_job_t j = {pixels, h, w, c, mean, std, out};
    int64_t per = (int64_t)h * w * c, grain = per >= AR_NORMALIZE_GRAIN ? 1 : AR_NORMALIZE_GRAIN / per;
    ar_par_for(ar_par_default_threads(), n, grain, normalize_range, &j);
}

static int check_batch(const ar_dataset_t *ds, int64_t count, const ar_tensor_t *x, ar_err_t *err)
{
    const ar_dataset_info_t *in = &ds->info;
    if (x->ndim != 4 || x->shape[0] != count || x->shape[1] != in->channels ||
        x->shape[2] != in->height || x->shape[3] != in->width || !x->data) {
        char got[64];
        return ar_err_set(err, AR_E_ARG, "%s: batch tensor %s does not match [%lld, %d, %d, %d]", in->name,
                          ar_tensor_shape_str(x, got, sizeof got), (long long)count, in->channels,
                          in->height, in->width);
    }
    return AR_OK;
}

int ar_dataset_read_batch(ar_dataset_t *ds, int64_t start, int64_t count, const float *mean,
                          const float *std, ar_tensor_t *x, int32_t *labels, uint8_t *scratch,
                          ar_err_t *err)
{
    int st = check_batch(ds, count, x, err);
    if (st) return st;
    const ar_dataset_info_t *in = &ds->info;
    size_t bytes = (size_t)count * in->height * in->width * in->channels;
    uint8_t *buf = scratch ? scratch : malloc(bytes ? bytes : 1);
    if (!buf) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory for a batch", in->name);
    st = ar_dataset_read_u8(ds, start, count, buf, labels, err);
    if (!st) ar_normalize_nhwc(buf, count, in->height, in->width, in->channels, mean, std, x->data);
    if (!scratch) free(buf);
    return st;
}

int ar_dataset_read_indices(ar_dataset_t *ds, const int64_t *idx, int64_t count,
                            const float *mean, const float *std, ar_tensor_t *x, int32_t *labels,
                            uint8_t *scratch, ar_err_t *err)
{
    int st = check_batch(ds, count, x, err);
    if (st) return st;
    const ar_dataset_info_t *in = &ds->info;
    size_t img = (size_t)in->height * in->width * in->channels;
    uint8_t *buf = scratch ? scratch : malloc(count ? (size_t)count * img : 1);
    if (!buf) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory for a batch", in->name);
    /* read runs of consecutive indices with one call each */
    for (int64_t i = 0; i < count && !st;) {
        int64_t j = i + 1;
        while (j < count && idx[j] == idx[j - 1] + 1) j++;
        st = ar_dataset_read_u8(ds, idx[i], j - i, buf + (size_t)i * img, labels ? labels + i : NULL, err);
        i = j;
    }
    if (!st) ar_normalize_nhwc(buf, count, in->height, in->width, in->channels, mean, std, x->data);
    if (!scratch) free(buf);
    return st;
}

int ar_dataset_rows_alloc(ar_dataset_rows_t *r, int batch, int c, int h, int w, ar_err_t *err)
{
    r->x = ar_tensor_4d(batch, c, h, w);
    r->labels = malloc((size_t)batch * sizeof *r->labels);
    r->scratch = malloc((size_t)batch * (size_t)c * (size_t)h * (size_t)w);
    if (ar_tensor_alloc(&r->x) != 0 || !r->labels || !r->scratch) {
        ar_dataset_rows_free(r);
        return ar_err_set(err, AR_E_NOMEM, "out of memory for a batch of %d images", batch);
    }
    return AR_OK;
}

void ar_dataset_rows_free(ar_dataset_rows_t *r)
{
    ar_tensor_free(&r->x);
    free(r->labels);
    free(r->scratch);
    r->labels = NULL;
    r->scratch = NULL;
}

int ar_dataset_rows_read(void *rows, int64_t start, int n, const ar_tensor_t **x,
                         const int32_t **labels, ar_err_t *err)
{
    ar_dataset_rows_t *r = rows;
    r->x.shape[0] = n;
    *x = &r->x;
    *labels = r->labels;
    return ar_dataset_read_batch(r->ds, start, n, r->mean, r->std, &r->x, r->labels, r->scratch,
                                 err);
}
