/* SPDX-License-Identifier: MIT */
/*
 * js_limits.h: how deep Duktape may recurse in C. Every call runs on
 * kvmlet's 1 MiB call stack (KVMLET_CALL_STACK_SIZE), and Duktape's own
 * limits assume a Linux thread's 8 MiB: a regular expression such as
 * /(a*)*b/ on 40 characters needed 1.3 MiB before its limit struck, so the
 * call ended in a page fault instead of a RangeError. Measured with
 * musl-gcc -O2 as js.elf is built, per level of each limit:
 *
 *   native calls (getters, callbacks, eval)   ~1.0 KiB   (limit: the stack)
 *   JavaScript compiler (nested functions)     0.33 KiB  x 750
 *   regexp compiler (nested groups)            0.18 KiB  x 1000
 *   regexp executor (backtracking)             0.13 KiB  x 2000
 *
 * Native recursion (and JSON's, which Duktape checks the same way) stops
 * JS_NATIVE_STACK below where the call entered Duktape; a compile (of an
 * eval, with a regexp literal in it) or a match may then still take its
 * limit's worth: 384 + 250 + 180 = 814 of 1024 KiB at most.
 * duk_kvmlet.h gives duktape.c these; js.c sets the floor at every entry.
 */
#ifndef KVMLET_JS_LIMITS_H
#define KVMLET_JS_LIMITS_H

#include <stdint.h>

#define JS_NATIVE_STACK	      (384u << 10)
#define JS_COMPILER_LEVELS    750
#define JS_RE_COMPILER_LEVELS 1000
#define JS_RE_EXECUTOR_LEVELS 2000

/* Below this stack address Duktape's native stack check throws RangeError
 * (0: not in Duktape yet, no check). */
extern uintptr_t js_stack_floor;

#endif
