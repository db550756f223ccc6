/* make_corpus.c - writes the fuzz targets' seed corpora: small valid inputs
 * of every target, made with the project's own writers, into
 * DIR/<target>/ (target names without "fuzz_"). The committed corpora under
 * tests/fuzz/corpus/ come from `tools/fuzz.sh --seeds`, which runs this;
 * the hostile files and crash reproducers there are committed by hand.
 * Two-file inputs (npy, idx) use fuzz_util.h's split: a little-endian
 * 16-bit length of the first file, the first file, the second. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/fsutil.h"
#include "io/h5.h"
#include "io/idx.h"
#include "io/npy.h"
#include "nn/graph.h"
#include "nn/model_io.h"
#include "proto/codec.h"

static const char *out_dir;
static int bad;

static void fail(const ar_err_t *e)
{
    fprintf(stderr, "make_corpus: %s\n", ar_err_msg(e));
    bad = 1;
}

static void put(const char *target, const char *name, const void *d, size_t n)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", out_dir, target);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(p, "wb");
    int err = !f || (n && fwrite(d, 1, n, f) != n);
    if (f) err |= fclose(f) != 0;
    if (err) {
        fprintf(stderr, "make_corpus: cannot write %s\n", p);
        bad = 1;
    }
}

/* The bytes of a scratch file (malloc'd, *n bytes), then removes it. */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)len + 1)) && fread(b, 1, (size_t)len, f) == (size_t)len) {
        *n = (size_t)len;
    } else {
        fprintf(stderr, "make_corpus: cannot read %s\n", path);
        bad = 1;
        free(b);
        b = NULL;
        *n = 0;
    }
    if (f) fclose(f);
    remove(path);
    return b;
}

/* Two scratch files as one split input (fuzz_util.h). */
static void put_pair(const char *target, const char *name, const char *a, const char *b)
{
    size_t na, nb;
    uint8_t *da = slurp(a, &na), *db = slurp(b, &nb);
    if (!da || !db || na > 0xffff) {
        bad = 1;
    } else {
        uint8_t *o = malloc(2 + na + nb);
        o[0] = (uint8_t)na;
        o[1] = (uint8_t)(na >> 8);
        memcpy(o + 2, da, na);
        memcpy(o + 2 + na, db, nb);
        put(target, name, o, 2 + na + nb);
        free(o);
    }
    free(da);
    free(db);
}

static void put_file(const char *target, const char *name, const char *scratch)
{
    size_t n;
    uint8_t *d = slurp(scratch, &n);
    if (d) put(target, name, d, n);
    free(d);
}

static void decode_seeds(void)
{
    ar_err_t err = {0};
    for (int t = 1; t < AR_MSG_TYPE_COUNT; t++) {
        ar_msg_t m = ar_msg_make((ar_msg_type_t)t, 2);
        strcpy(m.u.hello.host, "node1");
        if (t == AR_MSG_READY) m.u.ready.credit = 2;
        if (t == AR_MSG_HELLO) m.u.hello.threads = 1;
        if (t == AR_MSG_ERROR) {
            m.u.error.status = AR_E_IO;
            strcpy(m.u.error.text, "x.h5: truncated");
        }
        if (t == AR_MSG_TASK || t == AR_MSG_RESULT) {
            strcpy(m.u.task.kind, "evaluate");
            m.u.task.final = 1;
            if (t == AR_MSG_TASK && (m.u.task.members = malloc(sizeof *m.u.task.members)))
                m.u.task.members[0] = 2; /* freed by ar_msg_clear */
            int64_t shape[2] = {2, 2};
            float v[4] = {1, 2, 3, 4};
            ar_fields_put_int(&m.body, "start", 10, &err);
            ar_fields_put_float(&m.body, "acc", 0.5, &err);
            ar_fields_put_str(&m.body, "set", "fog/3", &err);
            ar_fields_put_tensor(&m.body, "w", AR_WDT_F32, 2, shape, v, &err);
        }
        ar_bytes_t b;
        if (ar_msg_encode(&m, 0, &b, &err)) {
            fail(&err);
        } else {
            put("decode", ar_msg_type_name(t), b.data, b.len);
            ar_bytes_free(&b);
        }
        ar_msg_clear(&m);
    }
}

static void npy_seeds(const char *tmp, const uint8_t *px, const int64_t *l64)
{
    ar_err_t e = {0};
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/fog.npy", tmp);
    snprintf(b, sizeof b, "%s/labels.npy", tmp);
    int64_t s4[4] = {10, 2, 2, 3}, s3[3] = {10, 2, 2}, n10 = 10, n2 = 2;
    /* [5N, H, W, C] with 5N labels; [5N, H, W] with N uint8 labels, v2 header */
    if (ar_npy_write(a, AR_NPY_U8, 4, s4, px, &e) || ar_npy_write(b, AR_NPY_I64, 1, &n10, l64, &e)) fail(&e);
    put_pair("npy", "rgb-5n-labels", a, b);
    ar_npy_writer_t *w = ar_npy_writer_new_version(a, AR_NPY_U8, 3, s3, 2, &e);
    if (!w || ar_npy_writer_append(w, px, 10, &e) || ar_npy_writer_commit(&w, &e)) fail(&e);
    uint8_t l8[2] = {1, 0};
    if (ar_npy_write(b, AR_NPY_U8, 1, &n2, l8, &e)) fail(&e);
    put_pair("npy", "gray-v2-n-labels", a, b);
}

static void idx_seeds(const char *tmp, const uint8_t *px, const uint8_t *lab)
{
    ar_err_t e = {0};
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/i", tmp);
    snprintf(b, sizeof b, "%s/l", tmp);
    int64_t d3[3] = {4, 3, 3}, d4[4] = {2, 2, 2, 3}, n4 = 4, n2 = 2;
    for (int gz = 0; gz < 2; gz++) {
        /* fuzz_idx takes plain and gzipped files as they are; fuzz_idx_gz
         * gzips its input itself, so it gets the plain ones */
        if (ar_idx_write(a, 3, d3, px, gz, &e) || ar_idx_write(b, 1, &n4, lab, gz, &e)) fail(&e);
        put_pair("idx", gz ? "gray-gz" : "gray", a, b);
        if (ar_idx_write(a, 4, d4, px, gz, &e) || ar_idx_write(b, 1, &n2, lab, gz, &e)) fail(&e);
        put_pair("idx", gz ? "rgb-gz" : "rgb", a, b);
    }
    if (ar_idx_write(a, 3, d3, px, 0, &e) || ar_idx_write(b, 1, &n4, lab, 0, &e)) fail(&e);
    put_pair("idx_gz", "gray", a, b);
    if (ar_idx_write(a, 4, d4, px, 0, &e) || ar_idx_write(b, 1, &n2, lab, 0, &e)) fail(&e);
    put_pair("idx_gz", "rgb", a, b);
}

/* A dataset (/images, /labels, classes and name attributes) and a
 * collection (two corruptions of 2 severities, with and without /images). */
static void h5_seeds(const char *tmp, const uint8_t *px, const int64_t *l64)
{
    ar_err_t e = {0};
    char p[4096];
    snprintf(p, sizeof p, "%s/x.h5", tmp);
    const char *cls[3] = {"a", "b", "c"};
    for (int v = 0; v < 2; v++) {
        ar_h5_t *h = ar_h5_create(p, &e);
        int64_t d4[4] = {3, 2, 2, 3}, d3[3] = {3, 2, 2}, n3 = 3;
        int st = !h || ar_h5_write(h, "/images", AR_DT_U8, v ? 3 : 4, v ? d3 : d4, px, v ? 0 : 2, &e) ||
                 ar_h5_write(h, "/labels", AR_DT_I64, 1, &n3, l64, 0, &e) ||
                 (v == 0 && (ar_h5_attr_write_strs(h, "/", "classes", cls, 3, &e) ||
                             ar_h5_attr_write_str(h, "/", "name", "seed", &e))) ||
                 ar_h5_commit(&h, &e);
        ar_h5_destroy(&h);
        if (st) fail(&e);
        put_file("h5_dataset", v ? "gray-contiguous" : "rgb-chunked-classes", p);
    }
    for (int v = 0; v < 2; v++) {
        ar_h5_t *h = ar_h5_create(p, &e);
        int64_t d5[5] = {2, 2, 2, 2, 3}, d4[4] = {2, 2, 2, 3}, n2 = 2;
        int st = !h || ar_h5_write(h, "/fog/images", AR_DT_U8, 5, d5, px, v ? 0 : 1, &e) ||
                 ar_h5_write(h, "/snow/images", AR_DT_U8, 5, d5, px + 7, 0, &e) ||
                 ar_h5_write(h, "/labels", AR_DT_I64, 1, &n2, l64, 0, &e) ||
                 (v == 0 && ar_h5_write(h, "/images", AR_DT_U8, 4, d4, px, 0, &e)) || ar_h5_commit(&h, &e);
        ar_h5_destroy(&h);
        if (st) fail(&e);
        put_file("h5_collection", v ? "two-contiguous" : "two-chunked-clean", p);
    }
}

/* A three-node model: conv 3x3 -> global average pool -> linear. */
static void model_seed(const char *tmp)
{
    ar_err_t e = {0};
    char p[4096];
    snprintf(p, sizeof p, "%s/m.h5", tmp);
    ar_graph_t *g = ar_graph_new("tiny", 1, 4, 4, 3, &e);
    ar_node_cfg_t conv = {.conv = {.c = {.cout = 2, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1,
                                         .dw = 1, .groups = 1},
                                   .bias = 1}};
    ar_node_cfg_t fc = {.linear = {.out_features = 3, .bias = 1}};
    int x = g ? ar_graph_add(g, AR_OP_CONV2D, "conv", "b0", (int[]){-1}, 1, &conv, &e) : -1;
    int y = x >= 0 ? ar_graph_add(g, AR_OP_GLOBAL_AVGPOOL, "pool", "", &x, 1, NULL, &e) : -1;
    if (y < 0 || ar_graph_add(g, AR_OP_LINEAR, "fc", "", &y, 1, &fc, &e) < 0 || ar_graph_finalize(g, 0, &e) ||
        ar_model_save(g, p, &e))
        fail(&e);
    ar_graph_destroy(&g);
    put_file("h5_model", "tiny-conv-pool-fc", p);
}

/* Event sequences for fuzz_coord_state (its header comment has the format). */
static void coord_seeds(void)
{
    /* 2 workers, 3 tasks x 2 rounds: join, credit, dispatch, results */
    static const uint8_t happy[] = {1, 3, 1, 0, 0, 0, 1, 1, 0, 3, 1, 1, 3, 2, 4, 0, 0, 4, 0, 1, 4, 1, 1,
                                    2, 0, 4, 0, 1, 4, 1, 1, 4, 0, 1, 2, 0, 4, 0, 1, 4, 1, 1};
    /* partial results, a wrong seq, a wrong type, an unknown task */
    static const uint8_t hostile[] = {0, 2, 0, 0, 0, 1, 0, 1, 2, 0, 4, 0, 0, 3, 0, 0, 7, 0, 3, 0, 0,
                                      255, 2, 3, 0, 9, 0, 0, 4, 0, 1, 4, 0, 1, 3, 0, 1, 0, 1};
    put("coord_state", "two-workers-two-rounds", happy, sizeof happy);
    put("coord_state", "partials-and-refusals", hostile, sizeof hostile);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_corpus DIR\n");
        return 2;
    }
    out_dir = argv[1];
    mkdir(out_dir, 0755);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/.scratch", out_dir);
    mkdir(tmp, 0755);
    uint8_t px[256];
    for (int i = 0; i < 256; i++) px[i] = (uint8_t)(i * 37 + 1);
    int64_t l64[10] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
    uint8_t lab[4] = {0, 1, 2, 1};
    decode_seeds();
    npy_seeds(tmp, px, l64);
    idx_seeds(tmp, px, lab);
    h5_seeds(tmp, px, l64);
    model_seed(tmp);
    coord_seeds();
    rmdir(tmp);
    return bad;
}
