/* jpeg.c - in-memory JPEG encode + decode through libjpeg, with the compress
 * and decompress objects kept across images. Errors longjmp back here and
 * become AR_E_INTERNAL with libjpeg's message (libjpeg would exit()). */
#include <stdio.h>

#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>

#include "corrupt_impl.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jerr_t;

struct ar_jpeg_state {
    int h, w, c;
    struct jpeg_compress_struct cinfo;
    struct jpeg_decompress_struct dinfo;
    jerr_t cerr, derr;
    unsigned char *buf;       /* encoded bytes; libjpeg may replace it */
    unsigned long cap;
    int c_ok, d_ok;
};

static void on_error(j_common_ptr ci)
{
    jerr_t *e = (jerr_t *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->jb, 1);
}
static void on_message(j_common_ptr ci) { (void)ci; }

ar_jpeg_state_t *ar_jpeg_state_new(int h, int w, int c)
{
    ar_jpeg_state_t *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->h = h, st->w = w, st->c = c;
    st->cap = (unsigned long)h * w * c * 2 + 16384;
    st->buf = malloc(st->cap);
    if (!st->buf) goto fail;
    st->cinfo.err = jpeg_std_error(&st->cerr.pub);
    st->cerr.pub.error_exit = on_error;
    st->cerr.pub.output_message = on_message;
    if (setjmp(st->cerr.jb)) goto fail;
    jpeg_create_compress(&st->cinfo);
    st->c_ok = 1;
    st->dinfo.err = jpeg_std_error(&st->derr.pub);
    st->derr.pub.error_exit = on_error;
    st->derr.pub.output_message = on_message;
    if (setjmp(st->derr.jb)) goto fail;
    jpeg_create_decompress(&st->dinfo);
    st->d_ok = 1;
    return st;
fail:
    ar_jpeg_state_destroy(&st);
    return NULL;
}

void ar_jpeg_state_destroy(ar_jpeg_state_t **stp)
{
    if (!stp || !*stp) return;
    ar_jpeg_state_t *st = *stp;
    if (st->c_ok) jpeg_destroy_compress(&st->cinfo);
    if (st->d_ok) jpeg_destroy_decompress(&st->dinfo);
    free(st->buf);
    free(st);
    *stp = NULL;
}

static int encode(ar_jpeg_state_t *st, const uint8_t *in, int quality, unsigned long *size)
{
    struct jpeg_compress_struct *ci = &st->cinfo;
    unsigned char *buf = st->buf;
    unsigned long cap = st->cap;
    jpeg_mem_dest(ci, &buf, &cap);
    ci->image_width = (JDIMENSION)st->w;
    ci->image_height = (JDIMENSION)st->h;
    ci->input_components = st->c;
    ci->in_color_space = st->c == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(ci);
    jpeg_set_quality(ci, quality, TRUE);
    if (st->c == 3) { /* 4:2:0, Pillow's default */
        ci->comp_info[0].h_samp_factor = 2, ci->comp_info[0].v_samp_factor = 2;
        ci->comp_info[1].h_samp_factor = 1, ci->comp_info[1].v_samp_factor = 1;
        ci->comp_info[2].h_samp_factor = 1, ci->comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(ci, TRUE);
    while (ci->next_scanline < ci->image_height) {
        JSAMPROW row = (JSAMPROW)(in + (long)ci->next_scanline * st->w * st->c);
        jpeg_write_scanlines(ci, &row, 1);
    }
    jpeg_finish_compress(ci);
    if (buf != st->buf) { /* libjpeg grew the buffer: adopt the new one */
        free(st->buf);
        st->buf = buf;
        st->cap = cap;
    }
    *size = cap;
    return 0;
}

int ar_jpeg_roundtrip(ar_jpeg_state_t *st, const uint8_t *in, uint8_t *out, int quality,
                      ar_err_t *err)
{
    volatile unsigned long size = 0;
    if (setjmp(st->cerr.jb)) {
        jpeg_abort_compress(&st->cinfo);
        return ar_err_set(err, AR_E_INTERNAL, "jpeg encode: %s", st->cerr.msg);
    }
    unsigned long sz = 0;
    encode(st, in, quality, &sz);
    size = sz;
    struct jpeg_decompress_struct *di = &st->dinfo;
    if (setjmp(st->derr.jb)) {
        jpeg_abort_decompress(di);
        return ar_err_set(err, AR_E_INTERNAL, "jpeg decode: %s", st->derr.msg);
    }
    jpeg_mem_src(di, st->buf, size);
    jpeg_read_header(di, TRUE);
    di->out_color_space = st->c == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(di);
    if ((int)di->output_width != st->w || (int)di->output_height != st->h ||
        di->output_components != st->c) {
        jpeg_abort_decompress(di);
        return ar_err_set(err, AR_E_INTERNAL, "jpeg decode: unexpected shape");
    }
    while (di->output_scanline < di->output_height) {
        JSAMPROW row = (JSAMPROW)(out + (long)di->output_scanline * st->w * st->c);
        jpeg_read_scanlines(di, &row, 1);
    }
    jpeg_finish_decompress(di);
    return AR_OK;
}
