/* fuzz_npy.c - libFuzzer target for the .npy header parser and the .npy
 * collection reader (io/npy.c, data/ds_npy.c).
 *
 * Input: two files, split as fuzz_util.h says: fog.npy (images) and
 * labels.npy, written into one directory. The images file is opened with
 * ar_npy_open and a few rows read; then the directory is described as a
 * corruption collection and its set fog/<severity> opened and read (the
 * severity is the last input byte, 1..5). Every refusal must be a one-line
 * error naming the file; never a crash, leak or sanitizer report.
 */
#include "fuzz_util.h"
#include "data/collection.h"
#include "io/npy.h"

static void open_rows(const char *path)
{
    ar_err_t e = {0};
    ar_npy_t *npy = ar_npy_open(path, &e);
    if (!npy) {
        fz_check_refusal(&e, path);
        return;
    }
    int64_t rows = npy->ndim ? npy->shape[0] : 1;
    int64_t n = rows < 2 ? rows : 2;
    if (n > 0 && npy->row_bytes <= 4096) {
        uint8_t buf[8192];
        int s = ar_npy_read_rows(npy, 0, n, buf, &e);
        size_t es = ar_npy_dtype_size(npy->dtype);
        int64_t vals[8192];
        if (!s && ar_npy_dtype_is_int(npy->dtype) && n * npy->row_bytes / (int64_t)es <= 8192)
            s = ar_npy_read_ints(npy, 0, n, vals, &e);
        if (s) fz_check_refusal(&e, path);
    }
    ar_npy_close(&npy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t na, nb;
    fz_split(data, size, &a, &na, &b, &nb);
    char ipath[512], lpath[512];
    fz_write("fog.npy", a, na, ipath, sizeof ipath);
    fz_write("labels.npy", b, nb, lpath, sizeof lpath);
    open_rows(ipath);
    open_rows(lpath);

    ar_collection_info_t c;
    ar_err_t e = {0};
    if (ar_collection_describe(fz_dir(), &c, &e) == AR_OK) {
        if (c.ncorruptions != 1 || strcmp(c.corruptions[0], "fog") || c.count < 1 || c.severities != 5) abort();
        ar_collection_info_free(&c);
    } else if (!strstr(ar_err_msg(&e), "npy")) {
        abort(); /* names fog.npy or labels.npy */
    }
    ar_data_source_t src = {.path = fz_dir(), .corruption = "fog", .severity = size ? 1 + data[size - 1] % 5 : 1};
    fz_open_and_read(&src, ".npy"); /* names fog.npy or labels.npy */
    return 0;
}
