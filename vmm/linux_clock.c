/* SPDX-License-Identifier: MIT */
/*
 * linux_clock.c: a Linux program's clocks as the host reads them: which host
 * clock a guest clock id is, and the time on it (the fake clock with a seed,
 * a millisecond later at each reading, so that runs repeat exactly).
 */
#include <time.h>

#include "linux_sys.h"

/* The host clock for a guest clock id (Linux's, with the CPU-time clocks of
 * its own process and threads, given as negative ids: 0 or its pid for the
 * process, 0 or a thread id of its span for a thread); -EINVAL for others. */
int64_t lxs_clock_of(const struct sys *s, int32_t clk, clockid_t *out)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC,
					CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
					CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE,
					CLOCK_BOOTTIME, CLOCK_REALTIME, CLOCK_BOOTTIME, -1,
					CLOCK_TAI};

	if (clk < 0) { /* CPU clock: ~pid << 3 | per-thread << 2 | type */
		const int32_t pid = ~(clk >> 3), self = s->lx->pid;
		const bool mine = pid == 0 || pid == self ||
				  ((clk & 4) && pid > self && pid - self < KVMLET_PID_SPAN);
		if ((clk & 7) == 7 || (clk & 3) == 3 || !mine)
			return -EINVAL;
		*out = CLOCK_MONOTONIC;
		return 0;
	}
	if (clk >= (int32_t)(sizeof(ids) / sizeof(ids[0])) || ids[clk] == (clockid_t)-1)
		return -EINVAL;
	*out = ids[clk];
	return 0;
}

uint64_t lxs_now(struct sys *s, clockid_t clk)
{
	struct timespec ts;

	if (s->lx->seed)
		return s->lx->fake_ns += 1000000; /* each reading, a millisecond later */
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
