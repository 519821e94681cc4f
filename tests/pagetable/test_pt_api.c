/* SPDX-License-Identifier: MIT */
/*
 * test_pt_api.c: the error contract of pagetable.h and pt_host.h, case by
 * case: argument errors, read-only backends, running out of tables (nothing
 * changes), failing backend accesses, pt_strerror, pt_host_init's checks.
 */
#include <stdlib.h>
#include <string.h>

#include "testmem.h"

#define CAPS  (PT_CAP_NX | PT_CAP_1G)
#define VA    0x0000123440000000ull /* 1 GiB aligned, lower half */
#define PA    0x0000000280000000ull /* 1 GiB aligned */
#define UPPER 0xffff800000000000ull
#define RW    (PT_PROT_WRITE)
#define RX    (PT_PROT_EXEC)

START_TEST(test_arg_errors)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs = {0};
	struct pt_translation t;

	tm_init(&tm, &b, 16, 0, CAPS, 40);
	ck_assert_int_eq(pt_map(&b, VA + 1, PA, 4096, RW, 0), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_map(&b, VA, PA + 8, 4096, RW, 0), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_map(&b, VA, PA, 4095, RW, 0), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_map(&b, VA, PA, 0, RW, 0), PT_ERR_RANGE);
	ck_assert_int_eq(pt_map(&b, ~0xfffull, PA, 0x2000, RW, 0), PT_ERR_RANGE);
	ck_assert_int_eq(pt_map(&b, VA, ~0xfffull, 0x2000, RW, 0), PT_ERR_RANGE);
	ck_assert_int_eq(pt_map(&b, 0x0000800000000000ull, PA, 4096, RW, 0), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_map(&b, 0x00007ffffffff000ull, PA, 0x2000, RW, 0), PT_ERR_NONCANON);
	ck_assert_int_eq(
		pt_map(&b, 0x00007ffffffff000ull, PA, UPPER + 0x2000 - 0x7ffffffff000ull, RW, 0),
		PT_ERR_NONCANON); /* both ends canonical, the hole in between */
	ck_assert_int_eq(pt_map(&b, UPPER - 0x1000, PA, 0x2000, RW, 0), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_map(&b, VA, PA, 4096, PT_PROT_MASK + 1, 0), PT_ERR_INVAL);
	ck_assert_int_eq(pt_map(&b, VA, PA, 4096, RW, PT_MAP_MASK + 1), PT_ERR_INVAL);
	ck_assert_int_eq(pt_map(&b, VA, 1ull << 40, 4096, RW, 0), PT_ERR_PHYS);
	ck_assert_int_eq(pt_map(&b, VA, (1ull << 40) - 4096, 0x2000, RW, 0), PT_ERR_PHYS);

	ck_assert_int_eq(pt_unmap(&b, VA + 0x800, 4096), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_unmap(&b, VA, 0x800), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_unmap(&b, VA, 0), PT_ERR_RANGE);
	ck_assert_int_eq(pt_unmap(&b, ~0xfffull, 0x2000), PT_ERR_RANGE);
	ck_assert_int_eq(pt_unmap(&b, 0x0000900000000000ull, 4096), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_unmap(&b, 0x00007ffffffff000ull, 0x2000), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_protect(&b, VA, 4096, 1u << 6), PT_ERR_INVAL);
	ck_assert_int_eq(pt_protect(&b, VA + 4, 4096, RW), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_protect(&b, VA, 0, RW), PT_ERR_RANGE);
	ck_assert_int_eq(pt_protect(&b, UPPER - 0x1000, 0x2000, RW), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_translate(&b, 0x0000800000000000ull, &t), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_translate(&b, 0x8000000000000000ull, &t), PT_ERR_NONCANON);

	ck_assert_int_eq(pt_walk(&b, 0, 0, 2, t_collect, &rs), PT_ERR_INVAL);
	ck_assert_int_eq(pt_walk(&b, 0x10, 0, 0, t_collect, &rs), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_walk(&b, 0, 0x1010, 0, t_collect, &rs), PT_ERR_ALIGN);
	ck_assert_int_eq(pt_walk(&b, 0x0000800000000000ull, 0, 0, t_collect, &rs), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_walk(&b, 0, 0x0000800000001000ull, 0, t_collect, &rs), PT_ERR_NONCANON);
	ck_assert_int_eq(pt_walk(&b, VA + 0x2000, VA, 0, t_collect, &rs), PT_ERR_RANGE);
	ck_assert_int_eq(pt_walk(&b, VA, VA, 0, t_collect, &rs), 0);
	ck_assert_int_eq(rs.n, 0);

	/* The limits themselves are fine. */
	ck_assert_int_eq(pt_map(&b, VA, (1ull << 40) - 4096, 4096, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, 0x00007ffffffff000ull, 0, 4096, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, UPPER, 0, 4096, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, ~0xfffull, 0, 4096, RW, 0), PT_OK);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 4);
	b.phys_bits = 0; /* 52 */
	ck_assert_int_eq(pt_map(&b, VA + 4096, (1ull << 52) - 4096, 4096, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, VA + 8192, 1ull << 52, 4096, RW, 0), PT_ERR_PHYS);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

START_TEST(test_readonly)
{
	struct testmem tm;
	struct pt_backend b, ro;
	struct pt_translation t;

	tm_init(&tm, &b, 16, 0, CAPS, 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, 0x3000, RW, 0), PT_OK);
	uint8_t *snap = malloc(16 * 4096);
	ck_assert_ptr_nonnull(snap);
	memcpy(snap, tm.tables, 16 * 4096);
	for (int m = 0; m < 3; m++) {
		/* No write side at all (m 0), or only half of one. */
		ro = b;
		ro.free_table = NULL;
		if (m != 1)
			ro.alloc_table = NULL;
		if (m != 2)
			ro.write_entry = NULL;
		ck_assert_int_eq(pt_map(&ro, VA + 0x10000, PA, 4096, RW, 0), PT_ERR_READONLY);
		ck_assert_int_eq(pt_map(&ro, VA, PA, 4096, RW, PT_MAP_REPLACE), PT_ERR_READONLY);
		ck_assert_int_eq(pt_unmap(&ro, VA, 0x3000), PT_ERR_READONLY);
		ck_assert_int_eq(pt_protect(&ro, VA, 0x3000, RX), PT_ERR_READONLY);
		ck_assert_int_eq(pt_translate(&ro, VA + 0x1234, &t), PT_OK);
		ck_assert_uint_eq(t.pa, PA + 0x1234);
		ck_assert_int_eq(memcmp(snap, tm.tables, 16 * 4096), 0);
	}
	ck_assert_uint_eq(tm.nr_live, 4);
	free(snap);
	tm_fini(&tm);

	/* A backend made read-only from the start. */
	tm_init(&tm, &b, 16, TM_RO, CAPS, 0);
	ck_assert_ptr_null(b.write_entry);
	ck_assert_int_eq(pt_map(&b, VA, PA, 4096, RW, 0), PT_ERR_READONLY);
	ck_assert_int_eq(pt_unmap(&b, VA, 4096), PT_ERR_READONLY);
	ck_assert_int_eq(pt_protect(&b, VA, 4096, RW), PT_ERR_READONLY);
	ck_assert_uint_eq(tm.nr_live, 1);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

START_TEST(test_nomem_map)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs;

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	tm.limit = 3; /* root, PDPT, PD: no page table */
	ck_assert_int_eq(pt_map(&b, VA, PA, 4096, RW, 0), PT_ERR_NOMEM);
	ck_assert_int_eq(t_all_runs(&b, 0).n, 0);

	/* 2M + 2M fit, the 4K tail does not: the two 2M leaves are rolled back. */
	ck_assert_int_eq(pt_map(&b, VA + PT_SIZE_1G - PT_SIZE_2M, PA, PT_SIZE_2M, RX, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, VA, PA, 2 * PT_SIZE_2M + 4096, RW, PT_MAP_NO_1G), PT_ERR_NOMEM);
	ASSERT_UNMAPPED(&b, VA);
	ASSERT_UNMAPPED(&b, VA + PT_SIZE_2M);
	ASSERT_UNMAPPED(&b, VA + 2 * PT_SIZE_2M);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 1);
	ASSERT_RUN(&rs, 0, VA + PT_SIZE_1G - PT_SIZE_2M, PA, PT_SIZE_2M, RX, PT_SIZE_2M);

	/* Failing half way in a fresh 1 GiB region, in the upper half. */
	tm.limit = tm.nr_live + 2; /* PDPT and PD, no PT */
	ck_assert_int_eq(pt_map(&b, UPPER, PA + 4096, 0x5000, RW, 0), PT_ERR_NOMEM);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 1);
	tm.limit = tm.nr;
	ck_assert_int_eq(pt_map(&b, UPPER, PA + 4096, 0x5000, RW, 0), PT_OK);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

/* Unmapping or protecting part of a large leaf needs tables to split it. */
START_TEST(test_nomem_split)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs;
	const uint32_t prot = RW | PT_PROT_GLOBAL;

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G + PT_SIZE_2M, prot, 0), PT_OK);
	ASSERT_TR(&b, VA + 5, PA + 5, prot, PT_SIZE_1G);
	ASSERT_TR(&b, VA + PT_SIZE_1G + 5, PA + PT_SIZE_1G + 5, prot, PT_SIZE_2M);
	uint64_t live = tm.nr_live;

	tm.limit = tm.nr_live;
	ck_assert_int_eq(pt_unmap(&b, VA + PT_SIZE_1G + 0x3000, 4096), PT_ERR_NOMEM);
	ck_assert_int_eq(pt_protect(&b, VA + PT_SIZE_1G + 0x3000, 4096, RX), PT_ERR_NOMEM);
	ck_assert_int_eq(pt_unmap(&b, VA + 0x3000, 4096), PT_ERR_NOMEM);
	ck_assert_int_eq(pt_protect(&b, VA + 0x3000, 4096, RX), PT_ERR_NOMEM);
	/* One table: the 1 GiB leaf can be split into 2 MiB leaves, not further. */
	tm.limit = tm.nr_live + 1;
	ck_assert_int_eq(pt_unmap(&b, VA + 0x3000, 4096), PT_ERR_NOMEM);
	tm.limit = tm.nr_live;
	ck_assert_int_eq(pt_protect(&b, VA + PT_SIZE_2M - 4096, 4096, RX), PT_ERR_NOMEM);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 1);
	ASSERT_RUN(&rs, 0, VA, PA, PT_SIZE_1G + PT_SIZE_2M, prot, PT_SIZE_2M);
	ck_assert_uint_le(tm.nr_live, live + 1);

	/* Whole leaves need no table: a 2 MiB piece of the split 1 GiB leaf, the 2M leaf. */
	ck_assert_int_eq(pt_unmap(&b, VA + PT_SIZE_2M, PT_SIZE_2M), PT_OK);
	ASSERT_UNMAPPED(&b, VA + PT_SIZE_2M);
	ck_assert_int_eq(pt_protect(&b, VA + PT_SIZE_1G, PT_SIZE_2M, RX), PT_OK);
	ASSERT_TR(&b, VA + PT_SIZE_1G + 5, PA + PT_SIZE_1G + 5, RX, PT_SIZE_2M);
	ck_assert_int_eq(pt_protect(&b, VA + 4 * PT_SIZE_2M, 2 * PT_SIZE_2M, RX), PT_OK);
	ASSERT_TR(&b, VA + 5 * PT_SIZE_2M, PA + 5 * PT_SIZE_2M, RX, PT_SIZE_2M);
	ASSERT_TR(&b, VA + 6 * PT_SIZE_2M, PA + 6 * PT_SIZE_2M, prot, PT_SIZE_2M);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

static int fail_read(void *ctx, uint64_t addr, uint64_t *entry)
{
	(void)ctx;
	(void)addr;
	(void)entry;
	return -1;
}

/* A backend access that fails is PT_ERR_BACKEND, whatever the operation. */
START_TEST(test_backend_error)
{
	struct testmem tm;
	struct pt_backend b, bad;
	struct pt_translation t;
	struct t_runs rs = {0};

	tm_init(&tm, &b, 16, 0, CAPS, 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, 4096, RW, 0), PT_OK);
	bad = b;
	bad.read_entry = fail_read;
	ck_assert_int_eq(pt_translate(&bad, VA, &t), PT_ERR_BACKEND);
	ck_assert_int_eq(pt_walk(&bad, 0, 0, 0, t_collect, &rs), PT_ERR_BACKEND);
	ck_assert_int_eq(pt_map(&bad, VA + 4096, PA, 4096, RW, 0), PT_ERR_BACKEND);
	ck_assert_int_eq(pt_map(&bad, VA + 4096, PA, 4096, RW, PT_MAP_REPLACE), PT_ERR_BACKEND);
	ck_assert_int_eq(pt_unmap(&bad, VA, 4096), PT_ERR_BACKEND);
	ck_assert_int_eq(pt_protect(&bad, VA, 4096, RX), PT_ERR_BACKEND);
	ck_assert_int_eq(rs.n, 0);
	ASSERT_TR(&b, VA, PA, RW, PT_SIZE_4K);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

START_TEST(test_strerror)
{
	const char *seen[12];
	const char *unknown = pt_strerror(-1000);

	ck_assert_ptr_nonnull(unknown);
	ck_assert_str_eq(pt_strerror(1), unknown);
	ck_assert_str_eq(pt_strerror(PT_ERR_BACKEND - 1), unknown);
	for (int e = 0; e >= PT_ERR_BACKEND; e--) {
		const char *s = pt_strerror(e);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 4);
		ck_assert_str_ne(s, unknown);
		for (int j = 0; j < -e; j++)
			ck_assert_str_ne(s, seen[j]);
		seen[-e] = s;
	}
}
END_TEST

START_TEST(test_host_init)
{
	struct pt_host h;
	struct pt_backend b;
	uint64_t bitmap[2];
	const uint64_t size = 16 * 4096, base = 0x40000000;
	uint8_t *mem = aligned_alloc(4096, size);

	ck_assert_ptr_nonnull(mem);
	ck_assert_int_eq(pt_host_init(&h, &b, NULL, size, base, base, 4096, bitmap, CAPS, 0),
			 PT_ERR_RANGE);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, 0, base, base, 4096, bitmap, CAPS, 0),
			 PT_ERR_RANGE);
	ck_assert_int_eq(
		pt_host_init(&h, &b, mem, size, ~0xfffull, ~0xfffull, 4096, bitmap, CAPS, 0),
		PT_ERR_RANGE);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, size, base + 8, base + 8, 4096, bitmap, CAPS, 0),
			 PT_ERR_ALIGN);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, size, base, base + 8, 4096, bitmap, CAPS, 0),
			 PT_ERR_ALIGN);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, size, base, base + size, 4096, bitmap, CAPS, 0),
			 PT_ERR_RANGE);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, size, base, base - 4096, 8192, bitmap, CAPS, 0),
			 PT_ERR_RANGE);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, size, base, base, 4096, NULL, CAPS, 0),
			 PT_ERR_RANGE);
	ck_assert_int_eq(pt_host_init(&h, &b, mem, size, base, base + 4096, 0, bitmap, CAPS, 0),
			 PT_ERR_NOMEM);
	/* One table: the root, and nothing left for a map. */
	ck_assert_int_eq(
		pt_host_init(&h, &b, mem, size, base, base + size - 4096, 4096, bitmap, CAPS, 0),
		PT_OK);
	ck_assert_uint_eq(h.root, base + size - 4096);
	ck_assert_int_eq(pt_map(&b, VA, PA, 4096, RW, 0), PT_ERR_NOMEM);
	ck_assert_uint_eq(h.nr_used, 1);
	free(mem);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("pt_api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_arg_errors);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_nomem_map);
	tcase_add_test(tc, test_nomem_split);
	tcase_add_test(tc, test_backend_error);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_host_init);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(api_suite());
}
