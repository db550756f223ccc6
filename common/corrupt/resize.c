/* resize.c - scipy zoom, clipped_zoom, Pillow BOX and OpenCV bilinear resize. */
#include "resize.h"

#include <math.h>

/* Per-output-index source index and weight of scipy's order-1 zoom. */
static void zoom_axis(int in, int out, int *i0, double *t)
{
    double scale = out > 1 ? (double)(in - 1) / (double)(out - 1) : 0.0;
    for (int o = 0; o < out; o++) {
        double cc = (double)o * scale;
        int s = (int)floor(cc);
        if (s > in - 1) s = in - 1;
        i0[o] = s;
        t[o] = cc - s;
    }
}

void ar_zoom_linear(const double *in, int ih, int iw, int istride, int c, double *out, int oh,
                    int ow)
{
    int y0[4096], x0[4096];
    double ty[4096], tx[4096];
    zoom_axis(ih, oh, y0, ty);
    zoom_axis(iw, ow, x0, tx);
    for (int y = 0; y < oh; y++) {
        int ya = y0[y], yb = ya + 1 < ih ? ya + 1 : ya;
        double wy1 = ty[y], wy0 = 1.0 - wy1;
        const double *ra = in + (long)ya * istride, *rb = in + (long)yb * istride;
        for (int x = 0; x < ow; x++) {
            int xa = x0[x], xb = xa + 1 < iw ? xa + 1 : xa;
            double wx1 = tx[x], wx0 = 1.0 - wx1;
            for (int ch = 0; ch < c; ch++) {
                double v = wy0 * (wx0 * ra[xa * c + ch] + wx1 * ra[xb * c + ch]) +
                           wy1 * (wx0 * rb[xa * c + ch] + wx1 * rb[xb * c + ch]);
                out[((long)y * ow + x) * c + ch] = v;
            }
        }
    }
}

static void crop_dims(int h, double z, int *ch, int *top, int *nh, int *trim)
{
    *ch = (int)ceil((double)h / z);
    if (*ch > h) *ch = h;
    if (*ch < 1) *ch = 1;
    *top = (h - *ch) / 2;
    *nh = (int)nearbyint((double)*ch * z);
    if (*nh < h) *nh = h;
    *trim = (*nh - h) / 2;
}

long ar_clipped_zoom_scratch(int h, int w, int c, double z)
{
    int ch, top, nh, trim, cw, left, nw, trimw;
    crop_dims(h, z, &ch, &top, &nh, &trim);
    crop_dims(w, z, &cw, &left, &nw, &trimw);
    return (long)nh * nw * c;
}

void ar_clipped_zoom(const double *in, double *out, double *tmp, int h, int w, int c, double z)
{
    int ch, top, nh, trim, cw, left, nw, trimw;
    crop_dims(h, z, &ch, &top, &nh, &trim);
    crop_dims(w, z, &cw, &left, &nw, &trimw);
    ar_zoom_linear(in + ((long)top * w + left) * c, ch, cw, w * c, c, tmp, nh, nw);
    for (int y = 0; y < h; y++) {
        const double *src = tmp + ((long)(y + trim) * nw + trimw) * c;
        double *dst = out + (long)y * w * c;
        for (int i = 0; i < w * c; i++) dst[i] = src[i];
    }
}

void ar_clipped_zoom_add(const double *in, double *acc, int h, int w, int c, double z)
{
    int ch, top, nh, trim, cw, left, nw, trimw;
    crop_dims(h, z, &ch, &top, &nh, &trim);
    crop_dims(w, z, &cw, &left, &nw, &trimw);
    int y0[4096], x0[4096];
    double ty[4096], tx[4096];
    zoom_axis(ch, nh, y0, ty);
    zoom_axis(cw, nw, x0, tx);
    const double *base = in + ((long)top * w + left) * c;
    long rs = (long)w * c;
    for (int y = 0; y < h; y++) {
        int yy = y + trim, ya = y0[yy], yb = ya + 1 < ch ? ya + 1 : ya;
        double wy1 = ty[yy], wy0 = 1.0 - wy1;
        const double *ra = base + ya * rs, *rb = base + yb * rs;
        double *dst = acc + (long)y * w * c;
        for (int x = 0; x < w; x++) {
            int xx = x + trimw, xa = x0[xx], xb = xa + 1 < cw ? xa + 1 : xa;
            double wx1 = tx[xx], wx0 = 1.0 - wx1;
            for (int k = 0; k < c; k++)
                dst[x * c + k] += wy0 * (wx0 * ra[xa * c + k] + wx1 * ra[xb * c + k]) +
                                  wy1 * (wx0 * rb[xa * c + k] + wx1 * rb[xb * c + k]);
        }
    }
}

/* Pillow precompute_coeffs for the box filter (support 0.5), converted to
 * 22-bit fixed point as normalize_coeffs_8bpc does. */
#define PB 22
typedef struct {
    int xmin, n;
    int k[64];
} box_coef_t;

static void box_coefs(int in, int out, int o, box_coef_t *bc)
{
    double scale = (double)in / out, fs = scale < 1.0 ? 1.0 : scale;
    double support = 0.5 * fs, center = (o + 0.5) * scale, ss = 1.0 / fs;
    int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
    if (xmin < 0) xmin = 0;
    if (xmax > in) xmax = in;
    xmax -= xmin;
    if (xmax > 64) xmax = 64;
    double wv[64], ww = 0;
    for (int x = 0; x < xmax; x++) {
        double t = (x + xmin - center + 0.5) * ss;
        wv[x] = (t > -0.5 && t <= 0.5) ? 1.0 : 0.0;
        ww += wv[x];
    }
    for (int x = 0; x < xmax; x++) {
        double v = ww != 0.0 ? wv[x] / ww : wv[x];
        bc->k[x] = v < 0 ? (int)(-0.5 + v * (1 << PB)) : (int)(0.5 + v * (1 << PB));
    }
    bc->xmin = xmin;
    bc->n = xmax;
}

static inline uint8_t clip8(int v)
{
    if (v >= (1 << PB << 8)) return 255;
    if (v <= 0) return 0;
    return (uint8_t)(v >> PB);
}

void ar_resize_box_u8(const uint8_t *in, int ih, int iw, int c, uint8_t *out, int oh, int ow,
                      uint8_t *tmp)
{
    box_coef_t bc;
    /* horizontal: ih x iw -> ih x ow */
    for (int x = 0; x < ow; x++) {
        box_coefs(iw, ow, x, &bc);
        for (int y = 0; y < ih; y++)
            for (int ch = 0; ch < c; ch++) {
                int ss = 1 << (PB - 1);
                for (int j = 0; j < bc.n; j++) ss += in[((long)y * iw + bc.xmin + j) * c + ch] * bc.k[j];
                tmp[((long)y * ow + x) * c + ch] = clip8(ss);
            }
    }
    /* vertical: ih x ow -> oh x ow */
    for (int y = 0; y < oh; y++) {
        box_coefs(ih, oh, y, &bc);
        for (int x = 0; x < ow; x++)
            for (int ch = 0; ch < c; ch++) {
                int ss = 1 << (PB - 1);
                for (int j = 0; j < bc.n; j++) ss += tmp[((long)(bc.xmin + j) * ow + x) * c + ch] * bc.k[j];
                out[((long)y * ow + x) * c + ch] = clip8(ss);
            }
    }
}

void ar_resize_linear_u8(const uint8_t *in, int ih, int iw, int c, uint8_t *out, int oh, int ow)
{
    double sy = (double)ih / oh, sx = (double)iw / ow;
    for (int y = 0; y < oh; y++) {
        double fy = (y + 0.5) * sy - 0.5;
        int y0 = (int)floor(fy);
        double ty = fy - y0;
        int ya = y0 < 0 ? 0 : y0 >= ih ? ih - 1 : y0;
        int yb = y0 + 1 < 0 ? 0 : y0 + 1 >= ih ? ih - 1 : y0 + 1;
        for (int x = 0; x < ow; x++) {
            double fx = (x + 0.5) * sx - 0.5;
            int x0 = (int)floor(fx);
            double tx = fx - x0;
            int xa = x0 < 0 ? 0 : x0 >= iw ? iw - 1 : x0;
            int xb = x0 + 1 < 0 ? 0 : x0 + 1 >= iw ? iw - 1 : x0 + 1;
            for (int ch = 0; ch < c; ch++) {
                double v = (1 - ty) * ((1 - tx) * in[((long)ya * iw + xa) * c + ch] +
                                       tx * in[((long)ya * iw + xb) * c + ch]) +
                           ty * ((1 - tx) * in[((long)yb * iw + xa) * c + ch] +
                                 tx * in[((long)yb * iw + xb) * c + ch]);
                int q = (int)floor(v + 0.5);
                out[((long)y * ow + x) * c + ch] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
}
