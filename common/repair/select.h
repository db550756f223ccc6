/* select.h - the repair job's selection rule: clean accuracy is a
 * constraint, corrupted accuracy the objective (docs/repair.md "Selection").
 *
 * A candidate *qualifies* when its clean validation accuracy is at most
 * max_drop below the original model's clean validation accuracy clean0.
 * Among qualifying candidates the best is the one with the highest
 * corrupted validation accuracy (ties: higher clean, then lower index).
 * When none qualifies there is no winner: the job keeps the original model.
 */
#ifndef AR_REPAIR_SELECT_H
#define AR_REPAIR_SELECT_H

/* One candidate's validation accuracies (both in 0..1). */
typedef struct ar_repair_metrics {
    double val_clean;         /* on the clean validation images */
    double val_corrupt;       /* on the same images, all corrupted */
} ar_repair_metrics_t;

/* 1 when val_clean >= clean0 - max_drop (with 1e-9 of rounding slack). */
int ar_repair_qualifies(const ar_repair_metrics_t *m, double clean0, double max_drop);

/* 1 when a ranks strictly before b: qualifying before not qualifying, then
 * higher val_corrupt, then higher val_clean. Used for successive halving,
 * where a candidate that does not qualify yet may still after more epochs. */
int ar_repair_ranks_before(const ar_repair_metrics_t *a, const ar_repair_metrics_t *b,
                           double clean0, double max_drop);

/* The index of the best qualifying candidate among m[0..n) whose alive[i]
 * is non-zero (alive NULL: all), or -1 when none qualifies. Changes nothing. */
int ar_repair_pick(const ar_repair_metrics_t *m, const int *alive, int n, double clean0,
                   double max_drop);

#endif
