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
    static unsigned counter;
    unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    int n = snprintf(buf, cap, "%s.tmp.%ld.%u", final_path, (long)getpid(), k);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

FILE *ar_tmp_create(const char *final_path, char *tmp, size_t cap, ar_err_t *err)
{
    if (ar_tmp_path(final_path, tmp, cap) != 0) {
        ar_err_set(err, AR_E_IO, "%s: path too long", final_path);
        return NULL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) close(fd), unlink(tmp);
        ar_err_set(err, AR_E_IO, "%s: cannot create: %s", tmp, strerror(e));
    }
    return f;
}

void ar_dir_of(const char *path, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, cap, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
}

/* fsyncs the directory holding path (best effort: some filesystems refuse). */
static void sync_dir_of(const char *path)
{
    char dir[4096];
    ar_dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
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
    sync_dir_of(final_path);
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
    FILE *f = ar_tmp_create(path, tmp, sizeof tmp, err);
    if (!f) return err->status;
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
