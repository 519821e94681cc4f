/* SPDX-License-Identifier: MIT */
/*
 * vcpu.c: the vCPU's complete state, saved once and loaded by every reset,
 * and draining an instruction that KVM left half-emulated. A reset must
 * leave nothing of the previous call in the vCPU: general, segment, control
 * and debug registers, the x87/SSE state with MXCSR (XSAVE), pending events,
 * CR8 and every MSR the guest's ring 0 uses; and an empty TLB.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

/* MSRs a reset restores (those KVM cannot read here are left out at save). */
static const uint32_t state_msrs[VCPU_MSRS_MAX] = {
	0xc0000081, /* STAR */
	0xc0000082, /* LSTAR */
	0xc0000083, /* CSTAR */
	0xc0000084, /* SFMASK */
	0xc0000102, /* KERNEL_GS_BASE (swapgs) */
	0x00000174, /* SYSENTER_CS */
	0x00000175, /* SYSENTER_ESP */
	0x00000176, /* SYSENTER_EIP */
	0x00000277, /* PAT */
	0xc0000103, /* TSC_AUX */
};

/* struct kvm_msrs with room for its entries (a flexible array, so spelled out). */
struct msr_buf {
	uint32_t nmsrs, pad;
	struct kvm_msr_entry e[VCPU_MSRS_MAX];
};
_Static_assert(offsetof(struct msr_buf, e) == offsetof(struct kvm_msrs, entries),
	       "struct msr_buf must lay out as struct kvm_msrs");

#define CR3_PWT (1ull << 3)
/* Rounds of completion a drain allows: a split MMIO access takes a few, a
 * `rep` string instruction returns to the guest every 1024 iterations. */
#define DRAIN_MAX 4096

static int fail_ioctl(struct kvmlet_error *err, const char *what)
{
	int e = errno;

	return kvmlet_fail(err, -e, "%s: %s", what, strerror(e));
}

int vcpu_state_save(struct kvm_vm *vm, struct vcpu_state *st, struct kvmlet_error *err)
{
	int fd = vm->vcpu_fd;

	memset(st, 0, sizeof(*st));
	if (ioctl(fd, KVM_GET_REGS, &st->regs) < 0)
		return fail_ioctl(err, "KVM_GET_REGS");
	if (ioctl(fd, KVM_GET_SREGS, &st->sregs) < 0)
		return fail_ioctl(err, "KVM_GET_SREGS");
	x86_fixup_tr(vm, &st->sregs);
	if (ioctl(fd, KVM_GET_XSAVE, (struct kvm_xsave *)(void *)st->xsave) < 0)
		return fail_ioctl(err, "KVM_GET_XSAVE");
	if (ioctl(fd, KVM_GET_DEBUGREGS, &st->dregs) < 0)
		return fail_ioctl(err, "KVM_GET_DEBUGREGS");
	/* Nothing pending: no exception, interrupt, NMI or interrupt shadow. */
	st->events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	st->nmsrs = 0;
	for (unsigned i = 0; i < VCPU_MSRS_MAX; i++) {
		struct msr_buf one = {.nmsrs = 1};

		one.e[0].index = state_msrs[i];
		if (ioctl(fd, KVM_GET_MSRS, (struct kvm_msrs *)(void *)&one) == 1)
			st->msr[st->nmsrs++] = one.e[0];
	}
	return 0;
}

int vcpu_state_load(struct kvm_vm *vm, struct vcpu_state *st, struct kvmlet_error *err)
{
	int fd = vm->vcpu_fd;
	struct kvm_sregs sregs = st->sregs;

	/*
	 * A CR3 that differs from the current one makes KVM reset its MMU context
	 * and flush the guest's TLB; alternating PWT (a caching hint for the PML4
	 * itself, harmless) makes every reset such a load.
	 */
	st->flip ^= 1;
	sregs.cr3 ^= st->flip ? CR3_PWT : 0;
	if (vm->sync_regs) {
		/* Regs, sregs and events go in with the next KVM_RUN: no ioctl each. */
		vm->run->s.regs.regs = st->regs;
		vm->run->s.regs.sregs = sregs;
		vm->run->s.regs.events = st->events;
		vm->run->kvm_dirty_regs |=
			KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
	} else if (ioctl(fd, KVM_SET_REGS, &st->regs) < 0) {
		return fail_ioctl(err, "KVM_SET_REGS");
	} else if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0) {
		return fail_ioctl(err, "KVM_SET_SREGS");
	} else if (ioctl(fd, KVM_SET_VCPU_EVENTS, &st->events) < 0) {
		return fail_ioctl(err, "KVM_SET_VCPU_EVENTS");
	}
	/* Without an in-kernel APIC, KVM_RUN reloads CR8 from here. */
	vm->run->cr8 = st->sregs.cr8;
	if (ioctl(fd, KVM_SET_XSAVE, (struct kvm_xsave *)(void *)st->xsave) < 0)
		return fail_ioctl(err, "KVM_SET_XSAVE");
	if (ioctl(fd, KVM_SET_DEBUGREGS, &st->dregs) < 0)
		return fail_ioctl(err, "KVM_SET_DEBUGREGS");
	struct msr_buf m = {.nmsrs = st->nmsrs};
	memcpy(m.e, st->msr, st->nmsrs * sizeof(m.e[0]));
	if (st->nmsrs && ioctl(fd, KVM_SET_MSRS, (struct kvm_msrs *)(void *)&m) != (int)st->nmsrs)
		return kvmlet_fail(err, -EIO, "KVM_SET_MSRS: not every MSR could be restored");
	return 0;
}

int vcpu_set_regs(struct kvm_vm *vm, const struct kvm_regs *regs, struct kvmlet_error *err)
{
	if (vm->sync_regs) {
		vm->run->s.regs.regs = *regs;
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, regs) < 0)
		return fail_ioctl(err, "KVM_SET_REGS");
	return 0;
}

int vcpu_set_msrs(struct kvm_vm *vm, const uint32_t *index, const uint64_t *value, unsigned n,
		  struct kvmlet_error *err)
{
	struct msr_buf m = {.nmsrs = n};

	if (n > VCPU_MSRS_MAX)
		return kvmlet_fail(err, -EINVAL, "too many MSRs");
	for (unsigned i = 0; i < n; i++)
		m.e[i] = (struct kvm_msr_entry){.index = index[i], .data = value[i]};
	int r = ioctl(vm->vcpu_fd, KVM_SET_MSRS, (struct kvm_msrs *)(void *)&m);
	if (r < 0)
		return fail_ioctl(err, "KVM_SET_MSRS");
	if (r != (int)n)
		return kvmlet_fail(err, -EIO, "KVM_SET_MSRS: MSR 0x%x refused", index[r]);
	return 0;
}

/*
 * An exit can leave an instruction half-done inside KVM: an MMIO access it
 * split in pieces, a string or `in` port access. The next KVM_RUN would
 * finish it first (after any new registers), so the previous call would
 * decide where the next one resumes. Run KVM's completion now, with
 * immediate_exit so that no guest instruction runs, answering any further
 * piece it asks for (reads see all ones, writes go nowhere), until KVM_RUN
 * says it returned without entering the guest.
 */
int vcpu_drain(struct kvm_vm *vm, struct kvmlet_error *err)
{
	struct kvm_run *run = vm->run;

	for (int i = 0; i < DRAIN_MAX; i++) {
		run->immediate_exit = 1;
		int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		int e = errno;
		run->immediate_exit = 0;
		if (r < 0 && (e == EINTR || e == EAGAIN))
			return 0;
		if (r < 0)
			return kvmlet_fail(err, -e, "KVM_RUN (completing an instruction): %s",
					   strerror(e));
		if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN &&
		    run->io.data_offset < vm->run_size) {
			uint64_t n = (uint64_t)run->io.size * run->io.count;
			uint64_t room = vm->run_size - run->io.data_offset;
			memset((uint8_t *)run + run->io.data_offset, 0xff, n < room ? n : room);
		}
	}
	return kvmlet_fail(err, -EIO, "the vCPU still had an instruction in flight after %d "
				      "rounds of completion", DRAIN_MAX);
}
