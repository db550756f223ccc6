/* fuzz_h5.c - libFuzzer targets for the HDF5 openers, one build per
 * FUZZ_H5_* define (tests/fuzz/CMakeLists.txt):
 *   fuzz_h5_dataset     the dataset reader (data/ds_h5.c): ar_dataset_open
 *                       of the clean set, a few images read;
 *   fuzz_h5_collection  the collection reader: ar_collection_probe and
 *                       ar_collection_describe, then severity 1 of each
 *                       corruption (at most 4) opened and read;
 *   fuzz_h5_model       the model reader (nn/model_io.c): ar_model_load.
 * Input: the whole file, written to tmpfs and opened by its path (the real
 * open path, sec2 driver). Every refusal must be a one-line error naming
 * the file.
 *
 * libhdf5 itself (1.10, not instrumented) is the limit of what these find:
 * a damaged metadata block can crash inside the library, below any check a
 * caller can make (tests/data/test_dataset_fuzz.c); docs/development.md
 * "Fuzzing" says how such a crash is told apart from one in our code.
 */
#include "fuzz_util.h"
#include "data/collection.h"
#include "nn/model_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fz_write("fuzz.h5", data, size, path, sizeof path);
#if defined(FUZZ_H5_DATASET)
    ar_data_source_t src = {.path = path};
    fz_open_and_read(&src, path);
#elif defined(FUZZ_H5_COLLECTION)
    ar_err_t e = {0};
    int is = ar_collection_probe(path);
    ar_collection_info_t c;
    if (ar_collection_describe(path, &c, &e)) {
        fz_check_refusal(&e, path);
        return 0;
    }
    if (!is || c.ncorruptions < 1 || c.count < 1 || c.severities < 1) abort();
    for (int i = 0; i < c.ncorruptions && i < 4; i++) {
        ar_data_source_t src = {.path = path, .corruption = c.corruptions[i], .severity = 1};
        fz_open_and_read(&src, path);
    }
    ar_collection_info_free(&c);
#elif defined(FUZZ_H5_MODEL)
    ar_err_t e = {0};
    ar_graph_t *g = ar_model_load(path, &e);
    if (!g) fz_check_refusal(&e, path);
    ar_graph_destroy(&g);
#else
#error "define FUZZ_H5_DATASET, FUZZ_H5_COLLECTION or FUZZ_H5_MODEL"
#endif
    return 0;
}
