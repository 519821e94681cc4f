/* SPDX-License-Identifier: MIT */
/*
 * pagetable.c: the page-table algorithms, written once against struct
 * pt_backend and compiled for the host and for the guest.
 *
 * Levels are numbered from the leaf up: 0 = PT (4 KiB), 1 = PD (2 MiB),
 * 2 = PDPT (1 GiB), 3 = PML4. Every descent remembers the physical addresses
 * of the tables above it, so a table that points back at an ancestor (a loop)
 * is reported as corrupt instead of being written through twice.
 */
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

/* --- backend access: the only places that call the hooks --- */

static inline int be_read(const struct pt_backend *b, uint64_t table, uint32_t off, uint64_t *e)
{
	return b->read_entry(b->ctx, b->entry_addr(b->ctx, table, off), e) < 0 ? PT_ERR_BACKEND
									       : PT_OK;
}

static inline int be_write(const struct pt_backend *b, uint64_t table, uint32_t off, uint64_t e)
{
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

/* Reserved bits of a present entry at lvl, seen as a leaf or as a table. */
static uint64_t reserved_mask(const struct pt_backend *b, int lvl, bool leaf)
{
	uint64_t r = PT_E_ADDR & ~(phys_limit(b) - 1);

	if (!(b->caps & PT_CAP_NX))
		r |= PT_E_NX;
	if (leaf && lvl > 0)
		r |= (level_size(lvl) - 1) & ~0x1fffull; /* bits 13.. below the leaf address */
	return r;
}

/* Can a present entry with PS at lvl be a leaf? Otherwise PS is reserved. */
static inline bool ps_allowed(const struct pt_backend *b, int lvl)
{
	return lvl == 1 || (lvl == 2 && (b->caps & PT_CAP_1G));
}

static inline bool is_leaf(uint64_t e, int lvl)
{
	return lvl == 0 || (e & PT_E_PS);
}

/* Check a present entry; 0 if it is sound. */
static int check_entry(const struct pt_backend *b, uint64_t e, int lvl)
{
	bool leaf = is_leaf(e, lvl);

	if (leaf && lvl > 0 && !ps_allowed(b, lvl))
		return PT_ERR_CORRUPT;
	if (e & reserved_mask(b, lvl, leaf))
		return PT_ERR_CORRUPT;
	return PT_OK;
}

static inline uint64_t leaf_pa(uint64_t e, int lvl)
{
	return e & PT_E_ADDR & ~(level_size(lvl) - 1);
}

/* The table a non-leaf entry points to, refusing loops back to an ancestor. */
static int child_table(const struct pt_backend *b, uint64_t e, const uint64_t *anc, int nanc,
		       uint64_t *table)
{
	uint64_t phys = e & PT_E_ADDR;

	for (int i = 0; i < nanc; i++)
		if (anc[i] == phys)
			return PT_ERR_CORRUPT;
	if (b->from_phys(b->ctx, phys, table) < 0)
		return PT_ERR_CORRUPT;
	return PT_OK;
}

static int root_phys(const struct pt_backend *b, uint64_t root, uint64_t *phys)
{
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

	if (prot & PT_PROT_WRITE)
		e |= PT_E_RW;
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

const char *pt_strerror(int err)
{
	switch (err) {
	case PT_OK:
		return "success";
	case PT_ERR_ALIGN:
		return "address or length not 4 KiB aligned";
	case PT_ERR_NONCANON:
		return "virtual address not canonical";
	case PT_ERR_RANGE:
		return "empty or overflowing range";
	case PT_ERR_EXISTS:
		return "range already mapped";
	case PT_ERR_NOMEM:
		return "out of page-table memory";
	case PT_ERR_NOT_MAPPED:
		return "address not mapped";
	case PT_ERR_CORRUPT:
		return "corrupt page table";
	case PT_ERR_READONLY:
		return "page tables are read-only";
	case PT_ERR_INVAL:
		return "invalid flags";
	case PT_ERR_PHYS:
		return "physical address beyond the supported width";
	case PT_ERR_BACKEND:
		return "page-table access out of bounds";
	default:
		return "unknown page-table error";
	}
}

/* --- argument checks --- */

static int check_range(uint64_t va, uint64_t len)
{
	uint64_t last;

	if ((va | len) & (PT_SIZE_4K - 1))
		return PT_ERR_ALIGN;
	if (len == 0 || __builtin_add_overflow(va, len - 1, &last))
		return PT_ERR_RANGE;
	if (!pt_canonical(va) || !pt_canonical(last) || (va >> 47) != (last >> 47))
		return PT_ERR_NONCANON;
	return PT_OK;
}

/* --- translate --- */

int pt_translate(const struct pt_backend *b, uint64_t va, struct pt_translation *out)
{
	uint64_t anc[NLEVELS];
	uint64_t table = b->root_table(b->ctx);
	uint32_t prot = PT_PROT_WRITE | PT_PROT_USER | PT_PROT_EXEC;
	int err;

	if (!pt_canonical(va))
		return PT_ERR_NONCANON;
	if ((err = root_phys(b, table, &anc[0])) < 0)
		return err;
	for (int lvl = NLEVELS - 1; lvl >= 0; lvl--) {
		uint64_t e;

		if ((err = be_read(b, table, entry_off(va, lvl), &e)) < 0)
			return err;
		if (!(e & PT_E_P))
			return PT_ERR_NOT_MAPPED;
		if ((err = check_entry(b, e, lvl)) < 0)
			return err;
		prot &= entry_prot(e);
		if (is_leaf(e, lvl)) {
			out->pa = leaf_pa(e, lvl) | (va & (level_size(lvl) - 1));
			out->leaf = level_size(lvl);
			out->prot = prot | leaf_attr_prot(e);
			return PT_OK;
		}
		if ((err = child_table(b, e, anc, NLEVELS - lvl, &table)) < 0)
			return err;
		if (lvl > 0)
			anc[NLEVELS - lvl] = e & PT_E_ADDR;
	}
	return PT_ERR_CORRUPT; /* not reached: level 0 is always a leaf */
}

/* --- walk --- */

struct walker {
	const struct pt_backend *b;
	uint32_t flags;
	pt_walk_fn fn;
	void *arg;
	bool have;
	struct pt_run run;
};

static int walk_flush(struct walker *w)
{
	int ret = 0;

	if (w->have)
		ret = w->fn(w->arg, &w->run);
	w->have = false;
	return ret;
}

static int walk_leaf(struct walker *w, uint64_t va, uint64_t pa, uint64_t len, uint32_t prot,
		     uint64_t leaf)
{
	struct pt_run *r = &w->run;

	if (w->have && r->va + r->len == va && r->pa + r->len == pa && r->prot == prot &&
	    (!(w->flags & PT_WALK_BY_LEAF) || r->leaf == leaf)) {
		r->len += len;
		if (leaf < r->leaf)
			r->leaf = leaf;
		return 0;
	}
	int ret = walk_flush(w);
	if (ret)
		return ret;
	*r = (struct pt_run){.va = va, .pa = pa, .len = len, .prot = prot, .leaf = leaf};
	w->have = true;
	return 0;
}

/* Walk the entries of one table that overlap [lo, hi], a range inside the table's span. */
static int walk_table(struct walker *w, uint64_t table, int lvl, uint64_t base, uint64_t lo,
		      uint64_t hi, uint32_t prot, uint64_t *anc, int nanc)
{
	uint64_t size = level_size(lvl);
	uint32_t first = (uint32_t)((lo >> level_shift[lvl]) & 511);
	uint32_t last = (uint32_t)((hi >> level_shift[lvl]) & 511);
	int err;

	for (uint32_t i = first; i <= last; i++) {
		uint64_t va = lvl == NLEVELS - 1 ? canon((uint64_t)i << 39) : base + i * size;
		uint64_t vlast = va + (size - 1), e, child;
		uint64_t clo = lo > va ? lo : va, chi = hi < vlast ? hi : vlast;

		if ((err = be_read(w->b, table, i * 8u, &e)) < 0)
			return err;
		if (!(e & PT_E_P))
			continue;
		if ((err = check_entry(w->b, e, lvl)) < 0)
			return err;
		uint32_t p = prot & entry_prot(e);
		if (is_leaf(e, lvl)) {
			uint64_t pa = leaf_pa(e, lvl) + (clo - va);

			err = walk_leaf(w, clo, pa, chi - clo + 1, p | leaf_attr_prot(e), size);
			if (err)
				return err;
			continue;
		}
		if ((err = child_table(w->b, e, anc, nanc, &child)) < 0)
			return err;
		anc[nanc] = e & PT_E_ADDR;
		if ((err = walk_table(w, child, lvl - 1, va, clo, chi, p, anc, nanc + 1)) != 0)
			return err;
	}
	return 0;
}

int pt_walk(const struct pt_backend *b, uint64_t va_start, uint64_t va_end, uint32_t flags,
	    pt_walk_fn fn, void *arg)
{
	uint64_t anc[NLEVELS];
	struct walker w = {.b = b, .flags = flags, .fn = fn, .arg = arg};
	uint64_t root = b->root_table(b->ctx);
	int err;

	if (flags & ~PT_WALK_BY_LEAF)
		return PT_ERR_INVAL;
	if ((va_start | va_end) & (PT_SIZE_4K - 1))
		return PT_ERR_ALIGN;
	/* va_end is exclusive: canonical, or the end of the lower half. */
	if (!pt_canonical(va_start) ||
	    (va_end && !pt_canonical(va_end) && !pt_canonical(va_end - 1)))
		return PT_ERR_NONCANON;
	if (va_end && va_end <= va_start)
		return va_end == va_start ? 0 : PT_ERR_RANGE;
	if ((err = root_phys(b, root, &anc[0])) < 0)
		return err;

	/* Walk each canonical half the range touches separately: the hole has no entries. */
	static const uint64_t half_lo[2] = {0, 0xffff800000000000ull};
	static const uint64_t half_hi[2] = {0x00007fffffffffffull, ~0ull};
	uint64_t hi = va_end ? va_end - 1 : ~0ull;

	for (int h = 0; h < 2; h++) {
		uint64_t lo = va_start > half_lo[h] ? va_start : half_lo[h];
		uint64_t last = hi < half_hi[h] ? hi : half_hi[h];

		if (lo > last)
			continue;
		err = walk_table(&w, root, NLEVELS - 1, 0, lo, last,
				 PT_PROT_WRITE | PT_PROT_USER | PT_PROT_EXEC, anc, 1);
		if (err) {
			if (err < 0)
				walk_flush(&w);
			return err;
		}
	}
	return walk_flush(&w);
}

/* --- write side: split, free, clear, protect --- */

/* A fresh zeroed table and its physical address. */
static int new_table(const struct pt_backend *b, uint64_t *table, uint64_t *phys)
{
	if (b->alloc_table(b->ctx, table) < 0)
		return PT_ERR_NOMEM;
	return b->to_phys(b->ctx, *table, phys) < 0 ? PT_ERR_BACKEND : PT_OK;
}

/* Replace the leaf e at lvl (>0), held in table[off], by a table of smaller leaves. */
static int split_leaf(const struct pt_backend *b, uint64_t table, uint32_t off, uint64_t e, int lvl,
		      uint64_t *child, uint64_t *phys)
{
	uint64_t sub = level_size(lvl - 1);
	uint64_t attrs = e & LEAF_ATTRS;
	uint64_t pat = (e & PAT_LARGE) ? (lvl > 1 ? PAT_LARGE : PAT_4K) : 0;
	uint64_t ps = lvl > 1 ? PT_E_PS : 0;
	int err;

	if ((err = new_table(b, child, phys)) < 0)
		return err;
	for (uint32_t i = 0; i < ENTRIES; i++) {
		err = be_write(b, *child, i * 8u, attrs | ps | pat | (leaf_pa(e, lvl) + i * sub));
		if (err < 0)
			return err;
	}
	return be_write(b, table, off, *phys | TABLE_INTERM);
}

/* Hand back every table below (and including) table, which lvl-level entries fill. */
static void free_subtree(const struct pt_backend *b, uint64_t table, int lvl, uint64_t *anc,
			 int nanc)
{
	if (!b->free_table)
		return;
	for (uint32_t i = 0; lvl > 0 && i < ENTRIES; i++) {
		uint64_t e, child;

		if (be_read(b, table, i * 8u, &e) < 0 || !(e & PT_E_P) || is_leaf(e, lvl))
			continue;
		if (check_entry(b, e, lvl) < 0 || child_table(b, e, anc, nanc, &child) < 0)
			continue;
		anc[nanc] = e & PT_E_ADDR;
		free_subtree(b, child, lvl - 1, anc, nanc + 1);
	}
	b->free_table(b->ctx, table);
}

static bool table_empty(const struct pt_backend *b, uint64_t table)
{
	for (uint32_t i = 0; i < ENTRIES; i++) {
		uint64_t e;

		if (be_read(b, table, i * 8u, &e) < 0 || (e & PT_E_P))
			return false;
	}
	return true;
}

/*
 * Make va a leaf boundary: split every leaf that contains va but does not
 * start at it. Splitting keeps every translation as it was.
 */
static int split_at(const struct pt_backend *b, uint64_t va)
{
	uint64_t anc[NLEVELS];
	uint64_t table = b->root_table(b->ctx);
	int err;

	if ((err = root_phys(b, table, &anc[0])) < 0)
		return err;
	for (int lvl = NLEVELS - 1; lvl > 0; lvl--) {
		uint32_t off = entry_off(va, lvl);
		uint64_t e, child, phys;

		if ((err = be_read(b, table, off, &e)) < 0)
			return err;
		if (!(e & PT_E_P) || !(va & (level_size(lvl) - 1)))
			return PT_OK;
		if ((err = check_entry(b, e, lvl)) < 0)
			return err;
		if (is_leaf(e, lvl)) {
			err = split_leaf(b, table, off, e, lvl, &child, &phys);
		} else {
			err = child_table(b, e, anc, NLEVELS - lvl, &child);
			phys = e & PT_E_ADDR;
		}
		if (err < 0)
			return err;
		anc[NLEVELS - lvl] = phys;
		table = child;
	}
	return PT_OK;
}

enum range_op { OP_CLEAR, OP_PROTECT };

/*
 * Clear or re-protect the leaves of one table within [lo, hi]. After the
 * boundary splits every leaf met lies wholly inside the range. A table left
 * empty by OP_CLEAR is freed and *emptied set.
 */
static int range_table(const struct pt_backend *b, enum range_op op, uint64_t newprot,
		       uint64_t table, int lvl, uint64_t base, uint64_t lo, uint64_t hi, uint64_t *anc,
		       int nanc)
{
	uint64_t size = level_size(lvl);
	uint32_t first = (uint32_t)((lo >> level_shift[lvl]) & 511);
	uint32_t last = (uint32_t)((hi >> level_shift[lvl]) & 511);
	int err;

	for (uint32_t i = first; i <= last; i++) {
		uint64_t va = lvl == NLEVELS - 1 ? canon((uint64_t)i << 39) : base + i * size;
		uint64_t e, child;

		if ((err = be_read(b, table, i * 8u, &e)) < 0)
			return err;
		if (!(e & PT_E_P))
			continue;
		if ((err = check_entry(b, e, lvl)) < 0)
			return err;
		if (is_leaf(e, lvl)) {
			uint64_t ne = op == OP_CLEAR ? 0 : (e & ~LEAF_PROT) | newprot;
			if (ne != e && (err = be_write(b, table, i * 8u, ne)) < 0)
				return err;
			continue;
		}
		if ((err = child_table(b, e, anc, nanc, &child)) < 0)
			return err;
		anc[nanc] = e & PT_E_ADDR;
		uint64_t clo = lo > va ? lo : va, chi = hi < va + (size - 1) ? hi : va + (size - 1);
		err = range_table(b, op, newprot, child, lvl - 1, va, clo, chi, anc, nanc + 1);
		if (err < 0)
			return err;
		if (op == OP_CLEAR && b->free_table && table_empty(b, child)) {
			if ((err = be_write(b, table, i * 8u, 0)) < 0)
				return err;
			b->free_table(b->ctx, child);
		}
	}
	return PT_OK;
}

static int range_apply(const struct pt_backend *b, enum range_op op, uint64_t va, uint64_t len,
		       uint64_t newprot)
{
	uint64_t anc[NLEVELS];
	uint64_t root = b->root_table(b->ctx);
	uint64_t last = va + (len - 1);
	int err;

	if ((err = split_at(b, va)) < 0)
		return err;
	if (last != ~0ull && (err = split_at(b, last + 1)) < 0)
		return err;
	if ((err = root_phys(b, root, &anc[0])) < 0)
		return err;
	return range_table(b, op, newprot, root, NLEVELS - 1, 0, va, last, anc, 1);
}

int pt_unmap(const struct pt_backend *b, uint64_t va, uint64_t len)
{
	int err;

	if ((err = check_range(va, len)) < 0)
		return err;
	if (!be_writable(b))
		return PT_ERR_READONLY;
	return range_apply(b, OP_CLEAR, va, len, 0);
}

static int count_run(void *arg, const struct pt_run *run)
{
	*(uint64_t *)arg += run->len;
	return 0;
}

/* Bytes of [va, va + len) that are mapped, or a PT_ERR_* code. */
static int64_t mapped_bytes(const struct pt_backend *b, uint64_t va, uint64_t len)
{
	uint64_t n = 0;
	int err = pt_walk(b, va, va + len, 0, count_run, &n);

	return err < 0 ? err : (int64_t)n;
}

int pt_protect(const struct pt_backend *b, uint64_t va, uint64_t len, uint32_t prot)
{
	int64_t n;
	int err;

	if (prot & ~PT_PROT_MASK)
		return PT_ERR_INVAL;
	if ((err = check_range(va, len)) < 0)
		return err;
	if (!be_writable(b))
		return PT_ERR_READONLY;
	if ((n = mapped_bytes(b, va, len)) < 0)
		return (int)n;
	if ((uint64_t)n != len)
		return PT_ERR_NOT_MAPPED;
	return range_apply(b, OP_PROTECT, va, len, prot_bits(b, prot));
}

/* --- map --- */

static uint64_t pick_leaf(const struct pt_backend *b, uint64_t va, uint64_t pa, uint64_t left,
			  uint32_t opts, int *lvl)
{
	if ((b->caps & PT_CAP_1G) && !(opts & PT_MAP_NO_1G) && !((va | pa) & (PT_SIZE_1G - 1)) &&
	    left >= PT_SIZE_1G) {
		*lvl = 2;
		return PT_SIZE_1G;
	}
	if (!(opts & PT_MAP_NO_2M) && !((va | pa) & (PT_SIZE_2M - 1)) && left >= PT_SIZE_2M) {
		*lvl = 1;
		return PT_SIZE_2M;
	}
	*lvl = 0;
	return PT_SIZE_4K;
}

/* Install one leaf at target level for va, creating or splitting tables above it. */
static int map_one(const struct pt_backend *b, uint64_t va, uint64_t leaf_entry, int target)
{
	uint64_t anc[NLEVELS];
	uint64_t table = b->root_table(b->ctx);
	int err;

	if ((err = root_phys(b, table, &anc[0])) < 0)
		return err;
	for (int lvl = NLEVELS - 1; lvl > target; lvl--) {
		uint32_t off = entry_off(va, lvl);
		uint64_t e, child, phys;

		if ((err = be_read(b, table, off, &e)) < 0)
			return err;
		if (!(e & PT_E_P)) {
			if ((err = new_table(b, &child, &phys)) < 0)
				return err;
			if ((err = be_write(b, table, off, phys | TABLE_INTERM)) < 0)
				return err;
		} else if ((err = check_entry(b, e, lvl)) < 0) {
			return err;
		} else if (is_leaf(e, lvl)) {
			if ((err = split_leaf(b, table, off, e, lvl, &child, &phys)) < 0)
				return err;
		} else {
			if ((err = child_table(b, e, anc, NLEVELS - lvl, &child)) < 0)
				return err;
			phys = e & PT_E_ADDR;
		}
		anc[NLEVELS - lvl] = phys;
		table = child;
	}

	uint32_t off = entry_off(va, target);
	uint64_t e, child;

	if ((err = be_read(b, table, off, &e)) < 0)
		return err;
	if ((err = be_write(b, table, off, leaf_entry)) < 0)
		return err;
	/* A table where the new leaf goes: its mappings were replaced (or it was empty). */
	if ((e & PT_E_P) && !is_leaf(e, target) && check_entry(b, e, target) == 0 &&
	    child_table(b, e, anc, NLEVELS - target, &child) == 0) {
		anc[NLEVELS - target] = e & PT_E_ADDR;
		free_subtree(b, child, target - 1, anc, NLEVELS - target + 1);
	}
	return PT_OK;
}

int pt_map(const struct pt_backend *b, uint64_t va, uint64_t pa, uint64_t len, uint32_t prot,
	   uint32_t opts)
{
	uint64_t pa_last, done;
	int err;

	if ((prot & ~PT_PROT_MASK) || (opts & ~PT_MAP_MASK))
		return PT_ERR_INVAL;
	if (pa & (PT_SIZE_4K - 1))
		return PT_ERR_ALIGN;
	if ((err = check_range(va, len)) < 0)
		return err;
	if (__builtin_add_overflow(pa, len - 1, &pa_last))
		return PT_ERR_RANGE;
	if (pa_last >= phys_limit(b))
		return PT_ERR_PHYS;
	if (!be_writable(b))
		return PT_ERR_READONLY;
	if (!(opts & PT_MAP_REPLACE)) {
		int64_t n = mapped_bytes(b, va, len);
		if (n < 0)
			return (int)n;
		if (n > 0)
			return PT_ERR_EXISTS;
	}

	uint64_t attrs = PT_E_P | PT_E_A | prot_bits(b, prot);
	for (done = 0; done < len;) {
		int lvl;
		uint64_t size = pick_leaf(b, va + done, pa + done, len - done, opts, &lvl);
		uint64_t entry = attrs | (pa + done) | (lvl ? PT_E_PS : 0);

		if ((err = map_one(b, va + done, entry, lvl)) < 0)
			break;
		done += size;
	}
	if (done == len)
		return PT_OK;
	/* Roll back what this call mapped: those leaves lie wholly inside, so no split is needed. */
	if (!(opts & PT_MAP_REPLACE) && done > 0)
		range_apply(b, OP_CLEAR, va, done, 0);
	return err;
}
