/* SPDX-License-Identifier: MIT */
/*
 * vcpu.c: the vCPU, and every ioctl on its descriptor: creation with its
 * CPUID, KVM_RUN with the kick, registers, the vCPU's complete state (saved
 * once and loaded by every reset), and draining an instruction that KVM left
 * half-emulated. A reset must
 * leave nothing of the previous call in the vCPU: general, segment, control
 * and debug registers, the x87/SSE state with MXCSR (XSAVE), pending events,
 * CR8 and every MSR the guest's ring 0 uses; and an empty TLB. The same
 * complete load makes a warm shell (a parked VM and vCPU, kept for the next
 * sandbox) safe to hand to another guest.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "kvmlet_abi.h"
#include "vcpu.h"

/*
 * ioctl(fd, KVM_RUN, 0) without libc's wrapper (0 or -errno): the path from
 * one exit to the next entry then touches no libc or PLT page, and each page
 * it touches costs a TLB miss after the world switch.
 */
static inline long kvm_run_ioctl(int fd)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)SYS_ioctl), "D"((long)fd), "S"((unsigned long)KVM_RUN), "d"(0L)
			 : "rcx", "r11", "memory");
	return r;
}

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
#define XSAVE_BV_OFF 512 /* XSTATE_BV in an XSAVE area: the components it holds */
/* Rounds of completion a drain allows: a split MMIO access takes a few, a
 * `rep` string instruction returns to the guest every 1024 iterations. */
#define DRAIN_MAX 4096

#define fail_ioctl error_errno

/* Before anything reaches the vCPU from outside its run: a thread that keeps
 * it running (exitless.c) steps out of KVM_RUN first. */
KVMLET_HOT static void claim(struct vcpu *v)
{
	if (v->hold)
		v->hold(v->hold_arg);
}

/* ... and before anything sets its state, which a resumed call must not miss. */
KVMLET_HOT static void touch(struct vcpu *v)
{
	claim(v);
	v->gen++;
}

int vcpu_state_save(struct vcpu *v, struct vcpu_state *st, struct kvmlet_error *err)
{
	int fd = v->fd;

	claim(v);
	memset(st, 0, sizeof(*st));
	if (ioctl(fd, KVM_GET_REGS, &st->regs) < 0)
		return fail_ioctl(err, "KVM_GET_REGS");
	if (ioctl(fd, KVM_GET_SREGS, &st->sregs) < 0)
		return fail_ioctl(err, "KVM_GET_SREGS");
	if (ioctl(fd, KVM_GET_XSAVE, (struct kvm_xsave *)(void *)st->xsave) < 0)
		return fail_ioctl(err, "KVM_GET_XSAVE");
	if (ioctl(fd, KVM_GET_DEBUGREGS, &st->dregs) < 0)
		return fail_ioctl(err, "KVM_GET_DEBUGREGS");
	/* Nothing pending: no exception, interrupt, NMI or interrupt shadow. */
	st->events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	/* All at once; KVM stops at the first it cannot read (the count read so
	 * far), which is left out, and the rest are asked again. */
	st->nmsrs = 0;
	for (unsigned i = 0; i < VCPU_MSRS_MAX;) {
		struct msr_buf m = {.nmsrs = VCPU_MSRS_MAX - i};

		for (unsigned k = 0; k < m.nmsrs; k++)
			m.e[k].index = state_msrs[i + k];
		int got = ioctl(fd, KVM_GET_MSRS, (struct kvm_msrs *)(void *)&m);
		if (got < 0)
			return fail_ioctl(err, "KVM_GET_MSRS");
		if ((unsigned)got > m.nmsrs)
			return kvmlet_fail(err, -EIO, "KVM_GET_MSRS: %d read of %u", got, m.nmsrs);
		memcpy(st->msr + st->nmsrs, m.e, (unsigned)got * sizeof(m.e[0]));
		st->nmsrs += (unsigned)got;
		i += (unsigned)got + 1;
	}
	return 0;
}

/* sync: regs, sregs and events through the synced copy, with the next
 * KVM_RUN; else now, by ioctl (what is read back before a run sees them). */
static int state_load(struct vcpu *v, struct vcpu_state *st, bool sync, struct kvmlet_error *err)
{
	int fd = v->fd;
	struct kvm_sregs sregs = st->sregs;

	touch(v);
	/*
	 * A CR3 that differs from the current one makes KVM reset its MMU context
	 * and flush the guest's TLB; alternating PWT (a caching hint for the PML4
	 * itself, harmless) makes every reset such a load.
	 */
	st->flip ^= 1;
	sregs.cr3 ^= st->flip ? CR3_PWT : 0;
	/* No tick of the run before reaches the next (KVM's queued interrupt
	 * goes with the events below). */
	v->tick = false;
	v->run->request_interrupt_window = 0;
	if (sync) {
		/* Regs, sregs and events go in with the next KVM_RUN: no ioctl each. */
		v->run->s.regs.regs = st->regs;
		v->run->s.regs.sregs = sregs;
		v->run->s.regs.events = st->events;
		v->run->kvm_dirty_regs |=
			KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
	} else if (ioctl(fd, KVM_SET_REGS, &st->regs) < 0) {
		return fail_ioctl(err, "KVM_SET_REGS");
	} else if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0) {
		return fail_ioctl(err, "KVM_SET_SREGS");
	} else if (ioctl(fd, KVM_SET_VCPU_EVENTS, &st->events) < 0) {
		return fail_ioctl(err, "KVM_SET_VCPU_EVENTS");
	}
	/* Without an in-kernel APIC, KVM_RUN reloads CR8 from here. */
	v->run->cr8 = st->sregs.cr8;
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

int vcpu_state_load(struct vcpu *v, struct vcpu_state *st, struct kvmlet_error *err)
{
	return state_load(v, st, v->sync_regs, err);
}

int vcpu_set_msrs(struct vcpu *v, const uint32_t *index, const uint64_t *value, unsigned n,
		  struct kvmlet_error *err)
{
	struct msr_buf m = {.nmsrs = n};

	touch(v);
	if (n > VCPU_MSRS_MAX)
		return kvmlet_fail(err, -EINVAL, "too many MSRs");
	for (unsigned i = 0; i < n; i++)
		m.e[i] = (struct kvm_msr_entry){.index = index[i], .data = value[i]};
	int r = ioctl(v->fd, KVM_SET_MSRS, (struct kvm_msrs *)(void *)&m);
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
static int drain_now(struct vcpu *v, struct kvmlet_error *err)
{
	struct kvm_run *run = v->run;

	v->pending = VCPU_SETTLED;
	for (int i = 0; i < DRAIN_MAX; i++) {
		run->immediate_exit = 1;
		int r = ioctl(v->fd, KVM_RUN, 0);
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
		    run->io.data_offset < v->run_size) {
			uint64_t n = (uint64_t)run->io.size * run->io.count;
			uint64_t room = v->run_size - run->io.data_offset;
			memset((uint8_t *)run + run->io.data_offset, 0xff, n < room ? n : room);
		}
	}
	v->pending = VCPU_UNSETTLED;
	return kvmlet_fail(err, -EIO,
			   "the vCPU still had an instruction in flight after %d "
			   "rounds of completion",
			   DRAIN_MAX);
}

/*
 * After an `out` exit, all KVM has left to do is skip that instruction, and
 * only if the vCPU is still at it when it next runs (complete_fast_pio_out;
 * a string `outs` leaves nothing). That is no half-done instruction a reset
 * must finish first: vcpu_run sees that the skip cannot act on new state.
 */
int vcpu_drain(struct vcpu *v, struct kvmlet_error *err)
{
	touch(v);
	if (v->pending == VCPU_OUT_PENDING)
		v->out_guard = true;
	if (v->pending == VCPU_SETTLED || v->pending == VCPU_OUT_PENDING)
		return 0;
	return drain_now(v, err);
}

/*
 * The next KVM_RUN would start at out_rip with state set since the `out`
 * exit there (a reset, or a call entered where the last one ended): KVM's
 * skip of it would then act on that state. Run KVM's completion first with
 * RIP elsewhere (so it does nothing, and no guest instruction runs), then
 * put the registers back.
 */
static int out_guard(struct vcpu *v, struct kvmlet_error *err)
{
	struct kvm_run *run = v->run;
	bool dirty = run->kvm_dirty_regs & KVM_SYNC_X86_REGS;

	v->pending = VCPU_SETTLED;
	if (dirty && run->s.regs.regs.rip != v->out_rip)
		return 0;
	/* Not dirty: RIP is still the exit's, as KVM stored it (out_rip). */
	struct kvm_regs want = run->s.regs.regs;
	run->s.regs.regs.rip = v->out_rip + 1;
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	int r = drain_now(v, err);
	run->s.regs.regs = want;
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	return r;
}

/* KVM's supported CPUID, trimmed to the policy (guest_cpuid.c); the paging rules it implies. */
static int vcpu_set_cpuid(struct vcpu *v, int kvm_fd, struct kvmlet_error *err)
{
	struct kvm_cpuid2 *c;
	int r;

	if ((r = cpuid_supported(kvm_fd, &c, err)) < 0)
		return r;
	cpuid_paging(c->entries, c->nent, &v->paging);
	v->xcr0 = cpuid_xcr0(c->entries, c->nent);
	r = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? fail_ioctl(err, "KVM_SET_CPUID2") : 0;
	free(c);
	return r;
}

/*
 * With the hypervisor leaves zeroed the guest is offered no paravirtual
 * feature; make KVM hold it to that (KVM_CAP_ENFORCE_PV_FEATURE_CPUID, Linux
 * 5.10), so hypercalls and PV MSRs from guest ring 0 fail too. Optional: KVM
 * before 5.10 lacks it.
 */
static int vcpu_enforce_pv_cpuid(struct vcpu *v, struct kvmlet_error *err)
{
	struct kvm_enable_cap cap = {.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args[0] = 1};

	if (!vm_kvm_has(KVM_CAP_ENFORCE_PV_FEATURE_CPUID))
		return 0;
	if (ioctl(v->fd, KVM_ENABLE_CAP, &cap) < 0)
		return fail_ioctl(err, "KVM_ENABLE_CAP(ENFORCE_PV_FEATURE_CPUID)");
	return 0;
}

/* A new vCPU's complete state, saved from the first one the process made
 * before it ever ran: what a cold start on a used shell loads before its own
 * setup, so that nothing of the shell's previous guest is left. */
static pthread_mutex_t pristine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vcpu_state pristine;
static bool pristine_saved;

int vcpu_create(struct vcpu *v, struct vm *vm, struct kvmlet_error *err)
{
	int kfd, size, r;

	*v = VCPU_NONE;
	if ((r = watch_init(err)) < 0) /* the vCPU's kick signal is ours before any run */
		return r;
	if ((kfd = vm_kvm_fd(err)) < 0)
		return kfd;
	v->sync_regs = vm_kvm_has(KVM_CAP_SYNC_REGS);
	if ((v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, 0)) < 0)
		return fail_ioctl(err, "KVM_CREATE_VCPU");
	if ((size = vm_kvm_vcpu_mmap_size(err)) < 0) {
		r = size;
		goto err_close;
	}
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		r = fail_ioctl(err, "mmap of kvm_run");
		goto err_close;
	}
	if ((r = vcpu_set_cpuid(v, kfd, err)) < 0 || (r = vcpu_enforce_pv_cpuid(v, err)) < 0)
		goto err_close;
	if (v->sync_regs)
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	pthread_mutex_lock(&pristine_lock);
	if (!pristine_saved && vcpu_state_save(v, &pristine, NULL) == 0) {
		/* A new vCPU's XSAVE header says every component is in its initial
		 * state, which makes KVM_SET_XSAVE leave MXCSR as it was: say that
		 * x87 and SSE are as the legacy area holds them (their reset values). */
		uint8_t *x = (uint8_t *)pristine.xsave;
		uint64_t bv;
		memcpy(&bv, x + XSAVE_BV_OFF, sizeof(bv));
		bv |= 3;
		memcpy(x + XSAVE_BV_OFF, &bv, sizeof(bv));
		pristine_saved = true;
	}
	pthread_mutex_unlock(&pristine_lock);
	return 0;

err_close:
	vcpu_destroy(v);
	return r;
}

void vcpu_destroy(struct vcpu *v)
{
	claim(v);
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	*v = VCPU_NONE;
}

/*
 * A tick the watchdog asked for goes in as an external interrupt (no in-kernel
 * APIC: KVM_INTERRUPT) once the guest can take one (IF set, no interrupt
 * shadow): at once, or at the exit KVM makes when that window opens. The
 * guest's user code runs with IF set and its kernel with IF clear, so the
 * interrupt always lands in user code.
 */
static void tick_offer(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kvm_interrupt irq = {.irq = KVMLET_VEC_TICK};

	if (!run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		return;
	}
	/* ENXIO: one is queued already, which does as well. */
	(void)ioctl(v->fd, KVM_INTERRUPT, &irq);
	run->request_interrupt_window = 0;
	v->tick = false;
}

KVMLET_HOT int vcpu_run(struct vcpu *v, struct watch *w, struct kvmlet_error *err)
{
	claim(v);
	for (;;) {
		/*
		 * A cancel sets the flag before it kicks; a kick that lands before
		 * KVM_RUN sets immediate_exit, so KVM_RUN returns at once: no lost wake-up.
		 */
		if (atomic_load(&w->cancelled))
			return -ECANCELED;
		if (atomic_load(&w->stop))
			return -EINTR;
		if (w->deadline && watch_now_ns() >= w->deadline)
			return -ETIMEDOUT;
		if (v->pending == VCPU_OUT_PENDING && v->out_guard) {
			int r = out_guard(v, err);
			if (r < 0)
				return r;
		}
		/* Stored before tick_due and yield_due are read: either is seen
		 * here or sent as a signal (watchdog.c's kick). */
		atomic_store(&w->in_guest, true);
		if (atomic_load(&w->tick_due) && atomic_exchange(&w->tick_due, false))
			v->tick = true;
		if (atomic_load(&w->yield_due) && atomic_exchange(&w->yield_due, false)) {
			atomic_store_explicit(&w->in_guest, false, memory_order_relaxed);
			return VCPU_YIELD;
		}
		if (v->tick)
			tick_offer(v);
		long r = kvm_run_ioctl(v->fd);
		atomic_store_explicit(&w->in_guest, false, memory_order_relaxed);
		if (r == 0) {
			const struct kvm_run *run = v->run;
			if (run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN) {
				v->pending = VCPU_UNSETTLED; /* only ever asked for a tick */
				continue;
			}
			bool out = run->exit_reason == KVM_EXIT_IO &&
				   run->io.direction == KVM_EXIT_IO_OUT && v->sync_regs;
			v->pending = out ? VCPU_OUT_PENDING : VCPU_UNSETTLED;
			v->out_rip = run->s.regs.regs.rip;
			v->out_guard = false;
			return 0;
		}
		if (r != -EINTR && r != -EAGAIN) {
			errno = (int)-r;
			return fail_ioctl(err, "KVM_RUN");
		}
		v->pending = VCPU_SETTLED; /* what was pending went before the kick took effect */
		v->run->immediate_exit = 0;
	}
}

KVMLET_HOT int vcpu_get_regs(struct vcpu *v, struct kvm_regs *regs, struct kvmlet_error *err)
{
	claim(v);
	if (v->sync_regs) {
		*regs = v->run->s.regs.regs;
		return 0;
	}
	return ioctl(v->fd, KVM_GET_REGS, regs) < 0 ? fail_ioctl(err, "KVM_GET_REGS") : 0;
}

/* Through the synced registers where KVM has them: no ioctl, KVM takes them
 * with the next KVM_RUN (which every path to a register read goes through). */
KVMLET_HOT int vcpu_set_regs(struct vcpu *v, const struct kvm_regs *regs, struct kvmlet_error *err)
{
	touch(v);
	if (v->sync_regs) {
		v->run->s.regs.regs = *regs;
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	return ioctl(v->fd, KVM_SET_REGS, regs) < 0 ? fail_ioctl(err, "KVM_SET_REGS") : 0;
}

int vcpu_set_entry(struct vcpu *v, uint64_t rip, uint64_t rsp, struct kvmlet_error *err)
{
	/* IF set: user code can take a tick (a Linux program's; no other gets one). */
	struct kvm_regs regs = {.rip = rip, .rsp = rsp, .rflags = 0x202};

	v->out_guard = true; /* a new start: the last exit's `out` is not skipped here */
	return vcpu_set_regs(v, &regs, err);
}

int vcpu_get_sregs(struct vcpu *v, struct kvm_sregs *sregs, struct kvmlet_error *err)
{
	claim(v);
	return ioctl(v->fd, KVM_GET_SREGS, sregs) < 0 ? fail_ioctl(err, "KVM_GET_SREGS") : 0;
}

int vcpu_set_sregs(struct vcpu *v, const struct kvm_sregs *sregs, struct kvmlet_error *err)
{
	touch(v);
	return ioctl(v->fd, KVM_SET_SREGS, sregs) < 0 ? fail_ioctl(err, "KVM_SET_SREGS") : 0;
}

int vcpu_set_xcr0(struct vcpu *v, uint64_t xcr0, struct kvmlet_error *err)
{
	struct kvm_xcrs x = {.nr_xcrs = 1, .xcrs = {{.xcr = 0, .value = xcr0}}};

	touch(v);
	return ioctl(v->fd, KVM_SET_XCRS, &x) < 0 ? fail_ioctl(err, "KVM_SET_XCRS") : 0;
}

int vcpu_set_fpu(struct vcpu *v, const struct kvm_fpu *fpu, struct kvmlet_error *err)
{
	touch(v);
	return ioctl(v->fd, KVM_SET_FPU, fpu) < 0 ? fail_ioctl(err, "KVM_SET_FPU") : 0;
}

/* Nothing of the previous guest may act on the next: finish a half-done
 * instruction, then drop pending exceptions, NMIs and the interrupt shadow. */
static int vcpu_park(struct vcpu *v, struct kvmlet_error *err)
{
	struct kvm_vcpu_events none = {.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
						KVM_VCPUEVENT_VALID_SHADOW};
	int r;

	touch(v);
	if ((r = drain_now(v, err)) < 0)
		return r;
	v->run->kvm_dirty_regs = 0;
	v->run->immediate_exit = 0;
	v->run->request_interrupt_window = 0;
	v->tick = false;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &none) < 0)
		return fail_ioctl(err, "KVM_SET_VCPU_EVENTS");
	return 0;
}

struct shell {
	struct vm vm;
	struct vcpu vcpu;
};

static pthread_mutex_t shells_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shell shells[VCPU_SHELLS_MAX];
static unsigned nshells;
/*
 * The keeper: the first parked shell the process would destroy keeps its VM
 * (and the vCPU in it) for the life of the process instead, only its VM
 * descriptor open; never run again, never handed out. While one vCPU without
 * an in-kernel local APIC exists, KVM does not flip a static key (patching
 * kernel code) each time such a vCPU is created or its VM destroyed, nor the
 * preempt notifiers' key per VM: 7 of the 7.5 ms a vCPU costs to create under
 * nested KVM. A shell from the pool would do it too, but those are handed out.
 */
static int keeper_fd = -1;

/* Make a parked shell's VM the keeper if none is kept (*vm left VM_NONE: the
 * caller destroys what is left). Under shells_lock. */
static void keeper_adopt(struct vm *vm)
{
	if (keeper_fd < 0) {
		keeper_fd = vm->fd;
		*vm = VM_NONE;
	}
}

int vcpu_shell_take(struct vcpu *v, struct vm *vm, void *mem, uint64_t mem_size)
{
	struct shell s;

	touch(v);
	pthread_mutex_lock(&shells_lock);
	if (!nshells) {
		pthread_mutex_unlock(&shells_lock);
		return 0;
	}
	s = shells[--nshells];
	pthread_mutex_unlock(&shells_lock);
	if (vm_adopt(&s.vm, mem, mem_size, NULL) < 0) {
		vcpu_destroy(&s.vcpu);
		vm_destroy(&s.vm);
		return 0;
	}
	*v = s.vcpu;
	*vm = s.vm;
	return 1;
}

int vcpu_shell_take_fresh(struct vcpu *v, struct vm *vm, void *mem, uint64_t mem_size)
{
	struct vcpu_state st;

	pthread_mutex_lock(&pristine_lock);
	bool have = pristine_saved;
	if (have)
		st = pristine;
	pthread_mutex_unlock(&pristine_lock);
	if (!have || !vcpu_shell_take(v, vm, mem, mem_size))
		return 0;
	if (state_load(v, &st, false, NULL) < 0) {
		vcpu_destroy(v);
		vm_destroy(vm);
		return 0;
	}
	return 1;
}

void vcpu_shell_give(struct vcpu *v, struct vm *vm)
{
	bool parked = false;

	claim(v);
	v->hold = NULL;
	pthread_mutex_lock(&shells_lock);
	bool wanted = nshells < VCPU_SHELLS_MAX || keeper_fd < 0;
	pthread_mutex_unlock(&shells_lock);
	if (wanted && v->fd >= 0 && vm->fd >= 0)
		parked = vcpu_park(v, NULL) == 0 && vm_park(vm, NULL) == 0;
	pthread_mutex_lock(&shells_lock);
	if (parked && nshells < VCPU_SHELLS_MAX) {
		shells[nshells++] = (struct shell){.vm = *vm, .vcpu = *v};
		*v = VCPU_NONE;
		*vm = VM_NONE;
	} else if (parked) {
		keeper_adopt(vm);
	}
	pthread_mutex_unlock(&shells_lock);
	vcpu_destroy(v); /* outside the lock: destroying a VM takes milliseconds */
	vm_destroy(vm);
}

bool vcpu_shell_add(struct vcpu *v, struct vm *vm)
{
	bool added = false;

	pthread_mutex_lock(&shells_lock);
	if (nshells < VCPU_SHELLS_MAX) {
		shells[nshells++] = (struct shell){.vm = *vm, .vcpu = *v};
		*v = VCPU_NONE;
		*vm = VM_NONE;
		added = true;
	}
	pthread_mutex_unlock(&shells_lock);
	return added;
}

void vcpu_shell_flush(void)
{
	struct shell gone[VCPU_SHELLS_MAX];
	unsigned n;

	pthread_mutex_lock(&shells_lock);
	n = nshells;
	memcpy(gone, shells, n * sizeof(gone[0]));
	nshells = 0;
	for (unsigned i = 0; i < n; i++)
		keeper_adopt(&gone[i].vm);
	pthread_mutex_unlock(&shells_lock);
	for (unsigned i = 0; i < n; i++) {
		vcpu_destroy(&gone[i].vcpu);
		vm_destroy(&gone[i].vm);
	}
}

bool vcpu_keeper_held(void)
{
	pthread_mutex_lock(&shells_lock);
	bool held = keeper_fd >= 0;
	pthread_mutex_unlock(&shells_lock);
	return held;
}

unsigned vcpu_shell_count(void)
{
	pthread_mutex_lock(&shells_lock);
	unsigned n = nshells;
	pthread_mutex_unlock(&shells_lock);
	return n;
}

uint32_t vcpu_tsc_khz(struct vcpu *v)
{
	int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

	return khz > 0 ? (uint32_t)khz : 0;
}
