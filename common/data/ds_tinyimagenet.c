/* ds_tinyimagenet.c - the Tiny-ImageNet reader (readers.h): the
 * tiny-imagenet-200 directory as released,
 *   wnids.txt                        the class ids, one a line
 *   words.txt                        optional: readable names ("<wnid>\t<words>")
 *   train/<wnid>/images/<name>.JPEG  split "train", 500 images a class
 *   val/images/<name>.JPEG           split "val" (the default), labelled by
 *   val/val_annotations.txt          "<file>\t<wnid>\t<x0>\t<y0>\t<x1>\t<y1>"
 *   test/images/<name>.JPEG          unlabelled: split "test" is refused
 * Classes are the wnids sorted by name (label i = the i-th), the order of
 * torchvision's ImageFolder over train/ and of Tiny-ImageNet-C's folders;
 * images are sorted by file name (train: class by class). Every train
 * folder must be a listed wnid and every wnid must have one; every file of
 * val/images must have exactly one annotation and every annotation a file.
 * Pixels are decoded lazily (image_folder.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/image_folder.h"
#include "data/readers.h"

static int sub_is_dir(const char *root, const char *name)
{
    char p[4096];
    return (size_t)snprintf(p, sizeof p, "%s/%s", root, name) < sizeof p && ar_is_dir(p);
}

static ar_ds_match_t tin_probe(const ar_ds_sniff_t *s)
{
    if (!s->is_dir || !ar_ds_dir_has(s->path, "wnids.txt")) return AR_DS_NO;
    return sub_is_dir(s->path, "train") || sub_is_dir(s->path, "val") ? AR_DS_BY_CONTENT : AR_DS_NO;
}

/* train/<wnid>/images/ of every wnid, in wnid order; a train folder that is
 * no wnid is an error. */
static int list_train(const char *root, char *const *wnids, int n, ar_imglist_t *l, ar_err_t *err)
{
    char dir[4096], p[4200];
    snprintf(dir, sizeof dir, "%s/train", root);
    char **folders = NULL;
    int nf = 0;
    int st = ar_dir_names(dir, AR_DIR_SUBDIRS, &folders, &nf, err);
    for (int i = 0; i < nf && !st; i++)
        if (ar_names_find(wnids, n, folders[i]) < 0)
            st = ar_err_set(err, AR_E_FORMAT, "%s/%s: class folder not listed in %s/wnids.txt", dir, folders[i], root);
    for (int i = 0; i < n && !st; i++) {
        if (ar_names_find(folders, nf, wnids[i]) < 0) {
            st = ar_err_set(err, AR_E_FORMAT, "%s/wnids.txt: class '%s' has no folder %s/%s", root, wnids[i], dir,
                            wnids[i]);
            break;
        }
        snprintf(p, sizeof p, "%s/%s/images", dir, wnids[i]);
        st = ar_imglist_add_class(l, p, i, err);
    }
    ar_names_free(folders, nf);
    return st;
}

/* The images of val/images sorted by name, labelled by val_annotations.txt. */
static int list_val(const char *root, char *const *wnids, int n, ar_imglist_t *l, ar_err_t *err)
{
    char dir[4096], ann[4200], p[4200];
    snprintf(dir, sizeof dir, "%s/val/images", root);
    snprintf(ann, sizeof ann, "%s/val/val_annotations.txt", root);
    ar_val_annot_t *a = NULL;
    int64_t na = 0;
    char **files = NULL;
    int nf = 0;
    int st = ar_val_annotations_read(ann, wnids, n, &a, &na, err);
    if (!st) st = ar_dir_names(dir, AR_DIR_IMAGES, &files, &nf, err);
    /* both sorted by file name: walk them together */
    int64_t j = 0;
    for (int i = 0; i < nf && !st; i++) {
        if (j < na && strcmp(a[j].file, files[i]) < 0) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: '%s' is not in %s", ann, a[j].line, a[j].file, dir);
            break;
        }
        if (j == na || strcmp(a[j].file, files[i]) != 0) {
            st = ar_err_set(err, AR_E_FORMAT, "%s/%s: no line for it in %s", dir, files[i], ann);
            break;
        }
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        st = ar_imglist_add(l, p, a[j].label, err);
        j++;
    }
    if (!st && j < na) st = ar_err_set(err, AR_E_FORMAT, "%s:%d: '%s' is not in %s", ann, a[j].line, a[j].file, dir);
    ar_names_free(files, nf);
    ar_val_annot_free(a, na);
    return st;
}

static ar_dataset_t *tin_open(const ar_data_source_t *src, ar_err_t *err)
{
    const char *root = src->path, *split = src->split ? src->split : "val";
    if (strcmp(split, "test") == 0) {
        ar_err_set(err, AR_E_ARG,
                   "%s: Tiny-ImageNet's test split is unlabelled (test/ has no annotations); use split 'val' "
                   "(the labelled held-out set) or 'train'",
                   root);
        return NULL;
    }
    if (strcmp(split, "train") != 0 && strcmp(split, "val") != 0) {
        ar_err_set(err, AR_E_ARG, "%s: unknown split '%s' (train or val)", root, split);
        return NULL;
    }
    char p[4096];
    char **wnids = NULL, **names = NULL;
    int n = 0;
    ar_imglist_t l = {0};
    ar_dataset_t *ds = NULL;
    snprintf(p, sizeof p, "%s/wnids.txt", root);
    if (ar_wnids_read(p, &wnids, &n, err)) return NULL;
    snprintf(p, sizeof p, "%s/words.txt", root);
    if (ar_file_size(p) >= 0 && ar_words_names(p, wnids, n, &names, err)) goto done;
    if (strcmp(split, "train") == 0 ? list_train(root, wnids, n, &l, err) : list_val(root, wnids, n, &l, err))
        goto done;
    ar_dataset_info_t info = {.num_classes = n, .class_names = names ? names : wnids};
    ar_str_copy(info.format, sizeof info.format, "tiny-imagenet");
    snprintf(info.name, sizeof info.name, "tiny-imagenet %s", split);
    ds = ar_imglist_dataset_new(&l, &info, root, err);
done:
    ar_imglist_free(&l);
    ar_names_free(names, n);
    ar_names_free(wnids, n);
    return ds;
}

/* The splits present: train/ and val/ (test/ is unlabelled). */
static int tin_splits(const char *path, const char **out, int cap)
{
    int n = 0;
    if (n < cap && sub_is_dir(path, "train")) out[n++] = "train";
    if (n < cap && sub_is_dir(path, "val")) out[n++] = "val";
    return n;
}

const ar_ds_reader_t ar_ds_reader_tinyimagenet = {
    .name = "tiny-imagenet",
    .title = "Tiny-ImageNet",
    .dir_hint = "wnids.txt beside train/ or val/",
    .probe = tin_probe,
    .open = tin_open,
    .splits = tin_splits,
};
