/* synth.h - synthetic "natural-looking" test images for the corruption tests,
 * benchmark and documentation sheets (CIFAR-10 is not available here).
 *
 * Each image (seeded by (seed, index)) is a scene: a sky (blue, overcast or
 * sunset) over ground (grass, soil or rock) with the horizon at a random
 * height, value-noise texture (4 octaves, strongest on the ground and on
 * objects), and 1-3 shaded elliptical objects of random colour with soft
 * edges lit from the top left, then a partial [1 2 1] blur and a little
 * sensor noise. Smooth regions, edges and
 * texture, like small photographs. One channel = the luma of the colour
 * image. Header-only; depends on core/rng only.
 */
#ifndef AR_TEST_SYNTH_H
#define AR_TEST_SYNTH_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/rng.h"

static double synth_lattice_(uint64_t key, int gx, int gy)
{
    uint64_t ids[2] = {(uint64_t)(uint32_t)gx, (uint64_t)(uint32_t)gy};
    ar_rng_t r;
    ar_rng_init(&r, ar_rng_key(key, ids, 2));
    return ar_rng_uniform(&r);
}

/* smooth value noise in [0,1] at (x, y) with cell size cell */
static double synth_noise_(uint64_t key, double x, double y, double cell)
{
    double fx = x / cell, fy = y / cell;
    int ix = (int)floor(fx), iy = (int)floor(fy);
    double tx = fx - ix, ty = fy - iy;
    tx = tx * tx * (3 - 2 * tx), ty = ty * ty * (3 - 2 * ty);
    double a = synth_lattice_(key, ix, iy), b = synth_lattice_(key, ix + 1, iy);
    double c = synth_lattice_(key, ix, iy + 1), d = synth_lattice_(key, ix + 1, iy + 1);
    return (1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * c + tx * d);
}

/* Writes one h x w x c (c = 1 or 3) image to out. */
static void synth_image(uint64_t seed, int64_t index, int h, int w, int c, uint8_t *out)
{
    uint64_t ids[1] = {(uint64_t)index};
    uint64_t key = ar_rng_key(seed, ids, 1);
    ar_rng_t r;
    ar_rng_init(&r, key);
    /* natural palettes: blue, overcast or sunset sky; green, brown or gray ground */
    static const double SKY[3][3] = {{.45, .62, .88}, {.72, .74, .78}, {.92, .66, .45}};
    static const double GROUND[3][3] = {{.30, .45, .18}, {.45, .35, .22}, {.42, .42, .40}};
    const double *sk = SKY[ar_rng_below(&r, 3)], *gr = GROUND[ar_rng_below(&r, 3)];
    double sky[3], ground[3], top[3];
    for (int k = 0; k < 3; k++) {
        sky[k] = sk[k] + ar_rng_range(&r, -0.08, 0.08);
        ground[k] = gr[k] + ar_rng_range(&r, -0.1, 0.1);
        top[k] = sky[k] * ar_rng_range(&r, 0.7, 0.95);
    }
    double horizon = ar_rng_range(&r, 0.3, 0.8) * h;
    int nobj = 1 + (int)ar_rng_below(&r, 3);
    double ocx[3], ocy[3], orx[3], ory[3], ocol[3][3];
    double s = (h < w ? h : w) / 32.0;
    for (int o = 0; o < nobj; o++) {
        ocx[o] = ar_rng_range(&r, 0.2, 0.8) * w, ocy[o] = ar_rng_range(&r, 0.25, 0.85) * h;
        orx[o] = ar_rng_range(&r, 3, 11) * s, ory[o] = ar_rng_range(&r, 3, 11) * s;
        double m = 0;
        for (int k = 0; k < 3; k++) m += (ocol[o][k] = ar_rng_range(&r, 0.05, 1.0)) / 3;
        for (int k = 0; k < 3; k++) ocol[o][k] = 0.6 * ocol[o][k] + 0.4 * m; /* less garish */
    }
    double *img = malloc(sizeof(double) * (size_t)h * w * 3);
    double *blr = malloc(sizeof(double) * (size_t)h * w * 3);
    if (!img || !blr) {
        free(img), free(blr);
        return;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double tex = 0.4 * synth_noise_(key ^ 1, x, y, 8 * s) + 0.3 * synth_noise_(key ^ 2, x, y, 4 * s) +
                         0.2 * synth_noise_(key ^ 3, x, y, 2 * s) + 0.1 * synth_noise_(key ^ 4, x, y, 1.2 * s) - 0.5;
            double t = (y - horizon) / (0.08 * h);
            double g = 1.0 / (1.0 + exp(-t)); /* 0 sky, 1 ground */
            double px[3];
            for (int k = 0; k < 3; k++) {
                double skyc = top[k] + (sky[k] - top[k]) * (double)y / h;
                px[k] = (1 - g) * (skyc + 0.08 * tex) + g * ground[k] * (1 + 1.2 * tex);
            }
            for (int o = 0; o < nobj; o++) {
                double dx = (x - ocx[o]) / orx[o], dy = (y - ocy[o]) / ory[o];
                double d = sqrt(dx * dx + dy * dy);
                double a = 1.0 - (d - 1.0) * (orx[o] < ory[o] ? orx[o] : ory[o]); /* ~1px edge */
                a = a < 0 ? 0 : a > 1 ? 1 : a;
                double shade = 0.75 + 0.35 * (-dx - dy) / 2.0 + 0.5 * tex;
                for (int k = 0; k < 3; k++) px[k] = (1 - a) * px[k] + a * ocol[o][k] * shade;
            }
            for (int k = 0; k < 3; k++) img[((long)y * w + x) * 3 + k] = px[k];
        }
    /* light 3x3 blur [1 2 1]/4 separable, replicate border */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < 3; k++) {
                double acc = 0;
                for (int a = -1; a <= 1; a++)
                    for (int b = -1; b <= 1; b++) {
                        int yy = y + a < 0 ? 0 : y + a >= h ? h - 1 : y + a;
                        int xx = x + b < 0 ? 0 : x + b >= w ? w - 1 : x + b;
                        acc += (a ? 1 : 2) * (b ? 1 : 2) * img[((long)yy * w + xx) * 3 + k];
                    }
                blr[((long)y * w + x) * 3 + k] = 0.6 * acc / 16.0 + 0.4 * img[((long)y * w + x) * 3 + k] +
                                                 0.008 * ar_rng_normal(&r);
            }
    for (int i = 0; i < h * w; i++) {
        double *p = blr + 3L * i;
        if (c == 3) {
            for (int k = 0; k < 3; k++) {
                double v = p[k] < 0 ? 0 : p[k] > 1 ? 1 : p[k];
                out[3L * i + k] = (uint8_t)(v * 255 + 0.5);
            }
        } else {
            double v = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            out[i] = (uint8_t)(v * 255 + 0.5);
        }
    }
    free(img), free(blr);
}

#endif
