/* SPDX-License-Identifier: MIT */
/*
 * guest_pt.c: the guest page-table backend and the heap that uses it.
 *
 * The host maps the tables area [tables_lo, tables_hi) identity, user and
 * writable, so CPL3 code reaches every table at its guest-physical address.
 * Protection model: the guest owns its address space the way a kernel does;
 * nothing it writes into its tables can reach outside guest memory (the
 * memslot bounds it) and the host re-checks every table entry it reads.
 */
#include "kvmlet_guest.h"

#define POOL_MAX_TABLES 1024u

static struct {
	bool ready;
	struct pt_backend b;
	uint64_t used[POOL_MAX_TABLES / 64];
	uint64_t next_free_phys;
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

static int g_write(void *ctx, uint64_t addr, uint64_t entry)
{
	(void)ctx;
	if ((addr & 7) || !in_tables(addr, 8))
		return -1;
	*(volatile uint64_t *)addr = entry;
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

static uint64_t pool_count(void)
{
	uint64_t n = (bi()->pool_hi - bi()->pool_lo) / PT_SIZE_4K;
	return n < POOL_MAX_TABLES ? n : POOL_MAX_TABLES;
}

static int g_alloc(void *ctx, uint64_t *table)
{
	(void)ctx;
	for (uint64_t i = 0; i < pool_count(); i++) {
		if (g.used[i / 64] & (1ull << (i % 64)))
			continue;
		g.used[i / 64] |= 1ull << (i % 64);
		*table = bi()->pool_lo + i * PT_SIZE_4K;
		memset((void *)*table, 0, PT_SIZE_4K);
		return 0;
	}
	return -1;
}

static void g_free(void *ctx, uint64_t table)
{
	(void)ctx;
	if (table < bi()->pool_lo || table >= bi()->pool_lo + pool_count() * PT_SIZE_4K)
		return;
	uint64_t i = (table - bi()->pool_lo) / PT_SIZE_4K;
	g.used[i / 64] &= ~(1ull << (i % 64));
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
			.alloc_table = g_alloc,
			.write_entry = g_write,
			.free_table = g_free,
			.caps = bi()->pt_caps,
			.phys_bits = bi()->pt_phys_bits, /* the host's rules: the vCPU's */
			/* The tables area is identity-mapped: the fast path applies. */
			.window = (uint8_t *)bi()->tables_lo,
			.win_base = bi()->tables_lo,
			.win_size = bi()->tables_hi - bi()->tables_lo,
		};
		g.next_free_phys = bi()->free_lo;
		g.heap_next = (uint8_t *)bi()->heap_lo;
		g.heap_end = (uint8_t *)bi()->heap_hi;
		g.ready = true;
	}
	return &g.b;
}

uint64_t kvmlet_alloc_phys(uint64_t n)
{
	kvmlet_pt();
	uint64_t pa = g.next_free_phys;
	if (n > (bi()->free_hi - pa) / PT_SIZE_4K)
		return 0;
	g.next_free_phys += n * PT_SIZE_4K;
	return pa;
}

/* Grow the heap by at least size bytes: map free pages right after its end. */
static bool heap_grow(size_t size)
{
	uint64_t pages = (size + PT_SIZE_4K - 1) / PT_SIZE_4K;
	uint64_t pa = kvmlet_alloc_phys(pages);

	if (!pa)
		return false;
	if (pt_map(kvmlet_pt(), (uint64_t)g.heap_end, pa, pages * PT_SIZE_4K,
		   PT_PROT_WRITE | PT_PROT_USER, 0) < 0)
		return false;
	g.heap_end += pages * PT_SIZE_4K;
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
