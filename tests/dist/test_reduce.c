/* test_reduce.c - shared tasks' exchanges (runtime/reduce.c) and the fold
 * tree under them (core/fold.c): every split of n slots between k parts
 * tiles the slots with nodes of the tree, and combining the parts' node
 * sums gives the one-part sum bit for bit (random rows, n 1..20, k 1..24);
 * REDUCE bodies that are not their part's share, come twice, disagree on
 * sizes or lack a field are refused naming the sender; cat rows land in
 * slot order. The reduction tree (the parts combining among themselves):
 * every part but 0 has one parent that lists it as a child with the same
 * node, and adding the children's nodes up that tree gives the
 * coordinator's answer bit for bit (n 1..20, k 1..24, with and without cat
 * values); a child sending the wrong node or other sizes is refused,
 * named. */
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

/* Part p's node after adding its subtree (the body it sends up), built as
 * the tree does it: its own body, then each child's subtree, deepest
 * first. *ok &= every child's node was the one the parent expects. */
static void subtree(ar_fields_t *acc, const float *rows, int64_t n, int p, int k, int64_t Q, int *ok)
{
    ar_err_t e = {0};
    ar_tree_role_t role;
    ar_tree_role(n, p, k, &role);
    body(acc, rows, n, p, k, Q);
    for (int i = role.nchildren - 1; i >= 0; i--) {
        ar_fields_t c = {0};
        subtree(&c, rows, n, role.children[i].part, k, Q, ok);
        int s = ar_tree_merge(acc, &c, n, role.children[i].lo, role.children[i].hi, "worker r5", &e);
        *ok &= s == AR_OK;
        if (s) printf("n %lld k %d part %d child %d: %s\n", (long long)n, k, p, role.children[i].part, e.msg);
        ar_fields_clear(&c);
    }
}

static void test_tree(void)
{
    float rows[20 * LEN];
    ar_rng_t g;
    ar_rng_init(&g, 11);
    for (int i = 0; i < 20 * LEN; i++) rows[i] = (float)(ar_rng_normal(&g) * (i % 3 ? 1 : 1e5));
    int links = 1, merged = 1, same = 1, maxdeg = 0;
    for (int64_t n = 1; n <= 20; n++)
        for (int k = 1; k <= 24; k++)
            for (int64_t Q = 0; Q <= 2; Q += 2) {
                for (int p = 0; p < k; p++) { /* parent and child agree on the link */
                    ar_tree_role_t r, up;
                    ar_tree_role(n, p, k, &r);
                    if (r.nchildren > maxdeg) maxdeg = r.nchildren;
                    if (p == 0) {
                        links &= r.up.part == -1;
                        continue;
                    }
                    links &= r.up.part >= 0 && r.up.part < p;
                    if (r.up.part < 0) continue;
                    ar_tree_role(n, r.up.part, k, &up);
                    int found = 0;
                    for (int i = 0; i < up.nchildren; i++)
                        found += up.children[i].part == p && up.children[i].lo == r.up.lo &&
                                 up.children[i].hi == r.up.hi;
                    links &= found == 1;
                }
                ar_fields_t root = {0}, out = {0}, ref = {0};
                subtree(&root, rows, n, 0, k, Q, &merged);
                ar_err_t e = {0};
                CHECK_OK(ar_reduce_local(&root, &out, &e), &e);
                ar_reduction_t r = {0};
                CHECK_OK(ar_reduction_begin(&r, k, &e), &e);
                for (int p = 0; p < k; p++) {
                    ar_fields_t b = {0};
                    body(&b, rows, n, p, k, Q);
                    CHECK_OK(ar_reduction_add(&r, p, &b, "worker r9", &e), &e);
                    ar_fields_clear(&b);
                }
                CHECK_OK(ar_reduction_result(&r, &ref, &e), &e);
                const ar_wtensor_t *s1 = NULL, *c1 = NULL, *s2 = NULL, *c2 = NULL;
                ar_fields_get_tensor(&out, "sum", AR_WDT_F32, 1, &s1, &e);
                ar_fields_get_tensor(&out, "cat", AR_WDT_F32, 2, &c1, &e);
                ar_fields_get_tensor(&ref, "sum", AR_WDT_F32, 1, &s2, &e);
                ar_fields_get_tensor(&ref, "cat", AR_WDT_F32, 2, &c2, &e);
                same &= s1 && s2 && c1 && c2 && s1->nbytes == s2->nbytes &&
                        !memcmp(s1->data, s2->data, s1->nbytes) && c1->nbytes == c2->nbytes &&
                        c1->shape[0] == n && c2->shape[0] == n &&
                        (!c1->nbytes || !memcmp(c1->data, c2->data, c1->nbytes));
                ar_fields_clear(&root), ar_fields_clear(&out), ar_fields_clear(&ref);
                ar_reduction_free(&r);
            }
    CHECK(links, "every part's parent lists it as a child, with the same node");
    CHECK(merged, "every child sent the node its parent expects");
    CHECK(same, "the tree's answer equals the coordinator's bit for bit");
    printf("tree: at most %d children per part (k <= 24)\n", maxdeg);
    CHECK(maxdeg <= 5, "ceil(log2 24) = 5 links at most, %d", maxdeg);
    /* refusals: the wrong node, other sizes; named */
    ar_fields_t acc = {0}, c = {0};
    ar_err_t e = {0};
    body(&acc, rows, 8, 0, 2, 2); /* node 0..3 */
    body(&c, rows, 8, 1, 4, 2);   /* node 2..3: not 4..7 */
    CHECK(ar_tree_merge(&acc, &c, 8, 4, 8, "worker r6 (reduction tree)", &e) == AR_E_PROTO &&
          strstr(e.msg, "worker r6") && strstr(e.msg, "expected 4..7"), "wrong node: %s", e.msg);
    ar_fields_clear(&c);
    body(&c, rows, 8, 1, 2, 3);   /* node 4..7 with 3 cat values per slot, not 2 */
    CHECK(ar_tree_merge(&acc, &c, 8, 4, 8, "worker r6 (reduction tree)", &e) == AR_E_PROTO &&
          strstr(e.msg, "worker r6"), "other sizes: %s", e.msg);
    ar_fields_clear(&c);
    body(&c, rows, 9, 1, 2, 2);   /* another exchange's slot count */
    CHECK(ar_tree_merge(&acc, &c, 8, 4, 8, "worker r6 (reduction tree)", &e) == AR_E_PROTO,
          "other slot count: %s", e.msg);
    ar_fields_clear(&c), ar_fields_clear(&acc);
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
    test_tree();
    TEST_MAIN_END();
}
