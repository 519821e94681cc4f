/* SPDX-License-Identifier: MIT */
/*
 * linux_time.c: time as the kernel reads it: the host's clocks (an exit each),
 * the times a program gives (timespec, timeval) in ns, and deadlines on the
 * monotonic clock, which every wait and timer of the kernel counts on.
 */
#include "kernel.h"

#define NS 1000000000ull

uint64_t linux_now(int clock)
{
	const struct frame f = {.rax = KVMLET_LX_NOW, .rdi = (uint64_t)clock};

	return (uint64_t)kernel_to_host(&f);
}

int64_t linux_time_ns(const int64_t t[2], uint64_t frac_ns, uint64_t *ns)
{
	if (t[0] < 0 || t[1] < 0 || (uint64_t)t[1] >= NS / frac_ns)
		return -EINVAL;
	*ns = (uint64_t)t[0] > (UINT64_MAX - (uint64_t)t[1] * frac_ns) / NS
		      ? UINT64_MAX
		      : (uint64_t)t[0] * NS + (uint64_t)t[1] * frac_ns;
	return 0;
}

int64_t linux_timespec_ns(uint64_t ts, uint64_t *ns)
{
	int64_t t[2];

	return mm_get_user(t, ts, sizeof(t)) < 0 ? -EFAULT : linux_time_ns(t, 1, ns);
}

uint64_t linux_deadline(uint64_t ns, int clock, bool absolute)
{
	uint64_t mono, d;

	if (!absolute) {
		mono = linux_now(1);
		d = ns > UINT64_MAX - mono ? UINT64_MAX : mono + ns;
	} else if (clock == 1) {
		d = ns;
	} else {
		/* The other clock first: time passes between the two readings, and
		 * counting it makes the deadline late by it, never early. */
		uint64_t real = linux_now(clock);
		mono = linux_now(1);
		d = ns >= real ? (ns - real > UINT64_MAX - mono ? UINT64_MAX : mono + (ns - real))
			       : mono - (real - ns < mono ? real - ns : mono);
	}
	return d ? d : 1;
}
