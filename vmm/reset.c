/* SPDX-License-Identifier: MIT */
/*
 * reset.c: snapshot and reset. The snapshot is taken once, when a sandbox has
 * started (before its first instruction for kvmlet_run, after start-up for
 * calls): the resident pages of guest memory (mincore: a page never touched
 * is zero and stays out of the snapshot) and the vCPU's special registers.
 * A reset restores only what changed since: the pages KVM's dirty log says
 * the guest wrote, plus the pages the host wrote (call arguments, host-call
 * results), copied back in place so that the next call takes no page fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "internal.h"

#define PAGE KVMLET_PAGE_SIZE

static uint64_t npages(const struct kvmlet_sandbox *sb)
{
	return sb->cfg.mem_size / PAGE;
}

void reset_mark_host_dirty(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t len)
{
	if (!sb->host_dirty || len == 0)
		return;
	for (uint64_t p = gpa / PAGE; p <= (gpa + len - 1) / PAGE && p < npages(sb); p++)
		sb->host_dirty[p / 64] |= 1ull << (p % 64);
}

static int dirty_log(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = sb->guest_dirty};

	if (ioctl(sb->vm.vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return kvmlet_fail(err, -EIO, "KVM_GET_DIRTY_LOG: %s", strerror(errno));
	return 0;
}

int reset_snapshot(struct kvmlet_sandbox *sb, enum sb_phase back_to, struct kvmlet_error *err)
{
	uint64_t n = npages(sb), words = (n + 63) / 64;
	unsigned char *resident = NULL;
	int r = -ENOMEM;

	sb->snap = mmap(NULL, sb->cfg.mem_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sb->snap == MAP_FAILED) {
		sb->snap = NULL;
		return kvmlet_fail(err, -ENOMEM, "cannot map the snapshot: %s", strerror(errno));
	}
	sb->snap_has = calloc(words, 8);
	sb->guest_dirty = calloc(words, 8);
	sb->host_dirty = calloc(words, 8);
	resident = malloc(n);
	if (!sb->snap_has || !sb->guest_dirty || !sb->host_dirty || !resident) {
		r = kvmlet_fail(err, -ENOMEM, "out of memory for the snapshot");
		goto out;
	}
	if (mincore(sb->mem, sb->cfg.mem_size, resident) < 0) {
		r = kvmlet_fail(err, -EIO, "mincore: %s", strerror(errno));
		goto out;
	}
	for (uint64_t p = 0; p < n; p++) {
		if (!(resident[p] & 1))
			continue;
		memcpy(sb->snap + p * PAGE, sb->mem + p * PAGE, PAGE);
		sb->snap_has[p / 64] |= 1ull << (p % 64);
	}
	/* Start a fresh dirty log: what the guest wrote so far is in the snapshot. */
	if ((r = dirty_log(sb, err)) < 0)
		goto out;
	if (ioctl(sb->vm.vcpu_fd, KVM_GET_SREGS, &sb->snap_sregs) < 0) {
		r = kvmlet_fail(err, -EIO, "KVM_GET_SREGS: %s", strerror(errno));
		goto out;
	}
	x86_fixup_tr(&sb->vm, &sb->snap_sregs);
	sb->snap_phase = back_to;
	r = 0;
out:
	free(resident);
	return r;
}

/* Restore one page from the snapshot, or zero it if the snapshot has none. */
static void restore_page(struct kvmlet_sandbox *sb, uint64_t p)
{
	if (sb->snap_has[p / 64] & (1ull << (p % 64)))
		memcpy(sb->mem + p * PAGE, sb->snap + p * PAGE, PAGE);
	else
		memset(sb->mem + p * PAGE, 0, PAGE);
}

/*
 * An exit can leave an instruction half-emulated (an MMIO read, a string or
 * `in` port access): KVM would finish it on the next KVM_RUN, after our new
 * registers, and so resume the old call. Let KVM finish it now, without
 * running anything further, before any state is restored.
 */
static int finish_pending(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r;

	sb->vm.run->immediate_exit = 1;
	r = ioctl(sb->vm.vcpu_fd, KVM_RUN, 0);
	sb->vm.run->immediate_exit = 0;
	if (r < 0 && errno != EINTR)
		return kvmlet_fail(err, -EIO, "KVM_RUN to complete pending I/O: %s",
				   strerror(errno));
	return 0;
}

/*
 * vCPU state: FPU/SSE always (registers may hold the last call's data). The
 * special and debug registers and pending events when page tables changed or
 * after a failure:
 * only by rewriting its tables can a guest reach ring 0 and touch them (this
 * also flushes the TLB). General registers are set by every entry.
 */
static int reset_vcpu(struct kvmlet_sandbox *sb, bool full, struct kvmlet_error *err)
{
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	struct kvm_debugregs dregs = {.dr6 = 0xffff0ff0, .dr7 = 0x400};
	struct kvm_vcpu_events events = {0}; /* no exception, interrupt or NMI pending */

	if (full && ioctl(sb->vm.vcpu_fd, KVM_SET_SREGS, &sb->snap_sregs) < 0)
		return kvmlet_fail(err, -EIO, "KVM_SET_SREGS: %s", strerror(errno));
	if (full && ioctl(sb->vm.vcpu_fd, KVM_SET_DEBUGREGS, &dregs) < 0)
		return kvmlet_fail(err, -EIO, "KVM_SET_DEBUGREGS: %s", strerror(errno));
	/* A run stopped mid-delivery (time limit, cancel) can leave an exception pending. */
	if (full && ioctl(sb->vm.vcpu_fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return kvmlet_fail(err, -EIO, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	if (ioctl(sb->vm.vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return kvmlet_fail(err, -EIO, "KVM_SET_FPU: %s", strerror(errno));
	return 0;
}

int kvmlet_reset(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	uint64_t n = npages(sb), restored = 0;
	uint64_t tables_lo = KVMLET_TABLES_GPA / PAGE, tables_hi = KVMLET_TABLES_END / PAGE;
	bool tables = false;
	int r;

	if (sb->in_host_fn)
		return kvmlet_fail(err, -EDEADLK, "a host function tried to reset its own sandbox");
	if (!sb->snap)
		return 0; /* never started: nothing to undo */
	/* A call that returned ended on its RETURN `out`, which leaves nothing that
	 * could resume it; anything else (fault, stop, run) may have. */
	if (sb->phase != PH_IDLE && (r = finish_pending(sb, err)) < 0)
		return r;
	if ((r = dirty_log(sb, err)) < 0)
		return r;
	for (uint64_t w = 0; w < (n + 63) / 64; w++) {
		uint64_t bits = sb->guest_dirty[w] | sb->host_dirty[w];

		sb->host_dirty[w] = 0;
		while (bits) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (p >= n)
				break;
			restore_page(sb, p);
			restored++;
			tables |= p >= tables_lo && p < tables_hi;
		}
	}
	if ((r = reset_vcpu(sb, tables || sb->phase != PH_IDLE, err)) < 0)
		return r;
	sb->out_total = 0;
	sb->last_reset_pages = restored;
	sb->phase = sb->snap_phase;
	return 0;
}

uint64_t kvmlet_last_reset_pages(const struct kvmlet_sandbox *sb)
{
	return sb->last_reset_pages;
}
