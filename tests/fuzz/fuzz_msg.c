/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msg.c: libFuzzer target for the call-message decoder. The first byte
 * picks the kind and the value limit the decoder is given; the rest is the
 * message. Beyond "no crash", it checks every promise msg_decode makes about
 * a message it accepts, then encodes the decoded values again and checks that
 * they decode to the same thing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "fuzz_util.h"

#define HDR sizeof(struct kvmlet_msg_hdr)
#define VAL sizeof(struct kvmlet_msg_val)


/* Everything an accepted message promises; p and len are the decoder's buffer. */
static void check_decoded(const uint8_t *p, uint64_t len, unsigned max, const struct msg_decoded *m)
{
	struct kvmlet_msg_hdr h;

	memcpy(&h, p, sizeof(h));
	CHECK(h.len >= HDR && h.len <= len);
	CHECK(m->nvals == h.nvals && m->nvals <= max && m->nvals <= KVMLET_MSG_VALUES_MAX);
	CHECK(m->func == h.func && m->status == h.status);
	for (unsigned i = 0; i < m->nvals; i++) {
		const struct kvmlet_value *v = &m->vals[i];
		const uint8_t *b = v->buf.ptr;

		CHECK(v->type >= KVMLET_T_I64 && v->type <= KVMLET_T_BYTES);
		if (v->type != KVMLET_T_STR && v->type != KVMLET_T_BYTES)
			continue;
		/* Inside the message, after the value array: never the header or values. */
		CHECK(b >= p + HDR + m->nvals * VAL && b <= p + h.len);
		CHECK(v->buf.len <= (uint64_t)(p + h.len - b));
		CHECK(v->type != KVMLET_T_STR || msg_utf8_valid(b, v->buf.len));
	}
}

static bool same(const struct kvmlet_value *a, const struct kvmlet_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case KVMLET_T_BOOL:
		return a->b == b->b;
	case KVMLET_T_STR:
	case KVMLET_T_BYTES:
		return a->buf.len == b->buf.len &&
		       (a->buf.len == 0 || memcmp(a->buf.ptr, b->buf.ptr, a->buf.len) == 0);
	default:
		return a->u64 == b->u64; /* F64 too: its bits */
	}
}

/* Encoding what was decoded fits in as many bytes and decodes to the same values. */
static void check_reencode(uint32_t kind, uint64_t len, const struct msg_decoded *m)
{
	uint8_t *buf = malloc(len);
	struct msg_decoded m2;
	char why[160];
	int64_t n;

	CHECK(buf != NULL);
	n = msg_encode(buf, len, kind, m->func, m->status, m->vals, m->nvals);
	/* The canonical form has no gaps, but each string needs its NUL. */
	if (n == -E2BIG) {
		free(buf);
		return;
	}
	CHECK(n >= (int64_t)(HDR + m->nvals * VAL) && (uint64_t)n <= len);
	CHECK(msg_decode(buf, (uint64_t)n, kind, m->nvals, &m2, why, sizeof(why)) == 0);
	CHECK(m2.nvals == m->nvals && m2.func == m->func && m2.status == m->status);
	for (unsigned i = 0; i < m->nvals; i++)
		CHECK(same(&m->vals[i], &m2.vals[i]));
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t kinds[] = {KVMLET_MSG_CALL, KVMLET_MSG_RESULT, KVMLET_MSG_HOSTCALL,
					 0};
	struct msg_decoded m;
	char why[160];
	uint32_t kind;
	unsigned max;
	int r;

	if (size < 1)
		return 0;
	kind = kinds[data[0] & 3];
	max = (data[0] >> 2) % (KVMLET_MAX_VALUES + 1); /* 0..16: every limit */
	if ((data[0] >> 2) == 63)
		max = KVMLET_MAX_VALUES + 100; /* a caller asking for more than the ABI allows */
	data++, size--;

	memset(why, 'x', sizeof(why));
	r = msg_decode(data, size, kind, max, &m, why, sizeof(why));
	CHECK(r == 0 || r == -EPROTO);
	if (r < 0) {
		CHECK(why[0] != '\0' && why[0] != 'x' && memchr(why, '\0', sizeof(why)) != NULL);
		return 0;
	}
	check_decoded(data, size, max, &m);
	check_reencode(kind, size, &m);
	return 0;
}
