/* tbuf_write.c: the producer: one record into a CPU's ring, as Xen. */
/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "tbuf.h"
#include "tbuf_layout.h"
#include "xct_record.h"

/* LOST_RECORDS: header, TSC, {lost, domid | vcpu << 16, first_tsc}. */
#define LOST_BYTES  (4u + 8u + 4u * XCT_LOST_RECORDS_WORDS)

/* Single-writer counter update: no read-modify-write needed. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/*
 * Pad the gap of g bytes (4..36, a multiple of 4) at dst up to the end of
 * the ring with one WRAP_BUFFER record of exactly g bytes: no TSC and
 * (g - 4) / 4 words up to 32 bytes; a TSC (tsc, so that TSCs stay in
 * order) and 6 words for 36.
 */
static void put_pad(uint8_t *dst, uint32_t g, uint64_t tsc)
{
    struct xct_record pad;
    size_t n;

    memset(&pad, 0, sizeof(pad));
    pad.event = XCT_TRC_WRAP_BUFFER;
    if (g <= 4 + 4 * XCT_HDR_WORDS_MASK) {
        pad.nwords = (g - 4) / 4;
    } else {
        pad.has_tsc = 1;
        pad.tsc = tsc;
        pad.nwords = (g - 12) / 4;
    }
    n = xct_record_encode(dst, g, &pad);
    assert(n == g);
    (void)n;
}

static void put_lost(uint8_t *dst, unsigned int cpu, uint32_t lost,
                     uint64_t first_tsc, uint64_t tsc)
{
    struct xct_record r;
    size_t n;

    r.event = XCT_TRC_LOST_RECORDS;
    r.nwords = XCT_LOST_RECORDS_WORDS;
    r.has_tsc = 1;
    r.tsc = tsc;
    r.words[0] = lost;
    r.words[1] = XTB_LOST_DOMID | (uint32_t)cpu << 16;
    r.words[2] = (uint32_t)first_tsc;
    r.words[3] = (uint32_t)(first_tsc >> 32);
    n = xct_record_encode(dst, LOST_BYTES, &r);
    assert(n == LOST_BYTES);
    (void)n;
}

/* A producer crossed half full: count it, wake a sleeping consumer. */
static void notify_half_full(struct xtb_ctl *ctl)
{
    /*
     * Both seq_cst: with the store to waiters and the load of notify in
     * xtb_wait(), either we see the waiter or it sees the new count.
     */
    atomic_fetch_add(&ctl->notify, 1);
    if (atomic_load(&ctl->waiters))
        xtb_futex_wake(&ctl->notify);
}

int xtb_write(struct xtb_area *a, unsigned int cpu, uint32_t event,
              uint64_t tsc, unsigned int nwords, const uint32_t *words)
{
    struct xtb_ctl *ctl = a->ctl;
    struct xtb_cpu_ctl *cc;
    struct xtb_ring *ring;
    uint32_t dsize = a->dsize, half = dsize / 2;
    uint32_t prod, cons, used, pos, tail, need, lost, rsize;
    uint32_t lost_pad = 0, rec_pad = 0;
    uint64_t cmask;

    if (cpu >= a->ncpus || nwords > XCT_HDR_WORDS_MASK ||
        (event & ~XCT_HDR_EVENT_MASK))
        return -EINVAL;
    cc = &ctl->cpu[cpu];
    cmask = atomic_load_explicit(&ctl->cpu_mask[cpu / 64],
                                 memory_order_relaxed);
    if (!atomic_load_explicit(&ctl->enabled, memory_order_relaxed) ||
        !((cmask >> (cpu % 64)) & 1) ||
        !xtb_mask_match_inline(atomic_load_explicit(&ctl->evt_mask,
                                                    memory_order_relaxed),
                               event)) {
        bump(&cc->filtered, 1);
        return 0;
    }

    ring = &a->ring[cpu];
    /* Only this thread writes prod. */
    prod = atomic_load_explicit(&ring->hdr->prod, memory_order_relaxed);
    /*
     * Pairs with the release in xtb_consume() and xtb_discard(): the
     * consumer is done reading the bytes we may now overwrite.
     */
    cons = atomic_load_explicit(&ring->hdr->cons, memory_order_acquire);
    if (prod >= 2 * dsize || cons >= 2 * dsize || (prod | cons) % 4)
        return -EIO;
    used = xtb_ring_used(prod, cons, dsize);
    if (used > dsize)
        return -EIO;

    /* Plan: [pad] [LOST_RECORDS] [pad] record, no record across the end. */
    rsize = 4 + 8 + 4 * nwords;
    lost = atomic_load_explicit(&cc->lost_pending, memory_order_relaxed);
    pos = xtb_ring_pos(prod, dsize);
    tail = dsize - pos;
    need = 0;
    if (lost) {
        if (LOST_BYTES > tail) {
            lost_pad = tail;
            need += tail;
            tail = dsize;
        }
        need += LOST_BYTES;
        tail -= LOST_BYTES;
        if (!tail)
            tail = dsize;
    }
    if (rsize > tail) {
        rec_pad = tail;
        need += tail;
    }
    need += rsize;

    if (need > dsize - used) {
        if (!lost)
            atomic_store_explicit(&cc->first_lost_tsc, tsc,
                                  memory_order_relaxed);
        if (lost != UINT32_MAX)
            atomic_store_explicit(&cc->lost_pending, lost + 1,
                                  memory_order_relaxed);
        bump(&cc->dropped, 1);
        return -ENOSPC;
    }

    if (lost) {
        if (lost_pad) {
            put_pad(ring->data + pos, lost_pad, tsc);
            pos = 0;
        }
        put_lost(ring->data + pos, cpu, lost,
                 atomic_load_explicit(&cc->first_lost_tsc,
                                      memory_order_relaxed), tsc);
        pos += LOST_BYTES;
        if (pos == dsize)
            pos = 0;
    }
    if (rec_pad) {
        put_pad(ring->data + pos, rec_pad, tsc);
        pos = 0;
    }
    /* The record: header, TSC, payload (xct_record.h's layout). */
    {
        uint8_t *p = ring->data + pos;
        uint32_t w[3];
        unsigned int i;

        w[0] = xct_record_header(event, nwords, 1);
        w[1] = (uint32_t)tsc;
        w[2] = (uint32_t)(tsc >> 32);
        memcpy(p, w, sizeof(w));
        /* At most 7 words: a loop beats a call to memcpy. */
        for (i = 0; i < nwords; i++)
            memcpy(p + sizeof(w) + 4 * i, &words[i], 4);
    }

    /* Pairs with the acquire in xtb_consume(): the bytes before prod. */
    atomic_store_explicit(&ring->hdr->prod, xtb_ring_add(prod, need, dsize),
                          memory_order_release);

    if (lost) {
        atomic_store_explicit(&cc->lost_pending, 0, memory_order_relaxed);
        bump(&cc->lost_records, 1);
    }
    if (lost_pad | rec_pad)
        bump(&cc->wraps, (lost_pad != 0) + (rec_pad != 0));
    bump(&cc->written, 1);
    bump(&cc->bytes, need);
    if (used < half && used + need >= half)
        notify_half_full(ctl);
    return 1;
}
