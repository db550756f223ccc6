/* test_util.h - helpers shared by the data tests: writing small files,
 * running /usr/bin/python3 snippets, and checking error messages. */
#ifndef AR_TEST_DATA_UTIL_H
#define AR_TEST_DATA_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* Writes len bytes to path through a new file renamed over it (truncating
 * a file in place can stall for writeback on some file systems). */
static inline int tu_write(const char *path, const void *data, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tu-new", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    size_t put = fwrite(data, 1, len, f);
    if (fclose(f) != 0 || put != len) return -1;
    return rename(tmp, path);
}

/* Copies the first keep bytes of src to dst (keep < 0: all but -keep). */
static inline int tu_truncate_copy(const char *src, const char *dst, long keep)
{
    FILE *f = fopen(src, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (keep < 0) keep = n + keep;
    if (keep < 0) keep = 0;
    if (keep > n) keep = n;
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    int rc = got == (size_t)n ? tu_write(dst, buf, (size_t)keep) : -1;
    free(buf);
    return rc;
}

/* 1 when /usr/bin/python3 can import the modules (e.g. "numpy, h5py"). */
static inline int tu_have_python(const char *modules)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import %s' >/dev/null 2>&1", modules);
    return system(cmd) == 0;
}

/* Runs a python snippet; returns its exit status. The script's name carries
 * the process id: ctest runs tests in parallel in one scratch directory. */
static inline int tu_python(const char *code)
{
    char name[64], path[1024];
    snprintf(name, sizeof name, "snippet.%ld.py", (long)getpid());
    snprintf(path, sizeof path, "%s", test_tmp(name));
    if (tu_write(path, code, strlen(code)) != 0) return -1;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s", path);
    int rc = system(cmd);
    remove(path);
    return rc;
}

static inline void tu_mkdir(const char *path) { mkdir(path, 0755); }

/* Removes a directory's plain files and the directory (one level). */
static inline void tu_rmdir(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", path);
}

/* The failure must carry status and a message containing every word. */
#define CHECK_ERR(status, err, expect_status, ...)                                              \
    do {                                                                                        \
        int s__ = (status);                                                                     \
        CHECK(s__ == (expect_status), "status %d (%s), expected %d", s__, ar_err_msg(err),      \
              (int)(expect_status));                                                            \
        const char *w__[] = {__VA_ARGS__};                                                      \
        for (size_t i__ = 0; i__ < sizeof w__ / sizeof w__[0]; i__++)                           \
            CHECK(strstr(ar_err_msg(err), w__[i__]) != NULL, "message '%s' lacks '%s'",        \
                  ar_err_msg(err), w__[i__]);                                                   \
        CHECK(strchr(ar_err_msg(err), '\n') == NULL, "message is one line");                   \
        ar_err_clear(err);                                                                      \
    } while (0)

#endif
