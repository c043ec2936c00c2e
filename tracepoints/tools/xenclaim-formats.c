/* xenclaim-formats.c: print xentrace_format rules for our events. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "xct_desc.h"

static void usage(FILE *f)
{
    fputs("usage: xenclaim-formats [--help] [--version]\n"
          "Print a xentrace_format rules file for the xenclaim trace "
          "events.\n", f);
}

/* The rule of event d: one key per payload word (%(1) .. %(7)). */
static void print_rule(const struct xct_event_desc *d)
{
    unsigned int i;

    printf("0x%08x  CPU%%(cpu)d  %%(tsc)d  %s ", d->id, d->name);
    for (i = 0; i < d->nfields; i++) {
        const struct xct_field_desc *f = &d->fields[i];
        unsigned int k = f->word + 1;

        switch (f->kind) {
        case XCT_KIND_U32:
            if (xct_field_fmt(d->id, f) == XCT_FMT_HEX)
                printf(" %s=0x%%(%u)x", f->name, k);
            else
                printf(" %s=%%(%u)d", f->name, k);
            break;
        case XCT_KIND_S32:
            printf(" %s=0x%%(%u)08x", f->name, k);
            break;
        case XCT_KIND_U64:
            printf(" %s_lo=%%(%u)d %s_hi=%%(%u)d", f->name, k, f->name,
                   k + 1);
            break;
        case XCT_KIND_S64:
            printf(" %s_lo=0x%%(%u)08x %s_hi=0x%%(%u)08x", f->name, k,
                   f->name, k + 1);
            break;
        case XCT_KIND_U16LO:
            /* Shown with the U16HI field that shares its word. */
            if (i + 1 < d->nfields && d->fields[i + 1].kind == XCT_KIND_U16HI)
                break;
            printf(" %s=0x%%(%u)x", f->name, k);
            break;
        case XCT_KIND_U16HI:
            if (i > 0 && d->fields[i - 1].kind == XCT_KIND_U16LO)
                printf(" %s:%s=0x%%(%u)08x", f->name, d->fields[i - 1].name,
                       k);
            else
                printf(" %s=0x%%(%u)08x", f->name, k);
            break;
        }
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    unsigned int i;

    if (argc > 1) {
        if (strcmp(argv[1], "--version") == 0 && argc == 2) {
            printf("xenclaim-formats %s\n", XENCLAIM_VERSION);
            return 0;
        }
        usage(strcmp(argv[1], "--help") == 0 && argc == 2 ? stdout : stderr);
        return strcmp(argv[1], "--help") == 0 && argc == 2 ? 0 : 2;
    }
    printf("# xentrace_format rules for the xenclaim events "
           "(xenclaim %s).\n"
           "# Generated from the event table by xenclaim-formats.\n"
           "# Words are unsigned; 64-bit fields show as two words, low "
           "first;\n"
           "# signed fields in hex (two's complement); hi:lo=0x... shows "
           "two\n"
           "# 16-bit fields sharing one word, hi in the upper half.\n",
           XENCLAIM_VERSION);
    for (i = 0; i < xct_event_count(); i++)
        print_rule(xct_event_desc_at(i));
    return ferror(stdout) ? 1 : 0;
}
