/* Faulting test guest: jumps to code on its (non-executable) stack. */
#include "kvmlet_guest.h"

int main(void)
{
	volatile unsigned char code[16] = {0xc3}; /* ret */
	void (*fn)(void) = (void (*)(void))(uintptr_t)code;
	fn();
	return 0;
}
