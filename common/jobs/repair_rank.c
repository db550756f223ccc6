/* repair_rank.c - the repair job's block ranking (repair_state.h): the
 * localization library on the repair pool when this build links it
 * (AR_HAVE_LOCALIZE), else the graph's block order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "jobs/repair_state.h"
#include "repair/search.h"
#ifdef AR_HAVE_LOCALIZE
#include "localize/localize.h"
#include "repair/repair_set.h"
#endif

#ifdef AR_HAVE_LOCALIZE
/* Localization on the first repair.pool pool images (the job's repair set
 * source, seed and augmentation, so failing examples are the repair set's). */
static int localize(rj_t *r, const ar_job_ctx_t *job, ar_graph_t *g, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    ar_repair_set_cfg_t c = {.path = cfg->repair.train_path[0] ? cfg->repair.train_path : cfg->data.path,
                             .split = cfg->repair.train_split, .augment = cfg->repair.augment,
                             .seed = (uint64_t)cfg->job.seed, .mean = r->mean, .std = r->std};
    char list[sizeof r->corr_list];
    snprintf(list, sizeof list, "%s", r->corr_list);
    for (char *sv = NULL, *t = strtok_r(list, ",", &sv); t && c.ncorruptions < AR_CORRUPT_COUNT;
         t = strtok_r(NULL, ",", &sv))
        c.corruptions[c.ncorruptions++] = ar_corrupt_find(t);
    for (int i = 0; i < cfg->repair.severities.n && i < AR_CORRUPT_SEVERITIES; i++)
        c.severities[c.nseverities++] = (int)cfg->repair.severities.v[i];
    ar_dataset_t *pool = ar_repair_pool_open(&c, cfg->repair.pool, err);
    if (!pool) return err->status;
    ar_localize_opts_t o = ar_localize_opts_default();
    o.count = cfg->repair.failing > 0 ? cfg->repair.failing : 1;
    o.seed = (uint64_t)cfg->job.seed;
    o.batch = (int)cfg->data.batch_size;
    o.mean = r->mean, o.std = r->std;
    ar_localize_result_t *res = NULL;
    int st = ar_localize_run(g, &pool, 1, &o, job->log, &res, err);
    ar_dataset_destroy(&pool);
    if (st) return ar_err_prefix(err, "repair: localization on the repair pool");
    for (int b = 0; b < res->nblocks; b++)
        for (int i = 0; i < r->nblocks; i++)
            if (!strcmp(res->block_names[b], r->blocks[i])) r->scores[i] = res->block_scores[b];
    int n = 0;
    for (int k = 0; k < res->nblocks; k++)
        for (int i = 0; i < r->nblocks; i++)
            if (!strcmp(res->block_names[res->block_rank[k]], r->blocks[i])) r->order[n++] = i;
    if (n != r->nblocks) {
        ar_localize_result_destroy(&res);
        return ar_err_set(err, AR_E_INTERNAL, "repair: localization ranked %d of %d blocks", n,
                          r->nblocks);
    }
    if (res->nunits > 0) {
        snprintf(r->top_layer, sizeof r->top_layer, "%s", res->unit_names[res->layer_rank[0]]);
        snprintf(r->top_layer_block, sizeof r->top_layer_block, "%s",
                 res->unit_blocks[res->layer_rank[0]]);
    }
    snprintf(r->ranking, sizeof r->ranking, "localization");
    ar_info(job->log, "repair: localization ranks %s first (score %.4g); most suspicious layer %s",
            r->blocks[r->order[0]], r->scores[r->order[0]], r->top_layer);
    ar_localize_result_destroy(&res);
    return AR_OK;
}
#endif

int ar_repair_rank(rj_t *r, const ar_job_ctx_t *job, ar_graph_t *g, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    const char **names = NULL;
    int st = ar_graph_blocks(g, &names, &r->nblocks, err);
    if (st) return st;
    int method = ar_method_parse(cfg->repair.method);
    if (r->nblocks == 0 && method != AR_METHOD_FINETUNE) {
        free(names);
        return ar_err_set(err, AR_E_CONFIG, "%s: the model has no blocks to repair", cfg->model.path);
    }
    r->blocks = calloc((size_t)r->nblocks + 1, sizeof *r->blocks);
    r->scores = calloc((size_t)r->nblocks + 1, sizeof *r->scores);
    r->order = calloc((size_t)r->nblocks + 1, sizeof *r->order);
    if (!r->blocks || !r->scores || !r->order) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int i = 0; !st && i < r->nblocks; i++) {
        if (!(r->blocks[i] = strdup(names[i]))) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
        r->scores[i] = (double)(r->nblocks - i);
        r->order[i] = i;
    }
    free(names);
    if (st) return st;
    snprintf(r->ranking, sizeof r->ranking, "graph-order");
    int need = method != AR_METHOD_FINETUNE &&
               (!cfg->repair.blocks.n || (method == AR_METHOD_LAYER && !cfg->repair.layer[0]));
    if (!need) return AR_OK;
#ifdef AR_HAVE_LOCALIZE
    return localize(r, job, g, err);
#else
    ar_info(job->log, "repair: localization library not linked in this build: block ranking is "
                      "the graph's block order (%d blocks)", r->nblocks);
    return AR_OK;
#endif
}
