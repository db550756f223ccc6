/* preflight.c - a job's inputs and outputs checked before any work
 * (preflight.h). */
#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "corrupt/corrupt.h"
#include "corrupt/corrupt_set.h"
#include "jobs/sets.h"
#include "nn/model_io.h"

/* Prefixes err's message with the key and its line. */
static int at_key(const ar_job_config_t *cfg, const char *key, ar_err_t *err)
{
    return ar_err_prefix(err, "%s:%d: key '%s'", ar_job_name(cfg), ar_job_key_line(cfg, key), key);
}

static int output_dir_ok(const ar_job_config_t *cfg, ar_err_t *err)
{
    char dir[4096];
    ar_dir_of(cfg->job.output, dir, sizeof dir);
    if (!ar_is_dir(dir)) ar_err_set(err, AR_E_CONFIG, "directory %s does not exist", dir);
    else if (access(dir, W_OK | X_OK) != 0) ar_err_set(err, AR_E_CONFIG, "directory %s is not writable: %s", dir, strerror(errno));
    else return AR_OK;
    return at_key(cfg, "job.output", err);
}

static int names_ok(const ar_job_config_t *cfg, ar_err_t *err)
{
    int ids[AR_CORRUPT_COUNT];
    for (int g = 0; g < cfg->data.corrupted.n; g++) {
        const ar_cset_cfg_t *c = ar_job_cset(cfg, g);
        for (int k = 0; !strcmp(c->kind, "generated") && k < c->corruptions.n; k++)
            if (ar_corrupt_expand(c->corruptions.v[k], ids) < 0) {
                ar_err_set(err, AR_E_CONFIG, "data.corrupted[%d]: unknown corruption '%s'", g, c->corruptions.v[k]);
                return at_key(cfg, "data.corrupted", err);
            }
    }
    for (int k = 0; !strcmp(cfg->job.kind, "repair") && k < cfg->repair.corruptions.n; k++)
        if (ar_corrupt_expand(cfg->repair.corruptions.v[k], ids) < 0) {
            ar_err_set(err, AR_E_CONFIG, "unknown corruption '%s'", cfg->repair.corruptions.v[k]);
            return at_key(cfg, "repair.corruptions", err);
        }
    return AR_OK;
}

int ar_job_preflight(const ar_job_config_t *cfg, int model_and_sets, ar_err_t *err)
{
    int s = output_dir_ok(cfg, err);
    if (!s) s = names_ok(cfg, err);
    ar_graph_t *g = NULL;
    if (!s && model_and_sets && strcmp(cfg->job.kind, "stats") != 0 && !(g = ar_model_load(cfg->model.path, err)))
        s = at_key(cfg, "model.path", err);
    ar_set_ref_t *sets = NULL;
    int nsets = 0;
    if (!s && model_and_sets && (s = ar_sets_from_job(cfg, &sets, &nsets, err)) && err->status != AR_E_CONFIG)
        s = at_key(cfg, "data.path", err);
    if (!s && g && (s = ar_sets_fit_model(sets, nsets, g, cfg->model.path, err))) at_key(cfg, "model.path", err);
    if (!s && !strcmp(cfg->job.kind, "repair")) {
        const char *src = cfg->repair.train_path[0] ? cfg->repair.train_path : cfg->data.path;
        ar_dataset_t *ds = ar_cset_open(&(ar_cset_src_t){.path = src, .split = cfg->repair.train_split,
                                                           .kind = AR_CSET_STORED},
                                        err);
        if (!ds) {
            s = at_key(cfg, cfg->repair.train_path[0] ? "repair.train_path" : "data.path", err);
        } else {
            const ar_dataset_info_t *in = ar_dataset_info(ds);
            if (g && (s = ar_shape_fits_model(src, in->height, in->width, in->channels, g, cfg->model.path, err)))
                at_key(cfg, "model.path", err);
            if (!s && in->count < cfg->repair.skip + cfg->repair.pool + cfg->repair.val) {
                ar_err_set(err, AR_E_CONFIG, "%s holds %lld images, skip + pool + val need %lld", src,
                           (long long)in->count, (long long)(cfg->repair.skip + cfg->repair.pool + cfg->repair.val));
                s = at_key(cfg, "repair.pool", err);
            }
            ar_dataset_destroy(&ds);
        }
    }
    free(sets);
    ar_graph_destroy(&g);
    return s;
}
