/* SPDX-License-Identifier: MIT */
/*
 * js.c: a JavaScript guest. Duktape (Debian's duktape-dev sources, compiled
 * at build time) in a static Linux program; exports eval and call, and init
 * for loading a script by bytes. Script code sees the ECMAScript built-ins,
 * print, and host.call(name, ...) for the functions the host registered;
 * nothing else (Duktape has no I/O of its own). See docs/languages.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duktape.h"
#include "kvmlet_linux.h"
#include "js_limits.h"
#include "lang.h"

static duk_context *ctx;

uintptr_t js_stack_floor;

/* Duktape is entered from here: its native recursion may use JS_NATIVE_STACK
 * more of the stack (js_limits.h), then ends in a RangeError. */
static void stack_floor_here(void)
{
	const uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	js_stack_floor = sp > JS_NATIVE_STACK ? sp - JS_NATIVE_STACK : 0;
}

/* A Duktape error that escaped every protected call: end the run, saying why. */
static void fatal(void *udata, const char *msg)
{
	(void)udata;
	kvmlet_abort(msg ? msg : "duktape: fatal error");
}

/* The error on top as "Error: message (line N)" (reading lineNumber may run
 * script code: a getter; so this runs in protected mode too). */
static duk_ret_t error_text_safe(duk_context *c, void *udata)
{
	int line = -1;

	(void)udata;
	if (duk_is_error(c, -1)) {
		duk_get_prop_string(c, -1, "lineNumber");
		if (duk_is_number(c, -1))
			line = duk_get_int(c, -1);
		duk_pop(c);
	}
	const char *s = duk_safe_to_string(c, -1);
	if (line >= 0 && !strstr(s, "(line "))
		duk_push_sprintf(c, "%s (line %d)", s, line);
	return 1;
}

/* Replace the error on top with its text; returns it. */
static const char *error_text(void)
{
	duk_safe_call(ctx, error_text_safe, NULL, 1, 1);
	return duk_safe_to_string(ctx, -1);
}

/* Replace the value on top with its JSON text (undefined, functions: null). */
static void to_json(void)
{
	duk_json_encode(ctx, -1);
	if (!duk_is_string(ctx, -1)) {
		duk_pop(ctx);
		duk_push_string(ctx, "null");
	}
}

struct src {
	const char *p;
	size_t len;
	const char *name;
	duk_uint_t flags;
};

/* Compile and run source; eval code leaves its completion value as JSON. */
static duk_ret_t run_safe(duk_context *c, void *udata)
{
	const struct src *s = udata;

	duk_push_lstring(c, s->p, s->len);
	duk_push_string(c, s->name);
	duk_compile(c, s->flags);
	duk_call(c, 0);
	to_json();
	return 1;
}

/* call(name, json_args): the global function name, with the array's elements. */
static duk_ret_t call_safe(duk_context *c, void *udata)
{
	const struct src *s = udata; /* p, len: the JSON arguments; name: the function */
	duk_idx_t fn = duk_get_top(c);

	if (!duk_get_global_string(c, s->name) || !duk_is_function(c, fn))
		return duk_type_error(c, "no function named %s", s->name);
	duk_push_lstring(c, s->len ? s->p : "[]", s->len ? s->len : 2);
	duk_json_decode(c, -1);
	if (!duk_is_array(c, -1))
		return duk_type_error(c, "the arguments must be a JSON array");
	duk_size_t n = duk_get_length(c, -1);
	if (n > 255)
		return duk_range_error(c, "at most 255 arguments");
	for (duk_size_t i = 0; i < n; i++)
		duk_get_prop_index(c, fn + 1, (duk_uarridx_t)i);
	duk_remove(c, fn + 1);
	duk_call(c, (duk_idx_t)n);
	to_json();
	return 1;
}

/* Run f in protected mode; set the call's result (the JSON text, unless
 * the export returns nothing) or its error. */
static int finish(struct kvmlet_call *c, duk_safe_call_function f, struct src *s, bool result)
{
	duk_idx_t top = duk_get_top(ctx);
	duk_size_t len = 0;
	const char *out;
	int r = 0;

	stack_floor_here();
	if (duk_safe_call(ctx, f, s, 0, 1) != DUK_EXEC_SUCCESS) {
		r = lang_ret_error(c, error_text());
	} else if (result) {
		out = duk_get_lstring(ctx, -1, &len);
		if (kvmlet_utf8_valid(out, len))
			r = kvmlet_ret_str(c, out, len);
		else
			r = kvmlet_ret_error(c,
					     "the result is not valid UTF-8 (a lone surrogate?)");
	}
	duk_set_top(ctx, top);
	return r;
}

static int eval(struct kvmlet_call *c)
{
	struct src s = {.name = "eval", .flags = DUK_COMPILE_EVAL};

	s.p = kvmlet_arg_str(c, 0, &s.len);
	return finish(c, run_safe, &s, true);
}
KVMLET_EXPORT(eval, "s:s");

static int call(struct kvmlet_call *c)
{
	struct src s;

	if (!(s.name = lang_call_name(c)))
		return -1;
	s.p = kvmlet_arg_str(c, 1, &s.len);
	return finish(c, call_safe, &s, true);
}
KVMLET_EXPORT(call, "ss:s");

/* init(script): run a program (its functions become globals). For sandboxes
 * without resets: a reset returns to start-up, before it (load the script at
 * start-up instead, see main). */
static int init(struct kvmlet_call *c)
{
	struct src s = {.name = "init", .flags = 0};

	s.p = kvmlet_arg_bytes(c, 0, &s.len);
	return finish(c, run_safe, &s, false);
}
KVMLET_EXPORT(init, "y:v");

/* One JS value as a host call argument; throws for what has no kvmlet type. */
static void host_arg(duk_context *c, duk_idx_t i, struct kvmlet_value *v)
{
	duk_size_t len;
	double d;

	switch (duk_get_type(c, i)) {
	case DUK_TYPE_NUMBER:
		d = duk_get_number(c, i);
		/* integral and within int64: i64; anything else: f64 */
		if (d == trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
			*v = KVMLET_I64((int64_t)d);
		else
			*v = KVMLET_F64(d);
		return;
	case DUK_TYPE_BOOLEAN:
		*v = KVMLET_BOOL(duk_get_boolean(c, i));
		return;
	case DUK_TYPE_STRING: {
		const char *p = duk_get_lstring(c, i, &len);
		if (!kvmlet_utf8_valid(p, len) || len > UINT32_MAX)
			(void)duk_type_error(c, "host.call: argument %d is not valid UTF-8",
					     (int)i);
		*v = (struct kvmlet_value){.type = KVMLET_T_STR, .len = (uint32_t)len, .ptr = p};
		return;
	}
	case DUK_TYPE_BUFFER:
	case DUK_TYPE_OBJECT:
		if (duk_is_buffer_data(c, i)) {
			void *p = duk_get_buffer_data(c, i, &len);
			*v = KVMLET_BYTES(p, len);
			return;
		}
		/* fall through */
	default:
		(void)duk_type_error(c,
				     "host.call: argument %d is not a number, boolean, string "
				     "or Uint8Array",
				     (int)i);
	}
}

/* host.call(name, ...): a host function the host registered, with its checks. */
static duk_ret_t host_call(duk_context *c)
{
	struct kvmlet_value args[KVMLET_MAX_VALUES], r;
	duk_idx_t n = duk_get_top(c);
	const char *name = duk_require_string(c, 0);

	if (n - 1 > (duk_idx_t)KVMLET_MAX_VALUES)
		return duk_range_error(c, "host.call: at most %u arguments", KVMLET_MAX_VALUES);
	for (duk_idx_t i = 1; i < n; i++)
		host_arg(c, i, &args[i - 1]);
	if (kvmlet_host_call(name, args, (unsigned)(n - 1), &r) < 0)
		return duk_error(c, DUK_ERR_ERROR, "%.*s", (int)r.len, (const char *)r.ptr);
	switch (r.type) {
	case KVMLET_T_I64:
		duk_push_number(c, (double)r.i64);
		break;
	case KVMLET_T_U64:
		duk_push_number(c, (double)r.u64);
		break;
	case KVMLET_T_F64:
		duk_push_number(c, r.f64);
		break;
	case KVMLET_T_BOOL:
		duk_push_boolean(c, r.b);
		break;
	case KVMLET_T_STR:
		duk_push_lstring(c, r.ptr, r.len);
		break;
	case KVMLET_T_BYTES:
		memcpy(duk_push_fixed_buffer(c, r.len), r.ptr, r.len);
		break;
	default:
		duk_push_undefined(c);
	}
	return 1;
}

/* print(...): the arguments as strings, space-separated, on stdout. */
static duk_ret_t print(duk_context *c)
{
	duk_idx_t n = duk_get_top(c);

	for (duk_idx_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", duk_safe_to_string(c, i));
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	struct src s = {.flags = 0};
	char *script = NULL;
	int r;

	if (!(ctx = duk_create_heap(NULL, NULL, NULL, NULL, fatal))) {
		fprintf(stderr, "js: cannot create the Duktape heap\n");
		return 1;
	}
	duk_push_object(ctx);
	duk_push_c_function(ctx, host_call, DUK_VARARGS);
	duk_put_prop_string(ctx, -2, "call");
	duk_put_global_string(ctx, "host");
	duk_push_c_function(ctx, print, DUK_VARARGS);
	duk_put_global_string(ctx, "print");
	if ((r = lang_script(argc, argv, "/init.js", &script, &s.len, &s.name)) < 0)
		return 1;
	if (r > 0) {
		s.p = script;
		stack_floor_here();
		if (duk_safe_call(ctx, run_safe, &s, 0, 1) != DUK_EXEC_SUCCESS) {
			fprintf(stderr, "js: %s: %s\n", s.name, error_text());
			return 1;
		}
		duk_pop(ctx);
		free(script);
	}
	if (kvmlet_serve() < 0) {
		perror("js: kvmlet_serve");
		return 1;
	}
	return 0; /* kvmlet run: the script ran; nothing to serve */
}
