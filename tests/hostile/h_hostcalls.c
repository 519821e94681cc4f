/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: host calls in bulk. Hundreds of thousands of them in a loop
 * (bounded time, no growth on the host), unbounded recursion with a host call
 * in every frame (the guest's stack overflows, not the host's), and host
 * calls forever (stopped by the time limit). The test registers inc(i:i).
 */
#include "hostile.h"

/* Calls inc n times, checking each answer; returns how many were right. */
static int64_t hammer(uint64_t n)
{
	int64_t ok = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct kvmlet_value r;

		if (KVMLET_HOST_CALL(&r, "inc", KVMLET_I64((int64_t)i)) == 0 &&
		    r.type == KVMLET_T_I64 && r.i64 == (int64_t)i + 1)
			ok++;
	}
	return ok;
}

static int hammer_call(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, hammer(kvmlet_arg_u64(c, 0)));
}
KVMLET_EXPORT(hammer_call, "u:i");

static uint64_t recurse(uint64_t depth)
{
	struct kvmlet_value r;
	volatile char frame[64];

	if (depth == UINT64_MAX) /* never: the stack runs out long before */
		return 0;
	frame[0] = (char)depth;
	if (KVMLET_HOST_CALL(&r, "inc", KVMLET_I64((int64_t)depth)) != 0)
		kvmlet_abort("inc failed");
	return recurse((uint64_t)r.i64) + (uint64_t)frame[0];
}

HOSTILE_ATTACK(recurse_hostcalls)
{
	recurse(0);
}

HOSTILE_ATTACK(hostcalls_forever)
{
	for (;;)
		hammer(1000);
}

/* kvmlet_run: 20,000 host calls (the test makes 200,000 more in a call); 0 if all were right. */
int main(void)
{
	return hammer(20000) == 20000 ? 0 : 1;
}
