/* SPDX-License-Identifier: MIT */
/*
 * test_linux_exec.c: a script's "#!" line as vmm/linux_exec.c reads it for
 * execve, by Linux's binfmt_script rules (no KVM needed): the interpreter
 * and one optional argument after spaces or tabs, trailing blanks trimmed,
 * no newline within 256 bytes (the name must end there, the argument is cut),
 * a NUL ends the name and leaves no argument, "\r" is part of the name;
 * ENOEXEC without "#!" or with only blanks before the newline. The scripts that really run are
 * compared with Linux in tests/cli/cli_linux.sh.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "linux_sys.h"

static int parse(const char *data, size_t size, char *interp, char *arg)
{
	return lxs_exec_script(data, size, interp, arg);
}

#define OK(text, want_interp, want_arg)                                     \
	do {                                                                \
		char i_[256], a_[256];                                      \
		ck_assert_int_eq(parse(text, sizeof(text) - 1, i_, a_), 0); \
		ck_assert_str_eq(i_, want_interp);                          \
		ck_assert_str_eq(a_, want_arg);                             \
	} while (0)

#define NOEXEC(text)                                                               \
	do {                                                                       \
		char i_[256], a_[256];                                             \
		ck_assert_int_eq(parse(text, sizeof(text) - 1, i_, a_), -ENOEXEC); \
	} while (0)

START_TEST(interpreter_and_argument)
{
	OK("#!/bin/sh\necho\n", "/bin/sh", "");
	OK("#! /bin/sh  -e  \nrest", "/bin/sh", "-e");
	OK("#!/usr/bin/env python3 -u\n", "/usr/bin/env", "python3 -u");
	OK("#!\t/a\tb\tc\t\n", "/a", "b\tc");
	OK("#!/bin/sh\r\n", "/bin/sh\r", "");
	OK("#!/bin/sh\0 -x\n", "/bin/sh", "");
	OK("#!/x", "/x", ""); /* no newline, the file ends */
	OK("#!", "", "");     /* a NUL ends an empty name: its lookup is ENOENT, as Linux's */
}
END_TEST

START_TEST(no_interpreter)
{
	NOEXEC("");
	NOEXEC("#");
	NOEXEC("#!\n/bin/sh\n");
	NOEXEC("#!   \t \n");
	NOEXEC("!#/bin/sh\n");
	NOEXEC("\177ELF");
}
END_TEST

START_TEST(the_first_256_bytes)
{
	char text[400], i[256], a[256];

	/* A name that runs past 256 bytes with no newline: ENOEXEC. */
	memcpy(text, "#!/", 3);
	memset(text + 3, 'n', sizeof(text) - 3);
	ck_assert_int_eq(parse(text, sizeof(text), i, a), -ENOEXEC);
	/* Only blanks in the 256 bytes: ENOEXEC too. */
	memset(text + 2, ' ', sizeof(text) - 2);
	ck_assert_int_eq(parse(text, sizeof(text), i, a), -ENOEXEC);
	/* A name that ends in time: the argument is cut at byte 255. */
	memcpy(text, "#!/bin/sh ", 10);
	memset(text + 10, 'x', sizeof(text) - 10);
	ck_assert_int_eq(parse(text, sizeof(text), i, a), 0);
	ck_assert_str_eq(i, "/bin/sh");
	ck_assert_uint_eq(strlen(a), 255 - 10);
	/* A newline at byte 255 is still seen; one at 256 is not. */
	memset(text, 'y', sizeof(text));
	memcpy(text, "#!/y", 4);
	text[255] = '\n';
	ck_assert_int_eq(parse(text, sizeof(text), i, a), 0);
	ck_assert_uint_eq(strlen(i), 255 - 2);
	text[255] = 'y';
	text[256] = '\n';
	ck_assert_int_eq(parse(text, sizeof(text), i, a), -ENOEXEC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("linux_exec");
	TCase *tc = tcase_create("script");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, interpreter_and_argument);
	tcase_add_test(tc, no_interpreter);
	tcase_add_test(tc, the_first_256_bytes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
