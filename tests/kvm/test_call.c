/* test_call.c: guest functions and host functions across the VM boundary (suite kvm). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmtest.h"

static int host_add(void *arg, const struct kvmlet_value *args, unsigned nargs,
		    struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs;
	if (args[0].i64 == 13) {
		snprintf(errmsg, errlen, "unlucky number");
		return -1;
	}
	*result = kvmlet_i64(args[0].i64 + args[1].i64);
	return 0;
}

/* Tries to call back into its own sandbox: must be refused, not deadlock. */
static int host_reenter(void *arg, const struct kvmlet_value *args, unsigned nargs,
			struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	struct kvmlet_sandbox *sb = arg;
	struct kvmlet_value r;
	struct kvmlet_error err;
	int rc = kvmlet_call(sb, "count", NULL, 0, &r, &err);

	(void)args, (void)nargs;
	snprintf(errmsg, errlen, "%d %s", rc, err.msg);
	*result = kvmlet_str(errmsg, strlen(errmsg));
	return 0;
}

static struct kvmlet_sandbox *types_sandbox_with(const struct kvmlet_config *cfg)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", cfg);
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_register(sb, "add", "ii:i", host_add, NULL, &err), 0);
	ck_assert_int_eq(kvmlet_register(sb, "reenter", "s:s", host_reenter, sb, &err), 0);
	ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s", err.msg);
	return sb;
}

static struct kvmlet_sandbox *types_sandbox(void)
{
	return types_sandbox_with(NULL);
}

static void call_ok(struct kvmlet_sandbox *sb, const char *fn, const struct kvmlet_value *args,
		    unsigned n, struct kvmlet_value *r)
{
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, fn, args, n, r, &err) == 0, "%s: %s", fn, err.msg);
}

START_TEST(every_type_round_trips)
{
	struct kvmlet_sandbox *sb = types_sandbox();
	struct kvmlet_value r, a;
	static char big[200 << 10];

	a = kvmlet_i64(INT64_MIN);
	call_ok(sb, "echo_i", &a, 1, &r);
	ck_assert_int_eq(r.type, KVMLET_TYPE_I64);
	ck_assert(r.i64 == INT64_MIN);
	a = kvmlet_u64(UINT64_MAX);
	call_ok(sb, "echo_u", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_U64 && r.u64 == UINT64_MAX);
	a = kvmlet_f64(-3.25e300);
	call_ok(sb, "echo_d", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_F64 && r.f64 == -3.25e300);
	a = kvmlet_bool(true);
	call_ok(sb, "echo_b", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_BOOL && r.b);
	a = kvmlet_str("h\xc3\xa9llo", 6);
	call_ok(sb, "echo_s", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_STR && r.buf.len == 6 && !memcmp(r.buf.ptr, "h\xc3\xa9llo", 6));
	a = kvmlet_str("", 0);
	call_ok(sb, "echo_s", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_STR && r.buf.len == 0);
	a = kvmlet_bytes("\0\1\2\xff", 4);
	call_ok(sb, "echo_y", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_BYTES && r.buf.len == 4 && !memcmp(r.buf.ptr, "\0\1\2\xff", 4));
	a = kvmlet_bytes(NULL, 0);
	call_ok(sb, "echo_y", &a, 1, &r);
	ck_assert(r.type == KVMLET_TYPE_BYTES && r.buf.len == 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	a = kvmlet_str(big, sizeof(big));
	call_ok(sb, "echo_s", &a, 1, &r);
	ck_assert(r.buf.len == sizeof(big) && !memcmp(r.buf.ptr, big, sizeof(big)));
	call_ok(sb, "nothing", NULL, 0, &r);
	ck_assert_int_eq(r.type, KVMLET_TYPE_VOID);
	struct kvmlet_value six[] = {kvmlet_i64(-5), kvmlet_u64(6), kvmlet_f64(1.5),
				     kvmlet_bool(true), kvmlet_str("abc", 3), kvmlet_bytes("xy", 2)};
	call_ok(sb, "mixed", six, 6, &r);
	ck_assert(r.buf.len == strlen("-5 6 150 1 3 2") && !memcmp(r.buf.ptr, "-5 6 150 1 3 2", r.buf.len));
	kvmlet_sandbox_free(sb);
}
END_TEST

/* The largest string that fits the default 256 KiB buffers, and one byte more. */
START_TEST(maximum_size_round_trip)
{
	struct kvmlet_sandbox *sb = types_sandbox();
	struct kvmlet_value r, a;
	struct kvmlet_error err;
	static char s[(256 << 10)];
	size_t max = (256 << 10) - sizeof(uint32_t) * 6 - 16 - 1; /* header, one value, NUL */

	memset(s, 'm', sizeof(s));
	a = kvmlet_str(s, max);
	call_ok(sb, "echo_s", &a, 1, &r);
	ck_assert_uint_eq(r.buf.len, max);
	ck_assert_int_eq(memcmp(r.buf.ptr, s, max), 0);
	a = kvmlet_bytes(s, max);
	call_ok(sb, "echo_y", &a, 1, &r);
	ck_assert_uint_eq(r.buf.len, max);
	a = kvmlet_str(s, max + 1);
	ck_assert_int_eq(kvmlet_call(sb, "echo_s", &a, 1, &r, &err), -E2BIG);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(argument_errors)
{
	struct kvmlet_sandbox *sb = types_sandbox();
	struct kvmlet_value r, a = kvmlet_str("x", 1);
	struct kvmlet_error err;
	static char huge[300 << 10];

	ck_assert_int_eq(kvmlet_call(sb, "no_such", NULL, 0, &r, &err), -ENOSYS);
	ck_assert_int_eq(kvmlet_call(sb, "echo_i", NULL, 0, &r, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_call(sb, "echo_i", &a, 1, &r, &err), -EINVAL);
	a = kvmlet_str(huge, sizeof(huge));
	ck_assert_int_eq(kvmlet_call(sb, "echo_s", &a, 1, &r, &err), -E2BIG);
	/* None of these entered the guest: the sandbox still works. */
	call_ok(sb, "count", NULL, 0, &r);
	ck_assert_int_eq(r.i64, 1);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(guest_errors_and_limits)
{
	struct kvmlet_sandbox *sb = types_sandbox();
	struct kvmlet_value r, a;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_call(sb, "fails", NULL, 0, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, "deliberate failure"), "%s", err.msg);
	a = kvmlet_u64((256 << 10) + 1);
	ck_assert_int_eq(kvmlet_call(sb, "big", &a, 1, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, "too large"), "%s", err.msg);
	/* A failed guest function does not poison the sandbox. */
	call_ok(sb, "count", NULL, 0, &r);
	ck_assert_int_eq(r.i64, 1);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(host_functions)
{
	struct kvmlet_sandbox *sb = types_sandbox();
	struct kvmlet_value r, args[2] = {kvmlet_i64(40), kvmlet_i64(2)};
	struct kvmlet_error err;

	call_ok(sb, "host_add", args, 2, &r);
	ck_assert_int_eq(r.i64, 42);
	args[0] = kvmlet_i64(13);
	ck_assert_int_eq(kvmlet_call(sb, "host_add", args, 2, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, "unlucky number"), "%s", err.msg);
	struct kvmlet_value s[2] = {kvmlet_str("nope", 4), kvmlet_str("x", 1)};
	call_ok(sb, "host_str", s, 2, &r);
	ck_assert_msg(r.buf.len > 6 && !memcmp(r.buf.ptr, "error:no host function named nope", 33),
		      "%.*s", (int)r.buf.len, (const char *)r.buf.ptr);
	s[0] = kvmlet_str("add", 3);
	call_ok(sb, "host_str", s, 2, &r);
	ck_assert_msg(strstr(r.buf.ptr, "takes 2 arguments"), "%.*s", (int)r.buf.len,
		      (const char *)r.buf.ptr);
	s[0] = kvmlet_str("reenter", 7);
	call_ok(sb, "host_str", s, 2, &r);
	ck_assert_msg(strstr(r.buf.ptr, "ok:-35 "), "%.*s", (int)r.buf.len,
		      (const char *)r.buf.ptr); /* -EDEADLK */
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(poisoned_after_fault_timeout_exit)
{
	static const struct {
		const char *fn;
		int code;
	} cases[] = {{"faults", -EFAULT}, {"spins", -ETIMEDOUT}, {"exits", -ECONNABORTED}};
	struct kvmlet_config cfg;

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = 200 * 1000 * 1000;
	for (unsigned i = 0; i < 3; i++) {
		struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", &cfg);
		struct kvmlet_value r;
		struct kvmlet_error err;

		ck_assert_int_eq(kvmlet_call(sb, cases[i].fn, NULL, 0, &r, &err), cases[i].code);
		ck_assert_int_eq(kvmlet_call(sb, "count", NULL, 0, &r, &err), -ENOTRECOVERABLE);
		kvmlet_sandbox_free(sb);
	}
}
END_TEST

/*
 * Deadlines hold while other runs come and go: runs mark themselves in the
 * watchdog's list without a lock, so a run must never go unseen. Each thread
 * makes many short calls, then one that spins: it must end at its deadline,
 * not when the watchdog happens to wake (it sleeps a second when idle).
 */
#define BUSY_THREADS 3
#define BUSY_ROUNDS  5
#define BUSY_LIMIT   (60 * 1000000ull)

struct busy {
	int bad_short, bad_spin; /* a short call's code, a spinning call's */
	uint64_t worst_ns;	 /* the longest spinning call */
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void *busy_thread(void *arg)
{
	struct busy *b = arg;
	struct kvmlet_config cfg;
	struct kvmlet_value r;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = BUSY_LIMIT;
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", &cfg);
	for (int round = 0; round < BUSY_ROUNDS; round++) {
		for (int i = 0; i < 100; i++) {
			int rc = kvmlet_call(sb, "nothing", NULL, 0, &r, &err);
			if (rc != 0)
				b->bad_short = rc;
		}
		uint64_t t0 = mono_ns();
		int rc = kvmlet_call(sb, "spins", NULL, 0, &r, &err);
		uint64_t took = mono_ns() - t0;
		if (rc != -ETIMEDOUT)
			b->bad_spin = rc;
		if (took > b->worst_ns)
			b->worst_ns = took;
		if (kvmlet_reset(sb, &err) != 0)
			b->bad_spin = -1000;
	}
	kvmlet_sandbox_free(sb);
	return NULL;
}

START_TEST(deadlines_hold_among_busy_threads)
{
	struct busy b[BUSY_THREADS] = {0};
	pthread_t th[BUSY_THREADS];

	for (int i = 0; i < BUSY_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, busy_thread, &b[i]), 0);
	for (int i = 0; i < BUSY_THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(b[i].bad_short == 0, "a short call returned %d", b[i].bad_short);
		ck_assert_msg(b[i].bad_spin == 0, "a spinning call returned %d", b[i].bad_spin);
		/* Its limit plus scheduling among the threads (under QEMU too), well
		 * short of the watchdog's idle second. */
		ck_assert_msg(b[i].worst_ns < BUSY_LIMIT + 600 * 1000000ull,
			      "a spinning call ran %llu ms past a %llu ms limit",
			      (unsigned long long)(b[i].worst_ns - BUSY_LIMIT) / 1000000,
			      (unsigned long long)BUSY_LIMIT / 1000000);
	}
}
END_TEST

static const struct {
	const char *fn;
	int code;
	const char *needle;
} hostile[] = {
	{"len_past_buffer", -EPROTO, "message length"},
	{"offset_past_end", -EPROTO, "outside the message"},
	{"offset_overflow", -EPROTO, "outside the message"},
	{"wrong_type", -EPROTO, "does not match signature"},
	{"bad_magic", -EPROTO, "malformed result"},
	{"too_many_values", -EPROTO, "values"},
	{"too_large", -EREMOTEIO, "too large"},
	{"hostcall_garbage", -EPROTO, "malformed host call"},
	{"bad_print", -EFAULT, "is not readable guest memory"},
	{"other_port", -EFAULT, "general protection fault"},
};

START_TEST(hostile_results_are_clean_errors)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("hostile_result", NULL);
	struct kvmlet_value r;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_call(sb, hostile[_i].fn, NULL, 0, &r, &err), hostile[_i].code);
	ck_assert_msg(strstr(err.msg, hostile[_i].needle), "%s: '%s' lacks '%s'", hostile[_i].fn,
		      err.msg, hostile[_i].needle);
	kvmlet_sandbox_free(sb);
	/* The host is unharmed: a fresh sandbox works. */
	sb = kvmtest_sandbox("hostile_result", NULL);
	ck_assert_int_eq(kvmlet_call(sb, "fine", NULL, 0, &r, &err), 0);
	ck_assert_int_eq(r.i64, 7);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(register_rules)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", NULL);
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_register(sb, "bad name", "i:i", host_add, NULL, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_register(sb, "f", "i", host_add, NULL, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_register(sb, "f", "q:i", host_add, NULL, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_register(sb, "f", "i:ii", host_add, NULL, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_register(sb, "f", "i:i", host_add, NULL, &err), 0);
	ck_assert_int_eq(kvmlet_register(sb, "f", "i:i", host_add, NULL, &err), -EEXIST);
	ck_assert_int_eq(kvmlet_init(sb, &err), 0);
	ck_assert_int_eq(kvmlet_register(sb, "g", "i:i", host_add, NULL, &err), -EBUSY);
	ck_assert_int_eq(kvmlet_init(sb, &err), -EBUSY);
	ck_assert_uint_ge(kvmlet_export_count(sb), 10);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* READY with a call stack top the guest may not write (the ring-0 stack). */
START_TEST(call_stack_must_be_user_writable)
{
	struct kvmlet_result res;
	struct kvmtest_output out;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_run("bad_call_stack", NULL, &res, &out, &err), -EPROTO);
	ck_assert_int_eq(res.outcome, KVMLET_FAULTED);
	ck_assert_msg(strstr(err.msg, "call stack top 0x8000 is not"), "%s", err.msg);
}
END_TEST

/* The longest time limits are no limit (their deadline is past the end of
 * the clock), never one already over. */
START_TEST(longest_time_limit)
{
	const uint64_t limits[] = {UINT64_MAX, UINT64_MAX - 1, UINT64_MAX / 2 + 1};
	struct kvmlet_config cfg;
	struct kvmlet_value r;

	for (unsigned i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		kvmlet_config_default(&cfg);
		cfg.timeout_ns = limits[i];
		struct kvmlet_sandbox *sb = types_sandbox_with(&cfg);

		call_ok(sb, "nothing", NULL, 0, &r);
		kvmlet_sandbox_free(sb);
	}
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("call");
	TCase *tc = tcase_create("call");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_type_round_trips);
	tcase_add_test(tc, maximum_size_round_trip);
	tcase_add_test(tc, argument_errors);
	tcase_add_test(tc, guest_errors_and_limits);
	tcase_add_test(tc, host_functions);
	tcase_add_test(tc, poisoned_after_fault_timeout_exit);
	tcase_add_test(tc, deadlines_hold_among_busy_threads);
	tcase_add_loop_test(tc, hostile_results_are_clean_errors, 0,
			    sizeof(hostile) / sizeof(hostile[0]));
	tcase_add_test(tc, register_rules);
	tcase_add_test(tc, call_stack_must_be_user_writable);
	tcase_add_test(tc, longest_time_limit);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
