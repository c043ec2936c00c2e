/* xen/spinlock.h: Xen's spinlock API over POSIX mutexes, lock state tracked for ASSERTs. */
/* SPDX-License-Identifier: MIT */
#ifndef HVHOST_XEN_SPINLOCK_H
#define HVHOST_XEN_SPINLOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <xen/types.h>

typedef struct {
    pthread_mutex_t m;
    _Atomic unsigned long owner;    /* hvhost thread id of the holder, 0 */
} spinlock_t;

#define SPIN_LOCK_UNLOCKED { PTHREAD_MUTEX_INITIALIZER, 0 }
#define DEFINE_SPINLOCK(l) spinlock_t l = SPIN_LOCK_UNLOCKED

void spin_lock_init(spinlock_t *l);
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
/* True when the calling thread holds l (Xen: held by anyone; stricter). */
bool spin_is_locked(const spinlock_t *l);

#define smp_mb() atomic_thread_fence(memory_order_seq_cst)

#endif
