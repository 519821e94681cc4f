/* SPDX-License-Identifier: MIT */
/*
 * pt_internal.h: what the page-table algorithms share (pagetable.c reads,
 * pt_write.c writes). Levels are numbered from the leaf up: 0 = PT (4 KiB),
 * 1 = PD (2 MiB), 2 = PDPT (1 GiB), 3 = PML4. Not installed.
 */
#ifndef KVMLET_PT_INTERNAL_H
#define KVMLET_PT_INTERNAL_H

#include "pagetable.h"

#define NLEVELS	     4
#define ENTRIES	     512u
#define TABLE_INTERM (PT_E_P | PT_E_RW | PT_E_US | PT_E_A)
/* Bits a leaf carries that are not address or PS/PAT: copied on a split. */
#define LEAF_ATTRS   (PT_E_P | PT_E_RW | PT_E_US | PT_E_PWT | PT_E_PCD | PT_E_A | PT_E_D | \
		      PT_E_G | 0xe00ull | 0x7ff0000000000000ull | PT_E_NX)
#define LEAF_PROT    (PT_E_RW | PT_E_US | PT_E_G | PT_E_PWT | PT_E_PCD | PT_E_NX)
#define PAT_4K	     (1ull << 7)
#define PAT_LARGE    (1ull << 12)

static const unsigned level_shift[NLEVELS] = {12, 21, 30, 39};

static inline uint64_t level_size(int lvl)
{
	return 1ull << level_shift[lvl];
}

static inline uint32_t entry_off(uint64_t va, int lvl)
{
	return (uint32_t)((va >> level_shift[lvl]) & (ENTRIES - 1)) * 8u;
}

/* Sign-extend bit 47 so that a computed address is canonical. */
static inline uint64_t canon(uint64_t va)
{
	return (va & (1ull << 47)) ? (va | 0xffff000000000000ull) : (va & 0x0000ffffffffffffull);
}

/* The index of va's entry in its table at lvl. */
static inline uint32_t entry_index(uint64_t va, int lvl)
{
	return (uint32_t)((va >> level_shift[lvl]) & (ENTRIES - 1));
}

/* The first address entry i maps, in a table at lvl that maps from base. */
static inline uint64_t entry_va(uint64_t base, int lvl, uint32_t i)
{
	return lvl == NLEVELS - 1 ? canon((uint64_t)i << 39) : base + i * level_size(lvl);
}

/*
 * --- backend access: the only places that reach tables ---
 * With a window (see struct pt_backend) a table is read and written in place,
 * bounds-checked, without a call through the hooks: that is what makes the
 * host's and the guest's walks about as fast as a hand-inlined one.
 */

/* Where the table at address t is in the window, or NULL outside it. */
static inline uint8_t *win_table(const struct pt_backend *b, uint64_t t)
{
	uint64_t rel = t - b->win_base;

	if (rel > b->win_size - PT_SIZE_4K || (t & (PT_SIZE_4K - 1)))
		return NULL;
	return b->window + rel;
}

static inline int be_read(const struct pt_backend *b, uint64_t table, uint32_t off, uint64_t *e)
{
	if (b->window) {
		const uint8_t *t = win_table(b, table);
		if (!t)
			return PT_ERR_BACKEND;
		__builtin_memcpy(e, t + off, 8);
		return PT_OK;
	}
	return b->read_entry(b->ctx, b->entry_addr(b->ctx, table, off), e) < 0 ? PT_ERR_BACKEND
									       : PT_OK;
}

static inline int be_write(const struct pt_backend *b, uint64_t table, uint32_t off, uint64_t e)
{
	if (b->window) {
		uint8_t *t = win_table(b, table);
		if (!t)
			return PT_ERR_BACKEND;
		__builtin_memcpy(t + off, &e, 8);
		return PT_OK;
	}
	return b->write_entry(b->ctx, b->entry_addr(b->ctx, table, off), e) < 0 ? PT_ERR_BACKEND
										: PT_OK;
}

static inline bool be_writable(const struct pt_backend *b)
{
	return b->alloc_table && b->write_entry;
}

static inline uint64_t phys_limit(const struct pt_backend *b)
{
	uint32_t bits = b->phys_bits ? b->phys_bits : 52;
	return bits >= 52 ? (1ull << 52) : (1ull << bits);
}

static inline bool is_leaf(uint64_t e, int lvl)
{
	return lvl == 0 || (e & PT_E_PS);
}

/* Check a present entry at lvl against the reserved bits (pagetable.h); 0 if it is sound. */
static inline int check_entry(const struct pt_backend *b, uint64_t e, int lvl)
{
	return (e & (pt_rsvd_common(b) | pt_rsvd_level(b->caps, lvl, e))) ? PT_ERR_CORRUPT : PT_OK;
}

static inline uint64_t leaf_pa(uint64_t e, int lvl)
{
	return e & PT_E_ADDR & ~(level_size(lvl) - 1);
}

/*
 * The table a non-leaf entry points to, wherever that is: even the entry's
 * own table or an ancestor, which the CPU walks like any other (reads only).
 */
static inline int next_table(const struct pt_backend *b, uint64_t e, uint64_t *table)
{
	uint64_t phys = e & PT_E_ADDR;

	if (b->window) {
		if (!win_table(b, phys))
			return PT_ERR_CORRUPT;
		*table = phys;
		return PT_OK;
	}
	if (b->from_phys(b->ctx, phys, table) < 0)
		return PT_ERR_CORRUPT;
	return PT_OK;
}

/*
 * The same for the write side, which refuses a loop back to an ancestor (anc:
 * the physical addresses of the nanc tables above, the entry's own last):
 * writing through one would rewrite the tables being walked.
 */
static inline bool is_loop(uint64_t e, const uint64_t *anc, int nanc)
{
	for (int i = 0; i < nanc; i++)
		if (anc[i] == (e & PT_E_ADDR))
			return true;
	return false;
}

static inline int child_table(const struct pt_backend *b, uint64_t e, const uint64_t *anc,
			      int nanc, uint64_t *table)
{
	return is_loop(e, anc, nanc) ? PT_ERR_CORRUPT : next_table(b, e, table);
}

static inline int root_phys(const struct pt_backend *b, uint64_t root, uint64_t *phys)
{
	if (b->window) {
		*phys = root;
		return PT_OK;
	}
	return b->to_phys(b->ctx, root, phys) < 0 ? PT_ERR_CORRUPT : PT_OK;
}

/* Effective protection contributed by one entry (AND-ed down the walk). */
static inline uint32_t entry_prot(uint64_t e)
{
	uint32_t p = 0;

	if (e & PT_E_RW)
		p |= PT_PROT_WRITE;
	if (e & PT_E_US)
		p |= PT_PROT_USER;
	if (!(e & PT_E_NX))
		p |= PT_PROT_EXEC;
	return p;
}

static inline uint32_t leaf_attr_prot(uint64_t e)
{
	uint32_t p = 0;

	if (e & PT_E_G)
		p |= PT_PROT_GLOBAL;
	if (e & PT_E_PWT)
		p |= PT_PROT_PWT;
	if (e & PT_E_PCD)
		p |= PT_PROT_PCD;
	return p;
}

/* Leaf bits for prot. Without NXE, bit 63 is reserved and every page executes: no NX. */
static inline uint64_t prot_bits(const struct pt_backend *b, uint32_t prot)
{
	uint64_t e = 0;

	/* Dirty preset on writable leaves (Accessed is set by every writer): the CPU then
	 * never writes a table page, so only real changes show in the dirty log. */
	if (prot & PT_PROT_WRITE)
		e |= PT_E_RW | PT_E_D;
	if (prot & PT_PROT_USER)
		e |= PT_E_US;
	if (prot & PT_PROT_GLOBAL)
		e |= PT_E_G;
	if (prot & PT_PROT_PWT)
		e |= PT_E_PWT;
	if (prot & PT_PROT_PCD)
		e |= PT_E_PCD;
	if (!(prot & PT_PROT_EXEC) && (b->caps & PT_CAP_NX))
		e |= PT_E_NX;
	return e;
}

/* Check a map/unmap/protect range: aligned, non-empty, canonical, in one half. */
int pt_check_range(uint64_t va, uint64_t len);

#endif /* KVMLET_PT_INTERNAL_H */
