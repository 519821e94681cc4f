/*
 * lxthreads: a static program using POSIX threads (built with musl-gcc and
 * with glibc), run natively and under kvmlet by tests/cli/cli_linux.sh and
 * compared byte for byte. It prints only computed results, never anything
 * that depends on how threads interleave or on timing, so one CPU or many,
 * preemptive or cooperative, give the same output. argv[1] picks the mode:
 *   (none)     every check, in order (those of the synchronisation objects
 *              are in lxthreads_sync.c)
 *   mainexit   main calls pthread_exit while workers still run; the last
 *              one prints last and the process ends when it returns (status 0)
 *   exitgroup  a worker calls exit(7) while the other threads are blocked
 *   deadlock   two threads lock two mutexes in opposite order: hangs on
 *              Linux; under kvmlet (with --timeout) it must stop with an error
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lxthreads.h"

void ok(int err, const char *what)
{
	if (err) {
		printf("FAIL: %s: %s\n", what, strerror(err));
		exit(1);
	}
}

void expect(int cond, const char *what)
{
	if (!cond) {
		printf("FAIL: %s\n", what);
		exit(1);
	}
}

pid_t tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

const char *yes(int b)
{
	return b ? "yes" : "no";
}

void spawn(pthread_t *t, int n, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++)
		ok(pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i), "pthread_create");
}

void join_all(pthread_t *t, int n, intptr_t *res)
{
	for (int i = 0; i < n; i++) {
		void *r;

		ok(pthread_join(t[i], &r), "pthread_join");
		if (res)
			res[i] = (intptr_t)r;
	}
}

/* --- create and join, return values, a thread with its own stack size --- */

static void *sum_squares(void *arg)
{
	intptr_t n = 100 * ((intptr_t)arg + 1), s = 0;

	for (intptr_t k = 1; k <= n; k++) {
		s += k * k;
		if (k % 50 == 0)
			sched_yield();
	}
	return (void *)s;
}

static void do_join(void)
{
	pthread_t t[6], big;
	pthread_attr_t attr;
	intptr_t res[6], r;

	spawn(t, 6, sum_squares);
	join_all(t, 6, res);
	for (int i = 0; i < 6; i++)
		printf("join: thread %d returned %ld\n", i, (long)res[i]);
	ok(pthread_attr_init(&attr), "pthread_attr_init");
	ok(pthread_attr_setstacksize(&attr, 256 * 1024), "pthread_attr_setstacksize");
	ok(pthread_create(&big, &attr, sum_squares, (void *)9), "pthread_create (attr)");
	ok(pthread_join(big, (void **)&r), "pthread_join");
	ok(pthread_attr_destroy(&attr), "pthread_attr_destroy");
	printf("join: 256 KiB stack thread returned %ld\n", (long)r);
}

/* --- __thread variables and thread ids: six threads alive at once --- */

#define NTLS 6

static __thread int tls_val = 7;
static __thread char tls_name[16];
static pthread_barrier_t tls_bar;
static struct {
	int *addr;
	pid_t tid;
	int initial_ok, kept;
	pthread_t self;
} tls_seen[NTLS];

static void *tls_worker(void *arg)
{
	int me = (int)(intptr_t)arg, w;

	tls_seen[me].initial_ok = tls_val == 7 && tls_name[0] == 0;
	tls_val = 100 + me;
	snprintf(tls_name, sizeof(tls_name), "thread %d", me);
	for (int i = 0; i < 10; i++)
		sched_yield();
	tls_seen[me].addr = &tls_val;
	tls_seen[me].tid = tid();
	tls_seen[me].self = pthread_self();
	/* All are alive here at once: their addresses and ids must differ. */
	w = pthread_barrier_wait(&tls_bar);
	expect(w == 0 || w == PTHREAD_BARRIER_SERIAL_THREAD, "pthread_barrier_wait");
	for (int i = 0; i < 10; i++)
		sched_yield();
	tls_seen[me].kept = tls_val == 100 + me && tls_name[7] == '0' + me;
	return NULL;
}

static void do_tls(void)
{
	pthread_t t[NTLS];
	int initial = 1, kept = 1, addrs = 1, tids = 1, selves = 1, pid_tid;

	tls_val = 1;
	pid_tid = tid() == getpid();
	ok(pthread_barrier_init(&tls_bar, NULL, NTLS), "pthread_barrier_init");
	spawn(t, NTLS, tls_worker);
	join_all(t, NTLS, NULL);
	for (int i = 0; i < NTLS; i++) {
		initial &= tls_seen[i].initial_ok;
		kept &= tls_seen[i].kept;
		addrs &= tls_seen[i].addr != &tls_val;
		tids &= tls_seen[i].tid > 0 && tls_seen[i].tid != getpid();
		selves &= !pthread_equal(tls_seen[i].self, pthread_self());
		for (int j = 0; j < i; j++) {
			addrs &= tls_seen[i].addr != tls_seen[j].addr;
			tids &= tls_seen[i].tid != tls_seen[j].tid;
			selves &= !pthread_equal(tls_seen[i].self, tls_seen[j].self);
		}
	}
	printf("tls: initial values in each thread: %s, kept across yields: %s\n", yes(initial),
	       yes(kept));
	printf("tls: %d distinct addresses: %s, main's still 1: %s\n", NTLS, yes(addrs),
	       yes(tls_val == 1));
	printf("tid: main's gettid() == getpid(): %s\n", yes(pid_tid));
	printf("tid: %d threads' gettid() distinct, != getpid(): %s; pthread_self distinct: %s\n",
	       NTLS, yes(tids), yes(selves));
	ok(pthread_barrier_destroy(&tls_bar), "pthread_barrier_destroy");
}

/* --- detached threads signal completion with a semaphore --- */

static sem_t done_sem;
static long detached_result[2];

static void *detached_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	long a = 0, b = 1;

	for (int i = 0; i < 60 + me; i++) {
		long c = (a + b) % 1000000007;

		a = b;
		b = c;
		if (i % 10 == 0)
			sched_yield();
	}
	detached_result[me] = a;
	ok(sem_post(&done_sem), "sem_post");
	return NULL;
}

static void do_detached(void)
{
	pthread_attr_t attr;
	pthread_t t;

	expect(sem_init(&done_sem, 0, 0) == 0, "sem_init");
	ok(pthread_attr_init(&attr), "pthread_attr_init");
	ok(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), "setdetachstate");
	ok(pthread_create(&t, &attr, detached_worker, (void *)0), "pthread_create (detached)");
	ok(pthread_attr_destroy(&attr), "pthread_attr_destroy");
	ok(pthread_create(&t, NULL, detached_worker, (void *)1), "pthread_create");
	ok(pthread_detach(t), "pthread_detach");
	for (int i = 0; i < 2; i++)
		while (sem_wait(&done_sem))
			expect(errno == EINTR, "sem_wait");
	printf("detached: fib(60) mod p %ld, fib(61) mod p %ld\n", detached_result[0],
	       detached_result[1]);
	expect(sem_destroy(&done_sem) == 0, "sem_destroy");
}

/* --- pthread_exit from a nested call: cleanup handlers, key destructors --- */

static pthread_key_t key;
static char cleanup_order[8];
static int cleanup_len, key_destroyed;
static intptr_t key_value;

static void cleanup(void *arg)
{
	cleanup_order[cleanup_len++] = (char)(intptr_t)arg;
}

static void key_destructor(void *v)
{
	key_destroyed++;
	key_value = (intptr_t)v;
}

static void leave(int v)
{
	pthread_exit((void *)(intptr_t)v);
}

static void *exiter(void *arg)
{
	ok(pthread_setspecific(key, (void *)5), "pthread_setspecific");
	pthread_cleanup_push(cleanup, (void *)'1');
	pthread_cleanup_push(cleanup, (void *)'2');
	sched_yield();
	if (arg == NULL)
		leave(77);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

static void do_exit(void)
{
	pthread_t t;
	void *r;

	ok(pthread_key_create(&key, key_destructor), "pthread_key_create");
	ok(pthread_create(&t, NULL, exiter, NULL), "pthread_create");
	ok(pthread_join(t, &r), "pthread_join");
	printf("pthread_exit: joined %ld, cleanup order %s, key destructor %d time(s) got %ld\n",
	       (long)(intptr_t)r, cleanup_order, key_destroyed, (long)key_value);
	ok(pthread_key_delete(key), "pthread_key_delete");
}

/* --- 200 threads one after another, then 10 rounds of 20 at once --- */

static void *many_worker(void *arg)
{
	intptr_t i = (intptr_t)arg;

	if (tid() == getpid())
		return (void *)-1;
	if (i % 3 == 0)
		sched_yield();
	return (void *)(i * 3 + 1);
}

static void do_many(void)
{
	pthread_t t[20];
	intptr_t res[20];
	long seq = 0, batch = 0;

	for (intptr_t i = 0; i < 200; i++) {
		void *r;

		ok(pthread_create(&t[0], NULL, many_worker, (void *)i), "pthread_create");
		ok(pthread_join(t[0], &r), "pthread_join");
		seq += (intptr_t)r;
	}
	for (int round = 0; round < 10; round++) {
		spawn(t, 20, many_worker);
		join_all(t, 20, res);
		for (int i = 0; i < 20; i++)
			batch += res[i];
	}
	printf("many: 200 in sequence sum %ld, 10 x 20 at once sum %ld\n", seq, batch);
}

/* --- mainexit: main leaves first, the workers finish, the last prints last --- */

static sem_t main_gone, first_done;
static pthread_t first;

static void *late_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	struct timespec d = {0, 5 * 1000000};

	while (sem_wait(me ? &first_done : &main_gone))
		expect(errno == EINTR, "sem_wait");
	expect(nanosleep(&d, NULL) == 0, "nanosleep");
	if (me)
		ok(pthread_join(first, NULL), "pthread_join (by a worker)");
	printf("worker %d: main has exited%s\n", me, me ? "; the last thread returns" : "");
	fflush(stdout);
	if (!me)
		ok(sem_post(&first_done) ? errno : 0, "sem_post");
	return NULL;
}

static int do_mainexit(void)
{
	pthread_t second;

	expect(sem_init(&main_gone, 0, 0) == 0 && sem_init(&first_done, 0, 0) == 0, "sem_init");
	ok(pthread_create(&first, NULL, late_worker, (void *)0), "pthread_create");
	ok(pthread_create(&second, NULL, late_worker, (void *)1), "pthread_create");
	printf("main: calling pthread_exit with 2 workers running\n");
	fflush(stdout);
	ok(sem_post(&main_gone) ? errno : 0, "sem_post");
	pthread_exit(NULL);
}

/* --- exitgroup: exit() in a worker ends the process, blocked threads and all --- */

static sem_t never;

static void *blocked(void *arg)
{
	(void)arg;
	while (sem_wait(&never))
		expect(errno == EINTR, "sem_wait");
	printf("FAIL: a semaphore nobody posts was taken\n");
	return NULL;
}

static void *exit_worker(void *arg)
{
	(void)arg;
	sched_yield();
	printf("exitgroup: a worker calls exit(7) while main waits to join a blocked thread\n");
	exit(7);
}

static int do_exitgroup(void)
{
	pthread_t b, e;

	expect(sem_init(&never, 0, 0) == 0, "sem_init");
	ok(pthread_create(&b, NULL, blocked, NULL), "pthread_create");
	ok(pthread_create(&e, NULL, exit_worker, NULL), "pthread_create");
	ok(pthread_join(b, NULL), "pthread_join");
	printf("FAIL: joined a thread blocked forever\n");
	return 1;
}

/* --- deadlock: each of two threads holds the mutex the other one wants --- */

static pthread_mutex_t dl[2] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t dl_bar;

static void *dl_worker(void *arg)
{
	int me = (int)(intptr_t)arg;

	ok(pthread_mutex_lock(&dl[me]), "lock");
	pthread_barrier_wait(&dl_bar);
	ok(pthread_mutex_lock(&dl[!me]), "lock");
	printf("FAIL: thread %d took both mutexes\n", me);
	return NULL;
}

static int do_deadlock(void)
{
	pthread_t t[2];

	ok(pthread_barrier_init(&dl_bar, NULL, 2), "pthread_barrier_init");
	printf("deadlock: two threads lock two mutexes in opposite order\n");
	fflush(stdout);
	spawn(t, 2, dl_worker);
	join_all(t, 2, NULL);
	printf("FAIL: joined two deadlocked threads\n");
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "mainexit"))
		return do_mainexit();
	if (!strcmp(mode, "exitgroup"))
		return do_exitgroup();
	if (!strcmp(mode, "deadlock"))
		return do_deadlock();
	if (!strcmp(mode, "preempt"))
		return do_preempt();
	if (*mode) {
		fprintf(stderr, "usage: lxthreads [mainexit|exitgroup|deadlock|preempt]\n");
		return 2;
	}
	do_join();
	sync_counter();
	sync_queue();
	sync_pingpong();
	sync_broadcast();
	sync_barrier();
	sync_once();
	do_tls();
	do_detached();
	sync_timedwait();
	sync_sleep();
	sync_rwlock();
	sync_pipe();
	do_exit();
	do_many();
	printf("done\n");
	return 0;
}
