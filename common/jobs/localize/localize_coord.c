/* localize_coord.c - the localize job kind, the coordinator half: the
 * scan, the selection of examples, the spectrum rounds, the scoring and the
 * result file. Contract: localize_job.h. */
#include "jobs/localize/localize_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/version.h"
#include "io/h5.h"
#include "jobs/localize/localize_report.h"
#include "jobs/sets.h"
#include "nn/model_io.h"

typedef struct lz_job {
    double t0;
    ar_localize_opts_t o;
    ar_graph_t *g;               /* for the neuron map and the scoring */
    ar_neuron_map_t *map;
    float mean[4], std[4];
    ar_set_ref_t *sets;          /* every set of the job */
    int nsets;
    int *src;                    /* source index -> job set index */
    int nsrc;
    int64_t *count;              /* [nsrc] images */
    uint8_t **correct;           /* [nsrc][count] from the scan */
    int64_t scanned;             /* images scanned so far */
    ar_lz_example_t *fail, *pass;
    int64_t nfail, npass;
    int mean_round;              /* 1: round 1 computes the passing means */
    double *thr, *sum;           /* [N] thresholds; summed rows */
    ar_lz_counts_t cnt;
    int64_t rows_seen;
} lz_job_t;

static int cfg_bad(const ar_job_config_t *cfg, const char *key, ar_err_t *err, const char *what)
{
    return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' %s", ar_job_name(cfg), ar_job_key_line(cfg, key), key, what);
}

int ar_localize_opts_from_job(const ar_job_config_t *cfg, ar_localize_opts_t *o, ar_err_t *err)
{
    const struct { const char *key, *val; int v; } e[] = {
        {"localize.adversarial", cfg->localize.adversarial, ar_adv_parse(cfg->localize.adversarial)},
        {"localize.formula", cfg->localize.formula, ar_sbfl_parse(cfg->localize.formula)},
        {"localize.threshold", cfg->localize.threshold, ar_thresh_parse(cfg->localize.threshold)},
        {"localize.gradient_scale", cfg->localize.gradient_scale, ar_gscale_parse(cfg->localize.gradient_scale)},
        {"localize.gradient_norm", cfg->localize.gradient_norm, ar_gnorm_parse(cfg->localize.gradient_norm)},
        {"localize.aggregate", cfg->localize.aggregate, ar_agg_parse(cfg->localize.aggregate)},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        if (e[i].v < 0) return cfg_bad(cfg, e[i].key, err, "has a value the localizer does not know");
    *o = ar_localize_opts_default();
    o->count = cfg->localize.count;
    o->seed = (uint64_t)cfg->job.seed;
    o->batch = (int)cfg->data.batch_size;
    o->adv = (ar_adv_cfg_t){.method = e[0].v, .eps = cfg->localize.eps, .step = cfg->localize.step_size,
                            .steps = (int)cfg->localize.steps};
    o->formula = e[1].v;
    o->threshold_mode = e[2].v;
    o->threshold = cfg->localize.threshold_value;
    o->gscale = e[3].v;
    o->gnorm = e[4].v;
    o->aggregate = e[5].v;
    o->top_k = (int)cfg->localize.top_k;
    o->mean = o->std = NULL;
    int s = ar_localize_opts_check(o, err);
    return s ? ar_err_prefix(err, "%s [localize]", ar_job_name(cfg)) : AR_OK;
}

static void job_destroy(void *state)
{
    lz_job_t *j = state;
    if (!j) return;
    for (int i = 0; j->correct && i < j->nsrc; i++) free(j->correct[i]);
    free(j->correct);
    free(j->count);
    free(j->src);
    free(j->sets);
    free(j->fail);
    free(j->pass);
    free(j->thr);
    free(j->sum);
    ar_lz_counts_free(&j->cnt);
    ar_neuron_map_destroy(&j->map);
    ar_graph_destroy(&j->g);
    free(j);
}

/* Does set label match localize.source? */
static int source_match(const ar_set_ref_t *s, const char *src)
{
    if (!strcmp(src, "all")) return 1;
    if (!strcmp(src, "clean")) return s->corruption[0] == '\0';
    if (!strcmp(src, "corrupted")) return s->corruption[0] != '\0';
    size_t n = strlen(src);
    return !strcmp(s->label, src) || (!strncmp(s->label, src, n) && s->label[n] == '/');
}

static int job_create(const ar_job_ctx_t *job, void **state, ar_err_t *err)
{
    const ar_job_config_t *cfg = job->cfg;
    lz_job_t *j = calloc(1, sizeof *j);
    if (!j) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    j->t0 = ar_now();
    int s = ar_localize_opts_from_job(cfg, &j->o, err);
    if (!s && !(j->g = ar_model_load(cfg->model.path, err))) s = err->status;
    if (!s && !(j->map = ar_neuron_map_new(j->g, err))) s = err->status;
    if (!s && (j->g->in_c > 4 || (cfg->data.mean.n && cfg->data.mean.n != j->g->in_c)))
        s = cfg_bad(cfg, "data.mean", err, "must have one entry per model channel");
    for (int c = 0; !s && c < j->g->in_c; c++) {
        j->mean[c] = cfg->data.mean.n ? (float)cfg->data.mean.v[c] : j->g->mean[c];
        j->std[c] = cfg->data.std.n ? (float)cfg->data.std.v[c] : j->g->std[c];
    }
    if (!s) s = ar_sets_from_job(cfg, &j->sets, &j->nsets, err);
    if (!s) s = ar_sets_fit_model(j->sets, j->nsets, j->g, cfg->model.path, err);
    if (!s) {
        j->src = calloc((size_t)j->nsets + 1, sizeof *j->src);
        j->count = calloc((size_t)j->nsets + 1, sizeof *j->count);
        j->correct = calloc((size_t)j->nsets + 1, sizeof *j->correct);
        j->thr = calloc((size_t)j->map->nneurons, sizeof *j->thr);
        j->sum = calloc((size_t)j->map->nneurons, sizeof *j->sum);
        if (!j->src || !j->count || !j->correct || !j->thr || !j->sum) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    for (int i = 0; !s && i < j->nsets; i++)
        if (source_match(&j->sets[i], cfg->localize.source)) {
            j->count[j->nsrc] = j->sets[i].count;
            if (!(j->correct[j->nsrc] = malloc((size_t)(j->sets[i].count ? j->sets[i].count : 1))))
                s = ar_err_set(err, AR_E_NOMEM, "out of memory");
            j->src[j->nsrc++] = i;
        }
    if (!s && !j->nsrc) s = cfg_bad(cfg, "localize.source", err, "matches none of the job's sets");
    if (!s) s = ar_lz_counts_init(&j->cnt, j->map->nneurons, err);
    if (s) {
        job_destroy(j);
        return s;
    }
    *state = j;
    return AR_OK;
}

/* Examples per task: whole batches, about run.shard_size. */
static int64_t task_size(const lz_job_t *j, const ar_job_ctx_t *job)
{
    int64_t b = j->o.batch, n = job->run.shard_size / b * b;
    return n < b ? b : n;
}

static int plan_scan(lz_job_t *j, const ar_job_ctx_t *job, ar_taskplan_t *plan, ar_err_t *err)
{
    int64_t step = task_size(j, job);
    for (int k = 0; k < j->nsrc; k++) {
        const ar_set_ref_t *set = &j->sets[j->src[k]];
        for (int64_t a = 0; a < set->count; a += step) {
            int64_t n = set->count - a < step ? set->count - a : step;
            ar_localize_scan_params_t p = {
                .shard = ar_set_shard(set, j->src[k], a, n, (uint64_t)job->cfg->job.seed),
                .engine = ar_lz_engine_params(job->cfg->model.path, &j->o, j->mean, j->std, j->g->in_c),
                .src = k};
            int s = ar_taskplan_add_typed(plan, &ar_task_localize_scan, &p, err);
            if (s) return s;
        }
    }
    return AR_OK;
}

/* One localize_spectrum task per group of whole batches of one set. */
static int plan_role(lz_job_t *j, const ar_job_ctx_t *job, ar_lz_role_t role, const ar_lz_example_t *ex,
                     int64_t n, ar_taskplan_t *plan, ar_err_t *err)
{
    int64_t *start = NULL, nb = 0, per = task_size(j, job);
    int64_t *idx = malloc((size_t)(per > 0 ? per : 1) * sizeof *idx);
    int s = idx ? ar_lz_batches(ex, n, j->o.batch, &start, &nb, err) : ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int64_t b = 0; !s && b < nb;) {
        int64_t a = start[b], e = b + 1;
        while (e < nb && ex[start[e]].set == ex[a].set && start[e + 1] - a <= per) e++;
        int64_t k = start[e] - a;
        for (int64_t i = 0; i < k; i++) idx[i] = ex[a + i].index;
        const ar_set_ref_t *set = &j->sets[j->src[ex[a].set]];
        ar_localize_spectrum_params_t p = {
            .shard = ar_set_shard(set, j->src[ex[a].set], idx[0], idx[k - 1] - idx[0] + 1,
                                  (uint64_t)job->cfg->job.seed),
            .engine = ar_lz_engine_params(job->cfg->model.path, &j->o, j->mean, j->std, j->g->in_c),
            .src = ex[a].set, .role = role, .indices = {idx, k},
            .threshold = {role != AR_LZ_MEAN ? j->thr : NULL, role != AR_LZ_MEAN ? j->map->nneurons : 0}};
        s = ar_taskplan_add_typed(plan, &ar_task_localize_spectrum, &p, err);
        b = e;
    }
    free(start);
    free(idx);
    return s;
}

static int job_plan(void *state, const ar_job_ctx_t *job, int round, ar_taskplan_t *plan, ar_err_t *err)
{
    lz_job_t *j = state;
    int64_t nn = j->map->nneurons;
    if (round == 0) return plan_scan(j, job, plan, err);
    if (round == 1) {
        int64_t total = 0;
        for (int k = 0; k < j->nsrc; k++) total += j->count[k];
        if (j->scanned != total)
            return ar_err_set(err, AR_E_INTERNAL, "localize: %lld images scanned, expected %lld",
                              (long long)j->scanned, (long long)total);
        int s = ar_lz_select(j->nsrc, j->count, (const uint8_t *const *)j->correct, j->o.count, j->o.seed,
                             &j->fail, &j->nfail, &j->pass, &j->npass, err);
        if (s) return s;
        ar_info(job->log, "localize: %lld images scanned; %lld failing, %lld passing examples", (long long)total,
                (long long)j->nfail, (long long)j->npass);
        j->mean_round = j->o.threshold_mode == AR_THRESH_PASSING_MEAN;
        if (j->mean_round) return plan_role(j, job, AR_LZ_MEAN, j->pass, j->npass, plan, err);
        for (int64_t i = 0; i < nn; i++) j->thr[i] = j->o.threshold;
    }
    if ((round == 1 && !j->mean_round) || (round == 2 && j->mean_round)) {
        if (j->mean_round)
            for (int64_t i = 0; i < nn; i++) {
                j->thr[i] = j->sum[i] / (double)j->npass;
                j->sum[i] = 0.0;
            }
        int s = plan_role(j, job, AR_LZ_FAILING, j->fail, j->nfail, plan, err);
        if (!s) s = plan_role(j, job, AR_LZ_PASSING, j->pass, j->npass, plan, err);
        return s;
    }
    return AR_OK;
}

static int job_aggregate(void *state, const ar_job_ctx_t *job, uint64_t id, const char *type,
                         const ar_fields_t *params, const ar_fields_t *res, int final, ar_err_t *err)
{
    (void)job, (void)final;
    lz_job_t *j = state;
    int64_t nn = j->map->nneurons;
    if (!strcmp(type, "localize_scan")) {
        ar_localize_scan_params_t p;
        const ar_wtensor_t *ok;
        if (ar_params_decode(ar_localize_scan_params_schema(), params, &p, err) ||
            ar_fields_get_tensor(res, "correct", AR_WDT_U8, 1, &ok, err))
            return err->status;
        int64_t src = p.src, start = p.shard.start, count = p.shard.count;
        if (src >= j->nsrc)
            return ar_err_set(err, AR_E_PROTO, "task %llu: source %lld", (unsigned long long)id, (long long)src);
        if (ok->shape[0] != count || start + count > j->count[src])
            return ar_err_set(err, AR_E_PROTO, "task %llu: %lld results for %lld images", (unsigned long long)id,
                              (long long)ok->shape[0], (long long)count);
        memcpy(j->correct[src] + start, ok->data, (size_t)count);
        j->scanned += count;
        return AR_OK;
    }
    ar_localize_spectrum_params_t p;
    int64_t nf, np, na;
    const ar_wtensor_t *af, *ap, *rows;
    if (ar_params_decode(ar_localize_spectrum_params_schema(), params, &p, err) ||
        ar_fields_get_int(res, "n_fail", &nf, err) || ar_fields_get_int(res, "n_pass", &np, err) ||
        ar_fields_get_int(res, "n_adv", &na, err) || ar_fields_get_tensor(res, "act_fail", AR_WDT_I64, 1, &af, err) ||
        ar_fields_get_tensor(res, "act_pass", AR_WDT_I64, 1, &ap, err) ||
        ar_fields_get_tensor(res, "rows", AR_WDT_F64, 2, &rows, err))
        return err->status;
    if (p.src >= j->nsrc)
        return ar_err_set(err, AR_E_PROTO, "task %llu: source %lld", (unsigned long long)id, (long long)p.src);
    int64_t role = p.role;
    int64_t n = p.indices.n, nb = (n + j->o.batch - 1) / j->o.batch;
    if (af->shape[0] != nn || ap->shape[0] != nn || rows->shape[0] != nb || rows->shape[1] != nn ||
        nf < 0 || np < 0 || na < 0 || nf + np > 2 * n)
        return ar_err_set(err, AR_E_PROTO, "task %llu: result does not match its %lld examples", (unsigned long long)id,
                          (long long)n);
    const double *rv = rows->data;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < nn; i++) j->sum[i] += rv[b * nn + i];
    j->rows_seen += nb;
    if (role != AR_LZ_MEAN) {
        ar_lz_counts_t d = {.nneurons = nn, .n_fail = nf, .n_pass = np, .n_adv = na,
                            .act_fail = af->data, .act_pass = ap->data};
        ar_lz_counts_add(&j->cnt, &d);
    }
    return AR_OK;
}

static int job_finish(void *state, const ar_job_ctx_t *job, ar_err_t *err)
{
    lz_job_t *j = state;
    const ar_job_config_t *cfg = job->cfg;
    /* every selected example counted exactly once */
    if (j->cnt.n_pass != j->npass || j->cnt.n_fail - j->cnt.n_adv != j->nfail)
        return ar_err_set(err, AR_E_INTERNAL, "localize: counted %lld failing and %lld passing, selected %lld and %lld",
                          (long long)(j->cnt.n_fail - j->cnt.n_adv), (long long)j->cnt.n_pass, (long long)j->nfail,
                          (long long)j->npass);
    ar_localize_result_t *r = NULL;
    int s = ar_lz_score(j->g, j->map, &j->o, &j->cnt, j->sum, j->thr, &r, err);
    if (s) return s;
    double wall = ar_now() - j->t0;
    int64_t ranks = job->ranks;
    ar_h5_t *h = ar_h5_create(cfg->job.output, err);
    s = h ? ar_localize_write_h5(h, r, err) : err->status;
    if (!s) s = ar_h5_attr_write_str(h, "/localization", "job", job->job_text, err);
    if (!s) s = ar_h5_attr_write_str(h, "/localization", "model", cfg->model.path, err);
    if (!s) s = ar_h5_attr_write_str(h, "/localization", "version", ar_version(), err);
    if (!s) s = ar_h5_attr_write(h, "/localization", "ranks", AR_DT_I64, 1, &ranks, 1, err);
    if (!s) s = ar_h5_attr_write(h, "/localization", "wall_seconds", AR_DT_F64, 1, &wall, 1, err);
    if (!s) s = ar_h5_commit(&h, err);
    ar_h5_destroy(&h);
    if (!s) s = ar_localize_json_write(r, j->sets, j->src, j->nsrc, job, wall, err);
    if (!s) {
        ar_localize_print(r, 10, stdout);
        printf("wrote %s (%.2f s)\n", cfg->job.output, wall);
        fflush(stdout);
    }
    ar_localize_result_destroy(&r);
    return s;
}

const ar_job_kind_t ar_job_localize = {.name = "localize", .create = job_create, .plan = job_plan,
                                       .aggregate = job_aggregate, .finish = job_finish, .destroy = job_destroy};
