/* SPDX-License-Identifier: MIT */
/*
 * pt_host.h: the host backend. Tables live in guest memory; the host reaches
 * them through its mapping of that memory. Table addresses are guest-physical
 * addresses, and every access is bounds-checked against the mapping, so a
 * corrupt entry can never make the host read or write outside guest memory.
 */
#ifndef KVMLET_PT_HOST_H
#define KVMLET_PT_HOST_H

#include "pagetable.h"

/* Words of bitmap needed to track the tables of a reserved range of len bytes. */
#define PT_HOST_BITMAP_WORDS(len) ((((len) >> 12) + 63) / 64)

struct pt_host {
	uint8_t *mem;     /* host mapping of guest memory */
	uint64_t size;    /* its size in bytes */
	uint64_t base;    /* guest-physical address of mem[0] */
	uint64_t root;    /* guest-physical address of the PML4 */
	uint64_t tbl_lo;  /* reserved range for tables: [tbl_lo, tbl_hi) */
	uint64_t tbl_hi;
	uint64_t *used;   /* one bit per table of the range (NULL: read-only) */
	uint64_t hint;    /* index where the next free search starts */
	uint64_t nr_used; /* tables handed out and not freed */
};

/*
 * pt_host_init: set up h and the backend b over guest memory
 * [base, base + size) mapped at mem, with tables allocated from the reserved
 * guest-physical range [tbl_lo, tbl_lo + tbl_len) (4 KiB aligned, inside the
 * memory), tracked in the caller's bitmap of PT_HOST_BITMAP_WORDS(tbl_len)
 * words (which it owns and keeps alive as long as h). A new zeroed root is
 * allocated from the range. caps and phys_bits go to b (see pagetable.h).
 * Returns PT_ERR_RANGE or PT_ERR_ALIGN for a bad layout, PT_ERR_NOMEM for an
 * empty reserved range.
 */
int pt_host_init(struct pt_host *h, struct pt_backend *b, void *mem, uint64_t size, uint64_t base,
		 uint64_t tbl_lo, uint64_t tbl_len, uint64_t *bitmap, uint32_t caps,
		 uint32_t phys_bits);

/*
 * pt_host_attach_ro: a read-only backend over tables that already exist in
 * guest memory (for example ones the guest built or changed), rooted at the
 * guest-physical address root. Nothing is allocated or written through it.
 */
int pt_host_attach_ro(struct pt_host *h, struct pt_backend *b, void *mem, uint64_t size,
		      uint64_t base, uint64_t root, uint32_t caps, uint32_t phys_bits);

/*
 * pt_host_rebase: make (h, b) a copy of the backend (from, from_b) moved onto
 * other memory: mem, of from's size and layout, holding the same tables (a
 * copy of it). bitmap (PT_HOST_BITMAP_WORDS(from->tbl_hi - from->tbl_lo)
 * words, the caller's) receives a copy of from's; NULL for a read-only from.
 */
void pt_host_rebase(struct pt_host *h, struct pt_backend *b, const struct pt_host *from,
		    const struct pt_backend *from_b, void *mem, uint64_t *bitmap);

/*
 * pt_host_ptr: the host pointer for guest-physical [gpa, gpa + len), or NULL
 * if any byte of it lies outside guest memory (overflow-safe; a range that
 * ends exactly at the end of memory is valid).
 */
void *pt_host_ptr(const struct pt_host *h, uint64_t gpa, uint64_t len);

#endif /* KVMLET_PT_HOST_H */
