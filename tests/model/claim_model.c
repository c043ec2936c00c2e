/* claim_model.c: a reference model of memory claims, apart from hv/. */
/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/model/claim_model.h"

#define NONE            UINT64_MAX
#define HEAP_MAX_ORDER  18      /* largest block the mock heap keeps */

struct frame {
    uint8_t state;              /* enum cm_frame */
    uint8_t counted;            /* counts towards the owner's tot_pages */
    uint16_t owner;             /* domid, CM_ANON */
};

struct cm {
    unsigned int nr_nodes;
    uint64_t base[CM_MAX_NODES + 1];    /* node i: [base[i], base[i+1]) */
    uint64_t nr;
    struct frame *fr;
    uint64_t *freemap;                  /* one bit per free frame */

    uint64_t free, freeable, outstanding, used, offline;
    uint64_t node_free[CM_MAX_NODES];

    uint64_t *pool;                     /* tmem pool, newest last */
    uint64_t pool_n, pool_cap;

    struct cm_dom *doms;                /* CM_MAX_DOMID + 1 */
    char err[320];
};

/* Bits at the positions of aligned 2^k runs in a 64-frame word, k < 6. */
static const uint64_t run_heads[6] = {
    ~0ULL, 0x5555555555555555ULL, 0x1111111111111111ULL,
    0x0101010101010101ULL, 0x0001000100010001ULL, 0x0000000100000001ULL,
};

static int proto(struct cm *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int proto(struct cm *m, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(m->err, sizeof(m->err), fmt, ap);
    va_end(ap);
    return -EPROTO;
}

/* ---- frames ---------------------------------------------------------- */

static unsigned int node_of(const struct cm *m, uint64_t mfn)
{
    unsigned int n = 0;

    while (n + 1 < m->nr_nodes && mfn >= m->base[n + 1])
        n++;
    return n;
}

static bool is_free(const struct cm *m, uint64_t mfn)
{
    return (m->freemap[mfn >> 6] >> (mfn & 63)) & 1;
}

static void set_state(struct cm *m, uint64_t mfn, enum cm_frame st,
                      uint32_t owner, bool counted)
{
    m->fr[mfn].state = (uint8_t)st;
    m->fr[mfn].owner = (uint16_t)owner;
    m->fr[mfn].counted = counted;
    if (st == CM_FRAME_FREE)
        m->freemap[mfn >> 6] |= 1ULL << (mfn & 63);
    else
        m->freemap[mfn >> 6] &= ~(1ULL << (mfn & 63));
}

/* Whether [head, head + 2^k) is aligned, inside node and entirely free. */
static bool block_free(const struct cm *m, unsigned int node, uint64_t head,
                       unsigned int k)
{
    uint64_t size = 1ULL << k, i;

    if (head & (size - 1))
        return false;
    if (head < m->base[node] || head + size > m->base[node + 1])
        return false;
    if (k >= 6) {
        for (i = 0; i < size / 64; i++)
            if (m->freemap[(head >> 6) + i] != ~0ULL)
                return false;
        return true;
    }
    return ((m->freemap[head >> 6] >> (head & 63)) & ((1ULL << size) - 1)) ==
           (1ULL << size) - 1;
}

/*
 * Lowest head >= from of an aligned, entirely free 2^k block inside node,
 * or NONE.  Every aligned position is tried (64 at a time below order 6).
 */
static uint64_t next_block(const struct cm *m, unsigned int node,
                           unsigned int k, uint64_t from)
{
    uint64_t size = 1ULL << k;
    uint64_t lo = m->base[node], hi = m->base[node + 1];
    uint64_t p = from > lo ? from : lo;
    uint64_t w, wi;
    unsigned int s;

    p = (p + size - 1) & ~(size - 1);
    if (k >= 6) {
        for (; p + size <= hi; p += size)
            if (block_free(m, node, p, k))
                return p;
        return NONE;
    }
    while (p + size <= hi) {
        wi = p >> 6;
        w = m->freemap[wi];
        for (s = 1; s < size; s <<= 1)
            w &= w >> s;            /* bit i: frames i..i+size-1 free */
        w &= run_heads[k] & (~0ULL << (p & 63));
        if (w) {
            p = (wi << 6) + (uint64_t)__builtin_ctzll(w);
            return p + size <= hi ? p : NONE;
        }
        p = (wi + 1) << 6;
    }
    return NONE;
}

bool cm_has_block(const struct cm *m, unsigned int node, unsigned int order)
{
    if (node >= m->nr_nodes || order > HEAP_MAX_ORDER)
        return false;
    return next_block(m, node, order, 0) != NONE;
}

/* Preferred node of memflags, CM_NO_NODE when none. */
static unsigned int want_node(unsigned int memflags)
{
    return ((memflags >> 8) - 1) & 0xffu;
}

/* May an allocation with memflags be served from node? */
static bool node_allowed(unsigned int memflags, unsigned int node)
{
    unsigned int want = want_node(memflags);

    if (want != CM_NO_NODE && (memflags & CM_MEMF_EXACT_NODE))
        return node == want;
    return true;
}

static bool any_block(const struct cm *m, unsigned int memflags,
                      unsigned int order)
{
    unsigned int n;

    for (n = 0; n < m->nr_nodes; n++)
        if (node_allowed(memflags, n) && cm_has_block(m, n, order))
            return true;
    return false;
}

/* Evict up to count pages from tmem, newest first.  Returns how many. */
static uint64_t evict(struct cm *m, uint64_t count)
{
    uint64_t n = 0, mfn;

    while (n < count && m->pool_n) {
        mfn = m->pool[--m->pool_n];
        set_state(m, mfn, CM_FRAME_FREE, CM_ANON, false);
        m->freeable--;
        m->free++;
        m->node_free[node_of(m, mfn)]++;
        n++;
    }
    return n;
}

/*
 * The frame the mock heap hands out for one page: first node with a free
 * frame; there the smallest maximal free block, lowest address first, of
 * which the first frame.  A block is maximal when its parent block is not
 * entirely free inside the node (buddies are always merged).
 */
static uint64_t single_frame(const struct cm *m)
{
    unsigned int n, k;
    uint64_t h, parent;

    for (n = 0; n < m->nr_nodes; n++) {
        if (!m->node_free[n])
            continue;
        for (k = 0; k <= HEAP_MAX_ORDER; k++) {
            h = next_block(m, n, k, 0);
            while (h != NONE) {
                parent = h & ~((2ULL << k) - 1);
                if (k == HEAP_MAX_ORDER ||
                    !block_free(m, n, parent, k + 1))
                    return h;
                h = next_block(m, n, k, h + (1ULL << k));
            }
        }
        return NONE;
    }
    return NONE;
}

/* ---- set-up, getters ----------------------------------------------- */

struct cm *cm_new(const struct cm_config *cfg)
{
    struct cm *m;
    unsigned int i;
    uint64_t f;

    if (!cfg || !cfg->nr_nodes || cfg->nr_nodes > CM_MAX_NODES) {
        errno = EINVAL;
        return NULL;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    m->nr_nodes = cfg->nr_nodes;
    for (i = 0; i < cfg->nr_nodes; i++) {
        if (!cfg->node_pages[i]) {
            free(m);
            errno = EINVAL;
            return NULL;
        }
        m->base[i + 1] = m->base[i] + cfg->node_pages[i];
        m->node_free[i] = cfg->node_pages[i];
    }
    m->nr = m->base[cfg->nr_nodes];
    m->free = m->nr;
    m->pool_cap = cfg->tmem_capacity;
    m->fr = calloc(m->nr, sizeof(*m->fr));
    m->freemap = calloc((m->nr + 63) / 64 + 1, sizeof(uint64_t));
    m->pool = calloc(m->pool_cap + 1, sizeof(uint64_t));
    m->doms = calloc(CM_MAX_DOMID + 1, sizeof(*m->doms));
    if (!m->fr || !m->freemap || !m->pool || !m->doms) {
        cm_free(m);
        errno = ENOMEM;
        return NULL;
    }
    for (f = 0; f < m->nr; f++)
        set_state(m, f, CM_FRAME_FREE, CM_ANON, false);
    return m;
}

void cm_free(struct cm *m)
{
    if (!m)
        return;
    free(m->fr);
    free(m->freemap);
    free(m->pool);
    free(m->doms);
    free(m);
}

const char *cm_error(const struct cm *m)
{
    return m->err;
}

uint64_t cm_nr_frames(const struct cm *m)
{
    return m->nr;
}

int cm_frame_state(const struct cm *m, uint64_t mfn)
{
    return mfn < m->nr ? m->fr[mfn].state : -EINVAL;
}

uint32_t cm_frame_owner(const struct cm *m, uint64_t mfn)
{
    if (mfn >= m->nr || m->fr[mfn].state != CM_FRAME_USED)
        return CM_ANON;
    return m->fr[mfn].owner;
}

int cm_frame_node(const struct cm *m, uint64_t mfn)
{
    return mfn < m->nr ? (int)node_of(m, mfn) : -EINVAL;
}

void cm_totals(const struct cm *m, struct cm_totals *t)
{
    memset(t, 0, sizeof(*t));
    t->free = m->free;
    t->freeable = m->freeable;
    t->outstanding = m->outstanding;
    t->nr_nodes = m->nr_nodes;
    memcpy(t->node_free, m->node_free, sizeof(t->node_free));
    t->used = m->used;
    t->offline = m->offline;
}

static struct cm_dom *dom(const struct cm *m, uint32_t domid)
{
    if (domid > CM_MAX_DOMID || !m->doms[domid].exists)
        return NULL;
    return &m->doms[domid];
}

const struct cm_dom *cm_dom(const struct cm *m, uint32_t domid)
{
    return dom(m, domid);
}

uint64_t cm_tmem_pages(const struct cm *m)
{
    return m->pool_n;
}

int cm_self_check(const struct cm *m)
{
    struct cm *mm = (struct cm *)m;     /* for the message only */
    uint64_t cnt[4] = { 0 }, node_free[CM_MAX_NODES] = { 0 };
    uint64_t f, sum = 0;
    unsigned int n;
    uint32_t id;

    for (f = 0; f < m->nr; f++) {
        if (m->fr[f].state > CM_FRAME_OFFLINE)
            return proto(mm, "frame %lu: bad state %u", (unsigned long)f,
                         m->fr[f].state);
        if (is_free(m, f) != (m->fr[f].state == CM_FRAME_FREE))
            return proto(mm, "frame %lu: bitmap disagrees with state",
                         (unsigned long)f);
        cnt[m->fr[f].state]++;
        if (m->fr[f].state == CM_FRAME_FREE)
            node_free[node_of(m, f)]++;
    }
    if (cnt[CM_FRAME_FREE] != m->free || cnt[CM_FRAME_USED] != m->used ||
        cnt[CM_FRAME_TMEM] != m->freeable ||
        cnt[CM_FRAME_OFFLINE] != m->offline || m->pool_n != m->freeable)
        return proto(mm, "recount: free %lu/%lu used %lu/%lu tmem %lu/%lu "
                     "offline %lu/%lu pool %lu",
                     (unsigned long)cnt[0], (unsigned long)m->free,
                     (unsigned long)cnt[1], (unsigned long)m->used,
                     (unsigned long)cnt[2], (unsigned long)m->freeable,
                     (unsigned long)cnt[3], (unsigned long)m->offline,
                     (unsigned long)m->pool_n);
    for (n = 0; n < m->nr_nodes; n++)
        if (node_free[n] != m->node_free[n])
            return proto(mm, "node %u: %lu free frames, counter %lu", n,
                         (unsigned long)node_free[n],
                         (unsigned long)m->node_free[n]);
    for (f = 0; f < m->pool_n; f++)
        if (m->fr[m->pool[f]].state != CM_FRAME_TMEM)
            return proto(mm, "pool slot %lu: frame %lu is not in tmem",
                         (unsigned long)f, (unsigned long)m->pool[f]);
    for (id = 0; id <= CM_MAX_DOMID; id++) {
        if (!m->doms[id].exists)
            continue;
        if (m->doms[id].dying && m->doms[id].claim)
            return proto(mm, "d%u: dying with a claim of %u", id,
                         m->doms[id].claim);
        sum += m->doms[id].claim;
    }
    if (sum != m->outstanding)
        return proto(mm, "outstanding %lu, sum of claims %lu",
                     (unsigned long)m->outstanding, (unsigned long)sum);
    return 0;
}

/* ---- domains ------------------------------------------------------- */

int cm_dom_create(struct cm *m, uint32_t domid, bool priv)
{
    if (domid > CM_MAX_DOMID)
        return -EINVAL;
    if (m->doms[domid].exists)
        return -EEXIST;
    memset(&m->doms[domid], 0, sizeof(m->doms[domid]));
    m->doms[domid].exists = true;
    m->doms[domid].priv = priv;
    return 0;
}

int cm_dom_set_max(struct cm *m, uint32_t domid, uint64_t max_pages)
{
    struct cm_dom *d = dom(m, domid);

    if (!d)
        return -ESRCH;
    d->max = max_pages > UINT32_MAX ? UINT32_MAX : (uint32_t)max_pages;
    return 0;
}

int cm_dom_kill(struct cm *m, uint32_t domid, uint32_t *released)
{
    struct cm_dom *d = dom(m, domid);

    if (!d)
        return -ESRCH;
    d->dying = true;
    *released = d->claim;
    m->outstanding -= d->claim;
    d->claim = 0;
    return 0;
}

int cm_dom_destroy(struct cm *m, uint32_t domid)
{
    struct cm_dom *d = dom(m, domid);

    if (!d)
        return -ESRCH;
    if (!d->dying)
        return -EINVAL;
    if (d->tot)
        return -EBUSY;
    memset(d, 0, sizeof(*d));
    return 0;
}

/* ---- claims -------------------------------------------------------- */

int cm_claim(struct cm *m, const struct cm_claim_req *req,
             struct cm_claim_out *out)
{
    struct cm_dom *d, *caller;
    uint64_t want, avail;

    memset(out, 0, sizeof(*out));

    /* The record carries the domain's figures whenever it exists. */
    d = dom(m, req->domid);
    if (d) {
        out->domain_known = true;
        out->claim = d->claim;
        out->tot = d->tot;
    }
    /* 1. the request itself */
    if ((req->flags & ~CM_CLAIMF_FREE_ONLY) || req->extent_order ||
        req->extent_list)
        return out->rc = -EINVAL;
    /* 2. the domain */
    if (!d)
        return out->rc = -EINVAL;
    /* 3. the caller's privilege */
    caller = dom(m, req->caller);
    if (!caller || !caller->priv)
        return out->rc = -EPERM;

    out->rc = -EINVAL;
    /* 4. dying */
    if (d->dying)
        goto out;
    /* 5. cancel */
    if (req->nr_pages == 0) {
        out->released = d->claim;
        m->outstanding -= d->claim;
        d->claim = 0;
        out->rc = 0;
        goto out;
    }
    /* 6. one claim per domain */
    if (d->claim)
        goto out;
    /* 7. the target adds pages within max_pages */
    if (req->nr_pages <= d->tot || req->nr_pages > d->max)
        goto out;
    /* 8. room for it */
    want = req->nr_pages - d->tot;
    avail = m->free;
    if (!(req->flags & CM_CLAIMF_FREE_ONLY))
        avail += m->freeable;
    avail = avail > m->outstanding ? avail - m->outstanding : 0;
    if (want > avail) {
        out->rc = -ENOMEM;
        goto out;
    }
    /* 9. stake it */
    d->claim = (uint32_t)want;
    m->outstanding += want;
    out->rc = 0;
 out:
    out->claim = d->claim;
    out->tot = d->tot;
    return out->rc;
}

/* ---- allocation ---------------------------------------------------- */

int cm_alloc_begin(struct cm *m, struct cm_alloc *a)
{
    struct cm_dom *d = NULL;
    unsigned int flags = a->memflags;
    uint64_t req;
    bool norefc, found;

    a->evicted = 0;
    a->drawn = 0;
    a->counted = false;
    a->owned = false;
    if (flags & CM_MEMF_TMEM)
        return -EINVAL;                 /* tmem goes through cm_tmem_put */
    if (a->domid != CM_ANON) {
        d = dom(m, a->domid);
        if (!d)
            return -EINVAL;
    }
    if (a->order > CM_MAX_ORDER) {
        a->kind = CM_ALLOC_BAD_ORDER;
        return 0;
    }
    req = 1ULL << a->order;
    if (d && (flags & CM_MEMF_NO_OWNER))
        flags |= CM_MEMF_NO_REFCOUNT;
    norefc = flags & CM_MEMF_NO_REFCOUNT;
    if (d && !norefc && d->dying) {
        a->kind = CM_ALLOC_DYING;
        return 0;
    }

    /*
     * Claims: is there room beyond them, or does the own claim cover it?
     * A refusal is a claim-based denial only when the request would have
     * been served without claims: beyond the available pages it is plain
     * shortage, and nothing is evicted.
     */
    if (m->outstanding + req > m->free + m->freeable &&
        (!d || norefc || d->claim < req)) {
        a->kind = req > m->free + m->freeable ? CM_ALLOC_FAILED
                                              : CM_ALLOC_DENIED;
        return 0;
    }

    /* A block, evicting tmem pages 2^order at a time while there is none. */
    found = any_block(m, flags, a->order);
    while (!found && m->freeable) {
        uint64_t n = evict(m, req);

        if (!n)
            break;
        a->evicted += (uint32_t)n;
        found = any_block(m, flags, a->order);
    }
    if (!found) {
        a->kind = CM_ALLOC_FAILED;
        return 0;
    }

    a->counted = d && !norefc;
    if (a->counted)
        a->drawn = d->claim < req ? d->claim : (uint32_t)req;
    a->owned = d && !(flags & CM_MEMF_NO_OWNER);

    /* Assignment to the domain. */
    if (a->owned &&
        (d->dying || (a->counted && (uint64_t)d->tot + req > d->max))) {
        /* The pages go back, the claim drawn for them does not. */
        d->claim -= a->drawn;
        m->outstanding -= a->drawn;
        a->kind = CM_ALLOC_ASSIGN_FAILED;
        return 0;
    }
    a->kind = CM_ALLOC_OK;
    return 0;
}

int cm_alloc_take(struct cm *m, struct cm_alloc *a, uint64_t mfn)
{
    uint64_t req = 1ULL << a->order, f;
    unsigned int flags = a->memflags, node, want;
    struct cm_dom *d = a->domid == CM_ANON ? NULL : dom(m, a->domid);

    if (a->kind != CM_ALLOC_OK)
        return proto(m, "pages handed out where the model predicts kind %d",
                     a->kind);
    if (mfn >= m->nr || req > m->nr - mfn)
        return proto(m, "block %#lx order %u is outside the heap",
                     (unsigned long)mfn, a->order);
    node = node_of(m, mfn);
    if (!block_free(m, node, mfn, a->order)) {
        for (f = mfn; f < mfn + req && f < m->nr; f++)
            if (m->fr[f].state != CM_FRAME_FREE)
                break;
        return proto(m, "block %#lx order %u: not an aligned free block of "
                     "node %u (frame %#lx state %d)", (unsigned long)mfn,
                     a->order, node, (unsigned long)f,
                     f < m->nr ? m->fr[f].state : -1);
    }
    if (d && (flags & CM_MEMF_NO_OWNER))
        flags |= CM_MEMF_NO_REFCOUNT;
    if (!node_allowed(flags, node))
        return proto(m, "block %#lx on node %u, memflags %#x allow only "
                     "node %u", (unsigned long)mfn, node, flags,
                     want_node(flags));
    want = want_node(flags);
    if (want != CM_NO_NODE && want < m->nr_nodes && want != node &&
        cm_has_block(m, want, a->order))
        return proto(m, "block %#lx on node %u although preferred node %u "
                     "has a free block of order %u", (unsigned long)mfn,
                     node, want, a->order);

    for (f = mfn; f < mfn + req; f++)
        set_state(m, f, CM_FRAME_USED, a->owned ? a->domid : CM_ANON,
                  a->counted);
    m->free -= req;
    m->node_free[node] -= req;
    m->used += req;
    if (a->counted) {
        d->claim -= a->drawn;
        m->outstanding -= a->drawn;
        d->tot += (uint32_t)req;
    }
    a->kind = CM_ALLOC_OK;
    return 0;
}

int cm_free_pages(struct cm *m, uint64_t mfn, unsigned int order,
                  uint32_t *owner, bool *counted)
{
    uint64_t req, f;
    unsigned int node;
    struct cm_dom *d = NULL;

    if (order > HEAP_MAX_ORDER)
        return -EINVAL;
    req = 1ULL << order;
    if ((mfn & (req - 1)) || mfn >= m->nr || req > m->nr - mfn)
        return -EINVAL;
    node = node_of(m, mfn);
    if (mfn + req > m->base[node + 1])
        return -EINVAL;
    for (f = mfn; f < mfn + req; f++)
        if (m->fr[f].state != CM_FRAME_USED ||
            m->fr[f].owner != m->fr[mfn].owner ||
            m->fr[f].counted != m->fr[mfn].counted)
            return -EINVAL;
    *owner = m->fr[mfn].owner;
    *counted = m->fr[mfn].counted;
    if (*counted) {
        d = dom(m, *owner);
        if (!d || d->tot < req)
            return -EINVAL;
    }
    for (f = mfn; f < mfn + req; f++)
        set_state(m, f, CM_FRAME_FREE, CM_ANON, false);
    m->free += req;
    m->node_free[node] += req;
    m->used -= req;
    /* Freeing never gives a claim back. */
    if (d)
        d->tot -= (uint32_t)req;
    return 0;
}

/* ---- tmem, offlining ----------------------------------------------- */

int cm_tmem_put(struct cm *m, uint64_t *mfn)
{
    uint64_t f;

    if (m->pool_n >= m->pool_cap)
        return -ENOSPC;
    if (!m->free)
        return -ENOMEM;
    f = single_frame(m);
    if (f == NONE)
        return proto(m, "tmem put: %lu free frames but none found",
                     (unsigned long)m->free);
    set_state(m, f, CM_FRAME_TMEM, CM_ANON, false);
    m->pool[m->pool_n++] = f;
    m->free--;
    m->node_free[node_of(m, f)]--;
    m->freeable++;
    *mfn = f;
    return 0;
}

int cm_tmem_flush(struct cm *m, uint64_t *mfn)
{
    if (!m->pool_n)
        return -ENOENT;
    *mfn = m->pool[m->pool_n - 1];
    evict(m, 1);
    return 0;
}

int cm_offline(struct cm *m, uint64_t mfn)
{
    if (mfn >= m->nr || m->fr[mfn].state == CM_FRAME_OFFLINE)
        return -EINVAL;
    if (m->fr[mfn].state != CM_FRAME_FREE)
        return -EBUSY;
    set_state(m, mfn, CM_FRAME_OFFLINE, CM_ANON, false);
    m->free--;
    m->node_free[node_of(m, mfn)]--;
    m->offline++;
    return 0;
}

int cm_online(struct cm *m, uint64_t mfn)
{
    if (mfn >= m->nr || m->fr[mfn].state != CM_FRAME_OFFLINE)
        return -EINVAL;
    set_state(m, mfn, CM_FRAME_FREE, CM_ANON, false);
    m->free++;
    m->node_free[node_of(m, mfn)]++;
    m->offline--;
    return 0;
}
