/* info_result.c - `archrepair info` on job result files (info_result.h). */
#include "info_result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval_file.h"
#include "io/h5.h"
#include "localize_file.h"
#include "repair_result.h"
#include "result_file.h"

#define TOP_LAYERS 10

int ar_info_is_result(const char *path)
{
    ar_h5_t *h = ar_result_open_h5(path);
    if (!h) return 0;
    ar_result_kind_t k = ar_result_kind(h);
    ar_h5_destroy(&h);
    return k == AR_RESULT_EVALUATE || k == AR_RESULT_LOCALIZE || k == AR_RESULT_STATS;
}

/* model / version / ranks / wall lines shared by the result kinds */
static void print_run(FILE *out, const char *model, const char *version, int ranks, double wall)
{
    if (model[0]) fprintf(out, "model:        %s\n", model);
    if (version[0]) fprintf(out, "version:      %s\n", version);
    if (ranks > 0) fprintf(out, "run:          %d MPI ranks, %.2f s wall\n", ranks, wall);
}

static int info_eval(const char *path, FILE *out, ar_err_t *err)
{
    ar_eval_file_t r;
    int st = ar_eval_file_read(path, &r, err);
    if (!st) {
        int64_t images = 0;
        for (int i = 0; i < r.nsets; i++) images += r.count[i];
        fprintf(out, "path:         %s\n", path);
        fprintf(out, "format:       evaluate result (/evaluation)\n");
        print_run(out, r.model, r.version, r.ranks, r.wall);
        fprintf(out, "sets:         %d (1 clean, %d corrupted), %lld images", r.nsets, r.nsets - 1,
                (long long)images);
        if (r.have_confusion) fprintf(out, ", %d classes", r.k);
        fprintf(out, "\n");
        fprintf(out, "outcome:      clean %.4f, mean corrupted %.4f, relative robustness %.4f\n", r.means.clean,
                r.means.mean_corrupted, r.means.relative);
        ar_eval_means_print(&r.means, r.acc, out);
    }
    ar_eval_file_free(&r);
    return st;
}

static int info_localize(const char *path, FILE *out, ar_err_t *err)
{
    ar_localize_file_t r;
    int st = ar_localize_file_read(path, &r, err);
    if (!st) {
        fprintf(out, "path:         %s\n", path);
        fprintf(out, "format:       localize result (/localization)\n");
        print_run(out, r.model, r.version, r.ranks, r.wall);
        fprintf(out, "examples:     %lld failing (%lld adversarial), %lld passing\n", (long long)r.n_fail,
                (long long)r.n_adv, (long long)r.n_pass);
        fprintf(out, "options:      formula %s, aggregate %s, threshold %s, gradient_norm %s, adversarial %s\n",
                r.formula, r.aggregate, r.threshold_mode, r.gradient_norm, r.adversarial);
        fprintf(out, "outcome:      block %s most suspicious (%d blocks, %d layers, %lld neurons)\n",
                r.chosen[0] ? r.chosen : "-", r.nblocks, r.nlayers, (long long)r.nneurons);
        fprintf(out, "block ranking:\n  %4s  %-20s %12s %6s %8s %10s %10s %8s %8s\n", "rank", "block", "score",
                "layers", "neurons", "max susp", "mean susp", "act fail", "act pass");
        for (int k = 0; k < r.nblocks; k++) {
            int i = ar_localize_file_block(&r, r.block_ranking[k]);
            if (i < 0) continue;
            const ar_localize_block_stats_t *s = &r.blocks[i];
            fprintf(out, "  %4d  %-20s %12.6g %6d %8lld %10.4g %10.4g %8.3f %8.3f\n", s->rank, r.block_names[i],
                    r.block_scores[i], s->layers, (long long)s->neurons, s->susp_max, s->susp_mean, s->act_fail,
                    s->act_pass);
        }
        int top = r.nlayers < TOP_LAYERS ? r.nlayers : TOP_LAYERS;
        fprintf(out, "layer ranking (top %d of %d):\n", top, r.nlayers);
        for (int k = 1; k <= top; k++)
            for (int l = 0; l < r.nlayers; l++)
                if (r.layer_rank[l] == k)
                    fprintf(out, "  %4d  %-28s %-20s %12.6g\n", k, r.layer_names[l], r.layer_blocks[l],
                            r.layer_scores[l]);
    }
    ar_localize_file_free(&r);
    return st;
}

/* A stats result: one line per set (no report page; docs/results.md). */
static int info_stats(const char *path, FILE *out, ar_err_t *err)
{
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    char **names = NULL;
    int n = 0;
    int64_t *count = NULL, *sum = NULL, *hash = NULL;
    int st = ar_result_names(h, "/stats/set_names", &names, &n, -1, err);
    if (!st) st = ar_result_array(h, "/stats/count", AR_DT_I64, sizeof(int64_t), n, (void **)&count, NULL, NULL, err);
    if (!st) st = ar_result_array(h, "/stats/pixel_sum", AR_DT_I64, sizeof(int64_t), n, (void **)&sum, NULL, NULL, err);
    if (!st) st = ar_result_array(h, "/stats/checksum", AR_DT_I64, sizeof(int64_t), n, (void **)&hash, NULL, NULL, err);
    char *version = st ? NULL : ar_result_attr_str(h, "/stats", "version");
    if (!st && !version) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!st) {
        fprintf(out, "path:         %s\n", path);
        fprintf(out, "format:       stats result (/stats)\n");
        if (version[0]) fprintf(out, "version:      %s\n", version);
        fprintf(out, "sets:         %d\n  %-32s %10s %16s  %s\n", n, "set", "images", "pixel sum", "checksum");
        for (int i = 0; i < n; i++)
            fprintf(out, "  %-32s %10lld %16lld  %016llx\n", names[i], (long long)count[i], (long long)sum[i],
                    (unsigned long long)hash[i]);
    }
    free(version);
    ar_h5_free_strings(names, n);
    free(count), free(sum), free(hash);
    ar_h5_destroy(&h);
    return st;
}

int ar_info_result(const char *path, FILE *out, ar_err_t *err)
{
    ar_h5_t *h = ar_h5_open(path, err);
    if (!h) return err->status;
    ar_result_kind_t k = ar_result_kind(h);
    ar_h5_destroy(&h);
    switch (k) {
    case AR_RESULT_EVALUATE: return info_eval(path, out, err);
    case AR_RESULT_LOCALIZE: return info_localize(path, out, err);
    case AR_RESULT_STATS: return info_stats(path, out, err);
    default: return ar_err_set(err, AR_E_FORMAT, "%s: not an evaluate, localize or stats result", path);
    }
}

void ar_info_repair(const char *path, FILE *out)
{
    ar_repair_result_t r;
    ar_err_t err = {0};
    if (ar_repair_result_read(path, &r, &err) != AR_OK) {
        ar_repair_result_free(&r);
        return;
    }
    fprintf(out, "repair:       method %s%s%s%s, outcome %s%s%s\n", r.method, r.methods[0] ? " (population: " : "",
            r.methods, r.methods[0] ? ")" : "", r.outcome[0] ? r.outcome : "?", r.chosen[0] ? ", block " : "",
            r.chosen);
    if (r.genotype[0]) fprintf(out, "genotype:\n%s", r.genotype);
    fprintf(out, "%-32s %10s %10s  %s\n", "set", "before", "after", r.have_held ? "pool" : "");
    for (int i = 0; i < r.nsets; i++) {
        int g = ar_repair_set_group(r.set_names[i], r.held[i]);
        fprintf(out, "%-32s %10.4f %10.4f  %s\n", r.set_names[i], r.before[i], r.after[i],
                !r.have_held || g == AR_GROUP_CLEAN ? "" : g == AR_GROUP_HELD_OUT ? "held-out" : "in-pool");
    }
    for (int g = r.have_held ? 0 : AR_NGROUPS; g < AR_NGROUPS; g++)
        if (r.means.n[g])
            fprintf(out, "%-32s %10.4f %10.4f  (%d sets)\n", ar_repair_group_names[g], r.means.before[g],
                    r.means.after[g], r.means.n[g]);
    ar_repair_result_free(&r);
}
