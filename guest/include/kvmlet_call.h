/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_call.h: guest functions (KVMLET_EXPORT), their arguments and results,
 * and host calls: the part of the guest SDK shared by freestanding guests
 * (kvmlet_guest.h) and Linux programs (kvmlet_linux.h). See docs/abi.md.
 */
#ifndef KVMLET_CALL_H
#define KVMLET_CALL_H

#ifdef __cplusplus /* usable from C++ guests */
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlet_abi.h"

/*
 * Where KVMLET_EXPORT puts its entries: kvmlet.ld collects .kvmlet_exports;
 * in a libc program, linked by the default linker script, kvmlet_linux.h
 * picks kvmlet_exports, a C identifier, for which GNU ld defines
 * __start_kvmlet_exports and __stop_kvmlet_exports.
 */
#ifndef KVMLET_EXPORT_SECTION
#define KVMLET_EXPORT_SECTION ".kvmlet_exports"
#endif

/* What the host told us about the layout (never NULL). */
const struct kvmlet_bootinfo *kvmlet_bootinfo(void);

/* Abort with a message: the host reports "guest aborted: msg". */
__attribute__((noreturn)) void kvmlet_abort(const char *msg);

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
#define KVMLET_EXPORT(fn, sig)                                    \
	static const struct kvmlet_export_desc kvmlet_export_##fn \
		__attribute__((used, section(KVMLET_EXPORT_SECTION), aligned(8))) = {#fn, sig, fn}

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

/* Is [p, p + len) valid UTF-8 (what the host requires of strings)? Strings
 * from an interpreter (CESU-8, byte strings) may not be: send those as bytes. */
bool kvmlet_utf8_valid(const void *p, size_t len);

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

#define KVMLET_I64(x)  ((struct kvmlet_value){.type = KVMLET_T_I64, .i64 = (x)})
#define KVMLET_U64(x)  ((struct kvmlet_value){.type = KVMLET_T_U64, .u64 = (x)})
#define KVMLET_F64(x)  ((struct kvmlet_value){.type = KVMLET_T_F64, .f64 = (x)})
#define KVMLET_BOOL(x) ((struct kvmlet_value){.type = KVMLET_T_BOOL, .b = (x)})
#define KVMLET_STR(s) \
	((struct kvmlet_value){.type = KVMLET_T_STR, .len = (uint32_t)strlen(s), .ptr = (s)})
#define KVMLET_BYTES(p, n) \
	((struct kvmlet_value){.type = KVMLET_T_BYTES, .len = (uint32_t)(n), .ptr = (p)})

/*
 * kvmlet_host_call: call the host function name with nargs arguments. On
 * success returns 0 and *result holds its result (strings and bytes point
 * into the host-call buffer, valid until the next host call). Returns -1 if
 * the host function failed or does not exist, with *result a KVMLET_T_STR
 * message. KVMLET_HOST_CALL(&res, "name", KVMLET_I64(1), ...) counts for you.
 */
int kvmlet_host_call(const char *name, const struct kvmlet_value *args, unsigned nargs,
		     struct kvmlet_value *result);
#define KVMLET_HOST_CALL(res, name, ...)                                      \
	kvmlet_host_call(name, (const struct kvmlet_value[]){__VA_ARGS__},    \
			 sizeof((const struct kvmlet_value[]){__VA_ARGS__}) / \
				 sizeof(struct kvmlet_value),                 \
			 res)

#ifdef __cplusplus
}
#endif

#endif /* KVMLET_CALL_H */
