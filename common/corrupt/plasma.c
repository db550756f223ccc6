/* plasma.c - diamond-square plasma fractal, as numpy code in make_cifar_c.py. */
#include "plasma.h"

int ar_plasma_side(int n)
{
    int s = 2;
    while (s < n) s *= 2;
    return s;
}

#define M(y, x) map[(long)(((y) % side + side) % side) * side + (((x) % side + side) % side)]

void ar_plasma(ar_rng_t *rng, double decay, int side, double *map)
{
    double wibble = 100.0;
    map[0] = 0.0;
    for (int step = side; step >= 2; step /= 2, wibble /= decay) {
        int h = step / 2;
        /* squares: centre (y+h, x+h) from the corners */
        for (int y = 0; y < side; y += step)
            for (int x = 0; x < side; x += step) {
                double s = M(y, x) + M(y + step, x) + M(y, x + step) + M(y + step, x + step);
                M(y + h, x + h) = s / 4 + wibble * ar_rng_range(rng, -wibble, wibble);
            }
        /* diamonds on the top edges (y, x+h): centres above and below, corners
         * left and right */
        for (int y = 0; y < side; y += step)
            for (int x = 0; x < side; x += step) {
                double s = M(y + h, x + h) + M(y - h, x + h) + M(y, x) + M(y, x + step);
                M(y, x + h) = s / 4 + wibble * ar_rng_range(rng, -wibble, wibble);
            }
        /* diamonds on the left edges (y+h, x): centres left and right, corners
         * above and below */
        for (int y = 0; y < side; y += step)
            for (int x = 0; x < side; x += step) {
                double s = M(y + h, x + h) + M(y + h, x - h) + M(y, x) + M(y + step, x);
                M(y + h, x) = s / 4 + wibble * ar_rng_range(rng, -wibble, wibble);
            }
    }
    long n = (long)side * side;
    double lo = map[0], hi = map[0];
    for (long i = 1; i < n; i++) {
        if (map[i] < lo) lo = map[i];
        if (map[i] > hi) hi = map[i];
    }
    double span = hi - lo > 0 ? hi - lo : 1.0;
    for (long i = 0; i < n; i++) map[i] = (map[i] - lo) / span;
}
