/* job_stats.c - the "stats" job kind and task type. Contract: job_stats.h. */
#include "job_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "io/h5.h"
#include "jobs/sets.h"

#define FNV_BASIS 14695981039346656037ull
#define FNV_PRIME 1099511628211ull
#define CHUNK 256

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return fnv(h, b, 8);
}

/* ---- worker ---------------------------------------------------------------- */

static int task_init(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    (void)job;
    *state = ar_set_cache_new(err);
    return *state ? AR_OK : err->status;
}

static void task_destroy(void *state)
{
    ar_set_cache_t *c = state;
    ar_set_cache_destroy(&c);
}

static int task_run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    ar_shard_t sh;
    ar_dataset_t *ds = ar_set_cache_open(state, t->params, &sh, err);
    if (!ds) return err->status;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    size_t img = (size_t)in->height * (size_t)in->width * (size_t)in->channels;
    int k = in->num_classes;
    uint8_t *px = malloc(CHUNK * img);
    int32_t *lab = malloc(CHUNK * sizeof *lab);
    int64_t *hist = calloc((size_t)k, sizeof *hist);
    int s = (!px || !lab || !hist) ? ar_err_set(err, AR_E_NOMEM, "out of memory") : AR_OK;
    int64_t sum = 0, sq = 0;
    uint64_t shard_hash = FNV_BASIS;
    for (int64_t at = 0; !s && at < sh.count; at += CHUNK) {
        int64_t n = sh.count - at < CHUNK ? sh.count - at : CHUNK;
        s = ar_dataset_read_u8(ds, sh.start + at, n, px, lab, err);
        for (int64_t i = 0; !s && i < n; i++) {
            const uint8_t *p = px + (size_t)i * img;
            for (size_t j = 0; j < img; j++) {
                sum += p[j];
                sq += (int64_t)p[j] * p[j];
            }
            if (lab[i] < 0 || lab[i] >= k) {
                s = ar_err_set(err, AR_E_FORMAT, "image %lld: label %d outside 0..%d",
                               (long long)(sh.start + at + i), lab[i], k - 1);
                break;
            }
            hist[lab[i]]++;
            uint8_t lb[4] = {(uint8_t)lab[i], (uint8_t)(lab[i] >> 8), (uint8_t)(lab[i] >> 16),
                             (uint8_t)(lab[i] >> 24)};
            shard_hash = fnv_u64(shard_hash, fnv(fnv(FNV_BASIS, p, img), lb, 4));
        }
        if (ar_task_cancelled(t)) s = ar_err_set(err, AR_E_TIMEOUT, "cancelled");
    }
    if (s) ar_err_prefix(err, "%s rows %lld..%lld", sh.label, (long long)sh.start,
                         (long long)(sh.start + sh.count));
    if (!s) s = ar_fields_put_int(res, "n", sh.count, err);
    if (!s) s = ar_fields_put_int(res, "pixel_sum", sum, err);
    if (!s) s = ar_fields_put_int(res, "pixel_sq", sq, err);
    if (!s) s = ar_fields_put_int(res, "checksum", (int64_t)shard_hash, err);
    if (!s) s = ar_fields_put_tensor(res, "hist", AR_WDT_I64, 1, (int64_t[]){k}, hist, err);
    free(px);
    free(lab);
    free(hist);
    return s;
}

const ar_task_type_t ar_task_stats = {
    .name = "stats", .init = task_init, .run = task_run, .destroy = task_destroy};

/* ---- coordinator ------------------------------------------------------------ */

typedef struct stats {
    ar_set_ref_t *sets;
    int nsets, k;            /* k = most classes of any set */
    int64_t *count, *sum, *sq, *hist; /* [nsets], hist [nsets, k] */
    uint64_t *hash;
} stats_t;

static void job_destroy(void *state)
{
    stats_t *st = state;
    if (!st) return;
    free(st->sets);
    free(st->count);
    free(st->sum);
    free(st->sq);
    free(st->hist);
    free(st->hash);
    free(st);
}

static int job_create(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    stats_t *st = calloc(1, sizeof *st);
    if (!st) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    int s = ar_sets_from_job(job->cfg, &st->sets, &st->nsets, err);
    for (int i = 0; !s && i < st->nsets; i++)
        if (st->sets[i].num_classes > st->k) st->k = st->sets[i].num_classes;
    if (!s) {
        size_t m = st->nsets > 0 ? (size_t)st->nsets : 1;
        st->count = calloc(m, sizeof *st->count);
        st->sum = calloc(m, sizeof *st->sum);
        st->sq = calloc(m, sizeof *st->sq);
        st->hist = calloc(m * (size_t)st->k, sizeof *st->hist);
        st->hash = calloc(m, sizeof *st->hash);
        if (!st->count || !st->sum || !st->sq || !st->hist || !st->hash)
            s = ar_err_set(err, AR_E_NOMEM, "out of memory");
        for (size_t i = 0; !s && i < m; i++) st->hash[i] = FNV_BASIS;
    }
    if (s) {
        job_destroy(st);
        return s;
    }
    *state = st;
    return AR_OK;
}

static int job_plan(void *state, const ar_job_ctx_t *job, int round, ar_taskplan_t *plan,
                    ar_err_t *err)
{
    stats_t *st = state;
    if (round > 0) return AR_OK;
    for (int i = 0; i < st->nsets; i++)
        for (int64_t a = 0; a < st->sets[i].count; a += job->run.shard_size) {
            int64_t n = st->sets[i].count - a < job->run.shard_size ? st->sets[i].count - a
                                                                    : job->run.shard_size;
            ar_fields_t p = {0};
            int s = ar_set_shard_params(&st->sets[i], i, a, n, (uint64_t)job->cfg->job.seed, &p, err);
            if (!s) s = ar_taskplan_add(plan, "stats", &p, err);
            ar_fields_clear(&p);
            if (s) return s;
        }
    return AR_OK;
}

static int job_aggregate(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                         const ar_fields_t *params, const ar_fields_t *r, int final, ar_err_t *err)
{
    (void)job, (void)id, (void)type, (void)final;
    stats_t *st = state;
    int64_t set, count, n, sum, sq, hash;
    const ar_wtensor_t *h;
    if (ar_fields_get_int(params, "set", &set, err) || ar_fields_get_int(params, "count", &count, err) ||
        ar_fields_get_int(r, "n", &n, err) || ar_fields_get_int(r, "pixel_sum", &sum, err) ||
        ar_fields_get_int(r, "pixel_sq", &sq, err) || ar_fields_get_int(r, "checksum", &hash, err) ||
        ar_fields_get_tensor(r, "hist", AR_WDT_I64, 1, &h, err))
        return err->status;
    if (set < 0 || set >= st->nsets || n != count || h->shape[0] != st->sets[set].num_classes)
        return ar_err_set(err, AR_E_PROTO, "result does not match its task (set %lld, %lld of %lld images)",
                          (long long)set, (long long)n, (long long)count);
    st->count[set] += n;
    st->sum[set] += sum;
    st->sq[set] += sq;
    const int64_t *hv = h->data;
    for (int64_t c = 0; c < h->shape[0]; c++) st->hist[set * st->k + c] += hv[c];
    st->hash[set] = fnv_u64(st->hash[set], (uint64_t)hash);
    return AR_OK;
}

static int job_finish(void *state, const ar_job_ctx_t *job, ar_err_t *err)
{
    stats_t *st = state;
    /* Every image counted exactly once (STYLE.md 9). */
    for (int i = 0; i < st->nsets; i++)
        if (st->count[i] != st->sets[i].count)
            return ar_err_set(err, AR_E_INTERNAL, "set %s: %lld images counted, expected %lld",
                              st->sets[i].label, (long long)st->count[i], (long long)st->sets[i].count);
    const char *out = job->cfg->job.output;
    ar_h5_t *h = ar_h5_create(out, err);
    if (!h) return err->status;
    const char **names = calloc((size_t)st->nsets, sizeof *names);
    int s = names ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int i = 0; names && i < st->nsets; i++) names[i] = st->sets[i].label;
    int64_t m = st->nsets, mk[2] = {st->nsets, st->k};
    if (!s) s = ar_h5_write_strings(h, "/stats/set_names", names, st->nsets, err);
    if (!s) s = ar_h5_write(h, "/stats/count", AR_DT_I64, 1, &m, st->count, 0, err);
    if (!s) s = ar_h5_write(h, "/stats/pixel_sum", AR_DT_I64, 1, &m, st->sum, 0, err);
    if (!s) s = ar_h5_write(h, "/stats/pixel_sq", AR_DT_I64, 1, &m, st->sq, 0, err);
    if (!s) s = ar_h5_write(h, "/stats/checksum", AR_DT_I64, 1, &m, st->hash, 0, err);
    if (!s) s = ar_h5_write(h, "/stats/hist", AR_DT_I64, 2, mk, st->hist, 0, err);
    if (!s) s = ar_h5_attr_write_str(h, "/stats", "job", job->job_text, err);
    if (!s) s = ar_h5_commit(&h, err);
    ar_h5_destroy(&h);
    free(names);
    if (s) return s;
    for (int i = 0; i < st->nsets; i++)
        printf("%-32s images=%-8lld pixel_sum=%-14lld checksum=%016llx\n", st->sets[i].label,
               (long long)st->count[i], (long long)st->sum[i], (unsigned long long)st->hash[i]);
    fflush(stdout);
    return AR_OK;
}

const ar_job_kind_t ar_job_stats = {.name = "stats", .create = job_create, .plan = job_plan,
                                    .aggregate = job_aggregate, .finish = job_finish,
                                    .destroy = job_destroy};
