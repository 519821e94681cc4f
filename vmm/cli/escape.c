/* SPDX-License-Identifier: MIT */
/*
 * escape.c: text from a guest, made safe for a terminal or for JSON. Control
 * characters (C0, DEL, and C1 as U+0080..U+009F) and bytes that are not UTF-8
 * are escaped, so that a guest can neither forge a "kvmlet:" line nor move
 * the cursor; other UTF-8 passes unchanged.
 */
#include <stdio.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};

	if (len == 0 || len > n || s[0] > 0xf4)
		return 0;
	*cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

void cli_write_escaped(FILE *f, const void *buf, size_t n, bool json)
{
	const unsigned char *s = buf;

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (c >= 0x20 && c < 0x7f) {
			if (json && (c == '"' || c == '\\'))
				fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			fprintf(f, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
			i++;
		} else if (c < 0x80) { /* other C0, DEL */
			fprintf(f, json ? "\\u%04x" : "\\x%02x", c);
			i++;
		} else if ((len = utf8_len(s + i, n - i, &cp)) == 0) {
			fprintf(f, json ? "\\ufffd" : "\\x%02x", c); /* not UTF-8 */
			i++;
		} else if (cp < 0xa0) { /* C1 */
			fprintf(f, "\\u%04x", (unsigned)cp);
			i += len;
		} else {
			fwrite(s + i, 1, len, f);
			i += len;
		}
	}
}
