/* SPDX-License-Identifier: MIT */
/*
 * msg.h: encoding and decoding of call messages (format in kvmlet_abi.h).
 * The decoder reads only a host copy of a message and trusts nothing in it.
 */
#ifndef KVMLET_MSG_H
#define KVMLET_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "kvmlet.h"
#include "kvmlet_abi.h"

/*
 * msg_encode: write a message of kind with n values into buf (cap bytes).
 * Strings and bytes are copied, each followed by a NUL. Returns the length
 * written, -E2BIG if it does not fit, or -EINVAL for a value of unknown type.
 */
int64_t msg_encode(void *buf, uint64_t cap, uint32_t kind, uint32_t func, uint32_t status,
		   const struct kvmlet_value *vals, unsigned n);

struct msg_decoded {
	uint32_t func, status;
	unsigned nvals;
	struct kvmlet_value vals[KVMLET_MSG_VALUES_MAX];
};

/*
 * msg_decode: parse the message in buf (len bytes, a host copy) that must be
 * of kind with at most max values (<= KVMLET_MAX_VALUES). Values point into
 * buf. Returns 0, or -EPROTO with why (whylen bytes) saying what is wrong.
 */
int msg_decode(const void *buf, uint64_t len, uint32_t kind, unsigned max,
	       struct msg_decoded *out, char *why, size_t whylen);

/* Is s[0..len) valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
bool msg_utf8_valid(const uint8_t *s, uint64_t len);

/* A type's name ("i64", "str"...; "?" if unknown), and what a signature
 * letter wants, for messages ("an i64", "a string"): the library and the CLI
 * say the same. */
const char *msg_type_name(uint32_t type);
const char *msg_letter_wants(char c);

/* The type a signature letter names (v i u d b s y; KVMLET_T_VOID for any
 * other). Inline: every call checks its arguments and result with it. */
static inline uint32_t msg_letter_type(char c)
{
	/* Compares, not a switch: the compiler makes a switch a table in its own
	 * data page, which every call would touch after its exit. */
	return (uint32_t)(c == 'i') * KVMLET_T_I64 | (uint32_t)(c == 'u') * KVMLET_T_U64 |
	       (uint32_t)(c == 'd') * KVMLET_T_F64 | (uint32_t)(c == 'b') * KVMLET_T_BOOL |
	       (uint32_t)(c == 's') * KVMLET_T_STR | (uint32_t)(c == 'y') * KVMLET_T_BYTES;
}

/* Of a signature msg_sig_check accepted: how many arguments (the letters
 * before ':'), and the type of the result (the letter after it). */
static inline unsigned msg_sig_nargs(const char *sig)
{
	unsigned n = 0;

	while (sig[n] != ':')
		n++;
	return n;
}

static inline uint32_t msg_sig_result(const char *sig)
{
	return msg_letter_type(sig[msg_sig_nargs(sig) + 1]);
}

/*
 * msg_sig_check: is sig a valid signature ("args:r", at most
 * KVMLET_MAX_VALUES argument letters)? Then *nargs is set.
 */
bool msg_sig_check(const char *sig, unsigned *nargs);

/* Is name a valid function name ([A-Za-z0-9_.], 1..KVMLET_NAME_MAX)? */
bool msg_name_check(const char *name, size_t len);

#endif /* KVMLET_MSG_H */
