/* fuzz_util.h - what the file-reader fuzz targets share: the fuzz input
 * written to files in a private directory on a memory-backed filesystem
 * (/dev/shm when there is one), split into two files where a format needs
 * a pair, and the check that a refused input got a proper error.
 *
 * Readers take paths (HDF5 too: the real open path is what is fuzzed), so
 * every target writes its input to files first; on tmpfs that costs a few
 * microseconds per run.
 */
#ifndef AR_TESTS_FUZZ_UTIL_H
#define AR_TESTS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "data/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_root[256];

static inline void fz_cleanup(void)
{
    if (!fz_root[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_root);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: cannot remove %s\n", fz_root);
}

/* The private directory (created on first use, removed at exit). */
static inline const char *fz_dir(void)
{
    if (fz_root[0]) return fz_root;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fz_root, sizeof fz_root, "%s/arfuzz.XXXXXX", base);
    if (!mkdtemp(fz_root)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fz_cleanup);
    return fz_root;
}

/* Writes n bytes to <dir>/<name>; the full path into path (cap bytes). */
static inline void fz_write(const char *name, const void *d, size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", fz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Splits the input into two parts: the first two bytes (little endian)
 * give the first part's length, clamped to what is there. */
static inline void fz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *na, const uint8_t **b,
                     size_t *nb)
{
    size_t k = size >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;
    data += size >= 2 ? 2 : size;
    size -= size >= 2 ? 2 : size;
    if (k > size) k = size;
    *a = data;
    *na = k;
    *b = data + k;
    *nb = size - k;
}

/* A refused input: the status is an error and the message is one line
 * that names the file (the readers' contract, tests/data/test_dataset_fuzz.c):
 * holds file's base name. */
static inline void fz_check_refusal(const ar_err_t *e, const char *file)
{
    const char *msg = ar_err_msg(e);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (e->status == AR_OK || strchr(msg, '\n') || !strstr(msg, base)) {
        fprintf(stderr, "fuzz: bad refusal (status %d) for %s: '%s'\n", e->status, file, msg);
        abort();
    }
}

/* Opens src and reads a bounded part of it (the first images and the last
 * one: a hostile header may declare far more images than the file holds,
 * and reading a set in full is not what is fuzzed). Labels read must be in
 * range. A refusal, at open or read, must name `file`. */
static inline void fz_open_and_read(const ar_data_source_t *src, const char *file)
{
    ar_err_t e = {0};
    ar_dataset_t *ds = ar_dataset_open(src, &e);
    if (!ds) {
        fz_check_refusal(&e, file);
        return;
    }
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    if (in->count < 0 || in->height < 1 || in->width < 1 || in->channels < 1 || in->num_classes < 1) abort();
    int64_t img = (int64_t)in->height * in->width * in->channels;
    int64_t n = in->count < 4 ? in->count : 4;
    uint8_t *px = malloc((size_t)(n * img) + 1);
    int32_t lab[4];
    if (!px) abort();
    int st = ar_dataset_read_u8(ds, 0, n, px, lab, &e);
    for (int64_t i = 0; st == AR_OK && i < n; i++)
        if (lab[i] < 0 || lab[i] >= in->num_classes) abort();
    if (st == AR_OK && in->count > n) st = ar_dataset_read_u8(ds, in->count - 1, 1, px, lab, &e);
    if (st != AR_OK) fz_check_refusal(&e, file);
    free(px);
    ar_dataset_destroy(&ds);
}

#endif
