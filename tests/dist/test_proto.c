/* test_proto.c - round trip of every message type through the codec, and
 * rejection (with the sender named, never a crash) of malformed messages:
 * truncated, wrong types, lying tensor shapes, oversized, wrong version,
 * unknown / duplicate / missing keys, hostile container counts. Malformed
 * bytes are written by hand with the tiny writer below (the test does not
 * include msgpack.h). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "proto/codec.h"
#include "proto/msg.h"

/* ---- a minimal MessagePack writer for hostile inputs ---- */
typedef struct { uint8_t b[4096]; size_t n; } wbuf_t;
static void w8(wbuf_t *w, uint8_t v) { w->b[w->n++] = v; }
static void wbe(wbuf_t *w, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) w8(w, (uint8_t)(v >> (8 * i)));
}
static void wmap(wbuf_t *w, unsigned n) { w8(w, (uint8_t)(0x80 | n)); }
static void warr(wbuf_t *w, unsigned n) { w8(w, (uint8_t)(0x90 | n)); }
static void wstr(wbuf_t *w, const char *s)
{
    size_t n = strlen(s);
    w8(w, (uint8_t)(0xa0 | n));
    memcpy(w->b + w->n, s, n);
    w->n += n;
}
static void wuint(wbuf_t *w, uint64_t v) { if (v < 128) w8(w, (uint8_t)v); else { w8(w, 0xcf); wbe(w, v, 8); } }
static void wbin(wbuf_t *w, const void *p, size_t n) { w8(w, 0xc4); w8(w, (uint8_t)n); memcpy(w->b + w->n, p, n); w->n += n; }

/* Decodes and expects an AR_E_PROTO error mentioning `sender` and `needle`. */
static void expect_reject(const void *buf, size_t len, size_t max, const char *needle, int line)
{
    ar_msg_t m;
    ar_err_t err = {0};
    int s = ar_msg_decode(buf, len, max, "r7", &m, &err);
    CHECK(s == AR_E_PROTO, "line %d: status %d (%s)", line, s, ar_err_msg(&err));
    CHECK(strstr(err.msg, "from r7") != NULL, "line %d: sender not named: %s", line, err.msg);
    CHECK(!needle || strstr(err.msg, needle) != NULL, "line %d: '%s' not in: %s", line,
          needle ? needle : "", err.msg);
    CHECK(m.type == AR_MSG_NONE && m.body.n == 0, "line %d: output not empty", line);
}
#define REJECT(buf, len, needle) expect_reject((buf), (len), 0, (needle), __LINE__)

static ar_msg_t roundtrip(const ar_msg_t *in)
{
    ar_bytes_t b;
    ar_err_t err = {0};
    ar_msg_t out;
    memset(&out, 0, sizeof out);
    CHECK_OK(ar_msg_encode(in, 0, &b, &err), &err);
    CHECK_OK(ar_msg_decode(b.data, b.len, 0, "r1", &out, &err), &err);
    CHECK(out.type == in->type && out.rank == in->rank, "type/rank %d/%d", out.type, out.rank);
    /* every strict prefix is rejected as malformed */
    for (size_t cut = 0; cut < b.len; cut += (b.len > 200 ? 7 : 1)) {
        ar_msg_t t;
        ar_err_t e = {0};
        int s = ar_msg_decode(b.data, cut, 0, "r1", &t, &e);
        CHECK(s == AR_E_PROTO, "prefix %zu/%zu of %s accepted", cut, b.len,
              ar_msg_type_name(in->type));
    }
    ar_bytes_free(&b);
    return out;
}

static void test_roundtrips(void)
{
    ar_err_t err = {0};
    ar_msg_t m = ar_msg_make(AR_MSG_HELLO, 3), o;
    strcpy(m.u.hello.host, "node-17");
    m.u.hello.pid = 4242;
    m.u.hello.threads = 4;
    o = roundtrip(&m);
    CHECK(!strcmp(o.u.hello.host, "node-17") && o.u.hello.pid == 4242 && o.u.hello.threads == 4,
          "hello fields");

    m = ar_msg_make(AR_MSG_READY, 2);
    m.u.ready.credit = 3;
    o = roundtrip(&m);
    CHECK(o.u.ready.credit == 3, "credit %d", o.u.ready.credit);

    m = ar_msg_make(AR_MSG_TASK, 0);
    m.u.task.id = 123456789012ull;
    int32_t whole[1] = {3};
    m.u.task.members = whole; /* borrowed: an encoded TASK names its workers */
    strcpy(m.u.task.kind, "evaluate");
    int64_t shape[2] = {2, 3};
    float vals[6] = {1, -2, 3.5f, 0, 1e-30f, 7};
    CHECK_OK(ar_fields_put_int(&m.body, "start", -5, &err), &err);
    CHECK_OK(ar_fields_put_float(&m.body, "sigma", 0.125, &err), &err);
    CHECK_OK(ar_fields_put_str(&m.body, "set", "gaussian_noise", &err), &err);
    CHECK_OK(ar_fields_put_tensor(&m.body, "w", AR_WDT_F32, 2, shape, vals, &err), &err);
    CHECK_OK(ar_fields_put_tensor(&m.body, "empty", AR_WDT_I64, 1, (int64_t[]){0}, NULL, &err), &err);
    CHECK(ar_fields_put_int(&m.body, "start", 1, &err) == AR_E_ARG, "duplicate name accepted");
    o = roundtrip(&m);
    int64_t iv = 0;
    double fv = 0;
    const char *sv = NULL;
    const ar_wtensor_t *t = NULL;
    CHECK(o.u.task.id == 123456789012ull && !strcmp(o.u.task.kind, "evaluate") &&
          o.u.task.members && o.u.task.members[0] == 3, "task header");
    CHECK_OK(ar_fields_get_int(&o.body, "start", &iv, &err), &err);
    CHECK(iv == -5, "start %lld", (long long)iv);
    CHECK_OK(ar_fields_get_float(&o.body, "sigma", &fv, &err), &err);
    CHECK(fv == 0.125, "sigma %g", fv);
    CHECK_OK(ar_fields_get_str(&o.body, "set", &sv, &err), &err);
    CHECK(sv && !strcmp(sv, "gaussian_noise"), "set");
    CHECK_OK(ar_fields_get_tensor(&o.body, "w", AR_WDT_F32, 2, &t, &err), &err);
    CHECK(t && t->shape[0] == 2 && t->shape[1] == 3 && !memcmp(t->data, vals, sizeof vals), "tensor");
    CHECK_OK(ar_fields_get_tensor(&o.body, "empty", AR_WDT_I64, 1, &t, &err), &err);
    CHECK(t && t->nbytes == 0 && t->shape[0] == 0, "empty tensor");
    CHECK(ar_fields_get_tensor(&o.body, "w", AR_WDT_I32, 2, &t, &err) == AR_E_PROTO, "dtype check");
    CHECK(ar_fields_get_int(&o.body, "sigma", &iv, &err) == AR_E_PROTO, "kind check");
    CHECK(ar_fields_get_int(&o.body, "nope", &iv, &err) == AR_E_PROTO &&
          strstr(err.msg, "nope"), "missing field named: %s", err.msg);
    ar_msg_clear(&o);

    m.u.task.members = NULL;
    ar_bytes_t nob;
    CHECK(ar_msg_encode(&m, 0, &nob, &err) != AR_OK, "a TASK without members encoded");
    m.type = AR_MSG_RESULT;
    m.rank = 5;
    m.u.task.seq = 7;
    m.u.task.final = 1;
    o = roundtrip(&m);
    CHECK(o.u.task.seq == 7 && o.u.task.final == 1 && o.body.n == 5, "result header");
    ar_msg_clear(&o);
    ar_msg_clear(&m);

    m = ar_msg_make(AR_MSG_HEARTBEAT, 1);
    m.u.beat.done = 99;
    o = roundtrip(&m);
    CHECK(o.u.beat.done == 99, "beat");

    m = ar_msg_make(AR_MSG_ERROR, 4);
    strcpy(m.u.error.host, "gpu-3");
    m.u.error.task = 12;
    m.u.error.status = AR_E_IO;
    strcpy(m.u.error.text, "data/x.npy: truncated");
    o = roundtrip(&m);
    CHECK(o.u.error.task == 12 && o.u.error.status == AR_E_IO && !strcmp(o.u.error.host, "gpu-3") &&
          !strcmp(o.u.error.text, "data/x.npy: truncated"), "error fields");
    m.u.error.task = -1;
    o = roundtrip(&m);
    CHECK(o.u.error.task == -1, "error without task");

    m = ar_msg_make(AR_MSG_SHUTDOWN, 0);
    m.u.shutdown.failed = 1;
    strcpy(m.u.shutdown.reason, "worker r2 failed");
    o = roundtrip(&m);
    CHECK(o.u.shutdown.failed == 1 && !strcmp(o.u.shutdown.reason, "worker r2 failed"), "shutdown");

    m = ar_msg_make(AR_MSG_BYE, 6);
    m.u.bye.done = 17;
    o = roundtrip(&m);
    CHECK(o.u.bye.done == 17 && o.rank == 6, "bye");

    /* data-parallel tasks: a share of a task, its exchanges */
    m = ar_msg_make(AR_MSG_TASK, 0);
    CHECK(m.u.task.parts == 1, "a TASK is whole by default");
    m.u.task.id = 9, m.u.task.part = 2, m.u.task.parts = 5, m.u.task.attempt = 2;
    int32_t five[5] = {4, 9, 1, 7, 2};
    m.u.task.members = five;
    strcpy(m.u.task.kind, "repair_candidate");
    o = roundtrip(&m);
    CHECK(o.u.task.part == 2 && o.u.task.parts == 5 && o.u.task.id == 9 && o.u.task.attempt == 2 &&
          o.u.task.members && !memcmp(o.u.task.members, five, sizeof five), "task share");
    ar_msg_clear(&o);
    m = ar_msg_make(AR_MSG_REDUCE, 3);
    m.u.task.id = 9, m.u.task.step = 77, m.u.task.part = 4, m.u.task.attempt = 1;
    float rows[4] = {1, 2, 3, 4};
    CHECK_OK(ar_fields_put_tensor(&m.body, "rows", AR_WDT_F32, 2, (int64_t[]){2, 2}, rows, &err), &err);
    o = roundtrip(&m);
    CHECK(o.u.task.id == 9 && o.u.task.step == 77 && o.u.task.part == 4 && o.u.task.attempt == 1 &&
          o.body.n == 1, "reduce");
    ar_msg_clear(&o);
    ar_msg_clear(&m);
    m = ar_msg_make(AR_MSG_REDUCED, 0);
    m.u.task.id = 9, m.u.task.step = 77, m.u.task.failed = 1, m.u.task.attempt = 3;
    o = roundtrip(&m);
    CHECK(o.u.task.step == 77 && o.u.task.failed == 1 && o.u.task.attempt == 3, "reduced");

    m = ar_msg_make(AR_MSG_READY, 1);
    m.u.ready.credit = 0; /* the answer to a REDUCED failed: no new credit */
    o = roundtrip(&m);
    CHECK(o.type == AR_MSG_READY && o.u.ready.credit == 0, "credit 0");
    m.u.ready.credit = -1;
    ar_bytes_t b;
    CHECK(ar_msg_encode(&m, 0, &b, &err) == AR_E_ARG, "credit -1 encoded");
}

/* header of a valid READY-like map: v, t, r */
static void head(wbuf_t *w, unsigned nkeys, uint64_t ver, const char *type)
{
    wmap(w, nkeys);
    wstr(w, "v"); wuint(w, ver);
    wstr(w, "t"); wstr(w, type);
    wstr(w, "r"); wuint(w, 2);
}

static void test_malformed(void)
{
    wbuf_t w = {0};
    head(&w, 4, AR_PROTO_VERSION, "READY"); wstr(&w, "credit"); wuint(&w, 2);
    ar_msg_t m;
    ar_err_t err = {0};
    CHECK_OK(ar_msg_decode(w.b, w.n, 0, "r7", &m, &err), &err); /* the baseline is valid */

    w.n = 0; head(&w, 4, 2, "READY"); wstr(&w, "credit"); wuint(&w, 2); /* version 2: before the reduction tree */
    REJECT(w.b, w.n, "protocol version 2, expected 3");
    w.n = 0; head(&w, 4, AR_PROTO_VERSION, "READY"); wstr(&w, "credit"); wstr(&w, "2");
    REJECT(w.b, w.n, "credit");                        /* wrong value type */
    w.n = 0; head(&w, 4, AR_PROTO_VERSION, "READY"); wstr(&w, "credit"); wuint(&w, 5000);
    REJECT(w.b, w.n, "credit");                        /* out of range */
    w.n = 0; head(&w, 3, AR_PROTO_VERSION, "READY");
    REJECT(w.b, w.n, "missing key 'credit'");
    w.n = 0; head(&w, 5, AR_PROTO_VERSION, "READY"); wstr(&w, "credit"); wuint(&w, 2); wstr(&w, "credit"); wuint(&w, 2);
    REJECT(w.b, w.n, "duplicate");
    w.n = 0; head(&w, 5, AR_PROTO_VERSION, "READY"); wstr(&w, "credit"); wuint(&w, 2); wstr(&w, "evil"); wuint(&w, 1);
    REJECT(w.b, w.n, "unexpected key 'evil'");
    w.n = 0; head(&w, 10, AR_PROTO_VERSION, "TASK"); wstr(&w, "id"); wuint(&w, 1);
    wstr(&w, "kind"); wstr(&w, "evaluate"); wstr(&w, "part"); wuint(&w, 3);
    wstr(&w, "parts"); wuint(&w, 3); wstr(&w, "attempt"); wuint(&w, 0);
    wstr(&w, "members"); warr(&w, 3); wuint(&w, 1); wuint(&w, 2); wuint(&w, 3);
    wstr(&w, "body"); wmap(&w, 0);
    REJECT(w.b, w.n, "'part'");                        /* part 3 of 3 */
    w.n = 0; head(&w, 10, AR_PROTO_VERSION, "TASK"); wstr(&w, "id"); wuint(&w, 1);
    wstr(&w, "kind"); wstr(&w, "evaluate"); wstr(&w, "part"); wuint(&w, 1);
    wstr(&w, "parts"); wuint(&w, 3); wstr(&w, "attempt"); wuint(&w, 0);
    wstr(&w, "members"); warr(&w, 2); wuint(&w, 1); wuint(&w, 2);
    wstr(&w, "body"); wmap(&w, 0);
    REJECT(w.b, w.n, "'members'");                     /* 2 ranks for 3 parts */
    w.n = 0; head(&w, 10, AR_PROTO_VERSION, "TASK"); wstr(&w, "id"); wuint(&w, 1);
    wstr(&w, "kind"); wstr(&w, "evaluate"); wstr(&w, "part"); wuint(&w, 1);
    wstr(&w, "parts"); wuint(&w, 3); wstr(&w, "attempt"); wuint(&w, 0);
    wstr(&w, "members"); warr(&w, 3); wuint(&w, 1); wuint(&w, 2); wuint(&w, 1);
    wstr(&w, "body"); wmap(&w, 0);
    REJECT(w.b, w.n, "'members'");                     /* a rank twice */
    w.n = 0; head(&w, 4, AR_PROTO_VERSION, "GOSSIP"); wstr(&w, "credit"); wuint(&w, 2);
    REJECT(w.b, w.n, "unknown message type");
    w.n = 0; warr(&w, 2); wuint(&w, 1); wuint(&w, 2);
    REJECT(w.b, w.n, "not a map");
    w.n = 0; head(&w, 4, AR_PROTO_VERSION, "READY"); wstr(&w, "credit"); wuint(&w, 2); w8(&w, 0xc0);
    REJECT(w.b, w.n, "trailing");
    w.n = 0; w8(&w, 0xdd); wbe(&w, 0xffffffffu, 4);   /* array of 4G elements in 5 bytes */
    REJECT(w.b, w.n, "container count");
    w.n = 0; w8(&w, 0xdf); wbe(&w, 0x7fffffffu, 4);   /* map of 2G pairs */
    REJECT(w.b, w.n, "container count");
    w.n = 0; for (int i = 0; i < 40; i++) warr(&w, 1); wuint(&w, 1);
    REJECT(w.b, w.n, "nested too deeply");
    w.n = 0; w8(&w, 0xc1);
    REJECT(w.b, w.n, "unsupported");
    w.n = 0; w8(&w, 0xc7); w8(&w, 1); w8(&w, 5); w8(&w, 0); /* ext: never used by us */
    REJECT(w.b, w.n, "unsupported");
    REJECT(w.b, 0, "empty");

    /* oversized: a valid message over the limit */
    ar_msg_t big = ar_msg_make(AR_MSG_RESULT, 1);
    strcpy(big.u.task.kind, "x");
    big.u.task.final = 1;
    static uint8_t blob[100000];
    CHECK_OK(ar_fields_put_tensor(&big.body, "b", AR_WDT_U8, 1, (int64_t[]){sizeof blob}, blob, &err), &err);
    ar_bytes_t b;
    CHECK_OK(ar_msg_encode(&big, 0, &b, &err), &err);
    expect_reject(b.data, b.len, 50000, "exceeds the 50000-byte limit", __LINE__);
    ar_bytes_free(&b);
    CHECK(ar_msg_encode(&big, 50000, &b, &err) == AR_E_ARG && !b.data, "encode over limit accepted");
    ar_msg_clear(&big);

    /* a lying tensor: shape 2x3 i32 (24 bytes) with a 20-byte payload */
    uint8_t pay[24] = {0};
    w.n = 0; head(&w, 7, AR_PROTO_VERSION, "RESULT");
    wstr(&w, "id"); wuint(&w, 0); wstr(&w, "kind"); wstr(&w, "k");
    wstr(&w, "seq"); wuint(&w, 0); wstr(&w, "final"); w8(&w, 0xc3);
    /* map size is 8 keys; fix the header */
    w.b[0] = 0x88;
    wstr(&w, "body"); wmap(&w, 1); wstr(&w, "c"); wmap(&w, 3);
    wstr(&w, "dtype"); wstr(&w, "i32"); wstr(&w, "shape"); warr(&w, 2); wuint(&w, 2); wuint(&w, 3);
    wstr(&w, "data");
    size_t at = w.n;
    wbin(&w, pay, 24);
    CHECK_OK(ar_msg_decode(w.b, w.n, 0, "r7", &m, &err), &err); /* honest version is fine */
    ar_msg_clear(&m);
    w.n = at; wbin(&w, pay, 20);
    REJECT(w.b, w.n, "shape needs 24 bytes of i32, payload has 20");
    /* a shape whose product overflows */
    w.n = at - 14; /* back to "shape": 6 + 1 + 1 + 1 + 5 bytes */
    wstr(&w, "shape"); warr(&w, 2); wuint(&w, 1ull << 62); wuint(&w, 1ull << 62);
    wstr(&w, "data"); wbin(&w, pay, 8);
    REJECT(w.b, w.n, "overflows");
}

int main(void)
{
    test_roundtrips();
    test_malformed();
    TEST_MAIN_END();
}
