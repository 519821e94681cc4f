/* SPDX-License-Identifier: MIT */
/* sandbox.c: a sandbox's allocation and freeing; inspection. create.c loads a guest into one. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "error.h"
#include "fault.h"
#include "linux.h"
#include "sandbox.h"
#include "exitless.h"
#include "template.h"
#include "x86.h"

int sandbox_alloc(struct kvmlet_sandbox **out, struct kvmlet_error *err)
{
	struct kvmlet_sandbox *sb;

	*out = NULL;
	/* Page-aligned: a call's fields share one page (struct kvmlet_sandbox). */
	if (posix_memalign((void **)&sb, KVMLET_PAGE_SIZE, sizeof(*sb)))
		return kvmlet_fail(err, -ENOMEM, "out of memory for a sandbox");
	memset(sb, 0, sizeof(*sb));
	sb->vm = VM_NONE;
	sb->vcpu = VCPU_NONE;
	if (!(sb->lx = linux_new())) {
		free(sb);
		return kvmlet_fail(err, -ENOMEM, "out of memory for a sandbox");
	}
	watch_register(&sb->watch);
	*out = sb;
	return 0;
}

void kvmlet_sandbox_free(struct kvmlet_sandbox *sb)
{
	if (!sb)
		return;
	exitless_free(sb); /* its thread first: nobody else in the vCPU */
	watch_unregister(&sb->watch);
	/* Its VM and vCPU become a warm shell (or are destroyed when the pool is
	 * full): the memory slot goes before the memory does. */
	vcpu_shell_give(&sb->vcpu, &sb->vm);
	guest_mem_free(&sb->gm);
	calls_free(&sb->calls);
	snapshot_free(&sb->snap, sb->cfg.mem_size);
	linux_free(sb->lx);
	if (sb->template)
		template_put(sb->template); /* after the snapshot, which may be the template's */
	free(sb);
}

static uint32_t public_prot(uint32_t p)
{
	return ((p & PT_PROT_WRITE) ? KVMLET_PROT_WRITE : 0) |
	       ((p & PT_PROT_EXEC) ? KVMLET_PROT_EXEC : 0) |
	       ((p & PT_PROT_USER) ? KVMLET_PROT_USER : 0);
}

struct map_ctx {
	kvmlet_mapping_fn fn;
	void *arg;
};

static int map_cb(void *arg, const struct pt_run *run)
{
	struct map_ctx *c = arg;
	struct kvmlet_mapping m = {
		.va = run->va,
		.pa = run->pa,
		.len = run->len,
		.prot = public_prot(run->prot),
		.leaf = run->leaf,
	};
	return c->fn(c->arg, &m);
}

int kvmlet_memory_map(struct kvmlet_sandbox *sb, kvmlet_mapping_fn fn, void *arg,
		      struct kvmlet_error *err)
{
	struct map_ctx c = {.fn = fn, .arg = arg};
	int r = pt_walk(&sb->gm.pt, 0, 0, 0, map_cb, &c);

	if (r < 0)
		return kvmlet_fail(err, -EUCLEAN, "guest page tables: %s", pt_strerror(r));
	return r;
}

unsigned kvmlet_segment_count(const struct kvmlet_sandbox *sb)
{
	return sb->img.nsegs;
}

int kvmlet_segment(const struct kvmlet_sandbox *sb, unsigned i, struct kvmlet_segment *seg)
{
	if (i >= sb->img.nsegs)
		return -ERANGE;
	const struct elf_segment *s = &sb->img.seg[i];
	*seg = (struct kvmlet_segment){
		.vaddr = s->vaddr,
		.memsz = s->memsz,
		.filesz = s->filesz,
		.offset = s->offset,
		.prot = public_prot(build_segment_prot(s->flags)),
	};
	return 0;
}

uint64_t kvmlet_entry(const struct kvmlet_sandbox *sb)
{
	return sb->img.entry;
}

bool kvmlet_is_linux_program(const struct kvmlet_sandbox *sb)
{
	return sb->img.gnu_stack;
}

uint64_t kvmlet_stack_size(const struct kvmlet_sandbox *sb)
{
	return sb->cfg.stack_size;
}

int kvmlet_read_guest(const struct kvmlet_sandbox *sb, uint64_t gpa, void *buf, size_t len)
{
	return GUEST_READ(&sb->gm, gpa, buf, len);
}

int kvmlet_translate(const struct kvmlet_sandbox *sb, uint64_t va, uint64_t *pa, uint32_t *prot)
{
	struct pt_translation t;
	int r = pt_translate(&sb->gm.pt, va, &t);

	if (r == PT_ERR_NOT_MAPPED)
		return -ENXIO;
	if (r == PT_ERR_NONCANON)
		return -EINVAL;
	if (r < 0)
		return -EUCLEAN;
	*pa = t.pa;
	*prot = public_prot(t.prot);
	return 0;
}
