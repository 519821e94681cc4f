/* SPDX-License-Identifier: MIT */
/*
 * lua_json.c: JSON for the Lua guest. Encoding builds the text from pieces on
 * the Lua stack (lua_concat), decoding is a recursive-descent parser; both
 * raise Lua errors, so a failure inside them unwinds cleanly.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_json.h"

#define DEPTH_MAX 100

static void encode(lua_State *L, int idx, int depth);

static void encode_string(lua_State *L, const char *s, size_t len)
{
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	luaL_addchar(&b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			luaL_addchar(&b, '\\');
			luaL_addchar(&b, (char)c);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			luaL_addstring(&b, esc);
		} else {
			luaL_addchar(&b, (char)c);
		}
	}
	luaL_addchar(&b, '"');
	luaL_pushresult(&b);
}

static void encode_number(lua_State *L, int idx)
{
	char buf[40];

	if (lua_isinteger(L, idx)) {
		lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, idx));
		return;
	}
	double d = lua_tonumber(L, idx);
	if (!isfinite(d)) {
		lua_pushliteral(L, "null");
		return;
	}
	snprintf(buf, sizeof(buf), "%.17g", d);
	lua_pushstring(L, buf);
}

/* Is the table at idx a sequence 1..n with no other keys? Returns n or -1. */
static lua_Integer array_length(lua_State *L, int idx)
{
	lua_Integer n = 0, max = 0;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
			lua_pop(L, 1);
			return -1;
		}
		n++;
		if (lua_tointeger(L, -1) > max)
			max = lua_tointeger(L, -1);
	}
	return n == max ? n : -1;
}

/* Concatenate every piece pushed since base into one string. */
static void join(lua_State *L, int base)
{
	lua_concat(L, lua_gettop(L) - base);
}

static void encode_table(lua_State *L, int idx, int depth)
{
	lua_Integer n = array_length(L, idx);
	int base = lua_gettop(L), first = 1;

	if (depth > DEPTH_MAX)
		luaL_error(L, "JSON: nested deeper than %d (a cycle?)", DEPTH_MAX);
	luaL_checkstack(L, 8, "JSON: too deep");
	if (n >= 0) {
		lua_pushliteral(L, "[");
		for (lua_Integer i = 1; i <= n; i++) {
			if (i > 1)
				lua_pushliteral(L, ",");
			lua_rawgeti(L, idx, i);
			encode(L, lua_gettop(L), depth + 1);
			lua_remove(L, -2);
			join(L, base); /* keep the stack short */
		}
		lua_pushliteral(L, "]");
		join(L, base);
		return;
	}
	/* stack: text (base + 1), key (base + 2), value (base + 3) */
	lua_pushliteral(L, "{");
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t klen;
		const char *k;

		lua_pushstring(L, first ? "" : ",");
		first = 0;
		lua_pushvalue(L, base + 2); /* a copy: tolstring must not change next's key */
		k = luaL_tolstring(L, -1, &klen);
		encode_string(L, k, klen);
		lua_remove(L, -2);
		lua_remove(L, -2);
		lua_pushliteral(L, ":");
		encode(L, base + 3, depth + 1);
		lua_concat(L, 4); /* ",", "key", ":", value */
		lua_pushvalue(L, base + 1);
		lua_insert(L, -2);
		lua_concat(L, 2);
		lua_replace(L, base + 1);
		lua_pop(L, 1); /* the value; the key stays for lua_next */
	}
	lua_pushliteral(L, "}");
	join(L, base);
}

/* Push the JSON text of the value at idx. */
static void encode(lua_State *L, int idx, int depth)
{
	size_t len;
	const char *s;

	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
		break;
	case LUA_TNUMBER:
		encode_number(L, idx);
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		encode_string(L, s, len);
		break;
	case LUA_TTABLE:
		encode_table(L, idx, depth);
		break;
	default: /* nil, functions, userdata, threads */
		lua_pushliteral(L, "null");
	}
}

int json_encode(lua_State *L)
{
	lua_settop(L, 1);
	encode(L, 1, 0);
	return 1;
}

/* --- decoding --- */

struct parser {
	lua_State *L;
	const char *s;
	size_t len, pos;
};

static void decode(struct parser *p, int depth);

static __attribute__((noreturn)) void fail(struct parser *p, const char *what)
{
	luaL_error(p->L, "JSON: %s at byte %d", what, (int)p->pos + 1);
	abort(); /* not reached: luaL_error does not return */
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int peek(struct parser *p)
{
	skip_space(p);
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void expect_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
		fail(p, "unexpected text");
	p->pos += n;
}

static unsigned hex4(struct parser *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++, p->pos++) {
		int c = p->pos < p->len ? p->s[p->pos] : 0;
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			fail(p, "bad \\u escape");
		v = v << 4 | (unsigned)d;
	}
	return v;
}

static void add_utf8(luaL_Buffer *b, unsigned cp)
{
	if (cp < 0x80) {
		luaL_addchar(b, (char)cp);
	} else if (cp < 0x800) {
		luaL_addchar(b, (char)(0xc0 | cp >> 6));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		luaL_addchar(b, (char)(0xe0 | cp >> 12));
		luaL_addchar(b, (char)(0x80 | (cp >> 6 & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		luaL_addchar(b, (char)(0xf0 | cp >> 18));
		luaL_addchar(b, (char)(0x80 | (cp >> 12 & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (cp >> 6 & 0x3f)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static void escape(struct parser *p, luaL_Buffer *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char c = p->pos < p->len ? p->s[p->pos++] : 0;
	const char *at = c ? strchr(from, c) : NULL;

	if (at) {
		luaL_addchar(b, to[at - from]);
		return;
	}
	if (c != 'u')
		fail(p, "bad escape");
	unsigned cp = hex4(p);
	if (cp >= 0xd800 && cp < 0xdc00 && p->len - p->pos >= 6 && p->s[p->pos] == '\\' &&
	    p->s[p->pos + 1] == 'u') {
		p->pos += 2;
		unsigned lo = hex4(p);
		if (lo < 0xdc00 || lo > 0xdfff)
			fail(p, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		fail(p, "lone surrogate");
	add_utf8(b, cp);
}

static void decode_string(struct parser *p)
{
	luaL_Buffer b;

	p->pos++; /* the quote */
	luaL_buffinit(p->L, &b);
	for (;;) {
		if (p->pos >= p->len)
			fail(p, "unterminated string");
		char c = p->s[p->pos++];
		if (c == '"')
			break;
		if (c == '\\')
			escape(p, &b);
		else if ((unsigned char)c < 0x20)
			fail(p, "control character in a string");
		else
			luaL_addchar(&b, c);
	}
	luaL_pushresult(&b);
}

static void decode_number(struct parser *p)
{
	char buf[64], *end;
	size_t n = 0;
	bool integral = true;

	while (p->pos + n < p->len && n < sizeof(buf) - 1 &&
	       strchr("+-0123456789.eE", p->s[p->pos + n]) && p->s[p->pos + n]) {
		integral &= !strchr(".eE", p->s[p->pos + n]);
		buf[n] = p->s[p->pos + n];
		n++;
	}
	buf[n] = '\0';
	if (integral && n < 19) {
		long long v = strtoll(buf, &end, 10);
		if (*end == '\0' && n) {
			lua_pushinteger(p->L, (lua_Integer)v);
			p->pos += n;
			return;
		}
	}
	double d = strtod(buf, &end);
	if (!n || *end)
		fail(p, "bad number");
	lua_pushnumber(p->L, d);
	p->pos += n;
}

/* [ ... ] or { ... }: the table, with field n for arrays. */
static void decode_container(struct parser *p, int depth)
{
	bool array = p->s[p->pos] == '[';
	char close = array ? ']' : '}';
	lua_Integer n = 0;

	if (depth > DEPTH_MAX)
		fail(p, "nested too deep");
	luaL_checkstack(p->L, 4, "JSON: too deep");
	p->pos++;
	lua_newtable(p->L);
	if (peek(p) == close) {
		p->pos++;
	} else {
		for (;;) {
			if (!array) {
				if (peek(p) != '"')
					fail(p, "expected a string key");
				decode_string(p);
				if (peek(p) != ':')
					fail(p, "expected ':'");
				p->pos++;
			}
			decode(p, depth + 1);
			if (array)
				lua_rawseti(p->L, -2, ++n);
			else
				lua_rawset(p->L, -3);
			int c = peek(p);
			p->pos++;
			if (c == close)
				break;
			if (c != ',')
				fail(p, array ? "expected ',' or ']'" : "expected ',' or '}'");
		}
	}
	if (array) {
		lua_pushinteger(p->L, n);
		lua_setfield(p->L, -2, "n");
	}
}

static void decode(struct parser *p, int depth)
{
	switch (peek(p)) {
	case '{':
	case '[':
		decode_container(p, depth);
		break;
	case '"':
		decode_string(p);
		break;
	case 't':
		expect_word(p, "true");
		lua_pushboolean(p->L, 1);
		break;
	case 'f':
		expect_word(p, "false");
		lua_pushboolean(p->L, 0);
		break;
	case 'n':
		expect_word(p, "null");
		lua_pushnil(p->L);
		break;
	case -1:
		fail(p, "unexpected end");
	default:
		decode_number(p);
	}
}

int json_decode(lua_State *L)
{
	struct parser p = {.L = L};

	p.s = luaL_checklstring(L, 1, &p.len);
	decode(&p, 0);
	if (peek(&p) != -1)
		fail(&p, "text after the value");
	return 1;
}
