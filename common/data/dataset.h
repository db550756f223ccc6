/* dataset.h - one abstraction over every image dataset the tool reads.
 *
 * A dataset is N labelled images of one shape (H, W, C), uint8 pixels.
 * Callers ask for any index range (a shard) and get either raw uint8 NHWC
 * pixels or normalised float NCHW tensors, x = (pixel/255 - mean[c]) / std[c].
 * Implementations read only the rows asked for from disk (never a whole
 * CIFAR-10-C collection into memory). Formats (one reader each, tried in
 * the order of the table in readers.c; readers.h says how to add one):
 *   - MNIST / Fashion-MNIST IDX files, plain or gzipped, or their directory;
 *   - CIFAR-10 binary batches (a data_batch_N.bin / test_batch.bin file, or the
 *     cifar-10-batches-bin directory);
 *   - CIFAR-10-C style directories of .npy files (<corruption>.npy + labels.npy);
 *   - the HDF5 dataset (/images, /labels) and corruption-collection layouts;
 *   - folders of PNG / JPEG files read in place: ImageFolder
 *     (root/<class>/<image files>), Tiny-ImageNet (wnids.txt, train/, val/)
 *     and the Tiny-ImageNet-C collection (<corruption>/<severity>/<class>/);
 *   - virtual sets built on another dataset (e.g. corrupted on the fly, see
 *     corrupt/corrupt_dataset.h) through ar_dataset_new_custom.
 * Owner rules: ar_dataset_open/new_* return a dataset the caller destroys.
 */
#ifndef AR_DATA_DATASET_H
#define AR_DATA_DATASET_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

/* What to open. Zero-initialise, then set path (and the others as needed). */
typedef struct ar_data_source {
    const char *path;        /* file or directory */
    const char *split;       /* "train" or "test" for directory formats with both
                                (IDX, CIFAR-10 bin; NULL = "test"), "train" or "val"
                                for Tiny-ImageNet (NULL = "val"); formats without
                                splits (a file, an ImageFolder) ignore it */
    const char *corruption;  /* for collections (HDF5 or .npy directory): which set;
                                NULL or "clean" = the clean images (HDF5 /images) */
    int severity;            /* 1..S for collections; 0 when corruption is NULL */
} ar_data_source_t;

typedef struct ar_dataset_info {
    int64_t count;           /* number of images */
    int height, width, channels;
    int num_classes;         /* 1 + max label seen / declared class count */
    char format[32];         /* "idx", "cifar10-bin", "npy-dir", "hdf5", "hdf5-collection",
                                "imagefolder", "tiny-imagenet", "tiny-imagenet-c", ... */
    char name[128];          /* human-readable name of the set */
    char **class_names;      /* num_classes names or NULL when the file has none */
} ar_dataset_info_t;

typedef struct ar_dataset ar_dataset_t;

/* Reader callbacks for implementations (formats and virtual sets). */
typedef struct ar_dataset_vt {
    /* Copies images [start, start+count) as uint8 NHWC into pixels (may be
     * NULL: labels only) and their labels into labels (may be NULL). */
    int (*read)(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                ar_err_t *err);
    void (*destroy)(void *self);
} ar_dataset_vt_t;

/* Opens a dataset; the first reader of the table (readers.h) that recognises
 * the path's contents, or failing that its name, opens it. Labels are
 * validated (0 <= label < num_classes, and < 65536). NULL with err naming
 * the file and the problem on failure (AR_E_FORMAT naming what was looked
 * for when no reader takes it). */
ar_dataset_t *ar_dataset_open(const ar_data_source_t *src, ar_err_t *err);

/* The splits a directory holds, for formats with several (IDX and CIFAR-10
 * directories: "train", "test"; Tiny-ImageNet: "train", "val"): at most cap
 * names (static strings) into out; 0 for any other source. Never fails. */
int ar_dataset_splits(const char *path, const char **out, int cap);

/* Wraps an implementation: info is copied (class_names are duplicated);
 * on success the dataset owns self and calls vt->destroy(self) when destroyed;
 * on failure (NULL) vt->destroy(self) has been called. */
ar_dataset_t *ar_dataset_new_custom(const ar_dataset_info_t *info, const ar_dataset_vt_t *vt,
                                    void *self, ar_err_t *err);

void ar_dataset_destroy(ar_dataset_t **ds);

/* The dataset's description; valid while the dataset lives. */
const ar_dataset_info_t *ar_dataset_info(const ar_dataset_t *ds);

/* uint8 NHWC pixels and labels of [start, start+count); a range outside the
 * dataset is an AR_E_ARG error. pixels or labels may be NULL. */
int ar_dataset_read_u8(ar_dataset_t *ds, int64_t start, int64_t count, uint8_t *pixels,
                       int32_t *labels, ar_err_t *err);

/* Normalised float NCHW batch of [start, start+count): x must have shape
 * [count, C, H, W] with data allocated; mean/std have C entries. scratch must
 * hold count*H*W*C bytes (or be NULL to allocate internally). */
int ar_dataset_read_batch(ar_dataset_t *ds, int64_t start, int64_t count, const float *mean,
                          const float *std, ar_tensor_t *x, int32_t *labels, uint8_t *scratch,
                          ar_err_t *err);

/* The same for an arbitrary list of indices (shuffled training batches). */
int ar_dataset_read_indices(ar_dataset_t *ds, const int64_t *idx, int64_t count,
                            const float *mean, const float *std, ar_tensor_t *x, int32_t *labels,
                            uint8_t *scratch, ar_err_t *err);

/* Consecutive rows of a dataset read as normalised batches into buffers
 * for up to `batch` images: the dataset source of the evaluation loop
 * (nn/evaluate.h; ar_dataset_rows_read has its read callback's signature,
 * since data does not depend on nn). Fill ds, mean and std, and either
 * ar_dataset_rows_alloc the buffers or point them at the caller's own. */
typedef struct ar_dataset_rows {
    ar_dataset_t *ds;           /* borrowed */
    const float *mean, *std;    /* C each, borrowed */
    ar_tensor_t x;              /* [batch, C, H, W]; shape[0] = the last read's count */
    int32_t *labels;            /* batch */
    uint8_t *scratch;           /* batch * H*W*C bytes (NULL: allocated per read) */
} ar_dataset_rows_t;

/* Allocates r's x, labels and scratch for batch images of c x h x w (the
 * rest of r untouched); AR_E_NOMEM. Free with ar_dataset_rows_free. */
int ar_dataset_rows_alloc(ar_dataset_rows_t *r, int batch, int c, int h, int w, ar_err_t *err);
void ar_dataset_rows_free(ar_dataset_rows_t *r);

/* Rows [start, start+n) of r->ds (ar_dataset_read_batch with r's mean, std
 * and buffers); *x and *labels point at r's buffers. rows: an
 * ar_dataset_rows_t. */
int ar_dataset_rows_read(void *rows, int64_t start, int n, const ar_tensor_t **x,
                         const int32_t **labels, ar_err_t *err);

/* uint8 NHWC -> normalised float NCHW for n images, over
 * ar_par_default_threads() threads (the same bits for any count). */
void ar_normalize_nhwc(const uint8_t *pixels, int64_t n, int h, int w, int c, const float *mean,
                       const float *std, float *out);

#endif
