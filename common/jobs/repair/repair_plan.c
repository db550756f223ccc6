/* repair_plan.c - a repair job's population, rungs and predicted schedule
 * (repair_plan.h). */
#include "repair_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/repair/repair_params.h"
#include "repair/search.h"
#include "runtime/coord_state.h"

int64_t ar_repair_rung_epochs(int64_t full, int rung, int R, int64_t min)
{
    int64_t e = full >> (R - 1 - rung);
    return e < min ? min : e;
}

int64_t ar_repair_all_epochs(const ar_job_config_t *cfg, int method)
{
    if (ar_method_blockless(method)) return 0;
    int64_t e = cfg->repair.finetune_all_epochs;
    return e >= 0 ? e : ar_method_all_epochs(method);
}

int ar_repair_method_shape(const ar_job_config_t *cfg, int nblocks, int method, int one_layer,
                           int *ntarget, int *nvariants, ar_err_t *err)
{
    int nt = cfg->repair.blocks.n ? cfg->repair.blocks.n
                                  : (int)(cfg->repair.top_k < nblocks ? cfg->repair.top_k : nblocks);
    /* finetune and bn-adapt have no target block */
    if (ar_method_blockless(method) || one_layer) nt = 1;
    int nn = ar_method_cell(method) ? cfg->repair.nodes.n : 1;
    /* bn-adapt is deterministic and has no learning rate: one variant */
    int ns = method == AR_METHOD_BN_ADAPT ? 1 : cfg->repair.seeds.n;
    int nl = method == AR_METHOD_BN_ADAPT ? 1 : cfg->repair.lrs.n;
    *ntarget = nt, *nvariants = nn * ns * nl;
    if (nt < 1 || *nvariants < 1)
        return ar_err_set(err, AR_E_CONFIG, "%s:%d: key 'repair.blocks' leaves no candidate",
                          ar_job_name(cfg), ar_job_key_line(cfg, "repair.blocks"));
    return AR_OK;
}

/* The methods of the job in population order (repair.methods, else
 * repair.method). */
static int job_methods(const ar_job_config_t *cfg, int *m, ar_err_t *err)
{
    int n = cfg->repair.methods.n ? cfg->repair.methods.n : 1;
    for (int i = 0; i < n && i < 8; i++) {
        const char *name = cfg->repair.methods.n ? cfg->repair.methods.v[i] : cfg->repair.method;
        if ((m[i] = ar_method_parse(name)) < 0)
            return ar_err_set(err, AR_E_CONFIG, "%s: unknown repair method '%s'", ar_job_name(cfg), name);
    }
    return n < 8 ? n : 8;
}

int ar_repair_population(const ar_job_config_t *cfg, int nblocks, int counts[8], ar_err_t *err)
{
    memset(counts, 0, 8 * sizeof *counts);
    int m[8], n = job_methods(cfg, m, err);
    if (n < 0) return err->status;
    /* the spectrum analysis names a layer; the probes do not */
    int localizes = !cfg->repair.blocks.n && strcmp(cfg->repair.ranking, "probe") != 0;
    for (int i = 0; i < n; i++) {
        int nt, nv;
        int one_layer = m[i] == AR_METHOD_LAYER && !cfg->repair.layer[0] && localizes;
        int s = ar_repair_method_shape(cfg, nblocks, m[i], one_layer, &nt, &nv, err);
        if (s) return s;
        counts[m[i]] += nt * nv;
    }
    return AR_OK;
}

/* One rung on W workers: candidates in population order, each with its
 * work and the most workers it can use; the coordinator's rule hands the
 * idle workers out, a finished candidate frees its workers. */
static void simulate(const double *work, const int *maxp, int n, int W, ar_repair_plan_rung_t *r)
{
    double *end = calloc((size_t)(n ? n : 1), sizeof *end);
    int *parts = calloc((size_t)(n ? n : 1), sizeof *parts);
    if (!end || !parts) {
        free(end), free(parts);
        return;
    }
    int idle = W, next = 0, running = 0;
    double now = 0, total = 0;
    r->min_workers = n ? W : 0, r->max_workers = 0, r->waves = 0;
    while (next < n || running) {
        int started = 0;
        while (next < n && idle > 0) {
            int p = ar_share_parts(idle, n - next, maxp[next]);
            parts[next] = p, end[next] = now + work[next] / p;
            idle -= p, running++, total += work[next], started = 1;
            if (p < r->min_workers) r->min_workers = p;
            if (p > r->max_workers) r->max_workers = p;
            next++;
        }
        r->waves += started;
        if (!running) break;
        int f = -1; /* the next to finish, and every one finishing with it */
        for (int i = 0; i < next; i++)
            if (parts[i] && (f < 0 || end[i] < end[f])) f = i;
        now = end[f];
        for (int i = 0; i < next; i++)
            if (parts[i] && end[i] <= now) idle += parts[i], parts[i] = 0, running--;
    }
    r->span = now;
    r->busy = now > 0 ? total / (now * W) : 0;
    free(end), free(parts);
}

/* repair.ranking = "probe": one block-weights task of probe_epochs per
 * block, all in one round; candidates -1 when the block count is not known. */
static int probe_round(const ar_job_config_t *cfg, int nblocks, int workers, ar_repair_plan_rung_t *r,
                       ar_err_t *err)
{
    if (nblocks > AR_REPAIR_PLAN_MAXBLOCKS) {
        r->candidates = -1;
        return AR_OK;
    }
    r->candidates = nblocks, r->epochs = cfg->repair.probe_epochs;
    double *work = malloc((size_t)(nblocks ? nblocks : 1) * sizeof *work);
    int *maxp = malloc((size_t)(nblocks ? nblocks : 1) * sizeof *maxp);
    if (!work || !maxp) {
        free(work), free(maxp);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < nblocks; i++)
        work[i] = (double)r->epochs,
        maxp[i] = ar_repair_max_parts(cfg->repair.batch, cfg->repair.micro_batch, AR_METHOD_BLOCK_WEIGHTS);
    simulate(work, maxp, nblocks, workers, r);
    free(work), free(maxp);
    return AR_OK;
}

int ar_repair_plan(const ar_job_config_t *cfg, int nblocks, int ranks, ar_repair_plan_t *out,
                   ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    int s = ar_repair_population(cfg, nblocks, out->methods, err);
    if (s) return s;
    int R = (int)cfg->repair.rungs;
    if (R > AR_REPAIR_PLAN_MAXRUNGS) R = AR_REPAIR_PLAN_MAXRUNGS;
    out->workers = ranks > 1 ? ranks - 1 : 1;
    out->nrungs = R;
    if (!cfg->repair.blocks.n && !strcmp(cfg->repair.ranking, "probe") &&
        (s = probe_round(cfg, nblocks, out->workers, &out->probe, err)))
        return s;
    /* the population in order, each candidate's method */
    int n = 0;
    for (int k = 0; k < 8; k++) n += out->methods[k];
    out->candidates = n;
    int *meth = malloc((size_t)(n ? n : 1) * sizeof *meth), *maxp = malloc((size_t)(n ? n : 1) * sizeof *maxp);
    double *work = malloc((size_t)(n ? n : 1) * sizeof *work);
    if (!meth || !maxp || !work) {
        free(meth), free(maxp), free(work);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    int m[8], nm = job_methods(cfg, m, err), at = 0;
    for (int i = 0; i < nm; i++)
        for (int j = 0; j < out->methods[m[i]] && at < n; j++) meth[at++] = m[i];
    /* the probe round (all 0 without one) and the rungs */
    double busy_work = out->probe.busy * out->probe.span * out->workers,
           busy_span = out->probe.span * out->workers;
    int alive = n;
    for (int k = 0; k < R; k++) {
        ar_repair_plan_rung_t *r = &out->rung[k];
        r->candidates = alive;
        if (cfg->repair.budget) r->passes = ar_repair_rung_epochs(cfg->repair.budget, k, R, 1);
        else r->epochs = ar_repair_rung_epochs(cfg->repair.search_epochs, k, R, 1) +
                         ar_repair_rung_epochs(cfg->repair.finetune_epochs, k, R, 0);
        for (int i = 0; i < alive; i++) { /* survivors: which methods is not known before */
            maxp[i] = ar_repair_max_parts(cfg->repair.batch, cfg->repair.micro_batch, meth[i]);
            work[i] = (double)(r->passes ? r->passes
                                         : r->epochs + ar_repair_rung_epochs(
                                                           ar_repair_all_epochs(cfg, meth[i]), k, R, 0));
            if (k == 0 && meth[i] == AR_METHOD_BN_ADAPT) work[i] = 0; /* no training */
            if (maxp[i] > out->max_parts) out->max_parts = maxp[i];
        }
        simulate(work, maxp, alive, out->workers, r);
        busy_work += r->busy * r->span * out->workers, busy_span += r->span * out->workers;
        alive = (alive + 1) / 2;
    }
    out->busy = busy_span > 0 ? busy_work / busy_span : 0;
    free(meth), free(maxp), free(work);
    return AR_OK;
}
