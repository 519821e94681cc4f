/*
 * test_isolation.c: nothing crosses a reset, and ring 0 is kvmlet's (suite
 * kvm, and suite qemu under NPT and under shadow paging). Each test lets one
 * call try to leave something behind, resets, and checks the next call
 * cannot see it; the ring-0 tests check each former route now faults.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"

static struct kvmlet_sandbox *sandbox(void)
{
	return kvmtest_ready("isolation", NULL);
}

/* Call fn, which must fail with code and a message containing needle. */
static void call_fails(struct kvmlet_sandbox *sb, const char *fn, int code, const char *needle)
{
	struct kvmlet_value res;
	struct kvmlet_error err = {0};
	int r = kvmlet_call(sb, fn, NULL, 0, &res, &err);

	ck_assert_msg(r == code && strstr(err.msg, needle), "%s: %d '%s', expected %d '%s'", fn, r,
		      err.msg, code, needle);
}

START_TEST(cpu_state_is_restored)
{
	struct kvmlet_sandbox *sb = sandbox();

	/* The vCPU offers AVX where the CPU has it (and the YMM state must then
	 * be restored too). */
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx"))
		ck_assert_int_eq(kvmtest_call_i(sb, "avx", NULL, 0), 1);
	else
		printf("note: no AVX on this CPU: the YMM part of the check does not run\n");

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(kvmtest_call_i(sb, "set_state", NULL, 0), 1);
		kvmtest_reset(sb);
		ck_assert_int_eq(kvmtest_call_i(sb, "get_state", NULL, 0), 7);
		kvmtest_reset(sb);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(no_stale_translation)
{
	struct kvmlet_sandbox *sb = sandbox();

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(kvmtest_call_i(sb, "map_touch", NULL, 0), 0x5ec2e7);
		ck_assert_int_eq(kvmtest_call_i(sb, "probe", NULL, 0), 0x5ec2e7);
		kvmtest_reset(sb);
		call_fails(sb, "probe", -EFAULT, "page fault at RIP");
		kvmtest_reset(sb);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/* A doorbell rung with a string instruction is refused; nothing of it survives. */
START_TEST(no_half_done_instruction)
{
	struct kvmlet_sandbox *sb = sandbox();

	for (int i = 0; i < 3; i++) {
		call_fails(sb, "return_by_outs", -EFAULT, "rung by an instruction other than `out`");
		kvmtest_reset(sb);
		ck_assert_int_eq(kvmtest_call_i(sb, "ping", NULL, 0), 42);
		call_fails(sb, "ins_pending", -EFAULT, "unexpected I/O (in, port 0xe1");
		kvmtest_reset(sb);
		ck_assert_int_eq(kvmtest_call_i(sb, "ping", NULL, 0), 42);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Arguments of a call that failed to encode are gone after the reset. */
START_TEST(failed_arguments_do_not_stay)
{
	struct kvmlet_sandbox *sb = sandbox();
	struct kvmlet_config cfg;
	struct kvmlet_value res, big;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	size_t n = cfg.args_size + 4096;
	unsigned char *buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xa5, n);
	big = kvmlet_bytes(buf, n);
	ck_assert_int_eq(kvmlet_call(sb, "take_bytes", &big, 1, &res, &err), -E2BIG);
	kvmtest_reset(sb);
	for (uint64_t off = 4096; off < cfg.args_size; off += 8192) {
		struct kvmlet_value a = kvmlet_i64((int64_t)off);
		ck_assert_int_eq(kvmtest_call_i(sb, "args_byte", &a, 1), 0);
	}
	free(buf);
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * Arguments that did fit are gone after each reset too, round after round:
 * the host notes the pages it writes for the reset, also a page it noted in
 * the round before (guest_mem_mark_written skips only a page still noted).
 */
START_TEST(arguments_do_not_stay_round_after_round)
{
	struct kvmlet_sandbox *sb = sandbox();
	struct kvmlet_value res;
	struct kvmlet_error err;
	unsigned char buf[1500];

	memset(buf, 0xa5, sizeof(buf));
	struct kvmlet_value b = kvmlet_bytes(buf, sizeof(buf)), off = kvmlet_i64(1000);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(kvmlet_call(sb, "take_bytes", &b, 1, &res, &err), 0);
		ck_assert_int_eq(kvmtest_call_i(sb, "args_byte", &off, 1), 0xa5);
		kvmtest_reset(sb);
		ck_assert_int_eq(kvmtest_call_i(sb, "args_byte", &off, 1), 0);
		kvmtest_reset(sb);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Every former way to ring 0 faults at CPL3; hypercalls are refused. */
START_TEST(ring0_is_out_of_reach)
{
	struct kvmlet_sandbox *sb = sandbox();

	call_fails(sb, "write_table", -EFAULT, "protection violation");
	kvmtest_reset(sb);
	call_fails(sb, "lret_ring0", -EFAULT, "general protection fault");
	kvmtest_reset(sb);
	call_fails(sb, "iret_ring0", -EFAULT, "general protection fault");
	kvmtest_reset(sb);
	ck_assert_int_lt(kvmtest_call_i(sb, "hypercall", NULL, 0), 0);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "ping", NULL, 0), 42);
	kvmlet_sandbox_free(sb);
}
END_TEST

static int sum16(void *arg, const struct kvmlet_value *a, unsigned n, struct kvmlet_value *r,
		 char *why, size_t whylen)
{
	int64_t s = 0;

	(void)arg, (void)why, (void)whylen;
	for (unsigned i = 0; i < n; i++)
		s += a[i].i64;
	*r = kvmlet_i64(s);
	return 0;
}

/* A host function may take as many arguments as the limit says (16). */
START_TEST(host_function_with_16_arguments)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("isolation", NULL);
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_register(sb, "sum16", "iiiiiiiiiiiiiiii:i", sum16, NULL, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(kvmtest_call_i(sb, "host16", NULL, 0), 16 * 17 / 2);
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("isolation");
	TCase *tc = tcase_create("reset");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, cpu_state_is_restored);
	tcase_add_test(tc, no_stale_translation);
	tcase_add_test(tc, no_half_done_instruction);
	tcase_add_test(tc, failed_arguments_do_not_stay);
	tcase_add_test(tc, arguments_do_not_stay_round_after_round);
	tcase_add_test(tc, ring0_is_out_of_reach);
	tcase_add_test(tc, host_function_with_16_arguments);
	suite_add_tcase(s, tc);
	kvmtest_require_kvm();
	return kvmtest_main(s);
}
