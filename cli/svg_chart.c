/* svg_chart.c - the report's bar and line charts (svg.h). */
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

static double largest(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > m) m = v[i];
    return m > 0 ? m : 1;
}

/* One bar with its tooltip. */
static void bar(ar_strbuf_t *b, const ar_svg_frame_t *f, double x, int s, double v, const char *cat,
                const char *ser)
{
    double y = ar_svg_y(f, v), base = ar_svg_y(f, 0);
    ar_strbuf_printf(b, "<rect class=\"bar s%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                        "<title>",
                     s, x, y, BAR_W - 1, base - y);
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
    ar_svg_open(b, c->id, w < 320 ? 320 : w, TOP + PLOT_H + LABEL_H, c->title);
    ar_svg_legend(b, LEFT, 32, c->nser, c->sers);
    if (c->mark && c->mark_name) {
        double lx = LEFT + 30 + 60.0 * c->nser;
        ar_strbuf_printf(b, "<rect class=\"marked\" x=\"%.1f\" y=\"23\" width=\"10\" height=\"10\"/>\n", lx);
        ar_svg_text(b, lx + 14, 32, 0, "start", "legend", c->mark_name);
    }
    for (int k = 0; c->mark && k < c->ncat; k++)
        if (c->mark[k])
            ar_strbuf_printf(b, "<rect class=\"marked\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                             f.x0 + k * group + 1, f.y0, group - 2, f.h);
    ar_svg_value_axis(b, &f);
    for (int k = 0; k < c->ncat; k++) {
        double x = f.x0 + k * group + GROUP_GAP / 2.0;
        for (int s = 0; s < c->nser; s++) bar(b, &f, x + s * BAR_W, s, c->v[s * c->ncat + k], c->cats[k], c->sers[s]);
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
    double span = xmax > xmin ? xmax - xmin : 1;
    ar_svg_open(b, c->id, LEFT + f.w + 30, TOP + PLOT_H + 44, c->title);
    ar_svg_legend(b, LEFT, 32, c->nser, c->sers);
    ar_svg_value_axis(b, &f);
    for (int i = 0; i < c->npts; i++) {
        char lab[32];
        snprintf(lab, sizeof lab, "%g", c->x[i]);
        ar_svg_text(b, f.x0 + f.w * (c->x[i] - xmin) / span, f.y0 + f.h + 14, 0, "middle", "tick", lab);
    }
    ar_svg_text(b, f.x0 + f.w / 2, f.y0 + f.h + 34, 0, "middle", "cat", c->xlabel);
    for (int s = 0; s < c->nser; s++) {
        ar_strbuf_printf(b, "<polyline class=\"line s%d\" points=\"", s);
        for (int i = 0; i < c->npts; i++)
            ar_strbuf_printf(b, "%s%.1f,%.1f", i ? " " : "", f.x0 + f.w * (c->x[i] - xmin) / span,
                             ar_svg_y(&f, c->y[s * c->npts + i]));
        ar_strbuf_printf(b, "\"/>\n");
        for (int i = 0; i < c->npts; i++) {
            double v = c->y[s * c->npts + i];
            ar_strbuf_printf(b, "<circle class=\"dot s%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>", s,
                             f.x0 + f.w * (c->x[i] - xmin) / span, ar_svg_y(&f, v));
            ar_html_esc(b, c->sers[s]);
            ar_strbuf_printf(b, " at %g: %.4f</title></circle>\n", c->x[i], v);
        }
    }
    ar_svg_close(b);
}
