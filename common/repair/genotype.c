/* genotype.c - DARTS discretisation of a relaxed cell and its text (genotype.h). */
#include "genotype.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"

int ar_genotype_derive(const ar_graph_t *g, const char *block, const ar_cell_cfg_t *cfg,
                       ar_genotype_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->nodes = cfg->nodes;
    for (int j = 0; j < cfg->nodes; j++) {
        double best_s[2] = {-1, -1};
        int best_i[2] = {-1, -1}, best_o[2] = {-1, -1};
        for (int i = 0; i <= j; i++) {
            char nm[256];
            snprintf(nm, sizeof nm, "%s.cell.n%d.e%d.mix", block, j, i);
            int k = ar_graph_find(g, nm);
            if (k < 0 || g->nodes[k].op != AR_OP_MIX || g->nodes[k].ninputs != cfg->nops ||
                g->nodes[k].nparams != 1)
                return ar_err_set(err, AR_E_ARG, "block '%s': mix node '%s' missing or not %d-way",
                                  block, nm, cfg->nops);
            const float *a = g->nodes[k].params[0].value.data;
            double mx = a[0], z = 0;
            for (int o = 1; o < cfg->nops; o++) mx = fmax(mx, a[o]);
            for (int o = 0; o < cfg->nops; o++) z += exp(a[o] - mx);
            double s = -1;
            int arg = -1;
            for (int o = 0; o < cfg->nops; o++) {
                if (cfg->ops[o] == AR_CAND_NONE) continue;
                double p = exp(a[o] - mx) / z;
                if (p > s) s = p, arg = cfg->ops[o];
            }
            if (arg < 0)
                return ar_err_set(err, AR_E_ARG, "block '%s': edge %d->%d offers only 'none'", block,
                                  i, j);
            if (s > best_s[0]) {
                best_s[1] = best_s[0], best_i[1] = best_i[0], best_o[1] = best_o[0];
                best_s[0] = s, best_i[0] = i, best_o[0] = arg;
            } else if (s > best_s[1]) {
                best_s[1] = s, best_i[1] = i, best_o[1] = arg;
            }
        }
        int ne = j == 0 ? 1 : 2;
        /* keep sources in ascending order so the text reads in order */
        if (ne == 2 && best_i[1] < best_i[0]) {
            int ti = best_i[0], to = best_o[0];
            best_i[0] = best_i[1], best_o[0] = best_o[1];
            best_i[1] = ti, best_o[1] = to;
        }
        out->nedges[j] = ne;
        for (int e = 0; e < ne; e++) out->src[j][e] = best_i[e], out->op[j][e] = best_o[e];
    }
    return AR_OK;
}

/* appends to buf at *len like snprintf, tracking the needed length */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*len < cap ? buf + *len : NULL, *len < cap ? cap - *len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n;
}

size_t ar_genotype_text(const ar_genotype_t *gt, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap) buf[0] = '\0';
    for (int j = 0; j < gt->nodes; j++) {
        put(buf, cap, &len, "n%d = ", j);
        for (int e = 0; e < gt->nedges[j]; e++) {
            int s = gt->src[j][e];
            char src[16];
            if (s == 0) snprintf(src, sizeof src, "in");
            else snprintf(src, sizeof src, "n%d", s - 1);
            put(buf, cap, &len, "%s%s(%s)", e ? " + " : "", ar_cand_name(gt->op[j][e]), src);
        }
        put(buf, cap, &len, "\n");
    }
    put(buf, cap, &len, "out = proj(concat(n0..n%d))\n", gt->nodes - 1);
    if (cap && len >= cap) buf[cap - 1] = '\0';
    return len;
}

int ar_genotype_random(const ar_cell_cfg_t *cfg, uint64_t seed, ar_genotype_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    int ops[AR_CAND_COUNT], nops = 0;
    for (int o = 0; o < cfg->nops; o++)
        if (cfg->ops[o] != AR_CAND_NONE) ops[nops++] = cfg->ops[o];
    if (!nops) return ar_err_set(err, AR_E_ARG, "random genotype: the cell offers only 'none'");
    ar_rng_t r;
    uint64_t id = ar_rng_hash_str("random-genotype");
    ar_rng_init(&r, ar_rng_key(seed, &id, 1));
    out->nodes = cfg->nodes;
    for (int j = 0; j < cfg->nodes; j++) {
        int ne = j == 0 ? 1 : 2;
        int a = (int)ar_rng_below(&r, (uint64_t)j + 1), b = a;
        while (ne == 2 && b == a) b = (int)ar_rng_below(&r, (uint64_t)j + 1);
        if (ne == 2 && b < a) { int t = a; a = b; b = t; }
        out->nedges[j] = ne;
        out->src[j][0] = a, out->op[j][0] = ops[ar_rng_below(&r, (uint64_t)nops)];
        if (ne == 2) out->src[j][1] = b, out->op[j][1] = ops[ar_rng_below(&r, (uint64_t)nops)];
    }
    return AR_OK;
}
