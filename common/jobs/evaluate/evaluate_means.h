/* evaluate_means.h - the summary of an evaluation's sets: the corruption x
 * severity grid with each corruption's mean over its severities, each
 * severity's mean over the corruptions, the mean per corruption category
 * (noise, blur, weather, digital), the clean accuracy, the mean corrupted
 * accuracy and their ratio. One computation for the job's printed table and
 * JSON summary (evaluate_report.c), `archrepair info` and `archrepair
 * report` on a result file: both sides work from the set labels and
 * accuracies, as the file stores them. */
#ifndef AR_JOBS_EVALUATE_MEANS_H
#define AR_JOBS_EVALUATE_MEANS_H

#include <stdio.h>

#define AR_EVAL_MAX_SEV 5   /* severities 1..5 are tabulated */
#define AR_EVAL_NCAT 4      /* the benchmark's corruption categories */
#define AR_EVAL_ROW_CAP 192 /* a row name's bytes (the set label's) */

typedef struct ar_eval_means {
    int nrows;                    /* corruptions (rows), in order of appearance */
    char (*row)[AR_EVAL_ROW_CAP]; /* row names: the label without "/<severity>" */
    int *row_cat;                 /* [nrows] category 0..3 of the row's corruption, -1 unknown */
    double *row_mean;             /* [nrows] mean over the row's severities 1..5 */
    int *idx;                     /* [nrows * AR_EVAL_MAX_SEV] set of (row, severity), -1 absent */
    double sev_mean[AR_EVAL_MAX_SEV + 1]; /* [1..5] mean over the rows that have it */
    int sev_n[AR_EVAL_MAX_SEV + 1];
    double cat_mean[AR_EVAL_NCAT]; /* mean over the category's tabulated sets */
    int cat_rows[AR_EVAL_NCAT], cat_sets[AR_EVAL_NCAT];
    double clean;          /* set 0 (the clean set); 0 without sets */
    double mean_corrupted; /* mean over sets 1..n-1 (every one, tabulated or not) */
    double relative;       /* mean_corrupted / clean; 0 when clean is 0 */
} ar_eval_means_t;

/* The severity of a corrupted set's label ("[<name>/]<corruption>/<severity>"):
 * 1.. , or 0 when the label does not end in "/<number>". */
int ar_eval_label_severity(const char *label);

/* Means of acc over n sets labelled labels, set 0 being the clean set (as
 * the evaluate job orders them). Returns 0, or -1 when out of memory (m is
 * then empty). Free with ar_eval_means_free. */
int ar_eval_means(int n, const char *const *labels, const double *acc, ar_eval_means_t *m);
void ar_eval_means_free(ar_eval_means_t *m);

/* The job's accuracy table (percent): clean, one row per corruption with
 * severities 1..5 and its mean, the mean over corruptions per severity, and
 * the relative robustness. acc is the array the means were computed from. */
void ar_eval_means_print(const ar_eval_means_t *m, const double *acc, FILE *f);

#endif
