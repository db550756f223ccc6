/* bench_reduce.c - the coordinator's side of data-parallel candidates:
 * gradient aggregation through the real data plane (CURVE ROUTER/DEALER,
 * common/comm/transport.c), codec (proto/) and exchange code
 * (runtime/reduce.c), as repair.micro_batch uses them.
 *
 * k worker threads (each its own keypair and ZeroMQ context, as a worker
 * rank has) share the M micro-batches of a step as nodes of the fold tree
 * (core/fold.h); per step each encodes one REDUCE (its node's sum, S
 * floats, and Q values per slot) and waits for the REDUCED; the coordinator
 * (main thread) receives and decodes the k REDUCEs, checks and keeps them
 * (ar_reduction_add), combines them up the tree (ar_reduction_result),
 * encodes the answer once and sends it to the k. Reported per
 * configuration (best of REPEATS runs of STEPS steps): wall time per step,
 * gradient payload into the coordinator per second (k x S x 4 bytes per
 * step) and the same work without sockets (encode, decode, add, combine,
 * encode the answer, decode it k times, on one thread): the part of a step
 * the transport costs. Then the same exchange along the reduction tree
 * (comm/tree_exchange.h, as [run] reduce = "tree" runs it): k threads,
 * each with its own server on 127.0.0.1 (as a worker binds), exchanging
 * among themselves with no coordinator; "tree ms/step" is the time for
 * every part to hold the answer, "tree GB/s" the same payload (k x S x 4
 * bytes) per second, for comparison.
 *
 *   OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_reduce [STEPS] [REPEATS] [tcp|ipc]
 *
 * Sizes: the trainable block of resnet20 width 1 (layer3.0: two 64x64 3x3
 * convolutions and two BatchNorms, S = 73984 + 1, Q = 256) and of resnet18
 * (layer4.1: two 512x512 3x3, S = 4720640 + 1, Q = 2048), batch 64 in
 * micro-batches of 8 (M = 8), k = 2 and 4 workers.
 */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/netaddr.h"
#include "comm/transport.h"
#include "comm/tree_exchange.h"
#include "core/fold.h"
#include "core/fsutil.h"
#include "proto/codec.h"
#include "runtime/reduce.h"

#define MAXW 8

typedef struct cfg {
    const char *name;
    int64_t S, Q;
    int M;
} cfg_t;

typedef struct worker {
    const char *endpoint, *server_pub;
    ar_curve_keypair_t kp;
    int rank, part, parts, steps;
    const cfg_t *c;
    int status;
    char errmsg[256];
} worker_t;

/* Part `part` of `parts`'s REDUCE body of one step: its node of the fold
 * tree (its slots' sum, one row of S, and their Q values each; filled with a
 * pattern, the values do not matter for the timing). */
static int make_body(const cfg_t *c, int part, int parts, int step, ar_fields_t *b, ar_err_t *err)
{
    int64_t lo, hi;
    ar_fold_part(c->M, part, parts, &lo, &hi);
    int64_t m = hi - lo;
    float *s = malloc((size_t)(c->S + 1) * sizeof *s), *q = malloc((size_t)(m * c->Q + 1) * sizeof *q);
    if (!s || !q) {
        free(s), free(q);
        return ar_err_set(err, AR_E_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < c->S; i++) s[i] = (float)((i + step) % 97) * 0.01f;
    for (int64_t i = 0; i < m * c->Q; i++) q[i] = (float)(i % 13);
    int st = ar_fields_put_int(b, "nslots", c->M, err);
    if (!st) st = ar_fields_put_int(b, "lo", lo, err);
    if (!st) st = ar_fields_put_int(b, "hi", hi, err);
    if (!st) st = ar_fields_put_tensor(b, "sum", AR_WDT_F32, 1, (int64_t[]){c->S}, s, err);
    if (!st) st = ar_fields_put_tensor(b, "cat", AR_WDT_F32, 2, (int64_t[]){m, c->Q}, q, err);
    free(s), free(q);
    return st;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    ar_err_t err = {0};
    ar_net_opts_t o = ar_net_opts_default();
    char id[16];
    snprintf(id, sizeof id, "w%d", w->rank);
    ar_client_t *cl = ar_client_new(w->endpoint, w->server_pub, &w->kp, id, &o, &err);
    int s = cl ? AR_OK : err.status;
    ar_bytes_t b = {0};
    if (!s) {
        ar_msg_t hello = ar_msg_make(AR_MSG_HELLO, w->rank);
        strcpy(hello.u.hello.host, "localhost");
        hello.u.hello.threads = 1;
        s = ar_msg_encode(&hello, 0, &b, &err);
        if (!s) s = ar_client_send(cl, b.data, b.len, &err);
        ar_bytes_free(&b);
    }
    for (int step = 0; !s && step < w->steps; step++) {
        ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, w->rank);
        m.u.task.id = 1, m.u.task.step = (uint64_t)step, m.u.task.part = w->part;
        s = make_body(w->c, w->part, w->parts, step, &m.body, &err);
        if (!s) s = ar_msg_encode(&m, o.max_bytes, &b, &err);
        ar_msg_clear(&m);
        if (!s) s = ar_client_send(cl, b.data, b.len, &err);
        ar_bytes_free(&b);
        uint8_t *d = NULL;
        size_t n = 0;
        int got = 0;
        if (!s) s = ar_client_recv(cl, 60000, &d, &n, &got, &err);
        if (!s && !got) s = ar_err_set(&err, AR_E_TIMEOUT, "no REDUCED");
        ar_msg_t in;
        if (!s) s = ar_msg_decode(d, n, o.max_bytes, "coordinator", &in, &err);
        free(d);
        if (!s && (in.type != AR_MSG_REDUCED || in.u.task.step != (uint64_t)step))
            s = ar_err_set(&err, AR_E_PROTO, "unexpected answer");
        if (!s) ar_msg_clear(&in);
    }
    w->status = s;
    if (s) snprintf(w->errmsg, sizeof w->errmsg, "%s", ar_err_msg(&err));
    ar_client_destroy(&cl);
    return NULL;
}

/* One run: nw workers, steps exchanges; *per_step wall seconds per step. */
static int run(const char *endpoint, const cfg_t *c, int nw, int steps, double *per_step, ar_err_t *err)
{
    ar_curve_keypair_t skp;
    worker_t w[MAXW];
    const char *pubs[MAXW];
    int ranks[MAXW];
    pthread_t th[MAXW];
    memset(w, 0, sizeof w);
    if (ar_curve_keypair_new(&skp, err)) return err->status;
    for (int i = 0; i < nw; i++) {
        if (ar_curve_keypair_new(&w[i].kp, err)) return err->status;
        pubs[i] = w[i].kp.pub, ranks[i] = i + 1;
    }
    ar_net_opts_t o = ar_net_opts_default();
    ar_server_t *srv = ar_server_new(endpoint, &skp, pubs, ranks, nw, &o, err);
    if (!srv) return err->status;
    for (int i = 0; i < nw; i++) {
        w[i] = (worker_t){.endpoint = ar_server_endpoint(srv), .server_pub = skp.pub, .kp = w[i].kp,
                          .rank = i + 1, .part = i, .parts = nw, .steps = steps, .c = c};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    ar_peer_t peers[MAXW];
    ar_reduction_t red = {0};
    int s = ar_reduction_begin(&red, nw, err), hellos = 0, done = 0;
    double t0 = 0;
    while (!s && done < steps) {
        uint8_t *d = NULL;
        size_t n = 0;
        int got = 0;
        ar_peer_t from;
        s = ar_server_recv(srv, 60000, &d, &n, &from, &got, err);
        if (!s && !got) s = ar_err_set(err, AR_E_TIMEOUT, "no message for 60 s");
        ar_msg_t m;
        if (!s) s = ar_msg_decode(d, n, o.max_bytes, "worker", &m, err);
        free(d);
        if (s) break;
        if (m.type == AR_MSG_HELLO) {
            peers[from.rank - 1] = from;
            if (++hellos == nw) t0 = ar_now();
        } else if (m.type == AR_MSG_REDUCE) {
            s = ar_reduction_add(&red, m.u.task.part, &m.body, "worker", err);
            if (!s && ar_reduction_complete(&red)) {
                ar_msg_t a = ar_msg_make(AR_MSG_REDUCED, 0);
                a.u.task.id = 1, a.u.task.step = (uint64_t)done;
                ar_bytes_t b;
                s = ar_reduction_result(&red, &a.body, err);
                if (!s) s = ar_msg_encode(&a, o.max_bytes, &b, err);
                ar_msg_clear(&a);
                for (int i = 0; !s && i < nw; i++) s = ar_server_send(srv, &peers[i], b.data, b.len, err);
                if (!s) ar_bytes_free(&b);
                if (!s) s = ar_reduction_begin(&red, nw, err);
                done++;
            }
        }
        ar_msg_clear(&m);
    }
    double t1 = ar_now();
    for (int i = 0; i < nw; i++) pthread_join(th[i], NULL);
    ar_reduction_free(&red);
    ar_server_destroy(&srv);
    for (int i = 0; !s && i < nw; i++)
        if (w[i].status) s = ar_err_set(err, w[i].status, "worker %d: %s", i + 1, w[i].errmsg);
    *per_step = (t1 - t0) / steps;
    return s;
}

/* ---- the reduction tree ---------------------------------------------------- */

typedef struct tpart {
    const cfg_t *c;
    int part, parts, steps;
    ar_curve_keypair_t kp;
    ar_server_t *srv;
    const char (*eps)[128];           /* [parts] every part's endpoint */
    const char (*pubs)[41];           /* [parts] every part's key */
    const int32_t *members;           /* [parts] ranks 1..parts */
    ar_client_t *up[MAXW + 1];        /* links by rank */
    pthread_barrier_t *go;
    int status;
    char errmsg[256];
} tpart_t;

static ar_client_t *tlink(void *ctx, int rank, ar_err_t *err)
{
    tpart_t *t = ctx;
    if (!t->up[rank]) {
        ar_net_opts_t o = ar_net_opts_default();
        char id[16];
        snprintf(id, sizeof id, "t%d", t->part + 1);
        t->up[rank] = ar_client_new(t->eps[rank - 1], t->pubs[rank - 1], &t->kp, id, &o, err);
    }
    return t->up[rank];
}

static int g_tree_failed; /* a part failed: the others stop waiting */

static int tcancelled(void *ctx, ar_err_t *err)
{
    (void)ctx;
    return __atomic_load_n(&g_tree_failed, __ATOMIC_SEQ_CST)
               ? ar_err_set(err, AR_E_TIMEOUT, "another part failed")
               : AR_OK;
}

static void *tpart_main(void *arg)
{
    tpart_t *t = arg;
    ar_err_t err = {0};
    ar_tree_net_t net = {.rank = t->part + 1, .server = t->srv, .max = ar_net_opts_default().max_bytes,
                         .link = tlink, .link_ctx = t, .cancelled = tcancelled};
    pthread_barrier_wait(t->go);
    int s = AR_OK;
    for (int step = 0; !s && step < t->steps; step++) {
        ar_fields_t send = {0}, recv = {0};
        s = make_body(t->c, t->part, t->parts, step, &send, &err);
        ar_tree_ex_t x = {.id = 1, .step = (uint64_t)step, .part = t->part, .parts = t->parts,
                          .members = t->members};
        if (!s) s = ar_tree_exchange(&net, &x, &send, &recv, &err);
        ar_fields_clear(&send), ar_fields_clear(&recv);
    }
    if (s) __atomic_store_n(&g_tree_failed, 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(t->go);
    t->status = s;
    if (s) snprintf(t->errmsg, sizeof t->errmsg, "%s", ar_err_msg(&err));
    return NULL;
}

/* nw parts exchange `steps` times along the tree; *per_step wall seconds. */
static int run_tree(const cfg_t *c, int nw, int steps, double *per_step, ar_err_t *err)
{
    static tpart_t t[MAXW];
    char eps[MAXW][128], pubs[MAXW][41];
    const char *pub_ptrs[MAXW];
    int ranks[MAXW];
    int32_t members[MAXW];
    memset(t, 0, sizeof t);
    int s = AR_OK;
    for (int i = 0; i < nw && !s; i++) {
        s = ar_curve_keypair_new(&t[i].kp, err);
        memcpy(pubs[i], t[i].kp.pub, 41);
        pub_ptrs[i] = pubs[i], ranks[i] = i + 1, members[i] = i + 1;
    }
    ar_net_opts_t o = ar_net_opts_default();
    for (int i = 0; i < nw && !s; i++) {
        if (!(t[i].srv = ar_server_new("tcp://127.0.0.1:*", &t[i].kp, pub_ptrs, ranks, nw, &o, err)))
            s = err->status;
        else
            snprintf(eps[i], sizeof eps[i], "%s", ar_server_endpoint(t[i].srv));
    }
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)nw + 1);
    pthread_t th[MAXW];
    for (int i = 0; i < nw && !s; i++) {
        t[i].c = c, t[i].part = i, t[i].parts = nw, t[i].steps = steps;
        t[i].eps = (const char (*)[128])eps, t[i].pubs = (const char (*)[41])pubs;
        t[i].members = members, t[i].go = &go;
    }
    for (int i = 0; i < nw && !s; i++) pthread_create(&th[i], NULL, tpart_main, &t[i]);
    if (!s) {
        pthread_barrier_wait(&go);
        double t0 = ar_now();
        pthread_barrier_wait(&go);
        *per_step = (ar_now() - t0) / steps;
        for (int i = 0; i < nw; i++) pthread_join(th[i], NULL);
    }
    for (int i = 0; i < nw; i++) {
        if (!s && t[i].status) s = ar_err_set(err, t[i].status, "part %d: %s", i, t[i].errmsg);
        for (int r = 0; r <= MAXW; r++) ar_client_destroy(&t[i].up[r]);
        ar_server_destroy(&t[i].srv);
    }
    pthread_barrier_destroy(&go);
    return s;
}

/* The same exchange without sockets, on one thread. */
static int no_sockets(const cfg_t *c, int nw, int steps, double *per_step, ar_err_t *err)
{
    double t0 = ar_now();
    int s = AR_OK;
    for (int step = 0; step < steps && !s; step++) {
        ar_reduction_t red = {0};
        s = ar_reduction_begin(&red, nw, err);
        for (int p = 0; p < nw && !s; p++) {
            ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, p + 1), in;
            ar_bytes_t b;
            m.u.task.id = 1, m.u.task.step = (uint64_t)step, m.u.task.part = p;
            s = make_body(c, p, nw, step, &m.body, err);
            if (!s) s = ar_msg_encode(&m, 0, &b, err);
            ar_msg_clear(&m);
            if (!s) s = ar_msg_decode(b.data, b.len, 0, "w", &in, err);
            if (!s) ar_bytes_free(&b);
            if (!s) s = ar_reduction_add(&red, p, &in.body, "w", err);
            if (!s) ar_msg_clear(&in);
        }
        ar_msg_t a = ar_msg_make(AR_MSG_REDUCED, 0), in;
        ar_bytes_t b;
        if (!s) s = ar_reduction_result(&red, &a.body, err);
        if (!s) s = ar_msg_encode(&a, 0, &b, err);
        ar_msg_clear(&a);
        for (int p = 0; p < nw && !s; p++) {
            s = ar_msg_decode(b.data, b.len, 0, "c", &in, err);
            if (!s) ar_msg_clear(&in);
        }
        if (!s) ar_bytes_free(&b);
        ar_reduction_free(&red);
    }
    *per_step = (ar_now() - t0) / steps;
    return s;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 20, reps = argc > 2 ? atoi(argv[2]) : 3;
    const char *tr = argc > 3 ? argv[3] : "ipc";
    if (steps < 1 || reps < 1 || (strcmp(tr, "tcp") && strcmp(tr, "ipc"))) {
        fprintf(stderr, "usage: bench_reduce [STEPS] [REPEATS] [tcp|ipc]\n");
        return 2;
    }
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 512 << 20); /* as archrepair-coord does */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    ar_err_t err = {0};
    char dir[512] = "", ep[600] = "tcp://127.0.0.1:*";
    if (!strcmp(tr, "ipc")) {
        if (ar_net_private_dir(dir, sizeof dir, &err)) {
            fprintf(stderr, "bench_reduce: %s\n", ar_err_msg(&err));
            return 1;
        }
        snprintf(ep, sizeof ep, "ipc://%s/reduce.sock", dir);
    }
    const cfg_t cfgs[] = {{"resnet20 w1 block", 73984 + 1, 256, 8}, {"resnet18 block", 4720640 + 1, 2048, 8}};
    const int nws[] = {2, 4, 8};
    printf("%-18s %7s %9s %12s %12s %14s %12s %13s %10s\n", "block", "workers", "MB/step", "ms/step",
           "GB/s in", "no sockets ms", "GB/s no sock", "tree ms/step", "tree GB/s");
    for (size_t ci = 0; ci < sizeof cfgs / sizeof cfgs[0]; ci++) {
        const cfg_t *c = &cfgs[ci];
        int st = c->S > 1000000 ? (steps + 3) / 4 : steps; /* the big block: fewer steps */
        for (size_t k = 0; k < sizeof nws / sizeof nws[0]; k++) {
            double mb = (double)nws[k] * c->S * 4 / 1e6;
            double best = 1e30, bestns = 1e30, bestt = 1e30;
            for (int r = 0; r < reps; r++) {
                double t = 0, tn = 0, tt = 0;
                if (run(ep, c, nws[k], st, &t, &err) || no_sockets(c, nws[k], st, &tn, &err) ||
                    run_tree(c, nws[k], st, &tt, &err)) {
                    fprintf(stderr, "bench_reduce: %s, %d workers: %s\n", c->name, nws[k], ar_err_msg(&err));
                    return 1;
                }
                if (t < best) best = t;
                if (tn < bestns) bestns = tn;
                if (tt < bestt) bestt = tt;
            }
            printf("%-18s %7d %9.2f %12.2f %12.3f %14.2f %12.3f %13.2f %10.3f\n", c->name, nws[k], mb,
                   best * 1e3, mb / 1e3 / best, bestns * 1e3, mb / 1e3 / bestns, bestt * 1e3,
                   mb / 1e3 / bestt);
            printf("REDUCE {\"block\": \"%s\", \"workers\": %d, \"bytes_per_step\": %.0f, "
                   "\"s_per_step\": %.6g, \"s_per_step_no_sockets\": %.6g, \"s_per_step_tree\": %.6g}\n",
                   c->name, nws[k], mb * 1e6, best, bestns, bestt);
        }
    }
    return 0;
}
