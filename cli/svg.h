/* svg.h - inline SVG charts for `archrepair report`: primitives (frame,
 * value axis, legend) and the charts built on them: grouped bars, lines and
 * a heatmap. Labels are escaped (html.h); colours come from the page's
 * stylesheet through the classes "s0" .. "s7" (series k has class
 * s<k mod AR_SVG_NCOLORS>) and "marked"; a heatmap's cells carry their own
 * fill. */
#ifndef AR_CLI_SVG_H
#define AR_CLI_SVG_H

#include <stdint.h>

#include "core/strbuf.h"

#define AR_SVG_NCOLORS 8 /* series colour classes s0..s7 in the stylesheet */

/* The plot area of a chart, in SVG user units. */
typedef struct ar_svg_frame {
    double x0, y0, w, h; /* top-left corner and size of the plot area */
    double ymax;         /* value at the top of the axis (0 at the bottom) */
} ar_svg_frame_t;

/* <svg class="chart" id=id ...> with a <title>; ar_svg_close ends it. */
void ar_svg_open(ar_strbuf_t *b, const char *id, double w, double h, const char *title);
void ar_svg_close(ar_strbuf_t *b);
/* Vertical position of value v in the frame. */
double ar_svg_y(const ar_svg_frame_t *f, double v);
/* Horizontal grid lines with tick labels at 0, 1/4 .. ymax, and the baseline. */
void ar_svg_value_axis(ar_strbuf_t *b, const ar_svg_frame_t *f);
/* Text at (x, y); rotate in degrees (0: none); anchor "start" / "middle" / "end". */
void ar_svg_text(ar_strbuf_t *b, double x, double y, double rotate, const char *anchor, const char *cls,
                 const char *text);
/* One swatch + name per series (classes s0..), in a row starting at (x, y),
 * ar_svg_legend_width wide; or in a column, 16 units per series. */
void ar_svg_legend(ar_strbuf_t *b, double x, double y, int nser, const char *const *sers);
double ar_svg_legend_width(int nser, const char *const *sers);
void ar_svg_legend_column(ar_strbuf_t *b, double x, double y, int nser, const char *const *sers);

/* Grouped bars: ncat categories, nser bars each (v[s * ncat + c]). Every
 * bar is <rect class="bar s<k>"> (or "bar s<k> hl") with a <title>
 * "category series: value". */
typedef struct ar_svg_bars {
    const char *id, *title;
    int ncat, nser;
    const char *const *cats, *const *sers;
    const double *v;
    const int8_t *mark;    /* NULL, or 1 per category drawn on a shaded band */
    const char *mark_name; /* legend text for the band */
    int highlight;         /* 1: a marked category's bars also get class "hl" */
    double ymax;           /* 0: the largest value */
} ar_svg_bars_t;
void ar_svg_bars(ar_strbuf_t *b, const ar_svg_bars_t *c);

/* Lines: nser series over npts x positions (y[s * npts + i]; NaN: the
 * series has no point there), each a <polyline class="line s<k>"> through
 * its points with a <circle> per point. More than two series are named in
 * a column right of the plot, two or fewer above it. */
typedef struct ar_svg_lines {
    const char *id, *title, *xlabel;
    int npts, nser;
    const double *x, *y;
    const char *const *sers;
    double ymax;
} ar_svg_lines_t;
void ar_svg_lines(ar_strbuf_t *b, const ar_svg_lines_t *c);

/* A heatmap: nrows x ncols cells (v[r * ncols + c]; NaN: no cell), each a
 * <rect class="cell"> coloured from red (vmin) through yellow to green
 * (vmax) with a <title> "row col: value" and the value (fmt, e.g. "%.2f")
 * written in it; row names left, column names above, a colour scale below. */
typedef struct ar_svg_heatmap {
    const char *id, *title;
    int nrows, ncols;
    const char *const *rows, *const *cols;
    const double *v;
    double vmin, vmax; /* vmin == vmax: the smallest and largest value */
    const char *fmt;
} ar_svg_heatmap_t;
void ar_svg_heatmap(ar_strbuf_t *b, const ar_svg_heatmap_t *c);

/* A searched cell as a graph from its genotype's text (repair/genotype.h):
 * nodes "in", "n0".., "out" as <circle class="gnode">, one <path
 * class="gedge"> per edge with the op as its <title> and label, dashed
 * <line class="gconcat"> from each node into "out". Returns the edges
 * drawn, or -1 (nothing written) when the text is not a genotype. */
int ar_svg_genotype(ar_strbuf_t *b, const char *id, const char *text);

#endif
