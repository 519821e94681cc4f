/*
 * test_linux.c: a static Linux program through the library (suite kvm, and
 * suite qemu): what it maps itself is gone from the memory map once it
 * unmapped it, memory system calls take no exit, a reset brings it back to
 * its start (its descriptor table and threads too); threads made with raw
 * clone calls (tests/linux/lxclone.c): at most 64, a bad stack faults, a
 * deadlock ends the run, a new thread has its creator's registers; ticks
 * reach a loop with no system call, and none crosses a reset. Needs LXTEST
 * (tests/linux/lxtest, built with musl-gcc).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * limit ends the run; then a reset, and again. A tick the host had not yet
 * injected when a run ended must not reach the next: it would arrive before
 * the kernel has its gate (the snapshot's IDT has none) and fault there.
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

int main(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("linux");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, mappings_are_gone_after_munmap);
	tcase_add_test(tc, memory_calls_take_no_exit);
	tcase_add_test(tc, descriptors_come_back_after_reset);
	tcase_add_test(tc, threads_come_back_after_reset);
	tcase_add_test(tc, raw_threads_that_cannot_go_on_end_the_run);
	tcase_add_test(tc, threads_start_with_their_creators_registers);
	tcase_add_test(tc, ticks_reach_spinning_code_and_never_cross_a_reset);
	suite_add_tcase(s, tc);
	kvmtest_require_kvm();
	if (!getenv("LXTEST") || !*getenv("LXTEST")) {
		printf("SKIP: no LXTEST (musl-gcc missing: apt-get install musl-tools)\n");
		return 77;
	}
	return kvmtest_main(s);
}
