/* repair_result.c - reads a repair result's /repair group (repair_result.h). */
#include "repair_result.h"

#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "result_file.h"

/* An optional numeric dataset of n values (zeros when absent). */
static int read_array(ar_h5_t *h, const char *path, ar_dtype_t type, size_t elem, int64_t n, void **out,
                      int *absent, ar_err_t *err)
{
    int no;
    return ar_result_array(h, path, type, elem, n, out, NULL, absent ? absent : &no, err);
}

static int read_sets(ar_h5_t *h, ar_repair_result_t *r, ar_err_t *err)
{
    int st = ar_result_names(h, "/repair/metrics/set_names", &r->set_names, &r->nsets, -1, err);
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
    int st = ar_result_names(h, "/repair/candidates/method", &r->c_method, &r->ncand, -1, err);
    int n = r->ncand, k;
    if (!st) st = ar_result_names(h, "/repair/candidates/block", &r->c_block, &k, n, err);
    if (!st) st = ar_result_names(h, "/repair/candidates/variant", &r->c_variant, &k, n, err);
    if (!st) st = ar_result_names(h, "/repair/candidates/status", &r->c_status, &k, n, err);
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
        r->method = ar_result_attr_str(h, "/repair", "method"), r->methods = ar_result_attr_str(h, "/repair", "methods");
        r->outcome = ar_result_attr_str(h, "/repair", "outcome"), r->chosen = ar_result_attr_str(h, "/repair/blocks", "chosen");
        r->genotype = ar_result_attr_str(h, "/repair/genotype", "text");
        if (!r->method || !r->methods || !r->outcome || !r->chosen || !r->genotype)
            st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    if (!st) st = read_sets(h, r, err);
    if (!st) st = read_candidates(h, r, err);
    if (!st) st = ar_result_names(h, "/repair/blocks/names", &r->block_names, &r->nblocks, -1, err);
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
