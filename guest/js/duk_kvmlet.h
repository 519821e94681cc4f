/* SPDX-License-Identifier: MIT */
/*
 * duk_kvmlet.h: included before Debian's duktape.c (-include): Duktape's
 * own configuration, then the recursion limits of js_limits.h in place of
 * its defaults (duk_config.h sets them without #ifndef, so they are undone
 * after it, not before).
 */
#define DUK_COMPILING_DUKTAPE
#include "duk_config.h"
#include "js_limits.h"

#undef DUK_USE_NATIVE_STACK_CHECK
#define DUK_USE_NATIVE_STACK_CHECK() ((uintptr_t)__builtin_frame_address(0) < js_stack_floor)
#undef DUK_USE_COMPILER_RECLIMIT
#define DUK_USE_COMPILER_RECLIMIT JS_COMPILER_LEVELS
#undef DUK_USE_REGEXP_COMPILER_RECLIMIT
#define DUK_USE_REGEXP_COMPILER_RECLIMIT JS_RE_COMPILER_LEVELS
#undef DUK_USE_REGEXP_EXECUTOR_RECLIMIT
#define DUK_USE_REGEXP_EXECUTOR_RECLIMIT JS_RE_EXECUTOR_LEVELS
