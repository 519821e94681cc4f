/*
 * Test guest for the vCPU's hardening (tests/kvm/test_hardening.c): reports
 * the CPUID it sees, and tries to get to ring 0 the way a hostile guest once
 * could (map its IDT writable through its page tables and add a DPL3 gate to
 * its own code): the table write now faults, ring 0 being kvmlet's. The
 * ring-0 routine's RDMSR and WRMSR, run at CPL3, fault too.
 */
#include "kvmlet_guest.h"

#define IDT_ALIAS 0x0000300000000000ull /* a fresh address: no stale TLB entry */
#define VECTOR	  0x80

/* Ring 0, entered through the gate: rdi = 0 read CR0, 1 rdmsr(esi), 2 wrmsr(esi, 0). */
__asm__(".text\n"
	".globl ring0_entry\n"
	"ring0_entry:\n"
	"	cmp $0, %rdi\n"
	"	jne 1f\n"
	"	mov %cr0, %rax\n"
	"	iretq\n"
	"1:	mov %esi, %ecx\n"
	"	cmp $1, %rdi\n"
	"	jne 2f\n"
	".globl ring0_rdmsr\n"
	"ring0_rdmsr:\n"
	"	rdmsr\n"
	"	shl $32, %rdx\n"
	"	or %rdx, %rax\n"
	"	iretq\n"
	"2:	xor %eax, %eax\n"
	"	xor %edx, %edx\n"
	".globl ring0_wrmsr\n"
	"ring0_wrmsr:\n"
	"	wrmsr\n"
	"	iretq\n");

void ring0_entry(void);
void ring0_rdmsr(void);
void ring0_wrmsr(void);

/*
 * Point IDT vector VECTOR at ring0_entry, callable from CPL3: write a PML4
 * entry that would alias the IDT at IDT_ALIAS. The tables are read-only to
 * guest code: this faults, and nothing below runs.
 */
static int escalate(void)
{
	volatile uint64_t *pml4 = (volatile uint64_t *)(kvmlet_bootinfo()->cr3 & PT_E_ADDR);
	uint64_t off = (uint64_t)(uintptr_t)ring0_entry;

	pml4[(IDT_ALIAS >> 39) & 511] = KVMLET_IDT_GPA | PT_E_P | PT_E_RW | PT_E_US;
	volatile uint64_t *gate = (volatile uint64_t *)(IDT_ALIAS + VECTOR * 16);
	/* 64-bit interrupt gate, present, DPL3, kernel code selector. */
	gate[0] = (off & 0xffff) | ((uint64_t)KVMLET_SEL_KCODE << 16) | (0xeeull << 40) |
		  (((off >> 16) & 0xffff) << 48);
	gate[1] = off >> 32;
	return 0;
}

/* The ring-0 routine called directly, at CPL3: its privileged instruction faults. */
static void at_cpl3(uint64_t op, uint64_t msr)
{
	__asm__ volatile("call ring0_entry" : : "D"(op), "S"(msr) : "rax", "rcx", "rdx", "memory");
}

static uint64_t ring0(uint64_t op, uint64_t msr)
{
	uint64_t r;

	__asm__ volatile("int $0x80" : "=a"(r) : "D"(op), "S"(msr) : "rcx", "rdx", "memory");
	return r;
}

static int ring0_cr0(struct kvmlet_call *c)
{
	if (escalate() < 0)
		return kvmlet_ret_error(c, "cannot map the IDT");
	return kvmlet_ret_u64(c, ring0(0, 0));
}
KVMLET_EXPORT(ring0_cr0, ":u");

static int rdmsr(struct kvmlet_call *c)
{
	at_cpl3(1, kvmlet_arg_u64(c, 0));
	return kvmlet_ret_u64(c, 0);
}
KVMLET_EXPORT(rdmsr, "u:u");

static int wrmsr(struct kvmlet_call *c)
{
	at_cpl3(2, kvmlet_arg_u64(c, 0));
	return kvmlet_ret_u64(c, 0);
}
KVMLET_EXPORT(wrmsr, "u:u");

/* Where the MSR instructions are, to check that a fault names them. */
static int msr_rips(struct kvmlet_call *c)
{
	return kvmlet_ret_u64(c, kvmlet_arg_u64(c, 0) ? (uint64_t)(uintptr_t)ring0_wrmsr
						      : (uint64_t)(uintptr_t)ring0_rdmsr);
}
KVMLET_EXPORT(msr_rips, "u:u");

/* One register of CPUID(leaf, subleaf): reg 0 eax, 1 ebx, 2 ecx, 3 edx. */
static int cpuid(struct kvmlet_call *c)
{
	uint32_t r[4];

	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"((uint32_t)kvmlet_arg_u64(c, 0)),
			   "c"((uint32_t)kvmlet_arg_u64(c, 1)));
	return kvmlet_ret_u64(c, r[kvmlet_arg_u64(c, 2) & 3]);
}
KVMLET_EXPORT(cpuid, "uuu:u");
