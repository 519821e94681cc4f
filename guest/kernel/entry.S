/* entry.S: the kernel's `syscall` entry (LSTAR). The CPU arrives at CPL0 with
 * interrupts, TF, DF and AC cleared (SFMASK) and the caller's RSP: switch to
 * the kernel stack before touching memory through RSP, keep every register
 * but rax (result), rcx and r11 (which `syscall` itself clobbers). Every user
 * register is in the frame (and RSP in kernel_user_rsp) while the kernel runs,
 * and is restored from there: switching threads is rewriting them. */
	.section .text.entry, "ax"
	.globl kernel_syscall_entry
	.type kernel_syscall_entry, @function
kernel_syscall_entry:
	movq %rsp, kernel_user_rsp(%rip)
	leaq kernel_stack_top(%rip), %rsp
	pushq %rcx		/* the caller's RIP */
	pushq %r11		/* its RFLAGS */
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r10
	pushq %r8
	pushq %r9
	pushq %rbx		/* and the callee-saved ones, so that a system */
	pushq %rbp		/* call can return into another thread */
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq $0		/* keeps RSP 16-byte aligned at the call */
	movq %rsp, %rdi
	call kernel_syscall
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
	movq kernel_user_rsp(%rip), %rsp
	sysretq
	.size kernel_syscall_entry, . - kernel_syscall_entry
	.section .note.GNU-stack, "", @progbits

	.section .bss
	.balign 16
	.globl kernel_user_rsp
kernel_user_rsp:
	.skip 16
kernel_stack:
	.skip 16384
kernel_stack_top:
