/* bench_comm.c - coordinator receive throughput through the real data plane:
 * CURVE ROUTER/DEALER sockets (common/comm/transport.c) and the validating
 * MessagePack codec (proto/). W worker threads (1, 2, 4), each with its own
 * per-run keypair and ZeroMQ context as a worker rank has, stream RESULT
 * messages at once; the coordinator (main thread) receives, decodes and
 * validates every one, as its event loop does. Two message kinds:
 *   small  an evaluate shard's RESULT (count, correct, i64 confusion [10,10])
 *   4 MB   a RESULT carrying one f32 tensor of 1 Mi elements (weights,
 *          gradients)
 * Each worker encodes every message it sends (ar_fields_put_* + encode), so
 * both ends of the codec are in the loop. Timing starts when every worker
 * has said HELLO and been told to go (CURVE handshakes excluded) and stops
 * at the last message decoded. Reference: the codec alone on one thread
 * (encode + decode, no sockets); ratios are against it and against one
 * worker.
 *
 *   build/tests/bench/bench_comm [SMALL_TOTAL] [LARGE_TOTAL] [tcp|ipc|both] [REPEATS]
 *   (defaults 40000 small and 64 large messages per configuration, both
 *   transports, best of 3 runs per configuration; totals are split evenly
 *   between the workers)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/netaddr.h"
#include "comm/transport.h"
#include "core/fsutil.h"
#include "proto/codec.h"

#define LARGE_ELEMS (1 << 20) /* f32: 4 MiB */
#define MAX_WORKERS 4

typedef struct worker {
    const char *endpoint, *server_pub;
    ar_curve_keypair_t kp;
    int rank, nmsg, large;
    int status;
    char errmsg[256];
} worker_t;

/* Builds and encodes the i-th RESULT of a worker (what a task's emit does). */
static int make_result(int rank, int i, int large, const float *payload, ar_bytes_t *out,
                       ar_err_t *err)
{
    ar_msg_t m = ar_msg_make(AR_MSG_RESULT, rank);
    m.u.task.id = (uint64_t)i;
    strcpy(m.u.task.kind, large ? "bench_tensor" : "evaluate");
    m.u.task.final = 1;
    int s;
    if (large) {
        s = ar_fields_put_tensor(&m.body, "grad", AR_WDT_F32, 1, (int64_t[]){LARGE_ELEMS}, payload, err);
    } else {
        int64_t conf[100] = {0};
        for (int k = 0; k < 10; k++) conf[k * 11] = 6 + (i + k) % 3;
        s = ar_fields_put_int(&m.body, "count", 70, err);
        if (!s) s = ar_fields_put_int(&m.body, "correct", 60 + i % 10, err);
        if (!s) s = ar_fields_put_tensor(&m.body, "confusion", AR_WDT_I64, 2, (int64_t[]){10, 10}, conf, err);
    }
    if (!s) s = ar_msg_encode(&m, 0, out, err);
    ar_msg_clear(&m);
    return s;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    ar_err_t err = {0};
    ar_net_opts_t o = ar_net_opts_default();
    char id[16];
    snprintf(id, sizeof id, "w%d", w->rank);
    float *payload = w->large ? calloc(LARGE_ELEMS, sizeof *payload) : NULL;
    ar_client_t *c = ar_client_new(w->endpoint, w->server_pub, &w->kp, id, &o, &err);
    int s = c && (!w->large || payload) ? AR_OK : (err.status ? err.status : AR_E_NOMEM);
    ar_bytes_t b = {0};
    if (!s) {
        ar_msg_t hello = ar_msg_make(AR_MSG_HELLO, w->rank);
        strcpy(hello.u.hello.host, "localhost");
        hello.u.hello.threads = 1;
        s = ar_msg_encode(&hello, 0, &b, &err);
        if (!s) s = ar_client_send(c, b.data, b.len, &err);
        ar_bytes_free(&b);
    }
    uint8_t *d = NULL;
    size_t n = 0;
    int got = 0;
    if (!s) s = ar_client_recv(c, 30000, &d, &n, &got, &err); /* "go" */
    free(d);
    if (!s && !got) s = ar_err_set(&err, AR_E_TIMEOUT, "no go from the coordinator");
    for (int i = 0; !s && i < w->nmsg; i++) {
        if (payload) payload[i % LARGE_ELEMS] = (float)i;
        s = make_result(w->rank, i, w->large, payload, &b, &err);
        if (!s) s = ar_client_send(c, b.data, b.len, &err);
        ar_bytes_free(&b);
    }
    got = 0; /* wait for "bye" so nothing is dropped at close */
    if (!s) s = ar_client_recv(c, 60000, &d, &n, &got, &err);
    free(d);
    w->status = s;
    if (s) snprintf(w->errmsg, sizeof w->errmsg, "%s", ar_err_msg(&err));
    ar_client_destroy(&c);
    free(payload);
    return NULL;
}

typedef struct result {
    double seconds, msgs_per_s, gb_per_s, msg_bytes;
} result_t;

/* One configuration: nw workers stream total messages to one coordinator. */
static int run(const char *endpoint, int nw, int total, int large, result_t *r, ar_err_t *err)
{
    ar_curve_keypair_t skp;
    worker_t w[MAX_WORKERS];
    const char *pubs[MAX_WORKERS];
    int ranks[MAX_WORKERS];
    pthread_t th[MAX_WORKERS];
    memset(w, 0, sizeof w);
    if (ar_curve_keypair_new(&skp, err)) return err->status;
    for (int i = 0; i < nw; i++) {
        if (ar_curve_keypair_new(&w[i].kp, err)) return err->status;
        pubs[i] = w[i].kp.pub;
        ranks[i] = i + 1;
    }
    ar_net_opts_t o = ar_net_opts_default();
    ar_server_t *srv = ar_server_new(endpoint, &skp, pubs, ranks, nw, &o, err);
    if (!srv) return err->status;
    for (int i = 0; i < nw; i++) {
        w[i].endpoint = ar_server_endpoint(srv);
        w[i].server_pub = skp.pub;
        w[i].rank = i + 1;
        w[i].large = large;
        w[i].nmsg = total / nw + (i < total % nw);
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    ar_peer_t peers[MAX_WORKERS];
    int s = AR_OK, hellos = 0, received = 0;
    double t0 = 0, bytes = 0;
    while (!s && received < total) {
        uint8_t *d = NULL;
        size_t n = 0;
        int got = 0;
        ar_peer_t from;
        s = ar_server_recv(srv, 30000, &d, &n, &from, &got, err);
        if (!s && !got) s = ar_err_set(err, AR_E_TIMEOUT, "no message for 30 s (%d received)", received);
        char sender[16];
        snprintf(sender, sizeof sender, "r%d", from.rank);
        ar_msg_t m;
        if (!s) s = ar_msg_decode(d, n, o.max_bytes, sender, &m, err);
        free(d);
        if (s) break;
        if (m.rank != from.rank) {
            s = ar_err_set(err, AR_E_PROTO, "%s claims rank %d", sender, m.rank);
        } else if (m.type == AR_MSG_HELLO && hellos < nw) {
            peers[hellos++] = from;
            if (hellos == nw) { /* everyone connected: go */
                t0 = ar_now();
                for (int i = 0; !s && i < nw; i++) s = ar_server_send(srv, &peers[i], "go", 2, err);
            }
        } else if (m.type == AR_MSG_RESULT && hellos == nw) {
            received++;
            bytes += (double)n;
        } else {
            s = ar_err_set(err, AR_E_PROTO, "unexpected %s from %s", ar_msg_type_name(m.type), sender);
        }
        ar_msg_clear(&m);
    }
    double t1 = ar_now();
    for (int i = 0; !s && i < hellos; i++) s = ar_server_send(srv, &peers[i], "bye", 3, err);
    for (int i = 0; i < nw; i++) pthread_join(th[i], NULL);
    ar_server_destroy(&srv);
    for (int i = 0; !s && i < nw; i++)
        if (w[i].status) s = ar_err_set(err, w[i].status, "worker %d: %s", i + 1, w[i].errmsg);
    if (s) return s;
    r->seconds = t1 - t0;
    r->msgs_per_s = total / r->seconds;
    r->gb_per_s = bytes / r->seconds / 1e9;
    r->msg_bytes = bytes / total;
    return AR_OK;
}

/* The codec alone: encode + decode total messages on this thread. */
static int codec_only(int total, int large, result_t *r, ar_err_t *err)
{
    float *payload = large ? calloc(LARGE_ELEMS, sizeof *payload) : NULL;
    if (large && !payload) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    double t0 = ar_now(), bytes = 0;
    int s = AR_OK;
    for (int i = 0; !s && i < total; i++) {
        ar_bytes_t b = {0};
        ar_msg_t m;
        s = make_result(1, i, large, payload, &b, err);
        if (!s) s = ar_msg_decode(b.data, b.len, 0, "r1", &m, err);
        if (!s) ar_msg_clear(&m);
        bytes += (double)b.len;
        ar_bytes_free(&b);
    }
    free(payload);
    r->seconds = ar_now() - t0;
    r->msgs_per_s = total / r->seconds;
    r->gb_per_s = bytes / r->seconds / 1e9;
    r->msg_bytes = bytes / total;
    return s;
}

int main(int argc, char **argv)
{
    int totals[2] = {argc > 1 ? atoi(argv[1]) : 40000, argc > 2 ? atoi(argv[2]) : 64};
    const char *which = argc > 3 ? argv[3] : "both";
    int reps = argc > 4 ? atoi(argv[4]) : 3;
    if (totals[0] < 4 || totals[1] < 4 || reps < 1 ||
        (strcmp(which, "tcp") && strcmp(which, "ipc") && strcmp(which, "both"))) {
        fprintf(stderr, "usage: bench_comm [SMALL_TOTAL>=4] [LARGE_TOTAL>=4] [tcp|ipc|both] [REPEATS>=1]\n");
        return 2;
    }
    ar_err_t err = {0};
    char dir[512] = "", ipc[600] = "";
    if (ar_net_private_dir(dir, sizeof dir, &err)) {
        fprintf(stderr, "bench_comm: %s\n", ar_err_msg(&err));
        return 1;
    }
    snprintf(ipc, sizeof ipc, "ipc://%s/bench.sock", dir);
    const char *eps[2] = {"tcp://127.0.0.1:*", ipc}, *names[2] = {"tcp", "ipc"};
    static const int nws[] = {1, 2, 4};
    int rc = 0;
    for (int large = 0; large < 2 && !rc; large++) {
        result_t ref = {0};
        for (int k = 0; k < reps && !rc; k++) {
            result_t r = {0};
            if (codec_only(totals[large], large, &r, &err)) {
                fprintf(stderr, "bench_comm: codec: %s\n", ar_err_msg(&err));
                rc = 1;
            }
            if (r.msgs_per_s > ref.msgs_per_s) ref = r;
        }
        if (rc) break;
        printf("\n%s messages (%.0f bytes encoded), %d per configuration, best of %d\n",
               large ? "4 MB tensor" : "small RESULT", ref.msg_bytes, totals[large], reps);
        printf("%-10s %7s %12s %9s %9s %10s\n", "path", "workers", "msgs/s", "GB/s", "vs codec",
               "vs 1 worker");
        printf("%-10s %7s %12.0f %9.3f %9s %10s\n", "codec", "-", ref.msgs_per_s, ref.gb_per_s, "1.00", "-");
        for (int t = 0; t < 2 && !rc; t++) {
            if (strcmp(which, "both") && strcmp(which, names[t])) continue;
            double one = 0;
            for (size_t k = 0; k < sizeof nws / sizeof nws[0]; k++) {
                result_t r = {0};
                for (int rep = 0; rep < reps && !rc; rep++) {
                    result_t one_run = {0};
                    if (run(eps[t], nws[k], totals[large], large, &one_run, &err)) {
                        fprintf(stderr, "bench_comm: %s, %d workers: %s\n", names[t], nws[k], ar_err_msg(&err));
                        rc = 1;
                    }
                    if (one_run.msgs_per_s > r.msgs_per_s) r = one_run;
                }
                if (rc) break;
                if (k == 0) one = r.msgs_per_s;
                printf("%-10s %7d %12.0f %9.3f %9.2f %10.2f\n", names[t], nws[k], r.msgs_per_s,
                       r.gb_per_s, r.msgs_per_s / ref.msgs_per_s, r.msgs_per_s / one);
                fflush(stdout);
            }
        }
    }
    ar_net_private_dir_remove(dir, "bench.sock");
    return rc;
}
