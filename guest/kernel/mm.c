/* SPDX-License-Identifier: MIT */
/*
 * mm.c: the kernel's memory: physical pages of the free range, handed out
 * and taken back through a bitmap the host placed (bootinfo pmap_lo), and the
 * operations on user mappings that kvmlet_map and Linux's mmap family share.
 * A page is zeroed when it is freed, so every page the bitmap calls free
 * holds zeros (the free range starts zeroed and a reset restores it).
 */
#include "kernel.h"

static struct {
	uint64_t hint; /* where the next search for free pages starts */
} mm;

static uint64_t npages(void)
{
	return (bi()->free_hi - bi()->free_lo) / PAGE;
}

static uint64_t *bitmap(void)
{
	return kphys(bi()->pmap_lo);
}

static bool used(uint64_t i)
{
	return bitmap()[i / 64] & (1ull << (i % 64));
}

static void mark(uint64_t i, uint64_t n, bool set)
{
	for (uint64_t j = i; j < i + n; j++) {
		if (set)
			bitmap()[j / 64] |= 1ull << (j % 64);
		else
			bitmap()[j / 64] &= ~(1ull << (j % 64));
	}
}

/* Take a run of at most max free pages, contiguous; returns its length (0: none left). */
static uint64_t alloc_run(uint64_t max, uint64_t *pa)
{
	uint64_t n = npages();

	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (mm.hint + k) % n, len = 0;

		if (used(i))
			continue;
		while (len < max && i + len < n && !used(i + len))
			len++;
		mark(i, len, true);
		mm.hint = i + len;
		*pa = bi()->free_lo + i * PAGE;
		return len;
	}
	return 0;
}

/* Does the page hold only zeros? Reading one the program never wrote costs
 * the host no memory; writing it would (and would make it dirty for the
 * next reset to restore). */
static bool zeroed(const void *page)
{
	uint64_t n = PAGE / 8, zero = 0;
	const void *p = page;

	__asm__ volatile("repe scasq" : "+D"(p), "+c"(n), "+a"(zero) : : "cc", "memory");
	return *((const uint64_t *)p - 1) == 0;
}

/* Give back pages [pa, pa + len) of the free range, zeroed; others are ignored. */
static void free_pages(uint64_t pa, uint64_t len)
{
	for (uint64_t p = pa; p < pa + len; p += PAGE) {
		if (p < bi()->free_lo || p >= bi()->free_hi)
			continue; /* the image, the stack...: the host's, never reused */
		if (!zeroed(kphys(p)))
			memset(kphys(p), 0, PAGE);
		mark((p - bi()->free_lo) / PAGE, 1, false);
	}
}

uint64_t mm_page_alloc(void)
{
	uint64_t pa;

	return alloc_run(1, &pa) ? pa : 0;
}

void mm_page_free(uint64_t pa)
{
	free_pages(pa, PAGE);
}

uint64_t mm_free_pages(uint64_t *total)
{
	uint64_t n = npages(), free = 0;

	for (uint64_t i = 0; i < n; i++)
		free += !used(i);
	*total = n;
	return free;
}

int64_t mm_check_user(uint64_t va, uint64_t len)
{
	if ((va | len) & (PAGE - 1) || len == 0 || va < KVMLET_IMAGE_GPA ||
	    va > KVMLET_USER_END || len > KVMLET_USER_END - va)
		return -EINVAL;
	return 0;
}

int64_t mm_prot(uint64_t prot, uint32_t *out)
{
	if ((prot & ~(uint64_t)(KVMLET_MAP_WRITE | KVMLET_MAP_EXEC)) ||
	    prot == (KVMLET_MAP_WRITE | KVMLET_MAP_EXEC))
		return -EINVAL; /* unknown bits, or writable and executable */
	*out = PT_PROT_USER | ((prot & KVMLET_MAP_WRITE) ? PT_PROT_WRITE : 0) |
	       ((prot & KVMLET_MAP_EXEC) ? PT_PROT_EXEC : 0);
	return 0;
}

static int64_t errno_of(int pt_err)
{
	switch (pt_err) {
	case PT_ERR_EXISTS:
		return -EEXIST;
	case PT_ERR_NOMEM:
		return -ENOMEM;
	case PT_ERR_NOT_MAPPED:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

static int any_run(void *arg, const struct pt_run *run)
{
	(void)arg, (void)run;
	return 1;
}

bool mm_mapped(uint64_t va, uint64_t len)
{
	return pt_walk(kernel_pt(), va, va + len, 0, any_run, 0) != 0;
}

int64_t mm_map(uint64_t va, uint64_t len, uint32_t prot)
{
	const struct pt_backend *b = kernel_pt();
	uint64_t done = 0;
	int e = pt_walk(b, va, va + len, 0, any_run, 0);

	if (e != 0)
		return e > 0 ? -EEXIST : errno_of(e);
	while (done < len) {
		uint64_t pa, n = alloc_run((len - done) / PAGE, &pa);

		if (n == 0) {
			e = PT_ERR_NOMEM;
			break;
		}
		e = pt_map(b, va + done, pa, n * PAGE, prot, 0);
		if (e < 0) {
			free_pages(pa, n * PAGE);
			break;
		}
		done += n * PAGE;
	}
	if (done == len)
		return 0;
	if (done)
		mm_unmap(va, done);
	return errno_of(e);
}

/* Up to RUNS mapped runs of a range, collected by pt_walk. */
#define RUNS 32
struct runs {
	unsigned n;
	struct pt_run r[RUNS];
};

static int collect(void *arg, const struct pt_run *run)
{
	struct runs *c = arg;

	c->r[c->n++] = *run;
	return c->n == RUNS;
}

/*
 * Unmap what is mapped in [va, va + len), a few runs at a time: the pages
 * of a run are known (pt_walk) before the tables forget them, and go back to
 * the pool, zeroed, only once they are unmapped and the TLB flushed.
 */
int64_t mm_unmap(uint64_t va, uint64_t len)
{
	const struct pt_backend *b = kernel_pt();

	for (;;) {
		struct runs c = {.n = 0};
		int e = pt_walk(b, va, va + len, 0, collect, &c);

		if (e < 0)
			return errno_of(e);
		if (c.n == 0)
			return 0;
		for (unsigned i = 0; i < c.n; i++) {
			if ((e = pt_unmap(b, c.r[i].va, c.r[i].len)) < 0) {
				kernel_flush_tlb();
				return errno_of(e);
			}
		}
		kernel_flush_tlb();
		for (unsigned i = 0; i < c.n; i++)
			free_pages(c.r[i].pa, c.r[i].len);
	}
}

int64_t mm_move(uint64_t from, uint64_t to, uint64_t len)
{
	const struct pt_backend *b = kernel_pt();
	int e = 0;

	/* Every page at its new address too, a few runs at a time... */
	for (uint64_t at = from; at < from + len;) {
		struct runs c = {.n = 0};

		if ((e = pt_walk(b, at, from + len, 0, collect, &c)) < 0 || c.n == 0)
			break;
		for (unsigned i = 0; i < c.n && e >= 0; i++)
			e = pt_map(b, to + (c.r[i].va - from), c.r[i].pa, c.r[i].len, c.r[i].prot,
				   0);
		if (e < 0)
			break;
		at = c.r[c.n - 1].va + c.r[c.n - 1].len;
	}
	/* ... then no longer at the old one (only a leaf split at an end can
	 * fail, changing nothing). Undone, to was empty: nothing splits there. */
	if (e >= 0)
		e = pt_unmap(b, from, len);
	if (e < 0)
		pt_unmap(b, to, len);
	kernel_flush_tlb();
	return e < 0 ? errno_of(e) : 0;
}

int64_t mm_protect(uint64_t va, uint64_t len, uint32_t prot)
{
	int e = pt_protect(kernel_pt(), va, len, prot);

	kernel_flush_tlb();
	return e < 0 ? errno_of(e) : 0;
}

static int zero_run(void *arg, const struct pt_run *run)
{
	(void)arg;
	if (run->pa >= bi()->free_lo && run->pa + run->len <= bi()->free_hi)
		for (uint64_t p = run->pa; p < run->pa + run->len; p += PAGE)
			if (!zeroed(kphys(p)))
				memset(kphys(p), 0, PAGE);
	return 0;
}

int64_t mm_zero(uint64_t va, uint64_t len)
{
	int e = pt_walk(kernel_pt(), va, va + len, 0, zero_run, 0);

	return e < 0 ? errno_of(e) : 0;
}

struct ok_ctx {
	uint64_t next;
	bool write, ok;
};

static int ok_run(void *arg, const struct pt_run *run)
{
	struct ok_ctx *c = arg;

	if (run->va != c->next || !(run->prot & PT_PROT_USER) ||
	    (c->write && !(run->prot & PT_PROT_WRITE))) {
		c->ok = false;
		return 1;
	}
	c->next = run->va + run->len;
	return 0;
}

bool mm_user_ok(uint64_t va, uint64_t len, bool write)
{
	uint64_t lo = va & ~(PAGE - 1), hi;
	struct ok_ctx c = {.next = lo, .write = write, .ok = true};

	if (len == 0)
		return true;
	if (__builtin_add_overflow(va, len - 1, &hi) || hi >= KVMLET_USER_END || va < PAGE)
		return false;
	hi = (hi & ~(PAGE - 1)) + PAGE;
	if (pt_walk(kernel_pt(), lo, hi, 0, ok_run, &c) < 0)
		return false;
	return c.ok && c.next == hi;
}

int64_t mm_put_user(uint64_t va, const void *src, uint64_t n)
{
	if (!mm_user_ok(va, n, true))
		return -EFAULT;
	memcpy((void *)va, src, n);
	return 0;
}

int64_t mm_get_user(void *dst, uint64_t va, uint64_t n)
{
	if (!mm_user_ok(va, n, false))
		return -EFAULT;
	memcpy(dst, (const void *)va, n);
	return 0;
}
