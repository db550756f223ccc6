/* schema.h - schema-driven loading of TOML documents into plain C structs.
 *
 * A schema is one table of key specs: dotted name, type, where the value
 * goes (offsetof), default (as TOML value text, so the docs print it
 * verbatim), allowed range or choices, and a one-line doc. Loading checks
 * every key of the document against the table: unknown keys (with a
 * did-you-mean), wrong types, out-of-range values and missing required keys
 * are AR_E_CONFIG errors "<file>:<line>: ..." naming the key. The same table
 * generates the markdown reference (docs/config.md).
 *
 * Arrays of tables: a spec of type AR_KEY_TABLES ("data.corrupted") owns
 * the specs named "data.corrupted[].<field>", whose offsets are into the
 * element struct (elem_size bytes); each element gets its own defaults.
 */
#ifndef AR_CONFIG_SCHEMA_H
#define AR_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "core/error.h"

typedef enum {
    AR_KEY_STRING,   /* char * (owned) */
    AR_KEY_ENUM,     /* char * (owned), one of spec.choices */
    AR_KEY_INT,      /* int64_t */
    AR_KEY_FLOAT,    /* double (integers accepted) */
    AR_KEY_BOOL,     /* int 0/1 */
    AR_KEY_STRINGS,  /* ar_strs_t */
    AR_KEY_INTS,     /* ar_ints_t */
    AR_KEY_FLOATS,   /* ar_floats_t */
    AR_KEY_TABLES,   /* ar_tables_t: array of tables, fields are "<key>[].<name>" specs */
    AR_KEY_TYPE_COUNT
} ar_key_type_t;

typedef struct { char **v; int n; } ar_strs_t;
typedef struct { int64_t *v; int n; } ar_ints_t;
typedef struct { double *v; int n; } ar_floats_t;
typedef struct { void *v; int n; } ar_tables_t;   /* n elements of the spec's elem_size */

/* Range helpers for specs: AR_ANY = no range check. */
#define AR_ANY 1.0, 0.0

typedef struct ar_key_spec {
    const char *key;        /* dotted name; "a.b[].c" = field c of each table of array a.b */
    ar_key_type_t type;
    size_t offset;          /* offsetof the field in the struct (element struct for [] fields) */
    const char *def;        /* default as TOML value text ("256", "\"test\"", "[1, 2]"); NULL = required */
    double min, max;        /* allowed range of numbers and of array elements; min > max: any */
    const char *choices;    /* AR_KEY_ENUM: allowed values, "a|b|c" */
    const char *doc;        /* one-line description */
    size_t elem_size;       /* AR_KEY_TABLES: bytes per element struct */
} ar_key_spec_t;

/* Loads doc into out (zeroed by the caller) per the n specs. On failure out
 * may hold partial values: free it with ar_schema_free either way. */
int ar_schema_load(const ar_key_spec_t *specs, int n, const ar_config_t *doc, void *out, ar_err_t *err);
/* Frees every owned value in out (strings, arrays, tables) and zeroes them. */
void ar_schema_free(const ar_key_spec_t *specs, int n, void *out);

/* The closest spec key to key (edit distance, transpositions count one),
 * or NULL when none is close. Array indices in key are ignored. */
const char *ar_schema_suggest(const ar_key_spec_t *specs, int n, const char *key);

/* Writes the loaded values of obj as a TOML document (defaults included),
 * one [table] per top-level section and [[array]] per table element; the
 * output loads back to the same values. Returns 0, or -1 on a write error. */
int ar_schema_dump(const ar_key_spec_t *specs, int n, const void *obj, FILE *out);

/* Writes the markdown reference: one section per top-level table, one row
 * per key (name, type, default, allowed values, description). title and
 * intro are printed first. Returns 0, or -1 on a write error. */
int ar_schema_markdown(const ar_key_spec_t *specs, int n, const char *title, const char *intro, FILE *out);

#endif
