/* stats_coord.c - the "stats" job kind, the coordinator half: one task per
 * shard, folded in task order, written to /stats. Contract: stats_job.h. */
#include "stats_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "core/version.h"
#include "io/h5.h"
#include "jobs/stats/stats_params.h"
#include "jobs/stats/stats_report.h"

typedef struct stats {
    ar_set_ref_t *sets;
    int nsets, k;            /* k = most classes of any set */
    int64_t *count, *sum, *sq, *hist; /* [nsets], hist [nsets, k] */
    uint64_t *hash;
    double t0;
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
    st->t0 = ar_now();
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
        for (size_t i = 0; !s && i < m; i++) st->hash[i] = AR_FNV_BASIS;
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
            ar_stats_params_t p = {ar_set_shard(&st->sets[i], i, a, n, (uint64_t)job->cfg->job.seed)};
            int s = ar_taskplan_add_typed(plan, &ar_task_stats, &p, err);
            if (s) return s;
        }
    return AR_OK;
}

static int job_aggregate(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                         const ar_fields_t *params, const ar_fields_t *r, int final, ar_err_t *err)
{
    (void)job, (void)id, (void)type, (void)final;
    stats_t *st = state;
    ar_stats_params_t p;
    int64_t n, sum, sq, hash;
    const ar_wtensor_t *h;
    if (ar_params_decode(ar_stats_params_schema(), params, &p, err) || ar_fields_get_int(r, "n", &n, err) ||
        ar_fields_get_int(r, "pixel_sum", &sum, err) || ar_fields_get_int(r, "pixel_sq", &sq, err) ||
        ar_fields_get_int(r, "checksum", &hash, err) || ar_fields_get_tensor(r, "hist", AR_WDT_I64, 1, &h, err))
        return err->status;
    int64_t set = p.shard.set, count = p.shard.count;
    if (set >= st->nsets || n != count || h->shape[0] != st->sets[set].num_classes)
        return ar_err_set(err, AR_E_PROTO, "result does not match its task (set %lld, %lld of %lld images)",
                          (long long)set, (long long)n, (long long)count);
    st->count[set] += n;
    st->sum[set] += sum;
    st->sq[set] += sq;
    const int64_t *hv = h->data;
    for (int64_t c = 0; c < h->shape[0]; c++) st->hist[set * st->k + c] += hv[c];
    st->hash[set] = ar_fnv_u64(st->hash[set], (uint64_t)hash);
    return AR_OK;
}

static int job_finish(void *state, const ar_job_ctx_t *job, ar_err_t *err)
{
    stats_t *st = state;
    /* Every image counted exactly once. */
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
    if (!s) s = ar_h5_attr_write_str(h, "/stats", "version", ar_version(), err);
    if (!s) s = ar_h5_commit(&h, err);
    ar_h5_destroy(&h);
    free(names);
    ar_stats_view_t v = {st->sets, st->nsets, st->k, st->count, st->sum, st->sq, st->hist, st->hash};
    if (!s) s = ar_stats_json_write(&v, job, ar_now() - st->t0, err);
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
