/* config.h - TOML documents through a small C API (the shim over toml++).
 *
 * toml_shim.cpp is the only file that touches the TOML library.
 * A document is parsed from a file or a string; values are looked up by
 * dotted key, with toml++ path syntax for arrays ("data.corrupted[1].path"),
 * and every value reports the line it came from, so callers can write errors
 * like "job.toml:12: key 'data.batch_size' must be an integer, got string".
 *
 * Getters return AR_OK, or AR_E_CONFIG with a message "<name>:<line>: ..."
 * naming the key when the value is missing or has another type. Strings are
 * returned as pointers into the document, valid while it lives.
 */
#ifndef AR_CONFIG_CONFIG_H
#define AR_CONFIG_CONFIG_H

#include <stdint.h>

#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ar_config ar_config_t;

typedef enum {
    AR_CV_NONE,       /* key absent */
    AR_CV_STRING,
    AR_CV_INT,
    AR_CV_FLOAT,
    AR_CV_BOOL,
    AR_CV_ARRAY,
    AR_CV_TABLE,
    AR_CV_DATETIME,   /* dates and times: parsed, but no getter */
    AR_CV_TYPE_COUNT
} ar_cv_type_t;

/* "string", "integer", "float", "boolean", "array", "table", "date/time",
 * "nothing" - for messages. */
const char *ar_cv_type_name(ar_cv_type_t t);

/* Parses a file; name for messages is the path. NULL with err
 * "<path>:<line>:<col>: invalid TOML: <reason>" (or an I/O error). */
ar_config_t *ar_config_parse_file(const char *path, ar_err_t *err);
/* Parses text; name is used in messages (e.g. "job.toml" or "<string>"). */
ar_config_t *ar_config_parse_string(const char *text, const char *name, ar_err_t *err);
/* Frees the document; nulls *c; safe on NULL. */
void ar_config_destroy(ar_config_t **c);
/* The name given at parse time. */
const char *ar_config_name(const ar_config_t *c);

/* Type of the value at key (AR_CV_NONE when absent); *line (if non-NULL) is
 * its 1-based source line, 0 when absent. */
ar_cv_type_t ar_config_type(const ar_config_t *c, const char *key, int *line);

int ar_config_get_string(const ar_config_t *c, const char *key, const char **out, int *line, ar_err_t *err);
int ar_config_get_int(const ar_config_t *c, const char *key, int64_t *out, int *line, ar_err_t *err);
/* Integers are accepted and converted. */
int ar_config_get_float(const ar_config_t *c, const char *key, double *out, int *line, ar_err_t *err);
int ar_config_get_bool(const ar_config_t *c, const char *key, int *out, int *line, ar_err_t *err);

/* Number of elements of the array at key, or -1 when key is not an array. */
int ar_config_array_len(const ar_config_t *c, const char *key);
/* Arrays of one element type. *out is malloc'd (strings: an array of
 * pointers into the document; free only the array); *n its length. An
 * element of another type is an error naming the key, the index and the
 * element's line. */
int ar_config_get_strings(const ar_config_t *c, const char *key, const char ***out, int *n, int *line,
                          ar_err_t *err);
int ar_config_get_ints(const ar_config_t *c, const char *key, int64_t **out, int *n, int *line, ar_err_t *err);
int ar_config_get_floats(const ar_config_t *c, const char *key, double **out, int *n, int *line, ar_err_t *err);

/* Every leaf key of the document, in source order: values that are not
 * tables, and not arrays of tables. Fields of an array of tables are named
 * with their index, "data.corrupted[1].path"; an empty table appears as its
 * own key. *keys is malloc'd strings (free with ar_config_free_keys),
 * *lines their lines. */
int ar_config_keys(const ar_config_t *c, char ***keys, int **lines, int *n, ar_err_t *err);
void ar_config_free_keys(char **keys, int *lines, int n);

#ifdef __cplusplus
}
#endif

#endif
