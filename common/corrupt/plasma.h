/* plasma.h - make_cifar_c.py's plasma_fractal: diamond-square on a torus. */
#ifndef AR_CORRUPT_PLASMA_H
#define AR_CORRUPT_PLASMA_H

#include "core/rng.h"

/* Smallest power of two >= n. */
int ar_plasma_side(int n);

/* Fills map (side x side, side a power of two >= 2) with a plasma fractal:
 * map[0][0] = 0, wibble = 100; while step >= 2: square step (cell centres =
 * mean of the 4 corners + wibble * U(-wibble, wibble)), diamond steps (edge
 * midpoints, top edges then left edges, each the mean of two centres and two
 * corners + noise), step /= 2, wibble /= decay. Noise is drawn row-major per
 * step. Finally normalised to [0, 1]. */
void ar_plasma(ar_rng_t *rng, double decay, int side, double *map);

#endif
