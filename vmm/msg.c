/* SPDX-License-Identifier: MIT */
/* msg.c: call messages, encoded for the guest and decoded from it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "msg.h"

_Static_assert(KVMLET_MAX_ARGS == KVMLET_MAX_VALUES, "public and ABI argument limits differ");
_Static_assert(KVMLET_TYPE_BYTES == KVMLET_T_BYTES && KVMLET_TYPE_STR == KVMLET_T_STR,
	       "public and ABI type numbers differ");

KVMLET_HOT int64_t msg_encode(void *buf, uint64_t cap, uint32_t kind, uint32_t func, uint32_t status,
		   const struct kvmlet_value *vals, unsigned n)
{
	struct kvmlet_msg_hdr h = {.magic = KVMLET_MSG_MAGIC, .kind = kind, .func = func,
				   .status = status, .nvals = n};
	uint64_t off = sizeof(h) + (uint64_t)n * sizeof(struct kvmlet_msg_val);
	uint8_t *p = buf;

	if (n > KVMLET_MSG_VALUES_MAX || off > cap)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++) {
		struct kvmlet_msg_val v = {.type = vals[i].type};

		switch (vals[i].type) {
		case KVMLET_T_I64:
		case KVMLET_T_U64:
			v.v = vals[i].u64;
			break;
		case KVMLET_T_F64:
			memcpy(&v.v, &vals[i].f64, 8);
			break;
		case KVMLET_T_BOOL:
			v.v = vals[i].b ? 1 : 0;
			break;
		case KVMLET_T_STR:
		case KVMLET_T_BYTES:
			if (vals[i].buf.len > UINT32_MAX || vals[i].buf.len + 1 > cap - off ||
			    off + vals[i].buf.len + 1 > UINT32_MAX)
				return -E2BIG;
			if (vals[i].buf.len)
				memcpy(p + off, vals[i].buf.ptr, vals[i].buf.len);
			p[off + vals[i].buf.len] = 0;
			v.len = (uint32_t)vals[i].buf.len;
			v.v = off;
			off += vals[i].buf.len + 1;
			break;
		default:
			return -EINVAL;
		}
		memcpy(p + sizeof(h) + i * sizeof(v), &v, sizeof(v));
	}
	h.len = (uint32_t)off;
	memcpy(p, &h, sizeof(h));
	return (int64_t)off;
}

__attribute__((format(printf, 3, 4))) static int bad(char *why, size_t whylen, const char *fmt,
						     ...)
{
	va_list ap;

	if (whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

bool msg_utf8_valid(const uint8_t *s, uint64_t len)
{
	for (uint64_t i = 0; i < len;) {
		uint8_t c = s[i];
		unsigned n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n > len - i - 1)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static int decode_val(const uint8_t *p, uint64_t len, uint64_t data_lo, unsigned i,
		      struct kvmlet_value *out, char *why, size_t whylen)
{
	struct kvmlet_msg_val v;

	memcpy(&v, p + sizeof(struct kvmlet_msg_hdr) + i * sizeof(v), sizeof(v));
	*out = (struct kvmlet_value){.type = v.type};
	switch (v.type) {
	case KVMLET_T_I64:
	case KVMLET_T_U64:
		out->u64 = v.v;
		return 0;
	case KVMLET_T_F64:
		memcpy(&out->f64, &v.v, 8);
		return 0;
	case KVMLET_T_BOOL:
		if (v.v > 1)
			return bad(why, whylen, "value %u: bool of %llu", i,
				   (unsigned long long)v.v);
		out->b = v.v != 0;
		return 0;
	case KVMLET_T_STR:
	case KVMLET_T_BYTES:
		if (v.v < data_lo || v.v > len || v.len > len - v.v)
			return bad(why, whylen,
				   "value %u: %u bytes at offset %llu outside the message's %llu "
				   "bytes",
				   i, v.len, (unsigned long long)v.v, (unsigned long long)len);
		if (v.type == KVMLET_T_STR && !msg_utf8_valid(p + v.v, v.len))
			return bad(why, whylen, "value %u: string is not valid UTF-8", i);
		out->buf.ptr = p + v.v;
		out->buf.len = v.len;
		return 0;
	default:
		return bad(why, whylen, "value %u: unknown type %u", i, v.type);
	}
}

KVMLET_HOT int msg_decode(const void *buf, uint64_t len, uint32_t kind, unsigned max,
	       struct msg_decoded *out, char *why, size_t whylen)
{
	const uint8_t *p = buf;
	struct kvmlet_msg_hdr h;

	if (len < sizeof(h))
		return bad(why, whylen, "message of %llu bytes is shorter than its header",
			   (unsigned long long)len);
	memcpy(&h, p, sizeof(h));
	if (h.magic != KVMLET_MSG_MAGIC || h.kind != kind)
		return bad(why, whylen, "bad message header (magic 0x%x, kind %u, expected %u)",
			   h.magic, h.kind, kind);
	if (h.len < sizeof(h) || h.len > len)
		return bad(why, whylen, "message length %u outside [%zu, %llu]", h.len,
			   sizeof(h), (unsigned long long)len);
	if (h.nvals > max || h.nvals > KVMLET_MSG_VALUES_MAX)
		return bad(why, whylen, "%u values, at most %u allowed", h.nvals, max);
	uint64_t data_lo = sizeof(h) + (uint64_t)h.nvals * sizeof(struct kvmlet_msg_val);
	if (data_lo > h.len)
		return bad(why, whylen, "%u values do not fit in %u bytes", h.nvals, h.len);
	out->func = h.func;
	out->status = h.status;
	out->nvals = h.nvals;
	for (unsigned i = 0; i < h.nvals; i++) {
		int r = decode_val(p, h.len, data_lo, i, &out->vals[i], why, whylen);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *msg_type_name(uint32_t type)
{
	static const char *const names[] = {"void", "i64", "u64", "f64", "bool", "str", "bytes"};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

const char *msg_letter_wants(char c)
{
	switch (c) {
	case 'i':
		return "an i64";
	case 'u':
		return "a u64";
	case 'd':
		return "an f64";
	case 'b':
		return "a bool";
	case 's':
		return "a string";
	case 'y':
		return "bytes";
	default:
		return "no value";
	}
}

KVMLET_HOT bool msg_sig_check(const char *sig, unsigned *nargs)
{
	unsigned n = 0;

	for (; sig[n] && sig[n] != ':'; n++)
		if (n >= KVMLET_MAX_VALUES || msg_letter_type(sig[n]) == KVMLET_T_VOID)
			return false;
	if (sig[n] != ':' || !sig[n + 1] || sig[n + 2])
		return false;
	if (sig[n + 1] != 'v' && msg_letter_type(sig[n + 1]) == KVMLET_T_VOID)
		return false;
	*nargs = n;
	return true;
}

bool msg_name_check(const char *name, size_t len)
{
	if (len == 0 || len > KVMLET_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}
