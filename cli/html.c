/* html.c - the report page's frame, stylesheet, rows and escaping (html.h). */
#include "html.h"

#include <stdio.h>
#include <string.h>

void ar_html_esc(ar_strbuf_t *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': ar_strbuf_printf(b, "&amp;"); break;
        case '<': ar_strbuf_printf(b, "&lt;"); break;
        case '>': ar_strbuf_printf(b, "&gt;"); break;
        case '"': ar_strbuf_printf(b, "&quot;"); break;
        case '\'': ar_strbuf_printf(b, "&#39;"); break;
        default: ar_strbuf_printf(b, "%c", *s);
        }
    }
}

void ar_html_elem(ar_strbuf_t *b, const char *tag, const char *text)
{
    const char *sp = strchr(tag, ' ');
    int name_len = sp ? (int)(sp - tag) : (int)strlen(tag);
    ar_strbuf_printf(b, "<%s>", tag);
    ar_html_esc(b, text);
    ar_strbuf_printf(b, "</%.*s>", name_len, tag);
}

/* One stylesheet for every page; series colours s0..s7 (svg.h). */
static const char *const style =
    "body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
    ".kind{color:#666;margin-top:0}.meta{color:#666;font-size:.9em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;border-bottom:1px solid #eee}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}th{text-align:left;background:#f4f4f4}"
    "tr.chosen{font-weight:bold;background:#eef6ee}tr.mean td{border-top:1px solid #aaa}"
    "pre{background:#f6f6f6;padding:.6em}.outcome{font-size:1.1em}.held-out{color:#a05000}"
    "svg.chart{display:block;margin:.5em 0}.caption{font-weight:bold;font-size:13px}"
    ".tick,.legend,.cat{font-size:11px;fill:#333}.grid{stroke:#ddd}.axis{stroke:#444}"
    ".cellv{font-size:10px;fill:#111}.cell{stroke:#fff}"
    ".s0{fill:#9aa7b8;stroke:#9aa7b8}.s1{fill:#2a7ab0;stroke:#2a7ab0}.s2{fill:#d9822b;stroke:#d9822b}"
    ".s3{fill:#3d9a50;stroke:#3d9a50}.s4{fill:#b8413c;stroke:#b8413c}.s5{fill:#7a5aa6;stroke:#7a5aa6}"
    ".s6{fill:#8c6d31;stroke:#8c6d31}.s7{fill:#d160a8;stroke:#d160a8}.hl{fill:#d9822b;stroke:#d9822b}"
    ".line{fill:none;stroke-width:2}.marked{fill:#fbeedd;stroke:none}"
    ".curves svg.chart{display:inline-block;margin-right:1em;vertical-align:top}";

void ar_html_page_begin(ar_strbuf_t *b, const char *source, const char *kind)
{
    ar_strbuf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
                        "archrepair report: ");
    ar_html_esc(b, source);
    ar_strbuf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>archrepair report: ", style);
    ar_html_esc(b, source);
    ar_strbuf_printf(b, "</h1>\n");
    if (kind && kind[0]) {
        ar_html_elem(b, "p class=\"kind\"", kind);
        ar_strbuf_printf(b, "\n");
    }
}

void ar_html_meta(ar_strbuf_t *b, const char *model, const char *version, int ranks, double wall)
{
    ar_strbuf_printf(b, "<p class=\"meta\" id=\"meta\">");
    const char *sep = "";
    if (model && model[0]) {
        ar_strbuf_printf(b, "Model ");
        ar_html_esc(b, model);
        sep = "; ";
    }
    if (version && version[0]) {
        ar_strbuf_printf(b, "%sarchrepair ", sep);
        ar_html_esc(b, version);
        sep = "; ";
    }
    if (ranks > 0) ar_strbuf_printf(b, "%s%d MPI ranks", sep, ranks), sep = "; ";
    if (wall > 0) ar_strbuf_printf(b, "%s%.1f s wall time", sep, wall);
    ar_strbuf_printf(b, ".</p>\n");
}

void ar_html_page_end(ar_strbuf_t *b) { ar_strbuf_printf(b, "</body>\n</html>\n"); }

void ar_html_row(ar_strbuf_t *b, const char *cls, int ntext, const char *const *text, int nnum, const double *num,
                 const char *fmt)
{
    ar_strbuf_printf(b, "<tr%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    for (int i = 0; i < ntext; i++) ar_html_elem(b, "td", text[i]);
    for (int i = 0; i < nnum; i++) {
        char v[64];
        snprintf(v, sizeof v, fmt, num[i]);
        ar_strbuf_printf(b, "<td class=\"num\">%s</td>", v);
    }
    ar_strbuf_printf(b, "</tr>\n");
}
