/* check.h - the tiny assertion kit every C test uses.
 *
 * CHECK(cond, fmt, ...) records a failure with file:line and carries on;
 * CHECK_NEAR compares floats by relative error; test_tmp() gives a per-test
 * scratch path under $AR_TEST_TMP (set by ctest); TEST_MAIN_END prints
 * "N passed, N failed" and returns non-zero on any failure. The counts are
 * atomic: tests may check from several threads.
 */
#ifndef AR_TEST_CHECK_H
#define AR_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int passed, failed;
} check_state_t;

static check_state_t check_state_;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            __atomic_add_fetch(&check_state_.passed, 1, __ATOMIC_RELAXED);  \
        } else {                                                           \
            __atomic_add_fetch(&check_state_.failed, 1, __ATOMIC_RELAXED);  \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

/* |a-b| <= tol * max(1, |a|, |b|) */
#define CHECK_NEAR(a, b, tol)                                                              \
    do {                                                                                   \
        double a_ = (double)(a), b_ = (double)(b), m_ = fmax(1.0, fmax(fabs(a_), fabs(b_))); \
        CHECK(fabs(a_ - b_) <= (tol) * m_, "%s = %.9g vs %s = %.9g (tol %g)", #a, a_, #b, b_, \
              (double)(tol));                                                              \
    } while (0)

#define CHECK_OK(status, err)                                                       \
    do {                                                                            \
        int s_ = (status);                                                          \
        CHECK(s_ == 0, "status %d: %s", s_, ar_err_msg(err));                         \
    } while (0)

/* A path "<AR_TEST_TMP or /tmp>/<name>" in a static buffer rotated 8 ways. */
static inline const char *test_tmp(const char *name)
{
    static char bufs[8][1024];
    static int next;
    const char *dir = getenv("AR_TEST_TMP");
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", dir && *dir ? dir : "/tmp", name);
    return b;
}

/* The source tree root (for committed test data), from $AR_SOURCE_DIR. */
static inline const char *test_source_dir(void)
{
    const char *d = getenv("AR_SOURCE_DIR");
    return d && *d ? d : ".";
}

#define TEST_MAIN_END()                                                              \
    do {                                                                             \
        printf("%d passed, %d failed\n", check_state_.passed, check_state_.failed);  \
        return check_state_.failed ? 1 : 0;                                          \
    } while (0)

#endif
