/* SPDX-License-Identifier: MIT */
/*
 * call.c: guest functions and host functions. A call writes its arguments
 * into the guest's argument buffer, points the vCPU at the guest's dispatcher
 * through the synced registers (no register ioctl) and runs until the guest's
 * RETURN exit: one entry, one exit. Host calls arrive as HOSTCALL exits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "error.h"
#include "exits.h"
#include "msg.h"
#include "sandbox.h"

int kvmlet_register(struct kvmlet_sandbox *sb, const char *name, const char *sig, kvmlet_host_fn fn,
		    void *arg, struct kvmlet_error *err)
{
	unsigned nargs;

	if (!phase_is(&sb->phase, PH_NEW) && !phase_is(&sb->phase, PH_PREPARED))
		return kvmlet_fail(err, -EBUSY,
				   "register host functions before the sandbox starts");
	if (!name || !msg_name_check(name, strlen(name)))
		return kvmlet_fail(err, -EINVAL,
				   "bad host function name (use [A-Za-z0-9_.], "
				   "1 to %u bytes)",
				   KVMLET_NAME_MAX);
	if (!sig || !fn || !msg_sig_check(sig, &nargs))
		return kvmlet_fail(err, -EINVAL,
				   "host function %s: bad signature '%s' (e.g. "
				   "\"ii:i\", letters i u d b s y, v for no result)",
				   name, sig ? sig : "(null)");
	struct calls *c = &sb->calls;
	for (unsigned i = 0; i < c->nhost; i++)
		if (!strcmp(c->host[i].name, name))
			return kvmlet_fail(err, -EEXIST, "host function %s registered twice", name);
	if (c->nhost == HOST_FNS_MAX)
		return kvmlet_fail(err, -ENOSPC, "more than %d host functions", HOST_FNS_MAX);
	if (c->nhost == c->host_cap) {
		unsigned cap = c->host_cap ? 2 * c->host_cap : 4;
		struct host_fn *v = realloc(c->host, cap * sizeof(*v));
		if (!v)
			return kvmlet_fail(err, -ENOMEM, "out of memory for host functions");
		c->host = v;
		c->host_cap = cap;
	}
	struct host_fn *h = &c->host[c->nhost++];
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
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				     "guest reports %" PRIu64 " exports, at most %u", n,
				     KVMLET_EXPORTS_MAX);
	struct calls *c = &sb->calls;
	free(c->exports);
	c->nexports = 0;
	c->exports = calloc(n ? n : 1, sizeof(*c->exports));
	if (!c->exports)
		return kvmlet_fail(err, -ENOMEM, "out of memory for the export table");
	if (GUEST_READ_VA(&sb->gm, va, c->exports, n * sizeof(*c->exports), GM_USER, &bad) < 0)
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				     "guest export table at 0x%" PRIx64 ": 0x%" PRIx64
				     " is not readable",
				     va, bad);
	for (uint64_t i = 0; i < n; i++) {
		struct kvmlet_export *e = &c->exports[i];
		unsigned nargs;

		e->name[KVMLET_NAME_MAX] = e->sig[KVMLET_SIG_MAX] = '\0';
		if (!msg_name_check(e->name, strlen(e->name)) || !msg_sig_check(e->sig, &nargs))
			return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
					     "guest export %" PRIu64 " has a bad name or signature",
					     i);
		for (uint64_t k = 0; k < i; k++)
			if (!strcmp(c->exports[k].name, e->name))
				return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
						     "guest exports %s twice", e->name);
	}
	c->nexports = (unsigned)n;
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
	if (top % 16 || top < KVMLET_IMAGE_GPA + 16 || pt_translate(&sb->gm.pt, top - 16, &t) < 0 ||
	    (t.prot & want) != want)
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				     "guest call stack top 0x%llx is not 16-byte aligned "
				     "user-writable memory",
				     (unsigned long long)top);
	return 0;
}

static int handle_ready(struct kvmlet_sandbox *sb, const struct exit_io *io,
			struct kvmlet_result *res, struct kvmlet_error *err)
{
	const struct kvm_regs *regs = &io->regs;
	struct pt_translation t;
	int r;

	if (!phase_is(&sb->phase, PH_STARTING) && !phase_is(&sb->phase, PH_RUNNING))
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				     "guest reported READY during a call");
	if (pt_translate(&sb->gm.pt, regs->rdi, &t) < 0 ||
	    (t.prot & (PT_PROT_USER | PT_PROT_EXEC)) != (PT_PROT_USER | PT_PROT_EXEC))
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				     "guest dispatcher 0x%llx is not user-executable",
				     (unsigned long long)regs->rdi);
	/* Guests built before KVMLET_READY_STACK leave rcx undefined: ignore it. */
	uint64_t top = regs->rdx & KVMLET_READY_STACK ? regs->rcx : 0;
	sb->calls.dispatch = regs->rdi;
	sb->calls.ring = (regs->rdx & KVMLET_READY_RING) && sb->lay.bi.ring_host;
	if ((r = read_exports(sb, regs->rsi, regs->rdx & 0xffffffffu, res, err)) < 0 ||
	    (r = check_call_stack(sb, top, res, err)) < 0)
		return r;
	sb->calls.call_sp = top ? top : sb->lay.bi.stack_hi;
	return phase_is(&sb->phase, PH_STARTING) ? LOOP_DONE : LOOP_CONTINUE;
}

KVMLET_HOT static int handle_return(struct kvmlet_sandbox *sb, const struct exit_io *io,
			 struct kvmlet_result *res, struct kvmlet_error *err)
{
	if (phase_is(&sb->phase, PH_IN_CALL))
		return LOOP_DONE;
	return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
			     "guest returned a result outside a call (RIP 0x%" PRIx64 ")",
			     (uint64_t)io->regs.rip);
}

/* Is the NUL-terminated name stored the n bytes at name? Compared here, not by
 * libc: a call touches no libc page (each page costs a TLB miss after an exit
 * under nested KVM). */
static inline bool name_is(const char *stored, const char *name, size_t n)
{
	size_t k = 0;

	while (k < n && stored[k] && stored[k] == name[k])
		k++;
	return k == n && !stored[k];
}

KVMLET_HOT int call_find_export(const struct kvmlet_sandbox *sb, const char *name)
{
	size_t n = 0;

	while (n <= KVMLET_NAME_MAX && name[n])
		n++; /* longer than any name: matches none */
	for (unsigned i = 0; i < sb->calls.nexports; i++)
		if (name_is(sb->calls.exports[i].name, name, n))
			return (int)i;
	return -1;
}

KVMLET_HOT int call_check_args(const char *sig, const struct kvmlet_value *args, unsigned nargs, char *why,
		    size_t whylen)
{
	unsigned want = msg_sig_nargs(sig);

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

/*
 * The guest's message of len bytes at gpa, in a buffer of size bytes, copied
 * out: to calls.msg_small when it fits, as a copy of constant size (which the
 * compiler makes inline: a call touches no libc page), else to big. NULL if
 * it is not in guest memory.
 */
KVMLET_HOT static const uint8_t *copy_message(struct kvmlet_sandbox *sb, uint64_t gpa,
					      uint64_t size, uint32_t len, uint8_t *big)
{
	uint8_t *small = sb->calls.msg_small;

	if (len <= CALL_MSG_SMALL && size >= CALL_MSG_SMALL)
		return GUEST_READ(&sb->gm, gpa, small, CALL_MSG_SMALL) < 0 ? NULL : small;
	return GUEST_READ(&sb->gm, gpa, big, len) < 0 ? NULL : big;
}

/* Copy the guest's message out of buf_gpa once, then decode the copy. */
KVMLET_HOT static int read_message(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t size,
				   uint8_t *big, uint32_t kind, unsigned max, struct msg_decoded *m,
				   char *why, size_t whylen)
{
	struct kvmlet_msg_hdr h = {0};
	const uint8_t *copy;

	if (GUEST_READ(&sb->gm, gpa, &h, sizeof(h)) < 0 || h.len > size || h.len < sizeof(h)) {
		snprintf(why, whylen, "message length %u outside [%zu, %" PRIu64 "]", h.len,
			 sizeof(h), size);
		return -EPROTO;
	}
	if (!(copy = copy_message(sb, gpa, size, h.len, big)))
		return -EPROTO;
	return msg_decode(copy, h.len, kind, max, m, why, whylen);
}

KVMLET_HOT int call_decode_result(const struct kvmlet_sandbox *sb, int fi, const void *buf, uint64_t len,
		       struct kvmlet_value *result, char *why, size_t whylen)
{
	const struct kvmlet_export *e = &sb->calls.exports[fi];
	uint32_t want = msg_sig_result(e->sig);
	struct msg_decoded m;

	*result = (struct kvmlet_value){.type = KVMLET_TYPE_VOID};
	if (msg_decode(buf, len, KVMLET_MSG_RESULT, 1, &m, why, whylen) < 0)
		return -EPROTO;
	if (m.status != KVMLET_STATUS_OK) {
		if (m.nvals != 1 || m.vals[0].type != KVMLET_TYPE_STR) {
			snprintf(why, whylen, "failed, with a malformed message");
			return -EPROTO;
		}
		*result = m.vals[0];
		return -EREMOTEIO;
	}
	if (want == KVMLET_T_VOID ? m.nvals != 0 : (m.nvals != 1 || m.vals[0].type != want)) {
		snprintf(why, whylen, "result does not match signature '%s'", e->sig);
		return -EPROTO;
	}
	if (want != KVMLET_T_VOID)
		*result = m.vals[0];
	return 0;
}

KVMLET_HOT static int call_result(struct kvmlet_sandbox *sb, int fi, struct kvmlet_value *result,
		       struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	const char *name = sb->calls.exports[fi].name;
	struct kvmlet_msg_hdr h = {0};
	char why[160];
	int r;

	if (GUEST_READ(&sb->gm, bi->result_buf, &h, sizeof(h)) < 0 || h.len > bi->result_size ||
	    h.len < sizeof(h))
		return kvmlet_fail(err, -EPROTO,
				   "%s: malformed result: message length %u outside [%zu, %" PRIu64
				   "]",
				   name, h.len, sizeof(h), bi->result_size);
	const uint8_t *copy =
		copy_message(sb, bi->result_buf, bi->result_size, h.len, sb->calls.result_copy);
	if (!copy)
		return kvmlet_fail(err, -EPROTO, "%s: result not readable", name);
	r = call_decode_result(sb, fi, copy, h.len, result, why, sizeof(why));
	if (r == -EPROTO)
		return kvmlet_fail(err, r, "%s: malformed result: %s", name, why);
	phase_move(&sb->phase, PT_RETURN);
	if (r == -EREMOTEIO) {
		size_t n = result->buf.len > 200 ? 200 : result->buf.len;
		const char *msg = result->buf.ptr;

		*result = (struct kvmlet_value){.type = KVMLET_TYPE_VOID};
		return kvmlet_fail(err, r, "%s: %.*s", name, (int)n, msg);
	}
	return 0;
}

KVMLET_HOT int64_t call_host_encode(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t size, uint32_t kind,
			 uint32_t func, uint32_t status, const struct kvmlet_value *v, unsigned n)
{
	void *buf = GUEST_PTR(&sb->gm, gpa, size);
	int64_t len = buf ? msg_encode(buf, size, kind, func, status, v, n) : -EFAULT;

	guest_mem_mark_written(&sb->gm, gpa, len < 0 ? size : (uint64_t)len);
	return len;
}

KVMLET_HOT int call_begin(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	int r;

	if (sb->calls.in_host_fn)
		return kvmlet_fail(err, -EDEADLK, "a host function called into its own sandbox");
	if ((phase_is(&sb->phase, PH_NEW) || phase_is(&sb->phase, PH_PREPARED)) &&
	    (r = kvmlet_init(sb, err)) < 0)
		return r;
	if (sb->cfg.reset_each_call && sb->snap.calls > 0 && (r = kvmlet_reset(sb, err)) < 0)
		return r;
	if (!phase_is(&sb->phase, PH_READY))
		return kvmlet_fail(err, -ENOTRECOVERABLE,
				   "sandbox unusable after a failed call or a run: reset it");
	return 0;
}

KVMLET_HOT int call_ring_write(struct kvmlet_sandbox *sb, size_t field, uint64_t v)
{
	uint64_t gpa = sb->lay.bi.ring_host + field;
	uint64_t *p = GUEST_PTR(&sb->gm, gpa, sizeof(v));

	if (!p || gpa % sizeof(v))
		return -EFAULT;
	/* One store, after everything written before it: a guest polling the
	 * ring (exitless.c) reads the message only once it sees the word. */
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
	guest_mem_mark_written(&sb->gm, gpa, sizeof(v));
	return 0;
}

/*
 * A guest that loops on the ring and waits at RETURN with nothing set since
 * is resumed there; any other is entered at its dispatcher. Either way the
 * call is posted in the ring (the looping guest checks call_seq).
 */
KVMLET_HOT int call_enter(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	struct calls *c = &sb->calls;
	struct kvmlet_result res = {.vector = -1};
	int r;

	if (!(c->resume && c->resume_gen == sb->vcpu.gen) &&
	    (r = vcpu_set_entry(&sb->vcpu, c->dispatch, c->call_sp, err)) < 0)
		return r;
	if ((r = phase_move(&sb->phase, PT_CALL)) < 0)
		return r;
	c->resume = false;
	if (c->ring && (r = call_ring_write(sb, offsetof(struct kvmlet_ring_host, call_seq),
					    ++c->call_seq)) < 0)
		return kvmlet_fail(err, r, "the call ring is not in guest memory");
	sb->snap.calls++;
	r = c->transport ? c->transport(sb, &res, err) : exits_run(sb, &res, err);
	if (r == LOOP_DONE && c->ring) {
		c->resume = true;
		c->resume_gen = sb->vcpu.gen;
	}
	return r;
}

KVMLET_HOT void call_end(struct kvmlet_sandbox *sb)
{
	if (phase_is(&sb->phase, PH_IN_CALL))
		phase_move(&sb->phase, PT_POISON); /* a reset (or a new sandbox) brings it back */
}

KVMLET_HOT int kvmlet_call(struct kvmlet_sandbox *sb, const char *name, const struct kvmlet_value *args,
		unsigned nargs, struct kvmlet_value *result, struct kvmlet_error *err)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	char why[160];
	int r, fi;

	*result = (struct kvmlet_value){.type = KVMLET_TYPE_VOID};
	if ((r = call_begin(sb, err)) < 0)
		return r;
	if ((fi = call_find_export(sb, name)) < 0)
		return kvmlet_fail(err, -ENOSYS, "the guest has no function named %s", name);
	if (call_check_args(sb->calls.exports[fi].sig, args, nargs, why, sizeof(why)) < 0)
		return kvmlet_fail(err, -EINVAL, "%s: %s", name, why);
	int64_t n = call_host_encode(sb, bi->args_buf, bi->args_size, KVMLET_MSG_CALL, (uint32_t)fi,
				     0, args, nargs);
	if (n < 0)
		return kvmlet_fail(err, (int)n,
				   "%s: arguments do not fit the %" PRIu64 "-byte argument buffer",
				   name, bi->args_size);
	r = call_enter(sb, err);
	if (r == LOOP_DONE)
		r = call_result(sb, fi, result, err);
	else if (r >= 0)
		r = kvmlet_fail(err, -EPROTO, "%s: the call ended without a result", name);
	call_end(sb);
	return r;
}

KVMLET_HOT static int reply(struct kvmlet_sandbox *sb, uint32_t status, const struct kvmlet_value *v,
		 unsigned n)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	int64_t len = call_host_encode(sb, bi->hostcall_buf, bi->hostcall_size, KVMLET_MSG_RESULT, 0,
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
	/* A string the guest reads is UTF-8: cutting the guest's function name
	 * (or the message) to size may split a character; drop its bytes. */
	size_t n = strlen(msg);
	while (n && !msg_utf8_valid((const uint8_t *)msg, n))
		n--;
	struct kvmlet_value v = kvmlet_str(msg, n);
	return reply(sb, KVMLET_STATUS_ERROR, &v, 1);
}

KVMLET_HOT static int host_call(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		     struct kvmlet_error *err);

/*
 * Serve the host call the guest posted, then tell it the reply is there
 * (host_done = its host_seq; a guest on the ring waits for that).
 */
KVMLET_HOT int call_serve_host(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	uint64_t seq = 0;
	int r = host_call(sb, res, err);

	if (r == LOOP_CONTINUE && sb->calls.ring &&
	    (GUEST_READ(&sb->gm, sb->lay.bi.ring_guest + offsetof(struct kvmlet_ring_guest, host_seq),
			&seq, sizeof(seq)) < 0 ||
	     call_ring_write(sb, offsetof(struct kvmlet_ring_host, host_done), seq) < 0))
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "the call ring is not in guest memory");
	return r;
}

KVMLET_HOT static int handle_hostcall(struct kvmlet_sandbox *sb, const struct exit_io *io,
			   struct kvmlet_result *res, struct kvmlet_error *err)
{
	(void)io;
	return call_serve_host(sb, res, err);
}

KVMLET_HOT static int host_call(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		     struct kvmlet_error *err)
{
	struct calls *c = &sb->calls;
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct msg_decoded m;
	struct host_fn *h = NULL;
	char why[256] = "";
	int r;

	r = read_message(sb, bi->hostcall_buf, bi->hostcall_size, c->hostcall_copy,
			 KVMLET_MSG_HOSTCALL, KVMLET_MSG_VALUES_MAX, &m, why, sizeof(why));
	if (r < 0)
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO, "malformed host call: %s",
				     why);
	if (m.nvals == 0 || m.vals[0].type != KVMLET_TYPE_STR)
		return error_outcome(res, err, KVMLET_FAULTED, -EPROTO,
				     "malformed host call: no function name");
	const char *name = m.vals[0].buf.ptr;
	size_t nlen = m.vals[0].buf.len;
	for (unsigned i = 0; i < c->nhost && !h; i++)
		if (name_is(c->host[i].name, name, nlen))
			h = &c->host[i];
	if (!h)
		return reply_error(sb, "no host function named %.*s", (int)(nlen > 64 ? 64 : nlen),
				   name);
	if (call_check_args(h->sig, m.vals + 1, m.nvals - 1, why, sizeof(why)) < 0)
		return reply_error(sb, "%s: %s", h->name, why);

	struct kvmlet_value result = {.type = KVMLET_TYPE_VOID};
	c->in_host_fn = true;
	r = h->fn(h->arg, m.vals + 1, m.nvals - 1, &result, why, sizeof(why));
	c->in_host_fn = false;
	if (r < 0)
		return reply_error(sb, "%s: %s", h->name, why[0] ? why : "failed");
	uint32_t want = msg_sig_result(h->sig);
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
	return sb->calls.nexports;
}

const char *kvmlet_export_name(const struct kvmlet_sandbox *sb, unsigned i, const char **sig)
{
	if (i >= sb->calls.nexports)
		return NULL;
	if (sig)
		*sig = sb->calls.exports[i].sig;
	return sb->calls.exports[i].name;
}

int call_register_exits(void)
{
	int r;

	if ((r = exits_register_port(KVMLET_PORT_READY, "ready", EXIT_PLAIN_OUT, handle_ready)) <
		    0 ||
	    (r = exits_register_port(KVMLET_PORT_RETURN, "return", EXIT_PLAIN_OUT, handle_return)) <
		    0)
		return r;
	return exits_register_port(KVMLET_PORT_HOSTCALL, "host call", 0, handle_hostcall);
}

int calls_alloc_buffers(struct calls *c, const struct kvmlet_bootinfo *bi, struct kvmlet_error *err)
{
	c->result_copy = malloc(bi->result_size);
	c->hostcall_copy = malloc(bi->hostcall_size);
	if (!c->result_copy || !c->hostcall_copy)
		return kvmlet_fail(err, -ENOMEM, "out of memory for message buffers");
	return 0;
}

int calls_copy(struct calls *dst, const struct calls *src, struct kvmlet_error *err)
{
	dst->host = malloc((src->nhost ? src->nhost : 1) * sizeof(*src->host));
	dst->exports = malloc((src->nexports ? src->nexports : 1) * sizeof(*src->exports));
	if (!dst->host || !dst->exports)
		return kvmlet_fail(err, -ENOMEM, "out of memory for exports and host functions");
	/* None registered: src's arrays may be NULL, which memcpy may not take even for 0 bytes. */
	if (src->nhost)
		memcpy(dst->host, src->host, src->nhost * sizeof(*src->host));
	dst->nhost = dst->host_cap = src->nhost;
	if (src->nexports)
		memcpy(dst->exports, src->exports, src->nexports * sizeof(*src->exports));
	dst->nexports = src->nexports;
	dst->dispatch = src->dispatch;
	dst->call_sp = src->call_sp;
	dst->ring = src->ring;
	return 0;
}

void calls_free(struct calls *c)
{
	free(c->host);
	free(c->exports);
	free(c->result_copy);
	free(c->hostcall_copy);
	free(c->batch);
	*c = (struct calls){0};
}
