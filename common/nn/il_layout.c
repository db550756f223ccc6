/* il_layout.c - packing into and out of the padded, row-interleaved layout
 * (see il_layout.h). */
#include "nn/il_layout.h"

#include <assert.h>
#include <string.h>

#include "nn/basic_ops.h"
#include "nn/dispatch.h"
#include "nn/vec.h"

void ar_conv_tap_range(int off, int stride, int n, int out, int *lo, int *hi)
{
    /* o*stride + off >= 0  <=>  o >= ceil(-off/stride) */
    int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
    /* o*stride + off <= n-1  <=>  o <= floor((n-1-off)/stride) */
    int h = n - 1 - off < 0 ? 0 : (n - 1 - off) / stride + 1;
    if (h > out)
        h = out;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef float v4u __attribute__((vector_size(16), aligned(4)));

/* d[0..n) = s[0..n) inline: 8-float moves, the last one ending at n
 * (overlapping the one before; same values), 4-float moves likewise under
 * 8, scalars under 4. Rows here are short (7..32 floats) and a library
 * memcpy call per row costs more than the copy (GCC turns a plain copy
 * loop into one: with 28-wide rows memmove took 7% of a 2-thread resnet20
 * training step). */
AR_INLINE void copy_row(float *restrict d, const float *restrict s, int n)
{
    if (n >= 8) {
        for (int q = 0; q < n - 8; q += 8) {
            *(v8u *)(d + q) = *(const v8u *)(s + q);
            __asm__("" : "+r"(q)); /* keeps GCC from making the loop a memmove call */
        }
        *(v8u *)(d + n - 8) = *(const v8u *)(s + n - 8);
    } else if (n >= 4) {
        *(v4u *)d = *(const v4u *)s;
        *(v4u *)(d + n - 4) = *(const v4u *)(s + n - 4);
    } else {
        switch (n) { /* a loop here would become a memmove call again */
        case 3:
            d[2] = s[2];
            /* fall through */
        case 2:
            d[1] = s[1];
            /* fall through */
        case 1:
            d[0] = s[0];
            break;
        default:
            break;
        }
    }
}

/* d[0..n) = 0 inline, the same way (short gaps and pads: no memset call). */
AR_INLINE void zero_row(float *d, int n)
{
    if (n >= 8) {
        for (int q = 0; q < n - 8; q += 8) {
            *(v8u *)(d + q) = (v8u){0};
            __asm__("" : "+r"(q)); /* keeps GCC from making the loop a memset call */
        }
        *(v8u *)(d + n - 8) = (v8u){0};
    } else if (n >= 4) {
        *(v4u *)d = (v4u){0};
        *(v4u *)(d + n - 4) = (v4u){0};
    } else {
        switch (n) { /* a loop here would become a memset call again */
        case 3:
            d[2] = 0.0f;
            /* fall through */
        case 2:
            d[1] = 0.0f;
            /* fall through */
        case 1:
            d[0] = 0.0f;
            break;
        default:
            break;
        }
    }
}

typedef ar_vf8 v8f;
typedef ar_vi8 v8i;
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* Stride-2 column split of one source row: column col goes to phase row
 * (col + pw) & 1 at index (col + pw) >> 1. Blocks of B (16, or 8 for rows
 * under 17 columns) columns starting at an even col + pw are de-interleaved
 * with two shuffles; the last block may overlap the previous one (same
 * values written twice); at most one column at each end is left to the
 * scalar loop. */
AR_INLINE void split_row2(const float *restrict s, int ws, int pw, float *restrict d0,
                          float *restrict d1)
{
    float *d[2] = {d0, d1};
    const int first = pw & 1; /* first column with col + pw even */
    const int B = ws - first >= 16 ? 16 : 8;
    int done_lo = first, done_hi = first;
    if (ws - first >= B) {
        const int last = (ws - B - first) / 2 * 2 + first; /* last even block start */
        for (int col = first;; col += B) {
            if (col > last)
                col = last;
            const int v0 = (col + pw) >> 1;
            if (B == 16) {
                v8f lo8, hi8;
                memcpy(&lo8, s + col, sizeof lo8);
                memcpy(&hi8, s + col + 8, sizeof hi8);
                const v8f ev = __builtin_shufflevector(lo8, hi8, 0, 2, 4, 6, 8, 10, 12, 14);
                const v8f od = __builtin_shufflevector(lo8, hi8, 1, 3, 5, 7, 9, 11, 13, 15);
                memcpy(d0 + v0, &ev, sizeof ev);
                memcpy(d1 + v0, &od, sizeof od);
            } else {
                v4f lo4, hi4;
                memcpy(&lo4, s + col, sizeof lo4);
                memcpy(&hi4, s + col + 4, sizeof hi4);
                const v4f ev = __builtin_shufflevector(lo4, hi4, 0, 2, 4, 6);
                const v4f od = __builtin_shufflevector(lo4, hi4, 1, 3, 5, 7);
                memcpy(d0 + v0, &ev, sizeof ev);
                memcpy(d1 + v0, &od, sizeof od);
            }
            if (col == last)
                break;
        }
        done_hi = last + B;
    }
    for (int col = 0; col < done_lo; col++)
        d[(col + pw) & 1][(col + pw) >> 1] = s[col];
    for (int col = done_hi; col < ws; col++)
        d[(col + pw) & 1][(col + pw) >> 1] = s[col];
}

AR_KERNEL
int ar_il_add_stride2(float *d, const float *s, int v, int v1, int lim)
{
    const ar_vf8 z = {0};
    for (; v + 8 <= v1 && 2 * v + 16 <= lim; v += 8) {
        ar_vf8 x, lo, hi;
        memcpy(&x, s + v, sizeof x);
        memcpy(&lo, d + 2 * v, sizeof lo);
        memcpy(&hi, d + 2 * v + 8, sizeof hi);
        lo += __builtin_shufflevector(x, z, 0, 8, 1, 9, 2, 10, 3, 11);
        hi += __builtin_shufflevector(x, z, 4, 12, 5, 13, 6, 14, 7, 15);
        memcpy(d + 2 * v, &lo, sizeof lo);
        memcpy(d + 2 * v + 8, &hi, sizeof hi);
    }
    return v;
}

size_t ar_il_round16(size_t n) { return (n + 15) & ~(size_t)15; }

ar_il_geom_t ar_il_geom(const ar_conv_cfg_t *c, int ch, int hs, int ws, int ph, int pw, int nb)
{
    ar_il_geom_t g;
    g.ch = ch, g.hs = hs, g.ws = ws, g.ph = ph, g.pw = pw, g.nb = nb;
    g.sh = c->sh, g.sw = c->sw;
    const int hp = hs + 2 * ph, wp = ws + 2 * pw;
    g.hq = (hp + g.sh - 1) / g.sh;
    /* valid outputs read inside their phase plane: (ho-1)*sh + (kh-1)*dh <= hp-1 */
    g.ho = (hp - (c->kh - 1) * c->dh - 1) / g.sh + 1;
    g.wo = (wp - (c->kw - 1) * c->dw - 1) / g.sw + 1;
    if (g.sh == 1 && g.sw == 1) {
        /* the gap after each image serves as the next one's left padding:
         * it holds pw zeros on the left, (kw-1)*dw - pw on the right, and
         * keeps wo <= wq so outputs of neighbours never overlap */
        const int reach = (c->kw - 1) * c->dw;
        int gap = pw > reach - pw ? pw : reach - pw;
        gap = gap > g.wo - ws ? gap : g.wo - ws;
        g.x0 = pw;
        g.wq = ws + gap;
    } else {
        g.x0 = 0;
        g.wq = (wp + g.sw - 1) / g.sw;
    }
    g.rs = (size_t)g.x0 + (size_t)nb * g.wq;
    g.plane = (size_t)g.hq * g.rs;
    g.L = (size_t)g.ho * g.rs;
    g.Lr = (g.L + AR_IL_POS_ROUND - 1) / AR_IL_POS_ROUND * AR_IL_POS_ROUND;
    /* the last tile reads up to Lr-L + (kw-1)*dw past the last plane */
    g.slack = AR_IL_POS_ROUND + (size_t)(c->kw - 1) * c->dw;
    g.floats = ar_il_round16((size_t)ch * g.sh * g.sw * g.plane + g.slack);
    g.xw = g.xd = 0;
    return g;
}

ar_il_geom_t ar_il_geom_xw(const ar_conv_cfg_t *c, int ch, int hs, int ws, int ph, int pw, int nb)
{
    assert(c->sh == 1 && c->sw == 1);
    ar_il_geom_t g;
    g.ch = ch, g.hs = hs, g.ws = ws, g.ph = ph, g.pw = pw, g.nb = nb;
    g.sh = g.sw = 1;
    g.hq = hs + 2 * ph;
    g.ho = g.hq - (c->kh - 1) * c->dh;
    g.wo = ws + 2 * pw - (c->kw - 1) * c->dw;
    g.x0 = 0;
    g.wq = g.wo;
    g.rs = (size_t)nb * g.wq;
    g.plane = (size_t)g.hq * g.rs;
    g.L = (size_t)g.ho * g.rs;
    g.Lr = (g.L + AR_IL_POS_ROUND - 1) / AR_IL_POS_ROUND * AR_IL_POS_ROUND;
    /* the last tap of the last copy reads up to Lr - L past its plane */
    g.slack = AR_IL_POS_ROUND;
    g.xw = c->kw, g.xd = c->dw;
    g.floats = ar_il_round16((size_t)ch * g.xw * g.plane + g.slack);
    return g;
}

/* ar_il_pack for the column-expanded layout. */
AR_INLINE void pack_xw(const ar_il_geom_t *g, const float *src, size_t img, int chan0, float *dst)
{
    const size_t hw = (size_t)g->hs * g->ws;
    for (int ci = 0; ci < g->ch; ci++)
        for (int j = 0; j < g->xw; j++) {
            float *pl = dst + ((size_t)ci * g->xw + j) * g->plane;
            /* copy column v holds source column v + j*xd - pw, in [0, ws) for v in [lo, hi) */
            const int c0 = j * g->xd - g->pw;
            int lo, hi;
            ar_conv_tap_range(c0, 1, g->ws, g->wo, &lo, &hi);
            memset(pl, 0, (size_t)g->ph * g->rs * sizeof(float));
            for (int r = g->ph; r < g->ph + g->hs; r++)
                for (int b = 0; b < g->nb; b++) {
                    float *restrict d = pl + (size_t)r * g->rs + (size_t)b * g->wq;
                    const float *restrict s =
                        src + b * img + (size_t)(chan0 + ci) * hw + (size_t)(r - g->ph) * g->ws;
                    zero_row(d, lo);
                    copy_row(d + lo, s + lo + c0, hi - lo);
                    zero_row(d + hi, g->wq - hi);
                }
            memset(pl + (size_t)(g->ph + g->hs) * g->rs, 0,
                   (size_t)(g->hq - g->ph - g->hs) * g->rs * sizeof(float));
        }
    const size_t planes = (size_t)g->ch * g->xw;
    memset(dst + planes * g->plane, 0, (g->floats - planes * g->plane) * sizeof(float));
}

/* Copies channels [chan0, chan0+ch) of nb images (image stride img) into
 * the padded, interleaved buffer dst, zeros everywhere else. */
AR_KERNEL
void ar_il_pack(const ar_il_geom_t *g, const float *src, size_t img, int chan0, float *dst)
{
    if (g->xw) {
        pack_xw(g, src, img, chan0, dst);
        return;
    }
    const size_t hw = (size_t)g->hs * g->ws;
    const size_t planes = (size_t)g->ch * g->sh * g->sw;
    if (g->sh == 1 && g->sw == 1) {
        for (int ci = 0; ci < g->ch; ci++) {
            float *pl = dst + (size_t)ci * g->plane;
            memset(pl, 0, (size_t)g->ph * g->rs * sizeof(float));
            const int gap = g->wq - g->ws;
            for (int r = g->ph; r < g->ph + g->hs; r++) {
                float *row = pl + (size_t)r * g->rs;
                zero_row(row, g->x0);
                for (int b = 0; b < g->nb; b++) {
                    float *restrict d = row + g->x0 + (size_t)b * g->wq;
                    const float *restrict s =
                        src + b * img + (size_t)(chan0 + ci) * hw + (size_t)(r - g->ph) * g->ws;
                    copy_row(d, s, g->ws);
                    zero_row(d + g->ws, gap);
                }
            }
            memset(pl + (size_t)(g->ph + g->hs) * g->rs, 0,
                   (size_t)(g->hq - g->ph - g->hs) * g->rs * sizeof(float));
        }
    } else {
        /* image by image, source rows in order (streaming reads), each split
         * into its sw column phases; rows outside the source are zeroed */
        for (int ci = 0; ci < g->ch; ci++)
            for (int b = 0; b < g->nb; b++) {
                float *base = dst + (size_t)ci * g->sh * g->sw * g->plane + (size_t)b * g->wq;
                for (int a = 0; a < g->sh; a++)
                    for (int u = 0; u < g->hq; u++) {
                        const int r = a + g->sh * u - g->ph;
                        if (r >= 0 && r < g->hs)
                            continue;
                        for (int e = 0; e < g->sw; e++)
                            zero_row(base + (size_t)(a * g->sw + e) * g->plane + (size_t)u * g->rs,
                                     g->wq);
                    }
                const float *s0 = src + b * img + (size_t)(chan0 + ci) * hw;
                for (int r = 0; r < g->hs; r++) {
                    const int R = r + g->ph, a = R % g->sh, u = R / g->sh;
                    const float *restrict s = s0 + (size_t)r * g->ws;
                    float *rows[2];
                    for (int e = 0; e < g->sw; e++) {
                        float *restrict d =
                            base + (size_t)(a * g->sw + e) * g->plane + (size_t)u * g->rs;
                        /* source column e + sw*v - pw lies in [0, ws) for v in [lo, hi) */
                        int lo, hi;
                        ar_conv_tap_range(e - g->pw, g->sw, g->ws, g->wq, &lo, &hi);
                        zero_row(d, lo);
                        zero_row(d + hi, g->wq - hi);
                        if (g->sw == 2) {
                            rows[e] = d;
                            continue;
                        }
                        const int sw = g->sw, c0 = e - g->pw;
                        for (int v = lo; v < hi; v++)
                            d[v] = s[sw * v + c0];
                    }
                    if (g->sw == 2)
                        split_row2(s, g->ws, g->pw, rows[0], rows[1]);
                }
            }
    }
    memset(dst + planes * g->plane, 0, (g->floats - planes * g->plane) * sizeof(float));
}

AR_KERNEL
void ar_il_pack_cl16(const ar_il_geom_t *g, const float *src, size_t img, int chan0, float *dst)
{
    assert(g->ch == 16 && !g->xw);
    const size_t hw = (size_t)g->hs * g->ws, planes = (size_t)g->sh * g->sw;
    memset(dst, 0, 16 * (planes * g->plane + g->slack) * sizeof(float));
    for (int b = 0; b < g->nb; b++)
        for (int r = 0; r < g->hs; r++) {
            const int R = r + g->ph, a = R % g->sh, u = R / g->sh;
            const float *s = src + b * img + (size_t)chan0 * hw + (size_t)r * g->ws;
            for (int col = 0; col < g->ws; col++) {
                /* padded column C: phase C % sw, column C / sw of the image's
                 * slot (stride 1: x0 = pw, so the slot column is col) */
                const int C = col + g->pw - g->x0, e = C % g->sw, v = C / g->sw;
                float *restrict d = dst + (((size_t)(a * g->sw + e)) * g->plane + (size_t)u * g->rs +
                                           g->x0 + (size_t)b * g->wq + v) * 16;
                for (int ci = 0; ci < 16; ci++)
                    d[ci] = s[(size_t)ci * hw + col];
            }
        }
}

/* Tap offsets: entry (ci*kh + i)*kw + j is the shift of tap (ci, i, j). */
void ar_il_offsets(const ar_conv_cfg_t *c, const ar_il_geom_t *g, int32_t *off)
{
    int k = 0;
    for (int ci = 0; ci < g->ch; ci++)
        for (int i = 0; i < c->kh; i++)
            for (int j = 0; j < c->kw; j++) {
                const int ti = i * c->dh, tj = j * c->dw;
                if (g->xw) {
                    const size_t o = ((size_t)ci * g->xw + j) * g->plane + (size_t)ti * g->rs;
                    assert(o < INT32_MAX);
                    off[k++] = (int32_t)o;
                    continue;
                }
                const size_t phase = (size_t)(ci * g->sh + ti % g->sh) * g->sw + tj % g->sw;
                const size_t o = phase * g->plane + (size_t)(ti / g->sh) * g->rs + (size_t)(tj / g->sw);
                assert(o < INT32_MAX);
                off[k++] = (int32_t)o;
            }
}

/* Rows [0, M) of out (row stride Lr, position layout of g) into channels
 * [chan0, chan0+M) of nb images of dst (ho x wo planes, image stride img):
 * overwrite plus bias (bias may be NULL), or add when add != 0. */
AR_KERNEL
void ar_il_unpack(const ar_il_geom_t *g, const float *out, int M, float *dst, size_t img,
                      int chan0, const float *bias, int add, int relu)
{
    const size_t howo = (size_t)g->ho * g->wo;
    for (int m = 0; m < M; m++) {
        const float b0 = bias ? bias[m] : 0.0f;
        for (int b = 0; b < g->nb; b++) {
            float *restrict d = dst + b * img + (size_t)(chan0 + m) * howo;
            const float *restrict s = out + (size_t)m * g->Lr + (size_t)b * g->wq;
            for (int oh = 0; oh < g->ho; oh++) {
                float *dr = d + (size_t)oh * g->wo;
                const float *sr = s + (size_t)oh * g->rs;
                if (add) {
                    for (int ow = 0; ow < g->wo; ow++)
                        dr[ow] += sr[ow];
                } else if (relu) { /* ar_relu1 of what the plain store writes */
                    for (int ow = 0; ow < g->wo; ow++)
                        dr[ow] = ar_relu1(b0 == 0.0f ? sr[ow] : sr[ow] + b0);
                } else if (b0 == 0.0f)
                    copy_row(dr, sr, g->wo);
                else
                    for (int ow = 0; ow < g->wo; ow++)
                        dr[ow] = sr[ow] + b0;
            }
        }
    }
}

/* Inverse of il_unpack for gradients, transposed: dst [Lr, ldt] gets at
 * (position, m) channel chan0+m of dy, and zeros at every dropped position
 * and for m >= M. */
AR_KERNEL
void ar_il_scatter_t(const ar_il_geom_t *g, const float *src, size_t img, int chan0, int M,
                         size_t ldt, float *dst)
{
    assert(!g->xw);
    const size_t howo = (size_t)g->ho * g->wo;
    memset(dst, 0, g->Lr * ldt * sizeof(float));
    if (M == 1 && ldt == 1) { /* one channel: whole rows */
        for (int b = 0; b < g->nb; b++)
            for (int oh = 0; oh < g->ho; oh++) {
                float *restrict d = dst + (size_t)oh * g->rs + (size_t)b * g->wq;
                const float *restrict s = src + b * img + (size_t)chan0 * howo + (size_t)oh * g->wo;
                copy_row(d, s, g->wo);
            }
        return;
    }
    for (int b = 0; b < g->nb; b++)
        for (int oh = 0; oh < g->ho; oh++)
            for (int ow = 0; ow < g->wo; ow++) {
                float *d = dst + ((size_t)oh * g->rs + (size_t)b * g->wq + ow) * ldt;
                const float *s = src + b * img + (size_t)chan0 * howo + (size_t)oh * g->wo + ow;
                for (int m = 0; m < M; m++)
                    d[m] = s[(size_t)m * howo];
            }
}

