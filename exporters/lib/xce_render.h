/* xce_render.h: /metrics bodies from a metric set: Prometheus text 0.0.4, OpenMetrics 1.0, delimited protobuf; Accept negotiation. */
/* SPDX-License-Identifier: MIT */
#ifndef XCE_RENDER_H
#define XCE_RENDER_H

#include "xce_buf.h"

struct xce_mset;

enum xce_format {
    XCE_FMT_TEXT,           /* text/plain; version=0.0.4 (the default) */
    XCE_FMT_OPENMETRICS,    /* application/openmetrics-text 1.0.0 */
    XCE_FMT_PROTOBUF,       /* delimited io.prometheus.client.MetricFamily */
    XCE_NFORMATS
};

/* "text", "openmetrics", "protobuf"; "?" when out of range. */
const char *xce_format_name(enum xce_format f);

/* The Content-Type header value of a format. */
const char *xce_format_content_type(enum xce_format f);

/*
 * The format to answer an Accept header with (NULL or empty: text).
 * Media ranges are weighed by their q values (q=0: not acceptable),
 * ties go to the one listed first; protobuf needs
 * proto=io.prometheus.client.MetricFamily and encoding=delimited, and
 * OpenMetrics a version of 1.0.0 or 0.0.1 (or none).  When nothing
 * listed is acceptable the answer is text, as most exporters do.
 */
enum xce_format xce_negotiate(const char *accept);

/*
 * The format named by a ?format= value ("text", "openmetrics",
 * "protobuf"), or -EINVAL.
 */
int xce_format_parse(const char *name);

/*
 * Append the body of ms in format f to out.  Returns 0, -EINVAL for an
 * unknown format, or -ENOMEM (out then holds a partial body).
 */
int xce_render(const struct xce_mset *ms, enum xce_format f,
               struct xce_buf *out);

/* The three renderers, as xce_render(). */
int xce_render_text(const struct xce_mset *ms, struct xce_buf *out);
int xce_render_openmetrics(const struct xce_mset *ms, struct xce_buf *out);
int xce_render_protobuf(const struct xce_mset *ms, struct xce_buf *out);

/*
 * Append v as the text formats write sample values: integers exactly
 * (up to 2^53), others with the shortest of %.15g/%.17g that reads back
 * the same, NaN, +Inf, -Inf.
 */
void xce_fmt_value(struct xce_buf *out, double v);

/*
 * Append s escaped for a label value (\\, \" and \n) or, with help set,
 * for a HELP text (\\ and \n; \" too when quote is set, as OpenMetrics
 * wants).
 */
void xce_escape(struct xce_buf *out, const char *s, int help, int quote);

#endif /* XCE_RENDER_H */
