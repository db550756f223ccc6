/* test_core.c - errors, RNG streams, tensors and the arena, file helpers,
 * logging, string helpers. */
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/str.h"
#include "core/tensor.h"

static void test_errors(void)
{
    ar_err_t e = {0};
    CHECK(ar_err_msg(&e)[0] == 'o', "empty error reads as ok");
    int st = ar_err_set(&e, AR_E_IO, "x.bin: %s\nsecond", "truncated");
    CHECK(st == AR_E_IO, "returns status");
    CHECK(strcmp(e.msg, "x.bin: truncated second") == 0, "one line: '%s'", e.msg);
    ar_err_prefix(&e, "rank %d", 3);
    CHECK(strcmp(e.msg, "rank 3: x.bin: truncated second") == 0, "prefix: '%s'", e.msg);
    CHECK(strcmp(ar_strerror(AR_E_FORMAT), "bad file format") == 0, "strerror");
    CHECK(strcmp(ar_strerror(9999), "unknown status") == 0, "strerror out of range");
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ar_err_set(&e, AR_E_IO, "%s", big);
    CHECK(strlen(e.msg) == AR_ERRMSG_MAX - 1 && strcmp(e.msg + AR_ERRMSG_MAX - 4, "...") == 0,
          "truncated with ...");
    ar_err_clear(&e);
    CHECK(e.status == AR_OK && e.msg[0] == 0, "clear");
}

static void test_rng(void)
{
    uint64_t ids[3] = {7, 2, 99};
    ar_rng_t a, b;
    ar_rng_init(&a, ar_rng_key(42, ids, 3));
    ar_rng_init(&b, ar_rng_key(42, ids, 3));
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= ar_rng_u64(&a) == ar_rng_u64(&b);
    CHECK(same, "same key, same stream");
    uint64_t ids2[3] = {7, 2, 98};
    CHECK(ar_rng_key(42, ids, 3) != ar_rng_key(42, ids2, 3), "keys differ by id");
    CHECK(ar_rng_key(42, ids, 3) != ar_rng_key(43, ids, 3), "keys differ by seed");
    uint64_t swapped[3] = {2, 7, 99};
    CHECK(ar_rng_key(42, ids, 3) != ar_rng_key(42, swapped, 3), "order matters");

    /* moments */
    int n = 200000;
    double s = 0, s2 = 0, u = 0, p = 0, p2 = 0, q = 0;
    for (int i = 0; i < n; i++) {
        double z = ar_rng_normal(&a);
        s += z;
        s2 += z * z;
        u += ar_rng_uniform(&a);
        double k = (double)ar_rng_poisson(&a, 50.0);
        p += k;
        p2 += k * k;
        q += (double)ar_rng_poisson(&a, 3.0);
    }
    CHECK(fabs(s / n) < 0.01, "normal mean %g", s / n);
    CHECK(fabs(s2 / n - 1) < 0.02, "normal var %g", s2 / n);
    CHECK(fabs(u / n - 0.5) < 0.005, "uniform mean %g", u / n);
    double pm = p / n, pv = p2 / n - pm * pm;
    CHECK(fabs(pm - 50) < 0.1 && fabs(pv - 50) < 1.0, "poisson(50) mean %g var %g", pm, pv);
    CHECK(fabs(q / n - 3) < 0.03, "poisson(3) mean %g", q / n);
    int counts[5] = {0};
    for (int i = 0; i < 50000; i++) counts[ar_rng_below(&a, 5)]++;
    for (int i = 0; i < 5; i++) CHECK(abs(counts[i] - 10000) < 400, "below(5) bucket %d: %d", i, counts[i]);
    int64_t idx[10];
    for (int i = 0; i < 10; i++) idx[i] = i;
    ar_rng_shuffle(&a, idx, 10);
    int64_t sum = 0;
    for (int i = 0; i < 10; i++) sum += idx[i];
    CHECK(sum == 45, "shuffle is a permutation");
}

static void test_tensor_arena(void)
{
    ar_tensor_t t = ar_tensor_4d(2, 3, 4, 5);
    CHECK(ar_tensor_numel(&t) == 120, "numel");
    CHECK(ar_tensor_alloc(&t) == 0 && ((uintptr_t)t.data % AR_ALIGN) == 0, "aligned alloc");
    char buf[64];
    CHECK(strcmp(ar_tensor_shape_str(&t, buf, sizeof buf), "[2, 3, 4, 5]") == 0, "shape str %s", buf);
    ar_tensor_free(&t);
    ar_tensor_free(&t);
    CHECK(t.data == NULL, "free twice");

    ar_arena_t a;
    CHECK(ar_arena_init(&a, 1000) == 0, "arena init");
    void *p1 = ar_arena_alloc(&a, 10), *p2 = ar_arena_alloc(&a, 100);
    CHECK(p1 && p2 && ((uintptr_t)p2 % AR_ALIGN) == 0 && (char *)p2 - (char *)p1 == 64, "bump");
    CHECK(ar_arena_alloc(&a, 5000) == NULL, "full arena gives NULL");
    ar_arena_reset(&a);
    CHECK(a.used == 0 && a.peak == 64 + 128, "reset keeps peak %zu", a.peak);
    ar_arena_free(&a);
    ar_arena_free(&a);

    /* every piece comes zeroed: fresh ones (small blocks and large, mmapped
     * ones) and ones handed out again after a reset, partly overlapping
     * what was written before */
    const size_t caps[2] = {4096, (size_t)3 << 20};
    for (int k = 0; k < 2; k++) {
        CHECK(ar_arena_init(&a, caps[k]) == 0, "arena init %zu", caps[k]);
        CHECK(a.mapped == (k == 1), "large blocks are mapped (%zu: %d)", caps[k], a.mapped);
        const size_t half = caps[k] / 2;
        unsigned char *q = ar_arena_alloc(&a, half), *r = ar_arena_alloc(&a, half - 64);
        int zero = q && r;
        for (size_t i = 0; zero && i < half; i++) zero = q[i] == 0;
        for (size_t i = 0; zero && i < half - 64; i++) zero = r[i] == 0;
        CHECK(zero, "fresh pieces zero (%zu)", caps[k]);
        if (q) memset(q, 0xab, half);
        ar_arena_reset(&a);
        unsigned char *s1 = ar_arena_alloc(&a, 100), *s2 = ar_arena_alloc(&a, caps[k] - 256);
        zero = s1 && s2;
        for (size_t i = 0; zero && i < 100; i++) zero = s1[i] == 0;
        for (size_t i = 0; zero && i < caps[k] - 256; i++) zero = s2[i] == 0;
        CHECK(zero, "pieces after a reset zero (%zu)", caps[k]);
        ar_arena_free(&a);
        CHECK(!a.base && !a.mapped, "freed");
    }
}

static void test_fs(void)
{
    ar_err_t e = {0};
    const char *p = test_tmp("core_atomic.txt");
    CHECK_OK(ar_write_file_atomic(p, "hello", 5, &e), &e);
    size_t n = 0;
    char *s = ar_read_text_file(p, &n, &e);
    CHECK(s && n == 5 && strcmp(s, "hello") == 0, "round trip");
    free(s);
    CHECK(ar_file_size(p) == 5, "size");
    CHECK(ar_read_text_file("/nonexistent/x", NULL, &e) == NULL && strstr(e.msg, "/nonexistent/x"),
          "missing file named: %s", e.msg);
    remove(p);
    CHECK(ar_num_cores() >= 1, "cores");

    /* temporary names never repeat, and one that exists (here a symlink
     * planted where the next temporary file will be) is never written
     * through: the output fails and the link's target is untouched */
    const char *victim = test_tmp("core_victim.txt");
    CHECK_OK(ar_write_file_atomic(victim, "keep", 4, &e), &e);
    char t1[4096], t2[4096];
    CHECK(ar_tmp_path(p, t1, sizeof t1) == 0 && ar_tmp_path(p, t2, sizeof t2) == 0 && strcmp(t1, t2),
          "distinct temporary names %s %s", t1, t2);
    char next[4096];
    unsigned k = 0;
    const char *dot = strrchr(t2, '.');
    CHECK(dot && sscanf(dot + 1, "%u", &k) == 1, "counter in %s", t2);
    snprintf(next, sizeof next, "%.*s.%u", (int)(dot - t2), t2, k + 1);
    CHECK(symlink(victim, next) == 0, "symlink %s", next);
    ar_err_clear(&e);
    CHECK(ar_write_file_atomic(p, "evil", 4, &e) == AR_E_IO && strstr(e.msg, "cannot create"),
          "planted temporary name refused: %s", e.msg);
    s = ar_read_text_file(victim, &n, &e);
    CHECK(s && n == 4 && !strcmp(s, "keep"), "the link's target is untouched");
    free(s);
    CHECK(ar_file_size(p) < 0, "no output written");
    remove(next), remove(victim);
}

typedef struct {
    char last[256];
    int count;
} sink_t;

static void sink(void *user, ar_log_level_t level, const char *line)
{
    (void)level;
    sink_t *s = user;
    snprintf(s->last, sizeof s->last, "%s", line);
    s->count++;
}

static void test_log(void)
{
    sink_t s = {{0}, 0};
    ar_log_t l = {.rank = 3, .min = AR_LOG_INFO, .sink = sink, .user = &s};
    ar_debug(&l, "hidden");
    ar_warn(&l, "disk %d%% full", 90);
    CHECK(s.count == 1, "debug dropped");
    CHECK(strcmp(s.last, "[r3 WARN ] disk 90% full") == 0, "prefix: '%s'", s.last);
    CHECK(ar_log_level_parse("warn") == AR_LOG_WARN && ar_log_level_parse("loud") == -1, "parse");
}

static void test_str(void)
{
    char b[6];
    memset(b, 'x', sizeof b);
    ar_str_copy(b, sizeof b, "abc");
    CHECK(strcmp(b, "abc") == 0, "fits: '%s'", b);
    ar_str_copy(b, sizeof b, "abcdefgh");
    CHECK(strcmp(b, "abcde") == 0, "cut to cap - 1 and terminated: '%s'", b);
    ar_str_copy(b, sizeof b, NULL);
    CHECK(b[0] == 0, "NULL copies as empty");
    const char unterminated[4] = {'w', 'x', 'y', 'z'};
    char c[3];
    ar_str_copy(c, sizeof c, unterminated);
    CHECK(strcmp(c, "wx") == 0, "reads at most cap - 1 bytes: '%s'", c);
    b[0] = 'q';
    ar_str_copy(b, 0, "abc");
    CHECK(b[0] == 'q', "cap 0 writes nothing");
    CHECK(ar_str_ends_with("set.h5", ".h5") && !ar_str_ends_with("h5", ".h5") &&
              ar_str_ends_with("x", "") && !ar_str_ends_with("set.h5x", ".h5"),
          "ends_with");
}

int main(void)
{
    test_errors();
    test_rng();
    test_tensor_arena();
    test_fs();
    test_log();
    test_str();
    TEST_MAIN_END();
}
