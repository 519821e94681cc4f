/* SPDX-License-Identifier: MIT */
/*
 * linux_timer.c: a Linux program's timers, served with no exit but for the
 * clock: alarm, setitimer, getitimer, and the POSIX timers (timer_create,
 * timer_settime, timer_gettime, timer_getoverrun, timer_delete).
 *
 * ITIMER_REAL sends SIGALRM (linux_signal.c) when it runs out, then every
 * interval; a POSIX timer sends its own signal, to the process or to one
 * thread (SIGEV_THREAD_ID; libc's SIGEV_THREAD is built on it), with
 * SI_TIMER's siginfo, or nothing (SIGEV_NONE). All run on the host's
 * monotonic clock (the fake one with --seed); an absolute time on another
 * clock is turned into a monotonic deadline when the timer is set. Timers
 * are looked at whenever a thread waits or none can run (linux_thread.c:
 * the kernel then sleeps until the first is due) and, while one runs, as
 * every system call returns (one exit each): a loop with no system calls
 * never sees them. A timer whose signal is still pending counts overruns
 * instead of sending it again, as Linux's do.
 *
 * ITIMER_VIRTUAL and ITIMER_PROF count CPU time, which is not measured here:
 * they are recorded and read back, and never fire; timer_create on a
 * CPU-time clock is EOPNOTSUPP. Kernel data: a reset disarms them all.
 */
#include "kernel.h"

enum {
	NR_getitimer = 36,
	NR_alarm = 37,
	NR_setitimer = 38,
	NR_timer_create = 222,
	NR_timer_settime = 223,
	NR_timer_gettime = 224,
	NR_timer_getoverrun = 225,
	NR_timer_delete = 226,
};

#define SIGALRM	       14
#define SIGEV_SIGNAL   0
#define SIGEV_NONE     1
#define SIGEV_THREAD   2
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME  1
#define EOPNOTSUPP     95
#define NS	       1000000000ull
#define PTIMERS_MAX    64

/* An interval timer (setitimer): when it fires next on the monotonic clock
 * (ns, 0: disarmed) and then every interval ns. */
struct itimer {
	uint64_t deadline, interval;
};

static struct itimer timer[3]; /* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */

/* A POSIX timer (its id is its index): its deadline and interval, what it
 * sends to whom, and the overruns counted while its signal was pending. */
struct ptimer {
	struct itimer t;
	uint64_t value;	       /* sigev_value */
	int32_t signo, tid;    /* tid 0: the process */
	int32_t clock;	       /* the one absolute times are given on */
	uint32_t overrun, last; /* since it was sent; of the one last taken */
	bool used, signals, queued;
};

static struct {
	struct ptimer t[PTIMERS_MAX];
	uint32_t armed; /* of those that send a signal */
} pt;

void linux_timer_forked(void)
{
	/* A child of fork has no timers: neither interval nor POSIX ones. */
	memset(timer, 0, sizeof(timer));
	memset(&pt, 0, sizeof(pt));
}

/* Past its deadline at now: the next one (never, UINT64_MAX, past the
 * clock's end), the expiries missed counted in *missed (each but the
 * first); disarmed if it has no interval. */
static void advance(struct itimer *t, uint64_t now, uint64_t *missed)
{
	uint64_t n = t->interval ? (now - t->deadline) / t->interval : 0, step;

	*missed = n;
	if (!t->interval)
		t->deadline = 0;
	else if (__builtin_mul_overflow(t->interval, n + 1, &step) ||
		 __builtin_add_overflow(t->deadline, step, &t->deadline))
		t->deadline = UINT64_MAX;
}

uint64_t linux_timer_next(void)
{
	uint64_t first = timer[0].deadline;

	for (uint32_t i = 0; i < PTIMERS_MAX && pt.armed; i++) {
		const struct ptimer *p = &pt.t[i];
		if (p->used && p->signals && p->t.deadline && (!first || p->t.deadline < first))
			first = p->t.deadline;
	}
	return first;
}

/* POSIX timer p is due: its signal, or an overrun if that is still pending
 * (or its thread has gone: Linux sends nothing then). */
static void ptimer_fire(struct ptimer *p, uint64_t now)
{
	uint64_t missed;

	advance(&p->t, now, &missed);
	if (!p->t.deadline)
		pt.armed--;
	if (p->tid && !linux_thread_sigs(p->tid))
		return;
	if (p->queued && linux_signal_timer_pending(p->tid, p->signo)) {
		missed++;
	} else {
		p->queued = linux_signal_post_timer(p->tid, p->signo);
		p->overrun = 0;
	}
	p->overrun = missed > INT32_MAX - p->overrun ? INT32_MAX : p->overrun + (uint32_t)missed;
}

void linux_timer_due(uint64_t now)
{
	struct itimer *t = &timer[0];
	uint64_t missed;

	/* A late check skips the expiries it missed, as Linux counts one overrun signal. */
	if (t->deadline && now >= t->deadline) {
		advance(t, now, &missed);
		linux_signal_post(0, SIGALRM, true);
	}
	for (uint32_t i = 0; i < PTIMERS_MAX && pt.armed; i++) {
		struct ptimer *p = &pt.t[i];
		if (p->used && p->signals && p->t.deadline && now >= p->t.deadline)
			ptimer_fire(p, now);
	}
}

void linux_timer_check(void)
{
	if (timer[0].deadline || pt.armed)
		linux_timer_due(linux_now(1));
}

bool linux_timer_taken(int s, int32_t tid, int32_t *id, int32_t *overrun, uint64_t *value)
{
	for (uint32_t i = 0; i < PTIMERS_MAX; i++) {
		struct ptimer *p = &pt.t[i];
		if (!p->used || !p->queued || p->signo != s || p->tid != tid)
			continue;
		p->queued = false;
		p->last = p->overrun;
		p->overrun = 0;
		*id = (int32_t)i;
		*overrun = (int32_t)p->last;
		*value = p->value;
		return true;
	}
	return false;
}

/* The time left of a timer at now, as a struct itimerval (frac_ns 1000) or
 * itimerspec (1): interval, then value; one unit if due and not yet sent, as
 * Linux says. */
static void put_times(const struct itimer *t, uint64_t now, uint64_t frac_ns, int64_t out[4])
{
	const uint64_t left = !t->deadline ? 0 : t->deadline > now ? t->deadline - now : frac_ns;

	out[0] = (int64_t)(t->interval / NS);
	out[1] = (int64_t)(t->interval % NS / frac_ns);
	out[2] = (int64_t)(left / NS);
	out[3] = (int64_t)(left % NS / frac_ns);
}

/* struct itimerval (interval, then value) of timer which, as it stands at
 * now; ITIMER_VIRTUAL and ITIMER_PROF never run down (recorded only). */
static void itimer_get(uint32_t which, uint64_t now, int64_t out[4])
{
	put_times(&timer[which], which ? 0 : now, 1000, out);
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
	if ((r = linux_time_ns(in, 1000, &interval)) < 0 ||
	    (r = linux_time_ns(in + 2, 1000, &value)) < 0)
		return r;
	if (which == 0)
		now = linux_now(1);
	itimer_get(which, now, old);
	timer[which].interval = value ? interval : 0;
	timer[which].deadline = !value ? 0 : which ? value
				    : value > UINT64_MAX - now ? UINT64_MAX : now + value;
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
	itimer_get((uint32_t)which, which == 0 ? linux_now(1) : 0, v);
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

/* The POSIX timer id names, or NULL (Linux: EINVAL). */
static struct ptimer *ptimer_of(int32_t id)
{
	return id >= 0 && id < PTIMERS_MAX && pt.t[id].used ? &pt.t[id] : NULL;
}

/* Linux's struct sigevent: the value, signal, kind and, for
 * SIGEV_THREAD_ID, the thread (the rest is libc's). */
struct sigevent {
	uint64_t value;
	int32_t signo, notify, tid, rest[11];
};

_Static_assert(sizeof(struct sigevent) == 64, "struct sigevent is Linux's");

static int64_t sys_timer_create(int32_t clock, uint64_t sevp, uint64_t idp)
{
	struct sigevent ev = {.signo = SIGALRM, .notify = SIGEV_SIGNAL};
	uint32_t i;

	if (clock == 2 || clock == 3 || (clock >= 4 && clock <= 6))
		return -EOPNOTSUPP; /* CPU time (not measured), raw and coarse clocks */
	if (clock == 8 || clock == 9)
		return -EPERM; /* the alarm clocks need CAP_WAKE_ALARM */
	if (clock != 0 && clock != 1 && clock != 7 && clock != 11)
		return -EINVAL;
	if (sevp && mm_get_user(&ev, sevp, sizeof(ev)) < 0)
		return -EFAULT;
	switch (ev.notify) {
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		if (ev.tid <= 0 || !linux_thread_sigs(ev.tid))
			return -EINVAL;
		/* fall through */
	case SIGEV_SIGNAL:
	case SIGEV_THREAD:
		if (ev.signo < 1 || ev.signo > 64)
			return -EINVAL;
		break;
	case SIGEV_NONE:
		break;
	default:
		return -EINVAL;
	}
	for (i = 0; i < PTIMERS_MAX && pt.t[i].used; i++)
		;
	if (i == PTIMERS_MAX)
		return -EAGAIN;
	if (!sevp)
		ev.value = i; /* Linux: sival_int is the timer's id */
	if (mm_put_user(idp, &i, sizeof(i)) < 0)
		return -EFAULT;
	pt.t[i] = (struct ptimer){.value = ev.value, .signo = ev.signo,
				  .tid = ev.notify & SIGEV_THREAD_ID ? ev.tid : 0,
				  .clock = clock, .used = true, .signals = ev.notify != SIGEV_NONE};
	return 0;
}

/* Timer p's struct itimerspec (interval, then value) at now. A SIGEV_NONE
 * timer's deadline moves on only here. */
static void ptimer_get(struct ptimer *p, uint64_t now, int64_t out[4])
{
	uint64_t missed;

	if (!p->signals && p->t.deadline && now >= p->t.deadline) {
		advance(&p->t, now, &missed);
		p->overrun = missed > INT32_MAX ? INT32_MAX : (uint32_t)missed;
	}
	put_times(&p->t, now, 1, out);
}

static int64_t sys_timer_settime(int32_t id, int32_t flags, uint64_t new, uint64_t old)
{
	struct ptimer *p = ptimer_of(id);
	int64_t in[4], prev[4];
	uint64_t interval, value, now;
	int64_t r;

	if (!p)
		return -EINVAL;
	if (!new)
		return -EINVAL;
	if (mm_get_user(in, new, sizeof(in)) < 0)
		return -EFAULT;
	if ((r = linux_time_ns(in, 1, &interval)) < 0 || (r = linux_time_ns(in + 2, 1, &value)) < 0)
		return r;
	now = linux_now(1);
	ptimer_get(p, now, prev);
	if (p->signals && p->t.deadline)
		pt.armed--;
	p->overrun = 0; /* a signal it sent and still pending stays so */
	p->t.interval = value ? interval : 0;
	p->t.deadline = !value ? 0 : linux_deadline(value, p->clock, flags & TIMER_ABSTIME);
	if (p->signals && p->t.deadline)
		pt.armed++;
	return old && mm_put_user(old, prev, sizeof(prev)) < 0 ? -EFAULT : 0;
}

static int64_t sys_timer_gettime(int32_t id, uint64_t out)
{
	struct ptimer *p = ptimer_of(id);
	int64_t v[4];

	if (!p)
		return -EINVAL;
	ptimer_get(p, linux_now(1), v);
	return mm_put_user(out, v, sizeof(v));
}

static int64_t sys_timer_delete(int32_t id)
{
	struct ptimer *p = ptimer_of(id);

	if (!p)
		return -EINVAL;
	if (p->signals && p->t.deadline)
		pt.armed--;
	if (p->queued) /* its signal, still pending, goes with it (as Linux 6.13 on) */
		linux_signal_timer_drop(p->tid, p->signo);
	*p = (struct ptimer){0};
	return 0;
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
	case NR_timer_create:
		return sys_timer_create((int32_t)f->rdi, f->rsi, f->rdx);
	case NR_timer_settime:
		return sys_timer_settime((int32_t)f->rdi, (int32_t)f->rsi, f->rdx, f->r10);
	case NR_timer_gettime:
		return sys_timer_gettime((int32_t)f->rdi, f->rsi);
	case NR_timer_getoverrun: {
		const struct ptimer *p = ptimer_of((int32_t)f->rdi);
		return p ? (int64_t)p->last : -EINVAL;
	}
	case NR_timer_delete:
		return sys_timer_delete((int32_t)f->rdi);
	}
	*served = false;
	return 0;
}
