/* test_proto.c: xenclaim-mock protocol codecs and client library. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/xcm_client.h"
#include "proto/xcm_proto.h"

/* Fail with "what: expected W, got S" when seen != want. */
#define CHECK_EQ(seen, want, ...)                                          \
    do {                                                                   \
        long long s_ = (long long)(seen), w_ = (long long)(want);          \
        if (s_ != w_) {                                                    \
            char m_[2048];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            fail_msg("%s: expected %lld, got %lld", m_, w_, s_);           \
        }                                                                  \
    } while (0)

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            char m_[2048];                                                  \
            snprintf(m_, sizeof(m_), __VA_ARGS__);                         \
            fail_msg("%s (%s is false)", m_, #cond);                       \
        }                                                                  \
    } while (0)

/* Large structures: static, one test at a time. */
static struct xcm_request rq, rq2;
static struct xcm_reply rp, rp2;
static uint8_t buf[XCM_MSG_MAX + 64];

/* ---- a hand-written message builder, independent of the codec -------- */

struct msg {
    uint8_t b[XCM_MSG_MAX + 64];
    size_t n;
};

static struct msg m;

static void m_bytes(struct msg *x, const void *p, size_t n)
{
    assert_true(x->n + n <= sizeof(x->b));
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

/* Little-endian by hand: the protocol is host order, and hosts here are LE. */
static void m_u32(struct msg *x, uint32_t v)
{
    uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

    m_bytes(x, b, 4);
}

static void m_u16(struct msg *x, uint16_t v)
{
    uint8_t b[2] = { v, v >> 8 };

    m_bytes(x, b, 2);
}

static void m_u64(struct msg *x, uint64_t v)
{
    m_u32(x, (uint32_t)v);
    m_u32(x, (uint32_t)(v >> 32));
}

static void m_name(struct msg *x, const char *s)
{
    char f[HYP_NAME_MAX] = { 0 };

    memcpy(f, s, strlen(s));
    m_bytes(x, f, sizeof(f));
}

/* Start a request header; m_end() fills payload_len. */
static void m_req(struct msg *x, uint32_t magic, uint16_t version,
                  uint16_t op, uint32_t seq, uint32_t act_as)
{
    x->n = 0;
    m_u32(x, magic);
    m_u16(x, version);
    m_u16(x, op);
    m_u32(x, seq);
    m_u32(x, act_as);
    m_u32(x, 0);
}

static void m_end(struct msg *x)
{
    uint32_t plen = (uint32_t)(x->n - 20);
    uint8_t b[4] = { plen, plen >> 8, plen >> 16, plen >> 24 };

    memcpy(x->b + 16, b, 4);
}

static void m_rep(struct msg *x, uint32_t seq, int32_t rc)
{
    x->n = 0;
    m_u32(x, 0x52434d58u);
    m_u32(x, seq);
    m_u32(x, (uint32_t)rc);
    m_u32(x, 0);
}

static void m_rep_end(struct msg *x)
{
    uint32_t plen = (uint32_t)(x->n - 16);
    uint8_t b[4] = { plen, plen >> 8, plen >> 16, plen >> 24 };

    memcpy(x->b + 12, b, 4);
}

static void zero_req(struct xcm_request *r, uint16_t op)
{
    memset(r, 0, sizeof(*r));
    r->op = op;
}

/* ---- golden bytes ----------------------------------------------------- */

static void test_golden_ping(void **state)
{
    static const uint8_t want[20] = {
        0x58, 0x4d, 0x43, 0x51,     /* magic "XMCQ" */
        0x01, 0x00,                 /* version 1 */
        0x02, 0x00,                 /* op 2: PING */
        0x2a, 0x00, 0x00, 0x00,     /* seq 42 */
        0x05, 0x00, 0x00, 0x00,     /* act as domain 5 */
        0x00, 0x00, 0x00, 0x00,     /* no payload */
    };
    ssize_t n;

    zero_req(&rq, XCM_OP_PING);
    rq.seq = 42;
    rq.act_as = 5;
    n = xcm_encode_request(&rq, buf, sizeof(buf));
    CHECK_EQ(n, 20, "PING length");
    CHECK(!memcmp(buf, want, 20), "PING bytes differ from the golden ones");
}

static void test_golden_claim(void **state)
{
    static const uint8_t want[36] = {
        0x58, 0x4d, 0x43, 0x51, 0x01, 0x00,
        0x0c, 0x00,                 /* op 12: CLAIM_PAGES */
        0x01, 0x00, 0x00, 0x00,     /* seq 1 */
        0x00, 0x00, 0x00, 0x00,     /* dom0 */
        0x10, 0x00, 0x00, 0x00,     /* payload 16 bytes */
        0x07, 0x00, 0x00, 0x00,     /* domid 7 */
        0x01, 0x00, 0x00, 0x00,     /* flags: free_only */
        0x00, 0x00, 0x10, 0x00,     /* nr_pages 0x100000 ... */
        0x01, 0x00, 0x00, 0x00,     /* ... + 1 << 32 */
    };
    ssize_t n;

    zero_req(&rq, XCM_OP_CLAIM_PAGES);
    rq.seq = 1;
    rq.domid = 7;
    rq.flags = 1;
    rq.value = 0x100100000ull;
    n = xcm_encode_request(&rq, buf, sizeof(buf));
    CHECK_EQ(n, 36, "CLAIM length");
    CHECK(!memcmp(buf, want, 36), "CLAIM bytes differ from the golden ones");
    CHECK_EQ(xcm_decode_request(want, sizeof(want), &rq2), 0, "decode");
    CHECK_EQ(rq2.value, 0x100100000ull, "nr_pages");
}

/* A reply built by hand decodes to the values put in. */
static void test_golden_reply(void **state)
{
    zero_req(&rq, XCM_OP_DOMAIN_CREATE);
    rq.seq = 9;
    m_rep(&m, 9, 0);
    m_u32(&m, 33);
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), 0, "decode create");
    CHECK_EQ(rp.rc, 0, "rc");
    CHECK_EQ(rp.domid, 33, "domid");

    zero_req(&rq, XCM_OP_TMEM_PUT);
    rq.seq = 10;
    m_rep(&m, 10, 0);
    m_u64(&m, 0x123456789ull);
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), 0, "decode tmem_put");
    CHECK_EQ(rp.count, 0x123456789ull, "count");

    m_rep(&m, 10, -ENOMEM);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), 0, "decode error");
    CHECK_EQ(rp.rc, -ENOMEM, "rc");
}

/* ---- round trips -------------------------------------------------------- */

/* Fill every field an op carries with distinct values. */
static void sample_req(struct xcm_request *r, uint16_t op, unsigned int k)
{
    unsigned int i;

    zero_req(r, op);
    r->seq = 1000 + k;
    r->act_as = k % 3;
    switch (op) {
    case XCM_OP_TRACE_ENABLE:
        r->flag = k & 1;
        break;
    case XCM_OP_DOMAIN_CREATE:
    case XCM_OP_DOMAIN_RENAME:
        r->domid = 40 + k;
        snprintf(r->name, sizeof(r->name), "guest-%u", k);
        break;
    case XCM_OP_DOMAIN_LOOKUP:
        /* The longest name that fits: 63 characters. */
        memset(r->name, 'a' + (int)(k % 26), HYP_NAME_MAX - 1);
        break;
    case XCM_OP_DOMAIN_DESTROY:
        r->domid = 0x7fef;
        break;
    case XCM_OP_DOMAIN_SETMAXMEM:
    case XCM_OP_DOMAIN_SET_TARGET:
        r->domid = 3;
        r->value = 0xfedcba9876543210ull - k;
        break;
    case XCM_OP_DOMAIN_PAUSE:
        r->domid = 8;
        r->flag = true;
        break;
    case XCM_OP_DOMAIN_GETINFO:
        r->domid = 2;
        r->count = XCM_MAX_DOMINFO;
        break;
    case XCM_OP_CLAIM_PAGES:
        r->domid = 5;
        r->flags = 0xffffffffu;
        r->value = ~0ull;
        break;
    case XCM_OP_POPULATE_PHYSMAP:
    case XCM_OP_DECREASE_RESERVATION:
        r->domid = 6;
        r->order = 9;
        r->flags = op == XCM_OP_POPULATE_PHYSMAP ? 0x12345 : 0;
        r->count = k == 0 ? XCM_MAX_EXTENTS : k;
        r->flag = op == XCM_OP_POPULATE_PHYSMAP && (k & 1);
        for (i = 0; i < r->count; i++)
            r->gfns[i] = ((uint64_t)i << 9) ^ ((uint64_t)k << 40);
        break;
    case XCM_OP_TMEM_PUT:
    case XCM_OP_TMEM_FLUSH:
    case XCM_OP_PAGE_OFFLINE:
    case XCM_OP_PAGE_ONLINE:
    case XCM_OP_OFFLINE_ANY:
        r->value = 0x8000000000000001ull + k;
        break;
    default:
        break;
    }
}

static void same_req(const struct xcm_request *a, const struct xcm_request *b,
                     const char *what)
{
    unsigned int i;

    CHECK_EQ(b->op, a->op, "%s: op", what);
    CHECK_EQ(b->seq, a->seq, "%s: seq", what);
    CHECK_EQ(b->act_as, a->act_as, "%s: act_as", what);
    CHECK_EQ(b->domid, a->domid, "%s: domid", what);
    CHECK_EQ(b->order, a->order, "%s: order", what);
    CHECK_EQ(b->flags, a->flags, "%s: flags", what);
    CHECK_EQ(b->count, a->count, "%s: count", what);
    CHECK_EQ(b->flag, a->flag, "%s: flag", what);
    CHECK_EQ(b->value, a->value, "%s: value", what);
    CHECK(!strcmp(a->name, b->name), "%s: name '%s' became '%s'", what,
          a->name, b->name);
    for (i = 0; i < a->count && (a->op == XCM_OP_POPULATE_PHYSMAP ||
                                 a->op == XCM_OP_DECREASE_RESERVATION); i++)
        CHECK_EQ(b->gfns[i], a->gfns[i], "%s: gfns[%u]", what, i);
}

/* Payload size of each op, computed from the table in xcm_proto.h. */
static size_t want_payload(const struct xcm_request *r)
{
    switch (r->op) {
    case XCM_OP_HELLO: case XCM_OP_PING: case XCM_OP_PHYSINFO: return 0;
    case XCM_OP_TRACE_ENABLE: case XCM_OP_DOMAIN_DESTROY: return 4;
    case XCM_OP_DOMAIN_CREATE: case XCM_OP_DOMAIN_RENAME: return 4 + 64;
    case XCM_OP_DOMAIN_LOOKUP: return 64;
    case XCM_OP_DOMAIN_PAUSE: case XCM_OP_DOMAIN_GETINFO: return 8;
    case XCM_OP_DOMAIN_SETMAXMEM: case XCM_OP_DOMAIN_SET_TARGET:
    case XCM_OP_CLAIM_PAGES: return 16;
    case XCM_OP_POPULATE_PHYSMAP: return 24 + 8 * (size_t)r->count;
    case XCM_OP_DECREASE_RESERVATION: return 16 + 8 * (size_t)r->count;
    default: return 8;
    }
}

static void test_request_round_trips(void **state)
{
    unsigned int op, k;
    ssize_t n;
    char what[64];

    for (op = 1; op <= XCM_OP_MAX; op++) {
        for (k = 0; k < 3; k++) {
            snprintf(what, sizeof(what), "%s #%u", xcm_op_name(op), k);
            sample_req(&rq, (uint16_t)op, k);
            n = xcm_encode_request(&rq, buf, sizeof(buf));
            CHECK_EQ(n, 20 + want_payload(&rq), "%s: length", what);
            memset(&rq2, 0xa5, sizeof(rq2));
            CHECK_EQ(xcm_decode_request(buf, (size_t)n, &rq2), 0,
                     "%s: decode", what);
            same_req(&rq, &rq2, what);
        }
    }
}

static void sample_dominfo(struct hyp_dominfo *d, unsigned int i)
{
    memset(d, 0, sizeof(*d));
    d->domid = i * 3 + 1;
    d->flags = i & 7;
    d->tot_pages = 1000 + i;
    d->max_pages = 2000 + i;
    d->outstanding_pages = 7 * i;
    d->created_ns = 123456789ull * i;
    memset(d->handle, (int)i, sizeof(d->handle));
    snprintf(d->name, sizeof(d->name), "d%u", i);
}

static void test_reply_round_trips(void **state)
{
    unsigned int op, i;
    ssize_t n;
    char what[64];

    for (op = 1; op <= XCM_OP_MAX; op++) {
        snprintf(what, sizeof(what), "%s reply", xcm_op_name(op));
        sample_req(&rq, (uint16_t)op, 1);
        memset(&rp, 0, sizeof(rp));
        rp.op = rq.op;
        rp.seq = rq.seq;
        switch (op) {
        case XCM_OP_HELLO:
            rp.u.hello.version = XCM_VERSION;
            rp.u.hello.config.nr_nodes = 2;
            rp.u.hello.config.nr_cpus = 256;
            rp.u.hello.config.node_pages[0] = 111;
            rp.u.hello.config.node_pages[1] = 222;
            rp.u.hello.config.node_pages[63] = 333;
            rp.u.hello.config.dom0_pages = 44;
            rp.u.hello.config.dom0_max_pages = 55;
            rp.u.hello.config.tmem_capacity = 66;
            rp.u.hello.config.xen_pages_per_domain = 14;
            rp.u.hello.config.profile = HYP_PROFILE_XEN417;
            snprintf(rp.u.hello.trace_path, XCM_PATH_MAX, "/dev/shm/x");
            break;
        case XCM_OP_PHYSINFO:
            rp.u.physinfo.total_pages = 1ull << 40;
            rp.u.physinfo.free_pages = 3;
            rp.u.physinfo.outstanding_pages = 4;
            rp.u.physinfo.freeable_pages = 5;
            rp.u.physinfo.offline_pages = 6;
            rp.u.physinfo.nr_nodes = 64;
            rp.u.physinfo.nr_cpus = 7;
            rp.u.physinfo.profile = 1;
            for (i = 0; i < HYP_MAX_NODES; i++) {
                rp.u.physinfo.node_free[i] = i;
                rp.u.physinfo.node_size[i] = 100 + i;
            }
            break;
        case XCM_OP_DOMAIN_CREATE:
            rp.domid = 77;
            break;
        case XCM_OP_DOMAIN_GETINFO:
            rp.rc = XCM_MAX_DOMINFO;
            for (i = 0; i < XCM_MAX_DOMINFO; i++)
                sample_dominfo(&rp.u.info[i], i);
            break;
        case XCM_OP_POPULATE_PHYSMAP:
            rp.rc = 1;
            rp.has_mfns = rq.flag;
            rp.u.mfns[0] = 0xabcdef;
            break;
        case XCM_OP_DECREASE_RESERVATION:
        case XCM_OP_DOMAIN_LOOKUP:
            rp.rc = 1;
            break;
        case XCM_OP_TMEM_PUT:
        case XCM_OP_TMEM_FLUSH:
        case XCM_OP_OFFLINE_ANY:
            rp.count = 0x7fffffffffffffffull;
            break;
        default:
            break;
        }
        n = xcm_encode_reply(&rp, buf, sizeof(buf));
        CHECK(n >= 16, "%s: encode gave %zd", what, n);
        memset(&rp2, 0x5a, sizeof(rp2));
        CHECK_EQ(xcm_decode_reply(buf, (size_t)n, &rq, &rp2), 0,
                 "%s: decode", what);
        CHECK_EQ(rp2.rc, rp.rc, "%s: rc", what);
        CHECK_EQ(rp2.seq, rp.seq, "%s: seq", what);
        CHECK_EQ(rp2.domid, rp.domid, "%s: domid", what);
        CHECK_EQ(rp2.count, rp.count, "%s: count", what);
        switch (op) {
        case XCM_OP_HELLO:
            CHECK_EQ(n, 16 + 8 + XCM_CONFIG_WIRE + 4 + 11, "%s: length",
                     what);
            CHECK(!memcmp(&rp2.u.hello.config, &rp.u.hello.config,
                          sizeof(rp.u.hello.config)), "%s: config", what);
            CHECK(!strcmp(rp2.u.hello.trace_path, "/dev/shm/x"),
                  "%s: path '%s'", what, rp2.u.hello.trace_path);
            break;
        case XCM_OP_PHYSINFO:
            CHECK_EQ(n, 16 + XCM_PHYSINFO_WIRE, "%s: length", what);
            CHECK(!memcmp(&rp2.u.physinfo, &rp.u.physinfo,
                          sizeof(rp.u.physinfo)), "%s: physinfo", what);
            break;
        case XCM_OP_DOMAIN_GETINFO:
            CHECK_EQ(n, 16 + XCM_MAX_DOMINFO * XCM_DOMINFO_WIRE,
                     "%s: length", what);
            for (i = 0; i < XCM_MAX_DOMINFO; i++)
                CHECK(!memcmp(&rp2.u.info[i], &rp.u.info[i],
                              sizeof(rp.u.info[i])), "%s: info[%u]", what,
                      i);
            break;
        case XCM_OP_POPULATE_PHYSMAP:
            CHECK_EQ(n, 16 + (rq.flag ? 8 : 0), "%s: length", what);
            CHECK_EQ(rp2.has_mfns, rq.flag, "%s: has_mfns", what);
            if (rq.flag)
                CHECK_EQ(rp2.u.mfns[0], 0xabcdef, "%s: mfn", what);
            break;
        default:
            break;
        }
    }
}

/* ---- malformed requests: exact errno, seq echoed ---------------------- */

static void expect_req(int want, const char *what)
{
    int rc = xcm_decode_request(m.b, m.n, &rq);

    CHECK_EQ(rc, want, "%s", what);
}

static void test_bad_headers(void **state)
{
    size_t len;

    for (len = 0; len < 20; len++) {
        m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_PING, 77, 0);
        m.n = len;
        expect_req(-EPROTO, "short header");
        CHECK_EQ(rq.seq, len >= 12 ? 77 : 0, "seq of a %zu-byte message",
                 len);
    }
    m_req(&m, 0x51434d59u, 1, XCM_OP_PING, 5, 0);
    expect_req(-EPROTO, "bad magic");
    CHECK_EQ(rq.seq, 5, "seq echoed on bad magic");
    m_req(&m, XCM_REP_MAGIC, 1, XCM_OP_PING, 5, 0);
    expect_req(-EPROTO, "a reply's magic in a request");

    m_req(&m, XCM_REQ_MAGIC, 2, XCM_OP_PING, 6, 0);
    expect_req(-EPROTONOSUPPORT, "version 2");
    m_req(&m, XCM_REQ_MAGIC, 0, XCM_OP_PING, 6, 0);
    expect_req(-EPROTONOSUPPORT, "version 0");

    m_req(&m, XCM_REQ_MAGIC, 1, 0, 6, 0);
    expect_req(-ENOSYS, "op 0");
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_MAX + 1, 6, 0);
    expect_req(-ENOSYS, "op MAX+1");
    m_req(&m, XCM_REQ_MAGIC, 1, 0xffff, 6, 0);
    expect_req(-ENOSYS, "op 0xffff");
    CHECK_EQ(rq.op, 0xffff, "op reported");

    /* payload_len disagrees with the bytes received. */
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_DESTROY, 6, 0);
    m_u32(&m, 1);
    m_end(&m);
    m.b[16] = 5;
    expect_req(-EPROTO, "payload_len 5 for 4 bytes");
    m.b[16] = 3;
    expect_req(-EPROTO, "payload_len 3 for 4 bytes");
    m.b[16] = 4;
    m.b[19] = 0x80;
    expect_req(-EPROTO, "payload_len huge");

    /* Longer than XCM_MSG_MAX. */
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_PING, 6, 0);
    memset(m.b + m.n, 0, XCM_MSG_MAX + 1 - m.n);
    m.n = XCM_MSG_MAX + 1;
    m_end(&m);
    expect_req(-EPROTO, "message of 64 KiB + 1");
}

static void test_bad_payloads(void **state)
{
    unsigned int op;
    uint32_t i;

    /* Every op: one byte more, and (when it has one) one byte less. */
    for (op = 1; op <= XCM_OP_MAX; op++) {
        sample_req(&rq2, (uint16_t)op, 2);
        m.n = (size_t)xcm_encode_request(&rq2, m.b, sizeof(m.b));
        m.b[m.n++] = 0;
        m_end(&m);
        expect_req(-EINVAL, xcm_op_name(op));
        if (m.n > 21) {
            m.n -= 2;
            m_end(&m);
            expect_req(-EINVAL, xcm_op_name(op));
        }
    }

    /* Counts out of range. */
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_GETINFO, 1, 0);
    m_u32(&m, 0);
    m_u32(&m, XCM_MAX_DOMINFO + 1);
    m_end(&m);
    expect_req(-EINVAL, "getinfo max 257");
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_GETINFO, 1, 0);
    m_u32(&m, 0);
    m_u32(&m, 0);
    m_end(&m);
    expect_req(-EINVAL, "getinfo max 0");

    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_POPULATE_PHYSMAP, 1, 0);
    m_u32(&m, 1);
    m_u32(&m, 0);
    m_u32(&m, 0);
    m_u32(&m, XCM_MAX_EXTENTS + 1);
    m_u32(&m, 0);
    m_u32(&m, 0);
    for (i = 0; i < XCM_MAX_EXTENTS + 1; i++)
        m_u64(&m, i);
    m_end(&m);
    expect_req(-EINVAL, "populate of 4097 extents (bytes present)");

    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DECREASE_RESERVATION, 1, 0);
    m_u32(&m, 1);
    m_u32(&m, 0);
    m_u32(&m, 3);               /* says 3 ... */
    m_u32(&m, 0);
    m_u64(&m, 1);
    m_u64(&m, 2);               /* ... sends 2 */
    m_end(&m);
    expect_req(-EINVAL, "decrease count 3 with 2 gfns");

    /* Names. */
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_CREATE, 1, 0);
    m_u32(&m, 0);
    for (i = 0; i < HYP_NAME_MAX; i++)
        m_bytes(&m, "x", 1);
    m_end(&m);
    expect_req(-EINVAL, "unterminated name");
    m.b[m.n - 1] = 0;
    expect_req(0, "63 characters and a NUL");
    m.b[m.n - 1] = 'y';
    m.b[m.n - 2] = 0;
    expect_req(-EINVAL, "bytes after the NUL");
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_LOOKUP, 1, 0);
    m_name(&m, "");
    m_end(&m);
    expect_req(0, "empty name");

    /* Pads and booleans. */
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_SETMAXMEM, 1, 0);
    m_u32(&m, 1);
    m_u32(&m, 1);
    m_u64(&m, 1024);
    m_end(&m);
    expect_req(-EINVAL, "non-zero pad");
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_TRACE_ENABLE, 1, 0);
    m_u32(&m, 2);
    m_end(&m);
    expect_req(-EINVAL, "boolean 2");
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_DOMAIN_PAUSE, 1, 0);
    m_u32(&m, 1);
    m_u32(&m, 0x100);
    m_end(&m);
    expect_req(-EINVAL, "boolean 0x100");
    m_req(&m, XCM_REQ_MAGIC, 1, XCM_OP_POPULATE_PHYSMAP, 1, 0);
    m_u32(&m, 1);
    m_u32(&m, 0);
    m_u32(&m, 0);
    m_u32(&m, 0);
    m_u32(&m, 3);
    m_u32(&m, 0);
    m_end(&m);
    expect_req(-EINVAL, "want_mfns 3");
}

/* ---- malformed replies ------------------------------------------------ */

static void test_bad_replies(void **state)
{
    unsigned int i;

    zero_req(&rq, XCM_OP_PING);
    rq.seq = 4;
    m_rep(&m, 4, 0);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), 0, "good ping reply");
    m_rep(&m, 5, 0);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO, "wrong seq");
    m_rep(&m, 4, 0);
    m.b[0] ^= 1;
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO, "bad magic");
    m_rep(&m, 4, 0);
    CHECK_EQ(xcm_decode_reply(m.b, 15, &rq, &rp), -EPROTO, "short");
    m_rep(&m, 4, -EINVAL);
    m_u32(&m, 0);
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "error with a payload");
    m_rep(&m, 4, 0);
    m_u32(&m, 0);
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "ping reply with a payload");

    zero_req(&rq, XCM_OP_DOMAIN_GETINFO);
    rq.seq = 4;
    rq.count = 1;
    m_rep(&m, 4, 2);
    for (i = 0; i < 2; i++) {
        m_u32(&m, i);
        m_u32(&m, 0);
        m_u64(&m, 0); m_u64(&m, 0); m_u64(&m, 0); m_u64(&m, 0);
        m_bytes(&m, "0123456789abcdef", 16);
        m_name(&m, "n");
    }
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "2 domains for max 1");
    rq.count = 2;
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), 0, "2 domains for max 2");
    CHECK_EQ(rp.u.info[1].domid, 1, "second domid");
    memset(m.b + m.n - HYP_NAME_MAX, 'z', HYP_NAME_MAX);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "unterminated domain name");

    zero_req(&rq, XCM_OP_POPULATE_PHYSMAP);
    rq.seq = 4;
    rq.count = 2;
    rq.flag = true;
    m_rep(&m, 4, 3);
    m_u64(&m, 1); m_u64(&m, 2); m_u64(&m, 3);
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "3 extents done of 2");
    m_rep(&m, 4, 2);
    m_u64(&m, 1);
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "2 extents done, 1 mfn");

    zero_req(&rq, XCM_OP_HELLO);
    rq.seq = 4;
    m_rep(&m, 4, 0);
    m_u32(&m, 1);
    m_u32(&m, 0);
    m_u32(&m, 1);               /* nodes */
    m_u32(&m, 1);               /* cpus */
    m_u32(&m, 0);
    m_u32(&m, 0);
    for (i = 0; i < 3 + HYP_MAX_NODES; i++)
        m_u64(&m, 1);
    m_u32(&m, 4);
    m_bytes(&m, "/abc", 4);     /* no NUL */
    m_rep_end(&m);
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "trace path without NUL");
    m.b[m.n - 1] = 0;
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), 0, "trace path '/ab'");
    CHECK(!strcmp(rp.u.hello.trace_path, "/ab"), "path is '%s'",
          rp.u.hello.trace_path);
    m.b[16 + 8] = 0;            /* zero nodes */
    CHECK_EQ(xcm_decode_reply(m.b, m.n, &rq, &rp), -EPROTO,
             "config with 0 nodes");
}

/* ---- the encoder refuses what the decoder would ----------------------- */

static void test_encoder_refuses(void **state)
{
    zero_req(&rq, XCM_OP_DOMAIN_GETINFO);
    CHECK_EQ(xcm_encode_request(&rq, buf, sizeof(buf)), -EINVAL,
             "getinfo max 0");
    zero_req(&rq, XCM_OP_POPULATE_PHYSMAP);
    rq.count = XCM_MAX_EXTENTS + 1;
    CHECK_EQ(xcm_encode_request(&rq, buf, sizeof(buf)), -EINVAL,
             "populate 4097");
    zero_req(&rq, XCM_OP_DOMAIN_RENAME);
    memset(rq.name, 'q', sizeof(rq.name));
    CHECK_EQ(xcm_encode_request(&rq, buf, sizeof(buf)), -EINVAL,
             "unterminated name");
    zero_req(&rq, 0);
    CHECK_EQ(xcm_encode_request(&rq, buf, sizeof(buf)), -EINVAL, "op 0");
    zero_req(&rq, XCM_OP_CLAIM_PAGES);
    CHECK_EQ(xcm_encode_request(&rq, buf, 35), -EMSGSIZE, "35-byte buffer");
    CHECK_EQ(xcm_encode_request(&rq, buf, 36), 36, "36-byte buffer");
    CHECK_EQ(xcm_encode_error(1, -EPERM, buf, 15), -EMSGSIZE, "error 15");
}

/* ---- the client against a scripted fake daemon ------------------------ */

/*
 * The fake answers HELLO properly, populate/decrease with
 * min(count, budget) extents (mfn = gfn + 1000) drawn from a budget, and
 * counts the requests it saw.  A request of op `hangup_op` makes it close
 * the connection without answering; `garble_op` gets a reply with the
 * wrong seq.
 */
struct fake {
    int lfd;
    pthread_t thread;
    _Atomic unsigned int requests, extents_seen;
    _Atomic unsigned long budget;
    _Atomic uint16_t hangup_op, garble_op;
    char path[108];
};

static void *fake_main(void *arg)
{
    static struct xcm_request frq;
    static struct xcm_reply frp;
    static uint8_t in[XCM_MSG_MAX], out[XCM_MSG_MAX];
    struct fake *f = arg;
    uint32_t i;
    ssize_t n;
    int fd = accept(f->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    while ((n = recv(fd, in, sizeof(in), 0)) > 0) {
        if (xcm_decode_request(in, (size_t)n, &frq))
            break;
        f->requests++;
        if (frq.op == f->hangup_op)
            break;
        memset(&frp, 0, sizeof(frp));
        frp.op = frq.op;
        frp.seq = frq.op == f->garble_op ? frq.seq + 1 : frq.seq;
        switch (frq.op) {
        case XCM_OP_HELLO:
            frp.u.hello.version = XCM_VERSION;
            frp.u.hello.config.nr_nodes = 1;
            frp.u.hello.config.nr_cpus = 2;
            break;
        case XCM_OP_POPULATE_PHYSMAP:
        case XCM_OP_DECREASE_RESERVATION:
            f->extents_seen += frq.count;
            frp.rc = (int32_t)(frq.count < f->budget ? frq.count
                                                      : f->budget);
            f->budget -= (unsigned long)frp.rc;
            if (frq.domid == 666)
                frp.rc = -ESRCH;
            frp.has_mfns = frq.flag;
            for (i = 0; frp.rc > 0 && i < (uint32_t)frp.rc; i++)
                frp.u.mfns[i] = frq.gfns[i] + 1000;
            break;
        case XCM_OP_DOMAIN_GETINFO:
            /* Domains 1, 3, 5, ... 599 (300 of them) from first on. */
            for (i = frq.domid | 1; i < 600 && frp.rc < (int)frq.count;
                 i += 2) {
                sample_dominfo(&frp.u.info[frp.rc], 0);
                frp.u.info[frp.rc++].domid = i;
            }
            break;
        default:
            break;
        }
        n = xcm_encode_reply(&frp, out, sizeof(out));
        if (n < 0 || send(fd, out, (size_t)n, MSG_NOSIGNAL) < 0)
            break;
    }
    close(fd);
    return NULL;
}

static void fake_start(struct fake *f)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    snprintf(f->path, sizeof(f->path), "/tmp/test_proto.%ld.%p.sock",
             (long)getpid(), (void *)f);
    unlink(f->path);
    f->lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    assert_true(f->lfd >= 0);
    memcpy(sa.sun_path, f->path, strlen(f->path));
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->lfd, 1), 0);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f, struct xcm_client *c)
{
    xcm_close(c);
    pthread_join(f->thread, NULL);
    close(f->lfd);
    unlink(f->path);
}

static uint64_t gfns[3 * XCM_MAX_EXTENTS], mfns[3 * XCM_MAX_EXTENTS];

static void test_client_splits(void **state)
{
    static struct hyp_dominfo info[400];
    struct fake f = { .budget = ~0ul };
    struct xcm_client *c;
    unsigned long i, nr = 2 * XCM_MAX_EXTENTS + 1808;
    long done;
    int rc;

    fake_start(&f);
    c = xcm_open(f.path, 0);
    CHECK(c != NULL, "xcm_open: %s", strerror(errno));
    CHECK_EQ(f.requests, 1, "requests after open (HELLO)");
    CHECK(xcm_trace_area_path(c) == NULL && errno == ENOENT,
          "no trace area");
    for (i = 0; i < nr; i++)
        gfns[i] = i * 2;

    /* 10000 extents: requests of 4096, 4096 and 1808. */
    done = xcm_populate_physmap(c, 1, 0, 0, gfns, nr, mfns);
    CHECK_EQ(done, nr, "extents done");
    CHECK_EQ(f.requests, 1 + 3, "requests for %lu extents", nr);
    CHECK_EQ(f.extents_seen, nr, "extents sent");
    for (i = 0; i < nr; i++)
        CHECK_EQ(mfns[i], gfns[i] + 1000, "mfn %lu", i);

    /* Budget 5000: the second request does 904 and the third is not sent. */
    f.budget = 5000;
    f.requests = 0;
    done = xcm_populate_physmap(c, 1, 0, 0, gfns, nr, NULL);
    CHECK_EQ(done, 5000, "extents done on a partial");
    CHECK_EQ(f.requests, 2, "requests until the partial one");

    /* An error after some progress: the progress; at once: the error. */
    f.budget = ~0ul;
    done = xcm_decrease_reservation(c, 666, 0, gfns, 5);
    CHECK_EQ(done, -ESRCH, "error of the first request");

    /* Zero extents: one request all the same. */
    f.requests = 0;
    done = xcm_decrease_reservation(c, 1, 0, NULL, 0);
    CHECK_EQ(done, 0, "zero extents");
    CHECK_EQ(f.requests, 1, "requests for zero extents");

    /* getinfo of 400 from 0: 256 then 44 (the fake has 300 domains). */
    f.requests = 0;
    rc = xcm_domain_getinfo(c, 0, 400, info);
    CHECK_EQ(rc, 300, "domains");
    CHECK_EQ(f.requests, 2, "getinfo requests");
    for (i = 0; i < 300; i++)
        CHECK_EQ(info[i].domid, 2 * i + 1, "domid of entry %lu", i);

    /* A name too long never leaves the client. */
    f.requests = 0;
    {
        char name[HYP_NAME_MAX + 1];
        uint32_t domid = 0;

        memset(name, 'n', HYP_NAME_MAX);
        name[HYP_NAME_MAX] = '\0';
        CHECK_EQ(xcm_domain_create(c, &domid, name), -EMSGSIZE,
                 "64-character name");
        name[HYP_NAME_MAX - 1] = '\0';
        CHECK_EQ(xcm_domain_create(c, &domid, name), 0, "63 characters");
    }
    CHECK_EQ(f.requests, 1, "requests for the two creates");

    /* A reply out of sequence: -EPROTO, then the client is dead. */
    f.garble_op = XCM_OP_PING;
    CHECK_EQ(xcm_ping(c), -EPROTO, "ping answered with the wrong seq");
    CHECK_EQ(xcm_ping(c), -ECONNRESET, "ping after a protocol error");
    fake_stop(&f, c);
}

static void test_client_hangup(void **state)
{
    struct fake f = { .budget = ~0ul, .hangup_op = XCM_OP_PHYSINFO };
    struct hyp_physinfo pi;
    struct xcm_client *c;

    fake_start(&f);
    c = xcm_open(f.path, 3);
    CHECK(c != NULL, "xcm_open: %s", strerror(errno));
    CHECK_EQ(xcm_act_as(c), 3, "act_as");
    CHECK_EQ(xcm_ping(c), 0, "ping");
    CHECK_EQ(xcm_physinfo(c, &pi), -ECONNRESET, "daemon hangs up");
    CHECK_EQ(xcm_ping(c), -ECONNRESET, "after the hang-up");
    fake_stop(&f, c);

    /* Nobody there. */
    errno = 0;
    CHECK(xcm_open("/nonexistent/xenclaim.sock", 0) == NULL &&
          errno == ENOENT, "open of a missing socket: errno %d", errno);
    xcm_close(NULL);
}

static void test_default_path(void **state)
{
    char p[256];

    setenv(XCM_SOCKET_ENV, "/x/y.sock", 1);
    CHECK_EQ(xcm_default_socket_path(p, sizeof(p)), 0, "with the env");
    CHECK(!strcmp(p, "/x/y.sock"), "path '%s'", p);
    CHECK_EQ(xcm_default_socket_path(p, 5), -ENAMETOOLONG, "short buffer");
    memset(p, 'a', 200);
    p[0] = '/';
    p[200] = '\0';
    setenv(XCM_SOCKET_ENV, p, 1);
    CHECK_EQ(xcm_default_socket_path(p, sizeof(p)), -ENAMETOOLONG,
             "longer than sun_path");
    unsetenv(XCM_SOCKET_ENV);
    CHECK_EQ(xcm_default_socket_path(p, sizeof(p)), 0, "without the env");
    CHECK(p[0] == '/', "absolute: '%s'", p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_ping),
        cmocka_unit_test(test_golden_claim),
        cmocka_unit_test(test_golden_reply),
        cmocka_unit_test(test_request_round_trips),
        cmocka_unit_test(test_reply_round_trips),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_payloads),
        cmocka_unit_test(test_bad_replies),
        cmocka_unit_test(test_encoder_refuses),
        cmocka_unit_test(test_client_splits),
        cmocka_unit_test(test_client_hangup),
        cmocka_unit_test(test_default_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
