/* main.c: xenclaim-scenario, runs and generates scenarios. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "scenario/scenario.h"

#define PROG "xenclaim-scenario"

static void usage(FILE *f)
{
    fprintf(f,
"Usage: " PROG " COMMAND [ARGS]\n"
"\n"
"  run SCENARIO -o TRACE [--seed N] [--summary]\n"
"                 run a scenario on the mock hypervisor, write its trace\n"
"  gen --seed N [--guests N] [--toolstacks N] [--memory SIZE]\n"
"      [--duration TIME]\n"
"                 print a random valid scenario\n"
"  check TRACE    class the guests' deaths in a trace from its records\n"
"\n"
"'" PROG " COMMAND --help' tells more; docs/scenarios.md has the format.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return xsc_cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "gen"))
        return xsc_cmd_gen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return xsc_cmd_check(argc - 1, argv + 1);
    fprintf(stderr, PROG ": unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
