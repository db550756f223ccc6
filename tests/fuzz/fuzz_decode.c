/* fuzz_decode.c - libFuzzer target for the protocol decoder.
 *
 * Any byte string must either decode into a valid message that re-encodes
 * and decodes again to the same type, or fail with AR_E_PROTO / AR_E_NOMEM
 * and a message naming the sender - never crash, leak or read out of bounds
 * (built with ASan + UBSan). Build and run: tools/fuzz.sh [seconds].
 */
#include <stdint.h>
#include <string.h>

#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ar_msg_t m;
    ar_err_t err = {0};
    int s = ar_msg_decode(data, size, (size_t)1 << 20, "fuzz-peer", &m, &err);
    if (s != AR_OK) {
        if ((s != AR_E_PROTO && s != AR_E_NOMEM) || !strstr(err.msg, "fuzz-peer"))
            __builtin_trap();
        return 0;
    }
    ar_bytes_t b;
    if (ar_msg_encode(&m, 0, &b, &err) != AR_OK) __builtin_trap();
    ar_msg_t again;
    if (ar_msg_decode(b.data, b.len, 0, "fuzz-peer", &again, &err) != AR_OK) __builtin_trap();
    if (again.type != m.type || again.rank != m.rank || again.body.n != m.body.n) __builtin_trap();
    ar_msg_clear(&again);
    ar_bytes_free(&b);
    ar_msg_clear(&m);
    return 0;
}
