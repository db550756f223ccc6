/* cmd_corrupt.c - `archrepair corrupt IN OUT`: make corruption sets.
 *
 * Parses the options, prints the progress and writes the preview sheet; the
 * collection itself (an HDF5 file or a CIFAR-10-C style .npy directory,
 * streamed, every file renamed into place when complete, the same bytes for
 * any thread count) is written by corrupt/collection_writer.h.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "nn_cli.h"
#include "corrupt_sheet.h"
#include "core/fsutil.h"
#include "core/par.h"
#include "corrupt/collection_writer.h"
#include "corrupt/corrupt.h"
#include "data/dataset.h"

static const char NAME[] = "corrupt";

static void usage(void)
{
    printf("Usage: archrepair corrupt IN OUT [options]\n\n"
           "Corrupts every image of the dataset IN with the CIFAR-10-C corruptions\n"
           "(15 benchmark + 4 extras) at severities 1..5: CIFAR-10-C's parameters, or\n"
           "Tiny-ImageNet-C's for 64x64 images.\n\n"
           "  IN   any dataset archrepair reads (IDX, CIFAR-10 bin, HDF5, ...)\n"
           "  OUT  *.h5: HDF5 collection /labels + /<corruption>/images [S,N,H,W,C];\n"
           "       otherwise a CIFAR-10-C directory <corruption>.npy [5N,H,W,C] + labels.npy;\n"
           "       '-' writes no data (with --preview)\n\n"
           "Options:\n"
           "  --split S          train or test, for directories holding both (default test);\n"
           "                     train or val for Tiny-ImageNet (default val)\n"
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
           "  --threads N        worker threads (default: the cores available; output identical for any N)\n"
           "  --quiet            no progress output\n");
}

typedef struct {
    const char *in, *out, *split, *names, *sev, *frost_dir, *preview;
    long long seed, limit;
    int threads, preview_k, quiet;
} opts_t;

/* ---- argument parsing -------------------------------------------------- */

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

/* ---- progress ---------------------------------------------------------- */

typedef struct {
    int tty, last_pct;
    double t0;
} progress_t;

/* The writer's progress callback: a bar on a terminal, else a line every 10%. */
static void progress(void *user, int corruption, int sev, int64_t done, int64_t total)
{
    progress_t *pr = user;
    const char *what = ar_corrupt_name(corruption);
    int pct = (int)(100 * done / (total ? total : 1));
    double el = ar_now() - pr->t0;
    double eta = done ? el * (double)(total - done) / (double)done : 0;
    if (pr->tty) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = 0;
        fprintf(stderr, "\r[%s] %3d%% %-18s s%d  %.0fs elapsed, %.0fs left ", bar, pct, what, sev,
                el, eta);
        if (done == total) fputc('\n', stderr);
    } else if (pct / 10 != pr->last_pct / 10 || done == total) {
        fprintf(stderr, "archrepair corrupt: %d%% (%s s%d, %.0fs elapsed)\n", pct, what, sev, el);
    }
    pr->last_pct = pct;
}

/* ---- preview sheet ----------------------------------------------------- */

/* The sheet of the first preview_k images, corrupted as the collection's. */
static int write_preview(const opts_t *o, ar_dataset_t *ds, const ar_dataset_info_t *info,
                         const int *names, int nnames, ar_corrupt_ctx_t *ctx, ar_err_t *err)
{
    int k = o->preview_k;
    if (k > info->count) k = (int)info->count;
    size_t img_bytes = (size_t)info->height * info->width * info->channels;
    uint8_t *clean = malloc(img_bytes * (size_t)k);
    if (!clean) return ar_err_set(err, AR_E_NOMEM, "preview images");
    int st = ar_dataset_read_u8(ds, 0, k, clean, NULL, err);
    if (!st)
        st = ar_corrupt_sheet_write(o->preview, clean, k, info->height, info->width,
                                    info->channels, names, nnames, o->seed, ctx, err);
    free(clean);
    return st;
}

int ar_cmd_corrupt(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    opts_t o = {.seed = 1, .threads = ar_cli_default_threads(), .preview_k = 3, .limit = -1};
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    const ar_opt_t opts[] = {
        AR_STR("split", &o.split),
        AR_STR("names", &o.names),
        AR_STR("severities", &o.sev),
        AR_STR("frost-dir", &o.frost_dir),
        AR_STR("preview", &o.preview),
        AR_FLAG("quiet", &o.quiet),
        AR_LLONG("seed", &o.seed, 0, LLONG_MAX),
        AR_LLONG("limit", &o.limit, 1, LLONG_MAX),
        AR_INT("threads", &o.threads, 1, AR_PAR_MAX),
        AR_INT("preview-images", &o.preview_k, 1, 16),
        AR_OPT_END};
    int rc = ar_cli_opts(NAME, opts, argc, argv, pos, 2, &npos);
    if (rc) return rc;
    if (npos != 2) return ar_cli_usage_error(NAME, "needs IN and OUT");
    o.in = pos[0], o.out = pos[1];
    if (!strcmp(o.out, "-") && !o.preview)
        return ar_cli_usage_error(NAME, "OUT '-' writes nothing: add --preview");

    ar_err_t err = {0};
    int names[AR_CORRUPT_COUNT], nnames, sevs[5], nsev;
    if (parse_names(o.names, names, &nnames, &err) || parse_severities(o.sev, sevs, &nsev, &err))
        return ar_cli_usage_error(NAME, "%s", err.msg);

    ar_par_set_default_threads(o.threads); /* decoding image files of IN */
    ar_data_source_t src = {.path = o.in, .split = o.split};
    ar_dataset_t *ds = ar_dataset_open(&src, &err);
    if (!ds) return ar_cli_fail(NAME, &err);
    ar_dataset_info_t info = *ar_dataset_info(ds);
    if (o.limit > 0 && o.limit < info.count) info.count = o.limit;
    progress_t pr = {.tty = isatty(2), .last_pct = -1};
    ar_collection_writer_opts_t wo = {
        .corruptions = names, .ncorruptions = nnames, .severities = sevs, .nseverities = nsev,
        .seed = o.seed, .count = info.count, .threads = o.threads,
        .corrupt = {.frost_dir = o.frost_dir}, .source = o.in,
        .progress = o.quiet ? NULL : progress, .progress_user = &pr};
    int st = 0;
    ar_collection_writer_t *cw = ar_collection_writer_new(ds, &wo, &err);
    if (!cw) {
        st = err.status;
        goto out;
    }
    if (!o.quiet)
        fprintf(stderr,
                "archrepair corrupt: %s: %" PRId64 " images %dx%dx%d, %d corruptions x %d severities, seed %" PRIu64
                ", %s parameters, frost %s, %d thread(s)\n",
                o.in, info.count, info.height, info.width, info.channels, nnames, nsev, (uint64_t)o.seed,
                ar_corrupt_table_name(ar_corrupt_table_for(info.height, info.width)),
                ar_collection_writer_frost_source(cw), o.threads);
    double t0 = ar_now();
    if (o.preview &&
        (st = write_preview(&o, ds, &info, names, nnames, ar_collection_writer_ctx(cw), &err)))
        goto out;
    pr.t0 = ar_now();
    if (strcmp(o.out, "-") != 0 && (st = ar_collection_writer_write(cw, o.out, &err))) goto out;
    if (!o.quiet)
        fprintf(stderr, "archrepair corrupt: wrote %s in %.1fs (%.0f images/s)\n", o.out,
                ar_now() - t0, (double)info.count * nnames * nsev / (ar_now() - t0 + 1e-9));
out:
    ar_collection_writer_destroy(&cw);
    ar_dataset_destroy(&ds);
    return st ? ar_cli_fail(NAME, &err) : 0;
}
