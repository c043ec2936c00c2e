/* xct_events.h: the one table of xenclaim trace events and their xentrace record layout. */
/* SPDX-License-Identifier: MIT */
/*
 * Every xenclaim event is a TRC_MEM record (class 0x010, subclass 0xf)
 * with a minor number of 0x20 or above.  Its payload is a sequence of
 * 32-bit words in host byte order; a 64-bit field takes two words, low
 * word first; two 16-bit fields may share one word (low half first).
 * A payload never exceeds 7 words.
 *
 * This header is the only place where the layout is written down.  The
 * encoder that hv/ calls, the generic decoder, the text dump and the
 * xentrace_format rules file are all expanded from the tables below.
 *
 * The header is plain C with fixed-width types so that it can be
 * included by hypervisor code as well as by userspace.
 */
#ifndef XCT_EVENTS_H
#define XCT_EVENTS_H

#include <stdint.h>

#define XCT_TRC_MEM          0x0010f000u /* TRC_MEM, Xen's memory class */
#define XCT_MINOR_BASE       0x020u      /* first minor used by xenclaim */
#define XCT_MAX_WORDS        7u          /* payload words a record may hold */
#define XCT_DOMID_ANON       0x7ff4u     /* DOMID_INVALID: no domain */
#define XCT_NODE_ALL         0xffffu     /* a host-wide figure, not one node */

/*
 * Events: X(ID, minor, name, summary).  The fields of event ID are listed
 * by XCT_FIELDS_ID(F) as F(kind, field, description); kinds are U32, S32,
 * U64, S64 (two words), U16LO and U16HI (the two halves of one word,
 * always in that order).
 */
#define XCT_EVENTS(X)                                                        \
    X(CLAIM,         0x20, "claim",                                          \
      "a claim request (XENMEM_claim_pages) and its outcome")               \
    X(CLAIM_RELEASE, 0x21, "claim_release",                                  \
      "a domain's claim went away: cancelled, drawn down or by death")      \
    X(TOT_PAGES,     0x22, "tot_pages",                                      \
      "a domain's tot_pages changed")                                       \
    X(ALLOC_DENIED,  0x23, "alloc_denied",                                   \
      "an allocation was refused because of outstanding claims")            \
    X(ALLOC_FAILED,  0x24, "alloc_failed",                                   \
      "an allocation failed for lack of a free block (not claims)")         \
    X(HEAP,          0x25, "heap",                                           \
      "host totals: free, tmem-freeable and outstanding claims")            \
    X(DOMAIN,        0x26, "domain",                                         \
      "a domain's life cycle or limits changed, or a state dump entry")     \
    X(CLAIM_DRAW,    0x27, "claim_draw",                                     \
      "an allocation drew a domain's claim down")

/*
 * claim: emitted for every XENMEM_claim_pages request, accepted or not.
 * result is 0 or a negative errno; claim and tot_pages are the domain's
 * values after the request (0 when there is no such domain).
 */
#define XCT_FIELDS_CLAIM(F)                                                  \
    F(U32, domid,     "domain the claim is for, as given by the caller")    \
    F(U32, flags,     "claim flags (bit 0: free_only)")                     \
    F(S32, result,    "0, or the negative errno of the refusal")            \
    F(U64, nr_pages,  "requested absolute target in pages (0: cancel)")     \
    F(U32, claim,     "domain's outstanding claim afterwards, pages")       \
    F(U32, tot_pages, "domain's tot_pages at the request, pages")

/*
 * claim_release: the claim of a domain dropped to zero other than by a
 * new stake.  pages is what was still claimed when it went (0 when fully
 * drawn down); outstanding is the host total afterwards.
 */
#define XCT_FIELDS_CLAIM_RELEASE(F)                                          \
    F(U32, domid,       "domain whose claim went away")                     \
    F(U32, reason,      "XCT_RELEASE_* reason")                             \
    F(U32, pages,       "claim still outstanding when released, pages")     \
    F(U64, outstanding, "host outstanding claims afterwards, pages")

/*
 * tot_pages: every change of a domain's tot_pages.  Emitted with the
 * heap lock held, so free and claim are exact at the record's time.  A
 * delta of 0 reports a claim consumed by an allocation whose assignment
 * then failed (the pages went back to the heap, the claim did not).
 */
#define XCT_FIELDS_TOT_PAGES(F)                                              \
    F(U32, domid,     "domain whose tot_pages changed")                     \
    F(S64, delta,     "change in pages (negative: pages left the domain)")  \
    F(U32, tot_pages, "tot_pages afterwards, pages")                        \
    F(U32, claim,     "domain's outstanding claim afterwards, pages")       \
    F(U64, free,      "host free pages at this moment")

/*
 * alloc_denied / alloc_failed: an allocation of 2^order pages was refused.
 * Always followed, on the same CPU, by a heap record with reason
 * XCT_HEAP_DENIED or XCT_HEAP_FAILED carrying the host totals seen.
 */
#define XCT_FIELDS_ALLOC_DENIED(F)                                           \
    F(U32, domid,    "requesting domain, or 0x7ff4 for an anonymous one")   \
    F(U32, order,    "allocation order (2^order pages)")                    \
    F(U32, memflags, "allocator flags (bit 0: no_refcount)")                \
    F(U32, claim,    "requesting domain's own outstanding claim, pages")
#define XCT_FIELDS_ALLOC_FAILED(F) XCT_FIELDS_ALLOC_DENIED(F)

/* heap: the host totals, emitted whenever they change other than through
 * a tot_pages record, and at the start of a state dump. */
#define XCT_FIELDS_HEAP(F)                                                   \
    F(U16LO, reason,    "XCT_HEAP_* reason")                                \
    F(U16HI, node,      "NUMA node, or 0xffff for the whole host")          \
    F(U64, free,        "free pages in the heap")                           \
    F(U64, freeable,    "tmem pages that can be reclaimed on demand")       \
    F(U64, outstanding, "sum of all domains' outstanding claims, pages")

/* domain: a domain appeared, changed max_pages, started dying or went
 * away; also one record per domain in a state dump. */
#define XCT_FIELDS_DOMAIN(F)                                                 \
    F(U32, domid,     "domain")                                             \
    F(U32, state,     "XCT_DOM_* what happened")                            \
    F(U32, tot_pages, "tot_pages, pages")                                   \
    F(U32, max_pages, "max_pages, pages")                                   \
    F(U32, claim,     "outstanding claim, pages")

/*
 * claim_draw: an allocation of 2^order pages for a domain with a claim
 * drew it down, in the allocator's locked region (before the pages are
 * assigned and tot_pages changes).
 */
#define XCT_FIELDS_CLAIM_DRAW(F)                                             \
    F(U32, domid, "domain whose claim was drawn down")                      \
    F(U32, order, "allocation order (2^order pages)")                       \
    F(U32, drawn, "pages taken from the claim")                             \
    F(U32, claim, "domain's outstanding claim afterwards, pages")           \
    F(U64, free,  "host free pages afterwards")

/* Reasons of claim_release: X(ID, value, name). */
#define XCT_RELEASE_REASONS(X)                                               \
    X(CANCEL, 1, "cancelled")                                               \
    X(DRAWN,  2, "drawn_down")                                              \
    X(DEATH,  3, "domain_death")

/* Reasons of heap records. */
#define XCT_HEAP_REASONS(X)                                                  \
    X(DUMP,        0, "dump")                                               \
    X(ANON_ALLOC,  1, "anon_alloc")                                         \
    X(ANON_FREE,   2, "anon_free")                                          \
    X(TMEM_PUT,    3, "tmem_put")                                           \
    X(TMEM_FLUSH,  4, "tmem_flush")                                         \
    X(TMEM_RECLAIM, 5, "tmem_reclaim")                                      \
    X(OFFLINE,     6, "offline")                                            \
    X(DENIED,      7, "denied")                                             \
    X(FAILED,      8, "failed")                                             \
    X(ONLINE,      9, "online")

/* What a domain record says. */
#define XCT_DOMAIN_STATES(X)                                                 \
    X(DUMP,      0, "dump")                                                 \
    X(CREATED,   1, "created")                                              \
    X(MAX_PAGES, 2, "max_pages")                                            \
    X(DYING,     3, "dying")                                                \
    X(DESTROYED, 4, "destroyed")

/* Claim flags and allocator flags carried in records. */
#define XCT_CLAIMF_FREE_ONLY (1u << 0)
#define XCT_MEMF_NO_REFCOUNT (1u << 0)

/* ---- expansions ---------------------------------------------------- */

enum xct_event_minor {
#define XCT_X_MINOR(id, minor, name, doc) XCT_MINOR_##id = (minor),
    XCT_EVENTS(XCT_X_MINOR)
#undef XCT_X_MINOR
};

/* Full 28-bit event ids, e.g. XCT_EV_CLAIM == 0x0010f020. */
enum xct_event_id {
#define XCT_X_ID(id, minor, name, doc) XCT_EV_##id = XCT_TRC_MEM | (minor),
    XCT_EVENTS(XCT_X_ID)
#undef XCT_X_ID
};

enum xct_release_reason {
#define XCT_X_REL(id, v, name) XCT_RELEASE_##id = (v),
    XCT_RELEASE_REASONS(XCT_X_REL)
#undef XCT_X_REL
};

enum xct_heap_reason {
#define XCT_X_HEAP(id, v, name) XCT_HEAP_##id = (v),
    XCT_HEAP_REASONS(XCT_X_HEAP)
#undef XCT_X_HEAP
};

enum xct_domain_state {
#define XCT_X_DOM(id, v, name) XCT_DOM_##id = (v),
    XCT_DOMAIN_STATES(XCT_X_DOM)
#undef XCT_X_DOM
};

/* C types of the field kinds. */
#define XCT_CTYPE_U32   uint32_t
#define XCT_CTYPE_S32   int32_t
#define XCT_CTYPE_U64   uint64_t
#define XCT_CTYPE_S64   int64_t
#define XCT_CTYPE_U16LO uint32_t
#define XCT_CTYPE_U16HI uint32_t

/* Words each kind adds to the payload. */
#define XCT_WORDS_U32   1
#define XCT_WORDS_S32   1
#define XCT_WORDS_U64   2
#define XCT_WORDS_S64   2
#define XCT_WORDS_U16LO 0
#define XCT_WORDS_U16HI 1

#define XCT_X_PARAM(kind, field, doc) , XCT_CTYPE_##kind field
#define XCT_X_PACK(kind, field, doc) XCT_PACK_##kind(w_, n_, field);
#define XCT_X_NWORDS(kind, field, doc) + XCT_WORDS_##kind

#define XCT_PACK_U32(w, n, v)   ((w)[(n)++] = (uint32_t)(v))
#define XCT_PACK_S32(w, n, v)   ((w)[(n)++] = (uint32_t)(int32_t)(v))
#define XCT_PACK_U64(w, n, v)                                                \
    ((w)[(n)] = (uint32_t)(uint64_t)(v),                                    \
     (w)[(n) + 1] = (uint32_t)((uint64_t)(v) >> 32), (n) += 2)
#define XCT_PACK_S64(w, n, v)   XCT_PACK_U64(w, n, (uint64_t)(int64_t)(v))
#define XCT_PACK_U16LO(w, n, v) ((w)[(n)] = (uint32_t)(v) & 0xffffu)
#define XCT_PACK_U16HI(w, n, v)                                              \
    ((w)[(n)] |= ((uint32_t)(v) & 0xffffu) << 16, (n)++)

/*
 * Payload sizes in words, e.g. XCT_NWORDS_CLAIM.  Checked at compile time
 * against XCT_MAX_WORDS below.
 */
enum xct_event_nwords {
#define XCT_X_NW(id, minor, name, doc)                                       \
    XCT_NWORDS_##id = 0 XCT_FIELDS_##id(XCT_X_NWORDS),
    XCT_EVENTS(XCT_X_NW)
#undef XCT_X_NW
};

#define XCT_X_CHECK(id, minor, name, doc)                                    \
    _Static_assert(XCT_NWORDS_##id <= (int)XCT_MAX_WORDS,                   \
                   "payload of " name " too long");                         \
    _Static_assert((minor) >= (int)XCT_MINOR_BASE && (minor) <= 0xfff,       \
                   "minor of " name " out of range");
XCT_EVENTS(XCT_X_CHECK)
#undef XCT_X_CHECK

/*
 * Encoders: xct_enc_<id>(w, fields...) packs the payload of one event into
 * w[XCT_MAX_WORDS] and returns the number of words written.
 */
#define XCT_X_ENC(id, minor, name, doc)                                      \
    static inline unsigned int xct_enc_##id(                                \
        uint32_t *w_ XCT_FIELDS_##id(XCT_X_PARAM))                          \
    {                                                                       \
        unsigned int n_ = 0;                                                \
        XCT_FIELDS_##id(XCT_X_PACK)                                         \
        return n_;                                                          \
    }
XCT_EVENTS(XCT_X_ENC)
#undef XCT_X_ENC

/*
 * Decoded payloads: struct xct_ev_<id> has one member per field, and
 * xct_dec_<id>(w, e) fills it from a payload of XCT_NWORDS_<id> words.
 * The caller checks the word count first (xct_event_check()).
 */
#define XCT_X_MEMBER(kind, field, doc) XCT_CTYPE_##kind field;
#define XCT_X_UNPACK(kind, field, doc) XCT_UNPACK_##kind(w_, n_, e_->field);

#define XCT_UNPACK_U32(w, n, f)   ((f) = (w)[(n)++])
#define XCT_UNPACK_S32(w, n, f)   ((f) = (int32_t)(w)[(n)++])
#define XCT_UNPACK_U64(w, n, f)                                              \
    ((f) = (uint64_t)(w)[(n)] | ((uint64_t)(w)[(n) + 1] << 32), (n) += 2)
#define XCT_UNPACK_S64(w, n, f)                                              \
    ((f) = (int64_t)((uint64_t)(w)[(n)] | ((uint64_t)(w)[(n) + 1] << 32)),  \
     (n) += 2)
#define XCT_UNPACK_U16LO(w, n, f) ((f) = (w)[(n)] & 0xffffu)
#define XCT_UNPACK_U16HI(w, n, f) ((f) = (w)[(n)] >> 16, (n)++)

#define XCT_X_DEC(id, minor, name, doc)                                      \
    struct xct_ev_##id {                                                    \
        XCT_FIELDS_##id(XCT_X_MEMBER)                                       \
    };                                                                      \
    static inline void xct_dec_##id(const uint32_t *w_,                     \
                                    struct xct_ev_##id *e_)                 \
    {                                                                       \
        unsigned int n_ = 0;                                                \
        XCT_FIELDS_##id(XCT_X_UNPACK)                                       \
        (void)n_;                                                           \
    }
XCT_EVENTS(XCT_X_DEC)
#undef XCT_X_DEC

#endif /* XCT_EVENTS_H */
