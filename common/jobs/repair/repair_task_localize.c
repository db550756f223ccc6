/* repair_task_localize.c - the "repair_localize" task type, the worker
 * half: block ranking by the localization library on the repair pool, run
 * on a worker since coordinator callbacks must stay short
 * (repair_params.h). */
#include "repair_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localize/localize.h"
#include "nn/model_io.h"

static int run(void *state, const ar_task_ctx_t *t, ar_fields_t *res, ar_err_t *err)
{
    (void)state;
    const ar_repair_localize_params_t *p = t->p;
    ar_graph_t *g = ar_model_load(p->model, err);
    if (!g) return err->status;
    ar_repair_set_cfg_t c;
    ar_dataset_t *pool = NULL;
    ar_localize_result_t *r = NULL;
    const char **names = NULL;
    int nb = 0;
    double *scores = NULL;
    int64_t *rank = NULL;
    int st = ar_repair_set_cfg_from_params(&p->set, g->in_c, &c, err);
    if (st) goto done;
    if (!(pool = ar_repair_pool_open(&c, c.pool, err))) {
        st = err->status;
        goto done;
    }
    /* The job's [localize] settings (formula, aggregate, gradient weight,
     * threshold, adversarial, top_k), as planned; localize.count and
     * localize.source do not apply: the examples are repair.failing ones of
     * the repair pool. */
    ar_localize_opts_t o = ar_localize_opts_default();
    ar_localize_opts_apply(&p->localize, &o);
    o.count = p->count, o.seed = c.seed, o.batch = c.batch, o.mean = c.mean, o.std = c.std;
    if ((st = ar_localize_run(g, &pool, 1, &o, t->job->log, &r, err))) goto done;
    if ((st = ar_graph_blocks(g, &names, &nb, err))) goto done;
    scores = calloc((size_t)nb + 1, sizeof *scores);
    rank = calloc((size_t)nb + 1, sizeof *rank);
    if (!scores || !rank) {
        st = ar_err_set(err, AR_E_NOMEM, "out of memory");
        goto done;
    }
    int n = 0;
    for (int k = 0; k < r->nblocks; k++)
        for (int i = 0; i < nb; i++)
            if (!strcmp(r->block_names[r->block_rank[k]], names[i])) {
                scores[i] = r->block_scores[r->block_rank[k]];
                if (n < nb) rank[n++] = i;
            }
    if (n != nb) {
        st = ar_err_set(err, AR_E_INTERNAL, "localization ranked %d of %d blocks", n, nb);
        goto done;
    }
    const char *tl = r->nunits > 0 ? r->unit_names[r->layer_rank[0]] : "";
    const char *tb = r->nunits > 0 ? r->unit_blocks[r->layer_rank[0]] : "";
    int64_t nb64 = nb;
    st = ar_fields_put_tensor(res, "scores", AR_WDT_F64, 1, &nb64, scores, err);
    if (!st) st = ar_fields_put_tensor(res, "rank", AR_WDT_I64, 1, &nb64, rank, err);
    if (!st) st = ar_fields_put_str(res, "top_layer", tl, err);
    if (!st) st = ar_fields_put_str(res, "top_layer_block", tb, err);
done:
    free(names);
    free(scores);
    free(rank);
    ar_localize_result_destroy(&r);
    ar_dataset_destroy(&pool);
    ar_graph_destroy(&g);
    return st;
}

const ar_task_type_t ar_task_repair_localize = {
    .name = "repair_localize", .params = ar_repair_localize_params_schema, .run = run};
