/* SPDX-License-Identifier: MIT */
/* guest_mem.c: guest memory, its host page tables, and the one checked accessor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "guest_mem.h"

static _Thread_local struct guest_mem_refusal refused;

const struct guest_mem_refusal *guest_mem_refused(void)
{
	return &refused;
}

void guest_mem_refuse(uint64_t addr, uint64_t len, bool virt, const char *file, int line)
{
	refused = (struct guest_mem_refusal){
		.file = file, .line = line, .addr = addr, .len = len, .virt = virt};
}

KVMLET_HOT int guest_mem_write_at(struct guest_mem *gm, uint64_t gpa, const void *buf, uint64_t len,
		       const char *file, int line)
{
	void *p = guest_mem_ptr_at(gm, gpa, len, file, line);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	guest_mem_mark_written(gm, gpa, len);
	return 0;
}

int guest_mem_track_writes(struct guest_mem *gm, struct kvmlet_error *err)
{
	uint64_t words = (gm->size / KVMLET_PAGE_SIZE + 63) / 64;

	gm->written_last = 0;
	if (gm->written) {
		memset(gm->written, 0, words * 8);
		return 0;
	}
	if (!(gm->written = calloc(words ? words : 1, 8)))
		return kvmlet_fail(err, -ENOMEM, "out of memory for the written-pages bitmap");
	return 0;
}

uint64_t guest_mem_take_written(struct guest_mem *gm, uint64_t w)
{
	uint64_t bits;

	if (!gm->written || w >= (gm->size / KVMLET_PAGE_SIZE + 63) / 64)
		return 0;
	bits = gm->written[w];
	gm->written[w] = 0;
	gm->written_last = 0;
	return bits;
}

/* The host pointer for va's page, up to len bytes of it (*chunk), if access allows. */
static uint8_t *va_ptr(const struct guest_mem *gm, uint64_t va, uint64_t len, unsigned access,
		       uint64_t *chunk)
{
	struct pt_translation t;
	uint32_t need =
		((access & GM_USER) ? PT_PROT_USER : 0) | ((access & GM_WRITE) ? PT_PROT_WRITE : 0);

	*chunk = KVMLET_PAGE_SIZE - (va & (KVMLET_PAGE_SIZE - 1));
	if (*chunk > len)
		*chunk = len;
	if (pt_translate(&gm->pt, va, &t) < 0 || (t.prot & need) != need || !gm->mem ||
	    t.pa > gm->size || *chunk > gm->size - t.pa)
		return NULL;
	return gm->mem + t.pa;
}

KVMLET_HOT int guest_mem_read_va_at(const struct guest_mem *gm, uint64_t va, void *buf, uint64_t len,
			 unsigned access, uint64_t *bad, const char *file, int line)
{
	uint8_t *dst = buf;
	uint64_t chunk;

	for (; len; dst += chunk, va += chunk, len -= chunk) {
		const uint8_t *src = va_ptr(gm, va, len, access, &chunk);
		if (!src) {
			guest_mem_refuse(va, len, true, file, line);
			*bad = va;
			return -EFAULT;
		}
		memcpy(dst, src, chunk);
	}
	return 0;
}

int guest_mem_write_va_at(struct guest_mem *gm, uint64_t va, const void *buf, uint64_t len,
			  unsigned access, uint64_t *bad, const char *file, int line)
{
	const uint8_t *src = buf;
	uint64_t chunk;

	for (; len; src += chunk, va += chunk, len -= chunk) {
		uint8_t *dst = va_ptr(gm, va, len, access | GM_WRITE, &chunk);
		if (!dst) {
			guest_mem_refuse(va, len, true, file, line);
			*bad = va;
			return -EFAULT; /* the pages written before this one are noted */
		}
		memcpy(dst, src, chunk);
		guest_mem_mark_written(gm, (uint64_t)(dst - gm->mem), chunk);
	}
	return 0;
}

/*
 * Small pages only: KVM maps guest memory 4 KiB at a time whatever backs it
 * (the slot is dirty-logged), so a transparent huge page buys the guest
 * nothing and costs zeroing (and holding) 2 MiB wherever one page is touched:
 * a hello guest touches a few pages in each of several 2 MiB ranges. Under
 * nested KVM each such first touch costs 2-10 ms. madvise may fail where the
 * kernel has no huge pages: nothing to refuse then.
 */
void *guest_mem_anon(uint64_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m != MAP_FAILED)
		(void)madvise(m, size, MADV_NOHUGEPAGE);
	return m;
}

int guest_mem_map(struct guest_mem *gm, uint64_t size, struct kvmlet_error *err)
{
	void *m = guest_mem_anon(size);

	if (m == MAP_FAILED)
		return kvmlet_fail(err, -ENOMEM, "cannot map %llu KiB of guest memory: %s",
				   (unsigned long long)(size >> 10), strerror(errno));
	gm->mem = m;
	gm->size = size;
	return 0;
}

int guest_mem_map_file(struct guest_mem *gm, int fd, uint64_t size, struct kvmlet_error *err)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);

	if (m == MAP_FAILED)
		return kvmlet_fail(err, -ENOMEM, "cannot map guest memory: %s", strerror(errno));
	gm->mem = m;
	gm->size = size;
	return 0;
}

int guest_mem_tables_init(struct guest_mem *gm, uint64_t tbl_lo, uint64_t tbl_len, uint32_t caps,
			  uint32_t phys_bits, struct kvmlet_error *err)
{
	int r;

	free(gm->pt_bitmap); /* execve builds anew: the state it had is taken or dropped */
	gm->pt_bitmap = calloc(PT_HOST_BITMAP_WORDS(tbl_len), sizeof(uint64_t));
	if (!gm->pt_bitmap)
		return kvmlet_fail(err, -ENOMEM, "out of memory for the table bitmap");
	r = pt_host_init(&gm->pth, &gm->pt, gm->mem, gm->size, 0, tbl_lo, tbl_len, gm->pt_bitmap,
			 caps, phys_bits);
	if (r < 0)
		return kvmlet_fail(err, -ENOMEM, "page tables: %s", pt_strerror(r));
	return 0;
}

int guest_mem_tables_adopt(struct guest_mem *gm, const struct pt_host *pth,
			   const struct pt_backend *pt, struct kvmlet_error *err)
{
	gm->pt_bitmap = malloc(PT_HOST_BITMAP_WORDS(pth->tbl_hi - pth->tbl_lo) * sizeof(uint64_t));
	if (!gm->pt_bitmap)
		return kvmlet_fail(err, -ENOMEM, "out of memory for the table bitmap");
	pt_host_rebase(&gm->pth, &gm->pt, pth, pt, gm->mem, gm->pt_bitmap);
	return 0;
}

void guest_mem_tables_take(struct guest_mem *gm, struct guest_mem_tables *t)
{
	*t = (struct guest_mem_tables){.pth = gm->pth, .pt = gm->pt, .bitmap = gm->pt_bitmap};
	gm->pt_bitmap = NULL;
}

void guest_mem_tables_put(struct guest_mem *gm, struct guest_mem_tables *t)
{
	free(gm->pt_bitmap);
	gm->pth = t->pth;
	gm->pt = t->pt;
	gm->pt_bitmap = t->bitmap;
	t->bitmap = NULL;
}

int guest_mem_clear(struct guest_mem *gm, struct kvmlet_error *err)
{
	void *m = mmap(gm->mem, gm->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	if (m == MAP_FAILED)
		return kvmlet_fail(err, -errno, "cannot clear guest memory: %s", strerror(errno));
	(void)madvise(m, gm->size, MADV_NOHUGEPAGE);
	guest_mem_mark_written(gm, 0, gm->size);
	return 0;
}

int guest_mem_copy(struct guest_mem *dst, const struct guest_mem *src, const uint64_t *pages)
{
	const uint64_t n = src->size / KVMLET_PAGE_SIZE;

	if (!dst->mem || !src->mem || dst->size != src->size)
		return -EINVAL;
	for (uint64_t w = 0; w < (n + 63) / 64; w++)
		for (uint64_t bits = pages[w]; bits; bits &= bits - 1) {
			const uint64_t off =
				(w * 64 + (uint64_t)__builtin_ctzll(bits)) * KVMLET_PAGE_SIZE;
			if (off < src->size)
				memcpy(dst->mem + off, src->mem + off, KVMLET_PAGE_SIZE);
		}
	guest_mem_mark_written(dst, 0, dst->size);
	return 0;
}

void guest_mem_free(struct guest_mem *gm)
{
	if (gm->mem)
		munmap(gm->mem, gm->size);
	free(gm->pt_bitmap);
	free(gm->written);
	*gm = (struct guest_mem){0};
}
