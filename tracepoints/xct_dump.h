/* xct_dump.h: one text line per trace record, xenclaim events decoded. */
/* SPDX-License-Identifier: MIT */
/*
 * Lines look like xenalyze --dump-all, with our events spelled out from
 * the descriptors of xct_desc.h:
 *
 *       1234567890 cpu1 claim domid=3 flags=0x0 result=-12(ENOMEM) ...
 *       1234567990 cpu0 0x0002800e [ 7fff 0 2e5a4a ]
 *     ! 1234568000 cpu0 lost_records lost=74 domid=0 vcpu=1 first_tsc=...
 *     ! offset 4096: error: TSC 5 on CPU 0 is below the previous 9: ...
 *
 * The time column is the TSC, or with cpu_hz set the seconds since
 * first_tsc.  Foreign events show their id and payload words in hex.
 * Lines starting with '!' mark lost records, xenclaim records with the
 * wrong word count (shown as "name !words=N/M [ hex words ]") and errors.
 */
#ifndef XCT_DUMP_H
#define XCT_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xct_reader.h"
#include "xct_record.h"

struct xct_dump_opts {
    double cpu_hz;          /* > 0: print seconds since first_tsc */
    uint64_t first_tsc;     /* xct_dump_reader(): the first record's */
    int tolerant;           /* xct_dump_reader(): go on after an error */
};

/*
 * Format the fields of a xenclaim record ("domid=3 flags=0x0 ...") into
 * buf (len bytes, always NUL-terminated when len > 0).  Returns the
 * length the text needs, as snprintf() does; -EINVAL when r is not a
 * xenclaim event; -EBADMSG when its word count is wrong.
 */
int xct_dump_fields(char *buf, size_t len, const struct xct_record *r);

/*
 * Format the line of record r from cpu (no newline) into buf.  Returns
 * the length the line needs, as snprintf() does, or -EINVAL when r is
 * NULL.  opts may be NULL (raw TSCs).
 */
int xct_dump_format(char *buf, size_t len, const struct xct_record *r,
                    unsigned int cpu, const struct xct_dump_opts *opts);

/*
 * Format the marker line of a status that is not XCT_READ_OK, from the
 * reader's offset and message: "! offset N: error: ...".  Returns as
 * snprintf() does, or -EINVAL.
 */
int xct_dump_status(char *buf, size_t len, enum xct_read_status st,
                    const struct xct_reader *rd);

/*
 * Print every record of rd to out, one line each, then the marker of a
 * final truncation or error.  With opts->tolerant, errors are printed
 * and reading goes on.  Returns the last status read (XCT_READ_END,
 * XCT_READ_TRUNCATED or XCT_READ_ERROR), or -EIO when out cannot be
 * written, -EINVAL when rd or out is NULL.
 */
int xct_dump_reader(FILE *out, struct xct_reader *rd,
                    const struct xct_dump_opts *opts);

#endif /* XCT_DUMP_H */
