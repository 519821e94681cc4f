/* Test guest: spins forever; only a time limit stops it. */
#include "kvmlet_guest.h"

int main(void)
{
	for (;;)
		__asm__ volatile("pause");
}
