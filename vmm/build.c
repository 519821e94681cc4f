/* SPDX-License-Identifier: MIT */
/*
 * build.c: a guest's memory built from its ELF image: the plan (the image
 * checked, the stack sized, the layout chosen) and the build (tables, system
 * tables, kernel, regions, segments), for a new sandbox and for a Linux
 * program's execve, which builds anew in the same, zeroed, memory.
 */
#include <errno.h>

#include "build.h"
#include "error.h"
#include "sandbox.h"
#include "x86.h"

#define MIB	    (1ull << 20)
#define PIE_BASE    0x400000ull /* where a static PIE is placed, as Linux's ET_EXEC default */
#define STACK_LINUX (8 * MIB)	/* Linux's RLIMIT_STACK */

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

uint32_t build_segment_prot(uint32_t pf)
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

/* The guest's address space: system pages, tables area, image, heap, stack. */
static int build_regions(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
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

		if ((r = map_region(sb, lo, hi - lo, build_segment_prot(s->flags), "an ELF segment",
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

int build_plan(struct build_plan *p, const void *elf, size_t elf_size, struct kvmlet_config *cfg,
	       struct kvmlet_error *err)
{
	struct vcpu_paging paging;
	char msg[220];
	int r;

	*p = (struct build_plan){0};
	struct elf_limits lim = {
		.va_min = KVMLET_IMAGE_GPA,
		.va_max = cfg->mem_size - (cfg->stack_size ? cfg->stack_size : STACK_SMALL) -
			  KVMLET_PAGE_SIZE,
		.max_mem = cfg->mem_size,
		.pie_base = PIE_BASE,
	};
	if ((r = elf_parse(elf, elf_size, &lim, &p->img, msg, sizeof(msg))) < 0) {
		if (r == ELF_ERR_RANGE || r == ELF_ERR_TOOBIG)
			return kvmlet_fail(err, -E2BIG, "guest does not fit in guest memory: %s",
					   msg);
		return kvmlet_fail(err, -ENOEXEC, "bad guest ELF: %s", msg);
	}
	if (!cfg->stack_size)
		cfg->stack_size = auto_stack(cfg, &p->img);
	cpuid_vcpu_paging(&paging);
	return layout_plan(&p->lay, cfg, &p->img, &paging, err);
}

int build_memory(struct kvmlet_sandbox *sb, const struct build_plan *p, const void *elf,
		 size_t elf_size, struct kvmlet_error *err)
{
	int r;

	sb->img = p->img;
	sb->lay = p->lay;
	if ((r = build_regions(sb, err)) < 0)
		return r;
	/* The loader checks every segment against [0, mem_size) itself. */
	if ((r = elf_copy_segments(elf, elf_size, &sb->img, GUEST_PTR(&sb->gm, 0, sb->cfg.mem_size),
				   0, sb->cfg.mem_size)) < 0)
		return kvmlet_fail(err, -ENOEXEC, "bad guest ELF: %s", elf_strerror(r));
	return 0;
}
