/* Faulting test guest: writes into its own (read + execute) text. */
#include "kvmlet_guest.h"

int main(void)
{
	volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)&main;
	*p = 0xc3;
	return 0;
}
