/* image_folder.h - datasets of PNG / JPEG files read in place: the part the
 * image-folder readers share (internal to common/data; tests use it too).
 *
 * Three readers of the table (readers.h) build on it:
 *   ds_imgfolder.c       ImageFolder: root/<class>/<name>.png|.jpg|.jpeg
 *   ds_tinyimagenet.c    Tiny-ImageNet: wnids.txt, train/<wnid>/images/,
 *                        val/images/ + val/val_annotations.txt
 *   ds_tinyimagenet_c.c  Tiny-ImageNet-C: <root>/<corruption>/<severity>/<wnid>/
 * Each lists its files in a fixed order (class folders and files sorted by
 * name, bytewise) into an ar_imglist_t, and ar_imglist_dataset_new makes the
 * dataset: opening reads only names and the first image's header; pixels
 * are decoded (io/image_io.h) when a range is read, on the process's
 * default thread count (core/par.h), and every image must have the first
 * one's size. Images are always RGB (3 channels): gray files are
 * replicated, as torchvision's default loader converts to RGB.
 *
 * The Tiny-ImageNet metadata parsers are strict: every line must parse, and
 * an error names file:line.
 */
#ifndef AR_DATA_IMAGE_FOLDER_H
#define AR_DATA_IMAGE_FOLDER_H

#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"

/* Image files and their labels, in dataset order. Zero-initialise. */
typedef struct ar_imglist {
    int64_t n, cap;
    char **paths;       /* n malloc'd paths */
    int32_t *labels;    /* n labels */
} ar_imglist_t;

/* Appends a copy of path with label; AR_E_NOMEM, or AR_E_FORMAT when the
 * list would pass AR_DS_MAX_IMAGES. */
int ar_imglist_add(ar_imglist_t *l, const char *path, int32_t label, ar_err_t *err);
void ar_imglist_free(ar_imglist_t *l);

/* 1 when a file name is an image's: ends with .png, .jpg or .jpeg in any
 * case, and does not start with '.' (hidden files, macOS "._" forks). */
int ar_image_name_ok(const char *name);

/* What ar_dir_names lists. */
typedef enum { AR_DIR_SUBDIRS, AR_DIR_IMAGES } ar_dir_kind_t;

/* The names in dir of one kind, sorted bytewise (strcmp), names starting
 * with '.' left out: AR_DIR_SUBDIRS its subdirectories, AR_DIR_IMAGES its
 * files that ar_image_name_ok accepts (symbolic links followed). *names
 * (malloc'd, *n of them; NULL when none) is freed with ar_names_free.
 * AR_E_IO naming dir when it cannot be listed. */
int ar_dir_names(const char *dir, ar_dir_kind_t kind, char ***names, int *n, ar_err_t *err);
void ar_names_free(char **names, int n);

/* The index of key in the n sorted names, or -1. */
int ar_names_find(char *const *names, int n, const char *key);

/* Appends the images of one class folder, sorted by name, with label. A
 * folder without any image is AR_E_FORMAT naming it. */
int ar_imglist_add_class(ar_imglist_t *l, const char *dir, int32_t label, ar_err_t *err);

/* The dataset over the list, which it takes (*l is zeroed, also on
 * failure). The size is the first image's (header only; AR_E_FORMAT naming
 * `where` for an empty list); a read that meets an image of another size,
 * a damaged or a missing file fails with AR_E_FORMAT / AR_E_IO naming that
 * file. info gives count-independent fields: num_classes (> 0; labels must
 * be below it), class_names (copied, may be NULL), format and name;
 * count, height, width and channels (3) are set here. */
ar_dataset_t *ar_imglist_dataset_new(ar_imglist_t *l, const ar_dataset_info_t *info, const char *where,
                                     ar_err_t *err);

/* Tiny-ImageNet's wnids.txt: one class id per line (letters, digits, '_',
 * '-', '.', not starting with '.'), no duplicates, at least one; an empty
 * last line and CRLF endings are accepted. *wnids (*n) come back sorted
 * (the class order: label i is the i-th wnid by name, as torchvision's
 * ImageFolder over train/ numbers them); free with ar_names_free. Errors:
 * AR_E_IO, AR_E_FORMAT "file:line: ...". */
int ar_wnids_read(const char *path, char ***wnids, int *n, ar_err_t *err);

/* Readable class names from words.txt ("<wnid>\t<words>" per line, every
 * line must have both): names[i] = "<wnid> <first comma-separated term>",
 * or the wnid alone when words.txt has no line for it. wnids are n sorted
 * ids; *names (n) is freed with ar_names_free. */
int ar_words_names(const char *path, char *const *wnids, int n, char ***names, ar_err_t *err);

/* One line of val_annotations.txt. */
typedef struct ar_val_annot {
    char *file;         /* image file name in val/images (no '/') */
    int32_t label;      /* index of its wnid in the sorted wnids */
    int line;           /* 1-based line number */
} ar_val_annot_t;

/* Tiny-ImageNet's val/val_annotations.txt: "<file>\t<wnid>\t<x0>\t<y0>\t<x1>\t<y1>"
 * per line (an image file name, a wnid of the n sorted wnids, four
 * non-negative integers), no file twice. *out (*count) comes back sorted by
 * file name; free with ar_val_annot_free. Errors: AR_E_IO, AR_E_FORMAT
 * "file:line: ..." naming what is wrong. */
int ar_val_annotations_read(const char *path, char *const *wnids, int n, ar_val_annot_t **out,
                            int64_t *count, ar_err_t *err);
void ar_val_annot_free(ar_val_annot_t *a, int64_t count);

#endif
