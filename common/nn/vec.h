/* vec.h - the GCC vector types of the kernels written with vector
 * extensions: 16 floats (one AVX-512 register with -march=native, split
 * into smaller ones otherwise) and 8 floats. Load and store them with
 * memcpy; no function takes or returns one by value (without the matching
 * ISA that changes the ABI: GCC's -Wpsabi). A comparison gives an integer
 * vector of 0 / -1 lanes, so (ar_vf16)((ar_vi16)v & (m > 0.0f)) keeps v
 * where m > 0 and gives +0 elsewhere (C has no vector ?:);
 * __builtin_shufflevector (GCC 12+ and clang) permutes lanes. */
#ifndef AR_NN_VEC_H
#define AR_NN_VEC_H

#include <stdint.h>

typedef float ar_vf16 __attribute__((vector_size(64)));
typedef int32_t ar_vi16 __attribute__((vector_size(64)));
typedef float ar_vf8 __attribute__((vector_size(32)));
typedef int32_t ar_vi8 __attribute__((vector_size(32)));

#endif
