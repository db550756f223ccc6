/* test_job_config.c - the job schema: a valid job with defaults, every kind
 * of error (unknown key with did-you-mean, wrong type, out of range, bad
 * enum, missing key, invalid TOML, cross-key checks) naming key and line;
 * the shipped configs validate; docs/config.md equals the generated text;
 * the effective-value dump loads back to the same job. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "config/job_config.h"
#include "core/fsutil.h"

static const char *base =
    "[job]\n"                                   /* 1 */
    "kind = \"evaluate\"\n"                     /* 2 */
    "output = \"out.h5\"\n"                     /* 3 */
    "[model]\n"                                 /* 4 */
    "path = \"m.h5\"\n"                         /* 5 */
    "[data]\n"                                  /* 6 */
    "path = \"/d\"\n";                          /* 7 */

/* base + extra, loaded; returns the status and leaves the job freed on error. */
static int load_with(const char *extra, ar_job_config_t *job, ar_err_t *e)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", base, extra);
    return ar_job_load_string(text, "job.toml", job, e);
}

#define EXPECT_ERROR(extra, msg)                                                                   \
    do {                                                                                           \
        ar_job_config_t j_;                                                                        \
        ar_err_t e_ = {0};                                                                         \
        int s_ = load_with((extra), &j_, &e_);                                                     \
        CHECK(s_ == AR_E_CONFIG, "must fail: %s", (extra));                                        \
        CHECK(strcmp(ar_err_msg(&e_), (msg)) == 0, "message\n   got: %s\n  want: %s", ar_err_msg(&e_), (msg)); \
        CHECK(j_.doc == NULL && j_.job.kind == NULL, "failed load leaves a zeroed job");           \
    } while (0)

static void test_defaults(void)
{
    ar_job_config_t job;
    ar_err_t e = {0};
    CHECK_OK(load_with("", &job, &e), &e);
    CHECK(strcmp(job.job.kind, "evaluate") == 0 && strcmp(job.job.output, "out.h5") == 0, "job");
    CHECK(job.job.seed == 0 && strcmp(job.job.name, "") == 0, "job defaults");
    CHECK(strcmp(job.data.split, "test") == 0 && job.data.batch_size == 256 && job.data.limit == 0, "data defaults");
    CHECK(job.data.mean.n == 0 && job.data.std.n == 0 && job.data.corrupted.n == 0, "empty lists");
    CHECK(job.run.heartbeat_s == 1.0 && job.run.shard_size == 1000 && strcmp(job.run.log_level, "info") == 0,
          "run defaults");
    CHECK(ar_job_key_line(&job, "data.path") == 7 && ar_job_key_line(&job, "run.shard_size") == 0, "key lines");
    CHECK(strcmp(ar_job_name(&job), "job.toml") == 0 && strstr(job.text, "m.h5"), "name and text kept");
    ar_job_free(&job);
    ar_job_free(&job);

    CHECK_OK(load_with("mean = [0.5, 0.4, 0.3]\nstd = [0.2, 0.2, 0.25]\nbatch_size = 64\n"
                       "[[data.corrupted]]\nkind = \"generated\"\ncorruptions = [\"fog\", \"snow\"]\nseverities = [5, 1]\n"
                       "[[data.corrupted]]\nkind = \"collection\"\npath = \"/c\"\n"
                       "[run]\nlog_level = \"debug\"\nheartbeat_s = 2\n",
                       &job, &e),
             &e);
    CHECK(job.data.mean.n == 3 && job.data.std.v[2] == 0.25 && job.data.batch_size == 64, "data values");
    CHECK(job.data.corrupted.n == 2, "two set groups");
    if (job.data.corrupted.n == 2) {
        const ar_cset_cfg_t *a = ar_job_cset(&job, 0), *b = ar_job_cset(&job, 1);
        CHECK(strcmp(a->kind, "generated") == 0 && a->corruptions.n == 2 && strcmp(a->corruptions.v[1], "snow") == 0 &&
                  a->severities.n == 2 && a->severities.v[0] == 5 && strcmp(a->path, "") == 0,
              "generated group");
        CHECK(strcmp(b->kind, "collection") == 0 && strcmp(b->path, "/c") == 0 && b->corruptions.n == 1 &&
                  strcmp(b->corruptions.v[0], "all") == 0 && b->severities.n == 5 && b->severities.v[4] == 5,
              "collection group with defaults");
    }
    CHECK(job.run.heartbeat_s == 2.0 && strcmp(job.run.log_level, "debug") == 0, "int accepted as float");
    ar_job_free(&job);
}

static void test_errors(void)
{
    EXPECT_ERROR("bath_size = 12\n", "job.toml:8: unknown key 'data.bath_size' (did you mean 'data.batch_size'?)");
    EXPECT_ERROR("[modle]\npath = \"x\"\n", "job.toml:9: unknown key 'modle.path' (did you mean 'model.path'?)");
    EXPECT_ERROR("[train]\nlr = \"fast\"\n", "job.toml:9: unknown key 'train.lr'");
    EXPECT_ERROR("[[data.corrupted]]\nkind = \"generated\"\nseverity = [1]\n",
                 "job.toml:10: unknown key 'data.corrupted[0].severity' (did you mean 'data.corrupted[].severities'?)");
    EXPECT_ERROR("batch_size = \"big\"\n", "job.toml:8: key 'data.batch_size' must be an integer, got string");
    EXPECT_ERROR("batch_size = 1.5\n", "job.toml:8: key 'data.batch_size' must be an integer, got float");
    EXPECT_ERROR("batch_size = 0\n", "job.toml:8: key 'data.batch_size' = 0 is out of range 1..65536");
    EXPECT_ERROR("[run]\nheartbeat_s = \"1s\"\n", "job.toml:9: key 'run.heartbeat_s' must be a float, got string");
    EXPECT_ERROR("[run]\nheartbeat_s = 100.0\n", "job.toml:9: key 'run.heartbeat_s' = 100 is out of range 0.01..60");
    EXPECT_ERROR("[run]\nlog_level = \"verbose\"\n",
                 "job.toml:9: key 'run.log_level' = 'verbose' must be one of: debug, info, warn, error");
    EXPECT_ERROR("split = \"tset\"\n", "job.toml:8: key 'data.split' = 'tset' must be one of: train, test, val (did you mean 'test'?)");
    EXPECT_ERROR("mean = [0.5, \"x\"]\nstd = [1, 1]\n",
                 "job.toml:8: key 'data.mean' must be an array of floats, element 1 is string");
    EXPECT_ERROR("mean = 0.5\n", "job.toml:8: key 'data.mean' must be an array of floats, got float");
    EXPECT_ERROR("std = [0.0]\nmean = [0.1]\n", "job.toml:8: key 'data.std' element 0 = 0 is out of range 1e-06..1000000");
    EXPECT_ERROR("mean = [0.5, 0.5]\nstd = [0.2]\n",
                 "job.toml:8: key 'data.mean' must have as many entries as the other of data.mean/data.std (one per channel)");
    EXPECT_ERROR("[[data.corrupted]]\nkind = \"generated\"\nseverities = [1, 6]\n",
                 "job.toml:10: key 'data.corrupted[0].severities' element 1 = 6 is out of range 1..5");
    EXPECT_ERROR("[[data.corrupted]]\nkind = \"generated\"\nseverities = [2, 2]\n",
                 "job.toml:10: key 'data.corrupted[0].severities' lists a severity twice");
    EXPECT_ERROR("[[data.corrupted]]\nkind = \"generated\"\ncorruptions = [\"all\", \"fog\"]\n",
                 "job.toml:10: key 'data.corrupted[0].corruptions' mixes \"all\" with names");
    EXPECT_ERROR("[[data.corrupted]]\nkind = \"generated\"\ncorruptions = []\n",
                 "job.toml:10: key 'data.corrupted[0].corruptions' must name at least one corruption (or \"all\")");
    EXPECT_ERROR("[[data.corrupted]]\nkind = \"collection\"\n",
                 "job.toml:9: key 'data.corrupted[0].kind' = 'collection' needs a path");
    EXPECT_ERROR("[[data.corrupted]]\npath = \"x\"\n",
                 "job.toml: missing required key 'data.corrupted[0].kind' (collection: read from path (HDF5 collection, "
                 "CIFAR-10-C .npy directory or Tiny-ImageNet-C tree); generated: corrupt the clean source on the fly.)");
    EXPECT_ERROR("corrupted = 3\n", "job.toml:8: key 'data.corrupted' must be an array of tables ([[data.corrupted]]), got integer");
    EXPECT_ERROR("corrupted = [1]\n", "job.toml:8: key 'data.corrupted' must be an array of tables, element 0 is integer");
    EXPECT_ERROR("[run]\nheartbeat_s = 10.0\nheartbeat_timeout_s = 15.0\n",
                 "job.toml:10: key 'run.heartbeat_timeout_s' must be at least twice run.heartbeat_s");
    EXPECT_ERROR("[job.extra]\n", "job.toml:8: unknown key 'job.extra'");
    EXPECT_ERROR("limit = -1\n", "job.toml:8: key 'data.limit' = -1 is out of range 0..1000000000000");

    /* missing required keys, invalid TOML, empty strings */
    ar_job_config_t job;
    ar_err_t e = {0};
    CHECK(ar_job_load_string("[job]\nkind = \"repair\"\n[model]\npath = \"m\"\n[data]\npath = \"d\"\n", "job.toml", &job, &e) ==
              AR_E_CONFIG,
          "job.output required");
    CHECK(strcmp(ar_err_msg(&e), "job.toml: missing required key 'job.output' (Result file (HDF5); written under a "
                                 "temporary name and renamed when complete.)") == 0,
          "msg: %s", ar_err_msg(&e));
    CHECK(ar_job_load_string("[job]\nkind = \"repair\"\noutput = \"o\"\n[model]\npath = \"m\"\n", "job.toml", &job, &e) ==
              AR_E_CONFIG,
          "data.path required");
    CHECK(strstr(ar_err_msg(&e), "missing required key 'data.path'") != NULL, "msg: %s", ar_err_msg(&e));
    CHECK(ar_job_load_string("[job]\nkind = \"evaluate\"\noutput = out.h5\n", "job.toml", &job, &e) == AR_E_CONFIG,
          "invalid TOML");
    CHECK(strncmp(ar_err_msg(&e), "job.toml:3:", 11) == 0 && strstr(ar_err_msg(&e), "invalid TOML"), "msg: %s",
          ar_err_msg(&e));
    CHECK(ar_job_load_string("[job]\nkind = \"evaluate\"\noutput = \"\"\n[model]\npath = \"m\"\n[data]\npath = \"d\"\n",
                             "job.toml", &job, &e) == AR_E_CONFIG,
          "empty output");
    CHECK(strcmp(ar_err_msg(&e), "job.toml:3: key 'job.output' must not be empty") == 0, "msg: %s", ar_err_msg(&e));
    CHECK(ar_job_load_string("[job]\nkind = \"evalute\"\n", "job.toml", &job, &e) == AR_E_CONFIG, "bad kind");
    CHECK(strncmp(ar_err_msg(&e), "job.toml:2: key 'job.kind' = 'evalute' must be one of: evaluate, localize, repair", 80) == 0 &&
              strstr(ar_err_msg(&e), " (did you mean 'evaluate'?)") != NULL,
          "msg: %s", ar_err_msg(&e));
    CHECK(ar_job_load_file("/nonexistent/job.toml", &job, &e) == AR_E_IO && strstr(ar_err_msg(&e), "/nonexistent/job.toml"),
          "missing file: %s", ar_err_msg(&e));
}

static void test_shipped(void)
{
    const char *names[2] = {"configs/fashion-mnist.toml", "configs/cifar10c.toml"};
    for (int i = 0; i < 2; i++) {
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", test_source_dir(), names[i]);
        ar_job_config_t job;
        ar_err_t e = {0};
        CHECK_OK(ar_job_load_file(p, &job, &e), &e);
        if (e.status) continue;
        CHECK(job.data.corrupted.n == 1, "%s: one corruption group", names[i]);
        CHECK(job.data.mean.n == job.data.std.n && job.data.mean.n == (i == 0 ? 1 : 3), "%s: normalisation", names[i]);
        if (i == 0)
            CHECK(strcmp(ar_job_cset(&job, 0)->kind, "generated") == 0 && ar_job_cset(&job, 0)->corruptions.n == 15 &&
                      strcmp(job.data.path, "/usr/share/datasets/fashion-mnist") == 0,
                  "fashion-mnist demo: 15 corruptions generated on the fly");
        else
            CHECK(strcmp(ar_job_cset(&job, 0)->kind, "collection") == 0, "cifar10c: a CIFAR-10-C collection");
        /* the dump of effective values loads back to the same values */
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        int n;
        const ar_key_spec_t *specs = ar_job_schema(&n);
        CHECK(ar_schema_dump(specs, n, &job, m) == 0, "dump");
        fclose(m);
        ar_job_config_t again;
        CHECK_OK(ar_job_load_string(buf, "dump.toml", &again, &e), &e);
        if (!e.status) {
            char *buf2 = NULL;
            size_t len2 = 0;
            m = open_memstream(&buf2, &len2);
            ar_schema_dump(specs, n, &again, m);
            fclose(m);
            CHECK(len == len2 && strcmp(buf, buf2) == 0, "%s: dump round trip", names[i]);
            free(buf2);
            ar_job_free(&again);
        }
        free(buf);
        ar_job_free(&job);
    }
}

static void test_docs(void)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/docs/config.md", test_source_dir());
    ar_err_t e = {0};
    size_t len = 0;
    char *committed = ar_read_text_file(p, &len, &e);
    CHECK(committed != NULL, "read docs/config.md: %s", ar_err_msg(&e));
    char *gen = NULL;
    size_t glen = 0;
    FILE *m = open_memstream(&gen, &glen);
    CHECK(ar_job_doc_markdown(m) == 0, "generate");
    fclose(m);
    CHECK(committed && glen == len && memcmp(gen, committed, len) == 0,
          "docs/config.md differs from the schema: regenerate with `archrepair config --doc > docs/config.md`");
    int n;
    const ar_key_spec_t *specs = ar_job_schema(&n);
    for (int i = 0; i < n; i++) {
        char key[300];
        snprintf(key, sizeof key, "`%s`", specs[i].key);
        CHECK(strstr(gen, key) != NULL, "key %s documented", specs[i].key);
    }
    free(committed);
    free(gen);
}

/* Every row of the schema is well-formed: unique keys, a doc line without
 * '|' (it would break the markdown table), [] fields under an array spec,
 * enum choices, and defaults that load (a job of only required keys loads
 * every default through the same checks as user values). */
static void test_schema_sane(void)
{
    int n;
    const ar_key_spec_t *specs = ar_job_schema(&n);
    for (int i = 0; i < n; i++) {
        const ar_key_spec_t *s = &specs[i];
        CHECK(s->doc && s->doc[0] && !strchr(s->doc, '|') && !strchr(s->doc, '\n'), "%s: one-line doc without '|'",
              s->key);
        CHECK(s->type != AR_KEY_ENUM || (s->choices && strchr(s->choices, '|')), "%s: enum with choices", s->key);
        CHECK(s->type != AR_KEY_TABLES || s->elem_size > 0, "%s: table element size", s->key);
        for (int j = 0; j < i; j++) CHECK(strcmp(s->key, specs[j].key) != 0, "%s: listed twice", s->key);
        const char *br = strstr(s->key, "[].");
        if (br) {
            int found = 0;
            for (int j = 0; j < n; j++)
                found |= specs[j].type == AR_KEY_TABLES && strlen(specs[j].key) == (size_t)(br - s->key) &&
                         strncmp(specs[j].key, s->key, (size_t)(br - s->key)) == 0;
            CHECK(found, "%s: its array-of-tables spec exists", s->key);
        }
        CHECK(ar_schema_suggest(specs, n, s->key) == s->key, "%s suggests itself", s->key);
    }
    /* a group with only its required field loads every field default */
    ar_job_config_t job;
    ar_err_t e = {0};
    CHECK_OK(load_with("[[data.corrupted]]\nkind = \"generated\"\n", &job, &e), &e);
    ar_job_free(&job);
}

int main(void)
{
    test_schema_sane();
    test_defaults();
    test_errors();
    test_shipped();
    test_docs();
    TEST_MAIN_END();
}
