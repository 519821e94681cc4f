/*
 * test_hardening.c: host hardening (issue #6).
 *  - seccomp (needs no KVM): kvmlet_seccomp_install in a child process; what
 *    the run loop needs still works, anything else kills the child with
 *    SIGSYS; "log" and "off" let everything through.
 *  - with KVM (skipped without it): sandboxes run, call, reset, time out and
 *    are cancelled under the filter; creating a VM after it kills; the CPUID
 *    the guest sees is trimmed; guest ring-0 code (reached by rewriting its own
 *    IDT) cannot touch MSRs.
 * Children never call Check (its reporting writes where the filter forbids):
 * they report a failed expectation as exit status 1 with the line on stderr.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvmlet.h"
#include "kvmtest.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1 /* the filter then also allows what the leak checker needs */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

#define EXPECT(c)                                                                   \
	do {                                                                        \
		if (!(c)) {                                                         \
			dprintf(2, "%s:%d: expected %s\n", __FILE__, __LINE__, #c); \
			_exit(1);                                                   \
		}                                                                   \
	} while (0)

static void install(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_error err;
	int r = kvmlet_seccomp_install(mode, &err);

	if (r < 0) {
		dprintf(2, "kvmlet_seccomp_install: %s\n", err.msg);
		_exit(r == -ENOSYS ? 77 : 2);
	}
}

/* Run fn(mode) in a child that then exits normally; return its wait status,
 * or -1 if kvmlet has no seccomp support (the child exited with 77). */
static int in_child(void (*fn)(enum kvmlet_seccomp_mode), enum kvmlet_seccomp_mode mode)
{
	int st;

	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core); /* a SIGSYS death would dump core */
		fn(mode);
		exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("SKIP: kvmlet was built without libseccomp\n");
		return -1;
	}
	return st;
}

static void expect_exit0(int st)
{
	if (st == -1)
		return;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %s %d",
		      WIFEXITED(st) ? "exited with" : "killed by signal",
		      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void expect_sigsys(int st)
{
	if (st == -1)
		return;
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "child %s %d, not SIGSYS",
		      WIFEXITED(st) ? "exited with" : "killed by signal",
		      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* --- seccomp: what stays allowed --- */

static atomic_int kicks, release;

static void on_kick(int sig)
{
	(void)sig;
	kicks++;
}

static void *waiter(void *arg)
{
	(void)arg;
	while (!release)
		syscall(SYS_futex, &release, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void wait_kicks(int n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while (kicks < n && t.tv_sec - t0.tv_sec < 10);
	EXPECT(kicks >= n);
}

static void allowed_calls(enum kvmlet_seccomp_mode mode)
{
	struct sigaction sa = {.sa_handler = on_kick};
	pthread_t th;
	int fd = dup(1);
	struct stat st;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
	EXPECT(fd >= 0 && pthread_create(&th, NULL, waiter, NULL) == 0);
	install(mode);

	EXPECT(write(2, "", 0) == 0);
	(void)lseek(0, 0, SEEK_CUR); /* a Linux program's stdin from a file: allowed on fd 0 */
	printf("stdout works under the filter\n");
	EXPECT(fflush(stdout) == 0 && fstat(1, &st) == 0);
	isatty(1); /* TCGETS */
	errno = 0;
	EXPECT(ioctl(1, KVM_RUN, 0) < 0 && errno != 0); /* allowed request, not a KVM fd */
	char *p = malloc(64);
	EXPECT(p);
	free(p);
	p = malloc(4 << 20);
	EXPECT(p);
	memset(p, 1, 4 << 20);
	p = realloc(p, 16 << 20);
	EXPECT(p && p[12345] == 1);
	free(p);
	uint8_t *m =
		mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(m != MAP_FAILED);
	m[0] = 1;
	EXPECT(madvise(m, 1 << 20, MADV_DONTNEED) == 0 && m[0] == 0);
	EXPECT(mprotect(m, 4096, PROT_READ) == 0 && munmap(m, 1 << 20) == 0);
	struct timespec ts;
	EXPECT(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0);
	EXPECT(syscall(SYS_gettid) > 0 && getpid() > 0);
	/* A kicked run waits for its kick with sched_yield. */
	EXPECT(sched_yield() == 0);
	/* The watchdog's and kvmlet_cancel's kick: pthread_kill to a thread of this process. */
	EXPECT(pthread_kill(pthread_self(), SIGRTMIN) == 0);
	wait_kicks(1);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	EXPECT(sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
	       sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
	EXPECT(close(fd) == 0);
	release = 1;
	syscall(SYS_futex, &release, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	EXPECT(pthread_join(th, NULL) == 0);
}

static void *nothing(void *arg)
{
	return arg;
}

/* A thread created just before the filter may only start running after it. */
static void thread_then_filter(enum kvmlet_seccomp_mode mode)
{
	pthread_t th;

	EXPECT(pthread_create(&th, NULL, nothing, NULL) == 0);
	install(mode);
	EXPECT(pthread_join(th, NULL) == 0);
}

START_TEST(seccomp_allows_what_runs_need)
{
	expect_exit0(in_child(allowed_calls, KVMLET_SECCOMP_ON));
	for (int i = 0; i < 50; i++)
		expect_exit0(in_child(thread_then_filter, KVMLET_SECCOMP_ON));
}
END_TEST

/* --- seccomp: what kills --- */

static void call_socket(enum kvmlet_seccomp_mode mode)
{
	install(mode);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT(mode != KVMLET_SECCOMP_ON); /* not reached when on */
	EXPECT(s >= 0);
	close(s);
}

static void call_execve(enum kvmlet_seccomp_mode mode)
{
	static char prog[] = "/bin/true";
	char *const argv[] = {prog, NULL};

	install(mode);
	execve(prog, argv, environ);
	_exit(3);
}

static void call_pipe_write(enum kvmlet_seccomp_mode mode)
{
	int p[2];

	EXPECT(pipe(p) == 0);
	install(mode);
	(void)!write(p[1], "x", 1); /* output only to stdout and stderr */
}

static void call_ioctl(enum kvmlet_seccomp_mode mode)
{
	int n;

	install(mode);
	ioctl(0, FIONCLEX, &n); /* not one of the run loop's requests */
}

static void call_ioctl_create_vm(enum kvmlet_seccomp_mode mode)
{
	install(mode);
	ioctl(0, KVM_CREATE_VM, 0);
}

static void call_mprotect_exec(enum kvmlet_seccomp_mode mode)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	install(mode);
	mprotect(m, 4096, PROT_READ | PROT_EXEC);
}

static void call_mmap_exec(enum kvmlet_seccomp_mode mode)
{
	install(mode);
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void call_kill_parent(enum kvmlet_seccomp_mode mode)
{
	pid_t parent = getppid();

	install(mode);
	syscall(SYS_tgkill, parent, parent, 0); /* signals stay inside this process */
}

#ifndef ASAN /* the leak checker needs these (see vmm/seccomp.c) */
static void call_open(enum kvmlet_seccomp_mode mode)
{
	install(mode);
	open("/dev/kvm", O_RDWR);
}

static void call_fork(enum kvmlet_seccomp_mode mode)
{
	install(mode);
	if (fork() == 0)
		_exit(0);
}

/* read is allowed on fd 0 only (a Linux program's standard input). */
static void call_read(enum kvmlet_seccomp_mode mode)
{
	char c = 0;
	int p[2];

	if (pipe(p) < 0 || write(p[1], &c, 1) != 1)
		_exit(3);
	install(mode);
	(void)!read(p[0], &c, 1);
}

/* lseek too (a Linux program's stdin when it is a file). */
static void call_lseek(enum kvmlet_seccomp_mode mode)
{
	int fd = dup(1);

	install(mode);
	(void)lseek(fd, 0, SEEK_CUR);
}
#endif

START_TEST(seccomp_kills_the_rest)
{
	expect_sigsys(in_child(call_socket, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_execve, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_ioctl, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_ioctl_create_vm, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_pipe_write, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_mprotect_exec, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_mmap_exec, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_kill_parent, KVMLET_SECCOMP_ON));
#ifndef ASAN
	expect_sigsys(in_child(call_open, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_fork, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_read, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(call_lseek, KVMLET_SECCOMP_ON));
#else
	printf("AddressSanitizer build: open, read, lseek and clone are allowed for its leak "
	       "checker, not checked here\n");
#endif
}
END_TEST

START_TEST(seccomp_log_and_off_allow)
{
	struct kvmlet_error err;

	expect_exit0(in_child(call_socket, KVMLET_SECCOMP_LOG));
	expect_exit0(in_child(call_socket, KVMLET_SECCOMP_OFF));
	ck_assert_int_eq(kvmlet_seccomp_install((enum kvmlet_seccomp_mode)7, &err), -EINVAL);
	ck_assert_int_eq(kvmlet_seccomp_install(KVMLET_SECCOMP_OFF, &err), 0);
}
END_TEST

/* --- with KVM: sandboxes under the filter --- */

static struct kvmlet_sandbox *sandbox(const char *name, const struct kvmlet_config *cfg)
{
	struct kvmlet_config def;
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	size_t size;
	void *elf = kvmtest_read_guest(name, &size);

	if (!cfg) {
		kvmlet_config_default(&def);
		cfg = &def;
	}
	if (kvmlet_sandbox_new(&sb, elf, size, cfg, &err) < 0) {
		dprintf(2, "%s: %s\n", name, err.msg);
		_exit(1);
	}
	free(elf);
	return sb;
}

static void run_under_filter(enum kvmlet_seccomp_mode mode)
{
	static struct kvmtest_output out;
	struct kvmlet_sandbox *sb = sandbox("hello", NULL);
	struct kvmlet_result res;
	struct kvmlet_error err;

	kvmlet_set_output(sb, kvmtest_capture, &out);
	EXPECT(kvmlet_prepare(sb, &err) == 0);
	EXPECT(kvmlet_prepare(sb, &err) == 0); /* again: nothing to do */
	install(mode);
	EXPECT(kvmlet_seccomp_install(mode, &err) == -EALREADY); /* once per process */
	EXPECT(kvmlet_run(sb, &res, &err) == 0 && res.status == 0);
	EXPECT(strstr(out.buf, "hello from a kvmlet guest"));
	EXPECT(kvmlet_prepare(sb, &err) == -EBUSY);
	EXPECT(kvmlet_reset(sb, &err) == 0 && kvmlet_run(sb, &res, &err) == 0);
	kvmlet_sandbox_free(sb);
}

static int square(void *arg, const struct kvmlet_value *args, unsigned nargs,
		  struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 * args[0].i64);
	return 0;
}

static void call_under_filter(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_sandbox *sb = sandbox("callback", NULL);
	struct kvmlet_value arg = kvmlet_i64(10), r;
	struct kvmlet_error err;

	EXPECT(kvmlet_register(sb, "square", "i:i", square, NULL, &err) == 0);
	EXPECT(kvmlet_init(sb, &err) == 0);
	install(mode);
	for (int i = 0; i < 3; i++) {
		EXPECT(kvmlet_call(sb, "sum_of_squares", &arg, 1, &r, &err) == 0);
		EXPECT(r.type == KVMLET_TYPE_I64 && r.i64 == 385);
		EXPECT(kvmlet_reset(sb, &err) == 0);
	}
	kvmlet_sandbox_free(sb);
}

static void timeout_under_filter(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_config cfg;
	struct kvmlet_result res;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.timeout_ns = 200 * 1000000ull;
	struct kvmlet_sandbox *sb = sandbox("spin", &cfg);
	EXPECT(kvmlet_prepare(sb, &err) == 0);
	install(mode);
	EXPECT(kvmlet_run(sb, &res, &err) == -ETIMEDOUT && res.outcome == KVMLET_TIMED_OUT);
	kvmlet_sandbox_free(sb);
}

static void *canceller(void *arg)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do /* no nanosleep: the filter does not allow it */
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000ll + (t.tv_nsec - t0.tv_nsec) < 200000000ll);
	while (kvmlet_cancel(arg) == -ESRCH)
		;
	return NULL;
}

static void cancel_under_filter(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_sandbox *sb = sandbox("spin", NULL);
	struct kvmlet_result res;
	struct kvmlet_error err;
	pthread_t th;

	EXPECT(kvmlet_prepare(sb, &err) == 0);
	EXPECT(pthread_create(&th, NULL, canceller, sb) == 0);
	install(mode);
	EXPECT(kvmlet_run(sb, &res, &err) == -ECANCELED && res.outcome == KVMLET_CANCELLED);
	EXPECT(pthread_join(th, NULL) == 0);
	kvmlet_sandbox_free(sb);
}

/* Warm shells under the filter: a free parks its VM (slot deleted, vCPU
 * drained, events cleared) and a sandbox from a template reuses it (slot
 * re-pointed, complete vCPU state loaded) with no call the filter refuses. */
static void warm_shell_under_filter(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_sandbox *base = sandbox("isolation", NULL), *sb;
	struct kvmlet_template *t;
	struct kvmlet_value r;
	struct kvmlet_error err;

	EXPECT(kvmlet_init(base, &err) == 0 && kvmlet_template_new(&t, base, &err) == 0);
	EXPECT(kvmlet_sandbox_from_template(&sb, t, &err) == 0);
	kvmlet_sandbox_free(sb); /* two warm shells now, at least */
	install(mode);
	kvmlet_sandbox_free(base);
	for (int i = 0; i < 3; i++) {
		EXPECT(kvmlet_sandbox_from_template(&sb, t, &err) == 0);
		EXPECT(kvmlet_call(sb, "set_state", NULL, 0, &r, &err) == 0 && r.i64 == 1);
		kvmlet_sandbox_free(sb);
		EXPECT(kvmlet_sandbox_from_template(&sb, t, &err) == 0);
		EXPECT(kvmlet_call(sb, "get_state", NULL, 0, &r, &err) == 0 && r.i64 == 7);
		kvmlet_sandbox_free(sb);
	}
	kvmlet_template_free(t);
}

/* Shells warmed before the filter serve as many sandboxes as they are, all
 * live at once, and then a cold start; warming more under it is -EPERM, not
 * a death. */
static void warmed_shells_under_filter(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_sandbox *base = sandbox("isolation", NULL), *sb[3];
	struct kvmlet_template *t;
	struct kvmlet_value r;
	struct kvmlet_error err;

	EXPECT(kvmlet_init(base, &err) == 0 && kvmlet_template_new(&t, base, &err) == 0);
	EXPECT(kvmlet_shells_warm(3, &err) >= 3);
	struct kvmlet_sandbox *cold = sandbox("hello", NULL);
	install(mode);
	for (int i = 0; i < 3; i++) {
		EXPECT(kvmlet_sandbox_from_template(&sb[i], t, &err) == 0);
		EXPECT(kvmlet_call(sb[i], "ping", NULL, 0, &r, &err) == 0 && r.i64 == 42);
	}
	EXPECT(kvmlet_shells_warm(4, &err) == -EPERM);
	for (int i = 0; i < 3; i++)
		kvmlet_sandbox_free(sb[i]);
	/* A cold start too (made before, started now), on a shell they left. */
	struct kvmlet_result res;
	EXPECT(kvmlet_run(cold, &res, &err) == 0 && res.status == 0);
	kvmlet_sandbox_free(cold);
	kvmlet_sandbox_free(base);
	kvmlet_template_free(t);
}

/* Creating a VM after the filter is in place is refused: the process dies. */
static void vm_after_filter(enum kvmlet_seccomp_mode mode)
{
	struct kvmlet_sandbox *sb = sandbox("hello", NULL);
	struct kvmlet_error err;

	install(mode);
	kvmlet_prepare(sb, &err);
	_exit(3);
}

START_TEST(kvm_sandboxes_under_seccomp)
{
	expect_exit0(in_child(run_under_filter, KVMLET_SECCOMP_ON));
	expect_exit0(in_child(call_under_filter, KVMLET_SECCOMP_ON));
	expect_exit0(in_child(timeout_under_filter, KVMLET_SECCOMP_ON));
	expect_exit0(in_child(cancel_under_filter, KVMLET_SECCOMP_ON));
	expect_exit0(in_child(warm_shell_under_filter, KVMLET_SECCOMP_ON));
	expect_exit0(in_child(warmed_shells_under_filter, KVMLET_SECCOMP_ON));
	expect_sigsys(in_child(vm_after_filter, KVMLET_SECCOMP_ON));
}
END_TEST

/* --- with KVM: what the vCPU offers --- */

static struct kvm_cpuid_entry2 *supported(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (c->entries[i].index == idx ||
		     !(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return &c->entries[i];
	return NULL;
}

static uint64_t call_u(struct kvmlet_sandbox *sb, const char *fn, uint64_t a, uint64_t b,
		       uint64_t c, unsigned n)
{
	struct kvmlet_value args[3] = {kvmlet_u64(a), kvmlet_u64(b), kvmlet_u64(c)}, r;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, fn, args, n, &r, &err) == 0, "%s: %s", fn, err.msg);
	return r.u64;
}

static uint32_t guest_cpuid(struct kvmlet_sandbox *sb, uint32_t fn, uint32_t idx, int reg)
{
	return (uint32_t)call_u(sb, "cpuid", fn, idx, (uint64_t)reg, 3);
}

enum { EAX, EBX, ECX, EDX };
#define BIT(n) (1u << (n))

START_TEST(cpuid_is_trimmed)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct kvmlet_sandbox *sb = sandbox("hardening", NULL);

	c->nent = 256;
	ck_assert_int_eq(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c), 0);
	close(kvm);
	const struct kvm_cpuid_entry2 *l0 = supported(c, 0, 0), *l1 = supported(c, 1, 0),
				      *e1 = supported(c, 0x80000001, 0);
	ck_assert_ptr_nonnull(l0);
	ck_assert_ptr_nonnull(l1);
	ck_assert_ptr_nonnull(e1);
	/* The vendor and the basics are KVM's. */
	ck_assert_uint_eq(guest_cpuid(sb, 0, 0, EBX), l0->ebx);
	ck_assert_uint_eq(guest_cpuid(sb, 0, 0, EDX), l0->edx);
	uint32_t keep1 = BIT(0) | BIT(4) | BIT(8) | BIT(15) | BIT(24) | BIT(25) | BIT(26);
	ck_assert_uint_eq(guest_cpuid(sb, 1, 0, EDX) & keep1, l1->edx & keep1);
	ck_assert_uint_eq(guest_cpuid(sb, 1, 0, ECX) & BIT(20), l1->ecx & BIT(20)); /* SSE4.2 */
	uint32_t e1edx = guest_cpuid(sb, 0x80000001, 0, EDX);
	ck_assert_uint_ne(e1edx & BIT(29), 0);		       /* long mode */
	ck_assert_uint_eq(e1edx & BIT(20), e1->edx & BIT(20)); /* NX */
	ck_assert_uint_eq(e1edx & BIT(26), e1->edx & BIT(26)); /* 1 GiB pages, as KVM has them */
	/* Hidden: VMX MONITOR PCID x2APIC TSC-deadline hypervisor. */
	ck_assert_uint_eq(guest_cpuid(sb, 1, 0, ECX) &
				  (BIT(3) | BIT(5) | BIT(17) | BIT(21) | BIT(24) | BIT(31)),
			  0);
	/* As KVM offers them (x86.c sets CR4.OSXSAVE and XCR0 = x87|SSE|AVX):
	 * FMA XSAVE AVX F16C, and OSXSAVE with XSAVE. */
	uint32_t avx1 = BIT(12) | BIT(26) | BIT(28) | BIT(29);
	ck_assert_uint_eq(guest_cpuid(sb, 1, 0, ECX) & avx1, l1->ecx & avx1);
	ck_assert_uint_eq(!!(guest_cpuid(sb, 1, 0, ECX) & BIT(27)), !!(l1->ecx & BIT(26)));
	/* APIC, MCE, SEP, MTRR, MCA. */
	ck_assert_uint_eq(
		guest_cpuid(sb, 1, 0, EDX) & (BIT(9) | BIT(7) | BIT(11) | BIT(12) | BIT(14)), 0);
	/* FSGSBASE SMEP AVX512F SMAP; PKU OSPKE WAITPKG LA57; no subleaf 1; AVX2 as KVM's. */
	ck_assert_uint_eq(guest_cpuid(sb, 7, 0, EBX) & (BIT(0) | BIT(7) | BIT(16) | BIT(20)), 0);
	const struct kvm_cpuid_entry2 *l7 = supported(c, 7, 0), *xs = supported(c, 0xd, 0);
	if (l7)
		ck_assert_uint_eq(guest_cpuid(sb, 7, 0, EBX) & BIT(5), l7->ebx & BIT(5));
	/* XSAVE: x87, SSE and AVX only (no AVX-512, MPX, PKRU, AMX), no XSAVES. */
	ck_assert_uint_eq(guest_cpuid(sb, 0xd, 0, EAX), xs ? xs->eax & 0x7 : 0);
	ck_assert_uint_eq(guest_cpuid(sb, 0xd, 0, EDX), 0);
	ck_assert_uint_eq(guest_cpuid(sb, 0xd, 1, EAX) & ~0x7u, 0);
	/* Subleaf 1's EBX is a size KVM recomputes (with XSAVEC); 2 is AVX's place. */
	for (unsigned sub = 1; sub < 20; sub++)
		for (int r = sub == 1 ? ECX : EAX; r <= EDX; r++)
			if (sub != 2)
				ck_assert_uint_eq(guest_cpuid(sb, 0xd, sub, r), 0);
	ck_assert_uint_eq(guest_cpuid(sb, 7, 0, ECX) & (BIT(3) | BIT(4) | BIT(5) | BIT(16)), 0);
	ck_assert_uint_eq(guest_cpuid(sb, 7, 0, EAX), 0);
	ck_assert_uint_eq(guest_cpuid(sb, 0x80000001, 0, ECX) & BIT(2), 0); /* SVM */
	for (int r = EAX; r <= EDX; r++) {
		ck_assert_uint_eq(guest_cpuid(sb, 0x40000000, 0, r), 0); /* no KVM signature */
		ck_assert_uint_eq(guest_cpuid(sb, 0x40000001, 0, r), 0); /* no PV features */
		ck_assert_uint_eq(guest_cpuid(sb, 0xa, 0, r), 0);	  /* no PMU */
	}
	kvmlet_sandbox_free(sb);
	free(c);
}
END_TEST

/* Reset, call fn(msr) and expect a #GP at the MSR instruction. */
static void expect_msr_gp(struct kvmlet_sandbox *sb, const char *fn, uint32_t msr, uint64_t rip)
{
	struct kvmlet_value a = kvmlet_u64(msr), r;
	struct kvmlet_error err;
	char want[80];

	ck_assert_int_eq(kvmlet_reset(sb, &err), 0);
	int rc = kvmlet_call(sb, fn, &a, 1, &r, &err);
	ck_assert_msg(rc == -EFAULT, "%s(0x%x) from ring 0: %d (%s), expected a #GP", fn, msr, rc,
		      rc ? err.msg : "it worked");
	snprintf(want, sizeof(want), "general protection fault at RIP 0x%" PRIx64, rip);
	ck_assert_msg(strstr(err.msg, want), "%s(0x%x): '%s', expected '%s'", fn, msr, err.msg,
		      want);
}

START_TEST(msrs_denied_from_ring0)
{
	struct kvmlet_sandbox *sb = sandbox("hardening", NULL);
	struct kvmlet_value r;
	struct kvmlet_error err;

	/* The old escalation (a gate in its own IDT) faults at the table write. */
	int rc = kvmlet_call(sb, "ring0_cr0", NULL, 0, &r, &err);
	ck_assert_msg(rc == -EFAULT && strstr(err.msg, ": protection violation"),
		      "ring0_cr0: %d (%s), expected a write fault on the tables", rc,
		      rc ? err.msg : "it reached ring 0");
	ck_assert_int_eq(kvmlet_reset(sb, &err), 0);
	/* The ring-0 routine run at CPL3: RDMSR and WRMSR fault there. */
	uint64_t rd = call_u(sb, "msr_rips", 0, 0, 0, 1), wr = call_u(sb, "msr_rips", 1, 0, 0, 1);
	expect_msr_gp(sb, "rdmsr", 0xc0000080, rd); /* EFER */
	expect_msr_gp(sb, "rdmsr", 0xc0000100, rd); /* FS_BASE, passed through without a filter */
	expect_msr_gp(sb, "rdmsr", 0x10, rd);	    /* TSC */
	expect_msr_gp(sb, "rdmsr", 0x1b, rd);	    /* APIC_BASE */
	expect_msr_gp(sb, "wrmsr", 0xc0000102, wr); /* KERNEL_GS_BASE */
	expect_msr_gp(sb, "wrmsr", 0xc0000081, wr); /* STAR */
	expect_msr_gp(sb, "wrmsr", 0xc0000080, wr); /* EFER */
	kvmlet_sandbox_free(sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening");
	TCase *sc = tcase_create("seccomp");

	tcase_set_timeout(sc, 120);
	tcase_add_test(sc, seccomp_allows_what_runs_need);
	tcase_add_test(sc, seccomp_kills_the_rest);
	tcase_add_test(sc, seccomp_log_and_off_allow);
	suite_add_tcase(s, sc);
	const char *why = kvmtest_kvm_untrusted();
	if (!why) {
		TCase *kc = tcase_create("kvm");
		tcase_set_timeout(kc, 240);
		tcase_add_test(kc, kvm_sandboxes_under_seccomp);
		tcase_add_test(kc, cpuid_is_trimmed);
		tcase_add_test(kc, msrs_denied_from_ring0);
		suite_add_tcase(s, kc);
	} else {
		printf("SKIP (part): %s: the KVM half of this test does not run "
		       "(suite qemu runs it under nested KVM)\n", why);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
