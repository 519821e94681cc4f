/* Faulting test guest: a privileged instruction (hlt) at CPL3 raises #GP. */
#include "kvmlet_guest.h"

int main(void)
{
	__asm__ volatile("hlt");
	return 0;
}
