/* nn_cli.c - shared helpers of the train / eval / predict commands. */
#include "nn_cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "corrupt/corrupt_dataset.h"
#include "data/collection.h"
#include "nn/basic_ops.h"
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

ar_dataset_t *ar_cli_open_set(const char *path, const char *split, const char *corruption,
                              int severity, uint64_t seed, ar_err_t *err)
{
    ar_data_source_t src = {.path = path, .split = split};
    int corrupt = corruption && strcmp(corruption, "clean") != 0;
    if (corrupt && (severity < 1 || severity > 5)) {
        ar_err_set(err, AR_E_ARG, "severity %d outside 1..5", severity);
        return NULL;
    }
    if (corrupt && ar_collection_probe(path)) {
        src.corruption = corruption;
        src.severity = severity;
        return ar_dataset_open(&src, err);
    }
    ar_dataset_t *ds = ar_dataset_open(&src, err);
    if (!ds || !corrupt) return ds;
    int c = ar_corrupt_find(corruption);
    if (c < 0) {
        ar_dataset_destroy(&ds);
        ar_err_set(err, AR_E_ARG, "unknown corruption '%s'", corruption);
        return NULL;
    }
    return ar_corrupt_dataset_new(&ds, c, severity, seed, NULL, err);
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
    int st = AR_OK;
    ar_tensor_t x = ar_tensor_4d(batch, g->in_c, g->in_h, g->in_w);
    int32_t *labels = malloc((size_t)batch * sizeof *labels);
    uint8_t *scratch = malloc((size_t)batch * g->in_c * g->in_h * g->in_w);
    if (ar_tensor_alloc(&x) != 0 || !labels || !scratch) {
        st = ar_err_set(err, AR_E_NOMEM, "evaluate: out of memory");
        goto done;
    }
    ar_progress_t pr;
    ar_progress_begin(&pr, info->name);
    double t0 = ar_now(), loss_sum = 0;
    for (int64_t s = 0; s < n && !st; s += batch) {
        int b = (int)(n - s < batch ? n - s : batch);
        x.shape[0] = b;
        if ((st = ar_dataset_read_batch(ds, s, b, g->mean, g->std, &x, labels, scratch, err)))
            break;
        for (int i = 0; i < b; i++)
            if (labels[i] < 0 || labels[i] >= g->num_classes) {
                st = ar_err_set(err, AR_E_FORMAT, "%s: image %lld has label %d, the model has %d classes",
                                info->name, (long long)(s + i), labels[i], g->num_classes);
                break;
            }
        if (st || (st = ar_plan_forward(p, &x, AR_MODE_EVAL, err))) break;
        int64_t correct = 0;
        loss_sum += ar_plan_loss(p, labels, &correct) * b;
        out->correct += correct;
        out->count += b;
        if (show) {
            char status[128];
            snprintf(status, sizeof status, "acc %.2f%%  %.0f img/s",
                     100.0 * out->correct / out->count, out->count / (ar_now() - t0 + 1e-9));
            ar_progress_update(&pr, out->count, n, status);
        }
    }
    out->seconds = ar_now() - t0;
    out->loss = out->count ? loss_sum / out->count : 0;
    if (show) ar_progress_end(&pr, NULL);
done:
    ar_tensor_free(&x);
    free(labels);
    free(scratch);
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
