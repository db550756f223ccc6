/* interpolate.h - weight interpolation between the original model and a
 * repaired one of the same architecture, to land on the clean-accuracy
 * bound: w(a) = (1 - a) * original + a * repaired for every parameter and
 * BatchNorm statistic (weight-space ensembling; with a = 1 the repaired
 * model, with a = 0 the original). A searched cell beside the block's
 * original branch interpolates too: its contribution is scaled by a.
 *
 * A repair that gains on corrupted images often pays for it with clean
 * accuracy; moving part of the way back towards the original keeps most of
 * the gain for a fraction of the loss. ar_interp_to_bound tries a = 1, 7/8,
 * ..., 1/8 and keeps the largest whose clean validation accuracy stays
 * within the bound (docs/repair.md "Interpolation to the bound").
 */
#ifndef AR_REPAIR_INTERPOLATE_H
#define AR_REPAIR_INTERPOLATE_H

#include "core/error.h"
#include "nn/graph.h"
#include "repair/trainer.h"

/* out's parameters = (1 - a) * g0's + a * g1's (computed in double, rounded
 * once). The three graphs must have the same nodes, ops and parameter
 * shapes (AR_E_ARG otherwise); out may be g1. */
int ar_graph_lerp(const ar_graph_t *g0, const ar_graph_t *g1, double a, ar_graph_t *out,
                  ar_err_t *err);

/* out's parameters = w(a) between the original g0 and a repaired g1 of
 * either kind:
 *  - the same layout (every method that keeps the architecture):
 *    ar_graph_lerp;
 *  - a seeded cell (archrepair with seed_original: the block's original
 *    branch kept beside the cell and summed with it at "<B>.cell.add",
 *    cell.h): every parameter of a node g0 also has (same name, same sizes)
 *    lerped, the cell's output BatchNorm's weight and bias ("<B>.cell.bn")
 *    scaled by a, every other cell parameter g1's. The cell then adds a
 *    times its output to the block, and a = 0 is the original network.
 * out has g1's layout (e.g. a clone of it). AR_E_ARG for any other pair. */
int ar_interp_weights(const ar_graph_t *g0, const ar_graph_t *g1, double a, ar_graph_t *out,
                      ar_err_t *err);

/* 1 when ar_interp_weights can mix g0 and g1. */
int ar_interp_supported(const ar_graph_t *g0, const ar_graph_t *g1);

/* Eval-mode accuracy of g on an image set, in batches of `batch`. */
int ar_imgset_accuracy(ar_graph_t *g, const ar_imgset_t *set, int batch, double *acc, ar_err_t *err);

typedef struct ar_interp_result {
    double a;                 /* the coefficient kept (1 = the repaired model as is) */
    double val_clean, val_corrupt; /* the kept model on the two validation sets */
    int tried;                /* coefficients evaluated */
    int64_t passes_fwd;       /* cost: validation images evaluated */
} ar_interp_result_t;

/* Replaces *tuned's parameters (ar_interp_weights) by the largest a in {1, 7/8, ..., 1/8}
 * whose clean validation accuracy (val[0]) is at least `floor`; when none
 * is, the last one tried (1/8) is kept (the selection will then reject the
 * candidate, as without interpolation). val[1] is the corrupted validation
 * set. g0 is the original model. */
int ar_interp_to_bound(const ar_graph_t *g0, ar_graph_t *tuned, const ar_imgset_t *val, int batch,
                       double floor, ar_interp_result_t *r, ar_err_t *err);

#endif
