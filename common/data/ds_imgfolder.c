/* ds_imgfolder.c - the ImageFolder reader (readers.h): a directory of class
 * folders, root/<class>/<name>.png|.jpg|.jpeg, as torchvision's ImageFolder
 * reads it: classes are the subfolder names sorted (label i = the i-th),
 * images sorted by name within each class; decoded lazily
 * (image_folder.h). The directory has no splits: a split asked for is
 * ignored, as for a single file. One set of a Tiny-ImageNet-C tree
 * (<root>/<corruption>/<severity>) is such a folder. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/image_folder.h"
#include "data/readers.h"

/* Probing looks at no more than this many subfolders. */
#define PROBE_SUBDIRS 16

/* 1 when dir directly holds a file with an image name (names only). */
static int holds_image_name(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) found = ar_image_name_ok(e->d_name);
    closedir(d);
    return found;
}

/* A directory some of whose first subfolders hold image files. */
static ar_ds_match_t imgfolder_probe(const ar_ds_sniff_t *s)
{
    if (!s->is_dir) return AR_DS_NO;
    DIR *d = opendir(s->path);
    if (!d) return AR_DS_NO;
    struct dirent *e;
    int seen = 0, found = 0;
    while (!found && seen < PROBE_SUBDIRS && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", s->path, e->d_name) >= sizeof p) continue;
#ifdef DT_REG
        if (e->d_type == DT_REG) continue;
#endif
        seen++;
        found = holds_image_name(p);
    }
    closedir(d);
    return found ? AR_DS_BY_CONTENT : AR_DS_NO;
}

/* Tiny-ImageNet's val/ or test/ folder holds one subfolder, images/, so it
 * would open as an ImageFolder of one class: refused, saying what to open. */
static int tiny_subfolder(const char *path, ar_err_t *err)
{
    char parent[4096], images[4200];
    ar_dir_of(path, parent, sizeof parent);
    snprintf(images, sizeof images, "%s/images", path);
    if (!ar_ds_dir_has(path, "val_annotations.txt") && !(ar_ds_dir_has(parent, "wnids.txt") && ar_is_dir(images)))
        return AR_OK;
    return ar_err_set(err, AR_E_ARG,
                      "%s: a folder of Tiny-ImageNet, which would open as one class 'images': open %s (the "
                      "directory with wnids.txt) with split val or train",
                      path, parent);
}

static ar_dataset_t *imgfolder_open(const ar_data_source_t *src, ar_err_t *err)
{
    char **classes = NULL;
    int nc = 0;
    ar_imglist_t l = {0};
    ar_dataset_t *ds = NULL;
    if (tiny_subfolder(src->path, err)) return NULL;
    if (ar_dir_names(src->path, AR_DIR_SUBDIRS, &classes, &nc, err)) return NULL;
    if (nc == 0) {
        ar_err_set(err, AR_E_FORMAT, "%s: no class folders", src->path);
        goto done;
    }
    if (nc > AR_MAX_LABEL + 1) {
        ar_err_set(err, AR_E_FORMAT, "%s: %d class folders, at most %d", src->path, nc, AR_MAX_LABEL + 1);
        goto done;
    }
    for (int i = 0; i < nc; i++) {
        char p[4096];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", src->path, classes[i]) >= sizeof p) {
            ar_err_set(err, AR_E_ARG, "%s/%s: path too long", src->path, classes[i]);
            goto done;
        }
        if (ar_imglist_add_class(&l, p, i, err)) goto done;
    }
    ar_dataset_info_t info = {.num_classes = nc, .class_names = classes};
    ar_str_copy(info.format, sizeof info.format, "imagefolder");
    ar_str_copy(info.name, sizeof info.name, src->path);
    ds = ar_imglist_dataset_new(&l, &info, src->path, err);
done:
    ar_imglist_free(&l);
    ar_names_free(classes, nc);
    return ds;
}

const ar_ds_reader_t ar_ds_reader_imgfolder = {
    .name = "imagefolder",
    .title = "ImageFolder",
    .dir_hint = "<class>/ folders of .png / .jpg / .jpeg files",
    .probe = imgfolder_probe,
    .open = imgfolder_open,
};
