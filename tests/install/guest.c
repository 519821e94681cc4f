/* guest.c: an out-of-tree guest, built with nothing but cc and kvmlet-guest.pc
 * (see install.sh). Exports two functions, one of which calls the host. */
#include <kvmlet_guest.h>

static int add(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, kvmlet_arg_i64(c, 0) + kvmlet_arg_i64(c, 1));
}
KVMLET_EXPORT(add, "ii:i");

/* greet("x") = "hello, x" + the host's "shout" of it. */
static int greet(struct kvmlet_call *c)
{
	struct kvmlet_value r;
	size_t len;
	const char *name = kvmlet_arg_str(c, 0, &len);
	char buf[128];

	if (KVMLET_HOST_CALL(&r, "shout", KVMLET_BYTES(name, len)) < 0)
		return kvmlet_ret_error(c, r.ptr);
	int n = kvmlet_snprintf(buf, sizeof(buf), "hello, %.*s (%.*s)", (int)len, name, (int)r.len,
				(const char *)r.ptr);
	return kvmlet_ret_str(c, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
KVMLET_EXPORT(greet, "s:s");

int main(void)
{
	kvmlet_printf("out-of-tree guest, ABI %u\n", KVMLET_ABI_VERSION);
	return 7;
}
