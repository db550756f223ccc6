/* ds_cifar.c - the CIFAR-10 binary reader (readers.h): one .bin batch file,
 * or the cifar-10-batches-bin directory (train = data_batch_1..5, test =
 * test_batch; a single file ignores the split). Labels are read once at
 * open; pixels are read from disk per request. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "data/classes.h"
#include "data/readers.h"
#include "io/cifar_bin.h"

typedef struct {
    ar_cifar_bin_t *cb;
    int32_t *labels;
} cifar_set_t;

static int cifar_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                      ar_err_t *err)
{
    cifar_set_t *s = self;
    if (labels) memcpy(labels, s->labels + start, (size_t)count * sizeof *labels);
    return pixels ? ar_cifar_bin_read(s->cb, start, count, pixels, NULL, err) : AR_OK;
}

static void cifar_destroy(void *self)
{
    cifar_set_t *s = self;
    if (!s) return;
    ar_cifar_bin_close(&s->cb);
    free(s->labels);
    free(s);
}

/* Class names from batches.meta.txt (one per line) when it holds 10. */
static int read_meta(const char *dir, char names[AR_CIFAR_CLASSES][64])
{
    char p[4096];
    snprintf(p, sizeof p, "%s/batches.meta.txt", dir);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    int n = 0;
    char line[256];
    while (n < AR_CIFAR_CLASSES && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) ar_str_copy(names[n++], 64, line);
    }
    fclose(f);
    return n == AR_CIFAR_CLASSES ? 0 : -1;
}

static ar_dataset_t *cifar_open(const ar_data_source_t *src, ar_err_t *err)
{
    const char *path = src->path, *split = src->split;
    char paths[5][4096];
    const char *list[5];
    int n = 0;
    int dir = ar_is_dir(path);
    const char *sp = split ? split : "test";
    if (dir) {
        if (strcmp(sp, "train") == 0) {
            for (n = 0; n < 5; n++) snprintf(paths[n], sizeof paths[n], "%s/data_batch_%d.bin", path, n + 1);
        } else if (strcmp(sp, "test") == 0) {
            snprintf(paths[0], sizeof paths[0], "%s/test_batch.bin", path);
            n = 1;
        } else {
            ar_err_set(err, AR_E_ARG, "%s: unknown split '%s' (train or test)", path, split);
            return NULL;
        }
    } else {
        ar_str_copy(paths[0], sizeof paths[0], path);
        n = 1;
    }
    for (int i = 0; i < n; i++) list[i] = paths[i];
    cifar_set_t *s = calloc(1, sizeof *s);
    if (!s) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    s->cb = ar_cifar_bin_open(list, n, err);
    if (!s->cb) goto fail;
    int64_t count = ar_cifar_bin_count(s->cb);
    s->labels = malloc((size_t)count * sizeof *s->labels);
    if (!s->labels) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (ar_cifar_bin_read(s->cb, 0, count, NULL, s->labels, err)) goto fail;
    ar_dataset_info_t info = {.count = count, .height = AR_CIFAR_SIDE, .width = AR_CIFAR_SIDE,
                              .channels = AR_CIFAR_CHANNELS, .num_classes = AR_CIFAR_CLASSES};
    ar_str_copy(info.format, sizeof info.format, "cifar10-bin");
    snprintf(info.name, sizeof info.name, "cifar-10 %s", dir ? sp : path);
    char meta[AR_CIFAR_CLASSES][64];
    char *names[AR_CIFAR_CLASSES];
    int known;
    const char *const *std_names = ar_classes_known("cifar-10", &known);
    int have_meta = dir && read_meta(path, meta) == 0;
    for (int i = 0; i < AR_CIFAR_CLASSES; i++) names[i] = have_meta ? meta[i] : (char *)std_names[i];
    info.class_names = names;
    return ar_dataset_new_custom(&info, &(ar_dataset_vt_t){cifar_read, cifar_destroy}, s, err);
fail:
    cifar_destroy(s);
    return NULL;
}

static ar_ds_match_t cifar_probe(const ar_ds_sniff_t *s)
{
    if (!s->is_dir) return ar_ds_name_ends(s, ".bin") ? AR_DS_BY_NAME : AR_DS_NO;
    int batches = ar_ds_dir_has(s->path, "data_batch_1.bin") || ar_ds_dir_has(s->path, "test_batch.bin");
    return batches ? AR_DS_BY_CONTENT : AR_DS_NO;
}

static int cifar_splits(const char *path, const char **out, int cap)
{
    int n = 0;
    if (n < cap && ar_ds_dir_has(path, "data_batch_1.bin")) out[n++] = "train";
    if (n < cap && ar_ds_dir_has(path, "test_batch.bin")) out[n++] = "test";
    return n;
}

const ar_ds_reader_t ar_ds_reader_cifar = {
    .name = "cifar10-bin",
    .title = "CIFAR-10 binary",
    .file_hint = "a .bin name",
    .dir_hint = "data_batch_1.bin or test_batch.bin",
    .probe = cifar_probe,
    .open = cifar_open,
    .splits = cifar_splits,
};
