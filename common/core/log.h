/* log.h - leveled log lines prefixed with rank and level.
 *
 * A logger is a small value owned by its caller (no global state): library
 * code that wants to log takes an `const ar_log_t *` and calls ar_log(),
 * which formats "[r3 INFO ] message" and hands it to the sink callback
 * (stderr by default). A NULL logger drops everything.
 */
#ifndef AR_CORE_LOG_H
#define AR_CORE_LOG_H

#include <stdio.h>

typedef enum { AR_LOG_DEBUG, AR_LOG_INFO, AR_LOG_WARN, AR_LOG_ERROR, AR_LOG_LEVEL_COUNT } ar_log_level_t;

/* Receives one complete line (with prefix, without newline). */
typedef void (*ar_log_sink_fn)(void *user, ar_log_level_t level, const char *line);

typedef struct ar_log {
    int rank;               /* printed as r<rank>; -1 prints no rank */
    ar_log_level_t min;     /* lines below this level are dropped */
    ar_log_sink_fn sink;    /* NULL = write to stderr */
    void *user;             /* passed to sink */
} ar_log_t;

/* A logger writing to stderr for rank `rank` at INFO and above. */
ar_log_t ar_log_default(int rank);

/* Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int ar_log_level_parse(const char *name);
const char *ar_log_level_name(ar_log_level_t level);

void ar_log(const ar_log_t *log, ar_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ar_debug(log, ...) ar_log((log), AR_LOG_DEBUG, __VA_ARGS__)
#define ar_info(log, ...) ar_log((log), AR_LOG_INFO, __VA_ARGS__)
#define ar_warn(log, ...) ar_log((log), AR_LOG_WARN, __VA_ARGS__)
#define ar_error(log, ...) ar_log((log), AR_LOG_ERROR, __VA_ARGS__)

#endif
