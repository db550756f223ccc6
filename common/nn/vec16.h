/* vec16.h - the 16-float GCC vector types of the kernels written with
 * vector extensions (one AVX-512 register with -march=native, split into
 * smaller ones otherwise). Load and store them with memcpy; no function
 * takes or returns one by value (without AVX-512 that changes the ABI:
 * GCC's -Wpsabi). A comparison gives an ar_vi16 of 0 / -1 lanes, so
 * (ar_vf16)((ar_vi16)v & (m > 0.0f)) keeps v where m > 0 and gives +0
 * elsewhere (C has no vector ?:). */
#ifndef AR_NN_VEC16_H
#define AR_NN_VEC16_H

#include <stdint.h>

typedef float ar_vf16 __attribute__((vector_size(64)));
typedef int32_t ar_vi16 __attribute__((vector_size(64)));

#endif
