/* ds_tinyimagenet_c.c - the Tiny-ImageNet-C reader (readers.h), a corruption
 * collection of image folders as Hendrycks' release lays it out:
 *   <root>/<corruption>/<severity>/<wnid>/<name>.JPEG  severities 1..S (S <= 5)
 * A corruption is a subfolder (a usable corruption name) holding a folder
 * "1"; other subfolders are ignored. Classes: the wnids of <root>/wnids.txt
 * sorted when that file exists (a set may then lack a class), else the
 * class folders of the first corruption's severity 1 sorted, which every set
 * must then have exactly (so a label means the same class in every set).
 * Each set is an image folder (ds_imgfolder.c's rules: files sorted by name
 * within a class, decoded lazily, one size); one set opens with source
 * .corruption and .severity. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/collection.h"
#include "data/image_folder.h"
#include "data/readers.h"
#include "io/image_io.h"

#define TINC_MAX_SEVERITIES 5

/* 1 when root/name/1 is a directory and name is a usable corruption name. */
static int is_corruption_dir(const char *root, const char *name)
{
    char p[4096];
    return ar_corruption_name_ok(name) && (size_t)snprintf(p, sizeof p, "%s/%s/1", root, name) < sizeof p &&
           ar_is_dir(p);
}

/* A directory (without Tiny-ImageNet's wnids.txt + train/ layout, which its
 * reader takes first) one of whose first subfolders holds a folder "1". */
static ar_ds_match_t tinc_probe(const ar_ds_sniff_t *s)
{
    if (!s->is_dir) return AR_DS_NO;
    DIR *d = opendir(s->path);
    if (!d) return AR_DS_NO;
    struct dirent *e;
    int seen = 0, found = 0;
    while (!found && seen < 64 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        seen++;
        found = is_corruption_dir(s->path, e->d_name);
    }
    closedir(d);
    return found ? AR_DS_BY_CONTENT : AR_DS_NO;
}

static int tinc_is_collection(const ar_ds_sniff_t *s) { return s->is_dir; }

/* The corruptions of root, sorted. */
static int list_corruptions(const char *root, char ***names, int *n, ar_err_t *err)
{
    char **sub = NULL;
    int ns = 0, k = 0;
    int st = ar_dir_names(root, AR_DIR_SUBDIRS, &sub, &ns, err);
    if (st) return st;
    for (int i = 0; i < ns; i++) {
        if (is_corruption_dir(root, sub[i]))
            sub[k++] = sub[i];
        else
            free(sub[i]);
    }
    *names = sub;
    *n = k;
    if (k == 0) {
        ar_names_free(sub, k);
        *names = NULL;
        return ar_err_set(err, AR_E_FORMAT, "%s: no <corruption>/1/ folders (not a Tiny-ImageNet-C tree)", root);
    }
    return AR_OK;
}

/* The collection's classes: wnids.txt's (*fixed = 1) or the class folders of
 * the first corruption's severity 1. */
static int class_list(const char *root, char ***classes, int *n, int *fixed, ar_err_t *err)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/wnids.txt", root);
    *fixed = ar_file_size(p) >= 0;
    if (*fixed) return ar_wnids_read(p, classes, n, err);
    char **cor = NULL;
    int nc = 0;
    int st = list_corruptions(root, &cor, &nc, err);
    if (st) return st;
    snprintf(p, sizeof p, "%s/%s/1", root, cor[0]);
    ar_names_free(cor, nc);
    st = ar_dir_names(p, AR_DIR_SUBDIRS, classes, n, err);
    if (!st && *n == 0) {
        ar_names_free(*classes, *n);
        *classes = NULL;
        st = ar_err_set(err, AR_E_FORMAT, "%s: no class folders", p);
    }
    if (!st && *n > AR_MAX_LABEL + 1)
        st = ar_err_set(err, AR_E_FORMAT, "%s: %d class folders, at most %d", p, *n, AR_MAX_LABEL + 1);
    return st;
}

/* The images of root/corruption/severity into l, labelled by classes. */
static int list_set(const char *root, const char *corruption, int severity, char *const *classes, int n,
                    int fixed, ar_imglist_t *l, ar_err_t *err)
{
    char dir[4096], p[4200];
    snprintf(dir, sizeof dir, "%s/%s", root, corruption);
    if (!ar_is_dir(dir)) return ar_err_set(err, AR_E_ARG, "%s: no corruption '%s' (no folder %s)", root, corruption, dir);
    snprintf(dir, sizeof dir, "%s/%s/%d", root, corruption, severity);
    if (!ar_is_dir(dir))
        return ar_err_set(err, AR_E_ARG, "%s: no severity %d of '%s' (no folder %s)", root, severity, corruption, dir);
    char **folders = NULL;
    int nf = 0;
    int st = ar_dir_names(dir, AR_DIR_SUBDIRS, &folders, &nf, err);
    if (st) return st;
    for (int i = 0; i < nf && !st; i++)
        if (ar_names_find(classes, n, folders[i]) < 0)
            st = ar_err_set(err, AR_E_FORMAT, "%s/%s: class folder not in the collection's classes (%s)", dir,
                            folders[i], fixed ? "wnids.txt" : "those of its first corruption, severity 1");
    for (int i = 0; i < n && !st && !fixed; i++)
        if (ar_names_find(folders, nf, classes[i]) < 0)
            st = ar_err_set(err, AR_E_FORMAT, "%s: class folder '%s' missing (the first corruption's severity 1 has it)",
                            dir, classes[i]);
    for (int i = 0; i < nf && !st; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, folders[i]);
        st = ar_imglist_add_class(l, p, ar_names_find(classes, n, folders[i]), err);
    }
    ar_names_free(folders, nf);
    return st;
}

static ar_dataset_t *tinc_open(const ar_data_source_t *src, ar_err_t *err)
{
    const char *root = src->path;
    if (!src->corruption || strcmp(src->corruption, "clean") == 0) {
        ar_err_set(err, AR_E_ARG,
                   "%s: a Tiny-ImageNet-C tree holds corrupted sets only: name a corruption and severity (or open "
                   "<corruption>/<severity> as an image folder)",
                   root);
        return NULL;
    }
    if (!ar_corruption_name_ok(src->corruption)) {
        ar_err_set(err, AR_E_ARG, "%s: bad corruption name '%s'", root, src->corruption);
        return NULL;
    }
    if (src->severity < 1 || src->severity > TINC_MAX_SEVERITIES) {
        ar_err_set(err, AR_E_ARG, "%s: severity %d out of range 1..%d", root, src->severity, TINC_MAX_SEVERITIES);
        return NULL;
    }
    char **classes = NULL;
    int n = 0, fixed = 0;
    ar_imglist_t l = {0};
    ar_dataset_t *ds = NULL;
    if (class_list(root, &classes, &n, &fixed, err)) return NULL;
    if (!list_set(root, src->corruption, src->severity, classes, n, fixed, &l, err)) {
        ar_dataset_info_t info = {.num_classes = n, .class_names = classes};
        ar_str_copy(info.format, sizeof info.format, "tiny-imagenet-c");
        snprintf(info.name, sizeof info.name, "%s/%d", src->corruption, src->severity);
        ds = ar_imglist_dataset_new(&l, &info, root, err);
    }
    ar_imglist_free(&l);
    ar_names_free(classes, n);
    return ds;
}

/* Every corruption's severities 1..S, each set listed whole (count) and its
 * first image's header read (size); all must agree. */
static int tinc_describe(const char *root, ar_collection_info_t *out, ar_err_t *err)
{
    ar_str_copy(out->format, sizeof out->format, "tiny-imagenet-c");
    char **cor = NULL, **classes = NULL;
    int nc = 0, n = 0, fixed = 0, cap = 0;
    int st = list_corruptions(root, &cor, &nc, err);
    if (!st) st = class_list(root, &classes, &n, &fixed, err);
    for (int i = 0; i < nc && !st; i++) {
        int sev = 0;
        char p[4096];
        while (sev < TINC_MAX_SEVERITIES &&
               (size_t)snprintf(p, sizeof p, "%s/%s/%d", root, cor[i], sev + 1) < sizeof p && ar_is_dir(p))
            sev++;
        for (int s = 1; s <= sev && !st; s++) {
            ar_imglist_t l = {0};
            int h = 0, w = 0;
            snprintf(p, sizeof p, "%s/%s/%d", root, cor[i], s);
            st = list_set(root, cor[i], s, classes, n, fixed, &l, err);
            if (!st && l.n == 0) st = ar_err_set(err, AR_E_FORMAT, "%s: no images", p);
            if (!st) st = ar_image_size(l.paths[0], &h, &w, err);
            if (!st) st = ar_ds_check_geometry(l.paths[0], l.n, h, w, 3, err);
            if (!st) st = ar_collection_check_shape(out, i == 0 && s == 1, l.n, h, w, 3, sev, p, err);
            ar_imglist_free(&l);
        }
        if (!st && ar_collection_add_name(out, cor[i], &cap)) st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", root);
    }
    ar_names_free(classes, n);
    ar_names_free(cor, nc);
    return st;
}

const ar_ds_reader_t ar_ds_reader_tinyimagenet_c = {
    .name = "tiny-imagenet-c",
    .title = "Tiny-ImageNet-C",
    .dir_hint = "<corruption>/<severity>/<class>/ image folders",
    .probe = tinc_probe,
    .open = tinc_open,
    .is_collection = tinc_is_collection,
    .describe = tinc_describe,
};
