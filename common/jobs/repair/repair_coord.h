/* repair_coord.h - the repair job's coordinator state, shared by
 * repair_coord.c (planning, aggregation), repair_rank.c (the block
 * ranking) and repair_report.c (the result
 * file and the printed table). Internal to common/jobs/repair. */
#ifndef AR_JOBS_REPAIR_COORD_H
#define AR_JOBS_REPAIR_COORD_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/repair/repair_params.h"
#include "jobs/sets.h"
#include "nn/graph.h"
#include "runtime/registry.h"

typedef struct ar_repair_cand {
    int method;               /* ar_method_t (repair/search.h) */
    char block[128];
    char variant[128];
    int nodes;
    int64_t vseed;            /* the variant's seed (repair.seeds entry) */
    double lr;
    uint64_t seed;            /* search seed from job seed + identity */
    int alive;                /* still in the halving */
    int rung;                 /* last rung run */
    double val_acc;           /* all validation images (clean + corrupted) */
    double val_clean, val_corrupt; /* the selection metrics (repair/select.h) */
    double first_loss, last_loss;
    double interp;            /* weight interpolation coefficient kept (1: none) */
    int64_t kept_epoch;       /* repair.keep_best: epoch of the last phase kept (-1: the last) */
    int64_t workers;          /* most workers that trained it at once (data-parallel) */
    int64_t cost_fwd, cost_bwd; /* image passes, summed over the rungs it ran */
    double cost_cpu_s;        /* CPU seconds of its training and selection, all rungs */
    char genotype[1024];
    char path[1100];          /* model file of its last rung */
    int epochs_seen;          /* streamed epoch reports */
} ar_repair_cand_t;

/* One block's probe (repair.ranking = "probe"): a short block-weights
 * repair, interpolated to the clean bound like a candidate. */
typedef struct ar_repair_probe {
    double val_clean, val_corrupt; /* validation accuracies of the probed model */
    int64_t cost_fwd, cost_bwd;
    double cost_cpu_s;
    int done;
} ar_repair_probe_t;

/* One streamed epoch report, as aggregated (task order). */
typedef struct ar_repair_epoch {
    int cand, rung, epoch;
    char phase[16];
    double train_loss, val_acc, alpha_entropy;
} ar_repair_epoch_t;

typedef struct ar_repair_job {
    ar_set_ref_t *sets;
    int nsets, k, channels;
    float mean[4], std[4];
    int64_t *cnt[2], *ok[2];  /* [phase][set]: 0 before, 1 after */
    char **blocks;            /* every block, graph order (owned) */
    double *scores;           /* their suspiciousness (graph order: nblocks - index) */
    int *order;               /* block indices, most suspicious first */
    int nblocks;
    char ranking[64];         /* "localization", "probe" or "graph-order" */
    int localize;             /* 1: round 0 ranks the blocks (a repair_localize task, or probes) */
    ar_repair_probe_t *probes; /* [nblocks] with repair.ranking = "probe", else NULL */
    int nprobed;              /* probes aggregated */
    int base;                 /* round of rung 0 (1 after localization, else 0) */
    char top_layer[128];      /* most suspicious layer ("" without localization) */
    char top_layer_block[128];
    int methods[8];           /* the population's methods (ar_method_t), job order */
    int nmethods;
    ar_repair_cand_t *c;
    int nc;
    int best;                 /* chosen candidate, -1 before (and when kept_original) */
    int kept_original;        /* 1: no candidate met repair.max_clean_drop, the original is the result */
    double val_clean0, val_corrupt0; /* the original model on the validation images */
    char corr_list[1024];     /* augmentation corruptions, comma list */
    uint8_t in_pool[AR_CORRUPT_COUNT]; /* 1: the corruption is in corr_list */
    char ops[512];            /* repair.ops, comma list */
    ar_localize_opts_t lz;    /* the job's [localize] options (repair_localize) */
    int64_t nfailing, nrepair;
    double pool_acc, t0;
    char started[32];
    ar_repair_epoch_t *hist;        /* every epoch report, in task order */
    int nhist, cap_hist;
    char output[1024];        /* job.output: candidate files are <output>.candNNN.rR.h5 */
    int rungs;
} ar_repair_job_t;

/* Block ranking (repair_rank.c). init: every block of g in graph order as
 * the ranking (scores nblocks - index); *localize = 1 when the job needs a
 * ranking (no explicit repair.blocks, or the layer method without a layer),
 * so a repair_localize task must run. apply: a repair_localize result
 * replaces scores and order and names the most suspicious layer. */
int ar_repair_rank_init(ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_graph_t *g, int *localize,
                        ar_err_t *err);
int ar_repair_rank_apply(ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_fields_t *res, ar_err_t *err);

/* repair.ranking = "probe": the ranking from r->probes (every one done) by
 * the selection rule (select.h: within the clean bound first, then
 * corrupted validation accuracy, then clean; ties to graph order); a
 * block's score is its probe's corrupted validation gain over the original,
 * minus 1 when the probe breaks the clean bound. */
int ar_repair_rank_probes(ar_repair_job_t *r, const ar_job_ctx_t *job, ar_err_t *err);

/* "2026-01-02T03:04:05Z" (UTC) into buf. */
void ar_repair_iso_now(char *buf, size_t cap);

/* Writes job.output atomically: the repaired model g at the root and the
 * /repair group (docs/results.md "Repair job result"), then prints the
 * summary table. */
int ar_repair_write_result(const ar_repair_job_t *r, const ar_job_ctx_t *job, const ar_graph_t *g,
                           ar_err_t *err);

#endif
