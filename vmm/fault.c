/* SPDX-License-Identifier: MIT */
/*
 * fault.c: the exception port. Every vector's ring-0 stub (x86.c) rings it
 * with the vector in AL; the CPU's frame is on the ring-0 stack. The guest is
 * faulted, with a message saying what and where.
 */
#include <errno.h>
#include <inttypes.h>

#include "error.h"
#include "exits.h"
#include "fault.h"
#include "sandbox.h"
#include "x86.h"

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

	return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			     "page fault at RIP 0x%" PRIx64 " %s 0x%" PRIx64 ": %s%s", res->rip,
			     access, res->cr2, why, fault_place(sb, res->cr2));
}

/* What the instruction at RIP tells about an exception, in words: the
 * 32-bit system-call instructions a 64-bit program may still hold. */
static const char *insn_hint(struct kvmlet_sandbox *sb, int vector, uint64_t rip)
{
	uint8_t op[2];
	uint64_t bad;

	/* int $0x80 finds no gate (#GP); sysenter is #UD on AMD, #GP on Intel. */
	if ((vector != 13 && vector != 6) || GUEST_READ_VA(&sb->gm, rip, op, sizeof(op), 0, &bad) < 0)
		return "";
	if (op[0] == 0xcd && op[1] == 0x80)
		return ": int $0x80, a 32-bit system call (kvmlet runs 64-bit code only: use syscall)";
	if (op[0] == 0x0f && op[1] == 0x34)
		return ": sysenter, a 32-bit system call (kvmlet runs 64-bit code only: use syscall)";
	return "";
}

/* A ring-0 stub reported an exception: read its frame from the ring-0 stack. */
static int handle_exception(struct kvmlet_sandbox *sb, const struct exit_io *io,
			    struct kvmlet_result *res, struct kvmlet_error *err)
{
	int vector = exits_io_data(sb);
	bool has_ec = x86_has_error_code(vector);
	uint64_t frame[6] = {0}, bad;
	const char *name = x86_vector_name(vector);
	struct kvm_sregs sregs;

	res->vector = vector;
	/* The frame is at RSP, a virtual address (the ring-0 stack, or the kernel's). */
	if (GUEST_READ_VA(&sb->gm, io->regs.rsp, frame, (has_ec ? 6 : 5) * 8, 0, &bad) == 0) {
		res->error_code = has_ec ? frame[0] : 0;
		res->rip = frame[has_ec ? 1 : 0];
	}
	if (vcpu_get_sregs(&sb->vcpu, &sregs, NULL) == 0)
		res->cr2 = sregs.cr2;
	if (vector == 14)
		return page_fault(sb, res, err);
	if (!name)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "interrupt %d at RIP 0x%" PRIx64, vector, res->rip);
	if (has_ec)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "%s at RIP 0x%" PRIx64 " (error code 0x%" PRIx64 ")%s", name,
				     res->rip, res->error_code, insn_hint(sb, vector, res->rip));
	return error_outcome(res, err, KVMLET_FAULTED, -EFAULT, "%s at RIP 0x%" PRIx64 "%s", name,
			     res->rip, insn_hint(sb, vector, res->rip));
}

int fault_register_exits(void)
{
	return exits_register_port(KVMLET_PORT_EXCEPTION, "exception", 0, handle_exception);
}
