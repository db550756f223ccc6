/* cliopt.c - option tables parsed with getopt_long (cliopt.h). */
#include "cliopt.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 64
#define VAL_BASE 256 /* getopt_long's val of row i: VAL_BASE + i */

int ar_usage_verror(const char *prog, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s: %s (see %s --help)\n", prog, msg, prog);
    return 2;
}

int ar_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ar_usage_verror(prog, fmt, ap);
    va_end(ap);
    return 2;
}

int ar_opts_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    }
    return 0;
}

/* A decimal number starts with a digit, a sign or a point (no space, no
 * "inf"/"nan") and has no hex marker. */
static int looks_decimal(const char *s)
{
    if (!(isdigit((unsigned char)s[0]) || s[0] == '+' || s[0] == '-' || s[0] == '.')) return 0;
    return strpbrk(s, "xX") == NULL;
}

int ar_parse_llong(const char *s, long long *v)
{
    if (!looks_decimal(s) || s[0] == '.') return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end) return -1;
    if (errno == ERANGE) return -2;
    *v = x;
    return 0;
}

int ar_parse_double(const char *s, double *v)
{
    if (!looks_decimal(s)) return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end) return -1;
    if (errno == ERANGE && fabs(x) > 1) return -2; /* underflow to ~0 is fine */
    if (!isfinite(x)) return -2;
    *v = x;
    return 0;
}

/* Stores the value of one row; 0 or the usage error's status. */
static int store(const char *prog, const ar_opt_t *o, const char *val)
{
    switch (o->type) {
    case AR_OPT_FLAG:
        *(int *)o->dest = 1;
        return 0;
    case AR_OPT_STR:
        *(const char **)o->dest = val;
        return 0;
    case AR_OPT_INT:
    case AR_OPT_LLONG: {
        long long lo = o->min, hi = o->max, x = 0;
        if (lo == 0 && hi == 0) {
            lo = o->type == AR_OPT_INT ? INT_MIN : LLONG_MIN;
            hi = o->type == AR_OPT_INT ? INT_MAX : LLONG_MAX;
        }
        int r = ar_parse_llong(val, &x);
        if (r == -1) return ar_usage_error(prog, "--%s: '%s' is not an integer", o->name, val);
        if (r == -2 || x < lo || x > hi) {
            if (hi == LLONG_MAX || hi == INT_MAX)
                return ar_usage_error(prog, "--%s: %s is out of range (at least %lld)", o->name, val, lo);
            return ar_usage_error(prog, "--%s: %s is out of range (%lld..%lld)", o->name, val, lo, hi);
        }
        if (o->type == AR_OPT_INT) *(int *)o->dest = (int)x;
        else *(long long *)o->dest = x;
        return 0;
    }
    case AR_OPT_DOUBLE: {
        double x = 0;
        int r = ar_parse_double(val, &x);
        if (r == -1) return ar_usage_error(prog, "--%s: '%s' is not a number", o->name, val);
        if (r == -2) return ar_usage_error(prog, "--%s: %s is out of range", o->name, val);
        if (o->drange == AR_OPT_POSITIVE && !(x > 0))
            return ar_usage_error(prog, "--%s: %s must be positive", o->name, val);
        if (o->drange == AR_OPT_NONNEG && !(x >= 0))
            return ar_usage_error(prog, "--%s: %s must not be negative", o->name, val);
        *(double *)o->dest = x;
        return 0;
    }
    }
    return ar_usage_error(prog, "--%s: bad option table", o->name);
}

/* How many rows' names start with the n bytes of text. */
static int prefix_matches(const ar_opt_t *opts, const char *text, size_t n)
{
    int k = 0;
    for (int i = 0; opts[i].name; i++) k += strncmp(opts[i].name, text, n) == 0;
    return k;
}

int ar_opts_parse(const char *prog, const ar_opt_t *opts, int argc, char **argv, const char **pos,
                  int maxpos, int *npos)
{
    struct option lo[MAX_OPTS + 1];
    int n = 0;
    for (; opts[n].name; n++) {
        if (n == MAX_OPTS) return ar_usage_error(prog, "too many options in the table");
        lo[n] = (struct option){opts[n].name, opts[n].type == AR_OPT_FLAG ? no_argument : required_argument,
                                NULL, VAL_BASE + n};
    }
    lo[n] = (struct option){0, 0, 0, 0};
    *npos = 0;
    opterr = 0;
    optind = 0; /* glibc: full re-initialisation, so a second call starts afresh */
    for (;;) {
        int c = getopt_long(argc, argv, ":", lo, NULL);
        if (c == -1) break;
        if (c >= VAL_BASE && c < VAL_BASE + n) {
            int st = store(prog, &opts[c - VAL_BASE], optarg);
            if (st) return st;
        } else if (c == ':') {
            if (optopt >= VAL_BASE && optopt < VAL_BASE + n)
                return ar_usage_error(prog, "option '--%s' needs a value", opts[optopt - VAL_BASE].name);
            return ar_usage_error(prog, "option '-%c' needs a value", optopt);
        } else if (optopt >= VAL_BASE && optopt < VAL_BASE + n) {
            return ar_usage_error(prog, "option '--%s' takes no value", opts[optopt - VAL_BASE].name);
        } else if (optopt) {
            return ar_usage_error(prog, "unknown option '-%c'", optopt);
        } else {
            const char *a = argv[optind - 1];
            size_t len = strcspn(a + 2, "=");
            if (strncmp(a, "--", 2) == 0 && prefix_matches(opts, a + 2, len) > 1)
                return ar_usage_error(prog, "ambiguous option '%.*s'", (int)len + 2, a);
            return ar_usage_error(prog, "unknown option '%.*s'", (int)len + 2, a);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (*npos == maxpos) return ar_usage_error(prog, "unexpected argument '%s'", argv[i]);
        pos[(*npos)++] = argv[i];
    }
    return 0;
}
