/* SPDX-License-Identifier: MIT */
/*
 * linux_fault.c: CPU exceptions of a Linux program as signals. Once the
 * program installs a handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP,
 * the IDT gates of the exceptions they stand for come to the kernel's stubs
 * (entry.S), and kernel_fault runs the handler (linux_signal.c) if it is
 * installed and not blocked; otherwise the host's stub reports the exception
 * and the run ends with it, as before.
 */
#include "linux_sig.h"

/* entry.S reads these when kernel_fault leaves an exception to the host. */
uint64_t kernel_fault_skip, kernel_fault_host;
extern const char kernel_fault_stubs[];
int kernel_fault(struct frame *f, const uint64_t *cpu);

static bool routed; /* the IDT sends the program's exceptions to kernel_fault */

/* The signal an exception from CPL3 raises, with Linux's si_code and address. */
static void fault_signal(uint64_t v, uint64_t err, uint64_t rip, uint64_t cr2,
			struct siginfo *info)
{
	int s;

	info->a = rip;
	switch (v) {
	case 0: /* divide error: FPE_INTDIV */
		s = SIGFPE, info->code = 1;
		break;
	case 1: /* single step: TRAP_TRACE */
		s = SIGTRAP, info->code = 2;
		break;
	case 3: /* int3 */
		s = SIGTRAP, info->code = SI_KERNEL, info->a = 0;
		break;
	case 6: /* invalid opcode: ILL_ILLOPN */
		s = SIGILL, info->code = 2;
		break;
	case 12: /* stack segment */
		s = SIGBUS, info->code = SI_KERNEL, info->a = 0;
		break;
	case 14: /* page fault: SEGV_ACCERR if the page was there, else SEGV_MAPERR */
		s = SIGSEGV, info->code = err & 1 ? 2 : 1, info->a = cr2;
		break;
	case 16: /* x87 */
	case 19: /* SIMD floating point: FPE_FLTINV, as near as it needs to be */
		s = SIGFPE, info->code = 7;
		break;
	case 17: /* alignment check: BUS_ADRALN */
		s = SIGBUS, info->code = 1;
		break;
	default: /* #GP, bound, overflow: SIGSEGV from the kernel */
		s = SIGSEGV, info->code = SI_KERNEL, info->a = 0;
		break;
	}
	info->signo = s;
}

/*
 * entry.S: exception v (cpu: v, the error code, the CPU's frame) with the
 * interrupted registers in f. 0: the handler runs next (kernel_iret); 1: the
 * host's stub takes it, as when nothing is routed here (an exception in
 * ring 0, or a signal without handler, ignored or blocked: Linux then ends
 * the process).
 */
int kernel_fault(struct frame *f, const uint64_t *cpu)
{
	const uint64_t v = cpu[0], err = cpu[1], rip = cpu[2], cs = cpu[3];
	struct siginfo info = {0};
	uint64_t cr2;

	kernel_fault_skip = v < 32 && ((KVMLET_ERROR_CODE_VECTORS >> v) & 1) ? 8 : 16;
	kernel_fault_host = KVMLET_STUBS_GPA + v * KVMLET_STUB_SIZE;
	if ((cs & 3) != 3 || v >= 32)
		return 1;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	fault_signal(v, err, rip, cr2, &info);
	struct uctx u = {.f = f, .rip = rip, .rflags = cpu[4], .rsp = cpu[5], .trapno = v,
			 .err = err, .cr2 = v == 14 ? cr2 : 0};
	return linux_signal_catch(&u, &info) ? 0 : 1;
}

/* int3 may be used from CPL3 (SIGTRAP), as on Linux. */
void linux_fault_route(void)
{
	static const uint8_t vec[] = {0, 1, 3, 4, 5, 6, 12, 13, 14, 16, 17, 19};

	if (routed)
		return;
	for (uint32_t i = 0; i < sizeof(vec); i++)
		kernel_gate(vec[i], kernel_fault_stubs + vec[i] * 16u, vec[i] == 3);
	routed = true;
}
