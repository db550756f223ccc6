/* task_params.h - typed task parameters: ONE field list per task type gives
 * its C struct, its encoder (struct -> the TASK message's body) and its
 * decoder (body -> struct), so the coordinator, which fills the struct, and
 * the worker, which receives it, cannot disagree on a field's name, type or
 * range.
 *
 * A field list is an X-macro calling X(KIND, name, a, b) once per field:
 *
 *   KIND   C member                         a .. b
 *   INT    int64_t name                     accepted values
 *   FLOAT  double name                      accepted values (NaN never)
 *   STR    const char *name                 accepted length in bytes
 *   F32S   ar_f32s_t name {const float *v; int64_t n}     accepted count n
 *   F64S   ar_f64s_t name {const double *v; int64_t n}    accepted count n
 *   I64S   ar_i64s_t name {const int64_t *v; int64_t n}   accepted count n
 *   SUB    <a>_t name: another parameter struct, whose prefix is a (b unused);
 *          its fields go onto the wire flat, beside this list's own
 *
 * Strings and arrays are borrowed: on the coordinator they point at data that
 * must live until the encoder returns (the body copies them); on the worker
 * they point into the TASK message, which outlives the task's run.
 *
 * Declaring a parameter type (a header):
 *
 *   #define AR_MY_PARAMS(X)            \
 *       X(STR, model, 1, 1023)         \
 *       X(INT, batch, 1, 65536)
 *   AR_PARAMS_DECLARE(ar_my_params, AR_MY_PARAMS)
 *
 * gives `ar_my_params_t` and `ar_my_params_schema()`; one .c file says
 * AR_PARAMS_DEFINE(ar_my_params, AR_MY_PARAMS) to define the schema. A task
 * type names its schema (ar_task_type_t.params, runtime/registry.h): the
 * worker decodes every TASK with it before run() and hands run() the struct
 * (ar_task_ctx_t.p); the coordinator plans with ar_taskplan_add_typed().
 *
 * The decoder rejects, with the field's name: a missing field, a field of
 * another kind ("field 'lr' is a string, expected a float"), a value, length
 * or count outside its range, a tensor that is not 1-D of the list's dtype,
 * and any field the list does not have. The encoder checks the same ranges
 * (a value out of range is the planner's bug or an unchecked config key).
 */
#ifndef AR_RUNTIME_TASK_PARAMS_H
#define AR_RUNTIME_TASK_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "proto/msg.h"

typedef struct ar_f32s { const float *v; int64_t n; } ar_f32s_t;
typedef struct ar_f64s { const double *v; int64_t n; } ar_f64s_t;
typedef struct ar_i64s { const int64_t *v; int64_t n; } ar_i64s_t;

typedef enum {
    AR_PK_INT, AR_PK_FLOAT, AR_PK_STR, AR_PK_F32S, AR_PK_F64S, AR_PK_I64S, AR_PK_SUB
} ar_param_kind_t;

struct ar_params_schema;

/* One row of a schema (generated; see AR_PARAMS_DEFINE). */
typedef struct ar_param_field {
    const char *name;
    ar_param_kind_t kind;
    size_t offset;                /* of the member in the struct */
    int64_t lo, hi;               /* INT values, STR length, array count */
    double flo, fhi;              /* FLOAT values */
    const struct ar_params_schema *(*sub)(void); /* SUB: the embedded list */
} ar_param_field_t;

typedef struct ar_params_schema {
    const char *name;             /* the struct's prefix, for messages */
    const ar_param_field_t *fields;
    int nfields;
    size_t size;                  /* sizeof the struct */
} ar_params_schema_t;

/* Appends p's fields (struct of schema s) to *out. AR_E_ARG naming the field
 * on a value outside its range or a NULL string / array; *out may then hold
 * some of the fields (the caller clears it). */
int ar_params_encode(const ar_params_schema_t *s, const void *p, ar_fields_t *out, ar_err_t *err);
/* Fills *p (a struct of schema s; zeroed first) from in, which must hold
 * exactly the schema's fields. AR_E_PROTO naming the field otherwise. */
int ar_params_decode(const ar_params_schema_t *s, const ar_fields_t *in, void *p, ar_err_t *err);

/* ---- generators ---------------------------------------------------------- */

#define AR_PM_INT(n, a, b) int64_t n;
#define AR_PM_FLOAT(n, a, b) double n;
#define AR_PM_STR(n, a, b) const char *n;
#define AR_PM_F32S(n, a, b) ar_f32s_t n;
#define AR_PM_F64S(n, a, b) ar_f64s_t n;
#define AR_PM_I64S(n, a, b) ar_i64s_t n;
#define AR_PM_SUB(n, a, b) a##_t n;
#define AR_PARAM_MEMBER(kind, n, a, b) AR_PM_##kind(n, a, b)

#define AR_PR_ROW(k, n, lo, hi, flo, fhi, sub) \
    {#n, k, offsetof(ar_params_self_t, n), lo, hi, flo, fhi, sub},
#define AR_PR_INT(n, a, b) AR_PR_ROW(AR_PK_INT, n, (a), (b), 0, 0, NULL)
#define AR_PR_FLOAT(n, a, b) AR_PR_ROW(AR_PK_FLOAT, n, 0, 0, (a), (b), NULL)
#define AR_PR_STR(n, a, b) AR_PR_ROW(AR_PK_STR, n, (a), (b), 0, 0, NULL)
#define AR_PR_F32S(n, a, b) AR_PR_ROW(AR_PK_F32S, n, (a), (b), 0, 0, NULL)
#define AR_PR_F64S(n, a, b) AR_PR_ROW(AR_PK_F64S, n, (a), (b), 0, 0, NULL)
#define AR_PR_I64S(n, a, b) AR_PR_ROW(AR_PK_I64S, n, (a), (b), 0, 0, NULL)
#define AR_PR_SUB(n, a, b) AR_PR_ROW(AR_PK_SUB, n, 0, 0, 0, 0, a##_schema)
#define AR_PARAM_ROW(kind, n, a, b) AR_PR_##kind(n, a, b)

/* The struct prefix##_t and its schema's accessor, from a field list. */
#define AR_PARAMS_DECLARE(prefix, LIST)                    \
    typedef struct prefix {                                \
        LIST(AR_PARAM_MEMBER)                              \
    } prefix##_t;                                          \
    const ar_params_schema_t *prefix##_schema(void);

/* The schema of prefix##_t (in exactly one .c file). */
#define AR_PARAMS_DEFINE(prefix, LIST)                                                   \
    const ar_params_schema_t *prefix##_schema(void)                                      \
    {                                                                                    \
        typedef prefix##_t ar_params_self_t;                                             \
        static const ar_param_field_t rows[] = {LIST(AR_PARAM_ROW)};                     \
        static const ar_params_schema_t s = {#prefix, rows,                              \
                                             (int)(sizeof rows / sizeof rows[0]),        \
                                             sizeof(ar_params_self_t)};                  \
        return &s;                                                                       \
    }

#endif
