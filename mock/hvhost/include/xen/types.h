/* xen/types.h: the hypervisor's basic types, from the C library. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_TYPES_H
#define HVHOST_XEN_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t domid_t;
typedef uint8_t nodeid_t;
typedef uint64_t xen_pfn_t;
typedef unsigned long xen_ulong_t;

#endif
