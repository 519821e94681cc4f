/*
 * test_watchdog.c: the watchdog's lock-free runs (vmm/watchdog.c), without
 * KVM (suite vmm): a run only marks its watch, the watchdog kicks an overdue
 * one (the kick sets immediate_exit of the kvm_run the thread registered),
 * kvmlet_cancel's watch_cancel reaches only a run in progress, and a watch
 * leaves the list with its sandbox. Here a "run" spins on a kvm_run of its
 * own until it is kicked, as KVM_RUN would return.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watchdog.h"

#define MS	1000000ull
#define THREADS 4
#define ROUNDS	30

/* Spin as a vCPU would until a kick sets immediate_exit, for at most limit ns
 * after t0 (when the run began: this thread may be preempted before it
 * spins); the time since t0, or 0 if no kick came. */
static uint64_t spin_until_kicked(struct kvm_run *run, uint64_t t0, uint64_t limit)
{
	while (!__atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST))
		if (watch_now_ns() - t0 > limit)
			return 0;
	return watch_now_ns() - t0;
}

struct runner {
	struct watch w;
	struct kvm_run run;
	uint64_t worst_ns;
	int missed, early;
};

/* Runs come and go quickly (no deadline), and every few a run with a short
 * deadline waits for its kick: a run that began while the watchdog scanned
 * must be seen all the same. */
static void *runner(void *arg)
{
	struct runner *r = arg;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < 200; i++) {
			watch_begin(&r->w, &r->run, 0);
			watch_end(&r->w);
		}
		uint64_t limit = (uint64_t)(1 + round % 5) * MS;
		r->run.immediate_exit = 0;
		uint64_t begin = watch_now_ns();
		watch_begin(&r->w, &r->run, begin + limit);
		uint64_t took = spin_until_kicked(&r->run, begin, 900 * MS);
		watch_end(&r->w);
		if (!took)
			r->missed++;
		else if (took + 100000 < limit) /* 0.1 ms for the clocks' reads */
			r->early++;
		if (took > r->worst_ns)
			r->worst_ns = took;
	}
	return NULL;
}

START_TEST(overdue_runs_are_kicked_among_busy_threads)
{
	struct runner *r = calloc(THREADS, sizeof(*r));
	pthread_t th[THREADS];
	struct kvmlet_error err;

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(watch_init(&err) == 0, "%s", err.msg);
	for (int i = 0; i < THREADS; i++) {
		watch_register(&r[i].w);
		ck_assert_int_eq(pthread_create(&th[i], NULL, runner, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		watch_unregister(&r[i].w);
		ck_assert_msg(r[i].missed == 0, "%d overdue runs were never kicked", r[i].missed);
		ck_assert_msg(r[i].early == 0, "%d runs were kicked before their deadline",
			      r[i].early);
		/* At most 5 ms of limit; the watchdog sleeps a second when it knows
		 * of no deadline, so a run it missed would show here. */
		ck_assert_msg(r[i].worst_ns < 400 * MS, "a run was kicked only after %llu ms",
			      (unsigned long long)(r[i].worst_ns / MS));
	}
	free(r);
}
END_TEST

struct cancel_target {
	struct watch w;
	struct kvm_run run;
	atomic_bool running, done;
	atomic_int round; /* the run in progress, counted from 1 */
	int cancelled_seen;
};

static void *cancel_victim(void *arg)
{
	struct cancel_target *t = arg;

	for (int i = 0; i < ROUNDS; i++) {
		t->run.immediate_exit = 0;
		watch_begin(&t->w, &t->run, 0);
		atomic_store(&t->round, i + 1);
		atomic_store(&t->running, true);
		if (spin_until_kicked(&t->run, watch_now_ns(), 2000 * MS) &&
		    atomic_load(&t->w.cancelled))
			t->cancelled_seen++;
		atomic_store(&t->running, false);
		watch_end(&t->w);
	}
	atomic_store(&t->done, true);
	return NULL;
}

START_TEST(cancel_reaches_only_a_run_in_progress)
{
	struct cancel_target *t = calloc(1, sizeof(*t));
	struct kvmlet_error err;
	pthread_t th;

	ck_assert_ptr_nonnull(t);
	ck_assert_msg(watch_init(&err) == 0, "%s", err.msg);
	watch_register(&t->w);
	ck_assert_msg(!watch_cancel(&t->w), "cancelled a watch with no run");
	ck_assert_int_eq(pthread_create(&th, NULL, cancel_victim, t), 0);
	int hits = 0, last = 0;
	/* As an application would: cancel each run once it is in progress (a
	 * storm of kicks would queue a signal each). */
	while (!atomic_load(&t->done)) {
		int round = atomic_load(&t->round);
		if (round != last && atomic_load(&t->running) && watch_cancel(&t->w)) {
			hits++;
			last = round;
		}
		sched_yield();
	}
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(!watch_cancel(&t->w), "cancelled a watch after its runs ended");
	watch_unregister(&t->w);
	/* Every run ended by a cancel (none timed out: no deadline, 2 s). */
	ck_assert_int_eq(t->cancelled_seen, ROUNDS);
	ck_assert_msg(hits == ROUNDS, "%d cancels hit for %d runs", hits, ROUNDS);
	free(t);
}
END_TEST

/* Watches come and go (sandboxes made and freed) while others are watched. */
START_TEST(watches_leave_the_list)
{
	struct watch *w = calloc(64, sizeof(*w));
	struct kvm_run run = {0};
	struct kvmlet_error err;

	ck_assert_ptr_nonnull(w);
	ck_assert_msg(watch_init(&err) == 0, "%s", err.msg);
	for (int i = 0; i < 64; i++)
		watch_register(&w[i]);
	for (int i = 0; i < 64; i += 2)
		watch_unregister(&w[i]);
	watch_begin(&w[63], &run, watch_now_ns() + 2 * MS);
	ck_assert_msg(spin_until_kicked(&run, watch_now_ns(), 900 * MS) != 0,
		      "a remaining watch was not kicked");
	watch_end(&w[63]);
	for (int i = 1; i < 64; i += 2)
		watch_unregister(&w[i]);
	memset(w, 0xa5, 64 * sizeof(*w)); /* the watchdog must not look at them any more */
	struct watch alone = {0};
	watch_register(&alone);
	run.immediate_exit = 0;
	watch_begin(&alone, &run, watch_now_ns() + 2 * MS);
	ck_assert_msg(spin_until_kicked(&run, watch_now_ns(), 900 * MS) != 0,
		      "the only watch was not kicked");
	watch_end(&alone);
	watch_unregister(&alone);
	free(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watchdog");
	TCase *tc = tcase_create("watchdog");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, overdue_runs_are_kicked_among_busy_threads);
	tcase_add_test(tc, cancel_reaches_only_a_run_in_progress);
	tcase_add_test(tc, watches_leave_the_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
