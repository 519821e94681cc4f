/* SPDX-License-Identifier: MIT */
/* build.h: a guest's memory built from its ELF image (build.c). */
#ifndef KVMLET_BUILD_H
#define KVMLET_BUILD_H

#include <stddef.h>

#include "elf_load.h"
#include "kvmlet.h"
#include "layout.h"

struct kvmlet_sandbox;

#define STACK_SMALL (64ull << 10) /* kvmlet_config_default's, and kvmlet guests' */

/* What an image needs, checked before anything is built. */
struct build_plan {
	struct elf_image img;
	struct layout lay;
};

/* Check elf for cfg's memory and plan where everything goes; a stack_size of
 * 0 in cfg becomes the one chosen for the program. 0, -ENOEXEC (a bad ELF) or
 * -E2BIG (it does not fit), with err set. Nothing is written. */
int build_plan(struct build_plan *p, const void *elf, size_t elf_size, struct kvmlet_config *cfg,
	       struct kvmlet_error *err);
/* sb's image and layout become p's, and its zeroed memory (mapped, of
 * cfg.mem_size) gets them: page tables, system tables, the kernel, every
 * region, the boot info and the image's segments. 0 or a negative errno. */
int build_memory(struct kvmlet_sandbox *sb, const struct build_plan *p, const void *elf,
		 size_t elf_size, struct kvmlet_error *err);

/* The PT_PROT_* of a segment with ELF flags pf (PF_R, PF_W, PF_X): user pages. */
uint32_t build_segment_prot(uint32_t pf);

#endif /* KVMLET_BUILD_H */
