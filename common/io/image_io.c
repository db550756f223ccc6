/* image_io.c - PNG read/write through libpng, JPEG file read/write through
 * libjpeg (image_io.h). Both decoders look at the header first: the size is
 * checked (or only reported) before any pixel buffer is allocated. */
#include "image_io.h"

#include <stdio.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

/* What one decode call wants. */
typedef struct {
    int c;               /* channels out: 1 or 3 */
    int want_h, want_w;  /* required size; 0 = any */
    int header_only;     /* 1: report the size, decode nothing */
    uint8_t *into;       /* the caller's want_h x want_w x c buffer, or NULL: malloc */
} decode_t;

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

/* AR_E_FORMAT when the header's size is not the one wanted. */
static int check_size(const char *path, const decode_t *d, int h, int w, ar_err_t *err)
{
    if (h <= 0 || w <= 0 || (int64_t)h * w > AR_IMAGE_MAX_PIXELS)
        return ar_err_set(err, AR_E_FORMAT, "%s: unsupported image size %d x %d", path, h, w);
    if (d->want_h && (h != d->want_h || w != d->want_w))
        return ar_err_set(err, AR_E_FORMAT, "%s: image is %d x %d (H x W), expected %d x %d", path, h, w,
                          d->want_h, d->want_w);
    return AR_OK;
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

static int read_png(FILE *f, const char *path, const decode_t *d, uint8_t **out, int *ph, int *pw,
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
        if (!d->into) free(px);
        return ar_err_set(err, AR_E_FORMAT, "%s: PNG: %s", path, pm.msg);
    }
    png_init_io(p, f);
    png_read_info(p, info);
    int w = (int)png_get_image_width(p, info), h = (int)png_get_image_height(p, info);
    int st = check_size(path, d, h, w, err);
    if (st || d->header_only) {
        png_destroy_read_struct(&p, &info, NULL);
        *ph = h, *pw = w;
        return st;
    }
    png_set_expand(p);
    png_set_strip_16(p);
    png_set_strip_alpha(p);
    png_read_update_info(p, info);
    int sc = png_get_channels(p, info);
    if (sc != 1 && sc != 3) {
        png_destroy_read_struct(&p, &info, NULL);
        return ar_err_set(err, AR_E_FORMAT, "%s: unsupported PNG layout", path);
    }
    raw = malloc((size_t)w * h * sc);
    rows = malloc(sizeof(png_bytep) * (size_t)h);
    px = d->into ? d->into : malloc((size_t)w * h * d->c);
    if (!raw || !rows || !px) {
        snprintf(pm.msg, sizeof pm.msg, "out of memory for %d x %d pixels", h, w);
        png_longjmp(p, 1);
    }
    for (int y = 0; y < h; y++) rows[y] = raw + (long)y * w * sc;
    png_read_image(p, rows);
    png_read_end(p, NULL);
    png_destroy_read_struct(&p, &info, NULL);
    convert(raw, sc, px, d->c, (long)w * h);
    free(raw);
    free(rows);
    *out = px, *ph = h, *pw = w;
    return AR_OK;
}

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    int truncated;           /* a warning that the data ended early or was cut */
} jerr_t;
static void jpeg_fail(j_common_ptr ci)
{
    jerr_t *e = (jerr_t *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->jb, 1);
}
static void jpeg_quiet(j_common_ptr ci) { (void)ci; }
/* Warnings are not printed; those that mean missing data are kept, so a
 * truncated file is an error instead of an image padded with gray. */
static void jpeg_warn(j_common_ptr ci, int level)
{
    jerr_t *e = (jerr_t *)ci->err;
    if (level < 0 && (ci->err->msg_code == JWRN_JPEG_EOF || ci->err->msg_code == JWRN_HIT_MARKER) &&
        !e->truncated) {
        e->truncated = 1;
        (*ci->err->format_message)(ci, e->msg);
    }
}

static int read_jpeg(FILE *f, const char *path, const decode_t *d, uint8_t **out, int *ph, int *pw,
                     ar_err_t *err)
{
    struct jpeg_decompress_struct di;
    jerr_t je;
    uint8_t *volatile raw = NULL;
    uint8_t *volatile px = NULL;
    di.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_fail;
    je.pub.output_message = jpeg_quiet;
    je.pub.emit_message = jpeg_warn;
    je.truncated = 0;
    snprintf(je.msg, sizeof je.msg, "unsupported layout");
    if (setjmp(je.jb)) {
        jpeg_destroy_decompress(&di);
        free(raw);
        if (!d->into) free(px);
        return ar_err_set(err, AR_E_FORMAT, "%s: JPEG: %s", path, je.msg);
    }
    jpeg_create_decompress(&di);
    jpeg_stdio_src(&di, f);
    jpeg_read_header(&di, TRUE);
    int h = (int)di.image_height, w = (int)di.image_width;
    int st = check_size(path, d, h, w, err);
    if (st || d->header_only) {
        jpeg_destroy_decompress(&di);
        *ph = h, *pw = w;
        return st;
    }
    di.out_color_space = JCS_RGB;
    jpeg_start_decompress(&di);
    w = (int)di.output_width, h = (int)di.output_height;
    if (di.output_components != 3 || (d->want_h && (h != d->want_h || w != d->want_w))) longjmp(je.jb, 1);
    raw = malloc((size_t)w * h * 3);
    px = d->into ? d->into : malloc((size_t)w * h * d->c);
    if (!raw || !px) {
        snprintf(je.msg, sizeof je.msg, "out of memory for %d x %d pixels", h, w);
        longjmp(je.jb, 1);
    }
    while (di.output_scanline < di.output_height) {
        JSAMPROW row = raw + (long)di.output_scanline * w * 3;
        jpeg_read_scanlines(&di, &row, 1);
    }
    if (je.truncated) longjmp(je.jb, 1);
    jpeg_finish_decompress(&di);
    jpeg_destroy_decompress(&di);
    convert(raw, 3, px, d->c, (long)w * h);
    free(raw);
    *out = px, *ph = h, *pw = w;
    return AR_OK;
}

static int decode(const char *path, const decode_t *d, uint8_t **px, int *h, int *w, ar_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ar_err_set(err, AR_E_IO, "%s: cannot open", path);
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, 8, f);
    rewind(f);
    int st;
    if (got == 8 && png_sig_cmp(magic, 0, 8) == 0)
        st = read_png(f, path, d, px, h, w, err);
    else if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF)
        st = read_jpeg(f, path, d, px, h, w, err);
    else
        st = ar_err_set(err, AR_E_FORMAT, "%s: neither PNG nor JPEG%s", path, got == 0 ? " (empty file)" : "");
    fclose(f);
    return st;
}

int ar_image_read(const char *path, int c, uint8_t **px, int *h, int *w, ar_err_t *err)
{
    decode_t d = {.c = c};
    return decode(path, &d, px, h, w, err);
}

int ar_image_size(const char *path, int *h, int *w, ar_err_t *err)
{
    decode_t d = {.c = 3, .header_only = 1};
    uint8_t *px = NULL;
    return decode(path, &d, &px, h, w, err);
}

int ar_image_read_into(const char *path, int c, int h, int w, uint8_t *out, ar_err_t *err)
{
    decode_t d = {.c = c, .want_h = h, .want_w = w, .into = out};
    uint8_t *px = NULL;
    int gh = 0, gw = 0;
    return decode(path, &d, &px, &gh, &gw, err);
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

int ar_jpeg_write(const char *path, const uint8_t *px, int h, int w, int c, int quality,
                  ar_err_t *err)
{
    char tmp[4096];
    FILE *f = ar_tmp_create(path, tmp, sizeof tmp, err);
    if (!f) return err->status;
    struct jpeg_compress_struct ci;
    jerr_t je;
    ci.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_fail;
    je.pub.output_message = jpeg_quiet;
    if (setjmp(je.jb)) {
        jpeg_destroy_compress(&ci);
        fclose(f);
        remove(tmp);
        return ar_err_set(err, AR_E_IO, "%s: JPEG: %s", path, je.msg);
    }
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = c;
    ci.in_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (long)ci.next_scanline * w * c);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    if (fclose(f) != 0) {
        remove(tmp);
        return ar_err_set(err, AR_E_IO, "%s: write failed", path);
    }
    return ar_commit_file(tmp, path, err);
}
