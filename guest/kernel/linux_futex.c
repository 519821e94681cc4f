/* SPDX-License-Identifier: MIT */
/*
 * linux_futex.c: the futex system call: its arguments checked in Linux's
 * order, then a wait or a wake on the thread table (linux_thread.c), which
 * keeps who waits on which word.
 */
#include "kernel.h"

#define ETIMEDOUT	  110
#define FUTEX_PRIVATE	  128
#define FUTEX_CLOCK_REAL  256
#define FUTEX_WAIT	  0
#define FUTEX_WAKE	  1
#define FUTEX_REQUEUE	  3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10

/* Linux's get_futex_key: the word is aligned (EINVAL), in user space (EFAULT)
 * and, for a futex shared between processes (no FUTEX_PRIVATE), mapped. */
static int64_t futex_key(uint64_t uaddr, bool shared)
{
	uint32_t v;

	if (uaddr & 3)
		return -EINVAL;
	if (uaddr > KVMLET_USER_END - 4 || (shared && mm_get_user(&v, uaddr, 4) < 0))
		return -EFAULT;
	return 0;
}

/* futex: the operations threads need; each checked in Linux's order. */
int64_t linux_futex(struct frame *f)
{
	const uint64_t uaddr = f->rdi, ts = f->r10, uaddr2 = f->r8;
	const int32_t op = (int32_t)f->rsi, cmd = op & ~(FUTEX_PRIVATE | FUTEX_CLOCK_REAL);
	const uint32_t val = (uint32_t)f->rdx, val3 = (uint32_t)f->r9;
	const bool wait = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
	const bool shared = !(op & FUTEX_PRIVATE);
	uint64_t ns = 0, deadline = 0;
	uint32_t cur;
	int64_t r;

	if (wait && ts && (r = linux_timespec_ns(ts, &ns)) < 0)
		return r;
	if ((op & FUTEX_CLOCK_REAL) && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !val3)
			return -EINVAL;
		if ((r = futex_key(uaddr, shared)) < 0)
			return r;
		if (mm_get_user(&cur, uaddr, 4) < 0)
			return -EFAULT;
		if (cur != val)
			return -EAGAIN;
		if (ts && cmd == FUTEX_WAIT && ns == 0)
			return -ETIMEDOUT; /* a relative limit of nothing */
		/* FUTEX_WAIT's limit is relative, WAIT_BITSET's absolute. */
		if (ts)
			deadline = linux_deadline(ns, (op & FUTEX_CLOCK_REAL) ? 0 : 1,
					       cmd == FUTEX_WAIT_BITSET);
		return linux_thread_block(f, uaddr, cmd == FUTEX_WAIT ? ~0u : val3, deadline, -ETIMEDOUT);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && !val3)
			return -EINVAL;
		if ((r = futex_key(uaddr, shared)) < 0)
			return r;
		/* Linux wakes one waiter even when asked for none (or fewer). */
		return linux_thread_wake(uaddr, cmd == FUTEX_WAKE ? ~0u : val3,
				  (int32_t)val <= 0 ? 1 : val, 0, 0);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		/* val and the count in the timeout's place are ints. */
		if ((int32_t)val < 0 || (int32_t)ts < 0)
			return -EINVAL;
		if ((r = futex_key(uaddr, shared)) < 0 || (r = futex_key(uaddr2, shared)) < 0)
			return r;
		if (cmd == FUTEX_CMP_REQUEUE) {
			if (mm_get_user(&cur, uaddr, 4) < 0)
				return -EFAULT;
			if (cur != val3)
				return -EAGAIN;
		}
		return linux_thread_wake(uaddr, ~0u, val, uaddr2, (uint32_t)ts);
	default:
		return -ENOSYS;
	}
}
