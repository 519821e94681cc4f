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

static uint64_t clock_now(void)
{
	return linux_now(1);
}

/* Past its deadline at now: the next one, the expiries missed counted in
 * *missed (each but the first); disarmed if it has no interval. */
static void advance(struct itimer *t, uint64_t now, uint64_t *missed)
{
	uint64_t n = t->interval ? (now - t->deadline) / t->interval : 0;

	*missed = n;
	t->deadline = t->interval ? t->deadline + t->interval * (n + 1) : 0;
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
		linux_timer_due(clock_now());
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
	uint64_t left = 0, missed;

	if (!p->signals && p->t.deadline && now >= p->t.deadline) {
		advance(&p->t, now, &missed);
		p->overrun = missed > INT32_MAX ? INT32_MAX : (uint32_t)missed;
	}
	if (p->t.deadline)
		left = p->t.deadline > now ? p->t.deadline - now : 1; /* due, not yet sent */
	out[0] = (int64_t)(p->t.interval / NS);
	out[1] = (int64_t)(p->t.interval % NS);
	out[2] = (int64_t)(left / NS);
	out[3] = (int64_t)(left % NS);
}

/* struct timespec pair (interval, value) to ns: EINVAL for a negative one
 * or nanoseconds past a second. */
static int64_t itimerspec_ns(const int64_t in[4], uint64_t *interval, uint64_t *value)
{
	for (int k = 0; k < 4; k += 2)
		if (in[k] < 0 || in[k + 1] < 0 || in[k + 1] >= (int64_t)NS)
			return -EINVAL;
	*interval = (uint64_t)in[0] > UINT64_MAX / 4 / NS ? UINT64_MAX / 4
							  : (uint64_t)in[0] * NS + (uint64_t)in[1];
	*value = (uint64_t)in[2] > UINT64_MAX / 4 / NS ? UINT64_MAX / 4
						       : (uint64_t)in[2] * NS + (uint64_t)in[3];
	return 0;
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
	if ((r = itimerspec_ns(in, &interval, &value)) < 0)
		return r;
	now = clock_now();
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
	ptimer_get(p, clock_now(), v);
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
