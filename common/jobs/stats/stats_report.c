/* stats_report.c - the stats job's JSON summary (stats_report.h). */
#include "stats_report.h"

#include <math.h>

#include "jobs/job_json.h"

int ar_stats_json_write(const ar_stats_view_t *v, const ar_job_ctx_t *job, double wall, ar_err_t *err)
{
    ar_strbuf_t b = {0};
    ar_job_json_begin(&b, "stats", job);
    ar_strbuf_printf(&b, ",\n  \"sets\": [");
    for (int i = 0; i < v->nsets; i++) {
        const ar_set_ref_t *s = &v->sets[i];
        double px = (double)v->count[i] * s->height * s->width * s->channels;
        double mean = px > 0 ? v->sum[i] / px : 0, var = px > 0 ? v->sq[i] / px - mean * mean : 0;
        ar_strbuf_printf(&b, "%s\n    ", i ? "," : "");
        ar_job_json_set(&b, s);
        ar_strbuf_printf(&b,
                         ", \"count\": %lld, \"pixel_sum\": %lld, \"pixel_sq\": %lld, \"pixel_mean\": %.17g, "
                         "\"pixel_std\": %.17g, \"checksum\": \"%016llx\", \"class_counts\": [",
                         (long long)v->count[i], (long long)v->sum[i], (long long)v->sq[i], mean,
                         sqrt(var > 0 ? var : 0), (unsigned long long)v->hash[i]);
        for (int c = 0; c < s->num_classes && c < v->k; c++)
            ar_strbuf_printf(&b, "%s%lld", c ? ", " : "", (long long)v->hist[(int64_t)i * v->k + c]);
        ar_strbuf_printf(&b, "]}");
    }
    ar_strbuf_printf(&b, "%s]", v->nsets ? "\n  " : "");
    return ar_job_json_finish(&b, job, wall, err);
}
