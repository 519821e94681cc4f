/* test_exitless.c: kvmlet_set_exitless, calls through the call ring without exits (suite kvm). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvmtest.h"

#define SPIN_MAX 100000u /* us: the longest the guest may poll */

/* Traces arrive on the sandbox's thread in exit-less mode. */
static void count_exits(void *arg, const struct kvmlet_exit_info *e)
{
	(void)e;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

static struct kvmlet_sandbox *exitless_sandbox(const struct kvmlet_config *cfg, unsigned spin_us)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", cfg);
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_register(sb, "add", "ii:i", kvmtest_host_add, NULL, &err), 0);
	ck_assert_msg(kvmlet_set_exitless(sb, spin_us, &err) == 0, "%s", err.msg);
	return sb;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Calls with the guest polling: right results, state kept, (almost) no exits. */
START_TEST(calls_without_exits)
{
	struct kvmlet_sandbox *sb = exitless_sandbox(NULL, SPIN_MAX);
	atomic_uint exits = 0;

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1); /* the guest starts polling */
	kvmlet_set_trace(sb, count_exits, &exits);
	for (int i = 2; i <= 200; i++)
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), i);
	for (int i = 0; i < 50; i++) {
		struct kvmlet_value a[2] = {kvmlet_i64(i), kvmlet_i64(1000)};
		ck_assert_int_eq(kvmtest_call_i(sb, "host_add", a, 2), i + 1000);
	}
	struct kvmlet_value s = kvmlet_str("exit-less", 9), out;
	struct kvmlet_error err;
	ck_assert_msg(kvmlet_call(sb, "echo_s", &s, 1, &out, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(out.type, KVMLET_TYPE_STR);
	ck_assert_mem_eq(out.buf.ptr, "exit-less", 9);
	/* A batch travels the same way. */
	const struct kvmlet_batch_call calls[] = {{"count", NULL, 0}, {"fails", NULL, 0},
						  {"count", NULL, 0}};
	struct kvmlet_batch_result br[3];
	ck_assert_int_eq(kvmlet_call_batch(sb, calls, 3, br, &err), 1);
	ck_assert_int_eq(br[0].status, 0);
	ck_assert_int_eq(br[0].value.i64, 201);
	ck_assert_int_eq(br[1].status, -EREMOTEIO);
	ck_assert_int_eq(br[2].value.i64, 202);
	/* Each call and host call would be an exit: 300 of them. The guest exits
	 * only where a poll runs out (the host preempted for 100 ms). */
	unsigned n = atomic_load(&exits);
	ck_assert_msg(n <= 10, "%u exits for 252 calls and 50 host calls", n);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Once the polling time has passed, an idle sandbox burns no CPU, and the
 * next call wakes it. */
START_TEST(idle_sandbox_sleeps)
{
	struct kvmlet_sandbox *sb = exitless_sandbox(NULL, 20000);

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	usleep(100000); /* the guest's poll (20 ms) and ours run out */
	double t0 = cpu_ms();
	usleep(400000);
	double used = cpu_ms() - t0;
	ck_assert_msg(used < 100, "%.1f ms of CPU in 400 ms idle", used);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 2);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 3);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* A reset takes the vCPU from the sandbox's thread and gives it back. */
START_TEST(reset_between_calls)
{
	struct kvmlet_sandbox *sb = exitless_sandbox(NULL, 50000);

	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 2);
		kvmtest_reset(sb);
		ck_assert_uint_le(kvmlet_last_reset_pages(sb), 8);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Failures end the call as they would with exits; a reset brings it back. */
START_TEST(fault_timeout_exit)
{
	struct kvmlet_config cfg;
	kvmlet_config_default(&cfg);
	cfg.timeout_ns = 300 * 1000000ull;
	struct kvmlet_sandbox *sb = exitless_sandbox(&cfg, SPIN_MAX);
	struct kvmlet_value v;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	ck_assert_int_eq(kvmlet_call(sb, "faults", NULL, 0, &v, &err), -EFAULT);
	ck_assert_int_eq(kvmlet_call(sb, "count", NULL, 0, &v, &err), -ENOTRECOVERABLE);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	ck_assert_int_eq(kvmlet_call(sb, "spins", NULL, 0, &v, &err), -ETIMEDOUT);
	ck_assert_msg(strstr(err.msg, "timed out"), "%s", err.msg);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	ck_assert_int_eq(kvmlet_call(sb, "exits", NULL, 0, &v, &err), -ECONNABORTED);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	kvmlet_sandbox_free(sb);
}
END_TEST

struct canceller {
	struct kvmlet_sandbox *sb;
	int r;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;

	usleep(200000);
	c->r = kvmlet_cancel(c->sb);
	return NULL;
}

START_TEST(cancel_from_another_thread)
{
	struct kvmlet_sandbox *sb = exitless_sandbox(NULL, SPIN_MAX);
	struct canceller c = {.sb = sb, .r = 1};
	struct kvmlet_value v;
	struct kvmlet_error err;
	pthread_t t;

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
	ck_assert_int_eq(kvmlet_call(sb, "spins", NULL, 0, &v, &err), -ECANCELED);
	pthread_join(t, NULL);
	ck_assert_int_eq(c.r, 0);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Off again: calls go on with exits, from where the guest was. */
START_TEST(on_and_off)
{
	struct kvmlet_sandbox *sb = exitless_sandbox(NULL, SPIN_MAX);
	struct kvmlet_error err;
	atomic_uint exits = 0;

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 1);
	ck_assert_int_eq(kvmlet_set_exitless(sb, 0, &err), 0);
	kvmlet_set_trace(sb, count_exits, &exits);
	for (int i = 2; i <= 11; i++)
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), i);
	ck_assert_uint_eq(atomic_load(&exits), 10); /* one RETURN each */
	ck_assert_int_eq(kvmlet_set_exitless(sb, 1000, &err), 0);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 12);
	ck_assert_int_eq(kvmlet_set_exitless(sb, SPIN_MAX, &err), 0); /* a new polling time */
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 13);
	kvmlet_sandbox_free(sb); /* with the thread running */
}
END_TEST

START_TEST(refusals)
{
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", NULL);
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_set_exitless(sb, SPIN_MAX + 1, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_set_exitless(sb, 0, &err), 0); /* off while off */
	kvmlet_sandbox_free(sb);
	kvmlet_config_default(&cfg);
	cfg.reset_each_call = true;
	sb = kvmtest_sandbox("call_types", &cfg);
	ck_assert_int_eq(kvmlet_set_exitless(sb, 1000, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "reset_each_call"), "%s", err.msg);
	kvmlet_sandbox_free(sb);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("exitless");
	TCase *tc = tcase_create("exitless");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, calls_without_exits);
	tcase_add_test(tc, idle_sandbox_sleeps);
	tcase_add_test(tc, reset_between_calls);
	tcase_add_test(tc, fault_timeout_exit);
	tcase_add_test(tc, cancel_from_another_thread);
	tcase_add_test(tc, on_and_off);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return kvmtest_main(suite());
}
