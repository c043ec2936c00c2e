/* main.c: xenclaimctl, xl-like CLI for the mock hypervisor (entry). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#ifndef XENCLAIM_VERSION
#define XENCLAIM_VERSION "unknown"
#endif

static const struct ctl_cmd commands[] = {
    { "create", cmd_create, "[-f CONFIG] [KEY=VALUE]...",
      "build a guest: create, set max memory, claim, populate, unclaim",
      "  -f, --config FILE    read an xl-style config (key = value lines)\n"
      "      --claim-mode on|off  stake a claim before populating (default\n"
      "                       on, as xl.conf claim_mode=1; also the\n"
      "                       XENCLAIM_CLAIM_MODE environment variable)\n"
      "  -p, --paused         leave the new domain paused\n"
      "  -q, --quiet          no progress line, no warnings\n"
      "  -v, --verbose        print each step and the population figures\n"
      "Keys: name=NAME, memory=MiB, maxmem=MiB (default: memory).  Sizes\n"
      "may carry a unit (512M, 2G); KEY=VALUE pairs override the file.\n"
      "Prints the new domain's id.  If the claim is refused, or the\n"
      "population stops half-way, the domain is destroyed.\n" },
    { "destroy", cmd_destroy, "DOMID|NAME", "destroy a domain", "" },
    { "pause", cmd_pause, "DOMID|NAME", "pause a domain", "" },
    { "unpause", cmd_unpause, "DOMID|NAME", "unpause a domain", "" },
    { "rename", cmd_rename, "DOMID|NAME NEWNAME", "rename a domain", "" },
    { "domid", cmd_domid, "NAME", "print a domain's id", "" },
    { "domname", cmd_domname, "DOMID", "print a domain's name", "" },
    { "list", cmd_list, "[-l] [--json] [DOMID|NAME]...",
      "list domains (Mem: current plus outstanding claim, in MiB)",
      "  -l, --long           add MaxMem, Claimed (MiB) and UUID columns\n"
      "      --json           one JSON object, sizes in pages and bytes\n" },
    { "claims", cmd_claims, "[--json] [DOMID|NAME]...",
      "list domains with their outstanding claims (MiB)",
      "      --json           one JSON object, sizes in pages and bytes\n" },
    { "claim", cmd_claim, "DOMID|NAME PAGES [--free-only]",
      "stake a claim: PAGES is the domain's absolute target; 0 cancels",
      "      --free-only      count only free pages, not tmem-freeable ones\n"
      "PAGES is a page count, or a size with a unit (512M, 2G).\n" },
    { "populate", cmd_populate, "DOMID|NAME PAGES [--order N] [--gfn START]",
      "populate PAGES pages of a domain's memory in 2^N-page extents",
      "  -o, --order N        extent order (default 0; 9 for 2 MiB)\n"
      "  -g, --gfn START      first gfn (default: the domain's page count,\n"
      "                       rounded up to the extent size)\n"
      "PAGES is a page count (a multiple of 2^N), or a size with a unit.\n" },
    { "mem-set", cmd_mem_set, "DOMID|NAME SIZE",
      "balloon a domain to SIZE (bare numbers are MiB)", "" },
    { "mem-max", cmd_mem_max, "DOMID|NAME SIZE",
      "set a domain's maximum memory (bare numbers are MiB)", "" },
    { "info", cmd_info, "[--json]",
      "host memory as xl info shows it (MiB)",
      "      --json           one JSON object, sizes in pages and bytes\n"
      "free_memory is free minus outstanding claims, as in xl info.\n" },
    { "physinfo", cmd_physinfo, "",
      "raw host figures in pages, key=value lines for scripts", "" },
    { "tmem", cmd_tmem, "put|flush PAGES",
      "fill or drain the tmem-freeable pool by PAGES pages", "" },
    { "offline", cmd_offline, "MFN | --any N",
      "take a free frame (or any N free frames) offline",
      "  -a, --any N          offline up to N free frames, from the top\n" },
    { "online", cmd_online, "MFN", "bring an offline frame back", "" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct ctl_cmd *ctl_find_cmd(const char *name)
{
    unsigned int i;

    for (i = 0; i < NR_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

void ctl_cmd_help(const struct ctl_cmd *cmd, FILE *f)
{
    fprintf(f, "Usage: " CTL_PROG " [GLOBAL OPTIONS] %s%s%s\n%s.\n\n",
            cmd->name, cmd->args[0] ? " " : "", cmd->args, cmd->summary);
    fputs("  -h, --help           show this help\n", f);
    fputs(cmd->help, f);
}

static void usage(FILE *f)
{
    unsigned int i;

    fprintf(f,
"Usage: " CTL_PROG " [GLOBAL OPTIONS] COMMAND [ARGS]...\n"
"Drive the mock hypervisor (xenclaim-mock serve) like xl drives Xen.\n"
"\n"
"Global options:\n"
"  -s, --socket PATH    the daemon's socket (default: $XENCLAIM_SOCKET,\n"
"                       /run/xenclaim/mock.sock, $XDG_RUNTIME_DIR/\n"
"                       xenclaim-mock.sock, /tmp/xenclaim-mock-UID.sock)\n"
"      --as DOMID       act as that (unprivileged) domain instead of dom0\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Commands:\n");
    for (i = 0; i < NR_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
"\n"
"Run '" CTL_PROG " COMMAND --help' for a command's arguments.  Sizes take\n"
"units (4096, 512M, 2G, 1T); exit status: 0 done, 1 refused, 2 bad usage,\n"
"3 daemon not reachable.\n");
}

/* Edit distance of two short words, for "did you mean". */
static unsigned int distance(const char *a, const char *b)
{
    unsigned int row[32], i, j, prev, tmp, la = strlen(a), lb = strlen(b);

    if (la >= 32 || lb >= 32)
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            tmp = row[j];
            row[j] = prev + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < row[j])
                row[j] = row[j - 1] + 1;
            if (tmp + 1 < row[j])
                row[j] = tmp + 1;
            prev = tmp;
        }
    }
    return row[lb];
}

static int unknown_command(const char *name)
{
    unsigned int i, best = 3, d;
    const char *guess = NULL;

    for (i = 0; i < NR_COMMANDS; i++) {
        d = distance(name, commands[i].name);
        if (d < best) {
            best = d;
            guess = commands[i].name;
        }
    }
    if (guess)
        return ctl_usage_error(NULL, "unknown command '%s' (did you mean "
                               "'%s'?)", name, guess);
    return ctl_usage_error(NULL, "unknown command '%s'", name);
}

struct xcm_client *ctl_connect(struct ctl *ctl, const char *cmd)
{
    char path[256];
    struct hyp_dominfo self;
    int err, rc;

    if (ctl->xc)
        return ctl->xc;
    ctl->xc = xcm_open(ctl->socket, ctl->act_as);
    if (!ctl->xc) {
        err = errno;
        if (ctl->socket)
            snprintf(path, sizeof(path), "%s", ctl->socket);
        else if (xcm_default_socket_path(path, sizeof(path)))
            snprintf(path, sizeof(path), "(default path too long)");
        fprintf(stderr, CTL_PROG ": %s: cannot reach the mock daemon at %s: "
                "%s; start it with 'xenclaim-mock serve --socket %s' or "
                "point -s/$XENCLAIM_SOCKET at its socket\n",
                cmd, path, ctl_errstr(err), path);
        exit(CTL_EXIT_NODAEMON);
    }
    if (ctl->act_as) {
        /* An unprivileged client sees itself: check that it exists. */
        rc = ctl_dominfo(ctl->xc, ctl->act_as, &self);
        if (rc == -ESRCH)
            exit(ctl_fail(cmd, ESRCH, "--as d%u: no such domain to act as",
                          ctl->act_as));
        if (rc < 0)
            exit(ctl_fail(cmd, rc, "--as d%u", ctl->act_as));
    }
    return ctl->xc;
}

static int parse_global(struct ctl *ctl, int argc, char **argv)
{
    enum { OPT_AS = 256 };
    static const struct option longopts[] = {
        { "socket", required_argument, NULL, 's' },
        { "as", required_argument, NULL, OPT_AS },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t v;
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:s:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!*optarg)
                return ctl_usage_error(NULL, "empty socket path");
            ctl->socket = optarg;
            break;
        case OPT_AS:
            rc = ctl_parse_u64(optarg, false, &v);
            if (rc)
                return ctl_bad_number(NULL, "--as domain id", optarg, rc);
            if (v > CTL_MAX_DOMID)
                return ctl_usage_error(NULL, "bad --as domain id '%s': "
                                       "above %u", optarg, CTL_MAX_DOMID);
            ctl->act_as = (uint32_t)v;
            break;
        case 'h':
            usage(stdout);
            exit(CTL_EXIT_OK);
        case 'V':
            printf(CTL_PROG " (xenclaim) " XENCLAIM_VERSION "\n");
            exit(CTL_EXIT_OK);
        case ':':
            return ctl_usage_error(NULL, "option '%s' needs a value",
                                   argv[optind - 1]);
        default:
            return ctl_usage_error(NULL, "unknown option '%s'",
                                   argv[optind - 1]);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ctl ctl = { 0 };
    const struct ctl_cmd *cmd;
    int rc;

    rc = parse_global(&ctl, argc, argv);
    if (rc)
        return rc;
    if (optind >= argc) {
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    cmd = ctl_find_cmd(argv[optind]);
    if (!cmd)
        return unknown_command(argv[optind]);
    rc = cmd->fn(&ctl, argc - optind, argv + optind);
    xcm_close(ctl.xc);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, CTL_PROG ": %s: writing the output: %s\n",
                cmd->name, ctl_errstr(errno));
        if (!rc)
            rc = CTL_EXIT_REFUSED;
    }
    return rc;
}
