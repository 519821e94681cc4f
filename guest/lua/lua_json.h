/* SPDX-License-Identifier: MIT */
/* lua_json.h: JSON text to and from Lua values, for the Lua guest's exports. */
#ifndef KVMLET_LUA_JSON_H
#define KVMLET_LUA_JSON_H

#include <lua.h>

/*
 * json_encode(v): v as JSON text. nil (and functions, userdata, threads):
 * null; a table whose keys are exactly 1..n: an array; other tables: an
 * object (keys as strings); integers exactly, other numbers with 17 digits
 * (NaN, inf: null). Raises an error for nesting deeper than 100 (a cycle).
 */
int json_encode(lua_State *L);

/*
 * json_decode(text): the value; arrays become sequences, with the count in
 * field n (null elements are nil). Raises "JSON: ... at byte N" on bad text.
 */
int json_decode(lua_State *L);

#endif
