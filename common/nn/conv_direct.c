/* conv_direct.c - implicit-GEMM convolution on a padded, row-interleaved
 * copy of a chunk of images (see conv_direct.h for the layout). */
#include "nn/conv_direct.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/par.h"
#include "nn/il_layout.h"
#include "nn/microkernel.h"

_Static_assert(AR_IL_POS_ROUND % AR_MK_NR == 0, "kernel tiles must divide the position rounding");

/* Positions per chunk the path aims for (nb images interleaved). */
#define AR_DIRECT_TARGET_POS 2048

/* Stride 1 and padding <= (k-1)*dilation: dx is one stride-1 conv of
 * padded dy with the flipped kernel; other convs go phase by phase. */
static int dx_direct(const ar_conv_cfg_t *c)
{
    return c->sh == 1 && c->sw == 1 && c->ph <= (c->kh - 1) * c->dh && c->pw <= (c->kw - 1) * c->dw;
}

static int direct_xw(const ar_conv_cfg_t *c, int h, int w);

static int direct_chunk(const ar_conv_cfg_t *c, int n, int h, int w)
{
    ar_il_geom_t g = ar_il_geom(c, 1, h, w, c->ph, c->pw, 1);
    size_t nb = AR_DIRECT_TARGET_POS / (g.L ? g.L : 1);
    /* the column-expanded buffer holds kw*wo columns per image row where
     * the plain one holds wq: fewer images, so it is no bigger (with the
     * plain layout's image count, 4x4 512-channel forwards ran 2x slower at
     * batch 128: 12 MB buffers) */
    if (direct_xw(c, h, w))
        nb = nb * (size_t)g.wq / ((size_t)c->kw * g.wo);
    if (nb < 1)
        nb = 1;
    return (size_t)n < nb ? n : (int)nb;
}

/* out[m*npos + p] = sum_k a[m*K + k] * b[off[k] + p] for m < M, p < npos (a
 * multiple of AR_MK_NR): ar_mk_conv on AR_MK_MR rows of a at a time, packed
 * into ap (AR_MK_MR*K floats). */
static void conv_gemm(const float *a, int M, int K, const int32_t *off, const float *b,
                      size_t npos, float *out, float *ap)
{
    for (int m0 = 0; m0 < M; m0 += AR_MK_MR) {
        ar_mk_pack_a(a, K, 1, M, m0, K, ap);
        ar_mk_conv(ap, K, off, b, npos, out + (size_t)m0 * npos, npos,
                   M - m0 < AR_MK_MR ? M - m0 : AR_MK_MR);
    }
}

/* Stride-1 convs on small planes run on the column-expanded layout
 * (ar_il_geom_xw: kw shifted copies, no dropped columns) when the plain
 * layout would drop at least a sixth of the positions (4x4 planes with
 * padding 1 drop 1 in 5): kw times the packing for none of the wasted
 * multiplications. Measured on 4x4 512-channel convs: forward 10-20%
 * faster at batch 64-128, backward even; at 8x8 (1 in 9 dropped) the
 * packing ate the gain. */
static int direct_xw(const ar_conv_cfg_t *c, int h, int w)
{
    if (c->sh != 1 || c->sw != 1)
        return 0;
    const ar_il_geom_t g = ar_il_geom(c, 1, h, w, c->ph, c->pw, 1);
    return (g.wq - g.wo) * 6 >= g.wq;
}

/* Input gradient of the convs dx_direct rejects (strided or
 * over-padded), phase by phase: padded dx pixel (a + sh*u, e + sw*v) only
 * receives taps (i, j) with i*dh = a + sh*ei and j*dw = e + sw*ej, from
 * dy[u - ei][v - ej]: a stride-1 correlation of dy with that subset of
 * taps. dy is packed once with (P, Pw) zeros around it, P >= max ei and
 * enough rows for the hq = ceil(padded h / sh) output rows per phase. */
static ar_il_geom_t phase_dx_geom(const ar_conv_cfg_t *c, int cog, int h, int w, int ho, int wo,
                                  int nb)
{
    const int hq = (h + 2 * c->ph + c->sh - 1) / c->sh, wq = (w + 2 * c->pw + c->sw - 1) / c->sw;
    const int eh = (c->kh - 1) * c->dh / c->sh, ew = (c->kw - 1) * c->dw / c->sw;
    const int P = eh > hq - ho ? eh : hq - ho, Pw = ew > wq - wo ? ew : wq - wo;
    /* a stride-1, dilation-1 window that makes the geometry's output hq x wq */
    ar_conv_cfg_t v = *c;
    v.sh = v.sw = v.dh = v.dw = 1;
    v.kh = ho + 2 * P - hq + 1;
    v.kw = wo + 2 * Pw - wq + 1;
    ar_il_geom_t g = ar_il_geom(&v, cog, ho, wo, P, Pw, nb);
    assert(g.ho == hq && g.wo == wq);
    return g;
}

/* dx += the phase-by-phase input gradient (see phase_dx_geom) of one group
 * for a chunk: dy already packed in dyp with geometry gd. */
static void phase_dx(const ar_conv_cfg_t *c, const ar_il_geom_t *gd, const float *wg,
                     const float *dyp, float *wt, float *ap, float *dxo, int32_t *off2, float *dx,
                     size_t ximg, int chan0, int h, int w)
{
    const int cig = c->cin / c->groups, cog = c->cout / c->groups, taps = c->kh * c->kw;
    const int K = cig * taps;
    const int P = gd->ph, Pw = gd->pw;
    for (int a = 0; a < c->sh; a++)
        for (int e = 0; e < c->sw; e++) {
            int nt = 0; /* taps reaching this phase */
            for (int t = 0; t < taps; t++)
                nt += (t / c->kw) * c->dh % c->sh == a && (t % c->kw) * c->dw % c->sw == e;
            if (nt == 0)
                continue; /* no tap reaches this phase: its pixels get nothing */
            const int K2 = cog * nt;
            for (int co = 0; co < cog; co++)
                for (int t = 0, q = 0; t < taps; t++) {
                    const int i = t / c->kw, jj = t % c->kw;
                    if (i * c->dh % c->sh != a || jj * c->dw % c->sw != e)
                        continue;
                    const int ei = i * c->dh / c->sh, ej = jj * c->dw / c->sw;
                    const size_t o = (size_t)co * gd->plane + (size_t)(P - ei) * gd->rs + (Pw - ej);
                    assert(o < INT32_MAX);
                    off2[co * nt + q] = (int32_t)o;
                    for (int ci = 0; ci < cig; ci++)
                        wt[(size_t)ci * K2 + (size_t)co * nt + q] =
                            wg[(size_t)co * K + (size_t)ci * taps + t];
                    q++;
                }
            conv_gemm(wt, cig, K2, off2, dyp, gd->Lr, dxo, ap);
            /* phase pixel (u, v) is dx pixel (a + sh*u - ph, e + sw*v - pw) */
            int ulo, uhi, vlo, vhi;
            ar_conv_tap_range(a - c->ph, c->sh, h, gd->ho, &ulo, &uhi);
            ar_conv_tap_range(e - c->pw, c->sw, w, gd->wo, &vlo, &vhi);
            for (int ci = 0; ci < cig; ci++)
                for (int b = 0; b < gd->nb; b++) {
                    float *d = dx + b * ximg + (size_t)(chan0 + ci) * h * w;
                    const float *src = dxo + (size_t)ci * gd->Lr + (size_t)b * gd->wq;
                    for (int u = ulo; u < uhi; u++) {
                        float *dr = d + (size_t)(a + c->sh * u - c->ph) * w;
                        const float *sr = src + (size_t)u * gd->rs;
                        const int sw = c->sw, c0 = e - c->pw;
                        int v = vlo;
                        if (sw == 2)
                            v = ar_il_add_stride2(dr + c0, sr, v, vhi, w - c0);
                        for (; v < vhi; v++)
                            dr[sw * v + c0] += sr[v];
                    }
                }
        }
}

/* 16 input and at most 32 output channels per group: the weight gradient
 * runs channel-last (ar_mk_outer_cl16: 8 broadcasts per 24 FMAs), where the
 * channel-first outer kernel would broadcast once or twice as often. */
static int direct_cl16(const ar_conv_cfg_t *c)
{
    return c->cin / c->groups == 16 && c->cout / c->groups <= 32;
}

/* Scratch layout of one (chunk, group) step; every piece 16-float aligned. */
typedef struct {
    ar_il_geom_t gx, gd;    /* x with the conv's padding; dy packed for the input gradient */
    ar_il_geom_t gf;        /* x for the forward: gx, or column-expanded (direct_xw) */
    size_t xp, ap, out, off, total_fwd;        /* forward: offsets in floats */
    size_t dyl, wt, dyp, dxo, off2, total_bwd; /* backward, after xp / ap */
    size_t total;                              /* whole step */
} direct_plan_t;

static direct_plan_t direct_plan(const ar_conv_cfg_t *c, int nb, int h, int w)
{
    direct_plan_t p;
    const int cig = c->cin / c->groups, cog = c->cout / c->groups, taps = c->kh * c->kw;
    const size_t K = (size_t)cig * taps, K2 = (size_t)cog * taps;
    const int xw = direct_xw(c, h, w);
    p.gx = ar_il_geom(c, cig, h, w, c->ph, c->pw, nb);
    p.gf = xw ? ar_il_geom_xw(c, cig, h, w, c->ph, c->pw, nb) : p.gx;
    if (dx_direct(c))
        p.gd = (xw ? ar_il_geom_xw : ar_il_geom)(c, cog, p.gx.ho, p.gx.wo,
                                                 (c->kh - 1) * c->dh - c->ph,
                                                 (c->kw - 1) * c->dw - c->pw, nb);
    else
        p.gd = phase_dx_geom(c, cog, h, w, p.gx.ho, p.gx.wo, nb);
    p.xp = 0;
    const size_t xpf =
        direct_cl16(c) ? 16 * ((size_t)c->sh * c->sw * p.gx.plane + p.gx.slack) : p.gx.floats;
    p.ap = p.xp + (xpf > p.gf.floats ? xpf : p.gf.floats);
    const size_t apf = ar_il_round16((K > K2 ? K : K2) * AR_MK_MR);
    p.out = p.ap + apf;
    p.off = p.out + ar_il_round16((size_t)cog * (p.gx.Lr > p.gf.Lr ? p.gx.Lr : p.gf.Lr));
    p.total_fwd = p.off + ar_il_round16(K > K2 ? K : K2);
    /* backward: dW uses xp, dyl, off; dx uses wt, dyp, ap, dxo, off2 */
    p.dyl = p.off + ar_il_round16(K);
    p.wt = p.dyl + ar_il_round16((size_t)ar_il_round16(cog) * p.gx.Lr);
    p.dyp = p.wt + ar_il_round16((size_t)cig * K2);
    p.dxo = p.dyp + p.gd.floats;
    p.off2 = p.dxo + ar_il_round16((size_t)cig * p.gd.Lr);
    p.total_bwd = p.off2 + ar_il_round16(K2);
    p.total = p.total_bwd > p.total_fwd ? p.total_bwd : p.total_fwd;
    return p;
}

static int conv_threads(const ar_conv_cfg_t *c, int nchunks)
{
    int t = c->threads < 1 ? 1 : c->threads;
    t = t > AR_PAR_MAX ? AR_PAR_MAX : t;
    return t < nchunks ? t : nchunks;
}

/* Floats of weight-gradient partials kept at once (beyond one round of
 * threads): 1 MiB, so small layers (resnet20's 16-channel convs: 128
 * chunks) need few rounds (each round starts and joins the threads twice)
 * and big layers cost little scratch. */
#define AR_DIRECT_PARTS_CAP ((size_t)256 << 10)

/* Whole-call scratch: one plan's worth per thread, then one weight-
 * gradient partial per chunk of a round. The backward runs in rounds of
 * `round` chunks (all of them when the partials fit the cap, else a
 * multiple of the thread count, so no thread idles in a round); after each
 * round the partials are summed in chunk order (element ranges over the
 * threads), so the result does not depend on the thread count.
 * The scratch of a batch must serve every smaller one (conv.h): it is sized
 * for chunks of `aim` images (no chunk is bigger, and aim never shrinks
 * with n) and for `slots` partials (never fewer than any smaller batch's
 * round). */
typedef struct {
    int aim, nchunks, threads, round, slots;
    size_t per_thread, parts, total;
} direct_layout_t;

static direct_layout_t direct_layout(const ar_conv_cfg_t *c, int n, int h, int w)
{
    direct_layout_t l;
    /* an even number of chunks of sizes differing by at most one image
     * (chunk_span), so 2 (and 4) threads get the same work: with chunks of
     * the aimed size, 128 images on 8x8 planes made 5 chunks of 25 and one
     * of 3, 75 images for one thread and 53 for the other. The chunks never
     * depend on the thread count (the weight gradient is summed chunk by
     * chunk). */
    l.aim = direct_chunk(c, n, h, w);
    l.nchunks = (n + l.aim - 1) / l.aim;
    l.nchunks += l.nchunks % 2 && l.nchunks < n;
    l.threads = conv_threads(c, l.nchunks);
    direct_plan_t p = direct_plan(c, l.aim, h, w);
    l.per_thread = p.total;
    l.parts = (size_t)l.threads * l.per_thread;
    const size_t wsize = (size_t)c->cout * (c->cin / c->groups) * c->kh * c->kw;
    const size_t fit = AR_DIRECT_PARTS_CAP / wsize;
    if ((size_t)l.nchunks <= fit) {
        l.round = l.slots = l.nchunks;
    } else {
        l.round = fit > (size_t)l.threads ? (int)(fit - fit % (size_t)l.threads) : l.threads;
        l.slots = fit > (size_t)l.threads ? (int)fit : l.threads;
    }
    l.total = l.parts + (size_t)l.slots * wsize;
    return l;
}

size_t ar_conv_direct_scratch(const ar_conv_cfg_t *c, int n, int h, int w)
{
    return direct_layout(c, n, h, w).total;
}

typedef struct {
    const ar_conv_cfg_t *c;
    const ar_tensor_t *x, *dy;
    ar_tensor_t *y, *dx;
    const float *weight, *bias;
    int dweight; /* backward: compute weight-gradient partials */
    float *scratch;
    direct_layout_t l;
    int r0, r1; /* backward: the chunks of the current round */
} direct_job_t;

/* Images [*n0, *n0 + *nb) of chunk ci (at most l->aim of them). */
static void chunk_span(const direct_layout_t *l, int n, int ci, int *n0, int *nb)
{
    *n0 = (int)((int64_t)ci * n / l->nchunks);
    *nb = (int)((int64_t)(ci + 1) * n / l->nchunks) - *n0;
}

static void forward_chunk(const direct_job_t *j, int ci, float *scratch)
{
    const ar_conv_cfg_t *c = j->c;
    const int n = (int)j->x->shape[0], h = (int)j->x->shape[2], w = (int)j->x->shape[3];
    const int G = c->groups, cog = c->cout / G;
    const int K = (c->cin / G) * c->kh * c->kw;
    const size_t ximg = (size_t)c->cin * h * w;
    const size_t yimg = (size_t)c->cout * j->y->shape[2] * j->y->shape[3];
    int n0, nb;
    chunk_span(&j->l, n, ci, &n0, &nb);
    const direct_plan_t p = direct_plan(c, nb, h, w);
    float *xp = scratch + p.xp, *ap = scratch + p.ap, *out = scratch + p.out;
    int32_t *off = (int32_t *)(scratch + p.off);
    ar_il_offsets(c, &p.gf, off);
    for (int g = 0; g < G; g++) {
        ar_il_pack(&p.gf, j->x->data + n0 * ximg, ximg, g * (c->cin / G), xp);
        const float *wg = j->weight + (size_t)g * cog * K;
        conv_gemm(wg, cog, K, off, xp, p.gf.Lr, out, ap);
        ar_il_unpack(&p.gf, out, cog, j->y->data + n0 * yimg, yimg, g * cog,
                  j->bias ? j->bias + g * cog : NULL, 0, c->relu);
    }
}

static void backward_chunk(const direct_job_t *j, int ci, float *scratch)
{
    const ar_conv_cfg_t *c = j->c;
    const int n = (int)j->x->shape[0], h = (int)j->x->shape[2], w = (int)j->x->shape[3];
    const int G = c->groups, cig = c->cin / G, cog = c->cout / G, taps = c->kh * c->kw;
    const int K = cig * taps, K2 = cog * taps;
    const size_t ximg = (size_t)c->cin * h * w;
    const size_t yimg = (size_t)c->cout * j->dy->shape[2] * j->dy->shape[3];
    int n0, nb;
    chunk_span(&j->l, n, ci, &n0, &nb);
    const direct_plan_t p = direct_plan(c, nb, h, w);
    assert(!j->dx || !dx_direct(c) || (p.gd.ho == h && p.gd.wo == w));
    float *part = j->scratch + j->l.parts + (size_t)(ci % j->l.round) * c->cout * K;
    for (int g = 0; g < G; g++) {
        const float *wg = j->weight + (size_t)g * cog * K;
        if (j->dweight) {
            float *xp = scratch + p.xp, *dyl = scratch + p.dyl;
            int32_t *off = (int32_t *)(scratch + p.off);
            float *pg = part + (size_t)g * cog * K;
            memset(pg, 0, (size_t)cog * K * sizeof(float));
            if (direct_cl16(c)) {
                ar_il_geom_t g1 = p.gx; /* tap shifts of one channel, in positions */
                g1.ch = 1;
                ar_il_offsets(c, &g1, off);
                ar_il_pack_cl16(&p.gx, j->x->data + n0 * ximg, ximg, g * cig, xp);
                for (int m = 0; m < cog; m++)
                    ar_il_scatter_t(&p.gx, j->dy->data + n0 * yimg, yimg, g * cog + m, 1, 1,
                                    dyl + (size_t)m * p.gx.Lr);
                ar_mk_outer_cl16(dyl, p.gx.Lr, cog, xp, off, taps, p.gx.Lr, pg, K);
            } else {
                ar_il_offsets(c, &p.gx, off);
                ar_il_pack(&p.gx, j->x->data + n0 * ximg, ximg, g * cig, xp);
                ar_il_scatter_t(&p.gx, j->dy->data + n0 * yimg, yimg, g * cog, cog,
                                ar_il_round16(cog), dyl);
                ar_mk_outer(dyl, ar_il_round16(cog), cog, xp, off, K, p.gx.Lr, pg, K);
            }
        }
        if (j->dx) {
            float *wt = scratch + p.wt, *dyp = scratch + p.dyp, *ap = scratch + p.ap;
            float *dxo = scratch + p.dxo;
            int32_t *off2 = (int32_t *)(scratch + p.off2);
            if (!dx_direct(c)) {
                ar_il_pack(&p.gd, j->dy->data + n0 * yimg, yimg, g * cog, dyp);
                phase_dx(c, &p.gd, wg, dyp, wt, ap, dxo, off2, j->dx->data + n0 * ximg, ximg,
                         g * cig, h, w);
                continue;
            }
            /* wt[ci][(co*kh + i)*kw + j] = w[co][ci][kh-1-i][kw-1-j] */
            for (int q = 0; q < cig; q++)
                for (int co = 0; co < cog; co++)
                    for (int t = 0; t < taps; t++)
                        wt[(size_t)q * K2 + (size_t)co * taps + t] =
                            wg[(size_t)co * K + (size_t)q * taps + (taps - 1 - t)];
            ar_il_offsets(c, &p.gd, off2);
            ar_il_pack(&p.gd, j->dy->data + n0 * yimg, yimg, g * cog, dyp);
            conv_gemm(wt, cig, K2, off2, dyp, p.gd.Lr, dxo, ap);
            ar_il_unpack(&p.gd, dxo, cig, j->dx->data + n0 * ximg, ximg, g * cig, NULL, 1, 0);
        }
    }
}

/* Thread tid of T takes the contiguous run of chunks [r0, r1) of [0, nc):
 * the chunks are even splits of the batch, so thread tid works on about the
 * same images in every layer (exactly the same halves for 2 threads and an
 * even chunk count) and reads what it wrote in the layer before from its
 * own core's cache. Dealt out tid, tid+T, ... instead, each layer's images
 * moved between the cores: 2 threads spent 25% more CPU than one. */
static void thread_chunks(int nc, int tid, int T, int *r0, int *r1)
{
    *r0 = (int)((int64_t)tid * nc / T);
    *r1 = (int)((int64_t)(tid + 1) * nc / T);
}

/* Each thread its own scratch. */
static void forward_worker(void *ctx, int tid, int T)
{
    const direct_job_t *j = ctx;
    int c0, c1;
    thread_chunks(j->l.nchunks, tid, T, &c0, &c1);
    for (int ci = c0; ci < c1; ci++)
        forward_chunk(j, ci, j->scratch + (size_t)tid * j->l.per_thread);
}

/* Backward: chunks [r0, r1) of the current round (r0, r1 in the job). */
static void backward_worker(void *ctx, int tid, int T)
{
    const direct_job_t *j = ctx;
    int c0, c1;
    thread_chunks(j->r1 - j->r0, tid, T, &c0, &c1);
    for (int ci = j->r0 + c0; ci < j->r0 + c1; ci++)
        backward_chunk(j, ci, j->scratch + (size_t)tid * j->l.per_thread);
}

/* The round's weight-gradient partials added into dweight in chunk order,
 * on the elements [lo, hi). */
typedef struct {
    const direct_job_t *j;
    float *dweight;
    size_t wsize;
} reduce_job_t;

#define AR_DIRECT_REDUCE_GRAIN 8192

static void reduce_range(void *ctx, int64_t lo, int64_t hi)
{
    const reduce_job_t *rj = ctx;
    const direct_job_t *j = rj->j;
    float *dw = rj->dweight;
    for (int ci = j->r0; ci < j->r1; ci++) {
        const float *part = j->scratch + j->l.parts + (size_t)(ci % j->l.round) * rj->wsize;
        for (int64_t i = lo; i < hi; i++)
            dw[i] += part[i];
    }
}

void ar_conv_direct_forward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                            const float *bias, ar_tensor_t *y, float *scratch)
{
    direct_job_t j = {c, x, NULL, y, NULL, weight, bias, 0, scratch,
                      direct_layout(c, (int)x->shape[0], (int)x->shape[2], (int)x->shape[3]),
                      0, 0};
    ar_par_run(j.l.threads, forward_worker, &j);
}

void ar_conv_direct_backward(const ar_conv_cfg_t *c, const ar_tensor_t *x, const float *weight,
                             const ar_tensor_t *dy, ar_tensor_t *dx, float *dweight,
                             float *scratch)
{
    direct_job_t j = {c, x, dy, NULL, dx, weight, NULL, dweight != NULL, scratch,
                      direct_layout(c, (int)x->shape[0], (int)x->shape[2], (int)x->shape[3]),
                      0, 0};
    const int64_t wsize = (int64_t)c->cout * (c->cin / c->groups) * c->kh * c->kw;
    reduce_job_t rj = {&j, dweight, (size_t)wsize};
    for (j.r0 = 0; j.r0 < j.l.nchunks; j.r0 = j.r1) {
        j.r1 = j.r0 + j.l.round < j.l.nchunks ? j.r0 + j.l.round : j.l.nchunks;
        ar_par_run(j.r1 - j.r0 < j.l.threads ? j.r1 - j.r0 : j.l.threads, backward_worker, &j);
        if (dweight)
            ar_par_for(j.l.threads, wsize, AR_DIRECT_REDUCE_GRAIN, reduce_range, &rj);
    }
}
