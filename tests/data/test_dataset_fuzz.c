/* test_dataset_fuzz.c - damaged inputs never crash a reader: every format's
 * files truncated at many lengths and (except HDF5, see below) with random
 * bytes flipped (seeded), then opened and read in full. Each outcome must be
 * either a clean success or an error whose one-line message names the
 * damaged file. Run under ASan/UBSan in CI, this is the readers' fault test. */
#include <stdint.h>

#include "check.h"
#include "core/fsutil.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "io/h5.h"
#include "io/idx.h"
#include "io/npy.h"
#include "test_util.h"

static int n_ok, n_err;

/* Opens src and reads everything; checks the outcome as above. */
static void open_and_read(const ar_data_source_t *src, const char *damaged)
{
    ar_err_t e = {0};
    ar_dataset_t *ds = ar_dataset_open(src, &e);
    if (ds) {
        const ar_dataset_info_t *in = ar_dataset_info(ds);
        int64_t img = (int64_t)in->height * in->width * in->channels;
        uint8_t *px = malloc((size_t)(in->count * img) + 1);
        int32_t *lab = malloc((size_t)in->count * sizeof *lab + 1);
        int st = px && lab ? ar_dataset_read_u8(ds, 0, in->count, px, lab, &e) : AR_E_NOMEM;
        for (int64_t i = 0; st == AR_OK && i < in->count; i++)
            CHECK(lab[i] >= 0 && lab[i] < in->num_classes, "label in range after a successful read");
        free(px);
        free(lab);
        ar_dataset_destroy(&ds);
        if (st == AR_OK) {
            n_ok++;
            return;
        }
    }
    n_err++;
    const char *base = strrchr(damaged, '/');
    base = base ? base + 1 : damaged;
    const char *msg = ar_err_msg(&e);
    CHECK(e.status != AR_OK && strlen(msg) > 10 && !strchr(msg, '\n'), "one-line error: '%s'", msg);
    CHECK(strstr(msg, base) != NULL, "error names %s: '%s'", base, msg);
}

static long file_len(const char *p) { return (long)ar_file_size(p); }

/* Truncations of `victim` at lengths 0, step, 2*step, ... < size, restoring
 * the original after each; then `flips` rounds of 1-4 random byte changes. */
static void torture(const ar_data_source_t *src, const char *victim, long step, int flips, uint64_t seed)
{
    char orig[1024];
    snprintf(orig, sizeof orig, "%s.orig", victim);
    CHECK(tu_truncate_copy(victim, orig, 1L << 30) == 0, "backup %s", victim);
    long size = file_len(orig);
    for (long k = 0; k < size; k += step) {
        tu_truncate_copy(orig, victim, k);
        open_and_read(src, victim);
    }
    FILE *f = fopen(orig, "rb");
    unsigned char *buf = malloc((size_t)size), *mut = malloc((size_t)size);
    CHECK(f && fread(buf, 1, (size_t)size, f) == (size_t)size, "read %s", orig);
    if (f) fclose(f);
    ar_rng_t r;
    ar_rng_init(&r, seed);
    for (int i = 0; i < flips; i++) {
        memcpy(mut, buf, (size_t)size);
        int nb = 1 + (int)ar_rng_below(&r, 4);
        for (int b = 0; b < nb; b++) {
            /* bias the damage towards headers, where the parsing happens */
            long pos = ar_rng_below(&r, 2) ? (long)ar_rng_below(&r, (uint64_t)(size < 256 ? size : 256))
                                           : (long)ar_rng_below(&r, (uint64_t)size);
            mut[pos] = (unsigned char)ar_rng_u64(&r);
        }
        tu_write(victim, mut, (size_t)size);
        open_and_read(src, victim);
    }
    tu_write(victim, buf, (size_t)size); /* restored: must open again */
    ar_err_t e = {0};
    ar_dataset_t *ds = ar_dataset_open(src, &e);
    CHECK(ds != NULL, "restored %s opens: %s", victim, ar_err_msg(&e));
    ar_dataset_destroy(&ds);
    free(buf);
    free(mut);
    remove(orig);
}

static void fill(uint8_t *p, size_t n, int salt)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 37 + (size_t)salt);
}

int main(void)
{
    ar_err_t e = {0};
    const char *dir = test_tmp("fuzz");
    tu_rmdir(dir);
    tu_mkdir(dir);
    char a[1024], b[1024];
    uint8_t px[10 * 4 * 4 * 3], lab[10];
    fill(px, sizeof px, 1);
    for (int i = 0; i < 10; i++) lab[i] = (uint8_t)(i % 10);

    /* IDX, plain and gzipped */
    int64_t d3[3] = {10, 4, 4}, d1 = 10;
    for (int gz = 0; gz < 2; gz++) {
        snprintf(a, sizeof a, "%s/t10k-images-idx3-ubyte%s", dir, gz ? ".gz" : "");
        snprintf(b, sizeof b, "%s/t10k-labels-idx1-ubyte%s", dir, gz ? ".gz" : "");
        CHECK_OK(ar_idx_write(a, 3, d3, px, gz, &e), &e);
        CHECK_OK(ar_idx_write(b, 1, &d1, lab, gz, &e), &e);
        ar_data_source_t src = {.path = a};
        torture(&src, a, 1, 300, 1 + (uint64_t)gz);
        torture(&src, b, 1, 100, 3 + (uint64_t)gz);
        remove(a);
        remove(b);
    }

    /* CIFAR-10 binary: 3 records */
    uint8_t rec[3 * 3073];
    fill(rec, sizeof rec, 5);
    for (int i = 0; i < 3; i++) rec[i * 3073] = (uint8_t)(i + 2);
    snprintf(a, sizeof a, "%s/test_batch.bin", dir);
    tu_write(a, rec, sizeof rec);
    ar_data_source_t cs = {.path = a};
    torture(&cs, a, 97, 300, 7);

    /* .npy collection */
    char nd[900];
    snprintf(nd, sizeof nd, "%s/npy", dir);
    tu_mkdir(nd);
    int64_t shape[4] = {10, 4, 4, 3};
    snprintf(a, sizeof a, "%s/fog.npy", nd);
    snprintf(b, sizeof b, "%s/labels.npy", nd);
    CHECK_OK(ar_npy_write(a, AR_NPY_U8, 4, shape, px, &e), &e);
    int64_t l64[10];
    for (int i = 0; i < 10; i++) l64[i] = lab[i];
    CHECK_OK(ar_npy_write(b, AR_NPY_I64, 1, &d1, l64, &e), &e);
    ar_data_source_t ns = {.path = nd, .corruption = "fog", .severity = 2};
    torture(&ns, a, 5, 400, 11);
    torture(&ns, b, 3, 200, 13);

    /* HDF5: truncations only. Random byte flips in HDF5 metadata can crash
     * libhdf5 1.10 itself (seen in H5HG_read on vlen strings and in
     * H5Dread's chunk copy), which no caller can guard against; a file cut
     * short (the common damage: an interrupted copy) is reported cleanly. */
    snprintf(a, sizeof a, "%s/ds.h5", dir);
    ar_h5_t *h = ar_h5_create(a, &e);
    int64_t d4[4] = {10, 4, 4, 3};
    CHECK_OK(ar_h5_write(h, "/images", AR_DT_U8, 4, d4, px, 4, &e), &e);
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I64, 1, &d1, l64, 0, &e), &e);
    const char *cls[10] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    CHECK_OK(ar_h5_attr_write_strs(h, "/", "classes", cls, 10, &e), &e);
    CHECK_OK(ar_h5_attr_write_str(h, "/", "name", "fuzz", &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    ar_data_source_t hs = {.path = a};
    torture(&hs, a, 47, 0, 17);

    printf("damaged inputs: %d read cleanly, %d rejected with a message\n", n_ok, n_err);
    CHECK(n_err > 800, "most damage is detected (%d)", n_err);
    tu_rmdir(dir);
    TEST_MAIN_END();
}
