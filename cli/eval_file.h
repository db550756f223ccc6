/* eval_file.h - the /evaluation group of an evaluate job's result file
 * (docs/results.md "Evaluate job result"), read whole with its means, for
 * `archrepair info` and `archrepair report`. */
#ifndef AR_CLI_EVAL_FILE_H
#define AR_CLI_EVAL_FILE_H

#include <stdint.h>

#include "core/error.h"
#include "jobs/evaluate/evaluate_means.h"

typedef struct ar_eval_file {
    char *model, *version, *job; /* attributes; "" when absent */
    int ranks;                   /* 0 when absent */
    double wall;                 /* seconds; 0 when absent */
    int nsets;
    char **set_names;     /* "clean", "[<name>/]<corruption>/<severity>" */
    double *acc;          /* /evaluation/acc */
    int64_t *count;       /* images per set */
    int64_t *correct;     /* (+): 0 where the file has none */
    int have_confusion, k;
    int64_t *confusion;   /* [nsets][k][k] (row: true label) when have_confusion */
    ar_eval_means_t means; /* of acc, as the job computed them */
} ar_eval_file_t;

/* Reads the evaluate result at path: AR_E_FORMAT "<path>: not an evaluate
 * result (no /evaluation group)" for another HDF5 file, and naming the
 * dataset when one is missing or of another length. Free with
 * ar_eval_file_free (also after a failure). */
int ar_eval_file_read(const char *path, ar_eval_file_t *r, ar_err_t *err);
void ar_eval_file_free(ar_eval_file_t *r);

/* Accuracy of class c on set i from the confusion matrix (its diagonal over
 * its row sum); -1 when the class has no image in the set. */
double ar_eval_file_class_acc(const ar_eval_file_t *r, int i, int c);

#endif
