/* SPDX-License-Identifier: MIT */
/*
 * reset.c: snapshot and reset. The snapshot is taken once, when a sandbox has
 * started (before its first instruction for kvmlet_run, after start-up for
 * calls): the pages of guest memory that are not all zero (which pages were
 * ever touched, /proc/self/pagemap says), and the vCPU's complete state (vcpu.c).
 * A reset restores only what changed since: the pages KVM's dirty log says
 * the guest wrote, plus the pages the host wrote through guest_mem's accessor
 * since the snapshot (call arguments, host-call results), copied back in place so that the next
 * call takes no page fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "error.h"
#include "linux.h"
#include "reset.h"
#include "sandbox.h"
#include "seccomp_filter.h"
#include "x86.h"

#define PAGE KVMLET_PAGE_SIZE

static uint64_t npages(const struct kvmlet_sandbox *sb)
{
	return sb->cfg.mem_size / PAGE;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	uint64_t acc = 0;

	for (unsigned i = 0; i < PAGE / 8; i++)
		acc |= w[i];
	return acc == 0;
}

void snapshot_free(struct snapshot *s, uint64_t mem_size)
{
	if (s->pages && !s->borrowed)
		munmap((void *)s->pages, mem_size);
	free(s->has);
	free(s->guest_dirty);
	if (s->image)
		free(s->image->tables.bitmap);
	free(s->image);
	*s = (struct snapshot){0};
}

int snapshot_keep_image(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	struct snapshot_image *k;

	if (!sb->snap.pages || sb->snap.image)
		return 0;
	if (!(k = malloc(sizeof(*k))))
		return kvmlet_fail(err, -ENOMEM, "out of memory for the program execve replaces");
	k->img = sb->img;
	k->lay = sb->lay;
	guest_mem_tables_take(&sb->gm, &k->tables);
	sb->snap.image = k;
	return 0;
}

/* The snapshot's program again, if an execve replaced it (its pages are back). */
static void image_back(struct kvmlet_sandbox *sb)
{
	struct snapshot_image *k = sb->snap.image;

	if (!k)
		return;
	sb->img = k->img;
	sb->lay = k->lay;
	guest_mem_tables_put(&sb->gm, &k->tables);
	free(k);
	sb->snap.image = NULL;
}

static int bitmaps_alloc(struct snapshot *s, uint64_t words, bool has, struct kvmlet_error *err)
{
	s->has = has ? calloc(words, 8) : NULL;
	s->guest_dirty = calloc(words, 8);
	if ((has && !s->has) || !s->guest_dirty)
		return kvmlet_fail(err, -ENOMEM, "out of memory for the snapshot");
	return 0;
}

/*
 * Which pages could hold content: /proc/self/pagemap says, per page, whether
 * it is present or swapped out (bits 63 and 62); a page that is neither was
 * never touched and reads as zeros. Unlike mincore, a page swapped out to
 * zram or zswap is not missed. The descriptor is opened once, when the first
 * sandbox is made (before any seccomp filter); -1 where /proc is missing, and
 * then every page is read.
 */
static int pagemap_fd = -1;

void snapshot_init(void)
{
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

#define PM_CHUNK     512	/* pagemap entries read at a time, on the stack */
#define PM_CHUNK_BIG (8u << 10) /* ... or in one allocation: 32 MiB of memory a read */

/*
 * PAGEMAP_SCAN (Linux 6.7), an ioctl on the same descriptor: the ranges of
 * present or swapped pages at once, the kernel skipping holes in its page
 * tables instead of reporting them entry by entry (reading pagemap over
 * 4 GiB of guest memory is 8 MiB of entries, 35 ms under nested KVM).
 * Spelled out here: older headers lack it (the request number is the same,
 * it depends only on the structure's size).
 */
struct pm_region {
	uint64_t start, end, categories;
};
struct pm_scan {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PM_SCAN	      _IOWR('f', 16, struct pm_scan)
#define PM_IS_PRESENT (1ull << 3)
#define PM_IS_SWAPPED (1ull << 4)

static void mark(uint64_t *bitmap, uint64_t p0, uint64_t p1)
{
	for (uint64_t p = p0; p < p1; p++)
		bitmap[p / 64] |= 1ull << (p % 64);
}

/* The kernel has no PAGEMAP_SCAN (it said so once). */
static atomic_bool no_scan;

/* PAGEMAP_SCAN from page p on; returns where it stopped (n: done). */
static uint64_t candidates_scan(const uint8_t *base, uint64_t p, uint64_t n, uint64_t *bitmap)
{
	struct pm_region regions[64];

	/* Zeroed for valgrind, which cannot know the kernel fills them in. */
	memset(regions, 0, sizeof(regions));
	while (p < n) {
		struct pm_scan a = {
			.size = sizeof(a),
			.start = (uintptr_t)(base + p * PAGE),
			.end = (uintptr_t)(base + n * PAGE),
			.vec = (uintptr_t)regions,
			.vec_len = sizeof(regions) / sizeof(regions[0]),
			.category_anyof_mask = PM_IS_PRESENT | PM_IS_SWAPPED,
			.return_mask = PM_IS_PRESENT | PM_IS_SWAPPED,
		};
		int got = ioctl(pagemap_fd, PM_SCAN, &a);

		if (got < 0 && (errno == ENOTTY || errno == EINVAL))
			atomic_store(&no_scan, true); /* before Linux 6.7: never ask again */
		if (got < 0 || a.walk_end <= a.start || a.walk_end > a.end)
			return p; /* no PAGEMAP_SCAN here: the caller reads the rest */
		for (int i = 0; i < got && i < (int)a.vec_len; i++) {
			uint64_t lo = regions[i].start, hi = regions[i].end;
			if (lo < a.start || hi > a.walk_end || lo > hi)
				return p; /* not an answer we understand: read instead */
			mark(bitmap, (lo - (uintptr_t)base) / PAGE, (hi - (uintptr_t)base) / PAGE);
		}
		p = (a.walk_end - (uintptr_t)base) / PAGE;
	}
	return n;
}

/* pagemap read up to PM_CHUNK_BIG entries at a time from page p on (every
 * page where it cannot be read: a page not known to be empty must be looked
 * at). One read covers 32 MiB of guest memory: a system call is dear under
 * nested KVM. */
static void candidates_read(const uint8_t *base, uint64_t p, uint64_t n, uint64_t *bitmap)
{
	uint64_t small[PM_CHUNK], chunk = n - p < PM_CHUNK_BIG ? n - p : PM_CHUNK_BIG;
	uint64_t *pm = chunk > PM_CHUNK ? malloc(chunk * 8) : NULL;

	if (!pm) {
		pm = small;
		chunk = chunk < PM_CHUNK ? chunk : PM_CHUNK;
	}
	for (; p < n; p += chunk) {
		uint64_t k = n - p < chunk ? n - p : chunk;
		bool known =
			pagemap_fd >= 0 &&
			pread(pagemap_fd, pm, k * 8,
			      (off_t)((uintptr_t)(base + p * PAGE) / PAGE * 8)) == (ssize_t)(k * 8);

		for (uint64_t i = 0; i < k; i++)
			if (!known || (pm[i] & (3ull << 62)))
				mark(bitmap, p + i, p + i + 1);
	}
	if (pm != small)
		free(pm);
}

uint64_t snapshot_candidates(const void *base, uint64_t n, uint64_t *bitmap, bool scan)
{
	/* Not under kvmlet_seccomp_install's filter: its ioctl list has no room
	 * for it, and reading is as exact. */
	const bool ask = scan && pagemap_fd >= 0 && !seccomp_installed() && !atomic_load(&no_scan);
	uint64_t done = ask ? candidates_scan(base, 0, n, bitmap) : 0;

	candidates_read(base, done, n, bitmap);
	return done;
}

/* The pages every call writes: the result buffer's first page (with the
 * guest's half of the call ring), the host-call buffer's, the call stack's
 * top page. */
static void keep_hot_pages(struct kvmlet_sandbox *sb)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct snapshot *s = &sb->snap;

	s->nkeep = 0;
	if (bi->ring_guest)
		s->keep[s->nkeep++] = bi->ring_guest / PAGE;
	if (bi->hostcall_buf)
		s->keep[s->nkeep++] = bi->hostcall_buf / PAGE;
	if (sb->calls.call_sp > PAGE)
		s->keep[s->nkeep++] = (sb->calls.call_sp - 1) / PAGE;
}

/* Every page with content goes into the snapshot (pages never touched are zeros). */
int snapshot_take(struct kvmlet_sandbox *sb, enum sb_phase back_to, struct kvmlet_error *err)
{
	struct snapshot *s = &sb->snap;
	uint64_t n = npages(sb), words = (n + 63) / 64;
	uint8_t *pages;
	int r;

	pages = guest_mem_anon(sb->cfg.mem_size);
	if (pages == MAP_FAILED)
		return kvmlet_fail(err, -ENOMEM, "cannot map the snapshot: %s", strerror(errno));
	s->pages = pages;
	if ((r = bitmaps_alloc(s, words, true, err)) < 0 ||
	    (r = guest_mem_track_writes(&sb->gm, err)) < 0)
		goto err_drop;
	/* The pages that could hold content, then those that do. */
	const uint8_t *base = GUEST_PTR(&sb->gm, 0, n * PAGE);
	if (base)
		snapshot_candidates(base, n, s->has, true);
	for (uint64_t w = 0; base && w < words; w++)
		for (uint64_t bits = s->has[w]; bits; bits &= bits - 1) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			if (page_is_zero(base + p * PAGE))
				s->has[w] &= ~(1ull << (p % 64));
			else
				memcpy(pages + p * PAGE, base + p * PAGE, PAGE);
		}
	/* Start a fresh dirty log: what the guest wrote so far is in the snapshot. */
	keep_hot_pages(sb);
	if ((r = vm_dirty_log(&sb->vm, s->guest_dirty, NULL, 0, err)) < 0 ||
	    (r = vcpu_state_save(&sb->vcpu, &s->vcpu, err)) < 0 ||
	    (r = phase_set_reset_target(&sb->phase, back_to)) < 0)
		goto err_drop;
	x86_fixup_tr(&sb->vcpu, &s->vcpu.sregs);
	s->calls = 0;
	linux_snapshot(sb->lx);
	return 0;

err_drop:
	snapshot_free(s, sb->cfg.mem_size); /* no half-built snapshot for a later reset */
	return r;
}

int snapshot_borrow(struct kvmlet_sandbox *sb, const uint8_t *pages, const struct vcpu_state *st,
		    struct kvmlet_error *err)
{
	struct snapshot *s = &sb->snap;
	uint64_t words = (npages(sb) + 63) / 64;
	int r;

	/* No has bitmap: the template holds every page (one fewer bitmap the size
	 * of guest memory / 32768 to fill for each sandbox). */
	if ((r = bitmaps_alloc(s, words, false, err)) < 0 ||
	    (r = guest_mem_track_writes(&sb->gm, err)) < 0) {
		snapshot_free(s, sb->cfg.mem_size);
		return r;
	}
	s->pages = pages;
	s->borrowed = true;
	s->vcpu = *st;
	keep_hot_pages(sb);
	return 0;
}

/* Does the snapshot hold page p (else it is zero)? */
static bool snap_has(const struct snapshot *s, uint64_t p)
{
	return !s->has || (s->has[p / 64] & (1ull << (p % 64)));
}

/* Restore one page from the snapshot, or zero it if the snapshot has none. */
static void restore_page(struct kvmlet_sandbox *sb, uint8_t *page, uint64_t p)
{
	if (snap_has(&sb->snap, p))
		memcpy(page, sb->snap.pages + p * PAGE, PAGE);
	else
		memset(page, 0, PAGE);
}

/* Does page p differ from the snapshot? */
static bool page_changed(const struct kvmlet_sandbox *sb, const uint8_t *page, uint64_t p)
{
	if (snap_has(&sb->snap, p))
		return memcmp(page, sb->snap.pages + p * PAGE, PAGE) != 0;
	return !page_is_zero(page);
}

/*
 * Restore the pages that the guest (dirty log) or the host wrote since the
 * snapshot, and count them. A page is compared first and left alone if its
 * content is the snapshot's: a page may be marked written without a change
 * (QEMU's nested page walker marks the pages it walks; a call may write back
 * what was there), and restoring it would cost a copy and, for a table page,
 * every mapping KVM built. *tables is set when a table page did change.
 */
static uint64_t restore_pages(struct kvmlet_sandbox *sb, bool *tables)
{
	uint64_t n = npages(sb), restored = 0;
	uint64_t tables_lo = KVMLET_TABLES_GPA / PAGE, tables_hi = KVMLET_TABLES_END / PAGE;

	for (uint64_t w = 0; w < (n + 63) / 64; w++) {
		uint64_t bits = sb->snap.guest_dirty[w] | guest_mem_take_written(&sb->gm, w);

		while (bits) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			uint8_t *page = GUEST_PTR(&sb->gm, p * PAGE, PAGE);
			bits &= bits - 1;
			if (p >= n || !page)
				break;
			if (!page_changed(sb, page, p))
				continue;
			if (p >= tables_lo && p < tables_hi)
				*tables = true;
			restore_page(sb, page, p);
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

	if (sb->calls.in_host_fn)
		return kvmlet_fail(err, -EDEADLK, "a host function tried to reset its own sandbox");
	if (!sb->snap.pages) {
		if (sb->vcpu.fd < 0)
			return phase_move(&sb->phase, PT_UNSTART); /* no VM left: start again */
		if (phase_is(&sb->phase, PH_NEW) || phase_is(&sb->phase, PH_PREPARED))
			return 0; /* never ran: nothing to undo */
		return kvmlet_fail(err, -ENOTRECOVERABLE,
				   "this sandbox has no snapshot to reset to");
	}
	if ((r = vcpu_drain(&sb->vcpu, err)) < 0 ||
	    (r = vm_dirty_log(&sb->vm, sb->snap.guest_dirty, sb->snap.keep, sb->snap.nkeep,
			      err)) < 0)
		return r;
	sb->snap.last_reset_pages = restore_pages(sb, &tables);
	image_back(sb);
	if (tables && (r = vm_forget_mappings(&sb->vm, err)) < 0)
		return r;
	if ((r = vcpu_state_load(&sb->vcpu, &sb->snap.vcpu, err)) < 0)
		return r;
	console_rewind(&sb->con);
	linux_reset(sb->lx);
	linux_signals_drop(sb);
	return phase_move(&sb->phase, PT_RESET);
}

uint64_t kvmlet_last_reset_pages(const struct kvmlet_sandbox *sb)
{
	return sb->snap.last_reset_pages;
}
