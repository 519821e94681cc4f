/*
 * cases.c: one line per attack (a guest's main through kvmlet_run, or one of
 * its exports through kvmlet_call) and exactly how it must end: the return
 * code, for runs the exception vector and error code, and what the message
 * says. test_hostile.c runs them and checks the host's health after each.
 */
#include <errno.h>

#include "cases.h"

const char hostile_ec_at_run_time[] = "(error code decided at run time)";

/* kvmlet_run of main: outcome from code, exception vector and error code; then fields. */
#define RUN(g, c, vec, e, ...)                                             \
	{                                                                  \
		.guest = g, .code = c, .vector = vec, .ec = e, __VA_ARGS__ \
	}
/* kvmlet_call of an export; then fields. */
#define CALL(g, f, c, ...)                                                                \
	{                                                                                 \
		.guest = g, .fn = f, .code = c, .vector = NONE, .ec = ANY_EC, __VA_ARGS__ \
	}
#define MSG(n)	   .needle = n
#define SCRATCH(v) .check_scratch = true, .scratch = v
#define GP	   .needle = "general protection fault at RIP 0x", .needle2 = "(error code 0x0)"
/* The error code depends on QEMU or the vCPU's vendor: decided by test_hostile.c. */
#define GP_EC_AT_RUN_TIME \
	.needle = "general protection fault at RIP 0x", .needle2 = hostile_ec_at_run_time
#define TRIPLE	  .needle = "triple fault: the guest's exception handling failed"
#define TIMED_OUT .needle = "guest timed out after", .timeout_ms = 300
#define NOT_READ(from, at) \
	.needle = "guest print from " from ": " at " is not readable guest memory"
/* The tables are read-only to guest code (ring 0 is kvmlet's): an attack that
 * writes them, to map or alias anything, faults at its first table write. */
#define RO_TABLES .needle = "page fault at RIP 0x", .needle2 = ": protection violation"
/* An outcome that depends on the vCPU's vendor: decided by test_hostile.c. */
#define AT_RUN_TIME .needle = NULL
/* With exit-less calls on: the call ring is polled by both sides. */
#define XL .exitless = true
/* An outcome that depends on how the host's KVM translates guest addresses. */
#define OR(c, n) .alt_code = c, .alt = n

const struct hcase hostile_cases[] = {
	/* Print and abort buffers past guest memory, past 2^64. */
	RUN("h_buffers", -EFAULT, NONE, 0,
	    MSG("guest print of 8192 bytes exceeds the 4096-byte limit")),
	CALL("h_buffers", "print_overflowing", -EFAULT,
	     MSG("guest print of 8192 bytes exceeds the 4096-byte limit")),
	CALL("h_buffers", "print_huge_len", -EFAULT,
	     MSG("guest print of 18446744073709551615 bytes exceeds the 4096-byte limit")),
	CALL("h_buffers", "print_top_page", -EFAULT,
	     NOT_READ("0xfffffffffffff000 (+4096)", "0xfffffffffffff000")),
	CALL("h_buffers", "print_wraps", -EFAULT, RO_TABLES),
	CALL("h_buffers", "print_past_end", -EFAULT, NOT_READ("0xfffff0 (+32)", "0x1000000")),
	CALL("h_buffers", "print_alias_past_end", -EFAULT, RO_TABLES),
	CALL("h_buffers", "print_supervisor_page", -EFAULT, NOT_READ("0x1000 (+16)", "0x1000")),
	CALL("h_buffers", "abort_overflowing", -ECONNABORTED,
	     MSG("guest aborted (its message at 0xfffffffffffff000 is unreadable)")),
	CALL("h_buffers", "abort_past_end", -ECONNABORTED,
	     MSG("guest aborted (its message at 0xfffff0 is unreadable)")),
	CALL("h_buffers", "abort_huge_len", -ECONNABORTED,
	     MSG("guest aborted: AAAAAAAAAAAAAAAAAAAA")),
	CALL("h_buffers", "abort_control_chars", -ECONNABORTED,
	     MSG("guest aborted: bad??[2Jnews?!")),
	/* Messages: host calls with bad offsets and counts; exports outside memory. */
	RUN("h_messages", -EPROTO, NONE, 0,
	    MSG("guest export table at 0xfffffffffffff000: 0xfffffffffffff000 is not readable")),
	CALL("h_messages", "hostcall_offset_overflow", -EPROTO,
	     MSG("malformed host call: value 0: 4294967295 bytes at offset 18446744073709551360 "
		 "outside the message's 64 bytes")),
	CALL("h_messages", "hostcall_offset_past_end", -EPROTO,
	     MSG("malformed host call: value 0: 16 bytes at offset 60 outside the message's 64")),
	CALL("h_messages", "hostcall_nvals_huge", -EPROTO,
	     MSG("malformed host call: 4294967295 values, at most 17 allowed")),
	CALL("h_messages", "hostcall_len_tiny", -EPROTO,
	     MSG("malformed host call: message length 3 outside [24, 262144]")),
	CALL("h_messages", "hostcall_name_not_string", -EPROTO,
	     MSG("malformed host call: no function name")),
	CALL("h_messages", "hostcall_name_bad_utf8", -EPROTO,
	     MSG("malformed host call: value 0: string is not valid UTF-8")),
	CALL("h_messages", "ready_in_call", -EPROTO, MSG("guest reported READY during a call")),
	/* Ports: #GP at the first port outside the ABI; the ABI's ports only as 1-byte out. */
	RUN("h_ports", -EFAULT, 13, 0, GP, SCRATCH(0)),
	CALL("h_ports", "scan_out", -EFAULT, GP, SCRATCH(0)),
	CALL("h_ports", "scan_out_after_abi", -EFAULT, GP, SCRATCH(0xe6)),
	CALL("h_ports", "scan_in", -EFAULT, GP, SCRATCH(0)),
	CALL("h_ports", "scan_in_after_abi", -EFAULT, GP, SCRATCH(0xe6)),
	CALL("h_ports", "in_abi", -EFAULT, MSG("unexpected I/O (in, port 0xe1, size 1) at RIP 0x")),
	CALL("h_ports", "outw_abi", -EFAULT,
	     MSG("unexpected I/O (out, port 0xe0, size 2) at RIP 0x")),
	CALL("h_ports", "outl_abi", -EFAULT,
	     MSG("unexpected I/O (out, port 0xe2, size 4) at RIP 0x")),
	CALL("h_ports", "inl_abi", -EFAULT,
	     MSG("unexpected I/O (in, port 0xe0, size 4) at RIP 0x")),
	CALL("h_ports", "outl_straddle", -EFAULT, GP),
	CALL("h_ports", "out_exception_port", -EFAULT, GP),
	CALL("h_ports", "rep_outsb", -EFAULT, .needle = "guest print of ",
	     .needle2 = " bytes exceeds the 4096-byte limit",
	     OR(-EFAULT, "unexpected I/O (out, port 0xe1, size 1) at RIP 0x")),
	CALL("h_ports", "rep_insb", -EFAULT,
	     MSG("unexpected I/O (in, port 0xe1, size 1) at RIP 0x")),
	/* Every port, in and out, 1, 2 and 4 bytes, minus the 14 inside the ABI's range. */
	CALL("h_ports", "port_sweep", -EFAULT, RO_TABLES),
	/* Privileged instructions at CPL3. */
	RUN("h_privileged", -EFAULT, 13, 0, GP),
	CALL("h_privileged", "cli", -EFAULT, GP),
	CALL("h_privileged", "sti", -EFAULT, GP),
	CALL("h_privileged", "hlt", -EFAULT, GP),
	CALL("h_privileged", "wrmsr", -EFAULT, GP),
	CALL("h_privileged", "rdmsr", -EFAULT, GP),
	CALL("h_privileged", "read_cr3", -EFAULT, GP),
	CALL("h_privileged", "write_cr3", -EFAULT, GP),
	CALL("h_privileged", "write_cr0", -EFAULT, GP),
	CALL("h_privileged", "lgdt", -EFAULT, GP),
	CALL("h_privileged", "lidt", -EFAULT, GP),
	CALL("h_privileged", "ltr", -EFAULT, GP),
	CALL("h_privileged", "invlpg", -EFAULT, GP),
	CALL("h_privileged", "wbinvd", -EFAULT, GP),
	CALL("h_privileged", "swapgs", -EFAULT, GP),
	CALL("h_privileged", "rdpmc", -EFAULT, GP),
	CALL("h_privileged", "clts", -EFAULT, GP),
	CALL("h_privileged", "int80", -EFAULT, GP_EC_AT_RUN_TIME),
	CALL("h_privileged", "int3", -EFAULT, GP_EC_AT_RUN_TIME),
	/* syscall enters kvmlet's kernel, which refuses an unknown number and returns. */
	CALL("h_privileged", "syscall", 0, .value = HOSTILE_SURVIVED),
	CALL("h_privileged", "sysenter", -EFAULT, AT_RUN_TIME),
	CALL("h_privileged", "popf_iopl", -EFAULT, GP),
	/* Jumping where there is no code. */
	RUN("h_exec", -EFAULT, 14, 0x14,
	    MSG("page fault at RIP 0x0 executing 0x0: page not present (null pointer)")),
	CALL("h_exec", "exec_heap", -EFAULT, .needle = "executing 0x",
	     .needle2 = ": protection violation"),
	CALL("h_exec", "exec_args", -EFAULT, .needle = "executing 0x",
	     .needle2 = ": protection violation"),
	CALL("h_exec", "exec_stubs", -EFAULT,
	     MSG("page fault at RIP 0x6070 executing 0x6070: protection violation")),
	CALL("h_exec", "jump_noncanonical", -EFAULT, GP),
	/* The kernel refuses W+X; the page it maps writable does not execute. */
	CALL("h_exec", "wx_own_page", -EFAULT,
	     MSG("executing 0x10000000000: protection violation")),
	/* Page tables corrupted, then a fault or a print through them: no longer possible. */
	RUN("h_pagetables", -EFAULT, 14, 7, RO_TABLES),
	CALL("h_pagetables", "clear_pml4_fault", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "clear_pml4_print", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "table_outside_print", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "table_outside_read", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "leaf_outside_print", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "leaf_outside_read", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "mmio_forges_next_result", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "leaf_reserved_read", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "leaf_reserved_print", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "loop_print", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "loop_read_hole", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "loop_ps_read", -EFAULT, RO_TABLES),
	CALL("h_pagetables", "loop_ps_print", -EFAULT, RO_TABLES),
	/* GDT, IDT and TSS corrupted through the guest's own mappings: no longer possible. */
	RUN("h_systables", -EFAULT, 14, 7, RO_TABLES),
	CALL("h_systables", "idt_scribble", -EFAULT, RO_TABLES),
	CALL("h_systables", "idt_ud_absent", -EFAULT, RO_TABLES),
	CALL("h_systables", "gdt_kcode_zero", -EFAULT, RO_TABLES),
	CALL("h_systables", "tss_rsp0_unmapped", -EFAULT, RO_TABLES),
	CALL("h_systables", "tss_stacks_unmapped", -EFAULT, RO_TABLES),
	CALL("h_systables", "iobitmap_open_out", -EFAULT, RO_TABLES),
	CALL("h_systables", "iobitmap_open_in", -EFAULT, RO_TABLES),
	CALL("h_systables", "forge_exception", -EFAULT, RO_TABLES),
	CALL("h_systables", "forge_exception_bad_rsp", -EFAULT, RO_TABLES),
	/* Ring 0 inside the VM, taken through the guest's own IDT gate: no longer possible. */
	RUN("h_ring0", -EFAULT, 14, 7, RO_TABLES),
	CALL("h_ring0", "ring0_hlt", -EFAULT, RO_TABLES),
	CALL("h_ring0", "ring0_out", -EFAULT, RO_TABLES),
	CALL("h_ring0", "ring0_wrmsr", -EFAULT, RO_TABLES),
	CALL("h_ring0", "ring0_rdmsr", -EFAULT, RO_TABLES),
	CALL("h_ring0", "ring0_cli_spin", -EFAULT, RO_TABLES),
	CALL("h_ring0", "ring0_cr3_outside", -EFAULT, RO_TABLES),
	CALL("h_ring0", "ring0_lidt_empty", -EFAULT, RO_TABLES),
	/* Linux system calls with bogus pointers, and random ones by the thousand. */
	RUN("h_syscalls", 0, NONE, 0, MSG("guest exited with status 0")),
	CALL("h_syscalls", "bad_pointers", 0, .value = HOSTILE_SURVIVED),
	CALL("h_syscalls", "straddling_buffers", 0, .value = HOSTILE_SURVIVED),
	CALL("h_syscalls", "random_storm", 0, .value = HOSTILE_SURVIVED),
	CALL("h_syscalls", "fork_bomb", 0, .value = HOSTILE_SURVIVED),
	/* (time for the forks' VMs to be made under nested KVM, then spinning) */
	CALL("h_syscalls", "spin_bomb", -ETIMEDOUT, .needle = "guest timed out after",
	     .timeout_ms = 2000),
	CALL("h_syscalls", "vfork_chain", 0, .value = HOSTILE_SURVIVED),
	CALL("h_syscalls", "vfork_spin", -ETIMEDOUT, .needle = "guest timed out while it waited",
	     .timeout_ms = 2000),
	/* Signal frames as weapons: garbage, in ring 0's pages, asking for IOPL. */
	RUN("h_signals", -ECONNABORTED, NONE, 0,
	    MSG("killed by signal 11 (SIGSEGV): rt_sigreturn found no signal frame it could "
		"return to at 0x")),
	CALL("h_signals", "sigreturn_unmapped", -ECONNABORTED,
	     MSG("rt_sigreturn found no signal frame it could return to at 0x8")),
	CALL("h_signals", "sigreturn_ring0_stack", -ECONNABORTED,
	     MSG("rt_sigreturn found no signal frame it could return to at 0x77f8")),
	CALL("h_signals", "sigreturn_kernel_rip", -ECONNABORTED,
	     MSG("rt_sigreturn found no signal frame it could return to at 0x")),
	CALL("h_signals", "sigreturn_iopl", -EFAULT, GP),
	CALL("h_signals", "sigreturn_tampered", 0, .value = HOSTILE_SURVIVED),
	CALL("h_signals", "sigreturn_xsave_header", 0, .value = HOSTILE_SURVIVED),
	CALL("h_signals", "handler_in_kernel", -EFAULT,
	     MSG("page fault at RIP 0x10000 executing 0x10000: protection violation")),
	CALL("h_signals", "handler_outside_user_space", -ECONNABORTED,
	     MSG("a signal handler outside user space at 0xffff800000000000")),
	CALL("h_signals", "frame_on_ring0_stack", -ECONNABORTED,
	     MSG("a signal handler's frame could not be written at 0x")),
	CALL("h_signals", "altstack_in_kernel", -ECONNABORTED,
	     MSG("a signal handler's frame could not be written at 0x")),
	CALL("h_signals", "segv_swallowed", 0, .value = HOSTILE_SURVIVED),
	CALL("h_signals", "timers_bad_pointers", 0, .value = HOSTILE_SURVIVED),
	CALL("h_signals", "timer_storm", -ETIMEDOUT, TIMED_OUT),
	CALL("h_signals", "segv_plain", -EFAULT, MSG("page fault at RIP 0x"),
	     .needle2 = "reading 0x0: page not present"),
	/* Spinning forever: only the time limit ends it. */
	RUN("h_spin", -ETIMEDOUT, NONE, 0, TIMED_OUT),
	CALL("h_spin", "spin_tight", -ETIMEDOUT, TIMED_OUT),
	CALL("h_spin", "spin_empty_prints", -ETIMEDOUT, TIMED_OUT),
	/* Host calls: unbounded recursion overflows the guest's stack; forever times out. */
	CALL("h_hostcalls", "recurse_hostcalls", -EFAULT,
	     MSG("(stack overflow into the guard page)")),
	CALL("h_hostcalls", "hostcalls_forever", -ETIMEDOUT, TIMED_OUT),
	CALL("h_hostcalls", "hostcalls_forever", -ETIMEDOUT, TIMED_OUT, XL),
	/* The call ring: what the guest claims there is checked like its messages. */
	CALL("h_ring", "ring_done_without_result", -EPROTO,
	     MSG("ring_done_without_result: malformed result: message length 0"), XL),
	CALL("h_ring", "ring_done_ahead", -ETIMEDOUT, TIMED_OUT, XL),
	CALL("h_ring", "ring_hostcall_garbage", -EPROTO, MSG("malformed host call"), XL),
	CALL("h_ring", "ring_hostcall_garbage", -ETIMEDOUT, TIMED_OUT), /* no exit: unseen */
	CALL("h_ring", "ring_host_half_write", -EFAULT, RO_TABLES, XL),
	CALL("h_ring", "ring_host_half_write", -EFAULT, RO_TABLES),
	/* 5000: on one CPU each exit-less host call can spin its 2 ms budget
	 * before the host runs, and 20,000 of them neared the 60 s limit (ASan). */
	CALL("h_ring", "ring_hostcalls", 0, .value = 5000, XL),
	CALL("h_ring", "ring_hostcalls", 0, .value = 5000),
};

const size_t hostile_ncases = sizeof(hostile_cases) / sizeof(hostile_cases[0]);
