/* SPDX-License-Identifier: MIT */
/*
 * template.c: templates and pools. A template holds an initialised guest's
 * snapshot in a memfd; a sandbox made from it maps that memfd private
 * (copy-on-write), so it shares every page it does not write, needs no ELF
 * loading, no table building and no start-up run, and resets against the
 * template itself. A pool keeps sandboxes from one template ready.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "linux.h"

struct kvmlet_template {
	_Atomic unsigned refs; /* the caller's, plus one per sandbox made from it */
	int memfd;
	const uint8_t *mem; /* the snapshot, shared read-only */
	struct kvmlet_sandbox proto; /* configuration, layout, tables, exports, host functions */
	uint64_t *pt_bitmap;
};

static void template_put(struct kvmlet_template *t)
{
	if (atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	munmap((void *)t->mem, t->proto.cfg.mem_size);
	close(t->memfd);
	free(t->pt_bitmap);
	free(t->proto.exports);
	free(t);
}

/* Write the snapshot pages of sb into the template's memfd (holes read as zeros). */
static int template_fill(struct kvmlet_template *t, const struct kvmlet_sandbox *sb,
			 struct kvmlet_error *err)
{
	uint64_t n = sb->cfg.mem_size / KVMLET_PAGE_SIZE;

	if (ftruncate(t->memfd, (off_t)sb->cfg.mem_size) < 0)
		return kvmlet_fail(err, -errno, "memfd of %llu KiB: %s",
				   (unsigned long long)(sb->cfg.mem_size >> 10), strerror(errno));
	for (uint64_t p = 0; p < n; p++) {
		if (!(sb->snap_has[p / 64] & (1ull << (p % 64))))
			continue;
		off_t off = (off_t)(p * KVMLET_PAGE_SIZE);
		if (pwrite(t->memfd, sb->snap + off, KVMLET_PAGE_SIZE, off) != KVMLET_PAGE_SIZE)
			return kvmlet_fail(err, -EIO, "writing the template: %s", strerror(errno));
	}
	return 0;
}

int kvmlet_template_new(struct kvmlet_template **out, const struct kvmlet_sandbox *sb,
			struct kvmlet_error *err)
{
	struct kvmlet_template *t;
	uint64_t words = PT_HOST_BITMAP_WORDS(sb->lay.bi.pool_lo - sb->lay.bi.tables_lo);
	int r;

	*out = NULL;
	if (sb->snap_phase != PH_IDLE || !sb->snap)
		return kvmlet_fail(err, -EINVAL, "a template needs an initialised sandbox "
						 "(kvmlet_init)");
	if (!(t = calloc(1, sizeof(*t))))
		return kvmlet_fail(err, -ENOMEM, "out of memory for a template");
	t->refs = 1;
	t->mem = MAP_FAILED;
	t->memfd = memfd_create("kvmlet-template", MFD_CLOEXEC);
	t->pt_bitmap = malloc(words * sizeof(uint64_t));
	t->proto.exports = malloc((sb->nexports ? sb->nexports : 1) * sizeof(*sb->exports));
	if (t->memfd < 0 || !t->pt_bitmap || !t->proto.exports) {
		r = kvmlet_fail(err, -ENOMEM, "cannot create a template: %s", strerror(errno));
		goto fail;
	}
	if ((r = template_fill(t, sb, err)) < 0)
		goto fail;
	t->mem = mmap(NULL, sb->cfg.mem_size, PROT_READ, MAP_SHARED, t->memfd, 0);
	if (t->mem == MAP_FAILED) {
		r = kvmlet_fail(err, -ENOMEM, "cannot map the template: %s", strerror(errno));
		goto fail;
	}
	/* The prototype: what a sandbox needs besides memory, VM and run state. */
	t->proto.cfg = sb->cfg;
	t->proto.lay = sb->lay;
	t->proto.img = sb->img;
	t->proto.pth = sb->pth;
	t->proto.pt = sb->pt;
	memcpy(t->pt_bitmap, sb->pt_bitmap, words * sizeof(uint64_t));
	memcpy(t->proto.host, sb->host, sizeof(sb->host));
	t->proto.nhost = sb->nhost;
	memcpy(t->proto.exports, sb->exports, sb->nexports * sizeof(*sb->exports));
	t->proto.nexports = sb->nexports;
	t->proto.dispatch = sb->dispatch;
	t->proto.call_sp = sb->call_sp;
	t->proto.snap_vcpu = sb->snap_vcpu;
	*out = t;
	return 0;
fail:
	if (t->mem != MAP_FAILED)
		munmap((void *)t->mem, sb->cfg.mem_size);
	if (t->memfd >= 0)
		close(t->memfd);
	free(t->pt_bitmap);
	free(t->proto.exports);
	free(t);
	return r;
}

void kvmlet_template_free(struct kvmlet_template *t)
{
	if (t)
		template_put(t);
}

/* Copy the prototype's state into a fresh sandbox whose memory maps the template. */
static int from_proto(struct kvmlet_sandbox *sb, const struct kvmlet_template *t,
		      struct kvmlet_error *err)
{
	const struct kvmlet_sandbox *p = &t->proto;
	uint64_t size = p->cfg.mem_size, n = size / KVMLET_PAGE_SIZE, words = (n + 63) / 64;
	uint64_t bwords = PT_HOST_BITMAP_WORDS(p->lay.bi.pool_lo - p->lay.bi.tables_lo);

	sb->cfg = p->cfg;
	sb->lay = p->lay;
	sb->img = p->img;
	memcpy(sb->host, p->host, sizeof(p->host));
	sb->nhost = p->nhost;
	sb->dispatch = p->dispatch;
	sb->call_sp = p->call_sp;
	sb->snap_vcpu = p->snap_vcpu;
	sb->exports = malloc((p->nexports ? p->nexports : 1) * sizeof(*p->exports));
	sb->lx = linux_new();
	sb->pt_bitmap = malloc(bwords * sizeof(uint64_t));
	sb->snap_has = malloc(words * 8);
	sb->guest_dirty = calloc(words, 8);
	sb->host_dirty = calloc(words, 8);
	sb->result_copy = malloc(p->lay.bi.result_size);
	sb->hostcall_copy = malloc(p->lay.bi.hostcall_size);
	if (!sb->exports || !sb->lx || !sb->pt_bitmap || !sb->snap_has || !sb->guest_dirty ||
	    !sb->host_dirty || !sb->result_copy || !sb->hostcall_copy)
		return kvmlet_fail(err, -ENOMEM, "out of memory for a sandbox");
	memcpy(sb->exports, p->exports, p->nexports * sizeof(*p->exports));
	sb->nexports = p->nexports;
	memcpy(sb->pt_bitmap, t->pt_bitmap, bwords * sizeof(uint64_t));
	memset(sb->snap_has, 0xff, words * 8); /* the template holds every page */
	sb->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, t->memfd,
		       0);
	if (sb->mem == MAP_FAILED) {
		sb->mem = NULL;
		return kvmlet_fail(err, -ENOMEM, "cannot map guest memory: %s", strerror(errno));
	}
	/* The host backend, pointed at this sandbox's memory. */
	sb->pth = p->pth;
	sb->pth.mem = sb->mem;
	sb->pth.used = sb->pt_bitmap;
	sb->pt = p->pt;
	sb->pt.ctx = &sb->pth;
	sb->pt.window = sb->mem;
	sb->snap = (uint8_t *)t->mem;
	sb->snap_phase = PH_IDLE;
	return 0;
}

int kvmlet_sandbox_from_template(struct kvmlet_sandbox **out, struct kvmlet_template *t,
				 struct kvmlet_error *err)
{
	struct kvmlet_sandbox *sb = calloc(1, sizeof(*sb));
	int r;

	*out = NULL;
	if (!sb)
		return kvmlet_fail(err, -ENOMEM, "out of memory for a sandbox");
	sb->vm = (struct kvm_vm){.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1};
	atomic_fetch_add(&t->refs, 1);
	sb->template = t;
	if ((r = from_proto(sb, t, err)) < 0 ||
	    (r = kvm_vm_create(&sb->vm, sb->mem, sb->cfg.mem_size, err)) < 0 ||
	    (r = sandbox_check_paging(sb, err)) < 0 ||
	    (r = x86_setup_vcpu(&sb->vm, sb->lay.bi.cr3, sb->dispatch, sb->lay.bi.stack_hi,
				err)) < 0 ||
	    (r = vcpu_state_load(&sb->vm, &sb->snap_vcpu, err)) < 0) {
		kvmlet_sandbox_free(sb);
		return r;
	}
	sb->phase = PH_IDLE;
	*out = sb;
	return 0;
}

void template_release(struct kvmlet_template *t)
{
	template_put(t);
}

/* --- pools --- */

struct kvmlet_pool {
	pthread_mutex_t lock;
	struct kvmlet_template *t;
	unsigned n, free;
	struct kvmlet_sandbox **ready; /* free ones at [0, free) */
};

int kvmlet_pool_new(struct kvmlet_pool **out, struct kvmlet_template *t, unsigned n,
		    struct kvmlet_error *err)
{
	struct kvmlet_pool *p = calloc(1, sizeof(*p));
	int r = 0;

	*out = NULL;
	if (!p || !(p->ready = calloc(n ? n : 1, sizeof(*p->ready)))) {
		free(p);
		return kvmlet_fail(err, -ENOMEM, "out of memory for a pool");
	}
	pthread_mutex_init(&p->lock, NULL);
	p->t = t;
	atomic_fetch_add(&t->refs, 1);
	for (p->n = 0; p->n < n; p->n++, p->free++)
		if ((r = kvmlet_sandbox_from_template(&p->ready[p->n], t, err)) < 0) {
			kvmlet_pool_free(p);
			return r;
		}
	*out = p;
	return 0;
}

void kvmlet_pool_free(struct kvmlet_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->free; i++)
		kvmlet_sandbox_free(p->ready[i]);
	pthread_mutex_destroy(&p->lock);
	template_put(p->t);
	free(p->ready);
	free(p);
}

int kvmlet_pool_acquire(struct kvmlet_pool *p, struct kvmlet_sandbox **sb,
			struct kvmlet_error *err)
{
	pthread_mutex_lock(&p->lock);
	*sb = p->free ? p->ready[--p->free] : NULL;
	pthread_mutex_unlock(&p->lock);
	if (*sb)
		return 0;
	/* All in use: make one more, outside the lock; it joins the pool on release. */
	return kvmlet_sandbox_from_template(sb, p->t, err);
}

int kvmlet_pool_release(struct kvmlet_pool *p, struct kvmlet_sandbox *sb,
			struct kvmlet_error *err)
{
	int r = kvmlet_reset(sb, err);

	if (r < 0 || sb->template != p->t) {
		kvmlet_sandbox_free(sb);
		return r < 0 ? r : kvmlet_fail(err, -EINVAL, "sandbox not from this pool's template");
	}
	pthread_mutex_lock(&p->lock);
	if (p->free < p->n) {
		p->ready[p->free++] = sb;
		sb = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	kvmlet_sandbox_free(sb); /* an extra one made while all were in use */
	return 0;
}
