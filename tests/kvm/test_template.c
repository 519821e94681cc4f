/* test_template.c: templates, sandboxes made from them, pools, two threads (suite kvm). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"

#define SANDBOXES 200

static int host_add(void *arg, const struct kvmlet_value *args, unsigned nargs,
		    struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 + args[1].i64);
	return 0;
}

static struct kvmlet_sandbox *initialised(const char *guest)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox(guest, NULL);
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_register(sb, "add", "ii:i", host_add, NULL, &err), 0);
	ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s", err.msg);
	return sb;
}

struct worker {
	struct kvmlet_sandbox **sbs;
	unsigned from, to;
	int64_t failures;
};

/* Each sandbox: counter, scribble with its own value, host call, reset, counter again. */
static void *drive(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = w->from; i < w->to; i++) {
		struct kvmlet_sandbox *sb = w->sbs[i];
		struct kvmlet_value v = kvmlet_i64((int64_t)(i % 251)), r;
		struct kvmlet_value two[2] = {kvmlet_i64(i), kvmlet_i64(1000)};
		struct kvmlet_error err;

		if (kvmlet_call(sb, "count", NULL, 0, &r, &err) || r.i64 != 101)
			w->failures++;
		if (kvmlet_call(sb, "scribble", &v, 1, &r, &err) || r.i64 != (int64_t)(i % 251) * 8192)
			w->failures++;
		if (kvmlet_call(sb, "look", NULL, 0, &r, &err) || r.i64 != 1000 + (int64_t)(i % 251))
			w->failures++;
		if (kvmlet_call(sb, "host_add", two, 2, &r, &err) || r.i64 != (int64_t)i + 1000)
			w->failures++;
		if (kvmlet_reset(sb, &err) || kvmlet_call(sb, "look", NULL, 0, &r, &err) || r.i64 != 0)
			w->failures++;
	}
	return NULL;
}

START_TEST(many_sandboxes_two_threads)
{
	struct kvmlet_sandbox *base = initialised("stateful_host");
	struct kvmlet_template *t;
	struct kvmlet_error err;
	static struct kvmlet_sandbox *sbs[SANDBOXES];

	ck_assert_msg(kvmlet_template_new(&t, base, &err) == 0, "%s", err.msg);
	for (unsigned i = 0; i < SANDBOXES; i++)
		ck_assert_msg(kvmlet_sandbox_from_template(&sbs[i], t, &err) == 0, "%u: %s", i,
			      err.msg);
	kvmlet_template_free(t); /* the sandboxes keep it alive */
	struct worker w[2] = {{sbs, 0, SANDBOXES / 2, 0}, {sbs, SANDBOXES / 2, SANDBOXES, 0}};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, drive, &w[1]), 0);
	drive(&w[0]);
	pthread_join(th, NULL);
	ck_assert_int_eq(w[0].failures + w[1].failures, 0);
	/* The template was never modified: a sandbox made from it now is pristine. */
	struct kvmlet_sandbox *fresh;
	ck_assert_int_eq(kvmlet_sandbox_from_template(&fresh, t, &err), 0);
	ck_assert_int_eq(kvmtest_call_i(fresh, "look", NULL, 0), 0);
	ck_assert_int_eq(kvmtest_call_i(fresh, "count", NULL, 0), 101);
	kvmlet_sandbox_free(fresh);
	for (unsigned i = 0; i < SANDBOXES; i++)
		kvmlet_sandbox_free(sbs[i]);
	/* Nor was the sandbox it came from. */
	ck_assert_int_eq(kvmtest_call_i(base, "count", NULL, 0), 101);
	kvmlet_sandbox_free(base);
}
END_TEST

struct pool_worker {
	struct kvmlet_pool *pool;
	int failures;
};

static void *use_pool(void *arg)
{
	struct pool_worker *w = arg;

	for (int i = 0; i < 50; i++) {
		struct kvmlet_sandbox *sb;
		struct kvmlet_value r;
		struct kvmlet_error err;

		if (kvmlet_pool_acquire(w->pool, &sb, &err)) {
			w->failures++;
			continue;
		}
		if (kvmlet_call(sb, "count", NULL, 0, &r, &err) || r.i64 != 101)
			w->failures++;
		if (kvmlet_pool_release(w->pool, sb, &err))
			w->failures++;
	}
	return NULL;
}

START_TEST(pool_hands_out_reset_sandboxes)
{
	struct kvmlet_sandbox *base = initialised("stateful_host");
	struct kvmlet_template *t;
	struct kvmlet_pool *pool;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_template_new(&t, base, &err), 0);
	kvmlet_sandbox_free(base);
	ck_assert_msg(kvmlet_pool_new(&pool, t, 3, &err) == 0, "%s", err.msg);
	kvmlet_template_free(t);
	struct pool_worker w[2] = {{pool, 0}, {pool, 0}};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, use_pool, &w[1]), 0);
	use_pool(&w[0]);
	pthread_join(th, NULL);
	ck_assert_int_eq(w[0].failures + w[1].failures, 0);
	kvmlet_pool_free(pool);
}
END_TEST

START_TEST(template_needs_initialised_sandbox)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("stateful", NULL);
	struct kvmlet_template *t;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_template_new(&t, sb, &err), -EINVAL);
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("template");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, template_needs_initialised_sandbox);
	tcase_add_test(tc, many_sandboxes_two_threads);
	tcase_add_test(tc, pool_hands_out_reset_sandboxes);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
