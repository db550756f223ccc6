/* repair_rank.c - the repair job's block ranking on the coordinator
 * (repair_coord.h): the graph's block order, replaced by the result of a
 * repair_localize task or by the blocks' probes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/job_config.h"
#include "jobs/repair/repair_coord.h"
#include "repair/search.h"
#include "repair/select.h"

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
        int blockless = ar_method_blockless(method);
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

int ar_repair_rank_probes(ar_repair_job_t *r, const ar_job_ctx_t *job, ar_err_t *err)
{
    double c0 = r->val_clean0, md = job->cfg->repair.max_clean_drop;
    for (int i = 0; i < r->nblocks; i++) {
        const ar_repair_probe_t *p = &r->probes[i];
        ar_repair_metrics_t m = {p->val_clean, p->val_corrupt};
        if (!p->done) return ar_err_set(err, AR_E_INTERNAL, "repair: block %s not probed", r->blocks[i]);
        r->scores[i] = p->val_corrupt - r->val_corrupt0 - (ar_repair_qualifies(&m, c0, md) ? 0 : 1);
        r->order[i] = i;
    }
    for (int i = 1; i < r->nblocks; i++) /* insertion sort: stable, so ties keep graph order */
        for (int j = i; j > 0; j--) {
            const ar_repair_probe_t *a = &r->probes[r->order[j]], *b = &r->probes[r->order[j - 1]];
            ar_repair_metrics_t ma = {a->val_clean, a->val_corrupt}, mb = {b->val_clean, b->val_corrupt};
            if (!ar_repair_ranks_before(&ma, &mb, c0, md)) break;
            int t = r->order[j];
            r->order[j] = r->order[j - 1], r->order[j - 1] = t;
        }
    r->top_layer[0] = r->top_layer_block[0] = 0;
    snprintf(r->ranking, sizeof r->ranking, "probe");
    const ar_repair_probe_t *t = &r->probes[r->order[0]];
    ar_info(job->log, "repair: the probes rank %s first (val clean %.4f corrupted %.4f; original %.4f / %.4f)",
            r->blocks[r->order[0]], t->val_clean, t->val_corrupt, r->val_clean0, r->val_corrupt0);
    return AR_OK;
}
