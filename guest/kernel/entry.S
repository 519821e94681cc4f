/* entry.S: the kernel's `syscall` entry (LSTAR). The CPU arrives at CPL0 with
 * interrupts, TF, DF and AC cleared (SFMASK) and the caller's RSP: switch to
 * the kernel stack before touching memory through RSP, keep every register
 * but rax (result), rcx and r11 (which `syscall` itself clobbers). Every user
 * register is in the frame (and RSP in kernel_user_rsp) while the kernel runs,
 * and is restored from there: switching threads is rewriting them. */
#include "kvmlet_vectors.h"

/* struct frame (kernel.h), lowest address first: pad, r15 ... rax, r11, rcx. */
	.macro PUSH_FRAME
	pushq %rcx
	pushq %r11
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r10
	pushq %r8
	pushq %r9
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq $0
	.endm
	.macro POP_FRAME
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r9
	popq %r8
	popq %r10
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rax
	popq %r11
	popq %rcx
	.endm

	.section .text.entry, "ax"
	.globl kernel_syscall_entry
	.type kernel_syscall_entry, @function
kernel_syscall_entry:
	movq %rsp, kernel_user_rsp(%rip)
	leaq kernel_stack_top(%rip), %rsp
	/* rcx and r11 hold the caller's RIP and RFLAGS; the callee-saved ones
	 * too, so that a system call can return into another thread; the pad
	 * keeps RSP 16-byte aligned at the call. */
	PUSH_FRAME
	movq %rsp, %rdi
	call kernel_syscall
	cmpb $0, kernel_iret+32(%rip)
	jne kernel_return_iret
	POP_FRAME
	movq kernel_user_rsp(%rip), %rsp
	sysretq
	.size kernel_syscall_entry, . - kernel_syscall_entry

/* Back to CPL3 with every register as the frame holds it, rcx and r11
 * included, and RIP, CS, RFLAGS, SS from kernel_iret (RSP from
 * kernel_user_rsp): how a signal handler is entered and how rt_sigreturn
 * resumes the code a signal interrupted (linux_signal.c). RSP points at the
 * frame. */
kernel_return_iret:
	movb $0, kernel_iret+32(%rip)
	POP_FRAME
	pushq kernel_iret+24(%rip)	/* SS */
	pushq kernel_user_rsp(%rip)
	pushq kernel_iret+16(%rip)	/* RFLAGS */
	pushq kernel_iret+8(%rip)	/* CS */
	pushq kernel_iret(%rip)		/* RIP */
	iretq

/* KVMLET_VEC_TICK (linux_preempt.c), which the host injects only into user
 * code (the kernel runs with IF clear; from ring 0 it would do nothing). Its
 * place is fixed (KVMLET_TICK_ENTRY_OFF): the host's IDT points here. The
 * pushed vector keeps RSP 16-byte aligned at the call. */
	.org KVMLET_TICK_ENTRY_OFF, 0xcc
	.globl kernel_tick_entry
kernel_tick_entry:
	testb $3, 8(%rsp)	/* CS in the CPU's frame */
	jz 1f
	pushq $KVMLET_VEC_TICK
	PUSH_FRAME
	movq %rsp, %rdi
	leaq 136(%rsp), %rsi	/* the CPU's frame, past the vector */
	cld
	call kernel_tick
	jmp kernel_return_iret
1:	iretq

/* The exceptions a program's signal handlers may catch (linux_signal.c
 * routes their IDT gates here once it has one): stub v pushes a zero where
 * the CPU pushes no error code, then v; on the ring-0 stack are then v, the
 * error code and the CPU's frame. Every register is saved as a frame;
 * kernel_fault either readies the handler (returns 0: kernel_iret is set)
 * or says the host's stub takes it: then every register goes back as it
 * was, and the host's stub finds the CPU's frame at RSP, as without us. */
	.balign 16
	.globl kernel_fault_stubs
kernel_fault_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (KVMLET_ERROR_CODE_VECTORS >> \v) & 1
	pushq $\v
	.else
	pushq $0
	pushq $\v
	.endif
	jmp kernel_fault_common
	.endr

kernel_fault_common:
	PUSH_FRAME
	movq %rsp, %rdi
	leaq 128(%rsp), %rsi	/* v, the error code, then the CPU's frame */
	cld
	call kernel_fault
	testl %eax, %eax
	jz kernel_return_iret
	POP_FRAME
	addq kernel_fault_skip(%rip), %rsp
	jmp *kernel_fault_host(%rip)
	.section .note.GNU-stack, "", @progbits

	.section .bss
	.balign 16
	.globl kernel_user_rsp
kernel_user_rsp:
	.skip 16
kernel_stack:
	.skip 16384
kernel_stack_top:
