/* SPDX-License-Identifier: MIT */
/*
 * template.c: templates. A template holds an initialised guest's snapshot in
 * a memfd, with what else a sandbox made from it needs (template.h); pool.c
 * makes those sandboxes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "sandbox.h"
#include "template.h"

void template_get(struct kvmlet_template *t)
{
	atomic_fetch_add(&t->refs, 1);
}

static void template_destroy(struct kvmlet_template *t)
{
	if (t->mem != MAP_FAILED)
		munmap((void *)t->mem, t->cfg.mem_size);
	if (t->memfd >= 0)
		close(t->memfd);
	free(t->pt_bitmap);
	calls_free(&t->calls);
	free(t);
}

void template_put(struct kvmlet_template *t)
{
	if (atomic_fetch_sub(&t->refs, 1) == 1)
		template_destroy(t);
}

/* Write the snapshot pages of sb into the template's memfd (holes read as zeros). */
static int template_fill(struct kvmlet_template *t, const struct kvmlet_sandbox *sb,
			 struct kvmlet_error *err)
{
	uint64_t n = sb->cfg.mem_size / KVMLET_PAGE_SIZE;

	if (ftruncate(t->memfd, (off_t)sb->cfg.mem_size) < 0)
		return kvmlet_fail(err, -errno, "memfd of %llu KiB: %s",
				   (unsigned long long)(sb->cfg.mem_size >> 10), strerror(errno));
	/* By words of the bitmap: a large guest's memory is mostly words of zeros. */
	for (uint64_t w = 0; w < (n + 63) / 64; w++)
		for (uint64_t bits = sb->snap.has ? sb->snap.has[w] : ~0ull; bits;
		     bits &= bits - 1) {
			uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
			off_t off = (off_t)(p * KVMLET_PAGE_SIZE);
			if (p >= n)
				break;
			if (pwrite(t->memfd, sb->snap.pages + off, KVMLET_PAGE_SIZE, off) !=
			    KVMLET_PAGE_SIZE)
				return kvmlet_fail(err, -EIO, "writing the template: %s",
						   strerror(errno));
		}
	return 0;
}

int kvmlet_template_new(struct kvmlet_template **out, const struct kvmlet_sandbox *sb,
			struct kvmlet_error *err)
{
	const struct pt_host *pth;
	struct kvmlet_template *t;
	int r;

	if (!out || !sb)
		return kvmlet_fail(err, -EINVAL, "kvmlet_template_new: %s is NULL",
				   out ? "the sandbox" : "out");
	*out = NULL;
	pth = &sb->gm.pth;
	if (sb->phase.back_to != PH_READY || !sb->snap.pages)
		return kvmlet_fail(err, -EINVAL,
				   "a template needs an initialised sandbox "
				   "(kvmlet_init)");
	if (!(t = calloc(1, sizeof(*t))))
		return kvmlet_fail(err, -ENOMEM, "out of memory for a template");
	t->refs = 1;
	t->mem = MAP_FAILED;
	t->memfd = memfd_create("kvmlet-template", MFD_CLOEXEC);
	t->pt_bitmap = malloc(PT_HOST_BITMAP_WORDS(pth->tbl_hi - pth->tbl_lo) * sizeof(uint64_t));
	if (t->memfd < 0 || !t->pt_bitmap) {
		r = kvmlet_fail(err, -ENOMEM, "cannot create a template: %s", strerror(errno));
		goto err_destroy;
	}
	if ((r = calls_copy(&t->calls, &sb->calls, err)) < 0 || (r = template_fill(t, sb, err)) < 0)
		goto err_destroy;
	t->mem = mmap(NULL, sb->cfg.mem_size, PROT_READ, MAP_SHARED, t->memfd, 0);
	if (t->mem == MAP_FAILED) {
		r = kvmlet_fail(err, -ENOMEM, "cannot map the template: %s", strerror(errno));
		goto err_destroy;
	}
	t->cfg = sb->cfg;
	t->lay = sb->lay;
	t->img = sb->img;
	t->vcpu = sb->snap.vcpu;
	/* The tables' host state, over the template's memory (read, never written). */
	pt_host_rebase(&t->pth, &t->pt, pth, &sb->gm.pt, (void *)t->mem, t->pt_bitmap);
	*out = t;
	return 0;

err_destroy:
	t->cfg = sb->cfg;
	template_destroy(t);
	return r;
}

void kvmlet_template_free(struct kvmlet_template *t)
{
	if (t)
		template_put(t);
}
