/* SPDX-License-Identifier: MIT */
/*
 * test_snapshot_scan.c: which pages of guest memory a snapshot looks at
 * (vmm/reset.c, snapshot_candidates): every page ever written must be among
 * them, pages never touched must not, and PAGEMAP_SCAN (where the kernel has
 * it) must say exactly what reading /proc/self/pagemap says, also when its
 * answer takes more than one round (more ranges than it returns at once).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_mem.h"
#include "reset.h"

#define PAGE  4096ull
#define PAGES (64ull << 20) / PAGE

static bool has(const uint64_t *bitmap, uint64_t p)
{
	return bitmap[p / 64] & (1ull << (p % 64));
}

START_TEST(scan_agrees_with_pagemap)
{
	uint8_t *mem = guest_mem_anon(PAGES * PAGE);
	uint64_t words = (PAGES + 63) / 64;
	uint64_t *scanned = calloc(words, 8), *read = calloc(words, 8);
	bool *written = calloc(PAGES, 1);
	volatile uint8_t sink = 0;

	ck_assert_ptr_ne(mem, MAP_FAILED);
	snapshot_init();
	srand(7);
	/* Every other page of the first 8 MiB (a thousand ranges: several rounds
	 * of PAGEMAP_SCAN), random pages elsewhere, some only read (the shared
	 * zero page), some written then dropped. */
	for (uint64_t p = 0; p < 2048; p += 2) {
		mem[p * PAGE] = 1;
		written[p] = true;
	}
	for (int i = 0; i < 500; i++) {
		uint64_t p = 2048 + (uint64_t)rand() % (PAGES - 2048);
		mem[p * PAGE + (uint64_t)i % PAGE] = (uint8_t)(i | 1);
		written[p] = true;
	}
	for (int i = 0; i < 200; i++)
		sink += mem[(2048 + (uint64_t)rand() % (PAGES - 2048)) * PAGE];
	(void)sink;
	for (uint64_t p = PAGES - 16; p < PAGES - 8; p++) {
		mem[p * PAGE] = 1;
		written[p] = false;
	}
	ck_assert_int_eq(madvise(mem + (PAGES - 16) * PAGE, 8 * PAGE, MADV_DONTNEED), 0);

	uint64_t by_scan = snapshot_candidates(mem, PAGES, scanned, true);
	ck_assert_uint_eq(snapshot_candidates(mem, PAGES, read, false), 0);
	if (by_scan == 0)
		fprintf(stderr, "NOTE: this kernel has no PAGEMAP_SCAN (Linux 6.7): only the "
				"pagemap reading path was checked\n");
	else
		ck_assert_uint_eq(by_scan, PAGES); /* all of it, in several rounds */
	uint64_t n = 0;
	for (uint64_t p = 0; p < PAGES; p++) {
		ck_assert_msg(!written[p] || has(read, p), "written page %llu not a candidate",
			      (unsigned long long)p);
		ck_assert_msg(has(scanned, p) == has(read, p), "page %llu: scan %d, pagemap %d",
			      (unsigned long long)p, has(scanned, p), has(read, p));
		n += has(read, p);
	}
	/* Written pages and the ones only read; not the rest of 16384. */
	ck_assert_uint_ge(n, 1024 + 400);
	ck_assert_uint_le(n, 1024 + 500 + 200);
	for (uint64_t p = PAGES - 16; p < PAGES - 8; p++)
		ck_assert(!has(read, p)); /* dropped: nothing there any more */
	free(written);
	free(read);
	free(scanned);
	munmap(mem, PAGES * PAGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot_scan");
	TCase *tc = tcase_create("scan");

	tcase_add_test(tc, scan_agrees_with_pagemap);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
