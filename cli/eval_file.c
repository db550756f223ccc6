/* eval_file.c - reads an evaluate result's /evaluation group (eval_file.h). */
#include "eval_file.h"

#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "result_file.h"

#define G "/evaluation"
#define MAX_CLASSES 100000

static int read_confusion(ar_h5_t *h, ar_eval_file_t *r, ar_err_t *err)
{
    if (!ar_h5_exists(h, G "/confusion")) return AR_OK;
    int ndim = 0, is_int = 0;
    int64_t d[AR_H5_MAXDIM];
    size_t es;
    int st = ar_h5_shape(h, G "/confusion", &ndim, d, &is_int, &es, err);
    if (st) return st;
    if (ndim != 3 || d[0] != r->nsets || d[1] != d[2] || d[1] < 1 || d[1] > MAX_CLASSES)
        return ar_err_set(err, AR_E_FORMAT, "%s:%s/confusion: expected shape [%d, K, K]", ar_h5_path(h), G, r->nsets);
    r->k = (int)d[1];
    st = ar_result_array(h, G "/confusion", AR_DT_I64, sizeof(int64_t), d[0] * d[1] * d[2], (void **)&r->confusion,
                         NULL, NULL, err);
    r->have_confusion = !st;
    return st;
}

int ar_eval_file_read(const char *path, ar_eval_file_t *r, ar_err_t *err)
{
    memset(r, 0, sizeof *r);
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    int st = AR_OK, no;
    if (!ar_h5_is_group(h, G)) st = ar_err_set(err, AR_E_FORMAT, "%s: not an evaluate result (no %s group)", path, G);
    if (!st) {
        r->model = ar_result_attr_str(h, G, "model"), r->version = ar_result_attr_str(h, G, "version");
        r->job = ar_result_attr_str(h, G, "job");
        r->ranks = (int)ar_result_attr_num(h, G, "ranks", 0), r->wall = ar_result_attr_num(h, G, "wall_seconds", 0);
        if (!r->model || !r->version || !r->job) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    if (!st) st = ar_result_names(h, G "/set_names", &r->set_names, &r->nsets, -1, err);
    if (!st && r->nsets == 0) st = ar_err_set(err, AR_E_FORMAT, "%s: %s/set_names missing or empty", path, G);
    int64_t n = r->nsets;
    if (!st) st = ar_result_array(h, G "/acc", AR_DT_F64, sizeof(double), n, (void **)&r->acc, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/count", AR_DT_I64, sizeof(int64_t), n, (void **)&r->count, NULL, NULL, err);
    if (!st) st = ar_result_array(h, G "/correct", AR_DT_I64, sizeof(int64_t), n, (void **)&r->correct, NULL, &no, err);
    if (!st) st = read_confusion(h, r, err);
    if (!st && ar_eval_means(r->nsets, (const char *const *)r->set_names, r->acc, &r->means))
        st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    ar_h5_destroy(&h);
    return st;
}

void ar_eval_file_free(ar_eval_file_t *r)
{
    free(r->model), free(r->version), free(r->job);
    ar_h5_free_strings(r->set_names, r->nsets);
    free(r->acc), free(r->count), free(r->correct), free(r->confusion);
    ar_eval_means_free(&r->means);
    memset(r, 0, sizeof *r);
}

double ar_eval_file_class_acc(const ar_eval_file_t *r, int i, int c)
{
    const int64_t *row = r->confusion + ((int64_t)i * r->k + c) * r->k;
    int64_t sum = 0;
    for (int j = 0; j < r->k; j++) sum += row[j];
    return sum > 0 ? (double)row[c] / (double)sum : -1.0;
}
