/* xsc_check.c: classes guest deaths from a trace's records alone. */
/* SPDX-License-Identifier: MIT */
/*
 * Independent of the runner's own bookkeeping: only the file is read.
 * Records of every CPU are merged by TSC (ties in file order), then
 * replayed per domain: a domain that dies owning pages right after an
 * allocation of its own failed is a half-built guest; one that dies
 * owning nothing after a refused claim was refused at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xct_events.h"
#include "xct_record.h"
#include "xsc_int.h"

#define MAX_DOMID   0x7fefu

struct rec {
    uint64_t tsc;
    uint64_t seq;
    uint32_t event;
    uint32_t words[XCT_MAX_WORDS];
};

struct dom {
    uint64_t claim;             /* outstanding claim, as the records say */
    bool alive;
    bool claim_failed;
    bool alloc_failed;
};

static int bad(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;

    if (x->tsc != y->tsc)
        return x->tsc < y->tsc ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Payload words each xenclaim event must carry; 0 for others. */
static unsigned int want_words(uint32_t event)
{
    switch (event) {
#define X(id, minor, name, doc) case XCT_EV_##id: return XCT_NWORDS_##id;
    XCT_EVENTS(X)
#undef X
    }
    return 0;
}

/* A domain's claim is now claim: keep the host's sum and its peak. */
static void set_claim(struct dom *d, uint64_t claim, uint64_t *outstanding,
                      struct xsc_check *out)
{
    *outstanding = *outstanding - d->claim + claim;
    d->claim = claim;
    if (*outstanding > out->max_outstanding)
        out->max_outstanding = *outstanding;
}

static int replay(const struct rec *v, size_t n, struct xsc_check *out)
{
    struct dom *doms = calloc(MAX_DOMID + 1, sizeof(*doms));
    uint64_t outstanding = 0;
    size_t i;

    if (!doms)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        const uint32_t *w = v[i].words;
        struct dom *d;

        switch (v[i].event) {
        case XCT_EV_DOMAIN: {
            struct xct_ev_DOMAIN e;

            xct_dec_DOMAIN(w, &e);
            if (e.domid > MAX_DOMID)
                break;
            d = &doms[e.domid];
            if (e.state == XCT_DOM_CREATED) {
                memset(d, 0, sizeof(*d));
                d->alive = true;
                out->created++;
            } else if (e.state == XCT_DOM_DYING) {
                out->died++;
                if (d->alloc_failed && e.tot_pages)
                    out->half_built++;
                else if (d->alloc_failed)
                    out->failed_empty++;
                else if (d->claim_failed && !e.tot_pages)
                    out->refused_at_claim++;
                else
                    out->destroyed_other++;
                d->alive = false;
            }
            break;
        }
        case XCT_EV_CLAIM: {
            struct xct_ev_CLAIM e;

            xct_dec_CLAIM(w, &e);
            out->claims++;
            if (e.result < 0)
                out->claims_refused++;
            if (e.domid <= MAX_DOMID && e.nr_pages)
                doms[e.domid].claim_failed = e.result < 0;
            if (e.domid <= MAX_DOMID && !e.result)
                set_claim(&doms[e.domid], e.claim, &outstanding, out);
            break;
        }
        case XCT_EV_ALLOC_DENIED:
        case XCT_EV_ALLOC_FAILED: {
            struct xct_ev_ALLOC_DENIED e;

            xct_dec_ALLOC_DENIED(w, &e);
            if (v[i].event == XCT_EV_ALLOC_DENIED)
                out->denied++;
            else
                out->failed++;
            if (e.domid <= MAX_DOMID)
                doms[e.domid].alloc_failed = true;
            break;
        }
        case XCT_EV_TOT_PAGES: {
            struct xct_ev_TOT_PAGES e;

            xct_dec_TOT_PAGES(w, &e);
            if (e.domid <= MAX_DOMID && e.delta > 0)
                doms[e.domid].alloc_failed = false;
            break;
        }
        case XCT_EV_CLAIM_RELEASE: {
            struct xct_ev_CLAIM_RELEASE e;

            xct_dec_CLAIM_RELEASE(w, &e);
            if (e.domid <= MAX_DOMID)
                set_claim(&doms[e.domid], 0, &outstanding, out);
            break;
        }
        case XCT_EV_CLAIM_DRAW: {
            struct xct_ev_CLAIM_DRAW e;

            xct_dec_CLAIM_DRAW(w, &e);
            if (e.domid <= MAX_DOMID)
                set_claim(&doms[e.domid], e.claim, &outstanding, out);
            break;
        }
        }
    }
    free(doms);
    return 0;
}

/* Parse the windows of buf; collect xenclaim records into *vp. */
static int parse(const uint8_t *buf, size_t len, struct xsc_check *out,
                 struct rec **vp, size_t *np, char *msg, size_t msglen)
{
    uint64_t last_tsc[256];
    uint32_t w[3];
    size_t off = 0, end, n = 0, cap = 0, used;
    struct xct_record r;
    struct rec *v = NULL, *nv;
    unsigned int want;

    memset(last_tsc, 0, sizeof(last_tsc));
    while (off < len) {
        if (len - off < XCT_CPU_CHANGE_BYTES) {
            free(v);
            return bad(msg, msglen, "offset %zu: a window header cut short",
                       off);
        }
        memcpy(w, buf + off, sizeof(w));
        if (w[0] != xct_record_header(XCT_TRC_CPU_CHANGE, 2, 0) ||
            w[1] > 255) {
            free(v);
            return bad(msg, msglen, "offset %zu: not a CPU_CHANGE record "
                       "(%08x, cpu %u)", off, w[0], w[1]);
        }
        off += XCT_CPU_CHANGE_BYTES;
        if (w[2] > len - off) {
            free(v);
            return bad(msg, msglen, "offset %zu: window of %u bytes, %zu "
                       "left", off, w[2], len - off);
        }
        end = off + w[2];
        out->windows++;
        while (off < end) {
            used = xct_record_decode(buf + off, end - off, last_tsc[w[1]],
                                     &r);
            if (!used) {
                free(v);
                return bad(msg, msglen, "offset %zu: a record crosses the "
                           "end of its window", off);
            }
            if (r.tsc < last_tsc[w[1]]) {
                free(v);
                return bad(msg, msglen, "offset %zu: TSC %" PRIu64 " below "
                           "%" PRIu64 " on cpu %u", off, r.tsc,
                           last_tsc[w[1]], w[1]);
            }
            last_tsc[w[1]] = r.tsc;
            off += used;
            out->records++;
            want = want_words(r.event);
            if (!want)
                continue;
            if (r.nwords != want) {
                free(v);
                return bad(msg, msglen, "offset %zu: event %#x with %u "
                           "words, %u expected", off - used, r.event,
                           r.nwords, want);
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 4096;
                nv = realloc(v, cap * sizeof(*v));
                if (!nv) {
                    free(v);
                    return -ENOMEM;
                }
                v = nv;
            }
            v[n].tsc = r.tsc;
            v[n].seq = n;
            v[n].event = r.event;
            memcpy(v[n].words, r.words, sizeof(v[n].words));
            n++;
        }
    }
    *vp = v;
    *np = n;
    return 0;
}

int xsc_check_trace(const char *path, struct xsc_check *out, char *msg,
                    size_t msglen)
{
    struct stat st;
    struct rec *v = NULL;
    void *map = NULL;
    size_t n = 0;
    int fd, rc;

    memset(out, 0, sizeof(*out));
    snprintf(msg, msglen, "%s", "");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        snprintf(msg, msglen, "%s", strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st)) {
        rc = -errno;
        close(fd);
        snprintf(msg, msglen, "%s", strerror(-rc));
        return rc;
    }
    if (st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            rc = -errno;
            close(fd);
            snprintf(msg, msglen, "mmap: %s", strerror(-rc));
            return rc;
        }
    }
    close(fd);
    rc = map ? parse(map, (size_t)st.st_size, out, &v, &n, msg, msglen) : 0;
    if (map)
        munmap(map, (size_t)st.st_size);
    if (rc)
        return rc;
    qsort(v, n, sizeof(*v), cmp_rec);
    rc = replay(v, n, out);
    free(v);
    return rc;
}
