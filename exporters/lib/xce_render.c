/* xce_render.c: the text renderers (Prometheus 0.0.4, OpenMetrics 1.0) and Accept negotiation. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xce_mset.h"
#include "xce_render.h"

static const char *const fmt_names[XCE_NFORMATS] = {
    [XCE_FMT_TEXT] = "text",
    [XCE_FMT_OPENMETRICS] = "openmetrics",
    [XCE_FMT_PROTOBUF] = "protobuf",
};

static const char *const fmt_types[XCE_NFORMATS] = {
    [XCE_FMT_TEXT] = "text/plain; version=0.0.4; charset=utf-8",
    [XCE_FMT_OPENMETRICS] =
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
    [XCE_FMT_PROTOBUF] = "application/vnd.google.protobuf; "
        "proto=io.prometheus.client.MetricFamily; encoding=delimited",
};

const char *xce_format_name(enum xce_format f)
{
    return (unsigned int)f < XCE_NFORMATS ? fmt_names[f] : "?";
}

const char *xce_format_content_type(enum xce_format f)
{
    return (unsigned int)f < XCE_NFORMATS ? fmt_types[f] : fmt_types[0];
}

int xce_format_parse(const char *name)
{
    int i;

    for (i = 0; i < XCE_NFORMATS; i++)
        if (strcmp(name, fmt_names[i]) == 0)
            return i;
    return -EINVAL;
}

/* ---- Accept ------------------------------------------------------------ */

/* Trim spaces and tabs around s[0..*n); returns the new start. */
static const char *trim(const char *s, size_t *n)
{
    while (*n && (*s == ' ' || *s == '\t')) {
        s++;
        (*n)--;
    }
    while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Case-sensitive value compare, quotes around the value allowed. */
static int val_eq(const char *s, size_t n, const char *lit)
{
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    return strlen(lit) == n && strncmp(s, lit, n) == 0;
}

/*
 * Weigh one media range s[0..n): sets *fmt and returns its q in
 * thousandths, or -1 when it names nothing we serve.
 */
static int media_range(const char *s, size_t n, enum xce_format *fmt)
{
    const char *type, *p, *end = s + n;
    size_t tn;
    int q = 1000, kind;
    int proto_ok = 0, enc_ok = 0, ver_ok = 1;

    p = memchr(s, ';', n);
    tn = p ? (size_t)(p - s) : n;
    type = trim(s, &tn);
    if (eq(type, tn, "application/vnd.google.protobuf"))
        kind = XCE_FMT_PROTOBUF;
    else if (eq(type, tn, "application/openmetrics-text"))
        kind = XCE_FMT_OPENMETRICS;
    else if (eq(type, tn, "text/plain") || eq(type, tn, "text/*") ||
             eq(type, tn, "*/*"))
        kind = XCE_FMT_TEXT;
    else
        return -1;
    while (p && p < end) {
        const char *param = p + 1, *eqs, *next;
        size_t pn, kn, vn;
        const char *k, *v;

        next = memchr(param, ';', (size_t)(end - param));
        pn = (size_t)((next ? next : end) - param);
        p = next;
        eqs = memchr(param, '=', pn);
        if (!eqs)
            continue;
        kn = (size_t)(eqs - param);
        k = trim(param, &kn);
        vn = (size_t)(param + pn - (eqs + 1));
        v = trim(eqs + 1, &vn);
        if (eq(k, kn, "q")) {
            char tmp[16];
            double d;

            if (vn >= sizeof(tmp))
                return -1;
            memcpy(tmp, v, vn);
            tmp[vn] = '\0';
            d = strtod(tmp, NULL);
            if (!(d >= 0) || d > 1)
                return -1;
            q = (int)(d * 1000 + 0.5);
        } else if (eq(k, kn, "proto")) {
            proto_ok = val_eq(v, vn, "io.prometheus.client.MetricFamily");
        } else if (eq(k, kn, "encoding")) {
            enc_ok = val_eq(v, vn, "delimited");
        } else if (eq(k, kn, "version")) {
            if (kind == XCE_FMT_OPENMETRICS)
                ver_ok = val_eq(v, vn, "1.0.0") || val_eq(v, vn, "0.0.1");
            else if (kind == XCE_FMT_TEXT)
                ver_ok = val_eq(v, vn, "0.0.4");
        }
    }
    if (kind == XCE_FMT_PROTOBUF && !(proto_ok && enc_ok))
        return -1;
    if (!ver_ok)
        return -1;
    *fmt = (enum xce_format)kind;
    return q;
}

enum xce_format xce_negotiate(const char *accept)
{
    enum xce_format best = XCE_FMT_TEXT, f = XCE_FMT_TEXT;
    int best_q = 0, q;
    const char *s = accept, *comma;

    if (!accept)
        return XCE_FMT_TEXT;
    while (*s) {
        size_t n;

        comma = strchr(s, ',');
        n = comma ? (size_t)(comma - s) : strlen(s);
        q = media_range(s, n, &f);
        if (q > best_q) {
            best_q = q;
            best = f;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    return best;
}

/* ---- values and escaping --------------------------------------------- */

void xce_fmt_value(struct xce_buf *out, double v)
{
    char tmp[32];
    int n;

    if (isnan(v)) {
        xce_buf_add(out, "NaN", 3);
        return;
    }
    if (isinf(v)) {
        xce_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    /* Integers up to 2^53 are exact: print their digits. */
    if (v >= -9007199254740992.0 && v <= 9007199254740992.0 &&
        v == (double)(int64_t)v) {
        if (v < 0) {
            xce_buf_add(out, "-", 1);
            v = -v;
        }
        xce_buf_u64(out, (uint64_t)v);
        return;
    }
    n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    xce_buf_add(out, tmp, (size_t)n);
}

void xce_escape(struct xce_buf *out, const char *s, int help, int quote)
{
    const char *run = s;

    if (!help)
        quote = 1;
    for (; *s; s++) {
        const char *rep;

        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (*s == '"' && quote)
            rep = "\\\"";
        else
            continue;
        xce_buf_add(out, run, (size_t)(s - run));
        xce_buf_add(out, rep, 2);
        run = s + 1;
    }
    xce_buf_add(out, run, (size_t)(s - run));
}

/* ---- text formats ----------------------------------------------------- */

/*
 * Pre-render every label set as {a="x",b="y"} (empty for the empty set)
 * into buf; off[i]..off[i+1] is set i.
 */
static int label_strings(const struct xce_mset *ms, struct xce_buf *buf,
                         size_t **offp)
{
    size_t *off = malloc((ms->nlab + 1) * sizeof(*off));
    size_t i;
    unsigned int j;

    if (!off)
        return -ENOMEM;
    for (i = 0; i < ms->nlab; i++) {
        const struct xce_labels *l = &ms->lab[i];

        off[i] = buf->len;
        if (l->n == 0)
            continue;
        xce_buf_add(buf, "{", 1);
        for (j = 0; j < l->n; j++) {
            if (j)
                xce_buf_add(buf, ",", 1);
            xce_buf_puts(buf, l->name[j]);
            xce_buf_add(buf, "=\"", 2);
            xce_escape(buf, l->value[j], 0, 1);
            xce_buf_add(buf, "\"", 1);
        }
        xce_buf_add(buf, "}", 1);
    }
    off[ms->nlab] = buf->len;
    *offp = off;
    if (xce_buf_ok(buf) < 0) {
        free(off);
        return -ENOMEM;
    }
    return 0;
}

static int render_text(const struct xce_mset *ms, struct xce_buf *out, int om)
{
    struct xce_buf lbuf = { 0 };
    size_t *off, f, i;
    int rc;

    rc = label_strings(ms, &lbuf, &off);
    if (rc < 0) {
        xce_buf_free(&lbuf);
        return rc;
    }
    for (f = 0; f < ms->nfam; f++) {
        const struct xce_family *fa = &ms->fam[f];
        const char *type = fa->type == XCE_COUNTER ? "counter" : "gauge";
        /* 0.0.4 names a counter family with its _total, OpenMetrics not. */
        const char *msuffix = fa->type == XCE_COUNTER ? "_total" : "";
        const char *fsuffix = om ? "" : msuffix;
        size_t nl = strlen(fa->name), sl = strlen(msuffix);

        if (om) {
            xce_buf_printf(out, "# TYPE %s %s\n", fa->name, type);
            if (fa->unit)
                xce_buf_printf(out, "# UNIT %s %s\n", fa->name, fa->unit);
        }
        xce_buf_printf(out, "# HELP %s%s ", fa->name, fsuffix);
        xce_escape(out, fa->help ? fa->help : "", 1, om);
        xce_buf_add(out, "\n", 1);
        if (!om)
            xce_buf_printf(out, "# TYPE %s%s %s\n", fa->name, fsuffix,
                           type);
        for (i = fa->first; i < fa->first + fa->n; i++) {
            const struct xce_sample *s = &ms->smp[i];
            size_t ll = off[s->labels + 1] - off[s->labels];

            if (xce_buf_reserve(out, nl + sl + ll + 1) < 0)
                break;
            xce_buf_add_unchecked(out, fa->name, nl);
            xce_buf_add_unchecked(out, msuffix, sl);
            xce_buf_add_unchecked(out, lbuf.p + off[s->labels], ll);
            xce_buf_add_unchecked(out, " ", 1);
            xce_fmt_value(out, s->value);
            xce_buf_add(out, "\n", 1);
        }
    }
    if (om)
        xce_buf_add(out, "# EOF\n", 6);
    free(off);
    xce_buf_free(&lbuf);
    return xce_buf_ok(out);
}

int xce_render_text(const struct xce_mset *ms, struct xce_buf *out)
{
    return render_text(ms, out, 0);
}

int xce_render_openmetrics(const struct xce_mset *ms, struct xce_buf *out)
{
    return render_text(ms, out, 1);
}

int xce_render(const struct xce_mset *ms, enum xce_format f,
               struct xce_buf *out)
{
    switch (f) {
    case XCE_FMT_TEXT:
        return xce_render_text(ms, out);
    case XCE_FMT_OPENMETRICS:
        return xce_render_openmetrics(ms, out);
    case XCE_FMT_PROTOBUF:
        return xce_render_protobuf(ms, out);
    default:
        return -EINVAL;
    }
}
