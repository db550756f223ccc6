/* log.c - formatting and the default stderr sink. */
#include "log.h"

#include <stdarg.h>
#include <string.h>

static const char *const level_names[AR_LOG_LEVEL_COUNT] = {"DEBUG", "INFO", "WARN", "ERROR"};

ar_log_t ar_log_default(int rank)
{
    ar_log_t l = {.rank = rank, .min = AR_LOG_INFO, .sink = NULL, .user = NULL};
    return l;
}

int ar_log_level_parse(const char *name)
{
    static const char *const lower[AR_LOG_LEVEL_COUNT] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < AR_LOG_LEVEL_COUNT; i++)
        if (name && strcmp(name, lower[i]) == 0) return i;
    return -1;
}

const char *ar_log_level_name(ar_log_level_t level)
{
    return (unsigned)level < AR_LOG_LEVEL_COUNT ? level_names[level] : "?";
}

void ar_log(const ar_log_t *log, ar_log_level_t level, const char *fmt, ...)
{
    if (!log || level < log->min) return;
    char line[2048];
    int n = log->rank >= 0
                ? snprintf(line, sizeof line, "[r%d %-5s] ", log->rank, ar_log_level_name(level))
                : snprintf(line, sizeof line, "[%-5s] ", ar_log_level_name(level));
    if (n < 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (log->sink) {
        log->sink(log->user, level, line);
    } else {
        fprintf(stderr, "%s\n", line);
    }
}
