/* image_folder.c - image-file lists, the dataset that decodes them lazily,
 * directory listings and the Tiny-ImageNet metadata parsers
 * (image_folder.h). */
#define _POSIX_C_SOURCE 200809L
#include "image_folder.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/par.h"
#include "core/str.h"
#include "data/readers.h"
#include "io/image_io.h"

/* ---- lists -------------------------------------------------------------- */

int ar_imglist_add(ar_imglist_t *l, const char *path, int32_t label, ar_err_t *err)
{
    if (l->n >= AR_DS_MAX_IMAGES)
        return ar_err_set(err, AR_E_FORMAT, "%s: more than %lld images", path, (long long)AR_DS_MAX_IMAGES);
    if (l->n == l->cap) {
        int64_t nc = l->cap ? l->cap * 2 : 256;
        char **np = realloc(l->paths, (size_t)nc * sizeof *np);
        if (np) l->paths = np;
        int32_t *nl = np ? realloc(l->labels, (size_t)nc * sizeof *nl) : NULL;
        if (!nl) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory listing images", path);
        l->labels = nl;
        l->cap = nc;
    }
    if (!(l->paths[l->n] = strdup(path))) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    l->labels[l->n++] = label;
    return AR_OK;
}

void ar_imglist_free(ar_imglist_t *l)
{
    if (!l) return;
    for (int64_t i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
    free(l->labels);
    memset(l, 0, sizeof *l);
}

int ar_image_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || name[0] == '.') return 0;
    static const char *const ext[] = {".png", ".jpg", ".jpeg"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && strcasecmp(name + n - k, ext[i]) == 0) return 1;
    }
    return 0;
}

void ar_names_free(char **names, int n)
{
    if (!names) return;
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int ar_names_find(char *const *names, int n, const char *key)
{
    char *const *hit = n > 0 ? bsearch(&key, names, (size_t)n, sizeof *names, cmp_name) : NULL;
    return hit ? (int)(hit - names) : -1;
}

/* The kind of entry e of dir: 1 directory, 2 regular file, 0 other. */
static int entry_kind(const char *dir, const struct dirent *e)
{
#ifdef DT_DIR
    if (e->d_type == DT_DIR) return 1;
    if (e->d_type == DT_REG) return 2;
    if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK) return 0;
#endif
    char p[4096];
    struct stat st;
    if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p || stat(p, &st) != 0) return 0;
    return S_ISDIR(st.st_mode) ? 1 : S_ISREG(st.st_mode) ? 2 : 0;
}

int ar_dir_names(const char *dir, ar_dir_kind_t kind, char ***names, int *n, ar_err_t *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return ar_err_set(err, AR_E_IO, "%s: cannot list directory: %s", dir, strerror(errno));
    char **v = NULL;
    int cnt = 0, cap = 0, st = AR_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (kind == AR_DIR_IMAGES ? !ar_image_name_ok(e->d_name) || entry_kind(dir, e) != 2
                                  : entry_kind(dir, e) != 1)
            continue;
        if (cnt == 1 << 30) {
            st = ar_err_set(err, AR_E_FORMAT, "%s: too many entries", dir);
            break;
        }
        if (cnt == cap) {
            int nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory listing", dir);
                break;
            }
            v = nv, cap = nc;
        }
        if (!(v[cnt] = strdup(e->d_name))) {
            st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory listing", dir);
            break;
        }
        cnt++;
    }
    closedir(d);
    if (st) {
        ar_names_free(v, cnt);
        return st;
    }
    if (cnt > 1) qsort(v, (size_t)cnt, sizeof *v, cmp_name);
    *names = v;
    *n = cnt;
    return AR_OK;
}

int ar_imglist_add_class(ar_imglist_t *l, const char *dir, int32_t label, ar_err_t *err)
{
    char **files = NULL;
    int n = 0;
    int st = ar_dir_names(dir, AR_DIR_IMAGES, &files, &n, err);
    if (st) return st;
    if (n == 0) st = ar_err_set(err, AR_E_FORMAT, "%s: class folder holds no image (.png, .jpg, .jpeg)", dir);
    char p[4096];
    for (int i = 0; i < n && !st; i++) {
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, files[i]) >= sizeof p)
            st = ar_err_set(err, AR_E_ARG, "%s/%s: path too long", dir, files[i]);
        else
            st = ar_imglist_add(l, p, label, err);
    }
    ar_names_free(files, n);
    return st;
}

/* ---- the dataset -------------------------------------------------------- */

typedef struct {
    ar_imglist_t l;
    int h, w, c;
    size_t img;              /* bytes per image */
} imgset_t;

static void imgset_destroy(void *self)
{
    imgset_t *s = self;
    if (!s) return;
    ar_imglist_free(&s->l);
    free(s);
}

/* One read's images over the threads: thread t decodes a contiguous share
 * and stops at its first failure; the lowest failing thread holds the
 * lowest failing index, so the error reported does not depend on timing. */
typedef struct {
    imgset_t *s;
    int64_t start, count;
    uint8_t *pixels;
    int status[AR_PAR_MAX];
    ar_err_t err[AR_PAR_MAX];
} decode_job_t;

static void decode_share(void *ctx, int t, int nt)
{
    decode_job_t *j = ctx;
    int64_t lo = j->count * t / nt, hi = j->count * (t + 1) / nt;
    for (int64_t i = lo; i < hi && !j->status[t]; i++)
        j->status[t] = ar_image_read_into(j->s->l.paths[j->start + i], j->s->c, j->s->h, j->s->w,
                                          j->pixels + (size_t)i * j->s->img, &j->err[t]);
}

static int imgset_read(void *self, int64_t start, int64_t count, uint8_t *pixels, int32_t *labels,
                       ar_err_t *err)
{
    imgset_t *s = self;
    if (labels) memcpy(labels, s->l.labels + start, (size_t)count * sizeof *labels);
    if (!pixels) return AR_OK;
    int nt = ar_par_default_threads();
    if (nt > count) nt = (int)count;
    if (nt <= 1) {
        for (int64_t i = 0; i < count; i++) {
            int st = ar_image_read_into(s->l.paths[start + i], s->c, s->h, s->w, pixels + (size_t)i * s->img, err);
            if (st) return st;
        }
        return AR_OK;
    }
    decode_job_t *j = calloc(1, sizeof *j);
    if (!j) return ar_err_set(err, AR_E_NOMEM, "out of memory decoding %lld images", (long long)count);
    j->s = s, j->start = start, j->count = count, j->pixels = pixels;
    ar_par_run(nt, decode_share, j);
    int st = AR_OK;
    for (int t = 0; t < nt && !st; t++)
        if ((st = j->status[t])) *err = j->err[t];
    free(j);
    return st;
}

ar_dataset_t *ar_imglist_dataset_new(ar_imglist_t *l, const ar_dataset_info_t *info, const char *where,
                                     ar_err_t *err)
{
    imgset_t *s = calloc(1, sizeof *s);
    if (!s) {
        ar_imglist_free(l);
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", where);
        return NULL;
    }
    s->l = *l;
    memset(l, 0, sizeof *l);
    if (s->l.n == 0) {
        ar_err_set(err, AR_E_FORMAT, "%s: no images", where);
        goto fail;
    }
    for (int64_t i = 0; i < s->l.n; i++)
        if (s->l.labels[i] < 0 || s->l.labels[i] >= info->num_classes || s->l.labels[i] > AR_MAX_LABEL) {
            ar_err_set(err, AR_E_FORMAT, "%s: label %d out of range 0..%d", s->l.paths[i], s->l.labels[i],
                       info->num_classes - 1);
            goto fail;
        }
    s->c = 3;
    if (ar_image_size(s->l.paths[0], &s->h, &s->w, err) ||
        ar_ds_check_geometry(s->l.paths[0], s->l.n, s->h, s->w, s->c, err))
        goto fail;
    s->img = (size_t)s->h * s->w * s->c;
    ar_dataset_info_t in = *info;
    in.count = s->l.n;
    in.height = s->h, in.width = s->w, in.channels = s->c;
    return ar_dataset_new_custom(&in, &(ar_dataset_vt_t){imgset_read, imgset_destroy}, s, err);
fail:
    imgset_destroy(s);
    return NULL;
}

/* ---- Tiny-ImageNet metadata --------------------------------------------- */

/* Walks the lines of a text file: *line is the next line (NUL-terminated in
 * place, CR LF or LF removed), *no its 1-based number; 0 at the end. A
 * last line without a newline counts; the empty string after a final
 * newline does not. */
typedef struct {
    char *buf, *p, *end;
    int no;
} lines_t;

static int next_line(lines_t *t, char **line)
{
    if (t->p >= t->end) return 0;
    char *s = t->p, *nl = memchr(s, '\n', (size_t)(t->end - s));
    char *e = nl ? nl : t->end;
    t->p = nl ? nl + 1 : t->end;
    if (e > s && e[-1] == '\r') e--;
    *e = '\0';
    *line = s;
    t->no++;
    return 1;
}

static int open_lines(const char *path, lines_t *t, ar_err_t *err)
{
    size_t len = 0;
    memset(t, 0, sizeof *t);
    if (!(t->buf = ar_read_text_file(path, &len, err))) return err->status;
    if (memchr(t->buf, '\0', len)) {
        free(t->buf);
        t->buf = NULL;
        return ar_err_set(err, AR_E_FORMAT, "%s: not a text file (holds NUL bytes)", path);
    }
    t->p = t->buf;
    t->end = t->buf + len;
    return AR_OK;
}

/* 1 when s is a usable wnid / class folder name. */
static int wnid_ok(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 255) return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') return 0;
    return 1;
}

/* For messages: at most 40 bytes of a line. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    ar_str_copy(buf, cap < 41 ? cap : 41, s);
    return buf;
}

int ar_wnids_read(const char *path, char ***wnids, int *n, ar_err_t *err)
{
    *wnids = NULL;
    *n = 0;
    lines_t t;
    int st = open_lines(path, &t, err);
    if (st) return st;
    char **v = NULL, *line, sb[48];
    int cnt = 0, cap = 0;
    while (!st && next_line(&t, &line)) {
        if (!wnid_ok(line)) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: '%s' is not a class id (letters, digits, '_', '-', '.')",
                            path, t.no, shown(line, sb, sizeof sb));
            break;
        }
        if (cnt == AR_MAX_LABEL + 1) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: more than %d classes", path, t.no, AR_MAX_LABEL + 1);
            break;
        }
        if (cnt == cap) {
            int nc = cap ? cap * 2 : 256;
            char **nv = realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
                break;
            }
            v = nv, cap = nc;
        }
        if (!(v[cnt] = strdup(line))) {
            st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
            break;
        }
        cnt++;
    }
    free(t.buf);
    if (!st && cnt == 0) st = ar_err_set(err, AR_E_FORMAT, "%s: no class ids", path);
    if (!st) {
        qsort(v, (size_t)cnt, sizeof *v, cmp_name);
        for (int i = 1; i < cnt && !st; i++)
            if (strcmp(v[i - 1], v[i]) == 0) st = ar_err_set(err, AR_E_FORMAT, "%s: class id '%s' listed twice", path, v[i]);
    }
    if (st) {
        ar_names_free(v, cnt);
        return st;
    }
    *wnids = v;
    *n = cnt;
    return AR_OK;
}

int ar_words_names(const char *path, char *const *wnids, int n, char ***names, ar_err_t *err)
{
    *names = NULL;
    char **v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (!v) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    lines_t t;
    int st = open_lines(path, &t, err);
    char *line, sb[48];
    while (!st && next_line(&t, &line)) {
        char *tab = strchr(line, '\t');
        if (!tab || tab == line || !tab[1]) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: expected '<wnid><TAB><words>', got '%s'", path, t.no,
                            shown(line, sb, sizeof sb));
            break;
        }
        *tab = '\0';
        int k = ar_names_find(wnids, n, line);
        if (k < 0 || v[k]) continue; /* not ours, or its first line was taken */
        const char *words = tab + 1;
        size_t wl = strcspn(words, ",");
        while (wl > 0 && words[wl - 1] == ' ') wl--;
        char buf[160];
        snprintf(buf, sizeof buf, "%s %.*s", line, (int)(wl > 100 ? 100 : wl), words);
        if (!(v[k] = strdup(buf))) st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    }
    free(t.buf);
    for (int i = 0; i < n && !st; i++)
        if (!v[i] && !(v[i] = strdup(wnids[i]))) st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    if (st) {
        ar_names_free(v, n);
        return st;
    }
    *names = v;
    return AR_OK;
}

void ar_val_annot_free(ar_val_annot_t *a, int64_t count)
{
    if (!a) return;
    for (int64_t i = 0; i < count; i++) free(a[i].file);
    free(a);
}

static int cmp_annot(const void *a, const void *b)
{
    return strcmp(((const ar_val_annot_t *)a)->file, ((const ar_val_annot_t *)b)->file);
}

/* A non-negative decimal integer of at most 9 digits. */
static int uint_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

int ar_val_annotations_read(const char *path, char *const *wnids, int n, ar_val_annot_t **out,
                            int64_t *count, ar_err_t *err)
{
    *out = NULL;
    *count = 0;
    lines_t t;
    int st = open_lines(path, &t, err);
    if (st) return st;
    ar_val_annot_t *v = NULL;
    int64_t cnt = 0, cap = 0;
    char *line, sb[48];
    while (!st && next_line(&t, &line)) {
        char *f[7];
        int nf = 0;
        for (char *p = line; nf < 7;) {
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (nf != 6) {
            st = ar_err_set(err, AR_E_FORMAT,
                            "%s:%d: expected 6 tab-separated fields (file, wnid, x0, y0, x1, y1), found %s%d", path,
                            t.no, nf == 7 ? "more than " : "", nf == 7 ? 6 : nf);
            break;
        }
        if (!ar_image_name_ok(f[0]) || strchr(f[0], '/')) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: '%s' is not an image file name", path, t.no,
                            shown(f[0], sb, sizeof sb));
            break;
        }
        int k = ar_names_find(wnids, n, f[1]);
        if (k < 0) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: class '%s' is not in wnids.txt", path, t.no,
                            shown(f[1], sb, sizeof sb));
            break;
        }
        for (int i = 2; i < 6 && !st; i++)
            if (!uint_ok(f[i]))
                st = ar_err_set(err, AR_E_FORMAT, "%s:%d: bounding box field %d '%s' is not a non-negative integer",
                                path, t.no, i - 1, shown(f[i], sb, sizeof sb));
        if (st) break;
        if (cnt == AR_DS_MAX_IMAGES) {
            st = ar_err_set(err, AR_E_FORMAT, "%s:%d: too many lines", path, t.no);
            break;
        }
        if (cnt == cap) {
            int64_t nc = cap ? cap * 2 : 1024;
            ar_val_annot_t *nv = realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
                break;
            }
            v = nv, cap = nc;
        }
        if (!(v[cnt].file = strdup(f[0]))) {
            st = ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
            break;
        }
        v[cnt].label = k;
        v[cnt].line = t.no;
        cnt++;
    }
    free(t.buf);
    if (!st && cnt == 0) st = ar_err_set(err, AR_E_FORMAT, "%s: no annotations", path);
    if (!st) {
        qsort(v, (size_t)cnt, sizeof *v, cmp_annot);
        for (int64_t i = 1; i < cnt && !st; i++)
            if (strcmp(v[i - 1].file, v[i].file) == 0) {
                int a = v[i - 1].line < v[i].line ? v[i - 1].line : v[i].line;
                int b = v[i - 1].line < v[i].line ? v[i].line : v[i - 1].line;
                st = ar_err_set(err, AR_E_FORMAT, "%s:%d: '%s' is annotated again (first on line %d)", path, b,
                                v[i].file, a);
            }
    }
    if (st) {
        ar_val_annot_free(v, cnt);
        return st;
    }
    *out = v;
    *count = cnt;
    return AR_OK;
}
