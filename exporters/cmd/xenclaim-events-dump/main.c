/* main.c: xenclaim-events-dump: decode and print an xenclaim event stream (framed xcev.Record messages). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xce_evs.h"
#include "xcev.pb-c.h"

static const char *prog = "xenclaim-events-dump";

struct dump {
    bool verbose;               /* every domain of every snapshot */
    bool quiet;                 /* only the summary */
    uint64_t n_header, n_event, n_snapshot;
    uint64_t expect_seq;
    bool in_run;                /* a header was seen */
};

static void usage(FILE *f)
{
    fprintf(f,
"Usage: %s [OPTION]... FILE|SOCKET|-\n"
"Decode an xenclaim event stream and print one line per record: a file\n"
"written by xenclaim-exporter --events-out, standard input ('-'), or\n"
"the live stream of its --events-socket (when FILE is a socket).\n"
"\n"
"  -n, --max-records N  stop after N records (exit 0)\n"
"  -v, --verbose   print every domain of every snapshot\n"
"  -q, --quiet     print only the summary line\n"
"  -h, --help      show this help and exit\n"
"\n"
"Exit status: 0 a whole, valid stream; 1 a truncated or corrupt stream\n"
"(the records before the bad one are printed); 2 usage or I/O error.\n",
            prog);
}

/* Print s quoted, with " and \ and control characters escaped. */
static void quoted(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *status_name(int s)
{
    switch (s) {
    case XCEV__SOURCE_STATUS__STARTING: return "starting";
    case XCEV__SOURCE_STATUS__UP: return "up";
    case XCEV__SOURCE_STATUS__IDLE: return "idle";
    case XCEV__SOURCE_STATUS__DOWN: return "down";
    case XCEV__SOURCE_STATUS__FAILED: return "failed";
    default: return "?";
    }
}

static void print_time_ms(uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    printf("%s.%03" PRIu64 "Z", buf, ms % 1000);
}

static void print_header(const Xcev__Header *h)
{
    printf("header version=%" PRIu32 " source=", h->version);
    quoted(h->source);
    printf(" producer=");
    quoted(h->producer);
    printf(" start=");
    print_time_ms(h->start_unix_ms);
    putchar('\n');
}

static void print_event(const Xcev__Event *e)
{
    printf("event t=%" PRIu64 ".%09" PRIu64 " %s", e->time_ns / 1000000000u,
           e->time_ns % 1000000000u, xce_evs_kind_name(e->kind));
    if (e->domid == 0x7ff4)
        printf(" anon");
    else
        printf(" d%" PRIu32, e->domid);
    if (e->domain_name && *e->domain_name) {
        putchar(' ');
        quoted(e->domain_name);
    }
    printf(" pages=%" PRId64, e->pages);
    if (e->err)
        printf(" err=%" PRId32, e->err);
    if (e->text && *e->text) {
        printf(" text=");
        quoted(e->text);
    }
    putchar('\n');
}

static void print_snapshot(const Xcev__Snapshot *s, bool verbose)
{
    const Xcev__Host *h = s->host;
    size_t i;

    printf("snapshot at=");
    print_time_ms(s->unix_ms);
    printf(" status=%s", status_name(s->status));
    if (h)
        printf(" total=%" PRIu64 " free=%" PRIu64 " freeable=%" PRIu64
               " outstanding=%" PRIu64 " stakes=%" PRIu64
               " refused=%" PRIu64 " denials=%" PRIu64 " lost=%" PRIu64
               " exact=%d",
               h->total_pages, h->free_pages, h->freeable_pages,
               h->outstanding_pages, h->stakes, h->refused, h->denials,
               h->lost, (int)h->exact);
    printf(" domains=%zu", s->n_domains);
    if (s->message && *s->message) {
        printf(" message=");
        quoted(s->message);
    }
    putchar('\n');
    if (h && verbose && h->n_node_free_pages)
        for (i = 0; i < h->n_node_free_pages; i++)
            printf("  node %zu free=%" PRIu64 "\n", i, h->node_free_pages[i]);
    for (i = 0; verbose && i < s->n_domains; i++) {
        const Xcev__Domain *d = s->domains[i];

        printf("  d%" PRIu32 " ", d->domid);
        quoted(d->name);
        printf(" tot=%" PRIu64 " max=%" PRIu64 " claim=%" PRIu64
               " stakes=%" PRIu64 " cancels=%" PRIu64 " released=%" PRIu64
               " refused=%" PRIu64 " denials=%" PRIu64 " drawn=%" PRIu64
               "%s\n",
               d->tot_pages, d->max_pages, d->claim_pages, d->stakes,
               d->cancels, d->deaths + d->drawn_full, d->refused, d->denials,
               d->pages_drawn, d->dying ? " dying" : "");
    }
}

/* Check and print one record.  0, or -EBADMSG with a message printed. */
static int one(struct dump *dd, const char *name, uint64_t off,
               const Xcev__Record *r)
{
    if (r->body_case == XCEV__RECORD__BODY_HEADER) {
        if (!r->header->magic || strcmp(r->header->magic, XCE_EVS_MAGIC)) {
            fprintf(stderr, "%s: %s: record at offset %" PRIu64
                    ": header with a wrong magic\n", prog, name, off);
            return -EBADMSG;
        }
        dd->in_run = true;
        dd->expect_seq = r->seq;
        dd->n_header++;
    } else if (!dd->in_run) {
        fprintf(stderr, "%s: %s: not an xenclaim event stream (no header "
                "at offset %" PRIu64 ")\n", prog, name, off);
        return -EBADMSG;
    }
    if (r->seq != dd->expect_seq) {
        fprintf(stderr, "%s: %s: record at offset %" PRIu64 " has sequence "
                "number %" PRIu64 ", expected %" PRIu64
                " (records missing)\n", prog, name, off, r->seq,
                dd->expect_seq);
        return -EBADMSG;
    }
    dd->expect_seq++;
    if (!dd->quiet)
        printf("#%" PRIu64 " ", r->seq);
    switch (r->body_case) {
    case XCEV__RECORD__BODY_HEADER:
        if (!dd->quiet)
            print_header(r->header);
        break;
    case XCEV__RECORD__BODY_EVENT:
        dd->n_event++;
        if (!dd->quiet)
            print_event(r->event);
        break;
    case XCEV__RECORD__BODY_SNAPSHOT:
        dd->n_snapshot++;
        if (!dd->quiet)
            print_snapshot(r->snapshot, dd->verbose);
        break;
    default:
        if (!dd->quiet)
            putchar('\n');
        fprintf(stderr, "%s: %s: record at offset %" PRIu64
                " has no body\n", prog, name, off);
        return -EBADMSG;
    }
    return 0;
}

/* A file, or a connection to the UNIX socket at path.  fd or -errno. */
static int open_input(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat sb;
    int fd;

    if (stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
        if (strlen(path) >= sizeof(sa.sun_path))
            return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            int err = errno;

            close(fd);
            return -err;
        }
        return fd;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "max-records", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct dump dd = { 0 };
    struct xce_frame_reader rd;
    const char *name;
    const uint8_t *msg;
    size_t len;
    int c, fd, rc, status = 0;
    unsigned long long max = 0, seen = 0;

    while ((c = getopt_long(argc, argv, "n:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            char *end;

            errno = 0;
            max = strtoull(optarg, &end, 10);
            if (errno || !*optarg || *end || max == 0) {
                fprintf(stderr, "%s: bad --max-records '%s'\n", prog,
                        optarg);
                return 2;
            }
            break;
        }
        case 'v':
            dd.verbose = true;
            break;
        case 'q':
            dd.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    name = argv[optind];
    if (strcmp(name, "-") == 0) {
        fd = STDIN_FILENO;
        name = "(stdin)";
    } else {
        fd = open_input(name);
        if (fd < 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(-fd));
            return 2;
        }
    }
    xce_frame_reader_init(&rd, fd);
    while ((rc = xce_frame_next(&rd, &msg, &len)) > 0) {
        Xcev__Record *r = xcev__record__unpack(NULL, len, msg);

        if (!r) {
            fprintf(stderr, "%s: %s: corrupt record at offset %" PRIu64
                    " (%zu bytes): not a valid xcev.Record\n", prog, name,
                    rd.offset, len);
            status = 1;
            break;
        }
        rc = one(&dd, name, rd.offset, r);
        xcev__record__free_unpacked(r, NULL);
        if (rc < 0) {
            status = 1;
            break;
        }
        if (max && ++seen == max)
            break;
    }
    if (rc < 0 && status == 0) {
        status = 1;
        switch (rc) {
        case -ENODATA:
            fprintf(stderr, "%s: %s: truncated record at offset %" PRIu64
                    ": the stream ends inside it\n", prog, name, rd.offset);
            break;
        case -EBADMSG:
            fprintf(stderr, "%s: %s: corrupt length prefix at offset %"
                    PRIu64 "\n", prog, name, rd.offset);
            break;
        case -EMSGSIZE:
            fprintf(stderr, "%s: %s: record at offset %" PRIu64 " claims "
                    "more than %u bytes: corrupt\n", prog, name, rd.offset,
                    XCE_EVS_MAX_FRAME);
            break;
        default:
            fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(-rc));
            status = 2;
        }
    }
    if (status == 0 && dd.n_header == 0) {
        fprintf(stderr, "%s: %s: empty stream (no header)\n", prog, name);
        status = 1;
    }
    printf("# %" PRIu64 " records: %" PRIu64 " headers, %" PRIu64
           " events, %" PRIu64 " snapshots%s\n",
           dd.n_header + dd.n_event + dd.n_snapshot, dd.n_header,
           dd.n_event, dd.n_snapshot, status ? " (stream invalid)" : "");
    xce_frame_reader_free(&rd);
    if (fd != STDIN_FILENO)
        close(fd);
    return status;
}
