/* job_config.c - the job schema (every key, default and doc in one table)
 * and the checks that span several keys. */
#define _POSIX_C_SOURCE 200809L
#include "job_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

/* JOB(key, type, field, default, min, max, choices, doc); AR_ANY stands for
 * "min, max" when there is no range. CSET: fields of [[data.corrupted]]. */
#define JOB(key, type, field, def, ...) {key, type, offsetof(ar_job_config_t, field), def, __VA_ARGS__, 0}
#define CSET(key, type, field, def, ...) \
    {"data.corrupted[]." key, type, offsetof(ar_cset_cfg_t, field), def, __VA_ARGS__, 0}

/* The single source of every key, default and description. Ranges: lo..hi
 * inclusive (AR_ANY = none). Defaults are TOML value text. */
static const ar_key_spec_t job_schema[] = {
    JOB("job.kind", AR_KEY_ENUM, job.kind, NULL, AR_ANY, "evaluate|localize|repair|stats",
        "What the job does: evaluate accuracy on every set, localize the vulnerable block, or repair it."),
    JOB("job.name", AR_KEY_STRING, job.name, "\"\"", AR_ANY, NULL, "Free-text name of the job, copied into reports."),
    JOB("job.seed", AR_KEY_INT, job.seed, "0", 0, 9007199254740991.0, NULL,
        "Job seed; every random stream derives from (seed, task identity), never from the rank."),
    JOB("job.output", AR_KEY_STRING, job.output, NULL, AR_ANY, NULL,
        "Result file (HDF5); written under a temporary name and renamed when complete."),
    JOB("model.path", AR_KEY_STRING, model.path, "\"\"", AR_ANY, NULL,
        "Model file (HDF5, format archrepair-model); required by every kind but stats."),
    JOB("data.path", AR_KEY_STRING, data.path, NULL, AR_ANY, NULL,
        "Clean dataset: HDF5, IDX file or directory (plain or .gz), CIFAR-10 .bin file or directory, ImageFolder of PNG/JPEG files, Tiny-ImageNet directory."),
    JOB("data.split", AR_KEY_ENUM, data.split, "\"test\"", AR_ANY, "train|test|val",
        "Split of data.path for directory formats holding several: train or test (IDX, CIFAR-10 bin), train or val (Tiny-ImageNet, whose test split is unlabelled and refused)."),
    JOB("data.limit", AR_KEY_INT, data.limit, "0", 0, 1e12, NULL,
        "Use only the first limit images of every set (0 = all); for quick runs."),
    JOB("data.mean", AR_KEY_FLOATS, data.mean, "[]", -1e6, 1e6, NULL,
        "Per-channel mean of x = (pixel/255 - mean) / std; empty = the model file's mean."),
    JOB("data.std", AR_KEY_FLOATS, data.std, "[]", 1e-6, 1e6, NULL,
        "Per-channel standard deviation; empty = the model file's std."),
    JOB("data.batch_size", AR_KEY_INT, data.batch_size, "256", 1, 65536, NULL, "Images per forward pass."),
    {"data.corrupted", AR_KEY_TABLES, offsetof(ar_job_config_t, data.corrupted), "[]", AR_ANY, NULL,
     "Corruption sets, one [[data.corrupted]] table per group: a collection on disk or corruptions generated on the fly.",
     sizeof(ar_cset_cfg_t)},
    CSET("kind", AR_KEY_ENUM, kind, NULL, AR_ANY, "generated|collection",
         "collection: read from path (HDF5 collection, CIFAR-10-C .npy directory or Tiny-ImageNet-C tree); generated: corrupt the clean source on the fly."),
    CSET("name", AR_KEY_STRING, name, "\"\"", AR_ANY, NULL, "Label prefix of these sets in reports (empty = none)."),
    CSET("path", AR_KEY_STRING, path, "\"\"", AR_ANY, NULL,
         "Collection path, or the clean source of generated sets (empty = data.path)."),
    CSET("split", AR_KEY_ENUM, split, "\"test\"", AR_ANY, "train|test|val", "Split of a generated set's source (as data.split)."),
    CSET("corruptions", AR_KEY_STRINGS, corruptions, "[\"all\"]", AR_ANY, NULL,
         "Corruption names or categories (noise, blur, weather, digital: their 4 benchmark corruptions each), or [\"all\"]: the 15 benchmark corruptions, for generated sets and collections alike (a collection must hold all 15; the 4 extras and sets of other names only when listed)."),
    CSET("severities", AR_KEY_INTS, severities, "[1, 2, 3, 4, 5]", 1, 5, NULL, "Severities to use."),
    JOB("repair.method", AR_KEY_ENUM, repair.method, "\"archrepair\"", AR_ANY, "archrepair|finetune|layer|block-weights|bn-adapt|random-cell",
        "Repair method: the relaxed block search, a baseline on the same data and budget, bn-adapt (BatchNorm statistics re-estimated on the repair set; no training), or random-cell (archrepair's cell with a random genotype, trained the same way: the control that tells whether the search helps) (docs/repair.md)."),
    JOB("repair.methods", AR_KEY_STRINGS, repair.methods, "[]", AR_ANY, NULL,
        "A portfolio: one population holding the candidates of each of these methods (names as repair.method), compared by successive halving and the selection rule; empty = repair.method alone."),
    JOB("repair.train_path", AR_KEY_STRING, repair.train_path, "\"\"", AR_ANY, NULL,
        "Source of the repair and validation images (never a test set); empty = data.path."),
    JOB("repair.train_split", AR_KEY_ENUM, repair.train_split, "\"train\"", AR_ANY, "train|test|val",
        "Split of repair.train_path for directory formats holding several (as data.split)."),
    JOB("repair.skip", AR_KEY_INT, repair.skip, "0", 0, 1e12, NULL,
        "Use only source images from this index on (e.g. past the first N the model was trained on with --limit N), so validation is really held out."),
    JOB("repair.pool", AR_KEY_INT, repair.pool, "2000", 1, 1e9, NULL,
        "Seeded sample of source images the model predicts to find failing examples."),
    JOB("repair.val", AR_KEY_INT, repair.val, "500", 1, 1e9, NULL,
        "Held-out validation images (disjoint from the pool) that select the candidate."),
    JOB("repair.failing", AR_KEY_INT, repair.failing, "500", 0, 1e9, NULL, "At most this many misclassified pool images in the repair set."),
    JOB("repair.sample", AR_KEY_INT, repair.sample, "500", 0, 1e9, NULL, "Plus this many correctly classified pool images."),
    JOB("repair.augment", AR_KEY_FLOAT, repair.augment, "0.5", 0, 1, NULL,
        "Probability that a pool or validation image is corrupted on the fly (0 = clean images only)."),
    JOB("repair.corruptions", AR_KEY_STRINGS, repair.corruptions, "[\"all\"]", AR_ANY, NULL,
        "Corruptions of the augmentation: names, categories (noise, blur, weather, digital) or [\"all\"] for the 15 benchmark ones. Evaluation sets of other corruptions are reported as held-out."),
    JOB("repair.severities", AR_KEY_INTS, repair.severities, "[1, 2, 3, 4, 5]", 1, 5, NULL, "Severities of the augmentation."),
    JOB("repair.blocks", AR_KEY_STRINGS, repair.blocks, "[]", AR_ANY, NULL,
        "Target blocks; empty = the top_k of the localization ranking."),
    JOB("repair.top_k", AR_KEY_INT, repair.top_k, "2", 1, 64, NULL, "Blocks of the ranking tried as targets."),
    JOB("repair.ranking", AR_KEY_ENUM, repair.ranking, "\"probe\"", AR_ANY, "probe|spectrum",
        "How blocks are ranked when repair.blocks is empty: probe (every block repaired briefly with block-weights for repair.probe_epochs, ranked by the selection rule on the validation images: one task per block; predicts the repair gain better, costs about two epochs of every block) or spectrum (the paper's adversarial-aware spectrum analysis of the repair pool's failing examples with the [localize] settings: one task) (docs/repair.md \"Which block: spectrum or probe\")."),
    JOB("repair.probe_epochs", AR_KEY_INT, repair.probe_epochs, "2", 1, 10000, NULL,
        "repair.ranking = \"probe\": block-weights training epochs of each block's probe (then interpolated to the clean bound as candidates are)."),
    JOB("repair.layer", AR_KEY_STRING, repair.layer, "\"\"", AR_ANY, NULL,
        "Layer method: the node to retrain; empty = the first conv of each target block."),
    JOB("repair.nodes", AR_KEY_INTS, repair.nodes, "[4]", 1, 8, NULL, "Search variants: intermediate nodes of the cell."),
    JOB("repair.ops", AR_KEY_STRINGS, repair.ops,
        "[\"none\", \"max_pool_3x3\", \"avg_pool_3x3\", \"skip_connect\", \"sep_conv_3x3\", \"sep_conv_5x5\", \"dil_conv_3x3\", \"dil_conv_5x5\", \"conv_3x3\"]",
        AR_ANY, "none|max_pool_3x3|avg_pool_3x3|skip_connect|sep_conv_3x3|sep_conv_5x5|dil_conv_3x3|dil_conv_5x5|conv_3x3",
        "Candidate ops of every cell edge."),
    JOB("repair.seeds", AR_KEY_INTS, repair.seeds, "[0]", 0, 1e9, NULL, "Search variants: seeds (combined with job.seed and the block)."),
    JOB("repair.lrs", AR_KEY_FLOATS, repair.lrs, "[0.025]", 1e-6, 10, NULL, "Search variants: SGD learning rates of the weights."),
    JOB("repair.rungs", AR_KEY_INT, repair.rungs, "1", 1, 8, NULL,
        "Successive-halving rungs: rung r trains with epochs / 2^(rungs-1-r), the better half goes on."),
    JOB("repair.search_epochs", AR_KEY_INT, repair.search_epochs, "10", 1, 10000, NULL,
        "Search epochs (baselines: train search_epochs + finetune_epochs epochs)."),
    JOB("repair.finetune_epochs", AR_KEY_INT, repair.finetune_epochs, "5", 0, 10000, NULL, "Fine-tuning epochs of the discrete cell."),
    JOB("repair.finetune_all_epochs", AR_KEY_INT, repair.finetune_all_epochs, "-1", -1, 10000, NULL,
        "After a candidate's own training (archrepair, random-cell, block-weights, layer), this many more epochs train the whole network at repair.finetune_lr (cosine to 0.001); 0 = none; -1 = each method's default: 4 for archrepair and random-cell (archrepair followed by a whole-network fine-tune, the best archrepair variant measured: docs/repair.md), 0 for block-weights and layer. Halved per earlier rung like the other epochs."),
    JOB("repair.batch", AR_KEY_INT, repair.batch, "64", 1, 4096, NULL, "Images per training step."),
    JOB("repair.finetune_lr", AR_KEY_FLOAT, repair.finetune_lr, "0.01", 1e-6, 10, NULL, "SGD learning rate of the fine-tuning."),
    JOB("repair.alpha_lr", AR_KEY_FLOAT, repair.alpha_lr, "0.03", 1e-7, 10, NULL, "Adam learning rate of the architecture weights alpha (DARTS uses 3e-4 over ~50 epochs; short repair budgets need more)."),
    JOB("repair.max_clean_drop", AR_KEY_FLOAT, repair.max_clean_drop, "0.005", 0, 1, NULL, "Selection constraint: a candidate qualifies only if its clean validation accuracy is at most this much below the original model's; none qualifies = the original model is kept."),
    JOB("repair.channels", AR_KEY_INT, repair.channels, "0", 0, 4096, NULL, "Cell channels; 0 = the block's width."),
    JOB("repair.partial_channels", AR_KEY_INT, repair.partial_channels, "0", 0, 64, NULL,
        "Partial-channel search (PC-DARTS): each relaxed edge's mixture sees 1/K of the cell's channels, the rest pass it by, so the search's ops cost about 1/K; the discrete cell is full width (docs/repair.md). The cell's channels must divide by K. 1 = every channel (DARTS); 0 = 4, or 2 or 1 where the cell's channels do not divide by 4 (the same accuracy as 1 at half the search cost in the measurements)."),
    JOB("repair.keep_shortcut", AR_KEY_BOOL, repair.keep_shortcut, "true", AR_ANY, NULL,
        "Keep the block's residual shortcut (and dense concat) around the cell."),
    JOB("repair.seed_original", AR_KEY_BOOL, repair.seed_original, "true", AR_ANY, NULL,
        "Keep the original block branch beside the cell, so the search starts from the original network."),
    JOB("repair.interpolate", AR_KEY_BOOL, repair.interpolate, "true", AR_ANY, NULL,
        "Weight interpolation to the clean bound: the candidate becomes (1-a)*original + a*repaired (archrepair with seed_original: the original branch mixed so, the cell's contribution scaled by a) with the largest a in 1, 7/8, ..., 1/8 whose clean validation accuracy is within repair.max_clean_drop (docs/repair.md)."),
    JOB("repair.distill", AR_KEY_FLOAT, repair.distill, "0.5", 0, 1, NULL,
        "Distillation: weight w of the original model's softmax on the clean version of each repair image in the training target, (1-w)*label + w*teacher; keeps clean behaviour while the repair learns the corruptions (0 = labels only)."),
    JOB("repair.keep_best", AR_KEY_BOOL, repair.keep_best, "false", AR_ANY, NULL,
        "Each candidate ends on the best epoch of its last training phase whose clean validation accuracy is within repair.max_clean_drop (ranked as the selection does), not on its last epoch; none within = the last."),
    JOB("repair.resample", AR_KEY_BOOL, repair.resample, "true", AR_ANY, NULL,
        "Draw the repair images' corruptions (and whether an image is corrupted) afresh every training epoch instead of once per image; the frozen prefix is recomputed per epoch."),
    JOB("repair.micro_batch", AR_KEY_INT, repair.micro_batch, "0", 0, 4096, NULL,
        "Data-parallel candidates: each training step's batch is cut into micro-batches of this many images (BatchNorm statistics per micro-batch), and up to batch / micro_batch workers train one candidate together, adding the block's gradients at every step (among themselves, or through the coordinator: [run] reduce); the result depends on micro_batch, never on how many workers ran it (docs/distributed.md). 0 = whole-batch steps, one worker per candidate."),
    JOB("repair.budget", AR_KEY_INT, repair.budget, "0", 0, 1e15, NULL,
        "Training image-passes per candidate at the last rung (an image through one training step, forward and backward): the epochs become budget / repair-set size, split as the epoch keys split them (the method's own training : finetune_all_epochs; archrepair's own as search_epochs : finetune_epochs); 0 = the epoch keys as given."),
    JOB("localize.count", AR_KEY_INT, localize.count, "1000", 1, 1e9, NULL,
        "Failing (misclassified) examples analysed; as many correctly classified ones are the passing set. Repair jobs use repair.failing examples of the repair pool instead (the other localize keys apply to them)."),
    JOB("localize.source", AR_KEY_STRING, localize.source, "\"all\"", AR_ANY, NULL,
        "Where examples come from: all (every set of the job), clean, corrupted (every corruption set) or one set label such as \"fog/3\". Not used by repair jobs (their examples come from the repair pool)."),
    JOB("localize.adversarial", AR_KEY_ENUM, localize.adversarial, "\"fgsm\"", AR_ANY, "none|fgsm|pgd",
        "Adversarial versions of the passing examples; those that flip the prediction count as failing."),
    JOB("localize.eps", AR_KEY_FLOAT, localize.eps, "8.0", 0.001, 255, NULL, "Adversarial L-inf budget in pixel/255 units."),
    JOB("localize.steps", AR_KEY_INT, localize.steps, "10", 1, 1000, NULL, "PGD steps."),
    JOB("localize.step_size", AR_KEY_FLOAT, localize.step_size, "2.0", 0.001, 255, NULL, "PGD step in pixel/255 units."),
    JOB("localize.formula", AR_KEY_ENUM, localize.formula, "\"ochiai\"", AR_ANY, "tarantula|ochiai|dstar",
        "Spectrum formula of a neuron's suspiciousness (docs/localization.md)."),
    JOB("localize.threshold", AR_KEY_ENUM, localize.threshold, "\"passing_mean\"", AR_ANY, "fixed|passing_mean",
        "A neuron is activated when its spatially averaged post-BN output exceeds this: a fixed value or its mean over the passing examples."),
    JOB("localize.threshold_value", AR_KEY_FLOAT, localize.threshold_value, "0.0", -1e6, 1e6, NULL,
        "The fixed activation threshold."),
    JOB("localize.gradient_scale", AR_KEY_ENUM, localize.gradient_scale, "\"weight\"", AR_ANY, "weight|raw",
        "Multiply a neuron's mean absolute weight gradient by the rms of its weights (invariant to rescaling a conv before BN), or not."),
    JOB("localize.gradient_norm", AR_KEY_ENUM, localize.gradient_norm, "\"layer_mean\"", AR_ANY, "layer_mean|global|layer|none",
        "Normalisation of the gradient weight: by its layer's mean, the model's max, its layer's max, or none."),
    JOB("localize.aggregate", AR_KEY_ENUM, localize.aggregate, "\"max\"", AR_ANY, "mean|max|topk",
        "Block (and layer) score from its neurons' suspiciousness."),
    JOB("localize.top_k", AR_KEY_INT, localize.top_k, "10", 1, 1000000, NULL, "Neurons averaged by aggregate = \"topk\"."),
    JOB("run.ranks", AR_KEY_INT, run.ranks, "0", 0, 65536, NULL,
        "Expected number of MPI ranks (0 = whatever mpirun starts); a mismatch is an error."),
    JOB("run.threads", AR_KEY_INT, run.threads, "0", 0, 256, NULL,
        "Threads per rank: every task's conv, BatchNorm and element-wise kernels and OpenBLAS (results are the same bits for any count); 0 = run.blas_threads if set, else cores per node / ranks per node (at least 1)."),
    JOB("run.blas_threads", AR_KEY_INT, run.blas_threads, "0", 0, 256, NULL,
        "The older name of run.threads (run.threads wins when both are set)."),
    JOB("run.heartbeat_s", AR_KEY_FLOAT, run.heartbeat_s, "1.0", 0.01, 60, NULL, "Seconds between worker heartbeats."),
    JOB("run.heartbeat_timeout_s", AR_KEY_FLOAT, run.heartbeat_timeout_s, "30.0", 0.1, 86400, NULL,
        "A worker silent this many seconds is declared lost (at least twice run.heartbeat_s)."),
    JOB("run.shard_size", AR_KEY_INT, run.shard_size, "1000", 1, 10000000, NULL, "Images per evaluation task."),
    JOB("run.task_timeout_s", AR_KEY_FLOAT, run.task_timeout_s, "0", 0, 1e7, NULL,
        "A task with no result for this many seconds fails the job, naming it and its worker "
        "(0 = no limit). Heartbeats show a worker is alive; this shows it progresses."),
    JOB("run.checkpoint_s", AR_KEY_FLOAT, run.checkpoint_s, "300", 0, 1e7, NULL,
        "While a round runs, write the checkpoint (<job.output>.ckpt) at most this often, when new "
        "results came in since the last one; it is also written at the end of every round and when "
        "the job fails or is interrupted, and removed once the output is written. 0 = only at "
        "round ends (and on failure). `archrepair-coord --resume JOB.toml` continues from it."),
    JOB("run.startup_timeout_s", AR_KEY_FLOAT, run.startup_timeout_s, "60.0", 1, 86400, NULL,
        "A worker that has not said HELLO this many seconds after start fails the job."),
    JOB("run.credit", AR_KEY_INT, run.credit, "2", 1, 64, NULL,
        "Tasks a worker asks for ahead of the one it runs (flow control; more hides latency)."),
    JOB("run.transport", AR_KEY_ENUM, run.transport, "\"auto\"", AR_ANY, "auto|ipc|tcp",
        "Data plane: auto = ipc:// when all ranks share a host, else TCP; $AR_ZMQ_TRANSPORT overrides."),
    JOB("run.reduce", AR_KEY_ENUM, run.reduce, "\"tree\"", AR_ANY, "tree|coordinator",
        "How the workers sharing a data-parallel candidate add their gradients at each step: "
        "tree = among themselves, along a binary tree of direct worker-to-worker links (in a "
        "repair job with micro_batch set, each worker binds a socket of its own, on the interface "
        "of `address`); coordinator = each "
        "sends its part to the coordinator, which answers them all (for workers that cannot "
        "accept connections). The result is bit-identical either way."),
    JOB("run.address", AR_KEY_STRING, run.address, "\"\"", AR_ANY, NULL,
        "IPv4 address or interface name (e.g. \"ib0\") the coordinator binds when ranks span hosts; "
        "empty = its host name's address; $AR_ZMQ_ADDRESS overrides."),
    JOB("run.hwm", AR_KEY_INT, run.hwm, "1000", 1, 1000000, NULL, "ZeroMQ high-water mark (messages queued per socket)."),
    JOB("run.max_message_mb", AR_KEY_INT, run.max_message_mb, "256", 1, 2047, NULL,
        "Largest message accepted on the data plane, MiB; bigger ones are refused."),
    JOB("run.log_level", AR_KEY_ENUM, run.log_level, "\"info\"", AR_ANY, "debug|info|warn|error",
        "Lowest level of log lines printed."),
};

#define JOB_NKEYS ((int)(sizeof job_schema / sizeof job_schema[0]))

const ar_key_spec_t *ar_job_schema(int *n)
{
    *n = JOB_NKEYS;
    return job_schema;
}

int ar_job_key_line(const ar_job_config_t *job, const char *key)
{
    int line = 0;
    if (job->doc) ar_config_type(job->doc, key, &line);
    return line;
}

const char *ar_job_name(const ar_job_config_t *job) { return job->doc ? ar_config_name(job->doc) : "job"; }

void ar_job_free(ar_job_config_t *job)
{
    if (!job) return;
    ar_schema_free(job_schema, JOB_NKEYS, job);
    ar_config_destroy(&job->doc);
    free(job->text);
    memset(job, 0, sizeof *job);
}

static int bad(const ar_job_config_t *job, const char *key, ar_err_t *err, const char *what)
{
    return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' %s", ar_job_name(job), ar_job_key_line(job, key), key, what);
}

/* Checks that span several keys or need more than a range. */
static int check_job(const ar_job_config_t *job, ar_err_t *err)
{
    const char *nonempty[] = {"job.output", "data.path", "model.path"};
    const char *vals[] = {job->job.output, job->data.path, job->model.path};
    int nneed = strcmp(job->job.kind, "stats") == 0 ? 2 : 3; /* stats reads no model */
    for (int i = 0; i < nneed; i++)
        if (!vals[i][0]) return bad(job, nonempty[i], err, "must not be empty");
    if (job->data.mean.n != job->data.std.n)
        return bad(job, job->data.mean.n ? "data.mean" : "data.std", err,
                   "must have as many entries as the other of data.mean/data.std (one per channel)");
    if (job->data.mean.n > 4) return bad(job, "data.mean", err, "has more than 4 channels");
    if (job->run.heartbeat_timeout_s < 2 * job->run.heartbeat_s)
        return bad(job, "run.heartbeat_timeout_s", err, "must be at least twice run.heartbeat_s");
    static const char *const methods[] = {"archrepair", "finetune", "layer", "block-weights", "bn-adapt",
                                          "random-cell"};
    for (int k = 0; k < job->repair.methods.n; k++) {
        int known = 0;
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            known |= !strcmp(job->repair.methods.v[k], methods[m]);
        if (!known)
            return bad(job, "repair.methods", err,
                       "names an unknown method (archrepair, finetune, layer, block-weights, bn-adapt, "
                       "random-cell)");
        for (int m = 0; m < k; m++)
            if (!strcmp(job->repair.methods.v[k], job->repair.methods.v[m]))
                return bad(job, "repair.methods", err, "lists a method twice");
    }
    for (int i = 0; i < job->data.corrupted.n; i++) {
        const ar_cset_cfg_t *c = ar_job_cset(job, i);
        char key[96];
        if (strcmp(c->kind, "collection") == 0 && !c->path[0]) {
            snprintf(key, sizeof key, "data.corrupted[%d].kind", i);
            return bad(job, key, err, "= 'collection' needs a path");
        }
        snprintf(key, sizeof key, "data.corrupted[%d].corruptions", i);
        if (c->corruptions.n == 0) return bad(job, key, err, "must name at least one corruption (or \"all\")");
        for (int k = 0; k < c->corruptions.n; k++) {
            const char *nm = c->corruptions.v[k];
            if (strcmp(nm, "all") == 0 && c->corruptions.n > 1) return bad(job, key, err, "mixes \"all\" with names");
            if (!nm[0] || strchr(nm, '/') || strlen(nm) > 63)
                return bad(job, key, err, "holds an invalid corruption name (empty, '/' or longer than 63)");
            for (int m = 0; m < k; m++)
                if (strcmp(nm, c->corruptions.v[m]) == 0) return bad(job, key, err, "lists a corruption twice");
        }
        snprintf(key, sizeof key, "data.corrupted[%d].severities", i);
        if (c->severities.n == 0) return bad(job, key, err, "must list at least one severity");
        for (int k = 0; k < c->severities.n; k++)
            for (int m = 0; m < k; m++)
                if (c->severities.v[k] == c->severities.v[m]) return bad(job, key, err, "lists a severity twice");
    }
    return AR_OK;
}

static int load_doc(ar_config_t *doc, const char *text, ar_job_config_t *job, ar_err_t *err)
{
    memset(job, 0, sizeof *job);
    if (!doc) return err ? err->status : AR_E_CONFIG;
    job->doc = doc;
    job->text = strdup(text);
    int st = job->text ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!st) st = ar_schema_load(job_schema, JOB_NKEYS, doc, job, err);
    if (!st) st = check_job(job, err);
    if (st) ar_job_free(job);
    return st;
}

int ar_job_load_string(const char *text, const char *name, ar_job_config_t *job, ar_err_t *err)
{
    return load_doc(ar_config_parse_string(text, name, err), text, job, err);
}

int ar_job_load_file(const char *path, ar_job_config_t *job, ar_err_t *err)
{
    memset(job, 0, sizeof *job);
    size_t len;
    char *text = ar_read_text_file(path, &len, err);
    if (!text) return err ? err->status : AR_E_IO;
    int st = load_doc(ar_config_parse_string(text, path, err), text, job, err);
    free(text);
    return st;
}

int ar_job_doc_markdown(FILE *out)
{
    return ar_schema_markdown(
        job_schema, JOB_NKEYS, "Job configuration (JOB.toml)",
        "Generated from the schema table in `common/config/job_config.c` by `archrepair config --doc`;\n"
        "do not edit by hand (a test checks that this file equals the generated text).\n\n"
        "A job file is TOML. Unknown keys, wrong types and out-of-range values are errors that name\n"
        "the key and its line. Keys without a default are required. Defaults are shown as TOML values.\n"
        "Relative paths are relative to the directory the job is started from.\n"
        "`archrepair config check JOB.toml` validates a job (and that its model, data paths, corruption names\n"
        "and output directory are usable; `--no-files`: the text only) and prints every effective value.\n",
        out);
}
