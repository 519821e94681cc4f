/* calc: guest functions over numbers: add, fib, and a floating-point one. */
#include "kvmlet_guest.h"

static int add(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, kvmlet_arg_i64(c, 0) + kvmlet_arg_i64(c, 1));
}
KVMLET_EXPORT(add, "ii:i");

static int fib(struct kvmlet_call *c)
{
	uint64_t n = kvmlet_arg_u64(c, 0), a = 0, b = 1;

	if (n > 93)
		return kvmlet_ret_error(c, "fib(n) overflows 64 bits for n > 93");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = a + b;
		a = b;
		b = t;
	}
	return kvmlet_ret_u64(c, a);
}
KVMLET_EXPORT(fib, "u:u");

/* hypot by Newton's method: SSE arithmetic at CPL3. */
static int hypot(struct kvmlet_call *c)
{
	double x = kvmlet_arg_f64(c, 0), y = kvmlet_arg_f64(c, 1);
	double s = x * x + y * y, r = s > 1 ? s : 1;

	for (int i = 0; i < 64; i++)
		r = 0.5 * (r + s / r);
	return kvmlet_ret_f64(c, s == 0 ? 0 : r);
}
KVMLET_EXPORT(hypot, "dd:d");

static int is_even(struct kvmlet_call *c)
{
	return kvmlet_ret_bool(c, (kvmlet_arg_i64(c, 0) & 1) == 0);
}
KVMLET_EXPORT(is_even, "i:b");

static int nothing(struct kvmlet_call *c)
{
	(void)c;
	return 0;
}
KVMLET_EXPORT(nothing, ":v");
