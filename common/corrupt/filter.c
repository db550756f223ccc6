/* filter.c - Gaussian, separable, 2-D, disk and motion-blur filters. */
#include "filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ar_border_index(int i, int n, ar_border_t mode)
{
    if (i >= 0 && i < n) return i;
    if (n == 1) return 0;
    switch (mode) {
    case AR_BORDER_NEAREST:
        return i < 0 ? 0 : n - 1;
    case AR_BORDER_REFLECT: {
        int p = 2 * n;
        int m = i % p;
        if (m < 0) m += p;
        return m < n ? m : p - 1 - m;
    }
    case AR_BORDER_MIRROR:
    default: {
        int p = 2 * n - 2;
        int m = i % p;
        if (m < 0) m += p;
        return m < n ? m : p - m;
    }
    }
}

int ar_gauss_kernel(double sigma, double truncate, double *k)
{
    if (!(sigma > 1e-15)) {
        k[0] = 1.0;
        return 0;
    }
    int r = (int)(truncate * sigma + 0.5);
    if (r > AR_GAUSS_MAXR) return -1;
    double s2 = sigma * sigma, sum = 0;
    for (int j = -r; j <= r; j++) {
        k[j + r] = exp(-0.5 / s2 * (double)(j * j));
        sum += k[j + r];
    }
    for (int j = 0; j <= 2 * r; j++) k[j] /= sum;
    return r;
}

/* One line of the symmetric correlation, scipy's order: centre first, then
 * (left + right) pairs from the outside in. line is padded by r each side. */
static void corr_line(const double *line, double *out, int n, int stride, const double *k, int r)
{
    const double *kc = k + r;
    for (int i = 0; i < n; i++) {
        const double *p = line + r + i;
        double acc = p[0] * kc[0];
        for (int j = -r; j < 0; j++) acc += (p[j] + p[-j]) * kc[j];
        out[(long)i * stride] = acc;
    }
}

void ar_filter_sep(const double *in, double *out, double *tmp, int h, int w, int c,
                   const double *k, int r, ar_border_t mode)
{
    double line[4096 + 2 * AR_GAUSS_MAXR + 2];
    double res[4096];
    /* along H: for each column and channel */
    for (int x = 0; x < w; x++)
        for (int ch = 0; ch < c; ch++) {
            for (int i = -r; i < h + r; i++)
                line[i + r] = in[((long)ar_border_index(i, h, mode) * w + x) * c + ch];
            corr_line(line, res, h, 1, k, r);
            for (int y = 0; y < h; y++) tmp[((long)y * w + x) * c + ch] = res[y];
        }
    /* along W */
    for (int y = 0; y < h; y++)
        for (int ch = 0; ch < c; ch++) {
            const double *row = tmp + (long)y * w * c + ch;
            for (int i = -r; i < w + r; i++) line[i + r] = row[(long)ar_border_index(i, w, mode) * c];
            corr_line(line, out + (long)y * w * c + ch, w, c, k, r);
        }
}

int ar_gauss_blur(const double *in, double *out, double *tmp, int h, int w, int c, double sigma,
                  double truncate, ar_border_t mode)
{
    double k[2 * AR_GAUSS_MAXR + 1];
    int r = ar_gauss_kernel(sigma, truncate, k);
    if (r < 0) return -1;
    if (r == 0) {
        if (out != in) memcpy(out, in, sizeof(double) * (size_t)h * w * c);
        return 0;
    }
    ar_filter_sep(in, out, tmp, h, w, c, k, r, mode);
    return 0;
}

void ar_filter_2d(const double *in, double *out, int h, int w, int c, const double *k, int kh,
                  int kw, ar_border_t mode)
{
    int ry = kh / 2, rx = kw / 2;
    long rs = (long)w * c;
    for (int y = 0; y < h; y++) {
        int yin = y >= ry && y + ry < h;
        for (int x = 0; x < w; x++) {
            if (yin && x >= rx && x + rx < w) { /* interior: no border mapping */
                const double *base = in + (long)(y - ry) * rs + (long)(x - rx) * c;
                for (int ch = 0; ch < c; ch++) {
                    double acc = 0;
                    for (int a = 0; a < kh; a++) {
                        const double *row = base + a * rs + ch;
                        const double *kr = k + (long)a * kw;
                        for (int b = 0; b < kw; b++) acc += kr[b] * row[(long)b * c];
                    }
                    out[((long)y * w + x) * c + ch] = acc;
                }
                continue;
            }
            for (int ch = 0; ch < c; ch++) {
                double acc = 0;
                for (int a = 0; a < kh; a++) {
                    const double *row = in + (long)ar_border_index(y + a - ry, h, mode) * rs;
                    const double *kr = k + (long)a * kw;
                    for (int b = 0; b < kw; b++)
                        acc += kr[b] * row[(long)ar_border_index(x + b - rx, w, mode) * c + ch];
                }
                out[((long)y * w + x) * c + ch] = acc;
            }
        }
    }
}

/* OpenCV getGaussianKernel(n, sigma) for sigma > 0. */
static void cv_gauss(int n, double sigma, double *g)
{
    double sum = 0, s2 = 2 * sigma * sigma;
    for (int i = 0; i < n; i++) {
        double x = i - (n - 1) * 0.5;
        g[i] = exp(-x * x / s2);
        sum += g[i];
    }
    for (int i = 0; i < n; i++) g[i] /= sum;
}

int ar_disk_kernel(double radius, double alias_blur, double *k, int cap, int *size)
{
    int L = radius <= 8 ? 8 : (int)ceil(radius);
    int n = 2 * L + 1, ks = radius <= 8 ? 3 : 5;
    if ((long)n * n * 3 > cap) return -1;
    double *disk = k + (long)n * n, *tmp = k + 2L * n * n, g[5];
    double total = 0;
    for (int y = -L; y <= L; y++)
        for (int x = -L; x <= L; x++) {
            double v = (double)(x * x + y * y) <= radius * radius ? 1.0 : 0.0;
            disk[(y + L) * n + (x + L)] = v;
            total += v;
        }
    for (int i = 0; i < n * n; i++) disk[i] /= total;
    cv_gauss(ks, alias_blur, g);
    int rg = ks / 2;
    for (int y = 0; y < n; y++) /* rows: along x */
        for (int x = 0; x < n; x++) {
            double acc = 0;
            for (int j = 0; j < ks; j++) acc += g[j] * disk[y * n + ar_border_index(x + j - rg, n, AR_BORDER_MIRROR)];
            tmp[y * n + x] = acc;
        }
    for (int y = 0; y < n; y++) /* columns: along y */
        for (int x = 0; x < n; x++) {
            double acc = 0;
            for (int j = 0; j < ks; j++) acc += g[j] * tmp[ar_border_index(y + j - rg, n, AR_BORDER_MIRROR) * n + x];
            disk[y * n + x] = acc;
        }
    /* trim: the smallest centred square with all non-zeros */
    int R = 0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            if (disk[y * n + x] != 0) {
                int d = abs(y - L) > abs(x - L) ? abs(y - L) : abs(x - L);
                if (d > R) R = d;
            }
    int m = 2 * R + 1;
    for (int y = 0; y < m; y++)
        for (int x = 0; x < m; x++) k[y * m + x] = disk[(y + L - R) * n + (x + L - R)];
    *size = m;
    return 0;
}

int ar_motion_blur(const double *in, double *out, int h, int w, int c, double radius,
                   double sigma, double angle_deg)
{
    int width = (int)(2.0 * ceil(radius) + 1.0);
    if (width > AR_GAUSS_MAXR) return -1;
    double k[AR_GAUSS_MAXR], norm = 0;
    int ox[AR_GAUSS_MAXR], oy[AR_GAUSS_MAXR];
    double s = sigma < 1e-12 ? 1e-12 : sigma;
    double a = angle_deg * (3.14159265358979323846 / 180.0);
    double px = width * sin(a), py = width * cos(a), hyp = hypot(px, py);
    for (int i = 0; i < width; i++) {
        k[i] = exp(-((double)i * i) / (2.0 * s * s));
        norm += k[i];
        ox[i] = (int)ceil((double)i * py / hyp - 0.5);
        oy[i] = (int)ceil((double)i * px / hyp - 0.5);
    }
    for (int i = 0; i < width; i++) k[i] /= norm;
    /* taps are summed in ImageMagick's order, i = 0..width-1 */
    int mnx = 0, mxx = 0, mny = 0, mxy = 0;
    for (int i = 0; i < width; i++) {
        mnx = ox[i] < mnx ? ox[i] : mnx, mxx = ox[i] > mxx ? ox[i] : mxx;
        mny = oy[i] < mny ? oy[i] : mny, mxy = oy[i] > mxy ? oy[i] : mxy;
    }
    long off[AR_GAUSS_MAXR];
    for (int i = 0; i < width; i++) off[i] = ((long)oy[i] * w + ox[i]) * c;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double acc[4] = {0, 0, 0, 0};
            if (y + mny >= 0 && y + mxy < h && x + mnx >= 0 && x + mxx < w) {
                const double *p0 = in + ((long)y * w + x) * c;
                for (int i = 0; i < width; i++)
                    for (int ch = 0; ch < c; ch++) acc[ch] += k[i] * p0[off[i] + ch];
            } else {
                for (int i = 0; i < width; i++) {
                    int yy = y + oy[i], xx = x + ox[i];
                    yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
                    xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
                    const double *p = in + ((long)yy * w + xx) * c;
                    for (int ch = 0; ch < c; ch++) acc[ch] += k[i] * p[ch];
                }
            }
            for (int ch = 0; ch < c; ch++) out[((long)y * w + x) * c + ch] = acc[ch];
        }
    return 0;
}
