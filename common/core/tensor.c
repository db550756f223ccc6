/* tensor.c - tensor shapes, aligned allocation and the bump arena. */
#include "tensor.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int64_t ar_tensor_numel(const ar_tensor_t *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

ar_tensor_t ar_tensor_shape(int ndim, const int64_t *shape)
{
    assert(ndim >= 0 && ndim <= AR_TENSOR_MAXDIM);
    ar_tensor_t t = {.data = NULL, .ndim = ndim, .shape = {1, 1, 1, 1}};
    for (int i = 0; i < ndim; i++) t.shape[i] = shape[i];
    return t;
}

ar_tensor_t ar_tensor_4d(int64_t n, int64_t c, int64_t h, int64_t w)
{
    int64_t s[4] = {n, c, h, w};
    return ar_tensor_shape(4, s);
}

ar_tensor_t ar_tensor_2d(int64_t rows, int64_t cols)
{
    int64_t s[2] = {rows, cols};
    return ar_tensor_shape(2, s);
}

size_t ar_align_up(size_t bytes) { return (bytes + AR_ALIGN - 1) / AR_ALIGN * AR_ALIGN; }

void *ar_aligned_alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, AR_ALIGN, ar_align_up(bytes ? bytes : 1)) != 0) return NULL;
    return p;
}

void ar_aligned_free(void *p) { free(p); }

int ar_tensor_alloc(ar_tensor_t *t)
{
    size_t bytes = (size_t)ar_tensor_numel(t) * sizeof(float);
    t->data = ar_aligned_alloc(bytes);
    if (!t->data) return -1;
    memset(t->data, 0, bytes);
    return 0;
}

void ar_tensor_free(ar_tensor_t *t)
{
    if (!t) return;
    ar_aligned_free(t->data);
    t->data = NULL;
}

int ar_tensor_same_shape(const ar_tensor_t *a, const ar_tensor_t *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

const char *ar_tensor_shape_str(const ar_tensor_t *t, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "[");
    for (int i = 0; i < t->ndim; i++)
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%lld", i ? ", " : "",
                              (long long)t->shape[i]);
    snprintf(buf + n, n < cap ? cap - n : 0, "]");
    return buf;
}

/* Blocks from this size on come straight from mmap: pages the kernel zeroes
 * on first touch, so handing out a never-used piece needs no memset and a
 * piece no kernel ever writes (a cached prefix's activations, say) costs
 * no page at all. Zeroing every piece by hand took about a fifth of a
 * repair candidate's CPU (perf of bench_repair_search: memset and its page
 * faults under ar_plan_new). */
#define AR_ARENA_MMAP_MIN ((size_t)1 << 20)

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

/* The mapping of a block of cap bytes: whole pages, then the guard page. */
static size_t map_len(size_t cap)
{
    const size_t pg = page_size();
    return (cap + pg - 1) / pg * pg + pg;
}

int ar_arena_init(ar_arena_t *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = ar_align_up(cap ? cap : 1);
    if (a->cap >= AR_ARENA_MMAP_MIN) {
        /* one inaccessible page after the block: running off its end faults
         * loudly (the heap block before had ASan's redzone there) */
        const size_t len = map_len(a->cap);
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            a->cap = 0;
            return -1;
        }
        mprotect(p + len - page_size(), page_size(), PROT_NONE);
#ifdef MADV_HUGEPAGE
        /* transparent huge pages where the kernel grants them on request
         * (THP mode "madvise" or "always"): one fault per 2 MiB, not 512 */
        madvise(p, len - page_size(), MADV_HUGEPAGE);
#endif
        a->base = p;
        a->mapped = 1;
        return 0;
    }
    a->base = ar_aligned_alloc(a->cap);
    if (!a->base) {
        a->cap = 0;
        return -1;
    }
    memset(a->base, 0, a->cap);
    return 0;
}

void *ar_arena_alloc(ar_arena_t *a, size_t bytes)
{
    size_t need = ar_align_up(bytes ? bytes : 1);
    if (a->used + need > a->cap) return NULL;
    void *p = a->base + a->used;
    if (a->used < a->dirty) /* handed out before a reset: may hold anything */
        memset(p, 0, (a->dirty < a->used + bytes ? a->dirty : a->used + bytes) - a->used);
    a->used += need;
    if (a->used > a->peak) a->peak = a->used;
    if (a->used > a->dirty) a->dirty = a->used;
    return p;
}

void ar_arena_reset(ar_arena_t *a) { a->used = 0; }

void ar_arena_free(ar_arena_t *a)
{
    if (!a) return;
    if (a->mapped && a->base)
        munmap(a->base, map_len(a->cap));
    else
        ar_aligned_free(a->base);
    a->base = NULL;
    a->cap = a->used = a->dirty = 0;
    a->mapped = 0;
}
