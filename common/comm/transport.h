/* transport.h - the ZeroMQ data plane: one authenticated, encrypted ROUTER on
 * the coordinator, DEALERs on the workers (the only module that includes
 * zmq.h).
 *
 * Security: every socket uses CURVE. The coordinator's ROUTER is a CURVE
 * server with a per-job keypair; each worker has its own per-job keypair. The
 * server runs a ZAP handler (inproc://zeromq.zap.01, in its own thread) that
 * accepts a client only if its public key is one of the job's worker keys and
 * tags the connection with that worker's rank (ZAP user id). Every received
 * message carries that authenticated rank, so a peer cannot claim another's
 * identity, and a peer without a job key never completes the handshake: it
 * can neither read nor inject. Keys are exchanged over MPI (trusted).
 *
 * Flow: sockets get explicit high-water marks and a maximum message size
 * (ZMQ_MAXMSGSIZE: a peer sending more is disconnected before anything is
 * buffered); ROUTER_MANDATORY makes a send to a vanished peer an error rather
 * than a silent drop. Application-level credit and heartbeats live above.
 *
 * All functions return AR_OK or an ar_status_t with a message on err; a
 * constructor returns NULL with err set. Owners destroy what they create.
 */
#ifndef AR_COMM_TRANSPORT_H
#define AR_COMM_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* A Z85-encoded CURVE keypair (40 characters + NUL each). */
typedef struct ar_curve_keypair {
    char pub[41];
    char sec[41];
} ar_curve_keypair_t;

/* Generates a fresh keypair; AR_E_UNSUPPORTED when libzmq lacks CURVE. */
int ar_curve_keypair_new(ar_curve_keypair_t *kp, ar_err_t *err);
/* 1 when key is 40 valid Z85 characters. */
int ar_curve_key_valid(const char *key);

/* Socket settings shared by server and clients. */
typedef struct ar_net_opts {
    int hwm;             /* send and receive high-water mark, in messages (>= 1) */
    size_t max_bytes;    /* largest message accepted (ZMQ_MAXMSGSIZE) */
    int linger_ms;       /* how long close waits to flush queued messages */
    int send_timeout_ms; /* a send blocked this long (peer not draining) fails */
} ar_net_opts_t;

/* hwm 1000, max_bytes 256 MiB, linger 1000 ms, send timeout 10 s. */
ar_net_opts_t ar_net_opts_default(void);

/* Who sent a message, as established by the transport. */
typedef struct ar_peer {
    uint8_t id[256];     /* routing id of the connection (to reply on) */
    size_t id_len;
    int rank;            /* authenticated rank (ZAP user id) */
} ar_peer_t;

typedef struct ar_server ar_server_t;

/* Binds a CURVE ROUTER to endpoint ("tcp://10.1.2.3:*" picks an ephemeral
 * port; "ipc:///dir/sock") and starts the ZAP handler that admits exactly the
 * n client keys client_pub[i] (Z85), tagging each with rank client_rank[i]. */
ar_server_t *ar_server_new(const char *endpoint, const ar_curve_keypair_t *server_kp,
                           const char *const *client_pub, const int *client_rank, int n,
                           const ar_net_opts_t *opts, ar_err_t *err);
/* The endpoint actually bound (with the chosen port), for clients. */
const char *ar_server_endpoint(const ar_server_t *s);
/* Waits up to timeout_ms (0 = poll, -1 = forever) for one message. On AR_OK,
 * *got is 1 and *data (malloc'd, caller frees) / *len / *from are set, or
 * *got is 0 when nothing arrived. Multipart or id-less frames are dropped. */
int ar_server_recv(ar_server_t *s, int timeout_ms, uint8_t **data, size_t *len, ar_peer_t *from,
                   int *got, ar_err_t *err);
/* Sends one message to a connected peer; AR_E_NET naming the peer's rank when
 * it is gone or not draining. */
int ar_server_send(ar_server_t *s, const ar_peer_t *to, const void *data, size_t len,
                   ar_err_t *err);
/* Stops the ZAP handler, closes the socket and the context. Safe on NULL. */
void ar_server_destroy(ar_server_t **s);

typedef struct ar_client ar_client_t;

/* Connects a CURVE DEALER with routing id `id` (1..255 bytes) to endpoint,
 * expecting the server key server_pub. Connection happens in the background:
 * a rejected client simply never gets an answer. */
ar_client_t *ar_client_new(const char *endpoint, const char *server_pub,
                           const ar_curve_keypair_t *client_kp, const char *id,
                           const ar_net_opts_t *opts, ar_err_t *err);
int ar_client_send(ar_client_t *c, const void *data, size_t len, ar_err_t *err);
/* As ar_server_recv, without a peer. */
int ar_client_recv(ar_client_t *c, int timeout_ms, uint8_t **data, size_t *len, int *got,
                   ar_err_t *err);
void ar_client_destroy(ar_client_t **c);

/* Names the server a client talks to in its error messages ("the
 * coordinator" unless set; e.g. "worker r3" for a link of the reduction
 * tree). */
void ar_client_set_peer_name(ar_client_t *c, const char *name);

/* Waits up to timeout_ms (0 = poll, -1 = forever) until a message can be
 * received on the server s (may be NULL) or on one of the clients c[0..nc)
 * (entries may be NULL); *ready gets bit 0 for s, bit 1 + i for c[i].
 * All sockets must belong to the calling thread. */
int ar_net_wait(ar_server_t *s, ar_client_t *const *c, int nc, int timeout_ms, unsigned *ready,
                ar_err_t *err);

/* Connects a client that speaks no CURVE at all (for tests that prove such a
 * stranger is refused). Same contract as ar_client_new. */
ar_client_t *ar_client_new_plain(const char *endpoint, const char *id, const ar_net_opts_t *opts,
                                 ar_err_t *err);

#endif
