// toml_shim.cpp - the only file that includes toml++ (one file per outside
// library): parses TOML and answers the C API of config.h. No exception
// leaves this file.
// core/error.h is a C header without extern "C" guards: give its functions
// C linkage here, before config.h includes it again (include guard).
extern "C" {
#include "core/error.h"
}
#include "config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <toml++/toml.h>

struct ar_config {
    toml::table root;
    std::string name;
};

namespace {

int line_of(const toml::node &n) { return static_cast<int>(n.source().begin.line); }

ar_cv_type_t type_of(const toml::node &n)
{
    switch (n.type()) {
    case toml::node_type::string: return AR_CV_STRING;
    case toml::node_type::integer: return AR_CV_INT;
    case toml::node_type::floating_point: return AR_CV_FLOAT;
    case toml::node_type::boolean: return AR_CV_BOOL;
    case toml::node_type::array: return AR_CV_ARRAY;
    case toml::node_type::table: return AR_CV_TABLE;
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return AR_CV_DATETIME;
    default: return AR_CV_NONE;
    }
}

const toml::node *find(const ar_config_t *c, const char *key)
{
    if (!key || !*key) return &c->root;
    return c->root.at_path(std::string_view(key)).node();
}

int missing(const ar_config_t *c, const char *key, ar_err_t *err)
{
    return ar_err_set(err, AR_E_CONFIG, "%s: key '%s' missing", c->name.c_str(), key);
}

int wrong_type(const ar_config_t *c, const char *key, const toml::node &n, const char *want, ar_err_t *err)
{
    return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' must be %s, got %s", c->name.c_str(), line_of(n), key, want,
                      ar_cv_type_name(type_of(n)));
}

ar_config_t *parse(std::string_view text, const char *name, ar_err_t *err)
{
    try {
        auto *c = new ar_config;
        c->name = name;
        try {
            c->root = toml::parse(text, std::string_view(name));
        } catch (const toml::parse_error &pe) {
            const auto &b = pe.source().begin;
            std::string why(pe.description());
            ar_err_set(err, AR_E_CONFIG, "%s:%u:%u: invalid TOML: %s", name, static_cast<unsigned>(b.line),
                       static_cast<unsigned>(b.column), why.c_str());
            delete c;
            return nullptr;
        }
        return c;
    } catch (const std::bad_alloc &) {
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory parsing TOML", name);
    } catch (const std::exception &e) {
        ar_err_set(err, AR_E_CONFIG, "%s: cannot parse TOML: %s", name, e.what());
    }
    return nullptr;
}

struct leaf {
    std::string key;
    int line;
};

void collect(const toml::node &n, const std::string &path, std::vector<leaf> &out)
{
    if (const toml::table *t = n.as_table()) {
        if (t->empty() && !path.empty()) out.push_back({path, line_of(n)});
        for (auto &&[k, v] : *t) {
            std::string sub = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
            collect(v, sub, out);
        }
        return;
    }
    if (const toml::array *a = n.as_array()) {
        bool has_table = false;
        for (auto &&e : *a) has_table |= e.is_table();
        if (has_table) {
            for (size_t i = 0; i < a->size(); i++) collect((*a)[i], path + "[" + std::to_string(i) + "]", out);
            return;
        }
    }
    out.push_back({path, line_of(n)});
}

template <typename T, typename F>
int get_array(const ar_config_t *c, const char *key, T **out, int *n, int *line, const char *want, F convert,
              ar_err_t *err)
{
    *out = nullptr;
    *n = 0;
    const toml::node *node = find(c, key);
    if (!node) return missing(c, key, err);
    if (line) *line = line_of(*node);
    const toml::array *a = node->as_array();
    if (!a) {
        std::string w = std::string("an array of ") + want;
        return wrong_type(c, key, *node, w.c_str(), err);
    }
    T *v = static_cast<T *>(std::malloc((a->size() ? a->size() : 1) * sizeof(T)));
    if (!v) return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", c->name.c_str());
    for (size_t i = 0; i < a->size(); i++) {
        if (!convert((*a)[i], &v[i])) {
            std::free(v);
            return ar_err_set(err, AR_E_CONFIG, "%s:%d: key '%s' must be an array of %s, element %zu is %s",
                              c->name.c_str(), line_of((*a)[i]), key, want, i, ar_cv_type_name(type_of((*a)[i])));
        }
    }
    *out = v;
    *n = static_cast<int>(a->size());
    return AR_OK;
}

} // namespace

extern "C" {

const char *ar_cv_type_name(ar_cv_type_t t)
{
    static const char *const names[] = {"nothing", "string", "integer", "float", "boolean", "array", "table", "date/time"};
    static_assert(sizeof names / sizeof names[0] == AR_CV_TYPE_COUNT, "type names out of step");
    return (t >= 0 && t < AR_CV_TYPE_COUNT) ? names[t] : "unknown";
}

ar_config_t *ar_config_parse_file(const char *path, ar_err_t *err)
{
    FILE *f = std::fopen(path, "rb");
    if (!f) {
        ar_err_set(err, AR_E_IO, "%s: cannot open: %s", path, std::strerror(errno));
        return nullptr;
    }
    std::string text;
    try {
        char buf[65536];
        size_t got;
        while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
    } catch (const std::bad_alloc &) {
        std::fclose(f);
        ar_err_set(err, AR_E_NOMEM, "%s: out of memory", path);
        return nullptr;
    }
    bool bad = std::ferror(f);
    std::fclose(f);
    if (bad) {
        ar_err_set(err, AR_E_IO, "%s: read error", path);
        return nullptr;
    }
    return parse(text, path, err);
}

ar_config_t *ar_config_parse_string(const char *text, const char *name, ar_err_t *err)
{
    return parse(std::string_view(text), name ? name : "<string>", err);
}

void ar_config_destroy(ar_config_t **c)
{
    if (!c || !*c) return;
    delete *c;
    *c = nullptr;
}

const char *ar_config_name(const ar_config_t *c) { return c->name.c_str(); }

ar_cv_type_t ar_config_type(const ar_config_t *c, const char *key, int *line)
{
    const toml::node *n = nullptr;
    try {
        n = find(c, key);
    } catch (...) {
        n = nullptr;
    }
    if (line) *line = n ? line_of(*n) : 0;
    return n ? type_of(*n) : AR_CV_NONE;
}

int ar_config_get_string(const ar_config_t *c, const char *key, const char **out, int *line, ar_err_t *err)
{
    const toml::node *n = find(c, key);
    if (!n) return missing(c, key, err);
    if (line) *line = line_of(*n);
    const toml::value<std::string> *s = n->as_string();
    if (!s) return wrong_type(c, key, *n, "a string", err);
    *out = s->get().c_str();
    return AR_OK;
}

int ar_config_get_int(const ar_config_t *c, const char *key, int64_t *out, int *line, ar_err_t *err)
{
    const toml::node *n = find(c, key);
    if (!n) return missing(c, key, err);
    if (line) *line = line_of(*n);
    const toml::value<int64_t> *v = n->as_integer();
    if (!v) return wrong_type(c, key, *n, "an integer", err);
    *out = v->get();
    return AR_OK;
}

int ar_config_get_float(const ar_config_t *c, const char *key, double *out, int *line, ar_err_t *err)
{
    const toml::node *n = find(c, key);
    if (!n) return missing(c, key, err);
    if (line) *line = line_of(*n);
    if (const toml::value<double> *v = n->as_floating_point()) *out = v->get();
    else if (const toml::value<int64_t> *i = n->as_integer()) *out = static_cast<double>(i->get());
    else return wrong_type(c, key, *n, "a float", err);
    return AR_OK;
}

int ar_config_get_bool(const ar_config_t *c, const char *key, int *out, int *line, ar_err_t *err)
{
    const toml::node *n = find(c, key);
    if (!n) return missing(c, key, err);
    if (line) *line = line_of(*n);
    const toml::value<bool> *v = n->as_boolean();
    if (!v) return wrong_type(c, key, *n, "a boolean", err);
    *out = v->get() ? 1 : 0;
    return AR_OK;
}

int ar_config_array_len(const ar_config_t *c, const char *key)
{
    const toml::node *n = find(c, key);
    const toml::array *a = n ? n->as_array() : nullptr;
    return a ? static_cast<int>(a->size()) : -1;
}

int ar_config_get_strings(const ar_config_t *c, const char *key, const char ***out, int *n, int *line,
                          ar_err_t *err)
{
    return get_array(c, key, out, n, line, "strings",
                     [](const toml::node &e, const char **v) {
                         const toml::value<std::string> *s = e.as_string();
                         if (s) *v = s->get().c_str();
                         return s != nullptr;
                     },
                     err);
}

int ar_config_get_ints(const ar_config_t *c, const char *key, int64_t **out, int *n, int *line, ar_err_t *err)
{
    return get_array(c, key, out, n, line, "integers",
                     [](const toml::node &e, int64_t *v) {
                         const toml::value<int64_t> *i = e.as_integer();
                         if (i) *v = i->get();
                         return i != nullptr;
                     },
                     err);
}

int ar_config_get_floats(const ar_config_t *c, const char *key, double **out, int *n, int *line, ar_err_t *err)
{
    return get_array(c, key, out, n, line, "floats",
                     [](const toml::node &e, double *v) {
                         if (const toml::value<double> *d = e.as_floating_point()) *v = d->get();
                         else if (const toml::value<int64_t> *i = e.as_integer()) *v = static_cast<double>(i->get());
                         else return false;
                         return true;
                     },
                     err);
}

int ar_config_keys(const ar_config_t *c, char ***keys, int **lines, int *n, ar_err_t *err)
{
    *keys = nullptr;
    *lines = nullptr;
    *n = 0;
    try {
        std::vector<leaf> out;
        collect(c->root, "", out);
        std::stable_sort(out.begin(), out.end(), [](const leaf &a, const leaf &b) { return a.line < b.line; });
        char **k = static_cast<char **>(std::calloc(out.size() + 1, sizeof(char *)));
        int *l = static_cast<int *>(std::calloc(out.size() + 1, sizeof(int)));
        if (!k || !l) {
            std::free(k);
            std::free(l);
            return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", c->name.c_str());
        }
        for (size_t i = 0; i < out.size(); i++) {
            k[i] = strdup(out[i].key.c_str());
            l[i] = out[i].line;
            if (!k[i]) {
                ar_config_free_keys(k, l, static_cast<int>(i));
                return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", c->name.c_str());
            }
        }
        *keys = k;
        *lines = l;
        *n = static_cast<int>(out.size());
        return AR_OK;
    } catch (const std::bad_alloc &) {
        return ar_err_set(err, AR_E_NOMEM, "%s: out of memory", c->name.c_str());
    }
}

void ar_config_free_keys(char **keys, int *lines, int n)
{
    if (keys)
        for (int i = 0; i < n; i++) std::free(keys[i]);
    std::free(keys);
    std::free(lines);
}

} // extern "C"
