/* SPDX-License-Identifier: MIT */
/*
 * pagetable.c: the page-table algorithms' read side (translate, walk), written
 * once against struct pt_backend and compiled for the host and for the guest.
 * The write side is in pt_write.c. Reads follow entries wherever they point,
 * as the CPU does, loops back to an ancestor included: a translation is four
 * levels long whatever the tables hold, and pt_walk counts the tables it
 * visits (PT_WALK_MAX_TABLES).
 */
#include "pt_internal.h"

/* pt_prot_of (pagetable.h) moves each entry bit to its PT_PROT_* place by a shift. */
_Static_assert(PT_PROT_WRITE == PT_E_RW >> 1 && PT_PROT_USER == PT_E_US &&
		       PT_PROT_EXEC == (PT_E_NX >> 62) && PT_PROT_GLOBAL == PT_E_G >> 5 &&
		       PT_PROT_PWT == PT_E_PWT << 1 && PT_PROT_PCD == PT_E_PCD << 1,
	       "PT_PROT_* and PT_E_* bits as pt_prot_of moves them");

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

int pt_check_range(uint64_t va, uint64_t len)
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

int pt_window_init(struct pt_backend *b, uint8_t *window, uint64_t base, uint64_t size,
		   const uint64_t *root)
{
	uint64_t end;

	if (!window || !root)
		return PT_ERR_INVAL;
	if (size < PT_SIZE_4K || __builtin_add_overflow(base, size - 1, &end))
		return PT_ERR_RANGE;
	const uint64_t sound = PT_E_P | pt_rsvd_common(b);
	for (int lvl = 0; lvl < NLEVELS; lvl++)
		b->win_sound[lvl] = sound | pt_rsvd_level(b->caps, lvl, lvl ? PT_E_PS : 0);
	b->win_key = ~pt_win_key(b);
	b->window = window;
	b->win_base = base;
	b->win_size = size;
	b->win_root = root;
	return PT_OK;
}

/* What a walk has seen so far; one step per level, unrolled with constant lvl. */
struct walk_state {
	uint64_t table, all, any, rsvd;
};

/*
 * One level of a translation: 1 = descend into w->table, 0 = leaf found (out
 * set), or a PT_ERR_* code.
 */
static inline __attribute__((always_inline)) int
translate_step(const struct pt_backend *b, struct walk_state *w, uint64_t va, const int lvl,
	       struct pt_translation *out)
{
	uint64_t e;
	int err;

	if ((err = be_read(b, w->table, entry_off(va, lvl), &e)) < 0)
		return err;
	if (!(e & PT_E_P))
		return PT_ERR_NOT_MAPPED;
	if (e & (w->rsvd | pt_rsvd_level(b->caps, lvl, e)))
		return PT_ERR_CORRUPT;
	/* Effective rights: RW and US must be set at every level, NX at none. */
	w->all &= e;
	w->any |= e;
	if (is_leaf(e, lvl)) {
		uint64_t mask = level_size(lvl) - 1;
		out->pa = (e & PT_E_ADDR & ~mask) | (va & mask);
		out->leaf = level_size(lvl);
		out->prot = pt_prot_of(w->all, w->any, e);
		return 0;
	}
	if ((err = next_table(b, e, &w->table)) < 0)
		return err;
	return 1;
}

/* noinline: inlined into a caller's loop, it would no longer be pure there. */
__attribute__((noinline)) struct pt_translate_result
pt_translate_hooks(const struct pt_backend *b, uint64_t va)
{
	struct pt_translate_result res = {{0, 0, 0}, PT_ERR_NONCANON};
	int r;

	if (!pt_canonical(va))
		return res;

	struct walk_state w = {.table = b->root_table(b->ctx), .all = ~0ull,
			       .rsvd = pt_rsvd_common(b)};

	/* translate_step writes res.t only where it finds the leaf. */
	if ((r = translate_step(b, &w, va, 3, &res.t)) <= 0 ||
	    (r = translate_step(b, &w, va, 2, &res.t)) <= 0 ||
	    (r = translate_step(b, &w, va, 1, &res.t)) <= 0 ||
	    (r = translate_step(b, &w, va, 0, &res.t)) <= 0)
		res.err = r;
	else
		res.err = PT_ERR_CORRUPT; /* not reached: level 0 is always a leaf */
	return res;
}

/* --- walk --- */

struct walker {
	const struct pt_backend *b;
	uint32_t flags;
	pt_walk_fn fn;
	void *arg;
	bool have;
	struct pt_run run;
	uint32_t tables; /* visited so far: aliases and loops could make it 512^3 */
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
		      uint64_t hi, uint32_t prot)
{
	uint64_t size = level_size(lvl);
	uint32_t first = entry_index(lo, lvl);
	uint32_t last = entry_index(hi, lvl);
	int err;

	for (uint32_t i = first; i <= last; i++) {
		uint64_t va = entry_va(base, lvl, i);
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
		if ((err = next_table(w->b, e, &child)) < 0)
			return err;
		if (++w->tables > PT_WALK_MAX_TABLES)
			return PT_ERR_CORRUPT;
		if ((err = walk_table(w, child, lvl - 1, va, clo, chi, p)) != 0)
			return err;
	}
	return 0;
}

int pt_walk(const struct pt_backend *b, uint64_t va_start, uint64_t va_end, uint32_t flags,
	    pt_walk_fn fn, void *arg)
{
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
				 PT_PROT_WRITE | PT_PROT_USER | PT_PROT_EXEC);
		if (err) {
			if (err < 0)
				walk_flush(&w);
			return err;
		}
	}
	return walk_flush(&w);
}

