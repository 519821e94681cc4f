/*
 * test_hostile.c: hostile guests (suite hostile). Each case of cases.c runs
 * one attack (a guest's main through kvmlet_run, or one of its exports through
 * kvmlet_call) and checks exactly how it ends; then that the host is healthy:
 * the poisoned sandbox refuses calls, a kvmlet_reset of it and a fresh sandbox
 * both serve a good call, and no file descriptor leaked. Flooding and host
 * call storms also check that host memory stays bounded. HOSTILE_TIMES=1
 * prints how long each case took.
 */
#include <check.h>
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"
#include "kvmtest.h"
#include "kvmlet_abi.h"
#include "vcpu.h"

#define MS 1000000ull

/* AMD vCPUs (ours copies the host's vendor) have no sysenter in long mode. */
static bool vendor_amd(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(0, &a, &b, &c, &d) && (b == 0x68747541u || b == 0x6f677948u);
}

/*
 * QEMU's TCG (the qemu suite's nested KVM runs on it) gives IDT error codes
 * of vector * 16 + 2, the byte offset of the 64-bit gate, where the manuals
 * say vector * 8 + 2, and never sets EXT. Its CPUID says "TCGTCGTCGTCG".
 */
static bool under_qemu_tcg(void)
{
	unsigned a, b, c, d;

	__cpuid(0x40000000, a, b, c, d);
	return b == 0x54474354u && c == 0x43544743u && d == 0x47435447u;
}

static const char *needle_of(const struct hcase *k)
{
	if (k->needle)
		return k->needle;
	if (!strcmp(k->fn, "sysenter"))
		return vendor_amd() ? "invalid opcode at RIP 0x" : "general protection fault";
	return "unknown";
}

/* The IDT error code: the vector in bits 3..15, bit 1 (IDT), bit 0 (EXT) as the vendor does. */
static const char *needle2_of(const struct hcase *k)
{
	static char buf[64];

	if (k->needle2 != hostile_ec_at_run_time)
		return k->needle2;
	unsigned vector = !strcmp(k->fn, "int80") ? 0x80 : !strcmp(k->fn, "int3") ? 3 : 6;
	/* A #NP while delivering #UD: Intel sets EXT (an earlier exception), AMD not. */
	unsigned ext = vector == 6 && !vendor_amd();
	snprintf(buf, sizeof(buf), "(error code 0x%x)",
		 under_qemu_tcg() ? vector * 16 + 2 : vector * 8 + 2 + ext);
	return buf;
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	ck_assert(d != NULL);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Resident set now, and its peak so far, in KiB. */
static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert(f != NULL);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &resident), 2);
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int host_inc(void *arg, const struct kvmlet_value *args, unsigned nargs,
		    struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 + 1);
	return 0;
}

static struct kvmlet_sandbox *hostile_sandbox(const char *guest, uint64_t timeout_ms)
{
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	size_t size;
	void *elf = kvmtest_read_guest(guest, &size);

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = (timeout_ms ? timeout_ms : 60000) * MS;
	ck_assert_msg(kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) == 0, "%s: %s", guest,
		      err.msg);
	free(elf);
	ck_assert_int_eq(kvmlet_register(sb, "inc", "i:i", host_inc, NULL, &err), 0);
	return sb;
}

/* The guest's scratch word: the first 8 bytes of its result buffer (hostile.h). */
static uint64_t scratch_of(const struct kvmlet_sandbox *sb)
{
	struct kvmlet_bootinfo bi;
	uint64_t w;

	ck_assert_int_eq(kvmlet_read_guest(sb, KVMLET_BOOTINFO_GPA, &bi, sizeof(bi)), 0);
	ck_assert_int_eq(kvmlet_read_guest(sb, bi.result_buf, &w, sizeof(w)), 0);
	return w;
}

static void fine_call(struct kvmlet_sandbox *sb, const char *when)
{
	struct kvmlet_value r;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, "fine", NULL, 0, &r, &err) == 0, "fine, %s: %s", when,
		      err.msg);
	ck_assert_msg(r.type == KVMLET_TYPE_I64 && r.i64 == 7, "fine, %s: returned %lld, not 7",
		      when, (long long)r.i64);
}

static enum kvmlet_outcome outcome_of(int code)
{
	switch (code) {
	case 0:
		return KVMLET_EXITED;
	case -ECONNABORTED:
		return KVMLET_ABORTED;
	case -ETIMEDOUT:
		return KVMLET_TIMED_OUT;
	default:
		return KVMLET_FAULTED;
	}
}

/* Does code and msg match the case, or its alternative? */
static bool matches(const struct hcase *k, int code, const char *msg)
{
	const char *n2 = needle2_of(k);

	if (code == k->code && strstr(msg, needle_of(k)) && (!n2 || strstr(msg, n2)))
		return true;
	if (k->alt && code == k->alt_code && strstr(msg, k->alt)) {
		printf("%s %s: the alternative outcome: %s\n", k->guest, k->fn ? k->fn : "main",
		       msg);
		return true;
	}
	return false;
}

static void check_outcome(const struct hcase *k, const char *how, int code, const char *msg)
{
	const char *n2 = needle2_of(k);

	ck_assert_msg(matches(k, code, msg), "%s %s: %s returned %d '%s', expected %d '%s'%s%s%s",
		      k->guest, k->fn ? k->fn : "main", how, code, msg, k->code, needle_of(k),
		      n2 ? " '" : "", n2 ? n2 : "", n2 ? "'" : "");
}

/* main through kvmlet_run: every field of the result. */
static void attack_run(const struct hcase *k, struct kvmlet_sandbox *sb)
{
	struct kvmlet_result res;
	struct kvmlet_error err;
	int r = kvmlet_run(sb, &res, &err);

	check_outcome(k, "kvmlet_run", r, res.message);
	ck_assert_int_eq(res.outcome, outcome_of(r));
	ck_assert_int_eq(res.vector, k->vector);
	if (k->ec != ANY_EC)
		ck_assert_uint_eq(res.error_code, (uint64_t)k->ec);
	if (r)
		ck_assert_str_eq(err.msg, res.message);
	if (k->check_scratch)
		ck_assert_uint_eq(scratch_of(sb), k->scratch);
	/* A run sandbox is done; a reset brings it back to its first instruction. */
	ck_assert_int_eq(kvmlet_run(sb, &res, &err), -EALREADY);
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "reset after %s: %s", k->guest, err.msg);
}

/* An export through kvmlet_call; a failed call poisons the sandbox until a reset. */
static void attack_call(const struct hcase *k, struct kvmlet_sandbox *sb)
{
	struct kvmlet_value r;
	struct kvmlet_error err = {0};
	int rc = kvmlet_call(sb, k->fn, NULL, 0, &r, &err);

	if (k->code == 0) {
		ck_assert_msg(rc == 0, "%s %s: kvmlet_call %d: %s", k->guest, k->fn, rc, err.msg);
		ck_assert_int_eq(r.i64, k->value);
	} else {
		check_outcome(k, "kvmlet_call", rc, err.msg);
	}
	if (k->check_scratch)
		ck_assert_uint_eq(scratch_of(sb), k->scratch);
	if (rc != 0)
		ck_assert_int_eq(kvmlet_call(sb, "fine", NULL, 0, &r, &err), -ENOTRECOVERABLE);
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "reset after %s: %s", k->fn, err.msg);
	fine_call(sb, "after kvmlet_reset");
}

START_TEST(attack)
{
	const struct hcase *k = &hostile_cases[_i];
	double t0 = now_s();
	/* The library's /dev/kvm descriptor is opened on first use and kept for the
	 * process (one per process, not per sandbox): open it before counting. Freed
	 * sandboxes keep their VM as a warm shell (bounded): count without them,
	 * and without the keeper (one VM kept for the life of the process, made
	 * by the first flush of a shell). */
	kvmlet_sandbox_free(hostile_sandbox(k->guest, 0));
	vcpu_shell_flush();
	unsigned fds = open_fds() - vcpu_keeper_held();
	struct kvmlet_sandbox *sb = hostile_sandbox(k->guest, k->timeout_ms);
	struct kvmlet_error err;

	if (k->exitless)
		ck_assert_msg(kvmlet_set_exitless(sb, 2000, &err) == 0, "%s", err.msg);
	if (k->fn)
		attack_call(k, sb);
	else
		attack_run(k, sb);
	kvmlet_sandbox_free(sb);
	/* The host is unharmed: a fresh sandbox works, and nothing leaked. */
	sb = hostile_sandbox(k->guest, 0);
	fine_call(sb, "fresh sandbox");
	kvmlet_sandbox_free(sb);
	vcpu_shell_flush();
	ck_assert_uint_eq(open_fds() - vcpu_keeper_held(), fds);
	if (getenv("HOSTILE_TIMES"))
		printf("%s %s: %.2f s\n", k->guest, k->fn ? k->fn : "main", now_s() - t0);
}
END_TEST

/*
 * A guest that could reach ring 0 would arm a breakpoint (DR7) for the next
 * caller; its way there (its own IDT gate) now faults at the table write,
 * and the sandbox works after the reset.
 */
START_TEST(debug_registers_out_of_reach)
{
	struct kvmlet_sandbox *sb = hostile_sandbox("h_ring0", 0);
	struct kvmlet_value r;
	struct kvmlet_error err = {0};

	ck_assert_int_eq(kvmlet_call(sb, "ring0_set_dr7", NULL, 0, &r, &err), -EFAULT);
	ck_assert_msg(strstr(err.msg, "protection violation"), "%s", err.msg);
	ck_assert_int_eq(kvmlet_reset(sb, &err), 0);
	ck_assert_int_eq(kvmlet_call(sb, "ring0_set_dr7", NULL, 0, &r, &err), -EFAULT);
	kvmlet_sandbox_free(sb);
}
END_TEST

/*
 * A guest's signal handlers live in its kernel's data and route exceptions
 * through IDT gates in its memory: a reset takes both back. The fault a
 * handler stepped over before the reset ends the call after it.
 */
START_TEST(signal_handlers_do_not_survive_reset)
{
	struct kvmlet_sandbox *sb = hostile_sandbox("h_signals", 0);
	struct kvmlet_value r;
	struct kvmlet_error err = {0};

	for (int i = 0; i < 3; i++) {
		ck_assert_msg(kvmlet_call(sb, "segv_swallowed", NULL, 0, &r, &err) == 0, "%s",
			      err.msg);
		ck_assert_int_eq(r.i64, HOSTILE_SURVIVED);
		ck_assert_int_eq(kvmlet_reset(sb, &err), 0);
		ck_assert_int_eq(kvmlet_call(sb, "segv_plain", NULL, 0, &r, &err), -EFAULT);
		ck_assert_msg(strstr(err.msg, "page fault at RIP"), "%s", err.msg);
		ck_assert_int_eq(kvmlet_reset(sb, &err), 0);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

struct counted {
	uint64_t bytes;
	uint64_t calls;
};

static void count_output(void *arg, const char *buf, size_t len)
{
	struct counted *c = arg;

	(void)buf;
	c->bytes += len;
	c->calls++;
}

/*
 * 100 MiB of output: max_output (1 MiB) of it passed on, the run ends
 * normally and says it was truncated; the host keeps none of the rest.
 */
START_TEST(flood_is_capped)
{
	struct kvmlet_sandbox *sb = hostile_sandbox("h_flood", 0);
	struct counted out = {0};
	struct kvmlet_result res;
	struct kvmlet_error err;
	long before = rss_kib();

	kvmlet_set_output(sb, count_output, &out);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", res.message);
	ck_assert_int_eq(res.outcome, KVMLET_EXITED);
	ck_assert_int_eq(res.status, 0);
	ck_assert(res.output_truncated);
	ck_assert_uint_eq(out.bytes, 1 << 20);
	ck_assert_uint_eq(out.calls, (1 << 20) / KVMLET_LOG_MAX);
	ck_assert_msg(peak_rss_kib() - before < 32 << 10, "RSS %ld KiB before, peak %ld KiB",
		      before, peak_rss_kib());
	/* After a reset the same sandbox runs again, with a fresh allowance. */
	ck_assert_int_eq(kvmlet_reset(sb, &err), 0);
	out = (struct counted){0};
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", res.message);
	ck_assert(res.output_truncated);
	ck_assert_uint_eq(out.bytes, 1 << 20);
	kvmlet_sandbox_free(sb);
	printf("flood: 2 x 100 MiB printed, 2 x 1 MiB passed on; RSS %ld KiB before, peak %ld "
	       "KiB\n",
	       before, peak_rss_kib());
}
END_TEST

/* The same flood in a call: the cap holds for output during calls too. */
START_TEST(flood_in_a_call_is_capped)
{
	struct kvmlet_sandbox *sb = hostile_sandbox("h_flood", 0);
	struct counted out = {0};
	struct kvmlet_value r;
	struct kvmlet_error err;

	kvmlet_set_output(sb, count_output, &out);
	ck_assert_msg(kvmlet_call(sb, "flood_call", NULL, 0, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.i64, 100 << 20);
	ck_assert_uint_eq(out.bytes, 1 << 20);
	kvmlet_sandbox_free(sb);
}
END_TEST

#define HAMMER_CALLS 200000

/* Host calls in bulk, in a run and in one call: all answered, memory flat. */
START_TEST(host_call_storm)
{
	struct kvmlet_sandbox *sb = hostile_sandbox("h_hostcalls", 600000);
	struct kvmlet_value r, n = kvmlet_u64(1000);
	struct kvmlet_result res;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, "hammer_call", &n, 1, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.i64, 1000);
	long before = rss_kib();
	double t0 = now_s();
	n = kvmlet_u64(HAMMER_CALLS);
	ck_assert_msg(kvmlet_call(sb, "hammer_call", &n, 1, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.i64, HAMMER_CALLS);
	double secs = now_s() - t0;
	ck_assert_msg(peak_rss_kib() - before < 4 << 10, "RSS %ld KiB before, peak %ld KiB", before,
		      peak_rss_kib());
	fine_call(sb, "after the storm");
	kvmlet_sandbox_free(sb);
	sb = hostile_sandbox("h_hostcalls", 600000);
	ck_assert_msg(kvmlet_run(sb, &res, &err) == 0, "%s", res.message);
	ck_assert_int_eq(res.status, 0);
	kvmlet_sandbox_free(sb);
	printf("host calls: %d in %.1f s (%.1f us each); RSS %ld KiB before, peak %ld KiB\n",
	       HAMMER_CALLS, secs, secs * 1e6 / HAMMER_CALLS, before, peak_rss_kib());
}
END_TEST

int main(void)
{
	/*
	 * The memory checks measure what kvmlet allocates and touches. With
	 * transparent huge pages "always", khugepaged folds any sparse anonymous
	 * region into a 2 MiB page every ten seconds or so, and so grows RSS with
	 * no allocation at all: under AddressSanitizer, whose regions are sparse,
	 * by 8 MiB during the host call storm. No THP for this process (inherited
	 * by check's forked tests).
	 */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) {
		perror("FAIL: prctl(PR_SET_THP_DISABLE)");
		return EXIT_FAILURE;
	}
	kvmtest_require_kvm();
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, attack, 0, (int)hostile_ncases);
	tcase_add_test(tc, debug_registers_out_of_reach);
	tcase_add_test(tc, signal_handlers_do_not_survive_reset);
	tcase_add_test(tc, flood_is_capped);
	tcase_add_test(tc, flood_in_a_call_is_capped);
	tcase_add_test(tc, host_call_storm);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
