/* codec.h - MessagePack encoding and validating decoding of protocol messages.
 *
 * The only module that sees msgpack-c (one file per outside library). Decoding
 * never trusts the bytes: before msgpack-c parses anything, a scanner walks
 * the buffer and rejects unknown format bytes, containers that promise more
 * elements than bytes remain, nesting deeper than 8 and more than
 * AR_CODEC_MAX_OBJECTS objects (so a 5-byte message cannot make the parser
 * allocate gigabytes). Then every key is checked against its message type
 * (unknown, duplicate or missing keys, wrong value types, out-of-range
 * numbers, over-long strings, tensor shapes that disagree with their payload)
 * and the protocol version. Every failure is AR_E_PROTO with a one-line
 * message that names the sender:
 * "message from r3 (RESULT): field 'counts': shape needs 40 bytes of i32,
 * payload has 36".
 */
#ifndef AR_PROTO_CODEC_H
#define AR_PROTO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "msg.h"

/* Most MessagePack objects one message may contain. */
#define AR_CODEC_MAX_OBJECTS 100000
/* Deepest container nesting accepted. */
#define AR_CODEC_MAX_DEPTH 8

/* An encoded message; data is malloc'd and owned by the holder. */
typedef struct ar_bytes {
    uint8_t *data;
    size_t len;
} ar_bytes_t;

/* Frees data; leaves {NULL, 0}. Safe twice. */
void ar_bytes_free(ar_bytes_t *b);

/* Encodes m into out (overwritten; free with ar_bytes_free). Fails with
 * AR_E_ARG when m is not a valid message (unknown type, credit out of range)
 * or the encoding exceeds max_bytes (0 = AR_PROTO_DEFAULT_MAX_BYTES), with
 * AR_E_NOMEM when out of memory; out is {NULL, 0} then. */
int ar_msg_encode(const ar_msg_t *m, size_t max_bytes, ar_bytes_t *out, ar_err_t *err);

/* Decodes and validates len bytes from sender (a label for messages, e.g.
 * "r3"; NULL = "?") into *out, which is overwritten; release it with
 * ar_msg_clear. On failure (AR_E_PROTO, or AR_E_NOMEM) *out is an empty
 * message of type AR_MSG_NONE and nothing needs releasing. max_bytes 0 means
 * AR_PROTO_DEFAULT_MAX_BYTES. */
int ar_msg_decode(const void *buf, size_t len, size_t max_bytes, const char *sender,
                  ar_msg_t *out, ar_err_t *err);

#endif
