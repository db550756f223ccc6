/* cmd_report.c - `archrepair report RESULT.h5 [--html OUT.html]`: a
 * self-contained HTML page (inline SVG charts, no scripts, nothing
 * fetched) of a repair, evaluate or localize job's result, to open in a
 * browser or send around (docs/results.md "A report to share"; the pages:
 * report_html.h). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "io/h5.h"
#include "report_html.h"
#include "result_file.h"

static const char *NAME = "report";

static void usage(void)
{
    printf("Usage: archrepair report RESULT.h5 [--html OUT.html]\n\n"
           "Writes one self-contained HTML page (inline SVG, no scripts, no external\n"
           "resources) describing the job result RESULT.h5:\n"
           "  repair:   the outcome and genotype, clean / in-pool / held-out mean accuracy\n"
           "            before and after, accuracy per evaluation set, severity curves,\n"
           "            the candidates and the block localization scores;\n"
           "  evaluate: clean and mean corrupted accuracy, category means, the corruption\n"
           "            x severity heatmap, severity curves, accuracy per class and set;\n"
           "  localize: the chosen block, block scores with per-block statistics, layer\n"
           "            scores, the examples and options.\n\n"
           "Options:\n"
           "  --html OUT.html       the page (default: RESULT.html beside RESULT.h5)\n");
}

/* "dir/x.h5" -> "dir/x.html"; any other name gets ".html" appended. */
static int default_out(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n > 3 && strcmp(in + n - 3, ".h5") == 0) n -= 3;
    return snprintf(out, cap, "%.*s.html", (int)n, in) < (int)cap ? 0 : -1;
}

int ar_cmd_report(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *pos[1] = {NULL}, *html = NULL;
    int npos = 0;
    const ar_opt_t opts[] = {AR_STR("html", &html), AR_OPT_END};
    int rc = ar_cli_opts(NAME, opts, argc, argv, pos, 1, &npos);
    if (rc) return rc;
    if (npos != 1) return ar_cli_usage_error(NAME, "needs RESULT.h5");
    char out[4096];
    if (!html && default_out(pos[0], out, sizeof out)) return ar_cli_usage_error(NAME, "path too long");
    if (html && !html[0]) return ar_cli_usage_error(NAME, "--html: empty path");
    if (html) snprintf(out, sizeof out, "%s", html);
    ar_err_t err = {0};
    ar_strbuf_t b = {0};
    const char *base = strrchr(pos[0], '/');
    base = base ? base + 1 : pos[0];
    ar_h5_t *h = ar_h5_open(pos[0], &err);
    ar_result_kind_t kind = h ? ar_result_kind(h) : AR_RESULT_NONE;
    ar_h5_destroy(&h);
    if (!err.status && kind == AR_RESULT_REPAIR) {
        ar_repair_result_t r;
        if (ar_repair_result_read(pos[0], &r, &err) == AR_OK && r.nsets == 0)
            ar_err_set(&err, AR_E_FORMAT, "%s: not a repair result (no /repair/metrics)", pos[0]);
        if (!err.status) ar_report_html_repair(&b, base, &r);
        ar_repair_result_free(&r);
    } else if (!err.status && kind == AR_RESULT_EVALUATE) {
        ar_eval_file_t r;
        if (ar_eval_file_read(pos[0], &r, &err) == AR_OK) ar_report_html_eval(&b, base, &r);
        ar_eval_file_free(&r);
    } else if (!err.status && kind == AR_RESULT_LOCALIZE) {
        ar_localize_file_t r;
        if (ar_localize_file_read(pos[0], &r, &err) == AR_OK) ar_report_html_localize(&b, base, &r);
        ar_localize_file_free(&r);
    } else if (!err.status) {
        ar_err_set(&err, AR_E_FORMAT, "%s: not a repair, evaluate or localize result (%s)", pos[0],
                   kind == AR_RESULT_STATS ? "a stats result has no report"
                                           : "no /repair, /evaluation or /localization group");
    }
    if (!err.status && b.bad) ar_err_set(&err, AR_E_NOMEM, "out of memory building the page");
    if (!err.status) ar_write_file_atomic(out, b.p, b.n, &err);
    rc = err.status ? ar_cli_fail(NAME, &err) : 0;
    if (!rc) printf("%s written\n", out);
    ar_strbuf_free(&b);
    return rc;
}
