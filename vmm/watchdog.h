/* SPDX-License-Identifier: MIT */
/* watchdog.h: time limits and kvmlet_cancel for runs, with no timer per run (watchdog.c). */
#ifndef KVMLET_WATCHDOG_H
#define KVMLET_WATCHDOG_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kvmlet.h"
#include "kvmlet_abi.h"

/* The run a watch is in: none, running, or running while a kicker signals it. */
enum { WATCH_IDLE, WATCH_RUN, WATCH_KICK };

/* A sandbox's runs, as the watchdog sees them; lives in its sandbox, in the
 * watchdog's list from watch_register to watch_unregister. */
struct watch {
	_Atomic unsigned state;	   /* WATCH_*: only a kicker moves RUN to KICK */
	pthread_t thread;	   /* the thread in the run */
	_Atomic uint64_t deadline; /* CLOCK_MONOTONIC ns, 0 for none */
	_Atomic unsigned sent;	   /* kicks sent to this run */
	_Atomic bool cancelled;
	_Atomic bool stop; /* watch_stop: the run returns -EINTR until cleared */
	/* Ticks: where a Linux program's kernel says when to interrupt its code
	 * (guest memory, untrusted; NULL: never), read as the watchdog scans;
	 * tick_due: the run is to inject KVMLET_VEC_TICK (vcpu_run does);
	 * tick_last: the watchdog's, when it last ticked this run (0: not yet). */
	const volatile struct kvmlet_bootinfo *tick;
	_Atomic bool tick_due;
	_Atomic bool in_guest; /* the run is in KVM_RUN (vcpu_run): a tick needs no signal else */
	/* Signals from outside (kvmlet_signal): the boot info's word of them
	 * (guest memory; NULL: none), and whether the run waits in the host
	 * where one should end the wait (linux_sys.c), so that a kick is sent. */
	const volatile uint64_t *sig_ext;
	_Atomic bool waiting;
	_Atomic uint64_t tick_last;
	/* Time slices (a Linux program's processes taking turns): when the run
	 * is to give way (0: never; the watchdog clears it as it sets
	 * yield_due), and vcpu_run, seeing yield_due, returns VCPU_YIELD. */
	_Atomic uint64_t yield_at;
	_Atomic bool yield_due;
	/* The run this thread was in when this one began (a run inside
	 * another's: a fork's child), and its kicks: back at watch_end. */
	struct kvm_run *outer_run;
	unsigned outer_kicks;
	/* A run on the same thread inside this one's (a fork's child taking its
	 * turn while the first process waits): a cancel reaches it too. */
	struct watch *inner;
	struct watch *prev, *next;
};

/* Put w in the watchdog's list / take it out (no run may be in progress). */
void watch_register(struct watch *w);
void watch_unregister(struct watch *w);
/* Own the kick signal and start the watchdog (idempotent). */
int watch_init(struct kvmlet_error *err);
/* This thread starts running run under w (deadline 0: none) / has stopped:
 * no lock, no system call, unless the deadline is the watchdog's earliest. */
void watch_begin(struct watch *w, struct kvm_run *run, uint64_t deadline);
void watch_end(struct watch *w);
/* A run's kernel now wants ticks, where it wanted none: the watchdog looks
 * at the runs now (it looks at one that wants none only when told). */
void watch_ticks(void);
/* A signal from outside is pending (in *w->sig_ext): w's run takes a tick
 * at its next entry, kicked out of KVM_RUN or of a wait for it. */
void watch_signal(struct watch *w);
/* From now on inner (NULL: none) runs inside w's run: watch_cancel(w)
 * cancels it too. Under the watchdog's lock: once this returns with NULL,
 * no cancel looks at the old one. */
void watch_nest(struct watch *w, struct watch *inner);
/* w's run (in progress, or the next) gives way at t (CLOCK_MONOTONIC ns). */
void watch_yield_at(struct watch *w, uint64_t t);
/* The run gives way at its next entry (VCPU_YIELD), with no kick: for the
 * run's own thread, between exits. */
void watch_yield_now(struct watch *w);
/* Cancel w's run if it is in progress; false if none is. */
bool watch_cancel(struct watch *w);
/* on: make w's runs return -EINTR (kicking one in progress) until called
 * with !on; the owner of the run's thread (exitless.c) decides when. */
void watch_stop(struct watch *w, bool on);
/* CLOCK_MONOTONIC in ns, and such a time as a timespec (for timed waits). */
uint64_t watch_now_ns(void);
struct timespec watch_timespec(uint64_t ns);

/* The deadline of a time limit of limit ns from start: 0 (none) for 0, and
 * the end of time for a limit that would pass it (timeout_ns UINT64_MAX). */
static inline uint64_t watch_deadline(uint64_t start, uint64_t limit)
{
	return !limit ? 0 : limit > UINT64_MAX - start ? UINT64_MAX : start + limit;
}

#endif /* KVMLET_WATCHDOG_H */
