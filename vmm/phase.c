/* SPDX-License-Identifier: MIT */
/* phase.c: the sandbox's life cycle: one table of named transitions, one writer. */
#include <errno.h>
#include <stdint.h>

#include "error.h"
#include "phase.h"

#define F(ph) (1u << (ph))
#define ANY   (F(PH_COUNT) - 1)
#define BACK  PH_COUNT /* the target is p->back_to */

static const struct {
	uint32_t from; /* phases it may be taken from */
	enum sb_phase to;
} moves[PT_COUNT] = {
	[PT_PREPARE] = {F(PH_NEW), PH_PREPARED},
	[PT_INIT] = {F(PH_NEW) | F(PH_PREPARED), PH_STARTING},
	[PT_READY] = {F(PH_STARTING), PH_READY},
	[PT_RUN] = {F(PH_NEW) | F(PH_PREPARED) | F(PH_RERUN), PH_RUNNING},
	[PT_FINISH] = {F(PH_RUNNING), PH_FINISHED},
	[PT_CALL] = {F(PH_READY), PH_IN_CALL},
	[PT_RETURN] = {F(PH_IN_CALL), PH_READY},
	[PT_ADOPT] = {F(PH_NEW), PH_READY},
	[PT_POISON] = {ANY, PH_POISONED},
	[PT_RESET] = {ANY, BACK},
	[PT_UNSTART] = {ANY, PH_NEW},
};

KVMLET_HOT int phase_move(struct phase *p, enum phase_transition t)
{
	if ((unsigned)t >= PT_COUNT || !(moves[t].from & F(p->now)))
		return -EBADFD;
	if (moves[t].to == BACK) {
		if (p->back_to != PH_READY && p->back_to != PH_RERUN)
			return -EBADFD;
		p->now = p->back_to;
		return 0;
	}
	if (t == PT_ADOPT)
		p->back_to = PH_READY;
	p->now = moves[t].to;
	return 0;
}

int phase_set_reset_target(struct phase *p, enum sb_phase back_to)
{
	if (back_to != PH_READY && back_to != PH_RERUN)
		return -EINVAL;
	p->back_to = back_to;
	return 0;
}

void phase_force(struct phase *p, enum sb_phase ph)
{
	p->now = ph;
}

const char *phase_name(enum sb_phase ph)
{
	static const char *const names[PH_COUNT] = {
		[PH_NEW] = "new",
		[PH_PREPARED] = "prepared",
		[PH_STARTING] = "starting",
		[PH_RUNNING] = "running",
		[PH_READY] = "ready",
		[PH_IN_CALL] = "in a call",
		[PH_FINISHED] = "finished",
		[PH_POISONED] = "poisoned",
		[PH_RERUN] = "reset to its entry",
	};
	return (unsigned)ph < PH_COUNT ? names[ph] : "?";
}
