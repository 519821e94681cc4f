/* SPDX-License-Identifier: MIT */
/*
 * pool.c: sandboxes made from a template, and pools of them. Such a sandbox
 * maps the template's memfd private (copy-on-write), so it shares every page
 * it does not write, needs no ELF loading, no table building and no start-up
 * run, and resets against the template itself. A pool keeps sandboxes from
 * one template ready.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "error.h"
#include "lib.h"
#include "linux.h"
#include "seccomp_filter.h"
#include "sandbox.h"
#include "start.h"
#include "template.h"
#include "x86.h"

/* Give a fresh sandbox the template's state, its memory mapping the template. */
static int from_template(struct kvmlet_sandbox *sb, struct kvmlet_template *t,
			 struct kvmlet_error *err)
{
	int r;

	template_get(t);
	sb->template = t;
	sb->cfg = t->cfg;
	sb->lay = t->lay;
	sb->img = t->img;
	if ((r = calls_copy(&sb->calls, &t->calls, err)) < 0 ||
	    (r = calls_alloc_buffers(&sb->calls, &t->lay.bi, err)) < 0 ||
	    (r = guest_mem_map_file(&sb->gm, t->memfd, t->cfg.mem_size, err)) < 0 ||
	    (r = guest_mem_tables_adopt(&sb->gm, &t->pth, &t->pt, err)) < 0 ||
	    (r = snapshot_borrow(sb, t->mem, &t->vcpu, err)) < 0)
		return r;
	linux_ticks(sb);
	return 0;
}

int kvmlet_shells_warm(unsigned n, struct kvmlet_error *err)
{
	unsigned have;
	int r;

	n = n < VCPU_SHELLS_MAX ? n : VCPU_SHELLS_MAX;
	while ((have = vcpu_shell_count()) < n) {
		struct vm vm;
		struct vcpu v;

		if (seccomp_installed())
			return kvmlet_fail(
				err, -EPERM,
				"cannot create VMs under kvmlet_seccomp_install's filter "
				"(%u warm shells kept)",
				have);
		/* Set up as a new sandbox's vCPU is: a taker loads a vcpu_state,
		 * which has no XCR0 (that stays what the setup gave). */
		if ((r = vm_create(&vm, NULL, 0, err)) < 0)
			return r;
		if ((r = vcpu_create(&v, &vm, err)) < 0 ||
		    (r = x86_setup_vcpu(&v, 0, 0, 0, err)) < 0) {
			vcpu_destroy(&v);
			vm_destroy(&vm);
			return r;
		}
		if (!vcpu_shell_add(&v, &vm)) { /* other threads' frees filled the pool */
			vcpu_destroy(&v);
			vm_destroy(&vm);
			break;
		}
	}
	return (int)vcpu_shell_count();
}

int kvmlet_sandbox_from_template(struct kvmlet_sandbox **out, struct kvmlet_template *t,
				 struct kvmlet_error *err)
{
	struct kvmlet_sandbox *sb;
	int r;

	if (!out || !t)
		return kvmlet_fail(err, -EINVAL, "kvmlet_sandbox_from_template: %s is NULL",
				   out ? "the template" : "out");
	*out = NULL;
	if ((r = lib_ready(err)) < 0 || (r = sandbox_alloc(&sb, err)) < 0)
		return r;
	if ((r = from_template(sb, t, err)) < 0 || (r = sandbox_vm_for_copy(sb, err)) < 0 ||
	    (r = sandbox_check_paging(sb, err)) < 0 ||
	    (r = vcpu_state_load(&sb->vcpu, &sb->snap.vcpu, err)) < 0 ||
	    (r = phase_move(&sb->phase, PT_ADOPT)) < 0) {
		kvmlet_sandbox_free(sb);
		return r;
	}
	*out = sb;
	return 0;
}

struct kvmlet_pool {
	pthread_mutex_t lock;
	struct kvmlet_template *t;
	unsigned n, free;
	struct kvmlet_sandbox **ready; /* free ones at [0, free) */
};

int kvmlet_pool_new(struct kvmlet_pool **out, struct kvmlet_template *t, unsigned n,
		    struct kvmlet_error *err)
{
	struct kvmlet_pool *p;
	int r = 0;

	if (!out || !t)
		return kvmlet_fail(err, -EINVAL, "kvmlet_pool_new: %s is NULL",
				   out ? "the template" : "out");
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->ready = calloc(n ? n : 1, sizeof(*p->ready)))) {
		free(p);
		return kvmlet_fail(err, -ENOMEM, "out of memory for a pool");
	}
	pthread_mutex_init(&p->lock, NULL);
	p->t = t;
	template_get(t);
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

int kvmlet_pool_acquire(struct kvmlet_pool *p, struct kvmlet_sandbox **sb, struct kvmlet_error *err)
{
	pthread_mutex_lock(&p->lock);
	*sb = p->free ? p->ready[--p->free] : NULL;
	pthread_mutex_unlock(&p->lock);
	if (*sb)
		return 0;
	/* All in use: make one more, outside the lock; it joins the pool on release. */
	return kvmlet_sandbox_from_template(sb, p->t, err);
}

int kvmlet_pool_release(struct kvmlet_pool *p, struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r = kvmlet_reset(sb, err);

	if (r < 0 || sb->template != p->t) {
		kvmlet_sandbox_free(sb);
		return r < 0 ? r
			     : kvmlet_fail(err, -EINVAL, "sandbox not from this pool's template");
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
