/* nn_cli.c - shared helpers of the train / eval / predict commands. */
#include "nn_cli.h"

#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/par.h"
#include "nn/evaluate.h"
#include "nn/model_io.h"
#include "nn/plan.h"

ar_graph_t *ar_cli_model(const char *spec, const ar_zoo_opts_t *zo, ar_err_t *err)
{
    if (ar_file_size(spec) >= 0) return ar_model_load(spec, err);
    int n = 0;
    const char *const *names = ar_zoo_names(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(spec, names[i]) == 0) return ar_zoo_build(spec, zo, err);
    ar_err_set(err, AR_E_ARG, "'%s' is neither a model file nor a zoo model (%s, ...)", spec,
               names[0]);
    return NULL;
}

/* The evaluation loop's per-batch hook: the live progress bar. */
typedef struct eval_progress {
    ar_progress_t bar;
    int64_t total;
} eval_progress_t;

static int show_progress(void *ctx, const ar_eval_result_t *r, ar_err_t *err)
{
    (void)err;
    eval_progress_t *ep = ctx;
    char status[128];
    snprintf(status, sizeof status, "acc %.2f%%  %.0f img/s", 100.0 * r->correct / r->count,
             r->count / (ar_now() - ep->bar.t0 + 1e-9));
    ar_progress_update(&ep->bar, r->count, ep->total, status);
    return AR_OK;
}

int ar_cli_default_threads(void)
{
    int n = ar_num_cores();
    return n < 1 ? 1 : n > AR_PAR_MAX ? AR_PAR_MAX : n;
}

int ar_cli_evaluate(ar_graph_t *g, ar_dataset_t *ds, int batch, int64_t limit, int threads,
                    int show, ar_cli_eval_t *out, ar_err_t *err)
{
    const ar_dataset_info_t *info = ar_dataset_info(ds);
    memset(out, 0, sizeof *out);
    if (info->channels != g->in_c || info->height != g->in_h || info->width != g->in_w)
        return ar_err_set(err, AR_E_ARG, "%s: images are %dx%dx%d (HxWxC), the model takes %dx%dx%d",
                          info->name, info->height, info->width, info->channels, g->in_h, g->in_w,
                          g->in_c);
    int64_t n = limit > 0 && limit < info->count ? limit : info->count;
    if (batch > n) batch = (int)(n > 0 ? n : 1);
    ar_plan_opts_t po = {.batch = batch, .fold_bn = 1, .lean = 1, .threads = threads};
    ar_plan_t *p = ar_plan_new(g, &po, err);
    if (!p) return err->status;
    ar_dataset_rows_t rows = {.ds = ds, .mean = g->mean, .std = g->std};
    int st = ar_dataset_rows_alloc(&rows, batch, g->in_c, g->in_h, g->in_w, err);
    if (!st) {
        eval_progress_t ep = {.total = n};
        ar_progress_begin(&ep.bar, info->name);
        ar_eval_opts_t eo = {.count = n, .read = ar_dataset_rows_read, .read_ctx = &rows,
                             .loss = 1, .name = info->name,
                             .after_batch = show ? show_progress : NULL, .hook_ctx = &ep};
        ar_eval_result_t r;
        st = ar_evaluate(p, &eo, &r, err);
        out->seconds = ar_now() - ep.bar.t0;
        out->count = r.count, out->correct = r.correct, out->loss = r.loss;
        if (show) ar_progress_end(&ep.bar, NULL);
    }
    ar_dataset_rows_free(&rows);
    ar_plan_destroy(&p);
    return st;
}

void ar_progress_begin(ar_progress_t *p, const char *label)
{
    p->tty = isatty(STDERR_FILENO);
    p->t0 = p->last = ar_now();
    snprintf(p->label, sizeof p->label, "%s", label);
}

void ar_progress_update(ar_progress_t *p, int64_t done, int64_t total, const char *status)
{
    if (!p->tty) return;
    double now = ar_now();
    if (now - p->last < 0.2 && done < total) return;
    p->last = now;
    char bar[31];
    int fill = total > 0 ? (int)(30 * done / total) : 0;
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r%-20.20s [%s] %lld/%lld %s\033[K", p->label, bar, (long long)done,
            (long long)total, status);
    fflush(stderr);
}

void ar_progress_end(ar_progress_t *p, const char *final_line)
{
    if (p->tty) fprintf(stderr, "\r\033[K");
    if (final_line) fprintf(stderr, "%s\n", final_line);
    fflush(stderr);
}
