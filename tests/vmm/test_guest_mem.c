/* SPDX-License-Identifier: MIT */
/*
 * test_guest_mem.c: the one checked accessor (vmm/guest_mem.c). By physical
 * address: an access ending exactly at the end of memory is valid, one byte
 * past it is not, nor is any that wraps around; by virtual address, through
 * host-built page tables, with the user and write checks; and a refused
 * access names the code that asked (file and line); and every write path
 * notes the pages it wrote, for the next reset.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "guest_mem.h"

#define MEM   (4ull << 20)
#define PAGE  4096ull
#define TBL   0x10000ull
#define UR_VA 0x200000ull /* user, read-only */
#define UW_VA 0x201000ull /* user, writable */
#define KW_VA 0x202000ull /* supervisor, writable */

static struct guest_mem gm;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_map(&gm, MEM, NULL), 0);
	ck_assert_int_eq(guest_mem_tables_init(&gm, TBL, 16 * PAGE, PT_CAP_NX, 0, NULL), 0);
	ck_assert_int_eq(pt_map(&gm.pt, UR_VA, 0x300000, PAGE, PT_PROT_USER, 0), 0);
	ck_assert_int_eq(pt_map(&gm.pt, UW_VA, 0x301000, PAGE, PT_PROT_USER | PT_PROT_WRITE, 0), 0);
	ck_assert_int_eq(pt_map(&gm.pt, KW_VA, 0x302000, PAGE, PT_PROT_WRITE, 0), 0);
	/* The last page of memory, right after a mapped one: a read may cross into it. */
	ck_assert_int_eq(
		pt_map(&gm.pt, 0x400000 - 2 * PAGE, MEM - 2 * PAGE, 2 * PAGE, PT_PROT_USER, 0), 0);
}

static void teardown(void)
{
	guest_mem_free(&gm);
}

START_TEST(gpa_boundary)
{
	uint8_t buf[16] = {0};

	ck_assert_ptr_eq(GUEST_PTR(&gm, 0, MEM), gm.mem);
	ck_assert_ptr_eq(GUEST_PTR(&gm, MEM - 1, 1), gm.mem + MEM - 1);
	ck_assert_ptr_eq(GUEST_PTR(&gm, MEM, 0), gm.mem + MEM); /* empty, at the end */
	ck_assert_ptr_null(GUEST_PTR(&gm, MEM, 1));
	ck_assert_ptr_null(GUEST_PTR(&gm, MEM - 1, 2));
	ck_assert_ptr_null(GUEST_PTR(&gm, 0, MEM + 1));
	ck_assert_ptr_null(GUEST_PTR(&gm, MEM + 1, 0));
	ck_assert_ptr_null(GUEST_PTR(&gm, UINT64_MAX, 2)); /* wraps */
	ck_assert_ptr_null(GUEST_PTR(&gm, 16, UINT64_MAX - 8));
	ck_assert_int_eq(GUEST_WRITE(&gm, MEM - 16, "0123456789abcdef", 16), 0);
	ck_assert_int_eq(GUEST_READ(&gm, MEM - 16, buf, 16), 0);
	ck_assert(!memcmp(buf, "0123456789abcdef", 16));
	ck_assert_int_eq(GUEST_READ(&gm, MEM - 15, buf, 16), -EFAULT);
	ck_assert_int_eq(GUEST_WRITE(&gm, MEM - 15, buf, 16), -EFAULT);
}
END_TEST

START_TEST(refusal_names_the_caller)
{
	int line = __LINE__ + 1;
	ck_assert_ptr_null(GUEST_PTR(&gm, MEM, 1));
	const struct guest_mem_refusal *r = guest_mem_refused();
	ck_assert_ptr_nonnull(r->file);
	ck_assert_ptr_nonnull(strstr(r->file, "test_guest_mem.c"));
	ck_assert_int_eq(r->line, line);
	ck_assert_uint_eq(r->addr, MEM);
	ck_assert_uint_eq(r->len, 1);
	ck_assert(!r->virt);

	uint64_t bad = 0, v;
	line = __LINE__ + 1;
	ck_assert_int_eq(GUEST_READ_VA(&gm, KW_VA, &v, 8, GM_USER, &bad), -EFAULT);
	ck_assert_int_eq(guest_mem_refused()->line, line);
	ck_assert(guest_mem_refused()->virt);
	ck_assert_uint_eq(bad, KW_VA);
}
END_TEST

START_TEST(va_permissions)
{
	uint64_t bad = 0, v = 0x1122334455667788ull, w = 0;

	/* Read: user pages by CPL3, any present page by the kernel. */
	ck_assert_int_eq(GUEST_READ_VA(&gm, UR_VA, &w, 8, GM_USER, &bad), 0);
	ck_assert_int_eq(GUEST_READ_VA(&gm, KW_VA, &w, 8, 0, &bad), 0);
	ck_assert_int_eq(GUEST_READ_VA(&gm, KW_VA, &w, 8, GM_USER, &bad), -EFAULT);
	ck_assert_int_eq(GUEST_READ_VA(&gm, 0x100000, &w, 8, 0, &bad), -EFAULT);
	ck_assert_uint_eq(bad, 0x100000);
	/* Write: needs a writable page (and a user one for CPL3). */
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, UR_VA, &v, 8, GM_USER, &bad), -EFAULT);
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, KW_VA, &v, 8, GM_USER, &bad), -EFAULT);
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, KW_VA, &v, 8, 0, &bad), 0);
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, UW_VA + PAGE - 4, &v, 8, GM_USER, &bad), -EFAULT);
	ck_assert_uint_eq(bad, UW_VA + PAGE); /* the second page, KW_VA, is not user */
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, UW_VA + 8, &v, 8, GM_USER, &bad), 0);
	ck_assert_int_eq(GUEST_READ(&gm, 0x301008, &w, 8), 0);
	ck_assert_uint_eq(w, v);
	/* Across pages, up to exactly the end of memory: valid; one byte more is not mapped. */
	uint8_t two[2 * PAGE];
	ck_assert_int_eq(GUEST_READ_VA(&gm, 0x400000 - 2 * PAGE, two, sizeof(two), GM_USER, &bad),
			 0);
	ck_assert_int_eq(
		GUEST_READ_VA(&gm, 0x400000 - 2 * PAGE + 1, two, sizeof(two), GM_USER, &bad),
		-EFAULT);
	ck_assert_uint_eq(bad, 0x400000);
}
END_TEST

/* Pages 64w.. of the written bitmap, taken (and cleared). */
static uint64_t taken(uint64_t w)
{
	return guest_mem_take_written(&gm, w);
}

START_TEST(writes_are_noted)
{
	uint64_t v = 7, bad;
	uint8_t big[PAGE + 16] = {0};

	/* Not tracking yet: nothing noted. */
	ck_assert_int_eq(GUEST_WRITE(&gm, 0x5000, &v, 8), 0);
	ck_assert_uint_eq(taken(0), 0);
	ck_assert_int_eq(guest_mem_track_writes(&gm, NULL), 0);
	/* By physical address, across a page boundary: both pages. */
	ck_assert_int_eq(GUEST_WRITE(&gm, 0x5ffc, &v, 8), 0);
	ck_assert_uint_eq(taken(0), (1ull << 5) | (1ull << 6));
	ck_assert_uint_eq(taken(0), 0); /* taking clears */
	/* A refused write notes nothing. */
	ck_assert_int_eq(GUEST_WRITE(&gm, MEM - 4, &v, 8), -EFAULT);
	ck_assert_uint_eq(taken(MEM / PAGE / 64 - 1), 0);
	/* By virtual address: the physical page behind it (0x301000 is page 0x301). */
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, UW_VA + 8, &v, 8, GM_USER, &bad), 0);
	ck_assert_uint_eq(taken(0x301 / 64), 1ull << (0x301 % 64));
	/* A write that fails part way notes the page it did write. */
	ck_assert_int_eq(GUEST_WRITE_VA(&gm, UW_VA + 8, big, sizeof(big), GM_USER, &bad), -EFAULT);
	ck_assert_uint_eq(bad, UW_VA + PAGE);
	ck_assert_uint_eq(taken(0x301 / 64), 1ull << (0x301 % 64));
	/* Through a GUEST_PTR, noted by its writer; the last page of memory counts. */
	guest_mem_mark_written(&gm, MEM - 1, 1);
	guest_mem_mark_written(&gm, MEM, 1); /* outside: ignored */
	ck_assert_uint_eq(taken(MEM / PAGE / 64 - 1), 1ull << 63);
	/* Tracking again starts with a clean slate. */
	ck_assert_int_eq(GUEST_WRITE(&gm, 0, &v, 8), 0);
	ck_assert_int_eq(guest_mem_track_writes(&gm, NULL), 0);
	ck_assert_uint_eq(taken(0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_mem");
	TCase *tc = tcase_create("accessor");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, gpa_boundary);
	tcase_add_test(tc, refusal_names_the_caller);
	tcase_add_test(tc, va_permissions);
	tcase_add_test(tc, writes_are_noted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
