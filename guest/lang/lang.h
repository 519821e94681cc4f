/* SPDX-License-Identifier: MIT */
/* lang.h: what the language guests (guest/js, guest/lua) share. */
#ifndef KVMLET_LANG_H
#define KVMLET_LANG_H

#include <stddef.h>

/*
 * The start-up script: `-e SOURCE` (argv[1], argv[2]), a path (argv[1], a
 * file the host allowed with --file), or else default_path if the host allowed
 * it. On success *src (malloc'd, NUL-terminated; the caller frees it), *len
 * and *name (for messages) are set and 1 is returned; 0 if there is none;
 * -1 if a named file cannot be read (message on stderr).
 */
int lang_script(int argc, char **argv, const char *default_path, char **src, size_t *len,
		const char **name);

/*
 * kvmlet_ret_error with an interpreter's message, which may not be valid
 * UTF-8 (the host refuses such strings): bytes above 0x7f become '?' then.
 */
struct kvmlet_call;
int lang_ret_error(struct kvmlet_call *c, const char *msg);

/* call's function name (argument 0, NUL-terminated), or NULL with the call's
 * error set if it holds a NUL (it would name another function). */
const char *lang_call_name(struct kvmlet_call *c);

#endif
