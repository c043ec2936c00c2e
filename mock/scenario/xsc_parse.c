/* xsc_parse.c: the scenario file parser. */
/* SPDX-License-Identifier: MIT */
/*
 * A file is parsed line by line into a tree (an actor's operations and
 * repeat blocks), then every actor's tree is expanded into a flat list of
 * operations with their timing: a loop iteration starts with its first
 * operation (or a zero-length wait when that one has a timing of its own)
 * carrying the loop's timing and setting the loop's anchor slot.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsc_int.h"

#define MAX_TOKENS      32
#define MAX_LINE        4096
#define MAX_FILE        (16u << 20)

/* A line of the tree: an operation or a repeat loop. */
struct node {
    bool is_loop;
    unsigned int line;
    enum xsc_when when;         /* the line's own at/after */
    struct xsc_range t;
    struct xsc_op op;           /* op: name is a template */
    unsigned int count;         /* loop */
    bool has_period;
    struct xsc_range period;
    bool single;                /* loop of the one op on its line */
    struct node *body;
    size_t nbody, cap;
};

struct parser {
    struct xsc_scenario *sc;
    struct xsc_error *err;
    unsigned int line;
    bool have_host, have_cost;
    /* Per actor: its tree. */
    struct node *roots;         /* one root loop-less node per actor */
    /* Open repeat blocks of the current actor. */
    struct node *stack[XSC_MAX_DEPTH + 1];
    unsigned int depth;
    unsigned int stack_line[XSC_MAX_DEPTH + 1];
};

static int fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
    va_list ap;

    p->err->line = p->line;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ---- values ----------------------------------------------------------- */

static int get_uint(struct parser *p, const char *what, const char *s,
                    uint64_t max, uint64_t *v)
{
    char *end;
    unsigned long long x;

    if (!isdigit((unsigned char)*s))
        return fail(p, "%s: '%s' is not a number", what, s);
    errno = 0;
    x = strtoull(s, &end, 10);
    if (*end || errno)
        return fail(p, "%s: '%s' is not a number", what, s);
    if (x > max)
        return fail(p, "%s: %s is above the limit of %" PRIu64, what, s, max);
    *v = x;
    return 0;
}

/* A size or a time, or a range lo..hi of them. */
static int get_range(struct parser *p, const char *what, const char *s,
                     bool is_time, struct xsc_range *r)
{
    char lo[64], msg[160];
    const char *dots = strstr(s, "..");
    uint64_t step, step2;
    size_t n;
    int rc;

    if (dots) {
        n = (size_t)(dots - s);
        if (n >= sizeof(lo))
            return fail(p, "%s: '%s' is too long", what, s);
        memcpy(lo, s, n);
        lo[n] = 0;
    } else {
        snprintf(lo, sizeof(lo), "%s", s);
    }
    rc = is_time ? xsc_parse_time(lo, &r->lo, &step, msg, sizeof(msg))
                 : xsc_parse_size(lo, &r->lo, &step, msg, sizeof(msg));
    if (rc)
        return fail(p, "%s: %s", what, msg);
    r->hi = r->lo;
    r->step = step;
    if (!dots)
        return 0;
    rc = is_time ? xsc_parse_time(dots + 2, &r->hi, &step2, msg, sizeof(msg))
                 : xsc_parse_size(dots + 2, &r->hi, &step2, msg,
                                  sizeof(msg));
    if (rc)
        return fail(p, "%s: %s", what, msg);
    if (r->hi < r->lo)
        return fail(p, "%s: range '%s' ends below its start", what, s);
    return 0;
}

static int get_onoff(struct parser *p, const char *what, const char *s,
                     int *v)
{
    if (!strcmp(s, "on") || !strcmp(s, "1") || !strcmp(s, "yes"))
        *v = 1;
    else if (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "no"))
        *v = 0;
    else
        return fail(p, "%s: '%s' is neither on nor off", what, s);
    return 0;
}

static bool name_char(int c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '%';
}

static int get_name(struct parser *p, const char *what, const char *s,
                    char *out)
{
    const char *c;

    if (strlen(s) >= XSC_NAME_MAX)
        return fail(p, "%s: name '%s' is longer than %u characters", what, s,
                    XSC_NAME_MAX - 1);
    for (c = s; *c; c++)
        if (!name_char((unsigned char)*c))
            return fail(p, "%s: name '%s' has a character other than "
                        "letters, digits, '-', '_', '.', '%%'", what, s);
    for (c = s; (c = strchr(c, '%')); c += 2)
        if (c[1] != 'i' && c[1] != 'j' && c[1] != '%')
            return fail(p, "%s: name '%s': '%%' must be followed by i, j "
                        "or %%", what, s);
    strcpy(out, s);
    return 0;
}

/* key=value: split tok in place; NULL value when there is no '='. */
static char *split_kv(char *tok)
{
    char *eq = strchr(tok, '=');

    if (!eq)
        return NULL;
    *eq = 0;
    return eq + 1;
}

/* ---- host and cost lines ------------------------------------------------ */

static int parse_host(struct parser *p, char **tok, int ntok)
{
    struct xsc_host *h = &p->sc->host;
    unsigned int seen = 0, bit;
    uint64_t v, step, per_node;
    char *val, msg[160];
    int i;
    static const char *const keys[] = {
        "memory", "nodes", "tmem", "cpus", "dom0", "dom0-max", "xen-pages",
        "seed", "claim", "batch", "profile",
    };

    if (p->have_host)
        return fail(p, "a second host line");
    if (p->sc->nr_actors)
        return fail(p, "the host line must come before the first actor");
    p->have_host = true;
    for (i = 1; i < ntok; i++) {
        val = split_kv(tok[i]);
        if (!val || !*val)
            return fail(p, "host: '%s' is not key=value", tok[i]);
        if (!strcmp(tok[i], "xen-pages-per-domain"))
            tok[i] = (char *)"xen-pages";
        for (bit = 0; bit < sizeof(keys) / sizeof(*keys); bit++)
            if (!strcmp(tok[i], keys[bit]))
                break;
        if (bit == sizeof(keys) / sizeof(*keys))
            return fail(p, "host: unknown key '%s' (memory, nodes, tmem, "
                        "cpus, dom0, dom0-max, xen-pages, seed, claim, "
                        "batch, profile)", tok[i]);
        if (seen & (1u << bit))
            return fail(p, "host: %s given twice", tok[i]);
        seen |= 1u << bit;
        switch (bit) {
        case 0: case 2: case 4: case 5:
            if (xsc_parse_size(val, &v, &step, msg, sizeof(msg)))
                return fail(p, "host: %s: %s", tok[i], msg);
            if (bit == 0)
                h->memory = v;
            else if (bit == 2)
                h->tmem = v;
            else if (bit == 4)
                h->dom0 = v;
            else
                h->dom0_max = v;
            break;
        case 1:
            if (get_uint(p, "host: nodes", val, HYP_MAX_NODES, &v))
                return -EINVAL;
            if (!v)
                return fail(p, "host: nodes must be at least 1");
            h->nodes = (unsigned int)v;
            break;
        case 3:
            if (get_uint(p, "host: cpus", val, 256, &v))
                return -EINVAL;
            if (!v)
                return fail(p, "host: cpus must be at least 1");
            h->cpus = (unsigned int)v;
            break;
        case 6:
            if (get_uint(p, "host: xen-pages", val, 4096, &v))
                return -EINVAL;
            h->xen_pages = (unsigned int)v;
            break;
        case 7:
            if (get_uint(p, "host: seed", val, UINT64_MAX, &v))
                return -EINVAL;
            h->seed = v;
            break;
        case 8:
            if (get_onoff(p, "host: claim", val, &h->claim))
                return -EINVAL;
            break;
        case 9:
            if (get_uint(p, "host: batch", val, 4096, &v))
                return -EINVAL;
            if (!v)
                return fail(p, "host: batch must be at least 1");
            h->batch = (unsigned int)v;
            break;
        case 10:
            if (!strcmp(val, "upstream"))
                h->profile = HYP_PROFILE_UPSTREAM;
            else if (!strcmp(val, "xen417"))
                h->profile = HYP_PROFILE_XEN417;
            else
                return fail(p, "host: profile '%s' is neither upstream nor "
                            "xen417", val);
            break;
        }
    }
    if (!(seen & 1))
        return fail(p, "host: memory= is required");
    if (h->memory > (1ULL << 30))
        return fail(p, "host: memory above 4T");
    per_node = h->memory / h->nodes;
    if (per_node < 512)
        return fail(p, "host: less than 2M per node");
    if (h->memory - per_node * (h->nodes - 1) > (1ULL << 32))
        return fail(p, "host: more than 16T on a node");
    if (!(seen & (1u << 4)))
        h->dom0 = h->memory / 16 < 262144 ? h->memory / 16 : 262144;
    if (!h->dom0_max)
        h->dom0_max = h->dom0;
    if (h->dom0 >= h->memory)
        return fail(p, "host: dom0 must be smaller than memory");
    if (h->dom0_max < h->dom0)
        return fail(p, "host: dom0-max is below dom0");
    if (h->dom0_max > UINT32_MAX)
        return fail(p, "host: dom0-max above 16T");
    return 0;
}

static int parse_cost(struct parser *p, char **tok, int ntok)
{
    struct xsc_cost *c = &p->sc->cost;
    uint64_t *field, v, step;
    char *val, msg[160];
    int i;

    if (p->have_cost)
        return fail(p, "a second cost line");
    if (p->sc->nr_actors)
        return fail(p, "the cost line must come before the first actor");
    p->have_cost = true;
    for (i = 1; i < ntok; i++) {
        val = split_kv(tok[i]);
        if (!val || !*val)
            return fail(p, "cost: '%s' is not key=value", tok[i]);
        if (!strcmp(tok[i], "hypercall"))
            field = &c->hypercall;
        else if (!strcmp(tok[i], "create"))
            field = &c->create;
        else if (!strcmp(tok[i], "destroy"))
            field = &c->destroy;
        else if (!strcmp(tok[i], "page"))
            field = &c->page;
        else if (!strcmp(tok[i], "extent"))
            field = &c->extent;
        else if (!strcmp(tok[i], "free"))
            field = &c->free;
        else if (!strcmp(tok[i], "tmem"))
            field = &c->tmem;
        else if (!strcmp(tok[i], "offline"))
            field = &c->offline;
        else
            return fail(p, "cost: unknown key '%s' (hypercall, create, "
                        "destroy, page, extent, free, tmem, offline)",
                        tok[i]);
        if (xsc_parse_time(val, &v, &step, msg, sizeof(msg)))
            return fail(p, "cost: %s: %s", tok[i], msg);
        if (v > 3600 * XSC_NS_PER_S)
            return fail(p, "cost: %s above one hour", tok[i]);
        *field = v;
    }
    return 0;
}

/* ---- actors and operations ---------------------------------------------- */

static int parse_actor(struct parser *p, char **tok, int ntok)
{
    struct xsc_scenario *sc = p->sc;
    struct xsc_actor *a, *na;
    struct node *nr;
    uint64_t v;
    char *val;
    unsigned int i;

    if (!p->have_host)
        return fail(p, "an actor before the host line");
    if (p->depth)
        return fail(p, "actor inside a repeat block (line %u): 'end' "
                    "missing", p->stack_line[p->depth]);
    if (ntok < 2)
        return fail(p, "actor: a name is required");
    if (sc->nr_actors >= XSC_MAX_ACTORS)
        return fail(p, "more than %u actors", XSC_MAX_ACTORS);
    if (sc->nr_actors && !p->roots[sc->nr_actors - 1].nbody) {
        p->line = sc->actors[sc->nr_actors - 1].line;
        return fail(p, "actor '%s' has no operations",
                    sc->actors[sc->nr_actors - 1].name);
    }
    na = realloc(sc->actors, (sc->nr_actors + 1) * sizeof(*na));
    if (!na)
        return -ENOMEM;
    sc->actors = na;
    nr = realloc(p->roots, (sc->nr_actors + 1) * sizeof(*nr));
    if (!nr)
        return -ENOMEM;
    p->roots = nr;
    memset(&nr[sc->nr_actors], 0, sizeof(*nr));
    a = &sc->actors[sc->nr_actors];
    memset(a, 0, sizeof(*a));
    a->line = p->line;
    a->cpu = -1;
    if (strchr(tok[1], '%') || strchr(tok[1], '='))
        return fail(p, "actor: '%s' is not a name", tok[1]);
    if (get_name(p, "actor", tok[1], a->name))
        return -EINVAL;
    for (i = 0; i < sc->nr_actors; i++)
        if (!strcmp(sc->actors[i].name, a->name))
            return fail(p, "actor '%s' already defined at line %u", a->name,
                        sc->actors[i].line);
    for (i = 2; i < (unsigned int)ntok; i++) {
        val = split_kv(tok[i]);
        if (!val || strcmp(tok[i], "cpu"))
            return fail(p, "actor: unknown option '%s' (cpu=N)", tok[i]);
        if (get_uint(p, "actor: cpu", val, 255, &v))
            return -EINVAL;
        a->cpu = (int)v;
    }
    sc->nr_actors++;
    p->roots[sc->nr_actors - 1].line = p->line;
    return 0;
}

static int need_args(struct parser *p, const char *op, int nargs, int want,
                     const char *usage)
{
    if (nargs < want)
        return fail(p, "%s: missing arguments (%s)", op, usage);
    if (nargs > want)
        return fail(p, "%s: too many arguments (%s)", op, usage);
    return 0;
}

/* Parse op words tok[0..ntok) into op. */
static int parse_op(struct parser *p, char **tok, int ntok,
                    struct xsc_op *op)
{
    const char *w = tok[0];
    char *val;
    int i, rc;

    memset(op, 0, sizeof(*op));
    op->line = p->line;
    op->mark = -1;
    op->anchor = -1;
    op->claim = XSC_CLAIM_DEFAULT;
    op->size.step = 1;

    if (!strcmp(w, "create")) {
        bool have_mem = false, have_max = false, have_claim = false;

        op->kind = XSC_OP_CREATE;
        if (ntok < 2 || strchr(tok[1], '='))
            return fail(p, "create: a guest name is required (create NAME "
                        "memory=SIZE [maxmem=SIZE] [claim=on|off])");
        if (get_name(p, "create", tok[1], op->name))
            return -EINVAL;
        for (i = 2; i < ntok; i++) {
            val = split_kv(tok[i]);
            if (!val || !*val)
                return fail(p, "create: '%s' is not key=value", tok[i]);
            if (!strcmp(tok[i], "memory") && !have_mem) {
                have_mem = true;
                rc = get_range(p, "create: memory", val, false, &op->size);
            } else if (!strcmp(tok[i], "maxmem") && !have_max) {
                have_max = true;
                rc = get_range(p, "create: maxmem", val, false, &op->maxmem);
            } else if (!strcmp(tok[i], "claim") && !have_claim) {
                have_claim = true;
                rc = get_onoff(p, "create: claim", val, &op->claim);
            } else if (!strcmp(tok[i], "memory") ||
                       !strcmp(tok[i], "maxmem") ||
                       !strcmp(tok[i], "claim")) {
                return fail(p, "create: %s given twice", tok[i]);
            } else {
                return fail(p, "create: unknown key '%s' (memory, maxmem, "
                            "claim)", tok[i]);
            }
            if (rc)
                return rc;
        }
        if (!have_mem)
            return fail(p, "create: memory= is required");
        if (!op->size.lo)
            return fail(p, "create: memory must be above 0");
        if (op->size.hi > UINT32_MAX)
            return fail(p, "create: memory above 16T");
        if (have_max && op->maxmem.lo < op->size.hi)
            return fail(p, "create: maxmem may be below memory");
        if (op->maxmem.hi > UINT32_MAX)
            return fail(p, "create: maxmem above 16T");
        return 0;
    }
    if (!strcmp(w, "destroy") || !strcmp(w, "cancel")) {
        op->kind = w[0] == 'd' ? XSC_OP_DESTROY : XSC_OP_CANCEL;
        if (need_args(p, w, ntok - 1, 1, w[0] == 'd' ? "destroy NAME" :
                      "cancel NAME"))
            return -EINVAL;
        return get_name(p, w, tok[1], op->name);
    }
    if (!strcmp(w, "claim")) {
        op->kind = XSC_OP_CLAIM;
        if (ntok == 4 && !strcmp(tok[3], "free-only")) {
            op->flags |= XSC_FLAG_FREE_ONLY;
            ntok--;
        } else if (ntok == 4) {
            return fail(p, "claim: '%s' is not free-only", tok[3]);
        }
        if (need_args(p, w, ntok - 1, 2, "claim NAME SIZE [free-only]"))
            return -EINVAL;
        if (get_name(p, w, tok[1], op->name))
            return -EINVAL;
        return get_range(p, "claim", tok[2], false, &op->size);
    }
    if (!strcmp(w, "mem-set") || !strcmp(w, "mem-max")) {
        op->kind = w[4] == 's' ? XSC_OP_MEMSET : XSC_OP_MEMMAX;
        if (need_args(p, w, ntok - 1, 2, w[4] == 's' ? "mem-set NAME SIZE" :
                      "mem-max NAME SIZE"))
            return -EINVAL;
        if (get_name(p, w, tok[1], op->name))
            return -EINVAL;
        rc = get_range(p, w, tok[2], false, &op->size);
        if (!rc && op->size.hi > UINT32_MAX)
            return fail(p, "%s: size above 16T", w);
        return rc;
    }
    if (!strcmp(w, "tmem")) {
        if (ntok < 2 || (strcmp(tok[1], "put") && strcmp(tok[1], "flush")))
            return fail(p, "tmem: expected 'put' or 'flush' (tmem put|flush "
                        "SIZE)");
        op->kind = tok[1][0] == 'p' ? XSC_OP_TMEM_PUT : XSC_OP_TMEM_FLUSH;
        if (need_args(p, "tmem", ntok - 2, 1, "tmem put|flush SIZE"))
            return -EINVAL;
        return get_range(p, "tmem", tok[2], false, &op->size);
    }
    if (!strcmp(w, "offline")) {
        op->kind = XSC_OP_OFFLINE;
        if (need_args(p, w, ntok - 1, 1, "offline SIZE"))
            return -EINVAL;
        return get_range(p, w, tok[1], false, &op->size);
    }
    if (!strcmp(w, "wait")) {
        op->kind = XSC_OP_WAIT;
        if (need_args(p, w, ntok - 1, 1, "wait TIME"))
            return -EINVAL;
        return get_range(p, w, tok[1], true, &op->size);
    }
    return fail(p, "unknown operation '%s' (create, destroy, claim, cancel, "
                "mem-set, mem-max, tmem, offline, wait)", w);
}

static struct node *add_node(struct parser *p)
{
    struct node *parent = p->depth ? p->stack[p->depth]
                                   : &p->roots[p->sc->nr_actors - 1];
    struct node *nb;

    if (parent->nbody == parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 8;

        nb = realloc(parent->body, cap * sizeof(*nb));
        if (!nb)
            return NULL;
        parent->body = nb;
        parent->cap = cap;
    }
    nb = &parent->body[parent->nbody++];
    memset(nb, 0, sizeof(*nb));
    nb->line = p->line;
    return nb;
}

/*
 * A line inside an actor:
 * [at|after T] [repeat N [every T] | every T repeat N] [op]
 */
static int parse_actor_line(struct parser *p, char **tok, int ntok)
{
    enum xsc_when when = XSC_WHEN_NEXT;
    struct xsc_range t = { 0, 0, 1 }, period = { 0, 0, 1 };
    bool is_loop = false, has_period = false;
    uint64_t count = 0;
    struct node *n;
    int i = 0;

    if (!p->sc->nr_actors)
        return fail(p, "'%s' outside an actor (an 'actor NAME' line must "
                    "come first)", tok[0]);
    if (!strcmp(tok[0], "end")) {
        if (ntok > 1)
            return fail(p, "end: unexpected '%s'", tok[1]);
        if (!p->depth)
            return fail(p, "'end' without a repeat block");
        if (!p->stack[p->depth]->nbody)
            return fail(p, "empty repeat block (line %u)",
                        p->stack_line[p->depth]);
        p->depth--;
        return 0;
    }
    if (!strcmp(tok[0], "at") || !strcmp(tok[0], "after")) {
        if (ntok < 3)
            return fail(p, "%s: a time and an operation are required",
                        tok[0]);
        when = tok[0][1] == 't' ? XSC_WHEN_AT : XSC_WHEN_AFTER;
        if (get_range(p, tok[0], tok[1], true, &t))
            return -EINVAL;
        i = 2;
    }
    while (i < ntok && (!strcmp(tok[i], "repeat") ||
                        !strcmp(tok[i], "every"))) {
        if (i + 1 >= ntok)
            return fail(p, "%s: a %s is required", tok[i],
                        tok[i][0] == 'r' ? "count" : "period");
        if (tok[i][0] == 'r') {
            if (is_loop)
                return fail(p, "repeat given twice");
            is_loop = true;
            if (get_uint(p, "repeat", tok[i + 1], XSC_MAX_REPEAT, &count))
                return -EINVAL;
            if (!count)
                return fail(p, "repeat: the count must be at least 1");
        } else {
            if (has_period)
                return fail(p, "every given twice");
            has_period = true;
            if (get_range(p, "every", tok[i + 1], true, &period))
                return -EINVAL;
        }
        i += 2;
    }
    if (has_period && !is_loop)
        return fail(p, "every: 'repeat N' is required");

    if (is_loop && i == ntok) {
        /* A block until 'end'. */
        if (p->depth >= XSC_MAX_DEPTH)
            return fail(p, "repeat blocks nested deeper than %u",
                        XSC_MAX_DEPTH);
        n = add_node(p);
        if (!n)
            return -ENOMEM;
        n->is_loop = true;
        n->when = when;
        n->t = t;
        n->count = (unsigned int)count;
        n->has_period = has_period;
        n->period = period;
        p->stack[++p->depth] = n;
        p->stack_line[p->depth] = p->line;
        return 0;
    }
    if (i == ntok)
        return fail(p, "%s: an operation is required", tok[0]);

    if (is_loop) {
        if (p->depth >= XSC_MAX_DEPTH)
            return fail(p, "repeat blocks nested deeper than %u",
                        XSC_MAX_DEPTH);
        n = add_node(p);
        if (!n)
            return -ENOMEM;
        n->is_loop = true;
        n->single = true;
        n->when = when;
        n->t = t;
        n->count = (unsigned int)count;
        n->has_period = has_period;
        n->period = period;
        n->body = calloc(1, sizeof(*n->body));
        if (!n->body)
            return -ENOMEM;
        n->nbody = n->cap = 1;
        n->body[0].line = p->line;
        return parse_op(p, tok + i, ntok - i, &n->body[0].op);
    }
    n = add_node(p);
    if (!n)
        return -ENOMEM;
    n->when = when;
    n->t = t;
    return parse_op(p, tok + i, ntok - i, &n->op);
}

/* ---- expansion ---------------------------------------------------------- */

struct expander {
    struct parser *p;
    struct xsc_actor *a;
    unsigned int idx[XSC_MAX_DEPTH + 1];    /* iteration numbers, from 1 */
    unsigned int depth;
    /* Timing for the next op emitted: an iteration's start. */
    bool pending;
    enum xsc_when when;
    struct xsc_range t;
    int anchor, mark;
};

static int subst_name(struct expander *e, const char *tmpl, char *out,
                      unsigned int line)
{
    char buf[256];
    size_t n = 0;
    const char *c;
    int k;

    for (c = tmpl; *c && n < sizeof(buf) - 16; c++) {
        if (*c != '%') {
            buf[n++] = *c;
            continue;
        }
        c++;
        if (*c == '%') {
            buf[n++] = '%';
            continue;
        }
        /* %i: innermost loop, %j: the one around it. */
        k = (int)e->depth - (*c == 'i' ? 0 : 1);
        if (k < 1) {
            e->p->line = line;
            return fail(e->p, "name '%s': %%%c outside a%s repeat loop", tmpl,
                        *c, *c == 'j' ? " nested" : "");
        }
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%u", e->idx[k]);
    }
    buf[n] = 0;
    if (n >= XSC_NAME_MAX) {
        e->p->line = line;
        return fail(e->p, "name '%s' becomes '%s', longer than %u "
                    "characters", tmpl, buf, XSC_NAME_MAX - 1);
    }
    strcpy(out, buf);
    return 0;
}

static int emit(struct expander *e, const struct xsc_op *tmpl,
                enum xsc_when when, const struct xsc_range *t)
{
    struct xsc_actor *a = e->a;
    struct xsc_op *op, *no;

    if (e->p->sc->nr_ops >= XSC_MAX_OPS) {
        e->p->line = tmpl->line;
        return fail(e->p, "more than %u operations after expanding repeat "
                    "loops", XSC_MAX_OPS);
    }
    if (a->nr_ops == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;

        no = realloc(a->ops, cap * sizeof(*no));
        if (!no)
            return -ENOMEM;
        a->ops = no;
        a->cap = cap;
    }
    op = &a->ops[a->nr_ops];
    *op = *tmpl;
    if (subst_name(e, tmpl->name, op->name, tmpl->line))
        return -EINVAL;
    op->when = when;
    op->t = *t;
    op->anchor = -1;
    op->mark = -1;
    if (e->pending) {
        op->when = e->when;
        op->t = e->t;
        op->anchor = e->anchor;
        op->mark = e->mark;
        e->pending = false;
    }
    a->nr_ops++;
    e->p->sc->nr_ops++;
    return 0;
}

static int expand(struct expander *e, const struct node *list, size_t n)
{
    static const struct xsc_op zero_wait = {
        .kind = XSC_OP_WAIT, .size = { 0, 0, 1 }, .mark = -1, .anchor = -1,
    };
    struct xsc_op w;
    unsigned int k;
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        const struct node *nd = &list[i];

        if (!nd->is_loop) {
            /*
             * An op with a timing of its own that would also carry an
             * iteration's start: the start goes on a zero wait before it.
             */
            if (e->pending && nd->when != XSC_WHEN_NEXT) {
                w = zero_wait;
                w.line = nd->line;
                rc = emit(e, &w, XSC_WHEN_NEXT, &w.size);
                if (rc)
                    return rc;
            }
            rc = emit(e, &nd->op, nd->when, &nd->t);
            if (rc)
                return rc;
            continue;
        }
        /* A loop right at an iteration's start: keep that start first. */
        if (e->pending) {
            w = zero_wait;
            w.line = nd->line;
            rc = emit(e, &w, XSC_WHEN_NEXT, &w.size);
            if (rc)
                return rc;
        }
        e->depth++;
        for (k = 0; k < nd->count; k++) {
            e->idx[e->depth] = k + 1;
            e->pending = true;
            e->mark = nd->has_period ? (int)e->depth - 1 : -1;
            if (k == 0) {
                e->when = nd->when;
                e->t = nd->t;
                e->anchor = -1;
            } else if (nd->has_period) {
                e->when = XSC_WHEN_EVERY;
                e->t = nd->period;
                e->anchor = (int)e->depth - 1;
            } else {
                e->when = XSC_WHEN_NEXT;
                e->t = (struct xsc_range){ 0, 0, 1 };
                e->anchor = -1;
            }
            if (!nd->has_period && e->when == XSC_WHEN_NEXT)
                e->pending = false;
            rc = expand(e, nd->body, nd->nbody);
            if (rc)
                return rc;
            e->pending = false;
        }
        e->depth--;
    }
    return 0;
}

static void free_tree(struct node *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (list[i].is_loop) {
            free_tree(list[i].body, list[i].nbody);
            free(list[i].body);
        }
}

/* ---- the file ----------------------------------------------------------- */

static void set_defaults(struct xsc_scenario *sc)
{
    sc->host.nodes = 1;
    sc->host.xen_pages = 14;
    sc->host.seed = 1;
    sc->host.claim = 1;
    sc->host.batch = 64;
    sc->host.profile = HYP_PROFILE_UPSTREAM;
    sc->cost.hypercall = 1000;
    sc->cost.create = 2000000;
    sc->cost.destroy = 1000000;
    sc->cost.page = 40;
    sc->cost.extent = 250;
    sc->cost.free = 10;
    sc->cost.tmem = 200;
    sc->cost.offline = 500;
}

static int parse_line(struct parser *p, char *line)
{
    char *tok[MAX_TOKENS + 1], *c, *save = NULL;
    int ntok = 0;

    c = strchr(line, '#');
    if (c)
        *c = 0;
    for (c = line; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t' && *c != '\r')
            return fail(p, "a control character (0x%02x)",
                        (unsigned char)*c);
    for (c = strtok_r(line, " \t\r", &save); c;
         c = strtok_r(NULL, " \t\r", &save)) {
        if (ntok == MAX_TOKENS)
            return fail(p, "more than %d words on a line", MAX_TOKENS);
        tok[ntok++] = c;
    }
    if (!ntok)
        return 0;
    if (!strcmp(tok[0], "host"))
        return parse_host(p, tok, ntok);
    if (!strcmp(tok[0], "cost"))
        return parse_cost(p, tok, ntok);
    if (!strcmp(tok[0], "actor"))
        return parse_actor(p, tok, ntok);
    return parse_actor_line(p, tok, ntok);
}

void xsc_free(struct xsc_scenario *sc)
{
    unsigned int i;

    if (!sc)
        return;
    for (i = 0; i < sc->nr_actors; i++)
        free(sc->actors[i].ops);
    free(sc->actors);
    free(sc);
}

static int finish(struct parser *p, unsigned int last_line)
{
    struct xsc_scenario *sc = p->sc;
    struct expander e;
    unsigned int i, max_cpu = 0;
    int rc;

    p->line = last_line;
    if (p->depth)
        return fail(p, "end of file inside the repeat block of line %u: "
                    "'end' missing", p->stack_line[p->depth]);
    if (!p->have_host)
        return fail(p, "end of file: no host line");
    if (!sc->nr_actors)
        return fail(p, "end of file: no actor");
    if (!p->roots[sc->nr_actors - 1].nbody) {
        p->line = sc->actors[sc->nr_actors - 1].line;
        return fail(p, "actor '%s' has no operations",
                    sc->actors[sc->nr_actors - 1].name);
    }
    for (i = 0; i < sc->nr_actors; i++) {
        if (sc->actors[i].cpu >= 0 &&
            (unsigned int)sc->actors[i].cpu + 1 > max_cpu)
            max_cpu = (unsigned int)sc->actors[i].cpu + 1;
    }
    if (!sc->host.cpus)
        sc->host.cpus = sc->nr_actors > max_cpu ? sc->nr_actors : max_cpu;
    for (i = 0; i < sc->nr_actors; i++) {
        if (sc->actors[i].cpu >= (int)sc->host.cpus) {
            p->line = sc->actors[i].line;
            return fail(p, "actor '%s': cpu %d, but the host has %u",
                        sc->actors[i].name, sc->actors[i].cpu,
                        sc->host.cpus);
        }
    }
    for (i = 0; i < sc->nr_actors; i++) {
        memset(&e, 0, sizeof(e));
        e.p = p;
        e.a = &sc->actors[i];
        rc = expand(&e, p->roots[i].body, p->roots[i].nbody);
        if (rc)
            return rc;
    }
    return 0;
}

struct xsc_scenario *xsc_parse_text(const char *text, size_t len,
                                    const char *name, struct xsc_error *err)
{
    struct parser p;
    struct xsc_error dummy;
    const char *base, *nl, *end = text + len;
    char line[MAX_LINE + 1];
    unsigned int i, lines = 0;
    size_t n;
    int rc = 0;

    if (!err)
        err = &dummy;
    memset(err, 0, sizeof(*err));
    memset(&p, 0, sizeof(p));
    p.err = err;
    p.sc = calloc(1, sizeof(*p.sc));
    if (!p.sc) {
        errno = ENOMEM;
        return NULL;
    }
    set_defaults(p.sc);
    base = name ? strrchr(name, '/') : NULL;
    snprintf(p.sc->name, sizeof(p.sc->name), "%s",
             base ? base + 1 : name ? name : "-");

    while (text < end && !rc) {
        nl = memchr(text, '\n', (size_t)(end - text));
        n = nl ? (size_t)(nl - text) : (size_t)(end - text);
        p.line = ++lines;
        if (n > MAX_LINE) {
            rc = fail(&p, "line longer than %d characters", MAX_LINE);
            break;
        }
        memcpy(line, text, n);
        line[n] = 0;
        if (strlen(line) != n) {
            rc = fail(&p, "a NUL byte");
            break;
        }
        rc = parse_line(&p, line);
        text += n + (nl ? 1 : 0);
    }
    if (!rc)
        rc = finish(&p, lines ? lines : 1);

    if (p.roots) {
        for (i = 0; i < p.sc->nr_actors; i++) {
            free_tree(p.roots[i].body, p.roots[i].nbody);
            free(p.roots[i].body);
        }
        free(p.roots);
    }
    if (rc) {
        xsc_free(p.sc);
        if (rc == -ENOMEM)
            snprintf(err->msg, sizeof(err->msg), "out of memory");
        errno = -rc;
        return NULL;
    }
    return p.sc;
}

struct xsc_scenario *xsc_parse_file(const char *path, struct xsc_error *err)
{
    struct xsc_scenario *sc;
    struct xsc_error dummy;
    char *buf = NULL, *nb;
    size_t len = 0, cap = 0;
    ssize_t r;
    int fd, e;

    if (!err)
        err = &dummy;
    memset(err, 0, sizeof(*err));
    fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
        e = errno;
        snprintf(err->msg, sizeof(err->msg), "%s", strerror(e));
        errno = e;
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            if (cap > MAX_FILE + 1)
                cap = MAX_FILE + 1;
            nb = len < cap ? realloc(buf, cap) : NULL;
            if (!nb) {
                e = len >= MAX_FILE ? EFBIG : ENOMEM;
                snprintf(err->msg, sizeof(err->msg), "%s",
                         e == EFBIG ? "file larger than 16 MiB"
                                    : "out of memory");
                goto fail;
            }
            buf = nb;
        }
        r = read(fd, buf + len, cap - len);
        if (r < 0) {
            e = errno;
            snprintf(err->msg, sizeof(err->msg), "read: %s", strerror(e));
            goto fail;
        }
        if (!r)
            break;
        len += (size_t)r;
    }
    if (fd)
        close(fd);
    sc = xsc_parse_text(buf, len, path, err);
    e = errno;
    free(buf);
    errno = e;
    return sc;

 fail:
    if (fd)
        close(fd);
    free(buf);
    errno = e;
    return NULL;
}
