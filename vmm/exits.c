/* SPDX-License-Identifier: MIT */
/*
 * exits.c: the run loop. Every exit the guest can cause is dispatched here;
 * everything the guest hands over (registers, buffers, frames) is untrusted
 * and checked against guest memory before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "linux.h"

#define CONTINUE LOOP_CONTINUE

/* Record how the run ended; returns code (0 for a clean exit). */
int run_outcome(struct kvmlet_result *res, struct kvmlet_error *err, enum kvmlet_outcome o,
		int code, const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	if (code)
		kvmlet_fail(err, code, "%s", res->message);
	return code;
}

/*
 * Copy len bytes at guest virtual va, which must be readable (by CPL3 if
 * user) through the live page tables, into buf. Returns 0 or -EFAULT with
 * *bad the first address that is not.
 */
int copy_from_guest(struct kvmlet_sandbox *sb, uint64_t va, uint64_t len, void *buf,
		    uint64_t *bad, bool user)
{
	uint8_t *dst = buf;

	while (len) {
		struct pt_translation t;
		uint64_t chunk = KVMLET_PAGE_SIZE - (va & (KVMLET_PAGE_SIZE - 1));
		const void *src;

		if (chunk > len)
			chunk = len;
		if (pt_translate(&sb->pt, va, &t) < 0 || (user && !(t.prot & PT_PROT_USER)) ||
		    !(src = pt_host_ptr(&sb->pth, t.pa, chunk))) {
			*bad = va;
			return -EFAULT;
		}
		memcpy(dst, src, chunk);
		dst += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * Copy len bytes from buf to guest virtual va, which must be user-writable
 * through the live page tables; every page written is noted for the next
 * reset. Returns 0 or -EFAULT with *bad the first address that is not.
 */
int copy_to_guest(struct kvmlet_sandbox *sb, uint64_t va, uint64_t len, const void *buf,
		  uint64_t *bad)
{
	const uint8_t *src = buf;

	while (len) {
		struct pt_translation t;
		uint64_t chunk = KVMLET_PAGE_SIZE - (va & (KVMLET_PAGE_SIZE - 1));
		void *dst;

		if (chunk > len)
			chunk = len;
		if (pt_translate(&sb->pt, va, &t) < 0 || !(t.prot & PT_PROT_USER) ||
		    !(t.prot & PT_PROT_WRITE) || !(dst = pt_host_ptr(&sb->pth, t.pa, chunk))) {
			*bad = va;
			return -EFAULT;
		}
		memcpy(dst, src, chunk);
		reset_mark_host_dirty(sb, t.pa, chunk);
		src += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

static int handle_log(struct kvmlet_sandbox *sb, const struct kvm_regs *regs,
		      struct kvmlet_result *res, struct kvmlet_error *err)
{
	char buf[KVMLET_LOG_MAX];
	uint64_t va = regs->rdi, len = regs->rsi, bad;

	if (len > KVMLET_LOG_MAX)
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "guest print of %" PRIu64 " bytes exceeds the %u-byte limit", len,
			       KVMLET_LOG_MAX);
	if (copy_from_guest(sb, va, len, buf, &bad, true) < 0)
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "guest print from 0x%" PRIx64 " (+%" PRIu64
			       "): 0x%" PRIx64 " is not readable guest memory",
			       va, len, bad);
	uint64_t room = sb->cfg.max_output - sb->out_total;
	if (len > room) {
		len = room;
		res->output_truncated = true;
	}
	sb->out_total += len;
	if (len && sb->out_fn)
		sb->out_fn(sb->out_arg, buf, len);
	return CONTINUE;
}

static int handle_abort(struct kvmlet_sandbox *sb, const struct kvm_regs *regs,
			struct kvmlet_result *res, struct kvmlet_error *err)
{
	char msg[KVMLET_ABORT_MAX + 1];
	uint64_t len = regs->rsi < KVMLET_ABORT_MAX ? regs->rsi : KVMLET_ABORT_MAX, bad;

	if (copy_from_guest(sb, regs->rdi, len, msg, &bad, true) < 0)
		return run_outcome(res, err, KVMLET_ABORTED, -ECONNABORTED,
			       "guest aborted (its message at 0x%" PRIx64 " is unreadable)",
			       (uint64_t)regs->rdi);
	for (uint64_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	msg[len] = '\0';
	return run_outcome(res, err, KVMLET_ABORTED, -ECONNABORTED, "guest aborted: %s", msg);
}

/* What the address of a page fault was, in words. */
static const char *fault_place(const struct kvmlet_sandbox *sb, uint64_t addr)
{
	if (addr < KVMLET_PAGE_SIZE)
		return " (null pointer)";
	if (addr >= sb->lay.guard && addr < sb->lay.guard + KVMLET_PAGE_SIZE)
		return " (stack overflow into the guard page)";
	return "";
}

static int page_fault(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		      struct kvmlet_error *err)
{
	uint64_t ec = res->error_code;
	const char *access = (ec & 16) ? "executing" : (ec & 2) ? "writing" : "reading";
	const char *why = (ec & 8)   ? "reserved bit set in a page-table entry"
			  : (ec & 1) ? "protection violation"
				     : "page not present";

	return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
		       "page fault at RIP 0x%" PRIx64 " %s 0x%" PRIx64 ": %s%s", res->rip, access,
		       res->cr2, why, fault_place(sb, res->cr2));
}

/* A ring-0 stub reported an exception: read its frame from the ring-0 stack. */
static int handle_exception(struct kvmlet_sandbox *sb, int vector, const struct kvm_regs *regs,
			    struct kvmlet_result *res, struct kvmlet_error *err)
{
	bool has_ec = x86_has_error_code(vector);
	uint64_t frame[6] = {0};
	const char *name = x86_vector_name(vector);
	struct kvm_sregs sregs;

	res->vector = vector;
	uint64_t bad;

	/* The frame is at RSP, a virtual address (the ring-0 stack, or the kernel's). */
	if (copy_from_guest(sb, regs->rsp, (has_ec ? 6 : 5) * 8, frame, &bad, false) == 0) {
		res->error_code = has_ec ? frame[0] : 0;
		res->rip = frame[has_ec ? 1 : 0];
	}
	if (ioctl(sb->vm.vcpu_fd, KVM_GET_SREGS, &sregs) == 0)
		res->cr2 = sregs.cr2;
	if (vector == 14)
		return page_fault(sb, res, err);
	if (!name)
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "interrupt %d at RIP 0x%" PRIx64, vector, res->rip);
	if (has_ec)
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "%s at RIP 0x%" PRIx64 " (error code 0x%" PRIx64 ")", name,
			       res->rip, res->error_code);
	return run_outcome(res, err, KVMLET_FAULTED, -EFAULT, "%s at RIP 0x%" PRIx64, name, res->rip);
}

/*
 * Is the instruction at rip a plain `out %al` (0xe6 imm8, or 0xee)? A string
 * `outs` exits the same way, but KVM keeps it half-emulated and would finish
 * it on the next entry, resuming this call's code: READY and RETURN end a
 * phase without a reset, so they must be rung by a plain `out`.
 */
static bool plain_out(struct kvmlet_sandbox *sb, uint64_t rip)
{
	uint8_t op;
	uint64_t bad;

	return copy_from_guest(sb, rip, 1, &op, &bad, true) == 0 && (op == 0xe6 || op == 0xee);
}

static int string_io(struct kvmlet_result *res, struct kvmlet_error *err, unsigned port,
		     uint64_t rip)
{
	return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			   "port 0x%x rung by an instruction other than `out` at RIP 0x%" PRIx64,
			   port, rip);
}

static int handle_io(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		     struct kvmlet_error *err)
{
	struct kvm_run *run = sb->vm.run;
	struct kvm_regs regs;

	if (kvm_get_regs(&sb->vm, &regs) < 0)
		return kvmlet_fail(err, -EIO, "cannot read guest registers");
	res->rip = regs.rip;
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1 || run->io.count != 1 ||
	    run->io.data_offset > sb->vm.run_size - 1)
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "unexpected I/O (%s, port 0x%x, size %u) at RIP 0x%" PRIx64,
			       run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port,
			       run->io.size, (uint64_t)regs.rip);
	uint8_t data = ((const uint8_t *)run)[run->io.data_offset];
	switch (run->io.port) {
	case KVMLET_PORT_EXIT:
		res->status = (int)regs.rdi;
		if (sb->phase != PH_RUN)
			return run_outcome(res, err, KVMLET_ABORTED, -ECONNABORTED,
				       "guest exited (status %d) %s", res->status,
				       sb->phase == PH_INIT ? "while starting" : "during a call");
		return run_outcome(res, err, KVMLET_EXITED, 0, "guest exited with status %d",
			       res->status);
	case KVMLET_PORT_READY:
		if (!plain_out(sb, regs.rip))
			return string_io(res, err, run->io.port, regs.rip);
		return call_handle_ready(sb, &regs, res, err);
	case KVMLET_PORT_RETURN:
		if (!plain_out(sb, regs.rip))
			return string_io(res, err, run->io.port, regs.rip);
		if (sb->phase == PH_CALL)
			return LOOP_DONE;
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "guest returned a result outside a call (RIP 0x%" PRIx64 ")",
			       (uint64_t)regs.rip);
	case KVMLET_PORT_HOSTCALL:
		return call_handle_hostcall(sb, res, err);
	case KVMLET_PORT_LOG:
		return handle_log(sb, &regs, res, err);
	case KVMLET_PORT_ABORT:
		return handle_abort(sb, &regs, res, err);
	case KVMLET_PORT_EXCEPTION:
		return handle_exception(sb, data, &regs, res, err);
	case KVMLET_PORT_SYSCALL:
		return linux_handle_syscall(sb, &regs, res, err);
	default:
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "write to unknown I/O port 0x%x at RIP 0x%" PRIx64, run->io.port,
			       (uint64_t)regs.rip);
	}
}

int sandbox_handle_exit(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			struct kvmlet_error *err)
{
	struct kvm_run *run = sb->vm.run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(sb, res, err);
	case KVM_EXIT_INTR:
		return CONTINUE;
	case KVM_EXIT_SHUTDOWN:
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "triple fault: the guest's exception handling failed (shutdown)");
	case KVM_EXIT_HLT:
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT, "guest halted");
	case KVM_EXIT_MMIO:
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "%s guest-physical 0x%llx, outside guest memory",
			       run->mmio.is_write ? "write to" : "read from",
			       (unsigned long long)run->mmio.phys_addr);
	case KVM_EXIT_FAIL_ENTRY:
		return run_outcome(res, err, KVMLET_HOST_ERROR, -EIO,
				   "KVM could not enter the guest (reason 0x%llx)",
				   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			       "KVM internal error %u (e.g. an instruction it cannot emulate)",
			       run->internal.suberror);
	default:
		return run_outcome(res, err, KVMLET_FAULTED, -EFAULT, "unexpected KVM exit reason %u",
			       run->exit_reason);
	}
}

static int run_loop(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		    struct kvmlet_error *err, uint64_t start);

int sandbox_run_loop(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		     struct kvmlet_error *err)
{
	uint64_t start = watch_now_ns();
	uint64_t deadline = sb->cfg.timeout_ns ? start + sb->cfg.timeout_ns : 0;

	watch_begin(&sb->watch, sb->vm.run, deadline); /* from here on kvmlet_cancel aims here */
	int r = run_loop(sb, res, err, start);
	watch_end(&sb->watch);
	return r;
}

void kvmlet_set_trace(struct kvmlet_sandbox *sb, kvmlet_trace_fn fn, void *arg)
{
	sb->trace_fn = fn;
	sb->trace_arg = arg;
}

static const char *port_name(uint32_t port)
{
	switch (port) {
	case KVMLET_PORT_EXIT:
		return "exit";
	case KVMLET_PORT_LOG:
		return "print";
	case KVMLET_PORT_ABORT:
		return "abort";
	case KVMLET_PORT_READY:
		return "ready";
	case KVMLET_PORT_RETURN:
		return "return";
	case KVMLET_PORT_HOSTCALL:
		return "host call";
	case KVMLET_PORT_EXCEPTION:
		return "exception";
	case KVMLET_PORT_SYSCALL:
		return "syscall";
	default:
		return "io";
	}
}

static void trace_exit(struct kvmlet_sandbox *sb, uint64_t start)
{
	const struct kvm_run *run = sb->vm.run;
	struct kvmlet_exit_info e = {.reason = run->exit_reason, .ns = watch_now_ns() - start};
	struct kvm_regs regs;

	if (kvm_get_regs(&sb->vm, &regs) == 0)
		e.rip = regs.rip;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e.port = run->io.port;
		e.what = port_name(run->io.port);
		break;
	case KVM_EXIT_MMIO:
		e.what = "mmio";
		break;
	case KVM_EXIT_HLT:
		e.what = "halt";
		break;
	case KVM_EXIT_SHUTDOWN:
		e.what = "shutdown";
		break;
	case KVM_EXIT_INTR:
		e.what = "signal";
		break;
	default:
		e.what = "other";
		break;
	}
	sb->trace_fn(sb->trace_arg, &e);
}

static int run_loop(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		    struct kvmlet_error *err, uint64_t start)
{
	for (;;) {
		int r = kvm_vcpu_run(&sb->vm, &sb->watch, err);

		if (r == -ECANCELED)
			return run_outcome(res, err, KVMLET_CANCELLED, -ECANCELED,
					   "guest cancelled after %" PRIu64 " ms",
					   (watch_now_ns() - start) / 1000000);
		if (r == -ETIMEDOUT)
			return run_outcome(res, err, KVMLET_TIMED_OUT, -ETIMEDOUT,
				       "guest timed out after %" PRIu64 " ms",
				       (watch_now_ns() - start) / 1000000);
		if (r < 0)
			return run_outcome(res, NULL, KVMLET_HOST_ERROR, r, "%s",
					   err ? err->msg : "KVM_RUN failed");
		if (sb->trace_fn)
			trace_exit(sb, start);
		if ((r = sandbox_handle_exit(sb, res, err)) != CONTINUE)
			return r;
	}
}

int kvmlet_cancel(struct kvmlet_sandbox *sb)
{
	/* The kick only gets the vCPU out of KVM_RUN; the loop sees the flag. */
	return watch_cancel(&sb->watch) ? 0 : -ESRCH;
}
