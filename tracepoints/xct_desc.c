/* xct_desc.c: event descriptors, field access, value names, errors. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "xct_desc.h"

/* Per kind: bit offset in its word, width, signedness. */
#define XCT_SHIFT_U32   0
#define XCT_SHIFT_S32   0
#define XCT_SHIFT_U64   0
#define XCT_SHIFT_S64   0
#define XCT_SHIFT_U16LO 0
#define XCT_SHIFT_U16HI 16
#define XCT_BITS_U32    32
#define XCT_BITS_S32    32
#define XCT_BITS_U64    64
#define XCT_BITS_S64    64
#define XCT_BITS_U16LO  16
#define XCT_BITS_U16HI  16
#define XCT_SIGNED_U32  0
#define XCT_SIGNED_S32  1
#define XCT_SIGNED_U64  0
#define XCT_SIGNED_S64  1
#define XCT_SIGNED_U16LO 0
#define XCT_SIGNED_U16HI 0

/*
 * Word indexes come from the compiler: each event's fields become a
 * struct of char arrays, one char per payload word (none for U16LO, whose
 * word is counted by the U16HI that follows), so offsetof() of a member
 * is the index of its first word.  The struct is declared at block scope
 * inside each case below, which lets one field macro serve every event.
 */
#define XCT_X_LAYOUT(kind, field, doc) char field[XCT_WORDS_##kind];
#define XCT_X_FIELD(kind, field, doc)                                        \
    { #field, XCT_KIND_##kind, doc, offsetof(struct xct_layout, field),     \
      XCT_SHIFT_##kind, XCT_BITS_##kind, XCT_SIGNED_##kind },

const struct xct_event_desc *xct_event_desc(uint32_t id)
{
    switch (id) {
#define XCT_X_CASE(ID, minor, name_, doc_)                                   \
    case XCT_EV_##ID: {                                                     \
        struct xct_layout {                                                 \
            XCT_FIELDS_##ID(XCT_X_LAYOUT)                                   \
        };                                                                  \
        static const struct xct_field_desc f[] = {                          \
            XCT_FIELDS_##ID(XCT_X_FIELD)                                    \
        };                                                                  \
        static const struct xct_event_desc d = {                            \
            XCT_EV_##ID, name_, doc_, sizeof(f) / sizeof(f[0]), f,          \
            XCT_NWORDS_##ID                                                 \
        };                                                                  \
        _Static_assert(sizeof(struct xct_layout) == XCT_NWORDS_##ID,        \
                       "layout of " name_ " disagrees with its word count"); \
        return &d;                                                          \
    }
    XCT_EVENTS(XCT_X_CASE)
#undef XCT_X_CASE
    default:
        break;
    }
    errno = ENOENT;
    return NULL;
}

static const uint32_t xct_event_ids[] = {
#define XCT_X_IDS(ID, minor, name, doc) XCT_EV_##ID,
    XCT_EVENTS(XCT_X_IDS)
#undef XCT_X_IDS
};

#define XCT_NEVENTS (sizeof(xct_event_ids) / sizeof(xct_event_ids[0]))

unsigned int xct_event_count(void)
{
    return XCT_NEVENTS;
}

const struct xct_event_desc *xct_event_desc_at(unsigned int i)
{
    if (i >= XCT_NEVENTS) {
        errno = ERANGE;
        return NULL;
    }
    return xct_event_desc(xct_event_ids[i]);
}

const struct xct_field_desc *xct_field_find(const struct xct_event_desc *d,
                                            const char *name)
{
    unsigned int i;

    if (d && name)
        for (i = 0; i < d->nfields; i++)
            if (strcmp(d->fields[i].name, name) == 0)
                return &d->fields[i];
    errno = ENOENT;
    return NULL;
}

int xct_field_get(const struct xct_field_desc *f, const uint32_t *words,
                  int64_t *sv, uint64_t *uv)
{
    uint64_t u;
    int64_t s;

    if (!f || !words || f->word >= XCT_MAX_WORDS || f->shift > 16)
        return -EINVAL;
    switch (f->bits) {
    case 16:
        u = (words[f->word] >> f->shift) & 0xffffu;
        s = f->is_signed ? (int64_t)(int16_t)u : (int64_t)u;
        break;
    case 32:
        u = words[f->word];
        s = f->is_signed ? (int64_t)(int32_t)u : (int64_t)u;
        break;
    case 64:
        if (f->word + 1 >= XCT_MAX_WORDS)
            return -EINVAL;
        u = (uint64_t)words[f->word] | ((uint64_t)words[f->word + 1] << 32);
        s = (int64_t)u;
        break;
    default:
        return -EINVAL;
    }
    if (uv)
        *uv = u;
    if (sv)
        *sv = s;
    return 0;
}

int xct_event_check(const struct xct_record *r)
{
    const struct xct_event_desc *d;

    if (!r)
        return -EINVAL;
    d = xct_event_desc(r->event);
    if (d && r->nwords != d->nwords)
        return -EBADMSG;
    return 0;
}

/* Presentation hints, by event and field name; anything else is decimal. */
static const struct {
    uint32_t event;
    const char *field;
    enum xct_field_fmt fmt;
} xct_fmts[] = {
    { XCT_EV_CLAIM,         "flags",    XCT_FMT_HEX },
    { XCT_EV_CLAIM,         "result",   XCT_FMT_ERRNO },
    { XCT_EV_CLAIM_RELEASE, "reason",   XCT_FMT_RELEASE },
    { XCT_EV_ALLOC_DENIED,  "memflags", XCT_FMT_HEX },
    { XCT_EV_ALLOC_FAILED,  "memflags", XCT_FMT_HEX },
    { XCT_EV_HEAP,          "reason",   XCT_FMT_HEAP },
    { XCT_EV_DOMAIN,        "state",    XCT_FMT_DOMSTATE },
};

enum xct_field_fmt xct_field_fmt(uint32_t id, const struct xct_field_desc *f)
{
    size_t i;

    if (!f)
        return XCT_FMT_DEC;
    for (i = 0; i < sizeof(xct_fmts) / sizeof(xct_fmts[0]); i++)
        if (xct_fmts[i].event == id && strcmp(xct_fmts[i].field, f->name) == 0)
            return xct_fmts[i].fmt;
    return XCT_FMT_DEC;
}

const char *xct_release_name(uint32_t v)
{
    switch (v) {
#define XCT_X_NAME(id, val, name) case (val): return name;
    XCT_RELEASE_REASONS(XCT_X_NAME)
    default:
        return "?";
    }
}

const char *xct_heap_reason_name(uint32_t v)
{
    switch (v) {
    XCT_HEAP_REASONS(XCT_X_NAME)
    default:
        return "?";
    }
}

const char *xct_domain_state_name(uint32_t v)
{
    switch (v) {
    XCT_DOMAIN_STATES(XCT_X_NAME)
#undef XCT_X_NAME
    default:
        return "?";
    }
}

/* The errno values a claim or allocation can report (Xen uses Linux's). */
#define XCT_ERRNOS(X)                                                        \
    X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(E2BIG) X(EBADF)           \
    X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) X(ENODEV)    \
    X(EINVAL) X(ENOSPC) X(EDOM) X(ERANGE) X(ENOSYS) X(EOVERFLOW)            \
    X(EOPNOTSUPP)

const char *xct_errno_name(int e)
{
    switch (e) {
#define XCT_X_ERRNO(name) case name: return #name;
    XCT_ERRNOS(XCT_X_ERRNO)
#undef XCT_X_ERRNO
    default:
        return "?";
    }
}

static const char *const xct_error_texts[] = {
#define XCT_X_TEXT(id, text) [XCT_E_##id - XCT_ERRNO_BASE] = text,
    XCT_ERRORS(XCT_X_TEXT)
#undef XCT_X_TEXT
};

static const char *const xct_error_names[] = {
#define XCT_X_ENAME(id, text) [XCT_E_##id - XCT_ERRNO_BASE] = #id,
    XCT_ERRORS(XCT_X_ENAME)
#undef XCT_X_ENAME
};

const char *xct_strerror(int err)
{
    if (err == INT_MIN)
        return "unknown error";
    if (err < 0)
        err = -err;
    if (err == 0)
        return "success";
    if (err >= XCT_ERRNO_BASE && err < XCT_E_END_)
        return xct_error_texts[err - XCT_ERRNO_BASE];
    return strerror(err);
}

const char *xct_error_name(int err)
{
    if (err == INT_MIN)
        return NULL;
    if (err < 0)
        err = -err;
    if (err >= XCT_ERRNO_BASE && err < XCT_E_END_)
        return xct_error_names[err - XCT_ERRNO_BASE];
    return NULL;
}
