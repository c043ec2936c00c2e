/* xca_perfetto.c: the analysis as a Perfetto trace (protobuf by hand). */
/* SPDX-License-Identifier: MIT */
/*
 * The file is a Trace message: a run of field-1 (packet) entries, each
 * "0x0a <varint length> <TracePacket>", written as events come.  Used:
 *
 *   TracePacket      timestamp 8, trusted_packet_sequence_id 10,
 *                    track_event 11, sequence_flags 13,
 *                    track_descriptor 60
 *   TrackDescriptor  uuid 1, name 2, parent_uuid 5, counter 8,
 *                    description 14
 *   CounterDescriptor unit 3 (SIZE_BYTES = 3), y_axis_share_key 7
 *   TrackEvent       type 9 (INSTANT 3, COUNTER 4), track_uuid 11,
 *                    name 23, counter_value 30
 *
 * Tracks: "host" with counters free, freeable and outstanding; "denials"
 * and "refused stakes" with instant events; per domain "dN" with
 * counters claim and tot_pages.  Counter values are bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xca_int.h"

#define SEQ_ID          1u
#define UUID_HOST       1u
#define UUID_SERIES     2u      /* + enum xca_series */
#define UUID_INSTANT    16u     /* + track */
#define UUID_DOM        0x100000u   /* + domid * 4 (+1 claim, +2 tot) */

/* Field tags: (number << 3) | wire type (0 varint, 2 length). */
#define TAG(n, w)       (((uint32_t)(n) << 3) | (w))

struct pb {
    uint8_t b[512];
    size_t n;
};

static void pb_varint(struct pb *p, uint64_t v)
{
    while (v >= 0x80 && p->n < sizeof(p->b)) {
        p->b[p->n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    if (p->n < sizeof(p->b))
        p->b[p->n++] = (uint8_t)v;
}

static void pb_uint(struct pb *p, unsigned int field, uint64_t v)
{
    pb_varint(p, TAG(field, 0));
    pb_varint(p, v);
}

static void pb_bytes(struct pb *p, unsigned int field, const void *data,
                     size_t len)
{
    if (p->n + len + 12 > sizeof(p->b))
        return;
    pb_varint(p, TAG(field, 2));
    pb_varint(p, len);
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

static void pb_str(struct pb *p, unsigned int field, const char *s)
{
    pb_bytes(p, field, s, strlen(s));
}

static void pb_msg(struct pb *p, unsigned int field, const struct pb *m)
{
    pb_bytes(p, field, m->b, m->n);
}

/* Write one TracePacket as a Trace.packet entry. */
static void put_packet(struct xca_pf *pf, struct pb *pkt)
{
    struct pb head = { .n = 0 };

    if (!pf->started) {
        /* SEQ_INCREMENTAL_STATE_CLEARED on the sequence's first packet. */
        pb_uint(pkt, 13, 1);
        pf->started = 1;
    }
    pb_uint(pkt, 10, SEQ_ID);
    pb_varint(&head, TAG(1, 2));
    pb_varint(&head, pkt->n);
    if (fwrite(head.b, 1, head.n, pf->f) != head.n ||
        fwrite(pkt->b, 1, pkt->n, pf->f) != pkt->n)
        pf->err = -EIO;
}

static uint64_t ns(const struct xca_pf *pf, uint64_t tsc)
{
    double t;

    if (tsc <= pf->t0)
        return 0;
    t = (double)(tsc - pf->t0) * pf->ns_per_tick;
    return t < 1.8e19 ? (uint64_t)t : UINT64_MAX;
}

/* Pages in bytes, saturated. */
static int64_t bytes(int64_t pages)
{
    if (pages > INT64_MAX / (int64_t)XCA_PAGE_BYTES)
        return INT64_MAX;
    if (pages < INT64_MIN / (int64_t)XCA_PAGE_BYTES)
        return INT64_MIN;
    return pages * (int64_t)XCA_PAGE_BYTES;
}

void xca_pf_init(struct xca_pf *p, FILE *f, uint64_t t0, double cpu_hz)
{
    memset(p, 0, sizeof(*p));
    p->f = f;
    p->t0 = t0;
    p->ns_per_tick = 1e9 / cpu_hz;
}

static void track(struct xca_pf *pf, uint64_t uuid, uint64_t parent,
                  const char *name, const char *doc, int counter,
                  const char *share)
{
    struct pb pkt = { .n = 0 }, td = { .n = 0 }, cd = { .n = 0 };

    pb_uint(&td, 1, uuid);
    pb_str(&td, 2, name);
    if (parent)
        pb_uint(&td, 5, parent);
    if (counter) {
        pb_uint(&cd, 3, 3);     /* SIZE_BYTES */
        if (share)
            pb_str(&cd, 7, share);
        pb_msg(&td, 8, &cd);
    }
    if (doc)
        pb_str(&td, 14, doc);
    pb_msg(&pkt, 60, &td);
    put_packet(pf, &pkt);
}

void xca_pf_begin(struct xca_pf *p)
{
    if (!p->f || p->started)
        return;
    track(p, UUID_HOST, 0, "host", "host memory (xenclaim)", 0, NULL);
    track(p, UUID_SERIES + XCA_S_FREE, UUID_HOST, "free",
          "free pages in the heap", 1, "host");
    track(p, UUID_SERIES + XCA_S_FREEABLE, UUID_HOST, "freeable",
          "tmem pages reclaimable on demand", 1, "host");
    track(p, UUID_SERIES + XCA_S_OUTSTANDING, UUID_HOST, "outstanding",
          "sum of outstanding claims", 1, "host");
    track(p, UUID_INSTANT + 0, 0, "denials",
          "allocations denied because of claims", 0, NULL);
    track(p, UUID_INSTANT + 1, 0, "refused stakes",
          "XENMEM_claim_pages requests refused", 0, NULL);
}

void xca_pf_domain(struct xca_pf *p, uint32_t domid)
{
    uint64_t base = UUID_DOM + (uint64_t)domid * 4;
    char name[16];

    if (!p->f)
        return;
    snprintf(name, sizeof(name), "d%u", domid);
    track(p, base, 0, name, NULL, 0, NULL);
    track(p, base + 1, base, "claim", "outstanding claim", 1, NULL);
    track(p, base + 2, base, "tot_pages", "pages owned", 1, NULL);
}

static void counter(struct xca_pf *p, uint64_t uuid, uint64_t tsc,
                    int64_t pages)
{
    struct pb pkt = { .n = 0 }, te = { .n = 0 };

    if (!p->f)
        return;
    pb_uint(&te, 9, 4);                 /* TYPE_COUNTER */
    pb_uint(&te, 11, uuid);
    pb_uint(&te, 30, (uint64_t)bytes(pages));
    pb_uint(&pkt, 8, ns(p, tsc));
    pb_msg(&pkt, 11, &te);
    put_packet(p, &pkt);
}

void xca_pf_host(struct xca_pf *p, unsigned int s, uint64_t tsc,
                 int64_t pages)
{
    counter(p, UUID_SERIES + s, tsc, pages);
}

void xca_pf_dom(struct xca_pf *p, uint32_t domid, unsigned int what,
                uint64_t tsc, int64_t pages)
{
    counter(p, UUID_DOM + (uint64_t)domid * 4 + 1 + what, tsc, pages);
}

void xca_pf_instant(struct xca_pf *p, unsigned int trk, uint64_t tsc,
                    const char *name)
{
    struct pb pkt = { .n = 0 }, te = { .n = 0 };

    if (!p->f)
        return;
    pb_uint(&te, 9, 3);                 /* TYPE_INSTANT */
    pb_uint(&te, 11, UUID_INSTANT + trk);
    pb_str(&te, 23, name);
    pb_uint(&pkt, 8, ns(p, tsc));
    pb_msg(&pkt, 11, &te);
    put_packet(p, &pkt);
}

int xca_pf_end(struct xca_pf *p)
{
    if (p->f && fflush(p->f) == EOF)
        p->err = -EIO;
    return p->err;
}
