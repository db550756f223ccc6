/* color.c - HSV value / saturation edits by their closed forms. */
#include "color.h"

static double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
}
static double min3(double a, double b, double c)
{
    double m = a < b ? a : b;
    return m < c ? m : c;
}
static double clip01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

void ar_color_add_value(double *rgb, double dv)
{
    double v = max3(rgb[0], rgb[1], rgb[2]);
    double v2 = clip01(v + dv);
    if (v == 0) {
        rgb[0] = rgb[1] = rgb[2] = v2;
        return;
    }
    for (int i = 0; i < 3; i++) rgb[i] = rgb[i] * v2 / v;
}

void ar_color_scale_saturation(double *rgb, double a, double b)
{
    double v = max3(rgb[0], rgb[1], rgb[2]);
    double d = v - min3(rgb[0], rgb[1], rgb[2]);
    double s = v == 0 ? 0 : d / v;
    double s2 = clip01(s * a + b);
    if (d == 0) {
        rgb[0] = v;
        rgb[1] = rgb[2] = v * (1 - s2);
        return;
    }
    for (int i = 0; i < 3; i++) rgb[i] = v - (v - rgb[i]) * s2 / s;
}
