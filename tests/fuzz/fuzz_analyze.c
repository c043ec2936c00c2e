/* fuzz_analyze.c: libFuzzer target for the analysis and its outputs. */
/* SPDX-License-Identifier: MIT */
/*
 * The first two bytes choose the options (tolerant reading, a time
 * window, a domain filter, the Perfetto output); the rest is the trace.
 * Besides surviving any input under ASan and UBSan:
 *   - reading returns clean, bad or -ENOMEM, nothing else;
 *   - the analysis counts exactly the records the reader returned (up to
 *     the end of the window);
 *   - every report and the plot are written without error;
 *   - two threads give the same JSON report as one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/xca.h"

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_analyze: check failed: %s (line %d)\n",     \
                    #cond, __LINE__);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static FILE *devnull;

struct run {
    char *json;
    size_t len;
    uint64_t records;           /* the analysis' count */
    uint64_t returned;          /* the reader's */
    int rc;
};

static void run(const uint8_t *data, size_t size, unsigned int flags,
                int single, struct run *out)
{
    static const uint32_t doms[] = { 0, 1, 5, 0x7ff4 };
    struct xct_reader_opts ro = { (flags & 1) ? XCT_READER_TOLERANT : 0, 0 };
    struct xca_read_opts o = { (flags & 1) != 0, 0, 0, NULL, single };
    struct xca_opts ao = XCA_OPTS_INIT;
    struct xct_reader_stats st;
    struct xct_reader *rd;
    struct xca *a;
    FILE *m;

    if (flags & 2) {
        ao.has_from = 1;
        ao.from_s = (double)((flags >> 4) & 15) * 1e-7;
    }
    if (flags & 4) {
        ao.has_to = 1;
        ao.to_s = (double)((flags >> 8) & 255) * 1e-6;
        if (ao.has_from && ao.to_s < ao.from_s)
            ao.to_s = ao.from_s;
    }
    if (flags & 8) {
        ao.domains = doms;
        ao.ndomains = 1 + ((flags >> 12) & 3);
    }
    if (flags & 0x8000)
        ao.perfetto = devnull;
    a = xca_new(&ao);
    CHECK(a != NULL);
    rd = xct_reader_new_mem(data, size, &ro);
    CHECK(rd != NULL);
    out->rc = xca_read(a, rd, &o, "fuzz", NULL);
    CHECK(out->rc == XCA_READ_CLEAN || out->rc == XCA_READ_BAD ||
          out->rc == -ENOMEM);
    xct_reader_stats(rd, &st);
    out->returned = st.records;
    out->records = xca_summary(a)->records;
    if (out->rc >= 0) {
        if (!xca_summary(a)->past_window)
            CHECK(out->records == out->returned);
        else
            CHECK(out->records + 1 == out->returned);
        CHECK(xca_report_text(a, devnull, "fuzz") == 0);
        CHECK(xca_report_csv(a, devnull) == 0);
        m = open_memstream(&out->json, &out->len);
        CHECK(m != NULL);
        CHECK(xca_report_json(a, m, "fuzz") == 0);
        fclose(m);
        if (single) {
            struct xca_plot *p = xca_plot_new(a, 64);
            struct xct_reader *r2 = xct_reader_new_mem(data, size, &ro);
            struct xct_record rec;
            enum xct_read_status s;

            CHECK(p != NULL && r2 != NULL);
            while ((s = xct_reader_next(r2, &rec)) != XCT_READ_END) {
                if (s == XCT_READ_OK) {
                    if (xca_plot_feed(p, &rec, xct_reader_offset(r2)))
                        break;
                } else if (!(flags & 1) || xct_reader_at_end(r2)) {
                    break;
                }
            }
            CHECK(xca_plot_svg(p, devnull, "fuzz") == 0);
            xct_reader_free(r2);
            xca_plot_free(p);
        }
    }
    xct_reader_free(rd);
    xca_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run one, two;
    unsigned int flags;

    if (!devnull)
        devnull = fopen("/dev/null", "w");
    if (size < 2)
        return 0;
    flags = (unsigned int)data[0] | (unsigned int)data[1] << 8;
    data += 2;
    size -= 2;
    memset(&one, 0, sizeof(one));
    memset(&two, 0, sizeof(two));
    run(data, size, flags, 1, &one);
    run(data, size, flags, 0, &two);
    CHECK(one.rc == two.rc);
    CHECK(one.records == two.records);
    if (one.json && two.json) {
        CHECK(one.len == two.len);
        CHECK(memcmp(one.json, two.json, one.len) == 0);
    }
    free(one.json);
    free(two.json);
    return 0;
}
