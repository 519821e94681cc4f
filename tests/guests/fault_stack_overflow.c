/* Faulting test guest: deep recursion runs into the stack guard page. */
#include "kvmlet_guest.h"

static volatile int limit = 1 << 30; /* never reached: the stack is far smaller */

static int recurse(int depth)
{
	volatile char pad[256];
	pad[0] = (char)depth;
	if (depth >= limit)
		return 0;
	return recurse(depth + 1) + pad[0];
}

int main(void)
{
	return recurse(0);
}
