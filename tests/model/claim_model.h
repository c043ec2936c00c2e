/* claim_model.h: a reference model of memory claims, apart from hv/. */
/* SPDX-License-Identifier: MIT */
/*
 * The model predicts, operation by operation, what hv/ must answer and
 * what state it must be left in, from docs/claims.md alone plus the few
 * implementation details a prediction needs (named below).  It shares no
 * code with hv/: the host is a plain struct, the heap is one state byte
 * per frame plus a free bitmap, and every block question is answered by an
 * exhaustive search over aligned positions.
 *
 * Details of hv/ and mock/hvhost the model follows on purpose:
 *  - a request refused by the claim check that exceeds free + freeable
 *    pages is an ordinary failure (alloc_failed), not a claim denial;
 *  - an allocation that finds no block evicts tmem pages, most recently
 *    put first, 2^order at a time, until a block exists or the pool is
 *    empty (hv's tmem_reclaim over the host's LIFO pool);
 *  - MEMF_exact_node with a node restricts the search to that node, any
 *    other node bits are only a preference that must be honoured when the
 *    preferred node has a block;
 *  - an allocation that would count towards a dying domain's tot_pages
 *    is refused before the heap is looked at (nothing changes, nothing is
 *    traced); a MEMF_no_refcount one for a dying domain gets its block,
 *    which then goes straight back;
 *  - a tmem put takes a frame of the first node with a free frame, the
 *    first frame of the smallest maximal free block of that node, the
 *    lowest-addressed of that size (mock/heap's documented policy).  The
 *    model must know that frame because eviction order depends on it.
 *
 * Typical use, one operation at a time:
 *
 *     struct cm *m = cm_new(&cfg);
 *     cm_dom_create(m, 0, true);
 *     rc = cm_claim(m, &req, &out);         // predicted result, applied
 *     cm_alloc_begin(m, &a);                // kind: DENIED, FAILED, OK...
 *     if (a.kind == CM_ALLOC_OK)
 *         cm_alloc_take(m, &a, mfn_hv_gave);   // -EPROTO if impossible
 *     cm_free_pages(m, mfn, order, &owner, &counted);
 *     cm_free(m);
 *
 * Not thread-safe.  Functions that find hv's answer impossible return
 * -EPROTO and leave a message for cm_error().
 */
#ifndef CLAIM_MODEL_H
#define CLAIM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define CM_MAX_NODES    64
#define CM_MAX_DOMID    0x7fefu     /* highest ordinary domain id */
#define CM_ANON         0x7ff4u     /* no domain (DOMID_INVALID) */
#define CM_MAX_ORDER    18          /* larger requests: NULL, untraced */

/* Claim flags. */
#define CM_CLAIMF_FREE_ONLY     (1u << 0)

/* Allocator flags (Xen's MEMF_* bit numbers). */
#define CM_MEMF_NO_REFCOUNT     (1u << 0)
#define CM_MEMF_TMEM            (1u << 2)
#define CM_MEMF_EXACT_NODE      (1u << 4)
#define CM_MEMF_NO_OWNER        (1u << 5)
#define CM_MEMF_NODE(n)         ((((unsigned int)(n) + 1u) & 0xffu) << 8)
#define CM_NO_NODE              0xffu

/* What a frame is. */
enum cm_frame {
    CM_FRAME_FREE,
    CM_FRAME_USED,      /* allocated: to a domain or anonymous */
    CM_FRAME_TMEM,      /* in tmem's ephemeral pool */
    CM_FRAME_OFFLINE,
};

struct cm_config {
    unsigned int nr_nodes;                  /* 1..CM_MAX_NODES */
    uint64_t node_pages[CM_MAX_NODES];
    uint64_t tmem_capacity;
};

/* One domain as the model sees it. */
struct cm_dom {
    bool exists;
    bool dying;
    bool priv;
    uint32_t tot;       /* tot_pages */
    uint32_t max;       /* max_pages */
    uint32_t claim;     /* outstanding_pages */
};

/* Host totals. */
struct cm_totals {
    uint64_t free;
    uint64_t freeable;
    uint64_t outstanding;
    unsigned int nr_nodes;
    uint64_t node_free[CM_MAX_NODES];
    uint64_t used, offline;     /* frames allocated, frames offline */
};

/* A XENMEM_claim_pages request. */
struct cm_claim_req {
    uint32_t caller;            /* calling domain (privilege) */
    uint32_t domid;
    uint64_t nr_pages;
    unsigned int flags;
    unsigned int extent_order;
    bool extent_list;           /* a non-null extent list was given */
};

/* What a claim request must leave behind, including its trace record. */
struct cm_claim_out {
    int rc;
    bool domain_known;          /* record carries the domain's figures */
    uint32_t claim;             /* record's claim field */
    uint32_t tot;               /* record's tot_pages field */
    uint32_t released;          /* claim cancelled by nr_pages 0 */
};

enum cm_alloc_kind {
    CM_ALLOC_BAD_ORDER,         /* order > CM_MAX_ORDER: NULL, no record */
    CM_ALLOC_DYING,             /* counted pages for a dying domain: NULL,
                                   no record */
    CM_ALLOC_DENIED,            /* refused because of claims */
    CM_ALLOC_FAILED,            /* no aligned free block (after eviction),
                                   or more than free + freeable pages
                                   (then nothing is evicted) */
    CM_ALLOC_ASSIGN_FAILED,     /* got a block, assignment failed */
    CM_ALLOC_OK,                /* pages handed out: cm_alloc_take() next */
};

/* An allocation: filled by the caller, then by cm_alloc_begin(). */
struct cm_alloc {
    uint32_t domid;             /* CM_ANON: anonymous */
    unsigned int order;
    unsigned int memflags;      /* CM_MEMF_* */
    /* Predicted by cm_alloc_begin(). */
    enum cm_alloc_kind kind;
    uint32_t evicted;           /* tmem pages evicted by this allocation */
    uint32_t drawn;             /* pages drawn from the domain's claim */
    bool counted;               /* pages count towards tot_pages */
    bool owned;                 /* pages end up owned by domid */
};

/*
 * Create a model host: cfg's nodes, all frames free, no domain, an empty
 * tmem pool.  The caller owns the result (cm_free()).  NULL with errno
 * EINVAL (bad config) or ENOMEM.
 */
struct cm *cm_new(const struct cm_config *cfg);
/* Free m.  Accepts NULL. */
void cm_free(struct cm *m);
/* Message about the last -EPROTO (or ""); valid until the next call. */
const char *cm_error(const struct cm *m);

/* Total frames, and a frame's state (-EINVAL when out of range). */
uint64_t cm_nr_frames(const struct cm *m);
int cm_frame_state(const struct cm *m, uint64_t mfn);
/* Owner of an allocated frame (CM_ANON for anonymous or not allocated). */
uint32_t cm_frame_owner(const struct cm *m, uint64_t mfn);
/* Node of a frame (-EINVAL when out of range). */
int cm_frame_node(const struct cm *m, uint64_t mfn);

/* Host totals. */
void cm_totals(const struct cm *m, struct cm_totals *t);
/* Domain domid, or NULL when it does not exist. */
const struct cm_dom *cm_dom(const struct cm *m, uint32_t domid);
/* Pages in the tmem pool. */
uint64_t cm_tmem_pages(const struct cm *m);

/*
 * Recount everything from the frame map (free, per-node free, freeable,
 * the pool) and the domains (outstanding = sum of claims, no claim on a
 * dying domain).  0, or -EPROTO with cm_error().
 */
int cm_self_check(const struct cm *m);

/* Domains.  0, -EEXIST, -EINVAL (domid above CM_MAX_DOMID). */
int cm_dom_create(struct cm *m, uint32_t domid, bool priv);
/* Set max_pages (clamped to 32 bits).  0 or -ESRCH. */
int cm_dom_set_max(struct cm *m, uint32_t domid, uint64_t max_pages);
/* Mark dying, release the claim into *released.  0 or -ESRCH. */
int cm_dom_kill(struct cm *m, uint32_t domid, uint32_t *released);
/* Remove a dying domain: 0, -EBUSY (tot_pages), -EINVAL (not dying),
 * -ESRCH. */
int cm_dom_destroy(struct cm *m, uint32_t domid);

/* XENMEM_claim_pages: the predicted result (also in out->rc), applied. */
int cm_claim(struct cm *m, const struct cm_claim_req *req,
             struct cm_claim_out *out);

/*
 * Predict an allocation (a->domid must be CM_ANON or an existing domain).
 * Applies everything but the OK case's frames: evictions, the claim drawn
 * by an allocation whose assignment fails.  For CM_ALLOC_OK the caller
 * must call cm_alloc_take() with the block hv handed out.  0, -EINVAL.
 */
int cm_alloc_begin(struct cm *m, struct cm_alloc *a);
/*
 * hv handed out the block at mfn for a (predicted CM_ALLOC_OK): check it
 * was aligned, free, on an allowed node (on the preferred node when that
 * node had a block), and apply the allocation.  0 or -EPROTO.
 */
int cm_alloc_take(struct cm *m, struct cm_alloc *a, uint64_t mfn);

/*
 * Free the 2^order frames at mfn, all allocated to one owner with the same
 * accounting.  *owner and *counted say whose they were.  0, -EINVAL when
 * the frames are not such a piece (a harness bug: hv is not called).
 */
int cm_free_pages(struct cm *m, uint64_t mfn, unsigned int order,
                  uint32_t *owner, bool *counted);

/*
 * Put one page into tmem (predicted frame in *mfn): 0, -ENOSPC (pool
 * full), -ENOMEM (no free frame).  Flush the newest page out: 0 (frame in
 * *mfn), -ENOENT.
 */
int cm_tmem_put(struct cm *m, uint64_t *mfn);
int cm_tmem_flush(struct cm *m, uint64_t *mfn);

/* Offline a free frame: 0, -EBUSY (allocated or in tmem), -EINVAL. */
int cm_offline(struct cm *m, uint64_t mfn);
/* Bring an offline frame back: 0, -EINVAL. */
int cm_online(struct cm *m, uint64_t mfn);

/* Whether an aligned free 2^order block lies on node (brute force). */
bool cm_has_block(const struct cm *m, unsigned int node, unsigned int order);

#endif /* CLAIM_MODEL_H */
