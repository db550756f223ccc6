/* image_tree.h - small image-folder trees of known content for the tests
 * (test_image_folder.c, test_dataset.c) and for make_image_tree (the CLI
 * tests): ImageFolder, Tiny-ImageNet and Tiny-ImageNet-C layouts, images
 * written with ar_png_write / ar_jpeg_write.
 *
 * Content: image (class k, index i) is smooth - a class colour plus a
 * gentle gradient and an index offset - so JPEG keeps it within a few
 * levels: it_pixel(k, i, y, x, ch). The class colours differ enough that a
 * small network can tell the classes apart.
 */
#ifndef AR_TEST_IMAGE_TREE_H
#define AR_TEST_IMAGE_TREE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/image_io.h"

/* JPEG quality of the trees (high: the tests compare within a tolerance). */
#define IT_JPEG_QUALITY 95

static inline uint8_t it_pixel(int k, int i, int y, int x, int ch)
{
    static const int base[8][3] = {{200, 40, 40},  {40, 190, 50}, {50, 60, 200}, {190, 190, 40},
                                   {40, 180, 180}, {180, 50, 180}, {120, 120, 120}, {230, 130, 60}};
    int v = base[k % 8][ch] + (y + x) / 4 + (i % 5) * 3 - 12 + (k / 8) * 5;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static inline void it_fill(uint8_t *px, int k, int i, int h, int w)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < 3; ch++) px[((size_t)y * w + x) * 3 + ch] = it_pixel(k, i, y, x, ch);
}

static inline void it_mkdirs(const char *path)
{
    char p[2048];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
}

/* Writes image (k, i) of h x w to path: JPEG when the name ends in .jpg,
 * .jpeg or .JPEG, else PNG. 0 or -1 (message on stderr). */
static inline int it_write(const char *path, int k, int i, int h, int w)
{
    uint8_t *px = malloc((size_t)h * w * 3);
    if (!px) return -1;
    it_fill(px, k, i, h, w);
    size_t n = strlen(path);
    int jpeg = (n > 4 && (!strcmp(path + n - 4, ".jpg") || !strcmp(path + n - 4, ".JPG"))) ||
               (n > 5 && (!strcmp(path + n - 5, ".jpeg") || !strcmp(path + n - 5, ".JPEG")));
    ar_err_t e = {0};
    int st = jpeg ? ar_jpeg_write(path, px, h, w, 3, IT_JPEG_QUALITY, &e) : ar_png_write(path, px, h, w, 3, &e);
    free(px);
    if (st) fprintf(stderr, "it_write: %s\n", ar_err_msg(&e));
    return st ? -1 : 0;
}

static inline int it_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The class id of the k-th class in wnids.txt's order (not sorted):
 * "n%08d" of 1000 + 11 ((5k + 3) mod 7) + 100 (k / 7), distinct for every k;
 * it_label gives its label (its rank among the first n ids sorted). */
static inline int it_wnid_num(int k) { return 1000 + ((k * 5 + 3) % 7) * 11 + k / 7 * 100; }

static inline const char *it_wnid(int k)
{
    static char buf[8][32];
    char *b = buf[k & 7];
    snprintf(b, 32, "n%08d", it_wnid_num(k));
    return b;
}

/* (the ids have one width, so numeric order is name order) */
static inline int it_label(int k, int n)
{
    int r = 0;
    for (int j = 0; j < n; j++) r += it_wnid_num(j) < it_wnid_num(k);
    return r;
}

/* Tiny-ImageNet of nclass classes of h x w JPEG images at root: wnids.txt
 * (unsorted), words.txt (plus one unrelated line),
 * train/<wnid>/images/<wnid>_<i>.JPEG (ntrain per class, boxes file beside),
 * val/images/val_<j>.JPEG (nval in all; val_j is of the file-order class
 * (7 j + 1) mod nclass, so every class appears when nclass is no multiple of
 * 7 and nval >= nclass) with val_annotations.txt in a shuffled line order
 * (nval must not be a multiple of 7), and an unlabelled
 * test/images/test_0.JPEG. */
static inline int it_tiny(const char *root, int nclass, int ntrain, int nval, int h, int w)
{
    char p[2048], line[256];
    it_mkdirs(root);
    size_t cap = (size_t)(nclass + nval + 4) * 128;
    char *wn = calloc(1, cap), *words = calloc(1, cap), *ann = calloc(1, cap);
    int st = wn && words && ann ? 0 : -1;
    strcat(words, "n99999999\tunrelated thing, other\n");
    for (int k = 0; k < nclass && !st; k++) {
        snprintf(line, sizeof line, "n%08d\n", it_wnid_num(k));
        strcat(wn, line);
        snprintf(line, sizeof line, "n%08d\tthing %d, other name\n", it_wnid_num(k), k);
        strcat(words, line);
        snprintf(p, sizeof p, "%s/train/n%08d/images", root, it_wnid_num(k));
        it_mkdirs(p);
        for (int i = 0; i < ntrain && !st; i++) {
            snprintf(p, sizeof p, "%s/train/n%08d/images/n%08d_%d.JPEG", root, it_wnid_num(k), it_wnid_num(k), i);
            st = it_write(p, k, i, h, w);
        }
        snprintf(p, sizeof p, "%s/train/n%08d/n%08d_boxes.txt", root, it_wnid_num(k), it_wnid_num(k));
        if (!st) st = it_text(p, "x_0.JPEG\t0\t0\t10\t10\n");
    }
    snprintf(p, sizeof p, "%s/val/images", root);
    it_mkdirs(p);
    for (int j = 0; j < nval && !st; j++) {
        int jj = (j * 7 + 3) % nval; /* a shuffled line order (nval not a multiple of 7) */
        int k = (jj * 7 + 1) % nclass;
        snprintf(p, sizeof p, "%s/val/images/val_%d.JPEG", root, jj);
        st = it_write(p, k, jj, h, w);
        snprintf(line, sizeof line, "val_%d.JPEG\tn%08d\t%d\t%d\t%d\t%d\n", jj, it_wnid_num(k), 1, 2, 30, 40);
        strcat(ann, line);
    }
    snprintf(p, sizeof p, "%s/test/images", root);
    it_mkdirs(p);
    snprintf(p, sizeof p, "%s/test/images/test_0.JPEG", root);
    if (!st) st = it_write(p, 0, 0, h, w);
    snprintf(p, sizeof p, "%s/wnids.txt", root);
    if (!st) st = it_text(p, wn);
    snprintf(p, sizeof p, "%s/words.txt", root);
    if (!st) st = it_text(p, words);
    snprintf(p, sizeof p, "%s/val/val_annotations.txt", root);
    if (!st) st = it_text(p, ann);
    free(wn), free(words), free(ann);
    return st;
}

/* Tiny-ImageNet-C at root: for each of the ncor corruptions and severities
 * 1..nsev, <corruption>/<s>/<wnid>/<wnid>_<i>.JPEG for the nclass classes,
 * nper images each (content: class k, index i + 10 s). */
static inline int it_tiny_c(const char *root, const char *const *cor, int ncor, int nsev, int nclass, int nper,
                            int h, int w)
{
    char p[2048];
    int st = 0;
    for (int c = 0; c < ncor && !st; c++)
        for (int s = 1; s <= nsev && !st; s++)
            for (int k = 0; k < nclass && !st; k++) {
                snprintf(p, sizeof p, "%s/%s/%d/n%08d", root, cor[c], s, it_wnid_num(k));
                it_mkdirs(p);
                for (int i = 0; i < nper && !st; i++) {
                    snprintf(p, sizeof p, "%s/%s/%d/n%08d/n%08d_%d.JPEG", root, cor[c], s, it_wnid_num(k), it_wnid_num(k), i);
                    st = it_write(p, k, i + 10 * s, h, w);
                }
            }
    return st;
}

#endif
