/* test_reduce.c - shared tasks' exchanges (runtime/reduce.c) and the fold
 * tree under them (core/fold.c): every split of n slots between k parts
 * tiles the slots with nodes of the tree, and combining the parts' node
 * sums gives the one-part sum bit for bit (random rows, n 1..20, k 1..24);
 * REDUCE bodies that are not their part's share, come twice, disagree on
 * sizes or lack a field are refused naming the sender; cat rows land in
 * slot order. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/fold.h"
#include "core/rng.h"
#include "runtime/reduce.h"

#define LEN 37

typedef struct rows {
    const float *r;   /* [n][LEN] leaves */
} rows_t;

static const float *leaf(void *ctx, int64_t lo, int64_t hi)
{
    const rows_t *x = ctx;
    return hi == lo + 1 ? x->r + lo * LEN : NULL;
}

/* A REDUCE body: part p of k's node of n slots, sums from rows. */
static void body(ar_fields_t *b, const float *rows, int64_t n, int p, int k, int64_t Q)
{
    ar_err_t e = {0};
    int64_t lo, hi;
    ar_fold_part(n, p, k, &lo, &hi);
    float sum[LEN] = {0}, *cat = calloc((size_t)((hi - lo) * Q + 1), sizeof *cat);
    rows_t x = {rows};
    if (hi > lo) CHECK(ar_fold_tree(sum, LEN, lo, hi, leaf, &x) == 0, "node sum");
    for (int64_t i = 0; i < (hi - lo) * Q; i++) cat[i] = (float)(lo * Q + i);
    CHECK_OK(ar_fields_put_int(b, "nslots", n, &e), &e);
    CHECK_OK(ar_fields_put_int(b, "lo", lo, &e), &e);
    CHECK_OK(ar_fields_put_int(b, "hi", hi, &e), &e);
    CHECK_OK(ar_fields_put_tensor(b, "sum", AR_WDT_F32, 1, (int64_t[]){LEN}, sum, &e), &e);
    CHECK_OK(ar_fields_put_tensor(b, "cat", AR_WDT_F32, 2, (int64_t[]){hi - lo, Q}, cat, &e), &e);
    free(cat);
}

static void test_tiling_and_bits(void)
{
    float rows[20 * LEN];
    ar_rng_t g;
    ar_rng_init(&g, 7);
    for (int i = 0; i < 20 * LEN; i++) rows[i] = (float)(ar_rng_normal(&g) * (i % 5 ? 1 : 1e4));
    int tiled = 1, same = 1;
    for (int64_t n = 1; n <= 20; n++) {
        float one[LEN];
        rows_t x = {rows};
        CHECK(ar_fold_tree(one, LEN, 0, n, leaf, &x) == 0, "one part");
        for (int k = 1; k <= 24; k++) {
            int64_t at = 0;
            for (int p = 0; p < k; p++) { /* the nodes follow each other */
                int64_t lo, hi;
                ar_fold_part(n, p, k, &lo, &hi);
                if (hi > lo) tiled &= lo == at, at = hi;
                else tiled &= lo == hi;
            }
            tiled &= at == n;
            ar_reduction_t r = {0};
            ar_err_t e = {0};
            CHECK_OK(ar_reduction_begin(&r, k, &e), &e);
            for (int p = k - 1; p >= 0; p--) { /* any arrival order */
                ar_fields_t b = {0};
                body(&b, rows, n, p, k, 2);
                CHECK_OK(ar_reduction_add(&r, p, &b, "worker r9", &e), &e);
                ar_fields_clear(&b);
            }
            CHECK(ar_reduction_complete(&r), "complete");
            ar_fields_t out = {0};
            CHECK_OK(ar_reduction_result(&r, &out, &e), &e);
            const ar_wtensor_t *s = NULL, *c = NULL;
            CHECK_OK(ar_fields_get_tensor(&out, "sum", AR_WDT_F32, 1, &s, &e), &e);
            CHECK_OK(ar_fields_get_tensor(&out, "cat", AR_WDT_F32, 2, &c, &e), &e);
            if (s && c) {
                same &= memcmp(s->data, one, sizeof one) == 0;
                for (int64_t i = 0; i < n * 2; i++) same &= ((const float *)c->data)[i] == (float)i;
            }
            ar_fields_clear(&out);
            ar_reduction_free(&r);
        }
    }
    CHECK(tiled, "every split tiles the slots in order");
    CHECK(same, "k parts combine to the one-part sum bit for bit; cat rows in slot order");
    /* the tree is not the running sum: the order is fixed, not arbitrary */
    float seq[LEN], tree[LEN];
    rows_t x = {rows};
    memcpy(seq, rows, sizeof seq);
    for (int i = 1; i < 7; i++)
        for (int j = 0; j < LEN; j++) seq[j] += rows[i * LEN + j];
    CHECK(ar_fold_tree(tree, LEN, 0, 7, leaf, &x) == 0, "tree");
    int differs = 0;
    for (int j = 0; j < LEN; j++) differs |= seq[j] != tree[j];
    printf("7 rows: tree and running sum %s\n", differs ? "differ in the last bits" : "agree here");
}

static void refused(ar_fields_t *b, int p, int k, const char *why, const char *needle)
{
    ar_reduction_t r = {0};
    ar_err_t e = {0};
    CHECK_OK(ar_reduction_begin(&r, k, &e), &e);
    int s = ar_reduction_add(&r, p, b, "worker r3, task 7 exchange 2", &e);
    CHECK(s == AR_E_PROTO && strstr(e.msg, "worker r3") && strstr(e.msg, needle), "%s: %s", why, e.msg);
    ar_reduction_free(&r);
    ar_fields_clear(b);
}

static void test_refusals(void)
{
    float rows[8 * LEN] = {0};
    ar_err_t e = {0};
    ar_fields_t b = {0};
    body(&b, rows, 8, 1, 4, 2);
    refused(&b, 2, 4, "another part's share", "its share is");
    body(&b, rows, 8, 1, 4, 2);
    ar_fields_t lo = {0};
    for (int i = 0; i < b.n; i++) { /* lo missing */
        if (strcmp(b.v[i].name, "lo") == 0) continue;
        ar_field_t f = b.v[i];
        if (f.kind == AR_VAL_INT) CHECK_OK(ar_fields_put_int(&lo, f.name, f.i, &e), &e);
        else CHECK_OK(ar_fields_put_tensor(&lo, f.name, f.t.dtype, f.t.ndim, f.t.shape, f.t.data, &e), &e);
    }
    ar_fields_clear(&b);
    refused(&lo, 1, 4, "a missing field", "'lo'");
    /* twice, and sizes that disagree */
    ar_reduction_t r = {0};
    CHECK_OK(ar_reduction_begin(&r, 2, &e), &e);
    body(&b, rows, 8, 0, 2, 2);
    CHECK_OK(ar_reduction_add(&r, 0, &b, "worker r1", &e), &e);
    ar_fields_clear(&b);
    body(&b, rows, 8, 0, 2, 2);
    CHECK(ar_reduction_add(&r, 0, &b, "worker r1", &e) == AR_E_PROTO && strstr(e.msg, "twice"), "%s", e.msg);
    ar_fields_clear(&b);
    body(&b, rows, 8, 1, 2, 3);
    CHECK(ar_reduction_add(&r, 1, &b, "worker r2", &e) == AR_E_PROTO && strstr(e.msg, "other parts"),
          "%s", e.msg);
    ar_fields_clear(&b);
    CHECK(!ar_reduction_complete(&r), "incomplete after refusals");
    ar_reduction_free(&r);
}

int main(void)
{
    test_tiling_and_bits();
    test_refusals();
    TEST_MAIN_END();
}
