/* Test guest: one exported function per value type, and the ways a call can end. */
#include "kvmlet_guest.h"

static int echo_i(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, kvmlet_arg_i64(c, 0));
}
KVMLET_EXPORT(echo_i, "i:i");

static int echo_u(struct kvmlet_call *c)
{
	return kvmlet_ret_u64(c, kvmlet_arg_u64(c, 0));
}
KVMLET_EXPORT(echo_u, "u:u");

static int echo_d(struct kvmlet_call *c)
{
	return kvmlet_ret_f64(c, kvmlet_arg_f64(c, 0));
}
KVMLET_EXPORT(echo_d, "d:d");

static int echo_b(struct kvmlet_call *c)
{
	return kvmlet_ret_bool(c, kvmlet_arg_bool(c, 0));
}
KVMLET_EXPORT(echo_b, "b:b");

static int echo_s(struct kvmlet_call *c)
{
	size_t len;
	const char *s = kvmlet_arg_str(c, 0, &len);

	if (s[len] != '\0')
		return kvmlet_ret_error(c, "string argument not NUL-terminated");
	return kvmlet_ret_str(c, s, len);
}
KVMLET_EXPORT(echo_s, "s:s");

static int echo_y(struct kvmlet_call *c)
{
	size_t len;
	const void *p = kvmlet_arg_bytes(c, 0, &len);

	return kvmlet_ret_bytes(c, p, len);
}
KVMLET_EXPORT(echo_y, "y:y");

static int nothing(struct kvmlet_call *c)
{
	(void)c;
	return 0;
}
KVMLET_EXPORT(nothing, ":v");

/* All six types in, one string out: "i u d b len(s) len(y)". */
static int mixed(struct kvmlet_call *c)
{
	char out[128];
	size_t ls, ly;

	kvmlet_arg_str(c, 4, &ls);
	kvmlet_arg_bytes(c, 5, &ly);
	int n = kvmlet_snprintf(out, sizeof(out), "%lld %llu %d %d %zu %zu",
				(long long)kvmlet_arg_i64(c, 0),
				(unsigned long long)kvmlet_arg_u64(c, 1),
				(int)(kvmlet_arg_f64(c, 2) * 100), kvmlet_arg_bool(c, 3), ls, ly);
	return kvmlet_ret_str(c, out, (size_t)n);
}
KVMLET_EXPORT(mixed, "iudbsy:s");

static int fails(struct kvmlet_call *c)
{
	return kvmlet_ret_error(c, "deliberate failure");
}
KVMLET_EXPORT(fails, ":i");

/* n bytes of 'x': past the result buffer the guest runtime reports an error. */
static int big(struct kvmlet_call *c)
{
	uint64_t n = kvmlet_arg_u64(c, 0);
	char *p = kvmlet_malloc(n ? n : 1);

	if (!p)
		return kvmlet_ret_error(c, "out of memory");
	memset(p, 'x', n);
	return kvmlet_ret_bytes(c, p, n);
}
KVMLET_EXPORT(big, "u:y");

/* A counter in guest memory: shows state surviving between calls (no reset yet). */
static int64_t counter;
static int count(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, ++counter);
}
KVMLET_EXPORT(count, ":i");

static int host_add(struct kvmlet_call *c)
{
	struct kvmlet_value r;

	if (KVMLET_HOST_CALL(&r, "add", KVMLET_I64(kvmlet_arg_i64(c, 0)),
			     KVMLET_I64(kvmlet_arg_i64(c, 1))) < 0)
		return kvmlet_ret_error(c, r.ptr);
	return kvmlet_ret_i64(c, r.i64);
}
KVMLET_EXPORT(host_add, "ii:i");

/* Calls host function name (argument 0) with one string; returns its result or error text. */
static int host_str(struct kvmlet_call *c)
{
	size_t ln, la;
	const char *name = kvmlet_arg_str(c, 0, &ln);
	const char *a = kvmlet_arg_str(c, 1, &la);
	struct kvmlet_value r;

	int st = KVMLET_HOST_CALL(&r, name, KVMLET_STR(a));
	char out[300];
	int n = kvmlet_snprintf(out, sizeof(out), "%s:%.*s", st ? "error" : "ok", (int)r.len,
				r.type == KVMLET_T_STR ? (const char *)r.ptr : "");
	return kvmlet_ret_str(c, out, (size_t)n);
}
KVMLET_EXPORT(host_str, "ss:s");

static int exits(struct kvmlet_call *c)
{
	(void)c;
	kvmlet_exit(3);
}
KVMLET_EXPORT(exits, ":v");

static volatile uintptr_t null_addr = 8;
static int faults(struct kvmlet_call *c)
{
	(void)c;
	return *(volatile int *)null_addr;
}
KVMLET_EXPORT(faults, ":i");

static volatile int forever = 1;
static int spins(struct kvmlet_call *c)
{
	(void)c;
	while (forever)
		__asm__ volatile("pause");
	return 0;
}
KVMLET_EXPORT(spins, ":v");
