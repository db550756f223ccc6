/* model_io.h - reading and writing model files (docs/formats.md "Model files").
 *
 * Root attributes format = "archrepair-model", format_version = 1, arch,
 * input_shape int32[3] (C, H, W), num_classes, mean/std float32[C]; one group
 * /graph/NNNN per node with attributes op, name, block, inputs int32[k] and
 * the op's attributes, and its parameters as float32 datasets (weight, bias,
 * running_mean, running_var; a num_batches_tracked dataset is ignored).
 * Files written by h5py load too (variable-length strings, int64 / float64
 * attributes). Every problem is an error naming the file and the node:
 * "m.h5: node 0007 'layer1.0.conv2': dataset 'weight' has shape
 * [16, 16, 3, 3], expected [16, 8, 3, 3]". Writes are atomic (tmp + rename).
 */
#ifndef AR_NN_MODEL_IO_H
#define AR_NN_MODEL_IO_H

#include "core/error.h"
#include "io/h5.h"
#include "nn/graph.h"

#define AR_MODEL_FORMAT "archrepair-model"
#define AR_MODEL_FORMAT_VERSION 1

/* Loads and finalizes a model. NULL with err set on failure; the caller
 * owns the graph. */
ar_graph_t *ar_model_load(const char *path, ar_err_t *err);
/* Writes g (finalized) to path atomically; nothing changes at path on error. */
int ar_model_save(const ar_graph_t *g, const char *path, ar_err_t *err);

/* The same on an open file, for files that hold a model among other things
 * (a repair result): root attributes and /graph. */
ar_graph_t *ar_model_read_h5(ar_h5_t *h, ar_err_t *err);
int ar_model_write_h5(ar_h5_t *h, const ar_graph_t *g, ar_err_t *err);

#endif
