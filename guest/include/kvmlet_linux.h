/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_linux.h: guest functions in a static Linux program (musl-gcc -static
 * or gcc -static): the same KVMLET_EXPORT, arguments, results and host calls
 * as freestanding guests (kvmlet_call.h), with libc. main sets up what the
 * calls need, then calls kvmlet_serve(). See docs/languages.md.
 *
 *     static int add(struct kvmlet_call *c)
 *     {
 *             return kvmlet_ret_i64(c, kvmlet_arg_i64(c, 0) + kvmlet_arg_i64(c, 1));
 *     }
 *     KVMLET_EXPORT(add, "ii:i");
 *
 *     int main(void) { return kvmlet_serve(); }
 */
#ifndef KVMLET_LINUX_H
#define KVMLET_LINUX_H

#include <string.h> /* strlen, for KVMLET_STR */

#define KVMLET_EXPORT_SECTION "kvmlet_exports"
#include "kvmlet_call.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The stack calls run on (kvmlet_serve maps it, with a guard page below). */
#define KVMLET_CALL_STACK_SIZE (1u << 20)

/*
 * kvmlet_serve: report the exports to the host (READY) and serve its calls.
 * Every call runs on a stack of its own (main's frames, argv and the
 * environment stay as they are), with main's heap, globals and TLS; output
 * written during a call (stdio is flushed after each) reaches the host's
 * output. Under kvmlet_init/kvmlet_call it does not return: the host takes
 * its snapshot here and calls from it. Under kvmlet_run it returns 0 at once,
 * and main goes on. Returns -1 (errno set) if the call stack cannot be mapped,
 * or when not running under kvmlet (no boot info: errno ENOTSUP).
 */
int kvmlet_serve(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMLET_LINUX_H */
