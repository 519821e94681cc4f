/* SPDX-License-Identifier: MIT */
/*
 * linux_timer.c: a Linux program's interval timers, served with no exit
 * but for the clock: alarm, setitimer, getitimer. ITIMER_REAL sends SIGALRM
 * (linux_signal.c) when it runs out, then every interval, on the host's
 * monotonic clock (the fake one with --seed). It is looked at whenever a
 * thread waits or none can run (linux_thread.c: the kernel then sleeps until
 * it is due) and, while it runs, as every system call returns (one exit
 * each): a loop with no system calls never sees it. ITIMER_VIRTUAL and
 * ITIMER_PROF count CPU time, which is not measured here: they are recorded
 * and read back, and never fire. Kernel data: a reset disarms them.
 */
#include "kernel.h"

enum {
	NR_getitimer = 36,
	NR_alarm = 37,
	NR_setitimer = 38,
};

#define SIGALRM 14

/* An interval timer (setitimer): when it fires next on the monotonic clock
 * (ns, 0: disarmed) and then every interval ns. */
struct itimer {
	uint64_t deadline, interval;
};

static struct itimer timer[3]; /* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */

/* The host's monotonic clock (an exit). */
static uint64_t clock_now(void)
{
	const struct frame f = {.rax = KVMLET_LX_NOW, .rdi = 1};

	return (uint64_t)kernel_to_host(&f);
}

uint64_t linux_timer_next(void)
{
	return timer[0].deadline;
}

void linux_timer_due(uint64_t now)
{
	struct itimer *t = &timer[0];

	if (!t->deadline || now < t->deadline)
		return;
	/* The next expiry after now: a late check skips the ones it missed, as
	 * Linux counts one overrun signal. */
	t->deadline = t->interval ? t->deadline + t->interval * ((now - t->deadline) / t->interval + 1)
				  : 0;
	linux_signal_post(0, SIGALRM, true);
}

void linux_timer_check(void)
{
	if (timer[0].deadline)
		linux_timer_due(clock_now());
}

/* struct timeval to ns: EINVAL for a negative one or microseconds past a second. */
static int64_t timeval_ns(const int64_t tv[2], uint64_t *ns)
{
	if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
		return -EINVAL;
	*ns = (uint64_t)tv[0] > UINT64_MAX / 2000000000ull ? UINT64_MAX / 2
							    : (uint64_t)tv[0] * 1000000000ull +
								      (uint64_t)tv[1] * 1000;
	return 0;
}

/* struct itimerval (interval, then value) of timer which, as it stands at now. */
static void itimer_get(uint32_t which, uint64_t now, int64_t out[4])
{
	const struct itimer *t = &timer[which];
	uint64_t left = 0;

	if (t->deadline)
		left = which ? t->deadline /* never runs down: recorded only */
		       : t->deadline > now ? t->deadline - now
					   : 1000; /* due, not yet sent: Linux says 1 us */
	out[0] = (int64_t)(t->interval / 1000000000ull);
	out[1] = (int64_t)(t->interval % 1000000000ull / 1000);
	out[2] = (int64_t)(left / 1000000000ull);
	out[3] = (int64_t)(left % 1000000000ull / 1000);
}

/* setitimer (and alarm): ITIMER_REAL sends SIGALRM when it runs out;
 * ITIMER_VIRTUAL and ITIMER_PROF count CPU time, which is not measured here:
 * they are recorded and read back, and never fire. */
static int64_t itimer_set(uint32_t which, const int64_t in[4], int64_t old[4])
{
	uint64_t interval, value, now = 0;
	int64_t r;

	if (which > 2)
		return -EINVAL;
	if ((r = timeval_ns(in, &interval)) < 0 || (r = timeval_ns(in + 2, &value)) < 0)
		return r;
	if (which == 0)
		now = clock_now();
	itimer_get(which, now, old);
	timer[which].interval = value ? interval : 0;
	timer[which].deadline = !value ? 0 : which ? value : now + value;
	return 0;
}

static int64_t sys_setitimer(int32_t which, uint64_t new, uint64_t old)
{
	int64_t in[4] = {0}, prev[4];
	int64_t r;

	if (new && mm_get_user(in, new, sizeof(in)) < 0)
		return -EFAULT;
	if ((r = itimer_set((uint32_t)which, in, prev)) < 0)
		return r;
	return old ? mm_put_user(old, prev, sizeof(prev)) : 0;
}

static int64_t sys_getitimer(int32_t which, uint64_t out)
{
	int64_t v[4];

	if ((uint32_t)which > 2)
		return -EINVAL;
	itimer_get((uint32_t)which, which == 0 ? clock_now() : 0, v);
	return mm_put_user(out, v, sizeof(v));
}

/* alarm: seconds left of the timer it replaces, rounded as Linux does. */
static int64_t sys_alarm(uint32_t seconds)
{
	const int64_t in[4] = {0, 0, seconds, 0};
	int64_t old[4];

	(void)itimer_set(0, in, old);
	return old[2] + ((!old[2] && old[3]) || old[3] >= 500000);
}

int64_t linux_timer_syscall(const struct frame *f, bool *served)
{
	*served = true;
	switch (f->rax) {
	case NR_alarm:
		return sys_alarm((uint32_t)f->rdi);
	case NR_setitimer:
		return sys_setitimer((int32_t)f->rdi, f->rsi, f->rdx);
	case NR_getitimer:
		return sys_getitimer((int32_t)f->rdi, f->rsi);
	}
	*served = false;
	return 0;
}
