/* fuzz_proto.c: libFuzzer target for the xenclaim-mock decoders. */
/* SPDX-License-Identifier: MIT */
/*
 * Input byte 0 selects the mode:
 *   even  the rest is a request message: decode it; when accepted, the
 *         encoding of what was decoded must be exactly the input (the
 *         decoder is strict, so accepted messages are canonical), and
 *         decoding that again must give the same request
 *   odd   bytes 1-2 describe a request (op, count, want_mfns) and the rest
 *         is a reply to it: decode it; when accepted, re-encoding must
 *         give exactly the input
 * Any difference aborts: libFuzzer reports it as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock/proto/xcm_proto.h"

static struct xcm_request rq, rq2;
static struct xcm_reply rp;
static uint8_t out[XCM_MSG_MAX];

static void die(const char *what)
{
    fprintf(stderr, "fuzz_proto: check failed: %s\n", what);
    abort();
}

static void fuzz_request(const uint8_t *data, size_t size)
{
    ssize_t n;

    if (xcm_decode_request(data, size, &rq))
        return;
    n = xcm_encode_request(&rq, out, sizeof(out));
    if (n < 0)
        die("an accepted request does not encode");
    if ((size_t)n != size || memcmp(out, data, size))
        die("an accepted request is not canonical");
    if (xcm_decode_request(out, (size_t)n, &rq2))
        die("a re-encoded request is refused");
    if (rq2.op != rq.op || rq2.seq != rq.seq || rq2.count != rq.count ||
        rq2.value != rq.value || rq2.domid != rq.domid ||
        rq2.flag != rq.flag || strcmp(rq2.name, rq.name))
        die("a request changed on a round trip");
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
    ssize_t n;

    if (size < 2)
        return;
    memset(&rq, 0, sizeof(rq));
    rq.op = (uint16_t)(1 + data[0] % XCM_OP_MAX);
    rq.count = data[1] % 8;
    rq.flag = data[1] & 0x80;
    if (rq.op == XCM_OP_DOMAIN_GETINFO && rq.count == 0)
        rq.count = 1;
    data += 2;
    size -= 2;
    if (size >= 8)
        memcpy(&rq.seq, data + 4, sizeof(rq.seq));
    if (xcm_decode_reply(data, size, &rq, &rp))
        return;
    n = xcm_encode_reply(&rp, out, sizeof(out));
    if (n < 0)
        die("an accepted reply does not encode");
    if ((size_t)n != size || memcmp(out, data, size))
        die("an accepted reply is not canonical");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_reply(data + 1, size - 1);
    else
        fuzz_request(data + 1, size - 1);
    return 0;
}
