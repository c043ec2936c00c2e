/* xen/trace.h: the hypervisor's trace-buffer entry points, provided by the host. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_TRACE_H
#define HVHOST_XEN_TRACE_H

#include <stdatomic.h>
#include <xen/types.h>

/* Set once tracing is on; read without a lock, as in Xen. */
extern _Atomic bool tb_init_done_flag;
#define tb_init_done atomic_load_explicit(&tb_init_done_flag, memory_order_relaxed)

/*
 * Write one record with event id event and extra bytes of payload (a
 * multiple of 4, at most 28) into the current CPU's trace buffer, with a
 * TSC when cycles is true.
 */
void __trace_var(uint32_t event, bool cycles, unsigned int extra,
                 const void *extra_data);

#endif
