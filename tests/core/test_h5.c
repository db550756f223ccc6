/* test_h5.c - the HDF5 layer: round trips, slabs, attributes, strings,
 * atomic commit, files written by h5py, damaged files. */
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "core/fsutil.h"
#include "io/h5.h"

static void test_roundtrip(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("h5_roundtrip.h5");
    remove(p);
    ar_h5_t *h = ar_h5_create(p, &e);
    CHECK(h != NULL, "create: %s", ar_err_msg(&e));
    if (!h) return;
    CHECK(ar_file_size(p) < 0, "nothing under the final name before commit");
    uint8_t img[2 * 3 * 4];
    for (int i = 0; i < 24; i++) img[i] = (uint8_t)(i * 7);
    int64_t dims[3] = {2, 3, 4};
    CHECK_OK(ar_h5_write(h, "/a/b/images", AR_DT_U8, 3, dims, img, 1, &e), &e);
    int64_t lab[2] = {5, 9};
    int64_t d1 = 2;
    CHECK_OK(ar_h5_write(h, "/labels", AR_DT_I64, 1, &d1, lab, 0, &e), &e);
    int32_t shp[3] = {1, 28, 28};
    CHECK_OK(ar_h5_attr_write(h, "/", "input_shape", AR_DT_I32, 3, shp, 0, &e), &e);
    int32_t one = 1;
    CHECK_OK(ar_h5_attr_write(h, "/", "format_version", AR_DT_I32, 1, &one, 1, &e), &e);
    CHECK_OK(ar_h5_attr_write_str(h, "/", "format", "archrepair-model", &e), &e);
    const char *cls[3] = {"cat", "dog", "émeu"};
    CHECK_OK(ar_h5_attr_write_strs(h, "/a", "classes", cls, 3, &e), &e);
    CHECK_OK(ar_h5_write_strings(h, "/names", cls, 3, &e), &e);
    CHECK_OK(ar_h5_commit(&h, &e), &e);
    CHECK(h == NULL, "commit nulls handle");

    h = ar_h5_open(p, &e);
    CHECK(h != NULL, "open: %s", ar_err_msg(&e));
    if (!h) return;
    int nd = 0, isint = 0;
    int64_t got[8];
    size_t es = 0;
    CHECK_OK(ar_h5_shape(h, "/a/b/images", &nd, got, &isint, &es, &e), &e);
    CHECK(nd == 3 && got[0] == 2 && got[2] == 4 && isint == 1 && es == 1, "shape");
    uint8_t back[24];
    CHECK_OK(ar_h5_read(h, "/a/b/images", AR_DT_U8, back, 24, &e), &e);
    CHECK(memcmp(back, img, 24) == 0, "read back");
    int64_t st[3] = {1, 1, 0}, cnt[3] = {1, 2, 4};
    uint8_t slab[8];
    CHECK_OK(ar_h5_read_slab(h, "/a/b/images", AR_DT_U8, st, cnt, slab, &e), &e);
    CHECK(memcmp(slab, img + 12 + 4, 8) == 0, "slab");
    int64_t badc[3] = {2, 2, 4};
    CHECK(ar_h5_read_slab(h, "/a/b/images", AR_DT_U8, st, badc, slab, &e) != 0 && strstr(e.msg, "outside"),
          "slab out of range: %s", e.msg);
    int32_t lab32[2];
    CHECK_OK(ar_h5_read(h, "/labels", AR_DT_I32, lab32, 2, &e), &e);
    CHECK(lab32[0] == 5 && lab32[1] == 9, "int64 -> int32 conversion");
    CHECK(ar_h5_read(h, "/labels", AR_DT_I32, lab32, 3, &e) != 0 && strstr(e.msg, "expected 3"),
          "count mismatch: %s", e.msg);
    int32_t s3[3];
    CHECK_OK(ar_h5_attr_read(h, "/", "input_shape", AR_DT_I32, s3, 3, NULL, &e), &e);
    CHECK(s3[1] == 28, "attr ints");
    int ngot = 0;
    int64_t fv[4];
    CHECK_OK(ar_h5_attr_read(h, "/", "format_version", AR_DT_I64, fv, -4, &ngot, &e), &e);
    CHECK(ngot == 1 && fv[0] == 1, "scalar attr read with max");
    char *fmt = NULL;
    CHECK_OK(ar_h5_attr_read_str(h, "/", "format", &fmt, &e), &e);
    CHECK(fmt && strcmp(fmt, "archrepair-model") == 0, "attr str");
    free(fmt);
    char **strs = NULL;
    int ns = 0;
    CHECK_OK(ar_h5_attr_read_strs(h, "/a", "classes", &strs, &ns, &e), &e);
    CHECK(ns == 3 && strcmp(strs[2], "émeu") == 0, "attr strs");
    ar_h5_free_strings(strs, ns);
    CHECK_OK(ar_h5_read_strings(h, "/names", &strs, &ns, &e), &e);
    CHECK(ns == 3 && strcmp(strs[1], "dog") == 0, "dataset strs");
    ar_h5_free_strings(strs, ns);
    char **kids = NULL;
    int nk = 0;
    CHECK_OK(ar_h5_list(h, "/", &kids, &nk, &e), &e);
    CHECK(nk == 3 && strcmp(kids[0], "a") == 0 && strcmp(kids[2], "names") == 0, "list sorted");
    ar_h5_free_strings(kids, nk);
    CHECK(ar_h5_exists(h, "/a/b") && !ar_h5_exists(h, "/x/y/z"), "exists");
    CHECK(ar_h5_attr_read(h, "/", "nope", AR_DT_I32, s3, 1, NULL, &e) != 0 && strstr(e.msg, "'nope' missing"),
          "missing attr: %s", e.msg);
    CHECK(ar_h5_read(h, "/zzz", AR_DT_U8, back, 1, &e) != 0 && strstr(e.msg, "/zzz: dataset missing"),
          "missing dataset: %s", e.msg);
    ar_h5_destroy(&h);
    ar_h5_destroy(&h);
    remove(p);
}

static void test_uncommitted_is_removed(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("h5_abandoned.h5");
    remove(p);
    ar_h5_t *h = ar_h5_create(p, &e);
    ar_h5_destroy(&h);
    CHECK(ar_file_size(p) < 0, "abandoned write leaves nothing");
}

static void test_damaged(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("h5_damaged.h5");
    FILE *f = fopen(p, "wb");
    fputs("this is not hdf5", f);
    fclose(f);
    CHECK(ar_h5_open(p, &e) == NULL && strstr(e.msg, p) && strstr(e.msg, "not an HDF5"), "%s", e.msg);
    CHECK(ar_h5_open(test_tmp("h5_missing.h5"), &e) == NULL && strstr(e.msg, "h5_missing.h5"), "%s", e.msg);
    /* a real file cut in half */
    const char *q = test_tmp("h5_cut.h5");
    ar_h5_t *h = ar_h5_create(q, &e);
    static float big[100000];
    int64_t d = 100000;
    ar_h5_write(h, "/w", AR_DT_F32, 1, &d, big, 0, &e);
    ar_h5_commit(&h, &e);
    CHECK(truncate(q, ar_file_size(q) / 2) == 0, "truncate");
    h = ar_h5_open(q, &e);
    int st = h ? ar_h5_read(h, "/w", AR_DT_F32, big, d, &e) : e.status;
    CHECK(st != 0 && strstr(e.msg, "h5_cut.h5"), "cut file: %s", e.msg);
    ar_h5_destroy(&h);
    remove(p);
    remove(q);
}

static void test_h5py(void)
{
    if (access("/usr/bin/python3", X_OK) != 0) return;
    const char *p = test_tmp("h5_from_h5py.h5");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import h5py, numpy as np\n"
             "f = h5py.File('%s', 'w')\n"
             "f.attrs['name'] = 'from h5py'\n"
             "f.attrs['num_classes'] = np.int64(10)\n"
             "f.attrs['eps'] = np.float64(1e-5)\n"
             "f.attrs['classes'] = ['a', 'bb', 'ccc']\n"
             "f.attrs['fixed'] = np.bytes_(b'fixedlen')\n"
             "f['labels'] = np.arange(4, dtype=np.uint16)\n"
             "f.create_dataset('names', data=['x', 'yy'], dtype=h5py.string_dtype())\n"
             "f.create_dataset('many', shape=(2**40,), dtype=h5py.string_dtype(), chunks=(1024,))\n"
             "f.close()\" 2>&1",
             p);
    int rc = system(cmd);
    CHECK(rc == 0, "h5py script ran (python3-h5py installed?)");
    if (rc) return;
    ar_err_t e = {0};
    ar_h5_t *h = ar_h5_open(p, &e);
    CHECK(h != NULL, "%s", ar_err_msg(&e));
    if (!h) return;
    char *s = NULL;
    CHECK_OK(ar_h5_attr_read_str(h, "/", "name", &s, &e), &e);
    CHECK(s && strcmp(s, "from h5py") == 0, "vlen utf8 attr");
    free(s);
    CHECK_OK(ar_h5_attr_read_str(h, "/", "fixed", &s, &e), &e);
    CHECK(s && strcmp(s, "fixedlen") == 0, "fixed attr '%s'", s ? s : "");
    free(s);
    int32_t nc = 0;
    CHECK_OK(ar_h5_attr_read(h, "/", "num_classes", AR_DT_I32, &nc, 1, NULL, &e), &e);
    CHECK(nc == 10, "int64 attr");
    float eps = 0;
    CHECK_OK(ar_h5_attr_read(h, "/", "eps", AR_DT_F32, &eps, 1, NULL, &e), &e);
    CHECK(fabsf(eps - 1e-5f) < 1e-10f, "float64 attr");
    char **c = NULL;
    int n = 0;
    CHECK_OK(ar_h5_attr_read_strs(h, "/", "classes", &c, &n, &e), &e);
    CHECK(n == 3 && strcmp(c[2], "ccc") == 0, "string list attr");
    ar_h5_free_strings(c, n);
    CHECK_OK(ar_h5_read_strings(h, "/names", &c, &n, &e), &e);
    CHECK(n == 2 && strcmp(c[1], "yy") == 0, "string dataset");
    ar_h5_free_strings(c, n);
    /* string counts are checked before anything is allocated or read: a
     * 2 KB file declaring 2^40 strings (an 8 TB allocation before, fatal
     * under ASan), and a 3-string list where one string is wanted */
    CHECK(ar_h5_read_strings(h, "/many", &c, &n, &e) == AR_E_FORMAT && strstr(e.msg, "1099511627776 strings") &&
              strstr(e.msg, "h5_from_h5py.h5"),
          "2^40 strings refused: %s", e.msg);
    CHECK(ar_h5_attr_read_str(h, "/", "classes", &s, &e) == AR_E_FORMAT && strstr(e.msg, "holds 3 strings"),
          "a list where one string is wanted: %s", e.msg);
    int32_t lab[4];
    CHECK_OK(ar_h5_read(h, "/labels", AR_DT_I32, lab, 4, &e), &e);
    CHECK(lab[3] == 3, "uint16 labels");
    ar_h5_destroy(&h);
    remove(p);
}

int main(void)
{
    test_roundtrip();
    test_uncommitted_is_removed();
    test_damaged();
    test_h5py();
    TEST_MAIN_END();
}
