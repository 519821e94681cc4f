/*
 * Hostile test guest: hand-crafts bad messages in its result and host-call
 * buffers and rings the host. Each must end in a clean error on the host.
 */
#include "kvmlet_guest.h"

static void ring(uint16_t port)
{
	for (;;)
		__asm__ volatile("outb %%al, %w0" : : "Nd"(port), "a"(0) : "memory");
}

static struct kvmlet_msg_hdr *result_hdr(void)
{
	return (struct kvmlet_msg_hdr *)kvmlet_bootinfo()->result_buf;
}

static void result(uint32_t len, uint32_t nvals, uint32_t type, uint32_t vlen, uint64_t v)
{
	struct kvmlet_msg_hdr *h = result_hdr();
	struct kvmlet_msg_val *val = (struct kvmlet_msg_val *)(h + 1);

	*h = (struct kvmlet_msg_hdr){.magic = KVMLET_MSG_MAGIC, .kind = KVMLET_MSG_RESULT,
				     .nvals = nvals, .len = len};
	*val = (struct kvmlet_msg_val){.type = type, .len = vlen, .v = v};
	ring(KVMLET_PORT_RETURN);
}

static int len_past_buffer(struct kvmlet_call *c)
{
	(void)c;
	result((uint32_t)kvmlet_bootinfo()->result_size + 1, 1, KVMLET_T_I64, 0, 1);
	return 0;
}
KVMLET_EXPORT(len_past_buffer, ":i");

static int offset_past_end(struct kvmlet_call *c)
{
	(void)c;
	result(64, 1, KVMLET_T_STR, 16, 60);
	return 0;
}
KVMLET_EXPORT(offset_past_end, ":s");

static int offset_overflow(struct kvmlet_call *c)
{
	(void)c;
	result(64, 1, KVMLET_T_BYTES, 0xffffffffu, 0xffffffffffffff00ull);
	return 0;
}
KVMLET_EXPORT(offset_overflow, ":y");

static int wrong_type(struct kvmlet_call *c)
{
	(void)c;
	result(sizeof(struct kvmlet_msg_hdr) + sizeof(struct kvmlet_msg_val), 1, KVMLET_T_F64, 0,
	       0);
	return 0;
}
KVMLET_EXPORT(wrong_type, ":i");

static int bad_magic(struct kvmlet_call *c)
{
	(void)c;
	result_hdr()->magic = 0;
	ring(KVMLET_PORT_RETURN);
	return 0;
}
KVMLET_EXPORT(bad_magic, ":i");

static int too_many_values(struct kvmlet_call *c)
{
	(void)c;
	result(4096, 1000, KVMLET_T_I64, 0, 0);
	return 0;
}
KVMLET_EXPORT(too_many_values, ":i");

/* A result bigger than the result buffer: the runtime refuses it; a clean error. */
static int too_large(struct kvmlet_call *c)
{
	static const char x[64] = {0};
	uint64_t size = kvmlet_bootinfo()->result_size;
	uint64_t n = size + 1;
	char *p = kvmlet_malloc(n);

	if (!p)
		return kvmlet_ret_error(c, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		p[i] = x[i % 64];
	return kvmlet_ret_bytes(c, p, n);
}
KVMLET_EXPORT(too_large, ":y");

static int hostcall_garbage(struct kvmlet_call *c)
{
	struct kvmlet_msg_hdr *h = (struct kvmlet_msg_hdr *)kvmlet_bootinfo()->hostcall_buf;

	(void)c;
	*h = (struct kvmlet_msg_hdr){.magic = KVMLET_MSG_MAGIC, .kind = KVMLET_MSG_HOSTCALL,
				     .nvals = 2, .len = 0x7fffffff};
	ring(KVMLET_PORT_HOSTCALL);
	return 0;
}
KVMLET_EXPORT(hostcall_garbage, ":i");

/* Prints from an address outside guest memory. */
static int bad_print(struct kvmlet_call *c)
{
	(void)c;
	__asm__ volatile("outb %%al, %w0"
			 :
			 : "Nd"((uint16_t)KVMLET_PORT_LOG), "a"(0), "D"(0xfffffffff000ull),
			   "S"(16ull)
			 : "memory");
	return kvmlet_ret_i64(c, 0);
}
KVMLET_EXPORT(bad_print, ":i");

/* Tries an I/O port outside the ABI's: the TSS bitmap refuses it (#GP). */
static int other_port(struct kvmlet_call *c)
{
	(void)c;
	__asm__ volatile("outb %%al, $0x80" : : "a"(0));
	return kvmlet_ret_i64(c, 0);
}
KVMLET_EXPORT(other_port, ":i");

static int fine(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, 7);
}
KVMLET_EXPORT(fine, ":i");
