/* SPDX-License-Identifier: MIT */
/* call.h: guest functions (exports) and host functions (call.c). */
#ifndef KVMLET_CALL_H
#define KVMLET_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmlet.h"
#include "kvmlet_abi.h"

/* At most this many host functions per sandbox (kept in a growable array). */
#define HOST_FNS_MAX 64

struct host_fn {
	char name[KVMLET_NAME_MAX + 1];
	char sig[KVMLET_SIG_MAX + 1];
	unsigned nargs;
	kvmlet_host_fn fn;
	void *arg;
};

struct calls {
	struct host_fn *host; /* growable: nhost of cap */
	unsigned nhost, host_cap;
	struct kvmlet_export *exports; /* copied from the guest at READY */
	unsigned nexports;
	uint64_t dispatch;    /* guest entry for calls */
	uint64_t call_sp;     /* RSP for calls: the guest's call stack top (READY rcx), or stack_hi */
	uint8_t *result_copy; /* host copies of guest messages (result_size, hostcall_size) */
	uint8_t *hostcall_copy;
	bool in_host_fn; /* a host function of this sandbox is running */
};

/* Register the READY, RETURN and HOSTCALL ports (library initialisation). */
int call_register_exits(void);
/* The host copies of the result and host-call buffers, sized from bi. */
int calls_alloc_buffers(struct calls *c, const struct kvmlet_bootinfo *bi,
			struct kvmlet_error *err);
/* dst gets a copy of src's host functions, exports and dispatcher (not its buffers). */
int calls_copy(struct calls *dst, const struct calls *src, struct kvmlet_error *err);
void calls_free(struct calls *c);

#endif /* KVMLET_CALL_H */
