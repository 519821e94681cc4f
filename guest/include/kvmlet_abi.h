/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_abi.h: the contract between the kvmlet host and its guests, included
 * by both sides. Every constant that crosses the VM boundary lives here.
 *
 * Guest-physical layout (the host maps all of it identity, VA == GPA):
 *
 *   0x000000  null page: never mapped
 *   0x001000  GDT                    supervisor, read-only
 *   0x002000  IDT                    supervisor, read-only
 *   0x003000  TSS + I/O bitmap       supervisor, read-only (3 pages)
 *   0x006000  exception stubs        supervisor, read + execute
 *   0x007000  ring-0 stack           supervisor, read + write (TSS.RSP0)
 *   0x008000  double-fault stack     supervisor, read + write (IST1)
 *   0x009000  boot info              user, read-only (struct kvmlet_bootinfo)
 *   0x010000  page tables            user, read + write, no execute: the
 *             host's tables first, then the guest's own pool (see bootinfo)
 *   0x200000  guest image (ELF segments, linked there by guest/kvmlet.ld),
 *             then the heap; free pages the guest may map itself; a guard
 *             page; the stack, ending at the top of guest memory.
 *
 * Guest code runs at CPL3 and reaches the host with `out` to the ports below,
 * which the TSS I/O permission bitmap allows (IOPL stays 0). Arguments travel
 * in registers, which the host reads through KVM's synced registers.
 */
#ifndef KVMLET_ABI_H
#define KVMLET_ABI_H

#include <stdint.h>

#define KVMLET_ABI_VERSION 1u

/* Guest-physical (and virtual) layout. */
#define KVMLET_GDT_GPA	     0x1000ull
#define KVMLET_IDT_GPA	     0x2000ull
#define KVMLET_TSS_GPA	     0x3000ull
#define KVMLET_TSS_PAGES     3u
#define KVMLET_STUBS_GPA     0x6000ull
#define KVMLET_STACK0_GPA    0x7000ull /* ring-0 stack page; RSP0 is its top */
#define KVMLET_STACK_DF_GPA  0x8000ull /* IST1 stack page for #DF */
#define KVMLET_BOOTINFO_GPA  0x9000ull
#define KVMLET_TABLES_GPA    0x10000ull
#define KVMLET_TABLES_END    0x200000ull
#define KVMLET_IMAGE_GPA     0x200000ull /* lowest address a guest segment may use */
#define KVMLET_PAGE_SIZE     4096ull

/* GDT selectors. */
#define KVMLET_SEL_KCODE 0x08u
#define KVMLET_SEL_KDATA 0x10u
#define KVMLET_SEL_UDATA 0x1bu /* 0x18 | RPL3 */
#define KVMLET_SEL_UCODE 0x23u /* 0x20 | RPL3 */
#define KVMLET_SEL_TSS	 0x28u

/*
 * Ports. CPL3 may use KVMLET_PORT_FIRST..KVMLET_PORT_LAST (one byte `out`,
 * AL ignored unless said); KVMLET_PORT_EXCEPTION is for the ring-0 stubs only.
 */
#define KVMLET_PORT_FIRST     0x0e0u
#define KVMLET_PORT_EXIT      0x0e0u /* rdi = exit status (low 8 bits kept by the CLI) */
#define KVMLET_PORT_LOG	      0x0e1u /* rdi = buffer va, rsi = length: print */
#define KVMLET_PORT_ABORT     0x0e2u /* rdi = message va, rsi = length: abort */
#define KVMLET_PORT_LAST      0x0e2u
#define KVMLET_PORT_EXCEPTION 0x0efu /* AL = vector; frame on the ring-0 stack */

/* Limits the host enforces on what the guest hands it. */
#define KVMLET_LOG_MAX	 4096u /* one print; longer ones are refused */
#define KVMLET_ABORT_MAX 512u  /* abort messages are cut to this */

/* Stub layout: vector v's entry point is KVMLET_STUBS_GPA + v * KVMLET_STUB_SIZE. */
#define KVMLET_STUB_SIZE 8u

#define KVMLET_BOOTINFO_MAGIC 0x74656c6d766bull /* "kvmlet" */

/* What the host tells the guest, at KVMLET_BOOTINFO_GPA. All are guest addresses. */
struct kvmlet_bootinfo {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t pt_caps;	/* PT_CAP_* the host used for the tables */
	uint64_t cr3;		/* guest-physical address of the PML4 (CPL3 cannot read CR3) */
	uint64_t mem_size;	/* guest memory: [0, mem_size) */
	uint64_t tables_lo;	/* tables area, user-writable: [tables_lo, tables_hi) */
	uint64_t tables_hi;
	uint64_t pool_lo;	/* the guest's own table pool inside the area */
	uint64_t pool_hi;
	uint64_t image_lo;	/* ELF segments */
	uint64_t image_hi;
	uint64_t heap_lo;	/* initially mapped heap */
	uint64_t heap_hi;
	uint64_t free_lo;	/* physical pages nobody uses: the guest may map them */
	uint64_t free_hi;
	uint64_t stack_lo;	/* stack; the page below stack_lo is the unmapped guard */
	uint64_t stack_hi;
};

#endif /* KVMLET_ABI_H */
