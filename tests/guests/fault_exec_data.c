/* Faulting test guest: jumps to code in its (non-executable) data segment. */
#include "kvmlet_guest.h"

static volatile unsigned char code[16] = {0xc3}; /* ret */

int main(void)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)code;
	fn();
	return 0;
}
