/* job_config.h - the job file (JOB.toml) as a plain C struct.
 *
 * The schema table in job_config.c is the single place where every key, its
 * type, default, allowed values and one-line doc are written; docs/config.md
 * is generated from it (`archrepair config --doc`) and a test keeps the two
 * equal. Adding a key = one row in that table + one field below.
 *
 * Loading rejects unknown keys (with a did-you-mean), wrong types,
 * out-of-range values, invalid TOML and inconsistent combinations, each as
 * one AR_E_CONFIG line "job.toml:12: ..." naming the key.
 */
#ifndef AR_CONFIG_JOB_CONFIG_H
#define AR_CONFIG_JOB_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "config/schema.h"
#include "core/error.h"

/* One corruption set group ([[data.corrupted]]): either a collection on disk
 * (HDF5 or a CIFAR-10-C .npy directory) or corruptions generated on the fly
 * from a clean source. */
typedef struct ar_cset_cfg {
    char *kind;             /* "generated" or "collection" */
    char *name;             /* label prefix in reports; "" = none */
    char *path;             /* collection path, or the clean source for "generated"; "" = data.path */
    char *split;            /* split of a generated set's source ("train" or "test") */
    ar_strs_t corruptions;  /* names, or the single entry "all" */
    ar_ints_t severities;   /* severities to use, each 1..5 (collections: 1..S) */
} ar_cset_cfg_t;

typedef struct ar_job_config {
    struct {
        char *kind;             /* "evaluate", "localize", "repair" or "stats" */
        char *name;             /* free text for reports */
        int64_t seed;           /* job seed: every random stream derives from it */
        char *output;           /* result file (HDF5), written atomically */
    } job;
    struct {
        char *path;             /* model file (HDF5, archrepair-model) */
    } model;
    struct {
        char *path;             /* the clean dataset (any format ar_dataset_open reads) */
        char *split;            /* "train" or "test" for formats holding both */
        int64_t limit;          /* use the first limit images; 0 = all */
        ar_floats_t mean, std;  /* normalisation; empty = the model's */
        int64_t batch_size;     /* images per forward pass */
        ar_tables_t corrupted;  /* ar_cset_cfg_t elements, see ar_job_cset() */
    } data;
    struct {                    /* [repair]: docs/repair.md */
        char *method;               /* "archrepair", "finetune", "layer", "block-weights", "bn-adapt",
                                       "random-cell" */
        ar_strs_t methods;          /* a portfolio of methods; empty = method alone */
        char *train_path;           /* repair data source; "" = data.path */
        char *train_split;          /* its split */
        int64_t skip;               /* source images before this index are not used */
        int64_t pool, val;          /* repair pool and validation images */
        int64_t failing, sample;    /* repair set: misclassified + other pool images */
        double augment;             /* probability of an on-the-fly corruption */
        ar_strs_t corruptions;      /* augmentation corruptions or ["all"] */
        ar_ints_t severities;       /* augmentation severities */
        ar_strs_t blocks;           /* explicit target blocks; empty = localization's top_k */
        int64_t top_k;              /* blocks tried from the ranking */
        char *ranking;              /* "spectrum" or "probe": how blocks are ranked */
        int64_t probe_epochs;       /* ranking "probe": block-weights epochs per block */
        char *layer;                /* layer method: node name; "" = the block's first conv */
        ar_ints_t nodes;            /* variants: cell node counts */
        ar_strs_t ops;              /* candidate ops of every edge */
        ar_ints_t seeds;            /* variants: search seeds */
        ar_floats_t lrs;            /* variants: weight learning rates */
        int64_t rungs;              /* successive-halving rungs */
        int64_t search_epochs, finetune_epochs, batch;
        int64_t finetune_all_epochs; /* whole-network epochs after the method's own */
        double finetune_lr, alpha_lr;
        double max_clean_drop;      /* selection: allowed clean validation drop */
        int64_t channels;           /* cell channels; 0 = the block's width */
        int64_t partial_channels;   /* K: a relaxed edge mixes C/K channels (PC-DARTS); 1 = all;
                                       0 = 4, or 2 or 1 where C does not divide by 4 */
        int keep_shortcut, seed_original;
        int interpolate;            /* interpolate towards the original to the clean bound */
        double distill;             /* weight of the original's clean outputs in the target */
        int keep_best;              /* candidates end on their best epoch within the bound */
        int resample;               /* corruptions drawn afresh every epoch */
        int64_t budget;             /* training image-passes per candidate; 0 = epochs */
        int64_t micro_batch;        /* data-parallel micro-batch; 0 = whole-batch steps */
    } repair;
    struct {                    /* [localize]: docs/localization.md */
        int64_t count;              /* failing examples (passing: as many) */
        char *source;               /* "all", "clean", "corrupted" or one set label */
        char *adversarial;          /* "none", "fgsm" or "pgd" */
        double eps, step_size;      /* pixel/255 units */
        int64_t steps;              /* PGD steps */
        char *formula;              /* "tarantula", "ochiai" or "dstar" */
        char *threshold;            /* "fixed" or "passing_mean" */
        double threshold_value;     /* the fixed threshold */
        char *gradient_scale;       /* "weight" or "raw" */
        char *gradient_norm;        /* "layer_mean", "global", "layer" or "none" */
        char *aggregate;            /* "mean", "max" or "topk" */
        int64_t top_k;              /* neurons averaged by "topk" */
    } localize;
    struct {
        int64_t ranks;              /* expected MPI ranks; 0 = whatever mpirun gives */
        int64_t threads;            /* threads per rank (kernels and OpenBLAS) */
        int64_t blas_threads;       /* its older name */
        double heartbeat_s;         /* worker heartbeat interval */
        double heartbeat_timeout_s; /* a worker silent this long is declared lost */
        int64_t shard_size;         /* images per evaluation task */
        double startup_timeout_s;   /* a worker must say HELLO within this */
        double task_timeout_s;      /* no result from a task for this long fails the job; 0 = off */
        double checkpoint_s;        /* seconds between checkpoints within a round; 0 = round ends only */
        int64_t credit;             /* tasks a worker asks for ahead */
        char *transport;            /* "auto", "ipc" or "tcp" */
        char *reduce;               /* "tree" or "coordinator" */
        char *address;              /* bind address / interface for multi-host runs */
        int64_t hwm;                /* ZeroMQ high-water mark */
        int64_t max_message_mb;     /* largest data-plane message, MiB */
        char *log_level;            /* "debug", "info", "warn" or "error" */
    } run;
    ar_config_t *doc;           /* the parsed document, for lines in later messages (owned) */
    char *text;                 /* the job's TOML text, stored in results (owned) */
} ar_job_config_t;

/* The corruption set group i (0 <= i < job->data.corrupted.n). */
static inline const ar_cset_cfg_t *ar_job_cset(const ar_job_config_t *job, int i)
{
    return (const ar_cset_cfg_t *)job->data.corrupted.v + i;
}

/* Loads and validates a job file into *job (zeroed first). On failure *job
 * is freed and zeroed and err holds "<path>:<line>: ...". */
int ar_job_load_file(const char *path, ar_job_config_t *job, ar_err_t *err);
/* The same from text; name is used in messages. */
int ar_job_load_string(const char *text, const char *name, ar_job_config_t *job, ar_err_t *err);
/* Frees everything the job owns and zeroes it; safe twice. */
void ar_job_free(ar_job_config_t *job);

/* Source line of key in the job file (0 when it took its default), for
 * messages of later checks ("job.toml:5: data.path: no such file"). */
int ar_job_key_line(const ar_job_config_t *job, const char *key);
/* The file name the job was loaded from. */
const char *ar_job_name(const ar_job_config_t *job);

/* The schema (for tools that list or check keys). */
const ar_key_spec_t *ar_job_schema(int *n);

/* Writes docs/config.md: the markdown reference of every key. */
int ar_job_doc_markdown(FILE *out);

#endif
