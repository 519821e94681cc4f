/*
 * isolation: what one call may try to leave behind for the next (see
 * tests/kvm/test_isolation.c): CPU state, a mapping, a half-done instruction,
 * bytes in the argument buffer; and routes to ring 0.
 */
#include "kvmlet_guest.h"

#define SCRATCH_VA 0x0000200000000000ull

/* Can this vCPU run AVX (CPUID says AVX and OSXSAVE, XCR0 enables YMM)? */
static bool avx_usable(void)
{
	uint32_t a, b, c, d, lo, hi;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if ((c & (1u << 27 | 1u << 28)) != (1u << 27 | 1u << 28))
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static int avx(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, avx_usable());
}
KVMLET_EXPORT(avx, ":i");

/* MXCSR, xmm0, the upper half of ymm1 (with AVX) and DS changed; read back
 * by get_state after a reset. */
static int set_state(struct kvmlet_call *c)
{
	uint32_t mxcsr = 0x9fc0; /* flush-to-zero, all exceptions masked, round up */
	uint64_t pattern = 0x1122334455667788ull;
	uint16_t null_sel = 0;

	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("movq %0, %%xmm0" : : "r"(pattern) : "xmm0");
	__asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"(null_sel));
	if (avx_usable())
		__asm__ volatile("vbroadcastsd %0, %%ymm1" : : "m"(pattern) : "xmm1");
	return kvmlet_ret_i64(c, 1);
}
KVMLET_EXPORT(set_state, ":i");

static int get_state(struct kvmlet_call *c)
{
	uint32_t mxcsr;
	uint64_t x0;
	uint16_t ds;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("movq %%xmm0, %0" : "=r"(x0));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	if (mxcsr != 0x1f80)
		return kvmlet_ret_error(c, "MXCSR survived the reset");
	if (x0 == 0x1122334455667788ull)
		return kvmlet_ret_error(c, "xmm0 survived the reset");
	if (ds != KVMLET_SEL_UDATA)
		return kvmlet_ret_error(c, "DS survived the reset");
	if (avx_usable()) {
		uint64_t hi;
		__asm__ volatile("vextractf128 $1, %%ymm1, %%xmm2; movq %%xmm2, %0"
				 : "=r"(hi)
				 :
				 : "xmm2");
		if (hi == 0x1122334455667788ull)
			return kvmlet_ret_error(c, "the upper half of ymm1 survived the reset");
	}
	return kvmlet_ret_i64(c, 7);
}
KVMLET_EXPORT(get_state, ":i");

/* Map a page, write it, use it: the mapping must not outlive a reset. */
static int map_touch(struct kvmlet_call *c)
{
	long r = kvmlet_map(SCRATCH_VA, 4096, KVMLET_MAP_WRITE);

	if (r < 0)
		return kvmlet_ret_error(c, "kvmlet_map failed");
	*(volatile uint64_t *)SCRATCH_VA = 0x5ec2e7;
	return kvmlet_ret_i64(c, (int64_t)*(volatile uint64_t *)SCRATCH_VA);
}
KVMLET_EXPORT(map_touch, ":i");

/* Reads the page map_touch mapped: after a reset this must fault. */
static int probe(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, (int64_t)*(volatile uint64_t *)SCRATCH_VA);
}
KVMLET_EXPORT(probe, ":i");

/*
 * Sets a result, then rings RETURN with `outsb`: if the host took it, KVM would
 * keep the instruction half-done and the next call would resume here and
 * return 666 instead of its own result.
 */
static int return_by_outs(struct kvmlet_call *c)
{
	static const uint8_t byte;

	kvmlet_ret_i64(c, 665);
	__asm__ volatile("outsb" : : "d"(KVMLET_PORT_RETURN), "S"(&byte) : "memory");
	return kvmlet_ret_i64(c, 666);
}
KVMLET_EXPORT(return_by_outs, ":i");

/* `rep insb` from an ABI port: refused, and left half-done inside KVM. */
static int ins_pending(struct kvmlet_call *c)
{
	static uint8_t buf[64];
	uint64_t n = 64;
	void *p = buf;

	__asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(KVMLET_PORT_LOG) : "memory");
	return kvmlet_ret_i64(c, 666);
}
KVMLET_EXPORT(ins_pending, ":i");

/* The byte at offset off of the argument buffer (0 beyond this call's message). */
static int args_byte(struct kvmlet_call *c)
{
	uint64_t off = (uint64_t)kvmlet_arg_i64(c, 0);

	if (off >= kvmlet_bootinfo()->args_size)
		return kvmlet_ret_error(c, "offset outside the argument buffer");
	return kvmlet_ret_i64(c, ((const volatile uint8_t *)kvmlet_bootinfo()->args_buf)[off]);
}
KVMLET_EXPORT(args_byte, "i:i");

static int take_bytes(struct kvmlet_call *c)
{
	size_t len;

	kvmlet_arg_bytes(c, 0, &len);
	return kvmlet_ret_i64(c, (int64_t)len);
}
KVMLET_EXPORT(take_bytes, "y:i");

/* Writes the PML4 directly: the tables are read-only to guest code. */
static int write_table(struct kvmlet_call *c)
{
	volatile uint64_t *pml4 = (volatile uint64_t *)(kvmlet_bootinfo()->cr3 & PT_E_ADDR);

	pml4[300] = pml4[0];
	return kvmlet_ret_i64(c, 666);
}
KVMLET_EXPORT(write_table, ":i");

/* A far return to the ring-0 code selector from CPL3: #GP. */
static int lret_ring0(struct kvmlet_call *c)
{
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
			 : : "i"(KVMLET_SEL_KCODE) : "rax", "memory");
	return kvmlet_ret_i64(c, 666);
}
KVMLET_EXPORT(lret_ring0, ":i");

/* iretq to ring 0: #GP. */
static int iret_ring0(struct kvmlet_call *c)
{
	__asm__ volatile("movq %%rsp, %%rax; pushq %0; pushq %%rax; pushfq; pushq %1;"
			 "leaq 1f(%%rip), %%rax; pushq %%rax; iretq; 1:"
			 : : "i"(KVMLET_SEL_KDATA), "i"(KVMLET_SEL_KCODE) : "rax", "memory");
	return kvmlet_ret_i64(c, 666);
}
KVMLET_EXPORT(iret_ring0, ":i");

/* A KVM hypercall from CPL3 (KVM_HC_CLOCK_PAIRING = 9): refused, rax < 0. */
static int hypercall(struct kvmlet_call *c)
{
	static uint8_t out[64];
	uint32_t a = 0, b, cx = 0, d;
	uint64_t rax = 9;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(cx), "=d"(d));
	if (b == 0x68747541u) /* "Auth"enticAMD */
		__asm__ volatile("vmmcall" : "+a"(rax) : "b"((uint64_t)out), "c"(0ull) : "memory");
	else
		__asm__ volatile("vmcall" : "+a"(rax) : "b"((uint64_t)out), "c"(0ull) : "memory");
	for (unsigned i = 0; i < sizeof(out); i++)
		if (out[i])
			return kvmlet_ret_error(c, "the hypercall wrote guest memory");
	return kvmlet_ret_i64(c, (int64_t)rax);
}
KVMLET_EXPORT(hypercall, ":i");

/* A host function with the most arguments a call may have (16). */
static int host16(struct kvmlet_call *c)
{
	struct kvmlet_value a[KVMLET_MAX_VALUES], r;

	for (unsigned i = 0; i < KVMLET_MAX_VALUES; i++)
		a[i] = (struct kvmlet_value){.type = KVMLET_T_I64, .i64 = (int64_t)i + 1};
	if (kvmlet_host_call("sum16", a, KVMLET_MAX_VALUES, &r) < 0 || r.type != KVMLET_T_I64)
		return kvmlet_ret_error(c, "the host call with 16 arguments failed");
	return kvmlet_ret_i64(c, r.i64);
}
KVMLET_EXPORT(host16, ":i");

static int ping(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, 42);
}
KVMLET_EXPORT(ping, ":i");
