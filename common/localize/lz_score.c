/* lz_score.c - from summed statistics to suspiciousness, block and layer
 * scores and rankings; the /localization output and the printed ranking.
 * Contract: localize.h. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "localize/localize.h"

static void free_strs(char **s, int n)
{
    for (int i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

void ar_localize_result_destroy(ar_localize_result_t **rp)
{
    if (!rp || !*rp) return;
    ar_localize_result_t *r = *rp;
    ar_lz_counts_free(&r->counts);
    free(r->grad);
    free(r->grad_weight);
    free(r->threshold);
    free(r->spectrum);
    free(r->susp);
    free_strs(r->unit_names, r->nunits);
    free_strs(r->unit_blocks, r->nunits);
    free(r->unit_offset);
    free(r->layer_scores);
    free(r->layer_rank);
    free_strs(r->block_names, r->nblocks);
    free(r->block_scores);
    free(r->block_rank);
    free(r);
    *rp = NULL;
}

/* Indices 0..n-1 by score descending, ties by index (stable). */
static void rank(const double *score, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && score[out[j - 1]] < score[i]) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = i;
    }
}

int ar_lz_score(const ar_graph_t *g, const ar_neuron_map_t *m, const ar_localize_opts_t *o,
                const ar_lz_counts_t *counts, const double *grad_sum, const double *threshold,
                ar_localize_result_t **out, ar_err_t *err)
{
    *out = NULL;
    int64_t n = m->nneurons;
    if (counts->nneurons != n)
        return ar_err_set(err, AR_E_ARG, "localize: %lld counts for %lld neurons", (long long)counts->nneurons,
                          (long long)n);
    ar_localize_result_t *r = calloc(1, sizeof *r);
    if (!r) return ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
    r->opts = *o;
    r->opts.mean = r->opts.std = NULL;
    r->nneurons = n;
    r->nunits = m->nunits;
    r->nblocks = m->nblocks;
    size_t nn = (size_t)(n ? n : 1), nu = (size_t)m->nunits, nbk = (size_t)(m->nblocks ? m->nblocks : 1);
    double *scratch = malloc(nn * sizeof *scratch), *bvals = malloc(nn * sizeof *bvals);
    r->grad = malloc(nn * sizeof *r->grad);
    r->grad_weight = malloc(nn * sizeof *r->grad_weight);
    r->threshold = malloc(nn * sizeof *r->threshold);
    r->spectrum = malloc(nn * sizeof *r->spectrum);
    r->susp = malloc(nn * sizeof *r->susp);
    r->unit_names = calloc(nu, sizeof *r->unit_names);
    r->unit_blocks = calloc(nu, sizeof *r->unit_blocks);
    r->unit_offset = malloc((nu + 1) * sizeof *r->unit_offset);
    r->layer_scores = malloc(nu * sizeof *r->layer_scores);
    r->layer_rank = malloc(nu * sizeof *r->layer_rank);
    r->block_names = calloc(nbk, sizeof *r->block_names);
    r->block_scores = calloc(nbk, sizeof *r->block_scores);
    r->block_rank = malloc(nbk * sizeof *r->block_rank);
    int s = ar_lz_counts_init(&r->counts, n, err);
    if (!s && (!scratch || !bvals || !r->grad || !r->grad_weight || !r->threshold || !r->spectrum || !r->susp ||
               !r->unit_names || !r->unit_blocks || !r->unit_offset || !r->layer_scores ||
               !r->layer_rank || !r->block_names || !r->block_scores || !r->block_rank))
        s = ar_err_set(err, AR_E_NOMEM, "localize: out of memory scoring");
    for (int u = 0; !s && u < m->nunits; u++) {
        const ar_node_t *nd = &g->nodes[m->units[u].node];
        r->unit_offset[u] = m->units[u].offset;
        if (!(r->unit_names[u] = strdup(nd->name)) || !(r->unit_blocks[u] = strdup(nd->block)))
            s = ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
    }
    for (int b = 0; !s && b < m->nblocks; b++)
        if (!(r->block_names[b] = strdup(m->blocks[b]))) s = ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
    if (s) {
        free(scratch);
        free(bvals);
        ar_localize_result_destroy(&r);
        return s;
    }
    r->unit_offset[m->nunits] = n;
    ar_lz_counts_add(&r->counts, counts);
    int64_t F = counts->n_fail, P = counts->n_pass;
    for (int u = 0; u < m->nunits; u++) {
        const ar_unit_t *un = &m->units[u];
        const ar_node_t *nd = &g->nodes[un->node];
        const float *w = NULL;
        for (int k = 0; k < nd->nparams; k++)
            if (!strcmp(nd->params[k].name, "weight")) w = nd->params[k].value.data;
        for (int c = 0; c < un->channels; c++) {
            double ss = 0.0;
            for (int64_t j = 0; j < un->fan; j++) ss += (double)w[c * un->fan + j] * w[c * un->fan + j];
            r->grad_weight[un->offset + c] = o->gscale == AR_GSCALE_WEIGHT ? sqrt(ss / (double)un->fan) : 1.0;
        }
    }
    double gmax = 0.0;
    for (int64_t i = 0; i < n; i++) {
        r->threshold[i] = threshold[i];
        r->grad[i] = F > 0 ? grad_sum[i] / (double)F : 0.0;
        r->grad_weight[i] *= r->grad[i];
        if (r->grad_weight[i] > gmax) gmax = r->grad_weight[i];
        int64_t af = counts->act_fail[i], ap = counts->act_pass[i];
        r->spectrum[i] = ar_sbfl_score(o->formula, af, F - af, ap, P - ap);
    }
    /* suspiciousness = spectrum x normalised gradient (0 when the norm is 0) */
    for (int u = 0; u < m->nunits; u++) {
        const ar_unit_t *un = &m->units[u];
        double norm = gmax;
        if (o->gnorm == AR_GNORM_LAYER || o->gnorm == AR_GNORM_LAYER_MEAN) {
            norm = 0.0;
            for (int c = 0; c < un->channels; c++) {
                double v = r->grad_weight[un->offset + c];
                if (o->gnorm == AR_GNORM_LAYER_MEAN) norm += v / un->channels;
                else if (v > norm) norm = v;
            }
        }
        for (int c = 0; c < un->channels; c++) {
            int64_t i = un->offset + c;
            double w = o->gnorm == AR_GNORM_NONE ? 1.0 : (norm > 0 ? r->grad_weight[i] / norm : 0.0);
            r->susp[i] = r->spectrum[i] * w;
        }
        r->layer_scores[u] = ar_agg_apply(o->aggregate, r->susp + un->offset, un->channels, o->top_k, scratch);
    }
    for (int b = 0; b < m->nblocks; b++) {
        int64_t k = 0;
        for (int u = 0; u < m->nunits; u++)
            if (m->units[u].block == b)
                for (int c = 0; c < m->units[u].channels; c++) bvals[k++] = r->susp[m->units[u].offset + c];
        r->block_scores[b] = ar_agg_apply(o->aggregate, bvals, k, o->top_k, scratch);
    }
    rank(r->layer_scores, r->nunits, r->layer_rank);
    rank(r->block_scores, r->nblocks, r->block_rank);
    free(scratch);
    free(bvals);
    *out = r;
    return AR_OK;
}

int ar_localize_write_h5(ar_h5_t *h, const ar_localize_result_t *r, ar_err_t *err)
{
    const char *G = "/localization";
    int64_t nb = r->nblocks, nu = r->nunits, nn = r->nneurons, nu1 = r->nunits + 1;
    const char **ranked = malloc((size_t)(nb ? nb : 1) * sizeof *ranked);
    if (!ranked) return ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
    for (int b = 0; b < r->nblocks; b++) ranked[b] = r->block_names[r->block_rank[b]];
    const ar_localize_opts_t *o = &r->opts;
    int s = ar_h5_group(h, G, err);
    if (!s) s = ar_h5_write_strings(h, "/localization/block_names", (const char *const *)r->block_names, r->nblocks, err);
    if (!s) s = ar_h5_write(h, "/localization/block_scores", AR_DT_F64, 1, &nb, r->block_scores, 0, err);
    if (!s) s = ar_h5_write_strings(h, "/localization/block_ranking", ranked, r->nblocks, err);
    if (!s) s = ar_h5_write_strings(h, "/localization/layer_names", (const char *const *)r->unit_names, r->nunits, err);
    if (!s) s = ar_h5_write_strings(h, "/localization/layer_blocks", (const char *const *)r->unit_blocks, r->nunits, err);
    if (!s) s = ar_h5_write(h, "/localization/layer_scores", AR_DT_F64, 1, &nu, r->layer_scores, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/layer_offsets", AR_DT_I64, 1, &nu1, r->unit_offset, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/neurons/act_fail", AR_DT_I64, 1, &nn, r->counts.act_fail, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/neurons/act_pass", AR_DT_I64, 1, &nn, r->counts.act_pass, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/neurons/grad", AR_DT_F64, 1, &nn, r->grad, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/neurons/threshold", AR_DT_F64, 1, &nn, r->threshold, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/neurons/spectrum", AR_DT_F64, 1, &nn, r->spectrum, 0, err);
    if (!s) s = ar_h5_write(h, "/localization/neurons/suspiciousness", AR_DT_F64, 1, &nn, r->susp, 0, err);
    int64_t cnt[3] = {r->counts.n_fail, r->counts.n_pass, r->counts.n_adv};
    if (!s) s = ar_h5_attr_write(h, G, "n_fail", AR_DT_I64, 1, &cnt[0], 1, err);
    if (!s) s = ar_h5_attr_write(h, G, "n_pass", AR_DT_I64, 1, &cnt[1], 1, err);
    if (!s) s = ar_h5_attr_write(h, G, "n_adv", AR_DT_I64, 1, &cnt[2], 1, err);
    if (!s) s = ar_h5_attr_write_str(h, G, "chosen", nb ? ranked[0] : "", err);
    if (!s) s = ar_h5_attr_write_str(h, G, "formula", ar_sbfl_name(o->formula), err);
    if (!s) s = ar_h5_attr_write_str(h, G, "aggregate", ar_agg_name(o->aggregate), err);
    if (!s) s = ar_h5_attr_write_str(h, G, "threshold_mode", ar_thresh_name(o->threshold_mode), err);
    if (!s) s = ar_h5_attr_write_str(h, G, "gradient_norm", ar_gnorm_name(o->gnorm), err);
    if (!s) s = ar_h5_attr_write_str(h, G, "adversarial", ar_adv_name(o->adv.method), err);
    free(ranked);
    return s;
}

void ar_localize_print(const ar_localize_result_t *r, int top, FILE *f)
{
    fprintf(f, "localization: %lld failing (%lld adversarial), %lld passing; %s, %s, %s\n",
            (long long)r->counts.n_fail, (long long)r->counts.n_adv, (long long)r->counts.n_pass,
            ar_sbfl_name(r->opts.formula), ar_thresh_name(r->opts.threshold_mode), ar_agg_name(r->opts.aggregate));
    fprintf(f, "block ranking:\n");
    for (int i = 0; i < r->nblocks; i++)
        fprintf(f, "  %2d  %-24s %.6g\n", i + 1, r->block_names[r->block_rank[i]],
                r->block_scores[r->block_rank[i]]);
    int nl = top < r->nunits ? top : r->nunits;
    fprintf(f, "layer ranking (top %d):\n", nl);
    for (int i = 0; i < nl; i++)
        fprintf(f, "  %2d  %-24s %.6g\n", i + 1, r->unit_names[r->layer_rank[i]], r->layer_scores[r->layer_rank[i]]);
}
