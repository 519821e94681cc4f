/* Test guest: aborts with a message. */
#include "kvmlet_guest.h"

int main(void)
{
	kvmlet_abort("the guest gave up");
}
