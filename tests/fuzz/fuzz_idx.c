/* fuzz_idx.c - libFuzzer target for the IDX reader (io/idx.c,
 * data/ds_idx.c), plain or gzipped.
 *
 * Input: two files, split as fuzz_util.h says: the images and the labels
 * file of an MNIST-style pair. Built twice: fuzz_idx writes the bytes as
 * they are (plain IDX, or any gzip stream the input holds, damaged ones
 * included), fuzz_idx_gz (FUZZ_IDX_GZIP) gzips each part first, so the
 * mutations reach the IDX parser behind zlib. Each file is loaded alone
 * with ar_idx_load, then the pair is opened as a dataset and read. Every
 * refusal must be a one-line error naming the file.
 */
#include <zlib.h>

#include "fuzz_util.h"
#include "io/idx.h"

#ifdef FUZZ_IDX_GZIP
#define SUFFIX ".gz"
static void put(const char *name, const uint8_t *d, size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", fz_dir(), name);
    gzFile gz = gzopen(path, "wb1");
    if (!gz || (n && gzwrite(gz, d, (unsigned)n) != (int)n) || gzclose(gz) != Z_OK) abort();
}
#else
#define SUFFIX ""
#define put fz_write
#endif

static void load(const char *path)
{
    ar_idx_t idx;
    ar_err_t e = {0};
    if (ar_idx_load(path, &idx, &e)) {
        fz_check_refusal(&e, path);
        return;
    }
    int64_t n = 1;
    for (int i = 0; i < idx.ndim; i++) n *= idx.dims[i];
    if (idx.ndim < 1 || idx.ndim > AR_IDX_MAXDIM || n != idx.nbytes || !idx.data) abort();
    if (idx.nbytes) (void)*(volatile uint8_t *)&idx.data[idx.nbytes - 1];
    ar_idx_free(&idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t na, nb;
    fz_split(data, size, &a, &na, &b, &nb);
    char ipath[512], lpath[512];
    put("t10k-images-idx3-ubyte" SUFFIX, a, na, ipath, sizeof ipath);
    put("t10k-labels-idx1-ubyte" SUFFIX, b, nb, lpath, sizeof lpath);
    load(ipath);
    load(lpath);
    ar_data_source_t src = {.path = ipath};
    fz_open_and_read(&src, "-idx"); /* names the images or the labels file */
    return 0;
}
