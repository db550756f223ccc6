/* tensor.h - float32 tensors (NCHW), and the arena that backs them.
 *
 * Hot numeric data is public, not opaque: kernels index `data` directly.
 * A tensor is contiguous, row-major, with up to 4 dimensions; an image batch
 * is [N, C, H, W], a matrix [rows, cols]. ar_tensor_t is a view: it owns its
 * data only when created by ar_tensor_new (free with ar_tensor_free); tensors
 * carved from an arena are freed with the arena.
 */
#ifndef AR_CORE_TENSOR_H
#define AR_CORE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define AR_TENSOR_MAXDIM 4
#define AR_ALIGN 64

typedef struct ar_tensor {
    float *data;                      /* numel floats, AR_ALIGN-aligned */
    int ndim;                         /* 0..4 */
    int64_t shape[AR_TENSOR_MAXDIM];  /* unused dims are 1 */
} ar_tensor_t;

/* Number of elements (1 for ndim 0). */
int64_t ar_tensor_numel(const ar_tensor_t *t);

/* A shape with ndim dims, unused trailing dims set to 1, data NULL. */
ar_tensor_t ar_tensor_shape(int ndim, const int64_t *shape);
ar_tensor_t ar_tensor_4d(int64_t n, int64_t c, int64_t h, int64_t w);
ar_tensor_t ar_tensor_2d(int64_t rows, int64_t cols);

/* Allocates zeroed aligned data for t's shape; returns 0 or -1 (no memory). */
int ar_tensor_alloc(ar_tensor_t *t);
/* Frees data allocated by ar_tensor_alloc and sets it to NULL; safe twice. */
void ar_tensor_free(ar_tensor_t *t);

/* Same shape (ndim and every dim). */
int ar_tensor_same_shape(const ar_tensor_t *a, const ar_tensor_t *b);
/* "[2, 3, 32, 32]" into buf; returns buf. */
const char *ar_tensor_shape_str(const ar_tensor_t *t, char *buf, size_t cap);

/* Aligned allocation helpers (posix_memalign); NULL on failure. */
void *ar_aligned_alloc(size_t bytes);
void ar_aligned_free(void *p);

/* Bump allocator: one block, AR_ALIGN-aligned pieces, freed all at once.
 * Used to plan activations and scratch once per (network, batch size). */
typedef struct ar_arena {
    char *base;      /* owned block */
    size_t cap;      /* bytes in the block */
    size_t used;     /* bytes handed out */
    size_t peak;     /* largest `used` seen (for reports) */
    size_t dirty;    /* bytes [0, dirty) were handed out (since init): not known zero */
    int mapped;      /* base is an mmap of cap bytes (large blocks; zero until written) */
} ar_arena_t;

/* Allocates a block of cap bytes, all zero; returns 0 or -1 (no memory). */
int ar_arena_init(ar_arena_t *a, size_t cap);
/* Next aligned piece of bytes, zeroed; NULL when the arena is full. */
void *ar_arena_alloc(ar_arena_t *a, size_t bytes);
/* Gives back everything handed out (keeps the block). */
void ar_arena_reset(ar_arena_t *a);
/* Frees the block; safe twice. */
void ar_arena_free(ar_arena_t *a);
/* Rounds bytes up to AR_ALIGN, for sizing arenas. */
size_t ar_align_up(size_t bytes);

#endif
