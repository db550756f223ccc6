/* cmd_info.c - `archrepair info PATH`: describes a dataset (format, count,
 * image shape, classes with per-class counts), a corruption collection (its
 * corruptions and severities), a model / repair result file (info_model.c),
 * or an evaluate / localize / stats result (info_result.c). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/fsutil.h"
#include "data/collection.h"
#include "data/dataset.h"
#include "info_model.h"
#include "info_result.h"
#include "result_file.h"
#include "io/h5.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: archrepair info PATH [--split train|test|val] [--corruption NAME --severity S]\n\n"
            "Describes PATH:\n"
            "  a dataset (HDF5, IDX file or directory, CIFAR-10 .bin file or directory,\n"
            "    ImageFolder of PNG/JPEG files, Tiny-ImageNet directory): format, image\n"
            "    count and shape, classes with per-class counts; a directory holding\n"
            "    several splits shows each unless --split picks one;\n"
            "  a corruption collection (HDF5, CIFAR-10-C .npy directory, Tiny-ImageNet-C\n"
            "    tree): its corruptions and severities; --corruption/--severity describe\n"
            "    one set of it;\n"
            "  a model or repair result file (HDF5 with format = archrepair-model);\n"
            "  an evaluate, localize or stats job result: its outcome (the accuracy\n"
            "    table, the block ranking, the sets' statistics).\n"
            "Exit status 0 on success, non-zero with a one-line cause on stderr.\n");
}

/* Prints one dataset: shape, classes with counts. */
static int print_dataset(ar_dataset_t *ds, const char *path, const char *split, ar_err_t *err)
{
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    int32_t *labels = malloc((size_t)(in->count ? in->count : 1) * sizeof *labels);
    int64_t *counts = calloc((size_t)(in->num_classes > 0 ? in->num_classes : 1), sizeof *counts);
    if (!labels || !counts) {
        free(labels);
        free(counts);
        return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    }
    int st = ar_dataset_read_u8(ds, 0, in->count, NULL, labels, err);
    if (!st) {
        for (int64_t i = 0; i < in->count; i++)
            if (labels[i] >= 0 && labels[i] < in->num_classes) counts[labels[i]]++;
        printf("path:         %s\n", path);
        printf("format:       %s\n", in->format);
        if (split) printf("split:        %s\n", split);
        printf("name:         %s\n", in->name);
        printf("images:       %lld\n", (long long)in->count);
        printf("image shape:  %d x %d x %d (H x W x C), uint8\n", in->height, in->width, in->channels);
        printf("classes:      %d\n", in->num_classes);
        for (int c = 0; c < in->num_classes; c++)
            printf("  %3d  %-16s %8lld\n", c, in->class_names ? in->class_names[c] : "", (long long)counts[c]);
    }
    free(labels);
    free(counts);
    return st;
}

static int info_dataset(const ar_data_source_t *src, ar_err_t *err)
{
    ar_dataset_t *ds = ar_dataset_open(src, err);
    if (!ds) return err->status;
    int st = print_dataset(ds, src->path, src->split, err);
    ar_dataset_destroy(&ds);
    return st;
}

static int info_collection(const char *path, ar_err_t *err)
{
    ar_collection_info_t ci;
    int st = ar_collection_describe(path, &ci, err);
    if (st) return st;
    printf("path:         %s\n", path);
    printf("format:       %s (corruption collection)\n", ci.format);
    printf("images:       %lld per corruption and severity\n", (long long)ci.count);
    printf("image shape:  %d x %d x %d (H x W x C), uint8\n", ci.height, ci.width, ci.channels);
    printf("severities:   1..%d\n", ci.severities);
    printf("clean images: %s\n", ci.has_clean ? "yes (/images)" : "no");
    printf("corruptions:  %d\n", ci.ncorruptions);
    for (int i = 0; i < ci.ncorruptions; i++) printf("  %s\n", ci.corruptions[i]);
    /* labels and classes, from the first set */
    ar_data_source_t src = {.path = path, .corruption = ci.corruptions[0], .severity = 1};
    ar_dataset_t *ds = ar_dataset_open(&src, err);
    if (!ds) st = err->status;
    ar_collection_info_free(&ci);
    if (st) return st;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    int32_t *labels = malloc((size_t)in->count * sizeof *labels);
    int64_t *counts = calloc((size_t)in->num_classes + 1, sizeof *counts);
    if (!labels || !counts) st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    if (!st) st = ar_dataset_read_u8(ds, 0, in->count, NULL, labels, err);
    if (!st) {
        for (int64_t i = 0; i < in->count; i++) counts[labels[i]]++;
        printf("classes:      %d (counts of %s)\n", in->num_classes, in->name);
        for (int c = 0; c < in->num_classes; c++)
            printf("  %3d  %-16s %8lld\n", c, in->class_names ? in->class_names[c] : "", (long long)counts[c]);
    }
    free(labels);
    free(counts);
    ar_dataset_destroy(&ds);
    return st;
}

/* 1 when path is an HDF5 file whose root attribute format is archrepair-model. */
static int is_model_file(const char *path)
{
    ar_h5_t *h = ar_result_open_h5(path);
    if (!h) return 0;
    char *fmt = NULL;
    int yes = ar_h5_attr_exists(h, "/", "format") && ar_h5_attr_read_str(h, "/", "format", &fmt, NULL) == AR_OK &&
              strcmp(fmt, "archrepair-model") == 0;
    free(fmt);
    ar_h5_destroy(&h);
    return yes;
}

int ar_cmd_info(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    ar_data_source_t src = {0};
    const ar_opt_t opts[] = {AR_STR("split", &src.split),
                             AR_STR("corruption", &src.corruption),
                             AR_INT("severity", &src.severity, 1, 1000),
                             AR_OPT_END};
    int npos = 0;
    int rc = ar_cli_opts("info", opts, argc, argv, &src.path, 1, &npos);
    if (rc) return rc;
    if (!src.path) return ar_cli_usage_error("info", "no PATH given");
    if (src.split && strcmp(src.split, "train") != 0 && strcmp(src.split, "test") != 0 && strcmp(src.split, "val") != 0)
        return ar_cli_usage_error("info", "--split must be train, test or val, not '%s'", src.split);
    if (src.corruption && !src.severity) src.severity = 1;

    ar_err_t err = {0};
    const char *splits[4];
    int st, nsplits = 0;
    if (ar_file_size(src.path) < 0 && !ar_is_dir(src.path)) {
        ar_err_set(&err, AR_E_IO, "%s: no such file or directory", src.path);
        return ar_cli_fail("info", &err);
    }
    if (is_model_file(src.path)) {
        st = ar_info_model(src.path, stdout, &err);
    } else if (ar_info_is_result(src.path)) {
        st = ar_info_result(src.path, stdout, &err);
    } else if (!src.corruption && ar_collection_probe(src.path)) {
        st = info_collection(src.path, &err);
    } else if (!src.split && (nsplits = ar_dataset_splits(src.path, splits, 4)) > 0) {
        st = AR_OK;
        for (int i = 0; i < nsplits && !st; i++) {
            src.split = splits[i];
            if (i) printf("\n");
            st = info_dataset(&src, &err);
        }
    } else {
        st = info_dataset(&src, &err);
    }
    return st ? ar_cli_fail("info", &err) : 0;
}
