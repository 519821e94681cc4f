/*
 * Test guest: tries to unmap the ring-0 stacks, once the way to a triple fault
 * (delivering #UD fails with #PF, #DF fails too). The kernel refuses (they
 * are not user addresses) and a direct write to the tables faults at CPL3:
 * the run ends with that page fault, not a triple fault.
 */
#include "kvmlet_guest.h"

int main(void)
{
	if (kvmlet_unmap(KVMLET_STACK0_GPA, 2 * KVMLET_PAGE_SIZE) != -22)
		kvmlet_abort("the kernel unmapped the ring-0 stacks");
	volatile uint64_t *pml4 = (volatile uint64_t *)(kvmlet_bootinfo()->cr3 & PT_E_ADDR);
	pml4[0] = 0;
	__asm__ volatile("ud2");
	return 0;
}
