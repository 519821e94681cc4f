/* SPDX-License-Identifier: MIT */
/* sandbox.c: a sandbox's making and freeing: load a guest, build its memory; inspection. */
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

#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* The features that handle exits register here, once (the Linux syscall layer too). */
static int lib_err;

static void lib_init(void)
{
	if ((lib_err = console_register_exits()) < 0 || (lib_err = fault_register_exits()) < 0 ||
	    (lib_err = call_register_exits()) < 0 || (lib_err = linux_register_exits()) < 0)
		return;
	snapshot_init();
}

int sandbox_alloc(struct kvmlet_sandbox **out, struct kvmlet_error *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct kvmlet_sandbox *sb;

	*out = NULL;
	pthread_once(&once, lib_init);
	if (lib_err < 0)
		return kvmlet_fail(err, lib_err, "cannot register the exit handlers");
	if (!(sb = calloc(1, sizeof(*sb))))
		return kvmlet_fail(err, -ENOMEM, "out of memory for a sandbox");
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

void kvmlet_config_default(struct kvmlet_config *cfg)
{
	*cfg = (struct kvmlet_config){
		.mem_size = 16 * MIB,
		.stack_size = STACK_SMALL,
		.heap_size = 256 << 10,
		.timeout_ns = 0,
		.max_output = 1 * MIB,
		.args_size = 256 << 10,
		.result_size = 256 << 10,
		.hostcall_size = 256 << 10,
	};
}

static int config_check(const struct kvmlet_config *c, struct kvmlet_error *err)
{
	if ((c->mem_size | c->stack_size | c->heap_size) & (KVMLET_PAGE_SIZE - 1))
		return kvmlet_fail(err, -EINVAL,
				   "memory, stack and heap sizes must be multiples "
				   "of 4 KiB");
	if (c->mem_size < 4 * MIB || c->mem_size > 64 * GIB)
		return kvmlet_fail(err, -EINVAL,
				   "guest memory of %llu KiB is outside 4 MiB..64 GiB",
				   (unsigned long long)(c->mem_size >> 10));
	if ((c->args_size | c->result_size | c->hostcall_size) & (KVMLET_PAGE_SIZE - 1) ||
	    c->args_size == 0 || c->result_size == 0 || c->hostcall_size == 0 ||
	    c->args_size > 64 * MIB || c->result_size > 64 * MIB || c->hostcall_size > 64 * MIB)
		return kvmlet_fail(err, -EINVAL,
				   "call buffers must be 4 KiB multiples, "
				   "4 KiB to 64 MiB");
	if (c->stack_size > c->mem_size / 2)
		return kvmlet_fail(err, -EINVAL,
				   "stack of %llu KiB: must be 4 KiB up to half of "
				   "guest memory (or 0: chosen for the program)",
				   (unsigned long long)(c->stack_size >> 10));
	return 0;
}

int kvmlet_sandbox_new(struct kvmlet_sandbox **out, const void *elf, size_t elf_size,
		       const struct kvmlet_config *cfg, struct kvmlet_error *err)
{
	struct kvmlet_sandbox *sb;
	struct build_plan plan;
	int r;

	*out = NULL;
	if ((r = config_check(cfg, err)) < 0 || (r = sandbox_alloc(&sb, err)) < 0)
		return r;
	sb->cfg = *cfg;
	if ((r = build_plan(&plan, elf, elf_size, &sb->cfg, err)) < 0 ||
	    (r = guest_mem_map(&sb->gm, cfg->mem_size, err)) < 0 ||
	    (r = build_memory(sb, &plan, elf, elf_size, err)) < 0 ||
	    (r = calls_alloc_buffers(&sb->calls, &sb->lay.bi, err)) < 0) {
		kvmlet_sandbox_free(sb);
		return r;
	}
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
