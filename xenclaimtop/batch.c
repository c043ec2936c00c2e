/* batch.c: batch output, one frame per interval: text like xentop -b, CSV, or JSON lines; units in every key. */
/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "top.h"

static bool live(const struct top *t)
{
    return top_model_current(&t->model) &&
           (t->st == XCS_UP || t->st == XCS_IDLE);
}

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- text ---------------------------------------------------------- */

static void text_frame(struct top *t, FILE *f)
{
    struct top_model *m = &t->model;
    enum top_col_id ids[TOP_NCOLS];
    int widths[TOP_NCOLS];
    char line[1024];
    unsigned int i;
    int namew = top_cols[TOP_COL_NAME].width;

    top_header_text(t, f);
    if (!live(t)) {
        fputc('\n', f);
        return;
    }
    for (i = 0; i < m->nview; i++) {
        int l = (int)strlen(m->rows[m->view[i]].d->name);

        if (m->rows[m->view[i]].d->dying)
            l += 8;
        if (l > namew)
            namew = l < XCS_NAME_MAX + 8 ? l : XCS_NAME_MAX + 8;
    }
    for (i = 0; i < TOP_NCOLS; i++) {
        ids[i] = top_cols[i].id;
        widths[i] = i == TOP_COL_NAME ? namew : top_cols[i].maxwidth;
    }
    top_cols_line(line, sizeof(line), ids, widths, TOP_NCOLS, NULL,
                  t->unit);
    fprintf(f, "%s\n", line);
    for (i = 0; i < m->nview; i++) {
        top_cols_line(line, sizeof(line), ids, widths, TOP_NCOLS,
                      &m->rows[m->view[i]], t->unit);
        fprintf(f, "%s\n", line);
    }
    fputc('\n', f);
}

/* ---- shared by CSV and JSON ----------------------------------------- */

/* A rate in unit u per second, or "" / null when unknown. */
static void num_rate(char *buf, size_t len, double pages_per_s,
                     enum top_unit u, const char *unknown)
{
    if (pages_per_s < 0)
        snprintf(buf, len, "%s", unknown);
    else
        snprintf(buf, len, "%.9g", top_unit_value(pages_per_s, u));
}

static void num_count_rate(char *buf, size_t len, double per_s,
                           const char *unknown)
{
    if (per_s < 0)
        snprintf(buf, len, "%s", unknown);
    else
        snprintf(buf, len, "%.9g", per_s);
}

static void num_secs(char *buf, size_t len, int64_t ns, const char *unknown)
{
    if (ns < 0)
        snprintf(buf, len, "%s", unknown);
    else
        snprintf(buf, len, "%.3f", (double)ns / 1e9);
}

/* A counter, or unknown (a source without events counts nothing). */
static const char *count(char *buf, size_t len, uint64_t v, bool known,
                         const char *unknown)
{
    if (known)
        snprintf(buf, len, "%" PRIu64, v);
    else
        snprintf(buf, len, "%s", unknown);
    return buf;
}

/* ---- CSV ------------------------------------------------------------ */

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_header(struct top *t, FILE *f)
{
    const char *u = top_unit_key(t->unit);

    fprintf(f, "frame,wall_time_s,source_time_s,state,kind,domid,name,"
            "tot_%s,max_%s,claim_%s,share_pct,claim_age_s,drawn_%s_per_s,"
            "denials,denials_per_s,last_event,last_event_age_s,"
            "total_%s,free_%s,freeable_%s,outstanding_%s,headroom_%s,"
            "stakes_per_s,host_denials_per_s,stakes,refused,host_denials,"
            "lost_records,domains,exact,issues\n", u, u, u, u, u, u, u, u, u);
}

static void csv_frame(struct top *t, FILE *f)
{
    const struct xcs_snapshot *s = top_model_current(&t->model);
    struct top_model *m = &t->model;
    enum top_unit u = t->unit;
    bool ev = !m->no_counters;
    char pre[96], b[14][40];
    unsigned int i;

    if (t->frames_out == 0)
        csv_header(t, f);
    snprintf(pre, sizeof(pre), "%" PRIu64 ",%.3f,%.9f,%s", t->frames_out + 1,
             wall_now(), s && live(t) ? (double)s->host.now_ns / 1e9 : 0.0,
             top_status_word(t));
    if (!live(t)) {
        /* No figures rather than stale ones taken for live. */
        fprintf(f, "%s,host%s\n", pre, ",,,,,,,,,,,,,,,,,,,,,,,,,,");
        return;
    }
    if (s->host.total_pages)
        top_fmt_exact(b[0], sizeof(b[0]), s->host.total_pages, u);
    else
        b[0][0] = 0;
    num_count_rate(b[5], sizeof(b[5]), m->host.stake_rate, "");
    num_count_rate(b[6], sizeof(b[6]), m->host.denial_rate, "");
    fprintf(f, "%s,host,,,,,,,,,,,,,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%u,%d,"
            "%s\n", pre, b[0],
            top_fmt_exact(b[1], sizeof(b[1]), s->host.free_pages, u),
            top_fmt_exact(b[2], sizeof(b[2]), s->host.freeable_pages, u),
            top_fmt_exact(b[3], sizeof(b[3]), s->host.outstanding_pages, u),
            top_fmt_sexact(b[4], sizeof(b[4]), m->host.headroom, u),
            b[5], b[6],
            count(b[7], sizeof(b[7]), s->host.stakes, ev, ""),
            count(b[8], sizeof(b[8]), s->host.refused, ev, ""),
            count(b[9], sizeof(b[9]), s->host.denials, ev, ""),
            count(b[10], sizeof(b[10]), s->host.lost, ev, ""),
            s->nr_domains, s->host.exact ? 1 : 0,
            count(b[11], sizeof(b[11]), s->host.issues, ev, ""));
    for (i = 0; i < m->nview; i++) {
        const struct top_row *r = &m->rows[m->view[i]];
        const struct xcs_domain *d = r->d;

        fprintf(f, "%s,domain,%" PRIu32 ",", pre, d->domid);
        csv_str(f, d->name);
        if (r->share < 0)
            b[3][0] = 0;
        else
            snprintf(b[3], sizeof(b[3]), "%.6f", r->share);
        num_secs(b[4], sizeof(b[4]), r->claim_age_ns, "");
        num_rate(b[5], sizeof(b[5]), r->draw_rate, u, "");
        num_count_rate(b[6], sizeof(b[6]), r->denial_rate, "");
        num_secs(b[7], sizeof(b[7]), r->event_age_ns, "");
        fprintf(f, ",%s,%s,%s,%s,%s,%s,%s,%s,",
                top_fmt_exact(b[0], sizeof(b[0]), d->tot_pages, u),
                top_fmt_exact(b[1], sizeof(b[1]), d->max_pages, u),
                top_fmt_exact(b[2], sizeof(b[2]), d->claim, u),
                b[3], b[4], b[5],
                count(b[8], sizeof(b[8]), d->denials, ev, ""), b[6]);
        csv_str(f, d->last_event);
        fprintf(f, ",%s,,,,,,,,,,,,,,\n", b[7]);
    }
}

/* ---- JSON ----------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_host(struct top *t, FILE *f, const struct xcs_snapshot *s)
{
    const struct top_hostview *v = &t->model.host;
    const char *u = top_unit_key(t->unit);
    bool ev = !t->model.no_counters;
    const char *nl = "null";
    char b[17][40];
    unsigned int i;

    if (s->host.total_pages)
        top_fmt_exact(b[0], sizeof(b[0]), s->host.total_pages, t->unit);
    else
        snprintf(b[0], sizeof(b[0]), "null");
    num_count_rate(b[5], sizeof(b[5]), v->stake_rate, nl);
    num_count_rate(b[6], sizeof(b[6]), v->denial_rate, nl);
    num_count_rate(b[7], sizeof(b[7]), v->refused_rate, nl);
    fprintf(f, "{\"total_%s\":%s,\"free_%s\":%s,\"freeable_%s\":%s,"
            "\"outstanding_%s\":%s,\"headroom_%s\":%s,"
            "\"claims_above_free\":%s,\"stakes_per_s\":%s,"
            "\"denials_per_s\":%s,\"refused_per_s\":%s,"
            "\"stakes\":%s,\"refused\":%s,\"denials\":%s,"
            "\"denials_anon\":%s,\"failed\":%s,\"records\":%s,"
            "\"lost_records\":%s,\"issues\":%s,\"exact\":%s,"
            "\"domains\":%u,\"nodes_current\":%s,\"nodes\":[",
            u, b[0],
            u, top_fmt_exact(b[1], sizeof(b[1]), s->host.free_pages,
                             t->unit),
            u, top_fmt_exact(b[2], sizeof(b[2]), s->host.freeable_pages,
                             t->unit),
            u, top_fmt_exact(b[3], sizeof(b[3]), s->host.outstanding_pages,
                             t->unit),
            u, top_fmt_sexact(b[4], sizeof(b[4]), v->headroom, t->unit),
            v->over_free ? "true" : "false", b[5], b[6], b[7],
            count(b[8], sizeof(b[8]), s->host.stakes, ev, nl),
            count(b[9], sizeof(b[9]), s->host.refused, ev, nl),
            count(b[10], sizeof(b[10]), s->host.denials, ev, nl),
            count(b[11], sizeof(b[11]), s->host.denials_anon, ev, nl),
            count(b[12], sizeof(b[12]), s->host.failed, ev, nl),
            count(b[13], sizeof(b[13]), s->host.records, ev, nl),
            count(b[14], sizeof(b[14]), s->host.lost, ev, nl),
            count(b[15], sizeof(b[15]), s->host.issues, ev, nl),
            s->host.exact ? "true" : "false", s->nr_domains,
            top_nodes_current(&s->host) ? "true" : "false");
    for (i = 0; i < s->host.nr_nodes && i < XCS_MAX_NODES; i++)
        fprintf(f, "%s{\"node\":%u,\"free_%s\":%s}", i ? "," : "", i, u,
                top_fmt_exact(b[0], sizeof(b[0]), s->host.node_free[i],
                              t->unit));
    fputs("]}", f);
}

static void json_domain(struct top *t, FILE *f, const struct top_row *r)
{
    const struct xcs_domain *d = r->d;
    const char *u = top_unit_key(t->unit);
    bool ev = !t->model.no_counters;
    const char *nl = "null";
    char b[16][40];

    if (r->share < 0)
        snprintf(b[5], sizeof(b[5]), "null");
    else
        snprintf(b[5], sizeof(b[5]), "%.6f", r->share);
    num_secs(b[6], sizeof(b[6]), r->claim_age_ns, nl);
    num_rate(b[7], sizeof(b[7]), r->draw_rate, t->unit, nl);
    num_count_rate(b[8], sizeof(b[8]), r->denial_rate, nl);
    num_secs(b[9], sizeof(b[9]), r->event_age_ns, nl);
    if (ev && d->claim_staked)
        top_fmt_exact(b[3], sizeof(b[3]), d->claim_staked, t->unit);
    else
        snprintf(b[3], sizeof(b[3]), "null");
    if (ev)
        top_fmt_exact(b[4], sizeof(b[4]), d->pages_drawn, t->unit);
    else
        snprintf(b[4], sizeof(b[4]), "null");
    fprintf(f, "{\"domid\":%" PRIu32 ",\"name\":", d->domid);
    json_str(f, d->name);
    fprintf(f, ",\"dying\":%s,\"tot_%s\":%s,\"max_%s\":%s,"
            "\"claim_%s\":%s,\"claim_staked_%s\":%s,\"share_pct\":%s,"
            "\"claim_age_s\":%s,\"drawn_%s\":%s,\"drawn_%s_per_s\":%s,"
            "\"stakes\":%s,\"cancels\":%s,\"refused\":%s,"
            "\"denials\":%s,\"denials_per_s\":%s,\"failed\":%s,"
            "\"last_event\":",
            d->dying ? "true" : "false",
            u, top_fmt_exact(b[0], sizeof(b[0]), d->tot_pages, t->unit),
            u, top_fmt_exact(b[1], sizeof(b[1]), d->max_pages, t->unit),
            u, top_fmt_exact(b[2], sizeof(b[2]), d->claim, t->unit),
            u, b[3], b[5], b[6], u, b[4], u, b[7],
            count(b[10], sizeof(b[10]), d->stakes, ev, nl),
            count(b[11], sizeof(b[11]), d->cancels, ev, nl),
            count(b[12], sizeof(b[12]), d->refused, ev, nl),
            count(b[13], sizeof(b[13]), d->denials, ev, nl), b[8],
            count(b[14], sizeof(b[14]), d->failed, ev, nl));
    if (d->last_event[0])
        json_str(f, d->last_event);
    else
        fputs("null", f);
    fprintf(f, ",\"last_event_age_s\":%s}", b[9]);
}

static void json_frame(struct top *t, FILE *f)
{
    const struct xcs_snapshot *s = top_model_current(&t->model);
    struct top_model *m = &t->model;
    unsigned int i;

    fprintf(f, "{\"frame\":%" PRIu64 ",\"wall_time_s\":%.3f,"
            "\"source_time_s\":", t->frames_out + 1, wall_now());
    if (s && live(t))
        fprintf(f, "%.9f", (double)s->host.now_ns / 1e9);
    else
        fputs("null", f);
    fputs(",\"source\":", f);
    json_str(f, t->source);
    fputs(",\"state\":", f);
    json_str(f, top_status_word(t));
    fputs(",\"message\":", f);
    json_str(f, t->st_msg);
    fprintf(f, ",\"live\":%s,\"units\":", live(t) ? "true" : "false");
    json_str(f, top_unit_key(t->unit));
    fputs(",\"host\":", f);
    if (!live(t)) {
        /* No figures rather than stale ones taken for live. */
        fputs("null,\"domains\":[]}\n", f);
        return;
    }
    json_host(t, f, s);
    fputs(",\"domains\":[", f);
    for (i = 0; i < m->nview; i++) {
        if (i)
            fputc(',', f);
        json_domain(t, f, &m->rows[m->view[i]]);
    }
    fputs("]}\n", f);
}

void top_batch_frame(struct top *t, FILE *f)
{
    switch (t->opt.out) {
    case TOP_OUT_CSV:
        csv_frame(t, f);
        break;
    case TOP_OUT_JSON:
        json_frame(t, f);
        break;
    default:
        text_frame(t, f);
        break;
    }
    t->frames_out++;
    fflush(f);
}
