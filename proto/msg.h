/* msg.h - the coordinator/worker protocol: message types and their decoded form.
 *
 * Every message on the ZeroMQ data plane is one MessagePack map carrying the
 * protocol version ("v"), the type ("t") and the sender's rank ("r"), plus
 * the fields of its type (proto/README.md documents each one). This header is
 * the decoded form; proto/codec.h turns it into bytes and back, validating
 * everything. Task parameters and results travel as an ar_fields_t: named,
 * typed values (int64, float64, string, tensor), so a new job kind adds
 * fields, never new plumbing.
 *
 * Ownership: an ar_msg_t owns its body (strings and tensor data inside its
 * ar_fields_t); release it with ar_msg_clear(). ar_fields_put_* copy their
 * arguments.
 */
#ifndef AR_PROTO_MSG_H
#define AR_PROTO_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Wire protocol version; a message with another version is rejected. */
#define AR_PROTO_VERSION 3
#define AR_PROTO_VERSION_STR "3"

/* Limits every decoded message is checked against. */
#define AR_PROTO_MAX_NAME 64          /* bytes in a field / kind name, NUL included */
#define AR_PROTO_MAX_TEXT 1024        /* bytes in a host name / error text / string value */
#define AR_PROTO_MAX_FIELDS 256       /* fields in one body */
#define AR_PROTO_MAX_NDIM 8           /* tensor dimensions */
#define AR_PROTO_MAX_CREDIT 1024      /* tasks one READY may ask for */
#define AR_PROTO_MAX_PARTS 4096       /* workers sharing one task */
#define AR_PROTO_DEFAULT_MAX_BYTES ((size_t)256 << 20) /* encoded message size */

#define AR_MSG_TYPE_MAP(X)                                            \
    X(HELLO, "HELLO")         /* worker -> coord: who I am */         \
    X(READY, "READY")         /* worker -> coord: credit for N tasks */ \
    X(TASK, "TASK")           /* coord -> worker: one task */         \
    X(RESULT, "RESULT")       /* worker -> coord: (partial) result */ \
    X(HEARTBEAT, "HEARTBEAT") /* both ways: I am alive */             \
    X(ERROR, "ERROR")         /* worker -> coord: fatal failure */    \
    X(SHUTDOWN, "SHUTDOWN")   /* coord -> worker: stop */             \
    X(BYE, "BYE")             /* worker -> coord: stopped cleanly */   \
    X(REDUCE, "REDUCE")       /* worker -> coord: a data-parallel step's rows */ \
    X(REDUCED, "REDUCED")     /* coord -> workers: the step's sum */

typedef enum {
    AR_MSG_NONE = 0,
#define AR_MSG_ENUM(name, text) AR_MSG_##name,
    AR_MSG_TYPE_MAP(AR_MSG_ENUM)
#undef AR_MSG_ENUM
    AR_MSG_TYPE_COUNT
} ar_msg_type_t;

/* "TASK" etc.; "?" for values out of range. */
const char *ar_msg_type_name(int type);
/* The type for a wire name, or AR_MSG_NONE when unknown. */
ar_msg_type_t ar_msg_type_parse(const char *name, size_t len);

/* Element types of tensor payloads (little-endian on the wire). */
typedef enum { AR_WDT_U8, AR_WDT_I32, AR_WDT_I64, AR_WDT_F32, AR_WDT_F64, AR_WDT_COUNT } ar_wdtype_t;
/* "u8", "i32", "i64", "f32", "f64"; "?" when out of range. */
const char *ar_wdtype_name(int dtype);
/* Parses a dtype name; -1 when unknown. */
int ar_wdtype_parse(const char *name, size_t len);
/* Bytes per element; 0 when out of range. */
size_t ar_wdtype_size(int dtype);

typedef enum { AR_VAL_INT, AR_VAL_FLOAT, AR_VAL_STR, AR_VAL_TENSOR } ar_val_kind_t;
const char *ar_val_kind_name(int kind);

/* A tensor value: ndim dims, data holds prod(shape) * dtype size bytes. */
typedef struct ar_wtensor {
    ar_wdtype_t dtype;
    int ndim;                              /* 0..AR_PROTO_MAX_NDIM */
    int64_t shape[AR_PROTO_MAX_NDIM];
    void *data;                            /* owned, malloc'd; NULL when nbytes == 0 */
    size_t nbytes;
} ar_wtensor_t;

/* One named value. */
typedef struct ar_field {
    char name[AR_PROTO_MAX_NAME];
    ar_val_kind_t kind;
    int64_t i;          /* AR_VAL_INT */
    double f;           /* AR_VAL_FLOAT */
    char *s;            /* AR_VAL_STR: owned, NUL-terminated */
    ar_wtensor_t t;     /* AR_VAL_TENSOR */
} ar_field_t;

/* An ordered set of uniquely named values. Zero-initialise before use. */
typedef struct ar_fields {
    ar_field_t *v;      /* owned array of n entries */
    int n, cap;
} ar_fields_t;

/* Adders copy their arguments. They fail (AR_E_ARG) on an empty or too long
 * name, a duplicate name, more than AR_PROTO_MAX_FIELDS fields, a string
 * longer than AR_PROTO_MAX_TEXT-1, a bad tensor shape; AR_E_NOMEM when out
 * of memory. On failure the set is unchanged. */
int ar_fields_put_int(ar_fields_t *fs, const char *name, int64_t v, ar_err_t *err);
int ar_fields_put_float(ar_fields_t *fs, const char *name, double v, ar_err_t *err);
int ar_fields_put_str(ar_fields_t *fs, const char *name, const char *v, ar_err_t *err);
int ar_fields_put_tensor(ar_fields_t *fs, const char *name, ar_wdtype_t dtype, int ndim,
                         const int64_t *shape, const void *data, ar_err_t *err);
/* Moves an already built field (validated as above) into the set; on success
 * *f is emptied, on failure *f is left for the caller to release. */
int ar_fields_take(ar_fields_t *fs, ar_field_t *f, ar_err_t *err);

/* The field called name, or NULL. */
const ar_field_t *ar_fields_find(const ar_fields_t *fs, const char *name);
/* Typed getters: AR_E_PROTO with a message naming the field when it is
 * missing or of another kind; *out untouched then. get_float accepts an int. */
int ar_fields_get_int(const ar_fields_t *fs, const char *name, int64_t *out, ar_err_t *err);
int ar_fields_get_float(const ar_fields_t *fs, const char *name, double *out, ar_err_t *err);
int ar_fields_get_str(const ar_fields_t *fs, const char *name, const char **out, ar_err_t *err);
/* The tensor called name, checked to have dtype and ndim (ndim < 0: any). */
int ar_fields_get_tensor(const ar_fields_t *fs, const char *name, ar_wdtype_t dtype, int ndim,
                         const ar_wtensor_t **out, ar_err_t *err);
/* Releases every value; leaves an empty set. Safe twice. */
void ar_fields_clear(ar_fields_t *fs);
/* Releases one field's owned data. */
void ar_field_release(ar_field_t *f);

/* A decoded message. Only the members of its type are meaningful. */
typedef struct ar_msg {
    ar_msg_type_t type;
    int32_t rank;                           /* sender's MPI rank (0 = coordinator) */
    union {
        struct {                            /* HELLO */
            char host[AR_PROTO_MAX_TEXT];   /* worker's host name */
            int64_t pid;                    /* worker's process id */
            int32_t threads;                /* BLAS threads the worker uses */
        } hello;
        struct {                            /* READY */
            int32_t credit;                 /* 0..AR_PROTO_MAX_CREDIT more tasks (0: only
                                               the answer to a REDUCED failed) */
        } ready;
        struct {                            /* TASK, RESULT, REDUCE, REDUCED */
            uint64_t id;                    /* task id, 0..tasks-1, in plan order */
            char kind[AR_PROTO_MAX_NAME];   /* TASK, RESULT: task kind (registry name) */
            uint32_t seq;                   /* RESULT: 0, 1, ... per task */
            int final;                      /* RESULT: 1 on the task's last result */
            int32_t part, parts;            /* TASK: this worker's share of the task (0..parts-1)
                                               and the workers running it together;
                                               REDUCE: the sender's part */
            uint64_t step;                  /* REDUCE, REDUCED: the exchange, 0, 1, ... per task */
            int failed;                     /* REDUCED: 1 = the task was taken back (a member
                                               was lost): stop it, send no result */
            uint32_t attempt;               /* TASK, REDUCE, REDUCED: which sending of the task
                                               (a task taken back is sent again) */
            int32_t *members;               /* TASK: [parts] the ranks running it, part order
                                               (required to encode; owned after a decode:
                                               ar_msg_clear frees it) */
        } task;
        struct {                            /* HEARTBEAT */
            uint64_t done;                  /* tasks finished by the sender */
        } beat;
        struct {                            /* ERROR */
            char host[AR_PROTO_MAX_TEXT];
            int64_t task;                   /* failing task id, -1 when none */
            int32_t status;                 /* ar_status_t of the failure */
            char text[AR_PROTO_MAX_TEXT];   /* one-line message */
        } error;
        struct {                            /* SHUTDOWN */
            int32_t failed;                 /* 1 when the job failed */
            char reason[AR_PROTO_MAX_TEXT];
        } shutdown;
        struct {                            /* BYE */
            uint64_t done;                  /* tasks finished by the sender */
        } bye;
    } u;
    ar_fields_t body;                       /* TASK params / RESULT values / REDUCE rows /
                                               REDUCED sums; else empty */
} ar_msg_t;

/* A zeroed message of type for rank (body empty). */
ar_msg_t ar_msg_make(ar_msg_type_t type, int32_t rank);
/* Releases the body; the message keeps its type. Safe twice. */
void ar_msg_clear(ar_msg_t *m);

#endif
