/* xct_record.h: the xentrace record header and file framing (encode, decode). */
/* SPDX-License-Identifier: MIT */
/*
 * A record in a Xen per-CPU trace buffer and in a xentrace file:
 *
 *   u32 header   bits 0-27 event id, bits 28-30 payload words (0-7),
 *                bit 31 set when a 64-bit TSC follows
 *   [u32 tsc_lo, u32 tsc_hi]
 *   u32 extra[n]
 *
 * All words are in host byte order.  A file is a sequence of windows,
 * each a CPU_CHANGE record {u32 cpu, u32 window_size} followed by exactly
 * window_size bytes of records from that CPU.
 */
#ifndef XCT_RECORD_H
#define XCT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define XCT_TRC_GEN             0x0001f000u
#define XCT_TRC_LOST_RECORDS    0x0001f001u /* {u32 lost; u16 domid, u16 vcpu; u64 first_tsc} */
#define XCT_TRC_WRAP_BUFFER     0x0001f002u /* padding to the end of a ring */
#define XCT_TRC_CPU_CHANGE      0x0001f003u /* {i32 cpu; u32 window_size} */

#define XCT_HDR_EVENT_MASK      0x0fffffffu
#define XCT_HDR_WORDS_SHIFT     28
#define XCT_HDR_WORDS_MASK      0x7u
#define XCT_HDR_TSC             0x80000000u

#define XCT_RECORD_MIN_BYTES    4u
#define XCT_RECORD_MAX_BYTES    40u /* header, TSC, 7 words */
#define XCT_CPU_CHANGE_BYTES    12u
#define XCT_LOST_RECORDS_WORDS  4u

/* The class bits (16-27) of an event id. */
#define XCT_EVENT_CLASS(ev)     (((ev) >> 16) & 0xfffu)

/* One decoded record. */
struct xct_record {
    uint32_t event;     /* 28-bit event id */
    uint32_t nwords;    /* payload words, 0..7 */
    uint32_t has_tsc;   /* 1 if the record carried a TSC */
    uint64_t tsc;       /* the TSC, or the inherited one when has_tsc is 0 */
    uint32_t words[7];  /* payload */
};

/* Header word of a record. */
static inline uint32_t xct_record_header(uint32_t event, unsigned int nwords,
                                         int has_tsc)
{
    return (event & XCT_HDR_EVENT_MASK) |
           ((uint32_t)(nwords & XCT_HDR_WORDS_MASK) << XCT_HDR_WORDS_SHIFT) |
           (has_tsc ? XCT_HDR_TSC : 0);
}

/* Size in bytes of the record that starts with header word hdr. */
static inline size_t xct_record_size(uint32_t hdr)
{
    return 4 + ((hdr & XCT_HDR_TSC) ? 8 : 0) +
           4 * ((hdr >> XCT_HDR_WORDS_SHIFT) & XCT_HDR_WORDS_MASK);
}

/*
 * Encode r into buf (len bytes available).  Returns the bytes written, or
 * 0 when r is invalid (more than 7 words) or buf is too small.
 */
static inline size_t xct_record_encode(void *buf, size_t len,
                                       const struct xct_record *r)
{
    uint8_t *p = buf;
    uint32_t hdr, lo, hi;
    size_t need;

    if (r->nwords > XCT_HDR_WORDS_MASK)
        return 0;
    hdr = xct_record_header(r->event, r->nwords, r->has_tsc);
    need = xct_record_size(hdr);
    if (len < need)
        return 0;
    memcpy(p, &hdr, 4);
    p += 4;
    if (r->has_tsc) {
        lo = (uint32_t)r->tsc;
        hi = (uint32_t)(r->tsc >> 32);
        memcpy(p, &lo, 4);
        memcpy(p + 4, &hi, 4);
        p += 8;
    }
    memcpy(p, r->words, 4u * r->nwords);
    return need;
}

/*
 * Decode one record from buf (len bytes).  prev_tsc is inherited when the
 * record carries none.  Returns the bytes consumed, or 0 when len holds
 * less than a whole record.
 */
static inline size_t xct_record_decode(const void *buf, size_t len,
                                       uint64_t prev_tsc,
                                       struct xct_record *r)
{
    const uint8_t *p = buf;
    uint32_t hdr, lo, hi;
    size_t need;

    if (len < 4)
        return 0;
    memcpy(&hdr, p, 4);
    need = xct_record_size(hdr);
    if (len < need)
        return 0;
    r->event = hdr & XCT_HDR_EVENT_MASK;
    r->nwords = (hdr >> XCT_HDR_WORDS_SHIFT) & XCT_HDR_WORDS_MASK;
    r->has_tsc = !!(hdr & XCT_HDR_TSC);
    p += 4;
    if (r->has_tsc) {
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        r->tsc = (uint64_t)lo | ((uint64_t)hi << 32);
        p += 8;
    } else {
        r->tsc = prev_tsc;
    }
    memcpy(r->words, p, 4u * r->nwords);
    return need;
}

/* Write a CPU_CHANGE window header into buf[12]. */
static inline void xct_cpu_change_encode(void *buf, int32_t cpu,
                                         uint32_t window_size)
{
    uint32_t w[3];

    w[0] = xct_record_header(XCT_TRC_CPU_CHANGE, 2, 0);
    w[1] = (uint32_t)cpu;
    w[2] = window_size;
    memcpy(buf, w, sizeof(w));
}

#endif /* XCT_RECORD_H */
