/* tree_exchange.c - one exchange along the reduction tree (tree_exchange.h). */
#include "tree_exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "runtime/reduce.h"

/* A message that came on the tree: decoded, or NULL-typed when stale (an
 * earlier step, or another task or sending). Checks what it must be: `want`
 * from the worker of `rank`. */
static int tree_msg(const ar_tree_net_t *net, const ar_tree_ex_t *x, const uint8_t *d, size_t n,
                    int rank, ar_msg_type_t want, ar_msg_t *m, ar_err_t *err)
{
    char who[48];
    snprintf(who, sizeof who, "worker r%d (reduction tree)", rank);
    int s = ar_msg_decode(d, n, net->max, who, m, err);
    if (s) return s;
    if (m->type != want) {
        s = ar_err_set(err, AR_E_PROTO, "%s sent %s during an exchange, expected %s", who,
                       ar_msg_type_name(m->type), ar_msg_type_name(want));
    } else if (m->u.task.id != x->id || m->u.task.attempt != x->attempt || m->u.task.step < x->step) {
        ar_msg_clear(m); /* stale: left from an earlier task, sending or step */
        m->type = AR_MSG_NONE;
    } else if (m->u.task.step > x->step || (want == AR_MSG_REDUCED && m->u.task.failed)) {
        s = ar_err_set(err, AR_E_PROTO, "%s sent exchange %llu of task %llu, this part is at %llu",
                       who, (unsigned long long)m->u.task.step, (unsigned long long)x->id,
                       (unsigned long long)x->step);
    }
    if (s) ar_msg_clear(m);
    return s;
}

/* Encodes m and sends it on the link up. */
static int send_up(ar_tree_net_t *net, ar_client_t *up, ar_msg_t *m, ar_err_t *err)
{
    ar_bytes_t b;
    int s = ar_msg_encode(m, net->max, &b, err);
    if (s) return s;
    s = ar_client_send(up, b.data, b.len, err);
    if (!s) net->bytes_out += (double)b.len;
    ar_bytes_free(&b);
    return s;
}

/* The answer, down to every child (largest subtree first), encoded once. */
static int send_down(ar_tree_net_t *net, const ar_tree_ex_t *x, const ar_tree_role_t *role,
                     const ar_peer_t *to, const ar_fields_t *answer, ar_err_t *err)
{
    if (!role->nchildren) return AR_OK;
    ar_msg_t m = ar_msg_make(AR_MSG_REDUCED, net->rank);
    m.u.task.id = x->id, m.u.task.step = x->step, m.u.task.attempt = x->attempt;
    m.body = *answer; /* borrowed: not cleared */
    ar_bytes_t b = {0};
    int s = ar_msg_encode(&m, net->max, &b, err);
    for (int i = 0; !s && i < role->nchildren; i++) {
        s = ar_server_send(net->server, &to[i], b.data, b.len, err);
        if (!s) net->bytes_out += (double)b.len;
    }
    if (b.data) ar_bytes_free(&b);
    return s;
}

int ar_tree_exchange(ar_tree_net_t *net, const ar_tree_ex_t *x, ar_fields_t *send,
                     ar_fields_t *recv, ar_err_t *err)
{
    int64_t nslots = 0;
    int s = ar_fields_get_int(send, "nslots", &nslots, err);
    if (s) return s;
    ar_tree_role_t role;
    ar_tree_role(nslots, x->part, x->parts, &role);
    ar_fields_t acc = *send, kids[AR_TREE_MAX_CHILDREN], answer = {0};
    memset(send, 0, sizeof *send);
    memset(kids, 0, sizeof kids);
    ar_peer_t from[AR_TREE_MAX_CHILDREN];
    int have[AR_TREE_MAX_CHILDREN] = {0};
    int next = role.nchildren - 1; /* the next child to add: deepest first */
    int sent_up = 0, answered = 0;
    ar_client_t *up = NULL;
    if (role.up.part >= 0 && !(up = net->link(net->link_ctx, x->members[role.up.part], err)))
        s = err->status;
    while (!s && !answered) {
        while (!s && next >= 0 && have[next]) {
            const ar_tree_link_t *k = &role.children[next];
            char who[64];
            snprintf(who, sizeof who, "worker r%d (reduction tree)", x->members[k->part]);
            s = ar_tree_merge(&acc, &kids[next], nslots, k->lo, k->hi, who, err);
            next--;
        }
        if (!s && next < 0 && !sent_up) {
            sent_up = 1;
            if (up) { /* the subtree's node, up; an empty one too (the parent must answer it) */
                ar_msg_t m = ar_msg_make(AR_MSG_REDUCE, net->rank);
                m.u.task.id = x->id, m.u.task.step = x->step, m.u.task.part = x->part;
                m.u.task.attempt = x->attempt;
                m.body = acc;
                memset(&acc, 0, sizeof acc);
                s = send_up(net, up, &m, err);
                ar_msg_clear(&m);
            } else { /* part 0: the root */
                s = ar_reduce_local(&acc, &answer, err);
                answered = !s;
            }
        }
        if (s || answered || (net->cancelled && (s = net->cancelled(net->ctx, err)))) break;
        unsigned ready = 0;
        ar_client_t *cs[2] = {net->watch, up};
        if ((s = ar_net_wait(net->server, cs, 2, 100, &ready, err))) break;
        if (ready & 1) { /* a child's node */
            uint8_t *d = NULL;
            size_t n = 0;
            ar_peer_t p;
            int got = 0;
            ar_msg_t m;
            s = ar_server_recv(net->server, 0, &d, &n, &p, &got, err);
            if (!s && got) {
                net->bytes_in += (double)n;
                s = tree_msg(net, x, d, n, p.rank, AR_MSG_REDUCE, &m, err);
            }
            free(d);
            if (!s && got && m.type == AR_MSG_REDUCE) {
                int i = 0;
                while (i < role.nchildren && x->members[role.children[i].part] != p.rank) i++;
                if (i == role.nchildren || have[i] || m.u.task.part != role.children[i].part)
                    s = ar_err_set(err, AR_E_PROTO, "worker r%d (reduction tree) sent part %d of "
                                   "task %llu exchange %llu to r%d, which is not its parent or "
                                   "has it already", p.rank, (int)m.u.task.part,
                                   (unsigned long long)x->id, (unsigned long long)x->step, net->rank);
                else {
                    kids[i] = m.body, from[i] = p, have[i] = 1;
                    memset(&m.body, 0, sizeof m.body);
                }
                ar_msg_clear(&m);
            }
        }
        if (!s && (ready & 4)) { /* the answer from above */
            uint8_t *d = NULL;
            size_t n = 0;
            int got = 0;
            ar_msg_t m;
            s = ar_client_recv(up, 0, &d, &n, &got, err);
            if (!s && got) {
                net->bytes_in += (double)n;
                s = tree_msg(net, x, d, n, x->members[role.up.part], AR_MSG_REDUCED, &m, err);
            }
            free(d);
            if (!s && got && m.type == AR_MSG_REDUCED) {
                if (!sent_up)
                    s = ar_err_set(err, AR_E_PROTO, "worker r%d (reduction tree) answered exchange "
                                   "%llu of task %llu before this part sent it",
                                   x->members[role.up.part], (unsigned long long)x->step,
                                   (unsigned long long)x->id);
                answer = m.body, answered = !s;
                memset(&m.body, 0, sizeof m.body);
                ar_msg_clear(&m);
            }
        }
        if (!s && (ready & 2)) s = net->watch_fn(net->ctx, err);
    }
    if (!s) s = send_down(net, x, &role, from, &answer, err);
    ar_fields_clear(&acc);
    for (int i = 0; i < AR_TREE_MAX_CHILDREN; i++) ar_fields_clear(&kids[i]);
    if (s) {
        ar_fields_clear(&answer);
        return s;
    }
    *recv = answer;
    return AR_OK;
}
