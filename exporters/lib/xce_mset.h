/* xce_mset.h: a metric set (families, label sets, samples): what every renderer and the remote-write encoder take. */
/* SPDX-License-Identifier: MIT */
/*
 * A metric set is built once per scrape or push from a snapshot and the
 * exporter's own counters (xce_collect()), or by hand in tests.  Label
 * sets are shared: one per domain serves every per-domain family, so a
 * renderer can prepare each set once.
 *
 *     struct xce_mset ms;
 *     xce_mset_init(&ms);
 *     xce_mset_family(&ms, "xenclaim_host_free_bytes", "Free memory.",
 *                     XCE_GAUGE);
 *     xce_mset_add(&ms, XCE_NO_LABELS, 4096.0);
 *     ...render...
 *     xce_mset_free(&ms);
 *
 * Names given to xce_mset_family() must outlive the set (they are not
 * copied; string literals in practice); label names and values are
 * copied.  Counter families are named without "_total": renderers add it
 * where the format wants it.
 */
#ifndef XCE_MSET_H
#define XCE_MSET_H

#include <stddef.h>
#include <stdint.h>

#define XCE_MAX_LABELS 4        /* labels of one set */
#define XCE_NO_LABELS  0u       /* index of the empty label set */

enum xce_type { XCE_COUNTER, XCE_GAUGE };

struct xce_labels {
    unsigned int n;
    const char *name[XCE_MAX_LABELS];
    const char *value[XCE_MAX_LABELS];
};

struct xce_sample {
    uint32_t labels;            /* index into lab[] */
    double value;
};

struct xce_family {
    const char *name;           /* without _total for counters */
    const char *help;
    const char *unit;           /* OpenMetrics UNIT, or NULL */
    enum xce_type type;
    size_t first;               /* its samples: smp[first .. first+n) */
    size_t n;
};

struct xce_strchunk;

struct xce_mset {
    struct xce_family *fam;
    size_t nfam, capfam;
    struct xce_sample *smp;
    size_t nsmp, capsmp;
    struct xce_labels *lab;
    size_t nlab, caplab;
    struct xce_strchunk *chunks;    /* copies of label strings */
    int oom;
};

/* An empty set (lab[0] is the empty label set). */
void xce_mset_init(struct xce_mset *ms);
/* Empty it again, keeping its memory. */
void xce_mset_reset(struct xce_mset *ms);
/* Free everything it holds.  Accepts NULL. */
void xce_mset_free(struct xce_mset *ms);

/*
 * Start a family; samples added next belong to it.  unit is taken from
 * the name: "bytes" or "seconds" when the name (without _total) ends in
 * _bytes or _seconds.  Returns 0 or -ENOMEM.
 */
int xce_mset_family(struct xce_mset *ms, const char *name, const char *help,
                    enum xce_type type);

/*
 * Add a label set of n (<= XCE_MAX_LABELS) labels, names and values
 * copied (values made valid UTF-8: bad bytes become U+FFFD).  Returns
 * its index (> 0), or -ENOMEM / -EINVAL.
 */
long xce_mset_labels(struct xce_mset *ms, unsigned int n,
                     const char *const *names, const char *const *values);

/* Add a sample to the current family.  0, -EINVAL (no family), -ENOMEM. */
int xce_mset_add(struct xce_mset *ms, uint32_t labels, double value);

/* 0 if every call so far succeeded, else -ENOMEM. */
int xce_mset_ok(const struct xce_mset *ms);

/*
 * Copy s into out (size outlen, NUL-terminated), replacing every byte
 * that is not part of a valid UTF-8 sequence by U+FFFD and stopping
 * before a sequence that would not fit.  Returns the length written.
 */
size_t xce_utf8_clean(char *out, size_t outlen, const char *s);

#endif /* XCE_MSET_H */
