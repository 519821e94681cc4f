/* SPDX-License-Identifier: MIT */
/*
 * guest_mem.h: guest memory and its one checked accessor (guest_mem.c). No
 * other code computes a host pointer from a guest address. Every access is
 * checked, overflow-safe, against the memory (an access ending exactly at its
 * end is valid, one byte past is not) and, by virtual address, against the
 * live page tables with the access's permissions. Like Solo5's
 * HVT_CHECKED_GPA_P, the macros record who asked: a refused address names the
 * code (guest_mem_refused).
 */
#ifndef KVMLET_GUEST_MEM_H
#define KVMLET_GUEST_MEM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvmlet.h"
#include "kvmlet_abi.h"
#include "pt_host.h"

struct guest_mem {
	uint8_t *mem; /* guest-physical 0 at mem[0] */
	uint64_t size;
	struct pt_host pth; /* the host's page-table backend over mem */
	struct pt_backend pt;
	uint64_t *pt_bitmap; /* the tables pth handed out */
	uint64_t
		*written; /* pages the host wrote since guest_mem_track_writes; NULL: not tracked */
	/* 1 + the page guest_mem_mark_written noted last, while its bit stands
	 * (0: none): noting it again reads no page of the bitmap. */
	uint64_t written_last;
};

/* The last refused access of this thread: who asked, and for what. */
struct guest_mem_refusal {
	const char *file;
	int line;
	uint64_t addr, len;
	bool virt; /* addr is a virtual address */
};

/* Access a virtual address needs besides present: CPL3 (user), writable. */
#define GM_USER	 1u
#define GM_WRITE 2u

/* Map size bytes of zeroed anonymous memory in small pages (MAP_NORESERVE,
 * no transparent huge pages): guest memory and its snapshot. MAP_FAILED on
 * failure (errno). */
void *guest_mem_anon(uint64_t size);
/* Map size bytes of zeroed guest memory (guest_mem_anon). */
int guest_mem_map(struct guest_mem *gm, uint64_t size, struct kvmlet_error *err);
/* Map size bytes of the file fd private (copy-on-write) as guest memory. */
int guest_mem_map_file(struct guest_mem *gm, int fd, uint64_t size, struct kvmlet_error *err);
/* Host page tables over gm, allocated from guest-physical [tbl_lo, tbl_lo + tbl_len). */
int guest_mem_tables_init(struct guest_mem *gm, uint64_t tbl_lo, uint64_t tbl_len, uint32_t caps,
			  uint32_t phys_bits, struct kvmlet_error *err);
/* gm's tables become a copy of (pth, pt)'s state, rebased onto gm's memory. */
int guest_mem_tables_adopt(struct guest_mem *gm, const struct pt_host *pth,
			   const struct pt_backend *pt, struct kvmlet_error *err);
void guest_mem_free(struct guest_mem *gm);
/* Zero all of gm's memory (new anonymous pages at the same addresses: the
 * VM's memory slot stays valid) and note every page written, for the next
 * reset to restore; execve's new program is built in it. 0 or -errno. */
int guest_mem_clear(struct guest_mem *gm, struct kvmlet_error *err);

/* Copy the pages set in bitmap pages (a bit per page) from src into dst, of
 * the same size (a fork's child); 0 or -EINVAL. */
int guest_mem_copy(struct guest_mem *dst, const struct guest_mem *src, const uint64_t *pages);
/* The host tables' state, as execve replaces it and a reset puts it back. */
struct guest_mem_tables {
	struct pt_host pth;
	struct pt_backend pt;
	uint64_t *bitmap;
};
/* Move gm's table state into t (gm's next guest_mem_tables_init starts anew). */
void guest_mem_tables_take(struct guest_mem *gm, struct guest_mem_tables *t);
/* Put t's state back into gm (the memory holding its tables again); t is emptied. */
void guest_mem_tables_put(struct guest_mem *gm, struct guest_mem_tables *t);

/*
 * From now on, note every page the host writes (GUEST_WRITE, GUEST_WRITE_VA,
 * guest_mem_mark_written), for the next reset to restore; clears the notes if
 * already tracking. 0 or -ENOMEM.
 */
int guest_mem_track_writes(struct guest_mem *gm, struct kvmlet_error *err);
/* Note that the host wrote guest-physical [gpa, gpa + len) through a GUEST_PTR
 * (inline, as the accessors below: every call runs them, after a VM exit). */
static inline void guest_mem_mark_written(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t n = gm->size / KVMLET_PAGE_SIZE;

	if (!gm->written || len == 0 || gpa >= gm->size)
		return;
	uint64_t last = len - 1 > gm->size - 1 - gpa ? gm->size - 1 : gpa + len - 1;
	uint64_t first = gpa / KVMLET_PAGE_SIZE;

	if (first == last / KVMLET_PAGE_SIZE && first + 1 == gm->written_last)
		return;
	for (uint64_t p = first; p <= last / KVMLET_PAGE_SIZE && p < n; p++)
		gm->written[p / 64] |= 1ull << (p % 64);
	gm->written_last = last / KVMLET_PAGE_SIZE + 1;
}
/* Word w of the written-pages bitmap (pages 64w..64w+63), cleared as it is taken. */
uint64_t guest_mem_take_written(struct guest_mem *gm, uint64_t w);

/* Record a refused access for guest_mem_refused (guest_mem.c). */
__attribute__((cold)) void guest_mem_refuse(uint64_t addr, uint64_t len, bool virt,
					    const char *file, int line);

/* Host pointer for guest-physical [gpa, gpa + len), NULL outside memory. A
 * writer through it calls guest_mem_mark_written. */
static inline void *guest_mem_ptr_at(const struct guest_mem *gm, uint64_t gpa, uint64_t len,
				     const char *file, int line)
{
	/* Overflow-safe: [gpa, gpa + len) inside [0, size); ending at size is fine. */
	if (!gm->mem || gpa > gm->size || len > gm->size - gpa) {
		guest_mem_refuse(gpa, len, false, file, line);
		return NULL;
	}
	return gm->mem + gpa;
}

/* Copy out of / into guest-physical [gpa, gpa + len): 0 or -EFAULT. A write
 * notes its pages (guest_mem_track_writes). */
static inline int guest_mem_read_at(const struct guest_mem *gm, uint64_t gpa, void *buf,
				    uint64_t len, const char *file, int line)
{
	const void *p = guest_mem_ptr_at(gm, gpa, len, file, line);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}
int guest_mem_write_at(struct guest_mem *gm, uint64_t gpa, const void *buf, uint64_t len,
		       const char *file, int line);
/* Copy out of / into guest-virtual [va, va + len) through the live tables, each
 * page present with access (GM_USER, GM_WRITE): 0 or -EFAULT, *bad the first
 * address refused. A write notes every page it wrote, a refused one's too. */
int guest_mem_read_va_at(const struct guest_mem *gm, uint64_t va, void *buf, uint64_t len,
			 unsigned access, uint64_t *bad, const char *file, int line);
int guest_mem_write_va_at(struct guest_mem *gm, uint64_t va, const void *buf, uint64_t len,
			  unsigned access, uint64_t *bad, const char *file, int line);
/* This thread's last refused access (file NULL if none). */
const struct guest_mem_refusal *guest_mem_refused(void);

#define GUEST_PTR(gm, gpa, len) guest_mem_ptr_at((gm), (gpa), (len), __FILE__, __LINE__)
#define GUEST_READ(gm, gpa, buf, len) \
	guest_mem_read_at((gm), (gpa), (buf), (len), __FILE__, __LINE__)
#define GUEST_WRITE(gm, gpa, buf, len) \
	guest_mem_write_at((gm), (gpa), (buf), (len), __FILE__, __LINE__)
#define GUEST_READ_VA(gm, va, buf, len, access, bad) \
	guest_mem_read_va_at((gm), (va), (buf), (len), (access), (bad), __FILE__, __LINE__)
#define GUEST_WRITE_VA(gm, va, buf, len, access, bad) \
	guest_mem_write_va_at((gm), (va), (buf), (len), (access), (bad), __FILE__, __LINE__)

#endif /* KVMLET_GUEST_MEM_H */
