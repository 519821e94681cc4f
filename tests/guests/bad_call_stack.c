/* Test guest: reports READY again from main with a call stack top that is
 * not user-writable (the ring-0 stack page): the host must refuse it. */
#include "kvmlet_guest.h"

void kvmlet_dispatch_entry(void);

int main(void)
{
	static const struct kvmlet_export none[1];

	__asm__ volatile("outb %%al, %w0"
			 :
			 : "Nd"((uint16_t)KVMLET_PORT_READY), "a"(0),
			   "D"((uint64_t)kvmlet_dispatch_entry), "S"((uint64_t)none),
			   "d"(KVMLET_READY_STACK), "c"(KVMLET_STACK0_GPA + KVMLET_PAGE_SIZE)
			 : "memory");
	return 0;
}
