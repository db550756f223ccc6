/* test_transport.c - the CURVE data plane: job workers get through with their
 * authenticated rank; strangers (a fresh keypair that knows the server key,
 * a client without CURVE, a client expecting the wrong server key) are
 * refused and cannot inject a message; oversized messages are dropped.
 * Runs over ipc:// and tcp://127.0.0.1. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "comm/netaddr.h"
#include "comm/transport.h"

/* Receives on the server for up to ms; returns 1 if anything arrived. */
static int server_gets(ar_server_t *s, int ms, ar_peer_t *from, char *text, size_t cap)
{
    uint8_t *d = NULL;
    size_t n = 0;
    int got = 0;
    ar_err_t err = {0};
    CHECK_OK(ar_server_recv(s, ms, &d, &n, from, &got, &err), &err);
    if (got && text) snprintf(text, cap, "%.*s", (int)n, (const char *)d);
    free(d);
    return got;
}

static void run(const char *endpoint)
{
    ar_err_t err = {0};
    ar_curve_keypair_t skp, w1, w2, stranger;
    CHECK_OK(ar_curve_keypair_new(&skp, &err), &err);
    CHECK_OK(ar_curve_keypair_new(&w1, &err), &err);
    CHECK_OK(ar_curve_keypair_new(&w2, &err), &err);
    CHECK_OK(ar_curve_keypair_new(&stranger, &err), &err);
    const char *pubs[2] = {w1.pub, w2.pub};
    int ranks[2] = {1, 2};
    ar_net_opts_t o = ar_net_opts_default();
    o.max_bytes = 4096;
    o.linger_ms = 0;
    ar_server_t *s = ar_server_new(endpoint, &skp, pubs, ranks, 2, &o, &err);
    CHECK(s != NULL, "server: %s", ar_err_msg(&err));
    if (!s) return;
    const char *ep = ar_server_endpoint(s);
    printf("bound %s\n", ep);

    /* strangers first, so nothing legitimate is in flight. A stranger's
     * send is queued while its handshake runs; when the refusal came first
     * (a loaded machine) there is no connection left to queue on and the
     * send times out - either way nothing may arrive (checked below). */
    ar_net_opts_t so = o;
    so.send_timeout_ms = 500;
    ar_client_t *bad1 = ar_client_new(ep, skp.pub, &stranger, "r1", &so, &err);
    ar_client_t *bad2 = ar_client_new_plain(ep, "r2", &so, &err);
    ar_curve_keypair_t wrong_server;
    CHECK_OK(ar_curve_keypair_new(&wrong_server, &err), &err);
    ar_client_t *bad3 = ar_client_new(ep, wrong_server.pub, &w1, "x1", &so, &err);
    CHECK(bad1 && bad2 && bad3, "stranger sockets: %s", ar_err_msg(&err));
    const char *inject = "RESULT forged";
    ar_client_t *bad[3] = {bad1, bad2, bad3};
    for (int i = 0; i < 3; i++) {
        int st = ar_client_send(bad[i], inject, strlen(inject), &err);
        CHECK(st == AR_OK || (st == AR_E_NET && strstr(err.msg, "not draining")),
              "stranger %d send: %s", i + 1, ar_err_msg(&err));
    }
    ar_peer_t from;
    char text[64] = "";
    CHECK(!server_gets(s, 800, &from, text, sizeof text), "stranger injected '%s' as r%d", text,
          from.rank);

    /* the job's workers get through, tagged with their own ranks */
    ar_client_t *c1 = ar_client_new(ep, skp.pub, &w1, "w1", &o, &err);
    ar_client_t *c2 = ar_client_new(ep, skp.pub, &w2, "w2", &o, &err);
    CHECK(c1 && c2, "clients: %s", ar_err_msg(&err));
    CHECK_OK(ar_client_send(c1, "hello from 1", 12, &err), &err);
    CHECK(server_gets(s, 5000, &from, text, sizeof text), "worker 1 message lost");
    CHECK(from.rank == 1 && !strcmp(text, "hello from 1"), "r%d '%s'", from.rank, text);
    CHECK_OK(ar_server_send(s, &from, "task", 4, &err), &err);
    uint8_t *d = NULL;
    size_t n = 0;
    int got = 0;
    CHECK_OK(ar_client_recv(c1, 5000, &d, &n, &got, &err), &err);
    CHECK(got && n == 4 && !memcmp(d, "task", 4), "reply lost");
    free(d);
    CHECK_OK(ar_client_send(c2, "hello from 2", 12, &err), &err);
    CHECK(server_gets(s, 5000, &from, text, sizeof text) && from.rank == 2, "worker 2: r%d",
          from.rank);

    /* an oversized message is dropped by the transport (peer disconnected) */
    static char big[8192];
    CHECK_OK(ar_client_send(c2, big, sizeof big, &err), &err);
    CHECK(!server_gets(s, 500, &from, NULL, 0), "oversized message delivered");

    /* the strangers never received anything either */
    CHECK_OK(ar_client_recv(bad1, 100, &d, &n, &got, &err), &err);
    CHECK(!got, "stranger got a reply");
    ar_peer_t ghost = {.id = "r1", .id_len = 2, .rank = 1};
    CHECK(ar_server_send(s, &ghost, "x", 1, &err) == AR_E_NET, "send to a stranger's id accepted");

    ar_client_destroy(&bad1);
    ar_client_destroy(&bad2);
    ar_client_destroy(&bad3);
    ar_client_destroy(&c1);
    ar_client_destroy(&c2);
    ar_server_destroy(&s);
    ar_server_destroy(&s); /* safe twice */
}

int main(void)
{
    ar_err_t err = {0};
    char dir[512], ep[600];
    CHECK_OK(ar_net_private_dir(dir, sizeof dir, &err), &err);
    snprintf(ep, sizeof ep, "ipc://%s/coord", dir);
    run(ep);
    ar_net_private_dir_remove(dir, "coord");
    CHECK(access(dir, F_OK) != 0, "private dir left behind");
    run("tcp://127.0.0.1:*");
    char addr[64];
    CHECK_OK(ar_net_host_address("127.0.0.1", addr, sizeof addr, &err), &err);
    CHECK(!strcmp(addr, "127.0.0.1"), "%s", addr);
    CHECK_OK(ar_net_host_address("lo", addr, sizeof addr, &err), &err);
    CHECK(!strcmp(addr, "127.0.0.1"), "lo -> %s", addr);
    /* automatic choice (multi-host runs): a non-loopback IPv4 address, or an
     * error that tells the user which key to set */
    int s = ar_net_host_address(NULL, addr, sizeof addr, &err);
    CHECK((s == AR_OK && strncmp(addr, "127.", 4) != 0) ||
              (s == AR_E_NET && strstr(err.msg, "AR_ZMQ_ADDRESS")),
          "automatic address: %d %s %s", s, addr, err.msg);
    printf("automatic bind address: %s\n", s == AR_OK ? addr : err.msg);
    CHECK(ar_net_host_address("no-such-if0", addr, sizeof addr, &err) == AR_E_NET &&
          strstr(err.msg, "no-such-if0"), "bad interface: %s", err.msg);
    TEST_MAIN_END();
}
