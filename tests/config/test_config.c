/* test_config.c - the TOML shim: typed access by dotted key, lines, arrays,
 * arrays of tables, key enumeration, wrong types and invalid TOML. */
#include <stdint.h>

#include "check.h"
#include "config/config.h"

static const char *doc_text =
    "# comment\n"                                  /* 1 */
    "title = \"demo\"\n"                           /* 2 */
    "[train]\n"                                    /* 3 */
    "lr = 0.1\n"                                   /* 4 */
    "epochs = 30\n"                                /* 5 */
    "nesterov = true\n"                            /* 6 */
    "names = [\"a\", \"b\", \"c\"]\n"              /* 7 */
    "sev = [1, 2, 5]\n"                            /* 8 */
    "mix = [1, 2.5]\n"                             /* 9 */
    "bad = [1, \"x\"]\n"                           /* 10 */
    "when = 1979-05-27\n"                          /* 11 */
    "[[sets]]\n"                                   /* 12 */
    "path = \"p0\"\n"                              /* 13 */
    "[[sets]]\n"                                   /* 14 */
    "path = \"p1\"\n"                              /* 15 */
    "sub.deep = 7\n"                               /* 16 */
    "[empty]\n";                                   /* 17 */

static void test_access(void)
{
    ar_err_t e = {0};
    ar_config_t *c = ar_config_parse_string(doc_text, "t.toml", &e);
    CHECK(c != NULL, "parse: %s", ar_err_msg(&e));
    if (!c) return;
    CHECK(strcmp(ar_config_name(c), "t.toml") == 0, "name");
    const char *s;
    int64_t i;
    double d;
    int b, line;
    CHECK_OK(ar_config_get_string(c, "title", &s, &line, &e), &e);
    CHECK(strcmp(s, "demo") == 0 && line == 2, "title line %d", line);
    CHECK_OK(ar_config_get_float(c, "train.lr", &d, &line, &e), &e);
    CHECK(d == 0.1 && line == 4, "lr");
    CHECK_OK(ar_config_get_int(c, "train.epochs", &i, &line, &e), &e);
    CHECK(i == 30 && line == 5, "epochs");
    CHECK_OK(ar_config_get_float(c, "train.epochs", &d, NULL, &e), &e);
    CHECK(d == 30.0, "int read as float");
    CHECK_OK(ar_config_get_bool(c, "train.nesterov", &b, &line, &e), &e);
    CHECK(b == 1 && line == 6, "bool");
    CHECK(ar_config_type(c, "train", &line) == AR_CV_TABLE && line == 3, "table type, line %d", line);
    CHECK(ar_config_type(c, "train.when", &line) == AR_CV_DATETIME && line == 11, "date");
    CHECK(ar_config_type(c, "nothing.here", &line) == AR_CV_NONE && line == 0, "absent");
    CHECK(ar_config_type(c, "sets[1].sub.deep", &line) == AR_CV_INT && line == 16, "path into array of tables");

    const char **names;
    int64_t *ints;
    double *fl;
    int n;
    CHECK_OK(ar_config_get_strings(c, "train.names", &names, &n, &line, &e), &e);
    CHECK(n == 3 && strcmp(names[2], "c") == 0 && line == 7, "strings");
    free(names);
    CHECK_OK(ar_config_get_ints(c, "train.sev", &ints, &n, NULL, &e), &e);
    CHECK(n == 3 && ints[2] == 5, "ints");
    free(ints);
    CHECK_OK(ar_config_get_floats(c, "train.mix", &fl, &n, NULL, &e), &e);
    CHECK(n == 2 && fl[0] == 1.0 && fl[1] == 2.5, "floats accept ints");
    free(fl);
    CHECK(ar_config_array_len(c, "sets") == 2 && ar_config_array_len(c, "title") == -1, "array len");
    CHECK_OK(ar_config_get_string(c, "sets[1].path", &s, &line, &e), &e);
    CHECK(strcmp(s, "p1") == 0 && line == 15, "array of tables element");

    /* errors name the file, line and key */
    CHECK(ar_config_get_int(c, "train.lr", &i, NULL, &e) == AR_E_CONFIG, "float is no int");
    CHECK(strcmp(ar_err_msg(&e), "t.toml:4: key 'train.lr' must be an integer, got float") == 0, "msg: %s",
          ar_err_msg(&e));
    CHECK(ar_config_get_float(c, "title", &d, NULL, &e) == AR_E_CONFIG, "string is no float");
    CHECK(strcmp(ar_err_msg(&e), "t.toml:2: key 'title' must be a float, got string") == 0, "msg: %s", ar_err_msg(&e));
    CHECK(ar_config_get_bool(c, "train.epochs", &b, NULL, &e) == AR_E_CONFIG, "int is no bool");
    CHECK(ar_config_get_string(c, "train.missing", &s, NULL, &e) == AR_E_CONFIG, "missing");
    CHECK(strstr(ar_err_msg(&e), "'train.missing' missing") != NULL, "msg: %s", ar_err_msg(&e));
    CHECK(ar_config_get_ints(c, "train.bad", &ints, &n, NULL, &e) == AR_E_CONFIG && ints == NULL, "mixed array");
    CHECK(strcmp(ar_err_msg(&e), "t.toml:10: key 'train.bad' must be an array of integers, element 1 is string") == 0,
          "msg: %s", ar_err_msg(&e));
    CHECK(ar_config_get_strings(c, "title", &names, &n, NULL, &e) == AR_E_CONFIG, "scalar is no array");
    CHECK(strstr(ar_err_msg(&e), "must be an array of strings, got string") != NULL, "msg: %s", ar_err_msg(&e));

    char **keys;
    int *lines, nk;
    CHECK_OK(ar_config_keys(c, &keys, &lines, &nk, &e), &e);
    const char *want[] = {"title",      "train.lr",  "train.epochs",    "train.nesterov",   "train.names", "train.sev",
                          "train.mix",  "train.bad", "train.when",      "sets[0].path",     "sets[1].path",
                          "sets[1].sub.deep", "empty"};
    int nw = (int)(sizeof want / sizeof want[0]);
    CHECK(nk == nw, "%d keys, want %d", nk, nw);
    for (int k = 0; k < nk && k < nw; k++) CHECK(strcmp(keys[k], want[k]) == 0, "key %d: %s vs %s", k, keys[k], want[k]);
    CHECK(nk == nw && lines[0] == 2 && lines[nk - 1] == 17, "key lines");
    ar_config_free_keys(keys, lines, nk);
    ar_config_destroy(&c);
    CHECK(c == NULL, "destroy nulls");
    ar_config_destroy(&c);
}

static void test_invalid(void)
{
    ar_err_t e = {0};
    const struct {
        const char *text, *want;
    } cases[] = {
        {"a = 1\nb = \n", "t.toml:2:"},
        {"a = 1\n[x\n", "t.toml:2:"},
        {"a = 1\na = 2\n", "t.toml:2:"},
        {"a = \"unterminated\n", "t.toml:1:"},
        {"x = [1, 2\ny = 3\n", "t.toml:2:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ar_config_t *c = ar_config_parse_string(cases[i].text, "t.toml", &e);
        CHECK(c == NULL && e.status == AR_E_CONFIG, "case %zu must fail", i);
        CHECK(strncmp(ar_err_msg(&e), cases[i].want, strlen(cases[i].want)) == 0 && strstr(ar_err_msg(&e), "invalid TOML"),
              "case %zu: %s", i, ar_err_msg(&e));
        CHECK(strchr(ar_err_msg(&e), '\n') == NULL, "one line");
        ar_config_destroy(&c);
        ar_err_clear(&e);
    }
    ar_config_t *c = ar_config_parse_file("/nonexistent/job.toml", &e);
    CHECK(c == NULL && e.status == AR_E_IO && strstr(ar_err_msg(&e), "/nonexistent/job.toml"), "missing file: %s",
          ar_err_msg(&e));
}

int main(void)
{
    test_access();
    test_invalid();
    TEST_MAIN_END();
}
