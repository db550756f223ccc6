/* stranger.c - a peer without the job's keys attacking a running
 * coordinator: for SECONDS it keeps connecting (1) without CURVE, (2) with
 * CURVE and the coordinator's real public key but its own keypair, (3) with
 * CURVE and a wrong server key, and sends well-formed forged messages
 * (HELLO claiming rank 1, READY, RESULT for task 0 with bogus numbers).
 *   stranger ENDPOINT SERVER_PUB SECONDS
 * Exit 0 when no stranger ever received a byte back (refused), 1 otherwise.
 * The test then checks the job's output is untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm/transport.h"
#include "core/fsutil.h"
#include "proto/codec.h"

static void forge(ar_client_t *c)
{
    ar_err_t err = {0};
    ar_msg_t m[3] = {ar_msg_make(AR_MSG_HELLO, 1), ar_msg_make(AR_MSG_READY, 1),
                     ar_msg_make(AR_MSG_RESULT, 1)};
    strcpy(m[0].u.hello.host, "evil");
    m[0].u.hello.threads = 1;
    m[1].u.ready.credit = 5;
    strcpy(m[2].u.task.kind, "stats");
    m[2].u.task.final = 1;
    ar_fields_put_int(&m[2].body, "n", 1, &err);
    ar_fields_put_int(&m[2].body, "pixel_sum", 123456789, &err);
    for (int i = 0; i < 3; i++) {
        ar_bytes_t b;
        if (ar_msg_encode(&m[i], 0, &b, &err) == AR_OK) {
            ar_client_send(c, b.data, b.len, &err);
            ar_bytes_free(&b);
        }
        ar_msg_clear(&m[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: stranger ENDPOINT SERVER_PUB SECONDS\n");
        return 2;
    }
    ar_err_t err = {0};
    ar_net_opts_t o = ar_net_opts_default();
    o.linger_ms = 0;
    o.send_timeout_ms = 100;
    double until = ar_now() + atof(argv[3]);
    int replies = 0, rounds = 0;
    while (ar_now() < until) {
        ar_curve_keypair_t mine, wrong;
        if (ar_curve_keypair_new(&mine, &err) || ar_curve_keypair_new(&wrong, &err)) break;
        ar_client_t *c[3] = {ar_client_new_plain(argv[1], "w1", &o, &err),
                             ar_client_new(argv[1], argv[2], &mine, "w1", &o, &err),
                             ar_client_new(argv[1], wrong.pub, &mine, "h1", &o, &err)};
        for (int i = 0; i < 3; i++)
            if (c[i]) forge(c[i]);
        for (int i = 0; i < 3; i++) {
            uint8_t *d = NULL;
            size_t n = 0;
            int got = 0;
            if (c[i] && ar_client_recv(c[i], 100, &d, &n, &got, &err) == AR_OK && got) replies++;
            free(d);
            ar_client_destroy(&c[i]);
        }
        rounds++;
    }
    printf("stranger: %d rounds, %d replies\n", rounds, replies);
    return replies ? 1 : 0;
}
