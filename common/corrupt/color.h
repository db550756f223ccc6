/* color.h - HSV operations on one RGB pixel in [0,1], written as closed
 * forms (equal to skimage's rgb2hsv -> edit -> hsv2rgb up to rounding;
 * docs/corruptions.md "Helpers"), and luma.
 */
#ifndef AR_CORRUPT_COLOR_H
#define AR_CORRUPT_COLOR_H

/* V += dv, clipped to [0,1]: rgb *= V'/V; a black pixel (V = 0) becomes gray
 * V'. */
void ar_color_add_value(double *rgb, double dv);

/* S = clip(S a + b, 0, 1): rgb = V - (V - rgb) S'/S; a gray pixel (S = 0,
 * skimage's hue 0) becomes (V, V(1-S'), V(1-S')). */
void ar_color_scale_saturation(double *rgb, double a, double b);

/* OpenCV RGB2GRAY weights: .299 R + .587 G + .114 B. */
static inline double ar_color_luma(double r, double g, double b)
{
    return 0.299 * r + 0.587 * g + 0.114 * b;
}

#endif
