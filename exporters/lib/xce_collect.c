/* xce_collect.c: the exporter's metric families, filled from a snapshot and its own counters. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "xce_collect.h"

#ifndef XENCLAIM_VERSION
#define XENCLAIM_VERSION "0"
#endif

static const char *const dom_label_names[] = { "domid", "name" };

enum xce_errno_slot xce_errno_slot(int err)
{
    switch (err) {
#define XCE_X_CASE(e) case e: return XCE_ERR_##e;
    XCE_ERRNOS(XCE_X_CASE)
#undef XCE_X_CASE
    default:
        return XCE_ERR_OTHER;
    }
}

const char *xce_errno_name(enum xce_errno_slot slot)
{
    static const char *const names[XCE_NERR] = {
#define XCE_X_NAME(e) #e,
        XCE_ERRNOS(XCE_X_NAME)
#undef XCE_X_NAME
        "other",
    };

    return (unsigned int)slot < XCE_NERR ? names[slot] : "?";
}

const char *xce_status_name(enum xcs_status st)
{
    switch (st) {
    case XCS_STARTING: return "starting";
    case XCS_UP: return "up";
    case XCS_IDLE: return "idle";
    case XCS_DOWN: return "down";
    case XCS_FAILED: return "failed";
    }
    return "?";
}

int xce_source_up(enum xcs_status st)
{
    return st == XCS_UP || st == XCS_IDLE;
}

/* A family with one unlabelled sample. */
static void one(struct xce_mset *ms, const char *name, const char *help,
                enum xce_type type, double v)
{
    if (xce_mset_family(ms, name, help, type) == 0)
        xce_mset_add(ms, XCE_NO_LABELS, v);
}

/* A family with one sample labelled name=value. */
static void one_l(struct xce_mset *ms, const char *fam, const char *help,
                  enum xce_type type, const char *lname, const char *lvalue,
                  double v)
{
    long l;

    if (xce_mset_family(ms, fam, help, type) < 0)
        return;
    l = xce_mset_labels(ms, 1, &lname, &lvalue);
    if (l > 0)
        xce_mset_add(ms, (uint32_t)l, v);
}

/* Per-domain families: X(name, type, help, expression over d). */
#define XCE_DOM_METRICS(X)                                                   \
    X("xenclaim_domain_tot_bytes", XCE_GAUGE,                                \
      "Memory the domain owns (its tot_pages), in bytes.",                  \
      (double)d->tot_pages * XCE_PAGE_BYTES)                                \
    X("xenclaim_domain_max_bytes", XCE_GAUGE,                                \
      "The domain's memory limit (max_pages), in bytes.",                   \
      (double)d->max_pages * XCE_PAGE_BYTES)                                \
    X("xenclaim_domain_claim_outstanding_bytes", XCE_GAUGE,                  \
      "The domain's outstanding claim (claimed, not yet allocated), in "    \
      "bytes.", (double)d->claim * XCE_PAGE_BYTES)                          \
    X("xenclaim_domain_claim_drawn_bytes", XCE_COUNTER,                      \
      "Memory allocated to the domain out of its claims, in bytes.",        \
      (double)d->pages_drawn * XCE_PAGE_BYTES)                              \
    X("xenclaim_domain_claims_staked", XCE_COUNTER,                          \
      "Claims staked for the domain.", (double)d->stakes)                   \
    X("xenclaim_domain_claims_cancelled", XCE_COUNTER,                       \
      "Claims of the domain cancelled (a claim of 0 pages).",               \
      (double)d->cancels)                                                   \
    X("xenclaim_domain_claims_released", XCE_COUNTER,                        \
      "Claims of the domain that went away other than by a cancel: drawn "  \
      "down to zero, or by the domain's death.",                            \
      (double)(d->drawn_full + d->deaths))                                  \
    X("xenclaim_domain_stakes_refused", XCE_COUNTER,                         \
      "Claim requests for the domain that were refused.",                   \
      (double)d->refused)                                                   \
    X("xenclaim_domain_denials", XCE_COUNTER,                                \
      "Allocations for the domain denied because of outstanding claims.",   \
      (double)d->denials)                                                   \
    X("xenclaim_domain_dying", XCE_GAUGE,                                    \
      "1 while the domain is dying.", (double)d->dying)

static void domains(struct xce_mset *ms, const struct xcs_snapshot *snap)
{
    /* The label set of domain i is dl + i: built once, used by all. */
    unsigned int i, nd = snap->nr_domains;
    uint32_t dl = (uint32_t)ms->nlab;
    const struct xcs_domain *d;

    for (i = 0; i < nd; i++) {
        char id[16];
        const char *v[2] = { id, snap->doms[i].name };

        snprintf(id, sizeof(id), "%" PRIu32, snap->doms[i].domid);
        if (xce_mset_labels(ms, 2, dom_label_names, v) < 0)
            return;
    }
#define XCE_X_DOM(fname, ftype, fhelp, expr)                                 \
    if (xce_mset_family(ms, fname, fhelp, ftype) < 0)                       \
        return;                                                             \
    for (i = 0; i < nd; i++) {                                              \
        d = &snap->doms[i];                                                 \
        xce_mset_add(ms, dl + i, (expr));                                   \
    }
    XCE_DOM_METRICS(XCE_X_DOM)
#undef XCE_X_DOM
}

static void refused_by_errno(struct xce_mset *ms, const struct xcs_host *h,
                             const struct xce_self *self)
{
    static const char *const lname = "errno";
    uint64_t sum = 0;
    unsigned int i;
    long l;

    if (xce_mset_family(ms, "xenclaim_host_stakes_refused",
                        "Claim requests refused, by errno (\"unknown\": "
                        "refusals the source counted without saying why).",
                        XCE_COUNTER) < 0)
        return;
    for (i = 0; i < XCE_NERR; i++) {
        const char *name = xce_errno_name(i);

        sum += self->refused[i];
        if (self->refused[i] == 0)
            continue;
        l = xce_mset_labels(ms, 1, &lname, &name);
        if (l > 0)
            xce_mset_add(ms, (uint32_t)l, (double)self->refused[i]);
    }
    if (h->refused > sum || sum == 0) {
        const char *unk = "unknown";

        l = xce_mset_labels(ms, 1, &lname, &unk);
        if (l > 0)
            xce_mset_add(ms, (uint32_t)l,
                         (double)(h->refused > sum ? h->refused - sum : 0));
    }
}

static void host(struct xce_mset *ms, const struct xcs_snapshot *snap,
                 const struct xce_self *self)
{
    const struct xcs_host *h = &snap->host;
    double headroom;
    unsigned int i;

    if (h->total_pages)
        one(ms, "xenclaim_host_total_bytes",
            "Host memory Xen manages, in bytes.", XCE_GAUGE,
            (double)h->total_pages * XCE_PAGE_BYTES);
    one(ms, "xenclaim_host_free_bytes", "Free memory in Xen's heap, in bytes.",
        XCE_GAUGE, (double)h->free_pages * XCE_PAGE_BYTES);
    one(ms, "xenclaim_host_freeable_bytes",
        "Memory an ephemeral cache (tmem) holds that can be reclaimed on "
        "demand, in bytes.", XCE_GAUGE,
        (double)h->freeable_pages * XCE_PAGE_BYTES);
    one(ms, "xenclaim_host_claims_outstanding_bytes",
        "Sum of every domain's outstanding claim, in bytes.", XCE_GAUGE,
        (double)h->outstanding_pages * XCE_PAGE_BYTES);
    headroom = ((double)h->free_pages + (double)h->freeable_pages -
                (double)h->outstanding_pages) * XCE_PAGE_BYTES;
    one(ms, "xenclaim_host_headroom_bytes",
        "What a new claim could still get: free plus freeable minus "
        "outstanding claims, in bytes (negative: claims exceed it).",
        XCE_GAUGE, headroom);
    one(ms, "xenclaim_host_domains", "Domains the source knows.", XCE_GAUGE,
        snap->nr_domains);
    one(ms, "xenclaim_host_claims_staked", "Claims staked on the host.",
        XCE_COUNTER, (double)h->stakes);
    refused_by_errno(ms, h, self);
    one(ms, "xenclaim_host_denials",
        "Allocations denied because of outstanding claims.", XCE_COUNTER,
        (double)h->denials);
    one(ms, "xenclaim_host_anonymous_denials",
        "Allocations for no domain denied because of outstanding claims.",
        XCE_COUNTER, (double)h->denials_anon);
    one(ms, "xenclaim_host_alloc_failed",
        "Allocations that failed for lack of a free block (not claims).",
        XCE_COUNTER, (double)h->failed);
    one(ms, "xenclaim_host_state_exact",
        "1 when the state is known exactly (trace sources: after a state "
        "dump, until records are lost).", XCE_GAUGE, h->exact ? 1 : 0);
    one(ms, "xenclaim_host_replay_issues",
        "Inconsistencies the trace replay found.", XCE_COUNTER,
        (double)h->issues);
    if (h->nr_nodes > 1 &&
        xce_mset_family(ms, "xenclaim_node_free_bytes",
                        "Free memory of one NUMA node, in bytes.",
                        XCE_GAUGE) == 0) {
        static const char *const lname = "node";

        for (i = 0; i < h->nr_nodes && i < XCS_MAX_NODES; i++) {
            char nb[12];
            const char *v = nb;
            long l;

            snprintf(nb, sizeof(nb), "%u", i);
            l = xce_mset_labels(ms, 1, &lname, &v);
            if (l > 0)
                xce_mset_add(ms, (uint32_t)l,
                             (double)h->node_free[i] * XCE_PAGE_BYTES);
        }
    }
}

static void exporter(struct xce_mset *ms, const struct xcs_snapshot *snap,
                     const struct xce_self *self)
{
    static const char *const fmt_label = "format";
    unsigned int i;
    long l;

    one(ms, "xenclaim_source_up",
        "1 while the source delivers data (or a trace was read to its end "
        "without error), else 0.", XCE_GAUGE,
        snap && self->have_source ? xce_source_up(snap->status) : 0);
    if (snap && self->have_source &&
        xce_mset_family(ms, "xenclaim_source_info",
                        "What the source is and its status (value 1).",
                        XCE_GAUGE) == 0) {
        static const char *const names[] = { "source", "status" };
        const char *v[2] = { snap->source, xce_status_name(snap->status) };

        l = xce_mset_labels(ms, 2, names, v);
        if (l > 0)
            xce_mset_add(ms, (uint32_t)l, 1);
    }
    one(ms, "xenclaim_exporter_events_read",
        "Claim events taken from the source.", XCE_COUNTER,
        (double)self->events);
    one(ms, "xenclaim_exporter_records_read",
        "Trace records the source took in.", XCE_COUNTER,
        snap ? (double)snap->host.records : 0);
    one(ms, "xenclaim_exporter_records_lost",
        "Trace records the producer lost (the state is inexact until the "
        "next dump).", XCE_COUNTER, snap ? (double)snap->host.lost : 0);
    if (self->last_event_age >= 0)
        one(ms, "xenclaim_exporter_last_event_age_seconds",
            "Seconds since the last claim event was read.", XCE_GAUGE,
            self->last_event_age);
    if (xce_mset_family(ms, "xenclaim_exporter_scrapes",
                        "Requests for /metrics, by the format negotiated.",
                        XCE_COUNTER) == 0)
        for (i = 0; i < XCE_NFORMATS; i++) {
            const char *v = xce_format_name(i);

            l = xce_mset_labels(ms, 1, &fmt_label, &v);
            if (l > 0)
                xce_mset_add(ms, (uint32_t)l, (double)self->scrapes[i]);
        }
    one(ms, "xenclaim_exporter_http_errors",
        "HTTP requests answered with an error status.", XCE_COUNTER,
        (double)self->http_errors);
    if (self->rw_enabled) {
        one(ms, "xenclaim_exporter_remote_write_sent_samples",
            "Samples the remote-write receiver accepted.", XCE_COUNTER,
            (double)self->rw_sent);
        one(ms, "xenclaim_exporter_remote_write_dropped_samples",
            "Samples given up on: the queue overflowed while the receiver "
            "was unreachable, or it rejected them (4xx).", XCE_COUNTER,
            (double)self->rw_dropped);
        one(ms, "xenclaim_exporter_remote_write_failed_requests",
            "Remote-write requests that failed.", XCE_COUNTER,
            (double)self->rw_failed_requests);
        one(ms, "xenclaim_exporter_remote_write_pending_samples",
            "Samples queued for remote write.", XCE_GAUGE,
            (double)self->rw_pending);
    }
    if (self->ev_enabled) {
        one(ms, "xenclaim_exporter_event_stream_records",
            "Records written to the event stream (file or every client).",
            XCE_COUNTER, (double)self->ev_records);
        one(ms, "xenclaim_exporter_event_stream_clients",
            "Clients connected to the event stream socket.", XCE_GAUGE,
            (double)self->ev_clients);
        one(ms, "xenclaim_exporter_event_stream_dropped_clients",
            "Event stream clients disconnected for reading too slowly.",
            XCE_COUNTER, (double)self->ev_dropped_clients);
    }
    one(ms, "xenclaim_exporter_source_memory_bytes",
        "Memory the source holds (replay, tables, queues), in bytes.",
        XCE_GAUGE, (double)self->source_memory);
    one_l(ms, "xenclaim_exporter_build_info",
          "The exporter's version (value 1).", XCE_GAUGE, "version",
          XENCLAIM_VERSION, 1);
}

int xce_collect(struct xce_mset *ms, const struct xcs_snapshot *snap,
                const struct xce_self *self)
{
    xce_mset_reset(ms);
    exporter(ms, snap, self);
    if (snap && self->have_source && snap->status != XCS_STARTING &&
        snap->status != XCS_DOWN) {
        host(ms, snap, self);
        domains(ms, snap);
    }
    return xce_mset_ok(ms);
}
