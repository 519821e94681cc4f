/* SPDX-License-Identifier: MIT */
/*
 * exits.c: the run loop. Every exit is dispatched through a table: the
 * handler a feature registered for its port, or for a KVM exit reason, with
 * defaults for the reasons no feature owns. Everything the guest hands over
 * (registers, buffers, frames) is untrusted; handlers check it against guest
 * memory (guest_mem.c) before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "exits.h"
#include "sandbox.h"

#define PORTS_MAX   16
#define REASONS_MAX 8

static struct {
	uint16_t port;
	unsigned flags;
	const char *name;
	exit_port_fn fn;
} ports[PORTS_MAX];
static unsigned nports;

static struct {
	uint32_t reason;
	const char *name;
	exit_reason_fn fn;
} reasons[REASONS_MAX];
static unsigned nreasons;

int exits_register_port(uint16_t port, const char *name, unsigned flags, exit_port_fn fn)
{
	for (unsigned i = 0; i < nports; i++)
		if (ports[i].port == port)
			return -EEXIST;
	if (nports == PORTS_MAX)
		return -ENOSPC;
	ports[nports].port = port;
	ports[nports].flags = flags;
	ports[nports].name = name;
	ports[nports++].fn = fn;
	return 0;
}

int exits_register_reason(uint32_t reason, const char *name, exit_reason_fn fn)
{
	if (reason == KVM_EXIT_IO || reason == KVM_EXIT_INTR)
		return -ERANGE; /* the loop's own */
	for (unsigned i = 0; i < nreasons; i++)
		if (reasons[i].reason == reason) {
			reasons[i].name = name;
			reasons[i].fn = fn;
			return 0;
		}
	if (nreasons == REASONS_MAX)
		return -ENOSPC;
	reasons[nreasons].reason = reason;
	reasons[nreasons].name = name;
	reasons[nreasons++].fn = fn;
	return 0;
}

KVMLET_HOT static int port_find(uint16_t port)
{
	for (unsigned i = 0; i < nports; i++)
		if (ports[i].port == port)
			return (int)i;
	return -1;
}

/* The handlers of the ports this thread's I/O exits rang, copied from the
 * table (whose entries never change once registered), one slot per port
 * number modulo 16 (kvmlet's ports are 16 in a row): a call's exits read no
 * page of the table, only the thread-local page the run loop reads anyway
 * (watchdog.c). */
static __thread KVMLET_TLS struct {
	uint16_t port;
	unsigned flags;
	exit_port_fn fn; /* NULL: empty */
} port_seen[16];

KVMLET_HOT static bool port_get(uint16_t port, unsigned *flags, exit_port_fn *fn)
{
	__typeof__(&port_seen[0]) e = &port_seen[port % 16];

	if (!e->fn || e->port != port) {
		int i = port_find(port);
		if (i < 0)
			return false;
		e->port = port;
		e->flags = ports[i].flags;
		e->fn = ports[i].fn;
	}
	*flags = e->flags;
	*fn = e->fn;
	return true;
}

static int reason_find(uint32_t reason)
{
	for (unsigned i = 0; i < nreasons; i++)
		if (reasons[i].reason == reason)
			return (int)i;
	return -1;
}

/*
 * Is the instruction at rip a plain `out %al` (0xe6 imm8, or 0xee)? A string
 * `outs` exits the same way, but KVM keeps it half-emulated and would finish
 * it on the next entry, resuming this call's code.
 */
KVMLET_HOT static bool plain_out(struct kvmlet_sandbox *sb, uint64_t rip)
{
	uint8_t op;
	uint64_t bad;

	return GUEST_READ_VA(&sb->gm, rip, &op, 1, GM_USER, &bad) == 0 &&
	       (op == 0xe6 || op == 0xee);
}

KVMLET_HOT static int handle_io(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	struct kvm_run *run = sb->vcpu.run;
	struct exit_io io = {.port = run->io.port};
	int r;

	if ((r = vcpu_get_regs(&sb->vcpu, &io.regs, err)) < 0)
		return r;
	res->rip = io.regs.rip;
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1 || run->io.count != 1 ||
	    run->io.data_offset > sb->vcpu.run_size - 1)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "unexpected I/O (%s, port 0x%x, size %u) at RIP 0x%" PRIx64,
				     run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
				     run->io.port, run->io.size, (uint64_t)io.regs.rip);
	unsigned flags;
	exit_port_fn fn;
	if (!port_get(io.port, &flags, &fn))
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "write to unknown I/O port 0x%x at RIP 0x%" PRIx64,
				     run->io.port, (uint64_t)io.regs.rip);
	if ((flags & EXIT_PLAIN_OUT) && !plain_out(sb, io.regs.rip))
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "port 0x%x rung by an instruction other than `out` at RIP "
				     "0x%" PRIx64,
				     io.port, (uint64_t)io.regs.rip);
	return fn(sb, &io, res, err);
}

uint8_t exits_io_data(const struct kvmlet_sandbox *sb)
{
	const struct kvm_run *run = sb->vcpu.run;

	return ((const uint8_t *)run)[run->io.data_offset];
}

/* The reasons no feature owns: the guest cannot go on. */
static int default_reason(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			  struct kvmlet_error *err)
{
	struct kvm_run *run = sb->vcpu.run;

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "triple fault: the guest's exception handling failed "
				     "(shutdown)");
	case KVM_EXIT_HLT:
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT, "guest halted");
	case KVM_EXIT_MMIO:
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "%s guest-physical 0x%llx, outside guest memory",
				     run->mmio.is_write ? "write to" : "read from",
				     (unsigned long long)run->mmio.phys_addr);
	case KVM_EXIT_FAIL_ENTRY:
		return error_outcome(
			res, err, KVMLET_HOST_ERROR, -EIO,
			"KVM could not enter the guest (reason 0x%llx)",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "KVM internal error %u (e.g. an instruction it cannot "
				     "emulate)",
				     run->internal.suberror);
	default:
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "unexpected KVM exit reason %u", run->exit_reason);
	}
}

KVMLET_HOT int exits_handle(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	uint32_t reason = sb->vcpu.run->exit_reason;
	int i;

	if (reason == KVM_EXIT_IO)
		return handle_io(sb, res, err);
	if (reason == KVM_EXIT_INTR)
		return LOOP_CONTINUE;
	if ((i = reason_find(reason)) >= 0)
		return reasons[i].fn(sb, res, err);
	return default_reason(sb, res, err);
}

static const char *exit_name(const struct kvm_run *run)
{
	int i;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return (i = port_find(run->io.port)) >= 0 ? ports[i].name : "io";
	case KVM_EXIT_MMIO:
		return "mmio";
	case KVM_EXIT_HLT:
		return "halt";
	case KVM_EXIT_SHUTDOWN:
		return "shutdown";
	case KVM_EXIT_INTR:
		return "signal";
	default:
		return (i = reason_find(run->exit_reason)) >= 0 ? reasons[i].name : "other";
	}
}

static void trace_exit(struct kvmlet_sandbox *sb, uint64_t start)
{
	const struct kvm_run *run = sb->vcpu.run;
	struct kvmlet_exit_info e = {.reason = run->exit_reason, .ns = watch_now_ns() - start};
	struct kvm_regs regs;
	int i;

	if (run->exit_reason == KVM_EXIT_IO && (i = port_find(run->io.port)) >= 0 &&
	    (ports[i].flags & EXIT_SELF_TRACED))
		return; /* its handler reports it, with the result */
	if (vcpu_get_regs(&sb->vcpu, &regs, NULL) == 0)
		e.rip = regs.rip;
	if (run->exit_reason == KVM_EXIT_IO)
		e.port = run->io.port;
	e.what = exit_name(run);
	sb->trace.fn(sb->trace.arg, &e);
}

void exits_trace_syscall(struct kvmlet_sandbox *sb, uint64_t nr, const char *name,
			 int64_t result, bool in_guest)
{
	const struct kvm_run *run = sb->vcpu.run;
	struct kvm_regs regs;

	if (!sb->trace.fn)
		return; /* before the clock is read */
	struct kvmlet_exit_info e = {
		.reason = run->exit_reason,
		.port = run->io.port,
		.ns = watch_now_ns() - sb->trace.start,
		.what = "syscall",
		.sys_nr = nr,
		.sys_name = name,
		.sys_result = result,
		.in_guest = in_guest,
	};
	if (vcpu_get_regs(&sb->vcpu, &regs, NULL) == 0)
		e.rip = regs.rip;
	sb->trace.fn(sb->trace.arg, &e);
}

/* A wait on the call ring: an `out` to RETURN or HOSTCALL. */
static bool ring_exit(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
	       (run->io.port == KVMLET_PORT_RETURN || run->io.port == KVMLET_PORT_HOSTCALL);
}

KVMLET_HOT static int run_loop(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err,
		    uint64_t start, bool idle)
{
	for (;;) {
		int r = vcpu_run(&sb->vcpu, &sb->watch, err);

		if (idle && r == -EINTR)
			return LOOP_IDLE;
		if (r == -ECANCELED && !start)
			return error_outcome(res, err, KVMLET_CANCELLED, -ECANCELED,
					     "guest cancelled");
		if (r == -ECANCELED)
			return error_outcome(res, err, KVMLET_CANCELLED, -ECANCELED,
					     "guest cancelled after %" PRIu64 " ms",
					     (watch_now_ns() - start) / 1000000);
		if (r == -ETIMEDOUT)
			return error_outcome(res, err, KVMLET_TIMED_OUT, -ETIMEDOUT,
					     "guest timed out after %" PRIu64 " ms",
					     (watch_now_ns() - start) / 1000000);
		if (r < 0)
			return error_outcome(res, NULL, KVMLET_HOST_ERROR, r, "%s",
					     err ? err->msg : "KVM_RUN failed");
		if (r == VCPU_YIELD) { /* the slice its owner gave is over */
			if (sb->yield && (r = sb->yield(sb, res, err)) != LOOP_CONTINUE)
				return r;
			continue;
		}
		if (sb->trace.fn)
			trace_exit(sb, start);
		if (idle && ring_exit(sb->vcpu.run))
			return LOOP_IDLE;
		if ((r = exits_handle(sb, res, err)) != LOOP_CONTINUE)
			return r;
	}
}

/* One run under the watchdog (from watch_begin on, kvmlet_cancel aims here):
 * with the sandbox's time limit, or for exitless.c idle and without one. */
KVMLET_HOT static int run_watched(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		       struct kvmlet_error *err, bool idle)
{
	uint64_t limit = idle ? 0 : sb->cfg.timeout_ns;
	/* The clock only where a deadline or a trace needs it (a call without
	 * either reads none: one code page and one data page fewer). */
	uint64_t start = limit || sb->trace.fn ? watch_now_ns() : 0;

	sb->trace.start = start;
	watch_begin(&sb->watch, sb->vcpu.run, watch_deadline(start, limit));
	int r = run_loop(sb, res, err, start, idle);
	watch_end(&sb->watch);
	return r;
}

KVMLET_HOT int exits_run(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	return run_watched(sb, res, err, false);
}

int exits_run_idle(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		   struct kvmlet_error *err)
{
	return run_watched(sb, res, err, true);
}

void kvmlet_set_trace(struct kvmlet_sandbox *sb, kvmlet_trace_fn fn, void *arg)
{
	sb->trace.fn = fn;
	sb->trace.arg = arg;
}

int kvmlet_cancel(struct kvmlet_sandbox *sb)
{
	/* The kick only gets the vCPU out of KVM_RUN; the loop sees the flag. */
	return watch_cancel(&sb->watch) ? 0 : -ESRCH;
}
