/* xct_dump.c: text lines for trace records, through the descriptors. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xct_desc.h"
#include "xct_dump.h"

/* snprintf into buf at *pos, keeping *pos the length the text needs. */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(*pos < len ? buf + *pos : NULL,
                  *pos < len ? len - *pos : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos += (size_t)n;
}

static void put_field(char *buf, size_t len, size_t *pos, uint32_t event,
                      const struct xct_field_desc *f, const uint32_t *words)
{
    const char *name = NULL;
    int64_t sv;
    uint64_t uv;

    if (xct_field_get(f, words, &sv, &uv) < 0) {
        put(buf, len, pos, " %s=?", f->name);
        return;
    }
    switch (xct_field_fmt(event, f)) {
    case XCT_FMT_HEX:
        put(buf, len, pos, " %s=0x%" PRIx64, f->name, uv);
        return;
    case XCT_FMT_ERRNO:
        if (sv < 0 && sv > -4096)
            put(buf, len, pos, " %s=%" PRId64 "(%s)", f->name, sv,
                xct_errno_name((int)-sv));
        else
            put(buf, len, pos, " %s=%" PRId64, f->name, sv);
        return;
    case XCT_FMT_RELEASE:
        name = xct_release_name((uint32_t)uv);
        break;
    case XCT_FMT_HEAP:
        name = xct_heap_reason_name((uint32_t)uv);
        break;
    case XCT_FMT_DOMSTATE:
        name = xct_domain_state_name((uint32_t)uv);
        break;
    case XCT_FMT_DEC:
        if (f->is_signed)
            put(buf, len, pos, " %s=%" PRId64, f->name, sv);
        else
            put(buf, len, pos, " %s=%" PRIu64, f->name, uv);
        return;
    }
    if (strcmp(name, "?") == 0)
        put(buf, len, pos, " %s=?(%" PRIu64 ")", f->name, uv);
    else
        put(buf, len, pos, " %s=%s", f->name, name);
}

int xct_dump_fields(char *buf, size_t len, const struct xct_record *r)
{
    const struct xct_event_desc *d;
    size_t pos = 0;
    unsigned int i;

    if (len)
        buf[0] = '\0';
    if (!r || !(d = xct_event_desc(r->event)))
        return -EINVAL;
    if (r->nwords != d->nwords)
        return -EBADMSG;
    for (i = 0; i < d->nfields; i++)
        put_field(buf, len, &pos, r->event, &d->fields[i], r->words);
    /* Drop the leading space. */
    if (pos > 0) {
        if (len > 1)
            memmove(buf, buf + 1, (pos < len ? pos : len - 1));
        pos--;
    }
    return (int)pos;
}

static void put_words(char *buf, size_t len, size_t *pos,
                      const struct xct_record *r)
{
    unsigned int i;

    put(buf, len, pos, " [");
    for (i = 0; i < r->nwords && i < 7; i++)
        put(buf, len, pos, " %" PRIx32, r->words[i]);
    put(buf, len, pos, " ]");
}

int xct_dump_format(char *buf, size_t len, const struct xct_record *r,
                    unsigned int cpu, const struct xct_dump_opts *opts)
{
    const struct xct_event_desc *d;
    size_t pos = 0;
    int mark;

    if (len)
        buf[0] = '\0';
    if (!r)
        return -EINVAL;
    d = xct_event_desc(r->event);
    mark = r->event == XCT_TRC_LOST_RECORDS || (d && r->nwords != d->nwords);
    put(buf, len, &pos, "%c ", mark ? '!' : ' ');
    if (opts && opts->cpu_hz > 0)
        put(buf, len, &pos, "%12.9f",
            (double)(int64_t)(r->tsc - opts->first_tsc) / opts->cpu_hz);
    else
        put(buf, len, &pos, "%12" PRIu64, r->tsc);
    put(buf, len, &pos, " cpu%u ", cpu);

    if (d && r->nwords == d->nwords) {
        unsigned int i;

        put(buf, len, &pos, "%s", d->name);
        for (i = 0; i < d->nfields; i++)
            put_field(buf, len, &pos, r->event, &d->fields[i], r->words);
    } else if (d) {
        put(buf, len, &pos, "%s !words=%" PRIu32 "/%u", d->name, r->nwords,
            d->nwords);
        put_words(buf, len, &pos, r);
    } else if (r->event == XCT_TRC_LOST_RECORDS && r->nwords == 4) {
        put(buf, len, &pos, "lost_records lost=%" PRIu32 " domid=%" PRIu32
            " vcpu=%" PRIu32 " first_tsc=%" PRIu64, r->words[0],
            r->words[1] >> 16, r->words[1] & 0xffffu,
            (uint64_t)r->words[2] | ((uint64_t)r->words[3] << 32));
    } else {
        put(buf, len, &pos, "0x%08" PRIx32, r->event);
        put_words(buf, len, &pos, r);
    }
    return (int)pos;
}

int xct_dump_status(char *buf, size_t len, enum xct_read_status st,
                    const struct xct_reader *rd)
{
    size_t pos = 0;

    if (len)
        buf[0] = '\0';
    if (!rd || st == XCT_READ_OK)
        return -EINVAL;
    put(buf, len, &pos, "! offset %" PRIu64 ": %s", xct_reader_offset(rd),
        xct_read_status_name(st));
    if (st != XCT_READ_END)
        put(buf, len, &pos, ": %s", xct_reader_message(rd));
    return (int)pos;
}

int xct_dump_reader(FILE *out, struct xct_reader *rd,
                    const struct xct_dump_opts *opts)
{
    struct xct_dump_opts o = { 0, 0, 0 };
    struct xct_record rec;
    enum xct_read_status st;
    char line[1024];
    int first = 1;

    if (!out || !rd)
        return -EINVAL;
    if (opts)
        o = *opts;
    for (;;) {
        st = xct_reader_next(rd, &rec);
        if (st == XCT_READ_OK) {
            if (first) {
                if (o.cpu_hz > 0 && o.first_tsc == 0)
                    o.first_tsc = rec.tsc;
                first = 0;
            }
            xct_dump_format(line, sizeof(line), &rec, xct_reader_cpu(rd),
                            &o);
        } else if (st == XCT_READ_END) {
            break;
        } else {
            xct_dump_status(line, sizeof(line), st, rd);
        }
        if (fputs(line, out) == EOF || putc('\n', out) == EOF)
            return -EIO;
        if (st != XCT_READ_OK && (xct_reader_at_end(rd) || !o.tolerant))
            break;
    }
    if (fflush(out) == EOF || ferror(out))
        return -EIO;
    return (int)st;
}
