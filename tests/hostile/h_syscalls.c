/*
 * Hostile guest: Linux system calls with bogus arguments. Every call the host
 * serves gets pointers it must refuse (the null page, supervisor pages, the
 * kernel, the tables' supervisor view, unmapped, non-canonical, the top of
 * the address space, ranges that run off the end of a mapping or wrap) and
 * must answer -EFAULT, never touch them; then thousands of calls with random
 * numbers and arguments, which must each answer a Linux result. main: the
 * random storm.
 */
#include "hostile.h"

#define EFAULT 14

static long sys6(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
		 uint64_t f)
{
	register uint64_t r10 __asm__("r10") = d;
	register uint64_t r8 __asm__("r8") = e;
	register uint64_t r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

/* Addresses no system call may read or write through. */
static const uint64_t bad[] = {
	0,
	8,
	KVMLET_GDT_GPA,
	KVMLET_IDT_GPA,
	KVMLET_TSS_GPA,
	KVMLET_STACK0_GPA,
	KVMLET_KERNEL_GPA,
	KVMLET_KDATA_GPA,
	KVMLET_KPHYS_VA,
	KVMLET_KPHYS_VA + KVMLET_TABLES_GPA,
	HOSTILE_SLOT1_VA,
	0x0000800000000000ull,
	0xffff7ffffffff000ull,
	HOSTILE_TOP,
	0xfffffffffffffff0ull,
};

/* Host-served calls whose pointer argument (position p) must be refused. */
static const struct {
	uint16_t nr;
	uint8_t p;
	uint64_t args[6];
	bool null_ok; /* NULL there means "none", as on Linux */
} ptr_calls[] = {
	{1, 1, {1, 0, 64}, false},		/* write(1, bad, 64) */
	{20, 1, {1, 0, 4}, false},		/* writev(1, bad iov, 4) */
	{2, 0, {0, 0, 0}, false},		/* open(bad, O_RDONLY) */
	{257, 1, {-100ull, 0, 0}, false},	/* openat(AT_FDCWD, bad) */
	{4, 0, {0, 0}, false},			/* stat(bad, ...) */
	{5, 1, {1, 0}, false},			/* fstat(1, bad) */
	{262, 1, {-100ull, 0, 0, 0}, false},	/* newfstatat(AT_FDCWD, bad, ...) */
	{21, 0, {0, 0}, false},			/* access(bad) */
	{228, 1, {1, 0}, false},		/* clock_gettime(MONOTONIC, bad) */
	{96, 0, {0, 0}, true},			/* gettimeofday(bad) */
	{201, 0, {0}, true},			/* time(bad) */
	{318, 0, {0, 16, 0}, false},		/* getrandom(bad, 16) */
	{35, 0, {0, 0}, false},			/* nanosleep(bad) */
	{7, 0, {0, 1, 0}, false},		/* poll(bad, 1) */
	{79, 0, {0, 64}, false},		/* getcwd(bad, 64): the host's */
	{80, 0, {0}, false},			/* chdir(bad) */
	{59, 0, {0, 0, 0}, false},		/* execve(bad, NULL, NULL) */
	{322, 1, {-100ull, 0, 0, 0, 0}, false}, /* execveat(AT_FDCWD, bad, ...) */
	{63, 0, {0}, false},			/* uname(bad): in the guest's kernel */
	{158, 1, {0x1003, 0}, false},		/* arch_prctl(ARCH_GET_FS, bad): in the kernel */
	{14, 2, {0, 0, 0, 8}, true},  /* rt_sigprocmask(SIG_BLOCK, NULL, bad, 8): kernel */
	{204, 2, {0, 8, 0}, false},   /* sched_getaffinity(0, 8, bad): kernel */
	{302, 3, {0, 3, 0, 0}, true}, /* prlimit64(0, RLIMIT_STACK, NULL, bad): kernel */
};

/* Every pointer class against every call: each must be -EFAULT (or, for a
 * path, the -ENOENT of a path it could read: none of these is readable). */
HOSTILE_ATTACK(bad_pointers)
{
	for (unsigned i = 0; i < sizeof(ptr_calls) / sizeof(ptr_calls[0]); i++) {
		for (unsigned j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			uint64_t a[6];

			if (bad[j] == 0 && ptr_calls[i].null_ok)
				continue;
			memcpy(a, ptr_calls[i].args, sizeof(a));
			a[ptr_calls[i].p] = bad[j];
			long r = sys6(ptr_calls[i].nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			if (r != -EFAULT) {
				kvmlet_printf("syscall %u with 0x%llx: %ld\n", ptr_calls[i].nr,
					      (unsigned long long)bad[j], r);
				kvmlet_abort("a bogus pointer was not refused with EFAULT");
			}
		}
	}
}

/* A buffer that runs off the end of mapped memory, and one that wraps. A
 * write may move the bytes before the end, as Linux's does, never more. */
HOSTILE_ATTACK(straddling_buffers)
{
	uint64_t end = kvmlet_bootinfo()->stack_hi; /* the last mapped byte is end - 1 */
	long w = sys6(1, 1, end - 8, 64, 0, 0, 0);

	if ((w != -EFAULT && (w < 0 || w > 8)) ||
	    sys6(318, end - 8, 64, 0, 0, 0, 0) != -EFAULT ||
	    sys6(1, 1, 0xffffffffffffff00ull, 0x200, 0, 0, 0) != -EFAULT ||
	    sys6(0, 0, end - 8, 64, 0, 0, 0) < 0 /* stdin at its end: nothing is read */)
		kvmlet_abort("a buffer past the end of memory was not refused");
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

/* An argument: small numbers, flags, pointers good and bad, anything. */
static uint64_t arg(void)
{
	uint64_t k = next() % 6, scratch = kvmlet_bootinfo()->result_buf;

	switch (k) {
	case 0:
		return next() % 64;
	case 1:
		return bad[next() % (sizeof(bad) / sizeof(bad[0]))];
	case 2:
		return scratch + next() % 4096;
	case 3:
		return -(next() % 4096);
	default:
		return next();
	}
}

/* System calls that would end the run, wait for ever, or rearrange this
 * guest's own memory or registers (rt_sigreturn: h_signals.c; vfork: its
 * child would go on with the stack it shares with its parent, returning
 * from this function before the parent does: vfork_chain below). */
static bool skipped(uint64_t nr)
{
	return nr == 9 || nr == 10 || nr == 11 || nr == 12 || nr == 25 || nr == 28 || nr == 60 ||
	       nr == 231 || nr == 62 || nr == 200 || nr == 234 || nr == 35 || nr == 230 ||
	       nr == 158 || nr == 15 || nr == 34 || nr == 130 || nr == 58;
}

static void storm(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t nr = next() % 460;

		if (skipped(nr))
			continue;
		long r = sys6(nr, arg(), arg(), arg(), arg(), arg(), arg());
		if (r < -4095)
			kvmlet_abort("a system call answered something that is not a Linux result");
	}
}

HOSTILE_ATTACK(random_storm)
{
	storm(3000);
}

/* A fork bomb: every process forks on until the host says EAGAIN (16
 * processes at most, kvmlet_set_processes' default), then waits for its
 * children; a child then calls a host function (it has none: the call fails,
 * nothing falls over) and ends; each one's status is checked. Each child is
 * a VM of its own: the host must stay up, and a reset must end whatever is
 * left. */
HOSTILE_ATTACK(fork_bomb)
{
	bool child = false;

	for (int i = 0; i < 64; i++) {
		long pid = sys6(57, 0, 0, 0, 0, 0, 0); /* fork */
		if (pid == 0)
			child = true;
		else if (pid < 0 && pid != -11)
			kvmlet_abort("fork answered neither a pid nor EAGAIN");
		else if (pid < 0)
			break;
	}
	int st = 0, ill = 0;
	while (sys6(61, (uint64_t)-1, (uint64_t)&st, 0, 0, 0, 0) > 0) /* wait4(-1): each child */
		ill |= st;
	if (child) {
		struct kvmlet_value res;
		int hc = KVMLET_HOST_CALL(&res, "ping", KVMLET_I64(1));
		sys6(231, ill ? 1 : hc == -1 ? 0 : 2, 0, 0, 0, 0, 0); /* exit_group */
	}
	if (ill & 0x7f)
		kvmlet_abort("a child of fork was killed by a signal");
	if (ill >> 8 == 2)
		kvmlet_abort("a child of fork reached a host function");
	if (ill)
		kvmlet_abort("a child of fork had a child that did not end well");
}

/* Processes that never wait: every process forks on until EAGAIN, then
 * computes for ever. They take turns by slices; the call's time limit must
 * still end the first one's run, wherever the turn is, and the free or a
 * reset end the others. */
HOSTILE_ATTACK(spin_bomb)
{
	for (int i = 0; i < 64; i++)
		if (sys6(57, 0, 0, 0, 0, 0, 0) < 0) /* fork */
			break;
	for (;;)
		__asm__ volatile("");
}

/* vfork in a chain: each child vforks again, its parent waiting, until the
 * host says EAGAIN; then each ends, and its parent goes on with what it
 * wrote (the depth it reached). The host must unwind the chain, give the
 * first process the depth and keep up. */
HOSTILE_ATTACK(vfork_chain)
{
	static volatile long depth, got, first;

	depth = got = 0;
	first = sys6(39, 0, 0, 0, 0, 0, 0); /* getpid */
	for (;;) {
		long pid = sys6(58, 0, 0, 0, 0, 0, 0); /* vfork */
		if (pid != 0) {
			if (sys6(39, 0, 0, 0, 0, 0, 0) != first)
				sys6(60, 0, 0, 0, 0, 0, 0); /* a child: exit, its parent goes on */
			got = pid;
			break;
		}
		depth++;
	}
	if (got <= 0 || depth < 1)
		kvmlet_abort("the vfork chain did not give its depth back to the first process");
}

/* A vfork child that computes for ever: its parent waits, so only the
 * call's time limit ends the run. */
HOSTILE_ATTACK(vfork_spin)
{
	if (sys6(58, 0, 0, 0, 0, 0, 0) == 0)
		for (;;)
			__asm__ volatile("");
}

int main(void)
{
	storm(3000);
	return 0;
}
