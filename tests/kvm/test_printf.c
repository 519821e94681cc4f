/* test_printf.c: the guest's kvmlet_snprintf prints what the host's snprintf
 * prints, for every conversion the format attribute accepts (guest
 * printf_cases.elf formats one host-given argument). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kvmtest.h"

/* The formats come from tables, by design: the point is the same format on both sides. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static struct kvmlet_sandbox *sb;

/* Call fn(fmt, arg) in the guest; its string result. */
static const char *guest_fmt(const char *fn, const char *fmt, struct kvmlet_value arg, char *buf,
			     size_t n)
{
	struct kvmlet_value a[2] = {kvmlet_str(fmt, strlen(fmt)), arg}, r;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, fn, a, 2, &r, &err) == 0, "%s(\"%s\"): %s", fn, fmt, err.msg);
	snprintf(buf, n, "%.*s", (int)r.buf.len, (const char *)r.buf.ptr);
	return buf;
}

static const char *const int_formats[] = {
	"%d",	 "%i",	     "%5d",  "%-5d|",  "%05d", "%+d",	"% d", "%.3d",
	"%8.3d", "%-+8.3d|", "%.0d", "%u",     "%o",   "%#o",	"%x",  "%#x",
	"%X",	 "%#X",	     "%08x", "%#010x", "%.0x", "%#.0o", "%*d",
};
static const char *const ll_formats[] = {"%lld", "%lli", "%llu", "%llx",  "%jd",     "%zd",
					 "%td",	 "%ld",	 "%lo",	 "%#llX", "%20lld|", "%-20lld|"};
static const char *const hh_formats[] = {"%hhd", "%hd", "%hhu", "%hu", "%hhx", "%hx"};
static const int64_t ints[] = {0,     1,      -1,	 42,	     -42,	255,	  256,
			       65535, -32768, 123456789, 2147483647, INT64_MAX, INT64_MIN};

START_TEST(integers)
{
	char g[2048], h[2048];

	for (size_t v = 0; v < sizeof(ints) / sizeof(ints[0]); v++) {
		int iv = (int)ints[v];
		for (size_t f = 0; f < sizeof(int_formats) / sizeof(int_formats[0]); f++) {
			const char *fmt = int_formats[f];
			if (!strcmp(fmt, "%*d"))
				continue; /* the host passes one argument only */
			snprintf(h, sizeof(h), fmt, iv);
			guest_fmt("fmt_int", fmt, kvmlet_i64(iv), g, sizeof(g));
			ck_assert_msg(!strcmp(g, h), "%s of %d: guest '%s', host '%s'", fmt, iv, g,
				      h);
		}
		for (size_t f = 0; f < sizeof(hh_formats) / sizeof(hh_formats[0]); f++) {
			snprintf(h, sizeof(h), hh_formats[f], iv);
			guest_fmt("fmt_int", hh_formats[f], kvmlet_i64(iv), g, sizeof(g));
			ck_assert_msg(!strcmp(g, h), "%s: guest '%s', host '%s'", hh_formats[f], g,
				      h);
		}
		for (size_t f = 0; f < sizeof(ll_formats) / sizeof(ll_formats[0]); f++) {
			snprintf(h, sizeof(h), ll_formats[f], (long long)ints[v]);
			guest_fmt("fmt_i", ll_formats[f], kvmlet_i64(ints[v]), g, sizeof(g));
			ck_assert_msg(!strcmp(g, h), "%s: guest '%s', host '%s'", ll_formats[f], g,
				      h);
		}
	}
}
END_TEST

static const char *const float_formats[] = {
	"%f",  "%.0f",	"%.1f", "%.3f", "%.20f", "%10.2f|", "%-10.2f|", "%010.2f", "%+f",
	"% f", "%#.0f", "%F",	"%e",	"%.0e",	 "%.3e",    "%E",	"%#.0e",   "%+.10e",
	"%g",  "%.0g",	"%.1g", "%.3g", "%.10g", "%.17g",   "%#g",	"%G",	   "%12g|",
	"%a",  "%A",	"%.0a", "%.1a", "%.3a",	 "%20a|",   "%020a",	"%.60f",
};
static const double floats[] = {0.0,
				-0.0,
				1.0,
				-1.0,
				0.5,
				1.5,
				2.5,
				0.125,
				3.14159265358979,
				-2.718281828459045,
				1e-5,
				0.0001,
				123456.789,
				1e15,
				1e16,
				1e22,
				1e100,
				1.7976931348623157e308,
				5e-324,
				2.2250738585072014e-308,
				0.1,
				0.3,
				9.9999,
				99.5,
				0.05,
				1e-300,
				65536.0,
				1.0 / 3.0};

START_TEST(floating_point)
{
	char g[2048], h[2048];

	for (size_t v = 0; v < sizeof(floats) / sizeof(floats[0]); v++)
		for (size_t f = 0; f < sizeof(float_formats) / sizeof(float_formats[0]); f++) {
			snprintf(h, sizeof(h), float_formats[f], floats[v]);
			guest_fmt("fmt_d", float_formats[f], kvmlet_f64(floats[v]), g, sizeof(g));
			ck_assert_msg(!strcmp(g, h), "%s of %.17g: guest '%s', host '%s'",
				      float_formats[f], floats[v], g, h);
		}
	const double special[] = {INFINITY, -INFINITY, NAN};
	const char *const sfmt[] = {"%f", "%F", "%e",	"%E",	 "%g",	"%G",
				    "%a", "%A", "%8f|", "%-8f|", "%+f", "%08f"};
	for (size_t v = 0; v < 3; v++)
		for (size_t f = 0; f < sizeof(sfmt) / sizeof(sfmt[0]); f++) {
			snprintf(h, sizeof(h), sfmt[f], special[v]);
			guest_fmt("fmt_d", sfmt[f], kvmlet_f64(special[v]), g, sizeof(g));
			ck_assert_msg(!strcmp(g, h), "%s: guest '%s', host '%s'", sfmt[f], g, h);
		}
	snprintf(h, sizeof(h), "%Lf %Le", (long double)2.5, (long double)2.5);
	guest_fmt("fmt_ld", "%Lf %Le", kvmlet_f64(2.5), g, sizeof(g));
	ck_assert_str_eq(g, h);
}
END_TEST

START_TEST(strings_and_misc)
{
	const char *const fmts[] = {"%s", "%10s|", "%-10s|", "%.2s", "%10.2s|", "[%%]%s", "%c%s"};
	char g[2048], h[2048];

	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		if (!strcmp(fmts[f], "%c%s"))
			continue;
		snprintf(h, sizeof(h), fmts[f], "hello");
		guest_fmt("fmt_s", fmts[f], kvmlet_str("hello", 5), g, sizeof(g));
		ck_assert_msg(!strcmp(g, h), "%s: guest '%s', host '%s'", fmts[f], g, h);
	}
	struct kvmlet_value r;
	struct kvmlet_error err;
	ck_assert_int_eq(kvmlet_call(sb, "fmt_misc", NULL, 0, &r, &err), 0);
	int n = -1;
	snprintf(h, sizeof(h), "ab%ncd|%p|%p|%5c|%-3c|", &n, (void *)0, (void *)0x1234, 'x', 'y');
	snprintf(h + strlen(h), sizeof(h) - strlen(h), "%d", n);
	ck_assert_int_eq((int)r.buf.len, (int)strlen(h));
	ck_assert(!memcmp(r.buf.ptr, h, r.buf.len));
}
END_TEST

static void setup(void)
{
	sb = kvmtest_sandbox("printf_cases", NULL);
}

static void teardown(void)
{
	kvmlet_sandbox_free(sb);
}

int main(void)
{
	Suite *s = suite_create("printf");
	TCase *tc = tcase_create("printf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, floating_point);
	tcase_add_test(tc, strings_and_misc);
	suite_add_tcase(s, tc);
	kvmtest_require_kvm();
	return kvmtest_main(s);
}
