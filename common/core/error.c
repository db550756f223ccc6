/* error.c - status texts and message formatting for ar_err_t. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
#define AR_STATUS_TEXT(name, text) text,
    AR_STATUS_MAP(AR_STATUS_TEXT)
#undef AR_STATUS_TEXT
};
_Static_assert(sizeof status_text / sizeof status_text[0] == AR_STATUS_COUNT,
               "status text table out of step with AR_STATUS_MAP");

const char *ar_strerror(int status)
{
    if (status < 0 || status >= AR_STATUS_COUNT) return "unknown status";
    return status_text[status];
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

static void mark_truncated(char *buf, size_t cap, int n)
{
    if (n >= (int)cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
}

int ar_err_set(ar_err_t *err, int status, const char *fmt, ...)
{
    if (!err) return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    mark_truncated(err->msg, sizeof err->msg, n);
    one_line(err->msg);
    return status;
}

int ar_err_prefix(ar_err_t *err, const char *fmt, ...)
{
    if (!err) return AR_E_INTERNAL;
    char pre[AR_ERRMSG_MAX], old[AR_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    int n = snprintf(err->msg, sizeof err->msg, "%s: %s", pre, old);
    mark_truncated(err->msg, sizeof err->msg, n);
    one_line(err->msg);
    if (err->status == AR_OK) err->status = AR_E_INTERNAL;
    return err->status;
}

void ar_err_clear(ar_err_t *err)
{
    if (!err) return;
    err->status = AR_OK;
    err->msg[0] = '\0';
}

const char *ar_err_msg(const ar_err_t *err)
{
    if (!err) return "";
    if (err->msg[0]) return err->msg;
    return ar_strerror(err->status);
}
