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

#ifdef __cplusplus /* usable from C++ guests */
extern "C" {
#endif

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

/* What the host told us about the layout (never NULL). */
const struct kvmlet_bootinfo *kvmlet_bootinfo(void);

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

/* --- guest functions, called by the host by name (see docs/abi.md) --- */

/* The call being served: arguments to read, one result to set. */
struct kvmlet_call;

/* A guest function: read arguments, set the result, return 0 (or -1 after
 * kvmlet_ret_error). */
typedef int (*kvmlet_fn)(struct kvmlet_call *call);

struct kvmlet_export_desc {
	const char *name;
	const char *sig; /* argument letters, ':', result letter: i u d b s y, v = void */
	kvmlet_fn fn;
};

/*
 * KVMLET_EXPORT(fn, "ii:i"): make fn callable by the host under its own name.
 * The host checks argument count and types against the signature before it
 * calls, so the accessors below can trust them.
 */
#define KVMLET_EXPORT(fn, sig)                                                            \
	static const struct kvmlet_export_desc kvmlet_export_##fn                          \
		__attribute__((used, section(".kvmlet_exports"), aligned(8))) = {#fn, sig, fn}

int64_t kvmlet_arg_i64(const struct kvmlet_call *c, unsigned i);
uint64_t kvmlet_arg_u64(const struct kvmlet_call *c, unsigned i);
double kvmlet_arg_f64(const struct kvmlet_call *c, unsigned i);
bool kvmlet_arg_bool(const struct kvmlet_call *c, unsigned i);
/* Strings and bytes point into the (read-only) argument buffer; strings are
 * followed by a NUL that *len does not count. */
const char *kvmlet_arg_str(const struct kvmlet_call *c, unsigned i, size_t *len);
const void *kvmlet_arg_bytes(const struct kvmlet_call *c, unsigned i, size_t *len);

/* Set the result (once). Each returns 0, or -1 if it does not fit the result
 * buffer or the type is not the declared one (the call then fails). */
int kvmlet_ret_i64(struct kvmlet_call *c, int64_t v);
int kvmlet_ret_u64(struct kvmlet_call *c, uint64_t v);
int kvmlet_ret_f64(struct kvmlet_call *c, double v);
int kvmlet_ret_bool(struct kvmlet_call *c, bool v);
int kvmlet_ret_str(struct kvmlet_call *c, const char *s, size_t len);
int kvmlet_ret_bytes(struct kvmlet_call *c, const void *p, size_t len);
/* Fail the call with a message the host caller sees. Returns -1. */
int kvmlet_ret_error(struct kvmlet_call *c, const char *msg);

/* A typed value for host calls. */
struct kvmlet_value {
	uint32_t type; /* KVMLET_T_* */
	uint32_t len;  /* strings and bytes */
	union {
		int64_t i64;
		uint64_t u64;
		double f64;
		bool b;
		const void *ptr;
	};
};

#define KVMLET_I64(x)	  ((struct kvmlet_value){.type = KVMLET_T_I64, .i64 = (x)})
#define KVMLET_U64(x)	  ((struct kvmlet_value){.type = KVMLET_T_U64, .u64 = (x)})
#define KVMLET_F64(x)	  ((struct kvmlet_value){.type = KVMLET_T_F64, .f64 = (x)})
#define KVMLET_BOOL(x)	  ((struct kvmlet_value){.type = KVMLET_T_BOOL, .b = (x)})
#define KVMLET_STR(s)	  ((struct kvmlet_value){.type = KVMLET_T_STR, .len = (uint32_t)strlen(s), .ptr = (s)})
#define KVMLET_BYTES(p, n) ((struct kvmlet_value){.type = KVMLET_T_BYTES, .len = (uint32_t)(n), .ptr = (p)})

/*
 * kvmlet_host_call: call the host function name with nargs arguments. On
 * success returns 0 and *result holds its result (strings and bytes point
 * into the host-call buffer, valid until the next host call). Returns -1 if
 * the host function failed or does not exist, with *result a KVMLET_T_STR
 * message. KVMLET_HOST_CALL(&res, "name", KVMLET_I64(1), ...) counts for you.
 */
int kvmlet_host_call(const char *name, const struct kvmlet_value *args, unsigned nargs,
		     struct kvmlet_value *result);
#define KVMLET_HOST_CALL(res, name, ...)                                                    \
	kvmlet_host_call(name, (const struct kvmlet_value[]){__VA_ARGS__},                 \
			 sizeof((const struct kvmlet_value[]){__VA_ARGS__}) /                       \
				 sizeof(struct kvmlet_value),                                       \
			 res)

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* KVMLET_GUEST_H */
