/* SPDX-License-Identifier: MIT */
/*
 * vcpu.h: the vCPU (vcpu.c), the only code that touches a vCPU descriptor:
 * creation with its CPUID, KVM_RUN with the kick, registers through sync regs
 * or ioctls, the complete state a reset restores, and draining. Each failure
 * returns -errno and names its ioctl.
 */
#ifndef KVMLET_VCPU_H
#define KVMLET_VCPU_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_cpuid.h"
#include "kvmlet.h"
#include "vm.h"
#include "watchdog.h"

struct vcpu {
	int fd; /* -1 for none */
	struct kvm_run *run;
	size_t run_size;
	bool sync_regs;		   /* KVM_CAP_SYNC_REGS: registers come with each exit */
	struct vcpu_paging paging; /* from its CPUID: vendor rules, MAXPHYADDR */
	uint64_t xcr0;		   /* from its CPUID (cpuid_xcr0): 0 without XSAVE */
	uint64_t gen;		   /* bumped by everything that sets vCPU state from outside */
	/* What KVM may still do for the last exit at the next KVM_RUN (vcpu.c):
	 * VCPU_SETTLED nothing; VCPU_OUT_PENDING skip the `out` at out_rip,
	 * and only if RIP is still there; VCPU_UNSETTLED anything. out_guard:
	 * new state was loaded since (a reset, a call's entry), on which that
	 * skip must not act (a resumed exit's new registers are no such state). */
	uint8_t pending;
	bool out_guard;
	uint64_t out_rip;
	bool tick; /* KVMLET_VEC_TICK waits to be injected (the watchdog asked) */
	/* exitless.c, while a thread of its own runs the vCPU: called before
	 * anything else reaches it, returns with that thread out of KVM_RUN
	 * (a no-op on that thread) */
	void (*hold)(void *arg);
	void *hold_arg;
};

enum { VCPU_UNSETTLED, VCPU_SETTLED, VCPU_OUT_PENDING };

#define VCPU_NONE ((struct vcpu){.fd = -1})

#define VCPU_MSRS_MAX 10

/* Everything of a vCPU that a reset restores. No struct with a flexible array
 * member inside (clang warns): XSAVE and the MSRs are spelled out. */
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint32_t xsave[1024]; /* struct kvm_xsave's region (legacy area, header, x87/SSE) */
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events events;
	uint32_t nmsrs;
	struct kvm_msr_entry msr[VCPU_MSRS_MAX];
	unsigned flip; /* alternates CR3.PWT, so that every load flushes the TLB */
};

/* Create vm's vCPU 0 with KVM's CPUID trimmed to our policy, PV features
 * enforced, its kick signal owned and sync regs on where KVM has them. */
int vcpu_create(struct vcpu *v, struct vm *vm, struct kvmlet_error *err);
void vcpu_destroy(struct vcpu *v);
/* Run until an exit, w's deadline or a cancel; returns 0, -ETIMEDOUT,
 * -ECANCELED, VCPU_YIELD (w's slice is over: nothing ran, call again to go
 * on), or a negative errno with err set. One KVM_RUN, no other system call,
 * unless the watchdog kicks. */
#define VCPU_YIELD 1
int vcpu_run(struct vcpu *v, struct watch *w, struct kvmlet_error *err);
/* Registers after an exit (sync regs when available). */
int vcpu_get_regs(struct vcpu *v, struct kvm_regs *regs, struct kvmlet_error *err);
int vcpu_set_regs(struct vcpu *v, const struct kvm_regs *regs, struct kvmlet_error *err);
/* Enter at rip with rsp on the next KVM_RUN, other registers cleared; through
 * the synced registers (no ioctl) when KVM has them. */
int vcpu_set_entry(struct vcpu *v, uint64_t rip, uint64_t rsp, struct kvmlet_error *err);
int vcpu_get_sregs(struct vcpu *v, struct kvm_sregs *sregs, struct kvmlet_error *err);
int vcpu_set_sregs(struct vcpu *v, const struct kvm_sregs *sregs, struct kvmlet_error *err);
int vcpu_set_fpu(struct vcpu *v, const struct kvm_fpu *fpu, struct kvmlet_error *err);
/* XCR0 (KVM_SET_XCRS); CR4.OSXSAVE must be set first. */
int vcpu_set_xcr0(struct vcpu *v, uint64_t xcr0, struct kvmlet_error *err);
/* Set n MSRs (host-side writes, not filtered). */
int vcpu_set_msrs(struct vcpu *v, const uint32_t *index, const uint64_t *value, unsigned n,
		  struct kvmlet_error *err);
/* The TSC frequency the guest sees, in kHz (0 where KVM cannot say). */
uint32_t vcpu_tsc_khz(struct vcpu *v);
/* Read the vCPU's complete state (nothing pending) into st. */
int vcpu_state_save(struct vcpu *v, struct vcpu_state *st, struct kvmlet_error *err);
/* Load st into the vCPU (some of it with the next KVM_RUN) and flush its TLB. */
int vcpu_state_load(struct vcpu *v, struct vcpu_state *st, struct kvmlet_error *err);
/* Let KVM finish an instruction it left half-emulated, running no guest code,
 * so that nothing of it acts after new state is loaded. When all the last
 * exit left is the skip of an `out` (a call's end), no system call: the next
 * vcpu_run keeps that skip from acting on the state loaded since. */
int vcpu_drain(struct vcpu *v, struct kvmlet_error *err);

/*
 * Warm shells: up to VCPU_SHELLS_MAX VMs with their vCPU (CPUID and MSR filter
 * set) kept per process for reuse, parked empty: no memory slot, no instruction
 * in flight, no event pending. A taker must load a complete vcpu_state.
 */
#define VCPU_SHELLS_MAX 8
/* Take a warm shell with mem as its fresh slot 0: 1 if one was there, 0 if
 * none (*vm and *v untouched: create them), never an error (a shell that
 * cannot take the memory, e.g. after fork, is destroyed and 0 returned). */
int vcpu_shell_take(struct vcpu *v, struct vm *vm, void *mem, uint64_t mem_size);
/* The same, for a start from scratch (a cold sandbox): the shell's vCPU also
 * gets a new vCPU's complete state, by ioctl, before the caller sets it up. */
int vcpu_shell_take_fresh(struct vcpu *v, struct vm *vm, void *mem, uint64_t mem_size);
/* Park v and vm and keep them as a shell; destroy them when the pool is full
 * or parking fails. Both are left VCPU_NONE / VM_NONE. */
void vcpu_shell_give(struct vcpu *v, struct vm *vm);
/* Keep a never-run v in vm, which has no memory slot yet, as a shell: true
 * if the pool had room (both then left VCPU_NONE / VM_NONE), else false and
 * both untouched. */
bool vcpu_shell_add(struct vcpu *v, struct vm *vm);
/* Destroy every warm shell (tests, benchmarks; frees their descriptors), but
 * for the keeper: the first parked shell ever to be destroyed in the process
 * keeps its VM descriptor open for good (see vcpu.c), never handed out. */
void vcpu_shell_flush(void);
/* Is the keeper there (one descriptor, held for the life of the process)? */
bool vcpu_keeper_held(void);
/* How many warm shells are kept now. */
unsigned vcpu_shell_count(void);

#endif /* KVMLET_VCPU_H */
