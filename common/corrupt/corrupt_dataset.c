/* corrupt_dataset.c - ar_dataset_t whose reads corrupt the base set's rows. */
#include "corrupt_dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/par.h"

typedef struct {
    ar_dataset_t *base;      /* owned */
    ar_corrupt_ctx_t *ctx[AR_PAR_MAX]; /* owned: [0] always, more per thread on demand */
    char *frost_dir;         /* owned copy of the options' frost_dir, or NULL */
    int corruption, severity;
    uint64_t seed;
    int64_t img_bytes;
    uint8_t *clean;          /* scratch for base rows, grown on demand */
    int64_t clean_cap;       /* images it holds */
} cds_t;

static void cds_destroy(void *self)
{
    cds_t *d = self;
    if (!d) return;
    ar_dataset_destroy(&d->base);
    free(d->frost_dir);
    for (int t = 0; t < AR_PAR_MAX; t++) ar_corrupt_ctx_destroy(&d->ctx[t]);
    free(d->clean);
    free(d);
}

/* One read's images [0, n) over the threads: thread t corrupts a contiguous
 * share with its own context (an image's bytes depend only on its index). */
typedef struct share {
    cds_t *d;
    int64_t first, n;
    const uint8_t *in;
    uint8_t *out;
    int status[AR_PAR_MAX];
    ar_err_t err[AR_PAR_MAX];
} share_t;

static void corrupt_share(void *ctx, int t, int nt)
{
    share_t *s = ctx;
    int64_t lo = s->n * t / nt, hi = s->n * (t + 1) / nt;
    if (hi <= lo) return;
    s->status[t] = ar_corrupt_images(s->d->ctx[t], s->d->corruption, s->d->severity, s->d->seed,
                                     s->first + lo, hi - lo, s->in + lo * s->d->img_bytes,
                                     s->out + lo * s->d->img_bytes, &s->err[t]);
}

/* Corrupts n images (indices first..) with ar_par_default_threads threads. */
static int corrupt_par(cds_t *d, int64_t first, int64_t n, const uint8_t *in, uint8_t *out,
                       ar_err_t *err)
{
    int nt = ar_par_default_threads();
    if (nt > n) nt = (int)n;
    if (nt < 1) nt = 1;
    const ar_dataset_info_t *bi = ar_dataset_info(d->base);
    ar_corrupt_opts_t o = {.frost_dir = d->frost_dir};
    for (int t = 1; t < nt; t++)
        if (!d->ctx[t] &&
            !(d->ctx[t] = ar_corrupt_ctx_new(&o, bi->height, bi->width, bi->channels, err)))
            return err->status;
    if (nt == 1)
        return ar_corrupt_images(d->ctx[0], d->corruption, d->severity, d->seed, first, n, in, out,
                                 err);
    share_t *s = calloc(1, sizeof *s);
    if (!s) return ar_err_set(err, AR_E_NOMEM, "corrupted set: out of memory");
    *s = (share_t){.d = d, .first = first, .n = n, .in = in, .out = out};
    ar_par_run(nt, corrupt_share, s);
    int st = AR_OK;
    for (int t = 0; t < nt && !st; t++)
        if ((st = s->status[t])) *err = s->err[t];
    free(s);
    return st;
}

static int cds_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                    ar_err_t *err)
{
    cds_t *d = self;
    if (!pixels) return ar_dataset_read_u8(d->base, start, count, NULL, labels, err);
    /* in chunks of at most 1024 images, so scratch stays small */
    int64_t chunk = count < 1024 ? count : 1024;
    if (chunk > d->clean_cap) {
        uint8_t *p = realloc(d->clean, (size_t)(chunk * d->img_bytes));
        if (!p) return ar_err_set(err, AR_E_NOMEM, "corrupted set: %lld images", (long long)chunk);
        d->clean = p, d->clean_cap = chunk;
    }
    for (int64_t done = 0; done < count; done += chunk) {
        int64_t n = count - done < chunk ? count - done : chunk;
        int st = ar_dataset_read_u8(d->base, start + done, n, d->clean, labels ? labels + done : NULL, err);
        if (st) return st;
        st = corrupt_par(d, start + done, n, d->clean, pixels + done * d->img_bytes, err);
        if (st) return ar_err_prefix(err, "%s/%d", ar_corrupt_name(d->corruption), d->severity);
    }
    return AR_OK;
}

ar_dataset_t *ar_corrupt_dataset_new(ar_dataset_t **base, int corruption, int severity,
                                     uint64_t seed, const ar_corrupt_opts_t *opts,
                                     ar_err_t *err)
{
    if (!base || !*base) {
        ar_err_set(err, AR_E_ARG, "corrupted set: no base dataset");
        return NULL;
    }
    const char *name = ar_corrupt_name(corruption);
    if (!name || severity < 1 || severity > AR_CORRUPT_SEVERITIES) {
        ar_err_set(err, AR_E_ARG, "corrupted set: bad corruption #%d / severity %d", corruption,
                   severity);
        ar_dataset_destroy(base);
        return NULL;
    }
    cds_t *d = calloc(1, sizeof *d);
    if (!d) {
        ar_err_set(err, AR_E_NOMEM, "corrupted set");
        ar_dataset_destroy(base);
        return NULL;
    }
    d->base = *base;
    *base = NULL;
    const ar_dataset_info_t *bi = ar_dataset_info(d->base);
    d->corruption = corruption, d->severity = severity, d->seed = seed;
    d->img_bytes = (int64_t)bi->height * bi->width * bi->channels;
    if (opts && opts->frost_dir && !(d->frost_dir = strdup(opts->frost_dir))) {
        ar_err_set(err, AR_E_NOMEM, "corrupted set");
        cds_destroy(d);
        return NULL;
    }
    d->ctx[0] = ar_corrupt_ctx_new(opts, bi->height, bi->width, bi->channels, err);
    if (!d->ctx[0]) {
        ar_err_prefix(err, "%s", bi->name);
        cds_destroy(d);
        return NULL;
    }
    ar_dataset_info_t info = *bi;
    snprintf(info.format, sizeof info.format, "corrupted");
    snprintf(info.name, sizeof info.name, "%.90s/%s/%d", bi->name, name, severity);
    static const ar_dataset_vt_t vt = {cds_read, cds_destroy};
    return ar_dataset_new_custom(&info, &vt, d, err);
}
