/*
 * Test guest: does the guest's pt_translate agree with the CPU? probe(kind)
 * maps a fresh page, edits one entry of its path by hand (the tables area is
 * the guest's to write), prints what pt_translate says, then reads the page:
 * the CPU either faults (a page fault with the reserved-bit flag ends the
 * call) or returns what pt_translate predicted. Kinds:
 *   0 nothing edited; 1 PTE address bit at MAXPHYADDR; 2 PML4E bit 8 (AMD:
 *   reserved, Intel: ignored); 3 PDE (non-leaf) bit 8, ignored by both;
 *   4 PDPTE table address bit at MAXPHYADDR; 5 the recursive slot,
 *   PML4[510] = PML4, read back through the address that maps the PML4.
 */
#include "kvmlet_guest.h"

#define SLOT 510ull

static uint64_t *table(uint64_t phys)
{
	return (uint64_t *)(phys & PT_E_ADDR);
}

/* The entry of va at depth d (0 = PML4 .. 3 = PT), read from the raw tables. */
static uint64_t *entry(uint64_t va, int d)
{
	uint64_t t = kvmlet_bootinfo()->cr3;

	for (int i = 0;; i++) {
		uint64_t *e = &table(t)[(va >> (39 - 9 * i)) & 511];
		if (i == d)
			return e;
		t = *e;
	}
}

static int recursive(struct kvmlet_call *c)
{
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();
	uint64_t va = 0xffff000000000000ull | SLOT << 39 | SLOT << 30 | SLOT << 21 | SLOT << 12;
	struct pt_translation t;

	table(bi->cr3)[SLOT] = (bi->cr3 & PT_E_ADDR) | PT_E_P | PT_E_RW | PT_E_US;
	int r = pt_translate(kvmlet_pt(), va + 8, &t);
	kvmlet_printf("translate %d pa 0x%llx\n", r, (unsigned long long)t.pa);
	if (r != 0 || t.pa != (bi->cr3 & PT_E_ADDR) + 8 || t.leaf != PT_SIZE_4K)
		return kvmlet_ret_error(c, "pt_translate does not map the PML4 there");
	for (unsigned i = 0; i < 512; i++)
		if (((volatile uint64_t *)va)[i] != table(bi->cr3)[i])
			return kvmlet_ret_error(c, "the CPU maps something else there");
	return kvmlet_ret_i64(c, 0);
}

static int probe(struct kvmlet_call *c)
{
	int64_t kind = kvmlet_arg_i64(c, 0);
	uint32_t bits = kvmlet_bootinfo()->pt_phys_bits;
	uint64_t va = 0x0000008000000000ull * (uint64_t)(16 + kind), pa = kvmlet_alloc_phys(1);
	uint64_t fill = 0x0000008000000000ull * (uint64_t)(32 + kind); /* another PML4 slot */
	struct pt_translation t;

	if (kind == 5)
		return recursive(c);
	/* Fill the page through another address: va stays out of every TLB and
	 * paging-structure cache until the read below, which must walk. */
	if (!pa || pt_map(kvmlet_pt(), fill, pa, PT_SIZE_4K, PT_PROT_WRITE | PT_PROT_USER, 0) ||
	    pt_map(kvmlet_pt(), va, pa, PT_SIZE_4K, PT_PROT_WRITE | PT_PROT_USER, 0))
		return kvmlet_ret_error(c, "cannot map the probe page");
	*(volatile uint64_t *)fill = 0x70726f6265ull;
	if ((kind == 1 || kind == 4) && (bits == 0 || bits >= 52))
		return kvmlet_ret_error(c, "no reserved address bits: MAXPHYADDR 52");
	if (kind == 1)
		*entry(va, 3) |= 1ull << bits;
	else if (kind == 2)
		*entry(va, 0) |= PT_E_G;
	else if (kind == 3)
		*entry(va, 2) |= PT_E_G;
	else if (kind == 4)
		*entry(va, 1) |= 1ull << bits;
	int r = pt_translate(kvmlet_pt(), va, &t);
	kvmlet_printf("translate %d\n", r);
	if (*(volatile uint64_t *)va != 0x70726f6265ull || r != 0 || t.pa != pa)
		return kvmlet_ret_error(c, "the CPU read the page where pt_translate did not");
	return kvmlet_ret_i64(c, r);
}
KVMLET_EXPORT(probe, "i:i");
