/* select.c - the constrained selection rule (select.h). */
#include "select.h"

#include <assert.h>

int ar_repair_qualifies(const ar_repair_metrics_t *m, double clean0, double max_drop)
{
    assert(m && max_drop >= 0);
    return m->val_clean >= clean0 - max_drop - 1e-9;
}

int ar_repair_ranks_before(const ar_repair_metrics_t *a, const ar_repair_metrics_t *b,
                           double clean0, double max_drop)
{
    int qa = ar_repair_qualifies(a, clean0, max_drop), qb = ar_repair_qualifies(b, clean0, max_drop);
    if (qa != qb) return qa > qb;
    if (a->val_corrupt != b->val_corrupt) return a->val_corrupt > b->val_corrupt;
    return a->val_clean > b->val_clean;
}

int ar_repair_pick(const ar_repair_metrics_t *m, const int *alive, int n, double clean0,
                   double max_drop)
{
    assert(m || n == 0);
    int best = -1;
    for (int i = 0; i < n; i++) {
        if ((alive && !alive[i]) || !ar_repair_qualifies(&m[i], clean0, max_drop)) continue;
        if (best < 0 || ar_repair_ranks_before(&m[i], &m[best], clean0, max_drop)) best = i;
    }
    return best;
}
