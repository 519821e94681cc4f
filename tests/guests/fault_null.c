/* Hostile/faulting test guest: reads through a null pointer. */
#include "kvmlet_guest.h"

int main(void)
{
	volatile int *p = (volatile int *)0;
	return *p;
}
