/* SPDX-License-Identifier: MIT */
/*
 * linux_timerfd.c: timerfds inside a Linux program, as Linux's: a timer on
 * the realtime, monotonic or boottime clock (the program's clocks, the fake
 * one with a seed) whose expirations a read returns and poll, select and
 * epoll report as readable. A timerfd takes a pipe slot (linux_pipe.c): its
 * state is plain data that snapshots save. Nothing fires on its own: the
 * expirations are counted when the program looks (a read, a poll, gettime),
 * which is what it can observe; a wait in poll, select or epoll that watches
 * one, and a blocking read of one, are repeated when it expires (the wait's
 * retry, kvmlet_abi.h).
 */
#include <string.h>

#include "linux_sys.h"

enum {
	NR_timerfd_create = 283,
	NR_timerfd_settime = 286,
	NR_timerfd_gettime = 287,
};

#define G_CLOCK_REALTIME	  0
#define G_CLOCK_MONOTONIC	  1
#define G_CLOCK_BOOTTIME	  7
#define G_CLOCK_REALTIME_ALARM	  8
#define G_CLOCK_BOOTTIME_ALARM	  9
#define G_TFD_TIMER_ABSTIME	  1
#define G_TFD_TIMER_CANCEL_ON_SET 2
#define G_EPOLLIN		  0x001u
#define NS			  1000000000ull

static struct lx_pipe *timer_of(struct sys *s, const struct lx_ofd *o)
{
	return &s->lx->pipes->pipe[o->file];
}

/* The time on t's clock. */
static uint64_t timer_now(struct sys *s, const struct lx_pipe *t)
{
	clockid_t id = CLOCK_MONOTONIC;

	lxs_clock_of(s, t->clock, &id); /* checked at create */
	return lxs_now(s, id);
}

/* Count the expirations up to now: a periodic timer moves on by whole
 * periods, a one-shot one is disarmed (Linux's read and gettime do the same). */
static void timer_catch_up(struct lx_pipe *t, uint64_t now)
{
	if (!t->next_ns || now < t->next_ns)
		return;
	uint64_t n = t->every_ns ? (now - t->next_ns) / t->every_ns + 1 : 1;

	t->count = t->count + n < t->count ? UINT64_MAX : t->count + n;
	if (!t->every_ns || n > (UINT64_MAX - t->next_ns) / t->every_ns)
		t->next_ns = 0;
	else
		t->next_ns += n * t->every_ns;
	t->gen[LX_GEN_IN]++; /* a wake-up, for an edge-triggered epoll */
}

/* Milliseconds from now to t's next expiry, rounded up (at least 1). */
static int64_t timer_ms(const struct lx_pipe *t, uint64_t now)
{
	uint64_t ms = (t->next_ns - now + 999999) / 1000000;

	return ms == 0 ? 1 : ms > INT32_MAX ? INT32_MAX : (int64_t)ms;
}

int64_t lxs_timerfd_read(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len)
{
	struct lx_pipe *t = timer_of(s, o);
	uint64_t now, n;

	if (len < 8)
		return -EINVAL;
	now = timer_now(s, t);
	timer_catch_up(t, now);
	if (t->count == 0) {
		if (o->flags & G_O_NONBLOCK)
			return -EAGAIN;
		if (t->next_ns)
			s->soon_ms = timer_ms(t, now) + 1; /* read again then */
		return lxs_wait(-1);
	}
	n = t->count;
	t->count = 0; /* taken even if the copy fails, as Linux's timerfd_read */
	return lxs_put(s, buf, &n, 8) < 0 ? -EFAULT : 8;
}

uint32_t lxs_timerfd_ready(struct sys *s, const struct lx_ofd *o)
{
	struct lx_pipe *t = timer_of(s, o);
	uint64_t now = timer_now(s, t);

	timer_catch_up(t, now);
	if (t->count)
		return G_EPOLLIN;
	if (t->next_ns) {
		int64_t ms = timer_ms(t, now);
		if (!s->soon_ms || ms + 1 < s->soon_ms)
			s->soon_ms = ms + 1;
	}
	return 0;
}

static int64_t sys_timerfd_create(struct sys *s, int32_t clock, uint64_t flags)
{
	int i, fd;

	if ((flags & ~(uint64_t)(G_O_NONBLOCK | G_O_CLOEXEC)) ||
	    (clock != G_CLOCK_MONOTONIC && clock != G_CLOCK_REALTIME &&
	     clock != G_CLOCK_REALTIME_ALARM && clock != G_CLOCK_BOOTTIME &&
	     clock != G_CLOCK_BOOTTIME_ALARM))
		return -EINVAL;
	if (clock == G_CLOCK_REALTIME_ALARM || clock == G_CLOCK_BOOTTIME_ALARM)
		return -EPERM; /* CAP_WAKE_ALARM, which the program has not */
	if ((i = lxs_pipe_slot(s)) < 0)
		return i;
	s->lx->pipes->pipe[i] = (struct lx_pipe){.readers = 1, .clock = clock};
	fd = lxs_fd_open(
		s,
		&(struct lx_ofd){.kind = LX_TIMERFD,
				 .flags = 2 | ((uint32_t)flags & G_O_NONBLOCK), /* O_RDWR */
				 .file = i},
		flags & G_O_CLOEXEC);
	if (fd < 0)
		s->lx->pipes->pipe[i] = (struct lx_pipe){0};
	return fd;
}

/* The timerfd behind fd: EBADF if none is open there, EINVAL if it is no timerfd. */
static int64_t timerfd_get(struct sys *s, int fd, struct lx_pipe **t)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);

	if (!o)
		return -EBADF;
	if (o->kind != LX_TIMERFD)
		return -EINVAL;
	*t = timer_of(s, o);
	return 0;
}

/* struct itimerspec of t now: the time to its next expiry and its period. */
static void timer_spec(struct lx_pipe *t, uint64_t now, int64_t out[4])
{
	timer_catch_up(t, now);
	uint64_t left = t->next_ns ? t->next_ns - now : 0;

	out[0] = (int64_t)(t->every_ns / NS);
	out[1] = (int64_t)(t->every_ns % NS);
	out[2] = (int64_t)(left / NS);
	out[3] = (int64_t)(left % NS);
}

/* A timespec's nanoseconds, or UINT64_MAX where it is not valid (Linux's
 * timespec64_valid: seconds >= 0, nanoseconds in [0, 10^9)). */
static uint64_t spec_ns(const int64_t ts[2])
{
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NS)
		return UINT64_MAX;
	if ((uint64_t)ts[0] > (UINT64_MAX - 1 - (uint64_t)ts[1]) / NS)
		return UINT64_MAX - 1; /* valid, but past every clock's reach */
	return (uint64_t)ts[0] * NS + (uint64_t)ts[1];
}

/* timerfd_settime in Linux's order: the new value (EFAULT), the flags and the
 * value (EINVAL), the descriptor; the old value is written after the change. */
static int64_t sys_timerfd_settime(struct sys *s, int fd, int32_t flags, uint64_t newp,
				   uint64_t oldp)
{
	int64_t spec[4], old[4];
	struct lx_pipe *t;
	int64_t r;

	if (lxs_get(s, newp, spec, sizeof(spec)) < 0)
		return -EFAULT;
	const uint64_t every = spec_ns(spec), value = spec_ns(spec + 2);
	if ((flags & ~(G_TFD_TIMER_ABSTIME | G_TFD_TIMER_CANCEL_ON_SET)) || every == UINT64_MAX ||
	    value == UINT64_MAX)
		return -EINVAL;
	if ((r = timerfd_get(s, fd, &t)) < 0)
		return r;
	const uint64_t now = timer_now(s, t);
	timer_spec(t, now, old);
	t->count = 0;
	t->every_ns = every;
	if (value == 0) /* disarmed, whatever the period */
		t->next_ns = 0;
	else if (flags & G_TFD_TIMER_ABSTIME) /* the realtime clock is never set: no cancel */
		t->next_ns = value;
	else
		t->next_ns = value > UINT64_MAX - now ? UINT64_MAX : now + value;
	t->gen[LX_GEN_IN]++;
	return oldp && lxs_put(s, oldp, old, sizeof(old)) < 0 ? -EFAULT : 0;
}

static int64_t sys_timerfd_gettime(struct sys *s, int fd, uint64_t curp)
{
	struct lx_pipe *t;
	int64_t cur[4], r;

	if ((r = timerfd_get(s, fd, &t)) < 0)
		return r;
	timer_spec(t, timer_now(s, t), cur);
	return lxs_put(s, curp, cur, sizeof(cur));
}

int64_t lxs_timerfd_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;

	*served = true;
	switch (nr) {
	case NR_timerfd_create:
		return sys_timerfd_create(s, (int32_t)r->rdi, (uint32_t)r->rsi);
	case NR_timerfd_settime:
		return sys_timerfd_settime(s, (int32_t)r->rdi, (int32_t)r->rsi, r->rdx, r->r10);
	case NR_timerfd_gettime:
		return sys_timerfd_gettime(s, (int32_t)r->rdi, r->rsi);
	}
	*served = false;
	return 0;
}
