/* test_run.c: run guests under KVM and check how each run ends (suite kvm). */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"
#include "kvmlet_abi.h"
#include "pt_format.h"

static struct kvmtest_output out;

START_TEST(hello_runs)
{
	struct kvmlet_result res;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_run("hello", NULL, &res, &out, &err), 0);
	ck_assert_int_eq(res.outcome, KVMLET_EXITED);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(out.buf, "hello from a kvmlet guest\n");
}
END_TEST

START_TEST(exit_status_and_long_output)
{
	struct kvmlet_result res;
	struct kvmlet_error err;
	char expect[3 * KVMLET_LOG_MAX + 17 + 1];

	ck_assert_int_eq(kvmtest_run("exit_status", NULL, &res, &out, &err), 0);
	ck_assert_int_eq(res.status, 42);
	for (size_t i = 0; i < sizeof(expect) - 1; i++)
		expect[i] = (char)('a' + i % 26);
	expect[sizeof(expect) - 1] = '\0';
	ck_assert_uint_ge(out.len, sizeof(expect) - 1);
	ck_assert_int_eq(memcmp(out.buf, expect, sizeof(expect) - 1), 0);
	ck_assert_str_eq(out.buf + sizeof(expect) - 1,
			 "\n-7 7 ff str    42|42   |00042 -1234567890123 abc|xy|\n");
}
END_TEST

START_TEST(output_is_capped)
{
	struct kvmlet_config cfg;
	struct kvmlet_result res;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.max_output = 100;
	ck_assert_int_eq(kvmtest_run("exit_status", &cfg, &res, &out, &err), 0);
	ck_assert_int_eq(res.status, 42);
	ck_assert_uint_eq(out.len, 100);
	ck_assert(res.output_truncated);
}
END_TEST

START_TEST(abort_reports_message)
{
	struct kvmlet_result res;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_run("aborts", NULL, &res, &out, &err), -ECONNABORTED);
	ck_assert_int_eq(res.outcome, KVMLET_ABORTED);
	ck_assert_str_eq(res.message, "guest aborted: the guest gave up");
	ck_assert_str_eq(err.msg, res.message);
}
END_TEST

static const struct {
	const char *guest;
	int vector;
	const char *needle;
} faults[] = {
	{"fault_null", 14, "reading 0x0: page not present (null pointer)"},
	{"fault_write_text", 14, ": protection violation"},
	{"fault_exec_stack", 14, "executing 0x"},
	{"fault_exec_data", 14, "executing 0x"},
	{"fault_stack_overflow", 14, "(stack overflow into the guard page)"},
	{"fault_ud2", 6, "invalid opcode at RIP 0x"},
	{"fault_div0", 0, "divide error at RIP 0x"},
	{"fault_privileged", 13, "general protection fault at RIP 0x"},
	{"triple_fault", 14, "writing 0x60000: protection violation"},
};

START_TEST(faults_are_reported)
{
	struct kvmlet_result res;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_run(faults[_i].guest, NULL, &res, &out, &err), -EFAULT);
	ck_assert_int_eq(res.outcome, KVMLET_FAULTED);
	ck_assert_int_eq(res.vector, faults[_i].vector);
	ck_assert_msg(strstr(res.message, faults[_i].needle), "%s: '%s' lacks '%s'",
		      faults[_i].guest, res.message, faults[_i].needle);
	if (faults[_i].vector >= 0)
		ck_assert_uint_ge(res.rip, KVMLET_IMAGE_GPA);
}
END_TEST

START_TEST(timeout_stops_a_spinning_guest)
{
	struct kvmlet_config cfg;
	struct kvmlet_result res;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = 200 * 1000 * 1000;
	ck_assert_int_eq(kvmtest_run("spin", &cfg, &res, &out, &err), -ETIMEDOUT);
	ck_assert_int_eq(res.outcome, KVMLET_TIMED_OUT);
	ck_assert_msg(strstr(err.msg, "timed out"), "%s", err.msg);
}
END_TEST

static void app_handler(int sig)
{
	(void)sig;
}

/* kvmlet owns the kick signal: an application's own handler for it is refused
 * loudly when the first VM is made, not silently kept (a kick could be lost). */
START_TEST(kick_signal_is_kvmlets)
{
	struct sigaction sa = {.sa_handler = app_handler};
	struct kvmlet_result res;
	struct kvmlet_error err;

	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(KVMLET_KICK_SIGNAL, &sa, NULL), 0);
	ck_assert_int_eq(kvmtest_run("hello", NULL, &res, &out, &err), -EBUSY);
	ck_assert_msg(strstr(err.msg, "kick signal"), "%s", err.msg);
}
END_TEST

START_TEST(heap_grows_through_guest_backend)
{
	struct kvmlet_result res;
	struct kvmlet_error err;

	ck_assert_int_eq(kvmtest_run("heap", NULL, &res, &out, &err), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(out.buf, "heap grew to 1024 KiB\n");
}
END_TEST

struct map_text {
	char buf[1 << 14];
	size_t len;
};

static int append_mapping(void *arg, const struct kvmlet_mapping *m)
{
	struct map_text *t = arg;
	struct pt_run run = {.va = m->va, .pa = m->pa, .len = m->len, .leaf = m->leaf};

	run.prot = ((m->prot & KVMLET_PROT_WRITE) ? PT_PROT_WRITE : 0) |
		   ((m->prot & KVMLET_PROT_EXEC) ? PT_PROT_EXEC : 0) |
		   ((m->prot & KVMLET_PROT_USER) ? PT_PROT_USER : 0);
	ck_assert_uint_lt(t->len + PT_FORMAT_MAX + 1, sizeof(t->buf));
	t->len += pt_format_run(t->buf + t->len, &run);
	t->buf[t->len++] = '\n';
	t->buf[t->len] = '\0';
	return 0;
}

static void capture(void *arg, const char *buf, size_t len)
{
	struct kvmtest_output *o = arg;

	ck_assert_uint_lt(o->len + len, sizeof(o->buf));
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

/* The guest's own walk equals the host's, and what it maps the host then sees. */
START_TEST(ptwalk_agrees_with_host)
{
	static struct map_text host;
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_result res;
	struct kvmlet_error err;
	size_t size;
	void *elf = kvmtest_read_guest("ptwalk", &size);
	uint64_t pa;
	uint32_t prot;

	kvmlet_config_default(&cfg);
	ck_assert_int_eq(kvmlet_sandbox_new(&sb, elf, size, &cfg, &err), 0);
	free(elf);
	ck_assert(!kvmlet_is_linux_program(sb)); /* kvmlet.ld's: no PT_GNU_STACK */
	host.len = 0;
	ck_assert_int_eq(kvmlet_memory_map(sb, append_mapping, &host, &err), 0);
	ck_assert_int_eq(kvmlet_translate(sb, 0x100000000000ull, &pa, &prot), -ENXIO);
	out.len = 0;
	kvmlet_set_output(sb, capture, &out);
	ck_assert_int_eq(kvmlet_run(sb, &res, &err), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_msg(strncmp(out.buf, "memory map:\n", 12) == 0, "%s", out.buf);
	ck_assert_msg(strncmp(out.buf + 12, host.buf, host.len) == 0, "guest:\n%s\nhost:\n%s",
		      out.buf, host.buf);
	ck_assert_int_eq(kvmlet_translate(sb, 0x100000000000ull, &pa, &prot), 0);
	ck_assert_uint_eq(prot, KVMLET_PROT_WRITE | KVMLET_PROT_USER);
	char line[128];
	snprintf(line, sizeof(line), "mapped 0x0000100000000000 -> 0x%016llx and used it\n",
		 (unsigned long long)pa);
	ck_assert_str_eq(out.buf + 12 + host.len, line);
	uint64_t word;
	ck_assert_int_eq(kvmlet_read_guest(sb, pa, &word, sizeof(word)), 0);
	ck_assert_uint_eq(word, 0x6b766d6c6574ull);
	ck_assert_int_eq(kvmlet_run(sb, &res, &err), -EALREADY);
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hello_runs);
	tcase_add_test(tc, exit_status_and_long_output);
	tcase_add_test(tc, output_is_capped);
	tcase_add_test(tc, abort_reports_message);
	tcase_add_loop_test(tc, faults_are_reported, 0, sizeof(faults) / sizeof(faults[0]));
	tcase_add_test(tc, timeout_stops_a_spinning_guest);
	tcase_add_test(tc, heap_grows_through_guest_backend);
	tcase_add_test(tc, kick_signal_is_kvmlets);
	tcase_add_test(tc, ptwalk_agrees_with_host);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
