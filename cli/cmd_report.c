/* cmd_report.c - `archrepair report RESULT.h5 [--html OUT.html]`: a
 * self-contained HTML page (inline SVG charts, no scripts, nothing
 * fetched) of a repair job's result, to open in a browser or send around
 * (docs/results.md "A report to share"; the page itself: report_html.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "report_html.h"
#include "repair_result.h"

static const char *NAME = "report";

static void usage(void)
{
    printf("Usage: archrepair report RESULT.h5 [--html OUT.html]\n\n"
           "Writes one self-contained HTML page (inline SVG, no scripts, no external\n"
           "resources) describing the repair job result RESULT.h5: the outcome and genotype,\n"
           "clean / in-pool / held-out mean accuracy before and after, accuracy per\n"
           "evaluation set, severity curves, the candidates and the block localization scores.\n\n"
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
    ar_repair_result_t r;
    if (ar_repair_result_read(pos[0], &r, &err) == AR_OK && r.nsets == 0)
        ar_err_set(&err, AR_E_FORMAT, "%s: not a repair result (no /repair/metrics)", pos[0]);
    ar_strbuf_t b = {0};
    if (!err.status) {
        const char *base = strrchr(pos[0], '/');
        ar_report_html(&b, base ? base + 1 : pos[0], &r);
        if (b.bad) ar_err_set(&err, AR_E_NOMEM, "out of memory building the page");
    }
    if (!err.status) ar_write_file_atomic(out, b.p, b.n, &err);
    rc = err.status ? ar_cli_fail(NAME, &err) : 0;
    if (!rc) printf("%s written\n", out);
    ar_strbuf_free(&b);
    ar_repair_result_free(&r);
    return rc;
}
