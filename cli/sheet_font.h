/* sheet_font.h - a 5x7 bitmap font (a-z, 0-9, '_', ' ', '-') for labelling
 * contact sheets (archrepair corrupt --preview). */
#ifndef AR_CLI_SHEET_FONT_H
#define AR_CLI_SHEET_FONT_H

#include <stdint.h>

/* Width in pixels of text drawn at scale (6 * scale per character). */
int ar_font_width(const char *text, int scale);

/* Draws text into an RGB image (W x H) with its top-left corner at (x, y),
 * each font pixel a scale x scale square of gray value `value`; clipped to the
 * image. Unknown characters draw as blanks; upper case as lower case. */
void ar_font_draw(uint8_t *rgb, int W, int H, int x, int y, const char *text, int scale,
                  uint8_t value);

#endif
