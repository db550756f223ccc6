/* resize.h - image resampling used by the corruptions: scipy's order-1 zoom
 * (corner aligned), clipped_zoom, Pillow's BOX resize, and OpenCV-style
 * bilinear resize (for frost textures). Nothing here allocates.
 */
#ifndef AR_CORRUPT_RESIZE_H
#define AR_CORRUPT_RESIZE_H

#include <stdint.h>

/* scipy.ndimage.zoom(order=1) of the ih x iw x c double image at in (row
 * stride istride doubles) to oh x ow: output (y, x) samples the input at
 * (y (ih-1)/(oh-1), x (iw-1)/(ow-1)) bilinearly (an axis of size 1 maps to
 * coordinate 0). oh, ow <= 4096. */
void ar_zoom_linear(const double *in, int ih, int iw, int istride, int c, double *out, int oh,
                    int ow);

/* make_cifar_c.py's clipped_zoom(x, z) on an h x w x c image: the centred
 * crop of ceil(h/z) x ceil(w/z) starting at ((h-ch)//2, (w-cw)//2) is zoomed
 * to round(ch z) x round(cw z) and its centre h x w (from (new-h)//2) kept.
 * tmp holds enough doubles for the zoomed crop ((h+2)(w+2)c suffices for
 * z <= 2; use ar_clipped_zoom_scratch). in != out. */
void ar_clipped_zoom(const double *in, double *out, double *tmp, int h, int w, int c, double z);
/* acc += clipped_zoom(in, z), computing only the kept h x w window (same
 * arithmetic per element as ar_clipped_zoom; no scratch). */
void ar_clipped_zoom_add(const double *in, double *acc, int h, int w, int c, double z);
/* Doubles of tmp ar_clipped_zoom needs for zoom factor z. */
long ar_clipped_zoom_scratch(int h, int w, int c, double z);

/* Pillow Image.resize(..., BOX) of uint8 HWC images: horizontal pass then
 * vertical pass, each rounding to uint8 with Pillow's 22-bit fixed-point
 * coefficients. tmp holds ih * ow * c bytes. */
void ar_resize_box_u8(const uint8_t *in, int ih, int iw, int c, uint8_t *out, int oh, int ow,
                      uint8_t *tmp);

/* OpenCV INTER_LINEAR resize (half-pixel centres, edge clamp) of uint8 HWC,
 * rounding to uint8. */
void ar_resize_linear_u8(const uint8_t *in, int ih, int iw, int c, uint8_t *out, int oh, int ow);

#endif
