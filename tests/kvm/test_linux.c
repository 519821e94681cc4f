/*
 * test_linux.c: a static Linux program through the library (suite kvm, and
 * suite qemu): what it maps itself is gone from the memory map once it
 * unmapped it, memory system calls take no exit, a reset brings it back to
 * its start (its descriptor table too). Needs LXTEST (tests/linux/lxtest, built with musl-gcc).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtest.h"

#define MMAP_LO 0x7f0000000000ull /* where the guest kernel's mmap places mappings */

static struct kvmlet_sandbox *load(const char *what)
{
	const char *path = getenv("LXTEST");
	const char *argv[] = {"lxtest", what};
	struct kvmlet_sandbox *sb;
	struct kvmlet_config cfg;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	ck_assert_msg(kvmlet_sandbox_new_from_file(&sb, path, &cfg, &err) == 0, "%s: %s", path,
		      err.msg);
	ck_assert_msg(kvmlet_set_args(sb, 2, argv, NULL, &err) == 0, "%s", err.msg);
	return sb;
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
	ck_assert_msg(high == 0, "%d mappings left in the mmap area after the program unmapped them",
		      high);
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

int main(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("linux");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, mappings_are_gone_after_munmap);
	tcase_add_test(tc, memory_calls_take_no_exit);
	tcase_add_test(tc, descriptors_come_back_after_reset);
	suite_add_tcase(s, tc);
	kvmtest_require_kvm();
	if (!getenv("LXTEST") || !*getenv("LXTEST")) {
		printf("SKIP: no LXTEST (musl-gcc missing: apt-get install musl-tools)\n");
		return 77;
	}
	return kvmtest_main(s);
}
