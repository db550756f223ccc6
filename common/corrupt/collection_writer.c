/* collection_writer.c - a corruption collection written block by block,
 * each block corrupted over the process's thread pool (collection_writer.h). */
#include "corrupt/collection_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/par.h"
#include "core/str.h"
#include "io/h5.h"
#include "io/npy.h"

#define BLOCK 512               /* images per block */
#define CACHE_LIMIT (1LL << 30) /* the clean set is read once when under 1 GiB */

typedef struct {
    ar_corrupt_ctx_t *ctx; /* this thread's own context */
    ar_err_t err;
    int status;
} thread_t;

struct ar_collection_writer {
    ar_dataset_t *ds;       /* borrowed */
    ar_dataset_info_t info; /* ds's, count limited; class_names borrowed */
    size_t img_bytes;
    int names[AR_CORRUPT_COUNT], nnames;
    int sevs[AR_CORRUPT_SEVERITIES], nsev;
    uint64_t seed;
    char *source;
    ar_collection_progress_fn progress;
    void *progress_user;
    int nthreads;
    thread_t th[AR_PAR_MAX];
    /* the block being corrupted */
    int corruption, severity;
    int64_t first, count;
    const uint8_t *in;
    uint8_t *out;
};

/* ---- options ------------------------------------------------------------ */

/* n distinct values in [lo, hi], 1 <= n <= max; else AR_E_ARG naming what. */
static int check_list(const char *what, const int *v, int n, int lo, int hi, int max, ar_err_t *err)
{
    if (n < 1 || n > max || !v) return ar_err_set(err, AR_E_ARG, "%d %s (1..%d)", n, what, max);
    for (int i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > hi)
            return ar_err_set(err, AR_E_ARG, "%s: %d outside %d..%d", what, v[i], lo, hi);
        for (int j = 0; j < i; j++)
            if (v[j] == v[i]) return ar_err_set(err, AR_E_ARG, "%s: %d named twice", what, v[i]);
    }
    return 0;
}

ar_collection_writer_t *ar_collection_writer_new(ar_dataset_t *ds,
                                                 const ar_collection_writer_opts_t *o,
                                                 ar_err_t *err)
{
    if (check_list("corruptions", o->corruptions, o->ncorruptions, 0, AR_CORRUPT_COUNT - 1,
                   AR_CORRUPT_COUNT, err) ||
        check_list("severities", o->severities, o->nseverities, 1, AR_CORRUPT_SEVERITIES,
                   AR_CORRUPT_SEVERITIES, err))
        return NULL;
    if (o->threads < 1 || o->threads > AR_PAR_MAX) {
        ar_err_set(err, AR_E_ARG, "%d threads (1..%d)", o->threads, AR_PAR_MAX);
        return NULL;
    }
    ar_collection_writer_t *w = calloc(1, sizeof *w);
    if (!w || !(w->source = strdup(o->source ? o->source : ""))) {
        free(w);
        ar_err_set(err, AR_E_NOMEM, "collection writer");
        return NULL;
    }
    w->ds = ds;
    w->info = *ar_dataset_info(ds);
    if (o->count > 0 && o->count < w->info.count) w->info.count = o->count;
    w->img_bytes = (size_t)w->info.height * w->info.width * w->info.channels;
    memcpy(w->names, o->corruptions, sizeof(int) * (size_t)o->ncorruptions);
    w->nnames = o->ncorruptions;
    memcpy(w->sevs, o->severities, sizeof(int) * (size_t)o->nseverities);
    w->nsev = o->nseverities;
    w->seed = o->seed;
    w->progress = o->progress, w->progress_user = o->progress_user;
    w->nthreads = o->threads;
    for (int t = 0; t < w->nthreads; t++)
        if (!(w->th[t].ctx = ar_corrupt_ctx_new(&o->corrupt, w->info.height, w->info.width,
                                                w->info.channels, err))) {
            ar_collection_writer_destroy(&w);
            return NULL;
        }
    return w;
}

const char *ar_collection_writer_frost_source(const ar_collection_writer_t *w)
{
    return ar_corrupt_ctx_frost_source(w->th[0].ctx);
}

ar_corrupt_ctx_t *ar_collection_writer_ctx(ar_collection_writer_t *w)
{
    return w->th[0].ctx;
}

void ar_collection_writer_destroy(ar_collection_writer_t **wp)
{
    ar_collection_writer_t *w = *wp;
    if (!w) return;
    for (int t = 0; t < AR_PAR_MAX; t++) ar_corrupt_ctx_destroy(&w->th[t].ctx);
    free(w->source);
    free(w);
    *wp = NULL;
}

/* ---- one block over the threads ----------------------------------------- */

/* images first + i for i = tid, tid + T, ...: the split never changes bytes */
static void corrupt_share(void *arg, int tid, int T)
{
    ar_collection_writer_t *w = arg;
    thread_t *th = &w->th[tid];
    for (int64_t i = tid; i < w->count && th->status == 0; i += T)
        th->status = ar_corrupt_images(th->ctx, w->corruption, w->severity, w->seed, w->first + i,
                                       1, w->in + i * w->img_bytes, w->out + i * w->img_bytes,
                                       &th->err);
}

/* Corrupts images [first, first + n) of (corruption, severity) from in to out. */
static int corrupt_block(ar_collection_writer_t *w, int corruption, int severity, int64_t first,
                         int64_t n, const uint8_t *in, uint8_t *out, ar_err_t *err)
{
    w->corruption = corruption, w->severity = severity;
    w->first = first, w->count = n, w->in = in, w->out = out;
    for (int t = 0; t < w->nthreads; t++) w->th[t].status = 0;
    ar_par_run(w->nthreads, corrupt_share, w);
    for (int t = 0; t < w->nthreads; t++)
        if (w->th[t].status) {
            *err = w->th[t].err;
            return w->th[t].status;
        }
    return 0;
}

/* ---- input: the clean set, cached whole when small ----------------------- */

typedef struct {
    uint8_t *cache; /* all images when small enough, else NULL */
    uint8_t *block; /* BLOCK images when not cached */
} input_t;

static int input_open(const ar_collection_writer_t *w, input_t *in, ar_err_t *err)
{
    const int64_t N = w->info.count;
    if ((int64_t)w->img_bytes * N <= CACHE_LIMIT) {
        in->cache = malloc(w->img_bytes * (size_t)(N ? N : 1));
        if (in->cache) return ar_dataset_read_u8(w->ds, 0, N, in->cache, NULL, err);
    }
    if (!(in->block = malloc(w->img_bytes * BLOCK)))
        return ar_err_set(err, AR_E_NOMEM, "input block");
    return 0;
}

static const uint8_t *input_block(const ar_collection_writer_t *w, input_t *in, int64_t start,
                                  int64_t n, ar_err_t *err)
{
    if (in->cache) return in->cache + start * w->img_bytes;
    if (ar_dataset_read_u8(w->ds, start, n, in->block, NULL, err)) return NULL;
    return in->block;
}

/* ---- output: an HDF5 collection or a .npy directory ---------------------- */

typedef struct {
    const char *out;
    ar_h5_t *h5;          /* the HDF5 collection, or NULL for a directory */
    ar_npy_writer_t *npy; /* the directory's corruption being written */
    char dset[300];       /* the HDF5 corruption's dataset */
} sink_t;

/* The severities a layout holds: 1..S in order for HDF5, 1-5 for a directory. */
static int check_severities(const ar_collection_writer_t *w, const char *out, int is_h5,
                            ar_err_t *err)
{
    int in_order = 1;
    for (int i = 0; i < w->nsev; i++) in_order &= w->sevs[i] == i + 1;
    if (!is_h5 && (!in_order || w->nsev != 5))
        return ar_err_set(err, AR_E_ARG, "%s: a .npy directory holds severities 1-5 in order (use OUT.h5 for a subset)", out);
    if (!in_order)
        return ar_err_set(err, AR_E_ARG,
                          "%s: an HDF5 collection holds severities 1..S in order (images[s-1] is severity s); use e.g. --severities 1-3",
                          out);
    return 0;
}

static int h5_begin(const ar_collection_writer_t *w, sink_t *sk, const int32_t *labels,
                    ar_err_t *err)
{
    if (!(sk->h5 = ar_h5_create(sk->out, err))) return err->status;
    const ar_dataset_info_t *info = &w->info;
    int64_t ld[1] = {info->count};
    const char *cn[AR_CORRUPT_COUNT];
    for (int i = 0; i < w->nnames; i++) cn[i] = ar_corrupt_name(w->names[i]);
    int64_t seed = (int64_t)w->seed;
    int32_t shape[3] = {info->height, info->width, info->channels};
    ar_h5_t *h5 = sk->h5;
    int st;
    if ((st = ar_h5_write(h5, "/labels", AR_DT_I32, 1, ld, labels, 0, err)) ||
        (st = ar_h5_attr_write_str(h5, "/", "format", "archrepair-corruptions", err)) ||
        (st = ar_h5_attr_write_str(h5, "/", "source", w->source, err)) ||
        (st = ar_h5_attr_write_str(h5, "/", "frost_source", ar_collection_writer_frost_source(w),
                                   err)) ||
        (st = ar_h5_attr_write_str(h5, "/", "parameters",
                                   ar_corrupt_table_name(ar_corrupt_ctx_table(w->th[0].ctx)), err)) ||
        (st = ar_h5_attr_write(h5, "/", "seed", AR_DT_I64, 1, &seed, 1, err)) ||
        (st = ar_h5_attr_write(h5, "/", "severities", AR_DT_I32, w->nsev, w->sevs, 0, err)) ||
        (st = ar_h5_attr_write(h5, "/", "image_shape", AR_DT_I32, 3, shape, 0, err)) ||
        (st = ar_h5_attr_write_strs(h5, "/", "corruptions", cn, w->nnames, err)))
        return st;
    if (info->class_names)
        return ar_h5_attr_write_strs(h5, "/", "classes", (const char *const *)info->class_names,
                                     info->num_classes, err);
    return 0;
}

/* labels.npy holds the labels once per severity: [5N], uint8 unless wide. */
static int dir_begin(const ar_collection_writer_t *w, sink_t *sk, const int32_t *labels,
                     ar_err_t *err)
{
    if (mkdir(sk->out, 0755) != 0 && errno != EEXIST)
        return ar_err_set(err, AR_E_IO, "%s: cannot create directory: %s", sk->out, strerror(errno));
    if (!ar_is_dir(sk->out)) return ar_err_set(err, AR_E_IO, "%s: exists and is not a directory", sk->out);
    const size_t N = (size_t)w->info.count, ln = 5 * N;
    const int wide = w->info.num_classes > 256;
    void *lab5 = malloc(ln * (wide ? 8 : 1));
    if (!lab5) return ar_err_set(err, AR_E_NOMEM, "labels");
    for (size_t i = 0; i < ln; i++) {
        if (wide) ((int64_t *)lab5)[i] = labels[i % N];
        else ((uint8_t *)lab5)[i] = (uint8_t)labels[i % N];
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/labels.npy", sk->out);
    int64_t lshape[1] = {(int64_t)ln};
    int st = ar_npy_write(path, wide ? AR_NPY_I64 : AR_NPY_U8, 1, lshape, lab5, err);
    free(lab5);
    return st;
}

/* Starts the images of one corruption. */
static int sink_open(const ar_collection_writer_t *w, sink_t *sk, int corruption, ar_err_t *err)
{
    const ar_dataset_info_t *in = &w->info;
    const char *cname = ar_corrupt_name(corruption);
    if (sk->h5) {
        snprintf(sk->dset, sizeof sk->dset, "/%s/images", cname);
        int64_t dims[5] = {w->nsev, in->count, in->height, in->width, in->channels};
        return ar_h5_create_dataset(sk->h5, sk->dset, AR_DT_U8, 5, dims, 0, err);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", sk->out, cname);
    int64_t shape[4] = {5 * in->count, in->height, in->width, in->channels};
    return (sk->npy = ar_npy_writer_new(path, AR_NPY_U8, 4, shape, err)) ? 0 : err->status;
}

/* Writes images [first, first + n) of the si-th severity (severity-major). */
static int sink_write(const ar_collection_writer_t *w, sink_t *sk, int si, int64_t first,
                      int64_t n, const uint8_t *images, ar_err_t *err)
{
    const ar_dataset_info_t *in = &w->info;
    if (!sk->h5) return ar_npy_writer_append(sk->npy, images, n, err);
    int64_t start[5] = {si, first, 0, 0, 0}, cnt[5] = {1, n, in->height, in->width, in->channels};
    return ar_h5_write_slab(sk->h5, sk->dset, AR_DT_U8, start, cnt, images, err);
}

/* Ends one corruption: a .npy file is renamed into place when st is 0. */
static int sink_close(sink_t *sk, int st, ar_err_t *err)
{
    if (!sk->npy) return st;
    if (st) {
        ar_npy_writer_abort(&sk->npy);
        return st;
    }
    return ar_npy_writer_commit(&sk->npy, err);
}

/* ---- the whole collection ----------------------------------------------- */

static int write_images(ar_collection_writer_t *w, sink_t *sk, input_t *in, uint8_t *outbuf,
                        ar_err_t *err)
{
    const int64_t N = w->info.count, total = (int64_t)w->nnames * w->nsev * N;
    int64_t done = 0;
    int st = 0;
    for (int k = 0; k < w->nnames && !st; k++) {
        if ((st = sink_open(w, sk, w->names[k], err))) break;
        for (int si = 0; si < w->nsev && !st; si++)
            for (int64_t b = 0; b < N && !st; b += BLOCK) {
                const int64_t n = N - b < BLOCK ? N - b : BLOCK;
                const uint8_t *src = input_block(w, in, b, n, err);
                if (!src) {
                    st = err->status;
                    break;
                }
                if ((st = corrupt_block(w, w->names[k], w->sevs[si], b, n, src, outbuf, err)) ||
                    (st = sink_write(w, sk, si, b, n, outbuf, err)))
                    break;
                done += n;
                if (w->progress)
                    w->progress(w->progress_user, w->names[k], w->sevs[si], done, total);
            }
        st = sink_close(sk, st, err);
    }
    return st;
}

int ar_collection_writer_write(ar_collection_writer_t *w, const char *out, ar_err_t *err)
{
    const int64_t N = w->info.count;
    const int is_h5 = ar_str_ends_with(out, ".h5") || ar_str_ends_with(out, ".hdf5");
    int st = check_severities(w, out, is_h5, err);
    if (st) return st;
    sink_t sk = {.out = out};
    input_t in = {0};
    uint8_t *outbuf = malloc((size_t)BLOCK * w->img_bytes);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(N ? N : 1));
    if (!outbuf || !labels) {
        st = ar_err_set(err, AR_E_NOMEM, "%lld labels", (long long)N);
        goto done;
    }
    if ((st = ar_dataset_read_u8(w->ds, 0, N, NULL, labels, err)) ||
        (st = input_open(w, &in, err)))
        goto done;
    st = is_h5 ? h5_begin(w, &sk, labels, err) : dir_begin(w, &sk, labels, err);
    if (!st) st = write_images(w, &sk, &in, outbuf, err);
    if (!st && sk.h5) st = ar_h5_commit(&sk.h5, err);
done:
    ar_npy_writer_abort(&sk.npy);
    ar_h5_destroy(&sk.h5);
    free(in.cache), free(in.block);
    free(outbuf), free(labels);
    return st;
}
