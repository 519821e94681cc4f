/*
 * callback: a guest function that calls a host function several times and
 * combines the results. The host must register "square" with signature
 * "i:i" (the CLI does, see kvmlet call --help).
 */
#include "kvmlet_guest.h"

static int sum_of_squares(struct kvmlet_call *c)
{
	int64_t n = kvmlet_arg_i64(c, 0), sum = 0;

	for (int64_t i = 1; i <= n; i++) {
		struct kvmlet_value r;
		if (KVMLET_HOST_CALL(&r, "square", KVMLET_I64(i)) < 0)
			return kvmlet_ret_error(c, r.type == KVMLET_T_STR ? r.ptr : "host call failed");
		sum += r.i64;
	}
	return kvmlet_ret_i64(c, sum);
}
KVMLET_EXPORT(sum_of_squares, "i:i");

/* Calls a host function that does not exist: the error comes back as a value. */
static int call_missing(struct kvmlet_call *c)
{
	struct kvmlet_value r;

	if (KVMLET_HOST_CALL(&r, "no_such_function", KVMLET_I64(1)) == 0)
		return kvmlet_ret_error(c, "the missing host function answered");
	return kvmlet_ret_str(c, r.ptr, r.len);
}
KVMLET_EXPORT(call_missing, ":s");

/* Prints through the CLI's built-in host function "print". */
static int greet(struct kvmlet_call *c)
{
	size_t len;
	const char *who = kvmlet_arg_str(c, 0, &len);
	struct kvmlet_value r;
	char line[128];

	int n = kvmlet_snprintf(line, sizeof(line), "hello, %s", who);
	if (KVMLET_HOST_CALL(&r, "print", KVMLET_BYTES(line, (size_t)n)) < 0)
		return kvmlet_ret_error(c, "print failed");
	return 0;
}
KVMLET_EXPORT(greet, "s:v");
