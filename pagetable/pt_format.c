/* SPDX-License-Identifier: MIT */
/* pt_format.c: the shared text form of a mapping run (see pt_format.h). */
#include "pt_format.h"

static size_t put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	p[0] = '0';
	p[1] = 'x';
	for (int i = 0; i < 16; i++)
		p[2 + i] = digits[(v >> (60 - 4 * i)) & 0xf];
	return 18;
}

static size_t put_str(char *p, const char *s)
{
	size_t n = 0;

	while (s[n]) {
		p[n] = s[n];
		n++;
	}
	return n;
}

size_t pt_format_run(char *buf, const struct pt_run *r)
{
	size_t n = 0;

	n += put_hex(buf + n, r->va);
	buf[n++] = '-';
	n += put_hex(buf + n, r->va + r->len);
	buf[n++] = ' ';
	n += put_hex(buf + n, r->pa);
	buf[n++] = ' ';
	buf[n++] = 'r';
	buf[n++] = (r->prot & PT_PROT_WRITE) ? 'w' : '-';
	buf[n++] = (r->prot & PT_PROT_EXEC) ? 'x' : '-';
	buf[n++] = '-';
	buf[n++] = (r->prot & PT_PROT_USER) ? 'u' : 's';
	buf[n++] = ' ';
	n += put_str(buf + n, r->leaf == PT_SIZE_1G ? "1G" : r->leaf == PT_SIZE_2M ? "2M" : "4K");
	buf[n] = '\0';
	return n;
}
