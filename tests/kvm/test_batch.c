/* test_batch.c: kvmlet_call_batch, n guest calls in one VM entry and one exit (suite kvm). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"

static void count_exits(void *arg, const struct kvmlet_exit_info *e)
{
	(void)e;
	(*(unsigned *)arg)++;
}

static struct kvmlet_sandbox *batch_sandbox(const struct kvmlet_config *cfg)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", cfg);
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_register(sb, "add", "ii:i", kvmtest_host_add, NULL, &err), 0);
	ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s", err.msg);
	return sb;
}

static bool msg_has(const struct kvmlet_batch_result *r, const char *what)
{
	char buf[400];

	if (r->value.type != KVMLET_TYPE_STR)
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)r->value.buf.len, (const char *)r->value.buf.ptr);
	return strstr(buf, what) != NULL;
}

/* Results and errors side by side: each call's outcome is its own. */
START_TEST(mixed_results_and_errors)
{
	struct kvmlet_sandbox *sb = batch_sandbox(NULL);
	struct kvmlet_value i5 = kvmlet_i64(5), s = kvmlet_str("h\xc3\xa9", 3), u = kvmlet_u64(1);
	struct kvmlet_value add[2] = {kvmlet_i64(40), kvmlet_i64(2)};
	const struct kvmlet_batch_call calls[] = {
		{"echo_i", &i5, 1},   {"fails", NULL, 0}, {"nosuch", NULL, 0},
		{"echo_s", &s, 1},    {"echo_i", &u, 1},  {"nothing", NULL, 0},
		{"host_add", add, 2}, {"count", NULL, 0}, {"count", NULL, 0},
	};
	enum { N = sizeof(calls) / sizeof(calls[0]) };
	struct kvmlet_batch_result res[N];
	struct kvmlet_error err;
	unsigned exits = 0;

	kvmlet_set_trace(sb, count_exits, &exits);
	int r = kvmlet_call_batch(sb, calls, N, res, &err);
	ck_assert_msg(r == 3, "%d failed (want 3): %s", r, r < 0 ? err.msg : "");
	ck_assert(res[0].status == 0 && res[0].value.type == KVMLET_TYPE_I64 &&
		  res[0].value.i64 == 5);
	ck_assert(res[1].status == -EREMOTEIO && msg_has(&res[1], "deliberate failure"));
	ck_assert(res[2].status == -ENOSYS && msg_has(&res[2], "nosuch"));
	ck_assert(res[3].status == 0 && res[3].value.type == KVMLET_TYPE_STR &&
		  res[3].value.buf.len == 3 && !memcmp(res[3].value.buf.ptr, "h\xc3\xa9", 3));
	ck_assert(res[4].status == -EINVAL && msg_has(&res[4], "wants an i64"));
	ck_assert(res[5].status == 0 && res[5].value.type == KVMLET_TYPE_VOID);
	ck_assert(res[6].status == 0 && res[6].value.i64 == 42);
	ck_assert(res[7].status == 0 && res[7].value.i64 == 1);
	ck_assert(res[8].status == 0 && res[8].value.i64 == 2);
	/* One RETURN, plus the one host call: no exit per call. */
	ck_assert_uint_eq(exits, 2);

	/* Without host calls: exactly one exit for 64 calls. */
	struct kvmlet_batch_call many[64];
	struct kvmlet_batch_result mres[64];
	for (int i = 0; i < 64; i++)
		many[i] = (struct kvmlet_batch_call){"count", NULL, 0};
	exits = 0;
	ck_assert_int_eq(kvmlet_call_batch(sb, many, 64, mres, &err), 0);
	ck_assert_uint_eq(exits, 1);
	for (int i = 0; i < 64; i++)
		ck_assert(mres[i].status == 0 && mres[i].value.i64 == 3 + i);
	/* n = 0: nothing happens. */
	ck_assert_int_eq(kvmlet_call_batch(sb, many, 0, mres, &err), 0);
	kvmlet_sandbox_free(sb);
}
END_TEST

static void assert_usable(struct kvmlet_sandbox *sb)
{
	struct kvmlet_value a = kvmlet_i64(7);

	ck_assert_int_eq(kvmtest_call_i(sb, "echo_i", &a, 1), 7);
}

/* Too many calls, arguments or results too big: clean errors, nothing run. */
START_TEST(limits_are_clean_errors)
{
	struct kvmlet_config cfg;
	kvmlet_config_default(&cfg);
	cfg.result_size = 4096; /* 16 + 312 * 13 = 4072 fits; 14 calls do not */
	struct kvmlet_sandbox *sb = batch_sandbox(&cfg);
	static struct kvmlet_batch_call calls[KVMLET_BATCH_MAX_CALLS + 1];
	static struct kvmlet_batch_result res[KVMLET_BATCH_MAX_CALLS + 1];
	struct kvmlet_error err;

	for (int i = 0; i <= KVMLET_BATCH_MAX_CALLS; i++)
		calls[i] = (struct kvmlet_batch_call){"count", NULL, 0};
	ck_assert_int_eq(kvmlet_call_batch(sb, calls, KVMLET_BATCH_MAX_CALLS + 1, res, &err),
			 -E2BIG);
	ck_assert_msg(strstr(err.msg, "at most 1024"), "%s", err.msg);
	ck_assert_int_eq(kvmlet_call_batch(sb, calls, 14, res, &err), -E2BIG);
	ck_assert_msg(strstr(err.msg, "result buffer"), "%s", err.msg);
	ck_assert_int_eq(res[0].status, -ECANCELED);
	ck_assert_int_eq(kvmlet_call_batch(sb, calls, 13, res, &err), 0);
	ck_assert_int_eq(res[12].value.i64, 13);

	/* Two 150 KiB arguments do not fit the 256 KiB argument buffer together. */
	static char blob[150 << 10];
	struct kvmlet_value y = kvmlet_bytes(blob, sizeof(blob));
	struct kvmlet_batch_call two[2] = {{"echo_y", &y, 1}, {"echo_y", &y, 1}};
	ck_assert_int_eq(kvmlet_call_batch(sb, two, 2, res, &err), -E2BIG);
	ck_assert_msg(strstr(err.msg, "argument buffer"), "%s", err.msg);
	assert_usable(sb);
	kvmlet_sandbox_free(sb);

	/* A result too big for what is left of the buffer fails that call only. */
	sb = batch_sandbox(NULL);
	struct kvmlet_value n = kvmlet_u64(200 << 10), one = kvmlet_i64(1);
	struct kvmlet_batch_call bigs[3] = {{"big", &n, 1}, {"big", &n, 1}, {"echo_i", &one, 1}};
	ck_assert_int_eq(kvmlet_call_batch(sb, bigs, 3, res, &err), 1);
	ck_assert(res[0].status == 0 && res[0].value.buf.len == 200 << 10);
	ck_assert(res[1].status == -EREMOTEIO && msg_has(&res[1], "too large"));
	ck_assert(res[2].status == 0 && res[2].value.i64 == 1);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* A reset between batches brings the guest back: the counter starts over,
 * and the reset restores what the batch wrote. */
START_TEST(reset_between_batches)
{
	struct kvmlet_sandbox *sb = batch_sandbox(NULL);
	struct kvmlet_batch_call calls[8];
	struct kvmlet_batch_result res[8];
	struct kvmlet_error err;

	for (int i = 0; i < 8; i++)
		calls[i] = (struct kvmlet_batch_call){"count", NULL, 0};
	for (int round = 0; round < 3; round++) {
		if (round)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(kvmlet_call_batch(sb, calls, 8, res, &err), 0);
		for (int i = 0; i < 8; i++)
			ck_assert_int_eq(res[i].value.i64, i + 1);
		if (round)
			ck_assert_msg(kvmlet_last_reset_pages(sb) > 0 &&
					      kvmlet_last_reset_pages(sb) < 16,
				      "reset restored %llu pages",
				      (unsigned long long)kvmlet_last_reset_pages(sb));
	}
	kvmlet_sandbox_free(sb);

	/* reset_each_call: each batch starts from the snapshot. */
	struct kvmlet_config cfg;
	kvmlet_config_default(&cfg);
	cfg.reset_each_call = true;
	sb = batch_sandbox(&cfg);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(kvmlet_call_batch(sb, calls, 3, res, &err), 0);
		ck_assert_int_eq(res[2].value.i64, 3);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/* A fault ends the whole batch and poisons the sandbox, as a call's does. */
START_TEST(fault_ends_the_batch)
{
	struct kvmlet_sandbox *sb = batch_sandbox(NULL);
	struct kvmlet_batch_call calls[3] = {
		{"count", NULL, 0}, {"faults", NULL, 0}, {"count", NULL, 0}};
	struct kvmlet_batch_result res[3];
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_call_batch(sb, calls, 3, res, &err), -EFAULT);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(res[i].status, -ECANCELED);
	ck_assert_int_eq(kvmlet_call_batch(sb, calls, 1, res, &err), -ENOTRECOVERABLE);
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(kvmlet_call_batch(sb, calls, 1, res, &err), 0);
	ck_assert_int_eq(res[0].value.i64, 1);
	assert_usable(sb);
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, mixed_results_and_errors);
	tcase_add_test(tc, limits_are_clean_errors);
	tcase_add_test(tc, reset_between_batches);
	tcase_add_test(tc, fault_ends_the_batch);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
