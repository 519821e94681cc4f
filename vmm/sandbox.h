/* SPDX-License-Identifier: MIT */
/*
 * sandbox.h: struct kvmlet_sandbox, one part per concern, each owned (written)
 * by the module named beside it; and sandbox.c's own functions.
 */
#ifndef KVMLET_SANDBOX_H
#define KVMLET_SANDBOX_H

#include "call.h"
#include "console.h"
#include "elf_load.h"
#include "exits.h"
#include "guest_mem.h"
#include "kvmlet.h"
#include "layout.h"
#include "phase.h"
#include "reset.h"
#include "vcpu.h"
#include "vm.h"
#include "watchdog.h"

struct linux_host;

struct kvmlet_sandbox {
	/* What a call reads and writes comes first, up to snap.calls: one page
	 * (sandbox_alloc aligns it), not three, to look up after each exit. */
	struct kvmlet_config cfg;	  /* sandbox.c: as created */
	struct layout lay;		  /* layout.c: where things are in guest memory */
	struct guest_mem gm;		  /* guest_mem.c: memory and page tables */
	struct vm vm;			  /* vm.c: the VM and its memory slot */
	struct vcpu vcpu;		  /* vcpu.c: the vCPU */
	struct phase phase;		  /* phase.c: where in its life the sandbox is */
	struct calls calls;		  /* call.c: exports, host functions, messages */
	struct watch watch;		  /* watchdog.c: time limit and kvmlet_cancel */
	struct console con;		  /* console.c: output and its limit */
	struct exits_trace trace;	  /* exits.c: kvmlet_set_trace */
	struct linux_host *lx;		  /* linux.c, linux_sys.c: a Linux program's host side */
	struct kvmlet_template *template; /* template.c: made from it (memory maps it) */
	struct exitless *xl;		  /* exitless.c: calls without exits, when on */
	/* linux_family.c: what a run does when the slice watch_yield_at gave
	 * it is over (exits.c calls it; NULL: goes on); LOOP_CONTINUE goes on,
	 * anything else ends the run with it. */
	int (*yield)(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		     struct kvmlet_error *err);
	struct snapshot snap; /* reset.c: what a reset restores (calls first) */
	struct elf_image img; /* elf_load.c: the guest's image */
};

/* A zeroed sandbox with no VM (the library set up before: lib_ready). */
int sandbox_alloc(struct kvmlet_sandbox **out, struct kvmlet_error *err);

#endif /* KVMLET_SANDBOX_H */
