/* SPDX-License-Identifier: MIT */
/* testmem.c: the test backend and the fenced host-backend set-up. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testmem.h"

/* Index of the table at table address t, or -1 if t is not a live table. */
static int64_t tm_index(const struct testmem *tm, uint64_t t)
{
	if (t < TM_ADDR_BASE || (t & 0xfff))
		return -1;
	uint64_t i = (t - TM_ADDR_BASE) >> 12;
	if (i >= tm->nr || !tm->live[i])
		return -1;
	return (int64_t)i;
}

static uint64_t tm_root(void *ctx)
{
	return ((struct testmem *)ctx)->root;
}

static uint64_t tm_entry_addr(void *ctx, uint64_t table, uint32_t off)
{
	struct testmem *tm = ctx;

	if (off >= 4096 || (off & 7) || tm_index(tm, table) < 0)
		tm->violations++;
	return table + off;
}

/* The entry at entry address a, or NULL (and a violation) if it is not in a live table. */
static uint64_t *tm_slot(struct testmem *tm, uint64_t a)
{
	int64_t i = tm_index(tm, a & ~0xfffull);

	if (i < 0 || (a & 7)) {
		tm->violations++;
		return NULL;
	}
	return &tm->tables[i][(a & 0xfff) / 8];
}

static int tm_read(void *ctx, uint64_t addr, uint64_t *entry)
{
	uint64_t *p = tm_slot(ctx, addr);

	if (!p)
		return -1;
	*entry = *p;
	return 0;
}

static int tm_write(void *ctx, uint64_t addr, uint64_t entry)
{
	uint64_t *p = tm_slot(ctx, addr);

	if (!p)
		return -1;
	*p = entry;
	return 0;
}

static int tm_to_phys(void *ctx, uint64_t table, uint64_t *phys)
{
	struct testmem *tm = ctx;

	if (tm_index(tm, table) < 0) {
		tm->violations++;
		return -1;
	}
	*phys = tm_phys(table);
	return 0;
}

static int tm_from_phys(void *ctx, uint64_t phys, uint64_t *table)
{
	uint64_t t = tm_lookup(ctx, phys);

	if (!t)
		return -1;
	*table = t;
	return 0;
}

static int tm_alloc(void *ctx, uint64_t *table)
{
	struct testmem *tm = ctx;

	if (tm->nr_live >= tm->limit)
		return -1;
	for (uint32_t i = 0; i < tm->nr; i++) {
		if (tm->live[i])
			continue;
		tm->live[i] = 1;
		tm->nr_live++;
		tm->allocs++;
		memset(tm->tables[i], 0, sizeof(tm->tables[i]));
		*table = TM_ADDR_BASE + ((uint64_t)i << 12);
		return 0;
	}
	return -1;
}

static void tm_free(void *ctx, uint64_t table)
{
	struct testmem *tm = ctx;
	int64_t i = tm_index(tm, table);

	if (i < 0 || table == tm->root) {
		tm->violations++;
		return;
	}
	/* Poison, so that a use after free reads garbage that looks corrupt. */
	memset(tm->tables[i], 0xa5, sizeof(tm->tables[i]));
	tm->live[i] = 0;
	tm->nr_live--;
	tm->frees++;
}

void tm_init(struct testmem *tm, struct pt_backend *b, uint32_t nr, uint32_t mode, uint32_t caps,
	     uint32_t phys_bits)
{
	*tm = (struct testmem){.nr = nr, .limit = nr};
	tm->tables = calloc(nr, sizeof(*tm->tables));
	tm->live = calloc(nr, 1);
	ck_assert_ptr_nonnull(tm->tables);
	ck_assert_ptr_nonnull(tm->live);
	tm->root = tm_new_table(tm);
	*b = (struct pt_backend){
		.ctx = tm,
		.root_table = tm_root,
		.entry_addr = tm_entry_addr,
		.read_entry = tm_read,
		.to_phys = tm_to_phys,
		.from_phys = tm_from_phys,
		.caps = caps,
		.phys_bits = phys_bits,
	};
	if (mode & TM_RO)
		return;
	b->alloc_table = tm_alloc;
	b->write_entry = tm_write;
	if (!(mode & TM_NOFREE))
		b->free_table = tm_free;
}

void tm_fini(struct testmem *tm)
{
	free(tm->tables);
	free(tm->live);
}

uint64_t tm_new_table(struct testmem *tm)
{
	uint64_t t;
	uint32_t limit = tm->limit;

	tm->limit = tm->nr;
	ck_assert_int_eq(tm_alloc(tm, &t), 0);
	tm->limit = limit;
	tm->allocs--;
	return t;
}

uint64_t *tm_entries(struct testmem *tm, uint64_t table)
{
	int64_t i = tm_index(tm, table);

	T_ASSERT(i >= 0, "not a live table: %#llx", (unsigned long long)table);
	return tm->tables[i];
}

uint64_t tm_phys(uint64_t table)
{
	return table - TM_ADDR_BASE + TM_PHYS_BASE;
}

uint64_t tm_lookup(const struct testmem *tm, uint64_t phys)
{
	if (phys < TM_PHYS_BASE || (phys & 0xfff))
		return 0;
	uint64_t t = phys - TM_PHYS_BASE + TM_ADDR_BASE;
	return tm_index(tm, t) < 0 ? 0 : t;
}

void hm_init(struct hostmem *hm, uint64_t size, uint64_t base, uint64_t tbl_len, uint32_t caps,
	     uint32_t phys_bits)
{
	*hm = (struct hostmem){.size = size, .base = base, .map_len = size + 2 * 4096};
	hm->map =
		mmap(NULL, hm->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(hm->map, MAP_FAILED);
	hm->mem = hm->map + 4096;
	ck_assert_int_eq(mprotect(hm->map, 4096, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(hm->mem + size, 4096, PROT_NONE), 0);
	hm->bitmap = calloc(PT_HOST_BITMAP_WORDS(tbl_len) + 1, sizeof(uint64_t));
	ck_assert_ptr_nonnull(hm->bitmap);
	ck_assert_int_eq(pt_host_init(&hm->h, &hm->b, hm->mem, size, base, base + size - tbl_len,
				      tbl_len, hm->bitmap, caps, phys_bits),
			 PT_OK);
}

void hm_fini(struct hostmem *hm)
{
	munmap(hm->map, hm->map_len);
	free(hm->bitmap);
}

uint64_t *hm_entries(struct hostmem *hm, uint64_t gpa)
{
	uint64_t *p = pt_host_ptr(&hm->h, gpa, 4096);

	ck_assert_ptr_nonnull(p);
	return p;
}

uint64_t *tm_raw_entry(struct testmem *tm, uint64_t va, int d)
{
	uint64_t table = tm->root;

	for (int i = 0;; i++) {
		uint64_t *e = &tm_entries(tm, table)[(va >> (39 - 9 * i)) & 511];

		if (i == d)
			return e;
		table = tm_lookup(tm, *e & PT_E_ADDR);
	}
}

int t_collect(void *arg, const struct pt_run *run)
{
	struct t_runs *rs = arg;

	if (rs->n < T_MAX_RUNS)
		rs->r[rs->n] = *run;
	rs->n++;
	return rs->n == rs->stop_at ? 42 : 0;
}

struct t_runs t_all_runs(const struct pt_backend *b, uint32_t flags)
{
	struct t_runs rs = {0};

	ck_assert_int_eq(pt_walk(b, 0, 0, flags, t_collect, &rs), 0);
	return rs;
}

void t_assert_run(int line, const struct t_runs *rs, int i, uint64_t va, uint64_t pa, uint64_t len,
		  uint32_t prot, uint64_t leaf)
{
	const struct pt_run *r = &rs->r[i];

	ck_assert_msg(i < rs->n && i < T_MAX_RUNS, "line %d: run %d of %d", line, i, rs->n);
	ck_assert_msg(r->va == va && r->pa == pa && r->len == len && r->prot == prot &&
			      r->leaf == leaf,
		      "line %d: run %d is %#" PRIx64 "+%#" PRIx64 " -> %#" PRIx64
		      " prot %#x leaf %#" PRIx64 ", want %#" PRIx64 "+%#" PRIx64 " -> %#" PRIx64
		      " prot %#x leaf %#" PRIx64,
		      line, i, r->va, r->len, r->pa, r->prot, r->leaf, va, len, pa, prot, leaf);
}

void t_assert_tr(int line, const struct pt_backend *b, uint64_t va, uint64_t pa, uint32_t prot,
		 uint64_t leaf)
{
	struct pt_translation t;
	int r = pt_translate(b, va, &t);

	ck_assert_msg(r == PT_OK, "line %d: translate %#" PRIx64 ": %d", line, va, r);
	ck_assert_msg(t.pa == pa && t.prot == prot && t.leaf == leaf,
		      "line %d: %#" PRIx64 " -> %#" PRIx64 " prot %#x leaf %#" PRIx64
		      ", want %#" PRIx64 " prot %#x leaf %#" PRIx64,
		      line, va, t.pa, t.prot, t.leaf, pa, prot, leaf);
}

void t_assert_unmapped(int line, const struct pt_backend *b, uint64_t va)
{
	struct pt_translation t;
	int r = pt_translate(b, va, &t);

	ck_assert_msg(r == PT_ERR_NOT_MAPPED, "line %d: translate %#" PRIx64 ": %d, want %d", line,
		      va, r, PT_ERR_NOT_MAPPED);
}

int t_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
