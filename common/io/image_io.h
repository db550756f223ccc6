/* image_io.h - reading PNG / JPEG image files and writing PNG (libpng,
 * libjpeg): frost textures, contact sheets, and the image-folder datasets
 * (data/ds_imgfolder.c). The one file that touches libpng and libjpeg's
 * file side (corrupt/jpeg.c holds jpeg_compression's in-memory round trip).
 */
#ifndef AR_CORRUPT_IMAGE_IO_H
#define AR_CORRUPT_IMAGE_IO_H

#include <stdint.h>

#include "core/error.h"

/* Reads a .png or .jpg/.jpeg file (by its magic bytes) as 8-bit HWC with c
 * channels (1 = gray by luma, 3 = RGB; alpha dropped, 16-bit reduced,
 * palettes expanded). *px is malloc'd, freed by the caller. */
int ar_image_read(const char *path, int c, uint8_t **px, int *h, int *w, ar_err_t *err);

/* Writes an 8-bit HWC image (c = 1 gray or 3 RGB) as PNG, atomically
 * (temporary name + rename). */
int ar_png_write(const char *path, const uint8_t *px, int h, int w, int c, ar_err_t *err);

#endif
