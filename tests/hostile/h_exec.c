/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: jumping where there is no code: the null page, data (heap,
 * the host-written argument buffer), the ring-0 exception stubs, a
 * non-canonical address. And one thing that is allowed: a page the guest
 * maps writable and executable itself runs (it owns its address space).
 */
#include "hostile.h"

static void jump(uint64_t to)
{
	__asm__ volatile("call *%0" : : "r"(to) : "memory");
}

HOSTILE_ATTACK(jump_null)
{
	jump(0);
}

HOSTILE_ATTACK(exec_heap)
{
	uint8_t *code = kvmlet_malloc(16);

	code[0] = 0xc3; /* ret */
	jump((uint64_t)code);
}

/* The host wrote this buffer (the call's arguments); it is not executable. */
HOSTILE_ATTACK(exec_args)
{
	jump(kvmlet_bootinfo()->args_buf);
}

/* The stubs are ring-0 code: supervisor pages that CPL3 cannot fetch from. */
HOSTILE_ATTACK(exec_stubs)
{
	jump(KVMLET_STUBS_GPA + 14 * KVMLET_STUB_SIZE);
}

HOSTILE_ATTACK(jump_noncanonical)
{
	jump(0x0000800000000000ull);
}

static int wx_own_page(struct kvmlet_call *c)
{
	static const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3}; /* mov $42, %eax; ret */
	uint8_t *p = (uint8_t *)HOSTILE_SLOT2_VA;

	/* The kernel refuses writable + executable; so does protect after map. */
	if (kvmlet_map(HOSTILE_SLOT2_VA, KVMLET_PAGE_SIZE, KVMLET_MAP_WRITE | KVMLET_MAP_EXEC) !=
		    -22 ||
	    kvmlet_map(HOSTILE_SLOT2_VA, KVMLET_PAGE_SIZE, KVMLET_MAP_WRITE) != 0 ||
	    kvmlet_protect(HOSTILE_SLOT2_VA, KVMLET_PAGE_SIZE,
			   KVMLET_MAP_WRITE | KVMLET_MAP_EXEC) != -22)
		return kvmlet_ret_error(c, "the kernel allowed a W+X page");
	memcpy(p, code, sizeof(code));
	int (*fn)(void) = (int (*)(void))(uintptr_t)p;
	return kvmlet_ret_i64(c, fn());
}
KVMLET_EXPORT(wx_own_page, ":i");

int main(void)
{
	jump_null_attack();
	return HOSTILE_SURVIVED;
}
