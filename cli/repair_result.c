/* repair_result.c - reads a repair result's /repair group (repair_result.h). */
#include "repair_result.h"

#include <stdlib.h>
#include <string.h>

#include "io/h5.h"

/* A string attribute of obj, or "" when absent. */
static char *attr_str(ar_h5_t *h, const char *obj, const char *name)
{
    char *v = NULL;
    if (ar_h5_attr_exists(h, obj, name) && ar_h5_attr_read_str(h, obj, name, &v, NULL) == AR_OK) return v;
    free(v);
    return strdup("");
}

/* n values (+1 so n = 0 still allocates) of dataset path as type into a
 * zeroed array; an absent dataset leaves zeros and sets *absent when given. */
static int read_array(ar_h5_t *h, const char *path, ar_dtype_t type, size_t elem, int64_t n, void **out,
                      int *absent, ar_err_t *err)
{
    *out = calloc((size_t)n + 1, elem);
    if (!*out) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (absent) *absent = !ar_h5_exists(h, path);
    if (!ar_h5_exists(h, path)) return AR_OK;
    return ar_h5_read(h, path, type, *out, n, err);
}

/* A string dataset, or an empty list when absent; *n must match want
 * (want < 0: any count). */
static int read_names(ar_h5_t *h, const char *path, char ***s, int *n, int want, ar_err_t *err)
{
    *s = NULL, *n = 0;
    if (!ar_h5_exists(h, path)) return want > 0 ? ar_err_set(err, AR_E_FORMAT, "%s: %s missing", ar_h5_path(h), path) : AR_OK;
    int st = ar_h5_read_strings(h, path, s, n, err);
    if (!st && want >= 0 && *n != want) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: %s has %d entries, expected %d", ar_h5_path(h), path, *n, want);
        ar_h5_free_strings(*s, *n);
        *s = NULL, *n = 0;
    }
    return st;
}

static int read_sets(ar_h5_t *h, ar_repair_result_t *r, ar_err_t *err)
{
    int st = read_names(h, "/repair/metrics/set_names", &r->set_names, &r->nsets, -1, err);
    int64_t n = r->nsets;
    int no_held = 1;
    if (!st) st = read_array(h, "/repair/metrics/acc_before", AR_DT_F64, sizeof(double), n, (void **)&r->before, NULL, err);
    if (!st) st = read_array(h, "/repair/metrics/acc_after", AR_DT_F64, sizeof(double), n, (void **)&r->after, NULL, err);
    if (!st) st = read_array(h, "/repair/metrics/held_out", AR_DT_I8, 1, n, (void **)&r->held, &no_held, err);
    if (!st) st = read_array(h, "/repair/metrics/count", AR_DT_I64, sizeof(int64_t), n, (void **)&r->count, NULL, err);
    r->have_held = !no_held;
    if (!st)
        r->means = ar_repair_means(r->nsets, (const char *const *)r->set_names, r->held, r->before, r->after);
    return st;
}

static int read_candidates(ar_h5_t *h, ar_repair_result_t *r, ar_err_t *err)
{
    int st = read_names(h, "/repair/candidates/method", &r->c_method, &r->ncand, -1, err);
    int n = r->ncand, k;
    if (!st) st = read_names(h, "/repair/candidates/block", &r->c_block, &k, n, err);
    if (!st) st = read_names(h, "/repair/candidates/variant", &r->c_variant, &k, n, err);
    if (!st) st = read_names(h, "/repair/candidates/status", &r->c_status, &k, n, err);
    if (!st) st = read_array(h, "/repair/candidates/val_clean", AR_DT_F64, sizeof(double), n, (void **)&r->c_val_clean, NULL, err);
    if (!st) st = read_array(h, "/repair/candidates/val_corrupt", AR_DT_F64, sizeof(double), n, (void **)&r->c_val_corrupt, NULL, err);
    if (!st) st = read_array(h, "/repair/candidates/interp", AR_DT_F64, sizeof(double), n, (void **)&r->c_interp, NULL, err);
    if (!st) st = read_array(h, "/repair/candidates/cost_cpu_s", AR_DT_F64, sizeof(double), n, (void **)&r->c_cpu_s, NULL, err);
    if (!st) st = read_array(h, "/repair/candidates/cost_passes", AR_DT_I64, sizeof(int64_t), 2 * (int64_t)n, (void **)&r->c_passes, NULL, err);
    if (!st) st = read_array(h, "/repair/candidates/rung", AR_DT_I64, sizeof(int64_t), n, (void **)&r->c_rung, NULL, err);
    return st;
}

int ar_repair_result_read(const char *path, ar_repair_result_t *r, ar_err_t *err)
{
    memset(r, 0, sizeof *r);
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    int st = AR_OK;
    if (!ar_h5_is_group(h, "/repair"))
        st = ar_err_set(err, AR_E_FORMAT, "%s: not a repair result (no /repair group)", path);
    if (!st) {
        r->method = attr_str(h, "/repair", "method"), r->methods = attr_str(h, "/repair", "methods");
        r->outcome = attr_str(h, "/repair", "outcome"), r->chosen = attr_str(h, "/repair/blocks", "chosen");
        r->genotype = attr_str(h, "/repair/genotype", "text");
        if (!r->method || !r->methods || !r->outcome || !r->chosen || !r->genotype)
            st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    if (!st) st = read_sets(h, r, err);
    if (!st) st = read_candidates(h, r, err);
    if (!st) st = read_names(h, "/repair/blocks/names", &r->block_names, &r->nblocks, -1, err);
    if (!st)
        st = read_array(h, "/repair/blocks/scores", AR_DT_F64, sizeof(double), r->nblocks, (void **)&r->block_scores,
                        NULL, err);
    ar_h5_destroy(&h);
    return st;
}

void ar_repair_result_free(ar_repair_result_t *r)
{
    free(r->method), free(r->methods), free(r->outcome), free(r->chosen), free(r->genotype);
    ar_h5_free_strings(r->set_names, r->nsets);
    free(r->before), free(r->after), free(r->held), free(r->count);
    ar_h5_free_strings(r->c_method, r->ncand), ar_h5_free_strings(r->c_block, r->ncand);
    ar_h5_free_strings(r->c_variant, r->ncand), ar_h5_free_strings(r->c_status, r->ncand);
    free(r->c_val_clean), free(r->c_val_corrupt), free(r->c_interp), free(r->c_cpu_s), free(r->c_passes);
    free(r->c_rung);
    ar_h5_free_strings(r->block_names, r->nblocks);
    free(r->block_scores);
    memset(r, 0, sizeof *r);
}
