/* SPDX-License-Identifier: MIT */
/*
 * seccomp.c: kvmlet_seccomp_install, an opt-in allow-list of the system calls
 * needed to run sandboxes that already exist (the library never installs it
 * by itself). What is allowed, and why, is the table below; docs/security.md
 * repeats it. Built without libseccomp, the helper reports -ENOSYS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "seccomp_filter.h"

#ifdef KVMLET_HAVE_SECCOMP

#include <linux/kvm.h>
#include <seccomp.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* AddressSanitizer's leak check at exit stops the world with a ptrace'ing
 * helper thread and reads /proc; its reports need the same. Sanitizer builds
 * only (tests), never a release build. */
#if defined(__SANITIZE_ADDRESS__)
#define KVMLET_SECCOMP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KVMLET_SECCOMP_ASAN 1
#endif
#endif

/* Allowed whatever their arguments. */
static const int plain_syscalls[] = {
	SCMP_SYS(futex),	   /* pthread locks and joins, stdio locks, pool mutexes */
	SCMP_SYS(rt_sigreturn),	   /* return from the kick handler (KVMLET_KICK_SIGNAL) */
	SCMP_SYS(rt_sigprocmask),  /* pthread_kill blocks signals around its tgkill; a
				    * wait in the host blocks the kick outside ppoll */
	SCMP_SYS(ppoll),	   /* a Linux program's wait in the host (a sleep, its stdin),
				    * which a signal from outside (kvmlet_signal) ends */
	SCMP_SYS(rt_sigtimedwait), /* an application forwarding its signals to kvmlet_signal
				    * (sigwaitinfo), as the CLI does */
	SCMP_SYS(restart_syscall), /* the kernel restarts a syscall a signal interrupted */
	SCMP_SYS(sched_yield),	   /* a kicked run waits for its kick to arrive */
	SCMP_SYS(pread64),	   /* snapshots read /proc/self/pagemap; a Linux program reads a
				    * file it was given (both opened before the filter) */
	SCMP_SYS(getrandom),	   /* ...its getrandom */
	SCMP_SYS(nanosleep),	   /* ...its nanosleep */
	SCMP_SYS(clock_nanosleep), /* (glibc's nanosleep) */
	SCMP_SYS(clock_gettime),   /* deadlines and timing (when the vDSO cannot serve it) */
	SCMP_SYS(gettid),	   /* pthread_kill to itself */
	SCMP_SYS(getpid),	   /* pthread_kill's tgkill needs the process id */
	SCMP_SYS(munmap),	   /* free(), kvmlet_sandbox_free */
	SCMP_SYS(mremap),	   /* realloc() of large blocks */
	SCMP_SYS(brk),		   /* malloc() */
	SCMP_SYS(madvise),	   /* free() returning memory, thread exit */
	SCMP_SYS(close),	   /* kvmlet_sandbox_free closes its KVM descriptors */
	SCMP_SYS(fstat),	   /* stdio sizes the buffer of stdout on first use... */
	SCMP_SYS(newfstatat),	   /* ...(glibc's fstat is fstatat(fd, "", AT_EMPTY_PATH)) */
	SCMP_SYS(rseq),		   /* a thread made just before the filter may start after */
	SCMP_SYS(set_robust_list), /* it: glibc's thread start registers these two */
	SCMP_SYS(exit),		   /* a thread ends */
	SCMP_SYS(exit_group),	   /* the process ends */
};

/* ioctl requests allowed: what the run loop, calls and resets issue once the
 * VM exists (every other KVM ioctl happens while a sandbox is created). */
static const unsigned long ioctl_requests[] = {
	KVM_RUN,	   /* run the vCPU */
	KVM_GET_REGS,	   /* registers after an exit, without KVM_CAP_SYNC_REGS */
	KVM_SET_REGS,	   /* enter a call or a re-run, without KVM_CAP_SYNC_REGS */
	KVM_GET_SREGS,	   /* CR2 of a fault; kvmlet_run's snapshot */
	KVM_SET_SREGS,	   /* kvmlet_reset restores the special registers */
	KVM_GET_XSAVE,	   /* snapshot: x87, SSE and MXCSR state */
	KVM_SET_XSAVE,	   /* kvmlet_reset restores it */
	KVM_GET_DEBUGREGS, /* snapshot */
	KVM_SET_DEBUGREGS, /* kvmlet_reset restores debug registers */
	KVM_SET_VCPU_EVENTS, /* kvmlet_reset drops an exception left pending by a stop;
			      * kvmlet_sandbox_free too, parking a warm shell */
	KVM_INTERRUPT,	   /* a tick for a Linux program (its timers, its threads' turns) */
	KVM_SET_XCRS,	   /* a cold start on a warm shell: its setup (x86_setup_vcpu) */
	KVM_SET_FPU,	   /* ... */
	KVM_GET_MSRS,	   /* snapshot: the MSRs ring 0 uses */
	KVM_SET_MSRS,	   /* kvmlet_reset restores them */
	KVM_GET_DIRTY_LOG, /* snapshot and kvmlet_reset: pages the guest wrote */
	KVM_CLEAR_DIRTY_LOG, /* ...and those pages write-protected again */
	KVM_SET_USER_MEMORY_REGION, /* kvmlet_reset: drop KVM's mappings after table changes;
				     * warm shells: slot deleted on free, re-pointed on reuse */
	TCGETS,		   /* stdio asks whether stdout is a terminal (isatty) */
	TIOCGWINSZ,	   /* a Linux program asks its terminal's size */
	FIONREAD,	   /* ...or how much its standard input holds */
};

#ifdef KVMLET_SECCOMP_ASAN
/* LeakSanitizer at exit: a clone()d tracer ptrace()s every thread while the
 * caller waits (sched_yield, wait4); it lists /proc/self/task and reads
 * /proc/self/maps; reports symbolize from the binary. Without these the
 * tracer dies and the process hangs or dies at exit; sched_getaffinity is
 * its thread start. Found by running it under the filter and reading the
 * kernel's log of each kill (audit type 1326). */
static const int asan_syscalls[] = {
	SCMP_SYS(clone),
	SCMP_SYS(prctl),
	SCMP_SYS(sched_yield),
	SCMP_SYS(wait4),
	SCMP_SYS(getppid),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(ptrace),
	SCMP_SYS(open),
	SCMP_SYS(openat),
	SCMP_SYS(read),
	SCMP_SYS(lseek),
	SCMP_SYS(fcntl),
	SCMP_SYS(getdents),
	SCMP_SYS(getdents64),
	SCMP_SYS(readlink),
	SCMP_SYS(sched_getaffinity),
};
#endif

static int add(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp,
	       struct kvmlet_error *err)
{
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);

	if (r < 0) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		kvmlet_fail(err, r, "seccomp: cannot allow %s: %s", name ? name : "a system call",
			    strerror(-r));
		free(name);
	}
	return r;
}

/* Argument arg equals v (SCMP_A0(SCMP_CMP_EQ, v) spelled out: clang's
 * -Wmissing-field-initializers refuses the macro's missing datum_b). */
static struct scmp_arg_cmp arg_eq(unsigned arg, scmp_datum_t v)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = SCMP_CMP_EQ, .datum_a = v, .datum_b = 0};
}

static int add_rules(scmp_filter_ctx ctx, struct kvmlet_error *err)
{
	const struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(plain_syscalls) / sizeof(plain_syscalls[0]); i++)
		r = add(ctx, plain_syscalls[i], 0, NULL, err);
	/* The kernel reads the request as 32 bits: compare those only. */
	for (size_t i = 0; r == 0 && i < sizeof(ioctl_requests) / sizeof(ioctl_requests[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctl_requests[i]);
		r = add(ctx, SCMP_SYS(ioctl), 1, &c, err);
	}
	/* A Linux program's standard input, and its offset when it is a file. */
	if (r == 0) {
		struct scmp_arg_cmp c = arg_eq(0, 0);
		r = add(ctx, SCMP_SYS(read), 1, &c, err);
		if (r == 0)
			r = add(ctx, SCMP_SYS(lseek), 1, &c, err);
	}
	/* Output goes to stdout and stderr, nowhere else. */
	for (int fd = 1; r == 0 && fd <= 2; fd++) {
		struct scmp_arg_cmp c = arg_eq(0, (scmp_datum_t)fd);
		r = add(ctx, SCMP_SYS(write), 1, &c, err);
	}
	/* malloc and thread stacks map memory; nothing may become executable. */
	if (r == 0)
		r = add(ctx, SCMP_SYS(mmap), 1, &no_exec, err);
	if (r == 0)
		r = add(ctx, SCMP_SYS(mprotect), 1, &no_exec, err);
	/* kvmlet_cancel signals the thread running a vCPU: this process only. */
	if (r == 0) {
		struct scmp_arg_cmp c = arg_eq(0, (scmp_datum_t)getpid());
		r = add(ctx, SCMP_SYS(tgkill), 1, &c, err);
	}
#ifdef KVMLET_SECCOMP_ASAN
	for (size_t i = 0; r == 0 && i < sizeof(asan_syscalls) / sizeof(asan_syscalls[0]); i++)
		r = add(ctx, asan_syscalls[i], 0, NULL, err);
#endif
	return r;
}

static int load_filter(enum kvmlet_seccomp_mode mode, struct kvmlet_error *err)
{
	scmp_filter_ctx ctx;
	int r;

	ctx = seccomp_init(mode == KVMLET_SECCOMP_ON ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG);
	if (!ctx)
		return kvmlet_fail(err, -EOPNOTSUPP,
				   "seccomp: %s is not available (it needs Linux 4.14 and the "
				   "seccomp system call, which valgrind, for one, lacks)",
				   mode == KVMLET_SECCOMP_ON ? "SECCOMP_RET_KILL_PROCESS"
							     : "SECCOMP_RET_LOG");
	/* Every thread of the process, not only the caller (a thread left out
	 * could do what the others may not). */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		kvmlet_fail(err, r, "seccomp: cannot ask for all threads: %s", strerror(-r));
		goto out;
	}
	if ((r = add_rules(ctx, err)) < 0)
		goto out;
	if ((r = seccomp_load(ctx)) < 0)
		kvmlet_fail(err, r, "seccomp: the kernel refused the filter: %s%s", strerror(-r),
			    r == -ESRCH ? " (another thread could not take it)" : "");
out:
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}

/* Once: the filter does not allow seccomp(2) itself. */
static atomic_flag installed = ATOMIC_FLAG_INIT;
static atomic_bool in_place;

bool seccomp_installed(void)
{
	return atomic_load(&in_place);
}

int kvmlet_seccomp_install(enum kvmlet_seccomp_mode mode, struct kvmlet_error *err)
{
	int r;

	if (mode == KVMLET_SECCOMP_OFF)
		return 0;
	if (mode != KVMLET_SECCOMP_LOG && mode != KVMLET_SECCOMP_ON)
		return kvmlet_fail(err, -EINVAL, "unknown seccomp mode %d", (int)mode);
	if (atomic_flag_test_and_set(&installed))
		return kvmlet_fail(err, -EALREADY, "seccomp: the filter is already installed");
	if ((r = load_filter(mode, err)) < 0)
		atomic_flag_clear(&installed); /* nothing was installed: a retry may be made */
	else
		atomic_store(&in_place, true);
	return r;
}

#else /* !KVMLET_HAVE_SECCOMP */

bool seccomp_installed(void)
{
	return false;
}

int kvmlet_seccomp_install(enum kvmlet_seccomp_mode mode, struct kvmlet_error *err)
{
	if (mode == KVMLET_SECCOMP_OFF)
		return 0;
	if (mode != KVMLET_SECCOMP_LOG && mode != KVMLET_SECCOMP_ON)
		return kvmlet_fail(err, -EINVAL, "unknown seccomp mode %d", (int)mode);
	return kvmlet_fail(err, -ENOSYS,
			   "kvmlet was built without libseccomp (install libseccomp-dev and "
			   "rebuild), so it cannot install a seccomp filter");
}

#endif
