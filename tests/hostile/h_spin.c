/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: spins forever, with no exit at all or with exits that do
 * nothing (empty prints). Only the time limit stops it. (Spinning in ring 0
 * with interrupts off is h_ring0's ring0_cli_spin; host calls forever are
 * h_hostcalls's.)
 */
#include "hostile.h"

HOSTILE_ATTACK(spin_tight)
{
	__asm__ volatile("1: jmp 1b");
}

HOSTILE_ATTACK(spin_empty_prints)
{
	for (;;)
		hostile_out(KVMLET_PORT_LOG, 0, 0, 0);
}

int main(void)
{
	spin_tight_attack();
	return HOSTILE_SURVIVED;
}
