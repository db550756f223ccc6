/* cifar_bin.c - CIFAR-10 binary batch reading with pread, CHW -> HWC. */
#define _POSIX_C_SOURCE 200809L
#include "cifar_bin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"

#define CIFAR_CHUNK 256 /* records per pread */

typedef struct {
    int fd;
    char *path;
    int64_t first, count;   /* global index of the first record, records in file */
} cifar_file_t;

struct ar_cifar_bin {
    cifar_file_t *files;
    int nfiles;
    int64_t total;
    uint8_t *buf;           /* CIFAR_CHUNK records */
};

void ar_cifar_bin_close(ar_cifar_bin_t **cbp)
{
    if (!cbp || !*cbp) return;
    ar_cifar_bin_t *cb = *cbp;
    for (int i = 0; i < cb->nfiles; i++) {
        if (cb->files[i].fd >= 0) close(cb->files[i].fd);
        free(cb->files[i].path);
    }
    free(cb->files);
    free(cb->buf);
    free(cb);
    *cbp = NULL;
}

ar_cifar_bin_t *ar_cifar_bin_open(const char *const *paths, int n, ar_err_t *err)
{
    ar_cifar_bin_t *cb = calloc(1, sizeof *cb);
    if (!cb || !(cb->files = calloc((size_t)(n > 0 ? n : 1), sizeof *cb->files)) ||
        !(cb->buf = malloc((size_t)CIFAR_CHUNK * AR_CIFAR_RECORD_BYTES))) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", n > 0 ? paths[0] : "cifar");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        cifar_file_t *f = &cb->files[i];
        f->fd = -1;
        cb->nfiles = i + 1;
        if (!(f->path = strdup(paths[i]))) {
            ar_err_set(err, AR_E_NOMEM, "%s: out of memory", paths[i]);
            goto fail;
        }
        int64_t size = ar_file_size(paths[i]);
        f->fd = size < 0 ? -1 : open(paths[i], O_RDONLY);
        if (f->fd < 0) {
            ar_err_set(err, AR_E_IO, "%s: cannot open: %s", paths[i], strerror(errno));
            goto fail;
        }
        if (size == 0 || size % AR_CIFAR_RECORD_BYTES != 0) {
            ar_err_set(err, AR_E_FORMAT,
                       "%s: size %lld is not a non-zero multiple of the 3073-byte CIFAR-10 record (truncated?)",
                       paths[i], (long long)size);
            goto fail;
        }
        f->first = cb->total;
        f->count = size / AR_CIFAR_RECORD_BYTES;
        cb->total += f->count;
    }
    return cb;
fail:
    ar_cifar_bin_close(&cb);
    return NULL;
}

int64_t ar_cifar_bin_count(const ar_cifar_bin_t *cb) { return cb->total; }

static int read_exact(cifar_file_t *f, void *buf, size_t n, int64_t off, ar_err_t *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + (int64_t)done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            return ar_err_set(err, AR_E_IO, "%s: short read at byte %lld (file changed?)", f->path,
                              (long long)(off + (int64_t)done));
        done += (size_t)r;
    }
    return AR_OK;
}

static int check_label(const cifar_file_t *f, int64_t rec, uint8_t label, ar_err_t *err)
{
    if (label < AR_CIFAR_CLASSES) return AR_OK;
    return ar_err_set(err, AR_E_FORMAT, "%s: record %lld has label %d, expected 0..9", f->path,
                      (long long)rec, label);
}

static void chw_to_hwc(const uint8_t *src, uint8_t *dst)
{
    const int plane = AR_CIFAR_SIDE * AR_CIFAR_SIDE;
    for (int p = 0; p < plane; p++) {
        dst[3 * p] = src[p];
        dst[3 * p + 1] = src[plane + p];
        dst[3 * p + 2] = src[2 * plane + p];
    }
}

/* Reads count records starting at local record rec of one file. */
static int read_file_part(ar_cifar_bin_t *cb, cifar_file_t *f, int64_t rec, int64_t count,
                          uint8_t *pixels, int32_t *labels, ar_err_t *err)
{
    for (int64_t i = 0; i < count;) {
        if (!pixels) { /* labels only: one byte per record */
            uint8_t b;
            int st = read_exact(f, &b, 1, (rec + i) * AR_CIFAR_RECORD_BYTES, err);
            if (!st) st = check_label(f, rec + i, b, err);
            if (st) return st;
            labels[i++] = b;
            continue;
        }
        int64_t k = count - i < CIFAR_CHUNK ? count - i : CIFAR_CHUNK;
        int st = read_exact(f, cb->buf, (size_t)(k * AR_CIFAR_RECORD_BYTES),
                            (rec + i) * AR_CIFAR_RECORD_BYTES, err);
        if (st) return st;
        for (int64_t j = 0; j < k; j++) {
            const uint8_t *r = cb->buf + j * AR_CIFAR_RECORD_BYTES;
            if ((st = check_label(f, rec + i + j, r[0], err))) return st;
            if (labels) labels[i + j] = r[0];
            chw_to_hwc(r + 1, pixels + (i + j) * AR_CIFAR_IMAGE_BYTES);
        }
        i += k;
    }
    return AR_OK;
}

int ar_cifar_bin_read(ar_cifar_bin_t *cb, int64_t start, int64_t count, uint8_t *pixels,
                      int32_t *labels, ar_err_t *err)
{
    if (start < 0 || count < 0 || start > cb->total - count)
        return ar_err_set(err, AR_E_ARG, "%s: records %lld..%lld outside the %lld records",
                          cb->files[0].path, (long long)start, (long long)(start + count),
                          (long long)cb->total);
    if (!pixels && !labels) return AR_OK;
    for (int i = 0; i < cb->nfiles && count > 0; i++) {
        cifar_file_t *f = &cb->files[i];
        if (start >= f->first + f->count) continue;
        int64_t local = start - f->first;
        int64_t k = f->count - local < count ? f->count - local : count;
        int st = read_file_part(cb, f, local, k, pixels, labels, err);
        if (st) return st;
        start += k;
        count -= k;
        if (pixels) pixels += k * AR_CIFAR_IMAGE_BYTES;
        if (labels) labels += k;
    }
    return AR_OK;
}
