/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: host-call messages with offsets and counts past the message
 * or overflowing 64 bits, and an export table outside guest memory. (Bad
 * result messages are tests/guests/hostile_result.c's.)
 */
#include "hostile.h"

static void hostcall(uint32_t len, uint32_t nvals, uint32_t type, uint32_t vlen, uint64_t v)
{
	struct kvmlet_msg_hdr *h = (struct kvmlet_msg_hdr *)kvmlet_bootinfo()->hostcall_buf;
	struct kvmlet_msg_val *val = (struct kvmlet_msg_val *)(h + 1);

	*h = (struct kvmlet_msg_hdr){
		.magic = KVMLET_MSG_MAGIC, .kind = KVMLET_MSG_HOSTCALL, .nvals = nvals, .len = len};
	*val = (struct kvmlet_msg_val){.type = type, .len = vlen, .v = v};
	hostile_out(KVMLET_PORT_HOSTCALL, 0, 0, 0);
}

HOSTILE_ATTACK(hostcall_offset_overflow)
{
	hostcall(64, 1, KVMLET_T_STR, 0xffffffffu, 0xffffffffffffff00ull);
}

HOSTILE_ATTACK(hostcall_offset_past_end)
{
	hostcall(64, 1, KVMLET_T_STR, 16, 60);
}

HOSTILE_ATTACK(hostcall_nvals_huge)
{
	hostcall(64, 0xffffffffu, KVMLET_T_STR, 1, 40);
}

HOSTILE_ATTACK(hostcall_len_tiny)
{
	hostcall(3, 1, KVMLET_T_STR, 1, 40);
}

HOSTILE_ATTACK(hostcall_name_not_string)
{
	hostcall(64, 1, KVMLET_T_I64, 0, 42);
}

HOSTILE_ATTACK(hostcall_name_bad_utf8)
{
	uint8_t *msg = (uint8_t *)kvmlet_bootinfo()->hostcall_buf;

	msg[40] = 0xc3; /* a lead byte with no continuation */
	msg[41] = 0x28;
	hostcall(64, 1, KVMLET_T_STR, 2, 40);
}

/* READY again during a call: only start-up may report exports. */
HOSTILE_ATTACK(ready_in_call)
{
	hostile_out(KVMLET_PORT_READY, (uint64_t)ready_in_call, HOSTILE_TOP, 1);
}

/*
 * kvmlet_run: READY again from main, with the largest export table allowed
 * at the top of the address space: the host must refuse to read it.
 */
int main(void)
{
	hostile_out(KVMLET_PORT_READY, (uint64_t)main, HOSTILE_TOP, KVMLET_EXPORTS_MAX);
	return HOSTILE_SURVIVED;
}
