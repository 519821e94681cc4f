/*
 * test_lang.c: the JavaScript and Lua guests (guest/js, guest/lua), built
 * twice: test_js (-DLANG_JS) and test_lua. Each evaluates expressions, fails
 * script errors as guest errors with the message, calls a host function and
 * is refused one that is not registered, is stopped in an endless loop by the
 * time limit and works again after a reset, leaks nothing between reset
 * calls, ends an allocation without end as a guest error, ends every kind of
 * deep recursion (script calls through native code, the compiler, regular
 * expressions, JSON both ways, cycles) as the interpreter's own error within
 * kvmlet's 1 MiB call stack, not as a fault, loads no binary chunk (Lua), and
 * runs 200 calls from one template. The guest is $KVMLET_GUEST_DIR/js.elf or lua.elf.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"

struct lang {
	const char *guest;
	const char *script; /* loaded at start-up: bump() and add(a, b) */
	const char *sum, *sum_want;
	const char *squares, *squares_want;
	const char *throws, *throws_want, *syntax, *syntax_want;
	const char *host_sq, *host_bad, *host_type;
	const char *spin, *oom, *define, *defined;
	const char *concat, *print_want;
	/* Recursion without end, each with the interpreter's error: {source, error}. */
	const char *deep[8][2];
	const char *deep_arg_want; /* call("add", 20000 nested arrays) */
	/* What a script can load: {source, result} */
	const char *loads[5][2];
	/* A global whose lookup throws "no globals here"; a global holding all memory. */
	const char *throwing_global, *hoard;
};

#ifdef LANG_JS
static const struct lang L = {
	.guest = "js",
	.script = "var n = 0; function bump() { n++; return n; }\n"
		  "function add(a, b) { return [a + b, a, b]; }",
	.sum = "1 + 2 * 3",
	.sum_want = "7",
	.squares = "[1,2,3].map(function(x){return x*x})",
	.squares_want = "[1,4,9]",
	.throws = "\nthrow new Error('boom')",
	.throws_want = "Error: boom (line 2)",
	.syntax = "1 +",
	.syntax_want = "SyntaxError",
	.host_sq = "host.call('square', 7) + 1",
	.host_bad = "host.call('nope', 1)",
	.host_type = "host.call('square', 'seven')",
	.spin = "while (true) {}",
	.oom = "var a = []; for (;;) a.push(new Uint8Array(1 << 20));",
	.define = "var leaked = 1; leaked",
	.defined = "typeof leaked",
	.concat = "'caf\xc3\xa9' + '!'",
	.print_want = "hello 42\n",
	.deep =
		{
			{"/(a*)*b/.test('a'.repeat(40))",
			 "RangeError: regexp executor recursion limit"},
			{"new RegExp('('.repeat(20000) + ')'.repeat(20000))",
			 "RangeError: regexp compiler recursion limit"},
			{"eval('(function(){'.repeat(20000) + '})'.repeat(20000))",
			 "RangeError: compiler recursion limit"},
			{"var o = {}; Object.defineProperty(o, 'x', {get: function() { return "
			 "this.x }}); o.x",
			 "RangeError: C stack depth limit"},
			/* native recursion to its limit, then the compiler to its own from
			 * the deepest level that can still call eval */
			{"function f(n) { return [1].map(function() { try { return f(n + 1) } "
			 "catch (e) {"
			 " if (String(e).indexOf('compiler') >= 0) throw e;"
			 " return eval('(function(){'.repeat(20000) + '})'.repeat(20000)) } })[0] "
			 "} f(0)",
			 "RangeError: compiler recursion limit"},
			{"var a = []; a.push(a); a", "TypeError: cyclic input"},
			{"var a = []; for (var i = 0; i < 5000; i++) a = [a]; JSON.stringify(a)",
			 "RangeError: encode recursion limit"},
		},
	.deep_arg_want = "RangeError: decode recursion limit",
	.throwing_global = "Object.defineProperty(this, 'missing', {get: function() {"
			   " throw new Error('no globals here') }}); 1",
	.hoard = "big = []; for (;;) big.push(new Uint8Array(1 << 20))",
};
#else
static const struct lang L = {
	.guest = "lua",
	.script = "n = 0; function bump() n = n + 1; return n end\n"
		  "function add(a, b) return {a + b, a, b} end",
	.sum = "1 + 2 * 3",
	.sum_want = "7",
	.squares = "(function() local t = {} for i = 1, 3 do t[i] = i * i end return t end)()",
	.squares_want = "[1,4,9]",
	.throws = "\nerror('boom')",
	.throws_want = "eval:2: boom",
	.syntax = "1 +",
	.syntax_want = "eval:1:",
	.host_sq = "host.square(7) + host.call('square', 0) + 1",
	.host_bad = "host.nope(1)",
	.host_type = "host.call('square', 'seven')",
	.spin = "while true do end",
	.oom = "local t = {} while true do t[#t + 1] = string.rep('x', 1 << 20) .. #t end",
	.define = "leaked = 1; return leaked",
	.defined = "type(leaked)",
	.concat = "'caf\xc3\xa9' .. '!'",
	.print_want = "hello\t42\n",
	.deep =
		{
			{"local t = setmetatable({}, {__index = function(t, k) return t[k .. 'x'] "
			 "end})"
			 " return t.a",
			 "C stack overflow"},
			{"return assert(load('return ' .. string.rep('(', 100000) .. '1' .. "
			 "string.rep(')', 100000)))()",
			 "C stack overflow"},
			{"local function f(n) return (string.gsub('a', 'a', function() return f(n "
			 "+ 1) end))"
			 " end return f(0)",
			 "C stack overflow"},
			{"return string.find(string.rep('a', 30000), string.rep('a?', 30000) .. "
			 "string.rep('a', 30000))",
			 "pattern too complex"},
			{"local t = {}; t[1] = t; return t",
			 "JSON: nested deeper than 100 (a cycle?)"},
		},
	.deep_arg_want = "nested too deep",
	/* Text, never binary chunks (unchecked bytecode) */
	.loads =
		{
			{"select(2, load(string.dump(function() return 42 end)))",
			 "\"attempt to load a binary chunk (mode is 't')\""},
			{"load('return 6 * 7')()", "42"},
			{"load('return x', 'x', 'bt', {x = 5})()", "5"},
			{"load(function() return nil end) ~= nil", "true"},
			{"select(2, load('return 1', 'one', 'b'))",
			 "\"attempt to load a text chunk (mode is '')\""},
		},
	.throwing_global =
		"setmetatable(_G, {__index = function(t, k) error('no globals here') end})",
	.hoard = "(function() big = {} for i = 1, 1e9 do big[i] = string.rep('x', 1000) .. i end "
		 "end)()",
};
#endif

static int host_square(void *arg, const struct kvmlet_value *args, unsigned nargs,
		       struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 * args[0].i64);
	return 0;
}

static struct kvmtest_output output;

/* The guest with the script loaded at start-up (-e), square registered. */
static struct kvmlet_sandbox *start(bool reset_each_call, uint64_t timeout_ns)
{
	const char *argv[] = {L.guest, "-e", L.script};
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.reset_each_call = reset_each_call;
	cfg.timeout_ns = timeout_ns;
	sb = kvmtest_sandbox(L.guest, &cfg);
	ck_assert_msg(kvmlet_set_args(sb, 3, argv, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_register(sb, "square", "i:i", host_square, NULL, &err) == 0, "%s",
		      err.msg);
	output.len = 0;
	output.buf[0] = '\0';
	kvmlet_set_output(sb, kvmtest_capture, &output);
	ck_assert_msg(kvmlet_init(sb, &err) == 0, "init: %s", err.msg);
	return sb;
}

/* eval(src): 0 and the result in out, or the error code and message in out. */
static int eval(struct kvmlet_sandbox *sb, const char *src, char *out, size_t outlen)
{
	struct kvmlet_value a = kvmlet_str(src, strlen(src)), r;
	struct kvmlet_error err;
	int rc = kvmlet_call(sb, "eval", &a, 1, &r, &err);

	if (rc == 0) {
		ck_assert_int_eq(r.type, KVMLET_TYPE_STR);
		snprintf(out, outlen, "%.*s", (int)r.buf.len, (const char *)r.buf.ptr);
	} else {
		snprintf(out, outlen, "%s", err.msg);
	}
	return rc;
}

static void eval_ok(struct kvmlet_sandbox *sb, const char *src, const char *want)
{
	char out[512];

	ck_assert_msg(eval(sb, src, out, sizeof(out)) == 0, "eval(%s): %s", src, out);
	ck_assert_msg(!strcmp(out, want), "eval(%s) = %s, want %s", src, out, want);
}

static void eval_fails(struct kvmlet_sandbox *sb, const char *src, const char *want)
{
	char out[512];
	int rc = eval(sb, src, out, sizeof(out));

	ck_assert_msg(rc == -EREMOTEIO, "eval(%s): %d (%s), want a guest error", src, rc, out);
	ck_assert_msg(strstr(out, want), "eval(%s) failed with '%s', want '%s'", src, out, want);
}

static const char *call(struct kvmlet_sandbox *sb, const char *fn, const char *json)
{
	static char out[512];
	struct kvmlet_value a[2] = {kvmlet_str(fn, strlen(fn)), kvmlet_str(json, strlen(json))}, r;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, "call", a, 2, &r, &err) == 0, "call(%s): %s", fn, err.msg);
	snprintf(out, sizeof(out), "%.*s", (int)r.buf.len, (const char *)r.buf.ptr);
	return out;
}

START_TEST(evaluates)
{
	struct kvmlet_sandbox *sb = start(false, 0);

	eval_ok(sb, L.sum, L.sum_want);
	eval_ok(sb, L.squares, L.squares_want);
	eval_ok(sb, L.concat, "\"caf\xc3\xa9!\"");
	ck_assert_str_eq(call(sb, "add", "[2, 40]"), "[42,2,40]");
	ck_assert_str_eq(call(sb, "add", " [2.5, -1]"), "[1.5,2.5,-1]");
	eval_ok(sb, "print('hello', 42)", "null");
	ck_assert_str_eq(output.buf, L.print_want);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(script_errors)
{
	struct kvmlet_sandbox *sb = start(false, 0);
	struct kvmlet_value a[2] = {kvmlet_str("missing", 7), kvmlet_str("[]", 2)}, r;
	struct kvmlet_error err;

	eval_fails(sb, L.throws, L.throws_want);
	eval_fails(sb, L.syntax, L.syntax_want);
	ck_assert_int_eq(kvmlet_call(sb, "call", a, 2, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, "no function"), "%s", err.msg);
	a[0] = kvmlet_str("add", 3);
	a[1] = kvmlet_str("{\"a\": 1}", 8);
	ck_assert_int_eq(kvmlet_call(sb, "call", a, 2, &r, &err), -EREMOTEIO);
	a[1] = kvmlet_str("[1,", 3);
	ck_assert_int_eq(kvmlet_call(sb, "call", a, 2, &r, &err), -EREMOTEIO);
	eval_ok(sb, L.sum, L.sum_want); /* and it goes on */
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(host_functions)
{
	struct kvmlet_sandbox *sb = start(false, 0);

	eval_ok(sb, L.host_sq, "50");
	eval_fails(sb, L.host_bad, "no host function named nope");
	eval_fails(sb, L.host_type, "argument 1 is str");
	eval_ok(sb, L.sum, L.sum_want);
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(time_limit_then_reset)
{
	struct kvmlet_sandbox *sb = start(false, 300 * 1000 * 1000ull);
	struct kvmlet_error err;
	char out[512];

	ck_assert_int_eq(eval(sb, L.spin, out, sizeof(out)), -ETIMEDOUT);
	ck_assert_int_lt(eval(sb, L.sum, out, sizeof(out)), 0); /* poisoned until reset */
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
	eval_ok(sb, L.sum, L.sum_want);
	ck_assert_str_eq(call(sb, "bump", "[]"), "1");
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(out_of_memory_is_a_guest_error)
{
	struct kvmlet_sandbox *sb = start(false, 20 * 1000 * 1000 * 1000ull);
	struct kvmlet_error err;
	char out[512];
	int rc = eval(sb, L.oom, out, sizeof(out));

	/* the interpreter's own error, or a fault of the guest: never the host's */
	ck_assert_msg(rc == -EREMOTEIO || rc == -EFAULT || rc == -ECONNABORTED,
		      "allocating without end: %d (%s)", rc, out);
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
	eval_ok(sb, L.sum, L.sum_want);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Each recursion ends as a guest error, and the same sandbox goes on without
 * a reset; load takes text, never unchecked bytecode. */
START_TEST(hostile_scripts_end_as_guest_errors)
{
	struct kvmlet_sandbox *sb = start(false, 60 * 1000 * 1000 * 1000ull);
	struct kvmlet_value a[2], r;
	struct kvmlet_error err;
	size_t n = 20000;
	char *deep = malloc(2 * n);

	for (unsigned i = 0; i < sizeof(L.deep) / sizeof(L.deep[0]) && L.deep[i][0]; i++) {
		eval_fails(sb, L.deep[i][0], L.deep[i][1]);
		eval_ok(sb, L.sum, L.sum_want);
	}
	ck_assert_ptr_nonnull(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	a[0] = kvmlet_str("add", 3);
	a[1] = kvmlet_str(deep, 2 * n);
	ck_assert_int_eq(kvmlet_call(sb, "call", a, 2, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, L.deep_arg_want), "%s", err.msg);
	free(deep);
	ck_assert_str_eq(call(sb, "add", "[2, 40]"), "[42,2,40]");
	for (unsigned i = 0; i < sizeof(L.loads) / sizeof(L.loads[0]) && L.loads[i][0]; i++)
		eval_ok(sb, L.loads[i][0], L.loads[i][1]);
	kvmlet_sandbox_free(sb);
}
END_TEST

/* Whatever a script did to its globals or its memory, a call is a guest error
 * at worst, never a fault of the interpreter's glue (an error raised outside
 * protected mode), and the sandbox goes on. */
START_TEST(scripts_cannot_break_the_glue)
{
	struct kvmlet_sandbox *sb = start(false, 60 * 1000 * 1000 * 1000ull);
	struct kvmlet_value a[2] = {kvmlet_str("missing", 7), kvmlet_str("[]", 2)}, r;
	struct kvmlet_error err;
	char out[512];

	eval(sb, L.throwing_global, out, sizeof(out));
	ck_assert_int_eq(kvmlet_call(sb, "call", a, 2, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, "no globals here"), "%s", err.msg);
	eval_ok(sb, L.sum, L.sum_want);
	ck_assert_str_eq(call(sb, "add", "[2, 40]"), "[42,2,40]");
	a[0] = kvmlet_str("add\0x", 5); /* names end at no NUL */
	ck_assert_int_eq(kvmlet_call(sb, "call", a, 2, &r, &err), -EREMOTEIO);
	ck_assert_msg(strstr(err.msg, "NUL"), "%s", err.msg);

	ck_assert_int_eq(eval(sb, L.hoard, out, sizeof(out)), -EREMOTEIO);
	for (int i = 0; i < 5; i++) { /* memory stays taken: answers or errors, no fault */
		int rc = eval(sb, L.sum, out, sizeof(out));
		ck_assert_msg(rc == 0 || rc == -EREMOTEIO, "with memory taken: %d (%s)", rc, out);
		a[0] = kvmlet_str("add", 3);
		a[1] = kvmlet_str("[1, 2]", 6);
		rc = kvmlet_call(sb, "call", a, 2, &r, &err);
		ck_assert_msg(rc == 0 || rc == -EREMOTEIO, "with memory taken: %d (%s)", rc,
			      err.msg);
	}
	kvmlet_sandbox_free(sb);
}
END_TEST

START_TEST(resets_leak_nothing)
{
	struct kvmlet_sandbox *sb = start(true, 0), *keep = start(false, 0);
	char want[16];

	for (int i = 1; i <= 5; i++) {
		snprintf(want, sizeof(want), "%d", i);
		ck_assert_str_eq(call(sb, "bump", "[]"), "1");
		ck_assert_str_eq(call(keep, "bump", "[]"), want);
	}
	eval_ok(sb, L.define, "1");
	eval_ok(sb, L.defined, L.guest[0] == 'j' ? "\"undefined\"" : "\"nil\"");
	eval_ok(keep, L.define, "1");
	eval_ok(keep, L.defined, "\"number\"");
	kvmlet_sandbox_free(sb);
	kvmlet_sandbox_free(keep);
}
END_TEST

START_TEST(two_hundred_calls_from_a_template)
{
	struct kvmlet_sandbox *base = start(false, 0), *sb;
	struct kvmlet_template *t;
	struct kvmlet_error err;
	char args[64], want[64];

	ck_assert_msg(kvmlet_template_new(&t, base, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_sandbox_from_template(&sb, t, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 200; i++) {
		if (i > 0)
			ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%d: %s", i, err.msg);
		snprintf(args, sizeof(args), "[%d, %d]", i, 3 * i);
		snprintf(want, sizeof(want), "[%d,%d,%d]", 4 * i, i, 3 * i);
		ck_assert_str_eq(call(sb, "add", args), want);
		ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%d: %s", i, err.msg);
		ck_assert_str_eq(call(sb, "bump", "[]"), "1");
	}
	kvmlet_sandbox_free(sb);
	kvmlet_template_free(t);
	kvmlet_sandbox_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(L.guest);
	TCase *tc = tcase_create("lang");
	char path[4096];
	const char *dirs = getenv("KVMLET_GUEST_DIR");

	kvmtest_require_kvm();
	/* Built only with Debian's sources (duktape-dev, liblua5.4-dev). */
	for (const char *d = dirs ? dirs : ""; *d;) {
		size_t n = strcspn(d, ":");
		snprintf(path, sizeof(path), "%.*s/%s.elf", (int)n, d, L.guest);
		FILE *f = fopen(path, "rb");
		if (f) {
			fclose(f);
			break;
		}
		path[0] = '\0';
		d += n + (d[n] == ':');
	}
	if (!dirs || !path[0]) {
		printf("SKIP: no %s.elf in KVMLET_GUEST_DIR (%s)\n", L.guest,
		       dirs ? dirs : "unset");
		return 77;
	}
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, evaluates);
	tcase_add_test(tc, script_errors);
	tcase_add_test(tc, host_functions);
	tcase_add_test(tc, time_limit_then_reset);
	tcase_add_test(tc, out_of_memory_is_a_guest_error);
	tcase_add_test(tc, hostile_scripts_end_as_guest_errors);
	tcase_add_test(tc, scripts_cannot_break_the_glue);
	tcase_add_test(tc, resets_leak_nothing);
	tcase_add_test(tc, two_hundred_calls_from_a_template);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
