/* test_task_params.c - typed task parameters (runtime/task_params.h): one
 * field list gives the struct, the encoder and the decoder. A struct
 * survives encode -> wire bytes -> decode field for field (a nested list
 * flattened onto the wire); the decoder rejects a missing, an unknown and a
 * mistyped field, a value, string length or array count out of range, each
 * naming the field; the encoder rejects out-of-range values and unset
 * strings. The real task types' lists (every one registered) encode and
 * decode a planned task of their own. */
#include <string.h>

#include "check.h"
#include "jobs/builtin.h"
#include "jobs/evaluate/evaluate_params.h"
#include "jobs/repair/repair_params.h"
#include "proto/codec.h"
#include "runtime/task_params.h"

#define INNER(X)                  \
    X(INT, depth, 0, 9)           \
    X(STR, tag, 1, 8)
AR_PARAMS_DECLARE(t_inner, INNER)
AR_PARAMS_DEFINE(t_inner, INNER)

#define OUTER(X)                          \
    X(STR, name, 0, 32)                   \
    X(INT, n, -5, 5)                      \
    X(FLOAT, lr, 0, 1)                    \
    X(F32S, mean, 1, 4)                   \
    X(F64S, thr, 0, 3)                    \
    X(I64S, idx, 1, 10)                   \
    X(SUB, inner, t_inner, 0)
AR_PARAMS_DECLARE(t_outer, OUTER)
AR_PARAMS_DEFINE(t_outer, OUTER)

static const float mean[3] = {0.5f, 0.25f, 0.125f};
static const double thr[2] = {1.5, -2.0};
static const int64_t idx[4] = {3, 1, 4, 1};

static t_outer_t sample(void)
{
    return (t_outer_t){.name = "abc", .n = -5, .lr = 0.25, .mean = {mean, 3}, .thr = {thr, 2},
                       .idx = {idx, 4}, .inner = {.depth = 9, .tag = "x"}};
}

/* Encodes p, sends it through the wire codec (a TASK message) and decodes it
 * back into *q; returns the decode status and leaves the message in *m. */
static int round_trip(const t_outer_t *p, t_outer_t *q, ar_msg_t *m, ar_err_t *err)
{
    static int32_t worker[1] = {1};
    *m = ar_msg_make(AR_MSG_TASK, 0);
    strcpy(m->u.task.kind, "t");
    m->u.task.members = worker; /* borrowed: not freed below */
    int s = ar_params_encode(t_outer_schema(), p, &m->body, err);
    if (s) return s;
    ar_bytes_t bytes = {0};
    s = ar_msg_encode(m, 0, &bytes, err);
    m->u.task.members = NULL;
    if (s) return s;
    ar_msg_clear(m);
    s = ar_msg_decode(bytes.data, bytes.len, 0, "r0", m, err);
    ar_bytes_free(&bytes);
    return s ? s : ar_params_decode(t_outer_schema(), &m->body, q, err);
}

static void check_round_trip(void)
{
    t_outer_t p = sample(), q;
    ar_msg_t m;
    ar_err_t err = {0};
    int s = round_trip(&p, &q, &m, &err);
    CHECK(s == AR_OK, "round trip: %s", err.msg);
    if (!s) {
        CHECK(!strcmp(q.name, "abc") && q.n == -5 && q.lr == 0.25, "scalars");
        CHECK(q.mean.n == 3 && !memcmp(q.mean.v, mean, sizeof mean), "f32 array");
        CHECK(q.thr.n == 2 && !memcmp(q.thr.v, thr, sizeof thr), "f64 array");
        CHECK(q.idx.n == 4 && !memcmp(q.idx.v, idx, sizeof idx), "i64 array");
        CHECK(q.inner.depth == 9 && !strcmp(q.inner.tag, "x"), "nested list");
        /* flat on the wire: 6 own fields (the SUB row is none) + 2 nested */
        CHECK(m.body.n == 8 && ar_fields_find(&m.body, "depth"), "flattened: %d fields", m.body.n);
    }
    ar_msg_clear(&m);
    /* an empty array within its range */
    p.thr = (ar_f64s_t){NULL, 0};
    s = round_trip(&p, &q, &m, &err);
    CHECK(s == AR_OK && q.thr.n == 0, "empty array: %s", err.msg);
    ar_msg_clear(&m);
}

/* Decoding `body` fails with AR_E_PROTO and a message containing `want`. */
static void expect_reject(const ar_fields_t *body, const char *want, const char *what)
{
    t_outer_t q;
    ar_err_t err = {0};
    int s = ar_params_decode(t_outer_schema(), body, &q, &err);
    CHECK(s == AR_E_PROTO && strstr(err.msg, want), "%s: status %d, '%s' (want '%s')", what, s,
          err.msg, want);
}

/* The sample's encoded body, less the field `drop` (NULL: none). */
static void body_without(ar_fields_t *out, const char *drop)
{
    t_outer_t p = sample();
    ar_fields_t all = {0};
    ar_err_t err = {0};
    CHECK(ar_params_encode(t_outer_schema(), &p, &all, &err) == AR_OK, "encode: %s", err.msg);
    for (int i = 0; i < all.n; i++)
        if (!drop || strcmp(all.v[i].name, drop)) {
            ar_field_t f = all.v[i];
            memset(&all.v[i], 0, sizeof all.v[i]);
            ar_fields_take(out, &f, &err);
        }
    ar_fields_clear(&all);
}

static void check_decoder_rejects(void)
{
    ar_err_t err = {0};
    ar_fields_t b = {0};
    body_without(&b, "lr");
    expect_reject(&b, "missing field 'lr'", "missing");
    ar_fields_clear(&b);
    body_without(&b, "tag");
    expect_reject(&b, "missing field 'tag'", "missing nested");
    ar_fields_clear(&b);

    body_without(&b, NULL);
    ar_fields_put_int(&b, "extra", 1, &err);
    expect_reject(&b, "unknown field 'extra'", "unknown");
    ar_fields_clear(&b);

    body_without(&b, "lr");
    ar_fields_put_str(&b, "lr", "0.1", &err);
    expect_reject(&b, "field 'lr' is a string, expected a float", "mistyped");
    ar_fields_clear(&b);
    body_without(&b, "n");
    ar_fields_put_float(&b, "n", 1.0, &err);
    expect_reject(&b, "field 'n' is a float, expected an int", "float for int");
    ar_fields_clear(&b);
    body_without(&b, "mean");
    ar_fields_put_tensor(&b, "mean", AR_WDT_F64, 1, (int64_t[]){2}, thr, &err);
    expect_reject(&b, "field 'mean' is another tensor", "tensor dtype");
    ar_fields_clear(&b);

    body_without(&b, "n");
    ar_fields_put_int(&b, "n", 6, &err);
    expect_reject(&b, "field 'n' = 6 outside -5..5", "int range");
    ar_fields_clear(&b);
    body_without(&b, "lr");
    ar_fields_put_float(&b, "lr", NAN, &err);
    expect_reject(&b, "field 'lr'", "NaN");
    ar_fields_clear(&b);
    body_without(&b, "tag");
    ar_fields_put_str(&b, "tag", "", &err);
    expect_reject(&b, "field 'tag' has length 0 outside 1..8", "string length");
    ar_fields_clear(&b);
    body_without(&b, "idx");
    ar_fields_put_tensor(&b, "idx", AR_WDT_I64, 1, (int64_t[]){0}, NULL, &err);
    expect_reject(&b, "field 'idx' has count 0 outside 1..10", "array count");
    ar_fields_clear(&b);
}

static void check_encoder_rejects(void)
{
    ar_err_t err = {0};
    ar_fields_t b = {0};
    t_outer_t p = sample();
    p.inner.depth = 10;
    int s = ar_params_encode(t_outer_schema(), &p, &b, &err);
    CHECK(s == AR_E_ARG && strstr(err.msg, "'depth'"), "encode range: %d %s", s, err.msg);
    ar_fields_clear(&b);
    p = sample();
    p.name = NULL;
    s = ar_params_encode(t_outer_schema(), &p, &b, &err);
    CHECK(s == AR_E_ARG && strstr(err.msg, "field 'name' not set"), "unset string: %d %s", s, err.msg);
    ar_fields_clear(&b);
}

/* Every registered task type has a schema, and a planned repair_candidate
 * task and an evaluate task decode to what was planned. */
static void check_real_types(void)
{
    ar_registry_t reg = {0};
    ar_err_t err = {0};
    CHECK(ar_registry_add_builtin(&reg, &err) == AR_OK, "%s", err.msg);
    for (int i = 0; i < reg.ntasks; i++)
        CHECK(reg.tasks[i]->params != NULL, "task type '%s' has no parameter list", reg.tasks[i]->name);

    float mv[1] = {0.3f}, sv[1] = {0.2f};
    int64_t sev[2] = {3, 5};
    ar_repair_candidate_params_t p = {
        .set = {.train_path = "/data/fm", .train_split = "train", .skip = 50000, .pool = 2000,
                .val = 500, .failing = 100, .sample = 0, .augment = 0.5, .corruptions = "fog,snow",
                .set_seed = 7, .eval_batch = 128, .severities = {sev, 2}, .mean = {mv, 1}, .std = {sv, 1}},
        .model = "m.h5", .out = "o.h5", .method = "archrepair", .block = "layer2.0", .layer = "",
        .ops = "conv_3x3,skip", .cand = 3, .rung = 1, .nodes = 2, .seed = -42, .lr = 0.01,
        .search_epochs = 2, .finetune_epochs = 1, .batch = 64, .finetune_lr = 0.001,
        .alpha_lr = 0.003, .channels = 0, .partial_channels = 4, .keep_shortcut = 1,
        .seed_original = 1};
    ar_fields_t b = {0};
    ar_repair_candidate_params_t q;
    int s = ar_params_encode(ar_repair_candidate_params_schema(), &p, &b, &err);
    if (!s) s = ar_params_decode(ar_repair_candidate_params_schema(), &b, &q, &err);
    CHECK(s == AR_OK, "repair_candidate: %s", err.msg);
    if (!s) {
        CHECK(!strcmp(q.set.corruptions, "fog,snow") && q.set.severities.n == 2 &&
                  q.set.severities.v[1] == 5 && q.set.mean.v[0] == 0.3f && q.set.skip == 50000 &&
                  q.partial_channels == 4,
              "repair set fields");
        CHECK(!strcmp(q.block, "layer2.0") && q.seed == -42 && q.lr == 0.01 && q.keep_shortcut == 1,
              "candidate fields");
        ar_repair_set_cfg_t c;
        s = ar_repair_set_cfg_from_params(&q.set, 1, &c, &err);
        CHECK(s == AR_OK && c.ncorruptions == 2 && c.nseverities == 2 && c.pool == 2000,
              "set cfg: %s", err.msg);
        s = ar_repair_set_cfg_from_params(&q.set, 3, &c, &err);
        CHECK(s == AR_E_PROTO, "mean of 1 channel for a 3-channel model accepted");
    }
    ar_fields_clear(&b);
    /* the evaluate task's phase, shard and normalisation */
    ar_evaluate_params_t e = {.shard = {.set = 2, .label = "fog/3", .path = "/d", .split = "test",
                                        .corruption = "fog", .severity = 3, .generated = 1,
                                        .seed = 1, .start = 100, .count = 50},
                              .model = "m.h5", .batch = 128, .mean = {mv, 1}, .std = {sv, 1},
                              .phase = -1};
    ar_evaluate_params_t f;
    s = ar_params_encode(ar_evaluate_params_schema(), &e, &b, &err);
    if (!s) s = ar_params_decode(ar_evaluate_params_schema(), &b, &f, &err);
    CHECK(s == AR_OK && f.shard.start == 100 && f.shard.count == 50 && f.phase == -1 &&
              !strcmp(f.shard.label, "fog/3"),
          "evaluate: %s", err.msg);
    ar_fields_clear(&b);
}

int main(void)
{
    check_round_trip();
    check_decoder_rejects();
    check_encoder_rejects();
    check_real_types();
    TEST_MAIN_END();
}
