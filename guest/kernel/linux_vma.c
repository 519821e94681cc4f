/* SPDX-License-Identifier: MIT */
/*
 * linux_vma.c: the address ranges a Linux program's mmap gave it, whatever
 * their protection. A PROT_NONE mapping has no pages, so the page tables
 * cannot tell a reservation from a hole; this table can. linux.c asks it
 * where a mapping may go (a free hint, else the lowest free addresses from
 * bootinfo's mmap_lo, as Linux's mmap places), whether MAP_FIXED_NOREPLACE
 * or the break would meet a mapping, and which holes mprotect may fill.
 *
 * Ranges are sorted, disjoint and merged when they touch: a range the
 * program has is inside one of them. Up to VMA_MAX; as with Linux's
 * max_map_count, a call that would need more is ENOMEM.
 */
#include "kernel.h"

#define VMA_MAX 1024

static struct range {
	uint64_t lo, hi;
} v[VMA_MAX];
static unsigned n;

/* The first range that ends after va (n if none). */
static unsigned after(uint64_t va)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned m = lo + (hi - lo) / 2;

		if (v[m].hi <= va)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/* Room for one more range at i: 0, or -ENOMEM. */
static int64_t open_slot(unsigned i)
{
	if (n == VMA_MAX)
		return -ENOMEM;
	for (unsigned k = n; k > i; k--)
		v[k] = v[k - 1];
	n++;
	return 0;
}

/* Ranges i .. j - 1 go. */
static void close_slots(unsigned i, unsigned j)
{
	for (unsigned k = j; k < n; k++)
		v[i + k - j] = v[k];
	n -= j - i;
}

bool vma_overlaps(uint64_t lo, uint64_t hi)
{
	unsigned i = after(lo);

	return i < n && v[i].lo < hi;
}

uint64_t vma_covered(uint64_t lo, uint64_t hi)
{
	unsigned i = after(lo);

	if (i == n || v[i].lo > lo)
		return lo;
	return v[i].hi < hi ? v[i].hi : hi;
}

int64_t vma_claim(uint64_t lo, uint64_t hi)
{
	unsigned i = after(lo), j;

	if (i > 0 && v[i - 1].hi == lo)
		i--; /* ends where this begins: one range */
	for (j = i; j < n && v[j].lo <= hi; j++) {
		lo = v[j].lo < lo ? v[j].lo : lo;
		hi = v[j].hi > hi ? v[j].hi : hi;
	}
	if (j == i) {
		if (open_slot(i) < 0)
			return -ENOMEM;
	} else {
		close_slots(i + 1, j);
	}
	v[i] = (struct range){lo, hi};
	return 0;
}

int64_t vma_release(uint64_t lo, uint64_t hi)
{
	unsigned i = after(lo), j;

	if (i < n && v[i].lo < lo && v[i].hi > hi) {
		/* A hole in the middle of one range: two. */
		if (open_slot(i) < 0)
			return -ENOMEM;
		v[i].hi = lo;
		v[i + 1].lo = hi;
		return 0;
	}
	if (i < n && v[i].lo < lo)
		v[i++].hi = lo;
	for (j = i; j < n && v[j].hi <= hi; j++)
		;
	if (j < n && v[j].lo < hi)
		v[j].lo = hi;
	close_slots(i, j);
	return 0;
}

uint64_t vma_gap(uint64_t from, uint64_t end, uint64_t len)
{
	uint64_t at = from;

	for (unsigned i = after(from); i < n && v[i].lo < end; i++) {
		if (v[i].lo >= at && v[i].lo - at >= len)
			return at;
		if (v[i].hi > at)
			at = v[i].hi;
	}
	return at <= end && end - at >= len ? at : 0;
}
