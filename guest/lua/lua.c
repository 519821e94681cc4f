/* SPDX-License-Identifier: MIT */
/*
 * lua.c: a Lua 5.4 guest: Debian's liblua5.4.a in a static glibc program.
 * Exports eval, call and init; script code sees the base library (without
 * dofile and loadfile), string, table, math, utf8 and coroutine, print, and
 * the host table: host.call(name, ...) or host.name(...) for the functions
 * the host registered. No io, os, package or debug. See docs/languages.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "kvmlet_linux.h"
#include "lang.h"
#include "lua_json.h"

static lua_State *L;

/* One Lua value as a host call argument; raises for what has no kvmlet type. */
static void host_arg(lua_State *l, int i, struct kvmlet_value *v)
{
	size_t len;
	const char *s;

	switch (lua_type(l, i)) {
	case LUA_TNUMBER:
		*v = lua_isinteger(l, i) ? KVMLET_I64(lua_tointeger(l, i))
					 : KVMLET_F64(lua_tonumber(l, i));
		return;
	case LUA_TBOOLEAN:
		*v = KVMLET_BOOL(lua_toboolean(l, i));
		return;
	case LUA_TSTRING: /* Lua strings are bytes: valid UTF-8 goes as a string */
		s = lua_tolstring(l, i, &len);
		if (len > UINT32_MAX)
			luaL_error(l, "host.call: argument %d is too long", i - 1);
		*v = kvmlet_utf8_valid(s, len) ? (struct kvmlet_value){.type = KVMLET_T_STR,
								       .len = (uint32_t)len,
								       .ptr = s}
					       : KVMLET_BYTES(s, len);
		return;
	default:
		luaL_error(l, "host.call: argument %d is a %s (numbers, booleans and strings only)",
			   i - 1, luaL_typename(l, i));
	}
}

/* host.call(name, ...): a host function the host registered, with its checks. */
static int host_call(lua_State *l)
{
	struct kvmlet_value args[KVMLET_MAX_VALUES], r;
	int n = lua_gettop(l);
	const char *name = luaL_checkstring(l, 1);

	if (n - 1 > (int)KVMLET_MAX_VALUES)
		return luaL_error(l, "host.call: at most %d arguments", (int)KVMLET_MAX_VALUES);
	for (int i = 2; i <= n; i++)
		host_arg(l, i, &args[i - 2]);
	if (kvmlet_host_call(name, args, (unsigned)(n - 1), &r) < 0) {
		lua_pushlstring(l, r.ptr, r.len);
		return lua_error(l);
	}
	switch (r.type) {
	case KVMLET_T_I64:
		lua_pushinteger(l, r.i64);
		return 1;
	case KVMLET_T_U64:
		if (r.u64 <= (uint64_t)LUA_MAXINTEGER)
			lua_pushinteger(l, (lua_Integer)r.u64);
		else
			lua_pushnumber(l, (lua_Number)r.u64);
		return 1;
	case KVMLET_T_F64:
		lua_pushnumber(l, r.f64);
		return 1;
	case KVMLET_T_BOOL:
		lua_pushboolean(l, r.b);
		return 1;
	case KVMLET_T_STR:
	case KVMLET_T_BYTES:
		lua_pushlstring(l, r.ptr, r.len);
		return 1;
	default:
		return 0;
	}
}

/* host.NAME: a function calling host.call("NAME", ...). */
static int host_bound(lua_State *l)
{
	lua_pushvalue(l, lua_upvalueindex(1));
	lua_insert(l, 1);
	return host_call(l);
}

static int host_index(lua_State *l)
{
	luaL_checkstring(l, 2);
	lua_pushvalue(l, 2);
	lua_pushcclosure(l, host_bound, 1);
	return 1;
}

/*
 * load(chunk [, name [, mode [, env]]]) without binary chunks: Lua does not
 * check precompiled bytecode, and a crafted chunk reads and writes wherever
 * it likes in the guest. The mode loses its 'b' ("bt" by default: "t"; "b":
 * nothing loads); the other arguments reach Lua's load as given (an absent
 * env stays absent).
 */
static int load_text(lua_State *l)
{
	const char *mode = luaL_optstring(l, 3, "bt");

	if (lua_gettop(l) < 3)
		lua_settop(l, 3); /* chunk, name, mode[, env] */
	lua_pushstring(l, strchr(mode, 't') ? "t" : "");
	lua_replace(l, 3);
	lua_pushvalue(l, lua_upvalueindex(1));
	lua_insert(l, 1);
	lua_call(l, lua_gettop(l) - 1, LUA_MULTRET);
	return lua_gettop(l);
}

static void open_libs(void)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base},	 {LUA_COLIBNAME, luaopen_coroutine},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
		{LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}};

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	lua_getglobal(L, "load");
	lua_pushcclosure(L, load_text, 1);
	lua_setglobal(L, "load");
	lua_pushnil(L); /* they read files */
	lua_setglobal(L, "dofile");
	lua_pushnil(L);
	lua_setglobal(L, "loadfile");
	lua_newtable(L); /* host */
	lua_pushcfunction(L, host_call);
	lua_setfield(L, -2, "call");
	lua_newtable(L); /* its metatable: host.NAME */
	lua_pushcfunction(L, host_index);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_setglobal(L, "host");
}

/* eval's chunk: "return EXPR" if that compiles, else the statements. */
static int load_eval(lua_State *l, const char *s, size_t len)
{
	lua_pushliteral(l, "return ");
	lua_pushlstring(l, s, len);
	lua_concat(l, 2);
	size_t n;
	const char *r = lua_tolstring(l, -1, &n);
	if (luaL_loadbufferx(l, r, n, "=eval", "t") == LUA_OK) {
		lua_remove(l, -2);
		return LUA_OK;
	}
	lua_pop(l, 2);
	return luaL_loadbufferx(l, s, len, "=eval", "t");
}

/* The error on top as text, without allocating (memory may be what ran out):
 * a string as it is, a number formatted here, anything else its type name. */
static int ret_error(struct kvmlet_call *c)
{
	char num[64];

	if (lua_type(L, -1) == LUA_TNUMBER) {
		if (lua_isinteger(L, -1))
			snprintf(num, sizeof(num), LUA_INTEGER_FMT, lua_tointeger(L, -1));
		else
			snprintf(num, sizeof(num), LUA_NUMBER_FMT, lua_tonumber(L, -1));
		return lang_ret_error(c, num);
	}
	return lang_ret_error(c, lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
								: luaL_typename(L, -1));
}

/* The value on top as JSON text, in protected mode; returns the call's result. */
static int ret_json(struct kvmlet_call *c)
{
	size_t len;
	const char *s;

	lua_pushcfunction(L, json_encode);
	lua_insert(L, -2);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)
		return ret_error(c);
	s = lua_tolstring(L, -1, &len);
	if (!kvmlet_utf8_valid(s, len))
		return kvmlet_ret_error(c, "the result is not valid UTF-8 (a byte string?)");
	return kvmlet_ret_str(c, s, len);
}

/*
 * Run f in protected mode on the call (a light userdata: pushing it, and f,
 * allocates nothing), leaving one result or the error on top: everything the
 * glue does with Lua may raise an error, an allocation when memory ran out,
 * a script's metamethod on the globals. Returns the call's result as
 * ret_json or ret_error give it.
 */
static int protected(struct kvmlet_call *c, lua_CFunction f)
{
	int top = lua_gettop(L), r;

	lua_pushcfunction(L, f);
	lua_pushlightuserdata(L, c);
	r = lua_pcall(L, 1, 1, 0) == LUA_OK ? ret_json(c) : ret_error(c);
	lua_settop(L, top);
	return r;
}

/* eval(source), protected: its first value. */
static int eval_safe(lua_State *l)
{
	size_t len;
	const char *s = kvmlet_arg_str(lua_touserdata(l, 1), 0, &len);

	if (load_eval(l, s, len) != LUA_OK)
		return lua_error(l);
	lua_call(l, 0, 1);
	return 1;
}

static int eval(struct kvmlet_call *c)
{
	return protected(c, eval_safe);
}
KVMLET_EXPORT(eval, "s:s");

/* call(name, json_args), protected: the global function name (lang_call_name
 * checked it; its lookup may run a metamethod), with the array's elements. */
static int call_safe(lua_State *l)
{
	const struct kvmlet_call *c = lua_touserdata(l, 1);
	size_t nlen, alen;
	const char *name = kvmlet_arg_str(c, 0, &nlen), *json = kvmlet_arg_str(c, 1, &alen);

	while (alen && strchr(" \t\r\n", *json) && *json)
		json++, alen--;
	if (lua_getglobal(l, name) != LUA_TFUNCTION) /* at 2 */
		return luaL_error(l, "no function with that name");
	if (alen && *json != '[')
		return luaL_error(l, "the arguments must be a JSON array");
	lua_pushcfunction(l, json_decode);
	lua_pushlstring(l, alen ? json : "[]", alen ? alen : 2);
	lua_call(l, 1, 1); /* the arguments' table at 3 */
	lua_getfield(l, 3, "n");
	lua_Integer n = lua_tointeger(l, -1);
	lua_pop(l, 1);
	if (n > 255 || !lua_checkstack(l, (int)n + 4))
		return luaL_error(l, "at most 255 arguments");
	for (int i = 1; i <= (int)n; i++)
		lua_rawgeti(l, 3, i);
	lua_remove(l, 3);
	lua_call(l, (int)n, 1);
	return 1;
}

static int call(struct kvmlet_call *c)
{
	return lang_call_name(c) ? protected(c, call_safe) : -1;
}
KVMLET_EXPORT(call, "ss:s");

/* init(script): run a chunk (its globals stay). For sandboxes without resets:
 * a reset returns to start-up, before it (load the script at start-up). */
static int init(struct kvmlet_call *c)
{
	size_t len;
	const char *s = kvmlet_arg_bytes(c, 0, &len);
	int top = lua_gettop(L), r = 0;

	if (luaL_loadbufferx(L, s, len, "=init", "t") != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK)
		r = ret_error(c);
	lua_settop(L, top);
	return r;
}
KVMLET_EXPORT(init, "y:v");

int main(int argc, char **argv)
{
	char *script = NULL;
	const char *name = NULL;
	size_t len = 0;
	int r;

	if (!(L = luaL_newstate())) {
		fprintf(stderr, "lua: cannot create a Lua state\n");
		return 1;
	}
	open_libs();
	if ((r = lang_script(argc, argv, "/init.lua", &script, &len, &name)) < 0)
		return 1;
	if (r > 0) {
		lua_pushfstring(L, "=%s", name);
		if (luaL_loadbufferx(L, script, len, lua_tostring(L, -1), "t") != LUA_OK ||
		    lua_pcall(L, 0, 0, 0) != LUA_OK) {
			fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
			return 1;
		}
		lua_settop(L, 0);
		free(script);
	}
	if (kvmlet_serve() < 0) {
		perror("lua: kvmlet_serve");
		return 1;
	}
	return 0; /* kvmlet run: the script ran; nothing to serve */
}
