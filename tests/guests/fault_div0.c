/* Faulting test guest: integer division by zero. */
#include "kvmlet_guest.h"

int main(void)
{
	volatile int zero = 0;
	return 10 / zero;
}
