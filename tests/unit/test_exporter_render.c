/* test_exporter_render.c: the exporter's /metrics renderers (text 0.0.4, OpenMetrics, protobuf), Accept negotiation and the collector. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "exporters/lib/xce_collect.h"
#include "exporters/lib/xce_mset.h"
#include "exporters/lib/xce_render.h"
#include "build/gen/exporters/proto/xpm.pb-c.h"

/* Render ms in format f into a NUL-terminated string (caller frees). */
static char *render(const struct xce_mset *ms, enum xce_format f,
                    size_t *len)
{
    struct xce_buf b = { 0 };

    assert_int_equal(xce_render(ms, f, &b), 0);
    xce_buf_add(&b, "", 1);
    assert_int_equal(xce_buf_ok(&b), 0);
    if (len)
        *len = b.len - 1;
    return xce_buf_steal(&b, NULL);
}

static char *fmtv(double v)
{
    struct xce_buf b = { 0 };

    xce_fmt_value(&b, v);
    xce_buf_add(&b, "", 1);
    return xce_buf_steal(&b, NULL);
}

static void test_values(void **state)
{
    static const struct { double v; const char *s; } t[] = {
        { 0, "0" }, { 1, "1" }, { -3, "-3" },
        { 4096.0 * 262144, "1073741824" },
        { 0.5, "0.5" }, { 0.1, "0.1" }, { 1e300, "1e+300" },
        { 9007199254740992.0, "9007199254740992" },
        { 9007199254740994.0, "9007199254740994" },
        { 1.0 / 3, "0.33333333333333331" },
        { __builtin_nan(""), "NaN" }, { __builtin_inf(), "+Inf" },
        { -__builtin_inf(), "-Inf" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *s = fmtv(t[i].v);

        assert_string_equal(s, t[i].s);
        free(s);
    }
}

static char *esc(const char *s, int help, int quote)
{
    struct xce_buf b = { 0 };

    xce_escape(&b, s, help, quote);
    xce_buf_add(&b, "", 1);
    return xce_buf_steal(&b, NULL);
}

static void test_escape(void **state)
{
    char *s;

    s = esc("a\\b\"c\nd", 0, 0);            /* label value */
    assert_string_equal(s, "a\\\\b\\\"c\\nd");
    free(s);
    s = esc("a\\b\"c\nd", 1, 0);            /* 0.0.4 HELP: quotes as is */
    assert_string_equal(s, "a\\\\b\"c\\nd");
    free(s);
    s = esc("a\\b\"c\nd", 1, 1);            /* OpenMetrics HELP */
    assert_string_equal(s, "a\\\\b\\\"c\\nd");
    free(s);
    s = esc("", 0, 0);
    assert_string_equal(s, "");
    free(s);
}

static void test_utf8_clean(void **state)
{
    char out[64];

    assert_int_equal(xce_utf8_clean(out, sizeof(out), "plain"), 5);
    assert_string_equal(out, "plain");
    xce_utf8_clean(out, sizeof(out), "\xc3\xa9t\xc3\xa9");    /* valid */
    assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
    xce_utf8_clean(out, sizeof(out), "a\xff" "b");
    assert_string_equal(out, "a\xef\xbf\xbd" "b");
    xce_utf8_clean(out, sizeof(out), "\xc0\xaf");               /* overlong */
    assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd");
    xce_utf8_clean(out, sizeof(out), "\xed\xa0\x80");           /* surrogate */
    assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    xce_utf8_clean(out, sizeof(out), "x\xe2\x82");              /* cut */
    assert_string_equal(out, "x\xef\xbf\xbd\xef\xbf\xbd");
    xce_utf8_clean(out, 4, "abcdef");                           /* room */
    assert_string_equal(out, "abc");
}

/* A small set: a counter with two labelled samples, a gauge, an empty
 * family, help text that needs escaping. */
static void small_set(struct xce_mset *ms)
{
    static const char *const names[] = { "domid", "name" };
    const char *v1[] = { "1", "we\"b\\x" };
    const char *v2[] = { "2", "two\nlines" };
    long l1, l2;

    xce_mset_init(ms);
    assert_int_equal(xce_mset_family(ms, "t_denials", "Denied \"x\" a\\b\nc",
                                     XCE_COUNTER), 0);
    l1 = xce_mset_labels(ms, 2, names, v1);
    l2 = xce_mset_labels(ms, 2, names, v2);
    assert_true(l1 > 0 && l2 > 0);
    assert_int_equal(xce_mset_add(ms, (uint32_t)l1, 3), 0);
    assert_int_equal(xce_mset_add(ms, (uint32_t)l2, 0), 0);
    assert_int_equal(xce_mset_family(ms, "t_free_bytes", "Free.", XCE_GAUGE),
                     0);
    assert_int_equal(xce_mset_add(ms, XCE_NO_LABELS, 8192), 0);
    assert_int_equal(xce_mset_family(ms, "t_empty", "Nothing.", XCE_GAUGE),
                     0);
}

static void test_text(void **state)
{
    struct xce_mset ms;
    char *s;

    small_set(&ms);
    s = render(&ms, XCE_FMT_TEXT, NULL);
    assert_string_equal(s,
        "# HELP t_denials_total Denied \"x\" a\\\\b\\nc\n"
        "# TYPE t_denials_total counter\n"
        "t_denials_total{domid=\"1\",name=\"we\\\"b\\\\x\"} 3\n"
        "t_denials_total{domid=\"2\",name=\"two\\nlines\"} 0\n"
        "# HELP t_free_bytes Free.\n"
        "# TYPE t_free_bytes gauge\n"
        "t_free_bytes 8192\n"
        "# HELP t_empty Nothing.\n"
        "# TYPE t_empty gauge\n");
    free(s);
    xce_mset_free(&ms);
}

static void test_openmetrics(void **state)
{
    struct xce_mset ms;
    char *s;

    small_set(&ms);
    s = render(&ms, XCE_FMT_OPENMETRICS, NULL);
    assert_string_equal(s,
        "# TYPE t_denials counter\n"
        "# HELP t_denials Denied \\\"x\\\" a\\\\b\\nc\n"
        "t_denials_total{domid=\"1\",name=\"we\\\"b\\\\x\"} 3\n"
        "t_denials_total{domid=\"2\",name=\"two\\nlines\"} 0\n"
        "# TYPE t_free_bytes gauge\n"
        "# UNIT t_free_bytes bytes\n"
        "# HELP t_free_bytes Free.\n"
        "t_free_bytes 8192\n"
        "# TYPE t_empty gauge\n"
        "# HELP t_empty Nothing.\n"
        "# EOF\n");
    free(s);
    xce_mset_free(&ms);
}

/* The one-sample gauge {name "g", help "h", value 1.0}, encoded by hand
 * from the field numbers (MetricFamily name=1 help=2 type=3 metric=4,
 * Metric gauge=2, Gauge value=1 as a little-endian double). */
static void test_protobuf_golden(void **state)
{
    static const uint8_t want[] = {
        0x15,                               /* 21 bytes follow */
        0x0a, 0x01, 'g',                    /* name */
        0x12, 0x01, 'h',                    /* help */
        0x18, 0x01,                         /* type GAUGE */
        0x22, 0x0b,                         /* metric, 11 bytes */
        0x12, 0x09,                         /* gauge, 9 bytes */
        0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, /* value 1.0 */
    };
    struct xce_mset ms;
    struct xce_buf b = { 0 };

    xce_mset_init(&ms);
    xce_mset_family(&ms, "g", "h", XCE_GAUGE);
    xce_mset_add(&ms, XCE_NO_LABELS, 1.0);
    assert_int_equal(xce_render_protobuf(&ms, &b), 0);
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.p, want, sizeof(want));
    xce_buf_free(&b);
    xce_mset_free(&ms);
}

/* Render, then take each delimited message back with protobuf-c. */
static void test_protobuf_roundtrip(void **state)
{
    struct xce_mset ms;
    struct xce_buf b = { 0 };
    Xpm__MetricFamily *mf[3];
    size_t off = 0, i;
    uint64_t len;
    int k;

    small_set(&ms);
    assert_int_equal(xce_render_protobuf(&ms, &b), 0);
    for (i = 0; i < 3; i++) {
        k = xce_varint_get((uint8_t *)b.p + off, b.len - off, &len);
        assert_true(k > 0);
        assert_true(off + (size_t)k + len <= b.len);
        mf[i] = xpm__metric_family__unpack(NULL, len,
                                           (uint8_t *)b.p + off + k);
        assert_non_null(mf[i]);
        off += (size_t)k + len;
    }
    assert_int_equal(off, b.len);           /* nothing after the third */

    assert_string_equal(mf[0]->name, "t_denials_total");
    assert_string_equal(mf[0]->help, "Denied \"x\" a\\b\nc");
    assert_true(mf[0]->has_type);
    assert_int_equal(mf[0]->type, XPM__METRIC_TYPE__COUNTER);
    assert_int_equal(mf[0]->n_metric, 2);
    assert_int_equal(mf[0]->metric[0]->n_label, 2);
    assert_string_equal(mf[0]->metric[0]->label[0]->name, "domid");
    assert_string_equal(mf[0]->metric[0]->label[0]->value, "1");
    assert_string_equal(mf[0]->metric[0]->label[1]->name, "name");
    assert_string_equal(mf[0]->metric[0]->label[1]->value, "we\"b\\x");
    assert_non_null(mf[0]->metric[0]->counter);
    assert_null(mf[0]->metric[0]->gauge);
    assert_true(mf[0]->metric[0]->counter->value == 3.0);
    assert_string_equal(mf[0]->metric[1]->label[1]->value, "two\nlines");
    assert_true(mf[0]->metric[1]->counter->value == 0.0);

    assert_string_equal(mf[1]->name, "t_free_bytes");
    assert_int_equal(mf[1]->type, XPM__METRIC_TYPE__GAUGE);
    assert_int_equal(mf[1]->n_metric, 1);
    assert_int_equal(mf[1]->metric[0]->n_label, 0);
    assert_true(mf[1]->metric[0]->gauge->value == 8192.0);

    assert_string_equal(mf[2]->name, "t_empty");
    assert_int_equal(mf[2]->n_metric, 0);
    for (i = 0; i < 3; i++)
        xpm__metric_family__free_unpacked(mf[i], NULL);
    xce_buf_free(&b);
    xce_mset_free(&ms);
}

static void test_negotiate(void **state)
{
    static const struct { const char *accept; enum xce_format f; } t[] = {
        { NULL, XCE_FMT_TEXT },
        { "", XCE_FMT_TEXT },
        { "*/*", XCE_FMT_TEXT },
        { "text/plain", XCE_FMT_TEXT },
        /* What Prometheus 2.42 sends with native histograms on. */
        { "application/vnd.google.protobuf;proto=io.prometheus.client."
          "MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;"
          "q=0.3,*/*;q=0.1", XCE_FMT_PROTOBUF },
        /* And without. */
        { "application/openmetrics-text;version=1.0.0,application/"
          "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
          "q=0.5,*/*;q=0.1", XCE_FMT_OPENMETRICS },
        { "application/openmetrics-text", XCE_FMT_OPENMETRICS },
        { "Application/OpenMetrics-Text; Version=1.0.0", XCE_FMT_OPENMETRICS },
        { "application/openmetrics-text; version=2.0.0", XCE_FMT_TEXT },
        /* q decides, not the order. */
        { "text/plain;q=0.2, application/openmetrics-text;q=0.9",
          XCE_FMT_OPENMETRICS },
        /* Ties: the first listed. */
        { "text/plain, application/openmetrics-text", XCE_FMT_TEXT },
        { "application/openmetrics-text;q=0, text/plain;q=0.1", XCE_FMT_TEXT },
        /* Protobuf needs both parameters. */
        { "application/vnd.google.protobuf", XCE_FMT_TEXT },
        { "application/vnd.google.protobuf;proto=io.prometheus.client."
          "MetricFamily", XCE_FMT_TEXT },
        { "application/vnd.google.protobuf;proto=io.prometheus.client."
          "MetricFamily;encoding=text", XCE_FMT_TEXT },
        { "application/vnd.google.protobuf; proto=\"io.prometheus.client."
          "MetricFamily\"; encoding=delimited", XCE_FMT_PROTOBUF },
        { "application/json", XCE_FMT_TEXT },
        { ";;,,;q=;=", XCE_FMT_TEXT },
        { "application/openmetrics-text;q=abc", XCE_FMT_TEXT },
        { "application/openmetrics-text;q=2", XCE_FMT_TEXT },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        enum xce_format f = xce_negotiate(t[i].accept);

        if (f != t[i].f)
            fail_msg("Accept '%s': expected %s, got %s",
                     t[i].accept ? t[i].accept : "(null)",
                     xce_format_name(t[i].f), xce_format_name(f));
    }
    assert_int_equal(xce_format_parse("protobuf"), XCE_FMT_PROTOBUF);
    assert_int_equal(xce_format_parse("openmetrics"), XCE_FMT_OPENMETRICS);
    assert_int_equal(xce_format_parse("text"), XCE_FMT_TEXT);
    assert_true(xce_format_parse("json") < 0);
}

/* ---- the collector ------------------------------------------------------ */

static const struct xce_sample *find(const struct xce_mset *ms,
                                     const char *fam, const char *lname,
                                     const char *lvalue)
{
    size_t f, i;
    unsigned int j;

    for (f = 0; f < ms->nfam; f++) {
        if (strcmp(ms->fam[f].name, fam))
            continue;
        for (i = ms->fam[f].first; i < ms->fam[f].first + ms->fam[f].n;
             i++) {
            const struct xce_labels *l = &ms->lab[ms->smp[i].labels];

            if (!lname)
                return &ms->smp[i];
            for (j = 0; j < l->n; j++)
                if (!strcmp(l->name[j], lname) &&
                    !strcmp(l->value[j], lvalue))
                    return &ms->smp[i];
        }
    }
    return NULL;
}

static double val(const struct xce_mset *ms, const char *fam,
                  const char *lname, const char *lvalue)
{
    const struct xce_sample *s = find(ms, fam, lname, lvalue);

    if (!s)
        fail_msg("no sample %s{%s=%s}", fam, lname ? lname : "",
                 lvalue ? lvalue : "");
    return s->value;
}

static void test_collect(void **state)
{
    struct xcs_domain doms[2];
    struct xcs_snapshot snap;
    struct xce_self self;
    struct xce_mset ms;

    memset(&snap, 0, sizeof(snap));
    memset(doms, 0, sizeof(doms));
    memset(&self, 0, sizeof(self));
    doms[0].domid = 3;
    strcpy(doms[0].name, "web");
    doms[0].tot_pages = 100;
    doms[0].max_pages = 200;
    doms[0].claim = 50;
    doms[0].stakes = 2;
    doms[0].cancels = 1;
    doms[0].drawn_full = 1;
    doms[0].deaths = 0;
    doms[0].pages_drawn = 7;
    doms[1].domid = 9;
    strcpy(doms[1].name, "bad\xff");
    doms[1].dying = true;
    snap.doms = doms;
    snap.nr_domains = snap.cap = 2;
    snap.status = XCS_UP;
    snap.host.free_pages = 10;
    snap.host.freeable_pages = 5;
    snap.host.outstanding_pages = 20;   /* more than free + freeable */
    snap.host.refused = 4;
    snap.host.nr_nodes = 2;
    snap.host.node_free[0] = 6;
    snap.host.node_free[1] = 4;
    self.have_source = true;
    self.last_event_age = -1;
    self.refused[XCE_ERR_ENOMEM] = 3;   /* one refusal without a reason */

    xce_mset_init(&ms);
    assert_int_equal(xce_collect(&ms, &snap, &self), 0);
    assert_true(val(&ms, "xenclaim_domain_tot_bytes", "domid", "3") ==
                100 * 4096.0);
    assert_true(val(&ms, "xenclaim_domain_max_bytes", "name", "web") ==
                200 * 4096.0);
    assert_true(val(&ms, "xenclaim_domain_claim_outstanding_bytes", "domid",
                    "3") == 50 * 4096.0);
    assert_true(val(&ms, "xenclaim_domain_claim_drawn_bytes", "domid", "3") ==
                7 * 4096.0);
    assert_true(val(&ms, "xenclaim_domain_claims_released", "domid", "3") ==
                1);
    assert_true(val(&ms, "xenclaim_domain_dying", "domid", "9") == 1);
    /* Names are made valid UTF-8. */
    assert_true(val(&ms, "xenclaim_domain_dying", "name",
                    "bad\xef\xbf\xbd") == 1);
    assert_true(val(&ms, "xenclaim_host_headroom_bytes", NULL, NULL) ==
                -5 * 4096.0);
    assert_true(val(&ms, "xenclaim_host_stakes_refused", "errno", "ENOMEM") ==
                3);
    assert_true(val(&ms, "xenclaim_host_stakes_refused", "errno",
                    "unknown") == 1);
    assert_true(val(&ms, "xenclaim_node_free_bytes", "node", "1") ==
                4 * 4096.0);
    assert_true(val(&ms, "xenclaim_source_up", NULL, NULL) == 1);
    /* Unknown total: no total family; no event yet: no age. */
    assert_null(find(&ms, "xenclaim_host_total_bytes", NULL, NULL));
    assert_null(find(&ms, "xenclaim_exporter_last_event_age_seconds", NULL,
                     NULL));
    /* Remote write off: none of its families. */
    assert_null(find(&ms, "xenclaim_exporter_remote_write_sent_samples",
                     NULL, NULL));

    /* A source that is down: only the exporter's own. */
    snap.status = XCS_DOWN;
    self.rw_enabled = true;
    self.rw_dropped = 12;
    assert_int_equal(xce_collect(&ms, &snap, &self), 0);
    assert_true(val(&ms, "xenclaim_source_up", NULL, NULL) == 0);
    assert_null(find(&ms, "xenclaim_host_free_bytes", NULL, NULL));
    assert_null(find(&ms, "xenclaim_domain_tot_bytes", NULL, NULL));
    assert_true(val(&ms, "xenclaim_exporter_remote_write_dropped_samples",
                    NULL, NULL) == 12);
    /* No source at all yet. */
    assert_int_equal(xce_collect(&ms, NULL, &self), 0);
    assert_true(val(&ms, "xenclaim_source_up", NULL, NULL) == 0);
    xce_mset_free(&ms);
}

/* Every family name is prefixed, counters never carry _total in the set
 * (renderers add it), and text renders each family's samples. */
static void test_collect_names(void **state)
{
    struct xcs_snapshot snap;
    struct xce_self self;
    struct xce_mset ms;
    size_t f;

    memset(&snap, 0, sizeof(snap));
    memset(&self, 0, sizeof(self));
    snap.status = XCS_UP;
    self.have_source = true;
    self.rw_enabled = self.ev_enabled = true;
    self.last_event_age = 2;
    xce_mset_init(&ms);
    assert_int_equal(xce_collect(&ms, &snap, &self), 0);
    for (f = 0; f < ms.nfam; f++) {
        const char *n = ms.fam[f].name;
        size_t l = strlen(n);

        assert_true(strncmp(n, "xenclaim_", 9) == 0);
        if (l > 6 && strcmp(n + l - 6, "_total") == 0)
            fail_msg("family %s named with _total", n);
        assert_non_null(ms.fam[f].help);
    }
    xce_mset_free(&ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_utf8_clean),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_protobuf_golden),
        cmocka_unit_test(test_protobuf_roundtrip),
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_collect),
        cmocka_unit_test(test_collect_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
