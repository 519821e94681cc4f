/* SPDX-License-Identifier: MIT */
/* printf.c: the guest's small printf (see kvmlet_guest.h for what it knows). */
#include "kvmlet_guest.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void emit_num(struct out *o, uint64_t v, unsigned base, bool upper, bool neg, int width,
		     bool zero, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	int len = n + neg;
	if (neg && zero)
		emit(o, '-');
	for (; !left && width > len; width--)
		emit(o, zero ? '0' : ' ');
	if (neg && !zero)
		emit(o, '-');
	while (n)
		emit(o, tmp[--n]);
	for (; left && width > len; width--)
		emit(o, ' ');
}

static uint64_t arg_unsigned(va_list *ap, int size)
{
	return size == 2 ? va_arg(*ap, unsigned long long)
	       : size == 1 ? va_arg(*ap, unsigned long)
			   : va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int size)
{
	return size == 2 ? va_arg(*ap, long long) : size == 1 ? va_arg(*ap, long) : va_arg(*ap, int);
}

int kvmlet_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .cap = n};
	va_list aq;

	va_copy(aq, ap);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			emit(&o, *p);
			continue;
		}
		bool zero = false, left = false;
		int width = 0, size = 0, prec = -1;
		for (p++; *p == '0' || *p == '-'; p++)
			*p == '0' ? (zero = true) : (left = true);
		for (; *p >= '0' && *p <= '9'; p++)
			width = width * 10 + (*p - '0');
		if (*p == '.') {
			prec = 0;
			if (*++p == '*') {
				prec = va_arg(aq, int);
				p++;
			}
			for (; *p >= '0' && *p <= '9'; p++)
				prec = prec * 10 + (*p - '0');
		}
		for (; *p == 'l' || *p == 'z'; p++)
			size = *p == 'z' ? 1 : size + 1;
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(&aq, size);
			emit_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, v < 0, width,
				 zero, left);
			break;
		}
		case 'u':
			emit_num(&o, arg_unsigned(&aq, size), 10, false, false, width, zero, left);
			break;
		case 'x':
		case 'X':
			emit_num(&o, arg_unsigned(&aq, size), 16, *p == 'X', false, width, zero,
				 left);
			break;
		case 'p':
			emit(&o, '0');
			emit(&o, 'x');
			emit_num(&o, (uint64_t)va_arg(aq, void *), 16, false, false, width, zero,
				 left);
			break;
		case 'c':
			emit(&o, (char)va_arg(aq, int));
			break;
		case 's': {
			const char *s = va_arg(aq, const char *);
			size_t len = 0;
			if (!s)
				s = "(null)";
			/* With a precision, read at most prec bytes: s need not be terminated. */
			while ((prec < 0 || len < (size_t)prec) && s[len])
				len++;
			for (; !left && width > (int)len; width--)
				emit(&o, ' ');
			for (size_t q = 0; q < len; q++)
				emit(&o, s[q]);
			for (; left && width > (int)len; width--)
				emit(&o, ' ');
			break;
		}
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
