/* test_corrupt_cli.c - `archrepair corrupt` end to end: a synthetic HDF5
 * input set is corrupted into an .npy directory and an HDF5 collection with
 * several thread counts; the outputs are read back by our readers (and by
 * numpy when /usr/bin/python3 has it) and compared byte for byte with the
 * library called in-process; errors exit non-zero with one line.
 * argv[1] is the archrepair binary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "corrupt/corrupt.h"
#include "io/image_io.h"
#include "data/dataset.h"
#include "io/h5.h"
#include "io/npy.h"
#include "synth.h"

static const char *BIN;

static int run(const char *args, const char *log)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s corrupt %s >%s 2>&1", BIN, args, log);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

static int make_input(const char *path, int n)
{
    uint8_t *px = malloc((size_t)n * 3072);
    int32_t *lab = malloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) {
        synth_image(31, i, 32, 32, 3, px + (long)i * 3072);
        lab[i] = i % 10;
    }
    ar_err_t err = {0};
    ar_h5_t *h = ar_h5_create(path, &err);
    int64_t d[4] = {n, 32, 32, 3}, dl[1] = {n};
    int st = !h || ar_h5_write(h, "/images", AR_DT_U8, 4, d, px, 0, &err) ||
             ar_h5_write(h, "/labels", AR_DT_I32, 1, dl, lab, 0, &err) ||
             ar_h5_commit(&h, &err);
    CHECK(st == 0, "input set: %s", err.msg);
    ar_h5_destroy(&h);
    free(px), free(lab);
    return st;
}

/* the library's bytes for image i of (corruption, severity) */
static void expect(ar_corrupt_ctx_t *ctx, int k, int s, int i, uint8_t *out)
{
    uint8_t in[3072];
    ar_err_t err = {0};
    synth_image(31, i, 32, 32, 3, in);
    ar_corrupt_image(ctx, k, s, 7, i, in, out, 32, 32, 3, &err);
}

static void test_npy_dir(ar_corrupt_ctx_t *ctx, const char *in)
{
    char dir[1024]; /* test_tmp's buffers rotate: keep a copy */
    snprintf(dir, sizeof dir, "%s", test_tmp("cx_npy"));
    char args[4096];
    snprintf(args, sizeof args, "%s %s --seed 7 --threads 2 --limit 20 --preview %s/sheet.png", in,
             dir, test_tmp(""));
    int rc = run(args, test_tmp("cx_npy.log"));
    CHECK(rc == 0, "npy run rc %d: %s", rc, slurp(test_tmp("cx_npy.log")));
    if (rc) return;
    ar_err_t err = {0};
    uint8_t *want = malloc(3072), *got = malloc(3072);
    for (int k = 0; k < AR_CORRUPT_COUNT; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.npy", dir, ar_corrupt_name(k));
        ar_npy_t *npy = ar_npy_open(path, &err);
        CHECK(npy != NULL, "%s: %s", path, err.msg);
        if (!npy) continue;
        CHECK(npy->ndim == 4 && npy->shape[0] == 100 && npy->shape[1] == 32 && npy->shape[3] == 3 &&
                  npy->dtype == AR_NPY_U8,
              "%s shape", path);
        int same = 1;
        for (int s = 1; s <= 5; s++)
            for (int i = 0; i < 20; i += 3) {
                expect(ctx, k, s, i, want);
                ar_npy_read_rows(npy, (s - 1) * 20 + i, 1, got, &err);
                same &= memcmp(want, got, 3072) == 0;
            }
        CHECK(same, "%s: rows = the library's images (severity-major)", ar_corrupt_name(k));
        ar_npy_close(&npy);
        /* and through the dataset reader */
        ar_data_source_t src = {.path = dir, .corruption = ar_corrupt_name(k), .severity = 4};
        ar_dataset_t *ds = ar_dataset_open(&src, &err);
        CHECK(ds != NULL, "open %s/4: %s", ar_corrupt_name(k), err.msg);
        if (ds) {
            int32_t lab = -1;
            CHECK(ar_dataset_info(ds)->count == 20, "count");
            ar_dataset_read_u8(ds, 13, 1, got, &lab, &err);
            expect(ctx, k, 4, 13, want);
            CHECK(memcmp(want, got, 3072) == 0 && lab == 3, "dataset reader row 13 (label %d)", lab);
            ar_dataset_destroy(&ds);
        }
    }
    free(want), free(got);
    /* numpy reads it */
    if (access("/usr/bin/python3", X_OK) == 0 &&
        system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import numpy as np; a = np.load('%s/zoom_blur.npy'); "
                 "l = np.load('%s/labels.npy'); assert a.shape == (100, 32, 32, 3), a.shape; "
                 "assert a.dtype == np.uint8 and l.dtype == np.uint8 and l.shape == (100,); "
                 "assert list(l[:12]) == [0,1,2,3,4,5,6,7,8,9,0,1]\"",
                 dir, dir);
        CHECK(system(cmd) == 0, "numpy reads the .npy files");
    } else {
        printf("numpy not available: numpy read-back skipped\n");
    }
    /* the preview sheet: 19 rows, 3 images x 6 columns, 3x scale */
    uint8_t *px = NULL;
    int h = 0, w = 0;
    char sheet[4096];
    snprintf(sheet, sizeof sheet, "%s/sheet.png", test_tmp(""));
    CHECK_OK(ar_image_read(sheet, 3, &px, &h, &w, &err), &err);
    CHECK(h == 26 + 19 * (96 + 6) && w > 18 * 96, "sheet %dx%d", h, w);
    /* row 0 of image 0 at s1 is a corrupted copy: the sheet is not blank there */
    long dark = 0;
    for (long i = 0; i < (long)h * w * 3; i++) dark += px[i] < 128;
    CHECK(dark > (long)h * w / 20, "sheet has content (%ld dark values)", dark);
    free(px);
}

static void test_h5_threads(ar_corrupt_ctx_t *ctx, const char *in)
{
    /* 530 images cross a 512-image block; threads 1 and 3 give the same data */
    const char *names = "gaussian_noise,glass_blur,frost,jpeg_compression,elastic_transform";
    char args[4096];
    char o1[1024], o3[1024]; /* test_tmp's buffers rotate: keep copies */
    snprintf(o1, sizeof o1, "%s", test_tmp("cx_t1.h5"));
    snprintf(o3, sizeof o3, "%s", test_tmp("cx_t3.h5"));
    snprintf(args, sizeof args, "%s %s --seed 7 --names %s --severities 1-2 --threads 1", in, o1, names);
    int rc = run(args, test_tmp("cx_h5.log"));
    CHECK(rc == 0, "h5 run: %s", slurp(test_tmp("cx_h5.log")));
    snprintf(args, sizeof args, "%s %s --seed 7 --names %s --severities 1-2 --threads 3 --quiet", in, o3, names);
    rc = run(args, test_tmp("cx_h5.log"));
    CHECK(rc == 0, "h5 run 3 threads: %s", slurp(test_tmp("cx_h5.log")));
    ar_err_t err = {0};
    ar_h5_t *a = ar_h5_open(o1, &err), *b = ar_h5_open(o3, &err);
    CHECK(a && b, "open: %s", err.msg);
    if (!a || !b) goto done;
    uint8_t *x = malloc((size_t)2 * 530 * 3072), *y = malloc((size_t)2 * 530 * 3072);
    uint8_t want[3072];
    for (const char *p = names; *p;) {
        char nm[64];
        size_t l = strcspn(p, ",");
        snprintf(nm, sizeof nm, "%.*s", (int)l, p);
        p += l + (p[l] == ',');
        char path[128];
        snprintf(path, sizeof path, "/%s/images", nm);
        int nd;
        int64_t dims[8];
        CHECK_OK(ar_h5_shape(a, path, &nd, dims, NULL, NULL, &err), &err);
        CHECK(nd == 5 && dims[0] == 2 && dims[1] == 530 && dims[4] == 3, "%s dims", path);
        CHECK_OK(ar_h5_read(a, path, AR_DT_U8, x, 2LL * 530 * 3072, &err), &err);
        CHECK_OK(ar_h5_read(b, path, AR_DT_U8, y, 2LL * 530 * 3072, &err), &err);
        CHECK(memcmp(x, y, (size_t)2 * 530 * 3072) == 0, "%s: 1 thread = 3 threads", nm);
        int k = ar_corrupt_find(nm), same = 1;
        for (int i = 0; i < 530; i += 37) {
            expect(ctx, k, 2, i, want);
            same &= memcmp(want, x + (530L + i) * 3072, 3072) == 0;
        }
        CHECK(same, "%s: severity 2 = the library's images", nm);
        /* our reader: images[1] is severity 2 */
        ar_data_source_t src = {.path = o1, .corruption = nm, .severity = 2};
        ar_dataset_t *ds = ar_dataset_open(&src, &err);
        CHECK(ds != NULL, "reader: %s", err.msg);
        if (ds) {
            int32_t lab;
            ar_dataset_read_u8(ds, 529, 1, y, &lab, &err);
            expect(ctx, k, 2, 529, want);
            CHECK(memcmp(want, y, 3072) == 0 && lab == 9, "reader row 529");
            ar_dataset_destroy(&ds);
        }
    }
    char *fs = NULL;
    CHECK_OK(ar_h5_attr_read_str(a, "/", "frost_source", &fs, &err), &err);
    CHECK(fs && !strcmp(fs, "procedural-v1"), "frost_source attribute %s", fs ? fs : "");
    free(fs);
    fs = NULL;
    CHECK_OK(ar_h5_attr_read_str(a, "/", "parameters", &fs, &err), &err);
    CHECK(fs && !strcmp(fs, "cifar-10-c"), "parameters attribute %s (32x32 images)", fs ? fs : "");
    free(fs);
    int64_t seed = 0;
    int32_t sev[5];
    int nsev = 0;
    CHECK_OK(ar_h5_attr_read(a, "/", "seed", AR_DT_I64, &seed, 1, NULL, &err), &err);
    CHECK_OK(ar_h5_attr_read(a, "/", "severities", AR_DT_I32, sev, -5, &nsev, &err), &err);
    CHECK(seed == 7 && nsev == 2 && sev[0] == 1 && sev[1] == 2, "seed/severities attributes");
    free(x), free(y);
done:
    ar_h5_destroy(&a);
    ar_h5_destroy(&b);
}

static void test_errors(const char *in)
{
    char log[1024], bad[1024]; /* test_tmp's buffers rotate: keep copies */
    snprintf(log, sizeof log, "%s", test_tmp("cx_err.log"));
    snprintf(bad, sizeof bad, "%s", test_tmp("cx_bad.h5"));
    remove(bad); /* from an earlier run */
    CHECK(run("--help", log) == 0 && strstr(slurp(log), "Usage: archrepair corrupt"), "--help");
    char args[4096];
    snprintf(args, sizeof args, "%s %s --names fog,mist", in, bad);
    CHECK(run(args, log) != 0 && strstr(slurp(log), "unknown corruption 'mist'"), "bad name: %s", slurp(log));
    CHECK(access(bad, F_OK) != 0, "nothing written on a usage error");
    snprintf(args, sizeof args, "%s %s --severities 0-3", in, bad);
    CHECK(run(args, log) != 0 && strstr(slurp(log), "outside 1..5"), "bad severities: %s", slurp(log));
    snprintf(args, sizeof args, "%s %s --severities 2,5", in, bad);
    CHECK(run(args, log) != 0 && strstr(slurp(log), "severities 1..S"), "h5 gap: %s", slurp(log));
    snprintf(args, sizeof args, "%s %s --severities 1-3", in, test_tmp("cx_bad_dir"));
    CHECK(run(args, log) != 0 && strstr(slurp(log), "severities 1-5"), "npy subset: %s", slurp(log));
    snprintf(args, sizeof args, "/nonexistent/set.h5 %s", bad);
    int rc = run(args, log);
    CHECK(rc != 0 && strstr(slurp(log), "archrepair corrupt:") && strchr(slurp(log), '\n') == strrchr(slurp(log), '\n'),
          "missing input: one line (%s)", slurp(log));
    snprintf(args, sizeof args, "%s %s --frost-dir /nonexistent/frost", in, bad);
    CHECK(run(args, log) != 0 && strstr(slurp(log), "/nonexistent/frost"), "bad frost dir: %s", slurp(log));
    CHECK(access(bad, F_OK) != 0, "no output after failures");
    CHECK(run("only-one-arg", log) == 2, "usage error status 2");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_corrupt_cli ARCHREPAIR\n");
        return 2;
    }
    BIN = argv[1];
    static char in[1024]; /* test_tmp's buffers rotate: keep a copy */
    snprintf(in, sizeof in, "%s", test_tmp("cx_in.h5"));
    if (make_input(in, 530)) TEST_MAIN_END();
    ar_err_t err = {0};
    ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, 32, 32, 3, &err);
    test_npy_dir(ctx, in);
    test_h5_threads(ctx, in);
    test_errors(in);
    ar_corrupt_ctx_destroy(&ctx);
    TEST_MAIN_END();
}
