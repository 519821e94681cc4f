/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: corrupts its own page tables, then faults or asks the host
 * to read through them (print). The host translates guest buffers through
 * these very tables: it must give a clean error whatever they hold. Entries
 * are written raw, past the guest backend's checks.
 */
#include "hostile.h"

#define TABLE (PT_E_P | PT_E_RW | PT_E_US)

/* The virtual address whose four table indexes are a, b, c, d (PML4 first). */
#define VA(a, b, c, d) \
	((uint64_t)(a) << 39 | (uint64_t)(b) << 30 | (uint64_t)(c) << 21 | (uint64_t)(d) << 12)

static uint64_t read64(uint64_t va)
{
	return *(volatile const uint64_t *)va;
}

static void print(uint64_t va, uint64_t len)
{
	hostile_out(KVMLET_PORT_LOG, va, len, 0);
}

static void clear_pml4(void)
{
	volatile uint64_t *pml4 = hostile_pml4();

	for (unsigned i = 0; i < 512; i++)
		pml4[i] = 0;
}

/* Nothing is mapped any more: the next exception cannot be delivered either. */
HOSTILE_ATTACK(clear_pml4_fault)
{
	clear_pml4();
	__asm__ volatile("ud2");
}

HOSTILE_ATTACK(clear_pml4_print)
{
	clear_pml4();
	print(KVMLET_BOOTINFO_GPA, 8);
}

/* A PML4 entry pointing at a table outside guest memory (1 GiB; memory is smaller). */
static void slot1_outside(void)
{
	hostile_pml4()[1] = 0x40000000ull | TABLE;
}

HOSTILE_ATTACK(table_outside_print)
{
	slot1_outside();
	print(HOSTILE_SLOT1_VA, 8);
}

HOSTILE_ATTACK(table_outside_read)
{
	slot1_outside();
	read64(HOSTILE_SLOT1_VA);
}

/* A leaf pointing at a page outside guest memory. */
static void slot2_leaf(uint64_t pa)
{
	if (pt_map(hostile_rw_pt(), HOSTILE_SLOT2_VA, pa, KVMLET_PAGE_SIZE, PT_PROT_USER, 0) < 0)
		kvmlet_abort("pt_map failed");
}

HOSTILE_ATTACK(leaf_outside_print)
{
	slot2_leaf(0x40000000ull);
	print(HOSTILE_SLOT2_VA, 8);
}

HOSTILE_ATTACK(leaf_outside_read)
{
	slot2_leaf(0x40000000ull);
	read64(HOSTILE_SLOT2_VA);
}

/*
 * A read from outside guest memory ends the call on an MMIO exit, in the
 * middle of an instruction that KVM completes on the next KVM_RUN. If the host
 * does not complete it before the next call, the next call resumes here
 * instead of entering the dispatcher, and returns what this guest forges.
 */
void hostile_forge_result(void);
void hostile_forge_result(void)
{
	struct kvmlet_msg_hdr *h = (struct kvmlet_msg_hdr *)kvmlet_bootinfo()->result_buf;
	struct kvmlet_msg_val *v = (struct kvmlet_msg_val *)(h + 1);

	*h = (struct kvmlet_msg_hdr){.magic = KVMLET_MSG_MAGIC,
				     .kind = KVMLET_MSG_RESULT,
				     .nvals = 1,
				     .len = sizeof(*h) + sizeof(*v)};
	*v = (struct kvmlet_msg_val){.type = KVMLET_T_I64, .v = 666};
	for (;;)
		hostile_out(KVMLET_PORT_RETURN, 0, 0, 0);
}

HOSTILE_ATTACK(mmio_forges_next_result)
{
	slot2_leaf(0x40000000ull);
	/* Only memory and RIP survive into the next call: a direct call, no registers. */
	__asm__ volatile("mov (%0), %%rax\n\t"
			 "call hostile_forge_result"
			 :
			 : "r"(HOSTILE_SLOT2_VA)
			 : "rax", "memory");
}

/* Bit 51 of the address: beyond any vCPU's physical width, so a reserved bit. */
/* A leaf whose address has every bit up to 51: reserved past MAXPHYADDR (written raw:
 * the guest backend refuses to map it). */
static void slot2_leaf_reserved(void)
{
	uint64_t t = kvmlet_bootinfo()->cr3;

	slot2_leaf(0x40000000ull);
	for (int d = 0; d < 3; d++)
		t = ((volatile uint64_t *)(t & PT_E_ADDR))[(HOSTILE_SLOT2_VA >> (39 - 9 * d)) & 511];
	volatile uint64_t *pte = (volatile uint64_t *)(t & PT_E_ADDR) +
				 ((HOSTILE_SLOT2_VA >> 12) & 511);
	*pte |= 0x000ffffffffff000ull;
}

HOSTILE_ATTACK(leaf_reserved_read)
{
	slot2_leaf_reserved();
	read64(HOSTILE_SLOT2_VA);
}

HOSTILE_ATTACK(leaf_reserved_print)
{
	slot2_leaf_reserved();
	print(HOSTILE_SLOT2_VA, 8);
}

/*
 * A loop: PML4[1] points at the PML4 itself. The CPU follows it (the classic
 * recursive mapping: VA(1,1,1,1) is the PML4 page), and so does the host: it
 * prints from it like from any other mapped buffer.
 */
static void slot1_loop(uint64_t extra)
{
	hostile_pml4()[1] = (kvmlet_bootinfo()->cr3 & PT_E_ADDR) | TABLE | extra;
}

HOSTILE_ATTACK(loop_print)
{
	slot1_loop(0);
	if (read64(VA(1, 1, 1, 1)) != hostile_pml4()[0])
		kvmlet_abort("the recursive mapping does not show the PML4");
	print(VA(1, 1, 1, 1), 8);
}

/* Through the loop to PML4[2], which is empty: an ordinary page fault. */
HOSTILE_ATTACK(loop_read_hole)
{
	slot1_loop(0);
	read64(VA(1, 1, 1, 2));
}

/* PS in a PML4 entry is a reserved bit. */
HOSTILE_ATTACK(loop_ps_read)
{
	slot1_loop(PT_E_PS);
	read64(VA(1, 1, 1, 1));
}

HOSTILE_ATTACK(loop_ps_print)
{
	slot1_loop(PT_E_PS);
	print(VA(1, 1, 1, 1), 8);
}

int main(void)
{
	clear_pml4_fault_attack();
	return HOSTILE_SURVIVED;
}
