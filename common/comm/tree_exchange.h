/* tree_exchange.h - one exchange of a shared task along the reduction tree
 * (runtime/reduce.h "the reduction tree"; the wire in proto/README.md):
 * this part adds its children's nodes (deepest first) to its own, sends
 * the sum up to its parent, waits for the answer and passes it down to its
 * children, over this part's own server and a link (a client) to its
 * parent. The worker (worker/exchange.c) and tests/bench/bench_reduce.c run
 * it.
 */
#ifndef AR_COMM_TREE_EXCHANGE_H
#define AR_COMM_TREE_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "comm/transport.h"
#include "core/error.h"
#include "proto/msg.h"

/* What a part brings to its exchanges (the same for all of them). */
typedef struct ar_tree_net {
    int rank;                   /* this part's rank: the sender of its messages */
    ar_server_t *server;        /* its own server; its children connect to it */
    size_t max;                 /* largest message (codec limit) */
    /* The link to the worker of `rank` (its parent), made on first use and
     * kept by the owner; NULL with err set when it cannot be made. */
    ar_client_t *(*link)(void *ctx, int rank, ar_err_t *err);
    void *link_ctx;
    /* Watched while waiting (may be NULL): when it has a message, watch_fn
     * reads and handles it; a non-zero return ends the exchange with that
     * status (e.g. the task was taken back). */
    ar_client_t *watch;
    int (*watch_fn)(void *ctx, ar_err_t *err);
    /* Called at least every 100 ms while waiting (may be NULL): non-zero
     * ends the exchange (cancelled). */
    int (*cancelled)(void *ctx, ar_err_t *err);
    void *ctx;                  /* of watch_fn and cancelled */
    double bytes_in, bytes_out; /* added to: received / sent on tree links */
} ar_tree_net_t;

/* One exchange: task id's sending `attempt`, exchange `step`, this part of
 * `parts` run by members[0..parts) (ranks, part order). */
typedef struct ar_tree_ex {
    uint64_t id, step;
    uint32_t attempt;
    int part, parts;
    const int32_t *members;
} ar_tree_ex_t;

/* send: this part's REDUCE body (nslots, lo, hi, sum, cat; moved out);
 * recv (empty on entry): the answer (sum, cat), the same bits as the
 * coordinator's. Messages left from an earlier step or another task or
 * sending are dropped; anything else unexpected on the tree is AR_E_PROTO
 * naming the sender. */
int ar_tree_exchange(ar_tree_net_t *net, const ar_tree_ex_t *x, ar_fields_t *send,
                     ar_fields_t *recv, ar_err_t *err);

#endif
