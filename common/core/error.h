/* error.h - status codes and error messages with context.
 *
 * Two kinds of error: a caller's misuse is an assert; a runtime
 * failure (file, HDF5, socket, TOML, memory, bad data) is an int status from
 * the X-macro list below plus a one-line message on an ar_err_t that names
 * what and where ("data/x.npy: header promises 3072000 bytes, file has 12").
 * Library code never exits or aborts.
 */
#ifndef AR_CORE_ERROR_H
#define AR_CORE_ERROR_H

#include <stddef.h>

#define AR_STATUS_MAP(X)                                   \
    X(OK, "ok")                                            \
    X(NOMEM, "out of memory")                              \
    X(IO, "I/O error")                                     \
    X(FORMAT, "bad file format")                           \
    X(CONFIG, "invalid configuration")                     \
    X(ARG, "invalid argument")                             \
    X(HDF5, "HDF5 error")                                  \
    X(PROTO, "malformed message")                          \
    X(NET, "network error")                                \
    X(MPI, "MPI error")                                    \
    X(NUMERIC, "numerical error")                          \
    X(UNSUPPORTED, "unsupported")                          \
    X(WORKER, "worker failed")                             \
    X(TIMEOUT, "timed out")                                \
    X(INTERNAL, "internal error")                          \
    X(INTERRUPTED, "interrupted by a signal")

typedef enum {
#define AR_STATUS_ENUM(name, text) AR_E_##name,
    AR_STATUS_MAP(AR_STATUS_ENUM)
#undef AR_STATUS_ENUM
    AR_STATUS_COUNT
} ar_status_t;

#define AR_OK AR_E_OK

/* Longest message kept; longer ones are truncated with "...". */
#define AR_ERRMSG_MAX 1024

/* An error slot: the status and the message of the first failure recorded.
 * Zero-initialise (ar_err_t err = {0};) before use. */
typedef struct ar_err {
    int status;                 /* AR_OK or an ar_status_t */
    char msg[AR_ERRMSG_MAX];    /* one line, no trailing newline */
} ar_err_t;

/* Short text for a status; "unknown status" for values out of range. */
const char *ar_strerror(int status);

/* Records status and a printf-style message on err (err may be NULL) and
 * returns status, so callers write `return ar_err_set(err, AR_E_IO, ...)`.
 * Newlines in the message are replaced by spaces to keep it one line. */
int ar_err_set(ar_err_t *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to the message already on err (context from an outer
 * layer, e.g. the file name) and returns err->status. */
int ar_err_prefix(ar_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err back to AR_OK with an empty message. */
void ar_err_clear(ar_err_t *err);

/* The message, or the status text when no message was set. Never NULL. */
const char *ar_err_msg(const ar_err_t *err);

#endif
