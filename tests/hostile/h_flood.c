/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: floods the output with 100 MiB in print-sized pieces. The
 * host passes max_output bytes on, drops the rest without keeping it, reports
 * the truncation, and the run ends normally.
 */
#include "hostile.h"

#define FLOOD_BYTES (100ull << 20)

static char piece[KVMLET_LOG_MAX];

static void flood(uint64_t bytes)
{
	for (size_t i = 0; i < sizeof(piece); i++)
		piece[i] = (char)('a' + i % 26);
	for (uint64_t done = 0; done < bytes; done += sizeof(piece))
		hostile_out(KVMLET_PORT_LOG, (uint64_t)piece, sizeof(piece), 0);
}

/* The same in a call; returns the number of bytes printed. */
static int flood_call(struct kvmlet_call *c)
{
	flood(FLOOD_BYTES);
	return kvmlet_ret_i64(c, (int64_t)FLOOD_BYTES);
}
KVMLET_EXPORT(flood_call, ":i");

int main(void)
{
	flood(FLOOD_BYTES);
	return 0;
}
