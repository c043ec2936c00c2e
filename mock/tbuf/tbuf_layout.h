/* tbuf_layout.h: private area layout and ring arithmetic of mock/tbuf. */
/* SPDX-License-Identifier: MIT */
#ifndef XTB_TBUF_LAYOUT_H
#define XTB_TBUF_LAYOUT_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tbuf.h"

#define XTB_MAGIC           0x31425458u /* "XTB1" */
#define XTB_VERSION         1u
#define XTB_MAX_PAGES       0xffffu     /* t_info's tbuf_size is a u16 */
#define XTB_TINFO_PAGE      0u
#define XTB_CTL_PAGE        1u
#define XTB_RING_HDR_BYTES  8u          /* u32 cons, u32 prod */

/* The start of each CPU's first buffer page (Xen's struct t_buf). */
struct xtb_ring_hdr {
    _Atomic uint32_t cons;  /* written by the consumer only */
    _Atomic uint32_t prod;  /* written by the CPU's producer only */
};

/*
 * Per-CPU control block, one cache line each so that the producers of two
 * CPUs never share one.  Single writer (the CPU's producer): relaxed
 * load + store, no read-modify-write.
 */
struct xtb_cpu_ctl {
    _Atomic uint64_t written;
    _Atomic uint64_t dropped;
    _Atomic uint64_t filtered;
    _Atomic uint64_t lost_records;
    _Atomic uint64_t wraps;
    _Atomic uint64_t bytes;
    _Atomic uint64_t first_lost_tsc;    /* TSC of the first pending drop */
    _Atomic uint32_t lost_pending;      /* drops not yet reported */
    uint32_t pad;
} __attribute__((aligned(64)));

/* The control pages, from page XTB_CTL_PAGE on. */
struct xtb_ctl {
    /* Geometry: written once by the creator, before the file appears. */
    uint32_t magic;
    uint32_t version;
    uint32_t ncpus;
    uint32_t pages;             /* per CPU, as t_info's tbuf_size */
    uint32_t ctl_pages;
    uint32_t area_pages;
    uint32_t page_size;
    uint32_t ctl_bytes;         /* sizeof(struct xtb_ctl) of the creator */

    _Atomic uint32_t enabled;
    _Atomic uint32_t enable_gen;    /* futex word: +1 on each enable */
    _Atomic uint32_t evt_mask;
    _Atomic uint32_t notify;        /* futex word: +1 on each half-full */
    _Atomic uint32_t waiters;       /* a consumer sleeps on notify */
    uint32_t pad;
    _Atomic uint64_t cpu_mask[XTB_CPU_MASK_WORDS];

    struct xtb_cpu_ctl cpu[];
} __attribute__((aligned(64)));

/* One CPU's ring as this process sees it. */
struct xtb_ring {
    struct xtb_ring_hdr *hdr;
    uint8_t *data;              /* D bytes after the header */
    void *view;                 /* own mapping when the frames are not
                                   contiguous in the file, else NULL */
    size_t view_len;
};

/* A handle (process-local). */
struct xtb_area {
    int fd;
    uint8_t *base;              /* the whole file, shared */
    size_t size;
    struct xtb_ctl *ctl;
    unsigned int ncpus;
    unsigned int pages;
    uint32_t dsize;
    struct xtb_ring *ring;      /* [ncpus] */
    xtb_enable_hook_fn *hook;
    void *hook_arg;
    uint32_t seen_gen;          /* enable generation the hook last saw */
    int is_memfd;
    char *path;
};

/*
 * futex(2) on a word of the shared area (not process-private, since the
 * area is shared between processes).  Wait while *word == val, at most
 * timeout_ms (< 0: no limit): 0 when woken, -EAGAIN when *word had
 * changed, -ETIMEDOUT, -EINTR.
 */
static inline int xtb_futex_wait(_Atomic uint32_t *word, uint32_t val,
                                 int timeout_ms)
{
    struct timespec ts, *tp = NULL;

    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, val, tp, NULL, 0))
        return -errno;
    return 0;
}

/* Wake every waiter on word. */
static inline void xtb_futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT32_MAX, NULL, NULL,
            0);
}

/*
 * Ring arithmetic.  Offsets x live in [0, 2D); the byte they name is at
 * x mod D in the data.
 */

/* Unconsumed bytes between cons and prod. */
static inline uint32_t xtb_ring_used(uint32_t prod, uint32_t cons,
                                     uint32_t dsize)
{
    return prod >= cons ? prod - cons : prod + 2 * dsize - cons;
}

/* Position in the data of offset x. */
static inline uint32_t xtb_ring_pos(uint32_t x, uint32_t dsize)
{
    return x >= dsize ? x - dsize : x;
}

/* Offset x moved on by n bytes (n <= D). */
static inline uint32_t xtb_ring_add(uint32_t x, uint32_t n, uint32_t dsize)
{
    x += n;
    return x >= 2 * dsize ? x - 2 * dsize : x;
}

/* xtb_mask_match(), inline for the writer's hot path. */
static inline int xtb_mask_match_inline(uint32_t mask, uint32_t event)
{
    uint32_t m_cls = (mask >> 16) & 0xfffu, e_cls = (event >> 16) & 0xfffu;
    uint32_t m_sub = (mask >> 12) & 0xfu, e_sub = (event >> 12) & 0xfu;

    return (mask & event) != 0 && (m_cls & e_cls) != 0 &&
           (m_sub & e_sub) != 0;
}

#endif /* XTB_TBUF_LAYOUT_H */
