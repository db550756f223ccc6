/* localize_file.c - reads a localize result's /localization group
 * (localize_file.h). */
#include "localize_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "result_file.h"

#define G "/localization"

int ar_localize_file_block(const ar_localize_file_t *r, const char *name)
{
    for (int b = 0; b < r->nblocks; b++)
        if (strcmp(r->block_names[b], name) == 0) return b;
    return -1;
}

static int read_attrs(ar_h5_t *h, ar_localize_file_t *r, ar_err_t *err)
{
    char **s[] = {&r->chosen, &r->formula, &r->aggregate, &r->threshold_mode, &r->gradient_norm,
                  &r->adversarial, &r->model, &r->version, &r->job};
    static const char *const names[] = {"chosen", "formula", "aggregate", "threshold_mode", "gradient_norm",
                                        "adversarial", "model", "version", "job"};
    int st = AR_OK;
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (!(*s[i] = ar_result_attr_str(h, G, names[i]))) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    r->ranks = (int)ar_result_attr_num(h, G, "ranks", 0), r->wall = ar_result_attr_num(h, G, "wall_seconds", 0);
    r->n_fail = (int64_t)ar_result_attr_num(h, G, "n_fail", 0), r->n_pass = (int64_t)ar_result_attr_num(h, G, "n_pass", 0);
    r->n_adv = (int64_t)ar_result_attr_num(h, G, "n_adv", 0);
    return st;
}

/* layer_offsets: 0, non-decreasing, ending at the neuron count. */
static int check_offsets(ar_h5_t *h, const ar_localize_file_t *r, ar_err_t *err)
{
    int ok = r->layer_offsets[0] == 0 && r->layer_offsets[r->nlayers] == r->nneurons;
    for (int l = 0; ok && l < r->nlayers; l++) ok = r->layer_offsets[l] <= r->layer_offsets[l + 1];
    return ok ? AR_OK
              : ar_err_set(err, AR_E_FORMAT, "%s:%s/layer_offsets: not 0 .. %lld in order", ar_h5_path(h), G,
                           (long long)r->nneurons);
}

/* 1 when layer a ranks before layer b: higher score, NaN last, ties in
 * graph order. */
static int ranks_before(const double *v, int a, int b)
{
    if (isnan(v[a]) || isnan(v[b])) return isnan(v[a]) == isnan(v[b]) ? a < b : !isnan(v[a]);
    return v[a] > v[b] || (v[a] == v[b] && a < b);
}

/* rank[i] = 1 + the layers ranking before i: a permutation of 1..n. */
static void rank_desc(const double *v, int n, int *rank)
{
    for (int i = 0; i < n; i++) {
        int k = 1;
        for (int j = 0; j < n; j++) k += j != i && ranks_before(v, j, i);
        rank[i] = k;
    }
}

static void block_stats(ar_localize_file_t *r)
{
    for (int b = 0; b < r->nblocks; b++) {
        ar_localize_block_stats_t *s = &r->blocks[b];
        s->top_layer = -1;
        for (int k = 0; k < r->nblocks; k++)
            if (strcmp(r->block_ranking[k], r->block_names[b]) == 0) s->rank = k + 1;
    }
    for (int l = 0; l < r->nlayers; l++) {
        int b = ar_localize_file_block(r, r->layer_blocks[l]);
        if (b < 0) continue;
        ar_localize_block_stats_t *s = &r->blocks[b];
        s->layers++;
        if (s->top_layer < 0 || r->layer_scores[l] > r->layer_scores[s->top_layer]) s->top_layer = l;
        for (int64_t i = r->layer_offsets[l]; i < r->layer_offsets[l + 1]; i++) {
            if (!s->neurons || r->susp[i] > s->susp_max) s->susp_max = r->susp[i];
            s->neurons++;
            s->susp_mean += r->susp[i], s->spectrum_mean += r->spectrum[i], s->grad_mean += r->grad[i];
            s->act_fail += r->n_fail ? (double)r->act_fail[i] / (double)r->n_fail : 0;
            s->act_pass += r->n_pass ? (double)r->act_pass[i] / (double)r->n_pass : 0;
        }
    }
    for (int b = 0; b < r->nblocks; b++) {
        ar_localize_block_stats_t *s = &r->blocks[b];
        double n = s->neurons ? (double)s->neurons : 1;
        s->susp_mean /= n, s->spectrum_mean /= n, s->grad_mean /= n, s->act_fail /= n, s->act_pass /= n;
    }
}

int ar_localize_file_read(const char *path, ar_localize_file_t *r, ar_err_t *err)
{
    memset(r, 0, sizeof *r);
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    int st = AR_OK, k;
    if (!ar_h5_is_group(h, G)) st = ar_err_set(err, AR_E_FORMAT, "%s: not a localize result (no %s group)", path, G);
    if (!st) st = read_attrs(h, r, err);
    if (!st) st = ar_result_names(h, G "/block_names", &r->block_names, &r->nblocks, -1, err);
    int64_t nb = r->nblocks;
    if (!st) st = ar_result_array(h, G "/block_scores", AR_DT_F64, sizeof(double), nb, (void **)&r->block_scores, NULL, NULL, err);
    if (!st) st = ar_result_names(h, G "/block_ranking", &r->block_ranking, &k, r->nblocks, err);
    if (!st) st = ar_result_names(h, G "/layer_names", &r->layer_names, &r->nlayers, -1, err);
    if (!st) st = ar_result_names(h, G "/layer_blocks", &r->layer_blocks, &k, r->nlayers, err);
    int64_t nl = r->nlayers, nn = -1;
    if (!st) st = ar_result_array(h, G "/layer_scores", AR_DT_F64, sizeof(double), nl, (void **)&r->layer_scores, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/layer_offsets", AR_DT_I64, sizeof(int64_t), nl + 1, (void **)&r->layer_offsets, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/neurons/suspiciousness", AR_DT_F64, sizeof(double), -1, (void **)&r->susp, &nn, NULL, err);
    r->nneurons = nn > 0 ? nn : 0;
    if (!st) st = check_offsets(h, r, err);
    if (!st) st = ar_result_array(h, G "/neurons/spectrum", AR_DT_F64, sizeof(double), nn, (void **)&r->spectrum, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/neurons/grad", AR_DT_F64, sizeof(double), nn, (void **)&r->grad, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/neurons/threshold", AR_DT_F64, sizeof(double), nn, (void **)&r->threshold, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/neurons/act_fail", AR_DT_I64, sizeof(int64_t), nn, (void **)&r->act_fail, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/neurons/act_pass", AR_DT_I64, sizeof(int64_t), nn, (void **)&r->act_pass, NULL, NULL, err);
    if (!st) {
        r->blocks = calloc((size_t)r->nblocks + 1, sizeof *r->blocks);
        r->layer_rank = calloc((size_t)r->nlayers + 1, sizeof *r->layer_rank);
        if (!r->blocks || !r->layer_rank) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    if (!st) {
        block_stats(r);
        rank_desc(r->layer_scores, r->nlayers, r->layer_rank);
    }
    ar_h5_destroy(&h);
    return st;
}

void ar_localize_file_free(ar_localize_file_t *r)
{
    free(r->chosen), free(r->formula), free(r->aggregate), free(r->threshold_mode), free(r->gradient_norm);
    free(r->adversarial), free(r->model), free(r->version), free(r->job);
    ar_h5_free_strings(r->block_names, r->nblocks), ar_h5_free_strings(r->block_ranking, r->nblocks);
    free(r->block_scores), free(r->blocks);
    ar_h5_free_strings(r->layer_names, r->nlayers), ar_h5_free_strings(r->layer_blocks, r->nlayers);
    free(r->layer_scores), free(r->layer_offsets), free(r->layer_rank);
    free(r->act_fail), free(r->act_pass), free(r->grad), free(r->threshold), free(r->spectrum), free(r->susp);
    memset(r, 0, sizeof *r);
}
