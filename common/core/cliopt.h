/* cliopt.h - command-line options of both binaries (archrepair's commands
 * and archrepair-coord): one table per command, parsed with getopt_long, so
 * every option takes "--opt value" and "--opt=value" and may come before,
 * between or after the positional arguments ("--" ends the options).
 *
 * Numbers are parsed strictly: the whole text must be a decimal number
 * ("3x", "", " 3", "0x10" are rejected), within the type (no overflow) and
 * within the range of the option's row. Every problem is one line on stderr,
 * "<prog>: <option>: <cause> (see <prog> --help)", and status 2, the usage
 * error status of both binaries (runtime errors exit 1).
 */
#ifndef AR_CORE_CLIOPT_H
#define AR_CORE_CLIOPT_H

#include <stdarg.h>
#include <stdio.h>

typedef enum ar_opt_type {
    AR_OPT_FLAG,   /* no value: *(int *)dest = 1 */
    AR_OPT_STR,    /* *(const char **)dest = the value (points into argv) */
    AR_OPT_INT,    /* *(int *)dest, within [min, max] */
    AR_OPT_LLONG,  /* *(long long *)dest, within [min, max] */
    AR_OPT_DOUBLE, /* *(double *)dest, finite, within [dmin, dmax] */
} ar_opt_type_t;

/* Ranges of AR_OPT_DOUBLE rows beyond "finite". */
enum { AR_OPT_ANY = 0, AR_OPT_POSITIVE = 1, AR_OPT_NONNEG = 2 };

typedef struct ar_opt {
    const char *name;   /* without the leading "--"; NULL ends the table */
    ar_opt_type_t type;
    void *dest;
    long long min, max; /* AR_OPT_INT / AR_OPT_LLONG; min == max == 0: the type's range */
    int drange;         /* AR_OPT_DOUBLE: AR_OPT_ANY, AR_OPT_POSITIVE or AR_OPT_NONNEG */
} ar_opt_t;

/* Table rows: AR_FLAG("quiet", &q), AR_STR("out", &path),
 * AR_INT("epochs", &n, 1, INT_MAX), AR_LLONG("seed", &s, 0, LLONG_MAX),
 * AR_DOUBLE("lr", &lr, AR_OPT_POSITIVE); the table ends with AR_OPT_END. */
#define AR_FLAG(n, d) {(n), AR_OPT_FLAG, (d), 0, 0, 0}
#define AR_STR(n, d) {(n), AR_OPT_STR, (d), 0, 0, 0}
#define AR_INT(n, d, lo, hi) {(n), AR_OPT_INT, (d), (lo), (hi), 0}
#define AR_LLONG(n, d, lo, hi) {(n), AR_OPT_LLONG, (d), (lo), (hi), 0}
#define AR_DOUBLE(n, d, range) {(n), AR_OPT_DOUBLE, (d), 0, 0, (range)}
#define AR_OPT_END {NULL, AR_OPT_FLAG, NULL, 0, 0, 0}

/* Parses argv[1..argc-1] (argv[0] names the command) by the table opts
 * (ended by a row with name NULL): each option's value goes to its dest;
 * the positional arguments, in order, to pos[0..maxpos-1] and their count
 * to *npos. More than maxpos positionals is a usage error. prog names the
 * program in messages ("archrepair train", "archrepair-coord"). argv may be
 * permuted. Returns 0, or 2 after printing the one-line usage error. */
int ar_opts_parse(const char *prog, const ar_opt_t *opts, int argc, char **argv, const char **pos,
                  int maxpos, int *npos);

/* Strict decimal parsing of a whole string: 0 and *v; -1 when s is not a
 * number (empty, leading space, junk after it, hex, inf/nan); -2 when it is
 * one but does not fit (overflow). */
int ar_parse_llong(const char *s, long long *v);
int ar_parse_double(const char *s, double *v);

/* Prints "<prog>: <formatted> (see <prog> --help)" on stderr; returns 2. */
int ar_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ar_usage_verror(const char *prog, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* 1 when argv[1..] holds --help or -h before any "--". */
int ar_opts_wants_help(int argc, char **argv);

#endif
