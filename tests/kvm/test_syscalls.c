/*
 * test_syscalls.c: a call costs exactly one system call, its KVM_RUN, with or
 * without a time limit (suite kvm, and suite qemu). A child process makes a
 * sandbox, warms it up, then puts a seccomp filter on its own thread (not
 * the watchdog's) that lets ioctl(KVM_RUN) through and traps every other
 * system call into a counting SIGSYS handler; it makes 100 calls and reports
 * the counts through a pipe written after the filter is gone (the process
 * exits through exit_group, which the filter allows).
 */
#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmtest.h"

#define CALLS 100

static volatile sig_atomic_t trapped, last_nr;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	trapped = trapped + 1;
	last_nr = si->si_syscall;
}

/* Allow ioctl(fd, KVM_RUN), exit_group and rt_sigreturn; trap everything else. */
static int trap_all_but_kvm_run(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVM_RUN, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	/* No TSYNC: this thread only; the watchdog thread stays unfiltered. */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* The child: out[0] calls that worked, out[1] trapped system calls, out[2] the last one. */
static void child(volatile long *out, uint64_t timeout_ns)
{
	struct kvmlet_config cfg;
	struct kvmlet_value a = kvmlet_i64(7), r;
	struct kvmlet_error err;
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = timeout_ns;
	struct kvmlet_sandbox *sb = kvmtest_sandbox("call_types", &cfg);
	sigaction(SIGSYS, &sa, NULL);
	if (kvmlet_call(sb, "echo_i", &a, 1, &r, &err) == 0 && trap_all_but_kvm_run() == 0) {
		long ok = 0;
		for (int i = 0; i < CALLS; i++)
			ok += kvmlet_call(sb, "echo_i", &a, 1, &r, &err) == 0 && r.i64 == 7;
		out[0] = ok;
		out[1] = trapped;
		out[2] = last_nr;
	}
	syscall(SYS_exit_group, 0);
}

static void one_syscall_per_call(uint64_t timeout_ns)
{
	volatile long *out = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				  -1, 0);
	int st;

	ck_assert(out != MAP_FAILED);
	out[0] = out[1] = out[2] = -1;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child(out, timeout_ns);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
	ck_assert_msg(out[0] == CALLS, "%ld of %d calls worked under the filter", out[0], CALLS);
	ck_assert_msg(out[1] == 0, "%d calls made %ld system calls besides KVM_RUN (the last: %ld)",
		      CALLS, out[1], out[2]);
	munmap((void *)out, 4096);
}

START_TEST(call_is_one_kvm_run)
{
	one_syscall_per_call(0);
}
END_TEST

START_TEST(call_with_time_limit_is_one_kvm_run)
{
	one_syscall_per_call(10ull * 1000 * 1000 * 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("syscalls");
	TCase *tc = tcase_create("per call");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, call_is_one_kvm_run);
	tcase_add_test(tc, call_with_time_limit_is_one_kvm_run);
	suite_add_tcase(s, tc);
	kvmtest_require_kvm();
	return kvmtest_main(s);
}
