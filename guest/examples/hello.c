/* hello: the smallest kvmlet guest. Prints a line and exits 0. */
#include "kvmlet_guest.h"

int main(void)
{
	kvmlet_puts("hello from a kvmlet guest\n");
	return 0;
}
