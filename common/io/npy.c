/* npy.c - .npy header parsing, row reads with seek + fread, atomic writing. */
#define _POSIX_C_SOURCE 200809L
#include "npy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"

/* Largest dimension and element count accepted: anything bigger is a damaged
 * or hostile header, not a dataset. */
#define NPY_MAX_DIM_SIZE (INT64_C(1) << 40)
#define NPY_MAX_HEADER (1 << 20)

static const struct {
    const char *descr;
    size_t size;
    int is_int;
} dtype_table[] = {
    [AR_NPY_U8] = {"|u1", 1, 1},  [AR_NPY_I32] = {"<i4", 4, 1}, [AR_NPY_I64] = {"<i8", 8, 1},
    [AR_NPY_F32] = {"<f4", 4, 0}, [AR_NPY_F64] = {"<f8", 8, 0}, [AR_NPY_I8] = {"|i1", 1, 1},
    [AR_NPY_I16] = {"<i2", 2, 1}, [AR_NPY_U16] = {"<u2", 2, 1}, [AR_NPY_U32] = {"<u4", 4, 1},
    [AR_NPY_U64] = {"<u8", 8, 1},
};
_Static_assert(sizeof dtype_table / sizeof dtype_table[0] == AR_NPY_DTYPE_COUNT,
               "dtype table out of step with ar_npy_dtype_t");

size_t ar_npy_dtype_size(ar_npy_dtype_t t) { return dtype_table[t].size; }
const char *ar_npy_dtype_descr(ar_npy_dtype_t t) { return dtype_table[t].descr; }
int ar_npy_dtype_is_int(ar_npy_dtype_t t) { return dtype_table[t].is_int; }

/* ---- header parsing ------------------------------------------------------ */

typedef struct {
    const char *p, *end;
} cursor_t;

static void skip_ws(cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(cursor_t *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string ('x' or "x") without escapes, into buf. */
static int parse_str(cursor_t *c, char *buf, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return -1;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    buf[n] = '\0';
    return 0;
}

static int parse_bool(cursor_t *c, int *v)
{
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *v = 1;
        return 0;
    }
    if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *v = 0;
        return 0;
    }
    return -1;
}

/* (d0, d1, ...) with an optional trailing comma; () is a scalar. */
static int parse_shape(cursor_t *c, int *ndim, int64_t *shape, const char **why)
{
    if (!eat(c, '(')) return *why = "shape is not a tuple", -1;
    int n = 0;
    for (;;) {
        if (eat(c, ')')) break;
        skip_ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return *why = "shape entry is not a non-negative integer", -1;
        int64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            v = v * 10 + (*c->p++ - '0');
            if (v > NPY_MAX_DIM_SIZE) return *why = "shape entry absurdly large", -1;
        }
        skip_ws(c);
        if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 longs */
        if (n == AR_NPY_MAXDIM) return *why = "too many dimensions", -1;
        shape[n++] = v;
        if (eat(c, ',')) continue;
        if (eat(c, ')')) break;
        return *why = "malformed shape tuple", -1;
    }
    *ndim = n;
    return 0;
}

static int parse_descr(const char *d, ar_npy_dtype_t *t, int *big)
{
    char order = d[0], kind;
    const char *rest = d;
    if (order == '<' || order == '>' || order == '|' || order == '=') rest = d + 1;
    else order = '=';
    kind = rest[0];
    if (!kind || rest[1] < '1' || rest[1] > '8' || rest[2]) return -1;
    int size = rest[1] - '0';
    *big = order == '>' && size > 1;
    static const struct {
        char kind;
        int size;
        ar_npy_dtype_t t;
    } map[] = {{'u', 1, AR_NPY_U8}, {'i', 1, AR_NPY_I8},  {'i', 2, AR_NPY_I16}, {'u', 2, AR_NPY_U16},
               {'i', 4, AR_NPY_I32}, {'u', 4, AR_NPY_U32}, {'i', 8, AR_NPY_I64}, {'u', 8, AR_NPY_U64},
               {'f', 4, AR_NPY_F32}, {'f', 8, AR_NPY_F64}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].kind == kind && map[i].size == size) {
            *t = map[i].t;
            return 0;
        }
    return -1;
}

/* Parses the header dict into npy; on failure sets err naming path. */
static int parse_header(ar_npy_t *npy, const char *h, size_t len, ar_err_t *err)
{
    cursor_t c = {h, h + len};
    const char *why = NULL;
    int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
    char descr[32] = "";
    if (!eat(&c, '{')) {
        why = "header is not a dict";
        goto bad;
    }
    for (;;) {
        if (eat(&c, '}')) break;
        char key[32];
        if (parse_str(&c, key, sizeof key) != 0 || !eat(&c, ':')) {
            why = "malformed header dict";
            goto bad;
        }
        if (strcmp(key, "descr") == 0) {
            if (parse_str(&c, descr, sizeof descr) != 0) {
                why = "'descr' is not a simple type string (structured dtypes are unsupported)";
                goto bad;
            }
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_bool(&c, &fortran) != 0) {
                why = "'fortran_order' is not True/False";
                goto bad;
            }
            have_fortran = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (parse_shape(&c, &npy->ndim, npy->shape, &why) != 0) goto bad;
            have_shape = 1;
        } else {
            return ar_err_set(err, AR_E_FORMAT, "%s: unexpected header key '%s'", npy->path, key);
        }
        if (eat(&c, ',')) continue;
        if (eat(&c, '}')) break;
        why = "malformed header dict";
        goto bad;
    }
    if (!have_descr || !have_fortran || !have_shape) {
        why = !have_descr ? "header lacks 'descr'" : !have_fortran ? "header lacks 'fortran_order'"
                                                                   : "header lacks 'shape'";
        goto bad;
    }
    if (fortran)
        return ar_err_set(err, AR_E_FORMAT, "%s: fortran_order=True arrays are not supported", npy->path);
    if (parse_descr(descr, &npy->dtype, &npy->big_endian) != 0)
        return ar_err_set(err, AR_E_FORMAT, "%s: unsupported dtype '%s'", npy->path, descr);
    return AR_OK;
bad:
    return ar_err_set(err, AR_E_FORMAT, "%s: bad .npy header: %s", npy->path, why);
}

static int le16(const unsigned char *b) { return b[0] | b[1] << 8; }
static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

ar_npy_t *ar_npy_open(const char *path, ar_err_t *err)
{
    ar_npy_t *npy = calloc(1, sizeof *npy);
    char *hdr = NULL;
    if (!npy || !(npy->path = strdup(path))) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    npy->f = fopen(path, "rb");
    if (!npy->f) {
        ar_err_set(err, AR_E_IO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, npy->f);
    if (got < 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        ar_err_set(err, AR_E_FORMAT, "%s: not a .npy file (bad magic)", path);
        goto fail;
    }
    npy->version = pre[6];
    size_t pre_len;
    uint32_t hlen;
    if (npy->version == 1) {
        if (got < 10) goto truncated;
        hlen = (uint32_t)le16(pre + 8);
        pre_len = 10;
    } else if (npy->version == 2 || npy->version == 3) {
        if (got < 10 || fread(pre + 10, 1, 2, npy->f) != 2) goto truncated;
        hlen = le32(pre + 8);
        pre_len = 12;
    } else {
        ar_err_set(err, AR_E_FORMAT, "%s: unsupported .npy version %d.%d", path, pre[6], pre[7]);
        goto fail;
    }
    if (hlen > NPY_MAX_HEADER) {
        ar_err_set(err, AR_E_FORMAT, "%s: .npy header length %u is absurd", path, (unsigned)hlen);
        goto fail;
    }
    hdr = malloc(hlen + 1);
    if (!hdr) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (fread(hdr, 1, hlen, npy->f) != hlen) goto truncated;
    hdr[hlen] = '\0';
    if (parse_header(npy, hdr, hlen, err) != AR_OK) goto fail;
    free(hdr);
    hdr = NULL;
    npy->data_offset = (int64_t)(pre_len + hlen);

    int64_t elem = (int64_t)ar_npy_dtype_size(npy->dtype), row = elem;
    for (int i = 1; i < npy->ndim; i++) {
        if (npy->shape[i] != 0 && row > NPY_MAX_DIM_SIZE / npy->shape[i]) goto absurd;
        row *= npy->shape[i];
    }
    npy->row_bytes = row;
    int64_t rows = npy->ndim ? npy->shape[0] : 1;
    if (row != 0 && rows > NPY_MAX_DIM_SIZE / row) goto absurd;
    int64_t need = npy->data_offset + rows * row;
    int64_t have = ar_file_size(path);
    if (have < need) {
        ar_err_set(err, AR_E_FORMAT, "%s: header promises %lld data bytes, file holds %lld (truncated?)",
                   path, (long long)(rows * row), (long long)(have - npy->data_offset));
        goto fail;
    }
    return npy;
absurd:
    ar_err_set(err, AR_E_FORMAT, "%s: .npy shape is absurdly large", path);
    goto fail;
truncated:
    ar_err_set(err, AR_E_FORMAT, "%s: truncated .npy header", path);
fail:
    free(hdr);
    ar_npy_close(&npy);
    return NULL;
}

void ar_npy_close(ar_npy_t **npy)
{
    if (!npy || !*npy) return;
    if ((*npy)->f) fclose((*npy)->f);
    free((*npy)->path);
    free(*npy);
    *npy = NULL;
}

int ar_npy_read_rows(ar_npy_t *npy, int64_t row0, int64_t nrows, void *buf, ar_err_t *err)
{
    int64_t rows = npy->ndim ? npy->shape[0] : 1;
    if (row0 < 0 || nrows < 0 || row0 > rows - nrows)
        return ar_err_set(err, AR_E_ARG, "%s: rows %lld..%lld outside the array's %lld rows", npy->path,
                          (long long)row0, (long long)(row0 + nrows), (long long)rows);
    if (nrows == 0) return AR_OK;
    size_t n = (size_t)(nrows * npy->row_bytes);
    if (fseeko(npy->f, (off_t)(npy->data_offset + row0 * npy->row_bytes), SEEK_SET) != 0 ||
        fread(buf, 1, n, npy->f) != n)
        return ar_err_set(err, AR_E_IO, "%s: short read of rows %lld..%lld (file changed or damaged?)",
                          npy->path, (long long)row0, (long long)(row0 + nrows));
    return AR_OK;
}

static int64_t load_int(const unsigned char *p, ar_npy_dtype_t t, int big)
{
    size_t sz = ar_npy_dtype_size(t);
    uint64_t u = 0;
    for (size_t i = 0; i < sz; i++) {
        size_t k = big ? i : sz - 1 - i;
        u = u << 8 | p[k];
    }
    switch (t) {
    case AR_NPY_I8: return (int8_t)u;
    case AR_NPY_I16: return (int16_t)u;
    case AR_NPY_I32: return (int32_t)u;
    case AR_NPY_U64: return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    default: return (int64_t)u;
    }
}

int ar_npy_read_ints(ar_npy_t *npy, int64_t row0, int64_t nrows, int64_t *out, ar_err_t *err)
{
    if (!ar_npy_dtype_is_int(npy->dtype))
        return ar_err_set(err, AR_E_FORMAT, "%s: expected an integer array, dtype is '%s'", npy->path,
                          ar_npy_dtype_descr(npy->dtype));
    size_t sz = ar_npy_dtype_size(npy->dtype);
    int64_t per_row = npy->row_bytes / (int64_t)sz, total = nrows * per_row;
    unsigned char *raw = malloc(total ? (size_t)(nrows * npy->row_bytes) : 1);
    if (!raw) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", npy->path);
    int st = ar_npy_read_rows(npy, row0, nrows, raw, err);
    for (int64_t i = 0; st == AR_OK && i < total; i++)
        out[i] = load_int(raw + (size_t)i * sz, npy->dtype, npy->big_endian);
    free(raw);
    return st;
}

/* ---- writing ------------------------------------------------------------- */

struct ar_npy_writer {
    FILE *f;
    char *path, *tmp;
    int64_t rows_total, rows_done, row_bytes;
};

/* Builds the header (magic .. padding '\n') for the array in the given
 * version (0 = the smallest that fits); returns its length, or 0 when it does
 * not fit cap or the version. */
static size_t make_header(char *out, size_t cap, ar_npy_dtype_t dtype, int ndim, const int64_t *shape, int version)
{
    char dict[1024];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     ar_npy_dtype_descr(dtype));
    for (int i = 0; i < ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld%s", (long long)shape[i],
                      ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t dlen = (size_t)n;
    if (version == 0) version = dlen + 1 + 64 > 65535 ? 2 : 1;
    size_t pre = version == 1 ? 10 : 12;
    size_t total = (pre + dlen + 1 + 63) / 64 * 64;
    if (total > cap || (version == 1 && total - pre > 65535)) return 0;
    size_t hlen = total - pre;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (char)version;
    out[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) out[8 + i] = (char)((hlen >> (8 * i)) & 0xff);
    memcpy(out + pre, dict, dlen);
    memset(out + pre + dlen, ' ', hlen - dlen - 1);
    out[total - 1] = '\n';
    return total;
}

ar_npy_writer_t *ar_npy_writer_new(const char *path, ar_npy_dtype_t dtype, int ndim,
                                   const int64_t *shape, ar_err_t *err)
{
    return ar_npy_writer_new_version(path, dtype, ndim, shape, 0, err);
}

ar_npy_writer_t *ar_npy_writer_new_version(const char *path, ar_npy_dtype_t dtype, int ndim,
                                           const int64_t *shape, int version, ar_err_t *err)
{
    if (ndim < 1 || ndim > AR_NPY_MAXDIM || version < 0 || version > 3) {
        ar_err_set(err, AR_E_ARG, "%s: cannot write a %d-dimensional .npy array with header version %d", path, ndim,
                   version);
        return NULL;
    }
    ar_npy_writer_t *w = calloc(1, sizeof *w);
    char tmp[4096], hdr[2048];
    if (!w || !(w->path = strdup(path))) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (!(w->f = ar_tmp_create(path, tmp, sizeof tmp, err))) goto fail;
    if (!(w->tmp = strdup(tmp))) {
        unlink(tmp);
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    w->rows_total = shape[0];
    w->row_bytes = (int64_t)ar_npy_dtype_size(dtype);
    for (int i = 1; i < ndim; i++) w->row_bytes *= shape[i];
    size_t hl = make_header(hdr, sizeof hdr, dtype, ndim, shape, version);
    if (hl == 0 || fwrite(hdr, 1, hl, w->f) != hl) {
        ar_err_set(err, AR_E_IO, "%s: cannot write temporary file %s: %s", path, tmp, strerror(errno));
        goto fail;
    }
    return w;
fail:
    ar_npy_writer_abort(&w);
    return NULL;
}

int ar_npy_writer_append(ar_npy_writer_t *w, const void *rows, int64_t nrows, ar_err_t *err)
{
    if (nrows < 0 || w->rows_done + nrows > w->rows_total)
        return ar_err_set(err, AR_E_ARG, "%s: appending %lld rows exceeds the declared %lld", w->path,
                          (long long)nrows, (long long)w->rows_total);
    size_t n = (size_t)(nrows * w->row_bytes);
    if (n && fwrite(rows, 1, n, w->f) != n)
        return ar_err_set(err, AR_E_IO, "%s: write failed: %s", w->path, strerror(errno));
    w->rows_done += nrows;
    return AR_OK;
}

int ar_npy_writer_commit(ar_npy_writer_t **wp, ar_err_t *err)
{
    ar_npy_writer_t *w = *wp;
    int st;
    if (w->rows_done != w->rows_total) {
        st = ar_err_set(err, AR_E_ARG, "%s: only %lld of %lld rows written", w->path,
                        (long long)w->rows_done, (long long)w->rows_total);
        ar_npy_writer_abort(wp);
        return st;
    }
    int bad = fclose(w->f) != 0;
    w->f = NULL;
    if (bad) {
        st = ar_err_set(err, AR_E_IO, "%s: write failed on close", w->path);
        ar_npy_writer_abort(wp);
        return st;
    }
    st = ar_commit_file(w->tmp, w->path, err);
    free(w->tmp);
    free(w->path);
    free(w);
    *wp = NULL;
    return st;
}

void ar_npy_writer_abort(ar_npy_writer_t **wp)
{
    if (!wp || !*wp) return;
    ar_npy_writer_t *w = *wp;
    if (w->f) fclose(w->f);
    if (w->tmp) unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w);
    *wp = NULL;
}

int ar_npy_write(const char *path, ar_npy_dtype_t dtype, int ndim, const int64_t *shape,
                 const void *data, ar_err_t *err)
{
    ar_npy_writer_t *w = ar_npy_writer_new(path, dtype, ndim, shape, err);
    if (!w) return err ? err->status : AR_E_IO;
    int st = ar_npy_writer_append(w, data, shape[0], err);
    if (st) {
        ar_npy_writer_abort(&w);
        return st;
    }
    return ar_npy_writer_commit(&w, err);
}
