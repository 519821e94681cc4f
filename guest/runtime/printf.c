/* SPDX-License-Identifier: MIT */
/*
 * printf.c: the guest's printf. Every conversion that the format(printf)
 * attribute accepts: d i u o x X c s p n % f F e E g G a A, the flags - + space
 * # 0, width and precision (also *), and the lengths hh h l ll j z t L. Floats
 * are converted exactly (big-integer digits, round-half-even), so the output
 * is glibc's; long double arguments are narrowed to double first.
 */
#include "kvmlet_guest.h"

struct out {
	char *buf;
	size_t cap, len;
};

/* One conversion's flags, width and precision. */
struct spec {
	bool left, plus, space, alt, zero;
	int width, prec; /* prec < 0: none */
	char conv;
};

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void emit_n(struct out *o, char c, int n)
{
	for (; n > 0; n--)
		emit(o, c);
}

/* prefix (sign, 0x), zeros, body (len bytes), with the field width applied. */
static void emit_field(struct out *o, const struct spec *s, const char *prefix, int zeros,
		       const char *body, int len)
{
	int plen = 0, pad;

	while (prefix[plen])
		plen++;
	pad = s->width - plen - zeros - len;
	if (!s->left && !s->zero)
		emit_n(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		emit(o, prefix[i]);
	if (!s->left && s->zero)
		emit_n(o, '0', pad);
	emit_n(o, '0', zeros);
	for (int i = 0; i < len; i++)
		emit(o, body[i]);
	if (s->left)
		emit_n(o, ' ', pad);
}

static void emit_int(struct out *o, const struct spec *s, uint64_t v, bool neg)
{
	unsigned base = s->conv == 'o' ? 8 : (s->conv == 'x' || s->conv == 'X') ? 16 : 10;
	const char *digits = s->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], prefix[3] = {0};
	int n = 24, zeros;
	struct spec t = *s;

	for (uint64_t x = v; x; x /= base)
		tmp[--n] = digits[x % base];
	if (s->prec >= 0)
		t.zero = false; /* a precision overrides the 0 flag */
	zeros = s->prec > 24 - n ? s->prec - (24 - n) : 0;
	if (v == 0 && s->prec != 0 && !zeros)
		zeros = 1;
	if (neg)
		prefix[0] = '-';
	else if (s->plus && (s->conv == 'd' || s->conv == 'i'))
		prefix[0] = '+';
	else if (s->space && (s->conv == 'd' || s->conv == 'i'))
		prefix[0] = ' ';
	if (s->alt && base == 8 && !zeros && (n == 24 || tmp[n] != '0'))
		zeros = 1;
	if (s->alt && base == 16 && v) {
		prefix[0] = '0';
		prefix[1] = s->conv;
	}
	emit_field(o, &t, prefix, zeros, tmp + n, 24 - n);
}

/* --- exact decimal digits of a double --- */

#define LIMBS 100 /* base 1e9: up to 900 digits (m * 5^1074 has 767) */

struct big {
	uint32_t l[LIMBS]; /* little-endian limbs, base 1e9 */
	int n;
};

static void big_mul(struct big *b, uint32_t k)
{
	uint64_t carry = 0;

	for (int i = 0; i < b->n; i++) {
		uint64_t x = (uint64_t)b->l[i] * k + carry;
		b->l[i] = (uint32_t)(x % 1000000000u);
		carry = x / 1000000000u;
	}
	if (carry && b->n < LIMBS)
		b->l[b->n++] = (uint32_t)carry;
}

/*
 * The decimal digits of |x| (finite, nonzero): digits[0..*nd) with the point
 * after *point digits (value = 0.d1d2... * 10^point). buf holds 960 bytes.
 */
static int exact_digits(double x, char *digits, int *point)
{
	union {
		double d;
		uint64_t u;
	} v = {.d = x};
	int exp2 = (int)((v.u >> 52) & 0x7ff), k = 0, nd = 0;
	uint64_t m = v.u & ((1ull << 52) - 1);
	struct big b = {.n = 0};
	char tmp[LIMBS * 9];

	if (exp2)
		m |= 1ull << 52;
	else
		exp2 = 1;
	exp2 -= 1075; /* x = m * 2^exp2 */
	b.l[b.n++] = (uint32_t)(m % 1000000000u);
	if (m / 1000000000u) {
		b.l[b.n++] = (uint32_t)(m / 1000000000u % 1000000000u);
		if (m / 1000000000000000000ull)
			b.l[b.n++] = (uint32_t)(m / 1000000000000000000ull);
	}
	for (; exp2 > 0; exp2--)
		big_mul(&b, 2);
	for (; exp2 < 0; exp2++, k++) /* m / 2^k = m * 5^k / 10^k */
		big_mul(&b, 5);
	for (int i = b.n - 1; i >= 0; i--)
		for (int d = 8, x0 = (int)b.l[i]; d >= 0; d--, x0 /= 10)
			tmp[(b.n - 1 - i) * 9 + d] = (char)('0' + x0 % 10);
	int len = b.n * 9, first = 0;
	while (first < len - 1 && tmp[first] == '0')
		first++;
	for (int i = first; i < len; i++)
		digits[nd++] = tmp[i];
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	*point = len - first - k;
	return nd;
}

/* Round digits to keep of them (round half to even on the exact value). */
static int round_digits(char *d, int nd, int keep, int *point)
{
	if (keep >= nd)
		return nd;
	if (keep < 0)
		return 0;
	bool up = d[keep] > '5' ||
		  (d[keep] == '5' && (nd > keep + 1 || (keep > 0 && (d[keep - 1] - '0') % 2)));
	if (d[keep] == '5' && nd == keep + 1 && keep == 0)
		up = false; /* 0.5 -> 0 */
	nd = keep;
	if (!up)
		return nd;
	int i = nd - 1;
	for (; i >= 0 && d[i] == '9'; i--)
		d[i] = '0';
	if (i >= 0) {
		d[i]++;
		return nd;
	}
	for (int j = nd; j > 0; j--)
		d[j] = d[j - 1];
	d[0] = '1';
	(*point)++;
	return nd + 1;
}

/* The digit at position i of the number (0 past its digits). */
static char digit_at(const char *d, int nd, int i)
{
	return i >= 0 && i < nd ? d[i] : '0';
}

#define FBUF 1400

static int fmt_fixed(char *out, const char *d, int nd, int point, int prec, bool alt)
{
	int n = 0;

	if (point <= 0)
		out[n++] = '0';
	for (int i = 0; i < point; i++)
		out[n++] = digit_at(d, nd, i);
	if (prec > 0 || alt)
		out[n++] = '.';
	for (int i = 0; i < prec && n < FBUF - 8; i++)
		out[n++] = digit_at(d, nd, point + i);
	return n;
}

static int fmt_exp(char *out, const char *d, int nd, int point, int prec, bool alt, bool upper)
{
	int n = 0, e = nd ? point - 1 : 0;

	out[n++] = digit_at(d, nd, 0);
	if (prec > 0 || alt)
		out[n++] = '.';
	for (int i = 1; i <= prec && n < FBUF - 8; i++)
		out[n++] = digit_at(d, nd, i);
	out[n++] = upper ? 'E' : 'e';
	out[n++] = e < 0 ? '-' : '+';
	e = e < 0 ? -e : e;
	if (e >= 100)
		out[n++] = (char)('0' + e / 100);
	out[n++] = (char)('0' + e / 10 % 10);
	out[n++] = (char)('0' + e % 10);
	return n;
}

/* %a: 0x1.hhhp+d, the mantissa rounded to prec hex digits (half to even). */
static int fmt_hex(char *out, double x, int prec, bool alt, bool upper)
{
	union {
		double d;
		uint64_t u;
	} v = {.d = x};
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int e = (int)((v.u >> 52) & 0x7ff), n = 0;
	uint64_t m = v.u & ((1ull << 52) - 1), lead = 1;

	if (e == 0 && m == 0)
		lead = 0, e = 0;
	else if (e == 0)
		lead = 0, e = -1022;
	else
		e -= 1023;
	if (prec >= 0 && prec < 13) {
		int drop = (13 - prec) * 4;
		uint64_t full = (lead << 52) | m; /* the leading digit decides ties at prec 0 */
		uint64_t rest = full & ((1ull << drop) - 1), half = 1ull << (drop - 1);
		full >>= drop;
		if (rest > half || (rest == half && (full & 1)))
			full++;
		lead = full >> (prec * 4);
		m = full & ((1ull << (prec * 4)) - 1);
	}
	int nd = prec >= 0 ? prec : 13;
	if (prec < 0)
		while (nd > 0 && !((m >> ((13 - nd) * 4)) & 0xf))
			nd--;
	out[n++] = '0';
	out[n++] = upper ? 'X' : 'x';
	out[n++] = (char)('0' + lead);
	if (nd > 0 || alt)
		out[n++] = '.';
	int shift = prec >= 0 && prec < 13 ? prec * 4 : 52;
	for (int i = 0; i < nd && n < FBUF - 10; i++) {
		shift -= 4;
		out[n++] = shift >= 0 ? hex[(m >> shift) & 0xf] : '0';
	}
	out[n++] = upper ? 'P' : 'p';
	out[n++] = e < 0 ? '-' : '+';
	char t[6];
	int k = 0;
	for (unsigned ue = (unsigned)(e < 0 ? -e : e); ue || !k; ue /= 10)
		t[k++] = (char)('0' + ue % 10);
	while (k)
		out[n++] = t[--k];
	return n;
}

static void emit_float(struct out *o, const struct spec *s, double x)
{
	char body[FBUF], d[LIMBS * 9 + 2], prefix[2] = {0};
	bool upper = s->conv >= 'A' && s->conv <= 'Z', neg = __builtin_signbit(x);
	char c = (char)(s->conv | 0x20);
	int prec = s->prec < 0 ? (c == 'a' ? -1 : 6) : s->prec, n, nd = 0, point = 0;
	struct spec t = *s;

	if (prec > FBUF - 40)
		prec = FBUF - 40;
	if (neg)
		prefix[0] = '-', x = -x;
	else if (s->plus)
		prefix[0] = '+';
	else if (s->space)
		prefix[0] = ' ';
	if (x != x || x > 1.7976931348623157e308) {
		const char *w = x != x ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
		t.zero = false;
		emit_field(o, &t, prefix, 0, w, 3);
		return;
	}
	if (c == 'a') {
		n = fmt_hex(body, x, prec, s->alt, upper);
		/* The 0 flag pads after "0x". */
		if (s->zero && !s->left) {
			char p2[4] = {prefix[0], '0', body[1], 0};
			if (!prefix[0])
				p2[0] = '0', p2[1] = body[1], p2[2] = 0;
			emit_field(o, &t, p2, 0, body + 2, n - 2);
			return;
		}
		emit_field(o, &t, prefix, 0, body, n);
		return;
	}
	if (x != 0)
		nd = exact_digits(x, d, &point);
	else
		point = 1;
	if (c == 'g') {
		int p = prec ? prec : 1, e;
		char dd[LIMBS * 9 + 2];
		int pt = point, nn = nd;
		for (int i = 0; i < nd; i++)
			dd[i] = d[i];
		nn = round_digits(dd, nn, p, &pt);
		e = x != 0 ? pt - 1 : 0;
		if (p > e && e >= -4) {
			nd = round_digits(d, nd, point + p - 1 - e, &point);
			n = fmt_fixed(body, d, nd, point, p - 1 - e, s->alt);
		} else {
			n = fmt_exp(body, dd, nn, pt, p - 1, s->alt, upper);
		}
		if (!s->alt) { /* drop trailing zeros of the fraction */
			int epos = n, dot = -1;
			for (int i = 0; i < n; i++) {
				if (body[i] == '.')
					dot = i;
				if (body[i] == 'e' || body[i] == 'E')
					epos = i;
			}
			if (dot >= 0) {
				int end = epos;
				while (end > dot + 1 && body[end - 1] == '0')
					end--;
				if (end == dot + 1)
					end = dot;
				for (int i = epos; i < n; i++)
					body[end + i - epos] = body[i];
				n = end + n - epos;
			}
		}
	} else if (c == 'e') {
		if (x != 0)
			nd = round_digits(d, nd, prec + 1, &point);
		n = fmt_exp(body, d, nd, point, prec, s->alt, upper);
	} else {
		if (x != 0)
			nd = round_digits(d, nd, point + prec, &point);
		if (nd == 0)
			point = 1;
		n = fmt_fixed(body, d, nd, point, prec, s->alt);
	}
	emit_field(o, &t, prefix, 0, body, n);
}

static uint64_t arg_unsigned(va_list *ap, int size)
{
	switch (size) {
	case -2:
		return (unsigned char)va_arg(*ap, unsigned int);
	case -1:
		return (unsigned short)va_arg(*ap, unsigned int);
	case 0:
		return va_arg(*ap, unsigned int);
	default:
		return va_arg(*ap, unsigned long long); /* l ll j z t: all 64 bits here */
	}
}

static int64_t arg_signed(va_list *ap, int size)
{
	switch (size) {
	case -2:
		return (signed char)va_arg(*ap, int);
	case -1:
		return (short)va_arg(*ap, int);
	case 0:
		return va_arg(*ap, int);
	default:
		return va_arg(*ap, long long);
	}
}

/* Flags, width, precision and length at *pp; the conversion letter last. */
static int parse_spec(const char **pp, va_list *ap, struct spec *s)
{
	const char *p = *pp;
	int size = 0;

	*s = (struct spec){.prec = -1};
	for (;; p++) {
		if (*p == '-')
			s->left = true;
		else if (*p == '+')
			s->plus = true;
		else if (*p == ' ')
			s->space = true;
		else if (*p == '#')
			s->alt = true;
		else if (*p == '0')
			s->zero = true;
		else if (*p != '\'') /* grouping: no locale, nothing to group */
			break;
	}
	if (*p == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->left = true;
			s->width = -s->width;
		}
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++)
		s->width = s->width * 10 + (*p - '0');
	if (*p == '.') {
		s->prec = 0;
		if (*++p == '*') {
			s->prec = va_arg(*ap, int);
			if (s->prec < 0)
				s->prec = -1;
			p++;
		}
		for (; *p >= '0' && *p <= '9'; p++)
			s->prec = s->prec * 10 + (*p - '0');
	}
	for (;; p++) {
		if (*p == 'h')
			size--;
		else if (*p == 'l' || *p == 'q')
			size++;
		else if (*p == 'j' || *p == 'z' || *p == 't')
			size = 1;
		else if (*p == 'L')
			size = 3;
		else
			break;
	}
	if (s->left)
		s->zero = false;
	s->conv = *p;
	*pp = p;
	return size < -2 ? -2 : size;
}

static void emit_str(struct out *o, const struct spec *s, const char *str)
{
	size_t len = 0;
	struct spec t = *s;

	t.zero = false;
	if (!str)
		str = s->prec < 0 || s->prec >= 6 ? "(null)" : "";
	/* With a precision, read at most prec bytes: str need not be terminated. */
	while ((s->prec < 0 || len < (size_t)s->prec) && str[len])
		len++;
	emit_field(o, &t, "", 0, str, (int)len);
}

int kvmlet_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .cap = n};
	struct spec s;
	va_list aq;

	va_copy(aq, ap);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			emit(&o, *p);
			continue;
		}
		p++;
		int size = parse_spec(&p, &aq, &s);
		switch (s.conv) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(&aq, size);
			emit_int(&o, &s, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			emit_int(&o, &s, arg_unsigned(&aq, size), false);
			break;
		case 'p': {
			void *v = va_arg(aq, void *);
			struct spec t = s;
			if (!v) {
				emit_str(&o,
					 &(struct spec){
						 .left = s.left, .width = s.width, .prec = -1},
					 "(nil)");
				break;
			}
			t.conv = 'x';
			t.alt = true;
			emit_int(&o, &t, (uint64_t)v, false);
			break;
		}
		case 'c': {
			char c = (char)va_arg(aq, int);
			struct spec t = s;
			t.zero = false;
			emit_field(&o, &t, "", 0, &c, 1);
			break;
		}
		case 's':
			emit_str(&o, &s, va_arg(aq, const char *));
			break;
		case 'n': {
			void *at = va_arg(aq, void *);
			if (size == -2)
				*(signed char *)at = (signed char)o.len;
			else if (size == -1)
				*(short *)at = (short)o.len;
			else if (size == 0)
				*(int *)at = (int)o.len;
			else
				*(long long *)at = (long long)o.len;
			break;
		}
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			emit_float(&o, &s,
				   size == 3 ? (double)va_arg(aq, long double)
					     : va_arg(aq, double));
			break;
		case '%':
			emit(&o, '%');
			break;
		default: /* unknown conversion or end of string: print it as is */
			emit(&o, '%');
			if (!*p)
				p--;
			else
				emit(&o, *p);
			break;
		}
	}
	va_end(aq);
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return (int)o.len;
}

int kvmlet_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = kvmlet_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int kvmlet_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int r = kvmlet_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kvmlet_write(buf, (size_t)r < sizeof(buf) ? (size_t)r : sizeof(buf) - 1);
	return r;
}
