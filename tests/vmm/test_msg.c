/* SPDX-License-Identifier: MIT */
/*
 * test_msg.c: call messages (vmm/msg.c). Every type round trips through
 * msg_encode and msg_decode; every refusal of the decoder is provoked once,
 * each expecting -EPROTO and a reason that names the defect. Messages are
 * decoded from heap copies of exactly their size, so ASan catches any read
 * past the end.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "msg.h"

#define HDR sizeof(struct kvmlet_msg_hdr)
#define VAL sizeof(struct kvmlet_msg_val)

/* --- helpers --- */

/* Decode a heap copy of exactly len bytes of buf; *copy keeps it for the caller. */
static int decode_copy(const void *buf, uint64_t len, uint32_t kind, unsigned max,
		       struct msg_decoded *out, char *why, size_t whylen, uint8_t **copy)
{
	uint8_t *c = malloc(len ? len : 1);
	int r;

	ck_assert_ptr_nonnull(c);
	memcpy(c, buf, len);
	r = msg_decode(c, len, kind, max, out, why, whylen);
	if (copy)
		*copy = c;
	else
		free(c);
	return r;
}

static void expect_refused(const void *buf, uint64_t len, uint32_t kind, unsigned max,
			   const char *needle, int line)
{
	struct msg_decoded out;
	char why[200];
	int r;

	memset(why, 0, sizeof(why));
	r = decode_copy(buf, len, kind, max, &out, why, sizeof(why), NULL);
	ck_assert_msg(r == -EPROTO, "line %d: got %d, want -EPROTO", line, r);
	ck_assert_msg(why[0] != '\0', "line %d: empty reason", line);
	ck_assert_msg(strstr(why, needle) != NULL, "line %d: reason \"%s\" lacks \"%s\"", line, why,
		      needle);
}

#define REFUSED(buf, len, kind, max, needle) expect_refused(buf, len, kind, max, needle, __LINE__)

/* A raw message in a buffer, written field by field (the encoder would refuse most). */
static uint8_t raw[1024];

static void put_hdr(uint32_t magic, uint32_t kind, uint32_t nvals, uint32_t len)
{
	struct kvmlet_msg_hdr h = {
		.magic = magic, .kind = kind, .func = 5, .status = 0, .nvals = nvals, .len = len};

	memcpy(raw, &h, sizeof(h));
}

static void put_val(unsigned i, uint32_t type, uint32_t len, uint64_t v)
{
	struct kvmlet_msg_val x = {.type = type, .len = len, .v = v};

	memcpy(raw + HDR + i * VAL, &x, sizeof(x));
}

/* A well-formed RESULT with one value of type at the start of the data area. */
static uint64_t one_val(uint32_t type, uint32_t len, uint64_t v, const void *data, size_t dlen)
{
	uint64_t total = HDR + VAL + dlen;

	ck_assert_uint_le(total, sizeof(raw));
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 1, (uint32_t)total);
	put_val(0, type, len, v);
	if (dlen)
		memcpy(raw + HDR + VAL, data, dlen);
	return total;
}

static void expect_same(const struct kvmlet_value *a, const struct kvmlet_value *b, unsigned i)
{
	ck_assert_msg(a->type == b->type, "value %u: type %u, want %u", i, b->type, a->type);
	switch (a->type) {
	case KVMLET_T_I64:
	case KVMLET_T_U64:
		ck_assert_msg(a->u64 == b->u64, "value %u differs", i);
		break;
	case KVMLET_T_F64:
		ck_assert_msg(memcmp(&a->f64, &b->f64, 8) == 0, "value %u: f64 bits differ", i);
		break;
	case KVMLET_T_BOOL:
		ck_assert_msg(a->b == b->b, "value %u: bool differs", i);
		break;
	default:
		ck_assert_msg(a->buf.len == b->buf.len, "value %u: length %zu, want %zu", i,
			      b->buf.len, a->buf.len);
		ck_assert_msg(a->buf.len == 0 || memcmp(a->buf.ptr, b->buf.ptr, a->buf.len) == 0,
			      "value %u: bytes differ", i);
	}
}

/* Encode into cap bytes, check the header, decode an exact copy, compare. */
static void roundtrip(uint32_t kind, const struct kvmlet_value *v, unsigned n, uint64_t cap)
{
	uint8_t *buf = malloc(cap), *copy;
	struct kvmlet_msg_hdr h;
	struct msg_decoded m;
	char why[200] = "";
	int64_t len;

	ck_assert_ptr_nonnull(buf);
	len = msg_encode(buf, cap, kind, 7, 3, v, n);
	ck_assert_msg(len >= (int64_t)(HDR + n * VAL) && (uint64_t)len <= cap,
		      "encode returned %lld", (long long)len);
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.magic, KVMLET_MSG_MAGIC);
	ck_assert_uint_eq(h.kind, kind);
	ck_assert_uint_eq(h.func, 7);
	ck_assert_uint_eq(h.status, 3);
	ck_assert_uint_eq(h.nvals, n);
	ck_assert_uint_eq(h.len, (uint64_t)len);
	ck_assert_msg(decode_copy(buf, (uint64_t)len, kind, n, &m, why, sizeof(why), &copy) == 0,
		      "decode: %s", why);
	ck_assert_uint_eq(m.func, 7);
	ck_assert_uint_eq(m.status, 3);
	ck_assert_uint_eq(m.nvals, n);
	for (unsigned i = 0; i < n; i++) {
		expect_same(&v[i], &m.vals[i], i);
		if (v[i].type != KVMLET_T_STR && v[i].type != KVMLET_T_BYTES)
			continue;
		/* Points into the copy, after the values, followed by the encoder's NUL. */
		const uint8_t *p = m.vals[i].buf.ptr;
		ck_assert(p >= copy + HDR + n * VAL && p + m.vals[i].buf.len < copy + len);
		ck_assert_uint_eq(p[m.vals[i].buf.len], 0);
	}
	free(copy);
	free(buf);
}

/* --- round trips --- */

START_TEST(test_roundtrip_scalars)
{
	double nan_bits, neg_zero = -0.0;
	uint64_t payload = 0x7ff8dead0000beefull;
	const uint32_t kinds[] = {KVMLET_MSG_CALL, KVMLET_MSG_RESULT, KVMLET_MSG_HOSTCALL};

	memcpy(&nan_bits, &payload, 8);
	const struct kvmlet_value v[] = {
		kvmlet_i64(0),	       kvmlet_i64(-1),	     kvmlet_i64(INT64_MIN),
		kvmlet_i64(INT64_MAX), kvmlet_u64(0),	     kvmlet_u64(UINT64_MAX),
		kvmlet_f64(1.5),       kvmlet_f64(neg_zero), kvmlet_f64(nan_bits),
		kvmlet_bool(false),    kvmlet_bool(true),
	};
	for (unsigned k = 0; k < 3; k++) {
		roundtrip(kinds[k], NULL, 0, HDR);
		for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			roundtrip(kinds[k], &v[i], 1, 4096);
		roundtrip(kinds[k], v, sizeof(v) / sizeof(v[0]), 4096);
	}
}
END_TEST

START_TEST(test_roundtrip_strings)
{
	static const char *strs[] = {"",
				     "a",
				     "hello, world",
				     "caf\xc3\xa9",
				     "\xe2\x82\xac\xf0\x9f\x98\x80",
				     "\xf4\x8f\xbf\xbf"};
	static const uint8_t bin[] = {0, 0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0};

	for (unsigned i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		struct kvmlet_value v = kvmlet_str(strs[i], strlen(strs[i]));
		roundtrip(KVMLET_MSG_HOSTCALL, &v, 1, 4096);
	}
	for (size_t n = 0; n <= sizeof(bin); n++) {
		struct kvmlet_value v = kvmlet_bytes(bin, n);
		roundtrip(KVMLET_MSG_RESULT, &v, 1, 4096);
	}
	/* Empty strings and bytes cost their NUL: a message can end in one. */
	struct kvmlet_value e[2] = {kvmlet_str("", 0), kvmlet_bytes(NULL, 0)};
	roundtrip(KVMLET_MSG_CALL, e, 2, HDR + 2 * VAL + 2);
}
END_TEST

/* A string or bytes value as large as the buffer allows: exactly fills it. */
START_TEST(test_roundtrip_max_size)
{
	const uint64_t cap = 8192, max = cap - HDR - VAL - 1;
	char *s = malloc(cap);
	uint8_t *buf = malloc(cap);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(buf);
	for (uint64_t i = 0; i < cap; i++)
		s[i] = (char)('a' + i % 26);
	struct kvmlet_value v = kvmlet_str(s, max);
	roundtrip(KVMLET_MSG_CALL, &v, 1, cap);
	ck_assert_int_eq(msg_encode(buf, cap, KVMLET_MSG_CALL, 0, 0, &v, 1), (int64_t)cap);
	v.buf.len = max + 1;
	ck_assert_int_eq(msg_encode(buf, cap, KVMLET_MSG_CALL, 0, 0, &v, 1), -E2BIG);

	for (uint64_t i = 0; i < cap; i++)
		s[i] = (char)(i * 31);
	v = kvmlet_bytes(s, max);
	roundtrip(KVMLET_MSG_RESULT, &v, 1, cap);
	v.buf.len = max + 1;
	ck_assert_int_eq(msg_encode(buf, cap, KVMLET_MSG_RESULT, 0, 0, &v, 1), -E2BIG);

	/* Two values share the room: max - VAL - 1 bytes in total. */
	struct kvmlet_value two[2] = {kvmlet_bytes(s, 100), kvmlet_str("xyz", 3)};
	two[0].buf.len = max - VAL - 1 - 3;
	roundtrip(KVMLET_MSG_HOSTCALL, two, 2, cap);
	two[0].buf.len++;
	ck_assert_int_eq(msg_encode(buf, cap, KVMLET_MSG_HOSTCALL, 0, 0, two, 2), -E2BIG);
	free(buf);
	free(s);
}
END_TEST

START_TEST(test_roundtrip_max_values)
{
	static const char str[] = "\xce\xbb x";
	static const uint8_t bin[] = {1, 0, 0xff, 0x80};
	struct kvmlet_value v[KVMLET_MAX_VALUES];

	for (unsigned i = 0; i < KVMLET_MAX_VALUES; i++) {
		switch (i % 6) {
		case 0:
			v[i] = kvmlet_i64(-(int64_t)i);
			break;
		case 1:
			v[i] = kvmlet_u64((uint64_t)i << 40);
			break;
		case 2:
			v[i] = kvmlet_f64(i / 3.0);
			break;
		case 3:
			v[i] = kvmlet_bool(i & 1);
			break;
		case 4:
			v[i] = kvmlet_str(str, i % 5);
			break;
		default:
			v[i] = kvmlet_bytes(bin, i % 5);
			break;
		}
	}
	roundtrip(KVMLET_MSG_HOSTCALL, v, KVMLET_MAX_VALUES, 4096);
	/* The decoder's max is a limit, not an exact count. */
	uint8_t buf[4096];
	struct msg_decoded m;
	char why[200];
	int64_t len = msg_encode(buf, sizeof(buf), KVMLET_MSG_CALL, 0, 0, v, 3);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(msg_decode(buf, (uint64_t)len, KVMLET_MSG_CALL, KVMLET_MAX_VALUES, &m, why,
				    sizeof(why)),
			 0);
	ck_assert_uint_eq(m.nvals, 3);
}
END_TEST

/* A message may sit at the start of a larger buffer: only hdr.len counts. */
START_TEST(test_decode_shorter_than_buffer)
{
	struct kvmlet_value v = kvmlet_str("abc", 3);
	uint8_t buf[256];
	struct msg_decoded m;
	char why[200];
	int64_t len = msg_encode(buf, sizeof(buf), KVMLET_MSG_RESULT, 0, 0, &v, 1);

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(
		decode_copy(buf, sizeof(buf), KVMLET_MSG_RESULT, 1, &m, why, sizeof(why), NULL), 0);
	ck_assert_uint_eq(m.vals[0].buf.len, 3);
}
END_TEST

/* --- encoder refusals --- */

START_TEST(test_encode_e2big)
{
	uint8_t buf[512];
	struct kvmlet_value v[KVMLET_MSG_VALUES_MAX + 1];

	for (unsigned i = 0; i <= KVMLET_MSG_VALUES_MAX; i++)
		v[i] = kvmlet_u64(i);
	ck_assert_int_eq(
		msg_encode(buf, sizeof(buf), KVMLET_MSG_CALL, 0, 0, v, KVMLET_MSG_VALUES_MAX + 1),
		-E2BIG);
	ck_assert_int_eq(msg_encode(buf, HDR - 1, KVMLET_MSG_CALL, 0, 0, NULL, 0), -E2BIG);
	ck_assert_int_eq(msg_encode(buf, 0, KVMLET_MSG_CALL, 0, 0, NULL, 0), -E2BIG);
	ck_assert_int_eq(msg_encode(buf, HDR, KVMLET_MSG_CALL, 0, 0, NULL, 0), (int64_t)HDR);
	ck_assert_int_eq(msg_encode(buf, HDR + 2 * VAL - 1, KVMLET_MSG_CALL, 0, 0, v, 2), -E2BIG);
	ck_assert_int_eq(msg_encode(buf, HDR + 2 * VAL, KVMLET_MSG_CALL, 0, 0, v, 2),
			 (int64_t)(HDR + 2 * VAL));
	/* A string needs its bytes and a NUL. */
	struct kvmlet_value s = kvmlet_str("abcd", 4);
	ck_assert_int_eq(msg_encode(buf, HDR + VAL + 4, KVMLET_MSG_CALL, 0, 0, &s, 1), -E2BIG);
	ck_assert_int_eq(msg_encode(buf, HDR + VAL + 5, KVMLET_MSG_CALL, 0, 0, &s, 1),
			 (int64_t)(HDR + VAL + 5));
	s.buf.len = 0;
	ck_assert_int_eq(msg_encode(buf, HDR + VAL, KVMLET_MSG_CALL, 0, 0, &s, 1), -E2BIG);
	/* Lengths that do not fit the 32-bit fields: refused before any byte is read. */
	s = kvmlet_bytes(buf, (size_t)UINT32_MAX + 1);
	ck_assert_int_eq(msg_encode(buf, sizeof(buf), KVMLET_MSG_CALL, 0, 0, &s, 1), -E2BIG);
	s.buf.len = SIZE_MAX;
	ck_assert_int_eq(msg_encode(buf, sizeof(buf), KVMLET_MSG_CALL, 0, 0, &s, 1), -E2BIG);
}
END_TEST

/* A message whose end would pass 4 GiB cannot be described by hdr.len. */
START_TEST(test_encode_e2big_4g)
{
	const uint64_t cap = (5ull << 30);
	uint8_t *big = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (big == MAP_FAILED)
		return; /* no address space for it here: nothing to check */
	/* offset 40 + length + NUL = 2^32: one byte too many; refused before copying. */
	struct kvmlet_value s = kvmlet_bytes(big, UINT32_MAX - HDR - VAL);
	ck_assert_int_eq(msg_encode(big, cap, KVMLET_MSG_CALL, 0, 0, &s, 1), -E2BIG);
	s = kvmlet_bytes(big, UINT32_MAX);
	ck_assert_int_eq(msg_encode(big, cap, KVMLET_MSG_CALL, 0, 0, &s, 1), -E2BIG);
	/* A second value that would fit alone, but not after the first (10 bytes + NUL). */
	struct kvmlet_value two[2] = {kvmlet_bytes(big, 10), kvmlet_bytes(big, (1ull << 32) - 50)};
	ck_assert_int_eq(msg_encode(big, cap, KVMLET_MSG_CALL, 0, 0, two, 2), -E2BIG);
	munmap(big, cap);
}
END_TEST

START_TEST(test_encode_bad_type)
{
	uint8_t buf[256];
	struct kvmlet_value v = {.type = KVMLET_T_VOID};

	ck_assert_int_eq(msg_encode(buf, sizeof(buf), KVMLET_MSG_RESULT, 0, 0, &v, 1), -EINVAL);
	v.type = KVMLET_T_BYTES + 1;
	ck_assert_int_eq(msg_encode(buf, sizeof(buf), KVMLET_MSG_RESULT, 0, 0, &v, 1), -EINVAL);
}
END_TEST

/* --- decoder refusals: the header --- */

START_TEST(test_decode_short)
{
	uint8_t buf[HDR];
	int64_t len = msg_encode(buf, sizeof(buf), KVMLET_MSG_CALL, 0, 0, NULL, 0);

	ck_assert_int_eq(len, (int64_t)HDR);
	for (uint64_t n = 0; n < HDR; n++)
		REFUSED(buf, n, KVMLET_MSG_CALL, 0, "shorter than its header");
}
END_TEST

START_TEST(test_decode_bad_magic)
{
	put_hdr(KVMLET_MSG_MAGIC ^ 1, KVMLET_MSG_CALL, 0, HDR);
	REFUSED(raw, HDR, KVMLET_MSG_CALL, 0, "magic");
	put_hdr(0, KVMLET_MSG_CALL, 0, HDR);
	REFUSED(raw, HDR, KVMLET_MSG_CALL, 0, "magic");
}
END_TEST

START_TEST(test_decode_wrong_kind)
{
	const uint32_t kinds[] = {KVMLET_MSG_CALL, KVMLET_MSG_RESULT, KVMLET_MSG_HOSTCALL};

	for (unsigned a = 0; a < 3; a++)
		for (unsigned b = 0; b < 3; b++) {
			if (a == b)
				continue;
			put_hdr(KVMLET_MSG_MAGIC, kinds[a], 0, HDR);
			REFUSED(raw, HDR, kinds[b], 0, "kind");
		}
	put_hdr(KVMLET_MSG_MAGIC, 0, 0, HDR);
	REFUSED(raw, HDR, KVMLET_MSG_CALL, 0, "kind 0");
}
END_TEST

START_TEST(test_decode_len_past_buffer)
{
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_CALL, 0, HDR + 1);
	REFUSED(raw, HDR, KVMLET_MSG_CALL, 0, "message length");
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_CALL, 0, UINT32_MAX);
	REFUSED(raw, 100, KVMLET_MSG_CALL, 0, "message length");
}
END_TEST

START_TEST(test_decode_len_below_header)
{
	for (uint32_t n = 0; n < HDR; n++) {
		put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_CALL, 0, n);
		REFUSED(raw, HDR, KVMLET_MSG_CALL, 0, "message length");
	}
}
END_TEST

START_TEST(test_decode_too_many_values)
{
	uint64_t len = HDR + (KVMLET_MSG_VALUES_MAX + 1) * VAL;

	/* More than the caller's max. */
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 2, HDR + 2 * VAL);
	put_val(0, KVMLET_T_U64, 0, 1);
	put_val(1, KVMLET_T_U64, 0, 2);
	REFUSED(raw, HDR + 2 * VAL, KVMLET_MSG_RESULT, 1, "2 values, at most 1");
	REFUSED(raw, HDR + 2 * VAL, KVMLET_MSG_RESULT, 0, "2 values, at most 0");
	/* More than the ABI's limit, even when the caller allows more. */
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, KVMLET_MSG_VALUES_MAX + 1, (uint32_t)len);
	for (unsigned i = 0; i <= KVMLET_MSG_VALUES_MAX; i++)
		put_val(i, KVMLET_T_U64, 0, i);
	REFUSED(raw, len, KVMLET_MSG_RESULT, KVMLET_MSG_VALUES_MAX, "18 values");
	REFUSED(raw, len, KVMLET_MSG_RESULT, 1000, "18 values");
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, UINT32_MAX, (uint32_t)len);
	REFUSED(raw, len, KVMLET_MSG_RESULT, UINT32_MAX, "values");
}
END_TEST

START_TEST(test_decode_values_past_len)
{
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 1, HDR + VAL - 1);
	put_val(0, KVMLET_T_U64, 0, 1);
	REFUSED(raw, HDR + VAL, KVMLET_MSG_RESULT, 1, "do not fit");
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 3, HDR + 2 * VAL);
	REFUSED(raw, sizeof(raw), KVMLET_MSG_RESULT, 3, "do not fit");
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 1, HDR);
	REFUSED(raw, HDR, KVMLET_MSG_RESULT, 1, "do not fit");
}
END_TEST

/* --- decoder refusals: values --- */

START_TEST(test_decode_offset_before_data)
{
	const uint64_t lo = HDR + VAL; /* the data area of a one-value message */
	uint64_t len = one_val(KVMLET_T_STR, 1, lo, "ab", 2);

	for (uint64_t off = 0; off < lo; off++) {
		put_val(0, KVMLET_T_STR, 1, off);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
		put_val(0, KVMLET_T_BYTES, 0, off);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
	}
	/* Two values: the second's data area starts after both. */
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 2, HDR + 2 * VAL + 2);
	put_val(0, KVMLET_T_U64, 0, 0);
	put_val(1, KVMLET_T_BYTES, 2, HDR + VAL);
	REFUSED(raw, HDR + 2 * VAL + 2, KVMLET_MSG_RESULT, 2, "value 1");
}
END_TEST

START_TEST(test_decode_offset_past_end)
{
	const uint64_t lo = HDR + VAL;
	uint64_t len = one_val(KVMLET_T_BYTES, 4, lo, "abcd", 4);

	put_val(0, KVMLET_T_BYTES, 4, lo + 1); /* one byte past */
	REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
	put_val(0, KVMLET_T_BYTES, 5, lo); /* one byte too long */
	REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
	put_val(0, KVMLET_T_STR, 0, len + 1); /* empty, but starting past the end */
	REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
	put_val(0, KVMLET_T_BYTES, 0, len); /* empty at the very end: fine */
	struct msg_decoded m;
	char why[200];
	ck_assert_int_eq(decode_copy(raw, len, KVMLET_MSG_RESULT, 1, &m, why, sizeof(why), NULL),
			 0);
	ck_assert_uint_eq(m.vals[0].buf.len, 0);
	/* Past hdr.len but inside the buffer: hdr.len is the message. */
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_RESULT, 1, (uint32_t)len - 1);
	put_val(0, KVMLET_T_BYTES, 4, lo);
	REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
}
END_TEST

START_TEST(test_decode_offset_overflow)
{
	const uint64_t lo = HDR + VAL;
	uint64_t len = one_val(KVMLET_T_BYTES, 4, lo, "abcd", 4);
	const struct {
		uint32_t len;
		uint64_t off;
	} cases[] = {
		{UINT32_MAX, lo},	      /* length alone wraps a 32-bit sum */
		{UINT32_MAX - 10, 64},	      /* off + len wraps 32 bits */
		{0x80000000u, 0x80000000ull}, /* exactly 2^32 */
		{16, UINT32_MAX - 7},	      /* offset near 4 GiB */
		{8, (1ull << 32) + lo},	      /* offset truncated to 32 bits looks fine */
		{16, UINT64_MAX - 7},	      /* off + len wraps 64 bits to 8 */
		{UINT32_MAX, UINT64_MAX - UINT32_MAX + 1}, /* wraps to 0 */
		{1, UINT64_MAX},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_val(0, KVMLET_T_BYTES, cases[i].len, cases[i].off);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
		put_val(0, KVMLET_T_STR, cases[i].len, cases[i].off);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "outside the message");
	}
}
END_TEST

START_TEST(test_decode_bad_bool)
{
	const uint64_t bad[] = {2, 0x100, 1ull << 32, 0x8000000000000001ull, UINT64_MAX};
	struct msg_decoded m;
	char why[200];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t len = one_val(KVMLET_T_BOOL, 0, bad[i], NULL, 0);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "bool");
	}
	/* The length field of a scalar is ignored. */
	uint64_t len = one_val(KVMLET_T_BOOL, 77, 1, NULL, 0);
	ck_assert_int_eq(decode_copy(raw, len, KVMLET_MSG_RESULT, 1, &m, why, sizeof(why), NULL),
			 0);
	ck_assert(m.vals[0].b);
}
END_TEST

START_TEST(test_decode_unknown_type)
{
	const uint32_t bad[] = {KVMLET_T_VOID, KVMLET_T_BYTES + 1, 0x100, UINT32_MAX};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t len = one_val(bad[i], 0, 0, NULL, 0);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "unknown type");
	}
	/* The second of two. */
	put_hdr(KVMLET_MSG_MAGIC, KVMLET_MSG_HOSTCALL, 2, HDR + 2 * VAL);
	put_val(0, KVMLET_T_I64, 0, 0);
	put_val(1, 9, 0, 0);
	REFUSED(raw, HDR + 2 * VAL, KVMLET_MSG_HOSTCALL, 2, "value 1: unknown type 9");
}
END_TEST

START_TEST(test_decode_bad_utf8)
{
	static const struct {
		const char *s;
		const char *what;
	} cases[] = {
		{"\xc0\x80", "overlong NUL"},
		{"\xc1\xbf", "overlong 2-byte"},
		{"\xe0\x80\x80", "overlong 3-byte"},
		{"\xe0\x9f\xbf", "overlong U+07FF"},
		{"\xf0\x80\x80\x80", "overlong 4-byte"},
		{"\xf0\x8f\xbf\xbf", "overlong U+FFFF"},
		{"\xed\xa0\x80", "surrogate U+D800"},
		{"\xed\xbf\xbf", "surrogate U+DFFF"},
		{"ok\xed\xb0\x80", "low surrogate after ASCII"},
		{"\xf4\x90\x80\x80", "U+110000"},
		{"\xf7\xbf\xbf\xbf", "U+1FFFFF"},
		{"\xf8\x88\x80\x80\x80", "5-byte form"},
		{"\xfc\x84\x80\x80\x80\x80", "6-byte form"},
		{"\xfe", "byte FE"},
		{"\xff", "byte FF"},
		{"\x80", "lone continuation"},
		{"a\xbf", "continuation after ASCII"},
		{"\xc3", "truncated 2-byte at end"},
		{"\xe2\x82", "truncated 3-byte at end"},
		{"\xf0\x9f\x98", "truncated 4-byte at end"},
		{"\xc3\x41", "2-byte cut by ASCII A"},
		{"\xe2\x82\x41", "3-byte cut by ASCII A"},
		{"\xf0\x9f\x98\xc3\xa9", "4-byte cut by a new sequence"},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);
		uint64_t len = one_val(KVMLET_T_STR, (uint32_t)n, HDR + VAL, cases[i].s, n);

		ck_assert_msg(!msg_utf8_valid((const uint8_t *)cases[i].s, n), "%s accepted",
			      cases[i].what);
		REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "UTF-8");
		/* The same bytes are fine as bytes. */
		struct msg_decoded m;
		char why[200];
		put_val(0, KVMLET_T_BYTES, (uint32_t)n, HDR + VAL);
		ck_assert_int_eq(
			decode_copy(raw, len, KVMLET_MSG_RESULT, 1, &m, why, sizeof(why), NULL), 0);
	}
	/* A valid sequence cut by the string's length, with its tail still in the message. */
	uint64_t len = one_val(KVMLET_T_STR, 1, HDR + VAL, "\xc3\xa9", 2);
	REFUSED(raw, len, KVMLET_MSG_RESULT, 1, "UTF-8");
}
END_TEST

START_TEST(test_utf8_valid_edges)
{
	static const char *ok[] = {
		"",
		"\x7f",
		"\xc2\x80",
		"\xdf\xbf",
		"\xe0\xa0\x80",
		"\xed\x9f\xbf",
		"\xee\x80\x80",
		"\xef\xbf\xbf",
		"\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf",
		"a\xc3\xa9z",
	};

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(msg_utf8_valid((const uint8_t *)ok[i], strlen(ok[i])),
			      "valid string %u refused", i);
	/* An embedded NUL is valid UTF-8: strings are length-counted. */
	ck_assert(msg_utf8_valid((const uint8_t *)"a\0b", 3));
}
END_TEST

/* The reason is cut to whylen and NUL-terminated; whylen 0 writes nothing. */
START_TEST(test_decode_why_buffer)
{
	struct msg_decoded m;
	char why[8];

	put_hdr(0, KVMLET_MSG_CALL, 0, HDR);
	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(msg_decode(raw, HDR, KVMLET_MSG_CALL, 0, &m, why, sizeof(why)), -EPROTO);
	ck_assert_ptr_nonnull(memchr(why, '\0', sizeof(why)));
	ck_assert_uint_eq(strlen(why), sizeof(why) - 1);
	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(msg_decode(raw, HDR, KVMLET_MSG_CALL, 0, &m, why, 0), -EPROTO);
	ck_assert_int_eq(why[0], 'x');
}
END_TEST

/* --- signatures and names --- */

START_TEST(test_sig_check)
{
	static const struct {
		const char *sig;
		int nargs; /* -1: refused */
	} cases[] = {
		{":v", 0},
		{":i", 0},
		{"i:i", 1},
		{"ii:i", 2},
		{"iudbsy:v", 6},
		{"s:s", 1},
		{"y:y", 1},
		{"d:d", 1},
		{"b:b", 1},
		{"u:u", 1},
		{"iiiiiiiiiiiiiiii:v", 16},
		{"syiudbsyiudbsyiu:y", 16},
		{"", -1},
		{"v", -1},
		{"i", -1},
		{":", -1},
		{"i:", -1},
		{"::", -1},
		{":::", -1},
		{"v:v", -1},
		{"iv:i", -1},
		{"x:i", -1},
		{"i:x", -1},
		{"I:i", -1},
		{"i:I", -1},
		{"i:ii", -1},
		{"i:vv", -1},
		{"i:i:i", -1},
		{"i;i", -1},
		{"i :i", -1},
		{"i: i", -1},
		{":v ", -1},
		{"iiiiiiiiiiiiiiiii:v", -1},
		{"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii", -1},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned n = 999;
		bool ok = msg_sig_check(cases[i].sig, &n);

		ck_assert_msg(ok == (cases[i].nargs >= 0), "'%s': %s", cases[i].sig,
			      ok ? "accepted" : "refused");
		ck_assert_msg(n == (ok ? (unsigned)cases[i].nargs : 999u), "'%s': nargs %u",
			      cases[i].sig, n);
	}
}
END_TEST

START_TEST(test_letter_type)
{
	static const struct {
		char c;
		uint32_t t;
	} cases[] = {
		{'i', KVMLET_T_I64},   {'u', KVMLET_T_U64},	    {'d', KVMLET_T_F64},
		{'b', KVMLET_T_BOOL},  {'s', KVMLET_T_STR},	    {'y', KVMLET_T_BYTES},
		{'v', KVMLET_T_VOID},  {'I', KVMLET_T_VOID},	    {':', KVMLET_T_VOID},
		{'\0', KVMLET_T_VOID}, {(char)0xe9, KVMLET_T_VOID},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_uint_eq(msg_letter_type(cases[i].c), cases[i].t);
}
END_TEST

START_TEST(test_name_check)
{
	char longest[KVMLET_NAME_MAX + 2];
	static const struct {
		const char *name;
		size_t len;
		bool ok;
	} cases[] = {
		{"a", 1, true},	    {"Z", 1, true},
		{"0", 1, true},	    {"_", 1, true},
		{".", 1, true},	    {"math.add_2", 10, true},
		{"abc", 2, true}, /* length-counted: "ab" */
		{"", 0, false},	    {"a", 0, false},
		{"a b", 3, false},  {"a-b", 3, false},
		{"a/b", 3, false},  {"a:b", 3, false},
		{"a\0b", 3, false}, {"caf\xc3\xa9", 5, false},
		{"\x80", 1, false}, {"\xff", 1, false},
		{"a\n", 2, false},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(msg_name_check(cases[i].name, cases[i].len) == cases[i].ok,
			      "case %u ('%.*s'): want %s", i, (int)cases[i].len, cases[i].name,
			      cases[i].ok ? "accepted" : "refused");
	memset(longest, 'n', sizeof(longest));
	ck_assert(msg_name_check(longest, KVMLET_NAME_MAX));
	ck_assert(!msg_name_check(longest, KVMLET_NAME_MAX + 1));
	ck_assert(!msg_name_check(longest, SIZE_MAX));
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *rt = tcase_create("roundtrip");
	TCase *enc = tcase_create("encode");
	TCase *dec = tcase_create("decode");
	TCase *sig = tcase_create("names");

	tcase_add_test(rt, test_roundtrip_scalars);
	tcase_add_test(rt, test_roundtrip_strings);
	tcase_add_test(rt, test_roundtrip_max_size);
	tcase_add_test(rt, test_roundtrip_max_values);
	tcase_add_test(rt, test_decode_shorter_than_buffer);
	tcase_add_test(enc, test_encode_e2big);
	tcase_add_test(enc, test_encode_e2big_4g);
	tcase_add_test(enc, test_encode_bad_type);
	tcase_add_test(dec, test_decode_short);
	tcase_add_test(dec, test_decode_bad_magic);
	tcase_add_test(dec, test_decode_wrong_kind);
	tcase_add_test(dec, test_decode_len_past_buffer);
	tcase_add_test(dec, test_decode_len_below_header);
	tcase_add_test(dec, test_decode_too_many_values);
	tcase_add_test(dec, test_decode_values_past_len);
	tcase_add_test(dec, test_decode_offset_before_data);
	tcase_add_test(dec, test_decode_offset_past_end);
	tcase_add_test(dec, test_decode_offset_overflow);
	tcase_add_test(dec, test_decode_bad_bool);
	tcase_add_test(dec, test_decode_unknown_type);
	tcase_add_test(dec, test_decode_bad_utf8);
	tcase_add_test(dec, test_utf8_valid_edges);
	tcase_add_test(dec, test_decode_why_buffer);
	tcase_add_test(sig, test_sig_check);
	tcase_add_test(sig, test_letter_type);
	tcase_add_test(sig, test_name_check);
	suite_add_tcase(s, rt);
	suite_add_tcase(s, enc);
	suite_add_tcase(s, dec);
	suite_add_tcase(s, sig);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
