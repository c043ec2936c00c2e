/* test_exporter_rw.c: the remote-write queue (bound, oldest dropped first, honest acks) and its encoder, decoded back with snappy and protobuf-c. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/lib/xce_mset.h"
#include "exporters/lib/xce_rw.h"
#include "build/gen/exporters/proto/xrw.pb-c.h"

/* A set of n gauge samples "g" labelled i=0..n-1 with value base+i. */
static void gauges(struct xce_mset *ms, unsigned int n, double base)
{
    static const char *const name = "i";
    unsigned int i;

    xce_mset_reset(ms);
    xce_mset_family(ms, "g", "G.", XCE_GAUGE);
    for (i = 0; i < n; i++) {
        char v[16];
        const char *vp = v;
        long l;

        snprintf(v, sizeof(v), "%u", i);
        l = xce_mset_labels(ms, 1, &name, &vp);
        assert_true(l > 0);
        xce_mset_add(ms, (uint32_t)l, base + i);
    }
}

/* Encode up to max samples and decode them back. */
static Xrw__WriteRequest *encode(struct xce_rwq *q, size_t max,
                                 uint64_t *first, size_t *n)
{
    struct xce_buf body = { 0 };
    size_t raw_len;
    char *raw;
    Xrw__WriteRequest *wr;

    assert_int_equal(xce_rwq_encode(q, max, &body, first, n), 0);
    if (*n == 0) {
        xce_buf_free(&body);
        return NULL;
    }
    assert_int_equal(snappy_validate_compressed_buffer(body.p, body.len),
                     SNAPPY_OK);
    assert_int_equal(snappy_uncompressed_length(body.p, body.len, &raw_len),
                     SNAPPY_OK);
    raw = malloc(raw_len);
    assert_non_null(raw);
    assert_int_equal(snappy_uncompress(body.p, body.len, raw, &raw_len),
                     SNAPPY_OK);
    wr = xrw__write_request__unpack(NULL, raw_len, (uint8_t *)raw);
    assert_non_null(wr);
    free(raw);
    xce_buf_free(&body);
    return wr;
}

static const char *label(const Xrw__TimeSeries *ts, const char *name)
{
    size_t i;

    for (i = 0; i < ts->n_labels; i++)
        if (strcmp(ts->labels[i]->name, name) == 0)
            return ts->labels[i]->value;
    return NULL;
}

static void test_encode(void **state)
{
    static const char *const en[] = { "job", "instance" };
    static const char *const ev[] = { "xenclaim", "h1" };
    static const char *const dn[] = { "name", "domid", "instance" };
    const char *dv[] = { "web", "3", "mine" };
    struct xce_rwq *q = xce_rwq_new(100, 2, en, ev);
    struct xce_mset ms;
    Xrw__WriteRequest *wr;
    uint64_t first;
    size_t n, i, j;
    long l;

    assert_non_null(q);
    xce_mset_init(&ms);
    xce_mset_family(&ms, "xenclaim_domain_denials", "Denials.", XCE_COUNTER);
    l = xce_mset_labels(&ms, 3, dn, dv);
    xce_mset_add(&ms, (uint32_t)l, 4);
    xce_mset_family(&ms, "xenclaim_host_free_bytes", "Free.", XCE_GAUGE);
    xce_mset_add(&ms, XCE_NO_LABELS, 8192);
    assert_int_equal(xce_rwq_push(q, &ms, 1700000000123LL), 0);
    assert_int_equal(xce_rwq_pending(q), 2);

    wr = encode(q, 100, &first, &n);
    assert_int_equal(n, 2);
    assert_int_equal(first, 0);
    assert_int_equal(wr->n_timeseries, 2);
    /* Counter: _total, its labels, job added, its own instance kept. */
    assert_string_equal(label(wr->timeseries[0], "__name__"),
                        "xenclaim_domain_denials_total");
    assert_string_equal(label(wr->timeseries[0], "name"), "web");
    assert_string_equal(label(wr->timeseries[0], "domid"), "3");
    assert_string_equal(label(wr->timeseries[0], "job"), "xenclaim");
    assert_string_equal(label(wr->timeseries[0], "instance"), "mine");
    assert_int_equal(wr->timeseries[0]->n_labels, 5);
    assert_int_equal(wr->timeseries[0]->n_samples, 1);
    assert_true(wr->timeseries[0]->samples[0]->value == 4);
    assert_int_equal(wr->timeseries[0]->samples[0]->timestamp,
                     1700000000123LL);
    assert_string_equal(label(wr->timeseries[1], "__name__"),
                        "xenclaim_host_free_bytes");
    assert_string_equal(label(wr->timeseries[1], "instance"), "h1");
    assert_true(wr->timeseries[1]->samples[0]->value == 8192);
    /* Labels sorted by name in every series. */
    for (i = 0; i < wr->n_timeseries; i++)
        for (j = 1; j < wr->timeseries[i]->n_labels; j++)
            assert_true(strcmp(wr->timeseries[i]->labels[j - 1]->name,
                               wr->timeseries[i]->labels[j]->name) < 0);
    /* One metadata entry per family. */
    assert_int_equal(wr->n_metadata, 2);
    assert_int_equal(wr->metadata[0]->type,
                     XRW__METRIC_METADATA__METRIC_TYPE__COUNTER);
    assert_string_equal(wr->metadata[0]->metric_family_name,
                        "xenclaim_domain_denials_total");
    assert_string_equal(wr->metadata[0]->help, "Denials.");
    assert_int_equal(wr->metadata[1]->type,
                     XRW__METRIC_METADATA__METRIC_TYPE__GAUGE);
    xrw__write_request__free_unpacked(wr, NULL);

    assert_int_equal(xce_rwq_ack(q, first, n), 2);
    assert_int_equal(xce_rwq_pending(q), 0);
    wr = encode(q, 100, &first, &n);
    assert_null(wr);
    assert_int_equal(n, 0);
    xce_mset_free(&ms);
    xce_rwq_free(q);
}

static void test_bound(void **state)
{
    struct xce_rwq *q = xce_rwq_new(5, 0, NULL, NULL);
    struct xce_mset ms;
    Xrw__WriteRequest *wr;
    uint64_t first;
    size_t n;

    xce_mset_init(&ms);
    gauges(&ms, 3, 0);                          /* values 0 1 2 at t=1 */
    assert_int_equal(xce_rwq_push(q, &ms, 1), 0);
    gauges(&ms, 3, 10);                         /* 10 11 12 at t=2 */
    assert_int_equal(xce_rwq_push(q, &ms, 2), 1);   /* oldest (0) goes */
    assert_int_equal(xce_rwq_pending(q), 5);
    assert_int_equal(xce_rwq_dropped(q), 1);

    /* The oldest left come first, across the two collections. */
    wr = encode(q, 3, &first, &n);
    assert_int_equal(n, 3);
    assert_int_equal(first, 1);
    assert_true(wr->timeseries[0]->samples[0]->value == 1);
    assert_int_equal(wr->timeseries[0]->samples[0]->timestamp, 1);
    assert_true(wr->timeseries[1]->samples[0]->value == 2);
    assert_true(wr->timeseries[2]->samples[0]->value == 10);
    assert_int_equal(wr->timeseries[2]->samples[0]->timestamp, 2);
    xrw__write_request__free_unpacked(wr, NULL);

    /* While that request (1, 2, 10) is in flight, a push drops the four
     * oldest (1, 2, 10, 11): the ack finds none of its samples left, so
     * none is counted as sent (they were counted as dropped). */
    gauges(&ms, 4, 20);
    assert_int_equal(xce_rwq_push(q, &ms, 3), 4);
    assert_int_equal(xce_rwq_dropped(q), 5);
    assert_int_equal(xce_rwq_ack(q, first, n), 0);
    assert_int_equal(xce_rwq_pending(q), 5);    /* 12, 20..23 */

    /* In flight 12, 20; a push of 1 drops only 12: the ack counts 20. */
    wr = encode(q, 2, &first, &n);
    assert_int_equal(n, 2);
    assert_true(wr->timeseries[0]->samples[0]->value == 12);
    xrw__write_request__free_unpacked(wr, NULL);
    gauges(&ms, 1, 30);
    assert_int_equal(xce_rwq_push(q, &ms, 4), 1);
    assert_int_equal(xce_rwq_ack(q, first, n), 1);
    assert_int_equal(xce_rwq_pending(q), 4);    /* 21 22 23 30 */
    wr = encode(q, 10, &first, &n);
    assert_int_equal(n, 4);
    assert_true(wr->timeseries[0]->samples[0]->value == 21);
    assert_true(wr->timeseries[3]->samples[0]->value == 30);
    xrw__write_request__free_unpacked(wr, NULL);
    assert_int_equal(xce_rwq_ack(q, first, n), 4);
    assert_int_equal(xce_rwq_pending(q), 0);
    /* Everything pushed is accounted for exactly once:
     * 3 + 3 + 4 + 1 = 11 = dropped 6 + acked 5. */
    assert_int_equal(xce_rwq_dropped(q), 6);
    xce_mset_free(&ms);
    xce_rwq_free(q);
}

/* A collection bigger than the bound keeps its last samples. */
static void test_oversized(void **state)
{
    struct xce_rwq *q = xce_rwq_new(4, 0, NULL, NULL);
    struct xce_mset ms;
    Xrw__WriteRequest *wr;
    uint64_t first;
    size_t n;

    xce_mset_init(&ms);
    gauges(&ms, 10, 0);
    assert_int_equal(xce_rwq_push(q, &ms, 1), 6);
    assert_int_equal(xce_rwq_pending(q), 4);
    wr = encode(q, 100, &first, &n);
    assert_int_equal(n, 4);
    assert_true(wr->timeseries[0]->samples[0]->value == 6);
    assert_string_equal(label(wr->timeseries[0], "i"), "6");
    xrw__write_request__free_unpacked(wr, NULL);
    assert_true(xce_rwq_memory(q) > 0);
    assert_int_equal(xce_rwq_ack(q, first, n), 4);
    xce_mset_free(&ms);
    xce_rwq_free(q);
}

/* Memory stays bounded however many collections are pushed. */
static void test_memory_bounded(void **state)
{
    struct xce_rwq *q = xce_rwq_new(1000, 0, NULL, NULL);
    struct xce_mset ms;
    size_t m1 = 0, i;

    xce_mset_init(&ms);
    for (i = 0; i < 2000; i++) {
        gauges(&ms, 100, (double)i);
        assert_true(xce_rwq_push(q, &ms, (int64_t)i) >= 0);
        assert_true(xce_rwq_pending(q) <= 1000);
        if (i == 100)
            m1 = xce_rwq_memory(q);
    }
    assert_true(xce_rwq_memory(q) <= m1 + m1 / 5);
    assert_int_equal(xce_rwq_dropped(q), 2000 * 100 - 1000);
    xce_mset_free(&ms);
    xce_rwq_free(q);
}

static void test_bad_args(void **state)
{
    assert_null(xce_rwq_new(0, 0, NULL, NULL));
    assert_null(xce_rwq_new(10, XCE_RW_MAX_EXTRA + 1, NULL, NULL));
    xce_rwq_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
