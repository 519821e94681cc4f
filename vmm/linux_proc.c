/* SPDX-License-Identifier: MIT */
/*
 * linux_proc.c: what a Linux program asks the host about its process that
 * the guest's kernel cannot answer alone: times and getrusage (its CPU time
 * is not measured: zeros, as for a process that has only just started; the
 * tick count of times is the monotonic clock's), and the socket calls on a
 * descriptor, which is never a socket here (ENOTSOCK; EBADF if not open).
 */
#include <string.h>
#include <time.h>

#include "linux_sys.h"

enum {
	NR_connect = 42,
	NR_accept = 43,
	NR_sendto = 44,
	NR_recvfrom = 45,
	NR_sendmsg = 46,
	NR_recvmsg = 47,
	NR_shutdown = 48,
	NR_bind = 49,
	NR_listen = 50,
	NR_getsockname = 51,
	NR_getpeername = 52,
	NR_setsockopt = 54,
	NR_getsockopt = 55,
	NR_getrusage = 98,
	NR_times = 100,
	NR_accept4 = 288,
	NR_recvmmsg = 299,
	NR_sendmmsg = 307,
};

#define G_RUSAGE_CHILDREN (-1)
#define G_RUSAGE_SELF	  0
#define G_RUSAGE_THREAD	  1
#define G_CLK_TCK	  100 /* AT_CLKTCK */

/* times: the CPU times (not measured: zeros); the result is clock ticks of
 * the monotonic clock (the program's fake one with a seed). */
static int64_t sys_times(struct sys *s, uint64_t buf)
{
	const uint64_t tms[4] = {0, 0, 0, 0};
	struct timespec ts;

	if (buf && lxs_put(s, buf, tms, sizeof(tms)) < 0)
		return -EFAULT;
	if (s->lx->seed)
		return (int64_t)(s->lx->fake_ns / (1000000000 / G_CLK_TCK));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * G_CLK_TCK + ts.tv_nsec / (1000000000 / G_CLK_TCK);
}

/* getrusage: who checked as Linux does; the usage is zeros (struct rusage: 144 bytes). */
static int64_t sys_getrusage(struct sys *s, int32_t who, uint64_t buf)
{
	uint8_t ru[144];

	if (who != G_RUSAGE_SELF && who != G_RUSAGE_CHILDREN && who != G_RUSAGE_THREAD)
		return -EINVAL;
	memset(ru, 0, sizeof(ru));
	return lxs_put(s, buf, ru, sizeof(ru));
}

int64_t lxs_proc_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;

	*served = true;
	switch (nr) {
	case NR_times:
		return sys_times(s, r->rdi);
	case NR_getrusage:
		return sys_getrusage(s, (int32_t)r->rdi, r->rsi);
	case NR_connect:
	case NR_accept:
	case NR_sendto:
	case NR_recvfrom:
	case NR_sendmsg:
	case NR_recvmsg:
	case NR_shutdown:
	case NR_bind:
	case NR_listen:
	case NR_getsockname:
	case NR_getpeername:
	case NR_setsockopt:
	case NR_getsockopt:
	case NR_accept4:
	case NR_recvmmsg:
	case NR_sendmmsg:
		return lxs_ofd(s, (int32_t)r->rdi) ? -ENOTSOCK : -EBADF;
	}
	*served = false;
	return 0;
}
