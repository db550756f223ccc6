/* localize_report.c - the localize job's JSON summary (localize_report.h). */
#include "localize_report.h"

#include "jobs/job_json.h"
#include "localize/adversarial.h"
#include "localize/sbfl.h"

int ar_localize_json_write(const ar_localize_result_t *r, const ar_set_ref_t *sets, const int *src, int nsrc,
                           const ar_job_ctx_t *job, double wall, ar_err_t *err)
{
    const ar_localize_opts_t *o = &r->opts;
    ar_strbuf_t b = {0};
    ar_job_json_begin(&b, "localize", job);
    ar_strbuf_printf(&b,
                     ",\n  \"options\": {\"adversarial\": \"%s\", \"formula\": \"%s\", \"threshold\": \"%s\", "
                     "\"gradient_scale\": \"%s\", \"gradient_norm\": \"%s\", \"aggregate\": \"%s\"}",
                     ar_adv_name(o->adv.method), ar_sbfl_name(o->formula), ar_thresh_name(o->threshold_mode),
                     ar_gscale_name(o->gscale), ar_gnorm_name(o->gnorm), ar_agg_name(o->aggregate));
    ar_strbuf_printf(&b, ",\n  \"examples\": {\"failing\": %lld, \"adversarial\": %lld, \"passing\": %lld}",
                     (long long)(r->counts.n_fail - r->counts.n_adv), (long long)r->counts.n_adv,
                     (long long)r->counts.n_pass);
    ar_strbuf_printf(&b, ",\n  \"sets\": [");
    for (int i = 0; i < nsrc; i++) {
        ar_strbuf_printf(&b, "%s\n    ", i ? "," : "");
        ar_job_json_set(&b, &sets[src[i]]);
        ar_strbuf_printf(&b, ", \"count\": %lld}", (long long)sets[src[i]].count);
    }
    ar_strbuf_printf(&b, "%s],\n  \"top_block\": ", nsrc ? "\n  " : "");
    ar_strbuf_json_str(&b, r->nblocks ? r->block_names[r->block_rank[0]] : "");
    ar_strbuf_printf(&b, ",\n  \"blocks\": [");
    for (int i = 0; i < r->nblocks; i++) {
        int k = r->block_rank[i];
        ar_strbuf_printf(&b, "%s\n    {\"rank\": %d, \"name\": ", i ? "," : "", i + 1);
        ar_strbuf_json_str(&b, r->block_names[k]);
        ar_strbuf_printf(&b, ", \"score\": %.17g}", r->block_scores[k]);
    }
    ar_strbuf_printf(&b, "%s],\n  \"layers\": [", r->nblocks ? "\n  " : "");
    for (int i = 0; i < r->nunits; i++) {
        int k = r->layer_rank[i];
        ar_strbuf_printf(&b, "%s\n    {\"rank\": %d, \"name\": ", i ? "," : "", i + 1);
        ar_strbuf_json_str(&b, r->unit_names[k]);
        ar_strbuf_printf(&b, ", \"block\": ");
        ar_strbuf_json_str(&b, r->unit_blocks[k]);
        ar_strbuf_printf(&b, ", \"neurons\": %lld, \"score\": %.17g}",
                         (long long)(r->unit_offset[k + 1] - r->unit_offset[k]), r->layer_scores[k]);
    }
    ar_strbuf_printf(&b, "%s]", r->nunits ? "\n  " : "");
    return ar_job_json_finish(&b, job, wall, err);
}
