/* repair_means.c - clean / in-pool / held-out means (repair_means.h). */
#include "jobs/repair/repair_means.h"

#include <string.h>

const char *const ar_repair_group_names[AR_NGROUPS] = {"clean", "in-pool mean", "held-out mean"};

int ar_repair_set_group(const char *label, int held)
{
    return strcmp(label, "clean") == 0 ? AR_GROUP_CLEAN : held ? AR_GROUP_HELD_OUT : AR_GROUP_IN_POOL;
}

ar_repair_means_t ar_repair_means(int n, const char *const *labels, const int8_t *held,
                                  const double *before, const double *after)
{
    ar_repair_means_t m = {0};
    for (int i = 0; i < n; i++) {
        int g = ar_repair_set_group(labels[i], held ? held[i] : 0);
        m.before[g] += before[i], m.after[g] += after[i], m.n[g]++;
    }
    for (int g = 0; g < AR_NGROUPS; g++)
        if (m.n[g]) m.before[g] /= m.n[g], m.after[g] /= m.n[g];
    return m;
}
