/* sets.c - the job's image sets, shard task parameters, and the worker's
 * dataset cache. Contract: sets.h. */
#define _POSIX_C_SOURCE 200809L
#include "sets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/str.h"
#include "corrupt/corrupt.h"
#include "corrupt/corrupt_set.h"
#include "data/collection.h"

/* "all" on a collection means what it means for generated sets, the 15
 * benchmark corruptions (ar_corrupt_expand), so means compare with
 * published CIFAR-10-C numbers; the collection must hold each of them (the
 * extras, and sets of other names, are used only when named). */
static int collection_has_benchmark(const char *path, const ar_job_config_t *cfg, int g, ar_err_t *err)
{
    ar_collection_info_t ci;
    int s = ar_collection_describe(path, &ci, err);
    for (int k = 0; !s && k < AR_CORRUPT_BENCHMARK_COUNT; k++) {
        int held = 0;
        for (int i = 0; i < ci.ncorruptions && !held; i++) held = !strcmp(ci.corruptions[i], ar_corrupt_name(k));
        if (!held)
            s = ar_err_set(err, AR_E_CONFIG,
                           "%s:%d: data.corrupted[%d]: \"all\" means the 15 benchmark corruptions, but %s "
                           "has no '%s' (list the corruptions to use instead)",
                           ar_job_name(cfg), ar_job_key_line(cfg, "data.corrupted"), g, path,
                           ar_corrupt_name(k));
    }
    ar_collection_info_free(&ci);
    return s;
}

static int add_set(ar_set_ref_t **sets, int *n, int *cap, const ar_set_ref_t *s, ar_err_t *err)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 16;
        ar_set_ref_t *v = realloc(*sets, (size_t)c * sizeof *v);
        if (!v) return ar_err_set(err, AR_E_NOMEM, "out of memory listing sets");
        *sets = v;
        *cap = c;
    }
    (*sets)[(*n)++] = *s;
    return AR_OK;
}

/* Opens a set described by its fields (no cache): base dataset, optionally
 * wrapped by the on-the-fly corruption. */
static ar_dataset_t *open_set(const char *path, const char *split, const char *corruption,
                              int severity, int generated, uint64_t seed, ar_err_t *err)
{
    ar_cset_src_t src = {.path = path, .split = split, .corruption = corruption,
                         .severity = severity, .seed = seed,
                         .kind = generated ? AR_CSET_GENERATED : AR_CSET_STORED};
    return ar_cset_open(&src, err);
}

/* Fills s's count, class count and image shape: from an earlier set with the
 * same images (a generated set corrupts its source's images one to one), else
 * by opening the set. */
static int count_set(ar_set_ref_t *s, const ar_set_ref_t *earlier, int nearlier, int64_t limit,
                     uint64_t seed, ar_err_t *err)
{
    for (int i = 0; s->generated && i < nearlier; i++) {
        const ar_set_ref_t *e = &earlier[i];
        if ((e->generated || !e->corruption[0]) && !strcmp(e->path, s->path) &&
            !strcmp(e->split, s->split)) {
            s->count = e->count;
            s->num_classes = e->num_classes;
            s->height = e->height, s->width = e->width, s->channels = e->channels;
            return AR_OK;
        }
    }
    ar_dataset_t *ds = open_set(s->path, s->split, s->corruption, s->severity, s->generated, seed, err);
    if (!ds) return ar_err_prefix(err, "set '%s'", s->label);
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    s->count = limit > 0 && limit < in->count ? limit : in->count;
    s->num_classes = in->num_classes;
    s->height = in->height, s->width = in->width, s->channels = in->channels;
    ar_dataset_destroy(&ds);
    return AR_OK;
}

int ar_sets_from_job(const ar_job_config_t *cfg, ar_set_ref_t **sets, int *n, ar_err_t *err)
{
    *sets = NULL;
    *n = 0;
    int cap = 0, s = AR_OK;
    uint64_t seed = (uint64_t)cfg->job.seed;
    ar_set_ref_t clean;
    memset(&clean, 0, sizeof clean);
    strcpy(clean.label, "clean");
    ar_str_copy(clean.path, sizeof clean.path, cfg->data.path);
    ar_str_copy(clean.split, sizeof clean.split, cfg->data.split);
    s = count_set(&clean, NULL, 0, cfg->data.limit, seed, err);
    if (!s) s = add_set(sets, n, &cap, &clean, err);
    for (int g = 0; !s && g < cfg->data.corrupted.n; g++) {
        const ar_cset_cfg_t *c = ar_job_cset(cfg, g);
        int generated = !strcmp(c->kind, "generated");
        const char *path = c->path[0] ? c->path : cfg->data.path;
        char **names = NULL;
        int nn = 0;
        if (!generated && c->corruptions.n == 1 && !strcmp(c->corruptions.v[0], "all"))
            s = collection_has_benchmark(path, cfg, g, err);
        /* names, categories and "all" (the benchmark's), in list order */
        if (!s) {
            names = calloc((size_t)c->corruptions.n * AR_CORRUPT_COUNT + 1, sizeof *names);
            if (!names) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
            for (int k = 0; !s && k < c->corruptions.n; k++) {
                int ids[AR_CORRUPT_COUNT], m = ar_corrupt_expand(c->corruptions.v[k], ids);
                if (m < 0 && generated)
                    s = ar_err_set(err, AR_E_CONFIG, "%s:%d: data.corrupted[%d]: unknown corruption '%s'",
                                   ar_job_name(cfg), ar_job_key_line(cfg, "data.corrupted"), g,
                                   c->corruptions.v[k]);
                for (int i = 0; !s && i < (m < 0 ? 1 : m); i++) {
                    /* m < 0: a collection may hold sets of its own names */
                    const char *nm = m < 0 ? c->corruptions.v[k] : ar_corrupt_name(ids[i]);
                    int dup = 0; /* a name listed and also in a category: once */
                    for (int j = 0; j < nn && !dup; j++) dup = names[j] && !strcmp(names[j], nm);
                    if (!dup) names[nn++] = strdup(nm);
                }
            }
        }
        for (int k = 0; !s && k < nn; k++) {
            if (!names[k]) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
            for (int v = 0; !s && v < c->severities.n; v++) {
                ar_set_ref_t r;
                memset(&r, 0, sizeof r);
                snprintf(r.label, sizeof r.label, "%s%s%s/%d", c->name, c->name[0] ? "/" : "",
                         names[k], (int)c->severities.v[v]);
                ar_str_copy(r.path, sizeof r.path, path);
                ar_str_copy(r.split, sizeof r.split, generated ? c->split : cfg->data.split);
                ar_str_copy(r.corruption, sizeof r.corruption, names[k]);
                r.severity = (int)c->severities.v[v];
                r.generated = generated;
                s = count_set(&r, *sets, *n, cfg->data.limit, seed, err);
                if (!s) s = add_set(sets, n, &cap, &r, err);
            }
        }
        for (int k = 0; k < nn; k++) free(names[k]);
        free(names);
    }
    if (s) {
        free(*sets);
        *sets = NULL;
        *n = 0;
    }
    return s;
}

int ar_shape_fits_model(const char *what, int h, int w, int c, const ar_graph_t *g,
                        const char *model_path, ar_err_t *err)
{
    if (h == g->in_h && w == g->in_w && c == g->in_c) return AR_OK;
    return ar_err_set(err, AR_E_CONFIG, "%s: images are %dx%dx%d (HxWxC), the model %s takes %dx%dx%d", what, h,
                      w, c, model_path, g->in_h, g->in_w, g->in_c);
}

int ar_sets_fit_model(const ar_set_ref_t *sets, int n, const ar_graph_t *g, const char *model_path,
                      ar_err_t *err)
{
    for (int i = 0; i < n; i++) {
        char what[256];
        snprintf(what, sizeof what, "set %s", sets[i].label);
        int s = ar_shape_fits_model(what, sets[i].height, sets[i].width, sets[i].channels, g, model_path, err);
        if (s) return s;
    }
    return AR_OK;
}

AR_PARAMS_DEFINE(ar_shard_params, AR_SHARD_PARAMS)

ar_shard_params_t ar_set_shard(const ar_set_ref_t *s, int set, int64_t start, int64_t count,
                               uint64_t seed)
{
    return (ar_shard_params_t){.set = set, .label = s->label, .path = s->path, .split = s->split,
                               .corruption = s->corruption, .severity = s->severity,
                               .generated = s->generated, .seed = (int64_t)seed, .start = start,
                               .count = count};
}

/* ---- worker-side cache ---------------------------------------------------- */

#define CACHE_SLOTS 4

typedef struct slot {
    char key[1400];
    ar_dataset_t *ds;
    uint64_t used;
} slot_t;

struct ar_set_cache {
    slot_t slot[CACHE_SLOTS];
    uint64_t tick;
};

ar_set_cache_t *ar_set_cache_new(ar_err_t *err)
{
    ar_set_cache_t *c = calloc(1, sizeof *c);
    if (!c) ar_err_set(err, AR_E_NOMEM, "out of memory");
    return c;
}

void ar_set_cache_destroy(ar_set_cache_t **cp)
{
    if (!cp || !*cp) return;
    for (int i = 0; i < CACHE_SLOTS; i++) ar_dataset_destroy(&(*cp)->slot[i].ds);
    free(*cp);
    *cp = NULL;
}

ar_dataset_t *ar_set_cache_open(ar_set_cache_t *c, const ar_shard_params_t *sh, ar_err_t *err)
{
    char key[1400];
    snprintf(key, sizeof key, "%s|%s|%s|%d|%d|%lld", sh->path, sh->split, sh->corruption,
             (int)sh->severity, (int)sh->generated, (long long)sh->seed);
    slot_t *hit = NULL, *lru = &c->slot[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (c->slot[i].ds && !strcmp(c->slot[i].key, key)) hit = &c->slot[i];
        if (c->slot[i].used < lru->used) lru = &c->slot[i];
    }
    if (!hit) {
        ar_dataset_destroy(&lru->ds);
        lru->ds = open_set(sh->path, sh->split, sh->corruption, (int)sh->severity, (int)sh->generated,
                           (uint64_t)sh->seed, err);
        if (!lru->ds) return NULL;
        strcpy(lru->key, key);
        hit = lru;
    }
    hit->used = ++c->tick;
    const ar_dataset_info_t *in = ar_dataset_info(hit->ds);
    if (sh->start + sh->count > in->count)
        return ar_err_set(err, AR_E_ARG, "%s: rows %lld..%lld outside its %lld images", sh->label,
                          (long long)sh->start, (long long)(sh->start + sh->count),
                          (long long)in->count),
               NULL;
    return hit->ds;
}
