/* Test guest: prints across a page boundary and in many pieces, then exits 42. */
#include "kvmlet_guest.h"

static char big[3 * KVMLET_LOG_MAX + 17];

int main(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	kvmlet_write(big, sizeof(big));
	kvmlet_printf("\n%d %u %x %s %5d|%-5d|%05d %lld %.3s|%.*s|\n", -7, 7u, 255u, "str", 42, 42,
		      42, -1234567890123ll, "abcdef", 2, "xyz");
	return 42;
}
