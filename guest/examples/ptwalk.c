/*
 * ptwalk: walks its own page tables with the guest backend and prints its
 * memory map (the same lines as `kvmlet inspect`), then has the kernel map a
 * fresh page, writes to it, reads it back, and prints where it went.
 */
#include "kvmlet_guest.h"
#include "pt_format.h"

static int print_run(void *arg, const struct pt_run *run)
{
	char line[PT_FORMAT_MAX];

	(void)arg;
	pt_format_run(line, run);
	kvmlet_printf("%s\n", line);
	return 0;
}

int main(void)
{
	const struct pt_backend *pt = kvmlet_pt();
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();
	struct pt_translation t;
	int err;

	kvmlet_puts("memory map:\n");
	if ((err = pt_walk(pt, 0, 0, 0, print_run, NULL)) < 0) {
		kvmlet_printf("walk failed: %s\n", pt_strerror(err));
		return 1;
	}

	/* A fresh page from the kernel, mapped well away from everything else. */
	uint64_t va = 0x0000100000000000ull;
	long r = kvmlet_map(va, PT_SIZE_4K, KVMLET_MAP_WRITE);
	if (r < 0) {
		kvmlet_printf("map failed: error %ld\n", -r);
		return 1;
	}
	if ((err = pt_translate(pt, va, &t)) < 0)
		kvmlet_abort("the new page does not translate");
	uint64_t pa = t.pa;
	volatile uint64_t *p = (volatile uint64_t *)va;
	p[0] = 0x6b766d6c6574ull;
	p[511] = bi->cr3;
	if (p[0] != 0x6b766d6c6574ull || p[511] != bi->cr3)
		kvmlet_abort("the new page does not hold what was written");
	if ((err = pt_translate(pt, va, &t)) < 0 || t.pa != pa)
		kvmlet_abort("the new page does not translate back");
	kvmlet_printf("mapped 0x%016llx -> 0x%016llx and used it\n", (unsigned long long)va,
		      (unsigned long long)t.pa);
	return 0;
}
