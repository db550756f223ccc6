/* readers.h - the dataset readers: one per on-disk format, tried in a fixed
 * order (internal to common/data; tests use it too).
 *
 * ar_dataset_open (readers.c) looks at a source once - directory or file, and
 * a file's first bytes (ar_ds_sniff_t) - then asks every reader of the table
 * in readers.c, in order, whether it handles it (probe). The first reader
 * that recognises the contents (magic bytes, the files a directory holds)
 * opens it; failing that, the first that recognises only the name (suffix).
 * When none does, the error names the path and what each reader looked for.
 *
 *   order  reader                        a file                       a directory
 *   1      ar_ds_reader_hdf5             HDF5 signature; .h5 / .hdf5  -
 *   2      ar_ds_reader_npy              \x93NUMPY; .npy              labels.npy
 *   3      ar_ds_reader_cifar            .bin                         data_batch_1.bin or test_batch.bin
 *   4      ar_ds_reader_idx              IDX or gzip magic            train-/t10k-images-idx3-ubyte[.gz]
 *   5      ar_ds_reader_tinyimagenet     -                            wnids.txt beside train/ or val/
 *   6      ar_ds_reader_tinyimagenet_c   -                            <corruption>/1/ folders
 *   7      ar_ds_reader_imgfolder        -                            <class>/ folders of image files
 *
 * The last three read PNG / JPEG files in place (image_folder.h).
 *
 * Corruption collections are readers too: a reader with `describe` (npy,
 * hdf5) holds corrupted sets and serves source.corruption itself; asking any
 * other reader for a corruption is an AR_E_ARG error, never its clean set.
 * ar_collection_probe / ar_collection_describe (collection.h) go through the
 * same table.
 *
 * Adding a format: write ds_<fmt>.c with a static probe and open (plus
 * is_collection and describe if it holds corruption collections) and one
 * `const ar_ds_reader_t ar_ds_reader_<fmt> = {...}`; declare it below and add
 * its row to the table in readers.c (CMake picks up the new file itself).
 */
#ifndef AR_DATA_READERS_H
#define AR_DATA_READERS_H

#include <stddef.h>
#include <stdint.h>

#include "data/collection.h"
#include "data/dataset.h"

/* What a probe looks at; filled once per open by ar_ds_sniff. */
typedef struct ar_ds_sniff {
    const char *path;
    int is_dir;                  /* 1: a directory (head is empty) */
    unsigned char head[8];       /* a file's first bytes, zero-padded */
    size_t nhead;                /* bytes read into head; 0 for an empty file */
} ar_ds_sniff_t;

/* How a reader recognises a source; a higher match wins over table order. */
typedef enum { AR_DS_NO = 0, AR_DS_BY_NAME = 1, AR_DS_BY_CONTENT = 2 } ar_ds_match_t;

typedef struct ar_ds_reader {
    const char *name;            /* short name, as info->format says it ("idx") */
    const char *title;           /* in messages: "this is a <title> dataset" */
    const char *file_hint;       /* what probe looks for in a file; NULL: never a file */
    const char *dir_hint;        /* ... in a directory; NULL: never a directory */
    /* Cheap (stat, first bytes, names in a directory); never fails. */
    ar_ds_match_t (*probe)(const ar_ds_sniff_t *s);
    /* Opens src (which probe matched); NULL with err naming the file. */
    ar_dataset_t *(*open)(const ar_data_source_t *src, ar_err_t *err);
    /* Collection formats only, NULL otherwise (see collection.h): 1 when the
     * matched source is a corruption collection; and its description. */
    int (*is_collection)(const ar_ds_sniff_t *s);
    int (*describe)(const char *path, ar_collection_info_t *out, ar_err_t *err);
    /* Directory formats that hold several splits, NULL otherwise: the
     * splits present in the directory at path (at most cap, in the order
     * to show them) into out; 0 when it holds none. Never fails. */
    int (*splits)(const char *path, const char **out, int cap);
} ar_ds_reader_t;

extern const ar_ds_reader_t ar_ds_reader_hdf5;   /* ds_h5.c */
extern const ar_ds_reader_t ar_ds_reader_npy;    /* ds_npy.c */
extern const ar_ds_reader_t ar_ds_reader_cifar;  /* ds_cifar.c */
extern const ar_ds_reader_t ar_ds_reader_idx;    /* ds_idx.c */
extern const ar_ds_reader_t ar_ds_reader_tinyimagenet;   /* ds_tinyimagenet.c */
extern const ar_ds_reader_t ar_ds_reader_tinyimagenet_c; /* ds_tinyimagenet_c.c */
extern const ar_ds_reader_t ar_ds_reader_imgfolder;      /* ds_imgfolder.c */

/* The table in probing order; *n readers. */
const ar_ds_reader_t *const *ar_ds_readers(int *n);

/* Fills s for path: a directory, or a file's first bytes. AR_E_IO naming the
 * path when it is neither a directory nor a readable file. */
int ar_ds_sniff(const char *path, ar_ds_sniff_t *s, ar_err_t *err);

/* The reader for s: the first in table order that recognises the contents,
 * else the first that recognises the name; NULL when none does. */
const ar_ds_reader_t *ar_ds_match(const ar_ds_sniff_t *s);

/* The error for a source no reader takes (collections: 1 when a collection
 * was wanted): AR_E_FORMAT naming the path and what the table looked for. */
int ar_ds_unmatched(const ar_ds_sniff_t *s, int collections, ar_err_t *err);

/* Probe helpers: the file starts with magic; the path ends with suffix;
 * dir holds a file called name. */
int ar_ds_head_is(const ar_ds_sniff_t *s, const void *magic, size_t n);
int ar_ds_name_ends(const ar_ds_sniff_t *s, const char *suffix);
int ar_ds_dir_has(const char *dir, const char *name);

/* Largest image side, channels and bytes per image any reader accepts. */
#define AR_DS_MAX_SIDE 65536
#define AR_DS_MAX_CHANNELS 4
#define AR_DS_MAX_IMAGE_BYTES ((int64_t)64 << 20)
#define AR_DS_MAX_IMAGES ((int64_t)1 << 40)

/* Checks an image set's shape as a file declares it, BEFORE any cast to int,
 * size multiplication or allocation: 0 <= n <= AR_DS_MAX_IMAGES,
 * 1 <= h, w <= AR_DS_MAX_SIDE, 1 <= c <= AR_DS_MAX_CHANNELS and
 * h * w * c <= AR_DS_MAX_IMAGE_BYTES. AR_E_FORMAT naming `where` and the
 * dimension otherwise (a hostile or damaged header must never become a
 * crash or a wrapped-around size). */
int ar_ds_check_geometry(const char *where, int64_t n, int64_t h, int64_t w, int64_t c, ar_err_t *err);

/* Largest label accepted from any file. */
#define AR_MAX_LABEL 65535

/* Checks labels read from `where` (0 <= l <= AR_MAX_LABEL and l < declared
 * when declared > 0), copies them to out as int32 and sets *num_classes to
 * declared, or 1 + the largest label when declared <= 0. AR_E_FORMAT naming
 * where and the first bad index otherwise. */
int ar_labels_import(const char *where, const int64_t *raw, int64_t n, int declared, int32_t *out,
                     int *num_classes, ar_err_t *err);

/* For describe callbacks (collection.c): appends a copy of name to
 * c->corruptions (*cap is the allocated length; -1 when out of memory); and
 * sets c's geometry from the first set, or checks a later set against it
 * (AR_E_FORMAT naming where when it differs). */
int ar_collection_add_name(ar_collection_info_t *c, const char *name, int *cap);
int ar_collection_check_shape(ar_collection_info_t *c, int first, int64_t n, int h, int w, int ch, int s,
                              const char *where, ar_err_t *err);

#endif
