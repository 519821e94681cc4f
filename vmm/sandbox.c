/* SPDX-License-Identifier: MIT */
/* sandbox.c: a sandbox's making and freeing: load a guest, build its memory; inspection. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fault.h"
#include "linux.h"
#include "sandbox.h"
#include "exitless.h"
#include "template.h"
#include "x86.h"

#define MIB	 (1ull << 20)
#define PIE_BASE 0x400000ull /* where a static PIE is placed, as Linux's ET_EXEC default */
#define GIB	 (1ull << 30)
#define STACK_SMALL (64ull << 10) /* kvmlet_config_default's, and kvmlet guests' */
#define STACK_LINUX (8 * MIB)	  /* Linux's RLIMIT_STACK */

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

/* Map one region identity, naming it in the error. */
static int map_region(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t len, uint32_t prot,
		      const char *what, struct kvmlet_error *err)
{
	int r = pt_map(&sb->gm.pt, gpa, gpa, len, prot, 0);

	if (r < 0)
		return kvmlet_fail(err, -ENOMEM, "cannot map %s at 0x%llx (+0x%llx): %s", what,
				   (unsigned long long)gpa, (unsigned long long)len,
				   pt_strerror(r));
	return 0;
}

static uint32_t segment_prot(uint32_t pf)
{
	return PT_PROT_USER | ((pf & 2) ? PT_PROT_WRITE : 0) | ((pf & 1) ? PT_PROT_EXEC : 0);
}

extern const uint8_t kvmlet_kernel_image[], kvmlet_kernel_image_end[];

/* kvmlet's ring-0 kernel (guest/kernel): copied in, text read + execute and data
 * read + write, both supervisor-only. */
static int kernel_load(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	uint64_t size = (uint64_t)(kvmlet_kernel_image_end - kvmlet_kernel_image);
	int r;

	if (size > KVMLET_KERNEL_END - KVMLET_KERNEL_GPA)
		return kvmlet_fail(err, -E2BIG, "the kernel image (%llu bytes) outgrew its place",
				   (unsigned long long)size);
	if ((r = GUEST_WRITE(&sb->gm, KVMLET_KERNEL_GPA, kvmlet_kernel_image, size)) < 0)
		return kvmlet_fail(err, r, "no room for the kernel in guest memory");
	if ((r = map_region(sb, KVMLET_KERNEL_GPA, KVMLET_KDATA_GPA - KVMLET_KERNEL_GPA,
			    PT_PROT_EXEC, "the kernel", err)) < 0 ||
	    (r = map_region(sb, KVMLET_KDATA_GPA, KVMLET_KERNEL_END - KVMLET_KDATA_GPA,
			    PT_PROT_WRITE, "the kernel's data", err)) < 0)
		return r;
	return 0;
}

/* Build the guest's address space: system pages, tables area, image, heap, stack. */
static int build_memory(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	const uint32_t urw = PT_PROT_USER | PT_PROT_WRITE;
	uint64_t host_tables = bi->pool_lo - bi->tables_lo;
	int r;

	if ((r = guest_mem_tables_init(&sb->gm, bi->tables_lo, host_tables, bi->pt_caps,
				       bi->pt_phys_bits, err)) < 0)
		return r;
	if ((r = x86_write_system_tables(&sb->gm)) < 0)
		return kvmlet_fail(err, r, "no room for the system tables in guest memory");
	if ((r = kernel_load(sb, err)) < 0)
		return r;
	if ((r = map_region(sb, KVMLET_GDT_GPA,
			    2 * KVMLET_PAGE_SIZE + KVMLET_TSS_PAGES * KVMLET_PAGE_SIZE, 0,
			    "GDT, IDT and TSS", err)) < 0 ||
	    (r = map_region(sb, KVMLET_STUBS_GPA, KVMLET_PAGE_SIZE, PT_PROT_EXEC, "exception stubs",
			    err)) < 0 ||
	    (r = map_region(sb, KVMLET_STACK0_GPA, 2 * KVMLET_PAGE_SIZE, PT_PROT_WRITE,
			    "ring-0 stacks", err)) < 0 ||
	    (r = map_region(sb, KVMLET_BOOTINFO_GPA, KVMLET_PAGE_SIZE, PT_PROT_USER, "boot info",
			    err)) < 0 ||
	    (r = map_region(sb, bi->tables_lo, bi->tables_hi - bi->tables_lo, PT_PROT_USER,
			    "page tables", err)) < 0)
		return r;
	/* The kernel's view of all guest memory (tables, page bitmap, pages it zeroes):
	 * supervisor-only, in the upper half. */
	r = pt_map(&sb->gm.pt, KVMLET_KPHYS_VA, 0, bi->mem_size, PT_PROT_WRITE, 0);
	if (r < 0)
		return kvmlet_fail(err, -ENOMEM, "cannot map the kernel's view of memory: %s",
				   pt_strerror(r));
	for (unsigned i = 0; i < sb->img.nsegs; i++) {
		const struct elf_segment *s = &sb->img.seg[i];
		uint64_t lo = s->vaddr & ~(KVMLET_PAGE_SIZE - 1);
		uint64_t hi =
			(s->vaddr + s->memsz + KVMLET_PAGE_SIZE - 1) & ~(KVMLET_PAGE_SIZE - 1);

		if ((r = map_region(sb, lo, hi - lo, segment_prot(s->flags), "an ELF segment",
				    err)) < 0)
			return r;
	}
	if (bi->heap_hi > bi->heap_lo &&
	    (r = map_region(sb, bi->heap_lo, bi->heap_hi - bi->heap_lo, urw, "the heap", err)) < 0)
		return r;
	if ((r = map_region(sb, bi->stack_lo, bi->stack_hi - bi->stack_lo, urw, "the stack", err)) <
		    0 ||
	    (r = map_region(sb, bi->ring_host, bi->ring_guest - bi->ring_host, PT_PROT_USER,
			    "the argument buffer", err)) < 0 ||
	    (r = map_region(sb, bi->ring_guest, bi->heap_lo - bi->ring_guest, urw,
			    "the result and host-call buffers", err)) < 0)
		return r;
	if ((r = calls_alloc_buffers(&sb->calls, bi, err)) < 0)
		return r;
	sb->lay.bi.cr3 = sb->gm.pth.root;
	return GUEST_WRITE(&sb->gm, KVMLET_BOOTINFO_GPA, &sb->lay.bi, sizeof(sb->lay.bi));
}

/* stack_size 0: Linux's 8 MiB for a program a Linux toolchain linked (deep
 * recursion, big local arrays), but at most 1/32 of memory (its pages are
 * set apart from what the program can map) and what the image, the call
 * buffers and the heap leave; 64 KiB for kvmlet's own guests. */
static uint64_t auto_stack(const struct kvmlet_config *cfg, const struct elf_image *img)
{
	uint64_t want = cfg->mem_size / 32 & ~(KVMLET_PAGE_SIZE - 1);
	uint64_t used = img->hi + KVMLET_PAGE_SIZE + cfg->args_size + cfg->result_size +
			cfg->hostcall_size + cfg->heap_size;
	uint64_t room = used < cfg->mem_size ? cfg->mem_size - used : 0;

	if (!img->gnu_stack)
		return STACK_SMALL;
	want = want < STACK_LINUX ? want : STACK_LINUX;
	want = want < room ? want : room;
	return want > STACK_SMALL ? want : STACK_SMALL;
}

int kvmlet_sandbox_new(struct kvmlet_sandbox **out, const void *elf, size_t elf_size,
		       const struct kvmlet_config *cfg, struct kvmlet_error *err)
{
	struct kvmlet_sandbox *sb;
	struct vcpu_paging paging;
	char msg[220];
	int r;

	*out = NULL;
	if ((r = config_check(cfg, err)) < 0 || (r = sandbox_alloc(&sb, err)) < 0)
		return r;
	sb->cfg = *cfg;
	struct elf_limits lim = {
		.va_min = KVMLET_IMAGE_GPA,
		.va_max = cfg->mem_size - (cfg->stack_size ? cfg->stack_size : STACK_SMALL) -
			  KVMLET_PAGE_SIZE,
		.max_mem = cfg->mem_size,
		.pie_base = PIE_BASE,
	};
	if ((r = elf_parse(elf, elf_size, &lim, &sb->img, msg, sizeof(msg))) < 0) {
		if (r == ELF_ERR_RANGE || r == ELF_ERR_TOOBIG)
			r = kvmlet_fail(err, -E2BIG, "guest does not fit in guest memory: %s", msg);
		else
			r = kvmlet_fail(err, -ENOEXEC, "bad guest ELF: %s", msg);
		goto err_free;
	}
	if (!cfg->stack_size)
		sb->cfg.stack_size = auto_stack(cfg, &sb->img);
	cpuid_vcpu_paging(&paging);
	if ((r = layout_plan(&sb->lay, &sb->cfg, &sb->img, &paging, err)) < 0)
		goto err_free;
	if ((r = guest_mem_map(&sb->gm, cfg->mem_size, err)) < 0 || (r = build_memory(sb, err)) < 0)
		goto err_free;
	/* The loader checks every segment against [0, mem_size) itself. */
	if ((r = elf_copy_segments(elf, elf_size, &sb->img, GUEST_PTR(&sb->gm, 0, cfg->mem_size), 0,
				   cfg->mem_size)) < 0) {
		r = kvmlet_fail(err, -ENOEXEC, "bad guest ELF: %s", elf_strerror(r));
		goto err_free;
	}
	*out = sb;
	return 0;

err_free:
	kvmlet_sandbox_free(sb);
	return r;
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
		.prot = public_prot(segment_prot(s->flags)),
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
