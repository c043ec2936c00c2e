/* xen/errno.h: errno values (Xen's equal Linux's on x86). */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_ERRNO_H
#define HVHOST_XEN_ERRNO_H

#include <errno.h>

#endif
