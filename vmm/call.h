/* SPDX-License-Identifier: MIT */
/* call.h: guest functions (exports) and host functions (call.c). */
#ifndef KVMLET_CALL_H
#define KVMLET_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlet.h"
#include "kvmlet_abi.h"

/* At most this many host functions per sandbox (kept in a growable array). */
#define HOST_FNS_MAX 64

struct batch_slot;

struct host_fn {
	char name[KVMLET_NAME_MAX + 1];
	char sig[KVMLET_SIG_MAX + 1];
	unsigned nargs;
	kvmlet_host_fn fn;
	void *arg;
};

#define CALL_MSG_SMALL 128u

struct calls {
	struct host_fn *host; /* growable: nhost of cap */
	unsigned nhost, host_cap;
	struct kvmlet_export *exports; /* copied from the guest at READY */
	unsigned nexports;
	uint64_t dispatch;    /* guest entry for calls */
	uint64_t call_sp;     /* RSP for calls: the guest's call stack top (READY rcx), or stack_hi */
	uint8_t *result_copy; /* host copies of guest messages (result_size, hostcall_size) */
	uint8_t *hostcall_copy;
	/* The copy of a message of up to CALL_MSG_SMALL bytes (a scalar result, a
	 * small host call), in place of the two above: on the sandbox's first
	 * page, which a call touches anyway. */
	_Alignas(8) uint8_t msg_small[CALL_MSG_SMALL];
	bool in_host_fn; /* a host function of this sandbox is running */
	bool ring;	      /* the guest loops on the call ring (READY had KVMLET_READY_RING) */
	bool resume;	      /* the vCPU waits at RETURN in that loop, as of vCPU gen resume_gen: */
	uint64_t resume_gen;  /* the next call resumes it without setting registers */
	uint64_t call_seq;    /* the last call posted in the ring */
	/* How a call reaches the guest and comes back: NULL for one run until
	 * the RETURN exit; exitless.c puts its own (exits_run's results). */
	int (*transport)(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			 struct kvmlet_error *err);
	struct batch_slot *batch; /* batch.c's per-call scratch, batch_cap slots */
	unsigned batch_cap;
};

/* Register the READY, RETURN and HOSTCALL ports (library initialisation). */
int call_register_exits(void);
/* The host copies of the result and host-call buffers, sized from bi. */
int calls_alloc_buffers(struct calls *c, const struct kvmlet_bootinfo *bi,
			struct kvmlet_error *err);
/* dst gets a copy of src's host functions, exports and dispatcher (not its buffers). */
int calls_copy(struct calls *dst, const struct calls *src, struct kvmlet_error *err);
void calls_free(struct calls *c);

/* --- the steps of a call, shared by kvmlet_call and kvmlet_call_batch --- */

/* Index of the export named name, or -1. */
int call_find_export(const struct kvmlet_sandbox *sb, const char *name);
/* Check values against the argument part of sig: 0, or -EINVAL with why set. */
int call_check_args(const char *sig, const struct kvmlet_value *args, unsigned nargs, char *why,
		    size_t whylen);
/*
 * Encode a message into the guest buffer at gpa and note what the host wrote,
 * so that the next reset restores it: the bytes written on success, the whole
 * buffer when encoding failed part way. Returns the length or -E2BIG, -EINVAL.
 */
int64_t call_host_encode(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t size, uint32_t kind,
			 uint32_t func, uint32_t status, const struct kvmlet_value *v, unsigned n);
/* Before a call: not from a host function, initialised, reset if configured,
 * ready. 0 or a negative errno (err set). */
int call_begin(struct kvmlet_sandbox *sb, struct kvmlet_error *err);
/* Enter the guest's dispatcher and run to its RETURN: LOOP_DONE, or how the
 * run ended (exits_run). */
int call_enter(struct kvmlet_sandbox *sb, struct kvmlet_error *err);
/* After a call: a sandbox still in the call is poisoned. */
void call_end(struct kvmlet_sandbox *sb);
/* Write word field (an offset in struct kvmlet_ring_host) of the call ring. */
int call_ring_write(struct kvmlet_sandbox *sb, size_t field, uint64_t v);
/* Serve the host call in the host-call buffer and mark it answered in the
 * ring: LOOP_CONTINUE, or an outcome as an exit handler's. */
int call_serve_host(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		    struct kvmlet_error *err);
/*
 * Decode export fi's RESULT message in buf (len bytes, a host copy): 0 with
 * *result set, -EREMOTEIO with *result the guest's error message (a string),
 * or -EPROTO with why saying what is malformed. Values point into buf.
 */
int call_decode_result(const struct kvmlet_sandbox *sb, int fi, const void *buf, uint64_t len,
		       struct kvmlet_value *result, char *why, size_t whylen);

#endif /* KVMLET_CALL_H */
