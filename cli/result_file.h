/* result_file.h - what the readers of job result files share (the repair,
 * evaluate and localize results of docs/results.md, read whole for
 * `archrepair info` and `archrepair report`): the kind of a result file,
 * and attribute / dataset reads that check a dataset's size against what
 * the file stores before anything is allocated. */
#ifndef AR_CLI_RESULT_FILE_H
#define AR_CLI_RESULT_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "io/h5.h"

typedef enum {
    AR_RESULT_NONE,     /* none of the groups below */
    AR_RESULT_REPAIR,   /* /repair (also a model file) */
    AR_RESULT_EVALUATE, /* /evaluation */
    AR_RESULT_LOCALIZE, /* /localization */
    AR_RESULT_STATS     /* /stats */
} ar_result_kind_t;

/* The kind of an open file by its top-level group (first match in the
 * order above). */
ar_result_kind_t ar_result_kind(ar_h5_t *h);
/* Opens path when it is an HDF5 file (by its signature; NULL otherwise,
 * with nothing printed): the caller destroys it. */
ar_h5_t *ar_result_open_h5(const char *path);
/* "repair", "evaluate", "localize", "stats", "none". */
const char *ar_result_kind_name(ar_result_kind_t k);

/* A string attribute of obj, malloc'd; "" when absent or unreadable; NULL
 * only when out of memory. */
char *ar_result_attr_str(ar_h5_t *h, const char *obj, const char *name);
/* A numeric attribute of obj as a double; def when absent or unreadable. */
double ar_result_attr_num(ar_h5_t *h, const char *obj, const char *name, double def);

/* The dataset at path, converted to type (elem bytes each) into *out
 * (malloc'd, one spare element so an empty dataset still allocates). Its
 * element count must be n (n < 0: any; *got, when given, receives it); the
 * file must store it (ar_h5_check_stored) before it is allocated. A missing
 * dataset is AR_E_FORMAT "<file>: <path> missing" unless absent is given:
 * then *out is n zeroed elements (n >= 0) and *absent is 1. */
int ar_result_array(ar_h5_t *h, const char *path, ar_dtype_t type, size_t elem, int64_t n, void **out,
                    int64_t *got, int *absent, ar_err_t *err);

/* A string dataset into *s (*n strings). want >= 0: the count must be
 * want. A missing dataset is an empty list when want <= 0, AR_E_FORMAT
 * otherwise. Free with ar_h5_free_strings. */
int ar_result_names(ar_h5_t *h, const char *path, char ***s, int *n, int want, ar_err_t *err);

#endif
