/* SPDX-License-Identifier: MIT */
/* linux_sig.h: what linux_signal.c and linux_fault.c share: the signals CPU
 * exceptions raise, Linux's siginfo_t, and the registers a signal interrupts. */
#ifndef KVMLET_LINUX_SIG_H
#define KVMLET_LINUX_SIG_H

#include "kernel.h"

#define SIGILL	  4
#define SIGTRAP	  5
#define SIGBUS	  7
#define SIGFPE	  8
#define SIGSEGV	  11
#define SI_KERNEL 0x80

/* x86-64's siginfo_t. */
struct siginfo {
	int32_t signo, errno_, code, pad;
	uint64_t a; /* kill: si_pid | si_uid << 32; a fault: si_addr */
	uint8_t rest[104];
};

_Static_assert(sizeof(struct siginfo) == 128, "siginfo_t is Linux's");

/* The registers of the code a signal interrupts. */
struct uctx {
	struct frame *f; /* rcx and r11 as they are (after `syscall`: RIP and RFLAGS) */
	uint64_t rip, rflags, rsp;
	uint64_t trapno, err, cr2;
};

/* linux_signal.c: the exception in *u raises info->signo: its handler runs
 * next (kernel_iret) if the program has one and the thread does not block
 * it; false otherwise (Linux then ends the process). */
bool linux_signal_catch(struct uctx *u, const struct siginfo *info);
/* linux_fault.c: the exceptions signals stand for go to kernel_fault from
 * now on (the first handler for one of them is installed). */
void linux_fault_route(void);

#endif
