/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: takes ring 0 inside its VM (the IDT lies in its memory: it
 * maps it writable and installs a DPL3 gate to its own code, entered with
 * `int $0x80`), then does what only ring 0 can. The VM boundary, not the ring,
 * protects the host: each must end in a clean error.
 */
#include "hostile.h"

#define GATE 0x80

/* CPL0 routines, entered through the gate; only the debug-register ones return. */
void r0_hlt(void);
void r0_out(void);
void r0_wrmsr(void);
void r0_rdmsr(void);
void r0_cli_spin(void);
void r0_cr3_outside(void);
void r0_lidt_empty(void);
void r0_set_dr7(void);
void r0_get_dr7(void);
static volatile uint64_t r0_value __attribute__((used));
__asm__(".text\n"
	"r0_hlt: hlt\n"
	"	jmp r0_hlt\n"
	"r0_out: mov $0x80, %dx\n"
	"	outb %al, %dx\n"
	"	ud2\n"
	/* EFER = 0 would leave long mode */
	"r0_wrmsr: mov $0xc0000080, %ecx\n"
	"	xor %eax, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	ud2\n"
	/* the time-stamp counter */
	"r0_rdmsr: mov $0x10, %ecx\n"
	"	rdmsr\n"
	"	ud2\n"
	"r0_cli_spin: cli\n"
	"1:	jmp 1b\n"
	/* a PML4 at 1 GiB, where there is no memory */
	"r0_cr3_outside: mov $0x40000000, %rax\n"
	"	mov %rax, %cr3\n"
	"	ud2\n"
	"r0_lidt_empty: lidt idt_empty(%rip)\n"
	"	ud2\n"
	/*
	 * An execute breakpoint at the last user page, which no guest and no
	 * process uses: armed, it changes nothing. (A breakpoint where code
	 * runs would be seen by every later VM: QEMU's TCG leaks them.)
	 */
	"r0_set_dr7: movabs $0x7ffffffff000, %rax\n"
	"	mov %rax, %dr0\n"
	"	mov $0x401, %eax\n" /* DR7.L0, execute, one byte */
	"	mov %rax, %dr7\n"
	"	iretq\n"
	"r0_get_dr7: mov %dr7, %rax\n"
	"	mov %rax, r0_value(%rip)\n"
	"	iretq\n"
	".section .rodata\n"
	"idt_empty: .word 0\n"
	"	.quad 0\n"
	".text\n");

static void ring0(void (*routine)(void))
{
	hostile_set_gate(GATE, routine, 3);
	__asm__ volatile("int $0x80" : : : "memory");
}

HOSTILE_ATTACK(ring0_hlt)
{
	ring0(r0_hlt);
}

HOSTILE_ATTACK(ring0_out)
{
	ring0(r0_out);
}

HOSTILE_ATTACK(ring0_wrmsr)
{
	ring0(r0_wrmsr);
}

HOSTILE_ATTACK(ring0_rdmsr)
{
	ring0(r0_rdmsr);
}

HOSTILE_ATTACK(ring0_cli_spin)
{
	ring0(r0_cli_spin);
}

HOSTILE_ATTACK(ring0_cr3_outside)
{
	ring0(r0_cr3_outside);
}

HOSTILE_ATTACK(ring0_lidt_empty)
{
	ring0(r0_lidt_empty);
}

/*
 * Ring 0 arms a hardware breakpoint and the call returns normally. A reset
 * must not keep it: debug registers are vCPU state that KVM_SET_SREGS does
 * not cover. ring0_dr7 reads DR7's enable bits back.
 */
HOSTILE_ATTACK(ring0_set_dr7)
{
	ring0(r0_set_dr7);
}

static int ring0_dr7(struct kvmlet_call *c)
{
	ring0(r0_get_dr7);
	return kvmlet_ret_i64(c, (int64_t)(r0_value & 0xff));
}
KVMLET_EXPORT(ring0_dr7, ":i");

int main(void)
{
	ring0_hlt_attack();
	return HOSTILE_SURVIVED;
}
