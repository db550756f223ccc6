/* localize.c - options and the in-process localization run. Contract:
 * localize.h. */
#include "localize/localize.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

static const char *const thresh_names[] = {"fixed", "passing_mean"};
_Static_assert(sizeof thresh_names / sizeof thresh_names[0] == AR_THRESH_COUNT, "threshold names out of step");
static const char *const gscale_names[] = {"weight", "raw"};
_Static_assert(sizeof gscale_names / sizeof gscale_names[0] == AR_GSCALE_COUNT, "gscale names out of step");
static const char *const gnorm_names[] = {"layer_mean", "global", "layer", "none"};
_Static_assert(sizeof gnorm_names / sizeof gnorm_names[0] == AR_GNORM_COUNT, "gnorm names out of step");

const char *ar_thresh_name(ar_thresh_mode_t m) { return (unsigned)m < AR_THRESH_COUNT ? thresh_names[m] : "?"; }
const char *ar_gnorm_name(ar_gnorm_t g) { return (unsigned)g < AR_GNORM_COUNT ? gnorm_names[g] : "?"; }

int ar_thresh_parse(const char *s)
{
    for (int i = 0; i < AR_THRESH_COUNT; i++)
        if (!strcmp(s, thresh_names[i])) return i;
    return -1;
}

const char *ar_gscale_name(ar_gscale_t g) { return (unsigned)g < AR_GSCALE_COUNT ? gscale_names[g] : "?"; }

int ar_gscale_parse(const char *s)
{
    for (int i = 0; i < AR_GSCALE_COUNT; i++)
        if (!strcmp(s, gscale_names[i])) return i;
    return -1;
}

int ar_gnorm_parse(const char *s)
{
    for (int i = 0; i < AR_GNORM_COUNT; i++)
        if (!strcmp(s, gnorm_names[i])) return i;
    return -1;
}

ar_localize_opts_t ar_localize_opts_default(void)
{
    ar_localize_opts_t o = {
        .count = 1000,
        .seed = 0,
        .batch = 256,
        .adv = {.method = AR_ADV_FGSM, .eps = 8.0, .step = 2.0, .steps = 10},
        .formula = AR_SBFL_OCHIAI,
        .threshold_mode = AR_THRESH_PASSING_MEAN,
        .threshold = 0.0,
        .gscale = AR_GSCALE_WEIGHT,
        .gnorm = AR_GNORM_LAYER_MEAN,
        .aggregate = AR_AGG_MAX,
        .top_k = 10,
    };
    return o;
}

int ar_localize_opts_check(const ar_localize_opts_t *o, ar_err_t *err)
{
    if (o->count < 1) return ar_err_set(err, AR_E_ARG, "localize: count %lld < 1", (long long)o->count);
    if (o->batch < 1) return ar_err_set(err, AR_E_ARG, "localize: batch %d < 1", o->batch);
    if ((unsigned)o->adv.method >= AR_ADV_COUNT || (unsigned)o->formula >= AR_SBFL_COUNT ||
        (unsigned)o->threshold_mode >= AR_THRESH_COUNT || (unsigned)o->gnorm >= AR_GNORM_COUNT || (unsigned)o->gscale >= AR_GSCALE_COUNT ||
        (unsigned)o->aggregate >= AR_AGG_COUNT)
        return ar_err_set(err, AR_E_ARG, "localize: an enumerated option is out of range");
    if (o->adv.method != AR_ADV_NONE && !(o->adv.eps > 0 && o->adv.eps <= 255))
        return ar_err_set(err, AR_E_ARG, "localize: eps %g outside (0, 255]", o->adv.eps);
    if (o->adv.method == AR_ADV_PGD && (o->adv.steps < 1 || !(o->adv.step > 0)))
        return ar_err_set(err, AR_E_ARG, "localize: PGD needs steps >= 1 and step > 0");
    if (o->top_k < 1) return ar_err_set(err, AR_E_ARG, "localize: top_k %d < 1", o->top_k);
    return AR_OK;
}

/* Runs role over every batch of ex, summing batch rows into sum (in order). */
static int run_batches(ar_lz_engine_t *e, ar_lz_role_t role, ar_dataset_t *const *sets,
                       const ar_lz_example_t *ex, int64_t n, const double *thr, ar_lz_counts_t *cnt,
                       double *sum, double *row, int64_t *idx, ar_err_t *err)
{
    int64_t *start = NULL, nb = 0, nn = ar_lz_engine_map(e)->nneurons;
    int s = ar_lz_batches(ex, n, ar_lz_engine_batch_size(e), &start, &nb, err);
    for (int64_t b = 0; !s && b < nb; b++) {
        int64_t a = start[b], k = start[b + 1] - a;
        for (int64_t i = 0; i < k; i++) idx[i] = ex[a + i].index;
        s = ar_lz_engine_run(e, role, sets[ex[a].set], ex[a].set, idx, k, thr, cnt, row, err);
        for (int64_t i = 0; !s && i < nn; i++) sum[i] += row[i];
    }
    free(start);
    return s;
}

int ar_localize_run(ar_graph_t *g, ar_dataset_t *const *sets, int nsets,
                    const ar_localize_opts_t *o, const ar_log_t *log, ar_localize_result_t **out,
                    ar_err_t *err)
{
    *out = NULL;
    int s = ar_localize_opts_check(o, err);
    if (s) return s;
    if (nsets < 1) return ar_err_set(err, AR_E_ARG, "localize: no source set");
    double t0 = ar_now();
    ar_lz_engine_t *e = ar_lz_engine_new(g, o->batch, o->mean, o->std, &o->adv, o->seed, err);
    if (!e) return err->status;
    const ar_neuron_map_t *m = ar_lz_engine_map(e);
    int64_t nn = m->nneurons;
    int64_t *counts = calloc((size_t)nsets, sizeof *counts), nf = 0, np = 0;
    uint8_t **correct = calloc((size_t)nsets, sizeof *correct);
    ar_lz_example_t *fail = NULL, *pass = NULL;
    double *thr = calloc((size_t)nn, sizeof *thr), *sum = calloc((size_t)nn, sizeof *sum);
    double *row = malloc((size_t)nn * sizeof *row);
    int64_t *idx = malloc((size_t)o->batch * sizeof *idx);
    ar_lz_counts_t cnt = {0};
    if (!counts || !correct || !thr || !sum || !row || !idx) s = ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
    for (int i = 0; !s && i < nsets; i++) {
        counts[i] = ar_dataset_info(sets[i])->count;
        if (!(correct[i] = malloc((size_t)(counts[i] ? counts[i] : 1))))
            s = ar_err_set(err, AR_E_NOMEM, "localize: out of memory");
        if (!s) s = ar_lz_engine_scan(e, sets[i], 0, counts[i], correct[i], err);
    }
    if (!s) s = ar_lz_select(nsets, counts, (const uint8_t *const *)correct, o->count, o->seed, &fail, &nf, &pass, &np, err);
    if (!s) {
        ar_info(log, "localize: scanned %d set(s) in %.2f s; %lld failing, %lld passing examples", nsets,
                ar_now() - t0, (long long)nf, (long long)np);
        s = ar_lz_counts_init(&cnt, nn, err);
    }
    if (!s && o->threshold_mode == AR_THRESH_PASSING_MEAN) {
        s = run_batches(e, AR_LZ_MEAN, sets, pass, np, NULL, &cnt, sum, row, idx, err);
        for (int64_t i = 0; !s && i < nn; i++) {
            thr[i] = sum[i] / (double)np;
            sum[i] = 0.0;
        }
    } else {
        for (int64_t i = 0; i < nn; i++) thr[i] = o->threshold;
    }
    if (!s) s = run_batches(e, AR_LZ_FAILING, sets, fail, nf, thr, &cnt, sum, row, idx, err);
    if (!s) s = run_batches(e, AR_LZ_PASSING, sets, pass, np, thr, &cnt, sum, row, idx, err);
    if (!s) s = ar_lz_score(g, m, o, &cnt, sum, thr, out, err);
    if (!s) ar_info(log, "localize: done in %.2f s; most suspicious block %s", ar_now() - t0,
                    (*out)->nblocks ? (*out)->block_names[(*out)->block_rank[0]] : "(none)");
    for (int i = 0; correct && i < nsets; i++) free(correct[i]);
    free(correct);
    free(counts);
    free(fail);
    free(pass);
    free(thr);
    free(sum);
    free(row);
    free(idx);
    ar_lz_counts_free(&cnt);
    ar_lz_engine_destroy(&e);
    return s;
}
