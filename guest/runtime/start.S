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

	.section .note.GNU-stack, "", @progbits
