/* repair_rank.c - the repair job's block ranking on the coordinator
 * (repair_coord.h): the graph's block order, replaced by the result of a
 * repair_localize task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "jobs/repair/repair_coord.h"
#include "repair/search.h"

int ar_repair_rank_init(ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_graph_t *g, int *localize,
                        ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    const char **names = NULL;
    *localize = 0;
    int st = ar_graph_blocks(g, &names, &r->nblocks, err);
    if (st) return st;
    int all_blockless = 1, need = 0; /* need: some method's targets come from a ranking */
    for (int m = 0; m < r->nmethods; m++) {
        int method = r->methods[m];
        int blockless = method == AR_METHOD_FINETUNE || method == AR_METHOD_BN_ADAPT;
        all_blockless &= blockless;
        need |= !blockless && (!cfg->repair.blocks.n || (method == AR_METHOD_LAYER && !cfg->repair.layer[0]));
    }
    if (r->nblocks == 0 && !all_blockless) {
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
    if (!need) return AR_OK;
    *localize = 1;
    return AR_OK;
}

int ar_repair_rank_apply(ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_fields_t *res, ar_err_t *err)
{
    const ar_wtensor_t *sc, *rk;
    const char *tl, *tb;
    if (ar_fields_get_tensor(res, "scores", AR_WDT_F64, 1, &sc, err) ||
        ar_fields_get_tensor(res, "rank", AR_WDT_I64, 1, &rk, err) ||
        ar_fields_get_str(res, "top_layer", &tl, err) ||
        ar_fields_get_str(res, "top_layer_block", &tb, err))
        return err->status;
    if (sc->shape[0] != r->nblocks || rk->shape[0] != r->nblocks)
        return ar_err_set(err, AR_E_PROTO, "localization ranks %lld blocks, the model has %d",
                          (long long)sc->shape[0], r->nblocks);
    const double *s = sc->data;
    const int64_t *k = rk->data;
    unsigned char *seen = calloc((size_t)r->nblocks + 1, 1);
    if (!seen) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    int st = AR_OK;
    for (int i = 0; i < r->nblocks && !st; i++) {
        if (k[i] < 0 || k[i] >= r->nblocks || seen[k[i]])
            st = ar_err_set(err, AR_E_PROTO, "localization rank is not a permutation");
        else
            seen[k[i]] = 1, r->order[i] = (int)k[i], r->scores[i] = s[i];
    }
    free(seen);
    if (st) return st;
    snprintf(r->top_layer, sizeof r->top_layer, "%s", tl);
    snprintf(r->top_layer_block, sizeof r->top_layer_block, "%s", tb);
    snprintf(r->ranking, sizeof r->ranking, "localization");
    ar_info(job->log, "repair: localization ranks %s first (score %.4g); most suspicious layer %s",
            r->blocks[r->order[0]], r->scores[r->order[0]], r->top_layer);
    return AR_OK;
}
