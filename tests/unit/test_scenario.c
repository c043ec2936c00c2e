/* test_scenario.c: scenario parser, generator, one run, checker. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/scenario.h"
#include "xct_events.h"
#include "xct_record.h"

static struct xsc_scenario *parse(const char *text, struct xsc_error *err)
{
    return xsc_parse_text(text, strlen(text), "t.scn", err);
}

/* ---- values --------------------------------------------------------- */

static void test_sizes(void **state)
{
    static const struct {
        const char *s;
        uint64_t pages, step;
    } ok[] = {
        { "4K", 1, 1 },       { "8k", 2, 1 },          { "2M", 512, 256 },
        { "1G", 262144, 262144 }, { "1.5G", 393216, 262144 },
        { "0.5M", 128, 256 }, { "100", 100, 1 },       { "100p", 100, 1 },
        { "2g", 524288, 262144 }, { "1T", 268435456, 268435456 },
        { "0", 0, 1 },
    };
    static const char *const bad[] = {
        "", "G", "1K", "1.1p", "abc", "1X", "-1G", "1..2", "5000T", "1 G",
    };
    uint64_t pages, step;
    char msg[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        pages = step = 12345;
        if (xsc_parse_size(ok[i].s, &pages, &step, msg, sizeof(msg)))
            fail_msg("size '%s': expected %llu pages, got error %s", ok[i].s,
                     (unsigned long long)ok[i].pages, msg);
        if (pages != ok[i].pages || step != ok[i].step)
            fail_msg("size '%s': expected %llu pages step %llu, got %llu "
                     "step %llu", ok[i].s, (unsigned long long)ok[i].pages,
                     (unsigned long long)ok[i].step,
                     (unsigned long long)pages, (unsigned long long)step);
    }
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        msg[0] = 0;
        if (!xsc_parse_size(bad[i], &pages, &step, msg, sizeof(msg)))
            fail_msg("size '%s': expected an error, got %llu pages", bad[i],
                     (unsigned long long)pages);
        assert_true(msg[0] != 0);
    }
}

static void test_times(void **state)
{
    static const struct {
        const char *s;
        uint64_t ns;
    } ok[] = {
        { "10ns", 10 }, { "250us", 250000 }, { "10ms", 10000000 },
        { "1.5s", 1500000000 }, { "2min", 120000000000ULL },
        { "0.001ms", 1000 }, { "0s", 0 },
    };
    static const char *const bad[] = {
        "5", "1.5ns", "ms", "3h", "1S", "1e3s", "99999999999min",
    };
    uint64_t ns, step;
    char msg[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        if (xsc_parse_time(ok[i].s, &ns, &step, msg, sizeof(msg)))
            fail_msg("time '%s': expected %llu ns, got error %s", ok[i].s,
                     (unsigned long long)ok[i].ns, msg);
        if (ns != ok[i].ns)
            fail_msg("time '%s': expected %llu ns, got %llu", ok[i].s,
                     (unsigned long long)ok[i].ns, (unsigned long long)ns);
    }
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (!xsc_parse_time(bad[i], &ns, &step, msg, sizeof(msg)))
            fail_msg("time '%s': expected an error, got %llu ns", bad[i],
                     (unsigned long long)ns);
}

static void test_format(void **state)
{
    char b[32];

    (void)state;
    assert_string_equal(xsc_fmt_size(b, sizeof(b), 524288), "2G");
    assert_string_equal(xsc_fmt_size(b, sizeof(b), 768), "3M");
    assert_string_equal(xsc_fmt_size(b, sizeof(b), 1000), "1000p");
    assert_string_equal(xsc_fmt_size(b, sizeof(b), 0), "0");
    assert_string_equal(xsc_fmt_time(b, sizeof(b), 1500000000), "1.500000s");
    assert_string_equal(xsc_fmt_time(b, sizeof(b), 2001), "0.000002s");
}

/* ---- a valid file ------------------------------------------------------- */

static const char good[] =
    "# a comment\n"
    "host memory=4G nodes=2 tmem=256M cpus=4 dom0=512M dom0-max=1G "
    "xen-pages=3 seed=99 claim=off batch=8   # trailing comment\n"
    "cost hypercall=2us page=10ns\n"
    "\n"
    "actor ts1 cpu=3\n"
    "    at 10ms create web memory=1G maxmem=2G claim=on\n"
    "    after 5ms mem-set web 512M..1G\n"
    "    every 1s repeat 3 mem-set web 256M\n"
    "    repeat 2 every 100ms\n"
    "        create g%i memory=64M\n"
    "        after 1ms destroy g%i\n"
    "    end\n"
    "actor ts2\n"
    "\tclaim web 2G free-only\n"
    "\tcancel web\n"
    "\ttmem put 10\n"
    "\ttmem flush 1M\n"
    "\toffline 4\n"
    "\twait 1.5s\n"
    "\tmem-max web 3G\n"
    "\tdestroy web\n";

static void test_parse_good(void **state)
{
    struct xsc_error err;
    struct xsc_scenario *sc = parse(good, &err);
    const struct xsc_actor *a;
    const struct xsc_op *op;

    (void)state;
    if (!sc)
        fail_msg("expected a scenario, got line %u: %s", err.line, err.msg);
    assert_string_equal(sc->name, "t.scn");
    assert_int_equal(sc->host.memory, 1048576);
    assert_int_equal(sc->host.nodes, 2);
    assert_int_equal(sc->host.tmem, 65536);
    assert_int_equal(sc->host.cpus, 4);
    assert_int_equal(sc->host.dom0, 131072);
    assert_int_equal(sc->host.dom0_max, 262144);
    assert_int_equal(sc->host.xen_pages, 3);
    assert_int_equal(sc->host.seed, 99);
    assert_int_equal(sc->host.claim, 0);
    assert_int_equal(sc->host.batch, 8);
    assert_int_equal(sc->cost.hypercall, 2000);
    assert_int_equal(sc->cost.page, 10);
    assert_int_equal(sc->cost.create, 2000000);   /* default kept */
    assert_int_equal(sc->nr_actors, 2);

    a = &sc->actors[0];
    assert_string_equal(a->name, "ts1");
    assert_int_equal(a->cpu, 3);
    /* create, mem-set, 3 mem-sets, 2 x (create, destroy) = 9. */
    assert_int_equal(a->nr_ops, 9);
    op = &a->ops[0];
    assert_int_equal(op->kind, XSC_OP_CREATE);
    assert_int_equal(op->line, 6);
    assert_int_equal(op->when, XSC_WHEN_AT);
    assert_int_equal(op->t.lo, 10000000);
    assert_string_equal(op->name, "web");
    assert_int_equal(op->size.lo, 262144);
    assert_int_equal(op->maxmem.lo, 524288);
    assert_int_equal(op->claim, 1);
    op = &a->ops[1];
    assert_int_equal(op->kind, XSC_OP_MEMSET);
    assert_int_equal(op->when, XSC_WHEN_AFTER);
    assert_int_equal(op->t.lo, 5000000);
    assert_int_equal(op->size.lo, 131072);
    assert_int_equal(op->size.hi, 262144);
    assert_int_equal(op->size.step, 256);
    /* every 1s repeat 3: the first sets anchor 0, the others follow it. */
    assert_int_equal(a->ops[2].when, XSC_WHEN_NEXT);
    assert_int_equal(a->ops[2].mark, 0);
    assert_int_equal(a->ops[3].when, XSC_WHEN_EVERY);
    assert_int_equal(a->ops[3].anchor, 0);
    assert_int_equal(a->ops[3].t.lo, 1000000000);
    assert_int_equal(a->ops[4].when, XSC_WHEN_EVERY);
    /* The block: g1, g2 with their destroys. */
    assert_string_equal(a->ops[5].name, "g1");
    assert_int_equal(a->ops[5].claim, XSC_CLAIM_DEFAULT);
    assert_int_equal(a->ops[5].mark, 0);
    assert_int_equal(a->ops[6].kind, XSC_OP_DESTROY);
    assert_string_equal(a->ops[6].name, "g1");
    assert_int_equal(a->ops[6].when, XSC_WHEN_AFTER);
    assert_int_equal(a->ops[6].mark, -1);
    assert_string_equal(a->ops[7].name, "g2");
    assert_int_equal(a->ops[7].when, XSC_WHEN_EVERY);
    assert_int_equal(a->ops[7].t.lo, 100000000);
    assert_string_equal(a->ops[8].name, "g2");

    a = &sc->actors[1];
    assert_int_equal(a->cpu, -1);
    assert_int_equal(a->nr_ops, 8);
    assert_int_equal(a->ops[0].kind, XSC_OP_CLAIM);
    assert_int_equal(a->ops[0].flags, XSC_FLAG_FREE_ONLY);
    assert_int_equal(a->ops[0].size.lo, 524288);
    assert_int_equal(a->ops[1].kind, XSC_OP_CANCEL);
    assert_int_equal(a->ops[2].kind, XSC_OP_TMEM_PUT);
    assert_int_equal(a->ops[2].size.lo, 10);
    assert_int_equal(a->ops[3].kind, XSC_OP_TMEM_FLUSH);
    assert_int_equal(a->ops[3].size.lo, 256);
    assert_int_equal(a->ops[4].kind, XSC_OP_OFFLINE);
    assert_int_equal(a->ops[5].kind, XSC_OP_WAIT);
    assert_int_equal(a->ops[5].size.lo, 1500000000);
    assert_int_equal(a->ops[6].kind, XSC_OP_MEMMAX);
    assert_int_equal(a->ops[7].kind, XSC_OP_DESTROY);
    assert_int_equal(a->ops[7].line, 21);
    assert_int_equal(sc->nr_ops, 17);
    xsc_free(sc);
}

/* A loop whose first op has its own timing starts with a zero wait. */
static void test_parse_loops(void **state)
{
    static const char text[] =
        "host memory=1G\n"
        "actor a\n"
        "  at 1s every 2s repeat 2\n"
        "    after 10ms create x%i memory=4M\n"
        "    repeat 2 destroy y%j-%i\n"
        "  end\n"
        "  repeat 2 wait 1ms\n";
    struct xsc_error err;
    struct xsc_scenario *sc = parse(text, &err);
    const struct xsc_actor *a;

    (void)state;
    if (!sc)
        fail_msg("expected a scenario, got line %u: %s", err.line, err.msg);
    a = &sc->actors[0];
    /* 2 x (wait 0, create, destroy, destroy) + 2 waits. */
    assert_int_equal(a->nr_ops, 10);
    assert_int_equal(a->ops[0].kind, XSC_OP_WAIT);
    assert_int_equal(a->ops[0].size.lo, 0);
    assert_int_equal(a->ops[0].when, XSC_WHEN_AT);
    assert_int_equal(a->ops[0].t.lo, 1000000000);
    assert_int_equal(a->ops[0].mark, 0);
    assert_int_equal(a->ops[1].when, XSC_WHEN_AFTER);
    assert_string_equal(a->ops[1].name, "x1");
    assert_string_equal(a->ops[2].name, "y1-1");
    assert_string_equal(a->ops[3].name, "y1-2");
    assert_int_equal(a->ops[4].kind, XSC_OP_WAIT);
    assert_int_equal(a->ops[4].when, XSC_WHEN_EVERY);
    assert_int_equal(a->ops[4].anchor, 0);
    assert_string_equal(a->ops[5].name, "x2");
    assert_string_equal(a->ops[7].name, "y2-2");
    assert_int_equal(a->ops[8].size.lo, 1000000);
    assert_int_equal(a->ops[9].when, XSC_WHEN_NEXT);
    /* Defaults: one CPU per actor, dom0 a 16th of memory. */
    assert_int_equal(sc->host.cpus, 1);
    assert_int_equal(sc->host.dom0, 16384);
    assert_int_equal(sc->host.claim, 1);
    xsc_free(sc);
}

/* ---- every error, with its line ----------------------------------------- */

struct bad_case {
    const char *text;
    unsigned int line;
    const char *msg;        /* a part of the message */
};

#define H "host memory=1G\n"
#define A H "actor a\n"

static const struct bad_case bad_cases[] = {
    { "", 1, "no host line" },
    { "# only a comment\n\n", 2, "no host line" },
    { H, 1, "no actor" },
    { "actor a\n", 1, "before the host line" },
    { H "host memory=1G\n", 2, "a second host line" },
    { "host memory=1G foo=3\n", 1, "unknown key 'foo'" },
    { "host memory=1G memory=2G\n", 1, "memory given twice" },
    { "host memory\n", 1, "not key=value" },
    { "host nodes=2\n", 1, "memory= is required" },
    { "host memory=1X\n", 1, "bad size '1X'" },
    { "host memory=1G nodes=0\n", 1, "at least 1" },
    { "host memory=1G nodes=65\n", 1, "above the limit" },
    { "host memory=1G cpus=x\n", 1, "not a number" },
    { "host memory=1G dom0=2G\n", 1, "smaller than memory" },
    { "host memory=1G dom0=512M dom0-max=256M\n", 1, "below dom0" },
    { "host memory=1G claim=maybe\n", 1, "neither on nor off" },
    { "host memory=1G profile=old\n", 1, "profile 'old'" },
    { "host memory=1G batch=0\n", 1, "batch must be at least 1" },
    { "host memory=8T\n", 1, "above 4T" },
    { "host memory=4M nodes=4\n", 1, "less than 2M per node" },
    { H "cost page=1\n", 2, "bad time '1'" },
    { H "cost lunch=1ms\n", 2, "unknown key 'lunch'" },
    { H "cost page=1ms\ncost page=1ms\n", 3, "a second cost line" },
    { A "  wait 1ms\ncost page=1ms\n", 4, "before the first actor" },
    { H "  wait 1ms\n", 2, "outside an actor" },
    { A "actor b\n  wait 1ms\n", 2, "actor 'a' has no operations" },
    { A, 2, "actor 'a' has no operations" },
    { A "  wait 1ms\nactor a\n  wait 1ms\n", 4, "already defined" },
    { A "  wait 1ms\nactor\n", 4, "a name is required" },
    { A "  wait 1ms\nactor b cpu=x\n", 4, "not a number" },
    { A "  wait 1ms\nactor b speed=2\n", 4, "unknown option" },
    { "host memory=1G cpus=2\nactor a cpu=2\n  wait 1ms\n", 2,
      "cpu 2, but the host has 2" },
    { A "  frobnicate x\n", 3, "unknown operation 'frobnicate'" },
    { A "  create\n", 3, "a guest name is required" },
    { A "  create x\n", 3, "memory= is required" },
    { A "  create x memory=0\n", 3, "memory must be above 0" },
    { A "  create x memory=1G memory=2G\n", 3, "memory given twice" },
    { A "  create x memory=1G colour=red\n", 3, "unknown key 'colour'" },
    { A "  create x memory=2G maxmem=1G\n", 3, "maxmem may be below" },
    { A "  create x memory=1G..2G maxmem=1536M\n", 3, "maxmem may be below" },
    { A "  create x memory=2G..1G\n", 3, "ends below its start" },
    { A "  create x memory=1G claim=sometimes\n", 3, "neither on nor off" },
    { A "  create x/y memory=1G\n", 3, "has a character other than" },
    { A "  create x%d memory=1G\n", 3, "must be followed by i, j" },
    { A "  create x%i memory=1G\n", 3, "%i outside a repeat loop" },
    { A "  repeat 2 create x%j memory=1G\n", 3, "%j outside a nested" },
    { A "  create aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaa memory=1G\n", 3, "longer than 63" },
    /* 61 + "%i": fits, until the 100th iteration makes it 64. */
    { A "  repeat 100 create aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaa%i memory=1G\n", 3, "becomes" },
    { A "  destroy\n", 3, "missing arguments" },
    { A "  destroy a b\n", 3, "too many arguments" },
    { A "  cancel\n", 3, "missing arguments" },
    { A "  claim x\n", 3, "missing arguments" },
    { A "  claim x 1G bogus\n", 3, "'bogus' is not free-only" },
    { A "  claim x 1Q\n", 3, "bad size '1Q'" },
    { A "  mem-set x\n", 3, "missing arguments" },
    { A "  mem-max x 1G 2G\n", 3, "too many arguments" },
    { A "  tmem eat 1M\n", 3, "expected 'put' or 'flush'" },
    { A "  tmem put\n", 3, "missing arguments" },
    { A "  offline\n", 3, "missing arguments" },
    { A "  wait\n", 3, "missing arguments" },
    { A "  wait 5\n", 3, "bad time '5'" },
    { A "  at 1ms\n", 3, "a time and an operation are required" },
    { A "  at soon wait 1ms\n", 3, "bad time 'soon'" },
    { A "  after 1ms repeat 2\n  end\n", 4, "empty repeat block" },
    { A "  repeat 0 wait 1ms\n", 3, "at least 1" },
    { A "  repeat 100001 wait 1ms\n", 3, "above the limit" },
    { A "  repeat\n", 3, "a count is required" },
    { A "  every 1s wait 1ms\n", 3, "'repeat N' is required" },
    { A "  every 1s repeat 2 every 2s wait 1ms\n", 3, "every given twice" },
    { A "  repeat 2 repeat 3 wait 1ms\n", 3, "repeat given twice" },
    { A "  wait 1ms\n  end\n", 4, "'end' without a repeat block" },
    { A "  repeat 2\n  end now\n", 4, "unexpected 'now'" },
    { A "  repeat 2\n    wait 1ms\n", 4, "'end' missing" },
    { A "  repeat 2\n    wait 1ms\nactor b\n", 5, "'end' missing" },
    { A "  repeat 2\n  repeat 2\n  repeat 2\n  repeat 2\n  repeat 2\n", 7,
      "nested deeper than 4" },
    { A "  repeat 1000 repeat 2\n", 3, "repeat given twice" },
    { A "  wait 1ms\x01\n", 3, "a control character" },
    { A "  wait 1ms 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 "
        "23 24 25 26 27 28 29 30 31 32\n", 3, "more than 32 words" },
    { A "  repeat 1000\n    repeat 300 wait 1ms\n  end\n", 4,
      "more than 262144 operations" },
};

static void test_parse_errors(void **state)
{
    struct xsc_scenario *sc;
    struct xsc_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];

        errno = 0;
        sc = parse(c->text, &err);
        if (sc) {
            xsc_free(sc);
            fail_msg("case %zu: expected line %u '%s', got a scenario", i,
                     c->line, c->msg);
        }
        if (errno != EINVAL)
            fail_msg("case %zu: expected errno EINVAL, got %d", i, errno);
        if (err.line != c->line || !strstr(err.msg, c->msg))
            fail_msg("case %zu: expected line %u '%s', got line %u '%s'", i,
                     c->line, c->msg, err.line, err.msg);
    }
}

/* A NUL byte inside the text, and a file that cannot be read. */
static void test_parse_io(void **state)
{
    static const char text[] = "host memory=1G\nactor a\n  wait 1ms\0x\n";
    struct xsc_error err;

    (void)state;
    assert_null(xsc_parse_text(text, sizeof(text) - 1, "n", &err));
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "NUL"));
    errno = 0;
    assert_null(xsc_parse_file("/nonexistent/x.scn", &err));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(err.line, 0);
}

/* ---- the generator ------------------------------------------------------ */

static size_t count_kind(const struct xsc_scenario *sc, enum xsc_op_kind k)
{
    size_t n = 0, i;
    unsigned int a;

    for (a = 0; a < sc->nr_actors; a++)
        for (i = 0; i < sc->actors[a].nr_ops; i++)
            n += sc->actors[a].ops[i].kind == k;
    return n;
}

static void test_gen(void **state)
{
    struct xsc_gen_opts o;
    struct xsc_scenario *sc;
    struct xsc_error err;
    char *t1, *t2, *prev = NULL;
    uint64_t seed;

    (void)state;
    for (seed = 1; seed <= 20; seed++) {
        xsc_gen_defaults(&o);
        o.seed = seed;
        o.guests = 5 + (unsigned int)seed;
        o.toolstacks = 1 + (unsigned int)(seed % 5);
        t1 = xsc_generate(&o);
        t2 = xsc_generate(&o);
        assert_non_null(t1);
        assert_non_null(t2);
        if (strcmp(t1, t2))
            fail_msg("seed %llu: two different outputs",
                     (unsigned long long)seed);
        if (prev && !strcmp(prev, t1))
            fail_msg("seed %llu: same output as the seed before",
                     (unsigned long long)seed);
        sc = parse(t1, &err);
        if (!sc)
            fail_msg("seed %llu: line %u: %s", (unsigned long long)seed,
                     err.line, err.msg);
        /* Toolstacks plus the host actor; one create per guest. */
        assert_int_equal(sc->nr_actors, o.toolstacks + 1);
        assert_int_equal(count_kind(sc, XSC_OP_CREATE), o.guests);
        assert_int_equal(sc->host.memory, o.memory);
        assert_int_equal(sc->host.seed, seed);
        xsc_free(sc);
        free(prev);
        free(t2);
        prev = t1;
    }
    free(prev);
    xsc_gen_defaults(&o);
    o.guests = 0;
    errno = 0;
    assert_null(xsc_generate(&o));
    assert_int_equal(errno, EINVAL);
    xsc_gen_defaults(&o);
    o.memory = 1000;
    assert_null(xsc_generate(&o));
}

/* ---- one run (the mock host starts once per process) -------------------- */

/*
 * 64M host, dom0 16M, no Xen pages per domain: 12288 pages free.  a (32M,
 * claimed) is built; b (32M, claimed) is refused: only 4096 pages are
 * left; c (8M, no claim) is built from those.  Costs: hypercall 1us,
 * create 1ms, so a's claim is staked at 1ms + 1us (create) + 1us (maxmem).
 */
static const char run_text[] =
    "host memory=64M dom0=16M xen-pages=0 cpus=2 seed=5 batch=4\n"
    "cost hypercall=1us create=1ms page=1ns extent=1ns\n"
    "actor t1\n"
    "  create a memory=32M\n"
    "  at 100ms create c memory=8M claim=off\n"
    "actor t2\n"
    "  at 50ms create b memory=32M\n"
    "  at 200ms destroy nosuch\n";

struct seen {
    uint64_t claims, claim_tsc, dying, records, windows, cpu1_records;
    uint64_t last_tsc;
    int tsc_increasing;
};

/* Decode the file independently of the run and of xsc_check_trace. */
static void decode(const char *path, struct seen *s)
{
    static uint8_t buf[1 << 20];
    struct xct_record r;
    uint32_t w[3];
    size_t len, off = 0, end, n;
    uint64_t last[2] = { 0, 0 };
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    len = (size_t)read(fd, buf, sizeof(buf));
    close(fd);
    assert_true(len > 0 && len < sizeof(buf));
    memset(s, 0, sizeof(*s));
    s->tsc_increasing = 1;
    while (off < len) {
        memcpy(w, buf + off, 12);
        assert_int_equal(w[0], 0x2001f003u);
        assert_true(w[1] < 2);
        off += 12;
        end = off + w[2];
        assert_true(end <= len);
        s->windows++;
        while (off < end) {
            n = xct_record_decode(buf + off, end - off, 0, &r);
            assert_true(n > 0);
            assert_true(r.has_tsc);
            if (r.tsc <= last[w[1]])
                s->tsc_increasing = 0;
            last[w[1]] = r.tsc;
            if (r.tsc > s->last_tsc)
                s->last_tsc = r.tsc;
            s->records++;
            s->cpu1_records += w[1] == 1;
            if (r.event == XCT_EV_CLAIM) {
                if (!s->claims)
                    s->claim_tsc = r.tsc;
                s->claims++;
            }
            if (r.event == XCT_EV_DOMAIN && r.words[1] == XCT_DOM_DYING)
                s->dying++;
            off += n;
        }
    }
}

static void test_run(void **state)
{
    char path[] = "/tmp/test_scenario.XXXXXX";
    struct xsc_run_opts o = { .trace_path = path };
    struct xsc_scenario *sc;
    struct xsc_result *res = NULL;
    struct xsc_error err;
    struct xsc_check ck;
    struct seen s;
    char msg[200];
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sc = parse(run_text, &err);
    if (!sc)
        fail_msg("line %u: %s", err.line, err.msg);
    assert_int_equal(xsc_run(sc, &o, &res), 0);
    assert_non_null(res);
    assert_int_equal(res->seed, 5);
    assert_int_equal(res->nr_guests, 3);
    assert_string_equal(res->guests[0].name, "a");
    assert_int_equal(res->guests[0].outcome, XSC_BUILT);
    assert_int_equal(res->guests[0].populated, 8192);
    assert_string_equal(res->guests[1].name, "b");
    assert_int_equal(res->guests[1].outcome, XSC_CLAIM_REFUSED);
    assert_int_equal(res->guests[1].err, ENOMEM);
    assert_int_equal(res->guests[1].destroyed, 1);
    assert_int_equal(res->guests[1].tot_at_destroy, 0);
    assert_string_equal(res->guests[2].name, "c");
    assert_int_equal(res->guests[2].outcome, XSC_BUILT);
    assert_int_equal(res->nr_failures, 1);
    assert_int_equal(res->failures[0].err, ESRCH);
    assert_int_equal(res->failures[0].line, 8);
    assert_int_equal(res->phys.total_pages, 16384);
    assert_int_equal(res->phys.free_pages, 16384 - 4096 - 8192 - 2048);
    assert_int_equal(res->phys.outstanding_pages, 0);
    assert_int_equal(res->live_domains, 3);
    /* A second host in the same process is refused. */
    xsc_result_free(res);
    res = NULL;
    assert_int_equal(xsc_run(sc, &o, &res), -EALREADY);
    assert_null(res);

    decode(path, &s);
    /* a: stake + cancel; b: stake refused.  One death: b. */
    assert_int_equal(s.claims, 3);
    assert_int_equal(s.claim_tsc, 1000000 + 2000);
    assert_int_equal(s.dying, 1);
    assert_true(s.tsc_increasing);
    assert_true(s.cpu1_records > 0);
    /* The last record: the failed destroy has none, c's build ended
     * around 100ms; nothing is stamped beyond the run's end. */
    assert_true(s.last_tsc > 100000000 && s.last_tsc < 200000000);

    assert_int_equal(xsc_check_trace(path, &ck, msg, sizeof(msg)), 0);
    assert_int_equal(ck.records, s.records);
    assert_int_equal(ck.windows, s.windows);
    assert_int_equal(ck.created, 3);
    assert_int_equal(ck.died, 1);
    assert_int_equal(ck.refused_at_claim, 1);
    assert_int_equal(ck.half_built, 0);
    assert_int_equal(ck.max_outstanding, 8192);
    unlink(path);
    xsc_free(sc);
}

/* The checker rejects a broken file and says where. */
static void test_check_bad(void **state)
{
    char path[] = "/tmp/test_scenario_bad.XXXXXX";
    uint32_t w[6] = { 0x2001f003u, 0, 12, 0x8010f020u, 0, 0 };
    struct xsc_check ck;
    char msg[200];
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    /* A claim record with no payload words: 3 expected... 7. */
    assert_int_equal(write(fd, w, sizeof(w)), (ssize_t)sizeof(w));
    close(fd);
    assert_int_equal(xsc_check_trace(path, &ck, msg, sizeof(msg)),
                     -EBADMSG);
    assert_non_null(strstr(msg, "words"));
    /* A window longer than the file. */
    w[2] = 100;
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, w, sizeof(w)), (ssize_t)sizeof(w));
    close(fd);
    assert_int_equal(xsc_check_trace(path, &ck, msg, sizeof(msg)),
                     -EBADMSG);
    assert_non_null(strstr(msg, "window of 100 bytes"));
    unlink(path);
    assert_int_equal(xsc_check_trace(path, &ck, msg, sizeof(msg)), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_loops),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_io),
        cmocka_unit_test(test_gen),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_check_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
