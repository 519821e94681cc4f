/* Test guest: grows its heap past what the host mapped, through the guest backend. */
#include "kvmlet_guest.h"

int main(void)
{
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();
	uint64_t initial = bi->heap_hi - bi->heap_lo;
	uint64_t total = 0;

	while (total < 4 * initial) {
		unsigned char *p = kvmlet_malloc(64 << 10);
		if (!p)
			kvmlet_abort("out of heap");
		for (size_t i = 0; i < (64 << 10); i += 4096)
			p[i] = (unsigned char)i;
		total += 64 << 10;
	}
	kvmlet_printf("heap grew to %llu KiB\n", (unsigned long long)(total >> 10));
	return 0;
}
