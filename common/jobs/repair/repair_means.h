/* repair_means.h - the summary of a repair result's evaluation sets: the
 * clean set, the mean over the in-pool corrupted sets (corruptions the
 * repair pool saw) and the mean over the held-out ones, before and after.
 * One computation for the job's printed table and JSON (repair_report.c),
 * `archrepair info` and `archrepair report` on a result file. */
#ifndef AR_JOBS_REPAIR_MEANS_H
#define AR_JOBS_REPAIR_MEANS_H

#include <stdint.h>

enum { AR_GROUP_CLEAN = 0, AR_GROUP_IN_POOL = 1, AR_GROUP_HELD_OUT = 2, AR_NGROUPS = 3 };

/* "clean", "in-pool mean", "held-out mean" (the tables' row names). */
extern const char *const ar_repair_group_names[AR_NGROUPS];

typedef struct ar_repair_means {
    double before[AR_NGROUPS], after[AR_NGROUPS]; /* means over the group's sets */
    int n[AR_NGROUPS];                            /* sets in the group */
} ar_repair_means_t;

/* The group of a set by its label ("clean" is the clean set, sets.h) and
 * held-out flag. */
int ar_repair_set_group(const char *label, int held);

/* Means of before[i] / after[i] over the n sets of each group; held may be
 * NULL (every corrupted set in-pool). */
ar_repair_means_t ar_repair_means(int n, const char *const *labels, const int8_t *held,
                                  const double *before, const double *after);

#endif
