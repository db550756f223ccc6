/* test_collection_writer.c - corrupt/collection_writer.h called directly on
 * an in-memory set of 1-channel 12x10 images (700 rows, 600 used, so two
 * blocks): every row of a .npy directory and of an HDF5 collection equals the
 * library's image; the files are the same bytes for 1 and 3 threads and for
 * a writer used twice; wide labels become int64; progress reaches the total;
 * bad options and severities out of order are refused with nothing written;
 * a corruption file that cannot be renamed into place leaves no temporary
 * file and keeps the ones completed before it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/par.h"
#include "corrupt/collection_writer.h"
#include "data/collection.h"
#include "io/npy.h"
#include "synth.h"

enum { H = 12, W = 10, C = 1, ROWS = 700, N = 600, CLASSES = 300, IMG = H * W * C };
static const uint64_t SET_SEED = 5, SEED = 11;
static const int NAMES[] = {AR_CORRUPT_GAUSSIAN_NOISE, AR_CORRUPT_GLASS_BLUR, AR_CORRUPT_FROST,
                            AR_CORRUPT_JPEG_COMPRESSION, AR_CORRUPT_SPATTER};
enum { NNAMES = sizeof NAMES / sizeof NAMES[0] };
static const int SEVS[] = {1, 2, 3, 4, 5};

static int synth_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                      ar_err_t *err)
{
    (void)self, (void)err;
    for (int64_t i = 0; i < count; i++) {
        if (pixels) synth_image(SET_SEED, start + i, H, W, C, pixels + i * IMG);
        if (labels) labels[i] = (int32_t)((start + i) % CLASSES);
    }
    return 0;
}

static ar_dataset_t *synth_set(void)
{
    ar_dataset_info_t info = {.count = ROWS, .height = H, .width = W, .channels = C,
                              .num_classes = CLASSES, .format = "synthetic", .name = "synth"};
    ar_dataset_vt_t vt = {.read = synth_read};
    ar_err_t err = {0};
    return ar_dataset_new_custom(&info, &vt, NULL, &err);
}

typedef struct {
    int calls, monotone;
    int64_t last, total;
} progress_t;

static void on_progress(void *user, int corruption, int severity, int64_t done, int64_t total)
{
    progress_t *p = user;
    p->monotone &= done > p->last && ar_corrupt_name(corruption) && severity >= 1;
    p->calls++, p->last = done, p->total = total;
}

static ar_collection_writer_opts_t opts(int threads, int nsev, progress_t *p)
{
    return (ar_collection_writer_opts_t){.corruptions = NAMES, .ncorruptions = NNAMES,
                                         .severities = SEVS, .nseverities = nsev, .seed = SEED,
                                         .count = N, .threads = threads, .source = "synth",
                                         .progress = p ? on_progress : NULL, .progress_user = p};
}

static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    char *b = malloc((size_t)*len + 1);
    if (b && fread(b, 1, (size_t)*len, f) != (size_t)*len) free(b), b = NULL;
    fclose(f);
    return b;
}

static int same_file(const char *a, const char *b)
{
    long la = -1, lb = -2;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, (size_t)la) == 0;
    free(x), free(y);
    return same;
}

/* The directory's entries, sorted, joined by spaces. */
static const char *listing(const char *dir)
{
    static char out[4096];
    struct dirent **e;
    int n = scandir(dir, &e, NULL, alphasort);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (e[i]->d_name[0] != '.')
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? " " : "",
                     e[i]->d_name);
        free(e[i]);
    }
    if (n >= 0) free(e);
    return out;
}

static void rm_rf(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", path);
}

/* Every row of every set at `path` (opened as a dataset) is the library's image. */
static void check_rows(const char *path, int nsev, ar_corrupt_ctx_t *ctx)
{
    ar_err_t err = {0};
    uint8_t clean[IMG], want[IMG], *got = malloc((size_t)N * IMG);
    int32_t *lab = malloc(sizeof(int32_t) * N);
    for (int k = 0; k < NNAMES; k++)
        for (int s = 1; s <= nsev; s++) {
            ar_data_source_t src = {.path = path, .corruption = ar_corrupt_name(NAMES[k]),
                                    .severity = s};
            ar_dataset_t *ds = ar_dataset_open(&src, &err);
            CHECK(ds && ar_dataset_info(ds)->count == N, "%s %s/%d: %s", path, src.corruption, s,
                  err.msg);
            if (!ds) continue;
            CHECK_OK(ar_dataset_read_u8(ds, 0, N, got, lab, &err), &err);
            int same = 1, labels = 1;
            for (int i = 0; i < N; i++) {
                synth_image(SET_SEED, i, H, W, C, clean);
                ar_corrupt_image(ctx, NAMES[k], s, SEED, i, clean, want, H, W, C, &err);
                same &= memcmp(want, got + (size_t)i * IMG, IMG) == 0;
                labels &= lab[i] == i % CLASSES;
            }
            CHECK(same && labels, "%s %s/%d: rows and labels are the library's", path,
                  src.corruption, s);
            ar_dataset_destroy(&ds);
        }
    free(got), free(lab);
}

static void test_npy_dir(ar_dataset_t *set, ar_corrupt_ctx_t *ctx)
{
    char d3[1024], d1[1024], d1b[1024];
    snprintf(d3, sizeof d3, "%s", test_tmp("cw_npy3"));
    snprintf(d1, sizeof d1, "%s", test_tmp("cw_npy1"));
    snprintf(d1b, sizeof d1b, "%s", test_tmp("cw_npy1b"));
    rm_rf(d3), rm_rf(d1), rm_rf(d1b);
    ar_err_t err = {0};
    progress_t p = {.monotone = 1};
    ar_collection_writer_opts_t o = opts(3, 5, &p);
    ar_collection_writer_t *w = ar_collection_writer_new(set, &o, &err);
    CHECK(w != NULL, "new: %s", err.msg);
    if (!w) return;
    CHECK(strcmp(ar_collection_writer_frost_source(w), "procedural-v1") == 0, "frost source %s",
          ar_collection_writer_frost_source(w));
    CHECK_OK(ar_collection_writer_write(w, d3, &err), &err);
    ar_collection_writer_destroy(&w);
    CHECK(w == NULL, "destroy nulls");
    CHECK(p.calls == NNAMES * 5 * 2 && p.monotone && p.last == p.total &&
              p.total == (int64_t)NNAMES * 5 * N,
          "progress: %d calls, %lld of %lld", p.calls, (long long)p.last, (long long)p.total);
    CHECK(strcmp(listing(d3), "frost.npy gaussian_noise.npy glass_blur.npy jpeg_compression.npy "
                              "labels.npy spatter.npy") == 0,
          "only the final files: %s", listing(d3));
    check_rows(d3, 5, ctx);

    char path[2048];
    snprintf(path, sizeof path, "%s/labels.npy", d3);
    ar_npy_t *npy = ar_npy_open(path, &err);
    CHECK(npy && npy->dtype == AR_NPY_I64 && npy->ndim == 1 && npy->shape[0] == 5 * N,
          "labels.npy int64 [5N] above 256 classes: %s", err.msg);
    if (npy) {
        int64_t l[2];
        ar_npy_read_rows(npy, 4 * N + 299, 2, l, &err);
        CHECK(l[0] == 299 && l[1] == 0, "labels repeat per severity (%lld %lld)", (long long)l[0],
              (long long)l[1]);
        ar_npy_close(&npy);
    }

    /* one thread, and the same writer twice: the same bytes */
    o = opts(1, 5, NULL);
    w = ar_collection_writer_new(set, &o, &err);
    CHECK(w != NULL, "new: %s", err.msg);
    if (!w) return;
    CHECK_OK(ar_collection_writer_write(w, d1, &err), &err);
    CHECK_OK(ar_collection_writer_write(w, d1b, &err), &err);
    ar_collection_writer_destroy(&w);
    int same = 1;
    for (int k = 0; k < NNAMES; k++) {
        char a[2048], b[2048], c[2048];
        snprintf(a, sizeof a, "%s/%s.npy", d3, ar_corrupt_name(NAMES[k]));
        snprintf(b, sizeof b, "%s/%s.npy", d1, ar_corrupt_name(NAMES[k]));
        snprintf(c, sizeof c, "%s/%s.npy", d1b, ar_corrupt_name(NAMES[k]));
        same &= same_file(a, b) && same_file(b, c);
    }
    CHECK(same, "1 and 3 threads, and a second write, give the same files");
    rm_rf(d1), rm_rf(d1b);
}

static void test_h5(ar_dataset_t *set, ar_corrupt_ctx_t *ctx)
{
    const char *path = test_tmp("cw_set.h5");
    remove(path);
    ar_err_t err = {0};
    ar_collection_writer_opts_t o = opts(2, 2, NULL);
    ar_collection_writer_t *w = ar_collection_writer_new(set, &o, &err);
    CHECK(w != NULL, "new: %s", err.msg);
    if (!w) return;
    CHECK_OK(ar_collection_writer_write(w, path, &err), &err);
    ar_collection_writer_destroy(&w);
    ar_collection_info_t ci;
    CHECK_OK(ar_collection_describe(path, &ci, &err), &err);
    CHECK(ci.severities == 2 && ci.ncorruptions == NNAMES && ci.count == N && ci.height == H &&
              ci.width == W && ci.channels == C && !strcmp(ci.format, "hdf5-collection"),
          "described: S %d, %d corruptions, N %lld", ci.severities, ci.ncorruptions,
          (long long)ci.count);
    ar_collection_info_free(&ci);
    check_rows(path, 2, ctx);
    remove(path);
}

static void test_errors(ar_dataset_t *set)
{
    ar_err_t err = {0};
    ar_collection_writer_opts_t o = opts(1, 5, NULL);
    const int bad_sev[] = {1, 2, 6}, twice[] = {0, 3, 0}, out_of_order[] = {1, 3, 2, 4, 5};
    o.severities = bad_sev, o.nseverities = 3;
    CHECK(!ar_collection_writer_new(set, &o, &err) && err.status == AR_E_ARG, "severity 6: %s",
          err.msg);
    o = opts(1, 5, NULL);
    o.corruptions = twice, o.ncorruptions = 3;
    CHECK(!ar_collection_writer_new(set, &o, &err) && strstr(err.msg, "twice"), "named twice: %s",
          err.msg);
    o = opts(AR_PAR_MAX + 1, 5, NULL);
    CHECK(!ar_collection_writer_new(set, &o, &err) && err.status == AR_E_ARG, "threads: %s",
          err.msg);
    o = opts(1, 5, NULL);
    o.corrupt.frost_dir = "/nonexistent/frost";
    CHECK(!ar_collection_writer_new(set, &o, &err) && strstr(err.msg, "/nonexistent/frost"),
          "frost dir: %s", err.msg);

    /* severities out of order: refused before anything is written */
    o = opts(1, 5, NULL);
    o.severities = out_of_order;
    ar_collection_writer_t *w = ar_collection_writer_new(set, &o, &err);
    CHECK(w != NULL, "new: %s", err.msg);
    if (!w) return;
    const char *dir = test_tmp("cw_bad_dir"), *h5 = test_tmp("cw_bad.h5");
    rm_rf(dir), remove(h5);
    CHECK(ar_collection_writer_write(w, dir, &err) == AR_E_ARG && strstr(err.msg, "1-5 in order") &&
              access(dir, F_OK) != 0,
          "directory, 1,3,2,4,5: %s", err.msg);
    CHECK(ar_collection_writer_write(w, h5, &err) == AR_E_ARG && strstr(err.msg, "1..S") &&
              access(h5, F_OK) != 0,
          "HDF5, 1,3,2,4,5: %s", err.msg);
    ar_collection_writer_destroy(&w);

    /* frost.npy cannot be renamed into place (a directory of that name):
     * the failure is reported, no temporary file stays, the files written
     * before it do */
    const int two[] = {AR_CORRUPT_GAUSSIAN_NOISE, AR_CORRUPT_FROST};
    o = opts(2, 5, NULL);
    o.corruptions = two, o.ncorruptions = 2, o.count = 20;
    char dir2[1024], blocker[1100];
    snprintf(dir2, sizeof dir2, "%s", test_tmp("cw_blocked"));
    snprintf(blocker, sizeof blocker, "%s/frost.npy", dir2);
    rm_rf(dir2);
    CHECK(mkdir(dir2, 0755) == 0 && mkdir(blocker, 0755) == 0, "blocker");
    w = ar_collection_writer_new(set, &o, &err);
    CHECK(w != NULL, "new: %s", err.msg);
    if (!w) return;
    CHECK(ar_collection_writer_write(w, dir2, &err) != 0 && strstr(err.msg, "frost.npy"),
          "rename failure reported: %s", err.msg);
    CHECK(strcmp(listing(dir2), "frost.npy gaussian_noise.npy labels.npy") == 0,
          "no temporary file left: %s", listing(dir2));
    ar_collection_writer_destroy(&w);
    rm_rf(dir2);
}

int main(void)
{
    ar_dataset_t *set = synth_set();
    ar_err_t err = {0};
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, H, W, C, &err);
    CHECK(set && ctx, "setup: %s", err.msg);
    if (set && ctx) {
        test_npy_dir(set, ctx);
        test_h5(set, ctx);
        test_errors(set);
    }
    ar_corrupt_ctx_destroy(&ctx);
    ar_dataset_destroy(&set);
    ar_collection_writer_destroy(&(ar_collection_writer_t *){NULL});
    TEST_MAIN_END();
}
