/* SPDX-License-Identifier: MIT */
/*
 * exits.h: the run loop and the table of exit handlers (exits.c). Features
 * register a handler for their I/O port, or for a KVM exit reason, once at
 * library initialisation (sandbox.c, sandbox_lib_init); exits.c knows no
 * feature. Registering after the first sandbox exists is not allowed.
 */
#ifndef KVMLET_EXITS_H
#define KVMLET_EXITS_H

#include <linux/kvm.h>
#include <stdint.h>

#include "kvmlet.h"

struct kvmlet_sandbox;

/* Handler results besides 0 (the guest exited) and negative errors. */
#define LOOP_CONTINUE 1 /* resume the guest */
#define LOOP_DONE     2 /* the phase ended as it should (READY, RETURN) */
#define LOOP_IDLE     3 /* exits_run_idle: the guest waits on the call ring, or the run was stopped */

/* One `out` of one byte to a registered port. */
struct exit_io {
	uint16_t port;
	struct kvm_regs regs; /* the guest's registers at the exit */
};

/* The byte an I/O exit wrote (exits_handle checked where it is): read only by
 * the handlers that want it, since it sits on a page of its own. */
uint8_t exits_io_data(const struct kvmlet_sandbox *sb);

/* Handle an exit; returns LOOP_CONTINUE, LOOP_DONE, 0 or a negative errno
 * (res and err set, error_outcome). */
typedef int (*exit_port_fn)(struct kvmlet_sandbox *sb, const struct exit_io *io,
			    struct kvmlet_result *res, struct kvmlet_error *err);
typedef int (*exit_reason_fn)(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			      struct kvmlet_error *err);

/* The port ends a phase without a reset: only a plain `out` may ring it (a
 * string `outs` would be finished by KVM on the next entry). */
#define EXIT_PLAIN_OUT 1u
/* The handler reports the exit to the trace itself (exits_trace_syscall), once
 * it knows the result; the run loop does not. */
#define EXIT_SELF_TRACED 2u

/* Register fn for port (name for traces): 0, -EEXIST or -ENOSPC. */
int exits_register_port(uint16_t port, const char *name, unsigned flags, exit_port_fn fn);
/* Register fn for a KVM exit reason, replacing the default: 0, -ERANGE or -ENOSPC. */
int exits_register_reason(uint32_t reason, const char *name, exit_reason_fn fn);

/* The run loop: dispatch exits until a handler ends it, under the time limit. */
int exits_run(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err);
/* Run for exitless.c: no time limit; the RETURN and HOSTCALL exits of a guest
 * waiting on the call ring, and a watch_stop, end it with LOOP_IDLE (the
 * caller looks at the ring); other exits as exits_run. */
int exits_run_idle(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		   struct kvmlet_error *err);
/* Handle the exit in the vCPU's kvm_run (one step of the loop; fuzzed on its own). */
int exits_handle(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err);

/* Per-sandbox exit tracing (kvmlet_set_trace). */
struct exits_trace {
	kvmlet_trace_fn fn;
	void *arg;
	uint64_t start; /* when the run or call began (watch_now_ns) */
};

/* Report a served Linux system call to sb's trace, if it has one. */
void exits_trace_syscall(struct kvmlet_sandbox *sb, uint64_t nr, const char *name,
			 int64_t result, bool in_guest);

#endif /* KVMLET_EXITS_H */
