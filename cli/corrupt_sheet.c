/* corrupt_sheet.c - contact sheets of corruptions (archrepair corrupt --preview). */
#include "corrupt_sheet.h"

#include <stdlib.h>
#include <string.h>

#include "io/image_io.h"
#include "sheet_font.h"

int ar_corrupt_sheet_write(const char *path, const uint8_t *clean, int k, int h, int w, int c,
                           const int *names, int nnames, uint64_t seed, ar_corrupt_ctx_t *ctx,
                           ar_err_t *err)
{
    size_t img_bytes = (size_t)h * w * c;
    int sc = h < 64 ? 3 : 1, gap = 2 * sc, cellw = w * sc + gap, cellh = h * sc + gap;
    int fs = cellh >= 40 ? 2 : 1, labw = ar_font_width("elastic_transform", fs) + 4 * fs;
    int headh = 7 * fs + 6 * fs, groupgap = 4 * gap;
    int SW = labw + k * 6 * cellw + (k - 1) * groupgap, SH = headh + nnames * cellh;
    uint8_t *sheet = malloc((size_t)SW * SH * 3), *img = malloc(img_bytes);
    if (!sheet || !img) {
        free(sheet), free(img);
        return ar_err_set(err, AR_E_NOMEM, "%s: %dx%d preview sheet", path, SW, SH);
    }
    memset(sheet, 255, (size_t)SW * SH * 3);
    static const char *const heads[6] = {"clean", "s1", "s2", "s3", "s4", "s5"};
    for (int i = 0; i < k; i++)
        for (int s = 0; s <= 5; s++) {
            int x0 = labw + (i * 6 + s) * cellw + i * groupgap;
            int tw = ar_font_width(heads[s], fs);
            ar_font_draw(sheet, SW, SH, x0 + (w * sc - tw) / 2, 3 * fs, heads[s], fs, 0);
        }
    int st = 0;
    for (int r = 0; r < nnames && !st; r++) {
        int y0 = headh + r * cellh;
        ar_font_draw(sheet, SW, SH, 2 * fs, y0 + (h * sc - 7 * fs) / 2, ar_corrupt_name(names[r]),
                     fs, 0);
        for (int i = 0; i < k && !st; i++)
            for (int s = 0; s <= 5 && !st; s++) {
                const uint8_t *src = clean + (size_t)i * img_bytes;
                if (s) {
                    st = ar_corrupt_image(ctx, names[r], s, seed, i, src, img, h, w, c, err);
                    src = img;
                }
                int x0 = labw + (i * 6 + s) * cellw + i * groupgap;
                for (int y = 0; y < h * sc; y++)
                    for (int x = 0; x < w * sc; x++)
                        for (int ch = 0; ch < 3; ch++)
                            sheet[((size_t)(y0 + y) * SW + x0 + x) * 3 + ch] =
                                src[((size_t)(y / sc) * w + x / sc) * c + (c == 3 ? ch : 0)];
            }
    }
    if (!st) st = ar_png_write(path, sheet, SH, SW, 3, err);
    free(sheet), free(img);
    return st;
}
