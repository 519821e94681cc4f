/* SPDX-License-Identifier: MIT */
/*
 * call.c: the guest side of calls. Reports the exported functions when the
 * guest starts, dispatches the host's calls to them and encodes results, and
 * makes host calls. The message format is in kvmlet_abi.h.
 */
#ifdef KVMLET_GUEST_LINUX
/* In a libc program (guest/linux/serve.c): the default linker script's
 * __start_/__stop_ symbols (weak: a program may export nothing), and stdio
 * flushed before a call returns, so that what it printed reaches the host. */
#include "kvmlet_linux.h"
extern const struct kvmlet_export_desc __start_kvmlet_exports[] __attribute__((weak));
extern const struct kvmlet_export_desc __stop_kvmlet_exports[] __attribute__((weak));
#define EXPORTS_START __start_kvmlet_exports
#define EXPORTS_END   __stop_kvmlet_exports
void kvmlet_linux_flush(void);
#define CALL_DONE() kvmlet_linux_flush()
#else
#include "kvmlet_guest.h"
extern const struct kvmlet_export_desc __kvmlet_exports_start[], __kvmlet_exports_end[];
#define EXPORTS_START __kvmlet_exports_start
#define EXPORTS_END   __kvmlet_exports_end
#define CALL_DONE()   ((void)0)
#endif

void kvmlet_dispatch_entry(void);
__attribute__((noreturn)) void kvmlet_dispatch(void);
void kvmlet_ready(uint64_t call_sp);

/* The host enters here for the first call after READY or a reset (later ones
 * resume kvmlet_dispatch's loop), at CPL3 with RSP at the call stack's top
 * (16-byte aligned) and the other general registers zero. */
__asm__(".pushsection .text, \"ax\"\n"
	".globl kvmlet_dispatch_entry\n"
	".type kvmlet_dispatch_entry, @function\n"
	"kvmlet_dispatch_entry:\n"
	"	xorl %ebp, %ebp\n"
	"	call kvmlet_dispatch\n"
	"	ud2\n"
	".size kvmlet_dispatch_entry, . - kvmlet_dispatch_entry\n"
	".popsection");

static struct kvmlet_export exports[KVMLET_EXPORTS_MAX];

struct kvmlet_call {
	const struct kvmlet_export_desc *desc;
	const struct kvmlet_msg_hdr *args;
	const struct kvmlet_msg_val *vals;
	void *out; /* where the result goes: the result buffer, or a batch's slot */
	uint64_t out_size;
	bool has_result;
};

static inline void port_out4(uint16_t port, uint64_t rdi, uint64_t rsi, uint64_t rdx,
			     uint64_t rcx)
{
	__asm__ volatile("outb %%al, %w0"
			 :
			 : "Nd"(port), "a"(0), "D"(rdi), "S"(rsi), "d"(rdx), "c"(rcx)
			 : "memory");
}

static size_t export_count(void)
{
	return (size_t)(EXPORTS_END - EXPORTS_START);
}

static void copy_str(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);

	if (n >= cap)
		kvmlet_abort("exported name or signature too long");
	memcpy(dst, src, n + 1);
}

/* call_sp: the stack calls run on (its top), 0 for the top of the stack. */
void kvmlet_ready(uint64_t call_sp)
{
	size_t n = export_count();

	if (n > KVMLET_EXPORTS_MAX)
		kvmlet_abort("too many exported functions");
	for (size_t i = 0; i < n; i++) {
		copy_str(exports[i].name, EXPORTS_START[i].name, sizeof(exports[i].name));
		copy_str(exports[i].sig, EXPORTS_START[i].sig, sizeof(exports[i].sig));
	}
	port_out4(KVMLET_PORT_READY, (uint64_t)kvmlet_dispatch_entry, (uint64_t)exports,
		  n | KVMLET_READY_RING | (call_sp ? KVMLET_READY_STACK : 0), call_sp);
}

/* --- the call ring (kvmlet_abi.h) --- */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void ring_exit(bool hostcall)
{
	if (hostcall)
		port_out4(KVMLET_PORT_HOSTCALL, 0, 0, 0, 0);
	else
		port_out4(KVMLET_PORT_RETURN, 0, 0, 0, 0);
}

/*
 * Wait until *word is no longer old: poll for the ring's spin_ticks unless
 * the host sleeps, then exit (RETURN, or HOSTCALL) and check again when resumed.
 * Without a ring (a host before it) one exit is the wait.
 */
static void ring_wait(const volatile struct kvmlet_ring_host *r, const volatile uint64_t *word,
		      uint64_t old, bool hostcall)
{
	if (!r) {
		ring_exit(hostcall);
		return;
	}
	/* Acquire: what the host wrote before the word is read after it. */
	for (;;) {
		uint64_t t0 = rdtsc();

		while (r->spin_ticks && !r->host_waiting && rdtsc() - t0 < r->spin_ticks) {
			if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
				return;
			__asm__ volatile("pause" ::: "memory");
		}
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
			return;
		ring_exit(hostcall);
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
			return;
	}
}

static const volatile struct kvmlet_ring_host *ring_host(const struct kvmlet_bootinfo *bi)
{
	return (const volatile struct kvmlet_ring_host *)bi->ring_host;
}

static volatile struct kvmlet_ring_guest *ring_guest(const struct kvmlet_bootinfo *bi)
{
	return (volatile struct kvmlet_ring_guest *)bi->ring_guest;
}

static char result_letter(const struct kvmlet_call *c)
{
	const char *colon = c->desc->sig;

	while (*colon && *colon != ':')
		colon++;
	return *colon ? colon[1] : 'v';
}

/* --- arguments: the host checked them against the signature --- */

static const struct kvmlet_msg_val *arg(const struct kvmlet_call *c, unsigned i, uint32_t type)
{
	if (i >= c->args->nvals || c->vals[i].type != type)
		kvmlet_abort("argument index or type does not match the signature");
	return &c->vals[i];
}

int64_t kvmlet_arg_i64(const struct kvmlet_call *c, unsigned i)
{
	return (int64_t)arg(c, i, KVMLET_T_I64)->v;
}

uint64_t kvmlet_arg_u64(const struct kvmlet_call *c, unsigned i)
{
	return arg(c, i, KVMLET_T_U64)->v;
}

double kvmlet_arg_f64(const struct kvmlet_call *c, unsigned i)
{
	uint64_t bits = arg(c, i, KVMLET_T_F64)->v;
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

bool kvmlet_arg_bool(const struct kvmlet_call *c, unsigned i)
{
	return arg(c, i, KVMLET_T_BOOL)->v != 0;
}

const char *kvmlet_arg_str(const struct kvmlet_call *c, unsigned i, size_t *len)
{
	const struct kvmlet_msg_val *v = arg(c, i, KVMLET_T_STR);

	*len = v->len;
	return (const char *)c->args + v->v;
}

const void *kvmlet_arg_bytes(const struct kvmlet_call *c, unsigned i, size_t *len)
{
	const struct kvmlet_msg_val *v = arg(c, i, KVMLET_T_BYTES);

	*len = v->len;
	return (const uint8_t *)c->args + v->v;
}

/* --- results --- */

/* Encode a one-value message into buf (size bytes). Returns 0 or -1 if it does not fit. */
static int encode_one(void *buf, uint64_t size, uint32_t kind, uint32_t status, uint32_t type,
		      uint64_t scalar, const void *data, uint64_t len)
{
	struct kvmlet_msg_hdr *h = buf;
	struct kvmlet_msg_val *v = (struct kvmlet_msg_val *)(h + 1);
	uint64_t off = sizeof(*h) + sizeof(*v);
	bool blob = type == KVMLET_T_STR || type == KVMLET_T_BYTES;

	if (blob && (len > 0xffffffffu || len + 1 > size - off))
		return -1;
	*v = (struct kvmlet_msg_val){.type = type, .len = blob ? (uint32_t)len : 0,
				     .v = blob ? off : scalar};
	if (blob) {
		memcpy((uint8_t *)buf + off, data, len);
		((uint8_t *)buf)[off + len] = 0;
		off += len + 1;
	}
	*h = (struct kvmlet_msg_hdr){.magic = KVMLET_MSG_MAGIC, .kind = kind, .status = status,
				     .nvals = type == KVMLET_T_VOID ? 0 : 1, .len = (uint32_t)off};
	return 0;
}

static int ret_value(struct kvmlet_call *c, char letter, uint32_t type, uint64_t scalar,
		     const void *data, uint64_t len)
{
	if (c->has_result)
		return kvmlet_ret_error(c, "result set twice");
	if (result_letter(c) != letter)
		return kvmlet_ret_error(c, "result type does not match the signature");
	if (encode_one(c->out, c->out_size, KVMLET_MSG_RESULT, KVMLET_STATUS_OK, type, scalar,
		       data, len) < 0)
		return kvmlet_ret_error(c, "result too large for the result buffer");
	c->has_result = true;
	return 0;
}

int kvmlet_ret_i64(struct kvmlet_call *c, int64_t v)
{
	return ret_value(c, 'i', KVMLET_T_I64, (uint64_t)v, NULL, 0);
}

int kvmlet_ret_u64(struct kvmlet_call *c, uint64_t v)
{
	return ret_value(c, 'u', KVMLET_T_U64, v, NULL, 0);
}

int kvmlet_ret_f64(struct kvmlet_call *c, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return ret_value(c, 'd', KVMLET_T_F64, bits, NULL, 0);
}

int kvmlet_ret_bool(struct kvmlet_call *c, bool v)
{
	return ret_value(c, 'b', KVMLET_T_BOOL, v ? 1 : 0, NULL, 0);
}

int kvmlet_ret_str(struct kvmlet_call *c, const char *s, size_t len)
{
	return ret_value(c, 's', KVMLET_T_STR, 0, s, len);
}

int kvmlet_ret_bytes(struct kvmlet_call *c, const void *p, size_t len)
{
	return ret_value(c, 'y', KVMLET_T_BYTES, 0, p, len);
}

int kvmlet_ret_error(struct kvmlet_call *c, const char *msg)
{
	size_t len = strlen(msg);

	if (len > KVMLET_ERROR_MAX) /* cut at a character boundary: the host checks UTF-8 */
		for (len = KVMLET_ERROR_MAX; len > 0 && ((uint8_t)msg[len] & 0xc0) == 0x80; len--)
			;
	encode_one(c->out, c->out_size, KVMLET_MSG_RESULT, KVMLET_STATUS_ERROR, KVMLET_T_STR, 0,
		   msg, len);
	c->has_result = true;
	return -1;
}

_Static_assert(sizeof(struct kvmlet_msg_hdr) + sizeof(struct kvmlet_msg_val) + KVMLET_ERROR_MAX +
			       1 <= KVMLET_BATCH_SLOT_MIN,
	       "a batch slot holds an error result");

/* Run the call message h; its result goes to out (size bytes, at least
 * KVMLET_BATCH_SLOT_MIN). */
static void run_one(const struct kvmlet_msg_hdr *h, void *out, uint64_t size)
{
	struct kvmlet_call c = {.args = h, .vals = (const struct kvmlet_msg_val *)(h + 1),
				.out = out, .out_size = size};

	if (h->magic != KVMLET_MSG_MAGIC || h->kind != KVMLET_MSG_CALL || h->func >= export_count())
		kvmlet_abort("malformed call message");
	c.desc = &EXPORTS_START[h->func];
	int r = c.desc->fn(&c);
	if (!c.has_result) {
		if (r == 0 && result_letter(&c) == 'v')
			encode_one(out, size, KVMLET_MSG_RESULT, KVMLET_STATUS_OK, KVMLET_T_VOID, 0,
				   NULL, 0);
		else
			kvmlet_ret_error(&c, r ? "guest function failed" : "no result was set");
	}
}

/* A batch (kvmlet_abi.h): each call in turn, each result in its own slot,
 * leaving KVMLET_BATCH_SLOT_MIN bytes for every call still to come. */
static void run_batch(const struct kvmlet_bootinfo *bi)
{
	const uint8_t *in = (const uint8_t *)bi->args_buf;
	uint8_t *out = (uint8_t *)bi->result_buf;
	const struct kvmlet_batch_hdr *bh = (const struct kvmlet_batch_hdr *)in;
	const struct kvmlet_batch_entry *e = (const struct kvmlet_batch_entry *)(bh + 1);
	struct kvmlet_batch_entry *re = (struct kvmlet_batch_entry *)(out + sizeof(*bh));
	uint32_t n = bh->count;
	uint64_t off = sizeof(*bh) + (uint64_t)n * sizeof(*e), end = off;

	if (n > KVMLET_BATCH_MAX || bh->len > bi->args_size || off > bh->len ||
	    off + (uint64_t)n * KVMLET_BATCH_SLOT_MIN > bi->result_size)
		kvmlet_abort("malformed call batch");
	for (uint32_t i = 0; i < n; i++) {
		if (e[i].off % 8 || e[i].off < sizeof(*bh) + (uint64_t)n * sizeof(*e) ||
		    e[i].len < sizeof(struct kvmlet_msg_hdr) || (uint64_t)e[i].off + e[i].len > bh->len)
			kvmlet_abort("malformed call batch");
		uint64_t cap = bi->result_size - off - (uint64_t)(n - i - 1) * KVMLET_BATCH_SLOT_MIN;
		run_one((const struct kvmlet_msg_hdr *)(in + e[i].off), out + off, cap);
		uint32_t len = ((const struct kvmlet_msg_hdr *)(out + off))->len;
		re[i] = (struct kvmlet_batch_entry){.off = (uint32_t)off, .len = len};
		end = off + len;
		off = (end + 7) & ~7ull;
	}
	*(struct kvmlet_batch_hdr *)out = (struct kvmlet_batch_hdr){
		.magic = KVMLET_MSG_MAGIC, .kind = KVMLET_MSG_BATCH, .count = n, .len = (uint32_t)end};
}

/* Run calls for good: each one, then its result handed over, then the wait for
 * the next (the host enters at kvmlet_dispatch_entry only for the first call
 * after READY or a reset). */
void kvmlet_dispatch(void)
{
	/* What the loop needs, read once: a call then touches no boot info page. */
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();
	const volatile struct kvmlet_ring_host *rh = ring_host(bi);
	volatile struct kvmlet_ring_guest *rg = ring_guest(bi);
	const struct kvmlet_msg_hdr *h = (const struct kvmlet_msg_hdr *)bi->args_buf;
	void *result = (void *)bi->result_buf;
	const uint64_t result_size = bi->result_size;

	for (;;) {
		uint64_t seq = rh ? rh->call_seq : 0;

		if (h->magic == KVMLET_MSG_MAGIC && h->kind == KVMLET_MSG_BATCH)
			run_batch(bi);
		else
			run_one(h, result, result_size);
		CALL_DONE();
		/* The result before done_seq; done_seq before the look at host_waiting
		 * (a sleeping host is woken by the exit). */
		if (rg)
			__atomic_store_n(&rg->done_seq, seq, __ATOMIC_SEQ_CST);
		ring_wait(rh, rh ? &rh->call_seq : NULL, seq, false);
	}
}

bool kvmlet_utf8_valid(const void *p, size_t len)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < len;) {
		uint8_t c = s[i];
		size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
		      : (c & 0xf8) == 0xf0 ? 3 : 4;
		uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1fu : n == 2 ? c & 0x0fu : c & 0x07u;

		if (n == 4 || (n && n >= len - i))
			return false; /* a bad lead byte, or cut short */
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

/* --- host calls --- */

int kvmlet_host_call(const char *name, const struct kvmlet_value *args, unsigned nargs,
		     struct kvmlet_value *result)
{
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();
	uint8_t *buf = (uint8_t *)bi->hostcall_buf;
	struct kvmlet_msg_hdr *h = (struct kvmlet_msg_hdr *)buf;
	struct kvmlet_msg_val *v = (struct kvmlet_msg_val *)(h + 1);
	uint64_t off = sizeof(*h) + (uint64_t)(nargs + 1) * sizeof(*v);

	*result = (struct kvmlet_value){.type = KVMLET_T_STR, .ptr = "", .len = 0};
	if (nargs > KVMLET_MAX_VALUES || off > bi->hostcall_size) {
		*result = KVMLET_STR("too many arguments for a host call");
		return -1;
	}
	for (unsigned i = 0; i <= nargs; i++) {
		struct kvmlet_value a = i == 0 ? KVMLET_STR(name) : args[i - 1];
		v[i] = (struct kvmlet_msg_val){.type = a.type, .len = 0, .v = a.u64};
		if (a.type == KVMLET_T_BOOL)
			v[i].v = a.b ? 1 : 0;
		if (a.type != KVMLET_T_STR && a.type != KVMLET_T_BYTES)
			continue;
		if ((uint64_t)a.len + 1 > bi->hostcall_size - off) {
			*result = KVMLET_STR("host call arguments too large");
			return -1;
		}
		memcpy(buf + off, a.ptr, a.len);
		buf[off + a.len] = 0;
		v[i].len = a.len;
		v[i].v = off;
		off += a.len + 1;
	}
	*h = (struct kvmlet_msg_hdr){.magic = KVMLET_MSG_MAGIC, .kind = KVMLET_MSG_HOSTCALL,
				     .nvals = nargs + 1, .len = (uint32_t)off};
	const volatile struct kvmlet_ring_host *rh = ring_host(bi);
	volatile struct kvmlet_ring_guest *rg = ring_guest(bi);
	uint64_t done = rh ? rh->host_done : 0;
	if (rg)
		__atomic_store_n(&rg->host_seq, done + 1, __ATOMIC_SEQ_CST);
	ring_wait(rh, rh ? &rh->host_done : NULL, done, true);

	/* The host wrote a KVMLET_MSG_RESULT with at most one value. */
	if (h->magic != KVMLET_MSG_MAGIC || h->kind != KVMLET_MSG_RESULT)
		kvmlet_abort("malformed host call result");
	struct kvmlet_value r = {.type = KVMLET_T_VOID};
	if (h->nvals) {
		r.type = v[0].type;
		r.len = v[0].len;
		r.u64 = v[0].v;
		if (r.type == KVMLET_T_STR || r.type == KVMLET_T_BYTES)
			r.ptr = buf + v[0].v;
		if (r.type == KVMLET_T_BOOL)
			r.b = v[0].v != 0;
	}
	*result = r;
	return h->status == KVMLET_STATUS_OK ? 0 : -1;
}
