/* SPDX-License-Identifier: MIT */
/*
 * lxpreempt.c: `lxthreads preempt`: code that makes no system call is still
 * interrupted, as on Linux: a timer's signal reaches a loop that only reads a
 * flag; threads that spin on each other's flags take turns; a thread whose
 * sleep ends runs while another spins; threads computing with the FPU in
 * different rounding modes, interrupted many times, each get their own
 * result. Only what does not depend on the machine's speed is printed, so
 * the output is Linux's line for line.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "lxthreads.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int s)
{
	(void)s;
	alarms = alarms + 1;
}

static void timer_in_loop(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval once = {.it_value = {0, 20000}};
	struct itimerval every = {.it_interval = {0, 10000}, .it_value = {0, 10000}};
	struct itimerval off = {0};

	sigemptyset(&sa.sa_mask);
	expect(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
	expect(setitimer(ITIMER_REAL, &once, NULL) == 0, "setitimer");
	while (!alarms)
		;
	printf("preempt: a one-shot timer's SIGALRM ended a loop with no system call\n");
	alarms = 0;
	expect(setitimer(ITIMER_REAL, &every, NULL) == 0, "setitimer");
	while (alarms < 3)
		;
	expect(setitimer(ITIMER_REAL, &off, NULL) == 0, "setitimer");
	printf("preempt: a periodic timer's SIGALRM came 3 times to a loop with no system call\n");
}

static atomic_int turn;

/* Thread i waits (spinning) for its turn, then gives the turn to the other. */
static void *spin_pingpong(void *arg)
{
	const int me = (int)(intptr_t)arg;

	for (int round = 0; round < 5; round++) {
		while (atomic_load(&turn) != me)
			;
		atomic_store(&turn, 1 - me);
	}
	return NULL;
}

static atomic_int woke;

static void *sleep_then_flag(void *arg)
{
	const struct timespec ts = {0, 20000000};

	(void)arg;
	expect(nanosleep(&ts, NULL) == 0, "nanosleep");
	atomic_store(&woke, 1);
	return NULL;
}

static pthread_barrier_t fpu_start;
static double fpu_result[4];
static int fpu_kept[4];

/* A long recurrence in SSE registers, in one of four rounding modes. */
static void *fpu_work(void *arg)
{
	static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
	const int me = (int)(intptr_t)arg;
	volatile double seed = 1.0 + me;
	double x = seed;

	expect(fesetround(modes[me]) == 0, "fesetround");
	pthread_barrier_wait(&fpu_start);
	for (long i = 0; i < 3000000; i++)
		x = x * 1.000000119 + 1.0 / 3.0;
	fpu_result[me] = x;
	fpu_kept[me] = fegetround() == modes[me];
	return NULL;
}

int do_preempt(void)
{
	pthread_t t[4];

	timer_in_loop();

	spawn(t, 2, spin_pingpong);
	join_all(t, 2, NULL);
	printf("preempt: two threads spinning on each other's flag took 10 turns\n");

	spawn(t, 1, sleep_then_flag);
	while (!atomic_load(&woke))
		;
	join_all(t, 1, NULL);
	printf("preempt: a sleeping thread woke and ran while the main thread spun\n");

	ok(pthread_barrier_init(&fpu_start, NULL, 4), "pthread_barrier_init");
	spawn(t, 4, fpu_work);
	join_all(t, 4, NULL);
	for (int i = 0; i < 4; i++)
		printf("preempt: thread %d (rounding mode %d) computed %.17g, its mode kept: %s\n",
		       i, i, fpu_result[i], yes(fpu_kept[i]));
	return 0;
}
