/* test_tree_exchange.c - the reduction tree over real sockets
 * (comm/tree_exchange.h): 2, 3 and 5 parts in threads, each with its own
 * CURVE server on 127.0.0.1, exchange 3 steps and every part ends each step
 * with the coordinator's answer bit for bit (ar_reduction_result on the
 * same bodies); a message left from another sending of the task, injected
 * before the exchange, is dropped; bytes that are no message, or a REDUCE
 * for a node the parent does not expect, fail the exchange naming the
 * sender. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "comm/transport.h"
#include "comm/tree_exchange.h"
#include "core/fold.h"
#include "core/fsutil.h"
#include "proto/codec.h"
#include "runtime/reduce.h"

#define MAXP 5
#define NSLOTS 7
#define S 33
#define Q 2

typedef struct part {
    int part, parts, steps;
    ar_curve_keypair_t kp;
    ar_server_t *srv;
    const char (*eps)[128];
    const ar_curve_keypair_t *kps;
    const int32_t *members;
    ar_client_t *up[MAXP + 1];
    ar_fields_t answers[3];       /* per step */
    double deadline;              /* the exchange gives up then (ar_now) */
    int status;
    ar_err_t err;
} part_t;

/* Slot j's row at step s: values with a wide range, so the order of the
 * additions shows in the bits. */
static float value(int step, int64_t slot, int64_t i)
{
    float v = (float)((slot * 131 + i * 17 + step * 7) % 101) - 50.0f;
    return (i % 3) ? v * 1e-3f : v * 1e4f;
}

static void body(int step, int part, int parts, ar_fields_t *b)
{
    ar_err_t e = {0};
    int64_t lo, hi;
    ar_fold_part(NSLOTS, part, parts, &lo, &hi);
    float sum[S] = {0}, cat[NSLOTS * Q + 1];
    float rows[NSLOTS][S];
    for (int64_t j = 0; j < NSLOTS; j++)
        for (int64_t i = 0; i < S; i++) rows[j][i] = value(step, j, i);
    if (hi > lo) {
        /* node [lo, hi) along the fold tree (its subtree has the shape of the
         * tree over hi - lo slots): one slot per part of a reduction */
        ar_reduction_t r = {0};
        int k = (int)(hi - lo);
        CHECK_OK(ar_reduction_begin(&r, k, &e), &e);
        for (int p = 0; p < k; p++) {
            ar_fields_t one = {0};
            int64_t plo, phi;
            ar_fold_part(k, p, k, &plo, &phi);
            CHECK_OK(ar_fields_put_int(&one, "nslots", k, &e), &e);
            CHECK_OK(ar_fields_put_int(&one, "lo", plo, &e), &e);
            CHECK_OK(ar_fields_put_int(&one, "hi", phi, &e), &e);
            CHECK_OK(ar_fields_put_tensor(&one, "sum", AR_WDT_F32, 1, (int64_t[]){S}, rows[lo + p], &e), &e);
            CHECK_OK(ar_fields_put_tensor(&one, "cat", AR_WDT_F32, 2, (int64_t[]){1, Q}, rows[lo + p], &e), &e);
            CHECK_OK(ar_reduction_add(&r, p, &one, "test", &e), &e);
            ar_fields_clear(&one);
        }
        ar_fields_t out = {0};
        CHECK_OK(ar_reduction_result(&r, &out, &e), &e);
        const ar_wtensor_t *t = NULL;
        CHECK_OK(ar_fields_get_tensor(&out, "sum", AR_WDT_F32, 1, &t, &e), &e);
        if (t) memcpy(sum, t->data, sizeof sum);
        ar_fields_clear(&out);
        ar_reduction_free(&r);
    }
    for (int64_t j = lo; j < hi; j++)
        for (int q = 0; q < Q; q++) cat[(j - lo) * Q + q] = rows[j][q];
    CHECK_OK(ar_fields_put_int(b, "nslots", NSLOTS, &e), &e);
    CHECK_OK(ar_fields_put_int(b, "lo", lo, &e), &e);
    CHECK_OK(ar_fields_put_int(b, "hi", hi, &e), &e);
    CHECK_OK(ar_fields_put_tensor(b, "sum", AR_WDT_F32, 1, (int64_t[]){hi > lo ? S : 0}, sum, &e), &e);
    CHECK_OK(ar_fields_put_tensor(b, "cat", AR_WDT_F32, 2, (int64_t[]){hi - lo, Q}, cat, &e), &e);
}

static ar_client_t *link_up(void *ctx, int rank, ar_err_t *err)
{
    part_t *p = ctx;
    if (!p->up[rank]) {
        ar_net_opts_t o = ar_net_opts_default();
        char id[16];
        snprintf(id, sizeof id, "t%d", p->part + 1);
        p->up[rank] = ar_client_new(p->eps[rank - 1], p->kps[rank - 1].pub, &p->kp, id, &o, err);
    }
    return p->up[rank];
}

static int too_long(void *ctx, ar_err_t *err)
{
    const part_t *p = ctx;
    return ar_now() > p->deadline ? ar_err_set(err, AR_E_TIMEOUT, "no answer within 30 s") : AR_OK;
}

static void *part_main(void *arg)
{
    part_t *p = arg;
    p->deadline = ar_now() + 30;
    ar_tree_net_t net = {.rank = p->part + 1, .server = p->srv, .max = 1 << 20, .link = link_up,
                         .link_ctx = p, .cancelled = too_long, .ctx = p};
    for (int step = 0; !p->status && step < p->steps; step++) {
        ar_fields_t send = {0};
        body(step, p->part, p->parts, &send);
        ar_tree_ex_t x = {.id = 4, .step = (uint64_t)step, .attempt = 1, .part = p->part,
                          .parts = p->parts, .members = p->members};
        p->status = ar_tree_exchange(&net, &x, &send, &p->answers[step], &p->err);
        ar_fields_clear(&send);
    }
    return NULL;
}

typedef struct group {
    part_t p[MAXP];
    char eps[MAXP][128];
    ar_curve_keypair_t kps[MAXP];
    int32_t members[MAXP];
    int n;
} group_t;

static void group_up(group_t *g, int n, int steps)
{
    ar_err_t e = {0};
    memset(g, 0, sizeof *g);
    g->n = n;
    const char *pubs[MAXP];
    int ranks[MAXP];
    for (int i = 0; i < n; i++) {
        CHECK_OK(ar_curve_keypair_new(&g->kps[i], &e), &e);
        pubs[i] = g->kps[i].pub, ranks[i] = i + 1, g->members[i] = i + 1;
    }
    ar_net_opts_t o = ar_net_opts_default();
    for (int i = 0; i < n; i++) {
        part_t *p = &g->p[i];
        p->part = i, p->parts = n, p->steps = steps, p->kp = g->kps[i];
        p->srv = ar_server_new("tcp://127.0.0.1:*", &g->kps[i], pubs, ranks, n, &o, &e);
        CHECK(p->srv != NULL, "server: %s", e.msg);
        snprintf(g->eps[i], sizeof g->eps[i], "%s", p->srv ? ar_server_endpoint(p->srv) : "");
        p->eps = (const char (*)[128])g->eps, p->kps = g->kps, p->members = g->members;
    }
}

static void group_down(group_t *g)
{
    for (int i = 0; i < g->n; i++) {
        for (int r = 0; r <= MAXP; r++) ar_client_destroy(&g->p[i].up[r]);
        ar_server_destroy(&g->p[i].srv);
        for (int s = 0; s < 3; s++) ar_fields_clear(&g->p[i].answers[s]);
    }
}

/* The coordinator's answer for step `step` with n parts. */
static void reference(int step, int n, ar_fields_t *out)
{
    ar_err_t e = {0};
    ar_reduction_t r = {0};
    CHECK_OK(ar_reduction_begin(&r, n, &e), &e);
    for (int p = 0; p < n; p++) {
        ar_fields_t b = {0};
        body(step, p, n, &b);
        CHECK_OK(ar_reduction_add(&r, p, &b, "test", &e), &e);
        ar_fields_clear(&b);
    }
    CHECK_OK(ar_reduction_result(&r, out, &e), &e);
    ar_reduction_free(&r);
}

static int same(const ar_fields_t *a, const ar_fields_t *b)
{
    ar_err_t e = {0};
    const ar_wtensor_t *s1, *s2, *c1, *c2;
    if (ar_fields_get_tensor(a, "sum", AR_WDT_F32, 1, &s1, &e) ||
        ar_fields_get_tensor(b, "sum", AR_WDT_F32, 1, &s2, &e) ||
        ar_fields_get_tensor(a, "cat", AR_WDT_F32, 2, &c1, &e) ||
        ar_fields_get_tensor(b, "cat", AR_WDT_F32, 2, &c2, &e))
        return 0;
    return s1->nbytes == s2->nbytes && !memcmp(s1->data, s2->data, s1->nbytes) &&
           c1->nbytes == c2->nbytes && !memcmp(c1->data, c2->data, c1->nbytes);
}

/* A raw message from `rank`'s key to part 0's server. */
static void inject(group_t *g, int rank, const void *d, size_t n)
{
    ar_err_t e = {0};
    ar_net_opts_t o = ar_net_opts_default();
    char id[16];
    snprintf(id, sizeof id, "x%d", rank);
    ar_client_t *c = ar_client_new(g->eps[0], g->kps[0].pub, &g->kps[rank - 1], id, &o, &e);
    CHECK(c != NULL, "rogue client: %s", e.msg);
    if (c) CHECK_OK(ar_client_send(c, d, n, &e), &e);
    ar_client_destroy(&c); /* linger: delivered before it closes */
}

static void test_parts(int n)
{
    group_t g;
    group_up(&g, n, 3);
    if (n == 3) { /* a REDUCE left from sending 0 of the task: dropped */
        ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, 3);
        m.u.task.id = 4, m.u.task.step = 0, m.u.task.part = 2, m.u.task.attempt = 0;
        body(2, 2, 3, &m.body); /* other values: taken, it would change step 0's answer */
        ar_bytes_t b;
        ar_err_t e = {0};
        CHECK_OK(ar_msg_encode(&m, 0, &b, &e), &e);
        ar_msg_clear(&m);
        inject(&g, 3, b.data, b.len);
        ar_bytes_free(&b);
    }
    pthread_t th[MAXP];
    for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, part_main, &g.p[i]);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    int ok = 1;
    for (int step = 0; step < 3; step++) {
        ar_fields_t ref = {0};
        reference(step, n, &ref);
        for (int i = 0; i < n; i++) {
            CHECK_OK(g.p[i].status, &g.p[i].err);
            ok &= !g.p[i].status && same(&g.p[i].answers[step], &ref);
        }
        ar_fields_clear(&ref);
    }
    CHECK(ok, "%d parts: every part holds the coordinator's answer, bit for bit, at every step", n);
    group_down(&g);
}

/* Part 0 of 2 alone, and a rogue message from rank 2's key instead of
 * part 1's node: the exchange fails naming worker r2. */
static void test_refusal(const void *d, size_t n, const char *needle, const char *why)
{
    group_t g;
    group_up(&g, 2, 1);
    inject(&g, 2, d, n);
    part_main(&g.p[0]);
    CHECK(g.p[0].status == AR_E_PROTO && strstr(g.p[0].err.msg, "worker r2 (reduction tree)") &&
              strstr(g.p[0].err.msg, needle),
          "%s: status %d: %s", why, g.p[0].status, g.p[0].err.msg);
    group_down(&g);
}

int main(void)
{
    test_parts(2);
    test_parts(3);
    test_parts(5);
    test_refusal("garbage", 7, "trailing bytes", "bytes that are no message");
    ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, 2);
    m.u.task.id = 4, m.u.task.step = 0, m.u.task.part = 1, m.u.task.attempt = 1;
    body(0, 1, 4, &m.body); /* part 1 of 4's node: slots 2..3, not 4..6 */
    ar_bytes_t b;
    ar_err_t e = {0};
    CHECK_OK(ar_msg_encode(&m, 0, &b, &e), &e);
    ar_msg_clear(&m);
    test_refusal(b.data, b.len, "expected 4..6", "another node");
    ar_bytes_free(&b);
    TEST_MAIN_END();
}
