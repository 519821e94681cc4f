/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_guest.h: the guest runtime's API. A guest is a freestanding static
 * x86-64 program linked with guest/kvmlet.ld; it runs at CPL3 and defines
 *
 *     int main(void);
 *
 * whose result becomes the guest's exit status. See docs/guests.md. Guest
 * functions (KVMLET_EXPORT, host calls) are declared in kvmlet_call.h.
 */
#ifndef KVMLET_GUEST_H
#define KVMLET_GUEST_H

#ifdef __cplusplus /* usable from C++ guests */
extern "C" {
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlet_abi.h"
#include "kvmlet_call.h"
#include "pagetable.h"

/* Leave the VM with status (the CLI exits with its low 8 bits). */
__attribute__((noreturn)) void kvmlet_exit(int status);

/* Write len bytes to the host's output (split into KVMLET_LOG_MAX pieces). */
void kvmlet_write(const void *buf, size_t len);

/* Write a NUL-terminated string. */
void kvmlet_puts(const char *s);

/*
 * printf: every conversion the format attribute accepts (d i u o x X c s p n
 * % f F e E g G a A), the flags - + space # 0, width and precision (also *),
 * and the lengths hh h l ll j z t L (long double is narrowed to double).
 * Floating point is printed exactly as glibc prints it. kvmlet_printf
 * writes at most 511 bytes per call. Returns the length of the output.
 */
__attribute__((format(printf, 1, 2))) int kvmlet_printf(const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int kvmlet_vsnprintf(char *buf, size_t n, const char *fmt,
							     va_list ap);
__attribute__((format(printf, 3, 4))) int kvmlet_snprintf(char *buf, size_t n, const char *fmt,
							    ...);

/*
 * A bump heap over the heap the host mapped; when it runs out it asks the
 * kernel for more pages (kvmlet_map) right after its end. Memory is 16-byte
 * aligned and zeroed; kvmlet_free is a no-op. NULL when out of memory.
 */
void *kvmlet_malloc(size_t size);
void kvmlet_free(void *p);

/*
 * The guest backend, read side: the same page-table code as the host's,
 * reaching the tables through the tables area, which guest code sees
 * read-only at its guest-physical address. Walk and translate with it; the
 * write side is absent (pt_map and friends fail with PT_ERR_READONLY): the
 * address space changes only through the kernel, below.
 */
const struct pt_backend *kvmlet_pt(void);

/*
 * The kernel's entry (KVMLET_SYS_* in kvmlet_abi.h): map fresh zeroed pages
 * at [va, va + len), unmap, or change protection (KVMLET_MAP_WRITE,
 * KVMLET_MAP_EXEC, never both). va and len page-aligned, inside
 * [KVMLET_IMAGE_GPA, KVMLET_USER_END). 0, or a negative errno: -EINVAL (bad
 * range or prot), -EEXIST (kvmlet_map over a mapped page), -ENOMEM (no free
 * pages or tables left), -EFAULT (kvmlet_protect of an unmapped page).
 */
long kvmlet_map(uint64_t va, uint64_t len, unsigned prot);
long kvmlet_unmap(uint64_t va, uint64_t len);
long kvmlet_protect(uint64_t va, uint64_t len, unsigned prot);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* KVMLET_GUEST_H */
