/* SPDX-License-Identifier: MIT */
/*
 * call.c: guest functions and host functions. A call writes its arguments
 * into the guest's argument buffer, points the vCPU at the guest's dispatcher
 * through the synced registers (no register ioctl) and runs until the guest's
 * RETURN exit: one entry, one exit. Host calls arrive as HOSTCALL exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "msg.h"

int kvmlet_register(struct kvmlet_sandbox *sb, const char *name, const char *sig,
		    kvmlet_host_fn fn, void *arg, struct kvmlet_error *err)
{
	unsigned nargs;

	if (sb->phase != PH_NEW)
		return kvmlet_fail(err, -EBUSY, "register host functions before the sandbox starts");
	if (!name || !msg_name_check(name, strlen(name)))
		return kvmlet_fail(err, -EINVAL, "bad host function name (use [A-Za-z0-9_.], "
						 "1 to %u bytes)", KVMLET_NAME_MAX);
	if (!sig || !fn || !msg_sig_check(sig, &nargs))
		return kvmlet_fail(err, -EINVAL, "host function %s: bad signature '%s' (e.g. "
						 "\"ii:i\", letters i u d b s y, v for no result)",
				   name, sig ? sig : "(null)");
	for (unsigned i = 0; i < sb->nhost; i++)
		if (!strcmp(sb->host[i].name, name))
			return kvmlet_fail(err, -EEXIST, "host function %s registered twice", name);
	if (sb->nhost == HOST_FNS_MAX)
		return kvmlet_fail(err, -ENOSPC, "more than %d host functions", HOST_FNS_MAX);
	struct host_fn *h = &sb->host[sb->nhost++];
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->sig, sizeof(h->sig), "%s", sig);
	h->nargs = nargs;
	h->fn = fn;
	h->arg = arg;
	return 0;
}

/* Copy and check the guest's export table: names and signatures. */
static int read_exports(struct kvmlet_sandbox *sb, uint64_t va, uint64_t n,
			struct kvmlet_result *res, struct kvmlet_error *err)
{
	uint64_t bad;

	if (n > KVMLET_EXPORTS_MAX)
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				   "guest reports %" PRIu64 " exports, at most %u", n,
				   KVMLET_EXPORTS_MAX);
	free(sb->exports);
	sb->nexports = 0;
	sb->exports = calloc(n ? n : 1, sizeof(*sb->exports));
	if (!sb->exports)
		return kvmlet_fail(err, -ENOMEM, "out of memory for the export table");
	if (copy_from_guest(sb, va, n * sizeof(*sb->exports), sb->exports, &bad, true) < 0)
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				   "guest export table at 0x%" PRIx64 ": 0x%" PRIx64
				   " is not readable",
				   va, bad);
	for (uint64_t i = 0; i < n; i++) {
		struct kvmlet_export *e = &sb->exports[i];
		unsigned nargs;

		e->name[KVMLET_NAME_MAX] = e->sig[KVMLET_SIG_MAX] = '\0';
		if (!msg_name_check(e->name, strlen(e->name)) || !msg_sig_check(e->sig, &nargs))
			return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
					   "guest export %" PRIu64 " has a bad name or signature",
					   i);
		for (uint64_t k = 0; k < i; k++)
			if (!strcmp(sb->exports[k].name, e->name))
				return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
						   "guest exports %s twice", e->name);
	}
	sb->nexports = (unsigned)n;
	return 0;
}

/*
 * A call stack the guest hands at READY (rcx, when rdx has KVMLET_READY_STACK;
 * else the stack's top, stack_hi): 16-byte aligned with the memory below it
 * user-writable, so that a call starts on a stack of its own (a Linux
 * program's main keeps its frames on the other).
 */
static int check_call_stack(struct kvmlet_sandbox *sb, uint64_t top, struct kvmlet_result *res,
			    struct kvmlet_error *err)
{
	const uint32_t want = PT_PROT_USER | PT_PROT_WRITE;
	struct pt_translation t;

	if (top == 0)
		return 0;
	if (top % 16 || top < KVMLET_IMAGE_GPA + 16 || pt_translate(&sb->pt, top - 16, &t) < 0 ||
	    (t.prot & want) != want)
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				   "guest call stack top 0x%llx is not 16-byte aligned "
				   "user-writable memory",
				   (unsigned long long)top);
	return 0;
}

int call_handle_ready(struct kvmlet_sandbox *sb, const struct kvm_regs *regs,
		      struct kvmlet_result *res, struct kvmlet_error *err)
{
	struct pt_translation t;
	int r;

	if (sb->phase != PH_INIT && sb->phase != PH_RUN)
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				   "guest reported READY during a call");
	if (pt_translate(&sb->pt, regs->rdi, &t) < 0 ||
	    (t.prot & (PT_PROT_USER | PT_PROT_EXEC)) != (PT_PROT_USER | PT_PROT_EXEC))
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				   "guest dispatcher 0x%llx is not user-executable",
				   (unsigned long long)regs->rdi);
	/* Guests built before KVMLET_READY_STACK leave rcx undefined: ignore it. */
	uint64_t top = regs->rdx & KVMLET_READY_STACK ? regs->rcx : 0;
	sb->dispatch = regs->rdi;
	if ((r = read_exports(sb, regs->rsi, regs->rdx & ~KVMLET_READY_STACK, res, err)) < 0 ||
	    (r = check_call_stack(sb, top, res, err)) < 0)
		return r;
	sb->call_sp = top ? top : sb->lay.bi.stack_hi;
	return sb->phase == PH_INIT ? LOOP_DONE : LOOP_CONTINUE;
}

int kvmlet_init(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	struct kvmlet_result res = {.vector = -1};
	int r;

	if (sb->phase != PH_NEW)
		return kvmlet_fail(err, -EBUSY, "this sandbox has already started");
	sb->phase = PH_INIT;
	if ((r = sandbox_start(sb, err)) < 0 || (r = sandbox_run_loop(sb, &res, err)) != LOOP_DONE) {
		sb->phase = PH_DONE;
		return r < 0 ? r : kvmlet_fail(err, -EPROTO, "guest ended before it was ready");
	}
	if ((r = reset_snapshot(sb, PH_IDLE, err)) < 0) {
		sb->phase = PH_DONE;
		return r;
	}
	sb->phase = PH_IDLE;
	sb->calls = 0;
	return 0;
}

static int find_export(const struct kvmlet_sandbox *sb, const char *name)
{
	for (unsigned i = 0; i < sb->nexports; i++)
		if (!strcmp(sb->exports[i].name, name))
			return (int)i;
	return -1;
}

/* Check values against the argument part of sig. Returns 0 or -EINVAL (why set). */
static int check_args(const char *sig, const struct kvmlet_value *args, unsigned nargs,
		      char *why, size_t whylen)
{
	unsigned want;

	msg_sig_check(sig, &want);
	if (nargs != want) {
		snprintf(why, whylen, "takes %u argument%s (`%s`), got %u", want,
			 want == 1 ? "" : "s", sig, nargs);
		return -EINVAL;
	}
	for (unsigned i = 0; i < nargs; i++)
		if (args[i].type != msg_letter_type(sig[i])) {
			snprintf(why, whylen, "argument %u is %s; `%s` wants %s", i + 1,
				 msg_type_name(args[i].type), sig, msg_letter_wants(sig[i]));
			return -EINVAL;
		}
	return 0;
}

/* Copy the guest's message out of buf_gpa once, then decode the copy. */
static int read_message(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t size, uint8_t *copy,
			uint32_t kind, unsigned max, struct msg_decoded *m, char *why,
			size_t whylen)
{
	struct kvmlet_msg_hdr h = {0};

	if (kvmlet_read_guest(sb, gpa, &h, sizeof(h)) < 0 || h.len > size || h.len < sizeof(h)) {
		snprintf(why, whylen, "message length %u outside [%zu, %" PRIu64 "]", h.len,
			 sizeof(h), size);
		return -EPROTO;
	}
	if (kvmlet_read_guest(sb, gpa, copy, h.len) < 0)
		return -EPROTO;
	return msg_decode(copy, h.len, kind, max, m, why, whylen);
}

static int call_result(struct kvmlet_sandbox *sb, int fi, struct kvmlet_value *result,
		       struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	const struct kvmlet_export *e = &sb->exports[fi];
	struct msg_decoded m;
	char why[160];
	const char *colon = strchr(e->sig, ':');
	uint32_t want = msg_letter_type(colon[1]);

	if (read_message(sb, bi->result_buf, bi->result_size, sb->result_copy, KVMLET_MSG_RESULT,
			 1, &m, why, sizeof(why)) < 0)
		return kvmlet_fail(err, -EPROTO, "%s: malformed result: %s", e->name, why);
	if (m.status != KVMLET_STATUS_OK) {
		if (m.nvals != 1 || m.vals[0].type != KVMLET_TYPE_STR)
			return kvmlet_fail(err, -EPROTO, "%s: failed, with a malformed message",
					   e->name);
		sb->phase = PH_IDLE;
		return kvmlet_fail(err, -EREMOTEIO, "%s: %.*s", e->name,
				   (int)(m.vals[0].buf.len > 200 ? 200 : m.vals[0].buf.len),
				   (const char *)m.vals[0].buf.ptr);
	}
	if (want == KVMLET_T_VOID ? m.nvals != 0 : (m.nvals != 1 || m.vals[0].type != want))
		return kvmlet_fail(err, -EPROTO, "%s: result does not match signature '%s'",
				   e->name, e->sig);
	*result = want == KVMLET_T_VOID ? (struct kvmlet_value){.type = KVMLET_TYPE_VOID}
					: m.vals[0];
	sb->phase = PH_IDLE;
	return 0;
}

/*
 * Encode a message into the guest buffer at gpa and note what the host wrote,
 * so that the next reset restores it: the bytes written on success, the whole
 * buffer when encoding failed part way (it may have written anywhere in it).
 */
static int64_t host_encode(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t size, uint32_t kind,
			   uint32_t func, uint32_t status, const struct kvmlet_value *v, unsigned n)
{
	int64_t len = msg_encode(kvmlet_guest_ptr(sb, gpa, size), size, kind, func, status, v, n);

	reset_mark_host_dirty(sb, gpa, len < 0 ? size : (uint64_t)len);
	return len;
}

int kvmlet_call(struct kvmlet_sandbox *sb, const char *name, const struct kvmlet_value *args,
		unsigned nargs, struct kvmlet_value *result, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct kvmlet_result res = {.vector = -1};
	char why[160];
	int r, fi;

	*result = (struct kvmlet_value){.type = KVMLET_TYPE_VOID};
	if (sb->in_host_fn)
		return kvmlet_fail(err, -EDEADLK, "a host function called into its own sandbox");
	if (sb->phase == PH_NEW && (r = kvmlet_init(sb, err)) < 0)
		return r;
	if (sb->cfg.reset_each_call && sb->calls > 0 && (r = kvmlet_reset(sb, err)) < 0)
		return r;
	if (sb->phase != PH_IDLE)
		return kvmlet_fail(err, -ENOTRECOVERABLE,
				   "sandbox unusable after a failed call or a run: reset it");
	if ((fi = find_export(sb, name)) < 0)
		return kvmlet_fail(err, -ENOSYS, "the guest has no function named %s", name);
	if (check_args(sb->exports[fi].sig, args, nargs, why, sizeof(why)) < 0)
		return kvmlet_fail(err, -EINVAL, "%s: %s", name, why);
	int64_t n = host_encode(sb, bi->args_buf, bi->args_size, KVMLET_MSG_CALL, (uint32_t)fi, 0,
				args, nargs);
	if (n < 0)
		return kvmlet_fail(err, (int)n, "%s: arguments do not fit the %" PRIu64
						"-byte argument buffer", name, bi->args_size);
	if ((r = kvm_set_entry(&sb->vm, sb->dispatch, sb->call_sp, err)) < 0)
		return r;
	sb->phase = PH_CALL;
	sb->calls++;
	r = sandbox_run_loop(sb, &res, err);
	if (r == LOOP_DONE)
		r = call_result(sb, fi, result, err);
	else if (r >= 0)
		r = kvmlet_fail(err, -EPROTO, "%s: the call ended without a result", name);
	if (sb->phase == PH_CALL)
		sb->phase = PH_DONE; /* poisoned: a reset (or a new sandbox) brings it back */
	return r;
}

static int reply(struct kvmlet_sandbox *sb, uint32_t status, const struct kvmlet_value *v,
		 unsigned n)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	int64_t len = host_encode(sb, bi->hostcall_buf, bi->hostcall_size, KVMLET_MSG_RESULT, 0,
				  status, v, n);

	return len < 0 ? -E2BIG : LOOP_CONTINUE;
}

static int reply_error(struct kvmlet_sandbox *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The host call fails as the guest sees it; the guest goes on. */
static int reply_error(struct kvmlet_sandbox *sb, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct kvmlet_value v = kvmlet_str(msg, strlen(msg));
	return reply(sb, KVMLET_STATUS_ERROR, &v, 1);
}

int call_handle_hostcall(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			 struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct msg_decoded m;
	struct host_fn *h = NULL;
	char why[256] = "";
	int r;

	r = read_message(sb, bi->hostcall_buf, bi->hostcall_size, sb->hostcall_copy,
			 KVMLET_MSG_HOSTCALL, KVMLET_MSG_VALUES_MAX, &m, why, sizeof(why));
	if (r < 0)
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO, "malformed host call: %s",
				   why);
	if (m.nvals == 0 || m.vals[0].type != KVMLET_TYPE_STR)
		return run_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				   "malformed host call: no function name");
	const char *name = m.vals[0].buf.ptr;
	size_t nlen = m.vals[0].buf.len;
	for (unsigned i = 0; i < sb->nhost && !h; i++)
		if (strlen(sb->host[i].name) == nlen && !memcmp(sb->host[i].name, name, nlen))
			h = &sb->host[i];
	if (!h)
		return reply_error(sb, "no host function named %.*s", (int)(nlen > 64 ? 64 : nlen),
				   name);
	if (check_args(h->sig, m.vals + 1, m.nvals - 1, why, sizeof(why)) < 0)
		return reply_error(sb, "%s: %s", h->name, why);

	struct kvmlet_value result = {.type = KVMLET_TYPE_VOID};
	sb->in_host_fn = true;
	r = h->fn(h->arg, m.vals + 1, m.nvals - 1, &result, why, sizeof(why));
	sb->in_host_fn = false;
	if (r < 0)
		return reply_error(sb, "%s: %s", h->name, why[0] ? why : "failed");
	uint32_t want = msg_letter_type(strchr(h->sig, ':')[1]);
	if (want == KVMLET_T_VOID)
		return reply(sb, KVMLET_STATUS_OK, NULL, 0);
	if (result.type != want)
		return reply_error(sb, "%s: host function returned the wrong type", h->name);
	if (reply(sb, KVMLET_STATUS_OK, &result, 1) < 0)
		return reply_error(sb, "%s: result too large for the host-call buffer", h->name);
	return LOOP_CONTINUE;
}

unsigned kvmlet_export_count(const struct kvmlet_sandbox *sb)
{
	return sb->nexports;
}

const char *kvmlet_export_name(const struct kvmlet_sandbox *sb, unsigned i, const char **sig)
{
	if (i >= sb->nexports)
		return NULL;
	if (sig)
		*sig = sb->exports[i].sig;
	return sb->exports[i].name;
}
