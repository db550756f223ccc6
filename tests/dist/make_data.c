/* make_data.c - writes a random HDF5 dataset (/images uint8 [N, H, W, C],
 * /labels int64 [N] in 0..9, every class present) without Python, for the
 * scaling benchmark on machines that only have the build:
 *   make_data OUT.h5 N H W C SEED */
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "io/h5.h"

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: make_data OUT.h5 N H W C SEED\n");
        return 2;
    }
    int64_t n = atoll(argv[2]), h = atoll(argv[3]), w = atoll(argv[4]), c = atoll(argv[5]);
    ar_rng_t r;
    ar_rng_init(&r, strtoull(argv[6], NULL, 10));
    size_t img = (size_t)(h * w * c);
    uint8_t *px = malloc((size_t)n * img);
    int64_t *lab = malloc((size_t)n * sizeof *lab);
    if (!px || !lab) return 1;
    for (int64_t i = 0; i < n; i++) {
        lab[i] = i < 10 ? i : (int64_t)ar_rng_below(&r, 10);
        for (size_t j = 0; j < img; j++) px[(size_t)i * img + j] = (uint8_t)ar_rng_below(&r, 256);
    }
    ar_err_t err = {0};
    int64_t dims[4] = {n, h, w, c};
    ar_h5_t *f = ar_h5_create(argv[1], &err);
    int s = f ? AR_OK : err.status;
    if (!s) s = ar_h5_write(f, "/images", AR_DT_U8, 4, dims, px, 0, &err);
    if (!s) s = ar_h5_write(f, "/labels", AR_DT_I64, 1, dims, lab, 0, &err);
    if (!s) s = ar_h5_commit(&f, &err);
    ar_h5_destroy(&f);
    free(px);
    free(lab);
    if (s) fprintf(stderr, "make_data: %s\n", ar_err_msg(&err));
    return s ? 1 : 0;
}
