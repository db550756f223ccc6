/* stats_task.c - the "stats" task type, the worker half: exact integer
 * statistics of one shard. Contract: stats_params.h, stats_job.h. */
#include "stats_params.h"

#include <stdlib.h>

#define CHUNK 256

AR_PARAMS_DEFINE(ar_stats_params, AR_STATS_PARAMS)

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
    const ar_shard_params_t *sh = &((const ar_stats_params_t *)t->p)->shard;
    ar_dataset_t *ds = ar_set_cache_open(state, sh, err);
    if (!ds) return err->status;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    size_t img = (size_t)in->height * (size_t)in->width * (size_t)in->channels;
    int k = in->num_classes;
    uint8_t *px = malloc(CHUNK * img);
    int32_t *lab = malloc(CHUNK * sizeof *lab);
    int64_t *hist = calloc((size_t)k, sizeof *hist);
    int s = (!px || !lab || !hist) ? ar_err_set(err, AR_E_NOMEM, "out of memory") : AR_OK;
    int64_t sum = 0, sq = 0;
    uint64_t shard_hash = AR_FNV_BASIS;
    for (int64_t at = 0; !s && at < sh->count; at += CHUNK) {
        int64_t n = sh->count - at < CHUNK ? sh->count - at : CHUNK;
        s = ar_dataset_read_u8(ds, sh->start + at, n, px, lab, err);
        for (int64_t i = 0; !s && i < n; i++) {
            const uint8_t *p = px + (size_t)i * img;
            for (size_t j = 0; j < img; j++) {
                sum += p[j];
                sq += (int64_t)p[j] * p[j];
            }
            if (lab[i] < 0 || lab[i] >= k) {
                s = ar_err_set(err, AR_E_FORMAT, "image %lld: label %d outside 0..%d",
                               (long long)(sh->start + at + i), lab[i], k - 1);
                break;
            }
            hist[lab[i]]++;
            uint8_t lb[4] = {(uint8_t)lab[i], (uint8_t)(lab[i] >> 8), (uint8_t)(lab[i] >> 16),
                             (uint8_t)(lab[i] >> 24)};
            shard_hash = ar_fnv_u64(shard_hash, ar_fnv(ar_fnv(AR_FNV_BASIS, p, img), lb, 4));
        }
        if (ar_task_cancelled(t)) s = ar_err_set(err, AR_E_TIMEOUT, "cancelled");
    }
    if (s) ar_err_prefix(err, "%s rows %lld..%lld", sh->label, (long long)sh->start,
                         (long long)(sh->start + sh->count));
    if (!s) s = ar_fields_put_int(res, "n", sh->count, err);
    if (!s) s = ar_fields_put_int(res, "pixel_sum", sum, err);
    if (!s) s = ar_fields_put_int(res, "pixel_sq", sq, err);
    if (!s) s = ar_fields_put_int(res, "checksum", (int64_t)shard_hash, err);
    if (!s) s = ar_fields_put_tensor(res, "hist", AR_WDT_I64, 1, (int64_t[]){k}, hist, err);
    free(px);
    free(lab);
    free(hist);
    return s;
}

const ar_task_type_t ar_task_stats = {.name = "stats", .params = ar_stats_params_schema,
                                      .init = task_init, .run = task_run, .destroy = task_destroy};
