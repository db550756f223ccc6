/* result_file.c - shared reads of result files (result_file.h). */
#include "result_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ar_result_kind_t ar_result_kind(ar_h5_t *h)
{
    if (ar_h5_is_group(h, "/repair")) return AR_RESULT_REPAIR;
    if (ar_h5_is_group(h, "/evaluation")) return AR_RESULT_EVALUATE;
    if (ar_h5_is_group(h, "/localization")) return AR_RESULT_LOCALIZE;
    if (ar_h5_is_group(h, "/stats")) return AR_RESULT_STATS;
    return AR_RESULT_NONE;
}

const char *ar_result_kind_name(ar_result_kind_t k)
{
    static const char *const names[] = {"none", "repair", "evaluate", "localize", "stats"};
    return k >= AR_RESULT_NONE && k <= AR_RESULT_STATS ? names[k] : "none";
}

char *ar_result_attr_str(ar_h5_t *h, const char *obj, const char *name)
{
    char *v = NULL;
    if (ar_h5_attr_exists(h, obj, name) && ar_h5_attr_read_str(h, obj, name, &v, NULL) == AR_OK)
        return v;
    free(v);
    return strdup("");
}

double ar_result_attr_num(ar_h5_t *h, const char *obj, const char *name, double def)
{
    double v = def;
    if (!ar_h5_attr_exists(h, obj, name) ||
        ar_h5_attr_read(h, obj, name, AR_DT_F64, &v, 1, NULL, NULL) != AR_OK)
        return def;
    return v;
}

int ar_result_array(ar_h5_t *h, const char *path, ar_dtype_t type, size_t elem, int64_t n, void **out,
                    int64_t *got, int *absent, ar_err_t *err)
{
    *out = NULL;
    if (absent) *absent = 0;
    if (!ar_h5_exists(h, path)) {
        if (!absent) return ar_err_set(err, AR_E_FORMAT, "%s: %s missing", ar_h5_path(h), path);
        *absent = 1;
        if (got) *got = n > 0 ? n : 0;
        *out = calloc((size_t)(n > 0 ? n : 0) + 1, elem);
        return *out ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    int ndim = 0, is_int = 0;
    int64_t dims[AR_H5_MAXDIM];
    size_t es = 0;
    int st = ar_h5_shape(h, path, &ndim, dims, &is_int, &es, err);
    if (st) return st;
    int64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0 || (dims[d] > 0 && count > INT64_MAX / dims[d]))
            return ar_err_set(err, AR_E_FORMAT, "%s:%s: absurd shape", ar_h5_path(h), path);
        count *= dims[d];
    }
    if (n >= 0 && count != n)
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: holds %lld values, expected %lld", ar_h5_path(h), path,
                          (long long)count, (long long)n);
    if ((uint64_t)count >= SIZE_MAX / elem - 1)
        return ar_err_set(err, AR_E_FORMAT, "%s:%s: absurd shape", ar_h5_path(h), path);
    if ((st = ar_h5_check_stored(h, path, err))) return st;
    *out = calloc((size_t)count + 1, elem);
    if (!*out) return ar_err_set(err, AR_E_NOMEM, "%s:%s: out of memory", ar_h5_path(h), path);
    if (got) *got = count;
    return ar_h5_read(h, path, type, *out, count, err);
}

int ar_result_names(ar_h5_t *h, const char *path, char ***s, int *n, int want, ar_err_t *err)
{
    *s = NULL, *n = 0;
    if (!ar_h5_exists(h, path))
        return want > 0 ? ar_err_set(err, AR_E_FORMAT, "%s: %s missing", ar_h5_path(h), path) : AR_OK;
    int st = ar_h5_read_strings(h, path, s, n, err);
    if (!st && want >= 0 && *n != want) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: %s has %d entries, expected %d", ar_h5_path(h), path, *n, want);
        ar_h5_free_strings(*s, *n);
        *s = NULL, *n = 0;
    }
    return st;
}

ar_h5_t *ar_result_open_h5(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char m[8] = {0};
    size_t got = f ? fread(m, 1, 8, f) : 0;
    if (f) fclose(f);
    if (got < 8 || memcmp(m, "\x89HDF\r\n\x1a\n", 8) != 0) return NULL;
    return ar_h5_open(path, NULL);
}
