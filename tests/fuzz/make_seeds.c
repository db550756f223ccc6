/* make_seeds.c - writes one valid encoded message of every type into DIR,
 * as the starting corpus of fuzz_decode (tools/fuzz.sh). */
#include <stdio.h>
#include <string.h>

#include "proto/codec.h"

static int put(const char *dir, const char *name, const ar_msg_t *m)
{
    ar_bytes_t b;
    ar_err_t err = {0};
    if (ar_msg_encode(m, 0, &b, &err)) {
        fprintf(stderr, "make_seeds: %s\n", ar_err_msg(&err));
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int bad = !f || fwrite(b.data, 1, b.len, f) != b.len;
    if (f) bad |= fclose(f) != 0;
    ar_bytes_free(&b);
    if (bad) fprintf(stderr, "make_seeds: cannot write %s\n", path);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    ar_err_t err = {0};
    int bad = 0;
    for (int t = 1; t < AR_MSG_TYPE_COUNT; t++) {
        ar_msg_t m = ar_msg_make((ar_msg_type_t)t, 2);
        strcpy(m.u.hello.host, "node1");
        if (t == AR_MSG_READY) m.u.ready.credit = 2;
        if (t == AR_MSG_HELLO) m.u.hello.threads = 1;
        if (t == AR_MSG_ERROR) {
            m.u.error.status = AR_E_IO;
            strcpy(m.u.error.text, "x.h5: truncated");
        }
        if (t == AR_MSG_TASK || t == AR_MSG_RESULT) {
            strcpy(m.u.task.kind, "evaluate");
            m.u.task.final = 1;
            int64_t shape[2] = {2, 2};
            float v[4] = {1, 2, 3, 4};
            ar_fields_put_int(&m.body, "start", 10, &err);
            ar_fields_put_float(&m.body, "acc", 0.5, &err);
            ar_fields_put_str(&m.body, "set", "fog/3", &err);
            ar_fields_put_tensor(&m.body, "w", AR_WDT_F32, 2, shape, v, &err);
        }
        bad |= put(argv[1], ar_msg_type_name(t), &m);
        ar_msg_clear(&m);
    }
    return bad;
}
