/* SPDX-License-Identifier: MIT */
/*
 * test_pt_layout.c: what the tables look like after the operations: the
 * choice of leaf sizes, splitting of large leaves (translations and
 * attributes kept), replacing and freeing tables, pt_walk's runs and options,
 * and mappings on a backend without NX.
 */
#include "testmem.h"

#define CAPS  (PT_CAP_NX | PT_CAP_1G)
#define VA    0x0000123440000000ull /* 1 GiB aligned, lower half */
#define PA    0x0000000280000000ull /* 1 GiB aligned */
#define UPPER 0xffff800000000000ull
#define RW    (PT_PROT_WRITE)
#define RX    (PT_PROT_EXEC)

START_TEST(test_leaf_choice)
{
	struct testmem tm;
	struct pt_backend b;

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	/* 2 MiB aligned 4 MiB: two 2M leaves, one PD under one PDPT. */
	ck_assert_int_eq(pt_map(&b, VA + PT_SIZE_2M, PA, 2 * PT_SIZE_2M, RW, 0), PT_OK);
	ASSERT_TR(&b, VA + PT_SIZE_2M, PA, RW, PT_SIZE_2M);
	ASSERT_TR(&b, VA + 3 * PT_SIZE_2M - 8, PA + 2 * PT_SIZE_2M - 8, RW, PT_SIZE_2M);
	ck_assert_uint_eq(tm.nr_live, 3);
	ck_assert_int_eq(pt_unmap(&b, VA, PT_SIZE_1G), PT_OK);
	ck_assert_uint_eq(tm.nr_live, 1);

	/* pa misaligned for 2 MiB: only 4K leaves. */
	ck_assert_int_eq(pt_map(&b, VA, PA + 4096, 2 * PT_SIZE_2M, RW, 0), PT_OK);
	for (uint64_t off = 0; off < 2 * PT_SIZE_2M; off += 4096)
		ASSERT_TR(&b, VA + off, PA + 4096 + off, RW, PT_SIZE_4K);
	ck_assert_int_eq(pt_unmap(&b, VA, 2 * PT_SIZE_2M), PT_OK);

	/* va 4K past a 2M boundary: 4K leaves up to the next boundary, then 2M, then 4K. */
	ck_assert_int_eq(pt_map(&b, VA + 4096, PA + 4096, 2 * PT_SIZE_2M, RW, 0), PT_OK);
	ASSERT_TR(&b, VA + PT_SIZE_2M - 4096, PA + PT_SIZE_2M - 4096, RW, PT_SIZE_4K);
	ASSERT_TR(&b, VA + PT_SIZE_2M, PA + PT_SIZE_2M, RW, PT_SIZE_2M);
	ASSERT_TR(&b, VA + 2 * PT_SIZE_2M, PA + 2 * PT_SIZE_2M, RW, PT_SIZE_4K);
	ASSERT_UNMAPPED(&b, VA + 2 * PT_SIZE_2M + 4096);
	ck_assert_int_eq(pt_unmap(&b, VA, PT_SIZE_1G), PT_OK);

	/* 1 GiB leaves only with PT_CAP_1G and without PT_MAP_NO_1G. */
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, RW, 0), PT_OK);
	ASSERT_TR(&b, VA + 0x12345678, PA + 0x12345678, RW, PT_SIZE_1G);
	ck_assert_uint_eq(tm.nr_live, 2);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, RX, PT_MAP_REPLACE | PT_MAP_NO_1G), PT_OK);
	ASSERT_TR(&b, VA + 0x12345678, PA + 0x12345678, RX, PT_SIZE_2M);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, RX, PT_MAP_REPLACE | PT_MAP_NO_2M), PT_OK);
	ASSERT_TR(&b, VA + 0x12345678, PA + 0x12345678, RX, PT_SIZE_1G); /* NO_2M allows 1G */
	ck_assert_uint_eq(tm.nr_live, 2); /* the PD of the 2M leaves was freed */
	ck_assert_int_eq(pt_map(&b, VA + 0x5000, PA, 0x1000, RW, PT_MAP_REPLACE), PT_OK);
	ck_assert_uint_eq(tm.nr_live, 4);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, RX, PT_MAP_REPLACE), PT_OK);
	ck_assert_uint_eq(tm.nr_live, 2); /* a PD and the PT below it */
	ASSERT_TR(&b, VA + 0x5000, PA + 0x5000, RX, PT_SIZE_1G);
	ck_assert_int_eq(pt_unmap(&b, VA, PT_SIZE_1G), PT_OK);
	b.caps = PT_CAP_NX;
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, RW, 0), PT_OK);
	ASSERT_TR(&b, VA + 0x12345678, PA + 0x12345678, RW, PT_SIZE_2M);
	ck_assert_int_eq(pt_unmap(&b, VA, PT_SIZE_1G), PT_OK);

	/* PT_MAP_NO_2M: 4K leaves even where 2M would fit. */
	ck_assert_int_eq(pt_map(&b, VA, PA, 2 * PT_SIZE_2M, RW, PT_MAP_NO_2M), PT_OK);
	ASSERT_TR(&b, VA + PT_SIZE_2M, PA + PT_SIZE_2M, RW, PT_SIZE_4K);
	ck_assert_int_eq(pt_unmap(&b, VA, 2 * PT_SIZE_2M), PT_OK);
	ck_assert_uint_eq(tm.nr_live, 1);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

/* Unmap and protect a 4K page in the middle of a 2M and of a 1G leaf. */
START_TEST(test_split)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs;
	const uint32_t prot = RW | PT_PROT_USER | PT_PROT_PCD | PT_PROT_GLOBAL;
	const uint64_t va2 = VA + PT_SIZE_1G + 7 * PT_SIZE_2M, pa2 = PA + 3 * PT_SIZE_2M;
	const uint64_t hole = VA + 0x2345000, ro = va2 + 0x100000;

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, prot, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, va2, pa2, PT_SIZE_2M, prot, 0), PT_OK);
	ck_assert_int_eq(pt_unmap(&b, hole, 4096), PT_OK);
	ck_assert_int_eq(pt_protect(&b, ro, 4096, PT_PROT_USER), PT_OK);

	ASSERT_UNMAPPED(&b, hole);
	ASSERT_TR(&b, hole - 4096, PA + (hole - VA) - 4096, prot, PT_SIZE_4K);
	ASSERT_TR(&b, hole + 4096, PA + (hole - VA) + 4096, prot, PT_SIZE_4K);
	ASSERT_TR(&b, VA, PA, prot, PT_SIZE_2M);
	ASSERT_TR(&b, VA + PT_SIZE_1G - 1, PA + PT_SIZE_1G - 1, prot, PT_SIZE_2M);
	ASSERT_TR(&b, ro + 0xfff, pa2 + 0x100fff, PT_PROT_USER, PT_SIZE_4K);
	ASSERT_TR(&b, ro - 1, pa2 + 0xfffff, prot, PT_SIZE_4K);
	ASSERT_TR(&b, ro + 4096, pa2 + 0x101000, prot, PT_SIZE_4K);

	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 5);
	ASSERT_RUN(&rs, 0, VA, PA, hole - VA, prot, PT_SIZE_4K);
	ASSERT_RUN(&rs, 1, hole + 4096, PA + (hole - VA) + 4096, VA + PT_SIZE_1G - hole - 4096,
		   prot, PT_SIZE_4K);
	ASSERT_RUN(&rs, 2, va2, pa2, ro - va2, prot, PT_SIZE_4K);
	ASSERT_RUN(&rs, 3, ro, pa2 + (ro - va2), 4096, PT_PROT_USER, PT_SIZE_4K);
	ASSERT_RUN(&rs, 4, ro + 4096, pa2 + (ro - va2) + 4096, va2 + PT_SIZE_2M - ro - 4096, prot,
		   PT_SIZE_4K);

	/* Putting the pieces back and unmapping everything frees every table. */
	ck_assert_int_eq(pt_protect(&b, va2, PT_SIZE_2M, prot), PT_OK);
	ck_assert_int_eq(pt_map(&b, hole, PA + (hole - VA), 4096, prot, 0), PT_OK);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 2);
	ck_assert_int_eq(pt_unmap(&b, 0, 0x0000800000000000ull), PT_OK);
	ck_assert_uint_eq(tm.nr_live, 1);
	ck_assert_uint_eq(tm.allocs, tm.frees);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

/* A split keeps PAT (bit 12 in a large leaf, bit 7 in a 4K one), A, D and ignored bits. */
START_TEST(test_split_attrs)
{
	struct testmem tm;
	struct pt_backend b;
	const uint64_t keep = PT_E_A | PT_E_D | PT_E_G | PT_E_PCD | (1ull << 9) | (1ull << 58);
	const uint64_t va4 = VA + 0x12345000;

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_1G, RW, 0), PT_OK);
	*tm_raw_entry(&tm, VA, 1) |= keep | (1ull << 12);
	ck_assert_int_eq(pt_protect(&b, va4, 4096, RW | PT_PROT_PCD | PT_PROT_GLOBAL), PT_OK);

	uint64_t e2 = *tm_raw_entry(&tm, va4 + PT_SIZE_2M, 2),
		 e4 = *tm_raw_entry(&tm, va4 + 4096, 3);
	uint64_t pa2 = PA + ((va4 + PT_SIZE_2M) & ~(PT_SIZE_2M - 1)) - VA;
	ck_assert_uint_eq(e2, PT_E_P | PT_E_RW | PT_E_NX | PT_E_PS | keep | (1ull << 12) | pa2);
	ck_assert_uint_eq(e4, PT_E_P | PT_E_RW | PT_E_NX | keep | (1ull << 7) | (PA + 0x12346000));
	ck_assert_uint_eq(*tm_raw_entry(&tm, va4, 3), e4 - 4096);
	ASSERT_TR(&b, va4 + 4096, PA + 0x12346000, RW | PT_PROT_PCD | PT_PROT_GLOBAL, PT_SIZE_4K);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

START_TEST(test_exists)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs;

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	ck_assert_int_eq(pt_map(&b, VA + 0x5000, PA, 0x1000, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, VA, PA + PT_SIZE_2M, PT_SIZE_2M, RX, 0), PT_ERR_EXISTS);
	ck_assert_int_eq(pt_map(&b, VA + 0x5000, PA + PT_SIZE_2M, 0x1000, RX, 0), PT_ERR_EXISTS);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 1);
	ASSERT_RUN(&rs, 0, VA + 0x5000, PA, 0x1000, RW, PT_SIZE_4K);
	ck_assert_int_eq(pt_protect(&b, VA + 0x4000, 0x2000, RX), PT_ERR_NOT_MAPPED);
	ck_assert_int_eq(pt_protect(&b, VA + 0x5000, 0x2000, RX), PT_ERR_NOT_MAPPED);
	ASSERT_TR(&b, VA + 0x5000, PA, RW, PT_SIZE_4K);
	ck_assert_int_eq(pt_map(&b, VA, PA + PT_SIZE_2M, PT_SIZE_2M, RX, PT_MAP_REPLACE), PT_OK);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 1);
	ASSERT_RUN(&rs, 0, VA, PA + PT_SIZE_2M, PT_SIZE_2M, RX, PT_SIZE_2M);
	ck_assert_uint_eq(tm.nr_live, 3); /* the PT under the replaced 4K page is gone */
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

START_TEST(test_walk)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs = {0};

	tm_init(&tm, &b, 64, 0, CAPS, 0);
	/* A 2M leaf, then 4K leaves contiguous with it in va and pa. */
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_2M + 0x3000, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, VA + PT_SIZE_1G, PA, 0x1000, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, UPPER + 0x7000, 0x7000, 0x1000, RW, 0), PT_OK);
	ck_assert_int_eq(pt_map(&b, ~0xfffull, 0x9000, 0x1000, RW, 0), PT_OK);

	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 4);
	ASSERT_RUN(&rs, 0, VA, PA, PT_SIZE_2M + 0x3000, RW, PT_SIZE_4K);
	ASSERT_RUN(&rs, 1, VA + PT_SIZE_1G, PA, 0x1000, RW, PT_SIZE_4K);
	ASSERT_RUN(&rs, 2, UPPER + 0x7000, 0x7000, 0x1000, RW, PT_SIZE_4K);
	ASSERT_RUN(&rs, 3, ~0xfffull, 0x9000, 0x1000, RW, PT_SIZE_4K);
	rs = t_all_runs(&b, PT_WALK_BY_LEAF);
	ck_assert_int_eq(rs.n, 5);
	ASSERT_RUN(&rs, 0, VA, PA, PT_SIZE_2M, RW, PT_SIZE_2M);
	ASSERT_RUN(&rs, 1, VA + PT_SIZE_2M, PA + PT_SIZE_2M, 0x3000, RW, PT_SIZE_4K);

	/* Clipping to the range, and a range across the hole. */
	rs = (struct t_runs){0};
	ck_assert_int_eq(pt_walk(&b, VA + 0x1000, VA + 0x3000, 0, t_collect, &rs), 0);
	ck_assert_int_eq(rs.n, 1);
	ASSERT_RUN(&rs, 0, VA + 0x1000, PA + 0x1000, 0x2000, RW, PT_SIZE_2M);
	rs = (struct t_runs){0};
	ck_assert_int_eq(pt_walk(&b, VA + PT_SIZE_1G, UPPER + 0x8000, 0, t_collect, &rs), 0);
	ck_assert_int_eq(rs.n, 2);
	/* An end at either side of the hole: the lower half's end, the upper half's start. */
	rs = (struct t_runs){0};
	ck_assert_int_eq(pt_walk(&b, VA, 0x0000800000000000ull, 0, t_collect, &rs), 0);
	ck_assert_int_eq(rs.n, 2);
	rs = (struct t_runs){0};
	ck_assert_int_eq(pt_walk(&b, VA, UPPER, 0, t_collect, &rs), 0);
	ck_assert_int_eq(rs.n, 2);
	rs = (struct t_runs){0};
	ck_assert_int_eq(pt_walk(&b, UPPER + 0x8000, 0, 0, t_collect, &rs), 0);
	ck_assert_int_eq(rs.n, 1);
	ASSERT_RUN(&rs, 0, ~0xfffull, 0x9000, 0x1000, RW, PT_SIZE_4K);

	/* Early stop: fn's value comes back and no run follows. */
	rs = (struct t_runs){.stop_at = 2};
	ck_assert_int_eq(pt_walk(&b, 0, 0, 0, t_collect, &rs), 42);
	ck_assert_int_eq(rs.n, 2);
	rs = (struct t_runs){.stop_at = 4};
	ck_assert_int_eq(pt_walk(&b, 0, 0, 0, t_collect, &rs), 42); /* the last, pending run */
	ck_assert_int_eq(rs.n, 4);
	rs = (struct t_runs){.stop_at = 1};
	ck_assert_int_eq(pt_walk(&b, 0, 0, PT_WALK_BY_LEAF, t_collect, &rs), 42);
	ck_assert_int_eq(rs.n, 1);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

/* Without NXE the CPU executes everything and bit 63 is reserved: never set it. */
START_TEST(test_no_nx)
{
	struct testmem tm;
	struct pt_backend b;
	struct t_runs rs;

	tm_init(&tm, &b, 64, 0, PT_CAP_1G, 0);
	ck_assert_int_eq(pt_map(&b, VA, PA, PT_SIZE_2M + 0x1000, RW, 0), PT_OK);
	ASSERT_TR(&b, VA, PA, RW | RX, PT_SIZE_2M);
	ASSERT_TR(&b, VA + PT_SIZE_2M, PA + PT_SIZE_2M, RW | RX, PT_SIZE_4K);
	ck_assert_int_eq(pt_protect(&b, VA + 0x1000, 0x1000, 0), PT_OK);
	ASSERT_TR(&b, VA + 0x1000, PA + 0x1000, RX, PT_SIZE_4K);
	rs = t_all_runs(&b, 0);
	ck_assert_int_eq(rs.n, 3);
	ck_assert_uint_eq(tm.violations, 0);
	tm_fini(&tm);
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("pt_layout");
	TCase *tc = tcase_create("layout");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_leaf_choice);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_split_attrs);
	tcase_add_test(tc, test_exists);
	tcase_add_test(tc, test_walk);
	tcase_add_test(tc, test_no_nx);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(layout_suite());
}
