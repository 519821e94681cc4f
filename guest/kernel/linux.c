/* SPDX-License-Identifier: MIT */
/*
 * linux.c: Linux system calls for static Linux programs (bootinfo flag
 * KVMLET_BOOT_LINUX). What touches only the guest's own state is served
 * here, with no exit: memory (brk, mmap, munmap, mprotect, madvise, msync,
 * mremap), identities, and (linux_task.c) the task's own state. Arguments
 * are checked in Linux's order with its errno; linux_thread.c serves threads.
 * Everything else goes to the host in one exit (linux_thread_host), which
 * serves I/O, clocks and randomness and refuses the rest. Every pointer the
 * program passes is checked against the live tables before the kernel
 * touches it (mm_user_ok); a bad one is -EFAULT, never a fault in ring 0.
 */
#include "kernel.h"

enum {
	NR_read = 0,
	NR_write = 1,
	NR_pread64 = 17,
	NR_readv = 19,
	NR_writev = 20,
	NR_mmap = 9,
	NR_mprotect = 10,
	NR_munmap = 11,
	NR_brk = 12,
	NR_mremap = 25,
	NR_msync = 26,
	NR_madvise = 28,
	NR_getpid = 39,
	NR_execve = 59,
	NR_getppid = 110,
	NR_getpgrp = 111,
	NR_exit_group = 231,
	NR_set_robust_list = 273,
	NR_execveat = 322,
	NR_rseq = 334,
};

#define EPIPE		    32
#define ESPIPE		    29
#define EISDIR		    21
#define SIGPIPE		    13
#define PROT_READ	    1
#define PROT_WRITE	    2
#define PROT_EXEC	    4
#define PROT_SEM	    8
#define PROT_GROWSDOWN	    0x01000000
#define PROT_GROWSUP	    0x02000000
#define MAP_PRIVATE	    0x02
#define MAP_SHARED	    0x01
#define MAP_FIXED	    0x10
#define MAP_ANONYMOUS	    0x20
#define MAP_32BIT	    0x40
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_DONTNEED	    4
#define MADV_DONTNEED_LOCKED 24
#define MS_ASYNC	    1
#define MS_INVALIDATE	    2
#define MS_SYNC		    4
#define MREMAP_MAYMOVE	    1
#define MREMAP_FIXED	    2
#define MREMAP_DONTUNMAP    4

static struct {
	bool ready;
	uint64_t brk, brk_max;	/* the program break and how far it may grow */
} lx;

static void init(void)
{
	if (lx.ready)
		return;
	lx.brk = bi()->brk_lo;
	lx.brk_max = bi()->stack_lo - 16 * PAGE; /* brk may not reach the stack's guard */
	lx.ready = true;
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

/* The PT_PROT_* bits a Linux protection becomes (linux_prot). */
#define LINUX_PROT_BITS (PT_PROT_USER | PT_PROT_WRITE | PT_PROT_EXEC)

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
	/* As Linux's, the break does not grow into a mapping (a PROT_NONE one too). */
	if (need > have && (vma_overlaps(have, need) ||
			    mm_map(have, need - have, PT_PROT_USER | PT_PROT_WRITE) < 0))
		return (int64_t)lx.brk;
	if (need < have)
		mm_unmap(need, have - need);
	lx.brk = want;
	return (int64_t)lx.brk;
}

/* pread64(fd, va, len, off) by the host: a file mapping's contents. */
static int64_t read_file(int32_t fd, uint64_t va, uint64_t len, uint64_t off)
{
	const struct frame f = {.rax = NR_pread64, .rdi = (uint64_t)fd, .rsi = va, .rdx = len,
				.r10 = off};

	return kernel_to_host(&f);
}

/* A file mapping is a copy of the file (every file is read-only, so a shared
 * one can never be written either: a copy is what it shows): its pages are
 * mapped writable, filled by the host and given their protection. A
 * descriptor the host cannot read at an offset (a pipe, a terminal) is
 * ENODEV, as Linux's files without mmap; past the end of the file, zeros. */
static int64_t fill_file(int32_t fd, uint64_t va, uint64_t len, uint64_t prot, uint64_t off)
{
	int64_t r = read_file(fd, va, len, off);

	if (r >= 0 && prot != (PROT_READ | PROT_WRITE))
		r = mm_protect(va, len, linux_prot(prot));
	if (r < 0)
		mm_unmap(va, len);
	return r < 0 ? r : 0;
}

/*
 * Where a mapping of len bytes goes that the program did not fix: at its hint
 * (rounded down to a page, as x86 Linux does) if nothing is there, no
 * mapping, no page, and not the break's room to grow or the stack; else the
 * lowest free addresses from mmap_lo. 0 if there are none.
 */
/* Is [va, va + len) free: no mapping of the program's there, PROT_NONE ones
 * too, and no page (the break's, the stack's)? */
static bool range_free(uint64_t va, uint64_t len)
{
	return !vma_overlaps(va, va + len) && !mm_mapped(va, len);
}

static uint64_t place(uint64_t hint, uint64_t len)
{
	hint &= ~(PAGE - 1);
	if (hint && mm_check_user(hint, len) == 0 &&
	    (hint >= bi()->stack_hi || hint + len <= bi()->brk_lo) &&
	    range_free(hint, len))
		return hint;
	return vma_gap(bi()->mmap_lo, KVMLET_USER_END, len);
}

/*
 * As Linux: an anonymous mapping ignores fd (klibc passes 0), the offset must
 * be page-aligned all the same, and an address that is only a hint need not
 * be; prot bits it does not know are ignored. MAP_32BIT cannot be met where
 * mmap places (above 4 GiB): ENOMEM, never an address the program did not
 * ask for; so is a fixed address outside the program's part of memory.
 * Every mapping is recorded (linux_vma.c), so that a PROT_NONE one keeps its
 * addresses: MAP_FIXED_NOREPLACE over it is EEXIST, and nothing is placed there.
 */
static int64_t sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int32_t fd,
			uint64_t off)
{
	const bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	const bool file = !(flags & MAP_ANONYMOUS);
	uint64_t va;
	int64_t r;

	if (off & (PAGE - 1))
		return -EINVAL;
	/* Linux's order: the descriptor, then the length and the type. */
	if (file && (r = read_file(fd, 0, 0, off)) < 0)
		return r == -ESPIPE || r == -EISDIR ? -ENODEV : r;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	if (len == 0 || (fixed && (addr & (PAGE - 1))))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES; /* nothing is both writable and executable */
	if (!(flags & (MAP_PRIVATE | MAP_SHARED)))
		return -EINVAL;
	if (file && (flags & MAP_SHARED) && (prot & PROT_WRITE))
		return -EACCES; /* the file is open read-only */
	if (len > KVMLET_USER_END)
		return -ENOMEM;
	len = page_up(len);
	if (fixed) {
		if (mm_check_user(addr, len) < 0)
			return -ENOMEM;
		va = addr;
		if ((flags & MAP_FIXED_NOREPLACE) && !range_free(va, len))
			return -EEXIST;
	} else if ((flags & MAP_32BIT) || !(va = place(addr, len))) {
		return -ENOMEM;
	}
	if ((r = vma_claim(va, va + len)) < 0)
		return r;
	if (fixed && !(flags & MAP_FIXED_NOREPLACE) && (r = mm_unmap(va, len)) < 0)
		goto drop;
	/* PROT_NONE only reserves the addresses: mprotect gives them pages later. */
	if (prot && (r = mm_map(va, len, linux_prot(file ? PROT_READ | PROT_WRITE : prot))) < 0)
		goto drop;
	if (prot && file && (r = fill_file(fd, va, len, prot, off)) < 0)
		goto drop;
	return (int64_t)va;
drop:
	/* As Linux's: a failed MAP_FIXED leaves nothing of the old mapping either. */
	vma_release(va, va + len);
	return r;
}

/* How far from va, up to end, the addresses are a mapping's or the break's
 * (where holes may be filled): va if that one is neither's. */
static uint64_t fillable_to(uint64_t va, uint64_t end)
{
	const uint64_t brk_end = page_up(lx.brk) < end ? page_up(lx.brk) : end;

	for (uint64_t at;; va = at) {
		at = vma_covered(va, end);
		if (at == va && va >= bi()->brk_lo && va < brk_end)
			at = brk_end;
		if (at == va)
			return va;
	}
}

struct holes {
	uint64_t next;	/* where the last run ended */
	uint64_t stop;	/* the first hole that is no mapping's (the end if none) */
	uint64_t prot;	/* filling: the new pages' protection (0: none are made) */
	bool fill;	/* scanning (false) or filling (true) */
	bool gaps;	/* scanning: a mapping's hole was seen (PROT_NONE, no pages) */
	int64_t err;
};

/* Before each run, and after the last: a hole. Scanning stops at the first
 * that is no mapping's; filling gives the holes fresh pages. */
static int hole_before(void *arg, const struct pt_run *run)
{
	struct holes *h = arg;

	if (run->va > h->next && !h->fill) {
		const uint64_t to = fillable_to(h->next, run->va);
		h->gaps |= to > h->next;
		if (to < run->va) {
			h->stop = to;
			return 1;
		}
	} else if (run->va > h->next && h->prot) {
		h->err = mm_map(h->next, run->va - h->next, linux_prot(h->prot));
	}
	h->next = run->va + run->len;
	return h->err != 0;
}

/* hole_before over the holes of [va, end), the one after the last run too. */
static int64_t walk_holes(struct holes *h, uint64_t va, uint64_t end)
{
	h->next = va;
	h->stop = end;
	int e = pt_walk(kernel_pt(), va, end, 0, hole_before, h);
	if (e < 0)
		return -ENOMEM;
	if (e == 0 && h->next < end)
		hole_before(h, &(struct pt_run){.va = end});
	return h->err;
}

static int first_run(void *arg, const struct pt_run *run)
{
	*(struct pt_run *)arg = *run;
	return 1;
}

/* prot for the pages there are in [va, end); the holes stay holes. */
static int64_t protect_runs(uint64_t va, uint64_t end, uint32_t prot)
{
	while (va < end) {
		struct pt_run r;
		int e = pt_walk(kernel_pt(), va, end, 0, first_run, &r);
		if (e <= 0)
			return e < 0 ? -ENOMEM : 0;
		uint64_t lo = r.va > va ? r.va : va, hi = r.va + r.len < end ? r.va + r.len : end;
		if (mm_protect(lo, hi - lo, prot) < 0)
			return -ENOMEM;
		va = hi;
	}
	return 0;
}

/*
 * As Linux's: up to the first address no mapping has, where it stops with
 * ENOMEM (the part before it changed; nothing if it is the first). A
 * mapping's holes (PROT_NONE, no pages yet) get pages if prot allows access,
 * and stay holes if not.
 */
static int64_t sys_mprotect(uint64_t va, uint64_t len, uint64_t prot)
{
	struct holes h = {.prot = prot};
	int64_t r;

	if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP) ||
	    (va & (PAGE - 1)))
		return -EINVAL;
	if (len == 0)
		return 0;
	if ((len = page_up(len)) == 0)
		return -ENOMEM; /* wrapped: past every address */
	/* No mapping grows, so PROT_GROWSDOWN/UP are EINVAL too; PROT_SEM means nothing. */
	if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;
	if ((r = mm_check_user(va, len)) < 0)
		return -ENOMEM;
	if ((r = walk_holes(&h, va, va + len)) < 0)
		return r;
	const uint64_t stop = h.stop;
	if (stop == va)
		return -ENOMEM;
	h.fill = true;
	if (h.gaps && prot && (r = walk_holes(&h, va, stop)) < 0)
		return r;
	r = h.gaps && !prot ? protect_runs(va, stop, linux_prot(prot))
			    : mm_protect(va, stop - va, linux_prot(prot));
	if (r < 0)
		return -ENOMEM;
	return stop < va + len ? -ENOMEM : 0;
}

int64_t linux_unmapped_in(uint64_t va, uint64_t len)
{
	struct holes h = {0};
	int64_t r = walk_holes(&h, va, va + len);

	return r < 0 ? r : h.stop < va + len ? -ENOMEM : 0;
}

/* Below the program's first address are only the kernel's pages: for the
 * program, nothing is mapped there, and unmapping it is a no-op, as on Linux. */
static int64_t sys_munmap(uint64_t va, uint64_t len)
{
	uint64_t end;

	if ((va & (PAGE - 1)) || va > KVMLET_USER_END || len > KVMLET_USER_END - va)
		return -EINVAL;
	if ((len = page_up(len)) == 0)
		return -EINVAL;
	end = va + len;
	if (va < KVMLET_IMAGE_GPA)
		va = end < KVMLET_IMAGE_GPA ? end : KVMLET_IMAGE_GPA;
	if (va >= end)
		return 0;
	/* A hole in a mapping may need one more range: Linux's ENOMEM past max_map_count. */
	int64_t r = vma_release(va, end);
	return r < 0 ? r : mm_unmap(va, end - va);
}

/* The advice Linux knows (its madvise_behavior_valid); the others are EINVAL. */
static bool advice_known(int32_t a)
{
	return (a >= 0 && a <= 4) || (a >= 8 && a <= 25) || a == 100 || a == 101;
}

/* Only MADV_DONTNEED (and its _LOCKED form) does something: the pages read zero. */
static int64_t sys_madvise(uint64_t va, uint64_t len, int32_t advice)
{
	uint64_t n = page_up(len);

	if (!advice_known(advice) || (va & (PAGE - 1)) || (len && !n) || va + n < va)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (mm_check_user(va, n) < 0)
		return -ENOMEM; /* nothing of the program's is mapped there */
	int64_t r = advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED ? mm_zero(va, n) : 0;
	return r < 0 ? r : linux_unmapped_in(va, n);
}

/* Nothing to write back: the arguments are checked, and that all is mapped. */
static int64_t sys_msync(uint64_t va, uint64_t len, int32_t flags)
{
	if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || (va & (PAGE - 1)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	len = page_up(len); /* a wrapped length is 0, as Linux computes it */
	if (va + len < va)
		return -ENOMEM;
	if (len && mm_check_user(va, len) < 0)
		return -ENOMEM;
	return len ? linux_unmapped_in(va, len) : 0;
}

/* What mremap may resize or move: [va, va + len) one mapping's (or adjacent
 * ones'), as Linux's vma_to_resize wants; EFAULT if not, EINVAL for a length
 * of 0 (Linux duplicates only shared mappings so). */
static int64_t resizable(uint64_t va, uint64_t len)
{
	if (va >= KVMLET_USER_END || vma_covered(va, va + PAGE) == va)
		return -EFAULT;
	if (len == 0)
		return -EINVAL;
	if (len > KVMLET_USER_END - va)
		return -EFAULT;
	return vma_covered(va, va + len) == va + len ? 0 : -EFAULT;
}

/* The protection of the page at va (0: a hole, PROT_NONE). */
static uint32_t prot_at(uint64_t va)
{
	struct pt_translation t;

	return pt_translate(kernel_pt(), va, &t) == 0 ? t.prot & LINUX_PROT_BITS : 0;
}

/* [va, va + len) becomes the program's, with pages of prot (none for 0). */
static int64_t extend(uint64_t va, uint64_t len, uint32_t prot)
{
	int64_t r = vma_claim(va, va + len);

	if (r == 0 && prot && (r = mm_map(va, len, prot)) < 0)
		vma_release(va, va + len);
	return r;
}

/*
 * The mapping [va, va + old_len) moves to [to, to + new_len) (new_len >=
 * old_len), its pages with it and fresh ones past its old end as the last
 * page was; the old addresses are free after, or (MREMAP_DONTUNMAP) keep
 * their mapping with fresh zeroed pages, as Linux's private anonymous ones.
 */
static int64_t move(uint64_t va, uint64_t old_len, uint64_t to, uint64_t new_len, bool keep)
{
	int64_t r;

	if ((r = vma_claim(to, to + old_len)) < 0)
		return r;
	if (new_len > old_len &&
	    (r = extend(to + old_len, new_len - old_len, prot_at(va + old_len - PAGE))) < 0) {
		vma_release(to, to + old_len);
		return r;
	}
	if ((r = mm_move(va, to, old_len)) < 0) {
		mm_unmap(to + old_len, new_len - old_len);
		vma_release(to, to + new_len);
		return r;
	}
	if (!keep)
		return vma_release(va, va + old_len) < 0 ? -ENOMEM : (int64_t)to;
	/* The old addresses get fresh pages where the moved ones were, a run at a
	 * time (walked again after each: mapping may change the tables). */
	for (uint64_t at = to, end = to + old_len; at < end;) {
		struct pt_run run;
		int e = pt_walk(kernel_pt(), at, end, 0, first_run, &run);
		if (e < 0)
			return -ENOMEM;
		if (e == 0)
			break;
		const uint64_t lo = run.va > at ? run.va : at;
		const uint64_t hi = run.va + run.len < end ? run.va + run.len : end;
		if (mm_map(va + (lo - to), hi - lo, run.prot & LINUX_PROT_BITS) < 0)
			return -ENOMEM;
		at = hi;
	}
	return (int64_t)to;
}

/* MREMAP_FIXED or MREMAP_DONTUNMAP: always a move, as Linux's mremap_to. */
static int64_t remap_to(uint64_t va, uint64_t old_len, uint64_t new_len, uint64_t flags,
			uint64_t new_addr)
{
	int64_t r;
	uint64_t to = new_addr;

	if (flags & MREMAP_FIXED) {
		if ((new_addr & (PAGE - 1)) || new_len > KVMLET_USER_END ||
		    new_addr > KVMLET_USER_END - new_len)
			return -EINVAL;
		if (new_addr < va + old_len && va < new_addr + new_len)
			return -EINVAL; /* the two ranges overlap */
		if (mm_check_user(new_addr, new_len) < 0)
			return -ENOMEM; /* the kernel's part of memory, as mmap's MAP_FIXED */
		if ((r = sys_munmap(new_addr, new_len)) < 0)
			return r;
	}
	if (old_len > new_len) {
		if ((r = sys_munmap(va + new_len, old_len - new_len)) < 0)
			return r;
		old_len = new_len;
	}
	if ((r = resizable(va, old_len)) < 0)
		return r;
	if (!(flags & MREMAP_FIXED) && !(to = place(0, new_len)))
		return -ENOMEM;
	return move(va, old_len, to, new_len, flags & MREMAP_DONTUNMAP);
}

/*
 * As Linux's: shrinking (or keeping the size) in place, even where nothing
 * is mapped; growing in place where the addresses after the mapping are
 * free, else (MREMAP_MAYMOVE) by moving its pages, not copying them, to where
 * mmap would place new_len bytes; MREMAP_FIXED and MREMAP_DONTUNMAP move. The
 * break's area is not a mapping here (EFAULT), unlike Linux's heap.
 */
static int64_t sys_mremap(uint64_t va, uint64_t old_len, uint64_t new_len, uint64_t flags,
			  uint64_t new_addr)
{
	int64_t r;

	if ((flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
	    ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len)) ||
	    (va & (PAGE - 1)))
		return -EINVAL;
	old_len = page_up(old_len);
	if ((new_len = page_up(new_len)) == 0)
		return -EINVAL;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return remap_to(va, old_len, new_len, flags, new_addr);
	if (new_len <= old_len) {
		if (new_len < old_len && (r = sys_munmap(va + new_len, old_len - new_len)) < 0)
			return r;
		return (int64_t)va;
	}
	if ((r = resizable(va, old_len)) < 0)
		return r;
	const uint64_t end = va + old_len, more = new_len - old_len;
	if (mm_check_user(end, more) == 0 && range_free(end, more) &&
	    extend(end, more, prot_at(end - PAGE)) == 0)
		return (int64_t)va;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t to = place(0, new_len);
	return to ? move(va, old_len, to, new_len, false) : -ENOMEM;
}

void linux_exit(uint64_t status)
{
	for (;;)
		__asm__ volatile("outb %%al, %0" : : "i"(KVMLET_PORT_EXIT), "a"(0), "D"(status));
}

/* execve and execveat go to the host with, in r9, the address of what the
 * new program keeps of this kernel's state; they return only if they fail. */
static int64_t sys_execve(const struct frame *f)
{
	static struct kvmlet_exec_carry carry; /* the kernel's data: identity-mapped */
	struct frame g = *f;

	memset(&carry, 0, sizeof(carry));
	linux_task_exec(&carry);
	linux_cred_exec(&carry);
	linux_signal_exec(&carry);
	g.r9 = (uint64_t)&carry;
	return kernel_to_host(&g);
}

int64_t linux_syscall(struct frame *f)
{
	uint64_t a0 = f->rdi, a1 = f->rsi, a2 = f->rdx, a3 = f->r10, a5 = f->r9;
	bool served;
	int64_t r;

	init();
	switch (f->rax) {
	case NR_read: /* the host's, and the most frequent: straight there */
	case NR_readv:
		return linux_thread_host(f);
	case NR_write:
	case NR_writev: {
		/* A pipe with no reader: EPIPE, and SIGPIPE for the writer (if it
		 * still runs: a call that waited returns another thread's result). */
		const int32_t tid = linux_thread_tid();
		if ((r = linux_thread_host(f)) == -EPIPE && linux_thread_tid() == tid)
			linux_signal_post(tid, SIGPIPE, false);
		return r;
	}
	case NR_brk:
		return sys_brk(a0);
	case NR_mmap:
		return sys_mmap(a0, a1, a2, a3, (int32_t)f->r8, a5);
	case NR_munmap:
		return sys_munmap(a0, a1);
	case NR_mprotect:
		return sys_mprotect(a0, a1, a2);
	case NR_madvise:
		return sys_madvise(a0, a1, (int32_t)a2);
	case NR_mremap:
		return sys_mremap(a0, a1, a2, a3, f->r8);
	case NR_msync:
		return sys_msync(a0, a1, (int32_t)a2);
	case NR_getpid:
		return LINUX_SELF;
	case NR_getpgrp:
		return LINUX_GROUP;
	case NR_getppid:
		return linux_parent();
	case NR_set_robust_list:
		return 0;
	case NR_rseq:
		return -ENOSYS;
	case NR_execve:
	case NR_execveat:
		return sys_execve(f);
	case NR_exit_group:
		linux_exit(a0);
	default:
		if (f->rax >= KVMLET_LX_FIRST && f->rax <= KVMLET_LX_LAST)
			return -ENOSYS; /* the kernel's own words to the host */
		r = linux_thread_syscall(f, &served);
		if (!served)
			r = linux_signal_syscall(f, &served);
		if (!served)
			r = linux_timer_syscall(f, &served);
		if (!served)
			r = linux_task_syscall(f, &served);
		if (!served)
			r = linux_cred_syscall(f, &served);
		return served ? r : linux_thread_host(f);
	}
}
