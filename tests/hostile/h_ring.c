/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: the call ring (kvmlet_abi.h), with exit-less calls on
 * (cases.c marks them). A result claimed and never written, host calls
 * claimed over garbage again and again, the host's read-only half written,
 * a done_seq from the future; and 20,000 honest host calls through the ring,
 * all answered.
 */
#include "hostile.h"

static volatile struct kvmlet_ring_guest *guest_half(void)
{
	return (volatile struct kvmlet_ring_guest *)kvmlet_bootinfo()->ring_guest;
}

static volatile struct kvmlet_ring_host *host_half(void)
{
	return (volatile struct kvmlet_ring_host *)kvmlet_bootinfo()->ring_host;
}

static void poll_forever(void)
{
	for (;;)
		__asm__ volatile("pause");
}

/* done_seq set over an empty result buffer: the host finds no message there. */
HOSTILE_ATTACK(ring_done_without_result)
{
	volatile uint8_t *res = (volatile uint8_t *)kvmlet_bootinfo()->result_buf;

	for (int i = 0; i < 64; i++)
		res[i] = 0;
	__atomic_store_n(&guest_half()->done_seq, host_half()->call_seq, __ATOMIC_SEQ_CST);
	poll_forever();
}

/* host_seq bumped over garbage in the host-call buffer, forever. */
HOSTILE_ATTACK(ring_hostcall_garbage)
{
	volatile uint64_t *buf = (volatile uint64_t *)kvmlet_bootinfo()->hostcall_buf;

	for (uint64_t i = 1;; i++) {
		buf[0] = i * 0x9e3779b97f4a7c15ull;
		buf[1] = ~i;
		__atomic_store_n(&guest_half()->host_seq, i, __ATOMIC_SEQ_CST);
	}
}

/* The host's half is read-only to the guest. */
HOSTILE_ATTACK(ring_host_half_write)
{
	host_half()->call_seq += 1000;
}

/* A done_seq the host has not posted yet, then polling: never this call's. */
HOSTILE_ATTACK(ring_done_ahead)
{
	__atomic_store_n(&guest_half()->done_seq, host_half()->call_seq + 1, __ATOMIC_SEQ_CST);
	poll_forever();
}

/* 5000 host calls through the ring (the test registers inc(i:i)); how many were right. */
static int ring_hostcalls(struct kvmlet_call *c)
{
	int64_t ok = 0;

	for (int64_t i = 0; i < 5000; i++) {
		struct kvmlet_value r;

		if (KVMLET_HOST_CALL(&r, "inc", KVMLET_I64(i)) == 0 && r.type == KVMLET_T_I64 &&
		    r.i64 == i + 1)
			ok++;
	}
	return kvmlet_ret_i64(c, ok);
}
KVMLET_EXPORT(ring_hostcalls, ":i");

int main(void)
{
	return 0;
}
