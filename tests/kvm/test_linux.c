/*
 * test_linux.c: a static Linux program through the library (suite kvm, and
 * suite qemu): what it maps itself is gone from the memory map once it
 * unmapped it, memory system calls take no exit, a reset brings it back to
 * its start (its descriptor table and threads too); threads made with raw
 * clone calls (tests/linux/lxclone.c): at most 64, a bad stack faults, a
 * deadlock ends the run, a new thread has its creator's registers; ticks
 * reach a loop with no system call, and none crosses a reset; signals from
 * outside (kvmlet_signal) reach loops, sleeps and waits, end runs by their
 * default action, and none outlives a reset; execve replaces the program
 * and a reset brings it back; fork's children stay within
 * kvmlet_set_processes, end with a reset or the sandbox's free, and the
 * time limit and kvmlet_cancel reach one that spins. Needs LXTEST
 * (tests/linux/lxtest, built with musl-gcc).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvmtest.h"

#define MMAP_LO 0x7f0000000000ull /* where the guest kernel's mmap places mappings */

/* lxtest what arg, each run limited to timeout_ns (0: no limit). */
static struct kvmlet_sandbox *load_limited(const char *what, const char *arg, uint64_t timeout_ns)
{
	const char *path = getenv("LXTEST");
	const char *argv[] = {"lxtest", what, arg};
	struct kvmlet_sandbox *sb;
	struct kvmlet_config cfg;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = timeout_ns;
	ck_assert_msg(kvmlet_sandbox_new_from_file(&sb, path, &cfg, &err) == 0, "%s: %s", path,
		      err.msg);
	ck_assert_msg(kvmlet_set_args(sb, arg ? 3 : 2, argv, NULL, &err) == 0, "%s", err.msg);
	return sb;
}

static struct kvmlet_sandbox *load2(const char *what, const char *arg)
{
	return load_limited(what, arg, 0);
}

static struct kvmlet_sandbox *load(const char *what)
{
	return load2(what, NULL);
}

static int count_high(void *arg, const struct kvmlet_mapping *m)
{
	if (m->va >= MMAP_LO && m->va < 0x800000000000ull)
		(*(int *)arg)++;
	return 0;
}

static void count_exits(void *arg, const struct kvmlet_exit_info *e)
{
	(void)e;
	(*(int *)arg)++;
}

START_TEST(mappings_are_gone_after_munmap)
{
	struct kvmlet_sandbox *sb = load("mem");
	struct kvmlet_result res;
	struct kvmlet_error err;
	int high = 0;

	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.outcome, KVMLET_EXITED);
	ck_assert_int_eq(res.status, 0);
	ck_assert_int_eq(kvmlet_memory_map(sb, count_high, &high, &err), 0);
	ck_assert_msg(high == 0,
		      "%d mappings left in the mmap area after the program unmapped them", high);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(memory_calls_take_no_exit)
{
	struct kvmlet_sandbox *sb = load("mmaploop");
	struct kvmlet_result res;
	struct kvmlet_error err;
	int exits = 0;

	/* Traced from after the start: the guest's kernel does not report the calls
	 * it serves (it would, at an exit each, if tracing were on from the start). */
	ck_assert_msg(kvmlet_prepare(sb, &err) == 0, "%s", err.msg);
	kvmlet_set_trace(sb, count_exits, &exits);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.status, 0);
	/* 100 mmap + 100 munmap and musl's start-up: only the final exit_group exits
	 * (set_tid_address, arch_prctl... are served in the guest too). */
	ck_assert_msg(exits <= 2, "%d exits for 200 memory system calls", exits);
	/* Again after a reset: the same, from the same start. */
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
	exits = 0;
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.status, 0);
	ck_assert_msg(exits <= 2, "%d exits after the reset", exits);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* What the program wrote to out since the last call (out is rewound). */
static void take_output(int out, char *buf, size_t size)
{
	ssize_t n = pread(out, buf, size - 1, 0);

	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	ck_assert_int_eq(ftruncate(out, 0), 0);
	ck_assert_int_eq(lseek(out, 0, SEEK_SET), 0);
}

START_TEST(descriptors_come_back_after_reset)
{
	struct kvmlet_sandbox *sb = load("fdstate");
	struct kvmlet_result res;
	struct kvmlet_error err;
	char first[256], again[256];
	FILE *f = tmpfile();
	int out = fileno(f);

	/* lxtest fdstate leaves 0 and 2 closed, 1 close-on-exec and duplicated,
	 * /dev/zero open: each run after a reset must start from 0-2 as given. */
	kvmlet_set_stdio(sb, -1, out, -1);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.status, 0);
	take_output(out, first, sizeof(first));
	ck_assert_str_eq(first, "open at start: ooo-------------\nF_GETFD 1: 0\n");
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(res.status, 0);
		take_output(out, again, sizeof(again));
		ck_assert_str_eq(again, first);
	}
	kvmlet_sandbox_free(sb);
	fclose(f);
}
END_TEST

/* --- processes (fork; tests/linux/lxfork.c) --- */

static uint64_t now_ms(void);

/* Children left waiting as the program ends: a reset ends them, and the next
 * run has its whole allowance again; the sandbox's free ends them too (the
 * sanitizers and valgrind see nothing leak). */
START_TEST(forks_stay_within_the_limit_and_end_with_a_reset)
{
	struct kvmlet_sandbox *sb = load2("forkhold", "5");
	struct kvmlet_result res;
	struct kvmlet_error err;
	char buf[256];
	FILE *f = tmpfile();
	int out = fileno(f);

	ck_assert(kvmlet_is_linux_program(sb)); /* musl's: PT_GNU_STACK */
	ck_assert_int_eq(kvmlet_set_processes(sb, 0, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_set_processes(sb, 17, &err), -EINVAL);
	ck_assert_msg(kvmlet_set_processes(sb, 4, &err) == 0, "%s", err.msg);
	kvmlet_set_stdio(sb, -1, out, -1);
	for (int i = 0; i < 3; i++) {
		if (i)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(res.status, 0);
		take_output(out, buf, sizeof(buf));
		/* Itself and three children: the fourth fork is one too many. */
		ck_assert_str_eq(buf, "forked 3, then EAGAIN\n");
	}
	ck_assert_int_eq(kvmlet_set_processes(sb, 2, &err), -EBUSY);
	kvmlet_sandbox_free(sb); /* with three children waiting */
	fclose(f);
}
END_TEST

struct canceller {
	struct kvmlet_sandbox *sb;
	int out, r;
};

/* Once the program says it waits for its child, cancel the run. */
/* Until the program's output (file out, from its start) holds word, or 30 s. */
static void wait_for_output(int out, const char *word)
{
	char buf[256];

	for (int i = 0; i < 30000; i++) {
		ssize_t n = pread(out, buf, sizeof(buf) - 1, 0);
		if (n > 0 && (buf[n] = 0, strstr(buf, word)))
			return;
		usleep(1000);
	}
}

static void *cancel_when_waiting(void *arg)
{
	struct canceller *c = arg;

	wait_for_output(c->out, "waiting");
	usleep(200000); /* the child spins by now */
	c->r = kvmlet_cancel(c->sb);
	return NULL;
}

/* A child that never waits runs while the program waits for it: the run's
 * time limit ends both, and so does kvmlet_cancel, long before that limit;
 * a reset after either brings the program back, able to fork again. */
START_TEST(a_spinning_child_ends_with_the_time_limit_or_a_cancel)
{
	struct kvmlet_sandbox *sb = load_limited("forkspin", NULL, 1500ull * 1000000);
	struct canceller c = {0};
	struct kvmlet_result res;
	struct kvmlet_error err;
	FILE *f = tmpfile();
	pthread_t th;

	c.out = fileno(f);
	kvmlet_set_stdio(sb, -1, c.out, -1);
	for (int i = 0; i < 2; i++) {
		uint64_t t0 = now_ms();
		if (i)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(kvmlet_run(sb, &res, &err), -ETIMEDOUT);
		ck_assert_int_eq(res.outcome, KVMLET_TIMED_OUT);
		ck_assert_msg(now_ms() - t0 < 20000, "the time limit took %llu ms",
			      (unsigned long long)(now_ms() - t0));
	}
	kvmlet_sandbox_free(sb);
	/* A limit of 120 s, and a cancel 200 ms into the child's spin. */
	sb = c.sb = load_limited("forkspin", NULL, 120000ull * 1000000);
	ck_assert_int_eq(ftruncate(c.out, 0), 0);
	kvmlet_set_stdio(sb, -1, c.out, -1);
	ck_assert_int_eq(pthread_create(&th, NULL, cancel_when_waiting, &c), 0);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(kvmlet_run(sb, &res, &err), -ECANCELED);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(c.r, 0);
	ck_assert_int_eq(res.outcome, KVMLET_CANCELLED);
	ck_assert_msg(now_ms() - t0 < 60000, "the cancel took %llu ms",
		      (unsigned long long)(now_ms() - t0));
	kvmlet_sandbox_free(sb);
	fclose(f);
}
END_TEST

static int count_all(void *arg, const struct kvmlet_mapping *m)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/* execve replaces the program (here lxtest by its glibc static PIE: another
 * image, entry and layout); a reset brings the first program back, entry and
 * tables and all, and it runs (and replaces itself) again, alike. */
START_TEST(execve_replaces_the_program_and_a_reset_brings_it_back)
{
	const char *self = getenv("LXTEST"), *pie = getenv("LXTEST_PIE");
	struct kvmlet_sandbox *sb;
	struct kvmlet_config cfg;
	struct kvmlet_result res;
	struct kvmlet_error err;
	char first[2048], again[2048], want[600];
	int maps0 = 0, maps = 0;
	FILE *f = tmpfile();

	if (!pie || !*pie)
		pie = self;
	const char *argv[] = {"lxtest", "execparent", pie, "renamed", "execchild", "one"};
	kvmlet_config_default(&cfg);
	ck_assert_msg(kvmlet_sandbox_new_from_file(&sb, self, &cfg, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_set_args(sb, 6, argv, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_allow_file(sb, pie, pie, &err) == 0, "%s", err.msg);
	uint64_t entry = kvmlet_entry(sb);
	ck_assert_int_eq(kvmlet_memory_map(sb, count_all, &maps0, &err), 0);
	kvmlet_set_stdio(sb, -1, fileno(f), -1);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	take_output(fileno(f), first, sizeof(first));
	ck_assert_msg(res.status == 0, "status %d: %s", res.status, first);
	ck_assert_msg(strstr(first, "argc 3\nargv[0] renamed\nargv[1] execchild\nargv[2] one\n"
				    "env A=1\nenv B=two words\nenv C=\n"),
		      "%s", first);
	snprintf(want, sizeof(want), "execfn %s name %.15s\n", pie, strrchr(pie, '/') + 1);
	ck_assert_msg(strstr(first, want), "%s", first);
	ck_assert_msg(strstr(first,
			     "fd 4 open, flags 0\nfd 5 open, flags 0\nfd 10 open, "
			     "flags 0\nSIGUSR1 ignored\nSIGTERM default\nSIGINT blocked, "
			     "SIGHUP not blocked\numask 027 nice 3 gids 5 6 6 groups 2: 3 7\n"
			     "cwd /dev uid 0\n"),
		      "%s", first);
	if (strcmp(pie, self))
		ck_assert_uint_ne(kvmlet_entry(sb), entry); /* the PIE's */
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(kvmlet_entry(sb), entry);
		maps = 0;
		ck_assert_int_eq(kvmlet_memory_map(sb, count_all, &maps, &err), 0);
		ck_assert_int_eq(maps, maps0);
		ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(res.status, 0);
		take_output(fileno(f), again, sizeof(again));
		ck_assert_str_eq(again, first);
	}
	kvmlet_sandbox_free(sb);
	fclose(f);
}
END_TEST

/* Run lxtest (clone WHAT, or another); its output in buf, kvmlet_run's return value. */
static int run_clone(struct kvmlet_sandbox *sb, struct kvmlet_result *res, char *buf, size_t size,
		     struct kvmlet_error *err)
{
	FILE *f = tmpfile();
	int r;

	ck_assert_ptr_nonnull(f);
	kvmlet_set_stdio(sb, -1, fileno(f), -1);
	r = kvmlet_run(sb, res, err);
	take_output(fileno(f), buf, size);
	fclose(f);
	return r;
}

/* Threads are kernel data in guest memory: a reset brings back the one
 * thread of the start, so the next run can make as many as the first. */
START_TEST(threads_come_back_after_reset)
{
	struct kvmlet_sandbox *sb = load2("clone", "bomb");
	struct kvmlet_result res;
	struct kvmlet_error err;
	char out[256];

	for (int i = 0; i < 3; i++) {
		if (i)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_msg(run_clone(sb, &res, out, sizeof(out), &err) == 0, "%s", err.msg);
		ck_assert_int_eq(res.status, 0);
		ck_assert_str_eq(out, "threads made: 63, then EAGAIN\n");
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * Ticks: a program spinning with a 1 ms timer armed takes its SIGALRMs in a
 * loop with no system call (its handler says so after 20), until the time
 * limit ends the run; then a reset, and again, each run as the first.
 */
START_TEST(ticks_reach_spinning_code_and_never_cross_a_reset)
{
	/* 1 s: room for 20 ticks (at least 1 ms apart) on a slow, sanitized host. */
	struct kvmlet_sandbox *sb = load_limited("spin", NULL, 1000000000ull);
	struct kvmlet_result res;
	struct kvmlet_error err;
	char out[256];

	for (int i = 0; i < 5; i++) {
		if (i)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		int r = run_clone(sb, &res, out, sizeof(out), &err);
		ck_assert_msg(r == -ETIMEDOUT && res.outcome == KVMLET_TIMED_OUT,
			      "round %d: %d, %s", i, r, res.message);
		ck_assert_str_eq(out, "20 alarms came to a loop with no system call\n");
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * Raw threads that end the run as Linux would not (it would crash the
 * process, or hang): a thread on an unmapped stack faults there; threads
 * that all wait on futexes, or each on a pipe only the other one could write
 * (not the two repeating their reads in turn until the time limit), are a
 * deadlock; a thread woken to repeat a `syscall` whose code the program
 * unmapped meanwhile faults at CPL3, the kernel unharmed.
 */
START_TEST(raw_threads_that_cannot_go_on_end_the_run)
{
	static const struct {
		const char *what;
		int rc;
		enum kvmlet_outcome outcome;
		int vector;
		const char *msg, *out;
	} cases[] = {
		{"badstack", -EFAULT, KVMLET_FAULTED, 14, "", "clone: a thread on an unmapped stack\n"},
		{"deadlock", -ECONNABORTED, KVMLET_ABORTED, -1, "deadlock", "clone: a thread\n"},
		{"pipedeadlock", -ECONNABORTED, KVMLET_ABORTED, -1, "deadlock",
		 "clone: a thread\n"},
		{"unmapcode", -EFAULT, KVMLET_FAULTED, 14, "", "unmapped: yes\n"},
	};
	struct kvmlet_result res;
	struct kvmlet_error err;
	char out[256];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvmlet_sandbox *sb =
			load_limited("clone", cases[i].what, 20ull * 1000000000);
		int rc = run_clone(sb, &res, out, sizeof(out), &err);
		ck_assert_msg(rc == cases[i].rc && res.outcome == cases[i].outcome,
			      "%s: %d, outcome %d: %s", cases[i].what, rc, res.outcome, err.msg);
		if (cases[i].vector >= 0)
			ck_assert_int_eq(res.vector, cases[i].vector);
		ck_assert_msg(strstr(err.msg, cases[i].msg), "%s: %s", cases[i].what, err.msg);
		ck_assert_str_eq(out, cases[i].out);
		kvmlet_sandbox_free(sb);
	}
}
END_TEST

START_TEST(threads_start_with_their_creators_registers)
{
	static const struct {
		const char *what, *out;
	} cases[] = {
		{"regs",
		 "clone: a thread; thread saw 1111 2222 3333 4444 5555 6666, stack as given\n"},
		/* clear_child_tid at address 8: not written, and no harm done */
		{"cleartid", "clone: a thread, the thread ran: yes\n"},
	};
	struct kvmlet_result res;
	struct kvmlet_error err;
	char out[256];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvmlet_sandbox *sb = load2("clone", cases[i].what);
		ck_assert_msg(run_clone(sb, &res, out, sizeof(out), &err) == 0, "%s: %s",
			      cases[i].what, err.msg);
		ck_assert_int_eq(res.status, 0);
		ck_assert_str_eq(out, cases[i].out);
		kvmlet_sandbox_free(sb);
	}
}
END_TEST

/* --- signals from outside (kvmlet_signal; tests/linux/lxoutside.c) --- */

struct sender {
	struct kvmlet_sandbox *sb;
	int out, sig, r;
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Wait for "ready" in the program's output, then send the signal. */
static void *send_when_ready(void *arg)
{
	struct sender *s = arg;
	struct kvmlet_error err;

	wait_for_output(s->out, "ready");
	usleep(50000); /* into the loop, the sleep, the wait */
	s->r = kvmlet_signal(s->sb, s->sig, &err);
	return NULL;
}

/* lxtest outside MODE with stdin in_fd, sent sig once it is ready; its
 * output in buf, kvmlet_run's return value, the run's time in *ms. */
static int run_signalled(struct kvmlet_sandbox *sb, int sig, int in_fd, struct kvmlet_result *res,
			 char *buf, size_t size, double *ms)
{
	FILE *f = tmpfile();
	struct sender s = {.sb = sb, .sig = sig};
	struct kvmlet_error err;
	pthread_t th;
	int r;

	ck_assert_ptr_nonnull(f);
	s.out = fileno(f);
	kvmlet_set_stdio(sb, in_fd, s.out, -1);
	ck_assert_int_eq(pthread_create(&th, NULL, send_when_ready, &s), 0);
	uint64_t t0 = now_ms();
	r = kvmlet_run(sb, res, &err);
	*ms = (double)(now_ms() - t0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(s.r, 0);
	take_output(s.out, buf, size);
	fclose(f);
	return r;
}

#define FROM_OUTSIDE(what) what ": User defined signal 1, si_code SI_USER, from another process\n"

/* Each wait ends at once (runs of 20 s at most; a wait the signal did not
 * end would take 30 s or the time limit), the handler sees SI_USER from
 * another process, and the call returns what Linux's does. */
START_TEST(signals_from_outside_end_loops_sleeps_and_waits)
{
	static const struct {
		const char *mode, *out;
	} cases[] = {
		{"spin", "ready\n" FROM_OUTSIDE("a loop with no system call")},
		{"sleep",
		 "ready\n" FROM_OUTSIDE(
			 "nanosleep") "nanosleep: -1, Interrupted system call, time left\n"},
		{"pause", "ready\n" FROM_OUTSIDE("pause") "pause: -1, Interrupted system call\n"},
		{"read", "ready\n" FROM_OUTSIDE("read") "read: -1, Interrupted system call\n"},
		{"ignored", "ready\nnanosleep, SIGUSR1 ignored: 0\n"},
	};
	struct kvmlet_result res;
	char out[512];
	double ms;
	int p[2];

	ck_assert_int_eq(pipe(p), 0); /* stdin that never has data */
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvmlet_sandbox *sb = load_limited("outside", cases[i].mode, 20000000000ull);
		kvmlet_expect_signals(sb, true);
		int r = run_signalled(sb, SIGUSR1, p[0], &res, out, sizeof(out), &ms);
		ck_assert_msg(r == 0 && res.status == 0, "%s: %d, %s", cases[i].mode, r,
			      res.message);
		ck_assert_str_eq(out, cases[i].out);
		ck_assert_msg(ms < 10000, "%s: %.0f ms", cases[i].mode, ms);
		if (!strcmp(cases[i].mode, "ignored"))
			ck_assert_msg(ms >= 300, "the ignored signal ended the sleep: %.0f ms", ms);
		kvmlet_sandbox_free(sb);
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A signal's default action ends the run and says so; a program waiting
 * for a signal with nothing expected from outside is a deadlock; a signal
 * sent between runs does not outlive a reset; bad numbers are refused. */
START_TEST(signals_from_outside_end_runs_and_never_cross_a_reset)
{
	struct kvmlet_sandbox *sb = load_limited("outside", "default", 20000000000ull);
	struct kvmlet_result res;
	struct kvmlet_error err;
	char out[512];
	double ms;

	int r = run_signalled(sb, SIGTERM, -1, &res, out, sizeof(out), &ms);
	ck_assert_int_eq(r, -ECONNABORTED);
	ck_assert_int_eq(res.status, 128 + SIGTERM);
	ck_assert_msg(strstr(res.message, "killed by signal 15 (SIGTERM), sent from outside"), "%s",
		      res.message);
	ck_assert_int_eq(kvmlet_signal(sb, 0, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_signal(sb, 65, &err), -EINVAL);
	kvmlet_sandbox_free(sb);

	sb = load_limited("outside", "pause", 20000000000ull);
	ck_assert_int_eq(kvmlet_run(sb, &res, &err), -ECONNABORTED);
	ck_assert_msg(strstr(res.message, "deadlock"), "%s", res.message);
	kvmlet_sandbox_free(sb);

	sb = load_limited("outside", "spin", 20000000000ull);
	for (int i = 0; i < 3; i++) {
		if (i) {
			/* Sent while no run is in progress: the reset drops it (it
			 * would end the next run before its handler is in). Between
			 * two resets, so that no page the guest wrote brings the
			 * snapshot's word back by chance. */
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
			ck_assert_int_eq(kvmlet_signal(sb, SIGTERM, &err), 0);
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		}
		r = run_signalled(sb, SIGUSR1, -1, &res, out, sizeof(out), &ms);
		ck_assert_msg(r == 0 && res.status == 0, "round %d: %d, %s", i, r, res.message);
		ck_assert_str_eq(out, "ready\n" FROM_OUTSIDE("a loop with no system call"));
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/* The signals a program starts with ignored are the ones given, after each
 * reset too; SIGKILL and SIGSTOP cannot be, and it is too late once it ran. */
START_TEST(ignored_signals_at_start_stay_ignored_across_resets)
{
	struct kvmlet_sandbox *sb = load("sigign");
	struct kvmlet_result res;
	struct kvmlet_error err;
	char out[256];
	FILE *f = tmpfile();
	const uint64_t hup = 1ull << (SIGHUP - 1), usr1 = 1ull << (SIGUSR1 - 1);

	ck_assert_int_eq(kvmlet_set_ignored_signals(sb, 1ull << (SIGKILL - 1), &err), -EINVAL);
	ck_assert_int_eq(kvmlet_set_ignored_signals(sb, 1ull << (SIGSTOP - 1), &err), -EINVAL);
	ck_assert_msg(kvmlet_set_ignored_signals(sb, hup | usr1 | 1ull << 63, &err) == 0, "%s",
		      err.msg);
	kvmlet_set_stdio(sb, -1, fileno(f), -1);
	for (int i = 0; i < 3; i++) {
		if (i)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(res.status, 0);
		take_output(fileno(f), out, sizeof(out));
		ck_assert_str_eq(out, "ignored at start: 1 10 64\n");
	}
	ck_assert_int_eq(kvmlet_set_ignored_signals(sb, 0, &err), -EBUSY);
	kvmlet_sandbox_free(sb);
	sb = load("sigign"); /* none given: none ignored */
	kvmlet_set_stdio(sb, -1, fileno(f), -1);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	take_output(fileno(f), out, sizeof(out));
	ck_assert_str_eq(out, "ignored at start:\n");
	kvmlet_sandbox_free(sb);
	fclose(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("linux");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, mappings_are_gone_after_munmap);
	tcase_add_test(tc, memory_calls_take_no_exit);
	tcase_add_test(tc, descriptors_come_back_after_reset);
	tcase_add_test(tc, execve_replaces_the_program_and_a_reset_brings_it_back);
	tcase_add_test(tc, threads_come_back_after_reset);
	tcase_add_test(tc, raw_threads_that_cannot_go_on_end_the_run);
	tcase_add_test(tc, threads_start_with_their_creators_registers);
	tcase_add_test(tc, ticks_reach_spinning_code_and_never_cross_a_reset);
	tcase_add_test(tc, signals_from_outside_end_loops_sleeps_and_waits);
	tcase_add_test(tc, signals_from_outside_end_runs_and_never_cross_a_reset);
	tcase_add_test(tc, ignored_signals_at_start_stay_ignored_across_resets);
	tcase_add_test(tc, forks_stay_within_the_limit_and_end_with_a_reset);
	tcase_add_test(tc, a_spinning_child_ends_with_the_time_limit_or_a_cancel);
	suite_add_tcase(s, tc);
	kvmtest_require_kvm();
	if (!getenv("LXTEST") || !*getenv("LXTEST")) {
		printf("SKIP: no LXTEST (musl-gcc missing: apt-get install musl-tools)\n");
		return 77;
	}
	return kvmtest_main(s);
}
