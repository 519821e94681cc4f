/*
 * test_libc.c: guest functions in static libc programs (tests/linux/lxcall.c,
 * kvmlet_linux.h), built with musl and with glibc: calls run on their own
 * stack (main's frames and argv survive them), keep TLS and the heap, print
 * through stdio to the output callback, make host calls, reset, and work
 * from a template; kvmlet_run runs main on past kvmlet_serve.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"

static const char *const guests[] = {"lxcall_musl", "lxcall_glibc"};

static int host_square(void *arg, const struct kvmlet_value *args, unsigned nargs,
		       struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 * args[0].i64);
	return 0;
}

static struct kvmtest_output out;

static struct kvmlet_sandbox *start(const char *guest, bool reset_each_call)
{
	const char *argv[] = {guest, "first-arg"};
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.reset_each_call = reset_each_call;
	sb = kvmtest_sandbox(guest, &cfg);
	ck_assert_msg(kvmlet_set_args(sb, 2, argv, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_register(sb, "square", "i:i", host_square, NULL, &err) == 0, "%s",
		      err.msg);
	out.len = 0;
	out.buf[0] = '\0';
	kvmlet_set_output(sb, kvmtest_capture, &out);
	ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s: init: %s", guest, err.msg);
	return sb;
}

START_TEST(calls)
{
	const char *g = guests[_i];
	struct kvmlet_sandbox *sb = start(g, false);
	struct kvmlet_value a[2] = {kvmlet_i64(40), kvmlet_i64(2)}, r;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_call_i(sb, "add", a, 2), 42);
	ck_assert_int_eq(kvmtest_call_i(sb, "sq", a, 1), 1600);
	ck_assert_int_eq(kvmtest_call_i(sb, "deep", a + 1, 1), 2);
	/* a global and a TLS variable, both kept between calls without resets */
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1 + 101);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 2 + 102);
	ck_assert_msg(kvmlet_call(sb, "hello", NULL, 0, &r, &err) == 0, "%s", err.msg);
	ck_assert_msg(strstr(out.buf, "hello from lxcall_") && strstr(out.buf, ", 42\n") &&
			      strstr(out.buf, "to stderr\n"),
		      "%s: output '%s'", g, out.buf);
	/* after all that, main's frames and argv as they were */
	ck_assert_msg(kvmlet_call(sb, "args", NULL, 0, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.type, KVMLET_TYPE_STR);
	ck_assert_str_eq(r.buf.ptr, "first-arg main-local");
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(resets_and_templates)
{
	const char *g = guests[_i];
	struct kvmlet_sandbox *sb = start(g, true), *base = start(g, false), *t_sb;
	struct kvmlet_template *t;
	struct kvmlet_error err;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 102);
	ck_assert_msg(kvmlet_template_new(&t, base, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_sandbox_from_template(&t_sb, t, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 50; i++) {
		struct kvmlet_value a[2] = {kvmlet_i64(i), kvmlet_i64(i)};
		ck_assert_int_eq(kvmtest_call_i(t_sb, "add", a, 2), 2 * i);
		ck_assert_int_eq(kvmtest_call_i(t_sb, "count", NULL, 0), 102);
		ck_assert_msg(kvmlet_reset(t_sb, &err) == 0, "%s", err.msg);
	}
	kvmlet_sandbox_free(t_sb);
	kvmlet_template_free(t);
	kvmlet_sandbox_free(base);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(run_goes_on_past_serve)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox(guests[_i], NULL);
	const char *argv[] = {guests[_i]};
	struct kvmlet_result res;
	struct kvmlet_error err;

	out.len = 0;
	out.buf[0] = '\0';
	kvmlet_set_output(sb, kvmtest_capture, &out);
	ck_assert_msg(kvmlet_set_args(sb, 1, argv, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.outcome, KVMLET_EXITED);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(out.buf, "main goes on: main-local\n");
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libc");
	TCase *tc = tcase_create("libc");
	/* lxcall_musl needs musl-gcc (musl-tools); without it only glibc runs. */
	int from = getenv("LXCALL_NO_MUSL") ? 1 : 0;

	kvmtest_require_kvm();
	if (from)
		printf("note: no musl-gcc (apt-get install musl-tools): lxcall_musl is not "
		       "tested\n");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, calls, from, 2);
	tcase_add_loop_test(tc, resets_and_templates, from, 2);
	tcase_add_loop_test(tc, run_goes_on_past_serve, from, 2);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
