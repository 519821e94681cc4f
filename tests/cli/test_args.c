/* test_args.c: the CLI's size and duration parsing (suite cli). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "args.h"

static const struct {
	const char *text;
	int ret;
	uint64_t value;
} sizes[] = {
	{"4096", 0, 4096},
	{"64K", 0, 64 << 10},
	{"64k", 0, 64 << 10},
	{"16M", 0, 16 << 20},
	{"16MiB", 0, 16 << 20},
	{"2GB", 0, 2ull << 30},
	{"1T", 0, 1ull << 40},
	{"0", 0, 0},
	{"18446744073709551615", 0, UINT64_MAX},
	{"18446744073709551616", -ERANGE, 0},
	{"16777216T", -ERANGE, 0},
	{"16777215T", 0, 16777215ull << 40},
	{"", -EINVAL, 0},
	{"M", -EINVAL, 0},
	{"-1", -EINVAL, 0},
	{"12Q", -EINVAL, 0},
	{"1 M", -EINVAL, 0},
	{"1.5M", -EINVAL, 0},
};

START_TEST(size_parsing)
{
	uint64_t v = 0xdead;
	int r = parse_size(sizes[_i].text, &v);

	ck_assert_msg(r == sizes[_i].ret, "'%s': %d", sizes[_i].text, r);
	if (r == 0)
		ck_assert_uint_eq(v, sizes[_i].value);
	else
		ck_assert_uint_eq(v, 0xdead);
}
END_TEST

static const struct {
	const char *text;
	int ret;
	uint64_t ns;
} durations[] = {
	{"500ms", 0, 500000000},
	{"2s", 0, 2000000000},
	{"2", 0, 2000000000},
	{"1.5s", 0, 1500000000},
	{"0.25", 0, 250000000},
	{"100us", 0, 100000},
	{"250ns", 0, 250},
	{"3m", 0, 180000000000ull},
	{"1h", 0, 3600000000000ull},
	{"0.0000000001s", -EINVAL, 0},
	{"0", -EINVAL, 0},
	{"0ms", -EINVAL, 0},
	{"", -EINVAL, 0},
	{"s", -EINVAL, 0},
	{".", -EINVAL, 0},
	{"-1s", -EINVAL, 0},
	{"5parsecs", -EINVAL, 0},
	{"18446744073709551615s", -ERANGE, 0},
	{"99999999999999999999", -ERANGE, 0},
};

START_TEST(duration_parsing)
{
	uint64_t v = 0xdead;
	int r = parse_duration(durations[_i].text, &v);

	ck_assert_msg(r == durations[_i].ret, "'%s': %d", durations[_i].text, r);
	if (r == 0)
		ck_assert_uint_eq(v, durations[_i].ns);
}
END_TEST

/* Decimal unless 0x: "010" is ten. */
static const struct {
	const char *text;
	int ret;
	int64_t value;
} ints[] = {
	{"42", 0, 42},	     {"010", 0, 10},	  {"-7", 0, -7},   {"0x2a", 0, 42},
	{"0X2A", 0, 42},     {"-0x2a", 0, -42},	  {"0", 0, 0},	   {"-0", 0, 0},
	{"9223372036854775807", 0, INT64_MAX},	  {"-9223372036854775808", 0, INT64_MIN},
	{"9223372036854775808", -ERANGE, 0},	  {"-9223372036854775809", -ERANGE, 0},
	{"", -EINVAL, 0},    {"-", -EINVAL, 0},	  {"0x", -EINVAL, 0}, {"08x", -EINVAL, 0},
	{" 1", -EINVAL, 0},  {"+1", -EINVAL, 0},  {"1.5", -EINVAL, 0}, {"0b1", -EINVAL, 0},
};

START_TEST(int_parsing)
{
	int64_t v = 0xdead;
	int r = parse_i64(ints[_i].text, &v);

	ck_assert_msg(r == ints[_i].ret, "'%s': %d", ints[_i].text, r);
	ck_assert_int_eq(v, r == 0 ? ints[_i].value : 0xdead);
}
END_TEST

START_TEST(uint_parsing)
{
	uint64_t v = 0;

	ck_assert_int_eq(parse_u64("010", &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_u64("0xffffffffffffffff", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_u64("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(parse_u64("-1", &v), -EINVAL);
}
END_TEST

/* Sizes are said in the unit the user gave. */
START_TEST(size_format)
{
	char unit[4], buf[32];
	uint64_t v;

	ck_assert_int_eq(parse_size_unit("16m", &v, unit), 0);
	ck_assert_str_eq(unit, "m");
	format_size(buf, sizeof(buf), 4ull << 20, unit);
	ck_assert_str_eq(buf, "4m");
	ck_assert_int_eq(parse_size_unit("100KiB", &v, unit), 0);
	format_size(buf, sizeof(buf), 64ull << 30, unit);
	ck_assert_str_eq(buf, "67108864KiB");
	ck_assert_int_eq(parse_size_unit("1G", &v, unit), 0);
	format_size(buf, sizeof(buf), 4ull << 20, unit);
	ck_assert_str_eq(buf, "0.00390625G");
	ck_assert_int_eq(parse_size_unit("5000", &v, unit), 0);
	format_size(buf, sizeof(buf), 4096, unit);
	ck_assert_str_eq(buf, "4096");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("args");
	TCase *tc = tcase_create("args");

	tcase_add_loop_test(tc, size_parsing, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_loop_test(tc, duration_parsing, 0, sizeof(durations) / sizeof(durations[0]));
	tcase_add_loop_test(tc, int_parsing, 0, sizeof(ints) / sizeof(ints[0]));
	tcase_add_test(tc, uint_parsing);
	tcase_add_test(tc, size_format);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
