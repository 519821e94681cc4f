/* SPDX-License-Identifier: MIT */
/*
 * phase.h: the sandbox's life (phase.c). phase_move is the only writer of a
 * phase: each transition is named, and says from which phases it may be taken.
 *
 *   NEW --prepare--> PREPARED          (VM and vCPU made, nothing ran)
 *   NEW, PREPARED --init--> STARTING --ready--> READY   (kvmlet_init)
 *   NEW, PREPARED, RERUN --run--> RUNNING --finish--> FINISHED   (kvmlet_run)
 *   READY --call--> IN_CALL --return--> READY   (kvmlet_call)
 *   NEW --adopt--> READY                (a sandbox made from a template)
 *   any --poison--> POISONED            (a failed start or call)
 *   any --reset--> the snapshot's phase (READY, or RERUN after kvmlet_run)
 *   any --unstart--> NEW                (reset of a sandbox with no VM left)
 */
#ifndef KVMLET_PHASE_H
#define KVMLET_PHASE_H

#include <stdbool.h>

enum sb_phase {
	PH_NEW,	     /* loaded, not started */
	PH_PREPARED, /* kvmlet_prepare made its VM and vCPU */
	PH_STARTING, /* kvmlet_init: until the guest reports READY */
	PH_RUNNING,  /* kvmlet_run: until the guest exits */
	PH_READY,    /* initialised, between calls */
	PH_IN_CALL,  /* kvmlet_call: until RETURN */
	PH_FINISHED, /* kvmlet_run ended */
	PH_POISONED, /* a start or a call failed: only a reset brings it back */
	PH_RERUN,    /* kvmlet_run's snapshot restored: may run again from the entry */
	PH_COUNT
};

enum phase_transition {
	PT_PREPARE,
	PT_INIT,
	PT_READY,
	PT_RUN,
	PT_FINISH,
	PT_CALL,
	PT_RETURN,
	PT_ADOPT,
	PT_POISON,
	PT_RESET,
	PT_UNSTART,
	PT_COUNT
};

struct phase {
	enum sb_phase now;
	enum sb_phase back_to; /* where PT_RESET goes: set with the snapshot */
};

/* Take transition t: 0, or -EBADFD (nothing changed) if t is not allowed now. */
int phase_move(struct phase *p, enum phase_transition t);
/* The snapshot was taken: PT_RESET comes back to back_to (PH_READY or PH_RERUN). */
int phase_set_reset_target(struct phase *p, enum sb_phase back_to);
/* Is the sandbox in phase ph? (Inline: every call asks several times.) */
static inline bool phase_is(const struct phase *p, enum sb_phase ph)
{
	return p->now == ph;
}
/* For test harnesses only (fuzz_exits): put p in phase ph, bypassing the rules. */
void phase_force(struct phase *p, enum sb_phase ph);
/* The phase's name, for messages. */
const char *phase_name(enum sb_phase ph);

#endif /* KVMLET_PHASE_H */
