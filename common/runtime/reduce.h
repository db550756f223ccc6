/* reduce.h - the exchanges of tasks shared by several workers (data-parallel
 * candidates): what a REDUCE carries, how the coordinator combines them,
 * what a REDUCED answers (proto/README.md "Shared tasks").
 *
 * A shared task runs on `parts` workers at once; at each exchange (step 0,
 * 1, ... of the task) the slots 0..nslots-1 of the step (its micro-batches)
 * are split between the parts as the nodes of a fixed binary tree
 * (core/fold.h: part p owns node ar_fold_part(nslots, p, parts) = slots
 * [lo, hi), maybe empty), and every part sends one REDUCE whose body is
 *     nslots  int            slots of this exchange
 *     lo, hi  int            its node (must be the one ar_fold_part gives)
 *     sum     f32 [S]        its slots' values added along the tree
 *     cat     f32 [hi-lo, Q] its slots' values to gather
 * When every part's REDUCE is in, the answer to every part is a REDUCED:
 *     sum     f32 [S]        the parts' sums combined up the same tree
 *     cat     f32 [nslots, Q] every slot's cat row in slot order
 * so the bits depend on the slots' rows only, never on how many parts
 * computed them or in what order their messages came (one part computes
 * the whole tree itself). The coordinator receives one sum row per part,
 * not one per slot.
 */
#ifndef AR_RUNTIME_REDUCE_H
#define AR_RUNTIME_REDUCE_H

#include <stdint.h>

#include "core/error.h"
#include "proto/msg.h"

/* One exchange being collected. Zero-initialise; ar_reduction_free after. */
typedef struct ar_reduction {
    int parts;                  /* parts expected */
    int arrived;
    ar_fields_t *bodies;        /* [parts], owned: each part's REDUCE body */
    int64_t nslots, S, Q;       /* from the first body */
} ar_reduction_t;

/* Prepares r for `parts` parts (clears what it held). */
int ar_reduction_begin(ar_reduction_t *r, int parts, ar_err_t *err);
/* Takes part `part`'s body (moved out of *body on success), checking its
 * fields against the convention above and the parts already in (same
 * nslots, S, Q; the node ar_fold_part gives). AR_E_PROTO naming `who`
 * (e.g. "worker r3, task 7 exchange 12") otherwise. */
int ar_reduction_add(ar_reduction_t *r, int part, ar_fields_t *body, const char *who,
                     ar_err_t *err);
/* 1 when every part's body is in. */
int ar_reduction_complete(const ar_reduction_t *r);
/* The REDUCED body (out empty on entry). */
int ar_reduction_result(const ar_reduction_t *r, ar_fields_t *out, ar_err_t *err);
void ar_reduction_free(ar_reduction_t *r);

/* The exchange of a task with a single part: body's REDUCED answer. */
int ar_reduce_local(ar_fields_t *body, ar_fields_t *out, ar_err_t *err);

/* ---- the reduction tree: the parts combine among themselves ---------------
 *
 * Instead of one REDUCE per part into the coordinator, the parts can combine
 * their nodes among themselves along the parts' own binary tree, the one
 * ar_fold_part walks: parts [a, a+k) over slots [lo, hi) split into the left
 * parts [a, a+ceil(k/2)) over [lo, mid) and the right ones over [mid, hi).
 * The first part of each range (its leader) adds the right range's node,
 * sent up by the right range's leader, to its own: node [lo, mid) + node
 * [mid, hi) = node [lo, hi), exactly the addition ar_fold_tree makes, so the
 * answer has the same bits as the coordinator's. Part 0 ends with the root
 * and sends the answer back down the same links (largest subtree first).
 * Every link carries one node up and one answer down per exchange, whatever
 * the number of parts; part 0 handles ceil(log2 parts) links. Every part but
 * 0 sends up exactly once per exchange, an empty node when it holds no slot
 * (more parts than slots), so its parent can answer it. */

#define AR_TREE_MAX_CHILDREN 16 /* > log2(AR_PROTO_MAX_PARTS) + 1 */

typedef struct ar_tree_link {
    int part;           /* the other end */
    int64_t lo, hi;     /* the node that travels up the link (lo == hi: empty) */
} ar_tree_link_t;

typedef struct ar_tree_role {
    int64_t lo, hi;     /* this part's own node: ar_fold_part's */
    ar_tree_link_t up;  /* part: its parent (-1 for part 0); lo, hi: the node it sends */
    int nchildren;
    ar_tree_link_t children[AR_TREE_MAX_CHILDREN]; /* top-down: [0] the largest subtree;
                                                      nodes are added in reverse order */
} ar_tree_role_t;

/* Part `part`'s place in the tree of `parts` parts over nslots slots. */
void ar_tree_role(int64_t nslots, int part, int parts, ar_tree_role_t *role);

/* Adds the body a child sent up (its node [mid, hi) of nslots slots,
 * checked: AR_E_PROTO naming `who` when it is not that node or its sizes
 * disagree with acc) to acc, a body holding node [lo, mid): acc becomes node
 * [lo, hi) (sum added, cat rows appended). child is emptied. */
int ar_tree_merge(ar_fields_t *acc, ar_fields_t *child, int64_t nslots, int64_t mid, int64_t hi,
                  const char *who, ar_err_t *err);

#endif
