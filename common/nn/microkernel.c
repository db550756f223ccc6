/* microkernel.c - the two register-blocked kernels of microkernel.h.
 * Tiles are fixed-size so GCC unrolls them and keeps accumulators in
 * registers; edges are handled by zero-padded packing (ar_mk_conv) or by
 * clamping rows and dropping their results (ar_mk_outer), never by branches
 * in the inner loop. */
#include "nn/microkernel.h"

#include <string.h>

#include "nn/dispatch.h"
#include "nn/vec.h"

typedef ar_vf16 v16;

/* acc += a * b, fused where the target has FMA: with the AVX-512 intrinsic
 * when the whole file targets it (-march=native), else by contraction
 * (CMakeLists.txt compiles this file with -ffp-contract=fast, as ISO C mode
 * turns GCC's automatic contraction off), so the x86-64-v3 and v4 clones of
 * the AR_KERNEL functions fuse too and every path rounds the same way. The
 * only other float operations here are additions, which contraction leaves
 * alone. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define VFMA(acc, a, b) ((acc) = _mm512_fmadd_ps((a), (b), (acc)))
#define VSET1(x) _mm512_set1_ps(x)
#else
#define VFMA(acc, a, b) ((acc) += (a) * (b))
#define VSET1(x) ((v16){0} + (x))
#endif

static inline void v16_load(v16 *v, const float *p) { memcpy(v, p, sizeof *v); }

#define NV (AR_MK_NR / 16)

void ar_mk_pack_a(const float *a, size_t rs, size_t cs, int M, int m0, int K, float *ap)
{
    for (int k = 0; k < K; k++)
        for (int r = 0; r < AR_MK_MR; r++)
            ap[(size_t)k * AR_MK_MR + r] = m0 + r < M ? a[(size_t)(m0 + r) * rs + (size_t)k * cs] : 0.0f;
}

AR_KERNEL
void ar_mk_conv(const float *ap, int K, const int32_t *off, const float *b, size_t npos, float *c,
                size_t ldc, int mrows)
{
    for (size_t p0 = 0; p0 < npos; p0 += AR_MK_NR) {
        v16 acc[AR_MK_MR][NV];
        for (int r = 0; r < AR_MK_MR; r++)
            for (int q = 0; q < NV; q++)
                acc[r][q] = VSET1(0.0f);
        const float *bp = b + p0;
        for (int k = 0; k < K; k++) {
            v16 bv[NV];
            for (int q = 0; q < NV; q++)
                v16_load(&bv[q], bp + off[k] + 16 * q);
            const float *a = ap + (size_t)k * AR_MK_MR;
            for (int r = 0; r < AR_MK_MR; r++) {
                const v16 av = VSET1(a[r]);
                for (int q = 0; q < NV; q++)
                    VFMA(acc[r][q], av, bv[q]);
            }
        }
        for (int r = 0; r < mrows; r++)
            memcpy(c + (size_t)r * ldc + p0, acc[r], sizeof acc[r]);
    }
}

/* One ar_mk_outer pass over m-vectors [m0, m0+16*CV) and rows n of b in
 * tiles of KR; CV and KR are literals at every call so GCC specialises. */
static inline __attribute__((always_inline)) void outer_tiles(const float *at, size_t ldt, int M,
                                                              int m0, const float *b,
                                                              const int32_t *off, int N,
                                                              size_t len, float *c, size_t ldc,
                                                              const int CV, const int KR)
{
    for (int n0 = 0; n0 < N; n0 += KR) {
        const float *br[24];
        for (int r = 0; r < KR; r++)
            br[r] = b + off[n0 + r < N ? n0 + r : N - 1];
        v16 acc[24][4];
        for (int r = 0; r < KR; r++)
            for (int q = 0; q < CV; q++)
                acc[r][q] = VSET1(0.0f);
        const float *ap = at + m0;
        for (size_t p = 0; p < len; p++, ap += ldt) {
            v16 av[4];
            for (int q = 0; q < CV; q++)
                v16_load(&av[q], ap + 16 * q);
            for (int r = 0; r < KR; r++) {
                const v16 bv = VSET1(br[r][p]);
                for (int q = 0; q < CV; q++)
                    VFMA(acc[r][q], av[q], bv);
            }
        }
        for (int r = 0; r < KR && n0 + r < N; r++)
            for (int q = 0; q < CV; q++)
                for (int l = 0; l < 16 && m0 + 16 * q + l < M; l++)
                    c[(size_t)(m0 + 16 * q + l) * ldc + n0 + r] += acc[r][q][l];
    }
}

AR_KERNEL
void ar_mk_outer(const float *at, size_t ldt, int M, const float *b, const int32_t *off, int N,
                 size_t len, float *c, size_t ldc)
{
    const int mv = (M + 15) / 16; /* vectors of m */
    int m0 = 0;
    for (int v = 0; v < mv;) {
        const int left = mv - v;
        if (left >= 4) {
            outer_tiles(at, ldt, M, m0, b, off, N, len, c, ldc, 4, 6);
            v += 4, m0 += 64;
        } else if (left == 3) {
            outer_tiles(at, ldt, M, m0, b, off, N, len, c, ldc, 3, 8);
            v += 3, m0 += 48;
        } else if (left == 2) {
            outer_tiles(at, ldt, M, m0, b, off, N, len, c, ldc, 2, 12);
            v += 2, m0 += 32;
        } else {
            outer_tiles(at, ldt, M, m0, b, off, N, len, c, ldc, 1, 24);
            v += 1, m0 += 16;
        }
    }
}

/* ar_mk_shiftsum over one block of NVS vectors at p0. */
static inline __attribute__((always_inline)) void shiftsum_block(const float *b,
                                                                 const int32_t *off,
                                                                 const float *w, int T,
                                                                 size_t p0, float *out,
                                                                 const int NVS)
{
    v16 acc[6];
    for (int q = 0; q < NVS; q++)
        acc[q] = VSET1(0.0f);
    for (int t = 0; t < T; t++) {
        const float *s = b + off[t] + p0;
        const v16 wv = VSET1(w[t]);
        for (int q = 0; q < NVS; q++) {
            v16 x;
            v16_load(&x, s + 16 * q);
            VFMA(acc[q], wv, x);
        }
    }
    memcpy(out + p0, acc, (size_t)NVS * sizeof(v16));
}

AR_KERNEL
void ar_mk_shiftsum(const float *b, const int32_t *off, const float *w, int T, size_t npos,
                    float *out)
{
    size_t p0 = 0;
    for (; p0 + 96 <= npos; p0 += 96)
        shiftsum_block(b, off, w, T, p0, out, 6);
    for (; p0 < npos; p0 += 48)
        shiftsum_block(b, off, w, T, p0, out, 3);
}

AR_KERNEL
void ar_mk_shiftdot(const float *g, const float *b, const int32_t *off, int T, size_t npos,
                    float *dw)
{
    for (int t = 0; t < T; t++) {
        const float *s = b + off[t];
        v16 acc[4];
        for (int q = 0; q < 4; q++)
            acc[q] = VSET1(0.0f);
        size_t p = 0;
        for (; p + 64 <= npos; p += 64)
            for (int q = 0; q < 4; q++) {
                v16 x, y;
                v16_load(&x, g + p + 16 * q);
                v16_load(&y, s + p + 16 * q);
                VFMA(acc[q], x, y);
            }
        for (; p < npos; p += 16) {
            v16 x, y;
            v16_load(&x, g + p);
            v16_load(&y, s + p);
            VFMA(acc[0], x, y);
        }
        float sum = 0.0f;
        for (int q = 0; q < 4; q++)
            for (int l = 0; l < 16; l++)
                sum += acc[q][l];
        dw[t] += sum;
    }
}

#define CLM 8 /* ar_mk_outer_cl16 tile: CLM dy rows x CLT taps */
#define CLT 3

AR_KERNEL
void ar_mk_outer_cl16(const float *d, size_t ldd, int M, const float *xcl, const int32_t *shift,
                      int T, size_t len, float *c, size_t ldc)
{
    for (int m0 = 0; m0 < M; m0 += CLM) {
        const float *dr[CLM];
        for (int i = 0; i < CLM; i++)
            dr[i] = d + (size_t)(m0 + i < M ? m0 + i : M - 1) * ldd;
        for (int t0 = 0; t0 < T; t0 += CLT) {
            const float *xr[CLT];
            for (int t = 0; t < CLT; t++)
                xr[t] = xcl + (size_t)shift[t0 + t < T ? t0 + t : T - 1] * 16;
            v16 acc[CLM][CLT];
            for (int i = 0; i < CLM; i++)
                for (int t = 0; t < CLT; t++)
                    acc[i][t] = VSET1(0.0f);
            for (size_t p = 0; p < len; p++) {
                v16 xv[CLT];
                for (int t = 0; t < CLT; t++)
                    memcpy(&xv[t], xr[t] + p * 16, sizeof(v16));
                for (int i = 0; i < CLM; i++) {
                    const v16 dv = VSET1(dr[i][p]);
                    for (int t = 0; t < CLT; t++)
                        VFMA(acc[i][t], dv, xv[t]);
                }
            }
            for (int i = 0; i < CLM && m0 + i < M; i++)
                for (int t = 0; t < CLT && t0 + t < T; t++)
                    for (int ci = 0; ci < 16; ci++)
                        c[(size_t)(m0 + i) * ldc + (size_t)ci * T + t0 + t] += acc[i][t][ci];
        }
    }
}
