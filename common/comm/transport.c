/* transport.c - CURVE-secured ROUTER/DEALER sockets and the ZAP handler (the
 * only file that includes zmq.h). Contract: transport.h. */
#include "transport.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "archrepair"

int ar_curve_keypair_new(ar_curve_keypair_t *kp, ar_err_t *err)
{
    if (!zmq_has("curve"))
        return ar_err_set(err, AR_E_UNSUPPORTED, "libzmq was built without CURVE security");
    if (zmq_curve_keypair(kp->pub, kp->sec) != 0)
        return ar_err_set(err, AR_E_NET, "zmq_curve_keypair: %s", zmq_strerror(errno));
    return AR_OK;
}

int ar_curve_key_valid(const char *key)
{
    uint8_t bin[32];
    return key && strlen(key) == 40 && zmq_z85_decode(bin, key) != NULL;
}

ar_net_opts_t ar_net_opts_default(void)
{
    ar_net_opts_t o = {.hwm = 1000, .max_bytes = (size_t)256 << 20, .linger_ms = 1000,
                       .send_timeout_ms = 10000};
    return o;
}

/* Applies the shared options; returns 0 or -1 (errno set). */
static int set_common(void *sock, const ar_net_opts_t *o)
{
    int64_t maxb = (int64_t)o->max_bytes;
    return zmq_setsockopt(sock, ZMQ_SNDHWM, &o->hwm, sizeof o->hwm) ||
           zmq_setsockopt(sock, ZMQ_RCVHWM, &o->hwm, sizeof o->hwm) ||
           zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxb, sizeof maxb) ||
           zmq_setsockopt(sock, ZMQ_LINGER, &o->linger_ms, sizeof o->linger_ms) ||
           zmq_setsockopt(sock, ZMQ_SNDTIMEO, &o->send_timeout_ms, sizeof o->send_timeout_ms);
}

/* Receives one whole message (all parts) into parts[0..*n); returns 0, 1 on
 * timeout, -1 on error (errno). Extra parts beyond cap are counted, dropped. */
static int recv_parts(void *sock, int timeout_ms, zmq_msg_t *parts, int cap, int *n)
{
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    int r = zmq_poll(&it, 1, timeout_ms);
    if (r < 0) return errno == EINTR ? 1 : -1;
    if (r == 0) return 1;
    *n = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            int e = errno;
            zmq_msg_close(&m);
            for (int i = 0; i < *n && i < cap; i++) zmq_msg_close(&parts[i]);
            errno = e;
            return -1;
        }
        int more = zmq_msg_more(&m);
        if (*n < cap) parts[*n] = m;
        else zmq_msg_close(&m);
        (*n)++;
        if (!more) return 0;
    }
}

static int copy_out(zmq_msg_t *m, uint8_t **data, size_t *len, ar_err_t *err)
{
    *len = zmq_msg_size(m);
    *data = malloc(*len ? *len : 1);
    if (!*data) return ar_err_set(err, AR_E_NOMEM, "out of memory receiving %zu bytes", *len);
    if (*len) memcpy(*data, zmq_msg_data(m), *len);
    return AR_OK;
}

/* ---- server and its ZAP handler ------------------------------------------ */

typedef struct zap_key {
    uint8_t key[32];
    int rank;
} zap_key_t;

struct ar_server {
    void *ctx, *router, *zap;
    pthread_t zap_thread;
    int zap_running;
    zap_key_t *keys;         /* admitted client keys; immutable while the handler runs */
    int nkeys;
    char endpoint[512];
};

static void zap_reply(void *sock, zmq_msg_t *req_id, const char *code, const char *text,
                      const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, zmq_msg_data(req_id), zmq_msg_size(req_id), ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* ZAP requests: version, request id, domain, address, routing id, mechanism,
 * credentials... (RFC 27). Only CURVE with an admitted key in our domain gets
 * 200; everything else 400. Runs until the context is shut down. */
static void *zap_main(void *arg)
{
    ar_server_t *s = arg;
    for (;;) {
        zmq_msg_t p[8];
        int n = 0;
        if (recv_parts(s->zap, -1, p, 8, &n) < 0) {
            if (errno == ETERM) break;
            continue;
        }
        if (n < 2) {
            for (int i = 0; i < n && i < 8; i++) zmq_msg_close(&p[i]);
            continue;
        }
        const char *code = "400", *text = "key not admitted";
        char user[16] = "";
        int got = n < 8 ? n : 8;
        int is_curve = got >= 7 && zmq_msg_size(&p[5]) == 5 && !memcmp(zmq_msg_data(&p[5]), "CURVE", 5);
        int in_domain = got >= 3 && zmq_msg_size(&p[2]) == strlen(ZAP_DOMAIN) &&
                        !memcmp(zmq_msg_data(&p[2]), ZAP_DOMAIN, strlen(ZAP_DOMAIN));
        if (n == 7 && is_curve && in_domain && zmq_msg_size(&p[6]) == 32) {
            for (int k = 0; k < s->nkeys; k++)
                if (!memcmp(zmq_msg_data(&p[6]), s->keys[k].key, 32)) {
                    code = "200";
                    text = "OK";
                    snprintf(user, sizeof user, "%d", s->keys[k].rank);
                    break;
                }
        } else {
            text = "CURVE required";
        }
        zap_reply(s->zap, &p[1], code, text, user);
        for (int i = 0; i < got; i++) zmq_msg_close(&p[i]);
    }
    zmq_close(s->zap);
    s->zap = NULL;
    return NULL;
}

ar_server_t *ar_server_new(const char *endpoint, const ar_curve_keypair_t *server_kp,
                           const char *const *client_pub, const int *client_rank, int n,
                           const ar_net_opts_t *opts, ar_err_t *err)
{
    ar_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        ar_err_set(err, AR_E_NOMEM, "out of memory creating a server socket");
        return NULL;
    }
    s->keys = calloc(n > 0 ? (size_t)n : 1, sizeof *s->keys);
    if (!s->keys) {
        ar_err_set(err, AR_E_NOMEM, "out of memory for worker keys");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        if (!ar_curve_key_valid(client_pub[i])) {
            ar_err_set(err, AR_E_ARG, "worker key for rank %d is not a Z85 CURVE key", client_rank[i]);
            goto fail;
        }
        zmq_z85_decode(s->keys[i].key, client_pub[i]);
        s->keys[i].rank = client_rank[i];
    }
    s->nkeys = n;
    s->ctx = zmq_ctx_new();
    if (!s->ctx) {
        ar_err_set(err, AR_E_NET, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    /* The ZAP handler must exist before the ROUTER accepts anyone: without
     * one, libzmq lets every CURVE client in. */
    s->zap = zmq_socket(s->ctx, ZMQ_REP);
    if (!s->zap || zmq_bind(s->zap, ZAP_ENDPOINT) != 0) {
        ar_err_set(err, AR_E_NET, "cannot start the ZAP handler: %s", zmq_strerror(errno));
        goto fail;
    }
    if (pthread_create(&s->zap_thread, NULL, zap_main, s) != 0) {
        ar_err_set(err, AR_E_NET, "cannot start the ZAP thread");
        goto fail;
    }
    s->zap_running = 1;
    int one = 1;
    s->router = zmq_socket(s->ctx, ZMQ_ROUTER);
    if (!s->router || set_common(s->router, opts) ||
        zmq_setsockopt(s->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, server_kp->sec, 40) ||
        zmq_setsockopt(s->router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN))) {
        ar_err_set(err, AR_E_NET, "cannot configure the server socket: %s",
                   zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(s->router, endpoint) != 0) {
        ar_err_set(err, AR_E_NET, "cannot bind the server socket to %s: %s", endpoint,
                   zmq_strerror(errno));
        goto fail;
    }
    size_t cap = sizeof s->endpoint;
    if (zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, s->endpoint, &cap) != 0) {
        ar_err_set(err, AR_E_NET, "cannot read the bound endpoint: %s", zmq_strerror(errno));
        goto fail;
    }
    return s;
fail:
    ar_server_destroy(&s);
    return NULL;
}

const char *ar_server_endpoint(const ar_server_t *s) { return s->endpoint; }

int ar_server_recv(ar_server_t *s, int timeout_ms, uint8_t **data, size_t *len, ar_peer_t *from,
                   int *got, ar_err_t *err)
{
    *got = 0;
    zmq_msg_t p[2];
    int n = 0;
    int r = recv_parts(s->router, timeout_ms, p, 2, &n);
    if (r < 0) return ar_err_set(err, AR_E_NET, "server receive: %s", zmq_strerror(errno));
    if (r == 1) return AR_OK;
    int st = AR_OK;
    if (n == 2) {
        const char *user = zmq_msg_gets(&p[1], "User-Id");
        char *end = NULL;
        long rank = user ? strtol(user, &end, 10) : -1;
        size_t idn = zmq_msg_size(&p[0]);
        if (user && end != user && *end == '\0' && idn > 0 && idn <= sizeof from->id) {
            from->rank = (int)rank;
            from->id_len = idn;
            memcpy(from->id, zmq_msg_data(&p[0]), idn);
            st = copy_out(&p[1], data, len, err);
            *got = st == AR_OK;
        }
    }
    for (int i = 0; i < n && i < 2; i++) zmq_msg_close(&p[i]);
    return st;
}

int ar_server_send(ar_server_t *s, const ar_peer_t *to, const void *data, size_t len,
                   ar_err_t *err)
{
    if (zmq_send(s->router, to->id, to->id_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(s->router, data, len, 0) < 0)
        return ar_err_set(err, AR_E_NET, "send to worker r%d: %s", to->rank,
                          errno == EHOSTUNREACH ? "not connected" : zmq_strerror(errno));
    return AR_OK;
}

void ar_server_destroy(ar_server_t **sp)
{
    if (!sp || !*sp) return;
    ar_server_t *s = *sp;
    if (s->router) zmq_close(s->router);
    if (s->ctx) zmq_ctx_shutdown(s->ctx); /* wakes the ZAP thread with ETERM */
    if (s->zap_running) pthread_join(s->zap_thread, NULL);
    else if (s->zap) zmq_close(s->zap);
    if (s->ctx) zmq_ctx_term(s->ctx);
    free(s->keys);
    free(s);
    *sp = NULL;
}

/* ---- clients --------------------------------------------------------------- */

struct ar_client {
    void *ctx, *dealer;
    char id[256];
    char peer[64];           /* who it talks to, for messages */
};

static ar_client_t *client_new(const char *endpoint, const char *server_pub,
                               const ar_curve_keypair_t *kp, const char *id,
                               const ar_net_opts_t *opts, ar_err_t *err)
{
    ar_client_t *c = calloc(1, sizeof *c);
    if (!c) {
        ar_err_set(err, AR_E_NOMEM, "out of memory creating a worker socket");
        return NULL;
    }
    size_t idn = strlen(id);
    if (idn == 0 || idn >= sizeof c->id) {
        ar_err_set(err, AR_E_ARG, "routing id must be 1..255 bytes");
        goto fail;
    }
    memcpy(c->id, id, idn + 1);
    c->ctx = zmq_ctx_new();
    c->dealer = c->ctx ? zmq_socket(c->ctx, ZMQ_DEALER) : NULL;
    if (!c->dealer || set_common(c->dealer, opts) ||
        zmq_setsockopt(c->dealer, ZMQ_ROUTING_ID, id, idn) ||
        (server_pub && (zmq_setsockopt(c->dealer, ZMQ_CURVE_SERVERKEY, server_pub, 40) ||
                        zmq_setsockopt(c->dealer, ZMQ_CURVE_PUBLICKEY, kp->pub, 40) ||
                        zmq_setsockopt(c->dealer, ZMQ_CURVE_SECRETKEY, kp->sec, 40)))) {
        ar_err_set(err, AR_E_NET, "cannot configure worker socket %s: %s", id, zmq_strerror(errno));
        goto fail;
    }
    if (zmq_connect(c->dealer, endpoint) != 0) {
        ar_err_set(err, AR_E_NET, "worker socket %s cannot connect to %s: %s", id, endpoint,
                   zmq_strerror(errno));
        goto fail;
    }
    return c;
fail:
    ar_client_destroy(&c);
    return NULL;
}

ar_client_t *ar_client_new(const char *endpoint, const char *server_pub,
                           const ar_curve_keypair_t *client_kp, const char *id,
                           const ar_net_opts_t *opts, ar_err_t *err)
{
    if (!ar_curve_key_valid(server_pub) || !ar_curve_key_valid(client_kp->pub) ||
        strlen(client_kp->sec) != 40) {
        ar_err_set(err, AR_E_ARG, "worker socket %s: invalid CURVE keys", id);
        return NULL;
    }
    return client_new(endpoint, server_pub, client_kp, id, opts, err);
}

ar_client_t *ar_client_new_plain(const char *endpoint, const char *id, const ar_net_opts_t *opts,
                                 ar_err_t *err)
{
    return client_new(endpoint, NULL, NULL, id, opts, err);
}

int ar_client_send(ar_client_t *c, const void *data, size_t len, ar_err_t *err)
{
    if (zmq_send(c->dealer, data, len, 0) < 0)
        return ar_err_set(err, AR_E_NET, "%s: send to %s: %s", c->id,
                          c->peer[0] ? c->peer : "the coordinator",
                          errno == EAGAIN ? "timed out (not draining)" : zmq_strerror(errno));
    return AR_OK;
}

int ar_client_recv(ar_client_t *c, int timeout_ms, uint8_t **data, size_t *len, int *got,
                   ar_err_t *err)
{
    *got = 0;
    zmq_msg_t p[1];
    int n = 0;
    int r = recv_parts(c->dealer, timeout_ms, p, 1, &n);
    if (r < 0) return ar_err_set(err, AR_E_NET, "%s: receive: %s", c->id, zmq_strerror(errno));
    if (r == 1) return AR_OK;
    int st = AR_OK;
    if (n == 1) {
        st = copy_out(&p[0], data, len, err);
        *got = st == AR_OK;
    }
    if (n >= 1) zmq_msg_close(&p[0]);
    return st;
}

void ar_client_destroy(ar_client_t **cp)
{
    if (!cp || !*cp) return;
    ar_client_t *c = *cp;
    if (c->dealer) zmq_close(c->dealer);
    if (c->ctx) zmq_ctx_term(c->ctx);
    free(c);
    *cp = NULL;
}

void ar_client_set_peer_name(ar_client_t *c, const char *name)
{
    snprintf(c->peer, sizeof c->peer, "%s", name);
}

int ar_net_wait(ar_server_t *s, ar_client_t *const *c, int nc, int timeout_ms, unsigned *ready,
                ar_err_t *err)
{
    zmq_pollitem_t it[8];
    int who[8], n = 0;
    *ready = 0;
    if (s) it[n] = (zmq_pollitem_t){.socket = s->router, .events = ZMQ_POLLIN}, who[n++] = 0;
    for (int i = 0; i < nc && n < 8; i++)
        if (c[i]) it[n] = (zmq_pollitem_t){.socket = c[i]->dealer, .events = ZMQ_POLLIN}, who[n++] = 1 + i;
    int r = zmq_poll(it, n, timeout_ms);
    if (r < 0 && errno != EINTR) return ar_err_set(err, AR_E_NET, "poll: %s", zmq_strerror(errno));
    for (int i = 0; r > 0 && i < n; i++)
        if (it[i].revents & ZMQ_POLLIN) *ready |= 1u << who[i];
    return AR_OK;
}
