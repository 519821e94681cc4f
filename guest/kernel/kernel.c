/* SPDX-License-Identifier: MIT */
/*
 * kernel.c: kvmlet's ring-0 kernel, the only code that runs at CPL0 in a
 * guest besides the exception stubs. Loaded by the host into
 * supervisor-only pages, entered by `syscall` from CPL3 (entry.S). It changes
 * the guest's address space with the guest backend of pagetable/ on the live
 * tables, through a supervisor-only writable alias of the tables area (the
 * guest itself sees the tables read-only). It chooses the physical pages it
 * maps itself, from the free range the host left, so no user mapping can
 * ever reach a table, a descriptor table, the TSS or this kernel.
 *
 * Compiled freestanding, general registers only (the caller's SSE state stays
 * untouched), no red zone.
 */
#include "kernel.h"

#define POOL_MAX_TABLES 1024u

void kernel_syscall(struct frame *f);

struct kernel_iret kernel_iret;

static struct {
	bool ready;
	bool forwarded; /* the system call in progress went to the host */
	struct pt_backend b;
	uint64_t used[POOL_MAX_TABLES / 64];
} k;

static bool in_tables(uint64_t addr, uint64_t len)
{
	return addr >= bi()->tables_lo && addr <= bi()->tables_hi && len <= bi()->tables_hi - addr;
}

static uint64_t k_root(void *ctx)
{
	(void)ctx;
	return bi()->cr3 & PT_E_ADDR;
}

static uint64_t k_entry_addr(void *ctx, uint64_t table, uint32_t off)
{
	(void)ctx;
	return table + off;
}

static int k_read(void *ctx, uint64_t addr, uint64_t *entry)
{
	(void)ctx;
	if ((addr & 7) || !in_tables(addr, 8))
		return -1;
	*entry = *(volatile const uint64_t *)kphys(addr);
	return 0;
}

static int k_write(void *ctx, uint64_t addr, uint64_t entry)
{
	(void)ctx;
	if ((addr & 7) || !in_tables(addr, 8))
		return -1;
	*(volatile uint64_t *)kphys(addr) = entry;
	return 0;
}

static int k_to_phys(void *ctx, uint64_t table, uint64_t *phys)
{
	(void)ctx;
	*phys = table;
	return 0;
}

static int k_from_phys(void *ctx, uint64_t phys, uint64_t *table)
{
	(void)ctx;
	if ((phys & (PAGE - 1)) || !in_tables(phys, PAGE))
		return -1;
	*table = phys;
	return 0;
}

static uint64_t pool_count(void)
{
	uint64_t n = (bi()->pool_hi - bi()->pool_lo) / PAGE;
	return n < POOL_MAX_TABLES ? n : POOL_MAX_TABLES;
}

static int k_alloc(void *ctx, uint64_t *table)
{
	(void)ctx;
	for (uint64_t i = 0; i < pool_count(); i++) {
		if (k.used[i / 64] & (1ull << (i % 64)))
			continue;
		k.used[i / 64] |= 1ull << (i % 64);
		*table = bi()->pool_lo + i * PAGE;
		memset(kphys(*table), 0, PAGE);
		return 0;
	}
	return -1;
}

static void k_free(void *ctx, uint64_t table)
{
	(void)ctx;
	if (table < bi()->pool_lo || table >= bi()->pool_lo + pool_count() * PAGE)
		return;
	uint64_t i = (table - bi()->pool_lo) / PAGE;
	k.used[i / 64] &= ~(1ull << (i % 64));
}

const struct pt_backend *kernel_pt(void)
{
	if (!k.ready) {
		k.b = (struct pt_backend){
			.root_table = k_root,
			.entry_addr = k_entry_addr,
			.read_entry = k_read,
			.to_phys = k_to_phys,
			.from_phys = k_from_phys,
			.alloc_table = k_alloc,
			.write_entry = k_write,
			.free_table = k_free,
			.caps = bi()->pt_caps,
			.phys_bits = bi()->pt_phys_bits,
		};
		/* An empty tables area leaves no window: every walk takes the hooks. */
		(void)pt_window_init(&k.b, kphys(bi()->tables_lo), bi()->tables_lo,
				     bi()->tables_hi - bi()->tables_lo, &bi()->cr3);
		k.ready = true;
	}
	return &k.b;
}

void kernel_flush_tlb(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

int64_t kernel_to_host_rdx(const struct frame *f, uint64_t *rdx)
{
	register uint64_t r10 __asm__("r10") = f->r10;
	register uint64_t r8 __asm__("r8") = f->r8;
	register uint64_t r9 __asm__("r9") = f->r9;
	uint64_t rax = f->rax, d = f->rdx;

	/* The kernel's own calls (a clock, a sleep) leave its system call its own. */
	k.forwarded |= f->rax < KVMLET_LX_FIRST || f->rax > KVMLET_LX_LAST;
	__asm__ volatile("outb %%al, %[port]"
			 : "+a"(rax), "+d"(d)
			 : [port] "i"(KVMLET_PORT_SYSCALL), "D"(f->rdi), "S"(f->rsi), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "memory");
	*rdx = d;
	return (int64_t)rax;
}

int64_t kernel_to_host(const struct frame *f)
{
	uint64_t rdx;

	return kernel_to_host_rdx(f, &rdx);
}

static int64_t door(struct frame *f)
{
	uint32_t p;
	int64_t r;

	switch (f->rax) {
	case KVMLET_SYS_MAP:
		if ((r = mm_check_user(f->rdi, f->rsi)) < 0 || (r = mm_prot(f->rdx, &p)) < 0)
			return r;
		return mm_map(f->rdi, f->rsi, p);
	case KVMLET_SYS_UNMAP:
		if ((r = mm_check_user(f->rdi, f->rsi)) < 0)
			return r;
		return mm_unmap(f->rdi, f->rsi);
	case KVMLET_SYS_PROTECT:
		if ((r = mm_check_user(f->rdi, f->rsi)) < 0 || (r = mm_prot(f->rdx, &p)) < 0)
			return r;
		r = mm_protect(f->rdi, f->rsi, p);
		return r == -ENOMEM ? -EFAULT : r;
	default:
		return -ENOSYS;
	}
}

void kernel_syscall(struct frame *f)
{
	bool ours = f->rax >= KVMLET_SYS_MAP && f->rax <= KVMLET_SYS_PROTECT;

	uint64_t nr = f->rax;

	if (ours || !(bi()->flags & KVMLET_BOOT_LINUX)) {
		f->rax = (uint64_t)door(f);
		return;
	}
	k.forwarded = false;
	f->rax = (uint64_t)linux_syscall(f);
	/* Tracing: the host sees what it served itself; tell it what was served here. */
	if ((bi()->flags & KVMLET_BOOT_TRACE) && !k.forwarded)
		__asm__ volatile("outb %%al, %[port]"
				 :
				 : [port] "i"(KVMLET_PORT_SYSTRACE), "a"(nr), "D"(f->rax)
				 : "memory");
	linux_timer_check();
	linux_signal_external();
	linux_signal_deliver(f);
	linux_preempt_ask();
}

void kernel_gate(uint32_t vec, const void *handler, bool user)
{
	const uint64_t off = (uint64_t)handler;
	const uint64_t type = user ? 0xee : 0x8e; /* present, DPL 3 or 0, interrupt gate */
	volatile uint64_t *g = kphys(KVMLET_IDT_GPA + vec * 16ull);

	g[0] = (off & 0xffff) | (uint64_t)KVMLET_SEL_KCODE << 16 | type << 40 |
	       ((off >> 16) & 0xffff) << 48;
	g[1] = off >> 32;
}

/* String instructions: much faster than byte loops, under TCG most of all
 * (DF is clear: SFMASK clears it on `syscall`, kernel_fault_common too). */
void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

/* pagetable/ may call these; the kernel never needs more than bytes. */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}
