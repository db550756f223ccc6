/* checkpoint.h - a job's checkpoint file: what `archrepair-coord --resume`
 * continues from.
 *
 * What is saved is generic, the same for every job kind: the job file's
 * text, the identity of every input file, and for every task whose final
 * result had arrived, its type, a hash of its parameters and every result
 * message it sent (partials and the final one, as the wire carried them).
 * Job kinds are deterministic functions of the results they aggregate, in
 * task order (runtime/registry.h), so a resumed coordinator rebuilds its
 * state exactly by creating the job again, planning round by round and
 * feeding the recorded results to aggregate() instead of sending those tasks
 * out; only the tasks with no recorded result run again. A plan that does
 * not produce the recorded task (other type or parameters) is refused.
 *
 * File layout (little-endian, "<output>.ckpt" beside the job's output):
 *   "ARCKPT01"
 *   u64 length, job text
 *   u32 inputs, each: u32 length, path, i64 size, i64 mtime (ns), u64 hash
 *   u64 tasks,  each: u64 id, u32 length, type, u64 params hash,
 *                     u32 results, each: u32 length, encoded RESULT message
 *   u64 FNV-1a hash of every byte before it
 * Written atomically (temporary name opened O_EXCL, fsync, rename, fsync of
 * the directory), so a crash leaves the previous checkpoint or the new one.
 */
#ifndef AR_RUNTIME_CHECKPOINT_H
#define AR_RUNTIME_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* An input file as it was when the job started: size, modification time
 * and a hash of its first 64 KiB (a directory: of every file in it). */
typedef struct ar_ckpt_input {
    char path[1024];
    int64_t size, mtime_ns;
    uint64_t hash;
} ar_ckpt_input_t;

/* One recorded result message (encoded). */
typedef struct ar_ckpt_blob {
    uint8_t *data;
    size_t len;
} ar_ckpt_blob_t;

/* One task with its final result in. */
typedef struct ar_ckpt_task {
    uint64_t id;
    char type[64];
    uint64_t params_hash;
    ar_ckpt_blob_t *results;  /* in seq order, the last one final */
    uint32_t nresults;
} ar_ckpt_task_t;

typedef struct ar_ckpt {
    char *job_text;
    ar_ckpt_input_t *inputs;
    uint32_t ninputs;
    ar_ckpt_task_t *tasks;    /* increasing id */
    uint64_t ntasks;
    size_t file_bytes;        /* size of the file read or last written */
} ar_ckpt_t;

/* "<output>.ckpt" into buf; -1 when it does not fit. */
int ar_ckpt_path(const char *output, char *buf, size_t cap);

/* Identity of path now (a regular file or a directory of files). */
int ar_ckpt_identify(const char *path, ar_ckpt_input_t *in, ar_err_t *err);
/* AR_OK when every recorded input still has its identity; otherwise
 * AR_E_CONFIG with one line naming the file and what changed. */
int ar_ckpt_check_inputs(const ar_ckpt_t *c, ar_err_t *err);

/* Reads and validates a checkpoint (magic, bounds, trailing hash); *c is
 * overwritten (free with ar_ckpt_free). AR_E_FORMAT naming the file when it
 * is damaged, AR_E_IO when it cannot be read. */
int ar_ckpt_read(const char *path, ar_ckpt_t *c, ar_err_t *err);
/* Writes c atomically to path; sets c->file_bytes. */
int ar_ckpt_write(const char *path, ar_ckpt_t *c, ar_err_t *err);
/* The recorded task id, or NULL. */
const ar_ckpt_task_t *ar_ckpt_find(const ar_ckpt_t *c, uint64_t id);
void ar_ckpt_free(ar_ckpt_t *c);

/* FNV-1a 64 of len bytes, continuing from h (start with AR_FNV_INIT). */
#define AR_FNV_INIT 1469598103934665603ULL
uint64_t ar_fnv1a(uint64_t h, const void *data, size_t len);

#endif
