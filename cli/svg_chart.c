/* svg_chart.c - the report's bar, line and heatmap charts (svg.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "svg.h"

#define BAR_W 14.0   /* one bar */
#define GROUP_GAP 12 /* between categories */
#define LEFT 48.0    /* room for the tick labels */
#define TOP 40.0     /* caption and legend */
#define PLOT_H 180.0
#define LABEL_H 110.0 /* rotated category labels */

/* Room for a chart's caption (13px bold). */
static double caption_width(const char *title) { return 24 + 7.5 * (double)strlen(title); }

static double largest(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > m) m = v[i];
    return m > 0 ? m : 1;
}

/* One bar with its tooltip. */
static void bar(ar_strbuf_t *b, const ar_svg_frame_t *f, double x, int s, int hl, double v, const char *cat,
                const char *ser)
{
    double y = ar_svg_y(f, v), base = ar_svg_y(f, 0);
    ar_strbuf_printf(b, "<rect class=\"bar s%d%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                        "<title>",
                     s % AR_SVG_NCOLORS, hl ? " hl" : "", x, y, BAR_W - 1, base - y);
    ar_html_esc(b, cat);
    ar_strbuf_printf(b, " ");
    ar_html_esc(b, ser);
    ar_strbuf_printf(b, ": %.4f</title></rect>\n", v);
}

void ar_svg_bars(ar_strbuf_t *b, const ar_svg_bars_t *c)
{
    double group = c->nser * BAR_W + GROUP_GAP;
    ar_svg_frame_t f = {LEFT, TOP, c->ncat * group, PLOT_H,
                        c->ymax > 0 ? c->ymax : largest(c->v, c->ncat * c->nser)};
    double w = LEFT + f.w + 20;
    if (w < caption_width(c->title)) w = caption_width(c->title);
    ar_svg_open(b, c->id, w < 320 ? 320 : w, TOP + PLOT_H + LABEL_H, c->title);
    ar_svg_legend(b, LEFT, 32, c->nser, c->sers);
    if (c->mark && c->mark_name) {
        double lx = LEFT + 30 + 60.0 * c->nser;
        ar_strbuf_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"23\" width=\"10\" height=\"10\"/>\n",
                         c->highlight ? "swatch hl" : "marked", lx);
        ar_svg_text(b, lx + 14, 32, 0, "start", "legend", c->mark_name);
    }
    for (int k = 0; c->mark && k < c->ncat; k++)
        if (c->mark[k])
            ar_strbuf_printf(b, "<rect class=\"marked\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                             f.x0 + k * group + 1, f.y0, group - 2, f.h);
    ar_svg_value_axis(b, &f);
    for (int k = 0; k < c->ncat; k++) {
        double x = f.x0 + k * group + GROUP_GAP / 2.0;
        int hl = c->mark && c->highlight && c->mark[k];
        for (int s = 0; s < c->nser; s++)
            bar(b, &f, x + s * BAR_W, s, hl, c->v[s * c->ncat + k], c->cats[k], c->sers[s]);
        ar_svg_text(b, x + c->nser * BAR_W / 2, f.y0 + f.h + 12, -40, "end", "cat", c->cats[k]);
    }
    ar_svg_close(b);
}

void ar_svg_lines(ar_strbuf_t *b, const ar_svg_lines_t *c)
{
    double xmin = c->x[0], xmax = c->x[0];
    for (int i = 1; i < c->npts; i++) {
        if (c->x[i] < xmin) xmin = c->x[i];
        if (c->x[i] > xmax) xmax = c->x[i];
    }
    ar_svg_frame_t f = {LEFT, TOP, 260, PLOT_H, c->ymax > 0 ? c->ymax : largest(c->y, c->npts * c->nser)};
    double span = xmax > xmin ? xmax - xmin : 1, legend_w = 0;
    int column = c->nser > 2;
    for (int s = 0; column && s < c->nser; s++) {
        double w = 24 + 7.0 * (double)strlen(c->sers[s]);
        if (w > legend_w) legend_w = w;
    }
    ar_svg_open(b, c->id, LEFT + f.w + 30 + legend_w, TOP + PLOT_H + 44, c->title);
    if (column) ar_svg_legend_column(b, f.x0 + f.w + 20, f.y0 + 10, c->nser, c->sers);
    else ar_svg_legend(b, LEFT, 32, c->nser, c->sers);
    ar_svg_value_axis(b, &f);
    for (int i = 0; i < c->npts; i++) {
        char lab[32];
        snprintf(lab, sizeof lab, "%g", c->x[i]);
        ar_svg_text(b, f.x0 + f.w * (c->x[i] - xmin) / span, f.y0 + f.h + 14, 0, "middle", "tick", lab);
    }
    ar_svg_text(b, f.x0 + f.w / 2, f.y0 + f.h + 34, 0, "middle", "cat", c->xlabel);
    for (int s = 0; s < c->nser; s++) {
        const double *y = c->y + (size_t)s * c->npts;
        int k = s % AR_SVG_NCOLORS, first = 1;
        ar_strbuf_printf(b, "<polyline class=\"line s%d\" points=\"", k);
        for (int i = 0; i < c->npts; i++) {
            if (isnan(y[i])) continue;
            ar_strbuf_printf(b, "%s%.1f,%.1f", first ? "" : " ", f.x0 + f.w * (c->x[i] - xmin) / span,
                             ar_svg_y(&f, y[i]));
            first = 0;
        }
        ar_strbuf_printf(b, "\"/>\n");
        for (int i = 0; i < c->npts; i++) {
            if (isnan(y[i])) continue;
            ar_strbuf_printf(b, "<circle class=\"dot s%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>", k,
                             f.x0 + f.w * (c->x[i] - xmin) / span, ar_svg_y(&f, y[i]));
            ar_html_esc(b, c->sers[s]);
            ar_strbuf_printf(b, " at %g: %.4f</title></circle>\n", c->x[i], y[i]);
        }
    }
    ar_svg_close(b);
}

#define CELL_W 66.0
#define CELL_H 22.0

/* Red (0) through yellow (0.5) to green (1), as "rgb(r,g,b)". */
static void heat_colour(double t, char *out, size_t cap)
{
    static const double stops[3][3] = {{215, 48, 39}, {254, 224, 139}, {26, 152, 80}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    int k = t < 0.5 ? 0 : 1;
    double u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
    snprintf(out, cap, "rgb(%.0f,%.0f,%.0f)", stops[k][0] + u * (stops[k + 1][0] - stops[k][0]),
             stops[k][1] + u * (stops[k + 1][1] - stops[k][1]), stops[k][2] + u * (stops[k + 1][2] - stops[k][2]));
}

void ar_svg_heatmap(ar_strbuf_t *b, const ar_svg_heatmap_t *c)
{
    double lo = c->vmin, hi = c->vmax;
    if (lo == hi) {
        lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < c->nrows * c->ncols; i++)
            if (!isnan(c->v[i])) lo = c->v[i] < lo ? c->v[i] : lo, hi = c->v[i] > hi ? c->v[i] : hi;
        if (lo > hi) lo = 0, hi = 1;
        if (lo == hi) lo -= 0.5, hi += 0.5;
    }
    double label_w = 80;
    for (int r = 0; r < c->nrows; r++) {
        double w = 16 + 6.5 * (double)strlen(c->rows[r]);
        if (w > label_w) label_w = w;
    }
    double x0 = label_w, y0 = TOP + 12, w = x0 + (c->ncols > 5 ? c->ncols : 5) * CELL_W + 20;
    double h = y0 + c->nrows * CELL_H + 50;
    if (w < caption_width(c->title)) w = caption_width(c->title);
    ar_svg_open(b, c->id, w, h, c->title);
    for (int k = 0; k < c->ncols; k++)
        ar_svg_text(b, x0 + (k + 0.5) * CELL_W, y0 - 6, 0, "middle", "tick", c->cols[k]);
    for (int r = 0; r < c->nrows; r++) {
        ar_svg_text(b, x0 - 6, y0 + (r + 0.7) * CELL_H, 0, "end", "cat", c->rows[r]);
        for (int k = 0; k < c->ncols; k++) {
            double v = c->v[r * c->ncols + k];
            if (isnan(v)) continue;
            char fill[32], val[32];
            heat_colour((v - lo) / (hi - lo), fill, sizeof fill);
            snprintf(val, sizeof val, c->fmt, v);
            double x = x0 + k * CELL_W, y = y0 + r * CELL_H;
            ar_strbuf_printf(b, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                "fill=\"%s\"><title>",
                             x, y, CELL_W, CELL_H, fill);
            ar_html_esc(b, c->rows[r]);
            ar_strbuf_printf(b, " ");
            ar_html_esc(b, c->cols[k]);
            ar_strbuf_printf(b, ": %.4f</title></rect>\n", v);
            ar_svg_text(b, x + CELL_W / 2, y + CELL_H * 0.68, 0, "middle", "cellv", val);
        }
    }
    /* colour scale: five swatches from lo to hi */
    double sy = y0 + c->nrows * CELL_H + 16;
    for (int k = 0; k < 5; k++) {
        char fill[32], val[32];
        heat_colour(k / 4.0, fill, sizeof fill);
        snprintf(val, sizeof val, c->fmt, lo + (hi - lo) * k / 4.0);
        ar_strbuf_printf(b, "<rect class=\"scale\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" fill=\"%s\"/>\n",
                         x0 + k * CELL_W, sy, CELL_W, fill);
        ar_svg_text(b, x0 + (k + 0.5) * CELL_W, sy + 24, 0, "middle", "tick", val);
    }
    ar_svg_close(b);
}
