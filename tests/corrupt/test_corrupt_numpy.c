/* test_corrupt_numpy.c - against make_cifar_c.py's own numpy code, copied
 * in numpy_ref.py and fed the same random draws: the plasma fractal (fog)
 * and glass_blur's pixel loop (severity 1, where the blur is the identity:
 * checks the scan order and numpy's copy-not-swap). Skipped when
 * /usr/bin/python3 has no numpy. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/rng.h"
#include "corrupt/corrupt.h"
#include "corrupt/plasma.h"
#include "synth.h"

int main(void)
{
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        printf("numpy not available: skipped\n");
        TEST_MAIN_END();
    }
    const int sides[3] = {32, 64, 8};
    const double decays[3] = {3, 1.75, 2.5};
    for (int t = 0; t < 3; t++) {
        int side = sides[t];
        double *map = malloc(sizeof(double) * side * side);
        ar_rng_t a, b;
        ar_rng_init(&a, 1000 + t);
        ar_rng_init(&b, 1000 + t);
        ar_plasma(&a, decays[t], side, map);
        /* the same stream, as plain uniforms: one per filled cell */
        int ndraw = side * side - 1;
        double *u = malloc(sizeof(double) * ndraw);
        for (int i = 0; i < ndraw; i++) u[i] = ar_rng_uniform(&b);
        CHECK(ar_rng_u64(&a) == ar_rng_u64(&b), "side %d: C used exactly %d draws", side, ndraw);
        char dp[1100], mp[1100], cmd[4096];
        snprintf(dp, sizeof dp, "%s", test_tmp("plasma_draws.bin"));
        snprintf(mp, sizeof mp, "%s", test_tmp("plasma_map.bin"));
        FILE *f = fopen(dp, "wb"), *g = fopen(mp, "wb");
        CHECK(f && g, "temp files");
        if (f) fwrite(u, sizeof(double), (size_t)ndraw, f), fclose(f);
        if (g) fwrite(map, sizeof(double), (size_t)side * side, g), fclose(g);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/corrupt/numpy_ref.py plasma %s %s %d %g",
                 test_source_dir(), dp, mp, side, decays[t]);
        CHECK(system(cmd) == 0, "side %d decay %g: C plasma = numpy plasma_fractal", side, decays[t]);
        remove(dp), remove(mp);
        free(map), free(u);
    }
    /* glass_blur severity 1 on a colour and a gray image */
    const int shapes[2][3] = {{32, 32, 3}, {28, 28, 1}};
    for (int t = 0; t < 2; t++) {
        int h = shapes[t][0], w = shapes[t][1], c = shapes[t][2], n = h * w * c;
        uint8_t *in = malloc((size_t)n), *out = malloc((size_t)n);
        synth_image(8, t, h, w, c, in);
        ar_err_t err = {0};
        ar_corrupt_ctx_t *ctx = ar_corrupt_ctx_new(NULL, h, w, c, &err);
        CHECK_OK(ar_corrupt_image(ctx, AR_CORRUPT_GLASS_BLUR, 1, 3, 17, in, out, h, w, c, &err), &err);
        ar_corrupt_ctx_destroy(&ctx);
        /* the draws: randint(-1, 1) twice per pixel, dx then dy */
        ar_rng_t r;
        ar_rng_init(&r, ar_corrupt_key(3, AR_CORRUPT_GLASS_BLUR, 1, 17));
        int nd = 2 * (h - 2) * (w - 2);
        int64_t *d = malloc(sizeof(int64_t) * nd);
        for (int i = 0; i < nd; i++) d[i] = (int64_t)ar_rng_below(&r, 2) - 1;
        char ip[1100], op[1100], dp[1100], cmd[4096];
        snprintf(ip, sizeof ip, "%s", test_tmp("glass_in.bin"));
        snprintf(op, sizeof op, "%s", test_tmp("glass_out.bin"));
        snprintf(dp, sizeof dp, "%s", test_tmp("glass_draws.bin"));
        FILE *f1 = fopen(ip, "wb"), *f2 = fopen(op, "wb"), *f3 = fopen(dp, "wb");
        CHECK(f1 && f2 && f3, "temp files");
        if (f1) fwrite(in, 1, (size_t)n, f1), fclose(f1);
        if (f2) fwrite(out, 1, (size_t)n, f2), fclose(f2);
        if (f3) fwrite(d, sizeof(int64_t), (size_t)nd, f3), fclose(f3);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/corrupt/numpy_ref.py glass %s %s %s %d %d %d",
                 test_source_dir(), ip, op, dp, h, w, c);
        CHECK(system(cmd) == 0, "glass_blur s1 %dx%dx%d = make_cifar_c.py's loop", h, w, c);
        remove(ip), remove(op), remove(dp);
        free(in), free(out), free(d);
    }
    TEST_MAIN_END();
}
