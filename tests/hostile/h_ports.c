/* SPDX-License-Identifier: MIT */
/*
 * Hostile guest: I/O ports. CPL3 may only write one byte to the ABI's ports
 * (the TSS I/O bitmap allows exactly those): every other port, in either
 * direction and any size, must raise #GP; `in`, wider `out` and string I/O on
 * the ABI's ports reach the host, which must refuse them.
 */
#include "hostile.h"

static bool abi_span(uint32_t p, unsigned size)
{
	return p >= KVMLET_PORT_FIRST && p + size - 1 <= KVMLET_PORT_LAST;
}

/* Every port from start up, skipping the ABI's (their exits mean something): #GP at the first. */
static void scan(uint32_t start, bool in)
{
	for (uint32_t p = start; p <= 0xffff; p++) {
		if (abi_span(p, 1))
			continue;
		*hostile_scratch() = p;
		if (in)
			__asm__ volatile("inb %%dx, %%al" : : "d"(p) : "rax", "memory");
		else
			__asm__ volatile("outb %%al, %%dx" : : "a"(0), "d"(p) : "memory");
	}
}

HOSTILE_ATTACK(scan_out)
{
	scan(0, false);
}

HOSTILE_ATTACK(scan_out_after_abi)
{
	scan(KVMLET_PORT_FIRST, false);
}

HOSTILE_ATTACK(scan_in)
{
	scan(0, true);
}

HOSTILE_ATTACK(scan_in_after_abi)
{
	scan(KVMLET_PORT_FIRST, true);
}

HOSTILE_ATTACK(in_abi)
{
	__asm__ volatile("inb %%dx, %%al" : : "d"(KVMLET_PORT_LOG) : "rax", "memory");
}

HOSTILE_ATTACK(outw_abi)
{
	__asm__ volatile("outw %%ax, %%dx" : : "a"(0), "d"(KVMLET_PORT_EXIT) : "memory");
}

HOSTILE_ATTACK(outl_abi)
{
	__asm__ volatile("outl %%eax, %%dx" : : "a"(0), "d"(KVMLET_PORT_ABORT) : "memory");
}

HOSTILE_ATTACK(inl_abi)
{
	__asm__ volatile("inl %%dx, %%eax" : : "d"(KVMLET_PORT_EXIT) : "rax", "memory");
}

/* Four bytes from 0xe4: 0xe6 and 0xe7 are not the ABI's, so the bitmap refuses it. */
HOSTILE_ATTACK(outl_straddle)
{
	__asm__ volatile("outl %%eax, %%dx" : : "a"(0), "d"(KVMLET_PORT_RETURN) : "memory");
}

/* The exception port is for the ring-0 stubs: CPL3 cannot fake an exception report. */
HOSTILE_ATTACK(out_exception_port)
{
	__asm__ volatile("outb %%al, %%dx" : : "a"(13), "d"(KVMLET_PORT_EXCEPTION) : "memory");
}

/*
 * rep outsb to the print port: KVM emulates string output one element per
 * exit, so the host sees a one-byte out whose rsi is the source address.
 */
HOSTILE_ATTACK(rep_outsb)
{
	static const char buf[64] = "rep outsb";
	uint64_t n = sizeof(buf);
	const char *p = buf;

	__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(KVMLET_PORT_LOG) : "memory");
}

/* rep insb from the print port: string input, which KVM emulates. */
HOSTILE_ATTACK(rep_insb)
{
	static char buf[64];
	uint64_t n = sizeof(buf);
	char *p = buf;

	__asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(KVMLET_PORT_LOG) : "memory");
}

/*
 * The full sweep: take #GP over with our own CPL0 handler, which counts the
 * fault and resumes after the faulting instruction, then try every port with
 * in and out of each size from CPL3. Returns the number of #GPs if every one
 * had error code 0; a port that did not fault would have exited to the host.
 */
static volatile uint64_t gp_count __attribute__((used));
static volatile uint64_t gp_errors __attribute__((used));
static volatile uint64_t gp_resume __attribute__((used));
void sweep_gp_handler(void);
__asm__(".text\n"
	".type sweep_gp_handler, @function\n"
	"sweep_gp_handler:\n"
	"	push %rax\n"
	"	mov 8(%rsp), %rax\n" /* the error code */
	"	or %rax, gp_errors(%rip)\n"
	"	incq gp_count(%rip)\n"
	"	mov gp_resume(%rip), %rax\n"
	"	mov %rax, 16(%rsp)\n" /* the saved RIP */
	"	pop %rax\n"
	"	add $8, %rsp\n"
	"	iretq\n"
	".size sweep_gp_handler, . - sweep_gp_handler\n");

#define TRY(insn, ...)                                          \
	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"             \
			 "mov %%rcx, %[resume]\n\t" insn "\n1:" \
			 : [resume] "=m"(gp_resume)             \
			 : __VA_ARGS__                          \
			 : "rax", "rcx", "memory")

static uint64_t sweep_port(uint32_t p)
{
	uint64_t tries = 0;

	for (unsigned size = 1; size <= 4; size *= 2) {
		if (abi_span(p, size))
			continue;
		*hostile_scratch() = p | (uint64_t)size << 16;
		switch (size) {
		case 1:
			TRY("outb %%al, %%dx", "d"(p));
			TRY("inb %%dx, %%al", "d"(p));
			break;
		case 2:
			TRY("outw %%ax, %%dx", "d"(p));
			TRY("inw %%dx, %%ax", "d"(p));
			break;
		default:
			TRY("outl %%eax, %%dx", "d"(p));
			TRY("inl %%dx, %%eax", "d"(p));
		}
		tries += 2;
	}
	return tries;
}

static int port_sweep(struct kvmlet_call *c)
{
	uint64_t tries = 0;

	hostile_set_gate(13, sweep_gp_handler, 0);
	for (uint32_t p = 0; p <= 0xffff; p++)
		tries += sweep_port(p);
	if (gp_errors != 0)
		return kvmlet_ret_error(c, "a #GP with a nonzero error code");
	if (gp_count != tries)
		return kvmlet_ret_error(c, "fewer #GPs than tries");
	return kvmlet_ret_i64(c, (int64_t)gp_count);
}
KVMLET_EXPORT(port_sweep, ":i");

int main(void)
{
	scan_out_attack();
	return HOSTILE_SURVIVED;
}
