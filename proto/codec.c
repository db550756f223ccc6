/* codec.c - MessagePack encode/decode of protocol messages (the only file that
 * includes msgpack.h). Wire layout: proto/README.md. */
#include "codec.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "tensor payloads are little-endian on the wire; add byte swapping for this host");

void ar_bytes_free(ar_bytes_t *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

/* ---- message keys -------------------------------------------------------- */

enum {
    K_V, K_T, K_R, K_HOST, K_PID, K_THREADS, K_CREDIT, K_ID, K_KIND, K_SEQ, K_FINAL, K_BODY,
    K_DONE, K_TASK, K_STATUS, K_TEXT, K_FAILED, K_REASON, K_PART, K_PARTS, K_STEP, K_ATTEMPT, K_MEMBERS,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "v", "t", "r", "host", "pid", "threads", "credit", "id", "kind", "seq", "final", "body",
    "done", "task", "status", "text", "failed", "reason", "part", "parts", "step", "attempt",
    "members"};

#define B(k) (1u << (k))
#define COMMON (B(K_V) | B(K_T) | B(K_R))
/* Keys each type carries; every one is required. */
static unsigned type_keys(ar_msg_type_t t)
{
    switch (t) {
    case AR_MSG_HELLO: return COMMON | B(K_HOST) | B(K_PID) | B(K_THREADS);
    case AR_MSG_READY: return COMMON | B(K_CREDIT);
    case AR_MSG_TASK:
        return COMMON | B(K_ID) | B(K_KIND) | B(K_PART) | B(K_PARTS) | B(K_ATTEMPT) | B(K_MEMBERS) |
               B(K_BODY);
    case AR_MSG_RESULT: return COMMON | B(K_ID) | B(K_KIND) | B(K_SEQ) | B(K_FINAL) | B(K_BODY);
    case AR_MSG_HEARTBEAT: return COMMON | B(K_DONE);
    case AR_MSG_ERROR: return COMMON | B(K_HOST) | B(K_TASK) | B(K_STATUS) | B(K_TEXT);
    case AR_MSG_SHUTDOWN: return COMMON | B(K_FAILED) | B(K_REASON);
    case AR_MSG_BYE: return COMMON | B(K_DONE);
    case AR_MSG_REDUCE: return COMMON | B(K_ID) | B(K_STEP) | B(K_ATTEMPT) | B(K_PART) | B(K_BODY);
    case AR_MSG_REDUCED: return COMMON | B(K_ID) | B(K_STEP) | B(K_ATTEMPT) | B(K_FAILED) | B(K_BODY);
    default: return 0;
    }
}

static int popcount(unsigned x)
{
    int n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

/* ---- encoding ------------------------------------------------------------- */

static int pack_cstr(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

static int pack_field(msgpack_packer *pk, const ar_field_t *f)
{
    if (pack_cstr(pk, f->name)) return -1;
    switch (f->kind) {
    case AR_VAL_INT: return msgpack_pack_int64(pk, f->i);
    case AR_VAL_FLOAT: return msgpack_pack_double(pk, f->f);
    case AR_VAL_STR: return pack_cstr(pk, f->s);
    case AR_VAL_TENSOR:
        if (msgpack_pack_map(pk, 3) || pack_cstr(pk, "dtype") ||
            pack_cstr(pk, ar_wdtype_name(f->t.dtype)) || pack_cstr(pk, "shape") ||
            msgpack_pack_array(pk, (size_t)f->t.ndim))
            return -1;
        for (int d = 0; d < f->t.ndim; d++)
            if (msgpack_pack_int64(pk, f->t.shape[d])) return -1;
        return pack_cstr(pk, "data") || msgpack_pack_bin(pk, f->t.nbytes) ||
               msgpack_pack_bin_body(pk, f->t.data, f->t.nbytes);
    }
    return -1;
}

static int pack_key(msgpack_packer *pk, int k) { return pack_cstr(pk, key_names[k]); }

static int pack_fields(msgpack_packer *pk, const ar_msg_t *m)
{
    if (pack_key(pk, K_BODY) || msgpack_pack_map(pk, (size_t)m->body.n)) return -1;
    for (int i = 0; i < m->body.n; i++)
        if (pack_field(pk, &m->body.v[i])) return -1;
    return 0;
}

static int pack_body(msgpack_packer *pk, const ar_msg_t *m)
{
    const char *tname = ar_msg_type_name(m->type);
    if (msgpack_pack_map(pk, (size_t)popcount(type_keys(m->type))) || pack_key(pk, K_V) ||
        msgpack_pack_uint64(pk, AR_PROTO_VERSION) || pack_key(pk, K_T) || pack_cstr(pk, tname) ||
        pack_key(pk, K_R) || msgpack_pack_int64(pk, m->rank))
        return -1;
    switch (m->type) {
    case AR_MSG_HELLO:
        return pack_key(pk, K_HOST) || pack_cstr(pk, m->u.hello.host) || pack_key(pk, K_PID) ||
               msgpack_pack_int64(pk, m->u.hello.pid) || pack_key(pk, K_THREADS) ||
               msgpack_pack_int64(pk, m->u.hello.threads);
    case AR_MSG_READY: return pack_key(pk, K_CREDIT) || msgpack_pack_int64(pk, m->u.ready.credit);
    case AR_MSG_TASK:
    case AR_MSG_RESULT:
        if (pack_key(pk, K_ID) || msgpack_pack_uint64(pk, m->u.task.id) || pack_key(pk, K_KIND) ||
            pack_cstr(pk, m->u.task.kind))
            return -1;
        if (m->type == AR_MSG_RESULT &&
            (pack_key(pk, K_SEQ) || msgpack_pack_uint64(pk, m->u.task.seq) ||
             pack_key(pk, K_FINAL) ||
             (m->u.task.final ? msgpack_pack_true(pk) : msgpack_pack_false(pk))))
            return -1;
        if (m->type == AR_MSG_TASK) {
            if (!m->u.task.members || m->u.task.parts < 1 || pack_key(pk, K_PART) ||
                msgpack_pack_int64(pk, m->u.task.part) || pack_key(pk, K_PARTS) ||
                msgpack_pack_int64(pk, m->u.task.parts) || pack_key(pk, K_ATTEMPT) ||
                msgpack_pack_uint64(pk, m->u.task.attempt) || pack_key(pk, K_MEMBERS) ||
                msgpack_pack_array(pk, (size_t)m->u.task.parts))
                return -1;
            for (int j = 0; j < m->u.task.parts; j++)
                if (msgpack_pack_int64(pk, m->u.task.members[j])) return -1;
        }
        return pack_fields(pk, m);
    case AR_MSG_REDUCE:
    case AR_MSG_REDUCED:
        if (pack_key(pk, K_ID) || msgpack_pack_uint64(pk, m->u.task.id) || pack_key(pk, K_STEP) ||
            msgpack_pack_uint64(pk, m->u.task.step) || pack_key(pk, K_ATTEMPT) ||
            msgpack_pack_uint64(pk, m->u.task.attempt))
            return -1;
        if (m->type == AR_MSG_REDUCE &&
            (pack_key(pk, K_PART) || msgpack_pack_int64(pk, m->u.task.part)))
            return -1;
        if (m->type == AR_MSG_REDUCED &&
            (pack_key(pk, K_FAILED) ||
             (m->u.task.failed ? msgpack_pack_true(pk) : msgpack_pack_false(pk))))
            return -1;
        return pack_fields(pk, m);
    case AR_MSG_HEARTBEAT: return pack_key(pk, K_DONE) || msgpack_pack_uint64(pk, m->u.beat.done);
    case AR_MSG_ERROR:
        return pack_key(pk, K_HOST) || pack_cstr(pk, m->u.error.host) || pack_key(pk, K_TASK) ||
               msgpack_pack_int64(pk, m->u.error.task) || pack_key(pk, K_STATUS) ||
               msgpack_pack_int64(pk, m->u.error.status) || pack_key(pk, K_TEXT) ||
               pack_cstr(pk, m->u.error.text);
    case AR_MSG_SHUTDOWN:
        return pack_key(pk, K_FAILED) ||
               (m->u.shutdown.failed ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ||
               pack_key(pk, K_REASON) || pack_cstr(pk, m->u.shutdown.reason);
    case AR_MSG_BYE: return pack_key(pk, K_DONE) || msgpack_pack_uint64(pk, m->u.bye.done);
    default: return -1;
    }
}

int ar_msg_encode(const ar_msg_t *m, size_t max_bytes, ar_bytes_t *out, ar_err_t *err)
{
    out->data = NULL;
    out->len = 0;
    if (!max_bytes) max_bytes = AR_PROTO_DEFAULT_MAX_BYTES;
    if (!type_keys(m->type))
        return ar_err_set(err, AR_E_ARG, "encode: unknown message type %d", (int)m->type);
    if (m->type == AR_MSG_READY &&
        (m->u.ready.credit < 0 || m->u.ready.credit > AR_PROTO_MAX_CREDIT))
        return ar_err_set(err, AR_E_ARG, "encode READY: credit %d outside 0..%d",
                          (int)m->u.ready.credit, AR_PROTO_MAX_CREDIT);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (pack_body(&pk, m)) {
        msgpack_sbuffer_destroy(&sb);
        return ar_err_set(err, AR_E_NOMEM, "encode %s: out of memory", ar_msg_type_name(m->type));
    }
    if (sb.size > max_bytes) {
        size_t n = sb.size;
        msgpack_sbuffer_destroy(&sb);
        return ar_err_set(err, AR_E_ARG, "encode %s: %zu bytes exceeds the %zu-byte limit",
                          ar_msg_type_name(m->type), n, max_bytes);
    }
    out->len = sb.size;
    out->data = (uint8_t *)msgpack_sbuffer_release(&sb);
    return AR_OK;
}

/* ---- pre-scan: bound what msgpack-c may allocate --------------------------- */

typedef struct scan {
    const uint8_t *p;
    size_t len, pos;
    long objects;
} scan_t;

static int scan_need(scan_t *s, uint64_t n) { return n <= s->len - s->pos ? (s->pos += n, 0) : -1; }

static uint64_t scan_be(scan_t *s, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | s->p[s->pos + (size_t)i];
    s->pos += (size_t)bytes;
    return v;
}

/* Walks one object; returns 0, or -1 with *why set. */
static int scan_obj(scan_t *s, int depth, const char **why)
{
    if (++s->objects > AR_CODEC_MAX_OBJECTS) return *why = "too many objects", -1;
    if (s->pos >= s->len) return *why = "truncated", -1;
    uint8_t b = s->p[s->pos++];
    uint64_t n = 0, skip = 0;
    int container = 0; /* 1 array, 2 map */
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) return 0;
    if ((b & 0xf0) == 0x80) n = b & 0x0f, container = 2;
    else if ((b & 0xf0) == 0x90) n = b & 0x0f, container = 1;
    else if ((b & 0xe0) == 0xa0) skip = b & 0x1f;
    else {
        static const struct { uint8_t b, hdr, fixed, cont; } f[] = {
            {0xc4, 1, 0, 0}, {0xc5, 2, 0, 0}, {0xc6, 4, 0, 0}, {0xca, 0, 4, 0}, {0xcb, 0, 8, 0},
            {0xcc, 0, 1, 0}, {0xcd, 0, 2, 0}, {0xce, 0, 4, 0}, {0xcf, 0, 8, 0}, {0xd0, 0, 1, 0},
            {0xd1, 0, 2, 0}, {0xd2, 0, 4, 0}, {0xd3, 0, 8, 0}, {0xd9, 1, 0, 0}, {0xda, 2, 0, 0},
            {0xdb, 4, 0, 0}, {0xdc, 2, 0, 1}, {0xdd, 4, 0, 1}, {0xde, 2, 0, 2}, {0xdf, 4, 0, 2}};
        size_t i = 0;
        while (i < sizeof f / sizeof f[0] && f[i].b != b) i++;
        if (i == sizeof f / sizeof f[0]) return *why = "unsupported MessagePack type byte", -1;
        if (f[i].fixed) return scan_need(s, f[i].fixed) ? (*why = "truncated", -1) : 0;
        if (s->len - s->pos < f[i].hdr) return *why = "truncated", -1;
        uint64_t v = scan_be(s, f[i].hdr);
        if (f[i].cont) n = v, container = f[i].cont;
        else skip = v;
    }
    if (!container) return scan_need(s, skip) ? (*why = "truncated string/bin", -1) : 0;
    if (depth >= AR_CODEC_MAX_DEPTH) return *why = "nested too deeply", -1;
    uint64_t items = container == 2 ? 2 * n : n;
    if (items > s->len - s->pos) return *why = "container count exceeds message length", -1;
    for (uint64_t i = 0; i < items; i++)
        if (scan_obj(s, depth + 1, why)) return -1;
    return 0;
}

/* ---- decoding --------------------------------------------------------------- */

typedef struct dec {
    const char *sender;
    const char *tname;
    ar_err_t *err;
    int64_t nmembers;       /* TASK: entries in members */
} dec_t;

static int bad(dec_t *d, const char *fmt, const char *a, const char *b)
{
    char what[512];
    snprintf(what, sizeof what, fmt, a, b);
    return ar_err_set(d->err, AR_E_PROTO, "message from %s (%s): %s", d->sender, d->tname, what);
}

static int obj_is_str(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

/* Integer in [lo, hi]; returns 0 or -1. */
static int get_int(const msgpack_object *o, int64_t lo, int64_t hi, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX) return -1;
        *v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
    } else {
        return -1;
    }
    return *v < lo || *v > hi ? -1 : 0;
}

static int get_uint(const msgpack_object *o, uint64_t hi, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > hi) return -1;
    *v = o->via.u64;
    return 0;
}

/* Copies a str object into dst[cap] (NUL-terminated, no embedded NUL). */
static int get_str(const msgpack_object *o, char *dst, size_t cap)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap) return -1;
    if (memchr(o->via.str.ptr, '\0', o->via.str.size)) return -1;
    memcpy(dst, o->via.str.ptr, o->via.str.size);
    dst[o->via.str.size] = '\0';
    return 0;
}

static int decode_tensor(dec_t *d, const char *name, const msgpack_object *o, ar_field_t *f)
{
    const msgpack_object *dt = NULL, *shape = NULL, *data = NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        const msgpack_object **slot = obj_is_str(&kv->key, "dtype")   ? &dt
                                      : obj_is_str(&kv->key, "shape") ? &shape
                                      : obj_is_str(&kv->key, "data")  ? &data
                                                                      : NULL;
        if (!slot || *slot) return bad(d, "tensor '%s': unknown or duplicate key%s", name, "");
        *slot = &kv->val;
    }
    if (!dt || !shape || !data)
        return bad(d, "tensor '%s': needs dtype, shape and data%s", name, "");
    int dtype = dt->type == MSGPACK_OBJECT_STR ? ar_wdtype_parse(dt->via.str.ptr, dt->via.str.size)
                                               : -1;
    if (dtype < 0) return bad(d, "tensor '%s': unknown dtype%s", name, "");
    if (shape->type != MSGPACK_OBJECT_ARRAY || shape->via.array.size > AR_PROTO_MAX_NDIM)
        return bad(d, "tensor '%s': shape must be an array of at most 8 dims%s", name, "");
    if (data->type != MSGPACK_OBJECT_BIN) return bad(d, "tensor '%s': data must be bin%s", name, "");
    f->kind = AR_VAL_TENSOR;
    f->t.dtype = (ar_wdtype_t)dtype;
    f->t.ndim = (int)shape->via.array.size;
    for (int k = 0; k < f->t.ndim; k++)
        if (get_int(&shape->via.array.ptr[k], 0, INT64_MAX, &f->t.shape[k]))
            return bad(d, "tensor '%s': shape entries must be integers >= 0%s", name, "");
    f->t.nbytes = data->via.bin.size;
    /* The size check against the shape is done by ar_fields_take(). */
    if (f->t.nbytes) {
        f->t.data = malloc(f->t.nbytes);
        if (!f->t.data) return ar_err_set(d->err, AR_E_NOMEM, "out of memory decoding '%s'", name);
        memcpy(f->t.data, data->via.bin.ptr, f->t.nbytes);
    }
    return AR_OK;
}

static int decode_body(dec_t *d, const msgpack_object *o, ar_fields_t *fs)
{
    if (o->type != MSGPACK_OBJECT_MAP) return bad(d, "body is not a map%s%s", "", "");
    if (o->via.map.size > AR_PROTO_MAX_FIELDS) return bad(d, "body has too many fields%s%s", "", "");
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        ar_field_t f;
        memset(&f, 0, sizeof f);
        if (get_str(&kv->key, f.name, sizeof f.name) || !f.name[0])
            return bad(d, "body key is not a name of 1..63 bytes%s%s", "", "");
        const msgpack_object *v = &kv->val;
        int s = AR_OK;
        switch (v->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            f.kind = AR_VAL_INT;
            if (get_int(v, INT64_MIN, INT64_MAX, &f.i))
                return bad(d, "field '%s': integer out of int64 range%s", f.name, "");
            break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            f.kind = AR_VAL_FLOAT;
            f.f = v->via.f64;
            break;
        case MSGPACK_OBJECT_STR:
            f.kind = AR_VAL_STR;
            f.s = malloc(AR_PROTO_MAX_TEXT);
            if (!f.s) return ar_err_set(d->err, AR_E_NOMEM, "out of memory decoding '%s'", f.name);
            if (get_str(v, f.s, AR_PROTO_MAX_TEXT)) {
                free(f.s);
                return bad(d, "field '%s': string too long or holds NUL%s", f.name, "");
            }
            break;
        case MSGPACK_OBJECT_MAP: s = decode_tensor(d, f.name, v, &f); break;
        default: return bad(d, "field '%s': unsupported value type%s", f.name, "");
        }
        if (!s) {
            ar_err_t e = {0};
            s = ar_fields_take(fs, &f, &e);
            if (s) s = bad(d, "%s%s", ar_err_msg(&e), "");
        }
        if (s) {
            ar_field_release(&f);
            return s;
        }
    }
    return AR_OK;
}

/* Decodes the value of key k into m; returns AR_OK or an error. */
static int decode_key(dec_t *d, int k, const msgpack_object *v, ar_msg_t *m)
{
    int64_t i = 0;
    uint64_t u = 0;
    int ok = 0;
    switch (k) {
    case K_V: case K_T: return AR_OK; /* checked before */
    case K_R:
        ok = !get_int(v, 0, INT32_MAX, &i);
        m->rank = (int32_t)i;
        break;
    case K_HOST:
        ok = !get_str(v, m->type == AR_MSG_HELLO ? m->u.hello.host : m->u.error.host,
                      AR_PROTO_MAX_TEXT);
        break;
    case K_PID: ok = !get_int(v, 0, INT64_MAX, &m->u.hello.pid); break;
    case K_THREADS:
        ok = !get_int(v, 1, 4096, &i);
        m->u.hello.threads = (int32_t)i;
        break;
    case K_CREDIT:
        ok = !get_int(v, 0, AR_PROTO_MAX_CREDIT, &i);
        m->u.ready.credit = (int32_t)i;
        break;
    case K_ID: ok = !get_uint(v, UINT64_MAX, &m->u.task.id); break;
    case K_KIND: ok = !get_str(v, m->u.task.kind, AR_PROTO_MAX_NAME) && m->u.task.kind[0]; break;
    case K_SEQ:
        ok = !get_uint(v, UINT32_MAX, &u);
        m->u.task.seq = (uint32_t)u;
        break;
    case K_FINAL:
        ok = v->type == MSGPACK_OBJECT_BOOLEAN;
        m->u.task.final = ok && v->via.boolean;
        break;
    case K_BODY: return decode_body(d, v, &m->body);
    case K_DONE:
        ok = !get_uint(v, UINT64_MAX, &u);
        if (m->type == AR_MSG_HEARTBEAT) m->u.beat.done = u;
        else m->u.bye.done = u;
        break;
    case K_TASK: ok = !get_int(v, -1, INT64_MAX, &m->u.error.task); break;
    case K_STATUS:
        ok = !get_int(v, 1, INT32_MAX, &i);
        m->u.error.status = (int32_t)i;
        break;
    case K_TEXT: ok = !get_str(v, m->u.error.text, AR_PROTO_MAX_TEXT); break;
    case K_FAILED:
        ok = v->type == MSGPACK_OBJECT_BOOLEAN;
        if (m->type == AR_MSG_REDUCED) m->u.task.failed = ok && v->via.boolean;
        else m->u.shutdown.failed = ok && v->via.boolean;
        break;
    case K_PART:
        ok = !get_int(v, 0, AR_PROTO_MAX_PARTS - 1, &i);
        m->u.task.part = (int32_t)i;
        break;
    case K_PARTS:
        ok = !get_int(v, 1, AR_PROTO_MAX_PARTS, &i);
        m->u.task.parts = (int32_t)i;
        break;
    case K_STEP: ok = !get_uint(v, UINT64_MAX, &m->u.task.step); break;
    case K_ATTEMPT:
        ok = !get_uint(v, UINT32_MAX, &u);
        m->u.task.attempt = (uint32_t)u;
        break;
    case K_MEMBERS:
        ok = v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size >= 1 &&
             v->via.array.size <= AR_PROTO_MAX_PARTS;
        if (!ok) break;
        m->u.task.members = malloc(v->via.array.size * sizeof *m->u.task.members);
        if (!m->u.task.members) return ar_err_set(d->err, AR_E_NOMEM, "out of memory decoding members");
        d->nmembers = (int64_t)v->via.array.size;
        for (uint32_t j = 0; ok && j < v->via.array.size; j++) {
            ok = !get_int(&v->via.array.ptr[j], 0, INT32_MAX, &i);
            m->u.task.members[j] = (int32_t)i;
            for (uint32_t q = 0; ok && q < j; q++) ok = m->u.task.members[q] != (int32_t)i;
        }
        break;
    case K_REASON: ok = !get_str(v, m->u.shutdown.reason, AR_PROTO_MAX_TEXT); break;
    }
    return ok ? AR_OK : bad(d, "key '%s': wrong type or out of range%s", key_names[k], "");
}

static int decode_root(dec_t *d, const msgpack_object *root, ar_msg_t *m)
{
    if (root->type != MSGPACK_OBJECT_MAP) return bad(d, "top level is not a map%s%s", "", "");
    const msgpack_object *ver = NULL, *typ = NULL;
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object_kv *kv = &root->via.map.ptr[i];
        if (obj_is_str(&kv->key, "v")) ver = &kv->val;
        if (obj_is_str(&kv->key, "t")) typ = &kv->val;
    }
    if (!ver) return bad(d, "no protocol version%s%s", "", "");
    if (ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ver->via.u64 != AR_PROTO_VERSION) {
        char got[32];
        snprintf(got, sizeof got, "%llu",
                 ver->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (unsigned long long)ver->via.u64
                                                              : 0ull);
        return bad(d, "protocol version %s, expected %s", ver->type ==
                   MSGPACK_OBJECT_POSITIVE_INTEGER ? got : "(not an integer)", AR_PROTO_VERSION_STR);
    }
    if (!typ || typ->type != MSGPACK_OBJECT_STR) return bad(d, "no message type%s%s", "", "");
    m->type = ar_msg_type_parse(typ->via.str.ptr, typ->via.str.size);
    if (m->type == AR_MSG_NONE) return bad(d, "unknown message type%s%s", "", "");
    d->tname = ar_msg_type_name(m->type);
    if (m->type == AR_MSG_ERROR) m->u.error.task = -1;
    unsigned allowed = type_keys(m->type), seen = 0;
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object_kv *kv = &root->via.map.ptr[i];
        int k = 0;
        while (k < K_COUNT && !obj_is_str(&kv->key, key_names[k])) k++;
        if (k == K_COUNT || !(allowed & B(k))) {
            char key[AR_PROTO_MAX_NAME];
            if (get_str(&kv->key, key, sizeof key)) strcpy(key, "(not a short string)");
            return bad(d, "unexpected key '%s'%s", key, "");
        }
        if (seen & B(k)) return bad(d, "duplicate key '%s'%s", key_names[k], "");
        seen |= B(k);
        int s = decode_key(d, k, &kv->val, m);
        if (s) return s;
    }
    if (seen != allowed) {
        int k = 0;
        while (!(allowed & ~seen & B(k))) k++;
        return bad(d, "missing key '%s'%s", key_names[k], "");
    }
    if (m->type == AR_MSG_TASK && m->u.task.part >= m->u.task.parts)
        return bad(d, "key 'part': %s outside 0..parts-1%s", "the part", "");
    if (m->type == AR_MSG_TASK && d->nmembers != m->u.task.parts)
        return bad(d, "key 'members': %s, not one per part%s", "the wrong number of ranks", "");
    return AR_OK;
}

int ar_msg_decode(const void *buf, size_t len, size_t max_bytes, const char *sender,
                  ar_msg_t *out, ar_err_t *err)
{
    memset(out, 0, sizeof *out);
    dec_t d = {.sender = sender ? sender : "?", .tname = "?", .err = err};
    if (!max_bytes) max_bytes = AR_PROTO_DEFAULT_MAX_BYTES;
    char num[2][32];
    snprintf(num[0], sizeof num[0], "%zu", len);
    snprintf(num[1], sizeof num[1], "%zu", max_bytes);
    if (len > max_bytes) return bad(&d, "%s bytes exceeds the %s-byte limit", num[0], num[1]);
    if (len == 0 || !buf) return bad(&d, "empty message%s%s", "", "");
    scan_t sc = {.p = buf, .len = len};
    const char *why = "";
    if (scan_obj(&sc, 0, &why)) return bad(&d, "not valid MessagePack: %s%s", why, "");
    if (sc.pos != len) return bad(&d, "trailing bytes after the message%s%s", "", "");

    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(&up, buf, len, &off);
    int s;
    if (r == MSGPACK_UNPACK_NOMEM_ERROR)
        s = ar_err_set(err, AR_E_NOMEM, "message from %s: out of memory decoding", d.sender);
    else if (r != MSGPACK_UNPACK_SUCCESS || off != len)
        s = bad(&d, "not valid MessagePack%s%s", "", "");
    else
        s = decode_root(&d, &up.data, out);
    msgpack_unpacked_destroy(&up);
    if (s) {
        ar_msg_clear(out);
        memset(out, 0, sizeof *out);
    }
    return s;
}
