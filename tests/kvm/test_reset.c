/* test_reset.c: snapshot, reset and cancellation (suite kvm). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmlet_abi.h"
#include "kvmtest.h"
#include "sandbox.h"

START_TEST(counter_does_not_leak)
{
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", NULL);

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 102); /* no reset: state stays */
	for (int i = 0; i < 20; i++) {
		kvmtest_reset(sb);
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
		ck_assert_uint_ge(kvmlet_last_reset_pages(sb), 1);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * A reset restores what the call wrote and nothing more: `count` writes its
 * counter (one data page), its stack (one page) and its result (one page of
 * the result buffer), and the host wrote its arguments (one page). Page-table
 * pages never count: every entry is built with Accessed and Dirty set, and a
 * table page a walker merely marked written is compared, not restored.
 */
START_TEST(reset_restores_only_what_the_call_wrote)
{
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", NULL);

	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
		kvmtest_reset(sb);
		ck_assert_uint_eq(kvmlet_last_reset_pages(sb), 4);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * The pages every call writes (result, host-call buffer, call stack top) are
 * left writable after the first reset, out of KVM's dirty log: a reset must
 * still bring them back, whatever a later call wrote there.
 */
START_TEST(pages_every_call_writes_come_back)
{
	struct kvmlet_sandbox *sb = kvmtest_ready("call_types", NULL);
	struct kvmlet_bootinfo bi;
	static uint8_t before[2][4096], after[4096];
	char text[3000];
	struct kvmlet_value v, r;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmlet_read_guest(sb, KVMLET_BOOTINFO_GPA, &bi, sizeof(bi)), 0);
	const uint64_t page[2] = {bi.ring_guest & ~4095ull, bi.hostcall_buf & ~4095ull};
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(kvmlet_read_guest(sb, page[k], before[k], 4096), 0);
	for (int round = 0; round < 4; round++) {
		memset(text, 'a' + round, sizeof(text));
		v = kvmlet_str(text, sizeof(text));
		ck_assert_msg(kvmlet_call(sb, "echo_s", &v, 1, &r, &err) == 0, "%s", err.msg);
		struct kvmlet_value two[2] = {kvmlet_str("nosuch", 6), kvmlet_str(text, 2000)};
		ck_assert_msg(kvmlet_call(sb, "host_str", two, 2, &r, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(kvmlet_read_guest(sb, page[0], after, 4096), 0);
		ck_assert_msg(memchr(after, 'a' + round, 4096), "the result is in the page");
		kvmtest_reset(sb);
		for (int k = 0; k < 2; k++) {
			ck_assert_int_eq(kvmlet_read_guest(sb, page[k], after, 4096), 0);
			ck_assert_msg(!memcmp(after, before[k], 4096),
				      "round %d: page 0x%llx not restored", round,
				      (unsigned long long)page[k]);
		}
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(reset_each_call_option)
{
	struct kvmlet_config cfg;

	kvmlet_config_default(&cfg);
	cfg.reset_each_call = true;
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", &cfg);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Heap, stack and the guest's own page tables all come back. */
START_TEST(scribbles_are_undone)
{
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", NULL);
	struct kvmlet_value a = kvmlet_i64(7);
	uint64_t pa;
	uint32_t prot;

	ck_assert_int_eq(kvmtest_call_i(sb, "look", NULL, 0), 0);
	ck_assert_int_eq(kvmtest_call_i(sb, "scribble", &a, 1), 7 * 8192);
	ck_assert_int_eq(kvmtest_call_i(sb, "look", NULL, 0), 1007);
	ck_assert_int_eq(kvmlet_translate(sb, 0x0000200000000000ull, &pa, &prot), 0);
	kvmtest_reset(sb);
	ck_assert_uint_ge(kvmlet_last_reset_pages(sb), 128); /* 512 KiB of heap at least */
	ck_assert_int_eq(kvmlet_translate(sb, 0x0000200000000000ull, &pa, &prot), -ENXIO);
	ck_assert_int_eq(kvmtest_call_i(sb, "look", NULL, 0), 0);
	/* Again: the guest can map the same page after the reset. */
	ck_assert_int_eq(kvmtest_call_i(sb, "scribble", &a, 1), 7 * 8192);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(reset_after_fault_timeout_and_wreck)
{
	struct kvmlet_config cfg;
	struct kvmlet_value r;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = 200 * 1000 * 1000;
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", &cfg);
	ck_assert_int_eq(kvmlet_call(sb, "fault", NULL, 0, &r, &err), -EFAULT);
	ck_assert_int_eq(kvmlet_call(sb, "count", NULL, 0, &r, &err), -ENOTRECOVERABLE);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	ck_assert_int_eq(kvmlet_call(sb, "spin", NULL, 0, &r, &err), -ETIMEDOUT);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	/* Whatever wrecking its tables does to the call, a reset repairs it. */
	kvmlet_call(sb, "wreck_tables", NULL, 0, &r, &err);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * A call ends at the runtime's `out` to the RETURN port, which KVM would
 * skip at the next KVM_RUN if RIP were still there. A reset spends no system
 * call to drain that: the vCPU module keeps the skip from acting on state
 * loaded since. Here the next entry is that very `out` (a guest that named it
 * as its dispatcher could make it so): it must run again, not be skipped, as
 * on a vCPU that was drained. A resumed exit (new registers, same place) is
 * still skipped: every host call and Linux system call depends on that.
 */
START_TEST(out_not_skipped_after_reset)
{
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", NULL);
	struct kvmlet_error err;
	struct watch w = {0}; /* no time limit, no cancel */

	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	ck_assert_int_eq(sb->vcpu.pending, VCPU_OUT_PENDING);
	ck_assert_uint_eq(sb->vcpu.run->io.port, KVMLET_PORT_RETURN);
	uint64_t x = sb->vcpu.out_rip;
	kvmtest_reset(sb);
	ck_assert_int_eq(sb->vcpu.pending, VCPU_OUT_PENDING); /* nothing else to finish */
	ck_assert_msg(vcpu_set_entry(&sb->vcpu, x, sb->calls.call_sp, &err) == 0, "%s", err.msg);
	ck_assert_msg(vcpu_run(&sb->vcpu, &w, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(sb->vcpu.run->exit_reason, KVM_EXIT_IO);
	ck_assert_uint_eq(sb->vcpu.run->io.port, KVMLET_PORT_RETURN);
	ck_assert_uint_eq(sb->vcpu.run->s.regs.regs.rip, x);
	/* The same after a drain that needed no KVM_RUN: the state is a reset's. */
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(run_again_after_reset)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("exit_status", NULL);
	struct kvmlet_result res;
	struct kvmlet_error err;

	for (int i = 0; i < 5; i++) {
		ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(res.status, 42);
		ck_assert_int_eq(kvmlet_run(sb, &res, &err), -EALREADY);
		kvmtest_reset(sb);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

struct racer {
	struct kvmlet_sandbox *sb;
	volatile int go, stop;
	unsigned seed;
};

static void *cancel_thread(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		if (!r->go)
			continue;
		/* Cancel somewhere between just before entry and just after the exit. */
		struct timespec ts = {0, (long)(rand_r(&r->seed) % 2000000)};
		nanosleep(&ts, NULL);
		kvmlet_cancel(r->sb);
		r->go = 0;
	}
	return NULL;
}

START_TEST(cancel_races_completion)
{
	struct racer r = {.sb = kvmtest_ready("stateful", NULL), .seed = 12345};
	struct kvmlet_value a, res;
	struct kvmlet_error err;
	pthread_t t;
	int completed = 0, cancelled = 0;
	unsigned seed = 99;

	ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, &r), 0);
	for (int i = 0; i < 1000; i++) {
		/* Calls of random length against cancels at random times. */
		a = kvmlet_u64((uint64_t)(rand_r(&seed) % 200000));
		r.go = 1;
		int rc = kvmlet_call(r.sb, "work", &a, 1, &res, &err);
		while (r.go)
			; /* the cancel has been sent (or found nothing running) */
		if (rc == 0) {
			ck_assert_uint_eq(res.u64, a.u64);
			completed++;
		} else {
			ck_assert_msg(rc == -ECANCELED, "call %d: %d %s", i, rc, err.msg);
			cancelled++;
		}
		kvmtest_reset(r.sb);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	printf("cancel race: %d completed, %d cancelled\n", completed, cancelled);
	ck_assert_int_eq(completed + cancelled, 1000);
	ck_assert_int_eq(kvmlet_cancel(r.sb), -ESRCH); /* nothing running: discarded */
	ck_assert_int_eq(kvmtest_call_i(r.sb, "count", NULL, 0), 101);
	kvmlet_sandbox_free(r.sb);
}
END_TEST

static void *cancel_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	while (kvmlet_cancel(arg) == -ESRCH)
		nanosleep(&ts, NULL);
	return NULL;
}

START_TEST(cancel_stops_a_spinning_call)
{
	struct kvmlet_sandbox *sb = kvmtest_ready("stateful", NULL);
	struct kvmlet_value r;
	struct kvmlet_error err;
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, sb), 0);
	ck_assert_int_eq(kvmlet_call(sb, "spin", NULL, 0, &r, &err), -ECANCELED);
	pthread_join(t, NULL);
	ck_assert_msg(strstr(err.msg, "cancelled"), "%s", err.msg);
	ck_assert_int_eq(kvmlet_call(sb, "count", NULL, 0, &r, &err), -ENOTRECOVERABLE);
	kvmtest_reset(sb);
	ck_assert_int_eq(kvmtest_call_i(sb, "count", NULL, 0), 101);
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("reset");
	TCase *tc = tcase_create("reset");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, counter_does_not_leak);
	tcase_add_test(tc, reset_restores_only_what_the_call_wrote);
	tcase_add_test(tc, pages_every_call_writes_come_back);
	tcase_add_test(tc, reset_each_call_option);
	tcase_add_test(tc, scribbles_are_undone);
	tcase_add_test(tc, reset_after_fault_timeout_and_wreck);
	tcase_add_test(tc, run_again_after_reset);
	tcase_add_test(tc, out_not_skipped_after_reset);
	tcase_add_test(tc, cancel_stops_a_spinning_call);
	tcase_add_test(tc, cancel_races_completion);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
