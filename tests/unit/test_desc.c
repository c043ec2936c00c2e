/* test_desc.c: golden records of every event, through every codec path. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xct_desc.h"
#include "xct_dump.h"
#include "xct_events.h"
#include "xct_record.h"

/*
 * The golden records: the bytes a little-endian host must write, typed by
 * hand from the layout comments of xct_events.h and xct_record.h (not
 * produced by the code under test).  Each record carries a TSC of
 * 0x000000123456789a unless said otherwise.
 */
#define TSC_BYTES 0x9a, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00
#define GOLDEN_TSC 0x000000123456789aull

static const uint8_t gold_claim[] = {
    0x20, 0xf0, 0x10, 0xf0, /* header: event 0x0010f020, 7 words, TSC */
    TSC_BYTES,              /* tsc */
    0x03, 0x00, 0x00, 0x00, /* domid = 3 */
    0x01, 0x00, 0x00, 0x00, /* flags = 1 (free_only) */
    0xf4, 0xff, 0xff, 0xff, /* result = -12 (ENOMEM) */
    0x40, 0x00, 0x00, 0x00, /* nr_pages low word: 0x00000040 */
    0x01, 0x00, 0x00, 0x00, /* nr_pages high word: 0x1 -> 4294967360 */
    0x00, 0x00, 0x04, 0x00, /* claim = 262144 */
    0x00, 0x04, 0x00, 0x00, /* tot_pages = 1024 */
};

static const uint8_t gold_claim_release[] = {
    0x21, 0xf0, 0x10, 0xd0, /* header: event 0x0010f021, 5 words, TSC */
    TSC_BYTES,
    0x07, 0x00, 0x00, 0x00, /* domid = 7 */
    0x03, 0x00, 0x00, 0x00, /* reason = 3 (domain_death) */
    0x64, 0x00, 0x00, 0x00, /* pages = 100 */
    0x05, 0x00, 0x00, 0x00, /* outstanding low: 5 */
    0x02, 0x00, 0x00, 0x00, /* outstanding high: 2 -> 8589934597 */
};

static const uint8_t gold_tot_pages[] = {
    0x22, 0xf0, 0x10, 0xf0, /* header: event 0x0010f022, 7 words, TSC */
    TSC_BYTES,
    0x02, 0x00, 0x00, 0x00, /* domid = 2 */
    0x00, 0xfe, 0xff, 0xff, /* delta low: 0xfffffe00 */
    0xff, 0xff, 0xff, 0xff, /* delta high: 0xffffffff -> -512 */
    0x00, 0x06, 0x00, 0x00, /* tot_pages = 1536 */
    0x00, 0x00, 0x00, 0x00, /* claim = 0 */
    0x89, 0x67, 0x45, 0x23, /* free low: 0x23456789 */
    0x01, 0x00, 0x00, 0x00, /* free high: 1 -> 0x123456789 */
};

static const uint8_t gold_alloc_denied[] = {
    0x23, 0xf0, 0x10, 0xc0, /* header: event 0x0010f023, 4 words, TSC */
    TSC_BYTES,
    0xf4, 0x7f, 0x00, 0x00, /* domid = 0x7ff4 (anonymous) */
    0x09, 0x00, 0x00, 0x00, /* order = 9 */
    0x01, 0x00, 0x00, 0x00, /* memflags = 1 (no_refcount) */
    0x00, 0x00, 0x00, 0x00, /* claim = 0 */
};

static const uint8_t gold_alloc_failed[] = {
    0x24, 0xf0, 0x10, 0xc0, /* header: event 0x0010f024, 4 words, TSC */
    TSC_BYTES,
    0x05, 0x00, 0x00, 0x00, /* domid = 5 */
    0x00, 0x00, 0x00, 0x00, /* order = 0 */
    0x00, 0x00, 0x00, 0x00, /* memflags = 0 */
    0x4d, 0x00, 0x00, 0x00, /* claim = 77 */
};

static const uint8_t gold_heap[] = {
    0x25, 0xf0, 0x10, 0xf0, /* header: event 0x0010f025, 7 words, TSC */
    TSC_BYTES,
    0x07, 0x00,             /* reason = 7 (denied), low half of word 0 */
    0xff, 0xff,             /* node = 0xffff (whole host), high half */
    0x00, 0x10, 0x00, 0x00, /* free low: 0x1000 */
    0x00, 0x00, 0x00, 0x00, /* free high: 0 */
    0x00, 0x00, 0x00, 0x00, /* freeable low: 0 */
    0x00, 0x00, 0x00, 0x00, /* freeable high: 0 */
    0x00, 0x00, 0x00, 0x00, /* outstanding low: 0 */
    0x03, 0x00, 0x00, 0x00, /* outstanding high: 3 -> 0x300000000 */
};

static const uint8_t gold_domain[] = {
    0x26, 0xf0, 0x10, 0x50, /* header: event 0x0010f026, 5 words, NO TSC */
    0x01, 0x00, 0x00, 0x00, /* domid = 1 */
    0x02, 0x00, 0x00, 0x00, /* state = 2 (max_pages) */
    0x00, 0x01, 0x00, 0x00, /* tot_pages = 256 */
    0x00, 0x02, 0x00, 0x00, /* max_pages = 512 */
    0x80, 0x00, 0x00, 0x00, /* claim = 128 */
};

static const uint8_t gold_claim_draw[] = {
    0x27, 0xf0, 0x10, 0xe0, /* header: event 0x0010f027, 6 words, TSC */
    TSC_BYTES,
    0x04, 0x00, 0x00, 0x00, /* domid = 4 */
    0x02, 0x00, 0x00, 0x00, /* order = 2 */
    0x04, 0x00, 0x00, 0x00, /* drawn = 4 */
    0x60, 0x00, 0x00, 0x00, /* claim = 96 */
    0x01, 0x00, 0x00, 0x00, /* free low: 1 */
    0xff, 0xff, 0xff, 0xff, /* free high: 0xffffffff */
};

/* Expected field values by name, independent of the descriptors. */
struct want_field {
    const char *name;
    int64_t value;          /* signed view (unsigned values fit) */
};

struct golden {
    uint32_t id;
    const char *name;
    const uint8_t *bytes;
    size_t len;
    int has_tsc;
    unsigned int nwords;
    struct want_field f[8];
    const char *dump;       /* expected xct_dump_fields() text */
};

#define G(arr) arr, sizeof(arr)

static const struct golden goldens[] = {
    { 0x0010f020, "claim", G(gold_claim), 1, 7,
      { { "domid", 3 }, { "flags", 1 }, { "result", -12 },
        { "nr_pages", 4294967360ll }, { "claim", 262144 },
        { "tot_pages", 1024 } },
      "domid=3 flags=0x1 result=-12(ENOMEM) nr_pages=4294967360 "
      "claim=262144 tot_pages=1024" },
    { 0x0010f021, "claim_release", G(gold_claim_release), 1, 5,
      { { "domid", 7 }, { "reason", 3 }, { "pages", 100 },
        { "outstanding", 8589934597ll } },
      "domid=7 reason=domain_death pages=100 outstanding=8589934597" },
    { 0x0010f022, "tot_pages", G(gold_tot_pages), 1, 7,
      { { "domid", 2 }, { "delta", -512 }, { "tot_pages", 1536 },
        { "claim", 0 }, { "free", 0x123456789ll } },
      "domid=2 delta=-512 tot_pages=1536 claim=0 free=4886718345" },
    { 0x0010f023, "alloc_denied", G(gold_alloc_denied), 1, 4,
      { { "domid", 0x7ff4 }, { "order", 9 }, { "memflags", 1 },
        { "claim", 0 } },
      "domid=32756 order=9 memflags=0x1 claim=0" },
    { 0x0010f024, "alloc_failed", G(gold_alloc_failed), 1, 4,
      { { "domid", 5 }, { "order", 0 }, { "memflags", 0 },
        { "claim", 77 } },
      "domid=5 order=0 memflags=0x0 claim=77" },
    { 0x0010f025, "heap", G(gold_heap), 1, 7,
      { { "reason", 7 }, { "node", 0xffff }, { "free", 0x1000 },
        { "freeable", 0 }, { "outstanding", 0x300000000ll } },
      "reason=denied node=65535 free=4096 freeable=0 "
      "outstanding=12884901888" },
    { 0x0010f026, "domain", G(gold_domain), 0, 5,
      { { "domid", 1 }, { "state", 2 }, { "tot_pages", 256 },
        { "max_pages", 512 }, { "claim", 128 } },
      "domid=1 state=max_pages tot_pages=256 max_pages=512 claim=128" },
    { 0x0010f027, "claim_draw", G(gold_claim_draw), 1, 6,
      { { "domid", 4 }, { "order", 2 }, { "drawn", 4 }, { "claim", 96 },
        { "free", (int64_t)0xffffffff00000001ull } },
      "domid=4 order=2 drawn=4 claim=96 free=18446744069414584321" },
};

#define NGOLD (sizeof(goldens) / sizeof(goldens[0]))

static int little_endian(void)
{
    uint32_t one = 1;
    uint8_t b;

    memcpy(&b, &one, 1);
    return b == 1;
}

static const struct golden *golden_of(uint32_t id)
{
    size_t i;

    for (i = 0; i < NGOLD; i++)
        if (goldens[i].id == id)
            return &goldens[i];
    return NULL;
}

/* Encode with the typed encoders: returns the payload word count. */
static unsigned int encode_golden(uint32_t id, uint32_t *w)
{
    switch (id) {
    case XCT_EV_CLAIM:
        return xct_enc_CLAIM(w, 3, XCT_CLAIMF_FREE_ONLY, -12, 4294967360ull,
                             262144, 1024);
    case XCT_EV_CLAIM_RELEASE:
        return xct_enc_CLAIM_RELEASE(w, 7, XCT_RELEASE_DEATH, 100,
                                     8589934597ull);
    case XCT_EV_TOT_PAGES:
        return xct_enc_TOT_PAGES(w, 2, -512, 1536, 0, 0x123456789ull);
    case XCT_EV_ALLOC_DENIED:
        return xct_enc_ALLOC_DENIED(w, XCT_DOMID_ANON, 9,
                                    XCT_MEMF_NO_REFCOUNT, 0);
    case XCT_EV_ALLOC_FAILED:
        return xct_enc_ALLOC_FAILED(w, 5, 0, 0, 77);
    case XCT_EV_HEAP:
        return xct_enc_HEAP(w, XCT_HEAP_DENIED, XCT_NODE_ALL, 0x1000, 0,
                            0x300000000ull);
    case XCT_EV_DOMAIN:
        return xct_enc_DOMAIN(w, 1, XCT_DOM_MAX_PAGES, 256, 512, 128);
    case XCT_EV_CLAIM_DRAW:
        return xct_enc_CLAIM_DRAW(w, 4, 2, 4, 96, 0xffffffff00000001ull);
    }
    return 0;
}

/* Every event of the table has a golden record, and no golden is stray. */
static void test_every_event_has_golden(void **state)
{
    unsigned int i;

    (void)state;
    assert_int_equal(xct_event_count(), NGOLD);
    for (i = 0; i < xct_event_count(); i++) {
        const struct xct_event_desc *d = xct_event_desc_at(i);

        assert_non_null(d);
        if (!golden_of(d->id))
            fail_msg("event %s (0x%08x) has no golden record", d->name,
                     d->id);
    }
    for (i = 0; i < NGOLD; i++)
        if (!xct_event_desc(goldens[i].id))
            fail_msg("golden 0x%08x is not in the table", goldens[i].id);
}

/* Typed encoder + record encoder produce exactly the golden bytes. */
static void test_golden_encode(void **state)
{
    size_t i;

    (void)state;
    if (!little_endian())
        skip();
    for (i = 0; i < NGOLD; i++) {
        const struct golden *g = &goldens[i];
        struct xct_record r;
        uint8_t buf[XCT_RECORD_MAX_BYTES];
        size_t n;

        memset(&r, 0, sizeof(r));
        r.event = g->id;
        r.nwords = encode_golden(g->id, r.words);
        r.has_tsc = g->has_tsc;
        r.tsc = GOLDEN_TSC;
        if (r.nwords != g->nwords)
            fail_msg("%s: encoder wrote %u words, expected %u", g->name,
                     r.nwords, g->nwords);
        n = xct_record_encode(buf, sizeof(buf), &r);
        if (n != g->len)
            fail_msg("%s: record of %zu bytes, expected %zu", g->name, n,
                     g->len);
        for (size_t b = 0; b < n; b++)
            if (buf[b] != g->bytes[b])
                fail_msg("%s: byte %zu is 0x%02x, expected 0x%02x", g->name,
                         b, buf[b], g->bytes[b]);
    }
}

/* Check one decoded golden payload against the typed decoder. */
static void check_typed(const struct golden *g, const uint32_t *w)
{
    switch (g->id) {
    case XCT_EV_CLAIM: {
        struct xct_ev_CLAIM e;

        xct_dec_CLAIM(w, &e);
        assert_int_equal(e.domid, 3);
        assert_int_equal(e.flags, 1);
        assert_int_equal(e.result, -12);
        assert_true(e.nr_pages == 4294967360ull);
        assert_int_equal(e.claim, 262144);
        assert_int_equal(e.tot_pages, 1024);
        break;
    }
    case XCT_EV_CLAIM_RELEASE: {
        struct xct_ev_CLAIM_RELEASE e;

        xct_dec_CLAIM_RELEASE(w, &e);
        assert_int_equal(e.domid, 7);
        assert_int_equal(e.reason, XCT_RELEASE_DEATH);
        assert_int_equal(e.pages, 100);
        assert_true(e.outstanding == 8589934597ull);
        break;
    }
    case XCT_EV_TOT_PAGES: {
        struct xct_ev_TOT_PAGES e;

        xct_dec_TOT_PAGES(w, &e);
        assert_int_equal(e.domid, 2);
        assert_true(e.delta == -512);
        assert_int_equal(e.tot_pages, 1536);
        assert_int_equal(e.claim, 0);
        assert_true(e.free == 0x123456789ull);
        break;
    }
    case XCT_EV_ALLOC_DENIED: {
        struct xct_ev_ALLOC_DENIED e;

        xct_dec_ALLOC_DENIED(w, &e);
        assert_int_equal(e.domid, 0x7ff4);
        assert_int_equal(e.order, 9);
        assert_int_equal(e.memflags, 1);
        assert_int_equal(e.claim, 0);
        break;
    }
    case XCT_EV_ALLOC_FAILED: {
        struct xct_ev_ALLOC_FAILED e;

        xct_dec_ALLOC_FAILED(w, &e);
        assert_int_equal(e.domid, 5);
        assert_int_equal(e.order, 0);
        assert_int_equal(e.memflags, 0);
        assert_int_equal(e.claim, 77);
        break;
    }
    case XCT_EV_HEAP: {
        struct xct_ev_HEAP e;

        xct_dec_HEAP(w, &e);
        assert_int_equal(e.reason, XCT_HEAP_DENIED);
        assert_int_equal(e.node, 0xffff);
        assert_true(e.free == 0x1000);
        assert_true(e.freeable == 0);
        assert_true(e.outstanding == 0x300000000ull);
        break;
    }
    case XCT_EV_DOMAIN: {
        struct xct_ev_DOMAIN e;

        xct_dec_DOMAIN(w, &e);
        assert_int_equal(e.domid, 1);
        assert_int_equal(e.state, XCT_DOM_MAX_PAGES);
        assert_int_equal(e.tot_pages, 256);
        assert_int_equal(e.max_pages, 512);
        assert_int_equal(e.claim, 128);
        break;
    }
    case XCT_EV_CLAIM_DRAW: {
        struct xct_ev_CLAIM_DRAW e;

        xct_dec_CLAIM_DRAW(w, &e);
        assert_int_equal(e.domid, 4);
        assert_int_equal(e.order, 2);
        assert_int_equal(e.drawn, 4);
        assert_int_equal(e.claim, 96);
        assert_true(e.free == 0xffffffff00000001ull);
        break;
    }
    default:
        fail_msg("no typed check for 0x%08x", g->id);
    }
}

/* Golden bytes decode to the same values through all three decoders. */
static void test_golden_decode(void **state)
{
    size_t i;

    (void)state;
    if (!little_endian())
        skip();
    for (i = 0; i < NGOLD; i++) {
        const struct golden *g = &goldens[i];
        const struct xct_event_desc *d = xct_event_desc(g->id);
        struct xct_record r;
        size_t n;
        unsigned int j, nwant = 0;

        memset(&r, 0xa5, sizeof(r));
        n = xct_record_decode(g->bytes, g->len, 77, &r);
        if (n != g->len)
            fail_msg("%s: decoded %zu bytes, expected %zu", g->name, n,
                     g->len);
        assert_int_equal(r.event, g->id);
        assert_int_equal(r.nwords, g->nwords);
        assert_int_equal(r.has_tsc, g->has_tsc);
        assert_true(r.tsc == (g->has_tsc ? GOLDEN_TSC : 77));
        assert_int_equal(xct_event_check(&r), 0);

        check_typed(g, r.words);

        /* The generic descriptors: every expected field, by name. */
        assert_non_null(d);
        assert_string_equal(d->name, g->name);
        assert_int_equal(d->nwords, g->nwords);
        while (nwant < 8 && g->f[nwant].name)
            nwant++;
        if (d->nfields != nwant)
            fail_msg("%s: %u fields described, expected %u", g->name,
                     d->nfields, nwant);
        for (j = 0; j < nwant; j++) {
            const struct xct_field_desc *f = xct_field_find(d, g->f[j].name);
            int64_t sv;
            uint64_t uv;

            if (!f)
                fail_msg("%s: no field %s", g->name, g->f[j].name);
            assert_ptr_equal(f, &d->fields[j]);
            assert_int_equal(xct_field_get(f, r.words, &sv, &uv), 0);
            if (sv != g->f[j].value)
                fail_msg("%s.%s: generic decode gives %" PRId64 ", expected "
                         "%" PRId64, g->name, f->name, sv, g->f[j].value);
            if (!f->is_signed && uv != (uint64_t)g->f[j].value)
                fail_msg("%s.%s: unsigned view %" PRIu64, g->name, f->name,
                         uv);
        }
    }
}

/* The dump spells each golden record's fields as written by hand here. */
static void test_golden_dump(void **state)
{
    size_t i;

    (void)state;
    if (!little_endian())
        skip();
    for (i = 0; i < NGOLD; i++) {
        const struct golden *g = &goldens[i];
        struct xct_record r;
        char buf[512], line[600], want[700];
        int n;

        xct_record_decode(g->bytes, g->len, 0, &r);
        n = xct_dump_fields(buf, sizeof(buf), &r);
        assert_int_equal(n, (int)strlen(g->dump));
        assert_string_equal(buf, g->dump);

        /* The whole line: marker, time, CPU, name, fields. */
        snprintf(want, sizeof(want), "  %12" PRIu64 " cpu3 %s %s",
                 (uint64_t)(g->has_tsc ? GOLDEN_TSC : 0), g->name, g->dump);
        n = xct_dump_format(line, sizeof(line), &r, 3, NULL);
        assert_string_equal(line, want);
        assert_int_equal(n, (int)strlen(want));

        /* A short buffer is cut, NUL-terminated, and the need reported. */
        n = xct_dump_format(line, 10, &r, 3, NULL);
        assert_int_equal(n, (int)strlen(want));
        assert_int_equal(strlen(line), 9);
    }
}

/* Word layout of the descriptors, written down by hand for two events. */
static void test_layout(void **state)
{
    const struct xct_event_desc *d;
    static const struct {
        const char *name;
        unsigned int word, shift, bits, is_signed;
        enum xct_field_kind kind;
    } heap[] = {
        { "reason",      0, 0,  16, 0, XCT_KIND_U16LO },
        { "node",        0, 16, 16, 0, XCT_KIND_U16HI },
        { "free",        1, 0,  64, 0, XCT_KIND_U64 },
        { "freeable",    3, 0,  64, 0, XCT_KIND_U64 },
        { "outstanding", 5, 0,  64, 0, XCT_KIND_U64 },
    }, tot[] = {
        { "domid",     0, 0, 32, 0, XCT_KIND_U32 },
        { "delta",     1, 0, 64, 1, XCT_KIND_S64 },
        { "tot_pages", 3, 0, 32, 0, XCT_KIND_U32 },
        { "claim",     4, 0, 32, 0, XCT_KIND_U32 },
        { "free",      5, 0, 64, 0, XCT_KIND_U64 },
    };
    unsigned int i;

    (void)state;
    d = xct_event_desc(XCT_EV_HEAP);
    assert_non_null(d);
    assert_int_equal(d->nfields, 5);
    for (i = 0; i < 5; i++) {
        assert_string_equal(d->fields[i].name, heap[i].name);
        assert_int_equal(d->fields[i].word, heap[i].word);
        assert_int_equal(d->fields[i].shift, heap[i].shift);
        assert_int_equal(d->fields[i].bits, heap[i].bits);
        assert_int_equal(d->fields[i].is_signed, heap[i].is_signed);
        assert_int_equal(d->fields[i].kind, heap[i].kind);
        assert_non_null(d->fields[i].doc);
    }
    d = xct_event_desc(XCT_EV_TOT_PAGES);
    assert_non_null(d);
    assert_int_equal(d->nfields, 5);
    for (i = 0; i < 5; i++) {
        assert_string_equal(d->fields[i].name, tot[i].name);
        assert_int_equal(d->fields[i].word, tot[i].word);
        assert_int_equal(d->fields[i].bits, tot[i].bits);
        assert_int_equal(d->fields[i].is_signed, tot[i].is_signed);
    }
    /* Ids, names, docs and word counts of the whole table. */
    for (i = 0; i < xct_event_count(); i++) {
        d = xct_event_desc_at(i);
        assert_int_equal(d->id, 0x0010f020u + i);
        assert_non_null(d->doc);
        assert_true(d->nwords <= 7);
        assert_ptr_equal(xct_event_desc(d->id), d);
    }
}

static void test_lookup_misses(void **state)
{
    (void)state;
    errno = 0;
    assert_null(xct_event_desc(0x0010f028));
    assert_int_equal(errno, ENOENT);
    assert_null(xct_event_desc(0x0010f001));      /* grant map: Xen's */
    assert_null(xct_event_desc(0x0002f020));      /* another class */
    assert_null(xct_event_desc(0x8010f020));      /* header bits not masked */
    errno = 0;
    assert_null(xct_event_desc_at(xct_event_count()));
    assert_int_equal(errno, ERANGE);
    assert_null(xct_field_find(xct_event_desc(XCT_EV_CLAIM), "nosuch"));
    assert_null(xct_field_find(NULL, "domid"));
}

static void test_field_get(void **state)
{
    const struct xct_event_desc *d = xct_event_desc(XCT_EV_CLAIM);
    const struct xct_field_desc *f = xct_field_find(d, "result");
    uint32_t w[7] = { 0, 0, 0xfffffff4u, 0, 0, 0, 0 };
    struct xct_field_desc bad;
    int64_t sv;
    uint64_t uv;

    (void)state;
    assert_int_equal(xct_field_get(f, w, &sv, &uv), 0);
    assert_true(sv == -12);
    assert_true(uv == 0xfffffff4u);
    assert_int_equal(xct_field_get(f, w, NULL, NULL), 0);
    assert_int_equal(xct_field_get(NULL, w, &sv, &uv), -EINVAL);
    assert_int_equal(xct_field_get(f, NULL, &sv, &uv), -EINVAL);
    bad = *f;
    bad.bits = 8;
    assert_int_equal(xct_field_get(&bad, w, &sv, &uv), -EINVAL);
    bad = *f;
    bad.word = 6;
    bad.bits = 64;      /* would read word 7 */
    assert_int_equal(xct_field_get(&bad, w, &sv, &uv), -EINVAL);
}

static void test_event_check(void **state)
{
    struct xct_record r;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.event = XCT_EV_CLAIM;
    r.nwords = 7;
    assert_int_equal(xct_event_check(&r), 0);
    r.nwords = 6;
    assert_int_equal(xct_event_check(&r), -EBADMSG);
    r.event = XCT_EV_HEAP;
    r.nwords = 0;
    assert_int_equal(xct_event_check(&r), -EBADMSG);
    r.event = 0x0002800e;           /* foreign: any count will do */
    r.nwords = 3;
    assert_int_equal(xct_event_check(&r), 0);
    r.event = 0x0010f028;           /* past our table: foreign */
    assert_int_equal(xct_event_check(&r), 0);
    assert_int_equal(xct_event_check(NULL), -EINVAL);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(xct_release_name(1), "cancelled");
    assert_string_equal(xct_release_name(2), "drawn_down");
    assert_string_equal(xct_release_name(3), "domain_death");
    assert_string_equal(xct_release_name(0), "?");
    assert_string_equal(xct_release_name(4), "?");
    assert_string_equal(xct_heap_reason_name(0), "dump");
    assert_string_equal(xct_heap_reason_name(5), "tmem_reclaim");
    assert_string_equal(xct_heap_reason_name(9), "online");
    assert_string_equal(xct_heap_reason_name(10), "?");
    assert_string_equal(xct_heap_reason_name(0xffffffffu), "?");
    assert_string_equal(xct_domain_state_name(0), "dump");
    assert_string_equal(xct_domain_state_name(3), "dying");
    assert_string_equal(xct_domain_state_name(4), "destroyed");
    assert_string_equal(xct_domain_state_name(5), "?");
    assert_string_equal(xct_errno_name(12), "ENOMEM");
    assert_string_equal(xct_errno_name(22), "EINVAL");
    assert_string_equal(xct_errno_name(16), "EBUSY");
    assert_string_equal(xct_errno_name(0), "?");
    assert_string_equal(xct_errno_name(9999), "?");

    assert_int_equal(xct_field_fmt(XCT_EV_HEAP,
                     xct_field_find(xct_event_desc(XCT_EV_HEAP), "reason")),
                     XCT_FMT_HEAP);
    assert_int_equal(xct_field_fmt(XCT_EV_CLAIM_RELEASE,
                     xct_field_find(xct_event_desc(XCT_EV_CLAIM_RELEASE),
                                    "reason")), XCT_FMT_RELEASE);
    assert_int_equal(xct_field_fmt(XCT_EV_CLAIM,
                     xct_field_find(xct_event_desc(XCT_EV_CLAIM), "domid")),
                     XCT_FMT_DEC);
    assert_int_equal(xct_field_fmt(XCT_EV_CLAIM, NULL), XCT_FMT_DEC);
}

static void test_errors(void **state)
{
    int e, f;

    (void)state;
    assert_string_equal(xct_strerror(0), "success");
    assert_string_equal(xct_strerror(-ENOMEM), strerror(ENOMEM));
    assert_string_equal(xct_strerror(XCT_E_TSC_BACKWARDS),
                        "TSC goes backwards within a CPU");
    assert_string_equal(xct_strerror(-XCT_E_TSC_BACKWARDS),
                        "TSC goes backwards within a CPU");
    assert_string_equal(xct_error_name(-XCT_E_BAD_CPU), "BAD_CPU");
    assert_null(xct_error_name(ENOMEM));
    assert_true(XCT_E_TRUNC_RECORD == XCT_ERRNO_BASE);
    assert_true(XCT_ERRNO_BASE > 133);      /* above every Linux errno */
    /* Each code has its own, non-empty text. */
    for (e = XCT_E_TRUNC_RECORD; e < XCT_E_END_; e++) {
        assert_non_null(xct_error_name(e));
        assert_true(strlen(xct_strerror(e)) > 0);
        for (f = XCT_E_TRUNC_RECORD; f < e; f++)
            assert_string_not_equal(xct_strerror(e), xct_strerror(f));
    }
    assert_int_equal(XCT_E_END_ - XCT_E_TRUNC_RECORD, 14);
}

/* Dump lines of records that are not well-formed xenclaim events. */
static void test_dump_other_lines(void **state)
{
    struct xct_record r;
    struct xct_dump_opts o = { 2e9, 1000000000, 0 };
    char line[256];

    (void)state;
    memset(&r, 0, sizeof(r));
    r.event = 0x0002800e;
    r.nwords = 3;
    r.has_tsc = 1;
    r.tsc = 21923407212ull;
    r.words[0] = 0x7fff;
    r.words[1] = 0;
    r.words[2] = 0x2e5a4a;
    xct_dump_format(line, sizeof(line), &r, 0, NULL);
    assert_string_equal(line,
                        "   21923407212 cpu0 0x0002800e [ 7fff 0 2e5a4a ]");

    /* Lost records: marked, fields split by hand. */
    r.event = XCT_TRC_LOST_RECORDS;
    r.nwords = 4;
    r.tsc = 3000000000ull;
    r.words[0] = 74;
    r.words[1] = (5u << 16) | 1;
    r.words[2] = 0x9;
    r.words[3] = 0x1;
    xct_dump_format(line, sizeof(line), &r, 1, &o);
    assert_string_equal(line, "!  1.000000000 cpu1 lost_records lost=74 "
                        "domid=5 vcpu=1 first_tsc=4294967305");

    /* A xenclaim event with the wrong word count: marked, words in hex. */
    r.event = XCT_EV_CLAIM;
    r.nwords = 2;
    r.tsc = 5;
    r.words[0] = 0xa;
    r.words[1] = 0xb;
    xct_dump_format(line, sizeof(line), &r, 2, NULL);
    assert_string_equal(line, "!            5 cpu2 claim !words=2/7 [ a b ]");
    assert_int_equal(xct_dump_fields(line, sizeof(line), &r), -EBADMSG);
    r.event = 0x0002800e;
    assert_int_equal(xct_dump_fields(line, sizeof(line), &r), -EINVAL);
    assert_int_equal(xct_dump_format(line, sizeof(line), NULL, 0, NULL),
                     -EINVAL);

    /* Unknown reason values are shown as numbers. */
    memset(&r, 0, sizeof(r));
    r.event = XCT_EV_CLAIM_RELEASE;
    r.nwords = xct_enc_CLAIM_RELEASE(r.words, 1, 9, 2, 3);
    xct_dump_fields(line, sizeof(line), &r);
    assert_string_equal(line, "domid=1 reason=?(9) pages=2 outstanding=3");
    /* result 0 and a positive result are plain numbers. */
    r.event = XCT_EV_CLAIM;
    r.nwords = xct_enc_CLAIM(r.words, 1, 0, 0, 5, 5, 0);
    xct_dump_fields(line, sizeof(line), &r);
    assert_string_equal(line, "domid=1 flags=0x0 result=0 nr_pages=5 "
                        "claim=5 tot_pages=0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_event_has_golden),
        cmocka_unit_test(test_golden_encode),
        cmocka_unit_test(test_golden_decode),
        cmocka_unit_test(test_golden_dump),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_lookup_misses),
        cmocka_unit_test(test_field_get),
        cmocka_unit_test(test_event_check),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_dump_other_lines),
    };

    return cmocka_run_group_tests_name("desc", tests, NULL, NULL);
}
