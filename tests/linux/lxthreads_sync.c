/*
 * lxthreads_sync.c: lxthreads' checks of the synchronisation objects: a
 * mutex, condition variables, a barrier, pthread_once, a reader-writer lock,
 * timed waits and sleeps. Each prints only what it computed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lxthreads.h"

/* --- a mutex-protected counter: 8 threads x 10000, yields inside and out --- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++) {
		ok(pthread_mutex_lock(&count_lock), "pthread_mutex_lock");
		long v = counter;

		/* A yield holding the lock: the others block on it (futex wait). */
		if (i % 1000 == 7)
			sched_yield();
		counter = v + 1;
		ok(pthread_mutex_unlock(&count_lock), "pthread_mutex_unlock");
		if (i % 100 == 0)
			sched_yield();
	}
	return NULL;
}

void sync_counter(void)
{
	pthread_t t[8];

	spawn(t, 8, count_up);
	join_all(t, 8, NULL);
	printf("mutex: counter %ld (8 x 10000)\n", counter);
}

/* --- a bounded buffer: 3 producers, 2 consumers, two condition variables --- */

#define QCAP  4
#define NPROD 3
#define NITEM 500

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	int buf[QCAP], head, len;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .not_full = PTHREAD_COND_INITIALIZER,
       .not_empty = PTHREAD_COND_INITIALIZER};

struct consumed {
	long sum, count, weighted;
	int in_order;
};

static void q_put(int v)
{
	ok(pthread_mutex_lock(&q.lock), "lock");
	while (q.len == QCAP)
		ok(pthread_cond_wait(&q.not_full, &q.lock), "pthread_cond_wait");
	q.buf[(q.head + q.len++) % QCAP] = v;
	ok(pthread_cond_signal(&q.not_empty), "pthread_cond_signal");
	ok(pthread_mutex_unlock(&q.lock), "unlock");
}

static int q_get(void)
{
	int v;

	ok(pthread_mutex_lock(&q.lock), "lock");
	while (q.len == 0)
		ok(pthread_cond_wait(&q.not_empty, &q.lock), "pthread_cond_wait");
	v = q.buf[q.head];
	q.head = (q.head + 1) % QCAP;
	q.len--;
	ok(pthread_cond_signal(&q.not_full), "pthread_cond_signal");
	ok(pthread_mutex_unlock(&q.lock), "unlock");
	return v;
}

static void *producer(void *arg)
{
	int p = (int)(intptr_t)arg;

	for (int k = 0; k < NITEM; k++) {
		q_put(p * 1000 + k);
		if (k % 7 == p)
			sched_yield();
	}
	return NULL;
}

/* Each consumer sees each producer's items in the order they were put. */
static void *consumer(void *arg)
{
	struct consumed *c = arg;
	int last[NPROD] = {-1, -1, -1}, v;

	c->in_order = 1;
	while ((v = q_get()) >= 0) {
		c->sum += v;
		c->weighted += (long)(v % 1000 + 1) * (v / 1000 + 1);
		c->count++;
		if (v % 1000 <= last[v / 1000])
			c->in_order = 0;
		last[v / 1000] = v % 1000;
	}
	return NULL;
}

void sync_queue(void)
{
	pthread_t prod[NPROD], cons[2];
	struct consumed c[2] = {{0}};

	for (int i = 0; i < 2; i++)
		ok(pthread_create(&cons[i], NULL, consumer, &c[i]), "pthread_create");
	spawn(prod, NPROD, producer);
	join_all(prod, NPROD, NULL);
	q_put(-1);
	q_put(-1);
	join_all(cons, 2, NULL);
	printf("queue: %ld items, sum %ld, weighted %ld, in order per producer: %s\n",
	       c[0].count + c[1].count, c[0].sum + c[1].sum, c[0].weighted + c[1].weighted,
	       yes(c[0].in_order && c[1].in_order));
}

/* --- ping-pong: two threads alternate strictly through one condition variable --- */

static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static char pp_log[41];
static int pp_turn, pp_len;

static void *pinger(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int i = 0; i < 20; i++) {
		ok(pthread_mutex_lock(&pp_lock), "lock");
		while (pp_turn != me)
			ok(pthread_cond_wait(&pp_cond, &pp_lock), "pthread_cond_wait");
		pp_log[pp_len++] = me ? 'b' : 'a';
		pp_turn = !me;
		ok(pthread_cond_broadcast(&pp_cond), "pthread_cond_broadcast");
		ok(pthread_mutex_unlock(&pp_lock), "unlock");
	}
	return NULL;
}

void sync_pingpong(void)
{
	pthread_t t[2];

	/* The second starts first: it must wait for the first's turn. */
	ok(pthread_create(&t[1], NULL, pinger, (void *)1), "pthread_create");
	ok(pthread_create(&t[0], NULL, pinger, (void *)0), "pthread_create");
	join_all(t, 2, NULL);
	printf("cond: ping-pong %s\n", pp_log);
}

/* --- broadcast: six waiters released at once --- */

static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go, gone, waiting;

static void *go_waiter(void *arg)
{
	(void)arg;
	ok(pthread_mutex_lock(&go_lock), "lock");
	waiting++;
	while (!go)
		ok(pthread_cond_wait(&go_cond, &go_lock), "pthread_cond_wait");
	gone++;
	ok(pthread_mutex_unlock(&go_lock), "unlock");
	return NULL;
}

void sync_broadcast(void)
{
	pthread_t t[6];
	int all;

	spawn(t, 6, go_waiter);
	/* Wait until all six wait, so the broadcast (FUTEX_REQUEUE in musl) wakes them. */
	do {
		sched_yield();
		ok(pthread_mutex_lock(&go_lock), "lock");
		all = waiting == 6;
		ok(pthread_mutex_unlock(&go_lock), "unlock");
	} while (!all);
	ok(pthread_mutex_lock(&go_lock), "lock");
	go = 1;
	ok(pthread_cond_broadcast(&go_cond), "pthread_cond_broadcast");
	ok(pthread_mutex_unlock(&go_lock), "unlock");
	join_all(t, 6, NULL);
	printf("cond: broadcast released %d of 6\n", gone);
}

/* --- a barrier, three rounds: everyone sees everyone's write --- */

#define NBAR 5

static pthread_barrier_t bar;
static int bar_slot[NBAR], bar_seen[3][NBAR], bar_serial;

static void *bar_worker(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int r = 0; r < 3; r++) {
		int s = 0, w;

		bar_slot[me] = (me + 1) * 10 + r;
		w = pthread_barrier_wait(&bar);
		expect(w == 0 || w == PTHREAD_BARRIER_SERIAL_THREAD, "pthread_barrier_wait");
		if (w)
			__atomic_fetch_add(&bar_serial, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < NBAR; i++)
			s += bar_slot[i];
		bar_seen[r][me] = s;
		/* Nobody writes the next round's value before everyone has read. */
		w = pthread_barrier_wait(&bar);
		if (w == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&bar_serial, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

void sync_barrier(void)
{
	pthread_t t[NBAR];

	ok(pthread_barrier_init(&bar, NULL, NBAR), "pthread_barrier_init");
	spawn(t, NBAR, bar_worker);
	join_all(t, NBAR, NULL);
	for (int r = 0; r < 3; r++) {
		int agree = 1;

		for (int i = 1; i < NBAR; i++)
			agree &= bar_seen[r][i] == bar_seen[r][0];
		printf("barrier: round %d sum %d, all %d agree: %s\n", r, bar_seen[r][0], NBAR,
		       yes(agree));
	}
	printf("barrier: %d serial of %d waits\n", bar_serial, 6 * NBAR);
	ok(pthread_barrier_destroy(&bar), "pthread_barrier_destroy");
}

/* --- pthread_once: the others wait while the one running init yields --- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs, once_value;

static void once_init(void)
{
	once_runs++;
	for (int i = 0; i < 5; i++)
		sched_yield();
	once_value = 42;
}

static void *once_worker(void *arg)
{
	(void)arg;
	ok(pthread_once(&once, once_init), "pthread_once");
	return (void *)(intptr_t)once_value;
}

void sync_once(void)
{
	pthread_t t[8];
	intptr_t res[8];
	int all = 1;

	spawn(t, 8, once_worker);
	join_all(t, 8, res);
	for (int i = 0; i < 8; i++)
		all &= res[i] == 42;
	printf("once: init ran %d time(s), all 8 saw 42: %s\n", once_runs, yes(all));
}

/* --- pthread_cond_timedwait times out, never early, while another thread yields --- */

static int timed_done;

static int timed_wait_once(clockid_t clock)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_condattr_t ca;
	pthread_cond_t c;
	struct timespec deadline, now;
	int r;

	ok(pthread_condattr_init(&ca), "pthread_condattr_init");
	ok(pthread_condattr_setclock(&ca, clock), "pthread_condattr_setclock");
	ok(pthread_cond_init(&c, &ca), "pthread_cond_init");
	clock_gettime(clock, &deadline);
	deadline.tv_nsec += 20 * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	ok(pthread_mutex_lock(&m), "lock");
	do
		r = pthread_cond_timedwait(&c, &m, &deadline);
	while (r == 0); /* (a spurious wake-up) */
	ok(pthread_mutex_unlock(&m), "unlock");
	clock_gettime(clock, &now);
	printf("timedwait (%s): %s, not early: %s\n",
	       clock == CLOCK_MONOTONIC ? "monotonic" : "realtime",
	       r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r),
	       yes(now.tv_sec > deadline.tv_sec ||
		   (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)));
	ok(pthread_cond_destroy(&c), "pthread_cond_destroy");
	ok(pthread_condattr_destroy(&ca), "pthread_condattr_destroy");
	return r;
}

static void *timed_waiter(void *arg)
{
	(void)arg;
	timed_wait_once(CLOCK_REALTIME);
	timed_wait_once(CLOCK_MONOTONIC);
	__atomic_store_n(&timed_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Threads that only yield (two of them, so that one can always run): the
 * waiter's timeout must still come. */
static void *yielder(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&timed_done, __ATOMIC_SEQ_CST))
		sched_yield();
	return NULL;
}

void sync_timedwait(void)
{
	pthread_t t[3];

	ok(pthread_create(&t[0], NULL, timed_waiter, NULL), "pthread_create");
	ok(pthread_create(&t[1], NULL, yielder, NULL), "pthread_create");
	ok(pthread_create(&t[2], NULL, yielder, NULL), "pthread_create");
	join_all(t, 3, NULL);
}

/* --- nanosleep in threads: each sleeps 5 x 2 ms --- */

static int slept[3], slept_enough[3];

static void *sleeper(void *arg)
{
	int me = (int)(intptr_t)arg;
	struct timespec start, end, d = {0, 2 * 1000000};

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 5; i++) {
		struct timespec rem;

		expect(nanosleep(&d, &rem) == 0, "nanosleep");
		slept[me]++;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	slept_enough[me] =
		(end.tv_sec - start.tv_sec) * 1000000000L + (end.tv_nsec - start.tv_nsec) >=
		10 * 1000000L;
	return NULL;
}

void sync_sleep(void)
{
	pthread_t t[3];

	spawn(t, 3, sleeper);
	join_all(t, 3, NULL);
	printf("nanosleep: %d sleeps in 3 threads, each at least 10 ms: %s\n",
	       slept[0] + slept[1] + slept[2],
	       yes(slept_enough[0] && slept_enough[1] && slept_enough[2]));
}

/* --- a reader-writer lock: readers never see a half-done write --- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b;
static int rw_torn;

static void *rw_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 300; i++) {
		ok(pthread_rwlock_wrlock(&rw), "pthread_rwlock_wrlock");
		rw_a++;
		if (i % 10 == 0)
			sched_yield();
		rw_b++;
		ok(pthread_rwlock_unlock(&rw), "pthread_rwlock_unlock");
	}
	return NULL;
}

static void *rw_reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 300; i++) {
		ok(pthread_rwlock_rdlock(&rw), "pthread_rwlock_rdlock");
		if (rw_a != rw_b)
			__atomic_store_n(&rw_torn, 1, __ATOMIC_SEQ_CST);
		if (i % 10 == 0)
			sched_yield();
		ok(pthread_rwlock_unlock(&rw), "pthread_rwlock_unlock");
	}
	return NULL;
}

void sync_rwlock(void)
{
	pthread_t t[6];

	for (int i = 0; i < 6; i++)
		ok(pthread_create(&t[i], NULL, i < 2 ? rw_writer : rw_reader, NULL),
		   "pthread_create");
	join_all(t, 6, NULL);
	printf("rwlock: %ld writes, readers saw a torn write: %s\n", rw_a, yes(rw_torn));
}

/* --- a pipe and an eventfd between threads: blocking reads and poll --- */

static int pipe_fds[2], efd;

static void *pipe_reader(void *arg)
{
	long sum = 0;
	unsigned char c;

	(void)arg;
	for (int i = 0; i < 100; i++) { /* the pipe is empty each time: the read waits */
		expect(read(pipe_fds[0], &c, 1) == 1, "read from the pipe");
		sum += c;
	}
	struct pollfd p = {.fd = efd, .events = POLLIN};
	expect(poll(&p, 1, -1) == 1 && (p.revents & POLLIN), "poll of the eventfd");
	uint64_t v;
	expect(read(efd, &v, 8) == 8, "read of the eventfd");
	return (void *)(intptr_t)(sum * 1000 + (long)v);
}

void sync_pipe(void)
{
	pthread_t t;
	intptr_t r;

	expect(pipe(pipe_fds) == 0, "pipe");
	expect((efd = eventfd(0, 0)) >= 0, "eventfd");
	ok(pthread_create(&t, NULL, pipe_reader, NULL), "pthread_create");
	for (int i = 0; i < 100; i++) {
		unsigned char c = (unsigned char)i;
		sched_yield(); /* the reader waits on the empty pipe */
		expect(write(pipe_fds[1], &c, 1) == 1, "write to the pipe");
	}
	for (int i = 0; i < 3; i++)
		sched_yield(); /* the reader waits in poll */
	uint64_t seven = 7;
	expect(write(efd, &seven, 8) == 8, "write of the eventfd");
	join_all(&t, 1, &r);
	printf("pipe: 100 blocking reads summed %ld, eventfd after poll gave %ld\n",
	       (long)(r / 1000), (long)(r % 1000));
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	close(efd);
}
