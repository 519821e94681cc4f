/*
 * Faulting test guest: unmaps the ring-0 stacks (through the guest backend)
 * and then faults: delivering #UD fails (#PF), #DF fails too: triple fault.
 * Nothing has touched those stacks before, so no TLB entry hides the change.
 */
#include "kvmlet_guest.h"

int main(void)
{
	if (pt_unmap(kvmlet_pt(), KVMLET_STACK0_GPA, 2 * KVMLET_PAGE_SIZE) < 0)
		kvmlet_abort("cannot unmap the ring-0 stacks");
	__asm__ volatile("ud2");
	return 0;
}
