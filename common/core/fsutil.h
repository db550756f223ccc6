/* fsutil.h - small file-system helpers: atomic output, file size, timers.
 *
 * Outputs are written to a temporary name beside the final one and renamed
 * into place when complete, so a crash never leaves a half-written file
 * under the final name (a promise every output of the project makes).
 */
#ifndef AR_CORE_FSUTIL_H
#define AR_CORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#include <stdio.h>

/* Writes "<final>.tmp.<pid>.<k>" into buf (k counts this process's
 * temporary names, so none repeats); returns 0, or -1 if it does not fit. */
int ar_tmp_path(const char *final_path, char *buf, size_t cap);
/* Creates the temporary file for final_path exclusively (O_EXCL: never an
 * existing file or a symlink planted there) and opens it for writing; its
 * name goes to tmp. NULL with err set (AR_E_IO naming it) on failure. */
FILE *ar_tmp_create(const char *final_path, char *tmp, size_t cap, ar_err_t *err);
/* The directory part of path into dir (cap bytes): "a/b/c" -> "a/b",
 * "/c" -> "/", "c" -> ".". */
void ar_dir_of(const char *path, char *dir, size_t cap);
/* fsyncs tmp, renames it to final and fsyncs final's directory, so the
 * rename survives a crash; on failure removes tmp and returns an AR_E_IO
 * status with a message naming final. */
int ar_commit_file(const char *tmp, const char *final_path, ar_err_t *err);

/* Size of a regular file in bytes, or -1 (errno set). */
int64_t ar_file_size(const char *path);
/* 1 if path is a directory, 0 otherwise. */
int ar_is_dir(const char *path);
/* Reads a whole (small) file into a NUL-terminated malloc'd buffer; the
 * caller frees it. Returns NULL with err set on failure. */
char *ar_read_text_file(const char *path, size_t *len, ar_err_t *err);
/* Writes len bytes to path atomically (tmp + rename). */
int ar_write_file_atomic(const char *path, const void *data, size_t len, ar_err_t *err);

/* Monotonic seconds since an arbitrary origin. */
double ar_now(void);
/* CPU seconds this process has used (all its threads). */
double ar_cpu_seconds(void);

/* Number of online CPU cores (>= 1). */
int ar_num_cores(void);

#endif
