/* cmd_train.c - `archrepair train MODEL DATA --out OUT.h5`: trains a zoo
 * model (or continues a model file) on a dataset with SGD or Adam.
 *
 * The training split is read into memory once (uint8), shuffled per epoch
 * with the stream of (seed, epoch), optionally augmented (random crop with
 * 4-pixel zero padding and horizontal flip, per image from (seed, epoch,
 * index)), normalised with the model's mean/std (for a zoo model: the
 * per-channel mean/std of the training pixels). The learning rate follows the
 * schedule per epoch, as PyTorch's scheduler.step() once per epoch does.
 * After every epoch the test split is evaluated and the model written to OUT
 * (atomically), so an interrupted run leaves the last complete epoch.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/fsutil.h"
#include "core/par.h"
#include "core/rng.h"
#include "nn/model_io.h"
#include "nn/optim.h"
#include "nn/plan.h"
#include "nn_cli.h"

static const char *NAME = "train";

static void usage(void)
{
    printf("Usage: archrepair train MODEL DATA --out OUT.h5 [options]\n\n"
           "Trains MODEL (a zoo name: resnet20, resnet32, resnet56, resnet18, resnet34,\n"
           "resnet50, resnet101, densenet121; or a model file to continue) on DATA.\n\n"
           "Options:\n"
           "  --out PATH           model file written after every epoch (required)\n"
           "  --split S            training split (default train)\n"
           "  --test-split S       evaluated after every epoch (default: the format's held-out\n"
           "                       split, test or Tiny-ImageNet's val; none: skip)\n"
           "  --epochs N           (default 30)\n"
           "  --batch N            (default 128)\n"
           "  --optim sgd|adam     (default sgd)\n"
           "  --lr X               base learning rate (default 0.1)\n"
           "  --schedule S         constant, step, cosine (default cosine over the epochs)\n"
           "  --step-size N        step schedule: epochs per decay (default 30)\n"
           "  --gamma X            step schedule: decay factor (default 0.1)\n"
           "  --warmup N           linear warm-up epochs from lr/10 (default 0)\n"
           "  --momentum X         SGD momentum (default 0.9)\n"
           "  --nesterov           Nesterov momentum\n"
           "  --wd X               weight decay (default 5e-4)\n"
           "  --augment on|off     random crop (pad 4) + horizontal flip (default on)\n"
           "  --seed N             initialisation, shuffling, augmentation (default 1)\n"
           "  --width X            zoo channel multiplier (default 1)\n"
           "  --limit N            only the first N training images\n"
           "  --test-limit N       only the first N test images\n"
           "  --threads N          threads of the conv kernels and of image decoding (default:\n"
           "                       the cores available; same results)\n"
           "On a terminal a progress bar shows loss, accuracy and images/s; otherwise\n"
           "one line per epoch. OPENBLAS_NUM_THREADS sets the BLAS threads (use 1 with --threads).\n");
}

typedef struct train_args {
    const char *model, *data, *out, *split, *test_split, *optim, *schedule, *augment;
    int epochs, batch, nesterov, threads;
    double lr, step_size, gamma, warmup, momentum, wd, width;
    long long seed, limit, test_limit;
} train_args_t;

static int parse(int argc, char **argv, train_args_t *a)
{
    *a = (train_args_t){.split = "train", .test_split = NULL, .optim = "sgd",
                        .schedule = "cosine", .augment = "on", .epochs = 30, .batch = 128,
                        .lr = 0.1, .step_size = 30, .gamma = 0.1, .momentum = 0.9, .wd = 5e-4,
                        .width = 1, .seed = 1, .threads = ar_cli_default_threads()};
    const ar_opt_t opts[] = {
        AR_STR("out", &a->out),
        AR_STR("split", &a->split),
        AR_STR("test-split", &a->test_split),
        AR_STR("optim", &a->optim),
        AR_STR("schedule", &a->schedule),
        AR_STR("augment", &a->augment),
        AR_FLAG("nesterov", &a->nesterov),
        AR_INT("epochs", &a->epochs, 1, INT_MAX),
        AR_INT("batch", &a->batch, 2, INT_MAX),
        AR_DOUBLE("lr", &a->lr, AR_OPT_POSITIVE),
        AR_DOUBLE("step-size", &a->step_size, AR_OPT_POSITIVE),
        AR_DOUBLE("gamma", &a->gamma, AR_OPT_NONNEG),
        AR_DOUBLE("warmup", &a->warmup, AR_OPT_NONNEG),
        AR_DOUBLE("momentum", &a->momentum, AR_OPT_NONNEG),
        AR_DOUBLE("wd", &a->wd, AR_OPT_NONNEG),
        AR_DOUBLE("width", &a->width, AR_OPT_POSITIVE),
        AR_LLONG("seed", &a->seed, 0, LLONG_MAX),
        AR_LLONG("limit", &a->limit, 0, LLONG_MAX),
        AR_LLONG("test-limit", &a->test_limit, 0, LLONG_MAX),
        AR_INT("threads", &a->threads, 1, AR_PAR_MAX),
        AR_OPT_END};
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    int rc = ar_cli_opts(NAME, opts, argc, argv, pos, 2, &npos);
    if (rc) return rc;
    a->model = pos[0], a->data = pos[1];
    if (npos != 2) return ar_cli_usage_error(NAME, "needs MODEL and DATA");
    if (!a->out) return ar_cli_usage_error(NAME, "--out is required");
    if (strcmp(a->optim, "sgd") && strcmp(a->optim, "adam"))
        return ar_cli_usage_error(NAME, "--optim must be sgd or adam");
    if (ar_lr_kind_parse(a->schedule) < 0)
        return ar_cli_usage_error(NAME, "--schedule must be constant, step or cosine");
    if (strcmp(a->augment, "on") && strcmp(a->augment, "off"))
        return ar_cli_usage_error(NAME, "--augment must be on or off");
    return 0;
}

/* Per-channel mean and std of uint8 pixels, scaled to [0, 1]. */
static void pixel_stats(const uint8_t *px, int64_t n, int c, float *mean, float *sd)
{
    for (int k = 0; k < c; k++) {
        double s = 0, s2 = 0;
        for (int64_t i = k; i < n * c; i += c) s += px[i], s2 += (double)px[i] * px[i];
        double m = s / n, var = s2 / n - m * m;
        mean[k] = (float)(m / 255.0);
        sd[k] = (float)(sqrt(var > 1e-6 ? var : 1e-6) / 255.0);
    }
}

/* Random crop with 4-pixel zero padding and horizontal flip, in place. */
static void augment(uint8_t *img, uint8_t *tmp, int h, int w, int c, ar_rng_t *r)
{
    int dy = (int)ar_rng_below(r, 9) - 4, dx = (int)ar_rng_below(r, 9) - 4;
    int flip = (int)ar_rng_below(r, 2);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
            for (int k = 0; k < c; k++)
                tmp[(y * w + x) * c + k] = sy >= 0 && sy < h && sx >= 0 && sx < w ? img[(sy * w + sx) * c + k] : 0;
        }
    memcpy(img, tmp, (size_t)h * w * c);
}

typedef struct trainer {
    train_args_t a;
    ar_graph_t *g;
    ar_dataset_t *train, *test;
    uint8_t *px;            /* training images, uint8 NHWC */
    int32_t *labels;
    int64_t n;
    ar_plan_t *plan;
    ar_optim_t *opt;
    ar_lr_sched_t sched;
} trainer_t;

static int load_train(trainer_t *t, ar_err_t *err)
{
    const ar_dataset_info_t *in = ar_dataset_info(t->train);
    t->n = t->a.limit > 0 && t->a.limit < in->count ? t->a.limit : in->count;
    size_t img = (size_t)in->height * in->width * in->channels;
    t->px = malloc((size_t)t->n * img);
    t->labels = malloc((size_t)t->n * sizeof *t->labels);
    if (!t->px || !t->labels) return ar_err_set(err, AR_E_NOMEM, "cannot hold %lld training images", (long long)t->n);
    return ar_dataset_read_u8(t->train, 0, t->n, t->px, t->labels, err);
}

static int epoch(trainer_t *t, int e, double *loss_out, double *acc_out, double *ips, ar_err_t *err)
{
    ar_graph_t *g = t->g;
    const int B = t->a.batch, h = g->in_h, w = g->in_w, c = g->in_c;
    const size_t img = (size_t)h * w * c;
    int64_t *idx = malloc((size_t)t->n * sizeof *idx);
    uint8_t *bpx = malloc((size_t)B * img), *tmp = malloc(img);
    int32_t *blab = malloc((size_t)B * sizeof *blab);
    ar_tensor_t x = ar_tensor_4d(B, c, h, w);
    int st = AR_OK;
    if (!idx || !bpx || !tmp || !blab || ar_tensor_alloc(&x) != 0) {
        st = ar_err_set(err, AR_E_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < t->n; i++) idx[i] = i;
    ar_rng_t r;
    ar_rng_init(&r, ar_rng_key((uint64_t)t->a.seed, (uint64_t[]){ar_rng_hash_str("shuffle"), (uint64_t)e}, 2));
    ar_rng_shuffle(&r, idx, t->n);
    double lr = ar_lr_at(&t->sched, e), t0 = ar_now(), loss_sum = 0;
    int64_t seen = 0, correct = 0;
    int aug = strcmp(t->a.augment, "on") == 0;
    char label[64];
    snprintf(label, sizeof label, "epoch %d/%d", e + 1, t->a.epochs);
    ar_progress_t pr;
    ar_progress_begin(&pr, label);
    for (int64_t s = 0; s + 2 <= t->n; s += B) {
        int b = (int)(t->n - s < B ? t->n - s : B); /* a last batch of 1 is dropped (BN) */
        for (int i = 0; i < b; i++) {
            int64_t k = idx[s + i];
            memcpy(bpx + i * img, t->px + (size_t)k * img, img);
            blab[i] = t->labels[k];
            if (aug) {
                ar_rng_t ra;
                ar_rng_init(&ra, ar_rng_key((uint64_t)t->a.seed, (uint64_t[]){ar_rng_hash_str("augment"), (uint64_t)e, (uint64_t)k}, 3));
                augment(bpx + i * img, tmp, h, w, c, &ra);
            }
        }
        ar_normalize_nhwc(bpx, b, h, w, c, g->mean, g->std, x.data);
        x.shape[0] = b;
        if ((st = ar_plan_forward(t->plan, &x, AR_MODE_TRAIN, err))) break;
        int64_t ok = 0;
        double loss = ar_plan_loss(t->plan, blab, &ok);
        if (!isfinite(loss)) {
            st = ar_err_set(err, AR_E_NUMERIC, "loss is %g at epoch %d, batch %lld (lower --lr?)",
                            loss, e + 1, (long long)(s / B));
            break;
        }
        if ((st = ar_plan_backward(t->plan, err))) break;
        ar_optim_step(t->opt, lr);
        loss_sum += loss * b, correct += ok, seen += b;
        char status[160];
        snprintf(status, sizeof status, "loss %.4f  acc %.2f%%  %.0f img/s  lr %.4g",
                 loss_sum / seen, 100.0 * correct / seen, seen / (ar_now() - t0 + 1e-9), lr);
        ar_progress_update(&pr, seen, t->n, status);
    }
    ar_progress_end(&pr, NULL);
    *loss_out = seen ? loss_sum / seen : 0;
    *acc_out = seen ? (double)correct / seen : 0;
    *ips = seen / (ar_now() - t0 + 1e-9);
done:
    free(idx);
    free(bpx);
    free(tmp);
    free(blab);
    ar_tensor_free(&x);
    return st;
}

static int run(trainer_t *t, ar_err_t *err)
{
    train_args_t *a = &t->a;
    ar_par_set_default_threads(a->threads); /* decoding image files */
    ar_data_source_t src = {.path = a->data, .split = a->split};
    if (!(t->train = ar_dataset_open(&src, err))) return err->status;
    src.split = a->test_split;
    if ((!a->test_split || strcmp(a->test_split, "none") != 0) && !(t->test = ar_dataset_open(&src, err)))
        return err->status;
    const ar_dataset_info_t *in = ar_dataset_info(t->train);
    ar_zoo_opts_t zo = {.in_c = in->channels, .in_h = in->height, .in_w = in->width,
                        .num_classes = in->num_classes, .width = a->width, .seed = (uint64_t)a->seed};
    int is_file = ar_file_size(a->model) >= 0;
    if (!(t->g = ar_cli_model(a->model, &zo, err))) return err->status;
    ar_graph_t *g = t->g;
    if (g->in_c != in->channels || g->in_h != in->height || g->in_w != in->width)
        return ar_err_set(err, AR_E_ARG, "%s takes %dx%dx%d images, %s has %dx%dx%d (HxWxC)", a->model,
                          g->in_h, g->in_w, g->in_c, in->name, in->height, in->width, in->channels);
    if (in->num_classes > g->num_classes)
        return ar_err_set(err, AR_E_ARG, "%s has %d classes, the model %d", in->name, in->num_classes, g->num_classes);
    int st = load_train(t, err);
    if (st) return st;
    if (!is_file) {
        float mean[16], sd[16];
        if (g->in_c > 16) return ar_err_set(err, AR_E_ARG, "more than 16 channels");
        pixel_stats(t->px, t->n * g->in_h * g->in_w, g->in_c, mean, sd);
        ar_graph_set_norm(g, mean, sd);
    }
    ar_plan_opts_t po = {.batch = a->batch, .grads = 1, .lean = 1, .threads = a->threads};
    if (!(t->plan = ar_plan_new(g, &po, err))) return err->status;
    int nref = 0;
    const ar_param_ref_t *refs = ar_plan_params(t->plan, &nref);
    ar_optim_cfg_t oc = {.kind = strcmp(a->optim, "adam") ? AR_OPTIM_SGD : AR_OPTIM_ADAM,
                         .weight_decay = a->wd, .momentum = strcmp(a->optim, "adam") ? a->momentum : 0,
                         .nesterov = a->nesterov};
    if (!(t->opt = ar_optim_new(&oc, refs, nref, err))) return err->status;
    t->sched = (ar_lr_sched_t){.kind = ar_lr_kind_parse(a->schedule), .base = a->lr, .gamma = a->gamma,
                               .step_size = a->step_size, .t_max = a->epochs, .warmup = a->warmup,
                               .warmup_start = 0.1};
    fprintf(stderr, "train %s (%lld parameters, %.1f MMAC/image) on %s: %lld images, batch %d, %d epochs, plan %.0f MiB\n",
            g->arch, (long long)ar_graph_param_count(g, 1), ar_graph_macs(g) / 1e6, in->name,
            (long long)t->n, a->batch, a->epochs, ar_plan_bytes(t->plan) / 1048576.0);
    double t_start = ar_now(), test_acc = -1;
    for (int e = 0; e < a->epochs; e++) {
        double loss = 0, acc = 0, ips = 0;
        if ((st = epoch(t, e, &loss, &acc, &ips, err))) return st;
        if (t->test) {
            ar_cli_eval_t ev;
            if ((st = ar_cli_evaluate(g, t->test, 256, a->test_limit, a->threads, 0, &ev, err)))
                return st;
            test_acc = ev.count ? (double)ev.correct / ev.count : 0;
        }
        if ((st = ar_model_save(g, a->out, err))) return st;
        char tl[64] = "";
        if (test_acc >= 0) snprintf(tl, sizeof tl, "  test acc %.2f%%", 100 * test_acc);
        fprintf(stderr, "epoch %d/%d  lr %.4g  loss %.4f  train acc %.2f%%%s  %.0f img/s  %.0f s\n",
                e + 1, a->epochs, ar_lr_at(&t->sched, e), loss, 100 * acc, tl, ips, ar_now() - t_start);
    }
    printf("%s: trained %d epochs in %.0f s%s", a->out, a->epochs, ar_now() - t_start,
           test_acc >= 0 ? "" : "\n");
    if (test_acc >= 0) printf(", test accuracy %.4f\n", test_acc);
    return AR_OK;
}

int ar_cmd_train(int argc, char **argv)
{
    if (ar_cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    trainer_t t = {0};
    int rc = parse(argc, argv, &t.a);
    if (rc) return rc;
    ar_err_t err = {0};
    int st = run(&t, &err);
    ar_optim_destroy(&t.opt);
    ar_plan_destroy(&t.plan);
    ar_dataset_destroy(&t.train);
    ar_dataset_destroy(&t.test);
    ar_graph_destroy(&t.g);
    free(t.px);
    free(t.labels);
    return st ? ar_cli_fail(NAME, &err) : 0;
}
