/* SPDX-License-Identifier: MIT */
/*
 * pt_write.c: the page-table algorithms' write side: map, unmap, protect, and
 * the splitting and freeing of tables they need.
 */
#include "pt_internal.h"

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

/*
 * The loop check of map, unmap and protect: walk the tables above the leaves
 * over [lo, hi] and refuse an entry that points back at its own table or an
 * ancestor (anc: the nanc tables above, this one last) before anything is
 * written. Entries the operation refuses or replaces itself (reserved bits,
 * bad pointers, leaves) are left to it; visited tables count as in pt_walk.
 */
static int loops_table(const struct pt_backend *b, uint64_t table, int lvl, uint64_t base,
		       uint64_t lo, uint64_t hi, uint64_t *anc, int nanc, uint32_t *visited)
{
	uint64_t size = level_size(lvl);
	uint32_t first = entry_index(lo, lvl);
	uint32_t last = entry_index(hi, lvl);
	int err;

	for (uint32_t i = first; i <= last; i++) {
		uint64_t va = entry_va(base, lvl, i);
		uint64_t clo = lo > va ? lo : va, chi = hi < va + (size - 1) ? hi : va + (size - 1);
		uint64_t e, child;

		if ((err = be_read(b, table, i * 8u, &e)) < 0)
			return err;
		if (!(e & PT_E_P) || is_leaf(e, lvl) || check_entry(b, e, lvl) < 0)
			continue;
		if (is_loop(e, anc, nanc))
			return PT_ERR_CORRUPT;
		if (lvl == 1 || next_table(b, e, &child) < 0)
			continue; /* page tables hold only leaves */
		if (++*visited > PT_WALK_MAX_TABLES)
			return PT_ERR_CORRUPT;
		anc[nanc] = e & PT_E_ADDR;
		if ((err = loops_table(b, child, lvl - 1, va, clo, chi, anc, nanc + 1, visited)) < 0)
			return err;
	}
	return PT_OK;
}

static int check_loops(const struct pt_backend *b, uint64_t va, uint64_t len)
{
	uint64_t anc[NLEVELS], root = b->root_table(b->ctx);
	uint32_t visited = 0;
	int err;

	if ((err = root_phys(b, root, &anc[0])) < 0)
		return err;
	return loops_table(b, root, NLEVELS - 1, 0, va, va + (len - 1), anc, 1, &visited);
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
	uint32_t first = entry_index(lo, lvl);
	uint32_t last = entry_index(hi, lvl);
	int err;

	for (uint32_t i = first; i <= last; i++) {
		uint64_t va = entry_va(base, lvl, i);
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

	if ((err = pt_check_range(va, len)) < 0)
		return err;
	if (!be_writable(b))
		return PT_ERR_READONLY;
	if ((err = check_loops(b, va, len)) < 0)
		return err;
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
	if ((err = pt_check_range(va, len)) < 0)
		return err;
	if (!be_writable(b))
		return PT_ERR_READONLY;
	if ((err = check_loops(b, va, len)) < 0)
		return err;
	if ((n = mapped_bytes(b, va, len)) < 0)
		return (int)n;
	if ((uint64_t)n != len)
		return PT_ERR_NOT_MAPPED;
	return range_apply(b, OP_PROTECT, va, len, prot_bits(b, prot));
}

/* --- map --- */

struct mapper {
	const struct pt_backend *b;
	uint64_t va, pa; /* start of the whole range */
	uint64_t attrs;	 /* leaf bits besides address and PS */
	uint32_t opts;
	uint64_t done; /* bytes from va mapped so far (leaves go in ascending order) */
};

/* May a leaf at lvl be used (lvl 0 always)? */
static bool leaf_ok(const struct mapper *m, int lvl)
{
	if (lvl == 1)
		return !(m->opts & PT_MAP_NO_2M);
	if (lvl == 2)
		return (m->b->caps & PT_CAP_1G) && !(m->opts & PT_MAP_NO_1G);
	return lvl == 0;
}

/* The table under entry e of table[off] at lvl: existing, fresh, or split from a leaf. */
static int descend(const struct pt_backend *b, uint64_t table, uint32_t off, uint64_t e, int lvl,
		   const uint64_t *anc, int nanc, uint64_t *child, uint64_t *phys)
{
	int err;

	if (!(e & PT_E_P)) {
		if ((err = new_table(b, child, phys)) < 0)
			return err;
		return be_write(b, table, off, *phys | TABLE_INTERM);
	}
	if ((err = check_entry(b, e, lvl)) < 0)
		return err;
	if (is_leaf(e, lvl))
		return split_leaf(b, table, off, e, lvl, child, phys);
	*phys = e & PT_E_ADDR;
	return child_table(b, e, anc, nanc, child);
}

/* Put a leaf at table[off]; a table that was there (empty, or being replaced) is freed. */
static int put_leaf(const struct mapper *m, uint64_t table, uint32_t off, int lvl, uint64_t pa,
		    uint64_t *anc, int nanc)
{
	const struct pt_backend *b = m->b;
	uint64_t e = 0, child;
	int err;

	if (lvl > 0 && (err = be_read(b, table, off, &e)) < 0)
		return err;
	if ((err = be_write(b, table, off, m->attrs | pa | (lvl ? PT_E_PS : 0))) < 0)
		return err;
	if ((e & PT_E_P) && !is_leaf(e, lvl) && check_entry(b, e, lvl) == 0 &&
	    child_table(b, e, anc, nanc, &child) == 0) {
		anc[nanc] = e & PT_E_ADDR;
		free_subtree(b, child, lvl - 1, anc, nanc + 1);
	}
	return PT_OK;
}

/* Map [lo, hi] (inside this table's span) into the table at lvl whose first entry maps base. */
static int map_table(struct mapper *m, uint64_t table, int lvl, uint64_t base, uint64_t lo,
		     uint64_t hi, uint64_t *anc, int nanc)
{
	const struct pt_backend *b = m->b;
	uint64_t size = level_size(lvl);
	uint32_t first = entry_index(lo, lvl);
	uint32_t last = entry_index(hi, lvl);
	int err;

	for (uint32_t i = first; i <= last; i++) {
		uint64_t va = entry_va(base, lvl, i);
		uint64_t vlast = va + (size - 1), e, child, phys;
		uint64_t clo = lo > va ? lo : va, chi = hi < vlast ? hi : vlast;
		uint64_t pa = m->pa + (clo - m->va);

		if (lvl == 0 || (leaf_ok(m, lvl) && clo == va && chi == vlast && !(pa & (size - 1)))) {
			if ((err = put_leaf(m, table, i * 8u, lvl, pa, anc, nanc)) < 0)
				return err;
			m->done = chi - m->va + 1;
			continue;
		}
		if ((err = be_read(b, table, i * 8u, &e)) < 0 ||
		    (err = descend(b, table, i * 8u, e, lvl, anc, nanc, &child, &phys)) < 0)
			return err;
		anc[nanc] = phys;
		if ((err = map_table(m, child, lvl - 1, va, clo, chi, anc, nanc + 1)) < 0)
			return err;
	}
	return PT_OK;
}

int pt_map(const struct pt_backend *b, uint64_t va, uint64_t pa, uint64_t len, uint32_t prot,
	   uint32_t opts)
{
	uint64_t pa_last;
	int err;

	if ((prot & ~PT_PROT_MASK) || (opts & ~PT_MAP_MASK))
		return PT_ERR_INVAL;
	if (pa & (PT_SIZE_4K - 1))
		return PT_ERR_ALIGN;
	if ((err = pt_check_range(va, len)) < 0)
		return err;
	if (__builtin_add_overflow(pa, len - 1, &pa_last))
		return PT_ERR_RANGE;
	if (pa_last >= phys_limit(b))
		return PT_ERR_PHYS;
	if (!be_writable(b))
		return PT_ERR_READONLY;
	if ((err = check_loops(b, va, len)) < 0)
		return err;
	if (!(opts & PT_MAP_REPLACE)) {
		int64_t n = mapped_bytes(b, va, len);
		if (n < 0)
			return (int)n;
		if (n > 0)
			return PT_ERR_EXISTS;
	}

	struct mapper m = {.b = b, .va = va, .pa = pa, .opts = opts,
			   .attrs = PT_E_P | PT_E_A | prot_bits(b, prot)};
	uint64_t anc[NLEVELS], root = b->root_table(b->ctx);

	if ((err = root_phys(b, root, &anc[0])) < 0)
		return err;
	err = map_table(&m, root, NLEVELS - 1, 0, va, va + (len - 1), anc, 1);
	if (err == 0)
		return PT_OK;
	/* Roll back what this call mapped: those leaves lie wholly inside, so no split is needed. */
	if (!(opts & PT_MAP_REPLACE) && m.done > 0)
		range_apply(b, OP_CLEAR, va, m.done, 0);
	return err;
}
