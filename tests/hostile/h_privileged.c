/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: privileged and system instructions at CPL3. Each must raise
 * an exception that the host reports; none may reach the host's KVM state.
 */
#include "hostile.h"

#define INSN(name, ...)                        \
	HOSTILE_ATTACK(name)                   \
	{                                      \
		__asm__ volatile(__VA_ARGS__); \
	}

INSN(cli, "cli")
INSN(sti, "sti")
INSN(hlt, "hlt")
/* EFER: a write would turn long mode off. */
INSN(wrmsr, "wrmsr" : : "c"(0xc0000080u), "a"(0), "d"(0))
INSN(rdmsr, "rdmsr" : : "c"(0xc0000080u) : "rax", "rdx")
INSN(read_cr3, "mov %%cr3, %%rax" : : : "rax")
INSN(write_cr3, "mov %%rax, %%cr3" : : "a"(kvmlet_bootinfo()->cr3))
INSN(write_cr0, "mov %%rax, %%cr0" : : "a"(0x80000011ull))
INSN(lgdt, "lgdt %0" : : "m"(*(const volatile uint8_t (*)[10])kvmlet_bootinfo()))
INSN(lidt, "lidt %0" : : "m"(*(const volatile uint8_t (*)[10])kvmlet_bootinfo()))
INSN(ltr, "ltr %%ax" : : "a"(KVMLET_SEL_TSS))
INSN(invlpg, "invlpg (%%rax)" : : "a"(KVMLET_IMAGE_GPA) : "memory")
INSN(wbinvd, "wbinvd")
INSN(swapgs, "swapgs")
INSN(rdpmc, "rdpmc" : : "c"(0) : "rax", "rdx")
INSN(clts, "clts")
/* Every IDT gate has DPL 0: a software interrupt from CPL3 is refused (#GP). */
INSN(int80, "int $0x80")
INSN(int3, "int3")
/* EFER.SCE is clear: syscall is undefined. */
INSN(syscall, "syscall" : : : "rcx", "r11", "memory")
/* AMD: undefined in long mode; Intel: #GP, since IA32_SYSENTER_CS is 0. */
INSN(sysenter, "sysenter" : : : "memory")

/* popf cannot raise IOPL at CPL3: the write to a port outside the ABI still faults. */
HOSTILE_ATTACK(popf_iopl)
{
	__asm__ volatile("pushfq\n\t"
			 "orq $0x3000, (%%rsp)\n\t"
			 "popfq\n\t"
			 "outb %%al, $0x80"
			 :
			 : "a"(0)
			 : "memory", "cc");
}

int main(void)
{
	cli_attack();
	return HOSTILE_SURVIVED;
}
