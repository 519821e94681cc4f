/* SPDX-License-Identifier: MIT */
/* pt_host.c: the host backend over the host's mapping of guest memory. */
#include "pt_host.h"

void *pt_host_ptr(const struct pt_host *h, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (gpa < h->base)
		return NULL;
	off = gpa - h->base;
	if (off > h->size || len > h->size - off)
		return NULL;
	return h->mem + off;
}

static uint64_t host_root(void *ctx)
{
	return ((struct pt_host *)ctx)->root;
}

static uint64_t host_entry_addr(void *ctx, uint64_t table, uint32_t off)
{
	(void)ctx;
	return table + off;
}

static int host_read(void *ctx, uint64_t addr, uint64_t *entry)
{
	const uint8_t *p = pt_host_ptr(ctx, addr, 8);

	if (!p || (addr & 7))
		return -1;
	__builtin_memcpy(entry, p, 8);
	return 0;
}

static int host_write(void *ctx, uint64_t addr, uint64_t entry)
{
	uint8_t *p = pt_host_ptr(ctx, addr, 8);

	if (!p || (addr & 7))
		return -1;
	__builtin_memcpy(p, &entry, 8);
	return 0;
}

static int host_to_phys(void *ctx, uint64_t table, uint64_t *phys)
{
	(void)ctx;
	*phys = table;
	return 0;
}

/* Any whole, aligned page of guest memory can hold a table (the guest makes some). */
static int host_from_phys(void *ctx, uint64_t phys, uint64_t *table)
{
	if ((phys & (PT_SIZE_4K - 1)) || !pt_host_ptr(ctx, phys, PT_SIZE_4K))
		return -1;
	*table = phys;
	return 0;
}

static int host_alloc(void *ctx, uint64_t *table)
{
	struct pt_host *h = ctx;
	uint64_t n = (h->tbl_hi - h->tbl_lo) >> 12;

	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (h->hint + k) % n;
		uint64_t bit = 1ull << (i % 64);

		if (h->used[i / 64] & bit)
			continue;
		h->used[i / 64] |= bit;
		h->hint = i + 1;
		h->nr_used++;
		*table = h->tbl_lo + (i << 12);
		uint64_t *t = pt_host_ptr(h, *table, PT_SIZE_4K);
		for (unsigned j = 0; j < PT_SIZE_4K / 8; j++)
			t[j] = 0;
		return 0;
	}
	return -1;
}

/* Frees only what this backend handed out; anything else is left alone. */
static void host_free(void *ctx, uint64_t table)
{
	struct pt_host *h = ctx;

	if (table < h->tbl_lo || table >= h->tbl_hi || (table & (PT_SIZE_4K - 1)))
		return;
	uint64_t i = (table - h->tbl_lo) >> 12;
	uint64_t bit = 1ull << (i % 64);
	if (!(h->used[i / 64] & bit))
		return;
	h->used[i / 64] &= ~bit;
	h->nr_used--;
	if (i < h->hint)
		h->hint = i;
}

static int host_common(struct pt_host *h, struct pt_backend *b, void *mem, uint64_t size,
		       uint64_t base, uint32_t caps, uint32_t phys_bits)
{
	uint64_t end;

	if (!mem || size == 0 || __builtin_add_overflow(base, size - 1, &end))
		return PT_ERR_RANGE;
	if ((base | size) & (PT_SIZE_4K - 1))
		return PT_ERR_ALIGN;
	/* Every table address must fit an entry's address field (and phys_bits). */
	uint32_t bits = phys_bits && phys_bits < 52 ? phys_bits : 52;
	if (end >> bits)
		return PT_ERR_PHYS;
	*h = (struct pt_host){.mem = mem, .size = size, .base = base};
	*b = (struct pt_backend){
		.ctx = h,
		.root_table = host_root,
		.entry_addr = host_entry_addr,
		.read_entry = host_read,
		.to_phys = host_to_phys,
		.from_phys = host_from_phys,
		.caps = caps,
		.phys_bits = phys_bits,
	};
	return pt_window_init(b, mem, base, size, &h->root);
}

int pt_host_init(struct pt_host *h, struct pt_backend *b, void *mem, uint64_t size, uint64_t base,
		 uint64_t tbl_lo, uint64_t tbl_len, uint64_t *bitmap, uint32_t caps,
		 uint32_t phys_bits)
{
	int err = host_common(h, b, mem, size, base, caps, phys_bits);

	if (err < 0)
		return err;
	if ((tbl_lo | tbl_len) & (PT_SIZE_4K - 1))
		return PT_ERR_ALIGN;
	if (!bitmap || !pt_host_ptr(h, tbl_lo, tbl_len))
		return PT_ERR_RANGE;
	h->tbl_lo = tbl_lo;
	h->tbl_hi = tbl_lo + tbl_len;
	h->used = bitmap;
	for (uint64_t i = 0; i < PT_HOST_BITMAP_WORDS(tbl_len); i++)
		bitmap[i] = 0;
	b->alloc_table = host_alloc;
	b->write_entry = host_write;
	b->free_table = host_free;
	return host_alloc(h, &h->root) < 0 ? PT_ERR_NOMEM : PT_OK;
}

int pt_host_attach_ro(struct pt_host *h, struct pt_backend *b, void *mem, uint64_t size,
		      uint64_t base, uint64_t root, uint32_t caps, uint32_t phys_bits)
{
	uint64_t t;
	int err = host_common(h, b, mem, size, base, caps, phys_bits);

	if (err < 0)
		return err;
	if (host_from_phys(h, root, &t) < 0)
		return PT_ERR_CORRUPT;
	h->root = root;
	return PT_OK;
}

void pt_host_rebase(struct pt_host *h, struct pt_backend *b, const struct pt_host *from,
		    const struct pt_backend *from_b, void *mem, uint64_t *bitmap)
{
	*h = *from;
	*b = *from_b;
	h->mem = mem;
	h->used = from->used ? bitmap : NULL;
	if (h->used)
		for (uint64_t i = 0; i < PT_HOST_BITMAP_WORDS(from->tbl_hi - from->tbl_lo); i++)
			h->used[i] = from->used[i];
	b->ctx = h;
	/* Same layout, caps and phys_bits as from_b, so this cannot fail. */
	(void)pt_window_init(b, mem, from_b->win_base, from_b->win_size, &h->root);
}
