/* SPDX-License-Identifier: MIT */
/*
 * watchdog.c: time limits and cancellation without a system call per run.
 *
 * Every sandbox's watch is in one list that one process-wide watchdog thread
 * looks at, from the sandbox's creation to its end. A run only marks its
 * watch running (atomic stores: no lock, no system call) and wakes the
 * watchdog only when its deadline is earlier than the time the watchdog
 * already sleeps until. An overdue run is kicked with KVMLET_KICK_SIGNAL,
 * whose handler sets immediate_exit of the vCPU the thread runs, and kicked
 * again every millisecond while it stays overdue, so a kick can never be
 * lost. A kicker (the watchdog, kvmlet_cancel, watch_stop; one at a time,
 * under the list's lock) first moves the run from RUN to KICK, which the run
 * cannot leave until the signal is sent: so never to a thread that has left;
 * and a run waits, when it ends, until every kick sent to it has arrived, so
 * no stray signal interrupts the application's own system calls later.
 *
 * A Linux program's runs are also ticked: its kernel writes into guest memory
 * when it wants the program's code interrupted (a timer due, threads to take
 * turns), and tells the host when it starts to (watch_ticks). The watchdog,
 * waking at least every slice while such a run is in progress, then sets
 * tick_due, with a kick if the guest is in KVM_RUN; the run injects the
 * interrupt and goes on. What the guest wrote is only a time: at most one
 * tick per TICK_GAP_NS, whatever it says. A signal from outside
 * (kvmlet_signal, watch_signal) ticks the run at once, and also kicks it out
 * of a wait in the host that the signal ends (linux_sys.c's, marked waiting),
 * never out of the application's host functions.
 *
 * A run may also be given a slice (watch_yield_at): when it is over, the
 * watchdog marks the run to give way (yield_due), with a kick if it is in
 * KVM_RUN, and the run's owner decides what happens (linux_family.c: the
 * program's other processes take their turns).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "watchdog.h"

#define MS	    1000000ull
#define IDLE_NS	    (1000 * MS) /* how long the watchdog sleeps with nothing to watch */
#define REKICK_NS   (1 * MS)
#define SLICE_NS    (KVMLET_TICK_SLICE_MS * MS)
#define TICK_GAP_NS (1 * MS)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static struct watch *head;
static _Atomic uint64_t wake_at; /* when the watchdog wakes next (CLOCK_MONOTONIC ns) */
static bool started;

/* The vCPU this thread runs, and the kicks it received, for the handler. */
static __thread KVMLET_TLS struct kvm_run *volatile tls_run;
static __thread KVMLET_TLS volatile sig_atomic_t tls_kicks;

static void kick_handler(int sig)
{
	(void)sig;
	if (tls_run)
		tls_run->immediate_exit = 1;
	tls_kicks = tls_kicks + 1;
}

KVMLET_HOT uint64_t watch_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct timespec watch_timespec(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000ull),
				 .tv_nsec = (long)(ns % 1000000000ull)};
}

/* Why a run is kicked: it is overdue at the given time, it is cancelled,
 * watch_stop asked for it, a tick is due, or a signal came from outside. */
enum kick_why { KICK_OVERDUE, KICK_CANCEL, KICK_STOP, KICK_TICK, KICK_SIGNAL, KICK_YIELD };

/*
 * Kick w's run if it is in one (the list's lock held: one kicker at a time).
 * Once RUN is moved to KICK the run cannot end, so what is read after that
 * is the run that will be signalled: a scan's overdue deadline may belong to
 * a run that has ended since, and a new run of the same watch is kicked only
 * if it is overdue itself; a cancel marks only the run it reaches.
 */
static bool kick(struct watch *w, enum kick_why why, uint64_t now)
{
	unsigned s = WATCH_RUN;

	if (!atomic_compare_exchange_strong(&w->state, &s, WATCH_KICK))
		return false;
	if (why == KICK_OVERDUE) {
		uint64_t d = atomic_load(&w->deadline);
		if (!d || now < d) {
			atomic_store(&w->state, WATCH_RUN);
			return false;
		}
	}
	/* Set before the signal, so the run sees it whenever the kick lands. */
	if (why == KICK_CANCEL)
		atomic_store(&w->cancelled, true);
	/* A tick reaches a run in host code (an exit being served, maybe the
	 * application's host function) without a signal: vcpu_run sees tick_due
	 * before it enters. Both sides store, then load (seq_cst): one sees the other. */
	if (why == KICK_TICK || why == KICK_SIGNAL || why == KICK_YIELD) {
		atomic_store(why == KICK_YIELD ? &w->yield_due : &w->tick_due, true);
		if (!atomic_load(&w->in_guest) &&
		    (why != KICK_SIGNAL || !atomic_load(&w->waiting))) {
			atomic_store(&w->state, WATCH_RUN);
			return true;
		}
	}
	atomic_fetch_add(&w->sent, 1);
	pthread_kill(w->thread, KVMLET_KICK_SIGNAL);
	atomic_store(&w->state, WATCH_RUN);
	return true;
}

/* Does w's kernel want ticks now (a time, or slices)? */
static bool wants_ticks(const struct watch *w)
{
	return w->tick && (w->tick->tick_at || w->tick->tick_slices);
}

/* When w's run (in progress, ticked) is to be interrupted next, by what its
 * kernel wrote: the time it gave, or a slice after the last tick while its
 * threads take turns; never sooner than TICK_GAP_NS after the last tick. */
static uint64_t tick_next(const struct watch *w)
{
	const uint64_t at = w->tick->tick_at, last = atomic_load(&w->tick_last);
	uint64_t t = w->tick->tick_slices ? last + SLICE_NS : UINT64_MAX;

	if (at && at < t)
		t = at;
	return t < last + TICK_GAP_NS ? last + TICK_GAP_NS : t;
}

/* The earliest time to look again at the runs in progress after now (kicking
 * the overdue ones and ticking the due ones when asked), or now + IDLE_NS. */
static uint64_t scan(uint64_t now, bool kicks)
{
	uint64_t next = now + IDLE_NS;

	for (struct watch *w = head; w; w = w->next) {
		uint64_t d = atomic_load(&w->deadline);

		if (atomic_load(&w->state) == WATCH_IDLE)
			continue;
		if (d && now >= d) {
			if (kicks)
				kick(w, KICK_OVERDUE, now);
			d = now + REKICK_NS;
		}
		if (d && d < next)
			next = d;
		/* A slice over: cleared first, so that a new one the run's owner
		 * gives meanwhile is not lost. */
		uint64_t y = atomic_load(&w->yield_at);
		if (y && now >= y && kicks && atomic_compare_exchange_strong(&w->yield_at, &y, 0)) {
			kick(w, KICK_YIELD, now);
			y = 0;
		}
		if (y && now >= y)
			y = now + REKICK_NS;
		if (y && y < next)
			next = y;
		if (!wants_ticks(w))
			continue; /* until its kernel says so (watch_ticks) */
		/* What it wants can change without an exit: look every slice. */
		if (!atomic_load(&w->tick_last))
			atomic_store(&w->tick_last, now);
		uint64_t t = tick_next(w);
		if (now >= t && kicks && kick(w, KICK_TICK, now))
			atomic_store(&w->tick_last, now);
		if (now >= t)
			t = now + TICK_GAP_NS;
		if (t > now + SLICE_NS)
			t = now + SLICE_NS;
		if (t < next)
			next = t;
	}
	return next;
}

static void *watchdog(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		uint64_t now = watch_now_ns(), next = scan(now, true), again;

		/* A run that began during the scan either sees this wake_at (and
		 * wakes the watchdog if it is earlier) or is seen by the next scan. */
		for (;;) {
			atomic_store(&wake_at, next);
			if ((again = scan(now, false)) >= next)
				break;
			next = again;
		}
		struct timespec ts = watch_timespec(next);
		pthread_cond_timedwait(&wake, &lock, &ts);
	}
	return NULL;
}

/* Own the kick signal (refusing one the application handles itself) and start
 * the watchdog: once per process, before any run (and before seccomp). */
int watch_init(struct kvmlet_error *err)
{
	struct sigaction old, sa = {.sa_handler = kick_handler, .sa_flags = SA_RESTART};
	pthread_condattr_t ca;
	pthread_t t;
	int r = 0;

	pthread_mutex_lock(&lock);
	if (started)
		goto out;
	if (sigaction(KVMLET_KICK_SIGNAL, NULL, &old) < 0) {
		r = kvmlet_fail(err, -errno, "sigaction: %s", strerror(errno));
		goto out;
	}
	bool theirs = (old.sa_flags & SA_SIGINFO)
			      ? old.sa_sigaction != NULL
			      : old.sa_handler != SIG_DFL && old.sa_handler != kick_handler;
	if (theirs) {
		r = kvmlet_fail(err, -EBUSY,
				"the kick signal (SIGRTMIN, KVMLET_KICK_SIGNAL) has a "
				"handler of the application's: kvmlet needs it");
		goto out;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVMLET_KICK_SIGNAL, &sa, NULL) < 0) {
		r = kvmlet_fail(err, -errno, "sigaction: %s", strerror(errno));
		goto out;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	/* The watchdog must not take the kick signal itself. */
	sigset_t all, prev;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &prev);
	int e = pthread_create(&t, NULL, watchdog, NULL);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
	if (e) {
		pthread_cond_destroy(&wake);
		r = kvmlet_fail(err, -e, "cannot start the watchdog thread: %s", strerror(e));
		goto out;
	}
	pthread_detach(t);
	atomic_store(&wake_at, UINT64_MAX);
	started = true;
out:
	pthread_mutex_unlock(&lock);
	return r;
}

void watch_register(struct watch *w)
{
	pthread_mutex_lock(&lock);
	w->prev = NULL;
	w->next = head;
	if (head)
		head->prev = w;
	head = w;
	pthread_mutex_unlock(&lock);
}

void watch_unregister(struct watch *w)
{
	pthread_mutex_lock(&lock);
	if (w->prev)
		w->prev->next = w->next;
	else if (head == w)
		head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	pthread_mutex_unlock(&lock);
}

/* The watchdog wakes by t (0: no need), if it would sleep longer. */
KVMLET_HOT static void wake_by(uint64_t t)
{
	if (t && t < atomic_load(&wake_at)) {
		pthread_mutex_lock(&lock);
		if (t < atomic_load(&wake_at)) {
			atomic_store(&wake_at, t);
			pthread_cond_signal(&wake);
		}
		pthread_mutex_unlock(&lock);
	}
}

KVMLET_HOT void watch_begin(struct watch *w, struct kvm_run *run, uint64_t deadline)
{
	static __thread KVMLET_TLS pthread_t self;

	if (!self)
		self = pthread_self();
	w->outer_run = tls_run;
	w->outer_kicks = (unsigned)tls_kicks;
	tls_kicks = 0;
	tls_run = run;
	w->thread = self;
	atomic_store_explicit(&w->sent, 0, memory_order_relaxed);
	atomic_store_explicit(&w->cancelled, false, memory_order_relaxed);
	atomic_store_explicit(&w->deadline, deadline, memory_order_relaxed);
	atomic_store_explicit(&w->tick_due, false, memory_order_relaxed);
	atomic_store_explicit(&w->tick_last, 0, memory_order_relaxed);
	atomic_store_explicit(&w->yield_due, false, memory_order_relaxed);
	atomic_store(&w->state, WATCH_RUN); /* publishes the fields above */
	/* A signal from outside sent while no run was in progress (looked at
	 * after RUN is stored: kvmlet_signal stores the signal, then kicks only
	 * a RUN, so one of the two sees the other). */
	if (w->sig_ext && *w->sig_ext)
		atomic_store(&w->tick_due, true);
	/* A run that wants ticks already: the watchdog must look within a slice. */
	if (wants_ticks(w)) {
		uint64_t soon = watch_now_ns() + SLICE_NS;
		if (!deadline || soon < deadline)
			deadline = soon;
	}
	const uint64_t y = atomic_load_explicit(&w->yield_at, memory_order_relaxed);
	wake_by(y && (!deadline || y < deadline) ? y : deadline);
}

void watch_ticks(void)
{
	wake_by(watch_now_ns());
}

KVMLET_HOT void watch_end(struct watch *w)
{
	unsigned s = WATCH_RUN;

	/* A kicker holds KICK only while it signals: wait that out. */
	while (!atomic_compare_exchange_weak(&w->state, &s, WATCH_IDLE))
		s = WATCH_RUN;
	unsigned sent = atomic_load(&w->sent);
	/* A kick in flight arrives at this thread's next system call: make it this
	 * one (bounded, in case the application blocked the signal after all). */
	for (int i = 0; i < 10000 && (unsigned)tls_kicks < sent; i++)
		sched_yield();
	/* Back to the run this one was inside (none: NULL), whose kicks may
	 * have arrived meanwhile. */
	tls_run = w->outer_run;
	tls_kicks = (sig_atomic_t)(w->outer_kicks + (unsigned)tls_kicks);
}

void watch_yield_at(struct watch *w, uint64_t t)
{
	atomic_store(&w->yield_at, t);
	wake_by(t);
}

void watch_yield_now(struct watch *w)
{
	atomic_store(&w->yield_at, 0);
	atomic_store(&w->yield_due, true);
}

bool watch_cancel(struct watch *w)
{
	pthread_mutex_lock(&lock);
	bool hit = kick(w, KICK_CANCEL, 0);
	if (hit && w->inner)
		(void)kick(w->inner, KICK_CANCEL, 0);
	pthread_mutex_unlock(&lock);
	return hit;
}

void watch_nest(struct watch *w, struct watch *inner)
{
	pthread_mutex_lock(&lock);
	w->inner = inner;
	pthread_mutex_unlock(&lock);
}

void watch_signal(struct watch *w)
{
	pthread_mutex_lock(&lock);
	kick(w, KICK_SIGNAL, 0);
	pthread_mutex_unlock(&lock);
}

void watch_stop(struct watch *w, bool on)
{
	pthread_mutex_lock(&lock);
	atomic_store(&w->stop, on);
	if (on)
		kick(w, KICK_STOP, 0);
	pthread_mutex_unlock(&lock);
}
