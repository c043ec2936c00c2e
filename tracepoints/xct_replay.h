/* xct_replay.h: replays xenclaim trace records into host and domain state. */
/* SPDX-License-Identifier: MIT */
/*
 * The replay consumes decoded records one at a time, in TSC order (as a
 * reader merges the per-CPU streams), whatever their source: a file, a
 * stream or a live buffer.  It keeps the host totals, every live domain's
 * tot_pages / max_pages / claim and a set of counters, checks each record
 * against the state built so far and reports every inconsistency through
 * a callback.  Foreign records (other classes, other TRC_MEM minors) are
 * counted and ignored.
 *
 * State is "exact" after a state dump (a heap record with reason dump for
 * the whole host, followed by one domain record with state dump per
 * domain) until records are lost.  A dump ends at the first xenclaim
 * record that is not part of it; then domains it did not list are
 * removed.  A domain listed again keeps its counters (only its state is
 * re-read), so counters stay monotonic across dumps.
 *
 * Usage:
 *
 *     struct xct_replay *r = xct_replay_new();
 *     xct_replay_set_issue_cb(r, on_issue, ctx);
 *     while (reader yields rec at offset off)
 *         xct_replay_feed(r, &rec, off);
 *     for (d = xct_replay_dom_next(r, NULL); d; d = xct_replay_dom_next(r, d))
 *         use(d->domid, d->tot_pages, d->claim);
 *     xct_replay_free(r);
 *
 * A handle is not thread-safe: one thread feeds it and reads it (or the
 * caller serialises).  Pointers returned by getters stay valid until the
 * next xct_replay_feed() or xct_replay_free().
 */
#ifndef XCT_REPLAY_H
#define XCT_REPLAY_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "xct_events.h"
#include "xct_record.h"

#define XCT_REPLAY_MAX_NODES 64u      /* NUMA nodes tracked */
#define XCT_REPLAY_MAX_DOMID 0xffffu  /* domids 0..0xffff are tracked */

/*
 * Inconsistencies: X(ID, name, summary).  Each is counted in
 * xct_replay_host()->issues[] and passed to the issue callback.
 */
#define XCT_REPLAY_ISSUES(X)                                                 \
    X(NEGATIVE,         "negative",                                          \
      "a counter would go negative")                                        \
    X(TOT_DELTA,        "tot_delta",                                         \
      "replayed tot_pages + delta differs from the record's tot_pages")     \
    X(OUTSTANDING_SUM,  "outstanding_sum",                                   \
      "host outstanding total differs from the sum of replayed claims")     \
    X(CLAIM_MISMATCH,   "claim_mismatch",                                    \
      "a record's claim figure disagrees with the replayed state")          \
    X(STATE_MISMATCH,   "state_mismatch",                                    \
      "a record's tot_pages or max_pages disagrees with the replayed state") \
    X(UNKNOWN_DOMAIN,   "unknown_domain",                                    \
      "a record names a domain that exact state does not know")             \
    X(DUPLICATE_DOMAIN, "duplicate_domain",                                  \
      "a domain was created while exact state already knows it")            \
    X(WORD_COUNT,       "word_count",                                        \
      "a record has the wrong number of payload words")                     \
    X(LOST_RECORDS,     "lost_records",                                      \
      "the producer lost records: state is inexact until the next dump")    \
    X(STAKE_RULES,      "stake_rules",                                       \
      "a stake was accepted that the claim rules forbid")                   \
    X(DYING_CLAIM,      "dying_claim",                                       \
      "a dying or destroyed domain still holds a claim")                    \
    X(DESTROY_PAGES,    "destroy_pages",                                     \
      "a destroyed domain still owned pages")                               \
    X(DENIAL_RULES,     "denial_rules",                                      \
      "a denial that the claim rules do not explain")                       \
    X(UNPAIRED,         "unpaired",                                          \
      "an alloc_denied/failed record and its heap record do not pair up")   \
    X(BAD_VALUE,        "bad_value",                                         \
      "a field is out of range (reason, state, node, domid)")

enum xct_replay_issue_kind {
#define XCT_REPLAY_X_ISSUE(id, name, doc) XCT_REPLAY_ISSUE_##id,
    XCT_REPLAY_ISSUES(XCT_REPLAY_X_ISSUE)
#undef XCT_REPLAY_X_ISSUE
    XCT_REPLAY_NISSUES
};

/*
 * Decoded events passed to the event callback: X(ID, name, summary).
 * dom is the domain's state after the record (NULL where none applies).
 */
#define XCT_REPLAY_EVENTS(X)                                                 \
    X(DUMP_START,     "dump_start",     "a state dump began (host figures)") \
    X(DUMP_DOMAIN,    "dump_domain",    "a domain listed by a state dump")  \
    X(DUMP_END,       "dump_end",                                            \
      "the dump ended (record: the first record after it; dom NULL)")       \
    X(HEAP,           "heap",           "host or node totals reported")     \
    X(STAKE,          "stake",          "a claim was staked")               \
    X(STAKE_REFUSED,  "stake_refused",  "a claim request was refused")      \
    X(CANCEL,         "cancel",         "a claim request of 0 pages")       \
    X(RELEASE_CANCEL, "release_cancel", "a claim went away: cancelled")     \
    X(RELEASE_DRAWN,  "release_drawn",  "a claim went away: drawn to 0")    \
    X(RELEASE_DEATH,  "release_death",  "a claim went away: domain death")  \
    X(DRAW,           "draw",           "an allocation drew a claim down")  \
    X(TOT_PAGES,      "tot_pages",      "a domain's tot_pages changed")     \
    X(ASSIGN_FAILED,  "assign_failed",                                       \
      "a claim was consumed by an assignment that failed (delta 0)")        \
    X(DENIAL,         "denial",         "an allocation denied by claims")   \
    X(DENIAL_HOST,    "denial_host",                                         \
      "host totals of the last denial (xct_replay_last_denial())")          \
    X(FAILED,         "failed",         "an allocation failed (no block)")  \
    X(FAILED_HOST,    "failed_host",                                         \
      "host totals of the last failure (xct_replay_last_failure())")        \
    X(CREATED,        "created",        "a domain was created")             \
    X(MAX_PAGES,      "max_pages",      "a domain's max_pages changed")     \
    X(DYING,          "dying",          "a domain started dying")           \
    X(DESTROYED,      "destroyed",                                           \
      "a domain went away (dom: its last state)")                           \
    X(LOST,           "lost",           "the producer lost records")

enum xct_replay_event {
#define XCT_REPLAY_X_EVENT(id, name, doc) XCT_REPLAY_EV_##id,
    XCT_REPLAY_EVENTS(XCT_REPLAY_X_EVENT)
#undef XCT_REPLAY_X_EVENT
    XCT_REPLAY_NEVENTS
};

/* Errnos that refused stakes are counted by; anything else is OTHER. */
#define XCT_REPLAY_ERRNOS(X)                                                 \
    X(EPERM) X(ENOENT) X(ESRCH) X(E2BIG) X(ENOMEM) X(EINVAL)

enum xct_replay_err {
#define XCT_REPLAY_X_ERR(e) XCT_REPLAY_ERR_##e,
    XCT_REPLAY_ERRNOS(XCT_REPLAY_X_ERR)
#undef XCT_REPLAY_X_ERR
    XCT_REPLAY_ERR_OTHER,
    XCT_REPLAY_NERR
};

/* Record counters by event: one per xenclaim event, then lost records. */
enum xct_replay_rec {
#define XCT_REPLAY_X_REC(id, minor, name, doc) XCT_REPLAY_REC_##id,
    XCT_EVENTS(XCT_REPLAY_X_REC)
#undef XCT_REPLAY_X_REC
    XCT_REPLAY_REC_LOST,
    XCT_REPLAY_NREC
};

/* Bits of xct_replay_dom_known(): fields whose replayed value is reliable. */
#define XCT_REPLAY_KNOWN_TOT   (1u << 0)
#define XCT_REPLAY_KNOWN_MAX   (1u << 1)
#define XCT_REPLAY_KNOWN_CLAIM (1u << 2)
#define XCT_REPLAY_KNOWN_ALL   0x7u

/* Counters of one domain (since it was created or first seen). */
struct xct_replay_dom_counters {
    uint64_t pages_drawn;       /* pages drawn from claims */
    uint64_t stakes;            /* claims staked */
    uint64_t cancels;           /* claims released by a cancel */
    uint64_t deaths;            /* claims released by death */
    uint64_t drawn_full;        /* claims released after being drawn to 0 */
    uint64_t refused[XCT_REPLAY_NERR]; /* stakes refused, by errno */
    uint64_t denials;           /* allocations denied because of claims */
    uint64_t failed;            /* allocations failed for lack of a block */
    uint64_t assign_failed;     /* claims consumed by failed assignments */
};

/* One domain's replayed state. */
struct xct_replay_dom {
    uint32_t domid;
    uint32_t tot_pages;
    uint32_t max_pages;
    uint32_t claim;             /* outstanding claim, pages */
    uint8_t dying;
    uint8_t from_dump;          /* listed by the last dump or created after
                                   it; 0 if first seen in another record */
    uint32_t claim_staked;      /* pages the stake behind the claim
                                   claimed, or 0 */
    uint64_t last_tsc;          /* TSC of the last record about it */
    uint64_t claim_tsc;         /* TSC of that stake, or 0 */
    struct xct_replay_dom_counters n;
};

/* Host counters (since xct_replay_new()). */
struct xct_replay_host_counters {
    uint64_t records;           /* every record fed */
    uint64_t by_event[XCT_REPLAY_NREC];
    uint64_t foreign;           /* records of other events, ignored */
    uint64_t lost;              /* records the producer lost (sum) */
    uint64_t lost_events;       /* LOST_RECORDS records */
    uint64_t dumps;             /* state dumps started */
    uint64_t stakes, cancels, deaths, drawn_full;
    uint64_t refused[XCT_REPLAY_NERR];
    uint64_t denials, denials_anon;   /* _anon: of those, no domain */
    uint64_t failed, failed_anon;
    uint64_t pages_drawn;
    uint64_t issues[XCT_REPLAY_NISSUES];
};

/* Host state: figures as last reported, and as replayed. */
struct xct_replay_host {
    uint64_t free;              /* free pages, last reported */
    uint64_t freeable;          /* tmem-freeable pages, last reported */
    uint64_t outstanding;       /* outstanding claims, last reported */
    uint64_t claims_sum;        /* sum of the replayed domains' claims */
    uint32_t domains;           /* live domains */
    int exact;                  /* 1 after a dump until records are lost */
    uint64_t last_tsc;          /* TSC of the last xenclaim record */
    struct xct_replay_host_counters n;
};

/* One NUMA node's figures, from heap records naming the node. */
struct xct_replay_node {
    uint64_t free;
    uint64_t freeable;
    uint64_t outstanding;
    uint64_t tsc;               /* TSC of the record that set them */
};

/*
 * An allocation refused (alloc_denied or alloc_failed) with its context.
 * The host figures come from the heap record (reason denied/failed) that
 * follows it; host_known is 0 until that record has been seen.
 */
struct xct_replay_denial {
    uint32_t domid;             /* XCT_DOMID_ANON for an anonymous one */
    uint32_t order;
    uint32_t memflags;
    uint32_t claim;             /* the domain's own claim at the time */
    uint64_t tsc;
    uint64_t offset;            /* file offset of the alloc_* record */
    int host_known;
    uint64_t free, freeable, outstanding;
};

/* An inconsistency, as passed to the issue callback. */
struct xct_replay_issue {
    enum xct_replay_issue_kind kind;
    uint32_t event;             /* event id of the record */
    uint32_t domid;             /* domain concerned, XCT_DOMID_ANON if none */
    uint64_t tsc;
    uint64_t offset;            /* file offset given to xct_replay_feed() */
    int64_t expected;           /* what the replayed state predicts */
    int64_t seen;               /* what the record says */
    const char *msg;            /* one line, valid during the callback */
};

struct xct_replay;

/* Called for every inconsistency; issue is valid during the call only. */
typedef void (*xct_replay_issue_cb)(void *opaque,
                                    const struct xct_replay_issue *issue);

/*
 * Called for every xenclaim record after it was applied: ev is its
 * decoded kind, dom the domain's state afterwards or NULL.  rec and dom
 * are valid during the call only.  The callback may call getters but
 * must not feed the same handle.
 */
typedef void (*xct_replay_event_cb)(void *opaque, enum xct_replay_event ev,
                                    const struct xct_record *rec,
                                    uint64_t offset,
                                    const struct xct_replay_dom *dom);

/*
 * Create an empty replay (no domains, not exact).  The caller owns the
 * handle and frees it with xct_replay_free().  Returns NULL with errno
 * set (ENOMEM) on failure.
 */
struct xct_replay *xct_replay_new(void);

/* Free r and everything it holds.  Accepts NULL. */
void xct_replay_free(struct xct_replay *r);

/*
 * Apply one record.  offset is where the record starts in its file (or
 * any position the caller wants reported back).  Inconsistencies are not
 * errors: they are counted and reported through the issue callback.
 * Returns 0, -EINVAL when r or rec is NULL, or -ENOMEM when a new domain
 * could not be allocated (the record is then not applied).
 */
int xct_replay_feed(struct xct_replay *r, const struct xct_record *rec,
                    uint64_t offset);

/*
 * xct_replay_feed() of recs[0..n) in order, their offsets in offs[]:
 * the same state, issues and events as n calls, at less cost per record.
 * Returns 0, -EINVAL when r is NULL (or recs or offs with n > 0), or the
 * first -ENOMEM, at which record the feeding stopped.
 */
int xct_replay_feed_run(struct xct_replay *r, const struct xct_record *recs,
                        const uint64_t *offs, size_t n);

/* Set (or, with cb NULL, clear) the issue callback. */
void xct_replay_set_issue_cb(struct xct_replay *r, xct_replay_issue_cb cb,
                             void *opaque);

/* Set (or, with cb NULL, clear) the event callback. */
void xct_replay_set_event_cb(struct xct_replay *r, xct_replay_event_cb cb,
                             void *opaque);

/* Host state and counters.  Never NULL for a valid r. */
const struct xct_replay_host *xct_replay_host(const struct xct_replay *r);

/* The live domain domid, or NULL when there is none. */
const struct xct_replay_dom *xct_replay_dom(const struct xct_replay *r,
                                            uint32_t domid);

/*
 * A table of the caller's indexed by domid, base + domid * stride for
 * domids 0 to XCT_REPLAY_MAX_DOMID, whose line xct_replay_feed_run()
 * (when the records name many domains) and xct_replay_prefetch()
 * prefetch along with the domain's own state (NULL base: none).
 * Changes nothing but the caches; the addresses need not be backed, for
 * a prefetch does not fault.
 */
void xct_replay_set_companion(struct xct_replay *r, const void *base,
                              size_t stride);

/*
 * Ask the caches for the state of the domains that recs[0..n) name, a
 * few records before feeding them: with many domains the state of the
 * next record's domain is rarely cached.  Changes nothing; NULL r or
 * recs do nothing.
 */
void xct_replay_prefetch(const struct xct_replay *r,
                         const struct xct_record *recs, size_t n);

/*
 * Iterate over live domains in increasing domid order: pass NULL for the
 * first, then the previous one.  Returns NULL at the end.
 */
const struct xct_replay_dom *xct_replay_dom_next(
    const struct xct_replay *r, const struct xct_replay_dom *prev);

/*
 * Which of d's tot/max/claim are reliable (XCT_REPLAY_KNOWN_* bits): set
 * by records that state a field absolutely, all cleared by lost records.
 * Returns 0 when r or d is NULL.
 */
unsigned int xct_replay_dom_known(const struct xct_replay *r,
                                  const struct xct_replay_dom *d);

/*
 * Bytes the handle holds (itself, its domains and table leaves): grows
 * and shrinks with the live domains.  Returns 0 when r is NULL.
 */
size_t xct_replay_memory(const struct xct_replay *r);

/* Node node's figures, or NULL when none was reported (or node >= 64). */
const struct xct_replay_node *xct_replay_node(const struct xct_replay *r,
                                              unsigned int node);

/* The last alloc_denied with its context, or NULL when none was seen. */
const struct xct_replay_denial *xct_replay_last_denial(
    const struct xct_replay *r);

/* The last alloc_failed with its context, or NULL when none was seen. */
const struct xct_replay_denial *xct_replay_last_failure(
    const struct xct_replay *r);

/* Name of an issue kind ("negative", ...), or "?" when out of range. */
const char *xct_replay_issue_name(enum xct_replay_issue_kind kind);

/* Name of an event kind ("stake", ...), or "?" when out of range. */
const char *xct_replay_event_name(enum xct_replay_event ev);

/* Slot of a positive errno in the refused[] counters (ERR_OTHER if none). */
enum xct_replay_err xct_replay_err_slot(int err);

/* Name of an errno slot ("EINVAL", ..., "other"), or "?" if out of range. */
const char *xct_replay_err_name(enum xct_replay_err slot);

#endif /* XCT_REPLAY_H */
