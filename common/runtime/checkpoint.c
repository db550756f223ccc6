/* checkpoint.c - the checkpoint file (checkpoint.h). */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"

static const char MAGIC[8] = {'A', 'R', 'C', 'K', 'P', 'T', '0', '1'};
#define HEAD_BYTES 65536
/* Limits a damaged or hostile file cannot exceed (allocation bounds). */
#define MAX_INPUTS 4096
#define MAX_RESULTS (1u << 20)

uint64_t ar_fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

int ar_ckpt_path(const char *output, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s.ckpt", output);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* size, mtime and head hash of one regular file, folded into *in */
static int identify_file(const char *path, ar_ckpt_input_t *in, ar_err_t *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return ar_err_set(err, AR_E_IO, "%s: %s", path, strerror(errno));
    FILE *f = fopen(path, "rb");
    if (!f) return ar_err_set(err, AR_E_IO, "%s: %s", path, strerror(errno));
    uint8_t *buf = malloc(HEAD_BYTES);
    size_t n = buf ? fread(buf, 1, HEAD_BYTES, f) : 0;
    fclose(f);
    if (!buf) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    in->hash = ar_fnv1a(in->hash, buf, n);
    free(buf);
    int64_t mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    in->size += (int64_t)sb.st_size;
    if (mt > in->mtime_ns) in->mtime_ns = mt;
    return AR_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ar_ckpt_identify(const char *path, ar_ckpt_input_t *in, ar_err_t *err)
{
    memset(in, 0, sizeof *in);
    if (snprintf(in->path, sizeof in->path, "%s", path) >= (int)sizeof in->path)
        return ar_err_set(err, AR_E_ARG, "path too long: %s", path);
    in->hash = AR_FNV_INIT;
    if (!ar_is_dir(path)) return identify_file(path, in, err);
    /* a directory of files (CIFAR-10-C .npy, CIFAR binary batches): every
     * regular file in it, by name */
    DIR *d = opendir(path);
    if (!d) return ar_err_set(err, AR_E_IO, "%s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int s = AR_OK;
    struct dirent *e;
    while (!s && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **t = realloc(names, cap * sizeof *t);
            if (!t) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
            else names = t;
        }
        if (!s && !(names[n] = strdup(e->d_name))) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
        if (!s) n++;
    }
    closedir(d);
    if (!s) qsort(names, n, sizeof *names, cmp_str);
    char full[2200];
    for (size_t i = 0; !s && i < n; i++) {
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (ar_is_dir(full)) continue;
        in->hash = ar_fnv1a(in->hash, names[i], strlen(names[i]) + 1);
        s = identify_file(full, in, err);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return s;
}

int ar_ckpt_check_inputs(const ar_ckpt_t *c, ar_err_t *err)
{
    for (uint32_t i = 0; i < c->ninputs; i++) {
        const ar_ckpt_input_t *was = &c->inputs[i];
        ar_ckpt_input_t now;
        ar_err_t e = {0};
        if (ar_ckpt_identify(was->path, &now, &e))
            return ar_err_set(err, AR_E_CONFIG, "input %s changed since the checkpoint: %s", was->path,
                              ar_err_msg(&e));
        const char *what = now.size != was->size         ? "size"
                           : now.mtime_ns != was->mtime_ns ? "modification time"
                           : now.hash != was->hash         ? "contents"
                                                           : NULL;
        if (what)
            return ar_err_set(err, AR_E_CONFIG, "input %s changed since the checkpoint (other %s)",
                              was->path, what);
    }
    return AR_OK;
}

/* ---- writing --------------------------------------------------------- */

typedef struct wr {
    FILE *f;
    uint64_t h;
    size_t n;
    int bad;
} wr_t;

static void put(wr_t *w, const void *p, size_t len)
{
    if (!len) return;
    w->h = ar_fnv1a(w->h, p, len);
    w->n += len;
    if (fwrite(p, 1, len, w->f) != len) w->bad = 1;
}

static void put_u32(wr_t *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 4);
}

static void put_u64(wr_t *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
}

int ar_ckpt_write(const char *path, ar_ckpt_t *c, ar_err_t *err)
{
    char tmp[4200];
    wr_t w = {.h = AR_FNV_INIT};
    if (!(w.f = ar_tmp_create(path, tmp, sizeof tmp, err))) return err->status;
    put(&w, MAGIC, sizeof MAGIC);
    size_t tl = strlen(c->job_text);
    put_u64(&w, tl);
    put(&w, c->job_text, tl);
    put_u32(&w, c->ninputs);
    for (uint32_t i = 0; i < c->ninputs; i++) {
        const ar_ckpt_input_t *in = &c->inputs[i];
        uint32_t pl = (uint32_t)strlen(in->path);
        put_u32(&w, pl);
        put(&w, in->path, pl);
        put_u64(&w, (uint64_t)in->size);
        put_u64(&w, (uint64_t)in->mtime_ns);
        put_u64(&w, in->hash);
    }
    put_u64(&w, c->ntasks);
    for (uint64_t i = 0; i < c->ntasks; i++) {
        const ar_ckpt_task_t *t = &c->tasks[i];
        uint32_t yl = (uint32_t)strlen(t->type);
        put_u64(&w, t->id);
        put_u32(&w, yl);
        put(&w, t->type, yl);
        put_u64(&w, t->params_hash);
        put_u32(&w, t->nresults);
        for (uint32_t r = 0; r < t->nresults; r++) {
            put_u32(&w, (uint32_t)t->results[r].len);
            put(&w, t->results[r].data, t->results[r].len);
        }
    }
    uint64_t h = w.h;
    put_u64(&w, h);
    if (w.bad | (fclose(w.f) != 0)) {
        unlink(tmp);
        return ar_err_set(err, AR_E_IO, "%s: write failed: %s", path, strerror(errno));
    }
    c->file_bytes = w.n;
    return ar_commit_file(tmp, path, err);
}

/* ---- reading --------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, at;
    int bad;
} rd_t;

static const uint8_t *take(rd_t *r, size_t len)
{
    if (r->bad || len > r->n - r->at) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->at;
    r->at += len;
    return p;
}

static uint64_t get_u(rd_t *r, int bytes)
{
    const uint8_t *p = take(r, (size_t)bytes);
    uint64_t v = 0;
    for (int i = 0; p && i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* a string of len bytes into dst (cap bytes, NUL-terminated) */
static void get_str(rd_t *r, size_t len, char *dst, size_t cap)
{
    if (len >= cap) r->bad = 1;
    const uint8_t *p = take(r, len);
    if (!p) return;
    memcpy(dst, p, len);
    dst[len] = '\0';
}

int ar_ckpt_read(const char *path, ar_ckpt_t *c, ar_err_t *err)
{
    memset(c, 0, sizeof *c);
    int64_t size = ar_file_size(path);
    if (size < 0) return ar_err_set(err, AR_E_IO, "%s: %s", path, strerror(errno));
    if ((uint64_t)size > SIZE_MAX / 2) return ar_err_set(err, AR_E_FORMAT, "%s: too large", path);
    uint8_t *buf = malloc((size_t)size + 1);
    if (!buf) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(buf, 1, (size_t)size, f) : 0;
    if (f) fclose(f);
    if (got != (size_t)size) {
        free(buf);
        return ar_err_set(err, AR_E_IO, "%s: cannot read it", path);
    }
    int s = AR_OK;
    rd_t tail = {.p = buf, .n = got, .at = got >= 8 ? got - 8 : 0};
    uint64_t sum = get_u(&tail, 8); /* the last 8 bytes: hash of the rest */
    rd_t r = {.p = buf, .n = got >= 8 ? got - 8 : 0, .at = sizeof MAGIC};
    if (got < sizeof MAGIC + 8 || memcmp(buf, MAGIC, sizeof MAGIC) ||
        ar_fnv1a(AR_FNV_INIT, buf, got - 8) != sum) {
        s = ar_err_set(err, AR_E_FORMAT, "%s: not a checkpoint, or damaged (bad magic or checksum)", path);
        goto out;
    }
    uint64_t tl = get_u(&r, 8);
    const uint8_t *tp = take(&r, tl);
    if (tp && !(c->job_text = malloc(tl + 1))) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (c->job_text) memcpy(c->job_text, tp, tl), c->job_text[tl] = '\0';
    c->ninputs = (uint32_t)get_u(&r, 4);
    if (!s && c->ninputs > MAX_INPUTS) r.bad = 1;
    if (!s && !r.bad && c->ninputs && !(c->inputs = calloc(c->ninputs, sizeof *c->inputs)))
        s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (uint32_t i = 0; !s && !r.bad && i < c->ninputs; i++) {
        ar_ckpt_input_t *in = &c->inputs[i];
        get_str(&r, get_u(&r, 4), in->path, sizeof in->path);
        in->size = (int64_t)get_u(&r, 8);
        in->mtime_ns = (int64_t)get_u(&r, 8);
        in->hash = get_u(&r, 8);
    }
    uint64_t nt = get_u(&r, 8);
    /* every task takes at least 24 bytes: bounds the allocation */
    if (!s && !r.bad && nt > (r.n - r.at) / 24) r.bad = 1;
    if (!s && !r.bad && nt && !(c->tasks = calloc(nt, sizeof *c->tasks)))
        s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (uint64_t i = 0; !s && !r.bad && i < nt; i++) {
        ar_ckpt_task_t *t = &c->tasks[i];
        c->ntasks = i + 1;
        t->id = get_u(&r, 8);
        if (i && t->id <= c->tasks[i - 1].id) r.bad = 1;
        get_str(&r, get_u(&r, 4), t->type, sizeof t->type);
        t->params_hash = get_u(&r, 8);
        uint32_t nr = (uint32_t)get_u(&r, 4);
        if (r.bad || nr > MAX_RESULTS || nr > (r.n - r.at) / 4) {
            r.bad = 1;
            break;
        }
        if (nr && !(t->results = calloc(nr, sizeof *t->results))) {
            s = ar_err_set(err, AR_E_NOMEM, "out of memory");
            break;
        }
        for (uint32_t k = 0; k < nr && !r.bad; k++) {
            size_t len = get_u(&r, 4);
            const uint8_t *p = take(&r, len);
            if (!p) break;
            if (!(t->results[k].data = malloc(len ? len : 1))) {
                s = ar_err_set(err, AR_E_NOMEM, "out of memory");
                break;
            }
            memcpy(t->results[k].data, p, len);
            t->results[k].len = len;
            t->nresults = k + 1;
        }
    }
    if (!s && (r.bad || r.at != r.n || !c->job_text))
        s = ar_err_set(err, AR_E_FORMAT, "%s: damaged checkpoint (a record runs past its end)", path);
    c->file_bytes = got;
out:
    free(buf);
    if (s) ar_ckpt_free(c);
    return s;
}

const ar_ckpt_task_t *ar_ckpt_find(const ar_ckpt_t *c, uint64_t id)
{
    uint64_t lo = 0, hi = c->ntasks;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (c->tasks[mid].id == id) return &c->tasks[mid];
        if (c->tasks[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void ar_ckpt_free(ar_ckpt_t *c)
{
    for (uint64_t i = 0; i < c->ntasks; i++) {
        for (uint32_t k = 0; k < c->tasks[i].nresults; k++) free(c->tasks[i].results[k].data);
        free(c->tasks[i].results);
    }
    free(c->tasks);
    free(c->inputs);
    free(c->job_text);
    memset(c, 0, sizeof *c);
}
