/* xcm_proto.h: wire protocol of xenclaim-mock: messages, codecs. */
/* SPDX-License-Identifier: MIT */
/*
 * Transport: a SOCK_SEQPACKET UNIX socket, one message per request and one
 * per reply, at most XCM_MSG_MAX bytes each.  Integers are in host byte
 * order (the socket is local), packed with no padding, each field at the
 * offset given below.
 *
 * Request:  u32 magic XCM_REQ_MAGIC | u16 version XCM_VERSION | u16 op
 *           | u32 seq | u32 act_as_domid | u32 payload_len | payload
 * Reply:    u32 magic XCM_REP_MAGIC | u32 seq (the request's) | i32 rc
 *           | u32 payload_len | payload (only when rc >= 0)
 *
 * Request payloads ("name" is HYP_NAME_MAX bytes: a NUL-terminated string
 * zero-padded to the end; "pad" fields must be 0; booleans are 0 or 1):
 *
 *   HELLO, PING, PHYSINFO        (empty)
 *   TRACE_ENABLE                 u32 on
 *   DOMAIN_CREATE                u32 domid, name
 *   DOMAIN_DESTROY               u32 domid
 *   DOMAIN_SETMAXMEM             u32 domid, u32 pad, u64 max_kb
 *   DOMAIN_PAUSE                 u32 domid, u32 pause
 *   DOMAIN_RENAME                u32 domid, name
 *   DOMAIN_GETINFO               u32 first, u32 max (1..XCM_MAX_DOMINFO)
 *   DOMAIN_LOOKUP                name
 *   CLAIM_PAGES                  u32 domid, u32 flags, u64 nr_pages
 *   POPULATE_PHYSMAP             u32 domid, u32 order, u32 memflags,
 *                                u32 nr (0..XCM_MAX_EXTENTS), u32 want_mfns,
 *                                u32 pad, u64 gfns[nr]
 *   DECREASE_RESERVATION         u32 domid, u32 order, u32 nr, u32 pad,
 *                                u64 gfns[nr]
 *   DOMAIN_SET_TARGET            u32 domid, u32 pad, u64 target_pages
 *   TMEM_PUT, TMEM_FLUSH,
 *   OFFLINE_ANY                  u64 n
 *   PAGE_OFFLINE, PAGE_ONLINE    u64 mfn
 *
 * Reply payloads when rc >= 0 (empty when rc < 0, and for every op not
 * listed):
 *
 *   HELLO          u32 version, u32 pad, config (XCM_CONFIG_WIRE bytes),
 *                  u32 path_len (0: no trace area; else the length with
 *                  its NUL, <= XCM_PATH_MAX), path_len bytes of path
 *   PHYSINFO       physinfo (XCM_PHYSINFO_WIRE bytes)
 *   DOMAIN_CREATE  u32 domid
 *   DOMAIN_GETINFO rc = n (<= max asked), then n dominfo (XCM_DOMINFO_WIRE)
 *   DOMAIN_LOOKUP  rc = the domain id
 *   POPULATE_PHYSMAP   rc = extents done (<= nr); u64 mfns[rc] when
 *                      want_mfns was 1
 *   DECREASE_RESERVATION  rc = extents done (<= nr)
 *   TMEM_PUT, TMEM_FLUSH, OFFLINE_ANY   u64 count (rc 0)
 *
 * Errors the daemon answers for a malformed request, without changing any
 * state (the request's seq is echoed when the message held one):
 *   -EPROTO            shorter than a header, bad magic, payload_len not
 *                      the bytes that follow, or longer than XCM_MSG_MAX
 *   -EPROTONOSUPPORT   another version
 *   -ENOSYS            unknown op
 *   -EINVAL            payload of the wrong size for its op, a count out of
 *                      range, an unterminated or unpadded name, a non-zero
 *                      pad, a boolean other than 0 or 1
 */
#ifndef XCM_PROTO_H
#define XCM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mock/hyp/hyp.h"
#include "mock/proto/xcm_client.h"

#define XCM_REQ_MAGIC       0x51434d58u     /* "XMCQ" in memory */
#define XCM_REP_MAGIC       0x52434d58u     /* "XMCR" in memory */
#define XCM_VERSION         1u
#define XCM_MSG_MAX         65536u
#define XCM_REQ_HDR_SIZE    20u
#define XCM_REP_HDR_SIZE    16u

/* Wire sizes of the structures carried in payloads. */
#define XCM_CONFIG_WIRE     (16u + 24u + 8u * HYP_MAX_NODES)
#define XCM_PHYSINFO_WIRE   (40u + 16u + 16u * HYP_MAX_NODES)
#define XCM_DOMINFO_WIRE    (40u + 16u + HYP_NAME_MAX)

enum xcm_op {
    XCM_OP_HELLO = 1,
    XCM_OP_PING,
    XCM_OP_TRACE_ENABLE,
    XCM_OP_PHYSINFO,
    XCM_OP_DOMAIN_CREATE,
    XCM_OP_DOMAIN_DESTROY,
    XCM_OP_DOMAIN_SETMAXMEM,
    XCM_OP_DOMAIN_PAUSE,
    XCM_OP_DOMAIN_RENAME,
    XCM_OP_DOMAIN_GETINFO,
    XCM_OP_DOMAIN_LOOKUP,
    XCM_OP_CLAIM_PAGES,
    XCM_OP_POPULATE_PHYSMAP,
    XCM_OP_DECREASE_RESERVATION,
    XCM_OP_DOMAIN_SET_TARGET,
    XCM_OP_TMEM_PUT,
    XCM_OP_TMEM_FLUSH,
    XCM_OP_PAGE_OFFLINE,
    XCM_OP_PAGE_ONLINE,
    XCM_OP_OFFLINE_ANY,
    XCM_OP_MAX = XCM_OP_OFFLINE_ANY,
};

/*
 * A decoded request.  Each op uses the fields its payload carries (above):
 * value is max_kb, nr_pages, target_pages, n or mfn; flag is on, pause or
 * want_mfns; flags is the claim flags or memflags; count is nr or max.
 */
struct xcm_request {
    uint16_t op;
    uint32_t seq;
    uint32_t act_as;
    uint32_t domid;         /* also GETINFO's first */
    uint32_t order;
    uint32_t flags;
    uint32_t count;
    bool flag;
    uint64_t value;
    char name[HYP_NAME_MAX];
    uint64_t gfns[XCM_MAX_EXTENTS];
};

/* What HELLO tells. */
struct xcm_hello {
    uint32_t version;
    struct hyp_config config;
    char trace_path[XCM_PATH_MAX];      /* "" when none */
};

/* A decoded reply.  op is the request's (not on the wire). */
struct xcm_reply {
    uint16_t op;
    uint32_t seq;
    int32_t rc;
    uint32_t domid;         /* DOMAIN_CREATE */
    uint64_t count;         /* TMEM_PUT, TMEM_FLUSH, OFFLINE_ANY */
    bool has_mfns;          /* POPULATE_PHYSMAP with want_mfns */
    union {
        struct xcm_hello hello;
        struct hyp_physinfo physinfo;
        struct hyp_dominfo info[XCM_MAX_DOMINFO];
        uint64_t mfns[XCM_MAX_EXTENTS];
    } u;
};

/* Name of an op ("physinfo"), or "?" for an unknown one. */
const char *xcm_op_name(unsigned int op);

/*
 * Encode rq into buf (len bytes).  Returns the message length, -EMSGSIZE
 * if it does not fit in len, or -EINVAL when rq is not a valid request
 * (unknown op, count out of range, name without a NUL): what the encoder
 * accepts, the decoder accepts.
 */
ssize_t xcm_encode_request(const struct xcm_request *rq, void *buf,
                           size_t len);

/*
 * Decode and validate the request message of len bytes at buf into *rq.
 * Returns 0, or a negative errno as listed at the top of this file; on
 * error rq->seq (and rq->op when the header was readable) is still set,
 * for the error reply.
 */
int xcm_decode_request(const void *buf, size_t len, struct xcm_request *rq);

/*
 * Encode rp (the reply to a request of op rp->op, count items for GETINFO
 * and POPULATE_PHYSMAP taken from rp->rc) into buf.  A negative rp->rc
 * gives a bare header.  Returns the message length, -EMSGSIZE, or -EINVAL
 * (a payload the decoder would refuse, such as a trace path without NUL).
 */
ssize_t xcm_encode_reply(const struct xcm_reply *rp, void *buf, size_t len);

/*
 * Decode and validate the reply message of len bytes at buf to request rq
 * (its op, seq, count and flag bound what the reply may hold) into *rp.
 * Returns 0 (the hypercall's own result is rp->rc), or -EPROTO when the
 * reply is malformed or does not answer rq.
 */
int xcm_decode_reply(const void *buf, size_t len,
                     const struct xcm_request *rq, struct xcm_reply *rp);

/* Encode a bare error reply (rc < 0) for seq.  Returns its length. */
ssize_t xcm_encode_error(uint32_t seq, int32_t rc, void *buf, size_t len);

#endif /* XCM_PROTO_H */
