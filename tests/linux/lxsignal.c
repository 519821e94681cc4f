/*
 * lxsignal.c: signal handlers ("lxtest signals"), compared byte for byte
 * with Linux by tests/cli/cli_linux.sh: raise, kill and tgkill to itself,
 * siginfo, masks while a handler runs, blocked and pending signals,
 * SA_RESETHAND, SA_NODEFER, an alternate stack, sigsuspend; exceptions as
 * signals (SIGSEGV, SIGFPE, SIGILL, SIGTRAP), handlers that fix the cause
 * and return or that change the registers they return to, and registers
 * (rcx and r11 too) and the FPU state kept across a handler.
 * "lxtest signal N" sends itself N with no handler (the run ends by it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

int do_signals(void);
int do_signal(int sig);

static volatile sig_atomic_t hits, depth, nested_max;
static volatile int got_sig, got_code, got_pid, in_mask_self, in_mask_other;
static volatile uintptr_t got_addr;
static sigjmp_buf jb;

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags, int also_block)
{
	struct sigaction sa = {0};

	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (also_block)
		sigaddset(&sa.sa_mask, also_block);
	if (sigaction(sig, &sa, NULL) != 0)
		perror("sigaction");
}

static void record(int sig, siginfo_t *si, void *uc)
{
	sigset_t now;

	(void)uc;
	hits++;
	got_sig = sig;
	got_code = si->si_code;
	got_pid = si->si_pid == getpid();
	sigprocmask(SIG_BLOCK, NULL, &now);
	in_mask_self = sigismember(&now, sig);
	in_mask_other = sigismember(&now, SIGUSR2);
}

static void nested(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	depth++;
	if (depth > nested_max)
		nested_max = depth;
	if (sig == SIGUSR1 && depth < 3)
		raise(SIGUSR1); /* SA_NODEFER: runs inside this one */
	depth--;
}

static void jump_out(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
	siglongjmp(jb, 1);
}

static volatile char *page;

/* A write to a read-only page: make it writable and return (the write is done again). */
static void unprotect(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr - (uintptr_t)page;
	mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
}

/* A read through a null pointer: skip the 2-byte `mov (%rax),%eax` and make it read 77. */
static void skip(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;

	(void)si;
	got_sig = sig;
	u->uc_mcontext.gregs[REG_RIP] += 2;
	u->uc_mcontext.gregs[REG_RAX] = 77;
}

static void trap(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	got_sig = sig;
	hits++;
}

static char altstack[65536];
static volatile int on_alt;

static void where(int sig, siginfo_t *si, void *uc)
{
	char here;
	stack_t ss;

	(void)sig, (void)si, (void)uc;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
	sigaltstack(NULL, &ss);
	if (!(ss.ss_flags & SS_ONSTACK))
		on_alt = -1;
}

/* Floating point in a handler must not leak into the code it interrupted. */
static void fpu_mess(int sig, siginfo_t *si, void *uc)
{
	volatile double x = 1.0;

	(void)sig, (void)si, (void)uc;
	for (int i = 0; i < 10; i++)
		x = x * 3.7 + 0.1;
	hits++;
}

static void say(const char *what)
{
	printf("%s: hits %d sig %d code %d own pid %d masked self %d other %d\n", what, (int)hits,
	       got_sig, got_code, got_pid, in_mask_self, in_mask_other);
	hits = 0, got_sig = got_code = got_pid = in_mask_self = in_mask_other = 0;
}

static void basics(void)
{
	struct sigaction old;
	sigset_t set, pend;

	on(SIGUSR1, record, 0, SIGUSR2);
	raise(SIGUSR1);
	say("raise");
	kill(getpid(), SIGUSR1);
	say("kill");
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	say("tgkill");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	raise(SIGUSR1); /* not queued twice */
	sigpending(&pend);
	printf("blocked: hits %d pending %d\n", (int)hits, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	say("unblocked");

	on(SIGUSR1, record, SA_NODEFER, 0);
	raise(SIGUSR1);
	say("nodefer");

	on(SIGUSR1, record, SA_RESETHAND, 0);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	say("resethand");
	printf("after resethand: default %d\n", old.sa_handler == SIG_DFL);

	on(SIGUSR1, nested, SA_NODEFER, 0);
	raise(SIGUSR1);
	printf("nested depth %d\n", (int)nested_max);

	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	printf("ignored: still here\n");
	signal(SIGCHLD, SIG_DFL);
	raise(SIGCHLD);
	printf("default ignored: still here\n");

	/* sigsuspend: a pending signal runs its handler inside it; the mask comes back. */
	on(SIGUSR1, record, 0, 0);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigset_t none, after;
	sigemptyset(&none);
	int r = sigsuspend(&none);
	int e = errno;
	sigprocmask(SIG_BLOCK, NULL, &after);
	printf("sigsuspend %d %s, blocked after %d\n", r, strerror(e), sigismember(&after, SIGUSR1));
	say("suspended");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void alternate(void)
{
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)}, old;

	sigaltstack(&ss, NULL);
	on(SIGUSR1, where, SA_ONSTACK, 0);
	raise(SIGUSR1);
	printf("on the alternate stack: %d\n", on_alt);
	on(SIGUSR1, where, 0, 0);
	raise(SIGUSR1);
	printf("without SA_ONSTACK: %d\n", on_alt);
	sigaltstack(NULL, &old);
	printf("altstack flags %d size %zu\n", old.ss_flags, old.ss_size);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static void faults(void)
{
	volatile int zero = 0;
	volatile uintptr_t sixteen = 16;

	on(SIGSEGV, jump_out, 0, 0);
	if (sigsetjmp(jb, 1) == 0)
		*(volatile int *)sixteen = 1;
	printf("null write: sig %d code %d addr %lu\n", got_sig, got_code, (unsigned long)got_addr);

	on(SIGFPE, jump_out, 0, 0);
	if (sigsetjmp(jb, 1) == 0)
		printf("%d\n", 7 / zero);
	printf("divide by zero: sig %d code %d\n", got_sig, got_code);

	on(SIGILL, jump_out, 0, 0);
	if (sigsetjmp(jb, 1) == 0)
		__asm__ volatile("ud2");
	printf("ud2: sig %d code %d\n", got_sig, got_code);

	/* The handler fixes the cause and returns: the write happens. */
	page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	on(SIGSEGV, unprotect, 0, 0);
	page[100] = 'k';
	printf("read-only page: sig %d code %d offset %lu value %c\n", got_sig, got_code,
	       (unsigned long)got_addr, page[100]);
	munmap((void *)page, 4096);

	/* The handler changes the registers it returns to; the rest come back as they were. */
	uint64_t rax = 0, rcx = 0, r11 = 0, r8 = 0x5555, rdx = 0x6666;
	on(SIGSEGV, skip, 0, 0);
	__asm__ volatile("mov $0x1111222233334444, %%rcx\n\t"
			 "mov $0x246, %%r11\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov (%%rax), %%eax\n\t"
			 "mov %%rcx, %1\n\t"
			 "mov %%r11, %2\n\t"
			 : "=a"(rax), "=r"(rcx), "=r"(r11), "+r"(r8), "+d"(rdx)
			 :
			 : "rcx", "r11", "memory");
	printf("skipped: sig %d rax %lu rcx %lx r11 %lx r8 %lx rdx %lx\n", got_sig,
	       (unsigned long)rax, (unsigned long)rcx, (unsigned long)r11,
	       (unsigned long)r8, (unsigned long)rdx);

	on(SIGTRAP, trap, 0, 0);
	__asm__ volatile("int3");
	printf("int3: sig %d hits %d\n", got_sig, (int)hits);
	hits = 0;
	signal(SIGSEGV, SIG_DFL);
}

static void fpu(void)
{
	volatile double a = 1.5, b = 2.25;
	double before = a * b, after;

	on(SIGUSR1, fpu_mess, 0, 0);
	raise(SIGUSR1);
	after = a * b;
	printf("fpu: %g %g same %d hits %d\n", before, after, before == after, (int)hits);
	hits = 0;
}

static volatile sig_atomic_t alarms;

static void count_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	alarms++;
}

/* alarm, setitimer, pause and sleeps a timer interrupts, a busy loop it reaches. */
static void timers(void)
{
	struct itimerval it = {{0, 50000}, {0, 50000}}, old;
	sigset_t none;

	on(SIGALRM, count_alarm, 0, 0);
	alarm(5);
	printf("alarm(0) after alarm(5): %u\n", alarm(0));
	alarm(1);
	int r = pause();
	printf("pause: %d %s, alarms %d\n", r, strerror(errno), (int)alarms);
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	sigemptyset(&none);
	while (alarms < 3)
		sigsuspend(&none);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, &old);
	printf("setitimer: 3 alarms, interval %ld us, running %d\n", (long)old.it_interval.tv_usec,
	       old.it_value.tv_sec > 0 || old.it_value.tv_usec > 0);
	getitimer(ITIMER_REAL, &old);
	printf("getitimer after: %ld %ld %ld %ld\n", (long)old.it_interval.tv_sec,
	       (long)old.it_interval.tv_usec, (long)old.it_value.tv_sec,
	       (long)old.it_value.tv_usec);
	alarms = 0;
	alarm(1);
	unsigned left = sleep(10);
	printf("sleep(10) ended by the alarm: %d, %u-9 s left\n", (int)alarms, left >= 8 && left <= 9 ? 8 : left);
	alarms = 0;
	it = (struct itimerval){{0, 0}, {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	unsigned long spins = 0;
	while (!alarms)
		spins += getppid() == 0 ? 1 : 2;
	printf("a busy loop of system calls: alarms %d\n", (int)alarms);
	signal(SIGALRM, SIG_DFL);
}

/* sigtimedwait and sigwait: signals taken without their handler running. */
static void waits(void)
{
	sigset_t set, old;
	siginfo_t si;
	struct timespec zero = {0, 0}, short_wait = {0, 50000000};
	int sig = 0;

	on(SIGUSR1, record, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	int r = sigtimedwait(&set, &si, &zero);
	printf("sigtimedwait, pending: %d code %d own pid %d, handler ran %d\n", r, si.si_code,
	       si.si_pid == getpid(), (int)hits);
	errno = 0;
	r = sigtimedwait(&set, &si, &zero);
	printf("sigtimedwait, none, no wait: %d %s\n", r, strerror(errno));
	errno = 0;
	r = sigtimedwait(&set, &si, &short_wait);
	printf("sigtimedwait, none, 50 ms: %d %s\n", r, strerror(errno));
	alarm(1);
	r = sigwait(&set, &sig);
	printf("sigwait for the alarm: %d sig %d\n", r, sig);
	kill(getpid(), SIGUSR1);
	r = sigwaitinfo(&set, &si);
	printf("sigwaitinfo after kill: %d code %d\n", r, si.si_code);
	sigprocmask(SIG_SETMASK, &old, NULL);
	hits = 0;
}

/* A write to a pipe nobody reads: SIGPIPE (its handler runs), then EPIPE. */
static void broken_pipe(void)
{
	int p[2];

	on(SIGPIPE, record, 0, 0);
	if (pipe(p) != 0)
		perror("pipe");
	close(p[0]);
	long r = write(p[1], "x", 1);
	printf("write to a pipe with no reader: %ld %s\n", r, strerror(errno));
	say("sigpipe");
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

int do_signals(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	basics();
	alternate();
	faults();
	fpu();
	timers();
	waits();
	broken_pipe();
	puts("signals done");
	return 0;
}

int do_signal(int sig)
{
	int p[2];

	if (sig == SIGPIPE && pipe(p) == 0) { /* by a write with no reader */
		close(p[0]);
		write(p[1], "x", 1);
		printf("survived a write with no reader\n");
		return 0;
	}
	raise(sig);
	printf("survived signal %d\n", sig);
	return 0;
}
