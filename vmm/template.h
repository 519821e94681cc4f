/* SPDX-License-Identifier: MIT */
/*
 * template.h: what a template is (template.c): a memory file holding an
 * initialised guest's snapshot, its vCPU state, its page tables' host state,
 * its layout, exports and host functions. pool.c makes sandboxes from it.
 */
#ifndef KVMLET_TEMPLATE_H
#define KVMLET_TEMPLATE_H

#include "call.h"
#include "elf_load.h"
#include "kvmlet.h"
#include "layout.h"
#include "pt_host.h"
#include "vcpu.h"

struct kvmlet_template {
	_Atomic unsigned refs; /* the caller's, plus one per sandbox and pool using it */
	int memfd;	       /* the snapshot's pages (holes read as zeros) */
	const uint8_t *mem;    /* memfd, mapped shared read-only */
	struct kvmlet_config cfg;
	struct layout lay;
	struct elf_image img;
	struct pt_host pth; /* the page tables' host state, over mem */
	struct pt_backend pt;
	uint64_t *pt_bitmap;
	struct vcpu_state vcpu; /* the snapshot's vCPU state */
	struct calls calls;	/* exports, host functions, dispatcher */
};

/* Take a reference / drop one (the last frees the template). */
void template_get(struct kvmlet_template *t);
void template_put(struct kvmlet_template *t);

#endif /* KVMLET_TEMPLATE_H */
