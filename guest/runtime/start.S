/* start.S: the guest entry point. The host enters here at CPL3 with RSP at
 * the top of the stack (16-byte aligned). */
	.section .text.kvmlet_start, "ax"
	.globl _start
	.type _start, @function
_start:
	xorl %ebp, %ebp
	call kvmlet_start
	ud2
	.size _start, . - _start

/* The host enters here for every call, at CPL3 with RSP at the top of the stack. */
	.section .text, "ax"
	.globl kvmlet_dispatch_entry
	.type kvmlet_dispatch_entry, @function
kvmlet_dispatch_entry:
	xorl %ebp, %ebp
	call kvmlet_dispatch
	ud2
	.size kvmlet_dispatch_entry, . - kvmlet_dispatch_entry
	.section .note.GNU-stack, "", @progbits
