/* SPDX-License-Identifier: MIT */
/* hostile.c: helpers compiled into every hostile test guest (see hostile.h). */
#include "hostile.h"

volatile uint64_t *hostile_scratch(void)
{
	return (volatile uint64_t *)kvmlet_bootinfo()->result_buf;
}

void *hostile_alias(uint64_t pa, uint64_t pages)
{
	static uint64_t next = HOSTILE_ALIAS_VA;
	uint64_t va = next;

	if (pt_map(hostile_rw_pt(), va, pa, pages * KVMLET_PAGE_SIZE, PT_PROT_USER | PT_PROT_WRITE,
		   PT_MAP_NO_2M) < 0)
		kvmlet_abort("hostile_alias: pt_map failed");
	next += pages * KVMLET_PAGE_SIZE;
	return (void *)va;
}

static int raw_write(void *ctx, uint64_t addr, uint64_t entry)
{
	(void)ctx;
	*(volatile uint64_t *)addr = entry; /* the table page is read-only: faults */
	return 0;
}

static int raw_alloc(void *ctx, uint64_t *table)
{
	(void)ctx;
	*table = kvmlet_bootinfo()->pool_hi - KVMLET_PAGE_SIZE;
	return 0;
}

const struct pt_backend *hostile_rw_pt(void)
{
	static struct pt_backend b;

	b = *kvmlet_pt();
	b.write_entry = raw_write;
	b.alloc_table = raw_alloc;
	return &b;
}

uint64_t hostile_phys(uint64_t n)
{
	static uint64_t next;

	if (!next)
		next = kvmlet_bootinfo()->free_hi - 64 * KVMLET_PAGE_SIZE;
	next += n * KVMLET_PAGE_SIZE;
	return next - n * KVMLET_PAGE_SIZE;
}

void hostile_set_gate(unsigned v, void (*handler)(void), unsigned dpl)
{
	static volatile uint64_t *idt;
	uint64_t off = (uint64_t)handler;

	if (!idt)
		idt = hostile_alias(KVMLET_IDT_GPA, 1);
	/* 64-bit interrupt gate: present, DPL, type 0xe, kernel code selector, no IST. */
	idt[2 * v] = (off & 0xffff) | ((uint64_t)KVMLET_SEL_KCODE << 16) |
		     ((uint64_t)(0x8e | (dpl & 3) << 5) << 40) | (((off >> 16) & 0xffff) << 48);
	idt[2 * v + 1] = off >> 32;
}

volatile uint64_t *hostile_pml4(void)
{
	return (volatile uint64_t *)(kvmlet_bootinfo()->cr3 & PT_E_ADDR);
}

/* Every hostile guest: a call that must work on a fresh or reset sandbox. */
static int fine(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, 7);
}
KVMLET_EXPORT(fine, ":i");
