/* strings: guest functions over strings and bytes. */
#include "kvmlet_guest.h"

static char *scratch(size_t len)
{
	static char *buf;
	static size_t cap;

	if (len > cap) {
		buf = kvmlet_malloc(len);
		cap = buf ? len : 0;
	}
	return buf;
}

static int reverse(struct kvmlet_call *c)
{
	size_t len;
	const char *s = kvmlet_arg_str(c, 0, &len);
	char *out = scratch(len + 1);

	if (!out)
		return kvmlet_ret_error(c, "out of memory");
	/* Reverse code points, not bytes, so that UTF-8 stays valid. */
	size_t o = len;
	for (size_t i = 0; i < len;) {
		size_t n = 1;
		while (i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n++;
		o -= n;
		memcpy(out + o, s + i, n);
		i += n;
	}
	return kvmlet_ret_str(c, out, len);
}
KVMLET_EXPORT(reverse, "s:s");

static int length(struct kvmlet_call *c)
{
	size_t len;

	kvmlet_arg_str(c, 0, &len);
	return kvmlet_ret_u64(c, len);
}
KVMLET_EXPORT(length, "s:u");

static int upper(struct kvmlet_call *c)
{
	size_t len;
	const unsigned char *p = kvmlet_arg_bytes(c, 0, &len);
	char *out = scratch(len + 1);

	if (!out)
		return kvmlet_ret_error(c, "out of memory");
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
	return kvmlet_ret_bytes(c, out, len);
}
KVMLET_EXPORT(upper, "y:y");

/* Echo a string back: the round trip of the ABI, for tests and benchmarks. */
static int echo(struct kvmlet_call *c)
{
	size_t len;
	const char *s = kvmlet_arg_str(c, 0, &len);

	return kvmlet_ret_str(c, s, len);
}
KVMLET_EXPORT(echo, "s:s");
