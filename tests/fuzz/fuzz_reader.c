/* fuzz_reader.c: libFuzzer target for the trace reader and the dump. */
/* SPDX-License-Identifier: MIT */
/*
 * Besides surviving any input under ASan and UBSan, the reader must give
 * the same answers whichever way it reads: the same records, statuses and
 * offsets from a buffer and from a pipe read a few bytes at a time; a
 * strict error must stay; offsets stay inside the input; a tolerant
 * reader must come to an end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xct_desc.h"
#include "xct_dump.h"
#include "xct_reader.h"

#define PIPE_MAX    65536u

struct item {
    uint32_t st;
    uint32_t cpu;
    uint64_t off;
    uint64_t tsc;
    uint32_t event;
    uint32_t nwords;
    uint32_t words[7];
    int32_t code;
};

struct run {
    struct item *it;
    size_t n;
};

static FILE *devnull;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_reader: check failed: %s (line %d)\n",      \
                    #cond, __LINE__);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static void drain(struct xct_reader *r, size_t size, int tolerant,
                  int dump, struct run *out)
{
    struct xct_record rec;
    char line[1024];
    size_t guard = 0;

    /* Each record takes 4 bytes or more, each skipped error one or more. */
    size_t max_items = size + 16, cap = 0;

    out->n = 0;
    out->it = NULL;
    for (;;) {
        struct item *it;
        enum xct_read_status st;

        CHECK(out->n < max_items);
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->it = realloc(out->it, cap * sizeof(*out->it));
            CHECK(out->it != NULL);
        }
        it = &out->it[out->n];
        memset(&rec, 0, sizeof(rec));
        st = xct_reader_next(r, &rec);
        memset(it, 0, sizeof(*it));
        it->st = st;
        it->off = xct_reader_offset(r);
        CHECK(it->off <= size);
        if (st == XCT_READ_OK) {
            it->cpu = xct_reader_cpu(r);
            it->tsc = rec.tsc;
            it->event = rec.event;
            it->nwords = rec.nwords;
            memcpy(it->words, rec.words, sizeof(it->words));
            CHECK(it->cpu < XCT_MAX_CPUS);
            CHECK(rec.nwords <= 7);
            CHECK(it->off + 4 + 4 * rec.nwords <= size);
            (void)xct_event_check(&rec);
            if (dump) {
                xct_dump_format(line, sizeof(line), &rec, it->cpu, NULL);
                fputs(line, devnull);
            }
        } else {
            it->code = xct_reader_error(r);
            CHECK(st == XCT_READ_END || it->code != 0);
            xct_dump_status(line, sizeof(line), st, r);
            fputs(line, devnull);
        }
        out->n++;
        if (st != XCT_READ_OK && xct_reader_at_end(r))
            break;
        /* Only a tolerant reader may go on after an error. */
        CHECK(st == XCT_READ_OK || tolerant);
        CHECK(++guard <= size + 8);
    }
    /* A final status stays. */
    {
        struct item again;

        memset(&again, 0, sizeof(again));
        again.st = xct_reader_next(r, &rec);
        CHECK(again.st == out->it[out->n - 1].st);
        CHECK(xct_reader_offset(r) == out->it[out->n - 1].off);
    }
}

static void read_pipe(const uint8_t *data, size_t size, unsigned int flags,
                      struct run *out)
{
    /* Small reads on small inputs, to cut windows and records anywhere. */
    struct xct_reader_opts o = {
        flags, size > 4096 ? 509 : 1 + (size ? data[size / 2] % 13 : 0)
    };
    struct xct_reader *r;
    int p[2];
    size_t done = 0;

    CHECK(pipe(p) == 0);
    fcntl(p[1], F_SETPIPE_SZ, (int)PIPE_MAX);
    while (done < size) {
        ssize_t w = write(p[1], data + done, size - done);

        CHECK(w > 0);
        done += (size_t)w;
    }
    close(p[1]);
    r = xct_reader_new_fd(p[0], &o);
    CHECK(r != NULL);
    drain(r, size, flags & XCT_READER_TOLERANT, 0, out);
    xct_reader_free(r);
    close(p[0]);
}

static void same(const struct run *a, const struct run *b)
{
    CHECK(a->n == b->n);
    CHECK(memcmp(a->it, b->it, a->n * sizeof(*a->it)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run mem, pip;
    struct xct_reader *r;
    struct xct_reader_stats st;
    struct xct_reader_opts tol = { XCT_READER_TOLERANT, 0 };
    struct xct_dump_opts dopts = { 2.5e9, 0, 1 };
    int tolerant;

    if (!devnull)
        devnull = fopen("/dev/null", "w");
    for (tolerant = 0; tolerant < 2; tolerant++) {
        struct xct_reader_opts o = { tolerant ? XCT_READER_TOLERANT : 0, 0 };

        r = xct_reader_new_mem(data, size, &o);
        CHECK(r != NULL);
        drain(r, size, tolerant, !tolerant, &mem);
        xct_reader_stats(r, &st);
        CHECK(st.skipped_bytes <= size);
        CHECK(st.records * 4 <= size);
        CHECK(st.max_queued <= 4 * st.cpus + 12 || st.cpus == 0);
        xct_reader_free(r);
        if (size <= PIPE_MAX) {
            read_pipe(data, size, o.flags, &pip);
            same(&mem, &pip);
            free(pip.it);
        }
        free(mem.it);
    }

    /* The whole-reader dump, tolerant. */
    r = xct_reader_new_mem(data, size, &tol);
    CHECK(r != NULL);
    CHECK(xct_dump_reader(devnull, r, &dopts) >= 0);
    xct_reader_free(r);
    return 0;
}
