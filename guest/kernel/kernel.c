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
#include "kvmlet_abi.h"
#include "pagetable.h"

#define PAGE	       4096ull
#define POOL_MAX_TABLES 1024u
#define ENOMEM	       12
#define EFAULT	       14
#define EEXIST	       17
#define EINVAL	       22
#define ENOSYS	       38

/* The registers entry.S saved, lowest address first. */
struct frame {
	uint64_t pad, r9, r8, r10, rdx, rsi, rdi, rax, r11, rcx;
};

void kernel_syscall(struct frame *f);
void *memset(void *dst, int c, size_t n);

static struct {
	bool ready;
	struct pt_backend b;
	uint64_t used[POOL_MAX_TABLES / 64];
	uint64_t next_free; /* free physical pages are handed out once, in order */
} k;

static const struct kvmlet_bootinfo *bi(void)
{
	return (const struct kvmlet_bootinfo *)KVMLET_BOOTINFO_GPA;
}

/* Table addresses are guest-physical; the kernel reaches them at the alias. */
static uint64_t *alias(uint64_t table)
{
	return (uint64_t *)(KVMLET_KTABLES_VA + table);
}

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
	*entry = *(volatile const uint64_t *)alias(addr);
	return 0;
}

static int k_write(void *ctx, uint64_t addr, uint64_t entry)
{
	(void)ctx;
	if ((addr & 7) || !in_tables(addr, 8))
		return -1;
	*(volatile uint64_t *)alias(addr) = entry;
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
		memset(alias(*table), 0, PAGE);
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

static const struct pt_backend *backend(void)
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
			.window = (uint8_t *)alias(bi()->tables_lo),
			.win_base = bi()->tables_lo,
			.win_size = bi()->tables_hi - bi()->tables_lo,
		};
		k.next_free = bi()->free_lo;
		k.ready = true;
	}
	return &k.b;
}

/* A page-aligned, non-empty range of user addresses, or -EINVAL. */
static int64_t check_user(uint64_t va, uint64_t len)
{
	if ((va | len) & (PAGE - 1) || len == 0 || va < KVMLET_IMAGE_GPA ||
	    va > KVMLET_USER_END || len > KVMLET_USER_END - va)
		return -EINVAL;
	return 0;
}

static int64_t user_prot(uint64_t prot, uint32_t *out)
{
	if ((prot & ~(uint64_t)(KVMLET_MAP_WRITE | KVMLET_MAP_EXEC)) ||
	    prot == (KVMLET_MAP_WRITE | KVMLET_MAP_EXEC))
		return -EINVAL; /* unknown bits, or writable and executable */
	*out = PT_PROT_USER | ((prot & KVMLET_MAP_WRITE) ? PT_PROT_WRITE : 0) |
	       ((prot & KVMLET_MAP_EXEC) ? PT_PROT_EXEC : 0);
	return 0;
}

static int64_t errno_of(int pt_err)
{
	switch (pt_err) {
	case PT_ERR_EXISTS:
		return -EEXIST;
	case PT_ERR_NOMEM:
		return -ENOMEM;
	case PT_ERR_NOT_MAPPED:
		return -EFAULT;
	default:
		return -EINVAL;
	}
}

/* Drop every cached translation (no global pages are ever mapped). */
static void flush_tlb(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static int64_t sys_map(uint64_t va, uint64_t len, uint64_t prot)
{
	const struct pt_backend *b = backend();
	uint32_t p;
	int64_t r;

	if ((r = check_user(va, len)) < 0 || (r = user_prot(prot, &p)) < 0)
		return r;
	if (len > bi()->free_hi - k.next_free)
		return -ENOMEM;
	int e = pt_map(b, va, k.next_free, len, p, 0);
	if (e < 0)
		return errno_of(e);
	k.next_free += len;
	return 0;
}

static int64_t sys_unmap(uint64_t va, uint64_t len)
{
	int64_t r = check_user(va, len);
	int e;

	if (r < 0)
		return r;
	e = pt_unmap(backend(), va, len);
	flush_tlb();
	return e < 0 ? errno_of(e) : 0;
}

static int64_t sys_protect(uint64_t va, uint64_t len, uint64_t prot)
{
	uint32_t p;
	int64_t r;
	int e;

	if ((r = check_user(va, len)) < 0 || (r = user_prot(prot, &p)) < 0)
		return r;
	e = pt_protect(backend(), va, len, p);
	flush_tlb();
	return e < 0 ? errno_of(e) : 0;
}

void kernel_syscall(struct frame *f)
{
	int64_t r;

	switch (f->rax) {
	case KVMLET_SYS_MAP:
		r = sys_map(f->rdi, f->rsi, f->rdx);
		break;
	case KVMLET_SYS_UNMAP:
		r = sys_unmap(f->rdi, f->rsi);
		break;
	case KVMLET_SYS_PROTECT:
		r = sys_protect(f->rdi, f->rsi, f->rdx);
		break;
	default:
		r = -ENOSYS;
		break;
	}
	f->rax = (uint64_t)r;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

/* pagetable/ may call these; the kernel never needs more than bytes. */
void *memcpy(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
