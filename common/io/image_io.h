/* image_io.h - reading PNG / JPEG image files and writing PNG and JPEG
 * (libpng, libjpeg): frost textures, contact sheets, and the image-folder
 * datasets (data/image_folder.h). The one file that touches libpng and
 * libjpeg's file side (corrupt/jpeg.c holds jpeg_compression's in-memory
 * round trip).
 *
 * Errors name the file: AR_E_IO when it cannot be opened, AR_E_FORMAT when it
 * is neither PNG nor JPEG, damaged or truncated (with libpng's / libjpeg's
 * message), or of an unexpected size; AR_E_NOMEM.
 */
#ifndef AR_IO_IMAGE_IO_H
#define AR_IO_IMAGE_IO_H

#include <stdint.h>

#include "core/error.h"

/* Largest image (pixels) any of these reads accepts: 2^28. */
#define AR_IMAGE_MAX_PIXELS ((int64_t)1 << 28)

/* Reads a .png or .jpg/.jpeg file (by its magic bytes) as 8-bit HWC with c
 * channels (1 = gray by luma, 3 = RGB; alpha dropped, 16-bit reduced,
 * palettes expanded, gray replicated to RGB). *px is malloc'd, freed by the
 * caller. */
int ar_image_read(const char *path, int c, uint8_t **px, int *h, int *w, ar_err_t *err);

/* The size of a PNG or JPEG file from its header, without decoding pixels. */
int ar_image_size(const char *path, int *h, int *w, ar_err_t *err);

/* Reads path into out (h * w * c bytes, converted as ar_image_read does)
 * when the file is h x w; an image of another size is AR_E_FORMAT naming the
 * file and both sizes, found from the header before anything is decoded.
 * out is undefined on failure. */
int ar_image_read_into(const char *path, int c, int h, int w, uint8_t *out, ar_err_t *err);

/* Writes an 8-bit HWC image (c = 1 gray or 3 RGB) as PNG, atomically
 * (temporary name + rename). */
int ar_png_write(const char *path, const uint8_t *px, int h, int w, int c, ar_err_t *err);

/* The same as a baseline JPEG of quality 1..100 (4:2:0 chroma for RGB). */
int ar_jpeg_write(const char *path, const uint8_t *px, int h, int w, int c, int quality,
                  ar_err_t *err);

#endif
