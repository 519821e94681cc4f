/* SPDX-License-Identifier: MIT */
/*
 * test_pt_random.c: seeded random sequences of pt_map, pt_unmap and
 * pt_protect over 5 GiB of virtual space in both canonical halves, checked
 * after every step against a page-granular model (one word per 4 KiB page).
 *
 * The seed is printed; PT_SEED=<number> replays another one.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "testmem.h"

#define PG  4096ull
#define G1  PT_SIZE_1G
#define M2  PT_SIZE_2M
#define NRG 4

/* The regions ops touch, ascending; each is a multiple of 1 GiB, 1 GiB aligned. */
static const struct region {
	uint64_t va, len, first; /* first: model index of its first page */
} regions[NRG] = {
	{0x0000007fc0000000ull, 2 * G1, 0},	  /* across PML4 entries 0 and 1 */
	{0x00007fffc0000000ull, G1, 2 * G1 / PG}, /* top of the lower half */
	{0xffff800000000000ull, G1, 3 * G1 / PG}, /* bottom of the upper half */
	{0xffffffffc0000000ull, G1, 4 * G1 / PG}, /* top of the address space */
};
#define NPAGES (5 * G1 / PG)

static const struct cfg {
	const char *name;
	bool host;     /* the host backend at a nonzero base, else testmem */
	uint32_t mode; /* tm_init mode */
	uint32_t caps, phys_bits, ops;
} cfgs[] = {
	{"host, NX+1G", true, 0, PT_CAP_NX | PT_CAP_1G, 46, 40000},
	{"testmem, NX", false, 0, PT_CAP_NX, 40, 30000},
	{"testmem, 1G, no NX", false, 0, PT_CAP_1G, 0, 25000},
	{"testmem, NX+1G, no free_table", false, TM_NOFREE, PT_CAP_NX | PT_CAP_1G, 44, 15000},
};

static const uint32_t prots[] = {
	PT_PROT_WRITE,
	PT_PROT_EXEC,
	0,
	PT_PROT_WRITE | PT_PROT_USER,
	PT_PROT_USER | PT_PROT_EXEC | PT_PROT_GLOBAL,
	PT_PROT_WRITE | PT_PROT_PWT | PT_PROT_PCD,
};

static uint64_t seed = 0x6b766d6c65742021ull;

/* A model page: 0 when unmapped, else pa | prot << 1 | 1. */
#define M_PRESENT 1ull
#define M_PA(m)	  ((m) & ~0xfffull)
#define M_PROT(m) ((uint32_t)((m) >> 1) & PT_PROT_MASK)

struct ctx {
	const struct cfg *cfg;
	struct pt_backend *b;
	struct testmem tm;
	struct hostmem hm;
	uint64_t *model;
	uint64_t rng;
	uint64_t recent_va[32], recent_len[32]; /* recent successful maps, for protect */
	unsigned long leaves[3], exists, not_mapped, large_checked;
};

static uint64_t rnd(struct ctx *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dull;
}

static uint64_t below(struct ctx *c, uint64_t n)
{
	return rnd(c) % n;
}

/* The model word of va, or NULL outside the regions. */
static uint64_t *slot(struct ctx *c, uint64_t va)
{
	for (int i = 0; i < NRG; i++)
		if (va - regions[i].va < regions[i].len)
			return &c->model[regions[i].first + (va - regions[i].va) / PG];
	return NULL;
}

/* The model word of va, which must lie in a region. */
static uint64_t *page(struct ctx *c, uint64_t va)
{
	uint64_t *s = slot(c, va);

	if (!s)
		ck_abort_msg("va %#" PRIx64 " outside the regions", va);
	return s;
}

static uint64_t live_tables(const struct ctx *c)
{
	return c->cfg->host ? c->hm.h.nr_used : c->tm.nr_live;
}

/* --- checks --- */

/* A large leaf must be backed by a model block that is one contiguous mapping. */
static void check_large_leaf(struct ctx *c, uint64_t va, const struct pt_translation *t)
{
	uint64_t start = va & ~(t->leaf - 1), base = t->pa & ~(t->leaf - 1);
	uint64_t m0 = *page(c, start);

	c->large_checked++;
	for (uint64_t off = 0; off < t->leaf; off += PG) {
		uint64_t m = *page(c, start + off);

		T_ASSERT(m == ((m0 & 0xfff) | (base + off)),
			 "leaf %#" PRIx64 " at %#" PRIx64 ": model page +%#" PRIx64 " is %#" PRIx64,
			 t->leaf, start, off, m);
	}
}

static void check_va(struct ctx *c, uint64_t va)
{
	uint64_t *s = slot(c, va & ~(PG - 1));
	struct pt_translation t;
	int r;

	if (!s)
		return;
	r = pt_translate(c->b, va, &t);
	if (!*s) {
		T_ASSERT(r == PT_ERR_NOT_MAPPED, "va %#" PRIx64 ": %d, model unmapped", va, r);
		return;
	}
	T_ASSERT(r == PT_OK, "va %#" PRIx64 ": %d, model %#" PRIx64, va, r, *s);
	T_ASSERT(t.pa == M_PA(*s) + (va & (PG - 1)) && t.prot == M_PROT(*s),
		 "va %#" PRIx64 ": pa %#" PRIx64 " prot %#x, model %#" PRIx64, va, t.pa, t.prot,
		 *s);
	T_ASSERT(t.leaf == PG || t.leaf == M2 || (t.leaf == G1 && (c->cfg->caps & PT_CAP_1G)),
		 "va %#" PRIx64 ": leaf %#" PRIx64, va, t.leaf);
	c->leaves[t.leaf == PG ? 0 : t.leaf == M2 ? 1 : 2]++;
	if (t.leaf == M2 || (t.leaf == G1 && c->leaves[2] % 64 == 1))
		check_large_leaf(c, va, &t);
}

/* Streams pt_walk's runs against the model, from cursor va on. */
struct cmp {
	struct ctx *c;
	uint64_t cursor; /* the model is compared below it */
	bool have_prev;
	struct pt_run prev;
};

/* Every model page of [lo, hi) (within the regions) must be unmapped. */
static void check_hole(struct ctx *c, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < NRG; i++) {
		uint64_t a = regions[i].va;

		for (uint64_t va = a > lo ? a : lo; va - a < regions[i].len && (!hi || va < hi);
		     va += PG)
			T_ASSERT(!*page(c, va), "va %#" PRIx64 ": model mapped, walk has a hole",
				 va);
	}
}

static int cmp_run(void *arg, const struct pt_run *r)
{
	struct cmp *k = arg;
	uint64_t *s = slot(k->c, r->va);

	T_ASSERT(s && slot(k->c, r->va + r->len - PG) && r->len && r->va >= k->cursor,
		 "run %#" PRIx64 "+%#" PRIx64 " outside the regions or out of order", r->va,
		 r->len);
	check_hole(k->c, k->cursor, r->va);
	for (uint64_t off = 0; off < r->len; off += PG) {
		uint64_t m = *page(k->c, r->va + off);

		T_ASSERT(m == ((uint64_t)r->prot << 1 | M_PRESENT | (r->pa + off)),
			 "run %#" PRIx64 "+%#" PRIx64 " -> %#" PRIx64 " prot %#x: page +%#" PRIx64
			 " model %#" PRIx64,
			 r->va, r->len, r->pa, r->prot, off, m);
	}
	/* Coalesced: a run never continues the previous one. */
	T_ASSERT(!k->have_prev || k->prev.va + k->prev.len != r->va ||
			 k->prev.pa + k->prev.len != r->pa || k->prev.prot != r->prot,
		 "runs at %#" PRIx64 " and %#" PRIx64 " not coalesced", k->prev.va, r->va);
	k->prev = *r;
	k->have_prev = true;
	k->cursor = r->va + r->len;
	return 0;
}

/* pt_walk over [lo, hi) (hi 0: the top) equals the model there. */
static void check_walk(struct ctx *c, uint64_t lo, uint64_t hi)
{
	struct cmp k = {.c = c, .cursor = lo};
	int r = pt_walk(c->b, lo, hi, 0, cmp_run, &k);

	T_ASSERT(r == 0, "pt_walk %#" PRIx64 "-%#" PRIx64 ": %d", lo, hi, r);
	if (k.cursor != 0 || !k.have_prev) /* 0: the last run reached the top */
		check_hole(c, k.cursor, hi);
}

/* --- ops --- */

/* A random range inside one region: small, around 2M boundaries, medium, or 1G. */
static void gen_range(struct ctx *c, uint64_t *va, uint64_t *len)
{
	const struct region *g = &regions[below(c, 6) % NRG]; /* regions 0 and 1 twice as likely */
	uint64_t kind = below(c, 1000), off, n;

	if (kind < 500) {
		off = below(c, g->len / PG) * PG;
		n = (1 + below(c, 16)) * PG;
	} else if (kind < 800) {
		off = below(c, g->len / M2) * M2;
		n = (1 + below(c, 3)) * M2;
		if (below(c, 2))
			off += below(c, 3) * PG, n += below(c, 3) * PG;
	} else if (kind < 997) {
		off = below(c, g->len / PG) * PG;
		n = (1 + below(c, 2048)) * PG;
	} else {
		off = below(c, g->len / G1) * G1;
		n = G1 + (below(c, 2) ? M2 : 0);
	}
	if (off >= g->len)
		off = g->len - PG;
	if (n > g->len - off)
		n = g->len - off;
	*va = g->va + off;
	*len = n;
}

static void do_map(struct ctx *c, uint64_t va, uint64_t len)
{
	uint32_t prot = prots[below(c, sizeof(prots) / sizeof(prots[0]))];
	uint32_t opts = (below(c, 4) == 0 ? PT_MAP_REPLACE : 0) |
			(below(c, 10) == 0 ? PT_MAP_NO_2M : 0) |
			(below(c, 10) == 0 ? PT_MAP_NO_1G : 0);
	/* Mostly congruent with va modulo 1 GiB, so that large leaves fit; else anywhere. */
	uint64_t pa = below(c, 4) ? (below(c, 64) << 30) | (va & (G1 - 1))
				  : below(c, (64 * G1) / PG) * PG;
	uint32_t eff = prot | ((c->cfg->caps & PT_CAP_NX) ? 0 : PT_PROT_EXEC);
	bool busy = false;
	int want, r;

	for (uint64_t off = 0; off < len && !busy; off += PG)
		busy = *page(c, va + off) != 0;
	want = busy && !(opts & PT_MAP_REPLACE) ? PT_ERR_EXISTS : PT_OK;
	r = pt_map(c->b, va, pa, len, prot, opts);
	T_ASSERT(r == want, "map %#" PRIx64 "+%#" PRIx64 " -> %#" PRIx64 " opts %#x: %d, want %d",
		 va, len, pa, opts, r, want);
	if (r == PT_ERR_EXISTS) {
		c->exists++;
		return;
	}
	for (uint64_t off = 0; off < len; off += PG)
		*page(c, va + off) = (pa + off) | (uint64_t)eff << 1 | M_PRESENT;
	unsigned i = (unsigned)below(c, 32);
	c->recent_va[i] = va;
	c->recent_len[i] = len;
}

static void do_unmap(struct ctx *c, uint64_t va, uint64_t len)
{
	int r = pt_unmap(c->b, va, len);

	T_ASSERT(r == PT_OK, "unmap %#" PRIx64 "+%#" PRIx64 ": %d", va, len, r);
	for (uint64_t off = 0; off < len; off += PG)
		*page(c, va + off) = 0;
}

static void do_protect(struct ctx *c, uint64_t va, uint64_t len)
{
	uint32_t prot = prots[below(c, sizeof(prots) / sizeof(prots[0]))];
	uint32_t eff = prot | ((c->cfg->caps & PT_CAP_NX) ? 0 : PT_PROT_EXEC);
	bool hole = false;
	int r;

	for (uint64_t off = 0; off < len && !hole; off += PG)
		hole = *page(c, va + off) == 0;
	r = pt_protect(c->b, va, len, prot);
	T_ASSERT(r == (hole ? PT_ERR_NOT_MAPPED : PT_OK),
		 "protect %#" PRIx64 "+%#" PRIx64 ": %d, hole %d", va, len, r, hole);
	if (hole) {
		c->not_mapped++;
		return;
	}
	for (uint64_t off = 0; off < len; off += PG) {
		uint64_t *s = page(c, va + off);
		*s = M_PA(*s) | (uint64_t)eff << 1 | M_PRESENT;
	}
}

/* Protect mostly a piece of a recent map, which is likely still mapped. */
static void gen_protect_range(struct ctx *c, uint64_t *va, uint64_t *len)
{
	unsigned i = (unsigned)below(c, 32);

	if (below(c, 3) == 0 || !c->recent_len[i] || !slot(c, c->recent_va[i])) {
		gen_range(c, va, len);
		return;
	}
	uint64_t pages = c->recent_len[i] / PG, skip = below(c, pages);
	*va = c->recent_va[i] + skip * PG;
	*len = (1 + below(c, pages - skip)) * PG;
	if (!slot(c, *va + *len - PG))
		gen_range(c, va, len);
}

static void step(struct ctx *c)
{
	uint64_t kind = below(c, 100), va, len;

	if (kind < 45) {
		gen_range(c, &va, &len);
		do_map(c, va, len);
	} else if (kind < 75) {
		gen_range(c, &va, &len);
		do_unmap(c, va, len);
	} else {
		gen_protect_range(c, &va, &len);
		do_protect(c, va, len);
	}
	/* Edges of the range, inside it, and anywhere. */
	const uint64_t probes[] = {va - PG,
				   va,
				   va + len - PG,
				   va + len,
				   va + below(c, len),
				   va + below(c, len),
				   va + (below(c, len) & ~(M2 - 1))};
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		check_va(c, probes[i]);
	for (int i = 0; i < 2; i++) {
		const struct region *g = &regions[below(c, NRG)];
		check_va(c, g->va + below(c, g->len));
	}
	/* The walk of the range and a page either side equals the model. */
	const struct region *g = &regions[0];
	while (va - g->va >= g->len)
		g++;
	uint64_t lo = va > g->va ? va - PG : va, hi = va + len;
	if (hi != g->va + g->len)
		hi += PG;
	check_walk(c, lo, hi);
}

START_TEST(test_random)
{
	struct ctx *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->cfg = &cfgs[_i];
	c->rng = seed ^ ((uint64_t)(_i + 1) * 0x9e3779b97f4a7c15ull);
	c->model = calloc(NPAGES, sizeof(uint64_t));
	ck_assert_ptr_nonnull(c->model);
	if (c->cfg->host) {
		hm_init(&c->hm, 17 << 20, 0x40000000, 16 << 20, c->cfg->caps, c->cfg->phys_bits);
		c->b = &c->hm.b;
	} else {
		c->b = malloc(sizeof(*c->b));
		ck_assert_ptr_nonnull(c->b);
		tm_init(&c->tm, c->b, (c->cfg->mode & TM_NOFREE) ? 16384 : 4096, c->cfg->mode,
			c->cfg->caps, c->cfg->phys_bits);
	}

	for (uint32_t n = 1; n <= c->cfg->ops; n++) {
		step(c);
		if (n % 5000 == 0)
			check_walk(c, 0, 0);
	}
	printf("%s: %" PRIu32 " ops; leaves seen 4K %lu 2M %lu 1G %lu (%lu large checked); "
	       "EXISTS %lu, NOT_MAPPED %lu; %" PRIu64 " tables\n",
	       c->cfg->name, c->cfg->ops, c->leaves[0], c->leaves[1], c->leaves[2],
	       c->large_checked, c->exists, c->not_mapped, live_tables(c));
	fflush(stdout);
	ck_assert(c->leaves[0] && c->leaves[1] && c->exists > 100 && c->not_mapped > 100);
	ck_assert(!c->leaves[2] == !(c->cfg->caps & PT_CAP_1G));

	/* Unmapping everything gives every table back but the root (given free_table). */
	ck_assert_int_eq(pt_unmap(c->b, 0, 0x0000800000000000ull), PT_OK);
	ck_assert_int_eq(pt_unmap(c->b, 0xffff800000000000ull, 0x0000800000000000ull), PT_OK);
	if (!(c->cfg->mode & TM_NOFREE))
		ck_assert_uint_eq(live_tables(c), 1);
	for (uint64_t i = 0; i < NPAGES; i++)
		c->model[i] = 0;
	check_walk(c, 0, 0);
	if (c->cfg->host) {
		hm_fini(&c->hm);
	} else {
		ck_assert_uint_eq(c->tm.violations, 0);
		ck_assert_uint_eq(c->tm.allocs,
				  (c->cfg->mode & TM_NOFREE) ? c->tm.nr_live - 1 : c->tm.frees);
		tm_fini(&c->tm);
		free(c->b);
	}
	free(c->model);
	free(c);
}
END_TEST

int main(void)
{
	const char *env = getenv("PT_SEED");
	Suite *s = suite_create("pt_random");
	TCase *tc = tcase_create("random");

	if (env)
		seed = strtoull(env, NULL, 0);
	printf("test_pt_random: seed %#" PRIx64 " (PT_SEED=<n> to replay another)\n", seed);
	fflush(stdout);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_random, 0, sizeof(cfgs) / sizeof(cfgs[0]));
	suite_add_tcase(s, tc);
	return t_run(s);
}
