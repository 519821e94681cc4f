/* SPDX-License-Identifier: MIT */
/*
 * guest_pt.c: the guest page-table backend (read side) and the heap.
 *
 * The host maps the tables area [tables_lo, tables_hi) identity, user and
 * read-only, so CPL3 code walks every table at its guest-physical address.
 * Changes go through kvmlet's ring-0 kernel (guest/kernel), whose `syscall`
 * entry runs the write side of the same code on a supervisor-only view.
 */
#include "kvmlet_guest.h"

static struct {
	bool ready;
	struct pt_backend b;
	uint8_t *heap_next, *heap_end;
} g;

static const struct kvmlet_bootinfo *bi(void)
{
	return kvmlet_bootinfo();
}

static uint64_t g_root(void *ctx)
{
	(void)ctx;
	return bi()->cr3 & PT_E_ADDR;
}

static uint64_t g_entry_addr(void *ctx, uint64_t table, uint32_t off)
{
	(void)ctx;
	return table + off;
}

static bool in_tables(uint64_t addr, uint64_t len)
{
	return addr >= bi()->tables_lo && addr <= bi()->tables_hi && len <= bi()->tables_hi - addr;
}

static int g_read(void *ctx, uint64_t addr, uint64_t *entry)
{
	(void)ctx;
	if ((addr & 7) || !in_tables(addr, 8))
		return -1;
	*entry = *(volatile const uint64_t *)addr;
	return 0;
}

static int g_to_phys(void *ctx, uint64_t table, uint64_t *phys)
{
	(void)ctx;
	*phys = table;
	return 0;
}

static int g_from_phys(void *ctx, uint64_t phys, uint64_t *table)
{
	(void)ctx;
	if ((phys & (PT_SIZE_4K - 1)) || !in_tables(phys, PT_SIZE_4K))
		return -1;
	*table = phys;
	return 0;
}

const struct pt_backend *kvmlet_pt(void)
{
	if (!g.ready) {
		g.b = (struct pt_backend){
			.root_table = g_root,
			.entry_addr = g_entry_addr,
			.read_entry = g_read,
			.to_phys = g_to_phys,
			.from_phys = g_from_phys,
			.caps = bi()->pt_caps,
			.phys_bits = bi()->pt_phys_bits, /* the host's rules: the vCPU's */
		};
		/* The tables area is identity-mapped: the fast path applies (if it
		   is empty, no window, and every walk takes the hooks). */
		(void)pt_window_init(&g.b, (uint8_t *)bi()->tables_lo, bi()->tables_lo,
				     bi()->tables_hi - bi()->tables_lo, &bi()->cr3);
		g.heap_next = (uint8_t *)bi()->heap_lo;
		g.heap_end = (uint8_t *)bi()->heap_hi;
		g.ready = true;
	}
	return &g.b;
}

static long kernel_call(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

long kvmlet_map(uint64_t va, uint64_t len, unsigned prot)
{
	return kernel_call(KVMLET_SYS_MAP, va, len, prot);
}

long kvmlet_unmap(uint64_t va, uint64_t len)
{
	return kernel_call(KVMLET_SYS_UNMAP, va, len, 0);
}

long kvmlet_protect(uint64_t va, uint64_t len, unsigned prot)
{
	return kernel_call(KVMLET_SYS_PROTECT, va, len, prot);
}

/* Grow the heap by at least size bytes: new pages right after its end. */
static bool heap_grow(size_t size)
{
	uint64_t len = (size + PT_SIZE_4K - 1) & ~(PT_SIZE_4K - 1);

	if (kvmlet_map((uint64_t)g.heap_end, len, KVMLET_MAP_WRITE) < 0)
		return false;
	g.heap_end += len;
	return true;
}
void *kvmlet_malloc(size_t size)
{
	kvmlet_pt();
	size = (size + 15) & ~(size_t)15;
	if (size == 0 || size > (size_t)(g.heap_end - g.heap_next)) {
		if (size == 0 || !heap_grow(size - (size_t)(g.heap_end - g.heap_next)))
			return NULL;
	}
	void *p = g.heap_next;
	g.heap_next += size;
	memset(p, 0, size);
	return p;
}

void kvmlet_free(void *p)
{
	(void)p;
}
