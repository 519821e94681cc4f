/* SPDX-License-Identifier: MIT */
/* reset.h: the snapshot and kvmlet_reset (reset.c). */
#ifndef KVMLET_RESET_H
#define KVMLET_RESET_H

#include <stdbool.h>
#include <stdint.h>

#include "elf_load.h"
#include "guest_mem.h"
#include "kvmlet.h"
#include "layout.h"
#include "phase.h"
#include "vcpu.h"

struct kvmlet_sandbox;

/* The program the snapshot holds, as a Linux program's execve replaced it. */
struct snapshot_image {
	struct elf_image img;
	struct layout lay;
	struct guest_mem_tables tables;
};

struct snapshot {
	uint64_t calls;	       /* calls since the snapshot, for reset_each_call (first:
				  every call counts, struct kvmlet_sandbox) */
	const uint8_t *pages;  /* at their guest-physical offsets; NULL: no snapshot */
	bool borrowed;	       /* pages are a template's, not ours to unmap */
	uint64_t *has;	       /* bitmap: pages the snapshot holds (others are zero);
				  NULL: every page (a template's) */
	uint64_t *guest_dirty; /* KVM's dirty log */
	uint64_t keep[3];      /* pages every call writes (result, host call, stack top): */
	unsigned nkeep;	       /* left writable, compared at every reset (vm_dirty_log) */
	struct vcpu_state vcpu;
	uint64_t last_reset_pages;
	struct snapshot_image *image; /* NULL unless an execve replaced the program since */
};

/* Take the snapshot that resets return to (phase back_to). */
/* Open what snapshots read (/proc/self/pagemap); once per process, before seccomp. */
void snapshot_init(void);
int snapshot_take(struct kvmlet_sandbox *sb, enum sb_phase back_to, struct kvmlet_error *err);
/*
 * Mark in bitmap (zeroed, a bit per page) the pages of [base, base + n pages)
 * that are present or swapped out: those that could hold content (every page
 * where /proc/self/pagemap cannot be read). With scan, by PAGEMAP_SCAN where
 * the kernel has it (Linux 6.7), else by reading pagemap; returns how many
 * pages from base PAGEMAP_SCAN answered for (the rest were read).
 */
uint64_t snapshot_candidates(const void *base, uint64_t n, uint64_t *bitmap, bool scan);
/* Use a template's pages (every page held) and vCPU state as sb's snapshot. */
int snapshot_borrow(struct kvmlet_sandbox *sb, const uint8_t *pages, const struct vcpu_state *st,
		    struct kvmlet_error *err);
void snapshot_free(struct snapshot *s, uint64_t mem_size);
/* An execve is about to replace sb's program: keep its image, layout and
 * table state for the next reset (once; nothing to keep without a snapshot).
 * 0 or -ENOMEM. */
int snapshot_keep_image(struct kvmlet_sandbox *sb, struct kvmlet_error *err);

#endif /* KVMLET_RESET_H */
