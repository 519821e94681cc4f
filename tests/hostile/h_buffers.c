/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: print and abort with buffers whose address or length lies
 * past guest memory, past the address space, or overflows 64 bits. The host
 * must refuse each one cleanly, naming the address.
 */
#include "hostile.h"

static uint64_t mem_end(void)
{
	return kvmlet_bootinfo()->mem_size;
}

/* rdi at the top page and a length past 2^64: over the print limit first. */
HOSTILE_ATTACK(print_overflowing)
{
	hostile_out(KVMLET_PORT_LOG, HOSTILE_TOP, 0x2000, 0);
}

HOSTILE_ATTACK(print_huge_len)
{
	hostile_out(KVMLET_PORT_LOG, (uint64_t) "x", UINT64_MAX, 0);
}

/* Within the limit: the address is canonical but nothing maps it. */
HOSTILE_ATTACK(print_top_page)
{
	hostile_out(KVMLET_PORT_LOG, HOSTILE_TOP, 0x1000, 0);
}

/* Maps the top page itself, then prints across 2^64: the address wraps to 0. */
HOSTILE_ATTACK(print_wraps)
{
	uint64_t pa = hostile_phys(1);

	if (!pa || pt_map(hostile_rw_pt(), HOSTILE_TOP, pa, KVMLET_PAGE_SIZE, PT_PROT_USER, 0) < 0)
		kvmlet_abort("cannot map the top page");
	hostile_out(KVMLET_PORT_LOG, 0xffffffffffffff00ull, 0x200, 0);
}

/* The stack ends at the end of guest memory: print 16 bytes of it and 16 past it. */
HOSTILE_ATTACK(print_past_end)
{
	hostile_out(KVMLET_PORT_LOG, mem_end() - 16, 32, 0);
}

/*
 * Maps two pages at a fresh address onto the last page of guest memory and the
 * guest-physical page after it (no memory there), then prints across them.
 */
HOSTILE_ATTACK(print_alias_past_end)
{
	if (pt_map(hostile_rw_pt(), HOSTILE_SLOT2_VA, mem_end() - KVMLET_PAGE_SIZE,
		   2 * KVMLET_PAGE_SIZE, PT_PROT_USER, PT_MAP_NO_2M) < 0)
		kvmlet_abort("cannot map past the end of memory");
	hostile_out(KVMLET_PORT_LOG, HOSTILE_SLOT2_VA + KVMLET_PAGE_SIZE - 8, 16, 0);
}

/* The GDT is supervisor-only: the host reads only what CPL3 could. */
HOSTILE_ATTACK(print_supervisor_page)
{
	hostile_out(KVMLET_PORT_LOG, KVMLET_GDT_GPA, 16, 0);
}

HOSTILE_ATTACK(abort_overflowing)
{
	hostile_out(KVMLET_PORT_ABORT, HOSTILE_TOP, 0x2000, 0);
}

HOSTILE_ATTACK(abort_past_end)
{
	hostile_out(KVMLET_PORT_ABORT, mem_end() - 16, 32, 0);
}

/* A length of 2^64 - 1 over a readable buffer: cut to the 512-byte limit. */
HOSTILE_ATTACK(abort_huge_len)
{
	static char msg[1024];

	memset(msg, 'A', sizeof(msg));
	hostile_out(KVMLET_PORT_ABORT, (uint64_t)msg, UINT64_MAX, 0);
}

/* Control characters (a terminal escape) reach the host's message as '?'. */
HOSTILE_ATTACK(abort_control_chars)
{
	static const char msg[] = "bad\n\x1b[2Jnews\x7f!";

	hostile_out(KVMLET_PORT_ABORT, (uint64_t)msg, sizeof(msg) - 1, 0);
}

int main(void)
{
	print_overflowing_attack();
	return HOSTILE_SURVIVED;
}
