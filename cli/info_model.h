/* info_model.h - `archrepair info` on model and result files (HDF5 files
 * whose root attribute format is "archrepair-model"). Implemented in
 * info_model.c next to the engine's model reader. */
#ifndef AR_CLI_INFO_MODEL_H
#define AR_CLI_INFO_MODEL_H

#include <stdio.h>

#include "core/error.h"

/* Describes the model or result file at path on out: architecture, input
 * shape, classes, normalisation, the nodes of /graph, and the /repair or
 * /evaluation record when present. Returns AR_OK or a status with err
 * naming the file and the problem (missing attribute, bad node). */
int ar_info_model(const char *path, FILE *out, ar_err_t *err);

#endif
