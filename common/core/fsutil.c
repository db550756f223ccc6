/* fsutil.c - atomic output, file helpers, monotonic clock. */
#define _POSIX_C_SOURCE 200809L
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int ar_tmp_path(const char *final_path, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s.tmp.%ld", final_path, (long)getpid());
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int ar_commit_file(const char *tmp, const char *final_path, ar_err_t *err)
{
    int fd = open(tmp, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    if (rename(tmp, final_path) != 0) {
        int e = errno;
        unlink(tmp);
        return ar_err_set(err, AR_E_IO, "%s: cannot rename %s into place: %s", final_path, tmp,
                          strerror(e));
    }
    return AR_OK;
}

int64_t ar_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    return (int64_t)st.st_size;
}

int ar_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *ar_read_text_file(const char *path, size_t *len, ar_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ar_err_set(err, AR_E_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory reading file", path);
        return NULL;
    }
    if (bad) {
        free(buf);
        ar_err_set(err, AR_E_IO, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int ar_write_file_atomic(const char *path, const void *data, size_t len, ar_err_t *err)
{
    char tmp[4096];
    if (ar_tmp_path(path, tmp, sizeof tmp) != 0)
        return ar_err_set(err, AR_E_IO, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ar_err_set(err, AR_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
    size_t put = fwrite(data, 1, len, f);
    int bad = (put != len) | (fclose(f) != 0);
    if (bad) {
        unlink(tmp);
        return ar_err_set(err, AR_E_IO, "%s: write failed", path);
    }
    return ar_commit_file(tmp, path, err);
}

double ar_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double ar_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ar_num_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
