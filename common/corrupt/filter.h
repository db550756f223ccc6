/* filter.h - the linear filters corruptions are made of: scipy-style Gaussian
 * kernels and separable filtering, 2-D correlation, OpenCV's anti-aliased disk
 * (defocus) kernel and ImageMagick's motion-blur kernel.
 *
 * Images are double HWC arrays (h rows, w columns, c interleaved channels);
 * every channel is filtered independently. Nothing here allocates.
 */
#ifndef AR_CORRUPT_FILTER_H
#define AR_CORRUPT_FILTER_H

/* How indices outside [0, n) are brought back, by their scipy / OpenCV names. */
typedef enum {
    AR_BORDER_NEAREST, /* aaa|abcd|ddd (scipy 'nearest', OpenCV REPLICATE) */
    AR_BORDER_REFLECT, /* cba|abcd|dcb... half-sample symmetric (scipy 'reflect') */
    AR_BORDER_MIRROR   /* dcb|abcd|cba, reflect-101 (scipy 'mirror', OpenCV default) */
} ar_border_t;

/* Maps any index i to [0, n) (n >= 1), with repeated reflection far out. */
int ar_border_index(int i, int n, ar_border_t mode);

#define AR_GAUSS_MAXR 512

/* scipy.ndimage's Gaussian kernel: radius r = (int)(truncate * sigma + 0.5),
 * k[j] = exp(-0.5 / sigma^2 * (j - r)^2) normalised, j = 0..2r. Returns r,
 * or -1 when r > AR_GAUSS_MAXR (k must hold 2 * AR_GAUSS_MAXR + 1). sigma <= 0
 * gives r = 0, k = {1}. */
int ar_gauss_kernel(double sigma, double truncate, double *k);

/* Separable symmetric filter (kernel k of radius r) along rows (H) then
 * columns (W), as scipy.ndimage.gaussian_filter does for an HWC image with
 * sigma (s, s, 0). tmp holds h*w*c doubles; in and out may be the same. */
void ar_filter_sep(const double *in, double *out, double *tmp, int h, int w, int c,
                   const double *k, int r, ar_border_t mode);

/* Gaussian blur: ar_gauss_kernel + ar_filter_sep. Returns 0 or -1 (sigma too
 * large). */
int ar_gauss_blur(const double *in, double *out, double *tmp, int h, int w, int c, double sigma,
                  double truncate, ar_border_t mode);

/* 2-D correlation with a kh x kw kernel (odd sizes, anchor at the centre),
 * sum over kernel rows then columns in row-major order. in != out. */
void ar_filter_2d(const double *in, double *out, int h, int w, int c, const double *k, int kh,
                  int kw, ar_border_t mode);

/* make_cifar_c.py's disk(radius, alias_blur): on the grid -L..L (L = 8, or
 * ceil(radius) when radius > 8) the indicator X^2 + Y^2 <= radius^2,
 * normalised, then OpenCV GaussianBlur with a ksize 3 (5 when radius > 8)
 * kernel of sigma alias_blur (rows, then columns, reflect-101). The result is
 * trimmed to the smallest centred square holding every non-zero entry.
 * Writes *size x *size entries to k (cap entries); returns 0, or -1 when cap
 * is too small. */
int ar_disk_kernel(double radius, double alias_blur, double *k, int cap, int *size);

/* ImageMagick MotionBlurImage: width = 2*ceil(radius)+1 one-sided weights
 * exp(-i^2 / (2 sigma^2)) normalised; offsets (ceil(i cos a - .5),
 * ceil(i sin a - .5)) with y down, a = angle in degrees; edge pixels
 * replicated. out(y, x) = sum_i k[i] in(y + dy_i, x + dx_i). in != out.
 * Returns 0, or -1 when the width exceeds AR_GAUSS_MAXR. */
int ar_motion_blur(const double *in, double *out, int h, int w, int c, double radius,
                   double sigma, double angle_deg);

#endif
