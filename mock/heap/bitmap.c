/* bitmap.c: hierarchical bitmap with 64-ary summaries (heap internal). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"

int mheap_bm_init(struct mheap_bm *b, uint64_t nbits)
{
    uint64_t n = nbits, total = 0;
    unsigned int l = 0;

    memset(b, 0, sizeof(*b));
    if (nbits == 0)
        return -EINVAL;
    for (;;) {
        uint64_t words = (n + 63) / 64;

        if (l == MHEAP_BM_MAX_LEVELS)
            return -EINVAL;         /* more than 2^48 bits */
        b->nwords[l++] = words;
        total += words;
        if (words == 1)
            break;
        n = words;
    }
    if (total > SIZE_MAX / sizeof(uint64_t))
        return -ENOMEM;
    b->mem = calloc(total, sizeof(uint64_t));
    if (!b->mem)
        return -ENOMEM;
    b->nbits = nbits;
    b->nlevels = l;
    b->lv[0] = b->mem;
    for (l = 1; l < b->nlevels; l++)
        b->lv[l] = b->lv[l - 1] + b->nwords[l - 1];
    return 0;
}

void mheap_bm_fini(struct mheap_bm *b)
{
    free(b->mem);
    memset(b, 0, sizeof(*b));
}

uint64_t mheap_bm_find_next(const struct mheap_bm *b, uint64_t from)
{
    unsigned int l = 0;
    uint64_t i = from;

    /* Climb until a word holds a set bit at or after i ... */
    for (;;) {
        uint64_t w = i >> 6, word;

        if (w >= b->nwords[l])
            return MHEAP_BM_NONE;
        word = b->lv[l][w] & (~0ULL << (i & 63));
        if (word) {
            i = (w << 6) | (uint64_t)__builtin_ctzll(word);
            break;
        }
        if (++l == b->nlevels)
            return MHEAP_BM_NONE;
        i = w + 1;                  /* next word of the level below */
    }
    /* ... then descend through the first set bit of each summary. */
    while (l > 0) {
        l--;
        i = (i << 6) | (uint64_t)__builtin_ctzll(b->lv[l][i]);
    }
    return i;
}

bool mheap_bm_any_aligned(const struct mheap_bm *b, uint64_t i,
                          unsigned int p)
{
    unsigned int l = p / 6;
    unsigned int span = 1u << (p % 6);      /* bits at level l, <= 32 */
    uint64_t mask;

    if (l >= b->nlevels)                    /* the range covers it all */
        return b->lv[b->nlevels - 1][0] != 0;
    i >>= 6 * l;
    mask = ((1ULL << span) - 1) << (i & 63);
    return (b->lv[l][i >> 6] & mask) != 0;
}

/* Bits of level l must be zero from index n on. */
static int check_padding(const struct mheap_bm *b, unsigned int l,
                         uint64_t n, const char *what)
{
    uint64_t w;

    for (w = n >> 6; w < b->nwords[l]; w++) {
        uint64_t keep = w == n >> 6 ? (1ULL << (n & 63)) - 1 : 0;

        if (b->lv[l][w] & ~keep) {
            fprintf(stderr, "mheap_check: %s level %u: bits set past %llu "
                    "in word %llu\n", what, l, (unsigned long long)n,
                    (unsigned long long)w);
            return -EIO;
        }
    }
    return 0;
}

int mheap_bm_check(const struct mheap_bm *b, const char *what)
{
    unsigned int l;
    uint64_t j;

    if (check_padding(b, 0, b->nbits, what))
        return -EIO;
    for (l = 1; l < b->nlevels; l++) {
        for (j = 0; j < b->nwords[l - 1]; j++) {
            bool want = b->lv[l - 1][j] != 0;
            bool have = (b->lv[l][j >> 6] >> (j & 63)) & 1;

            if (want != have) {
                fprintf(stderr, "mheap_check: %s level %u bit %llu is %d, "
                        "expected %d\n", what, l, (unsigned long long)j,
                        have, want);
                return -EIO;
            }
        }
        if (check_padding(b, l, b->nwords[l - 1], what))
            return -EIO;
    }
    return 0;
}
