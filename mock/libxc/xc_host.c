/* xc_host.c: host-wide libxenctrl calls over the mock: physinfo, NUMA, version, CPU maps. */
/* SPDX-License-Identifier: LGPL-2.1-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xc_private.h"

int xcl_physinfo(xc_interface *xch, struct hyp_physinfo *pi)
{
    struct xcm_client *c = xcl_get(xch);
    int rc;

    if (!c)
        return -1;
    rc = xcm_physinfo(c, pi);
    xcl_put(xch);
    if (rc < 0)
        return xcl_fail(xch, "physinfo", rc);
    if (!pi->nr_cpus || !pi->nr_nodes) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

/*
 * Fill *info as Xen's sysctl physinfo does, all figures read together:
 * total_pages, free_pages (free frames, claimed ones included) and
 * outstanding_pages (the sum of all claims) from the mock; scrub_pages 0
 * (the mock scrubs nothing); one thread per core, one socket of nr_cpus
 * cores; cpu_khz a fixed XCL_CPU_KHZ; max_mfn the highest frame number.
 * 0, or -1 with errno.
 */
int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
    struct hyp_physinfo pi;

    if (!info) {
        errno = EFAULT;
        return -1;
    }
    if (xcl_physinfo(xch, &pi) < 0)
        return -1;
    memset(info, 0, sizeof(*info));
    info->threads_per_core = 1;
    info->cores_per_socket = pi.nr_cpus;
    info->nr_cpus = pi.nr_cpus;
    info->max_cpu_id = pi.nr_cpus - 1;
    info->nr_nodes = pi.nr_nodes;
    info->max_node_id = pi.nr_nodes - 1;
    info->cpu_khz = XCL_CPU_KHZ;
    info->capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_pv |
                         XEN_SYSCTL_PHYSCAP_hap | XEN_SYSCTL_PHYSCAP_shadow |
                         XEN_SYSCTL_PHYSCAP_gnttab_v1 |
                         XEN_SYSCTL_PHYSCAP_gnttab_v2;
    info->total_pages = pi.total_pages;
    info->free_pages = pi.free_pages;
    info->scrub_pages = 0;
    info->outstanding_pages = pi.outstanding_pages;
    info->max_mfn = pi.total_pages ? pi.total_pages - 1 : 0;
    return 0;
}

/*
 * Xen's sysctl numainfo: with meminfo and distance both NULL, store the
 * number of nodes in *max_nodes.  Otherwise *max_nodes must be at least
 * that number (else -1, errno ENOBUFS, *max_nodes set to it); meminfo[n]
 * gets node n's size and free memory in bytes, distance[i * N + j] (N the
 * number of nodes) 10 on the diagonal and 20 elsewhere, and *max_nodes is
 * set to N.  0, or -1 with errno.
 */
int xc_numainfo(xc_interface *xch, unsigned *max_nodes,
                xc_meminfo_t *meminfo, uint32_t *distance)
{
    struct hyp_physinfo pi;
    unsigned int i, j, n;

    if (!max_nodes) {
        errno = EFAULT;
        return -1;
    }
    if (xcl_physinfo(xch, &pi) < 0)
        return -1;
    n = pi.nr_nodes;
    if (meminfo || distance) {
        if (*max_nodes < n) {
            *max_nodes = n;
            errno = ENOBUFS;
            return -1;
        }
        for (i = 0; i < n; i++) {
            if (meminfo) {
                meminfo[i].memsize = pi.node_size[i] << XC_PAGE_SHIFT;
                meminfo[i].memfree = pi.node_free[i] << XC_PAGE_SHIFT;
            }
            for (j = 0; distance && j < n; j++)
                distance[i * n + j] = i == j ? 10 : 20;
        }
    }
    *max_nodes = n;
    return 0;
}

/* Highest CPU id + 1, or -1 with errno. */
int xc_get_max_cpus(xc_interface *xch)
{
    struct hyp_physinfo pi;

    return xcl_physinfo(xch, &pi) < 0 ? -1 : (int)pi.nr_cpus;
}

/* CPUs online, or -1 with errno. */
int xc_get_online_cpus(xc_interface *xch)
{
    return xc_get_max_cpus(xch);
}

/* Highest node id + 1, or -1 with errno. */
int xc_get_max_nodes(xc_interface *xch)
{
    struct hyp_physinfo pi;

    return xcl_physinfo(xch, &pi) < 0 ? -1 : (int)pi.nr_nodes;
}

/* Bytes of a CPU bitmap, or -1 with errno. */
int xc_get_cpumap_size(xc_interface *xch)
{
    int n = xc_get_max_cpus(xch);

    return n < 0 ? -1 : (n + 7) / 8;
}

/* Bytes of a node bitmap, or -1 with errno. */
int xc_get_nodemap_size(xc_interface *xch)
{
    int n = xc_get_max_nodes(xch);

    return n < 0 ? -1 : (n + 7) / 8;
}

/* A zeroed bitmap of sz bytes (the caller frees it), or NULL with errno. */
static uint8_t *map_alloc(int sz)
{
    if (sz < 0)
        return NULL;
    if (sz == 0) {
        errno = EINVAL;
        return NULL;
    }
    return calloc(1, (size_t)sz);
}

/* A zeroed CPU bitmap, freed by the caller with free(); NULL with errno. */
xc_cpumap_t xc_cpumap_alloc(xc_interface *xch)
{
    return map_alloc(xc_get_cpumap_size(xch));
}

/* A zeroed node bitmap, freed by the caller with free(); NULL with errno. */
xc_nodemap_t xc_nodemap_alloc(xc_interface *xch)
{
    return map_alloc(xc_get_nodemap_size(xch));
}

/* Copy a NUL-terminated string into a fixed-size Xen buffer. */
static void put_str(void *arg, size_t len, const char *s)
{
    snprintf(arg, len, "%s", s);
}

/*
 * Xen's version hypercall, answered locally for a Xen 4.17 host:
 * XENVER_version returns (4 << 16) | 17 and XENVER_pagesize XC_PAGE_SIZE;
 * extraversion, compile_info, capabilities, changeset, commandline,
 * platform_parameters, get_features (no features) and guest_handle (dom0:
 * zeros) fill arg and return 0.  -1 with errno: EFAULT (arg NULL where
 * one is needed), ENODATA (build_id: none), ENOSYS (another cmd).  No
 * round trip to the daemon.
 */
int xc_version(xc_interface *xch, int cmd, void *arg)
{
    xen_compile_info_t *ci;
    xen_feature_info_t *fi;

    if (cmd == XENVER_version)
        return (XCL_XEN_MAJOR << 16) | XCL_XEN_MINOR;
    if (cmd == XENVER_pagesize)
        return (int)XC_PAGE_SIZE;
    if (cmd < XENVER_extraversion || cmd > XENVER_build_id) {
        errno = ENOSYS;
        return -1;
    }
    if (!arg) {
        errno = EFAULT;
        return -1;
    }
    switch (cmd) {
    case XENVER_extraversion:
        put_str(arg, sizeof(xen_extraversion_t), ".0-mock");
        return 0;
    case XENVER_compile_info:
        ci = arg;
        memset(ci, 0, sizeof(*ci));
        put_str(ci->compiler, sizeof(ci->compiler), "gcc");
        put_str(ci->compile_by, sizeof(ci->compile_by), "xenclaim");
        put_str(ci->compile_domain, sizeof(ci->compile_domain), "mock");
        put_str(ci->compile_date, sizeof(ci->compile_date), "n/a");
        return 0;
    case XENVER_capabilities:
        put_str(arg, sizeof(xen_capabilities_info_t),
                "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p "
                "hvm-3.0-x86_64");
        return 0;
    case XENVER_changeset:
        put_str(arg, sizeof(xen_changeset_info_t), "xenclaim-mock");
        return 0;
    case XENVER_commandline:
        put_str(arg, sizeof(xen_commandline_t), "");
        return 0;
    case XENVER_platform_parameters:
        memset(arg, 0, sizeof(xen_platform_parameters_t));
        return 0;
    case XENVER_get_features:
        fi = arg;
        fi->submap = 0;
        return 0;
    case XENVER_guest_handle:
        memset(arg, 0, sizeof(xen_domain_handle_t));
        return 0;
    }
    errno = ENODATA;    /* XENVER_build_id */
    return -1;
}
