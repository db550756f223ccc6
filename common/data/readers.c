/* readers.c - the reader table and ar_dataset_open: the source is sniffed
 * once, the table's readers are probed in order (readers.h) and the one that
 * matches opens it. */
#define _POSIX_C_SOURCE 200809L
#include "data/readers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/fsutil.h"

/* Every format, in probing order. Order decides only between readers that
 * recognise a source equally well: a directory holding both CIFAR-10
 * batches and IDX files opens as CIFAR-10; the image-folder readers come
 * last, the loosest (an ImageFolder only needs subfolders of images). */
static const ar_ds_reader_t *const readers[] = {
    &ar_ds_reader_hdf5,
    &ar_ds_reader_npy,
    &ar_ds_reader_cifar,
    &ar_ds_reader_idx,
    &ar_ds_reader_tinyimagenet,
    &ar_ds_reader_tinyimagenet_c,
    &ar_ds_reader_imgfolder,
};
#define NREADERS ((int)(sizeof readers / sizeof readers[0]))

const ar_ds_reader_t *const *ar_ds_readers(int *n)
{
    *n = NREADERS;
    return readers;
}

int ar_ds_head_is(const ar_ds_sniff_t *s, const void *magic, size_t n)
{
    return s->nhead >= n && memcmp(s->head, magic, n) == 0;
}

int ar_ds_name_ends(const ar_ds_sniff_t *s, const char *suffix)
{
    size_t n = strlen(s->path), k = strlen(suffix);
    return n >= k && strcmp(s->path + n - k, suffix) == 0;
}

int ar_ds_dir_has(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return ar_file_size(p) >= 0;
}

int ar_ds_sniff(const char *path, ar_ds_sniff_t *s, ar_err_t *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    if ((s->is_dir = ar_is_dir(path))) return AR_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return ar_err_set(err, AR_E_IO, "%s: cannot open: %s", path, strerror(errno));
    s->nhead = fread(s->head, 1, sizeof s->head, f);
    fclose(f);
    return AR_OK;
}

const ar_ds_reader_t *ar_ds_match(const ar_ds_sniff_t *s)
{
    const ar_ds_reader_t *best = NULL;
    ar_ds_match_t best_m = AR_DS_NO;
    for (int i = 0; i < NREADERS && best_m < AR_DS_BY_CONTENT; i++) {
        ar_ds_match_t m = readers[i]->probe(s);
        if (m > best_m) {
            best = readers[i];
            best_m = m;
        }
    }
    return best;
}

int ar_ds_unmatched(const ar_ds_sniff_t *s, int collections, ar_err_t *err)
{
    char looked[600] = "";
    size_t n = 0;
    for (int i = 0; i < NREADERS; i++) {
        const char *hint = s->is_dir ? readers[i]->dir_hint : readers[i]->file_hint;
        if (!hint || (collections && !readers[i]->describe)) continue;
        int k = snprintf(looked + n, sizeof looked - n, "%s%s: %s", n ? "; " : "", readers[i]->title, hint);
        if (k < 0 || (size_t)k >= sizeof looked - n) break;
        n += (size_t)k;
    }
    const char *what = collections ? "not a corruption collection"
                       : s->is_dir ? "not a dataset directory"
                                   : "unrecognised dataset format";
    return ar_err_set(err, AR_E_FORMAT, "%s: %s (%slooked for %s)", s->path, what,
                      !s->is_dir && s->nhead == 0 ? "empty file; " : "", looked);
}

static int wants_corruption(const ar_data_source_t *src)
{
    return src->corruption && strcmp(src->corruption, "clean") != 0;
}

int ar_ds_check_geometry(const char *where, int64_t n, int64_t h, int64_t w, int64_t c, ar_err_t *err)
{
    const char *bad = n < 0 || n > AR_DS_MAX_IMAGES          ? "image count"
                      : h < 1 || h > AR_DS_MAX_SIDE          ? "image height"
                      : w < 1 || w > AR_DS_MAX_SIDE          ? "image width"
                      : c < 1 || c > AR_DS_MAX_CHANNELS      ? "channel count"
                      : h * w * c > AR_DS_MAX_IMAGE_BYTES    ? "image size"
                                                             : NULL;
    if (!bad) return AR_OK;
    return ar_err_set(err, AR_E_FORMAT,
                      "%s: %s out of range in shape [%lld, %lld, %lld, %lld] (images up to %dx%d, %d channels, "
                      "%lld MiB)",
                      where, bad, (long long)n, (long long)h, (long long)w, (long long)c, AR_DS_MAX_SIDE,
                      AR_DS_MAX_SIDE, AR_DS_MAX_CHANNELS, (long long)(AR_DS_MAX_IMAGE_BYTES >> 20));
}

ar_dataset_t *ar_dataset_open(const ar_data_source_t *src, ar_err_t *err)
{
    if (!src->path || !*src->path) {
        ar_err_set(err, AR_E_ARG, "dataset: no path given");
        return NULL;
    }
    ar_ds_sniff_t s;
    if (ar_ds_sniff(src->path, &s, err)) return NULL;
    const ar_ds_reader_t *r = ar_ds_match(&s);
    /* Only collection readers serve a corruption; a directory no reader
     * takes is refused for it the same way (an unknown file stays
     * unrecognised). */
    if (wants_corruption(src) && (r ? !r->describe : s.is_dir)) {
        ar_err_set(err, AR_E_ARG, "%s: corruption '%s' asked for, but this is a %s dataset, not a corruption collection",
                   src->path, src->corruption, r ? r->title : "directory");
        return NULL;
    }
    if (!r) {
        ar_ds_unmatched(&s, 0, err);
        return NULL;
    }
    return r->open(src, err);
}

int ar_dataset_splits(const char *path, const char **out, int cap)
{
    ar_ds_sniff_t s;
    if (ar_ds_sniff(path, &s, NULL) || !s.is_dir) return 0;
    const ar_ds_reader_t *r = ar_ds_match(&s);
    return r && r->splits ? r->splits(path, out, cap) : 0;
}
