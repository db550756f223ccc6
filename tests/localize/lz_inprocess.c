/* lz_inprocess.c - `lz_inprocess JOB.toml OUT.h5`: the localize job's
 * analysis through the in-process library call (ar_localize_run) with the
 * same options, sets and normalisation, writing /localization to OUT.h5, so
 * run_mpi_localize.sh can check that the distributed job gives the very same
 * numbers. Exit status 0 on success, 1 with a one-line cause. */
#include <stdio.h>
#include <stdlib.h>

#include "config/job_config.h"
#include "io/h5.h"
#include "jobs/localize/localize_job.h"
#include "jobs/sets.h"
#include "nn/model_io.h"

typedef struct first_n {
    ar_dataset_t *base; /* borrowed (owned by the set cache) */
} first_n_t;

static int first_read(void *self, int64_t start, int64_t count, uint8_t *px, int32_t *lab, ar_err_t *err)
{
    return ar_dataset_read_u8(((first_n_t *)self)->base, start, count, px, lab, err);
}

static void first_destroy(void *self) { free(self); }

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: lz_inprocess JOB.toml OUT.h5\n");
        return 2;
    }
    ar_err_t err = {0};
    ar_job_config_t cfg = {0};
    ar_localize_opts_t o;
    ar_set_ref_t *sets = NULL;
    int nsets = 0, s = ar_job_load_file(argv[1], &cfg, &err);
    if (!s) s = ar_localize_opts_from_job(&cfg, &o, &err);
    ar_graph_t *g = s ? NULL : ar_model_load(cfg.model.path, &err);
    if (!s && !g) s = err.status;
    if (!s) s = ar_sets_from_job(&cfg, &sets, &nsets, &err);
    ar_set_cache_t *cache = s ? NULL : ar_set_cache_new(&err);
    ar_dataset_t *ds[4] = {0};
    if (!s && nsets > 4) s = ar_err_set(&err, AR_E_ARG, "at most 4 sets");
    for (int i = 0; !s && i < nsets; i++) {
        ar_shard_params_t sh = ar_set_shard(&sets[i], i, 0, sets[i].count, (uint64_t)cfg.job.seed);
        ar_dataset_t *base = ar_set_cache_open(cache, &sh, &err);
        if (!base) s = err.status;
        if (s) break;
        ar_dataset_info_t in = *ar_dataset_info(base);
        in.count = sets[i].count;
        in.class_names = NULL;
        first_n_t *f = calloc(1, sizeof *f);
        f->base = base;
        static const ar_dataset_vt_t vt = {.read = first_read, .destroy = first_destroy};
        if (!(ds[i] = ar_dataset_new_custom(&in, &vt, f, &err))) s = err.status;
    }
    float mean[4], std[4];
    for (int c = 0; !s && c < g->in_c; c++) {
        mean[c] = cfg.data.mean.n ? (float)cfg.data.mean.v[c] : g->mean[c];
        std[c] = cfg.data.std.n ? (float)cfg.data.std.v[c] : g->std[c];
    }
    o.mean = mean;
    o.std = std;
    ar_localize_result_t *r = NULL;
    if (!s) s = ar_localize_run(g, ds, nsets, &o, NULL, &r, &err);
    ar_h5_t *h = s ? NULL : ar_h5_create(argv[2], &err);
    if (!s) s = h ? ar_localize_write_h5(h, r, &err) : err.status;
    if (!s) s = ar_h5_commit(&h, &err);
    ar_h5_destroy(&h);
    if (!s) ar_localize_print(r, 3, stdout);
    ar_localize_result_destroy(&r);
    for (int i = 0; i < 4; i++) ar_dataset_destroy(&ds[i]);
    ar_set_cache_destroy(&cache);
    free(sets);
    ar_graph_destroy(&g);
    ar_job_free(&cfg);
    if (s) {
        fprintf(stderr, "lz_inprocess: %s\n", ar_err_msg(&err));
        return 1;
    }
    return 0;
}
