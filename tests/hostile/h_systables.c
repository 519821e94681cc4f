/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: corrupts the GDT, IDT and TSS (supervisor pages the host
 * maps read-only) by mapping them again, writable, with the guest backend,
 * then faults. Exception delivery fails: a fault the host reports, or a
 * triple fault. Opening its own I/O bitmap reaches the host with ports and
 * forged exception reports that the host must refuse or report cleanly.
 */
#include "hostile.h"

#define TSS_RSP0  4
#define TSS_IST1  36
#define TSS_IOMAP 104 /* our TSS's I/O bitmap starts right after it */

static uint8_t *tss(void)
{
	return hostile_alias(KVMLET_TSS_GPA, KVMLET_TSS_PAGES);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Let CPL3 use port: clear its bit in the I/O bitmap. */
static void open_port(uint16_t port)
{
	tss()[TSS_IOMAP + port / 8] &= (uint8_t) ~(1u << (port % 8));
}

/* Every gate garbage: #UD, then #GP and #DF cannot be delivered. */
HOSTILE_ATTACK(idt_scribble)
{
	memset(hostile_alias(KVMLET_IDT_GPA, 1), 0xff, KVMLET_PAGE_SIZE);
	__asm__ volatile("ud2");
}

/* The #UD gate not present: #NP for it (IDT, external), delivered through gate 11. */
HOSTILE_ATTACK(idt_ud_absent)
{
	volatile uint64_t *idt = hostile_alias(KVMLET_IDT_GPA, 1);

	idt[2 * 6] &= ~(1ull << 47);
	__asm__ volatile("ud2");
}

/* The kernel code descriptor gone: no exception handler can be entered. */
HOSTILE_ATTACK(gdt_kcode_zero)
{
	volatile uint64_t *gdt = hostile_alias(KVMLET_GDT_GPA, 1);

	gdt[KVMLET_SEL_KCODE / 8] = 0;
	__asm__ volatile("ud2");
}

/* RSP0 at the top of the stack guard page: #GP and #PF cannot push their frames; #DF has IST1. */
HOSTILE_ATTACK(tss_rsp0_unmapped)
{
	put64(tss() + TSS_RSP0, kvmlet_bootinfo()->stack_lo);
	__asm__ volatile("cli");
}

HOSTILE_ATTACK(tss_stacks_unmapped)
{
	uint8_t *t = tss();

	put64(t + TSS_RSP0, kvmlet_bootinfo()->stack_lo);
	put64(t + TSS_IST1, kvmlet_bootinfo()->stack_lo);
	__asm__ volatile("cli");
}

HOSTILE_ATTACK(iobitmap_open_out)
{
	open_port(HOSTILE_FAR_PORT);
	__asm__ volatile("outb %%al, %%dx" : : "a"(0), "d"(HOSTILE_FAR_PORT) : "memory");
}

HOSTILE_ATTACK(iobitmap_open_in)
{
	open_port(HOSTILE_FAR_PORT);
	__asm__ volatile("inb %%dx, %%al" : : "d"(HOSTILE_FAR_PORT) : "rax", "memory");
}

/* CPL3 reports a #GP that never happened, with a frame of its choosing on its stack. */
HOSTILE_ATTACK(forge_exception)
{
	open_port(KVMLET_PORT_EXCEPTION);
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "sub $64, %%rsp\n\t"
			 "movq $0x1234, (%%rsp)\n\t" /* error code */
			 "mov $0xdeadbeef, %%eax\n\t"
			 "mov %%rax, 8(%%rsp)\n\t" /* RIP */
			 "mov $13, %%al\n\t"
			 "outb %%al, $0xef\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 :
			 : "rax", "rbx", "memory");
}

/* The same with RSP outside guest memory: the host cannot read a frame at all. */
HOSTILE_ATTACK(forge_exception_bad_rsp)
{
	open_port(KVMLET_PORT_EXCEPTION);
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov $-16, %%rsp\n\t"
			 "mov $13, %%al\n\t"
			 "outb %%al, $0xef\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 :
			 : "rax", "rbx", "memory");
}

int main(void)
{
	idt_scribble_attack();
	return HOSTILE_SURVIVED;
}
