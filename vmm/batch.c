/* SPDX-License-Identifier: MIT */
/*
 * batch.c: kvmlet_call_batch. The host checks every call as kvmlet_call does,
 * encodes the valid ones into the argument buffer behind a batch header, and
 * enters the guest's dispatcher once; the guest runs them in order and writes
 * one result per call (kvmlet_abi.h), then RETURNs: one entry, one exit when
 * no call makes a host call. The results are copied out once and decoded from
 * the copy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "call.h"
#include "error.h"
#include "exits.h"
#include "msg.h"
#include "sandbox.h"

_Static_assert(KVMLET_BATCH_MAX_CALLS == KVMLET_BATCH_MAX, "public and ABI batch limits differ");

static uint64_t table_size(uint32_t count)
{
	return sizeof(struct kvmlet_batch_hdr) +
	       (uint64_t)count * sizeof(struct kvmlet_batch_entry);
}

/* Look every call up and check its arguments; returns how many will be sent. */
static uint32_t batch_check(struct kvmlet_sandbox *sb, const struct kvmlet_batch_call *calls,
			    unsigned n, struct batch_slot *slot)
{
	uint32_t sent = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *name = calls[i].name ? calls[i].name : "(null)";

		slot[i].why[0] = '\0';
		slot[i].fi = calls[i].name ? call_find_export(sb, calls[i].name) : -1;
		if (slot[i].fi < 0) {
			snprintf(slot[i].why, sizeof(slot[i].why),
				 "the guest has no function named %.63s", name);
			continue;
		}
		char why[100];
		if (call_check_args(sb->calls.exports[slot[i].fi].sig, calls[i].args,
				    calls[i].nargs, why, sizeof(why)) < 0) {
			snprintf(slot[i].why, sizeof(slot[i].why), "%.63s: %.99s", name, why);
			slot[i].fi = -2;
			continue;
		}
		sent++;
	}
	return sent;
}

/* Header, entries, messages into the guest's argument buffer. Returns 0 or -E2BIG. */
static int batch_encode(struct kvmlet_sandbox *sb, const struct kvmlet_batch_call *calls,
			unsigned n, const struct batch_slot *slot, uint32_t sent)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	uint8_t *buf = GUEST_PTR(&sb->gm, bi->args_buf, bi->args_size);
	uint64_t cap = bi->args_size < UINT32_MAX ? bi->args_size : UINT32_MAX;
	uint64_t off = table_size(sent);
	struct kvmlet_batch_entry e;
	uint32_t k = 0;

	if (!buf || off > cap)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++) {
		if (slot[i].fi < 0)
			continue;
		off = (off + 7) & ~7ull;
		int64_t len = off > cap ? -E2BIG
					: msg_encode(buf + off, cap - off, KVMLET_MSG_CALL,
						     (uint32_t)slot[i].fi, 0, calls[i].args,
						     calls[i].nargs);
		if (len < 0) {
			guest_mem_mark_written(&sb->gm, bi->args_buf, bi->args_size);
			return (int)len;
		}
		e = (struct kvmlet_batch_entry){.off = (uint32_t)off, .len = (uint32_t)len};
		memcpy(buf + table_size(k), &e, sizeof(e));
		k++;
		off += (uint64_t)len;
	}
	struct kvmlet_batch_hdr h = {.magic = KVMLET_MSG_MAGIC,
				     .kind = KVMLET_MSG_BATCH,
				     .count = sent,
				     .len = (uint32_t)off};
	memcpy(buf, &h, sizeof(h));
	guest_mem_mark_written(&sb->gm, bi->args_buf, off);
	return 0;
}

/* Copy the guest's batch of results once, then decode each call's from the
 * copy. Returns how many calls failed, or -EPROTO (err set). */
static int batch_results(struct kvmlet_sandbox *sb, const struct kvmlet_batch_call *calls,
			 unsigned n, const struct batch_slot *slot, uint32_t sent,
			 struct kvmlet_batch_result *results, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	uint8_t *copy = sb->calls.result_copy;
	struct kvmlet_batch_hdr h = {0};
	struct kvmlet_batch_entry e;
	char why[160];
	int failed = 0;

	if (sent == 0) /* nothing went to the guest */
		h = (struct kvmlet_batch_hdr){.magic = KVMLET_MSG_MAGIC, .kind = KVMLET_MSG_BATCH};
	else if (GUEST_READ(&sb->gm, bi->result_buf, &h, sizeof(h)) < 0 ||
		 h.magic != KVMLET_MSG_MAGIC || h.kind != KVMLET_MSG_BATCH || h.count != sent ||
		 h.len > bi->result_size || h.len < table_size(sent))
		return kvmlet_fail(err, -EPROTO,
				   "malformed batch result (magic 0x%x, kind %u, %u results of "
				   "%u, %u bytes)",
				   h.magic, h.kind, h.count, sent, h.len);
	if (sent && GUEST_READ(&sb->gm, bi->result_buf, copy, h.len) < 0)
		return kvmlet_fail(err, -EPROTO, "batch result not readable");
	for (unsigned i = 0, k = 0; i < n; i++) {
		struct kvmlet_batch_result *res = &results[i];

		if (slot[i].fi < 0) {
			res->status = slot[i].fi == -1 ? -ENOSYS : -EINVAL;
			res->value = kvmlet_str(slot[i].why, strlen(slot[i].why));
			failed++;
			continue;
		}
		memcpy(&e, copy + table_size(k++), sizeof(e));
		if (e.off < table_size(sent) || (uint64_t)e.off + e.len > h.len)
			return kvmlet_fail(err, -EPROTO,
					   "call %u (%s): result of %u bytes at offset %u outside "
					   "the batch's %u bytes",
					   i + 1, calls[i].name, e.len, e.off, h.len);
		res->status = call_decode_result(sb, slot[i].fi, copy + e.off, e.len, &res->value,
						 why, sizeof(why));
		if (res->status == -EPROTO)
			return kvmlet_fail(err, -EPROTO, "call %u (%s): malformed result: %s",
					   i + 1, calls[i].name, why);
		failed += res->status < 0;
	}
	return failed;
}

/* The scratch for n calls: grown, never shrunk, freed with the sandbox. */
static struct batch_slot *batch_slots(struct calls *c, unsigned n)
{
	if (n > c->batch_cap) {
		struct batch_slot *s = realloc(c->batch, n * sizeof(*s));
		if (!s)
			return NULL;
		c->batch = s;
		c->batch_cap = n;
	}
	return c->batch;
}

int kvmlet_call_batch(struct kvmlet_sandbox *sb, const struct kvmlet_batch_call *calls, unsigned n,
		      struct kvmlet_batch_result *results, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct batch_slot *slot;
	int r;

	for (unsigned i = 0; i < n && i < KVMLET_BATCH_MAX; i++)
		results[i] = (struct kvmlet_batch_result){.status = -ECANCELED,
							  .value = {.type = KVMLET_TYPE_VOID}};
	if (n > KVMLET_BATCH_MAX)
		return kvmlet_fail(err, -E2BIG, "a batch of %u calls: at most %u", n,
				   KVMLET_BATCH_MAX);
	if ((r = call_begin(sb, err)) < 0)
		return r;
	if (n == 0)
		return 0;
	if (!(slot = batch_slots(&sb->calls, n)))
		return kvmlet_fail(err, -ENOMEM, "out of memory for a batch of %u calls", n);
	uint32_t sent = batch_check(sb, calls, n, slot);
	uint64_t need = table_size(sent) + (uint64_t)sent * KVMLET_BATCH_SLOT_MIN;
	if (need > bi->result_size)
		return kvmlet_fail(err, -E2BIG,
				   "a batch of %u calls needs a result buffer of at least %" PRIu64
				   " bytes; this one has %" PRIu64,
				   sent, need, bi->result_size);
	if (sent == 0)
		return batch_results(sb, calls, n, slot, 0, results, err);
	if (batch_encode(sb, calls, n, slot, sent) < 0)
		return kvmlet_fail(err, -E2BIG,
				   "a batch of %u calls: arguments do not fit the %" PRIu64
				   "-byte argument buffer",
				   sent, bi->args_size);
	r = call_enter(sb, err);
	if (r == LOOP_DONE && (r = batch_results(sb, calls, n, slot, sent, results, err)) >= 0)
		phase_move(&sb->phase, PT_RETURN);
	else if (r >= 0)
		r = kvmlet_fail(err, -EPROTO, "the batch ended without its results");
	call_end(sb);
	return r;
}
