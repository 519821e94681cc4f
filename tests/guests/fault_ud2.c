/* Faulting test guest: executes ud2. */
#include "kvmlet_guest.h"

int main(void)
{
	__asm__ volatile("ud2");
	return 0;
}
