/* image_io.c - PNG read/write through libpng, JPEG file read through libjpeg. */
#include "image_io.h"

#include <stdio.h>

#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

/* rgb (or gray) rows -> c channels */
static void convert(const uint8_t *src, int sc, uint8_t *dst, int c, long npix)
{
    for (long i = 0; i < npix; i++) {
        const uint8_t *s = src + i * sc;
        uint8_t *d = dst + i * c;
        if (c == sc) {
            memcpy(d, s, (size_t)c);
        } else if (c == 1) {
            double g = 0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2];
            d[0] = (uint8_t)(g + 0.5 > 255 ? 255 : g + 0.5);
        } else {
            d[0] = d[1] = d[2] = s[0];
        }
    }
}

/* libpng messages are kept for our error, not printed */
typedef struct {
    char msg[200];
} png_msg_t;
static void png_on_error(png_structp p, png_const_charp msg)
{
    png_msg_t *m = png_get_error_ptr(p);
    if (m) snprintf(m->msg, sizeof m->msg, "%s", msg);
    png_longjmp(p, 1);
}
static void png_on_warning(png_structp p, png_const_charp msg) { (void)p, (void)msg; }

static int read_png(FILE *f, const char *path, int c, uint8_t **out, int *ph, int *pw,
                    ar_err_t *err)
{
    png_msg_t pm = {"not a readable PNG"};
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, &pm, png_on_error, png_on_warning);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    uint8_t *volatile raw = NULL;
    png_bytep *volatile rows = NULL;
    uint8_t *volatile px = NULL;
    if (!info) {
        png_destroy_read_struct(&p, NULL, NULL);
        return ar_err_set(err, AR_E_NOMEM, "%s: libpng init", path);
    }
    if (setjmp(png_jmpbuf(p))) {
        png_destroy_read_struct(&p, &info, NULL);
        free(raw);
        free(rows);
        free(px);
        return ar_err_set(err, AR_E_FORMAT, "%s: PNG: %s", path, pm.msg);
    }
    png_init_io(p, f);
    png_read_info(p, info);
    int w = (int)png_get_image_width(p, info), h = (int)png_get_image_height(p, info);
    png_set_expand(p);
    png_set_strip_16(p);
    png_set_strip_alpha(p);
    png_read_update_info(p, info);
    int sc = png_get_channels(p, info);
    if ((sc != 1 && sc != 3) || w <= 0 || h <= 0 || (long)w * h > (1L << 28)) {
        png_destroy_read_struct(&p, &info, NULL);
        return ar_err_set(err, AR_E_FORMAT, "%s: unsupported PNG layout", path);
    }
    raw = malloc((size_t)w * h * sc);
    rows = malloc(sizeof(png_bytep) * (size_t)h);
    px = malloc((size_t)w * h * c);
    if (!raw || !rows || !px) png_longjmp(p, 1);
    for (int y = 0; y < h; y++) rows[y] = raw + (long)y * w * sc;
    png_read_image(p, rows);
    png_destroy_read_struct(&p, &info, NULL);
    convert(raw, sc, px, c, (long)w * h);
    free(raw);
    free(rows);
    *out = px, *ph = h, *pw = w;
    return AR_OK;
}

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jerr_t;
static void jpeg_fail(j_common_ptr ci)
{
    jerr_t *e = (jerr_t *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->jb, 1);
}
static void jpeg_quiet(j_common_ptr ci) { (void)ci; }

static int read_jpeg(FILE *f, const char *path, int c, uint8_t **out, int *ph, int *pw,
                     ar_err_t *err)
{
    struct jpeg_decompress_struct di;
    jerr_t je;
    uint8_t *volatile raw = NULL;
    di.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_fail;
    je.pub.output_message = jpeg_quiet;
    snprintf(je.msg, sizeof je.msg, "unsupported layout");
    if (setjmp(je.jb)) {
        jpeg_destroy_decompress(&di);
        free(raw);
        return ar_err_set(err, AR_E_FORMAT, "%s: JPEG: %s", path, je.msg);
    }
    jpeg_create_decompress(&di);
    jpeg_stdio_src(&di, f);
    jpeg_read_header(&di, TRUE);
    di.out_color_space = JCS_RGB;
    jpeg_start_decompress(&di);
    int w = (int)di.output_width, h = (int)di.output_height, sc = di.output_components;
    if (sc != 3 || (long)w * h > (1L << 28)) longjmp(je.jb, 1);
    raw = malloc((size_t)w * h * 3);
    if (!raw) longjmp(je.jb, 1);
    while (di.output_scanline < di.output_height) {
        JSAMPROW row = raw + (long)di.output_scanline * w * 3;
        jpeg_read_scanlines(&di, &row, 1);
    }
    jpeg_finish_decompress(&di);
    jpeg_destroy_decompress(&di);
    uint8_t *px = malloc((size_t)w * h * c);
    if (!px) {
        free(raw);
        return ar_err_set(err, AR_E_NOMEM, "%s: %dx%d image", path, w, h);
    }
    convert(raw, 3, px, c, (long)w * h);
    free(raw);
    *out = px, *ph = h, *pw = w;
    return AR_OK;
}

int ar_image_read(const char *path, int c, uint8_t **px, int *h, int *w, ar_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ar_err_set(err, AR_E_IO, "%s: cannot open", path);
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, 8, f);
    rewind(f);
    int st;
    if (got == 8 && png_sig_cmp(magic, 0, 8) == 0)
        st = read_png(f, path, c, px, h, w, err);
    else if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF)
        st = read_jpeg(f, path, c, px, h, w, err);
    else
        st = ar_err_set(err, AR_E_FORMAT, "%s: neither PNG nor JPEG", path);
    fclose(f);
    return st;
}

int ar_png_write(const char *path, const uint8_t *px, int h, int w, int c, ar_err_t *err)
{
    char tmp[4096];
    FILE *f = ar_tmp_create(path, tmp, sizeof tmp, err);
    if (!f) return err->status;
    png_msg_t pm = {"write failed"};
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, &pm, png_on_error, png_on_warning);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!info || setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        fclose(f);
        remove(tmp);
        return ar_err_set(err, AR_E_IO, "%s: PNG: %s", path, pm.msg);
    }
    png_init_io(p, f);
    png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, 8,
                 c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (int y = 0; y < h; y++) png_write_row(p, (png_const_bytep)(px + (long)y * w * c));
    png_write_end(p, info);
    png_destroy_write_struct(&p, &info);
    if (fclose(f) != 0) {
        remove(tmp);
        return ar_err_set(err, AR_E_IO, "%s: write failed", path);
    }
    return ar_commit_file(tmp, path, err);
}
