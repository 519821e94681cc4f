/* SPDX-License-Identifier: MIT */
/* layout.h: where everything goes in guest-physical memory (layout.c). */
#ifndef KVMLET_LAYOUT_H
#define KVMLET_LAYOUT_H

#include "guest_cpuid.h"
#include "elf_load.h"
#include "kvmlet.h"
#include "kvmlet_abi.h"
#include "pagetable.h"

/* Where the host put things in guest memory (also handed to the guest). */
struct layout {
	struct kvmlet_bootinfo bi;
	uint64_t guard; /* the unmapped page below the stack */
};

/* Plan the layout for an image and a config, for a vCPU that pages as p. */
int layout_plan(struct layout *lay, const struct kvmlet_config *cfg, const struct elf_image *img,
		const struct vcpu_paging *p, struct kvmlet_error *err);

#endif /* KVMLET_LAYOUT_H */
