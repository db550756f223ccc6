/* corrupt_synth_set.c - writes the synthetic colour test set of synth.h as an
 * HDF5 dataset (/images uint8 [N, H, W, 3], /labels = index % 10), used for
 * docs/corruptions-color32.png and by hand:
 *   corrupt_synth_set OUT.h5 [N] [SIZE] [SEED]   (defaults 16, 32, 2024) */
#include <stdio.h>
#include <stdlib.h>

#include "io/h5.h"
#include "synth.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: corrupt_synth_set OUT.h5 [N] [SIZE] [SEED]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 16, size = argc > 3 ? atoi(argv[3]) : 32;
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 2024;
    if (n < 1 || size < 8 || size > 1024) return 2;
    size_t img = (size_t)size * size * 3;
    uint8_t *px = malloc(img * n);
    int32_t *lab = malloc(sizeof(int32_t) * n);
    if (!px || !lab) return 1;
    for (int i = 0; i < n; i++) {
        synth_image(seed, i, size, size, 3, px + img * i);
        lab[i] = i % 10;
    }
    ar_err_t err = {0};
    ar_h5_t *h = ar_h5_create(argv[1], &err);
    int64_t d[4] = {n, size, size, 3}, dl[1] = {n};
    if (!h || ar_h5_write(h, "/images", AR_DT_U8, 4, d, px, 0, &err) ||
        ar_h5_write(h, "/labels", AR_DT_I32, 1, dl, lab, 0, &err) ||
        ar_h5_attr_write_str(h, "/", "name", "synthetic-color (tests/corrupt/synth.h)", &err) ||
        ar_h5_commit(&h, &err)) {
        fprintf(stderr, "corrupt_synth_set: %s\n", err.msg);
        ar_h5_destroy(&h);
        return 1;
    }
    free(px), free(lab);
    return 0;
}
