/* xct_desc.h: event descriptors, value names and error codes. */
/* SPDX-License-Identifier: MIT */
/*
 * Nothing here declares a layout: every descriptor is expanded from the
 * X-macro tables of xct_events.h, so a field added there shows up in the
 * generic decoder, the dump and the xentrace_format rules at once.
 *
 * Walking every event and field:
 *
 *     for (unsigned int i = 0; i < xct_event_count(); i++) {
 *         const struct xct_event_desc *d = xct_event_desc_at(i);
 *         for (unsigned int j = 0; j < d->nfields; j++) {
 *             int64_t sv;
 *             uint64_t uv;
 *             xct_field_get(&d->fields[j], rec->words, &sv, &uv);
 *             ...
 *         }
 *     }
 */
#ifndef XCT_DESC_H
#define XCT_DESC_H

#include <stdint.h>

#include "xct_events.h"
#include "xct_record.h"

/* Field kinds, one per XCT_CTYPE_* of xct_events.h. */
enum xct_field_kind {
    XCT_KIND_U32,
    XCT_KIND_S32,
    XCT_KIND_U64,
    XCT_KIND_S64,
    XCT_KIND_U16LO,
    XCT_KIND_U16HI,
};

/* How a field's value is best shown (a presentation hint). */
enum xct_field_fmt {
    XCT_FMT_DEC,        /* plain decimal */
    XCT_FMT_HEX,        /* flags: 0x... */
    XCT_FMT_ERRNO,      /* 0 or a negative errno: -12(ENOMEM) */
    XCT_FMT_RELEASE,    /* an XCT_RELEASE_* reason */
    XCT_FMT_HEAP,       /* an XCT_HEAP_* reason */
    XCT_FMT_DOMSTATE,   /* an XCT_DOM_* state */
};

/* One field of an event's payload. */
struct xct_field_desc {
    const char *name;           /* as in xct_events.h, e.g. "domid" */
    enum xct_field_kind kind;
    const char *doc;            /* one-line description */
    unsigned int word;          /* payload word holding the (low) bits */
    unsigned int shift;         /* bit offset within that word: 0 or 16 */
    unsigned int bits;          /* 16, 32 or 64 (64: words word, word+1) */
    unsigned int is_signed;     /* 1 for S32 and S64 */
};

/* One xenclaim event. */
struct xct_event_desc {
    uint32_t id;                /* full 28-bit event id, e.g. 0x0010f020 */
    const char *name;           /* e.g. "claim" */
    const char *doc;            /* one-line summary */
    unsigned int nfields;
    const struct xct_field_desc *fields;
    unsigned int nwords;        /* payload words a record must carry */
};

/*
 * The descriptor of event id (a 28-bit id, header bits masked off), or
 * NULL with errno = ENOENT when id is not a xenclaim event.  Descriptors
 * are static: never freed.
 */
const struct xct_event_desc *xct_event_desc(uint32_t id);

/*
 * How field f of event id is best shown: a reason or state field is named
 * by its table, result as an errno, flags in hex, anything else (and any
 * field of an unknown event) in decimal.
 */
enum xct_field_fmt xct_field_fmt(uint32_t id, const struct xct_field_desc *f);

/* Number of xenclaim events. */
unsigned int xct_event_count(void);

/*
 * The i-th event in table order (0 .. xct_event_count() - 1), or NULL
 * with errno = ERANGE.
 */
const struct xct_event_desc *xct_event_desc_at(unsigned int i);

/*
 * The descriptor of the field called name in event d, or NULL with
 * errno = ENOENT.
 */
const struct xct_field_desc *xct_field_find(const struct xct_event_desc *d,
                                            const char *name);

/*
 * Read field f from payload words (which must hold at least the event's
 * nwords words: check the record with xct_event_check() first).  Stores
 * the value zero-extended in *uv and sign-extended (signed kinds) or
 * equal to *uv (unsigned kinds) in *sv; either pointer may be NULL.
 * Returns 0, or -EINVAL when f or words is NULL or f is malformed.
 */
int xct_field_get(const struct xct_field_desc *f, const uint32_t *words,
                  int64_t *sv, uint64_t *uv);

/*
 * 0 when r is not a xenclaim event or carries the number of words its
 * event needs; -EBADMSG when a xenclaim event has the wrong word count;
 * -EINVAL when r is NULL.
 */
int xct_event_check(const struct xct_record *r);

/*
 * Names of enumerated values ("cancelled", "anon_alloc", "dying"...), or
 * "?" for a value the table does not list.  Static strings.
 */
const char *xct_release_name(uint32_t v);
const char *xct_heap_reason_name(uint32_t v);
const char *xct_domain_state_name(uint32_t v);

/* Symbolic name of a positive errno value ("ENOMEM"), or "?". */
const char *xct_errno_name(int e);

/*
 * Library error codes: each function that fails with one of them returns
 * its negative (-XCT_E_TRUNC_RECORD...).  They start above every errno
 * value so both kinds can share an int.
 */
#define XCT_ERRORS(X)                                                        \
    X(TRUNC_RECORD,  "file ends inside a record")                           \
    X(TRUNC_WINDOW,  "file ends inside a window")                           \
    X(TRUNC_HEADER,  "file ends inside a CPU_CHANGE window header")         \
    X(NO_WINDOW,     "expected a CPU_CHANGE window header")                 \
    X(BYTE_ORDER,    "trace written in the other byte order")               \
    X(WINDOW_SIZE,   "bad window size")                                     \
    X(WINDOW_SPLIT,  "window does not hold whole records")                  \
    X(BAD_CPU,       "CPU number out of range 0-255")                       \
    X(TSC_BACKWARDS, "TSC goes backwards within a CPU")                     \
    X(CLASS_BITS,    "event with zero or several class bits")               \
    X(LOST_WORDS,    "LOST_RECORDS record without exactly 4 words")         \
    X(NESTED_WINDOW, "CPU_CHANGE record inside a window")                   \
    X(WORD_COUNT,    "xenclaim event with the wrong word count")            \
    X(IO,            "input/output error while reading the trace")

#define XCT_ERRNO_BASE 4096

enum xct_error {
    XCT_E_NONE = 0,
    XCT_E_FIRST_ = XCT_ERRNO_BASE - 1,
#define XCT_X_ERR(id, text) XCT_E_##id,
    XCT_ERRORS(XCT_X_ERR)
#undef XCT_X_ERR
    XCT_E_END_
};

/*
 * Text of err, which may be an xct_error or an errno value, of either
 * sign: the library's message for its own codes, strerror() otherwise,
 * "success" for 0.  The string is static or strerror()'s.
 */
const char *xct_strerror(int err);

/* Short identifier of an xct_error ("TSC_BACKWARDS"), or NULL. */
const char *xct_error_name(int err);

#endif /* XCT_DESC_H */
