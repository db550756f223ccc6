/* cmd_corrupt.c - `archrepair corrupt IN OUT`: make corruption sets.
 *
 * Reads any dataset ar_dataset_open understands and writes, for every chosen
 * corruption and severity, the corrupted images: OUT ending in .h5 becomes an
 * HDF5 collection (/labels [N], /<corruption>/images uint8 [S, N, H, W, C],
 * root attributes recording format, seed, severities, corruptions, frost
 * source and input), anything else a CIFAR-10-C style directory
 * (<corruption>.npy uint8 [5N, H, W, C], severity-major, + labels.npy [5N]).
 * Output is streamed block by block (never the whole set in memory) and
 * every file appears under its final name only when complete.
 *
 * Threads: each block of images is split between --threads threads of the
 * process's pool (core/par.h), each with its own corruption context; image i
 * is always corrupted with the stream of (seed, corruption, severity, i), so
 * the bytes do not depend on the thread count.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "corrupt_sheet.h"
#include "core/fsutil.h"
#include "core/par.h"
#include "core/str.h"
#include "corrupt/corrupt.h"
#include "data/dataset.h"
#include "io/h5.h"
#include "io/npy.h"

#define BLOCK 512          /* images per block */
#define CACHE_LIMIT (1LL << 30) /* the clean set is read once when under 1 GiB */

static const char NAME[] = "corrupt";

static void usage(void)
{
    printf("Usage: archrepair corrupt IN OUT [options]\n\n"
           "Corrupts every image of the dataset IN with the CIFAR-10-C corruptions\n"
           "(15 benchmark + 4 extras) at severities 1..5.\n\n"
           "  IN   any dataset archrepair reads (IDX, CIFAR-10 bin, HDF5, ...)\n"
           "  OUT  *.h5: HDF5 collection /labels + /<corruption>/images [S,N,H,W,C];\n"
           "       otherwise a CIFAR-10-C directory <corruption>.npy [5N,H,W,C] + labels.npy;\n"
           "       '-' writes no data (with --preview)\n\n"
           "Options:\n"
           "  --split S          train or test, for directories holding both (default test)\n"
           "  --names LIST       comma-separated corruption names, 'all' (default: 19)\n"
           "                     or 'benchmark' (the 15 of CIFAR-10-C)\n"
           "  --severities SPEC  1-5 (default) or 1-S for .h5 (images[s-1] = severity s);\n"
           "                     .npy directories need 1-5\n"
           "  --seed N           random seed (default 1); image i of corruption c at\n"
           "                     severity s always uses the stream of (N, c, s, i)\n"
           "  --frost-dir DIR    frost texture photos (.png/.jpg); default: procedural\n"
           "  --limit N          only the first N images\n"
           "  --preview PNG      contact sheet: a row per corruption (named), columns\n"
           "                     clean, s1..s5 for each of the first images\n"
           "  --preview-images K images per row of the sheet (default 3)\n"
           "  --threads N        worker threads (default 1; output identical for any N)\n"
           "  --quiet            no progress output\n");
}

typedef struct {
    const char *in, *out, *split, *names, *sev, *frost_dir, *preview;
    uint64_t seed;
    int64_t limit;
    int threads, preview_k, quiet;
} opts_t;

/* ---- argument parsing -------------------------------------------------- */

static int parse_int64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *v = x;
    return 0;
}

static int parse_names(const char *spec, int *list, int *n, ar_err_t *err)
{
    *n = 0;
    if (!spec || !strcmp(spec, "all")) {
        for (int i = 0; i < AR_CORRUPT_COUNT; i++) list[(*n)++] = i;
        return 0;
    }
    if (!strcmp(spec, "benchmark")) {
        for (int i = 0; i < AR_CORRUPT_BENCHMARK_COUNT; i++) list[(*n)++] = i;
        return 0;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k = ar_corrupt_find(t);
        if (k < 0) return ar_err_set(err, AR_E_ARG, "unknown corruption '%s'", t);
        for (int j = 0; j < *n; j++)
            if (list[j] == k) return ar_err_set(err, AR_E_ARG, "corruption '%s' named twice", t);
        list[(*n)++] = k;
    }
    if (*n == 0) return ar_err_set(err, AR_E_ARG, "no corruption named");
    return 0;
}

static int parse_severities(const char *spec, int *list, int *n, ar_err_t *err)
{
    *n = 0;
    int seen[6] = {0};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec ? spec : "1-5");
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int a, b;
        char extra;
        if (sscanf(t, "%d-%d%c", &a, &b, &extra) == 2) {
        } else if (sscanf(t, "%d%c", &a, &extra) == 1) {
            b = a;
        } else {
            return ar_err_set(err, AR_E_ARG, "bad severities '%s' (e.g. 1-5, 3, 1,3,5)", spec);
        }
        if (a < 1 || b > 5 || a > b)
            return ar_err_set(err, AR_E_ARG, "severities '%s' outside 1..5", spec);
        for (int s = a; s <= b; s++) {
            if (seen[s]) return ar_err_set(err, AR_E_ARG, "severity %d named twice", s);
            seen[s] = 1;
            list[(*n)++] = s;
        }
    }
    return 0;
}

/* ---- the worker threads ------------------------------------------------ */

typedef struct {
    ar_corrupt_ctx_t *ctx;  /* this thread's own context */
    ar_err_t err;
    int status;
} worker_t;

typedef struct {
    int nthreads;
    worker_t w[AR_PAR_MAX];
    /* the current block */
    int corruption, severity;
    uint64_t seed;
    int64_t first, count;
    size_t img_bytes;
    const uint8_t *in;
    uint8_t *out;
} pool_t;

/* images first + i for i = tid, tid + T, ...: the split never changes bytes */
static void run_share(void *arg, int tid, int T)
{
    pool_t *p = arg;
    worker_t *w = &p->w[tid];
    for (int64_t i = tid; i < p->count && w->status == 0; i += T)
        w->status = ar_corrupt_images(w->ctx, p->corruption, p->severity, p->seed, p->first + i, 1,
                                      p->in + i * p->img_bytes, p->out + i * p->img_bytes, &w->err);
}

/* Corrupts the block described in p over the process's thread pool. */
static int pool_run(pool_t *p, ar_err_t *err)
{
    ar_par_run(p->nthreads, run_share, p);
    for (int t = 0; t < p->nthreads; t++)
        if (p->w[t].status) {
            *err = p->w[t].err;
            return p->w[t].status;
        }
    return 0;
}

static int pool_start(pool_t *p, int nthreads, const ar_corrupt_opts_t *co, int h, int w, int c,
                      ar_err_t *err)
{
    memset(p, 0, sizeof *p);
    p->nthreads = nthreads;
    for (int t = 0; t < nthreads; t++)
        if (!(p->w[t].ctx = ar_corrupt_ctx_new(co, h, w, c, err))) return err->status;
    return 0;
}

static void pool_stop(pool_t *p)
{
    for (int t = 0; t < AR_PAR_MAX; t++) ar_corrupt_ctx_destroy(&p->w[t].ctx);
}

/* ---- input ------------------------------------------------------------- */

typedef struct {
    ar_dataset_t *ds;
    uint8_t *cache; /* all images when small enough, else NULL */
    uint8_t *block; /* BLOCK images when not cached */
    size_t img_bytes;
} input_t;

static const uint8_t *input_block(input_t *in, int64_t start, int64_t n, ar_err_t *err)
{
    if (in->cache) return in->cache + start * in->img_bytes;
    if (ar_dataset_read_u8(in->ds, start, n, in->block, NULL, err)) return NULL;
    return in->block;
}

/* ---- progress ---------------------------------------------------------- */

typedef struct {
    int tty, quiet, last_pct;
    int64_t total, done;
    double t0;
} progress_t;

static void progress(progress_t *pr, const char *what, int sev)
{
    if (pr->quiet) return;
    int pct = (int)(100 * pr->done / (pr->total ? pr->total : 1));
    double el = ar_now() - pr->t0;
    double eta = pr->done ? el * (double)(pr->total - pr->done) / (double)pr->done : 0;
    if (pr->tty) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = 0;
        fprintf(stderr, "\r[%s] %3d%% %-18s s%d  %.0fs elapsed, %.0fs left ", bar, pct, what, sev,
                el, eta);
        if (pr->done == pr->total) fputc('\n', stderr);
    } else if (pct / 10 != pr->last_pct / 10 || pr->done == pr->total) {
        fprintf(stderr, "archrepair corrupt: %d%% (%s s%d, %.0fs elapsed)\n", pct, what, sev, el);
    }
    pr->last_pct = pct;
}

/* ---- preview sheet ----------------------------------------------------- */

static int write_preview(const opts_t *o, input_t *in, const ar_dataset_info_t *info,
                         const int *names, int nnames, ar_corrupt_ctx_t *ctx, ar_err_t *err)
{
    int k = o->preview_k;
    if (k > info->count) k = (int)info->count;
    const uint8_t *clean = input_block(in, 0, k, err);
    if (!clean) return err->status;
    return ar_corrupt_sheet_write(o->preview, clean, k, info->height, info->width,
                                  info->channels, names, nnames, o->seed, ctx, err);
}

/* ---- outputs ----------------------------------------------------------- */

static int generate(const opts_t *o, input_t *in, const ar_dataset_info_t *info,
                    const int *names, int nnames, const int *sevs, int nsev, pool_t *pool,
                    const char *frost_source, ar_err_t *err)
{
    int64_t N = info->count;
    int h = info->height, w = info->width, c = info->channels;
    int is_h5 = ar_str_ends_with(o->out, ".h5") || ar_str_ends_with(o->out, ".hdf5");
    int st = 0;
    uint8_t *outbuf = malloc((size_t)BLOCK * in->img_bytes);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(N ? N : 1));
    ar_h5_t *h5 = NULL;
    ar_npy_writer_t *npw = NULL;
    if (!outbuf || !labels) {
        st = ar_err_set(err, AR_E_NOMEM, "%lld labels", (long long)N);
        goto done;
    }
    if ((st = ar_dataset_read_u8(in->ds, 0, N, NULL, labels, err))) goto done;

    if (is_h5) {
        for (int i = 0; i < nsev; i++)
            if (sevs[i] != i + 1) {
                st = ar_err_set(err, AR_E_ARG,
                                "%s: an HDF5 collection holds severities 1..S in order (images[s-1] is severity s); use e.g. --severities 1-3",
                                o->out);
                goto done;
            }
        if (!(h5 = ar_h5_create(o->out, err))) {
            st = err->status;
            goto done;
        }
        int64_t ld[1] = {N};
        const char *cn[AR_CORRUPT_COUNT];
        for (int i = 0; i < nnames; i++) cn[i] = ar_corrupt_name(names[i]);
        int64_t seed = (int64_t)o->seed;
        int32_t shape[3] = {h, w, c};
        if ((st = ar_h5_write(h5, "/labels", AR_DT_I32, 1, ld, labels, 0, err)) ||
            (st = ar_h5_attr_write_str(h5, "/", "format", "archrepair-corruptions", err)) ||
            (st = ar_h5_attr_write_str(h5, "/", "source", o->in, err)) ||
            (st = ar_h5_attr_write_str(h5, "/", "frost_source", frost_source, err)) ||
            (st = ar_h5_attr_write(h5, "/", "seed", AR_DT_I64, 1, &seed, 1, err)) ||
            (st = ar_h5_attr_write(h5, "/", "severities", AR_DT_I32, nsev, sevs, 0, err)) ||
            (st = ar_h5_attr_write(h5, "/", "image_shape", AR_DT_I32, 3, shape, 0, err)) ||
            (st = ar_h5_attr_write_strs(h5, "/", "corruptions", cn, nnames, err)))
            goto done;
        if (info->class_names &&
            (st = ar_h5_attr_write_strs(h5, "/", "classes", (const char *const *)info->class_names,
                                        info->num_classes, err)))
            goto done;
    } else if (strcmp(o->out, "-") != 0) {
        if (nsev != 5 || sevs[0] != 1 || sevs[4] != 5) {
            st = ar_err_set(err, AR_E_ARG, "%s: a .npy directory holds severities 1-5 in order (use OUT.h5 for a subset)", o->out);
            goto done;
        }
        if (mkdir(o->out, 0755) != 0 && errno != EEXIST) {
            st = ar_err_set(err, AR_E_IO, "%s: cannot create directory: %s", o->out, strerror(errno));
            goto done;
        }
        if (!ar_is_dir(o->out)) {
            st = ar_err_set(err, AR_E_IO, "%s: exists and is not a directory", o->out);
            goto done;
        }
        int wide = info->num_classes > 256;
        size_t ln = (size_t)(5 * N);
        void *lab5 = malloc(ln * (wide ? 8 : 1));
        if (!lab5) {
            st = ar_err_set(err, AR_E_NOMEM, "labels");
            goto done;
        }
        for (size_t i = 0; i < ln; i++) {
            if (wide) ((int64_t *)lab5)[i] = labels[i % (size_t)N];
            else ((uint8_t *)lab5)[i] = (uint8_t)labels[i % (size_t)N];
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/labels.npy", o->out);
        int64_t lshape[1] = {(int64_t)ln};
        st = ar_npy_write(path, wide ? AR_NPY_I64 : AR_NPY_U8, 1, lshape, lab5, err);
        free(lab5);
        if (st) goto done;
    }

    progress_t pr = {.tty = isatty(2), .quiet = o->quiet, .last_pct = -1,
                     .total = (int64_t)nnames * nsev * N, .t0 = ar_now()};
    for (int k = 0; k < nnames && !st; k++) {
        const char *cname = ar_corrupt_name(names[k]);
        char dpath[300];
        snprintf(dpath, sizeof dpath, "/%s/images", cname);
        if (h5) {
            int64_t dims[5] = {nsev, N, h, w, c};
            if ((st = ar_h5_create_dataset(h5, dpath, AR_DT_U8, 5, dims, 0, err))) break;
        } else if (strcmp(o->out, "-") != 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.npy", o->out, cname);
            int64_t shape[4] = {5 * N, h, w, c};
            if (!(npw = ar_npy_writer_new(path, AR_NPY_U8, 4, shape, err))) {
                st = err->status;
                break;
            }
        }
        for (int si = 0; si < nsev && !st; si++)
            for (int64_t b = 0; b < N && !st; b += BLOCK) {
                int64_t n = N - b < BLOCK ? N - b : BLOCK;
                const uint8_t *src = input_block(in, b, n, err);
                if (!src) {
                    st = err->status;
                    break;
                }
                pool->corruption = names[k], pool->severity = sevs[si], pool->seed = o->seed;
                pool->first = b, pool->count = n, pool->img_bytes = in->img_bytes;
                pool->in = src, pool->out = outbuf;
                if ((st = pool_run(pool, err))) break;
                if (h5) {
                    int64_t start[5] = {si, b, 0, 0, 0}, cnt[5] = {1, n, h, w, c};
                    st = ar_h5_write_slab(h5, dpath, AR_DT_U8, start, cnt, outbuf, err);
                } else if (npw) {
                    st = ar_npy_writer_append(npw, outbuf, n, err);
                }
                pr.done += n;
                progress(&pr, cname, sevs[si]);
            }
        if (npw) {
            if (st) ar_npy_writer_abort(&npw);
            else st = ar_npy_writer_commit(&npw, err);
        }
    }
    if (!st && h5) st = ar_h5_commit(&h5, err);
done:
    ar_npy_writer_abort(&npw);
    ar_h5_destroy(&h5);
    free(outbuf), free(labels);
    return st;
}

int ar_cmd_corrupt(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    opts_t o = {.seed = 1, .threads = 1, .preview_k = 3, .limit = -1};
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t x;
#define NEED_VALUE \
    if (!v) return ar_cli_usage_error(NAME, "%s needs a value", a); \
    i++
        if (!strcmp(a, "--split")) { NEED_VALUE; o.split = v; }
        else if (!strcmp(a, "--names")) { NEED_VALUE; o.names = v; }
        else if (!strcmp(a, "--severities")) { NEED_VALUE; o.sev = v; }
        else if (!strcmp(a, "--frost-dir")) { NEED_VALUE; o.frost_dir = v; }
        else if (!strcmp(a, "--preview")) { NEED_VALUE; o.preview = v; }
        else if (!strcmp(a, "--quiet")) o.quiet = 1;
        else if (!strcmp(a, "--seed")) {
            NEED_VALUE;
            if (parse_int64(v, &x) || x < 0) return ar_cli_usage_error(NAME, "bad --seed '%s'", v);
            o.seed = (uint64_t)x;
        } else if (!strcmp(a, "--limit")) {
            NEED_VALUE;
            if (parse_int64(v, &x) || x < 1) return ar_cli_usage_error(NAME, "bad --limit '%s'", v);
            o.limit = x;
        } else if (!strcmp(a, "--threads")) {
            NEED_VALUE;
            if (parse_int64(v, &x) || x < 1 || x > AR_PAR_MAX)
                return ar_cli_usage_error(NAME, "bad --threads '%s' (1..%d)", v, AR_PAR_MAX);
            o.threads = (int)x;
        } else if (!strcmp(a, "--preview-images")) {
            NEED_VALUE;
            if (parse_int64(v, &x) || x < 1 || x > 16)
                return ar_cli_usage_error(NAME, "bad --preview-images '%s' (1..16)", v);
            o.preview_k = (int)x;
        } else if (a[0] == '-' && a[1]) {
            return ar_cli_usage_error(NAME, "unknown option '%s'", a);
        } else {
            if (npos == 2) return ar_cli_usage_error(NAME, "unexpected argument '%s'", a);
            pos[npos++] = a;
        }
#undef NEED_VALUE
    }
    if (npos != 2) return ar_cli_usage_error(NAME, "needs IN and OUT");
    o.in = pos[0], o.out = pos[1];
    if (!strcmp(o.out, "-") && !o.preview)
        return ar_cli_usage_error(NAME, "OUT '-' writes nothing: add --preview");

    ar_err_t err = {0};
    int names[AR_CORRUPT_COUNT], nnames, sevs[5], nsev;
    if (parse_names(o.names, names, &nnames, &err) || parse_severities(o.sev, sevs, &nsev, &err))
        return ar_cli_usage_error(NAME, "%s", err.msg);

    ar_data_source_t src = {.path = o.in, .split = o.split};
    input_t in = {0};
    if (!(in.ds = ar_dataset_open(&src, &err))) return ar_cli_fail(NAME, &err);
    ar_dataset_info_t info = *ar_dataset_info(in.ds);
    if (o.limit > 0 && o.limit < info.count) info.count = o.limit;
    in.img_bytes = (size_t)info.height * info.width * info.channels;
    int st = 0;
    pool_t *pool = calloc(1, sizeof *pool);
    ar_corrupt_opts_t co = {.frost_dir = o.frost_dir};
    if (!pool) {
        st = ar_err_set(&err, AR_E_NOMEM, "thread pool");
        goto out;
    }
    if ((int64_t)in.img_bytes * info.count <= CACHE_LIMIT) {
        in.cache = malloc(in.img_bytes * (size_t)(info.count ? info.count : 1));
        if (in.cache && (st = ar_dataset_read_u8(in.ds, 0, info.count, in.cache, NULL, &err))) goto out;
    }
    if (!in.cache && !(in.block = malloc(in.img_bytes * BLOCK))) {
        st = ar_err_set(&err, AR_E_NOMEM, "input block");
        goto out;
    }
    if ((st = pool_start(pool, o.threads, &co, info.height, info.width, info.channels, &err)))
        goto out;
    const char *frost_source = ar_corrupt_ctx_frost_source(pool->w[0].ctx);
    if (!o.quiet)
        fprintf(stderr,
                "archrepair corrupt: %s: %" PRId64 " images %dx%dx%d, %d corruptions x %d severities, seed %" PRIu64
                ", frost %s, %d thread(s)\n",
                o.in, info.count, info.height, info.width, info.channels, nnames, nsev, o.seed,
                frost_source, pool->nthreads);
    double t0 = ar_now();
    if (o.preview && (st = write_preview(&o, &in, &info, names, nnames, pool->w[0].ctx, &err)))
        goto out;
    if (strcmp(o.out, "-") != 0 &&
        (st = generate(&o, &in, &info, names, nnames, sevs, nsev, pool, frost_source, &err)))
        goto out;
    if (!o.quiet)
        fprintf(stderr, "archrepair corrupt: wrote %s in %.1fs (%.0f images/s)\n", o.out,
                ar_now() - t0, (double)info.count * nnames * nsev / (ar_now() - t0 + 1e-9));
out:
    if (pool) {
        pool_stop(pool);
        free(pool);
    }
    free(in.cache), free(in.block);
    ar_dataset_destroy(&in.ds);
    return st ? ar_cli_fail(NAME, &err) : 0;
}
