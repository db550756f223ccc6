/* repair_report.c - the repair job's result file and summary table
 * (repair_coord.h; layout in docs/results.md "Repair job result"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/job_config.h"
#include "core/fsutil.h"
#include "core/str.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "corrupt/corrupt.h"
#include "io/h5.h"
#include "jobs/job_json.h"
#include "jobs/repair/repair_coord.h"
#include "jobs/repair/repair_means.h"
#include "nn/model_io.h"
#include "repair/search.h"

void ar_repair_iso_now(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* /repair/history: one row per streamed epoch report, in task order. */
static int write_history(ar_h5_t *h, const ar_repair_job_t *r, ar_err_t *err)
{
    int64_t n = r->nhist;
    if (n == 0) return AR_OK;
    int64_t *ci = malloc((size_t)n * sizeof *ci), *ru = malloc((size_t)n * sizeof *ru),
            *ep = malloc((size_t)n * sizeof *ep);
    double *lo = malloc((size_t)n * sizeof *lo), *va = malloc((size_t)n * sizeof *va),
           *en = malloc((size_t)n * sizeof *en);
    const char **ph = malloc((size_t)n * sizeof *ph);
    int s = (!ci || !ru || !ep || !lo || !va || !en || !ph) ? ar_err_set(err, AR_E_NOMEM, "out of memory")
                                                           : AR_OK;
    for (int64_t i = 0; !s && i < n; i++) {
        const ar_repair_epoch_t *e = &r->hist[i];
        ci[i] = e->cand, ru[i] = e->rung, ep[i] = e->epoch, ph[i] = e->phase;
        lo[i] = e->train_loss, va[i] = e->val_acc, en[i] = e->alpha_entropy;
    }
    if (!s) s = ar_h5_write(h, "/repair/history/candidate", AR_DT_I64, 1, &n, ci, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/history/rung", AR_DT_I64, 1, &n, ru, 0, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/history/phase", ph, (int)n, err);
    if (!s) s = ar_h5_write(h, "/repair/history/epoch", AR_DT_I64, 1, &n, ep, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/history/train_loss", AR_DT_F64, 1, &n, lo, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/history/val_acc", AR_DT_F64, 1, &n, va, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/history/alpha_entropy", AR_DT_F64, 1, &n, en, 0, err);
    free(ci), free(ru), free(ep), free(lo), free(va), free(en), free(ph);
    return s;
}

/* The result's method: the chosen candidate's, else (the original kept) the
 * first of the population. */
static const char *result_method(const ar_repair_job_t *r)
{
    return ar_method_name((ar_method_t)(r->best >= 0 ? r->c[r->best].method : r->methods[0]));
}

/* The population's methods as a comma list. */
static void methods_list(const ar_repair_job_t *r, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int m = 0; m < r->nmethods; m++) ar_str_list_add(buf, cap, ar_method_name((ar_method_t)r->methods[m]));
}

/* Candidate i's place in the halving: "chosen", "kept" (survived the last
 * rung) or "pruned". */
static const char *cand_status(const ar_repair_job_t *r, int i)
{
    return i == r->best ? "chosen" : r->c[i].alive ? "kept" : "pruned";
}

/* held[i] = 1 when evaluation set i is held out: a corrupted set whose
 * corruption the repair pool never saw (not among repair.corruptions, or no
 * corrupted pool images at all with repair.augment = 0); 0 for in-pool
 * corrupted sets and the clean set. */
static void held_out_flags(const ar_repair_job_t *r, const ar_job_ctx_t *job, int8_t *held)
{
    for (int i = 0; i < r->nsets; i++) {
        const char *c = r->sets[i].corruption;
        int k = ar_corrupt_find(c);
        int in_pool = job->cfg->repair.augment > 0 && k >= 0 && r->in_pool[k];
        held[i] = c[0] && !in_pool;
    }
}

/* repair.ranking = "probe": every block's probe under /repair/blocks. */
static int write_probes(ar_h5_t *h, const ar_repair_job_t *r, ar_err_t *err)
{
    int64_t nb = r->nblocks;
    double *v = calloc((size_t)(3 * nb + 1), sizeof *v);
    int64_t *passes = calloc((size_t)(2 * nb + 1), sizeof *passes);
    int s = v && passes ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int64_t i = 0; !s && i < nb; i++) {
        v[i] = r->probes[i].val_clean, v[nb + i] = r->probes[i].val_corrupt;
        v[2 * nb + i] = r->probes[i].cost_cpu_s;
        passes[2 * i] = r->probes[i].cost_fwd, passes[2 * i + 1] = r->probes[i].cost_bwd;
    }
    if (!s) s = ar_h5_write(h, "/repair/blocks/probe_val_clean", AR_DT_F64, 1, &nb, v, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/blocks/probe_val_corrupt", AR_DT_F64, 1, &nb, v + nb, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/blocks/probe_cost_cpu_s", AR_DT_F64, 1, &nb, v + 2 * nb, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/blocks/probe_cost_passes", AR_DT_I64, 2, (int64_t[]){nb, 2}, passes, 0, err);
    free(v), free(passes);
    return s;
}

/* <output>.json: the outcome, every set (held-out flag, before / after),
 * the group means and the candidates, for scripts. */
static int write_json(const ar_repair_job_t *r, const ar_job_ctx_t *job, const int8_t *held,
                      const double *acc0, const double *acc1, const ar_repair_means_t *m, const char *ml,
                      double wall, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    const ar_repair_cand_t *best = r->best >= 0 ? &r->c[r->best] : NULL;
    ar_strbuf_t b = {0};
    ar_job_json_begin(&b, "repair", job);
    ar_strbuf_printf(&b, ",\n  \"method\": ");
    ar_strbuf_json_str(&b, result_method(r));
    ar_strbuf_printf(&b, ",\n  \"methods\": ");
    ar_strbuf_json_str(&b, ml);
    ar_strbuf_printf(&b, ",\n  \"outcome\": \"%s\",\n  \"block\": ", best ? "repaired" : "kept_original");
    ar_strbuf_json_str(&b, best ? best->block : "");
    ar_strbuf_printf(&b, ",\n  \"variant\": ");
    ar_strbuf_json_str(&b, best ? best->variant : "");
    ar_strbuf_printf(&b, ",\n  \"genotype\": ");
    ar_strbuf_json_str(&b, best ? best->genotype : "");
    ar_strbuf_printf(&b, ",\n  \"pool_corruptions\": ");
    ar_strbuf_json_str(&b, cfg->repair.augment > 0 ? r->corr_list : "");
    ar_strbuf_printf(&b,
                     ",\n  \"max_clean_drop\": %.17g,\n  \"validation\": {\"clean_before\": %.17g, "
                     "\"corrupted_before\": %.17g, \"clean_after\": %.17g, \"corrupted_after\": %.17g},\n",
                     cfg->repair.max_clean_drop, r->val_clean0, r->val_corrupt0,
                     best ? best->val_clean : r->val_clean0, best ? best->val_corrupt : r->val_corrupt0);
    int64_t tf = 0, tb = 0;
    double tc = 0;
    for (int i = 0; i < r->nc; i++) tf += r->c[i].cost_fwd, tb += r->c[i].cost_bwd, tc += r->c[i].cost_cpu_s;
    double pc = 0; /* the probes' share (repair.ranking = "probe") */
    for (int i = 0; r->probes && i < r->nblocks; i++)
        tf += r->probes[i].cost_fwd, tb += r->probes[i].cost_bwd, pc += r->probes[i].cost_cpu_s;
    ar_strbuf_printf(&b, "  \"ranking\": \"%s\",\n", r->ranking);
    ar_strbuf_printf(&b, "  \"cost\": {\"passes_fwd\": %lld, \"passes_bwd\": %lld, \"cpu_s\": %.3f, "
                     "\"probe_cpu_s\": %.3f},\n", (long long)tf, (long long)tb, tc + pc, pc);
    ar_strbuf_printf(&b, "  \"sets\": [\n");
    for (int i = 0; i < r->nsets; i++) {
        ar_strbuf_printf(&b, "    ");
        ar_job_json_set(&b, &r->sets[i]);
        ar_strbuf_printf(&b, ", \"held_out\": %d, \"count\": %lld, \"acc_before\": %.17g, \"acc_after\": %.17g}%s\n",
                         held[i], (long long)r->cnt[0][i], acc0[i], acc1[i], i + 1 < r->nsets ? "," : "");
    }
    ar_strbuf_printf(&b, "  ],\n  \"summary\": {");
    static const char *const gname[3] = {"clean", "in_pool", "held_out"};
    for (int g = 0; g < 3; g++)
        ar_strbuf_printf(&b, "%s\"%s\": {\"sets\": %d, \"before\": %.17g, \"after\": %.17g}",
                         g ? ", " : "", gname[g], m->n[g], m->before[g], m->after[g]);
    ar_strbuf_printf(&b, "},\n  \"candidates\": [");
    for (int i = 0; i < r->nc; i++) {
        const ar_repair_cand_t *c = &r->c[i];
        ar_strbuf_printf(&b, "%s\n    {\"method\": \"%s\", \"block\": ", i ? "," : "",
                         ar_method_name((ar_method_t)c->method));
        ar_strbuf_json_str(&b, c->block);
        ar_strbuf_printf(&b, ", \"variant\": ");
        ar_strbuf_json_str(&b, c->variant);
        ar_strbuf_printf(&b,
                         ", \"status\": \"%s\", \"rung\": %d, \"val_clean\": %.17g, \"val_corrupt\": %.17g, "
                         "\"interp\": %.17g, \"cost_passes_fwd\": %lld, \"cost_passes_bwd\": %lld, "
                         "\"cost_cpu_s\": %.3f, \"kept_epoch\": %lld, \"workers\": %lld}",
                         cand_status(r, i), c->rung, c->val_clean,
                         c->val_corrupt, c->interp, (long long)c->cost_fwd, (long long)c->cost_bwd,
                         c->cost_cpu_s, (long long)c->kept_epoch, (long long)c->workers);
    }
    ar_strbuf_printf(&b, "%s]", r->nc ? "\n  " : "");
    return ar_job_json_finish(&b, job, wall, err);
}

/* The printed table: every set (in-pool / held-out marked), then clean, the
 * in-pool mean and the held-out mean, before and after. */
static void print_table(const ar_repair_job_t *r, const int8_t *held, const double *acc0,
                        const double *acc1, const ar_repair_means_t *m)
{
    printf("%-32s %10s %10s %8s  %s\n", "set", "before", "after", "count", "pool");
    for (int i = 0; i < r->nsets; i++)
        printf("%-32s %10.4f %10.4f %8lld  %s\n", r->sets[i].label, acc0[i], acc1[i],
               (long long)r->cnt[0][i], !r->sets[i].corruption[0] ? "" : held[i] ? "held-out" : "in-pool");
    printf("%-32s %10s %10s %8s\n", "summary", "before", "after", "sets");
    for (int g = 0; g < AR_NGROUPS; g++)
        if (m->n[g])
            printf("%-32s %10.4f %10.4f %8d\n", ar_repair_group_names[g], m->before[g], m->after[g], m->n[g]);
    fflush(stdout);
}

int ar_repair_write_result(const ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_graph_t *g,
                           ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    char finished[32];
    ar_repair_iso_now(finished, sizeof finished);
    double wall = ar_now() - r->t0, *acc0 = calloc((size_t)r->nsets + 1, sizeof(double)),
           *acc1 = calloc((size_t)r->nsets + 1, sizeof(double)),
           *va = calloc((size_t)r->nc, sizeof(double)), *vc = calloc((size_t)r->nc, sizeof(double)),
           *vk = calloc((size_t)r->nc, sizeof(double)), *ia = calloc((size_t)r->nc + 1, sizeof(double)),
           *cpu = calloc((size_t)r->nc + 1, sizeof(double));
    int64_t *passes = calloc(2 * (size_t)r->nc + 2, sizeof *passes);
    const char **sn = calloc((size_t)r->nsets + 1, sizeof *sn), **cb = calloc((size_t)r->nc, sizeof *cb),
               **cv = calloc((size_t)r->nc, sizeof *cv), **cs = calloc((size_t)r->nc, sizeof *cs),
               **cg = calloc((size_t)r->nc, sizeof *cg), **cm = calloc((size_t)r->nc + 1, sizeof *cm);
    int64_t *seeds = calloc((size_t)r->nc, sizeof *seeds), *rungs = calloc((size_t)r->nc, sizeof *rungs),
            *kept = calloc((size_t)r->nc + 1, sizeof *kept),
            *workers = calloc((size_t)r->nc + 1, sizeof *workers);
    int8_t *held = calloc((size_t)r->nsets + 1, sizeof *held);
    int s = (!acc0 || !acc1 || !va || !vc || !vk || !sn || !cb || !cv || !cs || !cg || !seeds || !rungs ||
             !held || !cm || !ia || !cpu || !passes || !kept || !workers)
                ? ar_err_set(err, AR_E_NOMEM, "out of memory")
                : AR_OK;
    for (int i = 0; !s && i < r->nsets; i++) {
        sn[i] = r->sets[i].label;
        acc0[i] = r->cnt[0][i] ? (double)r->ok[0][i] / (double)r->cnt[0][i] : 0;
        acc1[i] = r->cnt[1][i] ? (double)r->ok[1][i] / (double)r->cnt[1][i] : 0;
    }
    for (int i = 0; !s && i < r->nc; i++) {
        cb[i] = r->c[i].block, cv[i] = r->c[i].variant, cg[i] = r->c[i].genotype;
        cm[i] = ar_method_name((ar_method_t)r->c[i].method);
        ia[i] = r->c[i].interp;
        passes[2 * i] = r->c[i].cost_fwd, passes[2 * i + 1] = r->c[i].cost_bwd;
        cpu[i] = r->c[i].cost_cpu_s;
        seeds[i] = (int64_t)r->c[i].seed, va[i] = r->c[i].val_acc, rungs[i] = r->c[i].rung;
        kept[i] = r->c[i].kept_epoch;
        workers[i] = r->c[i].workers;
        vc[i] = r->c[i].val_clean, vk[i] = r->c[i].val_corrupt;
        cs[i] = cand_status(r, i);
    }
    if (!s) held_out_flags(r, job, held);
    ar_repair_means_t gm = s ? (ar_repair_means_t){0} : ar_repair_means(r->nsets, sn, held, acc0, acc1);
    char ml[256];
    methods_list(r, ml, sizeof ml);
    const char **bn = (const char **)r->blocks;
    int64_t m = r->nsets, nb = r->nblocks, nc = r->nc;
    int32_t ranks = job->ranks;
    const ar_repair_cand_t *best = r->best >= 0 ? &r->c[r->best] : NULL; /* NULL: original kept */
    double sel[3] = {cfg->repair.max_clean_drop, r->val_clean0, r->val_corrupt0};
    ar_h5_t *h = s ? NULL : ar_h5_create(cfg->job.output, err);
    if (!s && !h) s = err->status;
    if (!s) s = ar_model_write_h5(h, g, err);
    if (!s) s = ar_h5_group(h, "/repair", err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "method", result_method(r), err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "methods", ml, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "job", job->job_text, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "version", ar_version(), err);
    if (!s) s = ar_h5_attr_write(h, "/repair", "ranks", AR_DT_I32, 1, &ranks, 1, err);
    if (!s) s = ar_h5_attr_write(h, "/repair", "wall_seconds", AR_DT_F64, 1, &wall, 1, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "started", r->started, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "finished", finished, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "ranking", r->ranking, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/blocks/names", bn, r->nblocks, err);
    if (!s) s = ar_h5_write(h, "/repair/blocks/scores", AR_DT_F64, 1, &nb, r->scores, 0, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair/blocks", "chosen", best ? best->block : "", err);
    if (!s && r->probes) s = write_probes(h, r, err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair", "outcome", best ? "repaired" : "kept_original", err);
    if (!s) s = ar_h5_attr_write(h, "/repair", "max_clean_drop", AR_DT_F64, 1, &sel[0], 1, err);
    if (!s) s = ar_h5_attr_write(h, "/repair", "val_clean_before", AR_DT_F64, 1, &sel[1], 1, err);
    if (!s) s = ar_h5_attr_write(h, "/repair", "val_corrupt_before", AR_DT_F64, 1, &sel[2], 1, err);
    if (!s) s = ar_h5_group(h, "/repair/genotype", err);
    if (!s) s = ar_h5_attr_write_str(h, "/repair/genotype", "text", best ? best->genotype : "", err);
    if (!s) s = ar_h5_write_strings(h, "/repair/metrics/set_names", sn, r->nsets, err);
    if (!s) s = ar_h5_write(h, "/repair/metrics/acc_before", AR_DT_F64, 1, &m, acc0, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/metrics/acc_after", AR_DT_F64, 1, &m, acc1, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/metrics/count", AR_DT_I64, 1, &m, r->cnt[0], 0, err);
    if (!s) s = ar_h5_write(h, "/repair/metrics/held_out", AR_DT_I8, 1, &m, held, 0, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/candidates/method", cm, r->nc, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/candidates/block", cb, r->nc, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/candidates/variant", cv, r->nc, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/seed", AR_DT_I64, 1, &nc, seeds, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/val_acc", AR_DT_F64, 1, &nc, va, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/val_clean", AR_DT_F64, 1, &nc, vc, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/val_corrupt", AR_DT_F64, 1, &nc, vk, 0, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/candidates/status", cs, r->nc, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/interp", AR_DT_F64, 1, &nc, ia, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/cost_passes", AR_DT_I64, 2, (int64_t[]){nc, 2}, passes, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/cost_cpu_s", AR_DT_F64, 1, &nc, cpu, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/rung", AR_DT_I64, 1, &nc, rungs, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/kept_epoch", AR_DT_I64, 1, &nc, kept, 0, err);
    if (!s) s = ar_h5_write(h, "/repair/candidates/workers", AR_DT_I64, 1, &nc, workers, 0, err);
    if (!s) s = ar_h5_write_strings(h, "/repair/candidates/genotype", cg, r->nc, err);
    if (!s) s = write_history(h, r, err);
    if (!s) s = ar_h5_commit(&h, err);
    ar_h5_destroy(&h);
    if (!s) s = write_json(r, job, held, acc0, acc1, &gm, ml, wall, err);
    if (!s && best) {
        printf("repair (%s): block %s, %s, val clean %.4f corrupted %.4f (original %.4f / %.4f, "
               "max clean drop %g); %lld repair images (%lld failing)\n",
               result_method(r), best->block, best->variant, best->val_clean, best->val_corrupt,
               r->val_clean0, r->val_corrupt0, cfg->repair.max_clean_drop, (long long)r->nrepair,
               (long long)r->nfailing);
        if (best->genotype[0]) printf("%s", best->genotype);
    } else if (!s) {
        printf("repair (%s): NO CANDIDATE within repair.max_clean_drop %g of the original's clean "
               "validation accuracy %.4f - the result is the ORIGINAL model\n",
               ml, cfg->repair.max_clean_drop, r->val_clean0);
    }
    if (!s) print_table(r, held, acc0, acc1, &gm);
    free(acc0), free(acc1), free(va), free(vc), free(vk), free(sn), free(cb), free(cv), free(cs), free(cg);
    free(seeds), free(rungs), free(kept), free(workers), free(held), free(cm), free(ia), free(cpu),
        free(passes);
    return s;
}

