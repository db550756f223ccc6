/* bench_dp_step.c - would data-parallel helpers pay in successive halving?
 * (docs/repair.md "Data-parallel helpers after a rung"). Three parts, each
 * on the real code:
 *
 * compute   one search step's work of a candidate: the repair trainer
 *           (common/repair/trainer.c) on a relaxed cell (cell.c, as
 *           search.c builds it) replacing block `layer3.0`, the rest frozen;
 *           ar_trainer_step (forward + loss + backward of the unfrozen range
 *           on the cached boundary) at batch 64 (the repair default) and at
 *           64/k for k = 2, 4, 8 workers sharing the batch, each with its own
 *           trainer planned for that batch. Process CPU time (1 BLAS thread,
 *           1 conv thread), so another engineer's load does not inflate it.
 *           Also the gradient (every unfrozen parameter: cell weights and
 *           alphas) in bytes, the alphas alone, the train-mode BN nodes
 *           (a split batch changes their batch statistics), and the time of
 *           ar_trainer_new's prefix pass over the repair + 2 validation sets
 *           and of one epoch-end validation (ar_trainer_eval of both). And
 *           how far the average of k part gradients (64/k images each) is
 *           from the batch-64 gradient, against the rounding alone (the same
 *           64 rows reversed): train-mode BN makes them differ.
 * setup     (--fmnist DIR, Fashion-MNIST only) ar_repair_set_build with the
 *           sizes of configs/fashion-mnist-repair.toml, as a helper that
 *           does not hold the set yet must do before it can help.
 * exchange  one data-parallel step through the real data plane (CURVE
 *           ROUTER/DEALER, common/comm/transport.c, and the validating
 *           codec, as tests/bench/bench_comm.c): k worker threads, each
 *           with its own keypair and ZeroMQ context, encode a RESULT with
 *           their f32 gradient and send it; the coordinator (main thread)
 *           receives and decodes the k, sums them in rank order (fixed, so
 *           the arrival order does not matter), scales by 1/k, encodes the
 *           average once as a TASK and sends it to all k; each worker
 *           decodes it before its next step. Wall time per step in steady
 *           state (best of REPEATS) and the process CPU time of all threads
 *           per step, at the measured gradient sizes.
 *
 * and prints the combination: a search step (one weight step on split A,
 * one alpha step on split B, as search.c) with k workers =
 * 2 compute(64/k) + exchange(k, all params) + exchange(k, alphas) against
 * 2 compute(64) alone.
 *
 *   OPENBLAS_NUM_THREADS=1 build-dp/tests/bench/bench_dp_step [--models fm,r20,r18]
 *       [--model-file models/fm_w05_20k.h5] [--fmnist /usr/share/datasets/fashion-mnist]
 *       [--nodes 4] [--reps 3] [--prefix 4000] [--no-exchange] [--xchg-floats N]
 *
 * Models: fm = resnet20 width 0.5 on 1x28x28 (loaded from --model-file when
 * it exists, else the zoo's), r20 = resnet20 width 1 on 3x32x32, r18 =
 * resnet18 on 3x32x32 (CIFAR, random weights and images: timing only).
 * --prefix: images of the prefix pass (repair 2000 + validation 2 x 1000,
 * the demo job's sizes; with --fmnist, fm uses the real sets). --xchg-floats N:
 * only the exchange, at N floats. Prints "DP {json}" lines and tables.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "comm/netaddr.h"
#include "comm/transport.h"
#include "core/fsutil.h"
#include "core/rng.h"
#include "corrupt/corrupt.h"
#include "nn/model_io.h"
#include "nn/zoo.h"
#include "proto/codec.h"
#include "repair/cell.h"
#include "repair/repair_set.h"
#include "repair/trainer.h"

#define NK 4
static const int KS[NK] = {1, 2, 4, 8}; /* workers sharing one candidate's batch */
#define BATCH 64

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- compute */

typedef struct setting {
    const char *key, *zoo;
    double width;
    int c, h, w;
} setting_t;

static const setting_t SETTINGS[] = {{"fm", "resnet20", 0.5, 1, 28, 28},
                                     {"r20", "resnet20", 1.0, 3, 32, 32},
                                     {"r18", "resnet18", 1.0, 3, 32, 32}};

typedef struct measured {
    double step[NK];          /* CPU s of one trainer step at batch 64/k */
    int64_t elems, alpha_elems;
    int bn_train;             /* unfrozen BN nodes (train mode in a step) */
    double grad_diff[NK];     /* |mean of k part gradients - batch-64 gradient| / |batch-64| */
    double round_diff;        /* the same for the batch-64 gradient of the rows reversed */
    double prefix_s, prefix_cpu; /* ar_trainer_new over --prefix images: wall, CPU */
    int prefix_n;
    double set_s, set_cpu;    /* ar_repair_set_build (fm with --fmnist), else 0 */
    double eval_cpu;          /* ar_trainer_eval of the 2 validation sets (an epoch's end) */
    int64_t nrepair;
    double x_full[NK], x_alpha[NK]; /* exchange wall s per step */
    double x_cpu[NK];         /* process CPU s per step of the full exchange (every thread) */
} measured_t;

static int random_images(ar_tensor_t *x, int32_t *y, int n, const setting_t *s, uint64_t seed,
                         ar_err_t *err)
{
    *x = ar_tensor_4d(n, s->c, s->h, s->w);
    if (ar_tensor_alloc(x)) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    ar_rng_t r;
    ar_rng_init(&r, seed);
    int64_t m = ar_tensor_numel(x);
    for (int64_t i = 0; i < m; i++) x->data[i] = (float)ar_rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = (int)ar_rng_below(&r, 10);
    return AR_OK;
}

/* The real repair set of the demo job (configs/fashion-mnist-repair.toml). */
static int build_fm_set(ar_graph_t *g, const char *dir, ar_repair_set_t *set, double *secs,
                        double *cpu, ar_err_t *err)
{
    ar_repair_set_cfg_t c = {.path = dir, .split = "train", .pool = 4000, .val = 1000,
                             .failing = 1000, .sample = 1000, .augment = 0.5,
                             .seed = 20230101, .mean = g->mean, .std = g->std, .batch = 256};
    for (int i = 0; i < AR_CORRUPT_COUNT; i++) c.corruptions[c.ncorruptions++] = i;
    for (int i = 1; i <= AR_CORRUPT_SEVERITIES; i++) c.severities[c.nseverities++] = i;
    double t0 = ar_now(), c0 = cpu_now();
    int st = ar_repair_set_build(g, &c, set, err);
    *secs = ar_now() - t0, *cpu = cpu_now() - c0;
    return st;
}

static int measure_compute(const setting_t *s, const char *model_file, const char *fmnist,
                           int nodes, int reps, int nprefix, measured_t *m, ar_err_t *err)
{
    ar_graph_t *g = NULL, *w = NULL;
    FILE *f = strcmp(s->key, "fm") == 0 && model_file ? fopen(model_file, "rb") : NULL;
    int from_file = f != NULL;
    if (from_file) {
        fclose(f);
        g = ar_model_load(model_file, err);
    } else {
        ar_zoo_opts_t zo = {.in_c = s->c, .in_h = s->h, .in_w = s->w, .num_classes = 10,
                            .width = s->width, .seed = 1};
        g = ar_zoo_build(s->zoo, &zo, err);
    }
    if (!g) return err->status;
    ar_cell_cfg_t cc = ar_cell_cfg_default();
    cc.nodes = nodes;
    cc.seed = 7;
    w = ar_cell_build(g, "layer3.0", &cc, NULL, err);
    int st = w ? AR_OK : err->status;

    /* step time per batch: a small set, one trainer per batch size */
    ar_tensor_t x = {0};
    int32_t y[256];
    float *avg = NULL, *ref = NULL;
    if (!st) st = random_images(&x, y, 256, s, 11, err);
    for (int k = 0; k < NK && !st; k++) {
        int b = BATCH / KS[k];
        ar_imgset_t set = {&x, y, NULL};
        ar_trainer_t *t = ar_trainer_new(w, b, &set, 1, err);
        if (!t) {
            st = err->status;
            break;
        }
        if (k == 0) { /* gradient size: every unfrozen trainable parameter */
            int n = 0;
            const ar_param_ref_t *p = ar_plan_params(ar_trainer_plan(t), &n);
            for (int i = 0; i < n; i++) {
                m->elems += p[i].numel;
                if (strcmp(p[i].name, "alpha") == 0) m->alpha_elems += p[i].numel;
            }
            for (int i = ar_trainer_first(t); i < w->nnodes; i++)
                m->bn_train += w->nodes[i].op == AR_OP_BATCHNORM2D && !w->nodes[i].frozen;
        }
        if (k == 0) {
            avg = malloc((size_t)m->elems * sizeof *avg);
            ref = malloc((size_t)m->elems * sizeof *ref);
            if (!avg || !ref) {
                ar_trainer_destroy(&t);
                st = ar_err_set(err, AR_E_NOMEM, "out of memory");
                break;
            }
        }
        int64_t idx[BATCH];
        double loss, best = 1e30;
        for (int r = 0; r <= reps && !st; r++) { /* r = 0: warm-up */
            for (int i = 0; i < b; i++) idx[i] = (r * 37 + i * 3) % 256;
            double t0 = cpu_now();
            st = ar_trainer_step(t, 0, idx, b, &loss, err);
            double dt = cpu_now() - t0;
            if (r > 0 && dt < best) best = dt;
        }
        m->step[k] = best;
        /* the averaged gradient of k parts of images 0..63 vs one batch of them */
        int n = 0;
        const ar_param_ref_t *p = ar_plan_params(ar_trainer_plan(t), &n);
        memset(avg, 0, (size_t)m->elems * sizeof *avg);
        for (int c = 0; c < KS[k] && !st; c++) {
            for (int i = 0; i < b; i++) idx[i] = c * b + i;
            st = ar_trainer_step(t, 0, idx, b, &loss, err);
            for (int i = 0, at = 0; i < n && !st; at += (int)p[i].numel, i++)
                for (int64_t j = 0; j < p[i].numel; j++) avg[at + j] += p[i].grad[j] / KS[k];
        }
        double dd = 0, rr = 0;
        if (k == 0) { /* rounding alone: the same 64 images in reverse order */
            memcpy(ref, avg, (size_t)m->elems * sizeof *ref);
            for (int i = 0; i < BATCH; i++) idx[i] = BATCH - 1 - i;
            if (!st) st = ar_trainer_step(t, 0, idx, BATCH, &loss, err);
            for (int i = 0, at = 0; i < n && !st; at += (int)p[i].numel, i++)
                for (int64_t j = 0; j < p[i].numel; j++) {
                    double d = p[i].grad[j] - ref[at + j];
                    dd += d * d, rr += (double)ref[at + j] * ref[at + j];
                }
            m->round_diff = rr > 0 ? sqrt(dd / rr) : 0;
            dd = rr = 0;
        }
        for (int64_t j = 0; j < m->elems; j++)
            dd += (avg[j] - ref[j]) * (avg[j] - ref[j]), rr += ref[j] * ref[j];
        m->grad_diff[k] = rr > 0 ? sqrt(dd / rr) : 0;
        ar_trainer_destroy(&t);
    }
    ar_tensor_free(&x);
    free(avg), free(ref);

    /* what a helper builds before its first step */
    ar_repair_set_t rs = {0};
    int have_set = 0;
    if (!st && from_file && fmnist) {
        st = build_fm_set(g, fmnist, &rs, &m->set_s, &m->set_cpu, err);
        have_set = !st;
        if (have_set) m->nrepair = rs.x.shape[0];
    }
    if (!st) {
        ar_tensor_t xs[3] = {{0}};
        int32_t *ys = NULL;
        ar_imgset_t sets[3];
        int nrep = nprefix / 2, nval = (nprefix - nrep) / 2;
        if (have_set) { /* the real sets: repair, clean and corrupted validation */
            sets[0] = (ar_imgset_t){&rs.x, rs.y, NULL};
            sets[1] = (ar_imgset_t){&rs.xvc, rs.yv, NULL};
            sets[2] = (ar_imgset_t){&rs.xvk, rs.yv, NULL};
        } else {
            ys = malloc((size_t)nprefix * sizeof *ys);
            if (!ys) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
            int counts[3] = {nrep, nval, nval}, at = 0;
            for (int i = 0; i < 3 && !st; i++) {
                st = random_images(&xs[i], ys + at, counts[i], s, 100 + (uint64_t)i, err);
                sets[i] = (ar_imgset_t){&xs[i], ys + at, NULL};
                at += counts[i];
            }
        }
        if (!st) m->prefix_n = (int)(sets[0].x->shape[0] + sets[1].x->shape[0] + sets[2].x->shape[0]);
        double t0 = ar_now(), c0 = cpu_now();
        ar_trainer_t *t = st ? NULL : ar_trainer_new(w, BATCH, sets, 3, err);
        m->prefix_s = ar_now() - t0, m->prefix_cpu = cpu_now() - c0;
        if (!st && !t) st = err->status;
        c0 = cpu_now(); /* one epoch's validation: both validation sets, eval mode */
        for (int v = 1; v < 3 && !st; v++) {
            int64_t ok, cnt;
            double vl;
            st = ar_trainer_eval(t, v, &ok, &cnt, &vl, err);
        }
        m->eval_cpu = cpu_now() - c0;
        ar_trainer_destroy(&t);
        for (int i = 0; i < 3; i++) ar_tensor_free(&xs[i]);
        free(ys);
    }
    if (have_set) ar_repair_set_free(&rs);
    ar_graph_destroy(&w);
    ar_graph_destroy(&g);
    return st;
}

/* --------------------------------------------------------------- exchange */

#define MAXK 8

typedef struct worker {
    const char *endpoint, *server_pub;
    ar_curve_keypair_t kp;
    int rank, steps;
    int64_t elems;
    int status;
    char errmsg[256];
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    ar_err_t err = {0};
    ar_net_opts_t o = ar_net_opts_default();
    char id[16];
    snprintf(id, sizeof id, "w%d", w->rank);
    float *grad = calloc((size_t)w->elems, sizeof *grad);
    ar_client_t *c = ar_client_new(w->endpoint, w->server_pub, &w->kp, id, &o, &err);
    int s = c && grad ? AR_OK : (err.status ? err.status : AR_E_NOMEM);
    ar_bytes_t b = {0};
    if (!s) {
        ar_msg_t hello = ar_msg_make(AR_MSG_HELLO, w->rank);
        strcpy(hello.u.hello.host, "localhost");
        hello.u.hello.threads = 1;
        s = ar_msg_encode(&hello, 0, &b, &err);
        if (!s) s = ar_client_send(c, b.data, b.len, &err);
        ar_bytes_free(&b);
    }
    for (int i = 0; !s && i < w->steps; i++) {
        grad[i % w->elems] += (float)w->rank; /* a gradient that changes */
        ar_msg_t m = ar_msg_make(AR_MSG_RESULT, w->rank);
        m.u.task.id = (uint64_t)i;
        strcpy(m.u.task.kind, "dp_grad");
        s = ar_fields_put_tensor(&m.body, "grad", AR_WDT_F32, 1, (int64_t[]){w->elems}, grad, &err);
        if (!s) s = ar_msg_encode(&m, 0, &b, &err);
        ar_msg_clear(&m);
        if (!s) s = ar_client_send(c, b.data, b.len, &err);
        ar_bytes_free(&b);
        uint8_t *d = NULL;
        size_t n = 0;
        int got = 0;
        if (!s) s = ar_client_recv(c, 120000, &d, &n, &got, &err);
        if (!s && !got) s = ar_err_set(&err, AR_E_TIMEOUT, "step %d: no average", i);
        ar_msg_t a;
        if (!s) s = ar_msg_decode(d, n, o.max_bytes, "coord", &a, &err);
        free(d);
        if (s) break;
        const ar_wtensor_t *t;
        s = ar_fields_get_tensor(&a.body, "avg", AR_WDT_F32, 1, &t, &err);
        if (!s && t->shape[0] != w->elems) s = ar_err_set(&err, AR_E_PROTO, "average size");
        if (!s) memcpy(grad, t->data, t->nbytes); /* what the optimiser would read */
        ar_msg_clear(&a);
    }
    w->status = s;
    if (s) snprintf(w->errmsg, sizeof w->errmsg, "%s", ar_err_msg(&err));
    ar_client_destroy(&c);
    free(grad);
    return NULL;
}

/* k workers, `steps` data-parallel steps of `elems` floats; *per_step = wall
 * seconds per step after `warm` warm-up steps. */
static int exchange(const char *endpoint, int k, int64_t elems, int warm, int steps,
                    double *per_step, double *cpu_per_step, ar_err_t *err)
{
    ar_curve_keypair_t skp;
    worker_t w[MAXK];
    const char *pubs[MAXK];
    int ranks[MAXK];
    pthread_t th[MAXK];
    memset(w, 0, sizeof w);
    if (ar_curve_keypair_new(&skp, err)) return err->status;
    for (int i = 0; i < k; i++) {
        if (ar_curve_keypair_new(&w[i].kp, err)) return err->status;
        pubs[i] = w[i].kp.pub;
        ranks[i] = i + 1;
    }
    ar_net_opts_t o = ar_net_opts_default();
    ar_server_t *srv = ar_server_new(endpoint, &skp, pubs, ranks, k, &o, err);
    if (!srv) return err->status;
    for (int i = 0; i < k; i++) {
        w[i] = (worker_t){.endpoint = ar_server_endpoint(srv), .server_pub = skp.pub,
                          .kp = w[i].kp, .rank = i + 1, .steps = warm + steps, .elems = elems};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    ar_peer_t peers[MAXK];
    ar_msg_t got_msg[MAXK];
    int have[MAXK] = {0}, hellos = 0, s = AR_OK;
    float *sum = malloc((size_t)elems * sizeof *sum);
    if (!sum) s = ar_err_set(err, AR_E_NOMEM, "out of memory");
    double t0 = 0, c0 = 0;
    for (int step = 0; !s && step < warm + steps;) {
        uint8_t *d = NULL;
        size_t n = 0;
        int got = 0;
        ar_peer_t from;
        s = ar_server_recv(srv, 120000, &d, &n, &from, &got, err);
        if (!s && !got) s = ar_err_set(err, AR_E_TIMEOUT, "step %d: no gradient for 120 s", step);
        char sender[16];
        snprintf(sender, sizeof sender, "r%d", from.rank);
        ar_msg_t m;
        if (!s) s = ar_msg_decode(d, n, o.max_bytes, sender, &m, err);
        free(d);
        if (s) break;
        int r = from.rank - 1;
        if (m.type == AR_MSG_HELLO && hellos < k) {
            peers[r] = from;
            hellos++;
            ar_msg_clear(&m);
            continue;
        }
        if (m.type != AR_MSG_RESULT || r < 0 || r >= k || have[r]) {
            s = ar_err_set(err, AR_E_PROTO, "unexpected %s from %s", ar_msg_type_name(m.type), sender);
            ar_msg_clear(&m);
            break;
        }
        got_msg[r] = m, have[r] = 1;
        int all = 1;
        for (int i = 0; i < k; i++) all &= have[i];
        if (!all || hellos < k) continue;
        /* every gradient of this step: sum in rank order, average, send back */
        const ar_wtensor_t *g[MAXK];
        for (int i = 0; i < k && !s; i++)
            s = ar_fields_get_tensor(&got_msg[i].body, "grad", AR_WDT_F32, 1, &g[i], err);
        if (!s) {
            memcpy(sum, g[0]->data, (size_t)elems * sizeof *sum);
            for (int i = 1; i < k; i++) {
                const float *q = g[i]->data;
                for (int64_t j = 0; j < elems; j++) sum[j] += q[j];
            }
            float inv = 1.0f / (float)k;
            for (int64_t j = 0; j < elems; j++) sum[j] *= inv;
        }
        for (int i = 0; i < k; i++) ar_msg_clear(&got_msg[i]), have[i] = 0;
        ar_msg_t a = ar_msg_make(AR_MSG_TASK, 0);
        a.u.task.id = (uint64_t)step;
        strcpy(a.u.task.kind, "dp_average");
        ar_bytes_t b = {0};
        if (!s) s = ar_fields_put_tensor(&a.body, "avg", AR_WDT_F32, 1, (int64_t[]){elems}, sum, err);
        if (!s) s = ar_msg_encode(&a, 0, &b, err);
        ar_msg_clear(&a);
        for (int i = 0; i < k && !s; i++) s = ar_server_send(srv, &peers[i], b.data, b.len, err);
        ar_bytes_free(&b);
        if (++step == warm) t0 = ar_now(), c0 = cpu_now();
    }
    double t1 = ar_now(), c1 = cpu_now();
    for (int i = 0; i < k; i++)
        if (have[i]) ar_msg_clear(&got_msg[i]);
    for (int i = 0; i < k; i++) pthread_join(th[i], NULL);
    ar_server_destroy(&srv);
    free(sum);
    for (int i = 0; !s && i < k; i++)
        if (w[i].status) s = ar_err_set(err, w[i].status, "worker %d: %s", i + 1, w[i].errmsg);
    if (!s) *per_step = (t1 - t0) / steps, *cpu_per_step = (c1 - c0) / steps;
    return s;
}

static int best_exchange(const char *endpoint, int k, int64_t elems, int reps, double *best,
                         double *cpu, ar_err_t *err)
{
    double bytes = (double)elems * 4;
    int steps = bytes > 4e7 ? 3 : bytes > 4e6 ? 10 : bytes > 4e5 ? 40 : 200;
    *best = 1e30, *cpu = 0;
    for (int r = 0; r < reps; r++) {
        double t = 0, c = 0;
        int s = exchange(endpoint, k, elems, 2, steps, &t, &c, err);
        if (s) return s;
        if (t < *best) *best = t, *cpu = c;
    }
    return AR_OK;
}

/* ------------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    const char *models = "fm,r20,r18", *model_file = "models/fm_w05_20k.h5", *fmnist = NULL;
    int nodes = 4, reps = 3, nprefix = 4000, do_exchange = 1;
    long long xfloats = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-exchange") == 0) do_exchange = 0;
        else if (v && strcmp(a, "--models") == 0) models = v, i++;
        else if (v && strcmp(a, "--model-file") == 0) model_file = v, i++;
        else if (v && strcmp(a, "--fmnist") == 0) fmnist = v, i++;
        else if (v && strcmp(a, "--nodes") == 0) nodes = atoi(v), i++;
        else if (v && strcmp(a, "--reps") == 0) reps = atoi(v), i++;
        else if (v && strcmp(a, "--prefix") == 0) nprefix = atoi(v), i++;
        else if (v && strcmp(a, "--xchg-floats") == 0) xfloats = atoll(v), i++;
        else {
            fprintf(stderr, "usage: bench_dp_step [--models fm,r20,r18] [--model-file F] "
                            "[--fmnist DIR] [--nodes N] [--reps R] [--prefix N] [--no-exchange] "
                            "[--xchg-floats N]\n");
            return 2;
        }
    }
    if (reps < 1 || nodes < 1 || nodes > AR_CELL_MAXNODES || nprefix < 3 || xfloats < 0 ||
        xfloats > (1LL << 26)) {
        fprintf(stderr, "bench_dp_step: --reps >= 1, --nodes 1..%d, --prefix >= 3\n", AR_CELL_MAXNODES);
        return 2;
    }
    ar_err_t err = {0};
    char dir[512] = "", ipc[600] = "";
    if (do_exchange && ar_net_private_dir(dir, sizeof dir, &err)) {
        fprintf(stderr, "bench_dp_step: %s\n", ar_err_msg(&err));
        return 1;
    }
    snprintf(ipc, sizeof ipc, "ipc://%s/dp.sock", dir);
    int rc = 0;
    if (xfloats && do_exchange) { /* the exchange alone at one size */
        printf("exchange of %lld floats (%.2f MB), best of %d\n%3s %12s %12s\n", xfloats,
               xfloats * 4e-6, reps, "k", "wall s/step", "CPU s/step");
        for (int k = 0; k < NK && !rc; k++) {
            double t = 0, c = 0;
            if (best_exchange(ipc, KS[k], xfloats, reps, &t, &c, &err)) {
                fprintf(stderr, "bench_dp_step: exchange k=%d: %s\n", KS[k], ar_err_msg(&err));
                rc = 1;
                break;
            }
            printf("%3d %12.4f %12.4f\n", KS[k], t, c);
            printf("DP {\"xchg_floats\":%lld,\"k\":%d,\"xchg_all_s\":%.5f,\"xchg_cpu_s\":%.5f}\n",
                   xfloats, KS[k], t, c);
            fflush(stdout);
        }
        models = "";
    }
    for (size_t si = 0; si < sizeof SETTINGS / sizeof SETTINGS[0] && !rc; si++) {
        const setting_t *s = &SETTINGS[si];
        char want[64];
        snprintf(want, sizeof want, ",%s,", s->key);
        char list[256];
        snprintf(list, sizeof list, ",%s,", models);
        if (!strstr(list, want)) continue;
        measured_t m = {0};
        if (measure_compute(s, model_file, fmnist, nodes, reps, nprefix, &m, &err)) {
            fprintf(stderr, "bench_dp_step: %s compute: %s\n", s->key, ar_err_msg(&err));
            rc = 1;
            break;
        }
        for (int k = 0; k < NK && do_exchange && !rc; k++) {
            double c = 0;
            if (best_exchange(ipc, KS[k], m.elems, reps, &m.x_full[k], &m.x_cpu[k], &err) ||
                best_exchange(ipc, KS[k], m.alpha_elems, reps, &m.x_alpha[k], &c, &err)) {
                fprintf(stderr, "bench_dp_step: %s exchange k=%d: %s\n", s->key, KS[k], ar_err_msg(&err));
                rc = 1;
            }
        }
        if (rc) break;
        printf("\n%s: %s width %.2g %dx%dx%d, relaxed cell (%d nodes) in layer3.0\n", s->key, s->zoo,
               s->width, s->c, s->h, s->w, nodes);
        printf("gradient %lld floats (%.2f MB), alphas %lld floats; %d train-mode BN nodes\n",
               (long long)m.elems, m.elems * 4e-6, (long long)m.alpha_elems, m.bn_train);
        printf("gradient of 64 rows reversed vs in order: relative L2 difference %.2e\n", m.round_diff);
        printf("prefix pass (ar_trainer_new, %d images): %.2f s CPU (%.2f s wall)", m.prefix_n,
               m.prefix_cpu, m.prefix_s);
        if (m.set_s > 0)
            printf("; repair set build: %.2f s CPU (%.2f s wall, %lld repair images)", m.set_cpu,
                   m.set_s, (long long)m.nrepair);
        printf("\nvalidation at an epoch's end (ar_trainer_eval, %lld images): %.2f s CPU\n",
               (long long)(m.prefix_n - (m.nrepair ? m.nrepair : nprefix / 2)), m.eval_cpu);
        printf("%3s %6s %10s %12s %12s %14s %10s %10s\n", "k", "batch", "step CPU s", "xchg all s",
               "xchg alpha s", "search step s", "speed-up", "grad diff");
        double one = 2 * m.step[0];
        for (int k = 0; k < NK; k++) {
            double dp = 2 * m.step[k] + (KS[k] > 1 ? m.x_full[k] + m.x_alpha[k] : 0);
            printf("%3d %6d %10.4f %12.4f %12.4f %14.4f %10.2f %10.2e\n", KS[k], BATCH / KS[k], m.step[k],
                   m.x_full[k], m.x_alpha[k], dp, one / dp, m.grad_diff[k]);
            printf("DP {\"model\":\"%s\",\"nodes\":%d,\"k\":%d,\"batch\":%d,\"step_cpu_s\":%.5f,"
                   "\"xchg_all_s\":%.5f,\"xchg_cpu_s\":%.5f,\"xchg_alpha_s\":%.5f,\"grad_diff\":%.3e,\"grad_floats\":%lld,"
                   "\"alpha_floats\":%lld,\"bn_train\":%d,\"prefix_s\":%.3f,\"prefix_cpu\":%.3f,\"prefix_images\":%d,"
                   "\"eval_cpu\":%.3f,\"set_s\":%.3f,\"set_cpu\":%.3f,\"nrepair\":%lld}\n",
                   s->key, nodes, KS[k], BATCH / KS[k], m.step[k], m.x_full[k], m.x_cpu[k], m.x_alpha[k],
                   m.grad_diff[k], (long long)m.elems, (long long)m.alpha_elems, m.bn_train, m.prefix_s, m.prefix_cpu,
                   m.prefix_n, m.eval_cpu, m.set_s, m.set_cpu, (long long)m.nrepair);
        }
        fflush(stdout);
    }
    if (do_exchange) ar_net_private_dir_remove(dir, "dp.sock");
    return rc;
}
