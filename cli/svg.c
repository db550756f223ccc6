/* svg.c - SVG primitives for the report's charts (svg.h). */
#include "svg.h"

#include <stdio.h>
#include <string.h>

#include "html.h"

void ar_svg_open(ar_strbuf_t *b, const char *id, double w, double h, const char *title)
{
    ar_strbuf_printf(b, "<svg class=\"chart\" id=\"");
    ar_html_esc(b, id);
    ar_strbuf_printf(b, "\" width=\"%.0f\" height=\"%.0f\" "
                        "viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
                     w, h, w, h);
    ar_html_elem(b, "title", title);
    ar_strbuf_printf(b, "\n");
    ar_svg_text(b, 8, 16, 0, "start", "caption", title);
}

void ar_svg_close(ar_strbuf_t *b) { ar_strbuf_printf(b, "</svg>\n"); }

double ar_svg_y(const ar_svg_frame_t *f, double v)
{
    double t = f->ymax > 0 ? v / f->ymax : 0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return f->y0 + f->h * (1 - t);
}

void ar_svg_value_axis(ar_strbuf_t *b, const ar_svg_frame_t *f)
{
    for (int k = 0; k <= 4; k++) {
        double v = f->ymax * k / 4, y = ar_svg_y(f, v);
        char lab[32];
        if (f->ymax >= 0.1) snprintf(lab, sizeof lab, "%.2f", v);
        else snprintf(lab, sizeof lab, "%.2g", v);
        ar_strbuf_printf(b, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                         k ? "grid" : "axis", f->x0, y, f->x0 + f->w, y);
        ar_svg_text(b, f->x0 - 4, y + 4, 0, "end", "tick", lab);
    }
}

void ar_svg_text(ar_strbuf_t *b, double x, double y, double rotate, const char *anchor, const char *cls,
                 const char *text)
{
    ar_strbuf_printf(b, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", cls, x, y, anchor);
    if (rotate != 0) ar_strbuf_printf(b, " transform=\"rotate(%.0f %.1f %.1f)\"", rotate, x, y);
    ar_strbuf_printf(b, ">");
    ar_html_esc(b, text);
    ar_strbuf_printf(b, "</text>\n");
}

double ar_svg_legend_width(int nser, const char *const *sers)
{
    double w = 0;
    for (int s = 0; s < nser; s++) w += 24 + 7.0 * (double)strlen(sers[s]);
    return w;
}

void ar_svg_legend(ar_strbuf_t *b, double x, double y, int nser, const char *const *sers)
{
    for (int s = 0; s < nser; s++) {
        ar_strbuf_printf(b, "<rect class=\"swatch s%d\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\"/>\n",
                         s % AR_SVG_NCOLORS, x, y - 9);
        ar_svg_text(b, x + 14, y, 0, "start", "legend", sers[s]);
        x += 24 + 7.0 * (double)strlen(sers[s]);
    }
}

void ar_svg_legend_column(ar_strbuf_t *b, double x, double y, int nser, const char *const *sers)
{
    for (int s = 0; s < nser; s++, y += 16) {
        ar_strbuf_printf(b, "<rect class=\"swatch s%d\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\"/>\n",
                         s % AR_SVG_NCOLORS, x, y - 9);
        ar_svg_text(b, x + 14, y, 0, "start", "legend", sers[s]);
    }
}
