/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_guest.h: the guest runtime's API. A guest is a freestanding static
 * x86-64 program linked with guest/kvmlet.ld; it runs at CPL3 and defines
 *
 *     int main(void);
 *
 * whose result becomes the guest's exit status. See docs/guests.md.
 */
#ifndef KVMLET_GUEST_H
#define KVMLET_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlet_abi.h"
#include "pagetable.h"

/* Leave the VM with status (the CLI exits with its low 8 bits). */
__attribute__((noreturn)) void kvmlet_exit(int status);

/* Abort with a message: the host reports "guest aborted: msg". */
__attribute__((noreturn)) void kvmlet_abort(const char *msg);

/* Write len bytes to the host's output (split into KVMLET_LOG_MAX pieces). */
void kvmlet_write(const void *buf, size_t len);

/* Write a NUL-terminated string. */
void kvmlet_puts(const char *s);

/*
 * A small printf: %d %i %u %x %X %s %c %p %%, the l, ll and z size modifiers,
 * a field width and the 0 and - flags. Returns the length of the output.
 */
__attribute__((format(printf, 1, 2))) int kvmlet_printf(const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int kvmlet_vsnprintf(char *buf, size_t n, const char *fmt,
							     va_list ap);
__attribute__((format(printf, 3, 4))) int kvmlet_snprintf(char *buf, size_t n, const char *fmt,
							    ...);

/* What the host told us about the layout (never NULL). */
const struct kvmlet_bootinfo *kvmlet_bootinfo(void);

/*
 * A bump heap over the heap the host mapped; when it runs out it maps free
 * physical pages with the guest page-table backend and grows. Memory is
 * 16-byte aligned and zeroed; kvmlet_free is a no-op. NULL when out of memory.
 */
void *kvmlet_malloc(size_t size);
void kvmlet_free(void *p);

/*
 * The guest backend: the same page-table code as the host's, reaching the
 * tables through the user-writable tables area (identity-mapped, so a table
 * address is its guest-physical address). New tables come from the guest's
 * own pool. CPL3 cannot flush the TLB: use the write side to add mappings;
 * unmapping or restricting a page the guest has already touched may not take
 * effect until the next VM entry.
 */
const struct pt_backend *kvmlet_pt(void);

/*
 * Take n free physical pages (never handed out twice); returns their
 * guest-physical address, or 0 when there are not enough.
 */
uint64_t kvmlet_alloc_phys(uint64_t n);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif /* KVMLET_GUEST_H */
