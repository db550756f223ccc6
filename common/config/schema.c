/* schema.c - loading TOML documents through a key-spec table; did-you-mean
 * suggestions; the markdown reference generated from the same table. */
#define _POSIX_C_SOURCE 200809L
#include "schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 256

static const char *const type_names[] = {
    "string", "string (one of)", "integer", "float", "boolean", "array of strings", "array of integers",
    "array of floats", "array of tables",
};
_Static_assert(sizeof type_names / sizeof type_names[0] == AR_KEY_TYPE_COUNT, "type names out of step");

/* "a.b[12].c" -> "a.b[].c" */
static void normalise(const char *key, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = key; *p && n + 1 < cap; p++) {
        out[n++] = *p;
        if (*p == '[')
            while (p[1] >= '0' && p[1] <= '9') p++;
    }
    out[n] = '\0';
}

static const ar_key_spec_t *find_spec(const ar_key_spec_t *specs, int n, const char *norm)
{
    for (int i = 0; i < n; i++)
        if (strcmp(specs[i].key, norm) == 0) return &specs[i];
    return NULL;
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated
 * edits of a substring), capped at KEY_MAX characters. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= KEY_MAX || lb >= KEY_MAX) return 1 << 20;
    static const int stride = KEY_MAX + 1;
    int *d = malloc(sizeof(int) * (size_t)stride * (size_t)stride);
    if (!d) return 1 << 20;
#define D(i, j) d[(i) * stride + (j)]
    for (size_t i = 0; i <= la; i++) D(i, 0) = (int)i;
    for (size_t j = 0; j <= lb; j++) D(0, j) = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = D(i - 1, j) + 1;
            if (D(i, j - 1) + 1 < v) v = D(i, j - 1) + 1;
            if (D(i - 1, j - 1) + cost < v) v = D(i - 1, j - 1) + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < v)
                v = D(i - 2, j - 2) + 1;
            D(i, j) = v;
        }
    int r = D(la, lb);
#undef D
    free(d);
    return r;
}

const char *ar_schema_suggest(const ar_key_spec_t *specs, int n, const char *key)
{
    char norm[KEY_MAX];
    normalise(key, norm, sizeof norm);
    const char *best = NULL;
    int best_d = 1 << 20;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(norm, specs[i].key);
        if (d < best_d) {
            best_d = d;
            best = specs[i].key;
        }
    }
    int len = (int)strlen(norm);
    return (best && (best_d <= 2 || best_d * 5 <= len)) ? best : NULL;
}

/* ---- values ------------------------------------------------------------- */

static void fmt_num(double v, int is_int, char *buf, size_t cap)
{
    if (is_int) snprintf(buf, cap, "%lld", (long long)v);
    else snprintf(buf, cap, "%.15g", v);
}

static int has_range(const ar_key_spec_t *s) { return s->min <= s->max; }

static int range_error(const ar_config_t *doc, const char *key, int line, const ar_key_spec_t *s, double v, int elem,
                       ar_err_t *err)
{
    int is_int = s->type == AR_KEY_INT || s->type == AR_KEY_INTS;
    char vb[64], lo[64], hi[64], eb[48] = "";
    fmt_num(v, is_int, vb, sizeof vb);
    fmt_num(s->min, is_int, lo, sizeof lo);
    fmt_num(s->max, is_int, hi, sizeof hi);
    if (elem >= 0) snprintf(eb, sizeof eb, " element %d", elem);
    return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s'%s = %s is out of range %s..%s", ar_config_name(doc), line,
                      key, eb, vb, lo, hi);
}

static int check_range(const ar_config_t *doc, const char *key, int line, const ar_key_spec_t *s, double v, int elem,
                       ar_err_t *err)
{
    if (!has_range(s) || (v >= s->min && v <= s->max && !isnan(v))) return AR_OK;
    return range_error(doc, key, line, s, v, elem, err);
}

static int check_choice(const ar_config_t *doc, const char *key, int line, const ar_key_spec_t *s, const char *v,
                        ar_err_t *err)
{
    const char *c = s->choices;
    size_t n = strlen(v);
    while (c && *c) {
        const char *bar = strchr(c, '|');
        size_t k = bar ? (size_t)(bar - c) : strlen(c);
        if (k == n && strncmp(c, v, n) == 0) return AR_OK;
        c = bar ? bar + 1 : NULL;
    }
    /* did-you-mean among the choices */
    char best[KEY_MAX] = "", one[KEY_MAX], list[1024] = "";
    int best_d = 1 << 20;
    size_t ln = 0;
    for (c = s->choices; c && *c;) {
        const char *bar = strchr(c, '|');
        size_t k = bar ? (size_t)(bar - c) : strlen(c);
        if (k >= sizeof one) k = sizeof one - 1;
        memcpy(one, c, k);
        one[k] = '\0';
        int d = edit_distance(v, one);
        if (d < best_d) {
            best_d = d;
            memcpy(best, one, k + 1);
        }
        ln += (size_t)snprintf(list + ln, ln < sizeof list ? sizeof list - ln : 0, "%s%s", ln ? ", " : "", one);
        if (ln >= sizeof list) ln = sizeof list - 1;
        c = bar ? bar + 1 : NULL;
    }
    char hint[KEY_MAX + 32] = "";
    if (best_d <= 2) snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
    return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' = '%s' must be one of: %s%s", ar_config_name(doc), line, key,
                      v, list, hint);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Reads the value at key of doc into dst per spec (not TABLES). */
static int read_value(const ar_config_t *doc, const char *key, const ar_key_spec_t *s, void *dst, ar_err_t *err)
{
    int line = 0, st = AR_OK;
    switch (s->type) {
    case AR_KEY_STRING:
    case AR_KEY_ENUM: {
        const char *v;
        if ((st = ar_config_get_string(doc, key, &v, &line, err))) return st;
        if (s->type == AR_KEY_ENUM && (st = check_choice(doc, key, line, s, v, err))) return st;
        char **p = dst;
        free(*p);
        if (!(*p = dup_or_null(v))) return ar_err_set(err, AR_E_NOMEM, "out of memory");
        return AR_OK;
    }
    case AR_KEY_INT: {
        int64_t v;
        if ((st = ar_config_get_int(doc, key, &v, &line, err))) return st;
        if ((st = check_range(doc, key, line, s, (double)v, -1, err))) return st;
        *(int64_t *)dst = v;
        return AR_OK;
    }
    case AR_KEY_FLOAT: {
        double v;
        if ((st = ar_config_get_float(doc, key, &v, &line, err))) return st;
        if ((st = check_range(doc, key, line, s, v, -1, err))) return st;
        *(double *)dst = v;
        return AR_OK;
    }
    case AR_KEY_BOOL: return ar_config_get_bool(doc, key, (int *)dst, &line, err);
    case AR_KEY_STRINGS: {
        const char **v;
        int n;
        if ((st = ar_config_get_strings(doc, key, &v, &n, &line, err))) return st;
        ar_strs_t *out = dst;
        for (int i = 0; i < out->n; i++) free(out->v[i]);
        free(out->v);
        out->n = 0;
        out->v = calloc((size_t)(n ? n : 1), sizeof(char *));
        for (int i = 0; out->v && i < n && !st; i++) {
            if (s->choices) st = check_choice(doc, key, line, s, v[i], err);
            if (!st && !(out->v[i] = strdup(v[i]))) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
            out->n = i + 1;
        }
        if (!out->v) st = ar_err_set(err, AR_E_NOMEM, "out of memory");
        free(v);
        return st;
    }
    case AR_KEY_INTS: {
        ar_ints_t *out = dst;
        free(out->v);
        out->v = NULL;
        out->n = 0;
        if ((st = ar_config_get_ints(doc, key, &out->v, &out->n, &line, err))) return st;
        for (int i = 0; i < out->n && !st; i++) st = check_range(doc, key, line, s, (double)out->v[i], i, err);
        return st;
    }
    case AR_KEY_FLOATS: {
        ar_floats_t *out = dst;
        free(out->v);
        out->v = NULL;
        out->n = 0;
        if ((st = ar_config_get_floats(doc, key, &out->v, &out->n, &line, err))) return st;
        for (int i = 0; i < out->n && !st; i++) st = check_range(doc, key, line, s, out->v[i], i, err);
        return st;
    }
    default: return ar_err_set(err, AR_E_INTERNAL, "schema: key '%s' has no scalar type", s->key);
    }
}

/* Sets dst to the spec's default (parsed as TOML), or fails for a required key. */
static int apply_default(const ar_config_t *doc, const char *key, const ar_key_spec_t *s, void *dst, ar_err_t *err)
{
    if (!s->def)
        return ar_err_set(err, AR_E_CONFIG, "%s: missing required key '%s' (%s)", ar_config_name(doc), key, s->doc);
    size_t n = strlen(s->def) + 8;
    char *text = malloc(n);
    if (!text) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    snprintf(text, n, "v = %s\n", s->def);
    char name[KEY_MAX + 32];
    snprintf(name, sizeof name, "default of '%s'", s->key);
    ar_config_t *d = ar_config_parse_string(text, name, err);
    free(text);
    if (!d) return ar_err_prefix(err, "schema bug");
    int st = read_value(d, "v", s, dst, err);
    ar_config_destroy(&d);
    if (st) ar_err_prefix(err, "schema bug");
    return st;
}

static int is_field_of(const ar_key_spec_t *field, const ar_key_spec_t *table)
{
    size_t k = strlen(table->key);
    return strncmp(field->key, table->key, k) == 0 && strncmp(field->key + k, "[].", 3) == 0;
}

static int load_tables(const ar_key_spec_t *specs, int n, const ar_key_spec_t *t, const ar_config_t *doc,
                       ar_tables_t *out, ar_err_t *err)
{
    int line = 0;
    ar_cv_type_t ty = ar_config_type(doc, t->key, &line);
    if (ty == AR_CV_NONE) return AR_OK; /* no tables: empty list */
    int len = ar_config_array_len(doc, t->key);
    if (ty != AR_CV_ARRAY)
        return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' must be an array of tables ([[%s]]), got %s",
                          ar_config_name(doc), line, t->key, t->key, ar_cv_type_name(ty));
    out->v = calloc((size_t)(len ? len : 1), t->elem_size);
    if (!out->v) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    out->n = len;
    for (int i = 0; i < len; i++) {
        char ek[KEY_MAX];
        snprintf(ek, sizeof ek, "%s[%d]", t->key, i);
        int el = 0;
        ar_cv_type_t et = ar_config_type(doc, ek, &el);
        if (et != AR_CV_TABLE)
            return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' must be an array of tables, element %d is %s",
                              ar_config_name(doc), el, t->key, i, ar_cv_type_name(et));
        char *elem = (char *)out->v + (size_t)i * t->elem_size;
        for (int j = 0; j < n; j++) {
            if (!is_field_of(&specs[j], t)) continue;
            char fk[KEY_MAX];
            snprintf(fk, sizeof fk, "%s[%d].%s", t->key, i, specs[j].key + strlen(t->key) + 3);
            int st = ar_config_type(doc, fk, NULL) != AR_CV_NONE
                         ? read_value(doc, fk, &specs[j], elem + specs[j].offset, err)
                         : apply_default(doc, fk, &specs[j], elem + specs[j].offset, err);
            if (st) return st;
        }
    }
    return AR_OK;
}

/* A document key is known when a spec names it, or it is an empty table
 * that specs live under. */
static int key_known(const ar_key_spec_t *specs, int n, const char *norm)
{
    if (find_spec(specs, n, norm)) return 1;
    size_t k = strlen(norm);
    char tk[KEY_MAX];
    if (k > 2 && strcmp(norm + k - 2, "[]") == 0 && k - 2 < sizeof tk) { /* empty element table */
        memcpy(tk, norm, k - 2);
        tk[k - 2] = '\0';
        const ar_key_spec_t *t = find_spec(specs, n, tk);
        return t && t->type == AR_KEY_TABLES;
    }
    for (int i = 0; i < n; i++) /* empty table above known keys, e.g. [run] */
        if (strncmp(specs[i].key, norm, k) == 0 && specs[i].key[k] == '.') return 1;
    return 0;
}

int ar_schema_load(const ar_key_spec_t *specs, int n, const ar_config_t *doc, void *out, ar_err_t *err)
{
    char **keys;
    int *lines, nk;
    int st = ar_config_keys(doc, &keys, &lines, &nk, err);
    if (st) return st;
    for (int i = 0; i < nk && !st; i++) {
        char norm[KEY_MAX];
        normalise(keys[i], norm, sizeof norm);
        if (key_known(specs, n, norm)) continue;
        const char *hint = ar_schema_suggest(specs, n, keys[i]);
        st = ar_err_set(err, AR_E_CONFIG, "%s:%d: unknown key '%s'%s%s%s", ar_config_name(doc), lines[i], keys[i],
                        hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
    }
    ar_config_free_keys(keys, lines, nk);
    for (int i = 0; i < n && !st; i++) {
        const ar_key_spec_t *s = &specs[i];
        if (strstr(s->key, "[].")) continue; /* loaded with its table */
        void *dst = (char *)out + s->offset;
        if (s->type == AR_KEY_TABLES) st = load_tables(specs, n, s, doc, dst, err);
        else if (ar_config_type(doc, s->key, NULL) != AR_CV_NONE) st = read_value(doc, s->key, s, dst, err);
        else st = apply_default(doc, s->key, s, dst, err);
    }
    return st;
}

static void free_value(const ar_key_spec_t *specs, int n, const ar_key_spec_t *s, void *dst)
{
    switch (s->type) {
    case AR_KEY_STRING:
    case AR_KEY_ENUM: {
        char **p = dst;
        free(*p);
        *p = NULL;
        break;
    }
    case AR_KEY_STRINGS: {
        ar_strs_t *v = dst;
        for (int i = 0; i < v->n; i++) free(v->v[i]);
        free(v->v);
        v->v = NULL;
        v->n = 0;
        break;
    }
    case AR_KEY_INTS:
    case AR_KEY_FLOATS: {
        ar_ints_t *v = dst; /* same layout as ar_floats_t: pointer then count */
        free(v->v);
        v->v = NULL;
        v->n = 0;
        break;
    }
    case AR_KEY_TABLES: {
        ar_tables_t *t = dst;
        for (int i = 0; i < t->n && t->v; i++)
            for (int j = 0; j < n; j++)
                if (is_field_of(&specs[j], s))
                    free_value(specs, n, &specs[j], (char *)t->v + (size_t)i * s->elem_size + specs[j].offset);
        free(t->v);
        t->v = NULL;
        t->n = 0;
        break;
    }
    default: break;
    }
}

void ar_schema_free(const ar_key_spec_t *specs, int n, void *out)
{
    if (!out) return;
    for (int i = 0; i < n; i++)
        if (!strstr(specs[i].key, "[]."))
            free_value(specs, n, &specs[i], (char *)out + specs[i].offset);
}

/* ---- markdown ------------------------------------------------------------ */

static void section_of(const char *key, char *out, size_t cap)
{
    const char *br = strstr(key, "[].");
    size_t k = br ? (size_t)(br - key) : strcspn(key, ".");
    if (k >= cap) k = cap - 1;
    memcpy(out, key, k);
    out[k] = '\0';
}

int ar_schema_markdown(const ar_key_spec_t *specs, int n, const char *title, const char *intro, FILE *out)
{
    fprintf(out, "# %s\n\n%s", title, intro);
    char done[64][KEY_MAX];
    int ndone = 0;
    for (int i = 0; i < n; i++) {
        char sec[KEY_MAX];
        section_of(specs[i].key, sec, sizeof sec);
        int seen = 0;
        for (int j = 0; j < ndone; j++) seen |= strcmp(done[j], sec) == 0;
        if (seen || ndone == 64) continue;
        memcpy(done[ndone++], sec, sizeof sec);
        int is_array = strstr(specs[i].key, "[].") != NULL;
        fprintf(out, "\n## %s%s%s\n\n", is_array ? "[[" : "[", sec, is_array ? "]]" : "]");
        for (int j = 0; j < is_array * n; j++) /* the table array's own doc line */
            if (specs[j].type == AR_KEY_TABLES && strcmp(specs[j].key, sec) == 0) fprintf(out, "%s\n\n", specs[j].doc);
        fprintf(out, "| key | type | default | allowed | description |\n|---|---|---|---|---|\n");
        for (int j = i; j < n; j++) {
            char s2[KEY_MAX];
            section_of(specs[j].key, s2, sizeof s2);
            if (strcmp(s2, sec) != 0) continue;
            const ar_key_spec_t *s = &specs[j];
            char allowed[512] = "";
            if (s->choices) {
                size_t k = 0;
                for (const char *c = s->choices; *c && k + 4 < sizeof allowed; c++) {
                    if (*c == '|') {
                        memcpy(allowed + k, ", ", 2);
                        k += 2;
                    } else {
                        allowed[k++] = *c;
                    }
                }
                allowed[k] = '\0';
            } else if (has_range(s)) {
                int is_int = s->type == AR_KEY_INT || s->type == AR_KEY_INTS;
                char lo[64], hi[64];
                fmt_num(s->min, is_int, lo, sizeof lo);
                fmt_num(s->max, is_int, hi, sizeof hi);
                snprintf(allowed, sizeof allowed, "%s .. %s", lo, hi);
            }
            fprintf(out, "| `%s` | %s | %s%s%s | %s | %s |\n", s->key, type_names[s->type], s->def ? "`" : "",
                    s->def ? s->def : "**required**", s->def ? "`" : "", allowed, s->doc);
        }
    }
    return ferror(out) ? -1 : 0;
}

/* ---- TOML dump ----------------------------------------------------------- */

static void put_str(const char *s, FILE *out)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

static void put_value(const ar_key_spec_t *s, const void *src, FILE *out)
{
    switch (s->type) {
    case AR_KEY_STRING:
    case AR_KEY_ENUM: put_str(*(char *const *)src, out); break;
    case AR_KEY_INT: fprintf(out, "%lld", (long long)*(const int64_t *)src); break;
    case AR_KEY_FLOAT: {
        char b[64];
        fmt_num(*(const double *)src, 0, b, sizeof b);
        fprintf(out, "%s%s", b, strpbrk(b, ".eEni") ? "" : ".0");
        break;
    }
    case AR_KEY_BOOL: fputs(*(const int *)src ? "true" : "false", out); break;
    case AR_KEY_STRINGS: {
        const ar_strs_t *v = src;
        fputc('[', out);
        for (int i = 0; i < v->n; i++) {
            if (i) fputs(", ", out);
            put_str(v->v[i], out);
        }
        fputc(']', out);
        break;
    }
    case AR_KEY_INTS: {
        const ar_ints_t *v = src;
        fputc('[', out);
        for (int i = 0; i < v->n; i++) fprintf(out, "%s%lld", i ? ", " : "", (long long)v->v[i]);
        fputc(']', out);
        break;
    }
    case AR_KEY_FLOATS: {
        const ar_floats_t *v = src;
        fputc('[', out);
        for (int i = 0; i < v->n; i++) {
            char b[64];
            fmt_num(v->v[i], 0, b, sizeof b);
            fprintf(out, "%s%s%s", i ? ", " : "", b, strpbrk(b, ".eEni") ? "" : ".0");
        }
        fputc(']', out);
        break;
    }
    default: break;
    }
}

int ar_schema_dump(const ar_key_spec_t *specs, int n, const void *obj, FILE *out)
{
    char done[64][KEY_MAX];
    int ndone = 0;
    for (int i = 0; i < n; i++) {
        if (strstr(specs[i].key, "[].")) continue;
        char sec[KEY_MAX];
        size_t k = strcspn(specs[i].key, ".");
        if (k >= sizeof sec) continue;
        memcpy(sec, specs[i].key, k);
        sec[k] = '\0';
        int seen = 0;
        for (int j = 0; j < ndone; j++) seen |= strcmp(done[j], sec) == 0;
        if (seen || ndone == 64) continue;
        memcpy(done[ndone++], sec, sizeof sec);
        fprintf(out, "%s[%s]\n", ndone > 1 ? "\n" : "", sec);
        for (int j = i; j < n; j++) /* plain keys of the section */
            if (specs[j].type != AR_KEY_TABLES && !strstr(specs[j].key, "[].") &&
                strncmp(specs[j].key, sec, k) == 0 && specs[j].key[k] == '.') {
                fprintf(out, "%s = ", specs[j].key + k + 1);
                put_value(&specs[j], (const char *)obj + specs[j].offset, out);
                fputc('\n', out);
            }
        for (int j = i; j < n; j++) { /* its arrays of tables */
            const ar_key_spec_t *t = &specs[j];
            if (t->type != AR_KEY_TABLES || strncmp(t->key, sec, k) != 0 || t->key[k] != '.') continue;
            const ar_tables_t *tv = (const void *)((const char *)obj + t->offset);
            for (int e = 0; e < tv->n; e++) {
                fprintf(out, "\n[[%s]]\n", t->key);
                const char *elem = (const char *)tv->v + (size_t)e * t->elem_size;
                for (int f = 0; f < n; f++)
                    if (is_field_of(&specs[f], t)) {
                        fprintf(out, "%s = ", specs[f].key + strlen(t->key) + 3);
                        put_value(&specs[f], elem + specs[f].offset, out);
                        fputc('\n', out);
                    }
            }
        }
    }
    return ferror(out) ? -1 : 0;
}
