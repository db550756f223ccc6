/* corrupt_sheet.h - contact sheets of corruptions: a row per corruption
 * (named on the left), and for each of k images the columns clean, s1..s5
 * (headed on top); images below 64 pixels are enlarged 3x (nearest). */
#ifndef AR_CLI_CORRUPT_SHEET_H
#define AR_CLI_CORRUPT_SHEET_H

#include <stdint.h>

#include "core/error.h"
#include "corrupt/corrupt.h"

/* Writes the sheet of the k images at clean (uint8 HWC, h x w x c each) as
 * an RGB PNG at path (atomically). Image i is corrupted with index i and
 * seed, so the sheet shows the bytes a full run writes for those rows. */
int ar_corrupt_sheet_write(const char *path, const uint8_t *clean, int k, int h, int w, int c,
                           const int *names, int nnames, uint64_t seed, ar_corrupt_ctx_t *ctx,
                           ar_err_t *err);

#endif
