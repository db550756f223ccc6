/* test_repair_rank.c - the probe ranking of a repair job
 * (ar_repair_rank_probes, jobs/repair/repair_coord.h) on hand-made probe
 * results: probes within the clean bound first, by corrupted then clean
 * validation accuracy, ties in graph order; a block's score is its probe's
 * corrupted gain, minus 1 when the probe breaks the bound; a block not
 * probed is an error. */
#include <string.h>

#include "check.h"
#include "config/job_config.h"
#include "core/log.h"
#include "jobs/repair/repair_coord.h"

int main(void)
{
    ar_err_t err = {0};
    ar_job_config_t cfg;
    const char *text = "[job]\nkind = \"repair\"\noutput = \"x.h5\"\n[model]\npath = \"m.h5\"\n"
                       "[data]\npath = \"d\"\n[repair]\nmax_clean_drop = 0.01\n";
    CHECK_OK(ar_job_load_string(text, "rank.toml", &cfg, &err), &err);
    ar_log_t log = ar_log_default(-1);
    log.min = AR_LOG_ERROR; /* quiet */
    ar_job_ctx_t job = {.cfg = &cfg, .log = &log};
    char *names[5] = {"a", "b", "c", "d", "e"};
    ar_repair_probe_t probes[5] = {
        {.val_clean = 0.95, .val_corrupt = 0.90, .done = 1}, /* a: breaks the bound (0.95 < 0.99) */
        {.val_clean = 0.99, .val_corrupt = 0.80, .done = 1}, /* b: at the bound */
        {.val_clean = 1.00, .val_corrupt = 0.82, .done = 1}, /* c: best qualifying */
        {.val_clean = 0.995, .val_corrupt = 0.80, .done = 1}, /* d: ties b on corrupted, cleaner */
        {.val_clean = 1.00, .val_corrupt = 0.82, .done = 1}, /* e: ties c exactly: graph order */
    };
    double scores[5];
    int order[5];
    ar_repair_job_t r;
    memset(&r, 0, sizeof r);
    r.blocks = names, r.nblocks = 5, r.scores = scores, r.order = order, r.probes = probes;
    r.val_clean0 = 1.00, r.val_corrupt0 = 0.75;
    CHECK_OK(ar_repair_rank_probes(&r, &job, &err), &err);
    int want[5] = {2, 4, 3, 1, 0};
    for (int i = 0; i < 5; i++) CHECK(order[i] == want[i], "rank %d: block %s, expected %s", i, names[order[i]], names[want[i]]);
    CHECK(scores[2] > 0.0699 && scores[2] < 0.0701 && scores[1] > 0.0499 && scores[1] < 0.0501,
          "scores: the corrupted gain (%g, %g)", scores[2], scores[1]);
    CHECK(scores[0] > -0.851 && scores[0] < -0.849, "outside the bound: gain - 1 (%g)", scores[0]);
    CHECK(!strcmp(r.ranking, "probe") && r.top_layer[0] == 0, "ranking named, no layer");
    probes[3].done = 0;
    CHECK(ar_repair_rank_probes(&r, &job, &err) == AR_E_INTERNAL && strstr(err.msg, "d not probed"),
          "a block not probed: %s", err.msg);
    ar_job_free(&cfg);
    return 0;
}
