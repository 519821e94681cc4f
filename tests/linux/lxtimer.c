/*
 * lxtimer.c: `lxtest ptimers`: POSIX timers (timer_create, timer_settime,
 * timer_gettime, timer_getoverrun, timer_delete), compared with Linux: a
 * signal with SI_TIMER's siginfo (the timer's id, sigev_value, overruns),
 * periodic timers, SIGEV_NONE counting down, the default sigevent
 * (SIGALRM, the id as value), one thread as target (SIGEV_THREAD_ID), libc's
 * SIGEV_THREAD, absolute times on two clocks, a deleted timer's pending
 * signal dropped, and the argument rules (raw system calls).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t fired, code, value, overrun, tid_ok;
static volatile int handler_tid;
static timer_t want;

/* glibc and musl name siginfo's timer fields differently: read them raw. */
struct timer_info {
	int signo, errno_, code, pad, timer, overrun;
	long value;
};

/* The kernel's struct sigevent, for raw system calls (libc's hides the
 * thread of SIGEV_THREAD_ID under different names). */
struct kernel_sigevent {
	long value;
	int signo, notify, tid, pad[11];
};

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	const struct timer_info *t = (const void *)si;

	(void)sig, (void)uc;
	fired++;
	code = si->si_code;
	value = (sig_atomic_t)t->value;
	overrun = t->overrun;
	tid_ok = (long)t->timer == (long)(intptr_t)want || want == (timer_t)0;
	handler_tid = (int)syscall(SYS_gettid);
}

static void handle(int sig)
{
	struct sigaction sa = {.sa_sigaction = on_timer, .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static const char *err(long r)
{
	return r < 0 ? strerror(errno) : "ok";
}

static long raw(long nr, long a, long b, long c, long d)
{
	return syscall(nr, a, b, c, d);
}

static void wait_fired(int n)
{
	sigset_t none;

	sigemptyset(&none);
	while (fired < n)
		sigsuspend(&none);
}

/* One shot with a value, then periodic: SI_TIMER, the value, the id. */
static void basic(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	struct itimerspec its = {.it_value = {0, 20 * 1000000}}, cur;
	timer_t t;

	handle(SIGUSR1);
	ev.sigev_value.sival_int = 77;
	printf("timer_create: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &t)));
	want = t;
	timer_gettime(t, &cur);
	printf("disarmed: %ld %ld %ld %ld\n", (long)cur.it_interval.tv_sec,
	       cur.it_interval.tv_nsec, (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	printf("timer_settime 20 ms: %s\n", err(timer_settime(t, 0, &its, NULL)));
	wait_fired(1);
	printf("fired %d: code %s, value %d, timer id %s, overrun %d\n", (int)fired,
	       code == SI_TIMER ? "SI_TIMER" : "other", (int)value, tid_ok ? "right" : "wrong",
	       (int)overrun);
	timer_gettime(t, &cur);
	printf("after a one-shot: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	fired = 0;
	its.it_interval.tv_nsec = 10 * 1000000;
	its.it_value.tv_nsec = 10 * 1000000;
	timer_settime(t, 0, &its, NULL);
	wait_fired(3);
	timer_gettime(t, &cur);
	printf("periodic 10 ms, 3 signals: interval %ld ns, next within it %d\n",
	       cur.it_interval.tv_nsec,
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
		       cur.it_value.tv_nsec <= 10 * 1000000);
	struct itimerspec off = {0}, old;
	timer_settime(t, 0, &off, &old);
	printf("disarmed, old interval %ld ns\n", old.it_interval.tv_nsec);
	printf("timer_delete: %s", err(timer_delete(t)));
	/* (musl's timer_delete returns the error without setting errno; a
	 * SIGEV_SIGNAL timer_t is the kernel's id in both libcs.) */
	printf(", again: %s\n", err(raw(SYS_timer_delete, (long)(intptr_t)t, 0, 0, 0)));
}

/* SIGEV_NONE counts down and sends nothing; the default sigevent is
 * SIGALRM with the id as its value; absolute times on two clocks. */
static void quiet_and_default(void)
{
	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	struct itimerspec its = {.it_value = {1, 0}}, cur;
	struct timespec now;
	timer_t t;
	sigset_t set;
	siginfo_t si;
	int d = -1;

	timer_create(CLOCK_MONOTONIC, &none, &t);
	timer_settime(t, 0, &its, NULL);
	timer_gettime(t, &cur);
	printf("SIGEV_NONE counts down: %d\n",
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 500 * 1000000);
	its = (struct itimerspec){.it_value = {0, 1000000}, .it_interval = {0, 1000000}};
	timer_settime(t, 0, &its, NULL);
	usleep(20 * 1000);
	timer_gettime(t, &cur);
	printf("SIGEV_NONE periodic 1 ms after 20 ms: next within 1 ms %d\n",
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 1000000);
	timer_delete(t);

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raw(SYS_timer_create, CLOCK_REALTIME, 0, (long)&d, 0); /* libc would fill the sigevent */
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_nsec += 10 * 1000000;
	if (now.tv_nsec >= 1000000000)
		now.tv_sec++, now.tv_nsec -= 1000000000;
	its = (struct itimerspec){.it_value = now};
	printf("realtime, absolute: %s\n",
	       err(raw(SYS_timer_settime, d, TIMER_ABSTIME, (long)&its, 0)));
	int s = sigwaitinfo(&set, &si);
	const struct timer_info *ti = (const void *)&si;
	printf("default sigevent: signal %s, code %s, value is the id %d\n",
	       s == SIGALRM ? "SIGALRM" : "other", si.si_code == SI_TIMER ? "SI_TIMER" : "other",
	       ti->value == d && ti->timer == d);
	clock_gettime(CLOCK_MONOTONIC, &now);
	its = (struct itimerspec){.it_value = now}; /* already past: at once */
	raw(SYS_timer_settime, d, TIMER_ABSTIME, (long)&its, 0);
	s = sigwaitinfo(&set, &si);
	printf("monotonic, absolute, in the past: signal %s\n", s == SIGALRM ? "SIGALRM" : "other");
	raw(SYS_timer_delete, d, 0, 0, 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* A blocked signal: the timer counts overruns. (What becomes of a deleted
 * timer's pending signal depends on the kernel's version: not compared.) */
static void overruns(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	struct itimerspec its = {.it_value = {0, 2000000}, .it_interval = {0, 2000000}};
	sigset_t set, pend;
	siginfo_t si;
	timer_t t;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	timer_create(CLOCK_MONOTONIC, &ev, &t);
	timer_settime(t, 0, &its, NULL);
	usleep(50 * 1000);
	int s = sigwaitinfo(&set, &si);
	const struct timer_info *ti = (const void *)&si;
	int got = timer_getoverrun(t);
	printf("blocked 50 ms, periodic 2 ms: signal %d, overrun >= 5 %d, getoverrun the same %d\n",
	       s == SIGUSR2, ti->overrun >= 5, got == ti->overrun);
	/* A new timer, the old one's signal taken if it came again meanwhile. */
	timer_delete(t);
	sigtimedwait(&set, &si, &(struct timespec){0, 0});
	timer_create(CLOCK_MONOTONIC, &ev, &t);
	its = (struct itimerspec){.it_value = {0, 1000000}};
	timer_settime(t, 0, &its, NULL);
	usleep(20 * 1000);
	sigpending(&pend);
	printf("a one-shot, blocked: pending %d", sigismember(&pend, SIGUSR2));
	s = sigwaitinfo(&set, &si);
	printf(", taken %d, overrun %d\n", s == SIGUSR2, ti->overrun);
	timer_delete(t);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* SIGEV_THREAD_ID: the signal goes to that thread. */
static sem_t ready, done;
static volatile int worker_tid;

static void *worker(void *arg)
{
	(void)arg;
	worker_tid = (int)syscall(SYS_gettid);
	sem_post(&ready);
	while (!fired)
		sched_yield();
	sem_post(&done);
	return NULL;
}

static void thread_target(void)
{
	struct kernel_sigevent ev = {.value = 5, .signo = SIGUSR1, .notify = 4 /* SIGEV_THREAD_ID */};
	struct itimerspec its = {.it_value = {0, 5 * 1000000}};
	pthread_t w;
	int id = -1;

	sem_init(&ready, 0, 0);
	sem_init(&done, 0, 0);
	fired = 0;
	want = 0;
	pthread_create(&w, NULL, worker, NULL);
	sem_wait(&ready);
	ev.tid = worker_tid;
	long r = raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&ev, (long)&id, 0);
	printf("SIGEV_THREAD_ID: %s", err(r));
	raw(SYS_timer_settime, id, 0, (long)&its, 0);
	sem_wait(&done);
	pthread_join(w, NULL);
	printf(", value %d, ran on that thread %d\n", (int)value, handler_tid == worker_tid);
	raw(SYS_timer_delete, id, 0, 0, 0);
	ev.tid = 999999;
	errno = 0;
	printf("SIGEV_THREAD_ID, no such thread: %s\n",
	       err(raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&ev, (long)&id, 0)));
}

/* libc's SIGEV_THREAD: a function called on a thread of libc's. */
static sem_t notified;
static volatile int notified_value;

static void notify(union sigval v)
{
	notified_value = v.sival_int;
	sem_post(&notified);
}

static void libc_thread(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify};
	struct itimerspec its = {.it_value = {0, 5 * 1000000}};
	timer_t t;

	sem_init(&notified, 0, 0);
	ev.sigev_value.sival_int = 41;
	printf("SIGEV_THREAD: %s", err(timer_create(CLOCK_MONOTONIC, &ev, &t)));
	timer_settime(t, 0, &its, NULL);
	sem_wait(&notified);
	printf(", the function ran with %d\n", notified_value);
	timer_delete(t);
}

/* The argument rules, as raw system calls. */
static void rules(void)
{
	struct itimerspec its = {.it_value = {0, 1000000000}};
	struct kernel_sigevent ev = {.signo = SIGUSR1, .notify = SIGEV_SIGNAL};
	int id;

	errno = 0;
	printf("clock 99: %s\n", err(raw(SYS_timer_create, 99, 0, (long)&id, 0)));
	printf("bad sigevent pointer: %s\n", err(raw(SYS_timer_create, 1, 8, (long)&id, 0)));
	ev.signo = 0;
	printf("signal 0: %s\n", err(raw(SYS_timer_create, 1, (long)&ev, (long)&id, 0)));
	ev.signo = 65;
	printf("signal 65: %s\n", err(raw(SYS_timer_create, 1, (long)&ev, (long)&id, 0)));
	ev.signo = SIGUSR1;
	ev.notify = 7;
	printf("notify 7: %s\n", err(raw(SYS_timer_create, 1, (long)&ev, (long)&id, 0)));
	ev.notify = SIGEV_NONE;
	printf("bad id pointer: %s\n", err(raw(SYS_timer_create, 1, (long)&ev, 8, 0)));
	printf("create: %s\n", err(raw(SYS_timer_create, 1, (long)&ev, (long)&id, 0)));
	printf("settime NULL: %s\n", err(raw(SYS_timer_settime, id, 0, 0, 0)));
	printf("settime bad pointer: %s\n", err(raw(SYS_timer_settime, id, 0, 8, 0)));
	printf("settime 1e9 ns: %s\n", err(raw(SYS_timer_settime, id, 0, (long)&its, 0)));
	its.it_value.tv_nsec = -1;
	printf("settime -1 ns: %s\n", err(raw(SYS_timer_settime, id, 0, (long)&its, 0)));
	printf("gettime NULL: %s\n", err(raw(SYS_timer_gettime, id, 0, 0, 0)));
	printf("getoverrun: %ld\n", raw(SYS_timer_getoverrun, id, 0, 0, 0));
	printf("delete: %s\n", err(raw(SYS_timer_delete, id, 0, 0, 0)));
	printf("settime, deleted: %s\n", err(raw(SYS_timer_settime, id, 0, (long)&its, 0)));
	printf("gettime, deleted: %s\n", err(raw(SYS_timer_gettime, id, (long)&its, 0, 0)));
	printf("getoverrun, deleted: %s\n", err(raw(SYS_timer_getoverrun, id, 0, 0, 0)));
	printf("delete -1: %s\n", err(raw(SYS_timer_delete, -1, 0, 0, 0)));
}

/* `lxtest ptimerfresh`: no timer is left from an earlier run (kvmlet run
 * --repeat: a reset disarms them), then one left armed at exit. */
int do_ptimer_fresh(void)
{
	struct itimerspec its = {.it_value = {0, 1000000}, .it_interval = {0, 1000000}}, cur;
	struct kernel_sigevent ev = {.signo = SIGUSR1, .notify = SIGEV_SIGNAL};
	int id = -1;

	signal(SIGUSR1, SIG_IGN);
	printf("timer 0 before: %s\n", err(raw(SYS_timer_gettime, 0, (long)&cur, 0, 0)));
	const char *made = err(raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&ev, (long)&id, 0));
	printf("timer_create: %s, id %d\n", made, id);
	printf("armed: %s\n", err(raw(SYS_timer_settime, id, 0, (long)&its, 0)));
	return 0;
}

static volatile sig_atomic_t spun;

static void count_alarm(int s)
{
	static const char line[] = "20 alarms came to a loop with no system call\n";

	(void)s;
	if ((spun = spun + 1) == 20)
		(void)write(1, line, sizeof(line) - 1);
}

/* spin: a 1 ms periodic SIGALRM, counted, and a loop with no system call
 * that never ends (tests/kvm/test_linux.c ends it with its time limit). */
int do_spin(void)
{
	struct sigaction sa = {.sa_handler = count_alarm};
	struct itimerval every = {.it_interval = {0, 1000}, .it_value = {0, 1000}};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &every, NULL))
		return 1;
	for (;;)
		;
}

int do_ptimers(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	basic();
	quiet_and_default();
	overruns();
	thread_target();
	libc_thread();
	rules();
	return 0;
}
