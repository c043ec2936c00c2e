/* bitmap.h: hierarchical bitmap with 64-ary summaries (heap internal). */
/* SPDX-License-Identifier: MIT */
#ifndef MHEAP_BITMAP_H
#define MHEAP_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Level 0 holds one bit per element.  Bit j of level l+1 is set exactly
 * when word j of level l is not zero, so bit j of level l summarises the
 * 64^l leaf bits [j * 64^l, (j + 1) * 64^l).  The top level is one word.
 * Bits past the end of each level are always zero.
 */
#define MHEAP_BM_MAX_LEVELS 8
#define MHEAP_BM_NONE UINT64_MAX

struct mheap_bm {
    uint64_t nbits;                           /* leaf bits */
    unsigned int nlevels;
    uint64_t nwords[MHEAP_BM_MAX_LEVELS];     /* words per level */
    uint64_t *lv[MHEAP_BM_MAX_LEVELS];        /* levels, inside mem */
    uint64_t *mem;
};

/*
 * Set up an all-zero bitmap of nbits (>= 1) bits.  Returns 0; -EINVAL for
 * 0 bits, -ENOMEM.  Release with mheap_bm_fini().
 */
int mheap_bm_init(struct mheap_bm *b, uint64_t nbits);

/* Release the memory of b (safe on a zeroed or finished bitmap). */
void mheap_bm_fini(struct mheap_bm *b);

/* First set bit at index >= from, or MHEAP_BM_NONE. */
uint64_t mheap_bm_find_next(const struct mheap_bm *b, uint64_t from);

/*
 * Whether any bit of [i, i + 2^p) is set; i < nbits must be a multiple of
 * 2^p.  O(1).
 */
bool mheap_bm_any_aligned(const struct mheap_bm *b, uint64_t i,
                          unsigned int p);

/*
 * Verify the summary levels and the zero padding; 0, or -EIO with a message
 * naming what on stderr.
 */
int mheap_bm_check(const struct mheap_bm *b, const char *what);

/* Whether bit i (< nbits) is set. */
static inline bool mheap_bm_test(const struct mheap_bm *b, uint64_t i)
{
    return (b->lv[0][i >> 6] >> (i & 63)) & 1;
}

/* Set bit i (< nbits) and the summary bits above it. */
static inline void mheap_bm_set(struct mheap_bm *b, uint64_t i)
{
    unsigned int l;

    for (l = 0; l < b->nlevels; l++) {
        uint64_t *w = &b->lv[l][i >> 6];
        uint64_t old = *w;

        *w = old | (1ULL << (i & 63));
        if (old)
            break;          /* the summary above already says non-zero */
        i >>= 6;
    }
}

/* Clear bit i (< nbits) and the summary bits that become stale. */
static inline void mheap_bm_clear(struct mheap_bm *b, uint64_t i)
{
    unsigned int l;

    for (l = 0; l < b->nlevels; l++) {
        uint64_t *w = &b->lv[l][i >> 6];

        *w &= ~(1ULL << (i & 63));
        if (*w)
            break;          /* word still non-zero: summary unchanged */
        i >>= 6;
    }
}

#endif /* MHEAP_BITMAP_H */
