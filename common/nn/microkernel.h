/* microkernel.h - internal to the conv paths: register-blocked float kernels
 * written with GCC vector extensions (16-float vectors: one AVX-512
 * register with -march=native, split into smaller ones otherwise).
 *
 * Both read their B operand through an offset table, so the same kernels
 * serve "implicit GEMM" convolution: row k of B starts at b + off[k], and
 * the rows are shifted windows into one padded image buffer.
 */
#ifndef AR_NN_MICROKERNEL_H
#define AR_NN_MICROKERNEL_H

#include <stddef.h>
#include <stdint.h>

#define AR_MK_MR 8   /* rows of C per ar_mk_conv tile */
#define AR_MK_NR 48  /* columns of C per ar_mk_conv tile (3 vectors) */

/* Packs rows [m0, m0+AR_MK_MR) of a (M rows, element (m, k) at
 * a[m*rs + k*cs]) into ap[k*AR_MK_MR + r]; rows past M become 0. */
void ar_mk_pack_a(const float *a, size_t rs, size_t cs, int M, int m0, int K, float *ap);

/* C[r][p] = sum_k ap[k*MR + r] * b[off[k] + p] for r < mrows (<= MR) and
 * p < npos (a multiple of AR_MK_NR); C row r starts at c + r*ldc. */
void ar_mk_conv(const float *ap, int K, const int32_t *off, const float *b, size_t npos, float *c,
                size_t ldc, int mrows);

/* Weight-gradient kernel, outer-product form (no horizontal sums, no
 * unaligned vector loads): C[m*ldc + n] += sum_{p < len} at[p*ldt + m] *
 * b[off[n] + p] for m < M, n < N. at is a transposed operand whose row
 * stride ldt is a multiple of 16 and >= M rounded up to 16, columns past M
 * zero; at must be 64-byte aligned. */
void ar_mk_outer(const float *at, size_t ldt, int M, const float *b, const int32_t *off, int N,
                 size_t len, float *c, size_t ldc);

/* Weight-gradient kernel for 16 input channels held channel-last (one
 * vector per position): C[m*ldc + ci*T + t] += sum_{p < len} d[m*ldd + p] *
 * xcl[(p + shift[t])*16 + ci] for m < M, ci < 16, t < T. xcl must be
 * 64-byte aligned. Broadcasts dy (8 rows) against 3 taps per tile. */
void ar_mk_outer_cl16(const float *d, size_t ldd, int M, const float *xcl, const int32_t *shift,
                      int T, size_t len, float *c, size_t ldc);

/* Depthwise kernels (one channel): out[p] = sum_{t < T} w[t] * b[off[t] + p]
 * for p < npos, a multiple of 48. */
void ar_mk_shiftsum(const float *b, const int32_t *off, const float *w, int T, size_t npos,
                    float *out);
/* dw[t] += sum_{p < npos} g[p] * b[off[t] + p] for t < T; npos a multiple
 * of 16. */
void ar_mk_shiftdot(const float *g, const float *b, const int32_t *off, int T, size_t npos,
                    float *dw);

#endif
