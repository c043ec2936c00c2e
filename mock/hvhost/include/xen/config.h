/* xen/config.h: build configuration for hv/ compiled as userspace code (forced include). */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_CONFIG_H
#define HVHOST_XEN_CONFIG_H

#define MAX_NUMNODES 64

#endif
