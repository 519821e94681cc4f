/* SPDX-License-Identifier: MIT */
/*
 * reset.c: snapshot and reset. The snapshot is taken once, when a sandbox has
 * started (before its first instruction for kvmlet_run, after start-up for
 * calls): the pages of guest memory that are not all zero, and the vCPU's
 * complete state (vcpu.c).
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
#include "linux.h"

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
		return kvmlet_fail(err, -errno, "KVM_GET_DIRTY_LOG: %s", strerror(errno));
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	uint64_t acc = 0;

	for (unsigned i = 0; i < PAGE / 8; i++)
		acc |= w[i];
	return acc == 0;
}

static void snapshot_drop(struct kvmlet_sandbox *sb)
{
	if (sb->snap)
		munmap(sb->snap, sb->cfg.mem_size);
	free(sb->snap_has);
	free(sb->guest_dirty);
	free(sb->host_dirty);
	sb->snap = NULL;
	sb->snap_has = sb->guest_dirty = sb->host_dirty = NULL;
}

/*
 * Every page with content goes into the snapshot: found by reading memory, not
 * by asking the kernel which pages are resident (a page swapped out to zram or
 * zswap is not, and would be zeroed by every reset).
 */
int reset_snapshot(struct kvmlet_sandbox *sb, enum sb_phase back_to, struct kvmlet_error *err)
{
	uint64_t n = npages(sb), words = (n + 63) / 64;
	int r;

	sb->snap = mmap(NULL, sb->cfg.mem_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sb->snap == MAP_FAILED) {
		sb->snap = NULL;
		return kvmlet_fail(err, -ENOMEM, "cannot map the snapshot: %s", strerror(errno));
	}
	sb->snap_has = calloc(words, 8);
	sb->guest_dirty = calloc(words, 8);
	sb->host_dirty = calloc(words, 8);
	if (!sb->snap_has || !sb->guest_dirty || !sb->host_dirty) {
		r = kvmlet_fail(err, -ENOMEM, "out of memory for the snapshot");
		goto err_drop;
	}
	for (uint64_t p = 0; p < n; p++) {
		if (page_is_zero(sb->mem + p * PAGE))
			continue;
		memcpy(sb->snap + p * PAGE, sb->mem + p * PAGE, PAGE);
		sb->snap_has[p / 64] |= 1ull << (p % 64);
	}
	/* Start a fresh dirty log: what the guest wrote so far is in the snapshot. */
	if ((r = dirty_log(sb, err)) < 0 || (r = vcpu_state_save(&sb->vm, &sb->snap_vcpu, err)) < 0)
		goto err_drop;
	linux_snapshot(sb->lx);
	sb->snap_phase = back_to;
	return 0;

err_drop:
	snapshot_drop(sb); /* no half-built snapshot for a later reset to restore */
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

/* Does page p differ from the snapshot? */
static bool page_changed(const struct kvmlet_sandbox *sb, uint64_t p)
{
	if (sb->snap_has[p / 64] & (1ull << (p % 64)))
		return memcmp(sb->mem + p * PAGE, sb->snap + p * PAGE, PAGE) != 0;
	return !page_is_zero(sb->mem + p * PAGE);
}

/*
 * Restore the pages that the guest (dirty log) or the host wrote since the
 * snapshot. A page-table page is restored only if its content changed: a
 * walker may mark it written without changing it (QEMU's nested page walker
 * does). *tables is set when one did change.
 */
static uint64_t restore_pages(struct kvmlet_sandbox *sb, bool *tables)
{
	uint64_t n = npages(sb), restored = 0;
	uint64_t tables_lo = KVMLET_TABLES_GPA / PAGE, tables_hi = KVMLET_TABLES_END / PAGE;

	for (uint64_t w = 0; w < (n + 63) / 64; w++) {
		uint64_t bits = sb->guest_dirty[w] | sb->host_dirty[w];

		sb->host_dirty[w] = 0;
		while (bits) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (p >= n)
				break;
			if (p >= tables_lo && p < tables_hi) {
				if (!page_changed(sb, p))
					continue;
				*tables = true;
			}
			restore_page(sb, p);
			restored++;
		}
	}
	return restored;
}

/*
 * A reset, whatever the last call did: finish any instruction KVM has in
 * flight, restore the written pages, then the vCPU's complete state with an
 * empty TLB. When page tables changed, KVM's own translations derived from
 * them (shadow pages, which our host-side writes bypass) are dropped too.
 */
int kvmlet_reset(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	bool tables = false;
	int r;

	if (sb->in_host_fn)
		return kvmlet_fail(err, -EDEADLK, "a host function tried to reset its own sandbox");
	if (!sb->snap) {
		if (sb->vm.vcpu_fd >= 0 && sb->phase != PH_NEW)
			return kvmlet_fail(err, -ENOTRECOVERABLE,
					   "this sandbox has no snapshot to reset to");
		sb->phase = PH_NEW; /* never ran: nothing to undo */
		return 0;
	}
	if ((r = vcpu_drain(&sb->vm, err)) < 0 || (r = dirty_log(sb, err)) < 0)
		return r;
	sb->last_reset_pages = restore_pages(sb, &tables);
	if (tables && (r = kvm_vm_forget_mappings(&sb->vm, sb->mem, sb->cfg.mem_size, err)) < 0)
		return r;
	if ((r = vcpu_state_load(&sb->vm, &sb->snap_vcpu, err)) < 0)
		return r;
	linux_reset(sb->lx);
	sb->out_total = 0;
	sb->phase = sb->snap_phase;
	return 0;
}
uint64_t kvmlet_last_reset_pages(const struct kvmlet_sandbox *sb)
{
	return sb->last_reset_pages;
}
