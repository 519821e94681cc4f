/* SPDX-License-Identifier: MIT */
/*
 * hostile.h: what the hostile test guests (suite hostile) share. Each guest
 * is one attack family: its main() is the headline attack (for kvmlet_run)
 * and every variant is an exported function ":i" (for kvmlet_call); all of
 * them also export fine(), a call that must keep working after a reset.
 */
#ifndef KVMLET_HOSTILE_H
#define KVMLET_HOSTILE_H

#include "kvmlet_guest.h"

/* What an attack returns if the host let it through without ending the run. */
#define HOSTILE_SURVIVED 99

/* The top page of the address space, canonical, never mapped by the host. */
#define HOSTILE_TOP 0xfffffffffffff000ull

/* Fresh virtual ranges (PML4 slots 1, 2, 64) that nothing maps and no TLB holds. */
#define HOSTILE_SLOT1_VA 0x008000000000ull
#define HOSTILE_SLOT2_VA 0x010000000000ull
#define HOSTILE_ALIAS_VA 0x200000000000ull

/* An I/O port that is outside the ABI and whose bitmap bit lies in the TSS's second page. */
#define HOSTILE_FAR_PORT 0x8000u

/*
 * HOSTILE_ATTACK(name) { ... }: defines name_attack(void), and exports name
 * (":i") which runs it and returns HOSTILE_SURVIVED if the host let it go on.
 */
#define HOSTILE_ATTACK(name)                                \
	static void name##_attack(void);                    \
	static int name(struct kvmlet_call *c)              \
	{                                                   \
		name##_attack();                            \
		return kvmlet_ret_i64(c, HOSTILE_SURVIVED); \
	}                                                   \
	KVMLET_EXPORT(name, ":i");                          \
	static void name##_attack(void)

/* A one-byte `out` with the print/abort/ready register convention. */
static inline void hostile_out(uint16_t port, uint64_t rdi, uint64_t rsi, uint64_t rdx)
{
	__asm__ volatile("outb %%al, %w0"
			 :
			 : "Nd"(port), "a"(0), "D"(rdi), "S"(rsi), "d"(rdx)
			 : "memory");
}

/*
 * The scratch word: how far an attack got (a port number, a step), which the
 * test reads from guest memory after the run ended. The first 8 bytes of the
 * result buffer: user-writable, and nothing else writes it during an attack.
 */
volatile uint64_t *hostile_scratch(void);

/*
 * Map pages physical pages from pa at a fresh virtual address (after
 * HOSTILE_ALIAS_VA), user and writable, not executable; aborts on failure.
 * Once the way to write the host's supervisor-only pages (GDT, IDT, TSS);
 * since ring 0 is kvmlet's, the tables are read-only to guest code and the
 * first table write faults: every attack built on it must end there.
 */
void *hostile_alias(uint64_t pa, uint64_t pages);

/*
 * The guest backend with a write side that writes the tables directly, as a
 * guest that owned its address space would (every write now faults), and
 * hostile_phys(n): n physical pages of the attacker's choosing (free range).
 */
const struct pt_backend *hostile_rw_pt(void);
uint64_t hostile_phys(uint64_t n);

/*
 * Point IDT vector v at handler, a routine of this image that then runs at
 * CPL0 on the ring-0 stack. dpl 3 lets `int v` from CPL3 reach it.
 */
void hostile_set_gate(unsigned v, void (*handler)(void), unsigned dpl);

/* The PML4 through the guest's identity mapping of its tables area. */
volatile uint64_t *hostile_pml4(void);

#endif /* KVMLET_HOSTILE_H */
