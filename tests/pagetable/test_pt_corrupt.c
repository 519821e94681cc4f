/* SPDX-License-Identifier: MIT */
/*
 * test_pt_corrupt.c: corrupt tables under the host backend. Guest memory is
 * fenced by PROT_NONE guard pages, so a read outside it crashes the test;
 * every operation must instead report PT_ERR_CORRUPT and change nothing.
 * Also the boundary and overflow rules of pt_host_ptr.
 */
#include <stdlib.h>
#include <string.h>

#include "testmem.h"

#define PG   4096ull
#define BASE 0x40000000ull /* guest-physical address of guest memory */
#define SIZE (32 * PG)
#define POOL (16 * PG) /* tables: the upper half of guest memory */
#define PHYS 40
#define CAPS (PT_CAP_NX | PT_CAP_1G)
#define VA   0x0000008040201000ull /* PML4 1, PDPT 1, PD 1, PT 1 */
#define PA   0x0000000012345000ull
#define PROT (PT_PROT_WRITE | PT_PROT_USER)

/* The entry for va at depth d (0 = PML4 .. 3 = PT), found by reading the raw tables. */
static uint64_t *raw_entry(struct hostmem *hm, uint64_t va, int d)
{
	uint64_t table = hm->h.root;

	for (int i = 0;; i++) {
		uint64_t *e = &hm_entries(hm, table)[(va >> (39 - 9 * i)) & 511];

		if (i == d)
			return e;
		table = *e & PT_E_ADDR;
	}
}

static uint64_t table_at(struct hostmem *hm, uint64_t va, int d)
{
	return d == 0 ? hm->h.root : *raw_entry(hm, va, d - 1) & PT_E_ADDR;
}

static void setup(struct hostmem *hm)
{
	hm_init(hm, SIZE, BASE, POOL, CAPS, PHYS);
	/* A 4K page (4 levels) at VA, and a 2M leaf in the next PD entry. */
	ck_assert_int_eq(pt_map(&hm->b, VA, PA, PG, PROT, 0), PT_OK);
	ck_assert_int_eq(pt_map(&hm->b, (VA & ~(PT_SIZE_2M - 1)) + PT_SIZE_2M, 0x40000000,
				PT_SIZE_2M, PROT, 0),
			 PT_OK);
}

static int no_run(void *arg, const struct pt_run *run)
{
	(void)arg;
	(void)run;
	return 0;
}

/*
 * Every operation over va fails with want and leaves guest memory as it was.
 * replace_ok: the corrupt entry is va's leaf, which PT_MAP_REPLACE may overwrite.
 */
static void expect_all(struct hostmem *hm, uint64_t va, int want, bool replace_ok, const char *what)
{
	uint8_t *snap = malloc(SIZE);
	struct pt_translation t;
	const struct pt_backend *b = &hm->b;
	uint64_t used = hm->h.nr_used;

	ck_assert_ptr_nonnull(snap);
	memcpy(snap, hm->mem, SIZE);
	ck_assert_msg(pt_translate(b, va, &t) == want, "%s: translate", what);
	ck_assert_msg(pt_walk(b, va, va + PG, 0, no_run, NULL) == want, "%s: walk page", what);
	ck_assert_msg(pt_walk(b, 0, 0, 0, no_run, NULL) == want, "%s: walk all", what);
	ck_assert_msg(pt_map(b, va, PA, PG, PROT, 0) == want, "%s: map", what);
	ck_assert_msg(pt_map(b, va & ~(PT_SIZE_1G - 1), 0, PT_SIZE_1G, PROT, 0) == want,
		      "%s: map 1G", what);
	ck_assert_msg(pt_protect(b, va, PG, PT_PROT_EXEC) == want, "%s: protect", what);
	ck_assert_msg(pt_unmap(b, va, PG) == want, "%s: unmap", what);
	ck_assert_msg(pt_unmap(b, va - PG, 2 * PG) == want, "%s: unmap across", what);
	if (!replace_ok)
		ck_assert_msg(pt_map(b, va, PA, PG, PROT, PT_MAP_REPLACE) == want,
			      "%s: map replace", what);
	ck_assert_msg(memcmp(snap, hm->mem, SIZE) == 0, "%s: guest memory changed", what);
	ck_assert_uint_eq(hm->h.nr_used, used);
	free(snap);
}

/* Table pointers that lead outside guest memory or past phys_bits, at every level. */
START_TEST(test_bad_pointers)
{
	const uint64_t bad[] = {
		BASE + SIZE,	       /* the first page past the end */
		BASE - PG,	       /* the page below guest memory */
		0,		       /* guest memory is not at 0 */
		SIZE - PG,	       /* an offset taken for an address */
		(1ull << PHYS) - PG,   /* inside phys_bits, far outside memory */
		BASE + (1ull << PHYS), /* a bit above phys_bits: reserved */
		BASE | (1ull << 51),   /* the top address bit */
	};

	for (int d = 0; d < 3; d++) {
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct hostmem hm;

			setup(&hm);
			uint64_t *e = raw_entry(&hm, VA, d);
			*e = (*e & ~PT_E_ADDR) | bad[i];
			expect_all(&hm, VA, PT_ERR_CORRUPT, false, "bad pointer");
			hm_fini(&hm);
		}
	}
}
END_TEST

static int count_run(void *arg, const struct pt_run *run)
{
	(void)run;
	++*(int *)arg;
	return 0;
}

/* pt_walk reports the runs before the corrupt entry, the pending one included. */
START_TEST(test_walk_partial)
{
	struct hostmem hm;
	int n = 0;

	setup(&hm);
	ck_assert_int_eq(pt_map(&hm.b, 0x1000, PA, PG, PROT, 0), PT_OK);
	ck_assert_int_eq(pt_map(&hm.b, 0x3000, PA, PG, PROT, 0), PT_OK);
	uint64_t *e = raw_entry(&hm, VA, 1);
	*e = (*e & ~PT_E_ADDR) | (BASE + SIZE);
	ck_assert_int_eq(pt_walk(&hm.b, 0, 0, 0, count_run, &n), PT_ERR_CORRUPT);
	ck_assert_int_eq(n, 2);
	hm_fini(&hm);
}
END_TEST

/* A table in the very last page before the guard is read whole and is fine. */
START_TEST(test_last_page)
{
	/* The leaf put in its last slot, by the depth of the entry pointing at it. */
	static const uint64_t leaf[3] = {0x40000000 | PT_E_PS, 0x200000 | PT_E_PS, PA};
	const uint64_t last = BASE + SIZE - PG;

	for (int d = 0; d < 3; d++) {
		struct hostmem hm;
		struct pt_translation t;
		unsigned shift = 30 - 9 * d; /* of the table in the last page */
		uint64_t va =
			((VA & ~(511ull << shift)) | (511ull << shift)) & ~((1ull << shift) - 1);

		setup(&hm);
		uint64_t *lp = hm_entries(&hm, last);
		lp[511] = leaf[d] | PT_E_P | PT_E_RW;
		uint64_t *e = raw_entry(&hm, VA, d);
		*e = (*e & ~PT_E_ADDR) | last;
		ck_assert_int_eq(pt_translate(&hm.b, VA, &t), PT_ERR_NOT_MAPPED);
		ck_assert_int_eq(pt_translate(&hm.b, va + 8, &t), PT_OK);
		ck_assert_uint_eq(t.pa, (leaf[d] & PT_E_ADDR) + 8);
		ck_assert_uint_eq(t.leaf, 1ull << shift);
		ck_assert_int_eq(pt_walk(&hm.b, 0, 0, 0, no_run, NULL), 0);
		ck_assert_int_eq(pt_unmap(&hm.b, va, PG << (9 * (2 - d))), PT_OK);
		ck_assert_uint_eq(lp[511], 0);
		hm_fini(&hm);
	}
}
END_TEST

/* Reserved bits in an entry of the path, at every level. */
START_TEST(test_reserved)
{
	static const struct {
		int d;
		uint64_t bits;
		bool leaf;
	} cases[] = {
		{0, PT_E_PS, false},	/* PS in a PML4E */
		{0, 1ull << 45, false}, /* beyond phys_bits */
		{1, 1ull << 40, false}, /* the same, in a PDPTE */
		{2, 1ull << 50, false}, /* and in a PDE */
		{3, 1ull << 47, true},	/* a 4K leaf beyond phys_bits */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hostmem hm;

		setup(&hm);
		*raw_entry(&hm, VA, cases[i].d) |= cases[i].bits;
		expect_all(&hm, VA, PT_ERR_CORRUPT, cases[i].leaf, "reserved");
		hm_fini(&hm);
	}

	/* Bits 13..20 of a 2M leaf, 13..29 of a 1G leaf; NX without NXE. */
	struct hostmem hm;
	uint64_t va2 = (VA & ~(PT_SIZE_2M - 1)) + PT_SIZE_2M;

	setup(&hm);
	*raw_entry(&hm, va2, 2) |= 1ull << 13;
	expect_all(&hm, va2 + PG, PT_ERR_CORRUPT, true, "2M bit 13");
	*raw_entry(&hm, va2, 2) ^= (1ull << 13) | (1ull << 20);
	expect_all(&hm, va2 + PG, PT_ERR_CORRUPT, true, "2M bit 20");
	*raw_entry(&hm, va2, 2) ^= 1ull << 20;
	*raw_entry(&hm, VA, 1) = 0x40000000 | PT_E_PS | PT_E_P | (1ull << 29);
	expect_all(&hm, VA, PT_ERR_CORRUPT, true, "1G bit 29");
	*raw_entry(&hm, VA, 1) ^= (1ull << 29) | (1ull << 17);
	expect_all(&hm, VA, PT_ERR_CORRUPT, true, "1G bit 17");
	hm.b.caps = PT_CAP_1G;
	*raw_entry(&hm, VA, 1) ^= (1ull << 17) | PT_E_NX;
	expect_all(&hm, VA, PT_ERR_CORRUPT, true, "NX without NXE");
	hm.b.caps = PT_CAP_NX;
	*raw_entry(&hm, VA, 1) ^= PT_E_NX;
	expect_all(&hm, VA, PT_ERR_CORRUPT, true, "1G without PT_CAP_1G");
	hm_fini(&hm);
}
END_TEST

static int reinit(struct hostmem *hm)
{
	return pt_window_init(&hm->b, hm->mem, BASE, SIZE, &hm->h.root);
}

/*
 * caps or phys_bits changed under a window: pt_translate sees that the masks
 * pt_window_init computed are stale (win_key) and walks through the hooks,
 * then through the window again once pt_window_init has taken the change.
 */
START_TEST(test_caps_change)
{
	struct hostmem hm;
	struct pt_translation t;
	const uint64_t va2 = (VA & ~(PT_SIZE_2M - 1)) + PT_SIZE_2M; /* a 2M leaf at 0x40000000 */

	setup(&hm);
	*raw_entry(&hm, va2, 2) |= PT_E_NX;
	ck_assert_int_eq(pt_translate(&hm.b, va2, &t), PT_OK);
	ck_assert_uint_eq(t.prot & PT_PROT_EXEC, 0);
	for (int init = 0; init < 2; init++) {
		for (int change = 0; change < 2; change++) {
			if (change)
				hm.b.phys_bits = 30; /* bit 30 (of BASE) becomes reserved */
			else
				hm.b.caps = CAPS & ~PT_CAP_NX; /* NX becomes reserved */
			if (init)
				ck_assert_int_eq(reinit(&hm), PT_OK);
			ck_assert_int_eq(hm.b.win_key == ~pt_win_key(&hm.b), init);
			expect_all(&hm, va2 + PG, PT_ERR_CORRUPT, true, "stale caps, phys_bits");
			hm.b.caps = CAPS;
			hm.b.phys_bits = PHYS;
			if (init)
				ck_assert_int_eq(reinit(&hm), PT_OK);
			ck_assert_int_eq(pt_translate(&hm.b, va2 + PG, &t), PT_OK);
			ck_assert_uint_eq(t.pa, 0x40000000 + PG);
		}
	}
	hm_fini(&hm);
}
END_TEST

/*
 * The CPU's walk, spelled out for tables without reserved bits: four reads,
 * each entry's address the next table, whatever table that is. *prot gets
 * RW and US ANDed, NX ORed (as PT_PROT_* bits). 0 for a leaf, -1 unmapped.
 */
static int cpu_walk(struct hostmem *hm, uint64_t va, uint64_t *pa, uint32_t *prot)
{
	uint64_t table = hm->h.root, all = ~0ull, any = 0;

	for (int d = 0; d < 4; d++) {
		unsigned shift = 39 - 9 * d;
		uint64_t e = hm_entries(hm, table)[(va >> shift) & 511];

		if (!(e & PT_E_P))
			return -1;
		all &= e;
		any |= e;
		if (d == 3 || (d > 0 && (e & PT_E_PS))) {
			uint64_t off = (1ull << shift) - 1;
			*pa = (e & PT_E_ADDR & ~off) | (va & off);
			*prot = ((all & PT_E_RW) ? PT_PROT_WRITE : 0) |
				((all & PT_E_US) ? PT_PROT_USER : 0) |
				((any & PT_E_NX) ? 0 : PT_PROT_EXEC);
			return 0;
		}
		table = e & PT_E_ADDR;
	}
	return -1;
}

/* va translates as cpu_walk says, through the window and through the hooks, and walks alike. */
static void expect_cpu(struct hostmem *hm, uint64_t va, const char *what)
{
	struct pt_backend hooks = hm->b;
	struct pt_translation t;
	struct t_runs rs = {0};
	uint64_t pa;
	uint32_t prot;
	int want = cpu_walk(hm, va, &pa, &prot) == 0 ? PT_OK : PT_ERR_NOT_MAPPED;

	hooks.window = NULL;
	for (int path = 0; path < 2; path++) {
		const struct pt_backend *b = path ? &hooks : &hm->b;
		int r = pt_translate(b, va, &t);

		ck_assert_msg(r == want, "%s: va %#llx path %d: translate %d, CPU %d", what,
			      (unsigned long long)va, path, r, want);
		if (r == PT_OK)
			ck_assert_msg(t.pa == pa && (t.prot & 7) == prot,
				      "%s: va %#llx path %d: pa %#llx prot %#x, CPU %#llx %#x", what,
				      (unsigned long long)va, path, (unsigned long long)t.pa,
				      t.prot, (unsigned long long)pa, prot);
		rs.n = 0;
		ck_assert_int_eq(pt_walk(b, va & ~(PG - 1), (va & ~(PG - 1)) + PG, 0, t_collect, &rs),
				 0);
		ck_assert_int_eq(rs.n, want == PT_OK);
		if (want == PT_OK)
			ck_assert(rs.r[0].pa == (pa & ~(PG - 1)) && rs.r[0].prot == t.prot);
	}
}

/* Map, unmap and protect through a loop fail with PT_ERR_CORRUPT and change nothing. */
static void expect_writes_refused(struct hostmem *hm, uint64_t va, const char *what)
{
	uint8_t *snap = malloc(SIZE);
	const struct pt_backend *b = &hm->b;
	uint64_t used = hm->h.nr_used;

	ck_assert_ptr_nonnull(snap);
	memcpy(snap, hm->mem, SIZE);
	ck_assert_msg(pt_map(b, va, PA, PG, PROT, 0) == PT_ERR_CORRUPT, "%s: map", what);
	ck_assert_msg(pt_map(b, va, PA, PG, PROT, PT_MAP_REPLACE) == PT_ERR_CORRUPT,
		      "%s: map replace", what);
	ck_assert_msg(pt_map(b, va & ~(PT_SIZE_1G - 1), 0, PT_SIZE_1G, PROT, PT_MAP_REPLACE) ==
			      PT_ERR_CORRUPT,
		      "%s: map 1G", what);
	ck_assert_msg(pt_protect(b, va, PG, PT_PROT_EXEC) == PT_ERR_CORRUPT, "%s: protect", what);
	ck_assert_msg(pt_unmap(b, va, PG) == PT_ERR_CORRUPT, "%s: unmap", what);
	ck_assert_msg(pt_unmap(b, va & ~(PT_SIZE_1G - 1), PT_SIZE_1G) == PT_ERR_CORRUPT,
		      "%s: unmap 1G", what);
	ck_assert_msg(memcmp(snap, hm->mem, SIZE) == 0, "%s: guest memory changed", what);
	ck_assert_uint_eq(hm->h.nr_used, used);
	free(snap);
}

/*
 * Tables that point back at themselves or at an ancestor: the CPU walks them
 * (the next level reads whatever table an entry names), so translate and walk
 * do too; writes through them are refused.
 */
START_TEST(test_loops)
{
	static const struct {
		int d, to; /* the entry at depth d points at the table of depth to */
	} cases[] = {
		{0, 0}, /* a PML4 entry pointing at the PML4 */
		{2, 1}, /* a PD entry pointing back at the PDPT */
		{1, 0}, /* a PDPT entry pointing at the PML4 */
		{2, 2}, /* a PD entry pointing at its own PD */
		{2, 0}, /* a PD entry pointing at the PML4 */
		{1, 1}, /* a PDPT entry pointing at its own PDPT */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hostmem hm;

		setup(&hm);
		uint64_t to = table_at(&hm, VA, cases[i].to);
		uint64_t *e = raw_entry(&hm, VA, cases[i].d);
		*e = (*e & ~PT_E_ADDR) | to;
		for (uint64_t off = 0; off < 4 * PG; off += PG)
			expect_cpu(&hm, VA + off + 8 * i, "loop");
		expect_cpu(&hm, VA + PT_SIZE_2M + 0x123, "loop, next PD entry");
		ck_assert_int_eq(pt_walk(&hm.b, 0, 0, 0, no_run, NULL), 0);
		expect_writes_refused(&hm, VA, "loop");
		/* A range that does not reach the loop is unaffected. */
		ck_assert_int_eq(pt_map(&hm.b, 0x7f0000000000ull, PA, PG, PROT, 0), PT_OK);
		ck_assert_int_eq(pt_unmap(&hm.b, 0x7f0000000000ull, PG), PT_OK);
		hm_fini(&hm);
	}
}
END_TEST

#define REC 510ull /* the recursive slot */
#define RVA(a, b, c, d) \
	(0xffff000000000000ull | (uint64_t)(a) << 39 | (uint64_t)(b) << 30 | (uint64_t)(c) << 21 | \
	 (uint64_t)(d) << 12)

/*
 * The classic recursive mapping, PML4[510] = PML4: the VA with index 510 at
 * every level maps the PML4 page itself, 510 at three levels the tables one
 * level down, and so on; the rights are those of every entry used, ANDed.
 */
START_TEST(test_recursive_slot)
{
	struct hostmem hm;
	struct pt_backend hooks;
	const uint64_t root = (setup(&hm), hm.h.root);
	const uint64_t pdpt = table_at(&hm, VA, 1), pd = table_at(&hm, VA, 2);
	const uint64_t pt = table_at(&hm, VA, 3);
	const uint32_t sup_w = PT_PROT_WRITE; /* 510 is supervisor, writable, NX */

	hm_entries(&hm, root)[REC] = root | PT_E_P | PT_E_RW | PT_E_NX;
	hooks = hm.b;
	hooks.window = NULL;
	for (int path = 0; path < 2; path++) {
		const struct pt_backend *b = path ? &hooks : &hm.b;

		ASSERT_TR(b, RVA(REC, REC, REC, REC), root, sup_w, PT_SIZE_4K);
		ASSERT_TR(b, RVA(REC, REC, REC, REC) + 8 * REC, root + 8 * REC, sup_w, PT_SIZE_4K);
		ASSERT_TR(b, RVA(REC, REC, REC, 1) + 8, pdpt + 8, sup_w, PT_SIZE_4K);
		ASSERT_TR(b, RVA(REC, REC, 1, 1) + 16, pd + 16, sup_w, PT_SIZE_4K);
		ASSERT_TR(b, RVA(REC, 1, 1, 1), pt, sup_w, PT_SIZE_4K);
		/* PD entry 2 is a 2M leaf; read as a PTE its bit 7 is PAT: a 4K page. */
		ASSERT_TR(b, RVA(REC, 1, 1, 2) + 0x10, 0x40000010, sup_w, PT_SIZE_4K);
		ASSERT_UNMAPPED(b, RVA(REC, REC, REC, 2));
		ASSERT_UNMAPPED(b, RVA(REC, 1, 2, 0));
		/* The ordinary mappings are as before. */
		ASSERT_TR(b, VA, PA, PROT, PT_SIZE_4K);
	}
	/* The walk reports the tables as the CPU maps them. */
	struct t_runs rs = {0};
	ck_assert_int_eq(pt_walk(&hm.b, RVA(REC, REC, REC, 0), RVA(REC, REC, REC, 511) + PG, 0,
				 t_collect, &rs),
			 0);
	ck_assert_int_eq(rs.n, 2); /* PML4 entries 1 and 510 */
	ASSERT_RUN(&rs, 0, RVA(REC, REC, REC, 1), pdpt, PG, sup_w, PT_SIZE_4K);
	ASSERT_RUN(&rs, 1, RVA(REC, REC, REC, REC), root, PG, sup_w, PT_SIZE_4K);
	ck_assert_int_eq(pt_walk(&hm.b, 0, 0, 0, no_run, NULL), 0);
	/* Writes there would rewrite the tables themselves: refused, nothing changed. */
	expect_writes_refused(&hm, RVA(REC, REC, REC, REC), "recursive slot");
	expect_writes_refused(&hm, RVA(REC, 5, 6, 7), "below the recursive slot");
	ck_assert_int_eq(pt_unmap(&hm.b, 0xffff800000000000ull, 256 * (1ull << 39)),
			 PT_ERR_CORRUPT);
	ck_assert_int_eq(pt_map(&hm.b, VA + PG, PA, PG, PROT, 0), PT_OK);
	hm_fini(&hm);
}
END_TEST

/* A root outside guest memory or misaligned is refused up front. */
START_TEST(test_bad_root)
{
	struct hostmem hm;
	struct pt_host h;
	struct pt_backend b;
	struct pt_translation t;
	const uint64_t roots[] = {BASE + 8, BASE + SIZE - 8, BASE + SIZE, BASE - PG,
				  0,	    ~0xfffull,	     ~0ull};

	hm_init(&hm, SIZE, BASE, POOL, CAPS, PHYS);
	for (unsigned i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		ck_assert_int_eq(
			pt_host_attach_ro(&h, &b, hm.mem, SIZE, BASE, roots[i], CAPS, PHYS),
			PT_ERR_CORRUPT);
	ck_assert_int_eq(
		pt_host_attach_ro(&h, &b, hm.mem, SIZE, BASE, BASE + SIZE - PG, CAPS, PHYS), PT_OK);
	ck_assert_int_eq(pt_translate(&b, VA, &t), PT_ERR_NOT_MAPPED);
	ck_assert_int_eq(pt_walk(&b, 0, 0, 0, no_run, NULL), 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, PG, PROT, 0), PT_ERR_READONLY);
	hm_fini(&hm);
}
END_TEST

START_TEST(test_host_ptr)
{
	struct hostmem hm;
	const struct pt_host *h = &hm.h;

	hm_init(&hm, SIZE, BASE, POOL, CAPS, PHYS);
	ck_assert_ptr_eq(pt_host_ptr(h, BASE, SIZE), hm.mem);
	ck_assert_ptr_null(pt_host_ptr(h, BASE, SIZE + 1));
	ck_assert_ptr_eq(pt_host_ptr(h, BASE + SIZE - 8, 8), hm.mem + SIZE - 8);
	ck_assert_ptr_null(pt_host_ptr(h, BASE + SIZE - 8, 9));
	ck_assert_ptr_eq(pt_host_ptr(h, BASE + SIZE - PG, PG), hm.mem + SIZE - PG);
	ck_assert_ptr_null(pt_host_ptr(h, BASE + SIZE - PG + 1, PG));
	ck_assert_ptr_eq(pt_host_ptr(h, BASE + SIZE, 0), hm.mem + SIZE); /* empty, at the end */
	ck_assert_ptr_null(pt_host_ptr(h, BASE + SIZE, 1));
	ck_assert_ptr_null(pt_host_ptr(h, BASE - 1, 1));
	ck_assert_ptr_null(pt_host_ptr(h, BASE - 1, 2));
	ck_assert_ptr_null(pt_host_ptr(h, 0, 1));
	/* Overflow: gpa + len wraps. */
	ck_assert_ptr_null(pt_host_ptr(h, ~0ull, 1));
	ck_assert_ptr_null(pt_host_ptr(h, ~0ull - 7, 16));
	ck_assert_ptr_null(pt_host_ptr(h, BASE + 8, ~0ull));
	ck_assert_ptr_null(pt_host_ptr(h, BASE + 8, ~0ull - 7));
	ck_assert_ptr_null(pt_host_ptr(h, BASE + SIZE - 8, ~0ull - SIZE));
	hm_fini(&hm);

	/*
	 * Guest memory ending exactly at 2^64: pt_host_init refuses it (no entry can
	 * hold such addresses), but pt_host_ptr's arithmetic must still hold there.
	 */
	static uint8_t top[2 * PG];
	static uint64_t bm[1];
	struct pt_host th = {.mem = top, .size = 2 * PG, .base = ~0ull - 2 * PG + 1};
	struct pt_backend tb;
	ck_assert_int_eq(pt_host_init(&th, &tb, top, 2 * PG, ~0ull - 2 * PG + 1, ~0ull - 2 * PG + 1,
				      PG, bm, CAPS, 0),
			 PT_ERR_PHYS);
	th = (struct pt_host){.mem = top, .size = 2 * PG, .base = ~0ull - 2 * PG + 1};
	h = &th;
	ck_assert_ptr_eq(pt_host_ptr(h, ~0ull - 7, 8), top + 2 * PG - 8);
	ck_assert_ptr_eq(pt_host_ptr(h, ~0ull, 1), top + 2 * PG - 1);
	ck_assert_ptr_null(pt_host_ptr(h, ~0ull, 2));
	ck_assert_ptr_null(pt_host_ptr(h, ~0ull - 7, 9));
	ck_assert_ptr_null(pt_host_ptr(h, ~0ull - 2 * PG, 1));
	ck_assert_ptr_eq(pt_host_ptr(h, ~0ull - 2 * PG + 1, 2 * PG), top);
}
END_TEST

static int count_runs(void *arg, const struct pt_run *run)
{
	(void)run;
	++*(uint64_t *)arg;
	return 0;
}

/* Tables that alias each other: a walk of everything stops at PT_WALK_MAX_TABLES. */
START_TEST(test_aliased_tables_bounded)
{
	struct hostmem hm;
	uint64_t pdpt = BASE + SIZE - 3 * PG, pd = BASE + SIZE - 2 * PG, pt = BASE + SIZE - PG;
	uint64_t runs = 0, e;

	hm_init(&hm, SIZE, BASE, POOL, CAPS, PHYS);
	uint8_t *root = hm.mem + (hm.h.root - BASE);
	for (unsigned i = 0; i < 512; i++) {
		e = (i < 256 ? pdpt : 0) | PT_E_P | PT_E_RW | PT_E_US;
		if (i < 256)
			memcpy(root + i * 8, &e, 8);
		e = pd | PT_E_P | PT_E_RW | PT_E_US;
		memcpy(hm.mem + (pdpt - BASE) + i * 8, &e, 8);
		e = pt | PT_E_P | PT_E_RW | PT_E_US;
		memcpy(hm.mem + (pd - BASE) + i * 8, &e, 8);
		e = (BASE + (i % 32) * PG) | PT_E_P; /* frames that do not line up: no coalescing */
		memcpy(hm.mem + (pt - BASE) + i * 8, &e, 8);
	}
	ck_assert_int_eq(pt_walk(&hm.b, 0, 0, 0, count_runs, &runs), PT_ERR_CORRUPT);
	ck_assert_uint_gt(runs, 0);
	ck_assert_uint_le(runs, (uint64_t)PT_WALK_MAX_TABLES * 512);
	hm_fini(&hm);
}
END_TEST

static Suite *corrupt_suite(void)
{
	Suite *s = suite_create("pt_corrupt");
	TCase *tc = tcase_create("corrupt");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_pointers);
	tcase_add_test(tc, test_walk_partial);
	tcase_add_test(tc, test_last_page);
	tcase_add_test(tc, test_reserved);
	tcase_add_test(tc, test_caps_change);
	tcase_add_test(tc, test_loops);
	tcase_add_test(tc, test_recursive_slot);
	tcase_add_test(tc, test_bad_root);
	tcase_add_test(tc, test_host_ptr);
	tcase_add_test(tc, test_aliased_tables_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(corrupt_suite());
}
