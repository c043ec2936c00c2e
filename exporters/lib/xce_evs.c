/* xce_evs.c: event stream records (Header, Event, Snapshot) and the frame reader. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xce_evs.h"
#include "xce_mset.h"
#include "xcev.pb-c.h"

/* Append rec, packed, without a length. */
static int pack(struct xce_buf *out, const Xcev__Record *rec)
{
    size_t size = xcev__record__get_packed_size(rec);

    if (size > XCE_EVS_MAX_FRAME)
        return -EMSGSIZE;
    if (xce_buf_reserve(out, size) < 0)
        return -ENOMEM;
    out->len += xcev__record__pack(rec, (uint8_t *)out->p + out->len);
    return 0;
}

int xce_evs_frame(struct xce_buf *out, uint64_t seq, const void *rec,
                  size_t len)
{
    uint8_t seqf[1 + XCE_VARINT_MAX], hdr[XCE_VARINT_MAX];
    size_t ns, nh;

    /* Field 1 (seq), wire type 0: tag byte 0x08.  Fields may come in any
     * order, and the record was packed with seq 0 (so without it). */
    seqf[0] = 0x08;
    ns = 1 + xce_varint_put(seqf + 1, seq);
    if (len + ns > XCE_EVS_MAX_FRAME)
        return -EMSGSIZE;
    nh = xce_varint_put(hdr, len + ns);
    if (xce_buf_reserve(out, nh + ns + len) < 0)
        return -ENOMEM;
    xce_buf_add_unchecked(out, hdr, nh);
    xce_buf_add_unchecked(out, seqf, ns);
    xce_buf_add_unchecked(out, rec, len);
    return 0;
}

int xce_evs_header(struct xce_buf *out, const char *source,
                   const char *producer, uint64_t start_unix_ms)
{
    Xcev__Record rec = XCEV__RECORD__INIT;
    Xcev__Header h = XCEV__HEADER__INIT;

    h.magic = (char *)XCE_EVS_MAGIC;
    h.version = XCE_EVS_VERSION;
    h.source = (char *)(source ? source : "");
    h.producer = (char *)(producer ? producer : "");
    h.start_unix_ms = start_unix_ms;
    rec.body_case = XCEV__RECORD__BODY_HEADER;
    rec.header = &h;
    return pack(out, &rec);
}

static const int kind_map[] = {
    [XCS_EV_STAKE] = XCEV__EVENT_KIND__STAKE,
    [XCS_EV_REFUSED] = XCEV__EVENT_KIND__REFUSED,
    [XCS_EV_CANCEL] = XCEV__EVENT_KIND__CANCEL,
    [XCS_EV_RELEASE] = XCEV__EVENT_KIND__RELEASE,
    [XCS_EV_DRAW] = XCEV__EVENT_KIND__DRAW,
    [XCS_EV_TOT_PAGES] = XCEV__EVENT_KIND__TOT_PAGES,
    [XCS_EV_DENIAL] = XCEV__EVENT_KIND__DENIAL,
    [XCS_EV_FAILED] = XCEV__EVENT_KIND__FAILED_ALLOC,
    [XCS_EV_CREATED] = XCEV__EVENT_KIND__CREATED,
    [XCS_EV_DESTROYED] = XCEV__EVENT_KIND__DESTROYED,
    [XCS_EV_DYING] = XCEV__EVENT_KIND__DYING,
    [XCS_EV_LOST] = XCEV__EVENT_KIND__LOST,
    [XCS_EV_DUMP] = XCEV__EVENT_KIND__DUMP,
    [XCS_EV_ISSUE] = XCEV__EVENT_KIND__ISSUE,
};

const char *xce_evs_kind_name(int kind)
{
    static const char *const names[] = {
        [XCEV__EVENT_KIND__STAKE] = "stake",
        [XCEV__EVENT_KIND__REFUSED] = "refused",
        [XCEV__EVENT_KIND__CANCEL] = "cancel",
        [XCEV__EVENT_KIND__RELEASE] = "release",
        [XCEV__EVENT_KIND__DRAW] = "draw",
        [XCEV__EVENT_KIND__TOT_PAGES] = "tot_pages",
        [XCEV__EVENT_KIND__DENIAL] = "denial",
        [XCEV__EVENT_KIND__FAILED_ALLOC] = "failed",
        [XCEV__EVENT_KIND__CREATED] = "created",
        [XCEV__EVENT_KIND__DESTROYED] = "destroyed",
        [XCEV__EVENT_KIND__DYING] = "dying",
        [XCEV__EVENT_KIND__LOST] = "lost",
        [XCEV__EVENT_KIND__DUMP] = "dump",
        [XCEV__EVENT_KIND__ISSUE] = "issue",
    };

    if (kind < 0 || (size_t)kind >= sizeof(names) / sizeof(names[0]) ||
        !names[kind])
        return "?";
    return names[kind];
}

int xce_evs_event(struct xce_buf *out, const struct xcs_event *ev,
                  const char *domain_name)
{
    Xcev__Record rec = XCEV__RECORD__INIT;
    Xcev__Event e = XCEV__EVENT__INIT;
    char text[3 * sizeof(ev->text)], name[3 * XCS_NAME_MAX];

    if ((unsigned int)ev->kind >= sizeof(kind_map) / sizeof(kind_map[0]))
        return -EINVAL;
    /* The text may be cut anywhere; protobuf strings want UTF-8. */
    memcpy(name, ev->text, sizeof(ev->text));
    name[sizeof(ev->text) - 1] = '\0';
    xce_utf8_clean(text, sizeof(text), name);
    xce_utf8_clean(name, sizeof(name), domain_name ? domain_name : "");
    e.kind = kind_map[ev->kind];
    e.time_ns = ev->time_ns;
    e.domid = ev->domid;
    e.err = ev->err;
    e.pages = ev->pages;
    e.text = text;
    e.domain_name = name;
    rec.body_case = XCEV__RECORD__BODY_EVENT;
    rec.event = &e;
    return pack(out, &rec);
}

static const int status_map[] = {
    [XCS_STARTING] = XCEV__SOURCE_STATUS__STARTING,
    [XCS_UP] = XCEV__SOURCE_STATUS__UP,
    [XCS_IDLE] = XCEV__SOURCE_STATUS__IDLE,
    [XCS_DOWN] = XCEV__SOURCE_STATUS__DOWN,
    [XCS_FAILED] = XCEV__SOURCE_STATUS__FAILED,
};

/*
 * name itself when it is plain ASCII, else a cleaned copy in (*names)[i]
 * (allocated for n names on first use); NULL when that fails.
 */
static char *clean_name(const char *name, char (**names)[3 * XCS_NAME_MAX],
                        unsigned int n, unsigned int i)
{
    const char *p;

    for (p = name; *p && !(*p & 0x80); p++)
        ;
    if (!*p)
        return (char *)name;
    if (!*names) {
        *names = calloc(n, sizeof(**names));
        if (!*names)
            return NULL;
    }
    xce_utf8_clean((*names)[i], sizeof((*names)[i]), name);
    return (*names)[i];
}

int xce_evs_snapshot(struct xce_buf *out, const struct xcs_snapshot *snap,
                     uint64_t unix_ms)
{
    Xcev__Record rec = XCEV__RECORD__INIT;
    Xcev__Snapshot s = XCEV__SNAPSHOT__INIT;
    Xcev__Host h = XCEV__HOST__INIT;
    const struct xcs_host *sh = &snap->host;
    unsigned int i, nd = snap->nr_domains;
    Xcev__Domain *d = NULL, **dp = NULL;
    char (*names)[3 * XCS_NAME_MAX] = NULL;
    uint64_t nodes[XCS_MAX_NODES];
    int rc;

    if (nd) {
        d = calloc(nd, sizeof(*d));
        dp = calloc(nd, sizeof(*dp));
        if (!d || !dp) {
            free(d);
            free(dp);
            return -ENOMEM;
        }
    }
    for (i = 0; i < nd; i++) {
        const struct xcs_domain *x = &snap->doms[i];

        xcev__domain__init(&d[i]);
        d[i].domid = x->domid;
        d[i].name = clean_name(x->name, &names, nd, i);
        if (!d[i].name) {
            rc = -ENOMEM;
            goto out;
        }
        d[i].tot_pages = x->tot_pages;
        d[i].max_pages = x->max_pages;
        d[i].claim_pages = x->claim;
        d[i].dying = x->dying;
        d[i].claim_since_ns = x->claim_since_ns;
        d[i].claim_staked_pages = x->claim_staked;
        d[i].stakes = x->stakes;
        d[i].cancels = x->cancels;
        d[i].deaths = x->deaths;
        d[i].drawn_full = x->drawn_full;
        d[i].refused = x->refused;
        d[i].denials = x->denials;
        d[i].failed = x->failed;
        d[i].pages_drawn = x->pages_drawn;
        d[i].last_event_ns = x->last_event_ns;
        d[i].last_event = (char *)x->last_event;
        dp[i] = &d[i];
    }
    h.total_pages = sh->total_pages;
    h.free_pages = sh->free_pages;
    h.freeable_pages = sh->freeable_pages;
    h.outstanding_pages = sh->outstanding_pages;
    if (sh->nr_nodes > 1) {
        h.n_node_free_pages = sh->nr_nodes < XCS_MAX_NODES ? sh->nr_nodes
                                                            : XCS_MAX_NODES;
        memcpy(nodes, sh->node_free, h.n_node_free_pages * sizeof(nodes[0]));
        h.node_free_pages = nodes;
    }
    h.stakes = sh->stakes;
    h.refused = sh->refused;
    h.denials = sh->denials;
    h.denials_anon = sh->denials_anon;
    h.failed = sh->failed;
    h.records = sh->records;
    h.lost = sh->lost;
    h.issues = sh->issues;
    h.exact = sh->exact;
    h.now_ns = sh->now_ns;

    s.unix_ms = unix_ms;
    s.status = (unsigned int)snap->status <
                       sizeof(status_map) / sizeof(status_map[0])
                   ? status_map[snap->status]
                   : XCEV__SOURCE_STATUS__FAILED;
    s.message = (char *)snap->message;
    s.host = &h;
    s.n_domains = nd;
    s.domains = dp;
    rec.body_case = XCEV__RECORD__BODY_SNAPSHOT;
    rec.snapshot = &s;
    rc = pack(out, &rec);
out:
    free(names);
    free(d);
    free(dp);
    return rc;
}

/* ---- reading ---------------------------------------------------------- */

void xce_frame_reader_init(struct xce_frame_reader *r, int fd)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
}

void xce_frame_reader_free(struct xce_frame_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->pos = r->cap = 0;
}

/* Have at least want bytes buffered (fewer only at end of input). */
static int fill(struct xce_frame_reader *r, size_t want)
{
    while (r->len - r->pos < want && !r->eof) {
        ssize_t k;

        if (r->pos && r->pos == r->len)
            r->pos = r->len = 0;
        if (r->cap - r->len < 65536 && r->pos) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->pos = 0;
        }
        if (r->cap - r->len < 65536 || r->cap < want) {
            size_t cap = r->cap ? r->cap : 131072;
            uint8_t *b;

            while (cap - r->len < 65536 || cap < want)
                cap *= 2;
            b = realloc(r->buf, cap);
            if (!b)
                return -ENOMEM;
            r->buf = b;
            r->cap = cap;
        }
        k = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (k == 0)
            r->eof = 1;
        r->len += (size_t)k;
    }
    return 0;
}

int xce_frame_next(struct xce_frame_reader *r, const uint8_t **msg,
                   size_t *len)
{
    uint64_t size;
    int k, rc;

    r->offset = r->next;
    rc = fill(r, XCE_VARINT_MAX);
    if (rc < 0)
        return rc;
    if (r->pos == r->len)
        return 0;
    k = xce_varint_get(r->buf + r->pos, r->len - r->pos, &size);
    if (k == 0)
        return -ENODATA;
    if (k < 0)
        return -EBADMSG;
    if (size > XCE_EVS_MAX_FRAME)
        return -EMSGSIZE;
    rc = fill(r, (size_t)k + (size_t)size);
    if (rc < 0)
        return rc;
    if (r->len - r->pos < (size_t)k + size)
        return -ENODATA;
    *msg = r->buf + r->pos + k;
    *len = (size_t)size;
    r->next += (size_t)k + size;
    r->pos += (size_t)k + (size_t)size;
    return 1;
}
