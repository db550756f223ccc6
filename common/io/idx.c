/* idx.c - IDX loading through zlib's gzread (which also reads plain files). */
#define _POSIX_C_SOURCE 200809L
#include "idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/fsutil.h"

/* deflate cannot expand data by more than about 1032:1 */
#define IDX_MAX_GZIP_RATIO 1100
#define IDX_MAX_BYTES (INT64_C(1) << 36)

/* gzread in pieces (its length argument is an unsigned int); returns the
 * bytes read, or -1 on a stream error. */
static int64_t read_all(gzFile gz, uint8_t *buf, int64_t n)
{
    int64_t done = 0;
    while (done < n) {
        int64_t want = n - done;
        if (want > (1 << 30)) want = 1 << 30;
        int got = gzread(gz, buf + done, (unsigned)want);
        if (got < 0) return -1;
        if (got == 0) break;
        done += got;
    }
    return done;
}

static const char *gz_why(gzFile gz)
{
    int zerr = 0;
    const char *m = gzerror(gz, &zerr);
    return (zerr != Z_OK && m && *m) ? m : "damaged data";
}

int ar_idx_load(const char *path, ar_idx_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t fsize = ar_file_size(path);
    if (fsize < 0) return ar_err_set(err, AR_E_IO, "%s: cannot open: %s", path, strerror(errno));
    gzFile gz = gzopen(path, "rb");
    if (!gz) return ar_err_set(err, AR_E_IO, "%s: cannot open: %s", path, strerror(errno));
    int st = AR_OK;
    uint8_t hdr[4 + 4 * AR_IDX_MAXDIM];
    int64_t got = read_all(gz, hdr, 4);
    if (got < 0) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: gzip stream damaged: %s", path, gz_why(gz));
        goto done;
    }
    if (got < 4 || hdr[0] != 0 || hdr[1] != 0 || hdr[2] != 0x08 || hdr[3] < 1 || hdr[3] > AR_IDX_MAXDIM) {
        if (got == 4 && hdr[0] == 0 && hdr[1] == 0 && hdr[2] != 0x08)
            st = ar_err_set(err, AR_E_UNSUPPORTED, "%s: IDX element type 0x%02x unsupported (only unsigned byte)",
                            path, hdr[2]);
        else
            st = ar_err_set(err, AR_E_FORMAT, "%s: not an IDX file (bad magic)", path);
        goto done;
    }
    int nd = hdr[3];
    if (read_all(gz, hdr + 4, 4 * nd) != 4 * nd) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: truncated IDX header", path);
        goto done;
    }
    int64_t n = 1;
    for (int i = 0; i < nd; i++) {
        const uint8_t *b = hdr + 4 + 4 * i;
        int64_t d = (int64_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
        if (d == 0 || d > IDX_MAX_BYTES / n) {
            st = ar_err_set(err, AR_E_FORMAT, "%s: absurd IDX dimension %d = %lld", path, i, (long long)d);
            goto done;
        }
        out->dims[i] = d;
        n *= d;
    }
    /* refuse to allocate more than the file can possibly hold */
    int plain = gzdirect(gz);
    int64_t cap = plain ? fsize - 4 - 4 * nd : fsize * IDX_MAX_GZIP_RATIO;
    if (n > cap) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: header promises %lld data bytes, file holds %s%lld (truncated?)",
                        path, (long long)n, plain ? "" : "at most ", (long long)cap);
        goto done;
    }
    out->data = malloc((size_t)n);
    if (!out->data) {
        st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory for %lld bytes", path, (long long)n);
        goto done;
    }
    got = read_all(gz, out->data, n);
    if (got < 0) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: gzip stream damaged: %s", path, gz_why(gz));
    } else if (got < n) {
        st = ar_err_set(err, AR_E_FORMAT, "%s: header promises %lld data bytes, file holds %lld (truncated%s)",
                        path, (long long)n, (long long)got, plain ? "" : " gzip stream");
    }
    out->ndim = nd;
    out->nbytes = n;
done:
    gzclose(gz);
    if (st) ar_idx_free(out);
    return st;
}

void ar_idx_free(ar_idx_t *idx)
{
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

int ar_idx_write(const char *path, int ndim, const int64_t *dims, const uint8_t *data, int gzip,
                 ar_err_t *err)
{
    if (ndim < 1 || ndim > AR_IDX_MAXDIM)
        return ar_err_set(err, AR_E_ARG, "%s: cannot write a %d-dimensional IDX file", path, ndim);
    char tmp[4096];
    uint8_t hdr[4 + 4 * AR_IDX_MAXDIM] = {0, 0, 0x08, (uint8_t)ndim};
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        uint32_t d = (uint32_t)dims[i];
        hdr[4 + 4 * i] = (uint8_t)(d >> 24);
        hdr[5 + 4 * i] = (uint8_t)(d >> 16);
        hdr[6 + 4 * i] = (uint8_t)(d >> 8);
        hdr[7 + 4 * i] = (uint8_t)d;
        n *= dims[i];
    }
    FILE *f = ar_tmp_create(path, tmp, sizeof tmp, err); /* exclusive; then written through zlib */
    if (!f) return err->status;
    int fd = dup(fileno(f));
    fclose(f);
    gzFile gz = fd >= 0 ? gzdopen(fd, gzip ? "wb6" : "wbT") : NULL;
    if (!gz) {
        if (fd >= 0) close(fd);
        unlink(tmp);
        return ar_err_set(err, AR_E_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    }
    int bad = gzwrite(gz, hdr, (unsigned)(4 + 4 * ndim)) != 4 + 4 * ndim;
    for (int64_t off = 0; !bad && off < n;) {
        int64_t k = n - off > (1 << 30) ? (1 << 30) : n - off;
        bad = gzwrite(gz, data + off, (unsigned)k) != (int)k;
        off += k;
    }
    bad |= gzclose(gz) != Z_OK;
    if (bad) {
        unlink(tmp);
        return ar_err_set(err, AR_E_IO, "%s: write failed", path);
    }
    return ar_commit_file(tmp, path, err);
}
