/* SPDX-License-Identifier: MIT */
/*
 * exitless.c: calls without exits. A thread of the sandbox's own (the
 * runner) keeps the vCPU in KVM_RUN; the guest, after a call, polls the call
 * ring (kvmlet_abi.h) for a while before it exits. The caller posts the next
 * call in the ring and polls for the result in turn, and answers host calls
 * the same way, on its own thread. Whoever stops polling sleeps: the guest
 * by its RETURN or HOSTCALL exit, after which the runner sleeps until the
 * caller has something for it (pokes); the caller by setting host_waiting,
 * which makes the guest exit at once, so that the runner wakes it.
 *
 * Who may touch the vCPU: the runner while it runs; anyone else first holds
 * it (the vCPU's hold hook, called by vcpu.c before every access), which
 * stops the runner's run and keeps it out until the next call.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "error.h"
#include "exitless.h"
#include "exits.h"
#include "seccomp_filter.h"
#include "sandbox.h"

#define SPIN_MAX_US 100000u /* kvmlet_set_exitless's limit: a tenth of a second */

struct exitless {
	struct kvmlet_sandbox *sb;
	pthread_t runner;
	/* The ring, where the host maps guest memory; the guest writes rg, and
	 * both sides poll: every access is an atomic one. */
	struct kvmlet_ring_host *rh;
	struct kvmlet_ring_guest *rg;
	uint64_t spin_ticks; /* the guest's polling, in its TSC ticks */
	uint64_t spin_ns;    /* the caller's */
	_Atomic uint64_t pokes;	   /* the caller has something for the guest */
	_Atomic bool runner_sleeps;
	_Atomic bool held;   /* the runner stays out of KVM_RUN until the next call */
	_Atomic bool failed; /* the runner's run ended with an outcome (below) */
	pthread_mutex_t mu;  /* the rest, and both sides' sleeping */
	pthread_cond_t cv;
	bool running, quit;
	int outcome;
	struct kvmlet_result res;
	struct kvmlet_error err;
};

static void *runner(void *arg)
{
	struct exitless *x = arg;
	uint64_t seen = 0;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		/* Flag, then look (the poster increments, then looks at the flag). */
		atomic_store(&x->runner_sleeps, true);
		while (!x->quit && (atomic_load(&x->held) || atomic_load(&x->failed) ||
				    atomic_load(&x->pokes) == seen))
			pthread_cond_wait(&x->cv, &x->mu);
		atomic_store(&x->runner_sleeps, false);
		if (x->quit)
			break;
		seen = atomic_load(&x->pokes);
		x->running = true;
		pthread_mutex_unlock(&x->mu);

		struct kvmlet_result res = {.vector = -1};
		struct kvmlet_error err = {0};
		int r = exits_run_idle(x->sb, &res, &err);

		pthread_mutex_lock(&x->mu);
		x->running = false;
		if (r != LOOP_IDLE) {
			x->outcome = r;
			x->res = res;
			x->err = err;
			atomic_store(&x->failed, true);
		}
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

static bool on_runner(const struct exitless *x)
{
	return pthread_equal(pthread_self(), x->runner);
}

/* The vCPU's hold hook: the runner out of KVM_RUN, and kept out. */
static void hold(void *arg)
{
	struct exitless *x = arg;

	if (on_runner(x) || atomic_load(&x->held))
		return;
	pthread_mutex_lock(&x->mu);
	atomic_store(&x->held, true);
	while (x->running) {
		struct timespec ts = watch_timespec(watch_now_ns() + 1000000);

		watch_stop(&x->sb->watch, true); /* kicked again each ms: none is lost */
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	}
	watch_stop(&x->sb->watch, false); /* this thread's own runs go on */
	pthread_mutex_unlock(&x->mu);
}

static void poke(struct exitless *x)
{
	atomic_fetch_add(&x->pokes, 1);
	if (atomic_load(&x->runner_sleeps)) {
		pthread_mutex_lock(&x->mu);
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
	}
}

/* After a hold (or a failure the caller has seen): let the runner run again,
 * with the guest's polling time written anew (a reset takes it back). */
static int release(struct exitless *x, struct kvmlet_error *err)
{
	int r;

	hold(x);
	if ((r = call_ring_write(x->sb, offsetof(struct kvmlet_ring_host, spin_ticks),
				 x->spin_ticks)) < 0)
		return kvmlet_fail(err, r, "the call ring is not in guest memory");
	pthread_mutex_lock(&x->mu);
	atomic_store(&x->failed, false);
	atomic_store(&x->held, false);
	pthread_mutex_unlock(&x->mu);
	return 0;
}

static bool host_call_posted(struct exitless *x)
{
	return __atomic_load_n(&x->rg->host_seq, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&x->rh->host_done, __ATOMIC_RELAXED);
}

/* Sleep until the runner has news or about 10 ms have passed: with
 * host_waiting set, a guest that finishes or posts a host call exits. */
static void sleep_once(struct exitless *x, uint64_t seq, uint64_t deadline)
{
	uint64_t until = watch_now_ns() + 10000000ull;

	if (deadline && deadline < until)
		until = deadline;
	struct timespec ts = watch_timespec(until);
	pthread_mutex_lock(&x->mu);
	__atomic_store_n(&x->rh->host_waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&x->rg->done_seq, __ATOMIC_SEQ_CST) != seq && !host_call_posted(x) &&
	    !atomic_load(&x->failed))
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
	__atomic_store_n(&x->rh->host_waiting, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&x->mu);
}

/* The transport (struct calls): post the call call_enter put in the ring,
 * answer host calls, return when the guest has set done_seq. */
static int enter(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	struct exitless *x = sb->xl;
	const uint64_t seq = sb->calls.call_seq;
	const uint64_t start = watch_now_ns();
	const uint64_t deadline = watch_deadline(start, sb->cfg.timeout_ns);
	uint64_t spin_until = start + x->spin_ns;
	int r;

	if ((atomic_load(&x->held) || atomic_load(&x->failed)) && (r = release(x, err)) < 0)
		return r;
	poke(x);
	for (unsigned n = 1;; n++) {
		if (__atomic_load_n(&x->rg->done_seq, __ATOMIC_ACQUIRE) == seq)
			return LOOP_DONE;
		if (host_call_posted(x)) {
			if ((r = call_serve_host(sb, res, err)) != LOOP_CONTINUE) {
				hold(x);
				return r;
			}
			poke(x);
			spin_until = watch_now_ns() + x->spin_ns;
			continue;
		}
		if (atomic_load(&x->failed)) {
			pthread_mutex_lock(&x->mu);
			*res = x->res;
			if (err)
				*err = x->err;
			r = x->outcome;
			pthread_mutex_unlock(&x->mu);
			return r;
		}
		if (n % 64)
			__builtin_ia32_pause();
		else if (deadline && watch_now_ns() >= deadline) {
			hold(x); /* the runner out of a guest that did not finish */
			return error_outcome(res, err, KVMLET_TIMED_OUT, -ETIMEDOUT,
					     "guest timed out after %" PRIu64 " ms",
					     (watch_now_ns() - start) / 1000000);
		} else if (watch_now_ns() >= spin_until)
			sleep_once(x, seq, deadline);
	}
}

void exitless_free(struct kvmlet_sandbox *sb)
{
	struct exitless *x = sb->xl;

	if (!x)
		return;
	hold(x);
	pthread_mutex_lock(&x->mu);
	x->quit = true;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->runner, NULL);
	sb->vcpu.hold = NULL;
	sb->vcpu.hold_arg = NULL;
	sb->calls.transport = NULL;
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x);
	sb->xl = NULL;
}

static int start(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct exitless *x = calloc(1, sizeof(*x));
	pthread_condattr_t ca;
	sigset_t all, prev;

	if (!x)
		return kvmlet_fail(err, -ENOMEM, "out of memory for exit-less calls");
	x->sb = sb;
	x->rh = GUEST_PTR(&sb->gm, bi->ring_host, sizeof(struct kvmlet_ring_host));
	x->rg = GUEST_PTR(&sb->gm, bi->ring_guest, sizeof(struct kvmlet_ring_guest));
	if (!x->rh || !x->rg) {
		free(x);
		return kvmlet_fail(err, -EPROTO, "the call ring is not in guest memory");
	}
	atomic_store(&x->held, true); /* the first call writes the polling time */
	pthread_mutex_init(&x->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* The runner takes the kick signal only: the application's go elsewhere. */
	sigfillset(&all);
	sigdelset(&all, KVMLET_KICK_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &all, &prev);
	int e = pthread_create(&x->runner, NULL, runner, x);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
	if (e) {
		pthread_cond_destroy(&x->cv);
		pthread_mutex_destroy(&x->mu);
		free(x);
		return kvmlet_fail(err, -e, "cannot start the sandbox's thread: %s", strerror(e));
	}
	sb->xl = x;
	sb->vcpu.hold_arg = x;
	sb->vcpu.hold = hold;
	sb->calls.transport = enter;
	return 0;
}

int kvmlet_set_exitless(struct kvmlet_sandbox *sb, unsigned spin_us, struct kvmlet_error *err)
{
	int r;

	if (sb->calls.in_host_fn)
		return kvmlet_fail(err, -EDEADLK,
				   "a host function tried to change how its sandbox is called");
	if (spin_us > SPIN_MAX_US)
		return kvmlet_fail(err, -EINVAL, "exit-less polling of %u us: at most %u us",
				   spin_us, SPIN_MAX_US);
	if (spin_us == 0) {
		if (!sb->xl)
			return 0;
		exitless_free(sb);
		/* A guest resumed later (calls with exits) must not poll. */
		if ((r = call_ring_write(sb, offsetof(struct kvmlet_ring_host, spin_ticks), 0)) < 0)
			return kvmlet_fail(err, r, "the call ring is not in guest memory");
		return 0;
	}
	if (sb->cfg.reset_each_call)
		return kvmlet_fail(err, -EINVAL,
				   "exit-less calls keep the guest running between calls: not "
				   "with reset_each_call (call kvmlet_reset when needed)");
	if (seccomp_installed())
		return kvmlet_fail(err, -EPERM,
				   "exit-less calls start a thread: turn them on before "
				   "kvmlet_seccomp_install");
	if ((phase_is(&sb->phase, PH_NEW) || phase_is(&sb->phase, PH_PREPARED)) &&
	    (r = kvmlet_init(sb, err)) < 0)
		return r;
	if (!phase_is(&sb->phase, PH_READY))
		return kvmlet_fail(err, -ENOTRECOVERABLE,
				   "exit-less calls need a sandbox ready for calls (reset it)");
	if (!sb->calls.ring)
		return kvmlet_fail(err, -ENOTSUP,
				   "the guest's runtime does not wait on the call ring (rebuild it "
				   "with this kvmlet)");
	uint32_t khz = vcpu_tsc_khz(&sb->vcpu);
	if (!khz)
		return kvmlet_fail(err, -ENOTSUP,
				   "KVM does not tell the guest's TSC frequency: no exit-less calls");
	if (!sb->xl && (r = start(sb, err)) < 0)
		return r;
	hold(sb->xl); /* a new polling time with the next call */
	sb->xl->spin_ticks = (uint64_t)spin_us * khz / 1000;
	sb->xl->spin_ns = (uint64_t)spin_us * 1000;
	return 0;
}
