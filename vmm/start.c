/* SPDX-License-Identifier: MIT */
/*
 * start.c: a sandbox's VM and vCPU, and the two ways to start its guest:
 * kvmlet_run (its main, to the end) and kvmlet_init (until it reports its
 * exports, READY), each followed by the snapshot that resets return to.
 */
#include <errno.h>

#include "error.h"
#include "linux.h"
#include "sandbox.h"
#include "seccomp_filter.h"
#include "start.h"
#include "x86.h"

int sandbox_start(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r;

	if (sb->vcpu.fd >= 0)
		return 0; /* kvmlet_prepare did it: a VM exists only fully set up */
	/* Tracing from the start: the guest's kernel reports the calls it serves. */
	if (sb->trace.fn) {
		sb->lay.bi.flags |= KVMLET_BOOT_TRACE;
		if ((r = GUEST_WRITE(&sb->gm, KVMLET_BOOTINFO_GPA, &sb->lay.bi, sizeof(sb->lay.bi))) < 0)
			return kvmlet_fail(err, r, "cannot write the boot info");
	}
	/* A warm shell when one is kept, with a new vCPU's state; else new. */
	r = 0;
	if (!vcpu_shell_take_fresh(&sb->vcpu, &sb->vm, sb->gm.mem, sb->gm.size)) {
		if ((r = vm_create(&sb->vm, sb->gm.mem, sb->gm.size, err)) < 0)
			return r;
		r = vcpu_create(&sb->vcpu, &sb->vm, err);
	}
	/* argc, argv, envp and auxv, as Linux starts a program (kvmlet's runtime ignores them). */
	if (r == 0 && (r = sandbox_check_paging(sb, err)) == 0 &&
	    (r = linux_build_stack(sb, err)) == 0)
		r = x86_setup_vcpu(&sb->vcpu, sb->lay.bi.cr3, sb->img.entry,
				   linux_entry_rsp(sb->lx), err);
	if (r < 0) {
		vcpu_destroy(&sb->vcpu);
		vm_destroy(&sb->vm);
	}
	return r;
}

int sandbox_vm_for_copy(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r;

	if (vcpu_shell_take(&sb->vcpu, &sb->vm, sb->gm.mem, sb->gm.size))
		return 0;
	if (seccomp_installed())
		return kvmlet_fail(err, -EAGAIN,
				   "no warm shell is kept, and kvmlet_seccomp_install's filter "
				   "allows no new VM (kvmlet_shells_warm before it)");
	if ((r = vm_create(&sb->vm, sb->gm.mem, sb->gm.size, err)) < 0 ||
	    (r = vcpu_create(&sb->vcpu, &sb->vm, err)) < 0)
		return r;
	return x86_setup_vcpu(&sb->vcpu, sb->lay.bi.cr3, sb->calls.dispatch, sb->lay.bi.stack_hi,
			      err);
}

int sandbox_reenter(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r;

	if ((r = vcpu_drain(&sb->vcpu, err)) < 0 || (r = vm_forget_mappings(&sb->vm, err)) < 0 ||
	    (sb->snap.pages && (r = vcpu_state_load(&sb->vcpu, &sb->snap.vcpu, err)) < 0))
		return r;
	return x86_setup_vcpu(&sb->vcpu, sb->lay.bi.cr3, sb->img.entry, linux_entry_rsp(sb->lx),
			      err);
}

/*
 * The tables were checked (and the guest told) for one vendor and MAXPHYADDR;
 * a vCPU with others would fault where we translate, or the reverse.
 */
int sandbox_check_paging(const struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	const struct vcpu_paging *p = &sb->vcpu.paging;
	bool amd = bi->pt_caps & PT_CAP_AMD;

	if (p->amd == amd && p->phys_bits == bi->pt_phys_bits)
		return 0;
	return kvmlet_fail(err, -EIO,
			   "the vCPU pages as %s with MAXPHYADDR %u, but its page tables were "
			   "built for %s with %u (did /dev/kvm appear after the sandbox was made?)",
			   p->amd ? "AMD" : "Intel", p->phys_bits, amd ? "AMD" : "Intel",
			   bi->pt_phys_bits);
}

int kvmlet_prepare(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r;

	if (phase_is(&sb->phase, PH_PREPARED))
		return 0; /* again: nothing to do */
	if (!phase_is(&sb->phase, PH_NEW))
		return kvmlet_fail(err, -EBUSY, "this sandbox has already started");
	if ((r = sandbox_start(sb, err)) < 0)
		return r;
	return phase_move(&sb->phase, PT_PREPARE);
}

int kvmlet_run(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	int r;

	*res = (struct kvmlet_result){.vector = -1};
	if (phase_is(&sb->phase, PH_RERUN)) {
		/* After a reset: enter at the ELF entry again, fresh stack. */
		if ((r = vcpu_set_entry(&sb->vcpu, sb->img.entry, linux_entry_rsp(sb->lx), err)) <
		    0)
			return r;
	} else if (!phase_is(&sb->phase, PH_NEW) && !phase_is(&sb->phase, PH_PREPARED)) {
		return kvmlet_fail(err, -EALREADY, "this sandbox has already run: reset it first");
	} else if ((r = sandbox_start(sb, err)) < 0 || (r = snapshot_take(sb, PH_RERUN, err)) < 0) {
		phase_move(&sb->phase, PT_POISON);
		return r;
	}
	if ((r = phase_move(&sb->phase, PT_RUN)) < 0)
		return r;
	r = exits_run(sb, res, err);
	phase_move(&sb->phase, PT_FINISH);
	return r;
}

int kvmlet_init(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	struct kvmlet_result res = {.vector = -1};
	int r;

	if (phase_move(&sb->phase, PT_INIT) < 0)
		return kvmlet_fail(err, -EBUSY, "this sandbox has already started");
	if ((r = sandbox_start(sb, err)) < 0 || (r = exits_run(sb, &res, err)) != LOOP_DONE) {
		phase_move(&sb->phase, PT_POISON);
		return r < 0 ? r : kvmlet_fail(err, -EPROTO, "guest ended before it was ready");
	}
	if ((r = snapshot_take(sb, PH_READY, err)) < 0) {
		phase_move(&sb->phase, PT_POISON);
		return r;
	}
	return phase_move(&sb->phase, PT_READY);
}
