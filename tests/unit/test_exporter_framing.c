/* test_exporter_framing.c: varints, the event stream's framed records and the frame reader. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporters/lib/xce_evs.h"
#include "build/gen/exporters/proto/xcev.pb-c.h"

static void test_varint_golden(void **state)
{
    static const struct { uint64_t v; size_t n; uint8_t b[10]; } t[] = {
        { 0, 1, { 0x00 } },
        { 1, 1, { 0x01 } },
        { 127, 1, { 0x7f } },
        { 128, 2, { 0x80, 0x01 } },
        { 300, 2, { 0xac, 0x02 } },
        { 16383, 2, { 0xff, 0x7f } },
        { 16384, 3, { 0x80, 0x80, 0x01 } },
        { 1ull << 32, 5, { 0x80, 0x80, 0x80, 0x80, 0x10 } },
        { UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0x01 } },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t out[XCE_VARINT_MAX];
        uint64_t back = 12345;

        assert_int_equal(xce_varint_put(out, t[i].v), t[i].n);
        assert_memory_equal(out, t[i].b, t[i].n);
        assert_int_equal(xce_varint_get(t[i].b, t[i].n, &back), t[i].n);
        assert_true(back == t[i].v);
        /* One byte short: truncated, not wrong. */
        assert_int_equal(xce_varint_get(t[i].b, t[i].n - 1, &back), 0);
    }
}

static void test_varint_bad(void **state)
{
    static const uint8_t eleven[11] = {
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    static const uint8_t overflow[10] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    uint64_t v;

    assert_int_equal(xce_varint_get(eleven, sizeof(eleven), &v), -EBADMSG);
    assert_int_equal(xce_varint_get(overflow, sizeof(overflow), &v),
                     -EBADMSG);
    assert_int_equal(xce_varint_get(eleven, 0, &v), 0);
}

/* Frame rec with seq into b, then check the bytes by hand. */
static void test_frame_layout(void **state)
{
    static const uint8_t body[] = { 0x12, 0x00 };   /* field 2, empty */
    struct xce_buf b = { 0 };

    assert_int_equal(xce_evs_frame(&b, 300, body, sizeof(body)), 0);
    /* length 5 = seq field (08 ac 02) + body (12 00) */
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.p, "\x05\x08\xac\x02\x12\x00", 6);
    xce_buf_free(&b);
}

/* A stream of three records: header, event, snapshot; *cut_at gets the
 * offset of the third. */
static void write_stream(struct xce_buf *s, size_t *cut_at)
{
    struct xce_buf r = { 0 };
    struct xcs_event ev;
    struct xcs_snapshot snap;
    struct xcs_domain dom;

    memset(&ev, 0, sizeof(ev));
    ev.kind = XCS_EV_REFUSED;
    ev.time_ns = 1234567890123ull;
    ev.domid = 7;
    ev.err = 12;
    ev.pages = -5;
    strcpy(ev.text, "d7 claim refused \xff");
    memset(&snap, 0, sizeof(snap));
    memset(&dom, 0, sizeof(dom));
    dom.domid = 7;
    strcpy(dom.name, "n\xc3");                  /* cut UTF-8 */
    dom.tot_pages = 100;
    dom.claim = 9;
    dom.stakes = 3;
    snap.doms = &dom;
    snap.nr_domains = 1;
    snap.status = XCS_DOWN;
    strcpy(snap.message, "gone");
    snap.host.free_pages = 77;
    snap.host.outstanding_pages = 9;
    snap.host.nr_nodes = 2;
    snap.host.node_free[0] = 40;
    snap.host.node_free[1] = 37;

    assert_int_equal(xce_evs_header(&r, "src", "prod", 1000), 0);
    assert_int_equal(xce_evs_frame(s, 0, r.p, r.len), 0);
    xce_buf_reset(&r);
    assert_int_equal(xce_evs_event(&r, &ev, "we\xff"), 0);
    assert_int_equal(xce_evs_frame(s, 1, r.p, r.len), 0);
    if (cut_at)
        *cut_at = s->len;
    xce_buf_reset(&r);
    assert_int_equal(xce_evs_snapshot(&r, &snap, 2000), 0);
    assert_int_equal(xce_evs_frame(s, 2, r.p, r.len), 0);
    xce_buf_free(&r);
}

static int file_of(const void *p, size_t n)
{
    FILE *f = tmpfile();
    int fd;

    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fflush(f);
    fd = dup(fileno(f));
    fclose(f);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static void test_roundtrip(void **state)
{
    struct xce_buf s = { 0 };
    struct xce_frame_reader rd;
    const uint8_t *msg;
    size_t len;
    Xcev__Record *r;
    int fd;

    write_stream(&s, NULL);
    fd = file_of(s.p, s.len);
    xce_frame_reader_init(&rd, fd);

    assert_int_equal(xce_frame_next(&rd, &msg, &len), 1);
    assert_int_equal(rd.offset, 0);
    r = xcev__record__unpack(NULL, len, msg);
    assert_non_null(r);
    assert_int_equal(r->seq, 0);
    assert_int_equal(r->body_case, XCEV__RECORD__BODY_HEADER);
    assert_string_equal(r->header->magic, XCE_EVS_MAGIC);
    assert_int_equal(r->header->version, XCE_EVS_VERSION);
    assert_string_equal(r->header->source, "src");
    assert_string_equal(r->header->producer, "prod");
    assert_int_equal(r->header->start_unix_ms, 1000);
    xcev__record__free_unpacked(r, NULL);

    assert_int_equal(xce_frame_next(&rd, &msg, &len), 1);
    r = xcev__record__unpack(NULL, len, msg);
    assert_non_null(r);
    assert_int_equal(r->seq, 1);
    assert_int_equal(r->body_case, XCEV__RECORD__BODY_EVENT);
    assert_int_equal(r->event->kind, XCEV__EVENT_KIND__REFUSED);
    assert_true(r->event->time_ns == 1234567890123ull);
    assert_int_equal(r->event->domid, 7);
    assert_int_equal(r->event->err, 12);
    assert_int_equal(r->event->pages, -5);
    assert_string_equal(r->event->text, "d7 claim refused \xef\xbf\xbd");
    assert_string_equal(r->event->domain_name, "we\xef\xbf\xbd");
    xcev__record__free_unpacked(r, NULL);

    assert_int_equal(xce_frame_next(&rd, &msg, &len), 1);
    r = xcev__record__unpack(NULL, len, msg);
    assert_non_null(r);
    assert_int_equal(r->seq, 2);
    assert_int_equal(r->body_case, XCEV__RECORD__BODY_SNAPSHOT);
    assert_int_equal(r->snapshot->unix_ms, 2000);
    assert_int_equal(r->snapshot->status, XCEV__SOURCE_STATUS__DOWN);
    assert_string_equal(r->snapshot->message, "gone");
    assert_int_equal(r->snapshot->host->free_pages, 77);
    assert_int_equal(r->snapshot->host->outstanding_pages, 9);
    assert_int_equal(r->snapshot->host->n_node_free_pages, 2);
    assert_int_equal(r->snapshot->host->node_free_pages[1], 37);
    assert_int_equal(r->snapshot->n_domains, 1);
    assert_int_equal(r->snapshot->domains[0]->domid, 7);
    assert_string_equal(r->snapshot->domains[0]->name, "n\xef\xbf\xbd");
    assert_int_equal(r->snapshot->domains[0]->tot_pages, 100);
    assert_int_equal(r->snapshot->domains[0]->claim_pages, 9);
    assert_int_equal(r->snapshot->domains[0]->stakes, 3);
    xcev__record__free_unpacked(r, NULL);

    assert_int_equal(xce_frame_next(&rd, &msg, &len), 0);     /* clean end */
    xce_frame_reader_free(&rd);
    close(fd);
    xce_buf_free(&s);
}

static void test_truncated(void **state)
{
    struct xce_buf s = { 0 };
    struct xce_frame_reader rd;
    const uint8_t *msg;
    size_t len, cut;
    int fd, rc;

    write_stream(&s, &cut);
    /* Cut inside the third record: two come out, then -ENODATA where the
     * third starts. */
    fd = file_of(s.p, s.len - 1);
    xce_frame_reader_init(&rd, fd);
    assert_int_equal(xce_frame_next(&rd, &msg, &len), 1);
    assert_int_equal(xce_frame_next(&rd, &msg, &len), 1);
    rc = xce_frame_next(&rd, &msg, &len);
    assert_int_equal(rc, -ENODATA);
    assert_int_equal(rd.offset, cut);
    xce_frame_reader_free(&rd);
    close(fd);
    /* Cut inside a length prefix of two bytes. */
    fd = file_of("\x80", 1);
    xce_frame_reader_init(&rd, fd);
    assert_int_equal(xce_frame_next(&rd, &msg, &len), -ENODATA);
    xce_frame_reader_free(&rd);
    close(fd);
    xce_buf_free(&s);
}

static void test_bad_prefix(void **state)
{
    static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    static const uint8_t eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x80, 0x80, 0x80, 0x80, 0x01 };
    struct xce_frame_reader rd;
    const uint8_t *msg;
    size_t len;
    int fd;

    fd = file_of(huge, sizeof(huge));
    xce_frame_reader_init(&rd, fd);
    assert_int_equal(xce_frame_next(&rd, &msg, &len), -EMSGSIZE);
    xce_frame_reader_free(&rd);
    close(fd);
    fd = file_of(eleven, sizeof(eleven));
    xce_frame_reader_init(&rd, fd);
    assert_int_equal(xce_frame_next(&rd, &msg, &len), -EBADMSG);
    xce_frame_reader_free(&rd);
    close(fd);
    /* Empty input: a clean end at once. */
    fd = file_of("", 0);
    xce_frame_reader_init(&rd, fd);
    assert_int_equal(xce_frame_next(&rd, &msg, &len), 0);
    xce_frame_reader_free(&rd);
    close(fd);
}

/* A pipe fed in small pieces: the reader puts records back together. */
static void test_pipe_pieces(void **state)
{
    struct xce_buf s = { 0 };
    struct xce_frame_reader rd;
    const uint8_t *msg;
    size_t len, off;
    int p[2], n = 0;
    pid_t pid;

    write_stream(&s, NULL);
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        for (off = 0; off < s.len; off += 3)
            if (write(p[1], s.p + off, s.len - off < 3 ? s.len - off : 3) < 0)
                _exit(1);
        _exit(0);
    }
    close(p[1]);
    xce_frame_reader_init(&rd, p[0]);
    while (xce_frame_next(&rd, &msg, &len) == 1) {
        Xcev__Record *r = xcev__record__unpack(NULL, len, msg);

        assert_non_null(r);
        assert_int_equal(r->seq, (uint64_t)n);
        xcev__record__free_unpacked(r, NULL);
        n++;
    }
    assert_int_equal(n, 3);
    xce_frame_reader_free(&rd);
    close(p[0]);
    xce_buf_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_golden),
        cmocka_unit_test(test_varint_bad),
        cmocka_unit_test(test_frame_layout),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_prefix),
        cmocka_unit_test(test_pipe_pieces),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
