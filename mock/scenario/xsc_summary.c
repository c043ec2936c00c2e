/* xsc_summary.c: the summary of a scenario run. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xsc_int.h"

static const char *errname(int e, char *buf, size_t len)
{
    const char *n = e ? strerrorname_np(e) : NULL;

    if (n)
        return n;
    snprintf(buf, len, "errno %d", e);
    return buf;
}

static void print_guest(const struct xsc_result *res,
                        const struct xsc_scenario *sc,
                        const struct xsc_guest *g, FILE *f)
{
    char mem[32], t[32], t2[32], eb[32];

    fprintf(f, "  %-16s %-10s %5" PRIu32 " %7s  %s", g->name,
            sc->actors[g->actor].name, g->domid,
            xsc_fmt_size(mem, sizeof(mem), g->pages),
            xsc_outcome_name(g->outcome));
    switch (g->outcome) {
    case XSC_BUILT:
        fprintf(f, " in %s%s", xsc_fmt_time(t, sizeof(t),
                                            g->t_end - g->t_start),
                g->claim ? " (claimed)" : "");
        break;
    case XSC_CREATE_FAILED:
    case XSC_CLAIM_REFUSED:
    case XSC_SETUP_FAILED:
        fprintf(f, " (%s)", errname(g->err, eb, sizeof(eb)));
        break;
    case XSC_HALF_BUILT:
    case XSC_POPULATE_FAILED:
        fprintf(f, ": %" PRIu64 " of %" PRIu64 " pages (%s)", g->populated,
                g->pages, errname(g->err, eb, sizeof(eb)));
        break;
    case XSC_DIED:
    case XSC_BUILDING:
        fprintf(f, ": %" PRIu64 " of %" PRIu64 " pages", g->populated,
                g->pages);
        break;
    case XSC_PENDING:
        break;
    }
    if (g->destroyed)
        fprintf(f, "; destroyed at %s by %s with %" PRIu64 " pages",
                xsc_fmt_time(t2, sizeof(t2), g->t_destroyed),
                g->destroyed_by == g->actor
                    ? "its builder" : sc->actors[g->destroyed_by].name,
                g->tot_at_destroy);
    fputc('\n', f);
    (void)res;
}

void xsc_result_print(const struct xsc_result *res,
                      const struct xsc_scenario *sc, FILE *f)
{
    const struct xsc_host *h = &sc->host;
    uint64_t count[XSC_SETUP_FAILED + 1] = { 0 };
    uint64_t destroyed = 0, half_pages = 0;
    char a[32], b[32], c[32], eb[32];
    size_t i;

    fprintf(f, "scenario %s, seed %" PRIu64 "\n", sc->name, res->seed);
    fprintf(f, "host: %s on %u node%s, %u cpu%s, dom0 %s, tmem pool %s, "
            "claim mode %s\n", xsc_fmt_size(a, sizeof(a), h->memory),
            h->nodes, h->nodes == 1 ? "" : "s", h->cpus,
            h->cpus == 1 ? "" : "s", xsc_fmt_size(b, sizeof(b), h->dom0),
            xsc_fmt_size(c, sizeof(c), h->tmem), h->claim ? "on" : "off");
    fprintf(f, "virtual time %s, %" PRIu64 " steps; trace: %" PRIu64
            " records in %" PRIu64 " windows, %" PRIu64 " bytes\n",
            xsc_fmt_time(a, sizeof(a), res->end_ns), res->steps,
            res->records, res->windows, res->bytes);

    fprintf(f, "\nguests:\n  %-16s %-10s %5s %7s  %s\n", "NAME", "ACTOR",
            "DOMID", "MEMORY", "OUTCOME");
    for (i = 0; i < res->nr_guests; i++) {
        const struct xsc_guest *g = &res->guests[i];

        print_guest(res, sc, g, f);
        count[g->outcome]++;
        destroyed += g->destroyed;
        if (g->outcome == XSC_HALF_BUILT)
            half_pages += g->populated;
    }

    fprintf(f, "\nactors:\n");
    for (i = 0; i < res->nr_actors; i++) {
        const struct xsc_actor_stats *s = &res->actors[i];

        fprintf(f, "  %-10s cpu %-3d %6" PRIu64 " ops, %4" PRIu64
                " failed, %8" PRIu64 " hypercalls, busy %s\n",
                sc->actors[i].name,
                sc->actors[i].cpu >= 0 ? sc->actors[i].cpu
                                       : (int)(i % sc->host.cpus),
                s->ops, s->failed, s->hypercalls,
                xsc_fmt_time(a, sizeof(a), s->busy_ns));
    }

    if (res->nr_failures) {
        fprintf(f, "\nfailed operations:\n");
        for (i = 0; i < res->nr_failures; i++) {
            const struct xsc_failure *e = &res->failures[i];

            fprintf(f, "  %s %-10s line %-4u %s%s%s: ",
                    xsc_fmt_time(a, sizeof(a), e->t),
                    sc->actors[e->actor].name, e->line, xsc_op_name(e->kind),
                    e->name[0] ? " " : "", e->name);
            if (e->err)
                fprintf(f, "%s", errname(e->err, eb, sizeof(eb)));
            if (e->asked)
                fprintf(f, "%sdid %" PRIu64 " of %" PRIu64 " pages",
                        e->err ? ", " : "", e->done, e->asked);
            fputc('\n', f);
        }
    }

    fprintf(f, "\ntotals: guests=%zu built=%" PRIu64 " refused-at-claim=%"
            PRIu64 " half-built=%" PRIu64 " populate-failed=%" PRIu64
            " died-mid-build=%" PRIu64 " create-failed=%" PRIu64
            " setup-failed=%" PRIu64 " building=%" PRIu64 " not-started=%"
            PRIu64 " destroyed=%" PRIu64 " failed-ops=%zu\n",
            res->nr_guests, count[XSC_BUILT], count[XSC_CLAIM_REFUSED],
            count[XSC_HALF_BUILT], count[XSC_POPULATE_FAILED],
            count[XSC_DIED], count[XSC_CREATE_FAILED],
            count[XSC_SETUP_FAILED], count[XSC_BUILDING],
            count[XSC_PENDING], destroyed, res->nr_failures);
    fprintf(f, "half-built pages: %" PRIu64 " (taken by guests that then "
            "failed)\n", half_pages);
    fprintf(f, "host at the end: total=%" PRIu64 " free=%" PRIu64
            " outstanding=%" PRIu64 " tmem-freeable=%" PRIu64 " offline=%"
            PRIu64 " domains=%u guest-pages=%" PRIu64 "\n",
            res->phys.total_pages, res->phys.free_pages,
            res->phys.outstanding_pages, res->phys.freeable_pages,
            res->phys.offline_pages, res->live_domains, res->guest_pages);
}
