/* SPDX-License-Identifier: MIT */
/*
 * test_vma.c: the guest kernel's table of a Linux program's mappings
 * (guest/kernel/linux_vma.c, included to see its ranges), against a model
 * with one bit per page: random claims and releases, after each of which
 * every query agrees with the model and the ranges are sorted, disjoint and
 * merged; and a full table refuses, changing nothing.
 */
#include <check.h>
#include <stdlib.h>

#include "../../guest/kernel/linux_vma.c"

#define PAGES 2048
#define BASE  0x7f0000000000ull

static bool model[PAGES];

static uint64_t va(unsigned page)
{
	return BASE + (uint64_t)page * PAGE;
}

/* Is [lo, hi) inside one range? */
static bool vma_covers(uint64_t lo, uint64_t hi)
{
	return vma_covered(lo, hi) == hi;
}

/* Sorted, non-empty, disjoint, and never touching (touching ones merge). */
static void check_ranges(void)
{
	for (unsigned i = 0; i < n; i++) {
		ck_assert(v[i].lo < v[i].hi);
		if (i)
			ck_assert_msg(v[i - 1].hi < v[i].lo, "ranges %u and %u touch", i - 1, i);
	}
}

/* The model says the same as the table about every page, and about a few ranges. */
static void check_model(void)
{
	for (unsigned p = 0; p < PAGES; p++)
		ck_assert_int_eq(vma_overlaps(va(p), va(p + 1)), model[p]);
	for (int k = 0; k < 50; k++) {
		unsigned lo = (unsigned)rand() % PAGES, len = 1 + (unsigned)rand() % 64;
		if (lo + len > PAGES)
			len = PAGES - lo;
		bool any = false, all = true;
		for (unsigned p = lo; p < lo + len; p++)
			any |= model[p], all &= model[p];
		ck_assert_int_eq(vma_overlaps(va(lo), va(lo + len)), any);
		ck_assert_int_eq(vma_covers(va(lo), va(lo + len)), all);
		/* The covered prefix: the model's first page from lo that is not claimed. */
		unsigned first = lo;
		while (first < lo + len && model[first])
			first++;
		ck_assert_uint_eq(vma_covered(va(lo), va(lo + len)), va(first));
		/* First fit from lo: the model's lowest free run of len pages. */
		uint64_t want = 0;
		for (unsigned s = lo, run = 0; s < PAGES && !want; s++) {
			run = model[s] ? 0 : run + 1;
			if (run == len)
				want = va(s + 1 - len);
		}
		ck_assert_uint_eq(vma_gap(va(lo), va(PAGES), (uint64_t)len * PAGE), want);
	}
}

START_TEST(random_against_model)
{
	srand(1234 + (unsigned)_i);
	n = 0;
	for (unsigned p = 0; p < PAGES; p++)
		model[p] = false;
	for (int op = 0; op < 3000; op++) {
		unsigned lo = (unsigned)rand() % PAGES, len = 1 + (unsigned)rand() % (op % 7 ? 8 : 300);
		bool claim = rand() % 3 != 0;
		if (lo + len > PAGES)
			len = PAGES - lo;
		int64_t r = claim ? vma_claim(va(lo), va(lo + len)) : vma_release(va(lo), va(lo + len));
		ck_assert_int_eq(r, 0); /* 2048 pages never need 1024 ranges... */
		for (unsigned p = lo; p < lo + len; p++)
			model[p] = claim;
		check_ranges();
		if (op % 30 == 0)
			check_model();
	}
	check_model();
}
END_TEST

/* Every other page claimed: VMA_MAX ranges. One more, or a hole that splits
 * one, is ENOMEM with nothing changed; merging or trimming still works. */
START_TEST(full_table)
{
	n = 0;
	for (unsigned i = 0; i < VMA_MAX; i++)
		ck_assert_int_eq(vma_claim(va(2 * i), va(2 * i + 1)), 0);
	ck_assert_uint_eq(n, VMA_MAX);
	ck_assert_int_eq(vma_claim(va(2 * VMA_MAX + 1), va(2 * VMA_MAX + 2)), -ENOMEM);
	ck_assert_uint_eq(n, VMA_MAX);
	ck_assert(!vma_overlaps(va(2 * VMA_MAX + 1), va(2 * VMA_MAX + 2)));
	/* Filling the gap between two ranges merges them: one fewer. */
	ck_assert_int_eq(vma_claim(va(1), va(2)), 0);
	ck_assert_uint_eq(n, VMA_MAX - 1);
	ck_assert(vma_covers(va(0), va(3)));
	ck_assert_int_eq(vma_claim(va(4), va(6)), 0); /* pages 4, 5: 4 is claimed, 6 touches */
	ck_assert_uint_eq(n, VMA_MAX - 2);
	ck_assert(vma_covers(va(4), va(7)));
	/* Now a split fits twice, then the table is full again. */
	ck_assert_int_eq(vma_release(va(1), va(2)), 0);
	ck_assert_int_eq(vma_release(va(5), va(6)), 0);
	ck_assert_uint_eq(n, VMA_MAX);
	ck_assert_int_eq(vma_claim(va(1), va(2)), 0);
	ck_assert_int_eq(vma_release(va(4), va(5)), 0); /* trims: no new range */
	ck_assert_int_eq(vma_release(va(0), va(1)), 0);
	ck_assert(vma_covers(va(1), va(3)) && !vma_overlaps(va(0), va(1)));
	check_ranges();
	/* A range spanning many: one release takes them all. */
	ck_assert_int_eq(vma_release(va(0), va(2 * VMA_MAX)), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* The gap search: from below every range, between them, past the last, none. */
START_TEST(gaps)
{
	n = 0;
	ck_assert_uint_eq(vma_gap(va(0), va(10), 10 * PAGE), va(0));
	ck_assert_uint_eq(vma_gap(va(0), va(10), 11 * PAGE), 0);
	ck_assert_int_eq(vma_claim(va(2), va(4)), 0);
	ck_assert_int_eq(vma_claim(va(6), va(9)), 0);
	ck_assert_uint_eq(vma_gap(va(0), va(10), 2 * PAGE), va(0));
	ck_assert_uint_eq(vma_gap(va(1), va(10), 2 * PAGE), va(4));
	ck_assert_uint_eq(vma_gap(va(0), va(10), 3 * PAGE), 0);
	ck_assert_uint_eq(vma_gap(va(0), va(12), 3 * PAGE), va(9));
	ck_assert_uint_eq(vma_gap(va(3), va(12), PAGE), va(4));
	ck_assert_uint_eq(vma_gap(va(7), va(12), PAGE), va(9));
	ck_assert_uint_eq(vma_gap(0, KVMLET_USER_END, KVMLET_USER_END), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vma");
	TCase *tc = tcase_create("vma");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, random_against_model, 0, 8);
	tcase_add_test(tc, full_table);
	tcase_add_test(tc, gaps);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
