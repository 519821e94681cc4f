/* SPDX-License-Identifier: MIT */
/*
 * x86.c: the x86-64 machine the guest sees: GDT, IDT, TSS with its I/O
 * permission bitmap, ring-0 exception stubs, and the vCPU registers for
 * entering guest code directly at CPL3 in 64-bit long mode.
 */
#include <errno.h>
#include <string.h>

#include "x86.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)

#define CR4_PAE	       (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE    (1ull << 18)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* GDT descriptors, accessed bits preset so the CPU never writes the page. */
#define GDT_KCODE   0x00af9b000000ffffull /* DPL0, 64-bit code */
#define GDT_KDATA   0x00cf93000000ffffull /* DPL0, data */
#define GDT_UDATA   0x00cff3000000ffffull /* DPL3, data */
#define GDT_UCODE   0x00affb000000ffffull /* DPL3, 64-bit code */
#define GDT_ENTRIES 7			  /* null, 4 segments, TSS (two slots) */

/* 64-bit TSS: RSP0 at 4, IST1 at 36, I/O map base at 102; bitmap after it. */
#define TSS_RSP0    4
#define TSS_IST1    36
#define TSS_IOMAP   102
#define TSS_SIZE    104
#define IOMAP_BYTES 8192
#define TSS_LIMIT   (TSS_SIZE + IOMAP_BYTES) /* includes the 0xff terminator byte */
#define VECTOR_DF   8

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void write_gdt(uint8_t *gdt)
{
	uint64_t base = KVMLET_TSS_GPA, limit = TSS_LIMIT;

	put64(gdt + 0x08, GDT_KCODE);
	put64(gdt + 0x10, GDT_KDATA);
	put64(gdt + 0x18, GDT_UDATA);
	put64(gdt + 0x20, GDT_UCODE);
	/* 16-byte system descriptor: busy 64-bit TSS, present, DPL0. */
	put64(gdt + 0x28, (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bull << 40) |
				  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56));
	put64(gdt + 0x30, base >> 32);
}

/* Every vector: an interrupt gate (DPL0, so `int N` from CPL3 faults) to its
 * stub, but the tick's, which goes to the guest's kernel (entry.S). */
static void write_idt(uint8_t *idt)
{
	for (int v = 0; v < 256; v++) {
		uint64_t off = v == KVMLET_VEC_TICK
				       ? KVMLET_KERNEL_GPA + KVMLET_TICK_ENTRY_OFF
				       : KVMLET_STUBS_GPA + (uint64_t)v * KVMLET_STUB_SIZE;
		uint64_t ist = v == VECTOR_DF ? 1 : 0;
		uint64_t lo = (off & 0xffff) | ((uint64_t)KVMLET_SEL_KCODE << 16) | (ist << 32) |
			      (0x8eull << 40) | (((off >> 16) & 0xffff) << 48);

		put64(idt + v * 16, lo);
		put64(idt + v * 16 + 8, off >> 32);
	}
}

/* The I/O bitmap allows CPL3 exactly the ABI's ports. */
static void write_tss(uint8_t *tss)
{
	put64(tss + TSS_RSP0, KVMLET_STACK0_GPA + KVMLET_PAGE_SIZE);
	put64(tss + TSS_IST1, KVMLET_STACK_DF_GPA + KVMLET_PAGE_SIZE);
	put16(tss + TSS_IOMAP, TSS_SIZE);
	memset(tss + TSS_SIZE, 0xff, IOMAP_BYTES + 1);
	for (unsigned port = KVMLET_PORT_FIRST; port <= KVMLET_PORT_LAST; port++)
		tss[TSS_SIZE + port / 8] &= (uint8_t) ~(1u << (port % 8));
}

/* Stub v: mov $v, %al; out %al, $KVMLET_PORT_EXCEPTION; hlt; jmp back to hlt. */
static void write_stubs(uint8_t *stubs)
{
	memset(stubs, 0xcc, KVMLET_PAGE_SIZE);
	for (int v = 0; v < 256; v++) {
		uint8_t *s = stubs + v * KVMLET_STUB_SIZE;
		const uint8_t code[KVMLET_STUB_SIZE] = {
			0xb0, (uint8_t)v, 0xe6, KVMLET_PORT_EXCEPTION, 0xf4, 0xeb, 0xfd, 0x90,
		};
		memcpy(s, code, sizeof(code));
	}
}

int x86_write_system_tables(const struct guest_mem *gm)
{
	uint8_t *gdt = GUEST_PTR(gm, KVMLET_GDT_GPA, GDT_ENTRIES * 8);
	uint8_t *idt = GUEST_PTR(gm, KVMLET_IDT_GPA, 256 * 16);
	uint8_t *tss = GUEST_PTR(gm, KVMLET_TSS_GPA, TSS_LIMIT + 1);
	uint8_t *stubs = GUEST_PTR(gm, KVMLET_STUBS_GPA, KVMLET_PAGE_SIZE);

	if (!gdt || !idt || !tss || !stubs)
		return -EFAULT;
	write_gdt(gdt);
	write_idt(idt);
	write_tss(tss);
	write_stubs(stubs);
	return 0;
}

static struct kvm_segment user_seg(uint16_t sel, uint8_t type, bool code)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 3,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

/*
 * TR holds a 64-bit TSS: busy (11) as LTR leaves it, which VMX requires on
 * entry. SVM checks nothing, and QEMU's SVM emulation honours the I/O bitmap
 * only for type 9 (available), so AMD vCPUs get 9. KVM_GET_SREGS reports 11
 * either way: sregs read back must pass through here before KVM_SET_SREGS.
 */
void x86_fixup_tr(const struct vcpu *v, struct kvm_sregs *sregs)
{
	sregs->tr.type = v->paging.amd ? 0x9 : 0xb;
}

int x86_setup_vcpu(struct vcpu *v, uint64_t cr3, uint64_t rip, uint64_t rsp,
		   struct kvmlet_error *err)
{
	struct kvm_sregs sregs;
	/* IF set: user code can take a tick (a Linux program's; no other gets one). */
	struct kvm_regs regs = {.rip = rip, .rsp = rsp, .rflags = 0x202};
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};

	int r;

	if ((r = vcpu_get_sregs(v, &sregs, err)) < 0)
		return r;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = cr3;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (v->xcr0 ? CR4_OSXSAVE : 0);
	sregs.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	sregs.cs = user_seg(KVMLET_SEL_UCODE, 0xb, true);
	sregs.ss = sregs.ds = sregs.es = sregs.fs = sregs.gs =
		user_seg(KVMLET_SEL_UDATA, 0x3, false);
	sregs.gdt = (struct kvm_dtable){.base = KVMLET_GDT_GPA, .limit = GDT_ENTRIES * 8 - 1};
	sregs.idt = (struct kvm_dtable){.base = KVMLET_IDT_GPA, .limit = 256 * 16 - 1};
	sregs.tr = (struct kvm_segment){.base = KVMLET_TSS_GPA,
					.limit = TSS_LIMIT,
					.selector = KVMLET_SEL_TSS,
					.present = 1};
	x86_fixup_tr(v, &sregs);
	sregs.ldt = (struct kvm_segment){.unusable = 1};
	/* No local APIC (no in-kernel irqchip, no interrupts): disabled, so KVM
	 * also clears the CPUID APIC bit it derives from APIC_BASE. */
	sregs.apic_base = 0;
	if ((r = vcpu_set_sregs(v, &sregs, err)) < 0 || (r = vcpu_set_regs(v, &regs, err)) < 0)
		return r;
	/* x87, SSE and AVX state for XSAVE (AVX-512 and the rest stay off). */
	if (v->xcr0 && (r = vcpu_set_xcr0(v, v->xcr0, err)) < 0)
		return r;
	/* `syscall` enters the kernel (guest/kernel) at CPL0; `sysretq` goes back
	 * to CPL3 (CS = STAR[63:48] + 16, SS = + 8); SFMASK clears IF, TF, DF, AC, NT. */
	static const uint32_t idx[] = {0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084};
	const uint64_t val[] = {
		((uint64_t)(KVMLET_SEL_UDATA - 8) << 48) | ((uint64_t)KVMLET_SEL_KCODE << 32),
		KVMLET_KERNEL_GPA,
		0,
		0x47700,
	};
	if ((r = vcpu_set_msrs(v, idx, val, 4, err)) < 0)
		return r;
	return vcpu_set_fpu(v, &fpu, err);
}

bool x86_has_error_code(int vector)
{
	return vector >= 0 && vector < 32 && ((KVMLET_ERROR_CODE_VECTORS >> vector) & 1);
}

const char *x86_vector_name(int vector)
{
	static const char *const names[32] = {
		[0] = "divide error",
		[1] = "debug exception",
		[2] = "non-maskable interrupt",
		[3] = "breakpoint",
		[4] = "overflow",
		[5] = "bound range exceeded",
		[6] = "invalid opcode",
		[7] = "device not available",
		[8] = "double fault",
		[10] = "invalid TSS",
		[11] = "segment not present",
		[12] = "stack-segment fault",
		[13] = "general protection fault",
		[14] = "page fault",
		[16] = "x87 floating-point error",
		[17] = "alignment check",
		[18] = "machine check",
		[19] = "SIMD floating-point exception",
		[20] = "virtualization exception",
		[21] = "control protection exception",
	};
	return vector >= 0 && vector < 32 ? names[vector] : NULL;
}
