/* SPDX-License-Identifier: MIT */
/*
 * linux.c: Linux system calls for static Linux programs (bootinfo flag
 * KVMLET_BOOT_LINUX). What touches only the guest's own state is served
 * here, with no exit: memory (brk, mmap, munmap, mprotect, madvise), the
 * thread pointer, identities, limits, signal masks that are only recorded.
 * Everything else goes to the host in one exit (kernel_to_host), which
 * serves I/O, clocks and randomness and refuses the rest. Every pointer the
 * program passes is checked against the live tables before the kernel
 * touches it (mm_user_ok); a bad one is -EFAULT, never a fault in ring 0.
 */
#include "kernel.h"

enum {
	NR_mmap = 9, NR_mprotect = 10, NR_munmap = 11, NR_brk = 12, NR_rt_sigaction = 13,
	NR_rt_sigprocmask = 14, NR_sched_yield = 24, NR_mremap = 25, NR_msync = 26,
	NR_madvise = 28, NR_getpid = 39, NR_exit = 60, NR_uname = 63, NR_getcwd = 79,
	NR_getrlimit = 97, NR_getuid = 102, NR_getgid = 104, NR_geteuid = 107,
	NR_getegid = 108, NR_getppid = 110, NR_getpgrp = 111, NR_sigaltstack = 131,
	NR_arch_prctl = 158, NR_gettid = 186, NR_futex = 202, NR_sched_getaffinity = 204,
	NR_set_tid_address = 218, NR_exit_group = 231, NR_set_robust_list = 273,
	NR_prlimit64 = 302, NR_rseq = 334,
};

#define PROT_READ	    1
#define PROT_WRITE	    2
#define PROT_EXEC	    4
#define MAP_PRIVATE	    0x02
#define MAP_SHARED	    0x01
#define MAP_FIXED	    0x10
#define MAP_ANONYMOUS	    0x20
#define MAP_32BIT	    0x40
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_DONTNEED	    4
#define ARCH_SET_GS	    0x1001
#define ARCH_SET_FS	    0x1002
#define ARCH_GET_FS	    0x1003
#define ARCH_GET_GS	    0x1004
#define MSR_FS_BASE	    0xc0000100u
#define MSR_GS_BASE	    0xc0000101u
#define EAGAIN		    11
#define ETIMEDOUT	    110

static struct {
	bool ready;
	uint64_t brk, brk_max;	/* the program break and how far it may grow */
	uint64_t mmap_next;	/* where the next placed mapping goes */
	uint64_t sigmask;	/* recorded, never used: no signal is delivered */
} lx;

static void init(void)
{
	if (lx.ready)
		return;
	lx.brk = bi()->brk_lo;
	lx.brk_max = bi()->stack_lo - 16 * PAGE; /* brk may not reach the stack's guard */
	lx.mmap_next = bi()->mmap_lo;
	lx.ready = true;
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

/* Copy n bytes to user va, which must be mapped user-writable. */
static int64_t put_user(uint64_t va, const void *src, uint64_t n)
{
	if (!mm_user_ok(va, n, true))
		return -EFAULT;
	memcpy((void *)va, src, n);
	return 0;
}

static uint32_t linux_prot(uint64_t prot)
{
	return (prot & (PROT_READ | PROT_WRITE | PROT_EXEC) ? PT_PROT_USER : 0) |
	       ((prot & PROT_WRITE) ? PT_PROT_WRITE : 0) | ((prot & PROT_EXEC) ? PT_PROT_EXEC : 0);
}

static int64_t sys_brk(uint64_t want)
{
	uint64_t have = page_up(lx.brk), need = page_up(want);

	if (want < bi()->brk_lo || want > lx.brk_max)
		return (int64_t)lx.brk;
	if (need > have && mm_map(have, need - have, PT_PROT_USER | PT_PROT_WRITE) < 0)
		return (int64_t)lx.brk;
	if (need < have)
		mm_unmap(need, have - need);
	lx.brk = want;
	return (int64_t)lx.brk;
}

/*
 * As Linux: an anonymous mapping ignores fd (klibc passes 0), the offset must
 * be page-aligned all the same, and an address that is only a hint need not
 * be. MAP_32BIT cannot be met where mmap places (above 4 GiB): ENOMEM, never
 * an address the program did not ask for.
 */
static int64_t sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, uint64_t off)
{
	const bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	uint64_t va;
	int64_t r;

	if (len == 0 || (prot & ~(uint64_t)7) || (off & (PAGE - 1)) ||
	    (fixed && (addr & (PAGE - 1))))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES; /* nothing is both writable and executable */
	if (!(flags & MAP_ANONYMOUS))
		return -ENODEV; /* no file mappings */
	if (!(flags & (MAP_PRIVATE | MAP_SHARED)))
		return -EINVAL;
	if (len > KVMLET_USER_END)
		return -ENOMEM;
	len = page_up(len);
	if (fixed) {
		if ((r = mm_check_user(addr, len)) < 0)
			return r;
		va = addr;
		if (!(flags & MAP_FIXED_NOREPLACE) && (r = mm_unmap(va, len)) < 0)
			return r;
	} else {
		if ((flags & MAP_32BIT) || len > KVMLET_USER_END - lx.mmap_next)
			return -ENOMEM;
		va = lx.mmap_next;
	}
	/* PROT_NONE only reserves the addresses: mprotect gives them pages later. */
	if (prot && (r = mm_map(va, len, linux_prot(prot))) < 0)
		return r;
	if (va == lx.mmap_next)
		lx.mmap_next += len;
	return (int64_t)va;
}

/* Is [va, va + len) inside memory mmap placed or the break (where holes may be filled)? */
static bool fillable(uint64_t va, uint64_t len)
{
	return (va >= bi()->mmap_lo && va + len <= lx.mmap_next) ||
	       (va >= bi()->brk_lo && va + len <= page_up(lx.brk));
}

struct holes {
	uint64_t next, end, prot;
	int64_t err;
};

/* Map fresh pages into the holes before each run (and after the last). */
static int fill_before(void *arg, const struct pt_run *run)
{
	struct holes *h = arg;

	if (run->va > h->next) {
		if (!fillable(h->next, run->va - h->next))
			h->err = -ENOMEM;
		else if (h->prot)
			h->err = mm_map(h->next, run->va - h->next, linux_prot(h->prot));
	}
	h->next = run->va + run->len;
	return h->err != 0;
}

static int64_t sys_mprotect(uint64_t va, uint64_t len, uint64_t prot)
{
	struct holes h = {.next = va, .prot = prot};
	int64_t r;

	if ((prot & ~(uint64_t)7) || (va & (PAGE - 1)))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;
	if (len == 0)
		return 0;
	if ((len = page_up(len)) == 0)
		return -ENOMEM; /* wrapped: past every address */
	if ((r = mm_check_user(va, len)) < 0)
		return -ENOMEM;
	h.end = va + len;
	if (pt_walk(kernel_pt(), va, va + len, 0, fill_before, &h) < 0 && !h.err)
		return -ENOMEM;
	if (!h.err && h.next < h.end)
		fill_before(&h, &(struct pt_run){.va = h.end});
	if (h.err)
		return h.err;
	return mm_protect(va, len, linux_prot(prot)) == 0 ? 0 : -ENOMEM;
}

static int64_t sys_munmap(uint64_t va, uint64_t len)
{
	int64_t r = mm_check_user(va, page_up(len));

	return r < 0 ? r : mm_unmap(va, page_up(len));
}

static int64_t sys_madvise(uint64_t va, uint64_t len, uint64_t advice)
{
	if (va & (PAGE - 1))
		return -EINVAL;
	if (advice != MADV_DONTNEED || len == 0)
		return 0; /* hints: nothing to do */
	if (mm_check_user(va, page_up(len)) < 0)
		return -EINVAL;
	return mm_zero(va, page_up(len));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static int64_t sys_arch_prctl(uint64_t code, uint64_t addr)
{
	uint64_t v;

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= KVMLET_USER_END)
			return -EPERM;
		wrmsr(code == ARCH_SET_FS ? MSR_FS_BASE : MSR_GS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		v = rdmsr(code == ARCH_GET_FS ? MSR_FS_BASE : MSR_GS_BASE);
		return put_user(addr, &v, 8);
	default:
		return -EINVAL;
	}
}

static int64_t sys_uname(uint64_t buf)
{
	static const char f[6][65] = {"Linux", "kvmlet", "6.1.0-kvmlet", "#1 SMP kvmlet",
				      "x86_64", "(none)"};

	return put_user(buf, f, sizeof(f));
}

static int64_t rlimit(uint64_t resource, uint64_t old)
{
	uint64_t lim[2] = {~0ull, ~0ull};

	if (resource == 3) /* RLIMIT_STACK */
		lim[0] = lim[1] = bi()->stack_hi - bi()->stack_lo;
	else if (resource == 7) /* RLIMIT_NOFILE */
		lim[0] = lim[1] = 64;
	else if (resource == 9) /* RLIMIT_AS */
		lim[0] = lim[1] = bi()->mem_size;
	else if (resource >= 16)
		return -EINVAL;
	return old ? put_user(old, lim, sizeof(lim)) : 0;
}

static int64_t sys_rt_sigaction(uint64_t sig, uint64_t act, uint64_t old, uint64_t size)
{
	uint64_t zero[4] = {0};

	if (sig == 0 || sig > 64 || size != 8 || (act && (sig == 9 || sig == 19)))
		return -EINVAL;
	return old ? put_user(old, zero, sizeof(zero)) : 0;
}

static int64_t sys_rt_sigprocmask(uint64_t how, uint64_t set, uint64_t old, uint64_t size)
{
	uint64_t prev = lx.sigmask, s;

	if (size != 8)
		return -EINVAL;
	if (set) {
		if (!mm_user_ok(set, 8, false))
			return -EFAULT;
		s = *(const volatile uint64_t *)set;
		if (how == 0)
			lx.sigmask |= s;
		else if (how == 1)
			lx.sigmask &= ~s;
		else if (how == 2)
			lx.sigmask = s;
		else
			return -EINVAL;
	}
	return old ? put_user(old, &prev, 8) : 0;
}

static int64_t sys_futex(uint64_t uaddr, uint64_t op, uint64_t val)
{
	uint32_t cur;

	switch (op & 127) {
	case 0: /* FUTEX_WAIT */
	case 9: /* FUTEX_WAIT_BITSET */
		if (!mm_user_ok(uaddr, 4, false))
			return -EFAULT;
		cur = *(const volatile uint32_t *)uaddr;
		/* One thread: nobody could ever wake it. */
		return cur != (uint32_t)val ? -EAGAIN : -ETIMEDOUT;
	case 1:	 /* FUTEX_WAKE */
	case 10: /* FUTEX_WAKE_BITSET */
		return 0;
	default:
		return -ENOSYS;
	}
}

static int64_t sys_getcwd(uint64_t buf, uint64_t size)
{
	if (size < 2)
		return -34; /* ERANGE */
	return put_user(buf, "/", 2) < 0 ? -EFAULT : 2;
}

static void sys_exit(uint64_t status)
{
	for (;;)
		__asm__ volatile("outb %%al, %0" : : "i"(KVMLET_PORT_EXIT), "a"(0), "D"(status));
}

int64_t linux_syscall(struct frame *f)
{
	uint64_t a0 = f->rdi, a1 = f->rsi, a2 = f->rdx, a3 = f->r10, a5 = f->r9;

	init();
	switch (f->rax) {
	case NR_brk:
		return sys_brk(a0);
	case NR_mmap:
		return sys_mmap(a0, a1, a2, a3, a5);
	case NR_munmap:
		return sys_munmap(a0, a1);
	case NR_mprotect:
		return sys_mprotect(a0, a1, a2);
	case NR_madvise:
		return sys_madvise(a0, a1, a2);
	case NR_mremap:
		return -ENOMEM; /* libc then allocates, copies and frees */
	case NR_msync:
		return 0;
	case NR_arch_prctl:
		return sys_arch_prctl(a0, a1);
	case NR_set_tid_address:
	case NR_getpid:
	case NR_gettid:
	case NR_getpgrp:
		return 1;
	case NR_getppid:
	case NR_getuid:
	case NR_geteuid:
	case NR_getgid:
	case NR_getegid:
	case NR_set_robust_list:
	case NR_sched_yield:
		return 0;
	case NR_rseq:
		return -ENOSYS;
	case NR_uname:
		return sys_uname(a0);
	case NR_getrlimit:
		return rlimit(a0, a1);
	case NR_prlimit64:
		return a0 > 1 ? -3 /* ESRCH */ : rlimit(a1, a3);
	case NR_rt_sigaction:
		return sys_rt_sigaction(a0, a1, a2, a3);
	case NR_rt_sigprocmask:
		return sys_rt_sigprocmask(a0, a1, a2, a3);
	case NR_sigaltstack: {
		uint64_t old[3] = {0, 2 /* SS_DISABLE */, 0};
		return a1 ? put_user(a1, old, sizeof(old)) : 0;
	}
	case NR_sched_getaffinity: {
		uint64_t mask = 1;
		if (a1 < 8)
			return -EINVAL;
		return put_user(a2, &mask, 8) < 0 ? -EFAULT : 8;
	}
	case NR_futex:
		return sys_futex(a0, a1, a2);
	case NR_getcwd:
		return sys_getcwd(a0, a1);
	case NR_exit:
	case NR_exit_group:
		sys_exit(a0);
		return 0;
	default:
		return kernel_to_host(f);
	}
}
