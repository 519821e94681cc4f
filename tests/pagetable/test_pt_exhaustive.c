/* SPDX-License-Identifier: MIT */
/*
 * test_pt_exhaustive.c: every combination of P/RW/US/NX/PS at every level,
 * in tables built by hand, translated by pt_translate and pt_walk and by a
 * reference walker written here from the Intel SDM (vol. 3A, 4.5, 4-level
 * paging) and the AMD APM (vol. 2, 5.3.3, long-mode entry formats), which
 * shares no code with the library.
 */
#include <stdbool.h>
#include <stdio.h>

#include "testmem.h"

#define BIT(n)	      (1ull << (n))
#define BITS(lo, hi)  ((~0ull >> (63 - (hi))) & (~0ull << (lo))) /* bits lo..hi */
#define PROT_RWX_USER (PT_PROT_WRITE | PT_PROT_USER | PT_PROT_EXEC)

struct cfg {
	uint32_t caps;
	uint32_t phys_bits; /* 0 means 52, as in struct pt_backend */
	uint64_t va;	    /* the address the hand-built chain of tables maps */
};

/* Lower half with distinct indices at every level; and the upper half. */
#define VA_LO 0x000052a4f8ee9000ull /* PML4 0x0a5, PDPT 0x093, PD 0x1c7, PT 0x0e9 */
#define VA_HI 0xffffffbfbf5fe000ull /* PML4 0x1ff, PDPT 0x0fe, PD 0x1fa, PT 0x1fe */

static const struct cfg cfgs[] = {
	{0, 0, VA_LO},
	{PT_CAP_NX, 46, VA_LO},
	{PT_CAP_1G, 39, VA_LO},
	{PT_CAP_NX | PT_CAP_1G, 52, VA_LO},
	{PT_CAP_NX | PT_CAP_1G, 40, VA_HI},
	{0, 36, VA_HI},
	{PT_CAP_AMD | PT_CAP_NX | PT_CAP_1G, 48, VA_LO},
	{PT_CAP_AMD, 43, VA_HI},
};

/* Leaf addresses used when PS is set, all below 2^36 (the smallest phys_bits above). */
#define PA_1G 0x0000000840000000ull
#define PA_2M 0x0000000523400000ull
#define PA_4K 0x0000000765432000ull

/* --- the reference --- */

static uint32_t ref_prot(bool w, bool u, bool x, uint64_t leaf)
{
	return (w ? PT_PROT_WRITE : 0) | (u ? PT_PROT_USER : 0) | (x ? PT_PROT_EXEC : 0) |
	       (leaf & BIT(8) ? PT_PROT_GLOBAL : 0) | (leaf & BIT(3) ? PT_PROT_PWT : 0) |
	       (leaf & BIT(4) ? PT_PROT_PCD : 0);
}

/* Reserved bits of a present entry at depth d (0 = PML4E .. 3 = PTE); ps as read. */
static uint64_t ref_reserved(const struct cfg *c, int d, bool ps)
{
	unsigned maxphy = c->phys_bits ? c->phys_bits : 52;
	uint64_t r = maxphy < 52 ? BITS(maxphy, 51) : 0;

	if (!(c->caps & PT_CAP_NX))
		r |= BIT(63); /* XD is reserved while IA32_EFER.NXE = 0 */
	if (d == 0)
		r |= BIT(7); /* PML4E bit 7 is reserved (SDM table 4-15; APM figure 5-18) */
	if (d == 0 && (c->caps & PT_CAP_AMD))
		r |= BIT(8); /* AMD: PML4E bits 8:7 MBZ; Intel ignores bit 8 */
	if (d == 1 && ps)
		r |= (c->caps & PT_CAP_1G) ? BITS(13, 29) : BIT(7);
	if (d == 2 && ps)
		r |= BITS(13, 20);
	return r;
}

/*
 * Walk va like the CPU: PT_OK and *out, PT_ERR_NOT_MAPPED, PT_ERR_CORRUPT for
 * reserved bits or (our contract, not the SDM's) a table that is not one,
 * PT_ERR_NONCANON. A table already on the path is read again like any other.
 */
static int ref_translate(struct testmem *tm, const struct cfg *c, uint64_t va,
			 struct pt_translation *out)
{
	static const unsigned shift[4] = {39, 30, 21, 12};
	unsigned maxphy = c->phys_bits ? c->phys_bits : 52;
	uint64_t addr = BITS(12, maxphy - 1), table = tm->root;
	bool w = true, u = true, x = true;

	if ((va >> 47) != 0 && (va >> 47) != 0x1ffff)
		return PT_ERR_NONCANON;
	for (int d = 0; d < 4; d++) {
		uint64_t e = tm_entries(tm, table)[(va >> shift[d]) & 511];
		bool ps = d > 0 && d < 3 && (e & BIT(7));

		if (!(e & BIT(0)))
			return PT_ERR_NOT_MAPPED;
		if (e & ref_reserved(c, d, ps))
			return PT_ERR_CORRUPT;
		w = w && (e & BIT(1));
		u = u && (e & BIT(2));
		x = x && !((c->caps & PT_CAP_NX) && (e & BIT(63)));
		if (d == 3 || ps) {
			uint64_t off = BITS(0, shift[d] - 1);

			out->pa = (e & addr & ~off) | (va & off);
			out->leaf = BIT(shift[d]);
			out->prot = ref_prot(w, u, x, e);
			return PT_OK;
		}
		if (!(table = tm_lookup(tm, e & addr)))
			return PT_ERR_CORRUPT;
	}
	ck_abort_msg("reference: level 0 is always a leaf");
}

/* --- comparing the library with it --- */

struct walk_log {
	int n;
	struct pt_run run;
};

static int log_run(void *arg, const struct pt_run *run)
{
	struct walk_log *l = arg;

	if (l->n++ == 0)
		l->run = *run;
	return 0;
}

/* pt_translate of va and pt_walk of its page agree with the reference; its result in *want. */
static int check_va(struct testmem *tm, const struct pt_backend *b, const struct cfg *c,
		    uint64_t va, const char *what, struct pt_translation *wantp)
{
	struct pt_translation got = {0}, want = {0};
	struct walk_log l = {0};
	uint64_t pg = va & ~0xfffull;
	int rg = pt_translate(b, va, &got), rw = ref_translate(tm, c, va, &want);

	T_ASSERT(rg == rw, "%s va %#llx: pt_translate %d, reference %d", what,
		 (unsigned long long)va, rg, rw);
	if (rw == PT_OK)
		T_ASSERT(got.pa == want.pa && got.leaf == want.leaf && got.prot == want.prot,
			 "%s va %#llx: pa %#llx leaf %#llx prot %#x, reference %#llx %#llx %#x",
			 what, (unsigned long long)va, (unsigned long long)got.pa,
			 (unsigned long long)got.leaf, got.prot, (unsigned long long)want.pa,
			 (unsigned long long)want.leaf, want.prot);

	rg = pt_walk(b, pg, pg + 4096, 0, log_run, &l);
	T_ASSERT(rg == (rw == PT_OK	       ? 0
			: rw == PT_ERR_CORRUPT ? PT_ERR_CORRUPT
					       : 0),
		 "%s va %#llx: pt_walk %d, reference %d", what, (unsigned long long)va, rg, rw);
	T_ASSERT(l.n == (rw == PT_OK), "%s va %#llx: %d runs", what, (unsigned long long)va, l.n);
	if (rw == PT_OK)
		T_ASSERT(l.run.va == pg && l.run.len == 4096 && l.run.pa == (want.pa & ~0xfffull) &&
				 l.run.prot == want.prot && l.run.leaf == want.leaf,
			 "%s va %#llx: run %#llx+%#llx -> %#llx prot %#x leaf %#llx", what,
			 (unsigned long long)va, (unsigned long long)l.run.va,
			 (unsigned long long)l.run.len, (unsigned long long)l.run.pa, l.run.prot,
			 (unsigned long long)l.run.leaf);
	if (wantp)
		*wantp = want;
	return rw;
}

/* The hand-built chain: one table per level on the path of cfg->va. */
struct chain {
	uint64_t table[4]; /* PML4 (the root), PDPT, PD, PT */
	uint64_t *slot[4]; /* the entry of cfg->va in each */
};

static void chain_init(struct chain *ch, struct testmem *tm, uint64_t va)
{
	static const unsigned shift[4] = {39, 30, 21, 12};

	ch->table[0] = tm->root;
	for (int d = 1; d < 4; d++)
		ch->table[d] = tm_new_table(tm);
	for (int d = 0; d < 4; d++)
		ch->slot[d] = &tm_entries(tm, ch->table[d])[(va >> shift[d]) & 511];
}

/* Ignored or attribute bits that should change nothing but the reported G/PWT/PCD. */
static uint64_t noise(uint64_t h, int d)
{
	static const uint64_t pool[] = {PT_E_A,	 PT_E_D,  PT_E_G,  PT_E_PWT, PT_E_PCD, BIT(9),
					BIT(10), BIT(11), BIT(52), BIT(55),  BIT(58),  BIT(62)};
	uint64_t e = 0;

	h >>= 12 * d;
	for (unsigned i = 0; i < sizeof(pool) / sizeof(pool[0]); i++)
		if (h & BIT(i))
			e |= pool[i];
	return e;
}

/* Entry at depth d for combination bits cb: P, RW, US, NX, PS from bit 0 up. */
static uint64_t combo_entry(const struct chain *ch, int d, unsigned cb, uint64_t h)
{
	static const uint64_t flag[5] = {PT_E_P, PT_E_RW, PT_E_US, PT_E_NX, PT_E_PS};
	uint64_t e = noise(h, d);

	for (int i = 0; i < 5; i++)
		if (cb & (1u << i))
			e |= flag[i];
	if (d == 3)
		return e | PA_4K; /* PS at a PTE is the PAT bit */
	if (d == 1 && (cb & 16))
		return e | PA_1G | (h & BIT(60) ? BIT(12) : 0); /* bit 12: PAT of a large leaf */
	if (d == 2 && (cb & 16))
		return e | PA_2M | (h & BIT(61) ? BIT(12) : 0);
	return e | tm_phys(ch->table[d + 1]); /* PS at a PML4E is reserved: keep the pointer */
}

START_TEST(test_combos)
{
	const struct cfg *c = &cfgs[_i];
	/* Same path down to the PD, to the PDPT, and the same PT entry at another offset. */
	const uint64_t vas[3] = {c->va | 0x5a8, (c->va ^ (3ull << 12)) | 0x10,
				 (c->va ^ (5ull << 21)) | 0x7ff8};
	unsigned long outcome[3] = {0}, leaves[3] = {0};
	struct testmem tm;
	struct pt_backend b;
	struct chain ch;

	tm_init(&tm, &b, 8, TM_RO, c->caps, c->phys_bits);
	chain_init(&ch, &tm, c->va);
	for (uint32_t k = 0; k < (1u << 20); k++) {
		uint64_t h = k * 0x9e3779b97f4a7c15ull;

		for (int d = 0; d < 4; d++)
			*ch.slot[d] = combo_entry(&ch, d, (k >> (5 * d)) & 31, h);
		for (int v = 0; v < 3; v++) {
			struct pt_translation t;
			int r = check_va(&tm, &b, c, vas[v], "combo", &t);

			outcome[r == PT_OK ? 0 : r == PT_ERR_NOT_MAPPED ? 1 : 2]++;
			if (r == PT_OK)
				leaves[t.leaf == PT_SIZE_4K ? 0 : t.leaf == PT_SIZE_2M ? 1 : 2]++;
		}
	}
	/* The reference is only an oracle if every outcome and leaf size came up. */
	ck_assert(outcome[0] && outcome[1] && outcome[2]);
	ck_assert(leaves[0] && leaves[1]);
	ck_assert(!leaves[2] == !(c->caps & PT_CAP_1G));
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

/* A sound chain mapping cfg->va with a leaf of the given depth (1, 2 or 3). */
static void sound_chain(const struct chain *ch, int leaf_depth)
{
	uint64_t perm = PT_E_P | PT_E_RW | PT_E_US;

	for (int d = 0; d < leaf_depth; d++)
		*ch->slot[d] = perm | tm_phys(ch->table[d + 1]);
	*ch->slot[leaf_depth] = perm | (leaf_depth == 1	  ? PA_1G | PT_E_PS
					: leaf_depth == 2 ? PA_2M | PT_E_PS
							  : PA_4K);
}

/* Every single bit flipped in every entry of a sound chain, for every leaf size. */
START_TEST(test_reserved_flips)
{
	static const uint32_t widths[] = {36, 39, 46, 52};
	const uint32_t caps = (uint32_t)_i;

	for (unsigned wi = 0; wi < 4; wi++) {
		struct cfg c = {caps, widths[wi], VA_LO};
		struct testmem tm;
		struct pt_backend b;
		struct chain ch;

		tm_init(&tm, &b, 8, TM_RO, c.caps, c.phys_bits);
		chain_init(&ch, &tm, c.va);
		for (int leaf = 1; leaf <= 3; leaf++) {
			for (int d = 0; d <= leaf; d++) {
				for (int bit = 0; bit < 64; bit++) {
					sound_chain(&ch, leaf);
					*ch.slot[d] ^= BIT(bit);
					check_va(&tm, &b, &c, c.va | 0x18, "flip", NULL);
					check_va(&tm, &b, &c, c.va ^ 0x1ff000, "flip", NULL);
				}
			}
		}
		ck_assert_uint_eq(tm.violations, 0);
		tm_fini(&tm);
	}
}
END_TEST

/* The reserved-bit rules spelled out, so that they do not rest on the reference alone. */
START_TEST(test_reserved_explicit)
{
	const struct cfg c = {PT_CAP_NX | PT_CAP_1G, 40, VA_LO};
	struct testmem tm;
	struct pt_backend b;
	struct pt_translation t;
	struct chain ch;
	static const struct {
		int leaf, d, bit, want;
	} cases[] = {
		{2, 2, 12, PT_OK}, /* PAT of a 2M leaf */
		{2, 2, 13, PT_ERR_CORRUPT}, {2, 2, 20, PT_ERR_CORRUPT}, {2, 2, 21, PT_OK},
		{1, 1, 12, PT_OK}, /* PAT of a 1G leaf */
		{1, 1, 13, PT_ERR_CORRUPT}, {1, 1, 29, PT_ERR_CORRUPT}, {1, 1, 30, PT_OK},
		{3, 3, 39, PT_OK},	    {3, 3, 40, PT_ERR_CORRUPT}, {3, 3, 51, PT_ERR_CORRUPT},
		{3, 3, 52, PT_OK},	    /* ignored */
		{3, 0, 7, PT_ERR_CORRUPT},  /* PS in a PML4E */
		{3, 3, 7, PT_OK},	    /* PAT of a 4K leaf */
		{3, 1, 45, PT_ERR_CORRUPT}, /* table address beyond phys_bits */
		{2, 0, 63, PT_OK},	    /* NX is fine with NXE */
		{3, 0, 8, PT_OK},	    /* Intel ignores bit 8 of a PML4E */
		{3, 1, 8, PT_OK},	    /* and of non-leaf PDPTEs and PDEs */
		{3, 2, 8, PT_OK},
	};

	tm_init(&tm, &b, 8, TM_RO, c.caps, c.phys_bits);
	chain_init(&ch, &tm, c.va);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sound_chain(&ch, cases[i].leaf);
		*ch.slot[cases[i].d] ^= BIT(cases[i].bit);
		ck_assert_msg(pt_translate(&b, c.va, &t) == cases[i].want, "case %u", i);
		ck_assert_int_eq(check_va(&tm, &b, &c, c.va, "explicit", NULL), cases[i].want);
	}
	/* Without NXE bit 63 is reserved; without 1G pages so is PS in a PDPTE. */
	b.caps = PT_CAP_1G;
	sound_chain(&ch, 3);
	*ch.slot[2] |= PT_E_NX;
	ck_assert_int_eq(pt_translate(&b, c.va, &t), PT_ERR_CORRUPT);
	b.caps = PT_CAP_NX;
	sound_chain(&ch, 1);
	ck_assert_int_eq(pt_translate(&b, c.va, &t), PT_ERR_CORRUPT);
	b.caps = PT_CAP_NX | PT_CAP_1G;
	ck_assert_int_eq(pt_translate(&b, c.va | 0x3ffff123, &t), PT_OK);
	ck_assert_uint_eq(t.pa, PA_1G | 0x3ffff123);
	ck_assert_uint_eq(t.leaf, PT_SIZE_1G);
	/* AMD: bit 8 of a PML4E must be zero; of a non-leaf PDPTE or PDE it is ignored. */
	b.caps = PT_CAP_NX | PT_CAP_1G | PT_CAP_AMD;
	const struct cfg amd = {b.caps, c.phys_bits, c.va};
	static const struct {
		int d, want;
	} g[] = {{0, PT_ERR_CORRUPT}, {1, PT_OK}, {2, PT_OK}, {3, PT_OK}};
	for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		sound_chain(&ch, 3);
		*ch.slot[g[i].d] |= PT_E_G;
		ck_assert_msg(pt_translate(&b, c.va, &t) == g[i].want, "AMD G at depth %d", g[i].d);
		ck_assert_int_eq(check_va(&tm, &b, &amd, c.va, "AMD", NULL), g[i].want);
	}
	tm_fini(&tm);
}
END_TEST

/* The va whose index at level l is c->va's index at level (k >> 2l) & 3: every path through the
 * chain's slots, whichever table a loop leads to. */
static uint64_t loop_va(uint64_t va, unsigned k)
{
	static const unsigned shift[4] = {39, 30, 21, 12};
	uint64_t v = 0;

	for (int l = 0; l < 4; l++)
		v |= ((va >> shift[(k >> (2 * l)) & 3]) & 511) << shift[l];
	v |= (v & BIT(47)) ? 0xffff000000000000ull : 0;
	return v | (k * 8 & 0xff8);
}

/*
 * Entries that point back at their own table or an ancestor, in every
 * combination of one or two such entries on the path, with every leaf size:
 * the CPU reads the table named at each level, whichever it is, so the
 * reference does too and the library must agree.
 */
START_TEST(test_loops)
{
	const struct cfg *c = &cfgs[_i];
	struct testmem tm;
	struct pt_backend b;
	struct chain ch;
	unsigned mapped = 0;

	tm_init(&tm, &b, 8, TM_RO, c->caps, c->phys_bits);
	chain_init(&ch, &tm, c->va);
	for (int leaf = 1; leaf <= 3; leaf++) {
		for (int d = 0; d < leaf; d++) {
			for (int to = 0; to <= d; to++) {
				for (int d2 = 0; d2 < leaf; d2++) {
					sound_chain(&ch, leaf);
					*ch.slot[d] = (*ch.slot[d] & ~PT_E_ADDR) | tm_phys(ch.table[to]);
					if (d2 != d) /* a second loop, to the root */
						*ch.slot[d2] = (*ch.slot[d2] & ~PT_E_ADDR) |
							       tm_phys(ch.table[0]);
					for (unsigned k = 0; k < 256; k++) {
						uint64_t va = loop_va(c->va, k);
						struct pt_translation t;
						mapped += check_va(&tm, &b, c, va, "loop", &t) == PT_OK;
					}
				}
			}
		}
	}
	ck_assert_uint_gt(mapped, 0);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

static Suite *exhaustive_suite(void)
{
	Suite *s = suite_create("pt_exhaustive");
	TCase *tc = tcase_create("combos");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_combos, 0, sizeof(cfgs) / sizeof(cfgs[0]));
	/* caps: every 1G/NX/AMD combination (PT_CAP_* are bits 0..2) */
	tcase_add_loop_test(tc, test_reserved_flips, 0, 8);
	tcase_add_loop_test(tc, test_loops, 0, sizeof(cfgs) / sizeof(cfgs[0]));
	tcase_add_test(tc, test_reserved_explicit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(exhaustive_suite());
}
