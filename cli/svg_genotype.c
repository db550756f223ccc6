/* svg_genotype.c - a searched cell drawn as a graph (svg.h): the genotype's
 * text form (repair/genotype.h: "n<j> = <op>(<src>) + <op>(<src>)" lines,
 * then "out = proj(concat(n0..n<k-1>))") parsed and drawn left to right -
 * the cell input, the nodes, the output - with one labelled arc per edge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "svg.h"

#define MAXN 16

typedef struct edge {
    int src, dst;            /* positions: 0 = in, m + 1 = node m, k + 1 = out */
    char op[48];
} edge_t;

/* Parses the text; the number of intermediate nodes, or -1. */
static int parse(const char *text, edge_t *e, int *ne)
{
    int k = 0;
    *ne = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        if (len >= sizeof buf) return -1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = end ? end + 1 : NULL;
        int j, at = 0;
        if (sscanf(buf, "n%d = %n", &j, &at) == 1 && at > 0) {
            if (j != k || k >= MAXN) return -1;
            for (char *p = buf + at; *p && *ne < 2 * MAXN;) {
                char *lp = strchr(p, '('), *rp = lp ? strchr(lp, ')') : NULL;
                if (!lp || !rp || lp - p >= (long)sizeof e->op) return -1;
                edge_t *x = &e[(*ne)++];
                snprintf(x->op, sizeof x->op, "%.*s", (int)(lp - p), p);
                *rp = '\0';
                int m;
                if (!strcmp(lp + 1, "in")) x->src = 0;
                else if (sscanf(lp + 1, "n%d", &m) == 1 && m >= 0 && m < j) x->src = m + 1;
                else return -1;
                x->dst = j + 1;
                p = rp + 1;
                if (!strncmp(p, " + ", 3)) p += 3;
                else if (*p) return -1;
            }
            k++;
        } else if (strncmp(buf, "out = ", 6) != 0 && buf[0]) {
            return -1;
        }
    }
    return k > 0 ? k : -1;
}

int ar_svg_genotype(ar_strbuf_t *b, const char *id, const char *text)
{
    edge_t e[2 * MAXN];
    int ne = 0, k = parse(text, e, &ne);
    if (k < 0) return -1;
    const double dx = 150, x0 = 50, y = 150, W = x0 * 2 + dx * (k + 1), H = 300;
    ar_svg_open(b, id, W, H, "The repaired block's cell");
    for (int i = 0; i < ne; i++) { /* arcs above (even) and below (odd) the line */
        double xa = x0 + dx * e[i].src, xb = x0 + dx * e[i].dst, mid = (xa + xb) / 2;
        double bend = (i % 2 ? 1 : -1) * (30 + 22 * (e[i].dst - e[i].src));
        ar_strbuf_printf(b, "<path class=\"gedge\" d=\"M %.1f %.1f Q %.1f %.1f %.1f %.1f\" fill=\"none\" "
                            "stroke=\"#4a6fa5\" stroke-width=\"1.5\"><title>", xa, y, mid, y + 2 * bend, xb, y);
        ar_html_esc(b, e[i].op);
        ar_strbuf_printf(b, "</title></path>\n");
        ar_svg_text(b, mid, y + bend + (bend < 0 ? -2 : 10), 0, "middle", "glabel", e[i].op);
    }
    for (int m = 1; m <= k; m++) /* every node into the output (concat, projection) */
        ar_strbuf_printf(b, "<line class=\"gconcat\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n",
                         x0 + dx * m, y, x0 + dx * (k + 1), y);
    for (int p = 0; p <= k + 1; p++) {
        char name[16];
        if (p == 0) snprintf(name, sizeof name, "in");
        else if (p == k + 1) snprintf(name, sizeof name, "out");
        else snprintf(name, sizeof name, "n%d", p - 1);
        ar_strbuf_printf(b, "<circle class=\"gnode\" cx=\"%.1f\" cy=\"%.1f\" r=\"16\" fill=\"#fff\" "
                            "stroke=\"#333\"/>\n", x0 + dx * p, y);
        ar_svg_text(b, x0 + dx * p, y + 4, 0, "middle", "gname", name);
    }
    ar_svg_text(b, W - 8, H - 8, 0, "end", "caption", "dashed: concat + 1x1 projection into out");
    ar_svg_close(b);
    return ne;
}
