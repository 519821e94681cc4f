/* SPDX-License-Identifier: MIT */
/* args.c: sizes and durations for the CLI, checked for overflow. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "args.h"

/* Digits into *v; returns the number of digits read, -ERANGE on overflow. */
static int parse_digits(const char **s, uint64_t *v)
{
	int n = 0;

	*v = 0;
	for (; isdigit((unsigned char)**s); (*s)++, n++)
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(**s - '0'), v))
			return -ERANGE;
	return n;
}

int parse_size(const char *s, uint64_t *out)
{
	char unit[4];

	return parse_size_unit(s, out, unit);
}

int parse_size_unit(const char *s, uint64_t *out, char unit[4])
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{"", 0},     {"b", 0},	 {"k", 10},   {"kb", 10},  {"kib", 10},
		{"m", 20},   {"mb", 20}, {"mib", 20}, {"g", 30},   {"gb", 30},
		{"gib", 30}, {"t", 40},	 {"tb", 40},  {"tib", 40},
	};
	uint64_t v;
	int n = parse_digits(&s, &v);

	if (n < 0)
		return n;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(s, units[i].suffix))
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -ERANGE;
		*out = v << units[i].shift;
		snprintf(unit, 4, "%s", s);
		return 0;
	}
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{"ns", 1},
		{"us", 1000},
		{"ms", 1000000},
		{"s", 1000000000ull},
		{"", 1000000000ull},
		{"m", 60000000000ull},
		{"h", 3600000000000ull},
	};
	uint64_t whole, frac = 0, scale = 1;
	int n = parse_digits(&s, &whole);

	if (n < 0)
		return n;
	if (*s == '.') {
		s++;
		/* Up to 9 fractional digits are kept; more would not change a nanosecond count. */
		for (int i = 0; isdigit((unsigned char)*s); s++, i++, n++)
			if (i < 9) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
	}
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t ns, part;

		if (strcmp(s, units[i].suffix))
			continue;
		if (__builtin_mul_overflow(whole, units[i].ns, &ns))
			return -ERANGE;
		/* frac / scale of a unit; units are at most 3.6e12 ns and scale <= 1e9. */
		part = (uint64_t)((unsigned __int128)frac * units[i].ns / scale);
		if (__builtin_add_overflow(ns, part, &ns))
			return -ERANGE;
		if (ns == 0)
			return -EINVAL;
		*out_ns = ns;
		return 0;
	}
	return -EINVAL;
}

void format_size(char *buf, size_t len, uint64_t bytes, const char *unit)
{
	unsigned shift = 0;

	switch (unit[0] | 0x20) { /* K, k, KB, KiB... */
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	}
	if (!unit[0] || (bytes & ((1ull << shift) - 1)) == 0)
		snprintf(buf, len, "%llu%s", (unsigned long long)(bytes >> shift), unit);
	else
		snprintf(buf, len, "%.6g%s", (double)bytes / (double)(1ull << shift), unit);
}

/* Digits of base 10 or 16 into *v; -EINVAL none or trailing junk, -ERANGE overflow. */
static int parse_magnitude(const char *s, uint64_t *v)
{
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (*v = 0; *s; s++) {
		unsigned d;

		if (isdigit((unsigned char)*s))
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -EINVAL;
		if (__builtin_mul_overflow(*v, base, v) || __builtin_add_overflow(*v, d, v))
			return -ERANGE;
	}
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	return parse_magnitude(s, out);
}

int parse_i64(const char *s, int64_t *out)
{
	bool neg = s[0] == '-';
	uint64_t m;
	int r = parse_magnitude(s + neg, &m);

	if (r < 0)
		return r;
	if (m > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	*out = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}
