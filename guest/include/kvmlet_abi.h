/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_abi.h: the contract between the kvmlet host and its guests, included
 * by both sides. Every constant that crosses the VM boundary lives here.
 *
 * Guest-physical layout (the host maps all of it identity, VA == GPA):
 *
 *   0x000000  null page: never mapped
 *   0x001000  GDT                    supervisor, read-only
 *   0x002000  IDT                    supervisor, read-only
 *   0x003000  TSS + I/O bitmap       supervisor, read-only (3 pages)
 *   0x006000  exception stubs        supervisor, read + execute
 *   0x007000  ring-0 stack           supervisor, read + write (TSS.RSP0)
 *   0x008000  double-fault stack     supervisor, read + write (IST1)
 *   0x009000  boot info              user, read-only (struct kvmlet_bootinfo)
 *   0x010000  kvmlet's ring-0 kernel supervisor, read + execute (guest/kernel)
 *   0x040000  its data and stack     supervisor, read + write
 *   0x060000  page tables            user, read-only (so that guest code can
 *             walk them), no execute: the host's tables first, then the
 *             kernel's pool (see bootinfo); writable only through the kernel's
 *             view of all guest memory at KVMLET_KPHYS_VA + address
 *   0x200000  guest image (ELF segments, linked there by guest/kvmlet.ld),
 *             then the heap; free pages the kernel maps on request; a guard
 *             page; the stack, ending at the top of guest memory.
 *
 * Guest code runs at CPL3 only and reaches the host with `out` to the ports
 * below, which the TSS I/O permission bitmap allows (IOPL stays 0). Arguments
 * travel in registers, which the host reads through KVM's synced registers.
 * Ring 0 is kvmlet's: the guest changes its address space only through the
 * kernel's `syscall` entry (KVMLET_SYS_*), never by writing a table.
 */
#ifndef KVMLET_ABI_H
#define KVMLET_ABI_H

#ifdef __cplusplus /* usable from C++ guests */
extern "C" {
#endif

#include <stdint.h>

#include "kvmlet_vectors.h"

#define KVMLET_ABI_VERSION 2u

/* Guest-physical (and virtual) layout. */
#define KVMLET_GDT_GPA	     0x1000ull
#define KVMLET_IDT_GPA	     0x2000ull
#define KVMLET_TSS_GPA	     0x3000ull
#define KVMLET_TSS_PAGES     3u
#define KVMLET_STUBS_GPA     0x6000ull
#define KVMLET_STACK0_GPA    0x7000ull /* ring-0 stack page; RSP0 is its top */
#define KVMLET_STACK_DF_GPA  0x8000ull /* IST1 stack page for #DF */
#define KVMLET_BOOTINFO_GPA  0x9000ull
#define KVMLET_KERNEL_GPA    0x10000ull /* kernel text; LSTAR points at its start */
#define KVMLET_KDATA_GPA     0x40000ull /* kernel data, bss and stack */
#define KVMLET_KERNEL_END    0x60000ull
#define KVMLET_TABLES_GPA    0x60000ull
#define KVMLET_KPHYS_VA	     0xffff800000000000ull /* + guest-physical: the kernel's view of all memory */
#define KVMLET_TABLES_END    0x200000ull
#define KVMLET_IMAGE_GPA     0x200000ull /* lowest address a guest segment may use */
#define KVMLET_PAGE_SIZE     4096ull

/* GDT selectors. */
#define KVMLET_SEL_KCODE 0x08u
#define KVMLET_SEL_KDATA 0x10u
#define KVMLET_SEL_UDATA 0x1bu /* 0x18 | RPL3 */
#define KVMLET_SEL_UCODE 0x23u /* 0x20 | RPL3 */
#define KVMLET_SEL_TSS	 0x28u

/*
 * Ports. CPL3 may use KVMLET_PORT_FIRST..KVMLET_PORT_LAST (one byte `out`,
 * AL ignored unless said); KVMLET_PORT_EXCEPTION is for the ring-0 stubs only.
 */
#define KVMLET_PORT_FIRST     0x0e0u
#define KVMLET_PORT_EXIT      0x0e0u /* rdi = exit status (low 8 bits kept by the CLI) */
#define KVMLET_PORT_LOG	      0x0e1u /* rdi = buffer va, rsi = length: print */
#define KVMLET_PORT_ABORT     0x0e2u /* rdi = message va, rsi = length: abort */
#define KVMLET_PORT_READY     0x0e3u /* rdi = dispatcher va, rsi = exports va, rdx = count,
					* | KVMLET_READY_STACK: rcx = call stack top */
#define KVMLET_PORT_RETURN    0x0e4u /* a call's result is in the result buffer */
#define KVMLET_PORT_HOSTCALL  0x0e5u /* a host call request is in the host-call buffer */
#define KVMLET_PORT_LAST      0x0e5u
/* In READY's rdx: rcx holds the top of the stack calls run on (16-byte aligned,
 * user-writable below it); without it calls run from the stack's top, stack_hi. */
#define KVMLET_READY_STACK    (1ull << 32)
/* In READY's rdx: the guest's dispatcher loops (struct kvmlet_ring): after
 * RETURN it waits for the next call where it stopped, so the host resumes it
 * without setting registers, and it can take calls without exits. */
#define KVMLET_READY_RING     (1ull << 33)
#define KVMLET_PORT_SYSTRACE  0x0edu /* kernel only, while tracing: rax = a system call it
					* served itself, rdi = its result */
#define KVMLET_PORT_SYSCALL   0x0eeu /* kernel only: a Linux system call for the host; rax = number,
					* rdi rsi rdx r10 r8 r9 as the program passed them; the host
					* sets rax to the result */
/* At KVMLET_PORT_SYSCALL, from the kernel itself for its threads (it refuses
 * these numbers from programs, KVMLET_LX_FIRST..KVMLET_LX_LAST): DEADLOCK,
 * every thread waits with no time limit, so none runs again unless a signal
 * comes from outside (rdi != 0: one waits for a signal): the host ends the
 * run, or waits for such a signal (bootinfo sig_ext; rax 0 then); NOW, rax =
 * the clock rdi (a Linux clock id: 0 realtime, 1 monotonic, 7 boottime, 11
 * TAI; monotonic for others) in ns; SLEEP_UNTIL, sleep until the monotonic
 * clock reads rdi ns (within the run's time limit; rax 1 if a signal from
 * outside ended it sooner, else 0). */
#define KVMLET_LX_FIRST	      0x4b560100u
#define KVMLET_LX_DEADLOCK    0x4b560100u
#define KVMLET_LX_NOW	      0x4b560101u
#define KVMLET_LX_SLEEP_UNTIL 0x4b560102u
/* KILLED: the program ends by signal rdi, for the reason rsi (one of
 * KVMLET_KILLED_*) at address rdx. */
#define KVMLET_LX_KILLED      0x4b560103u
#define KVMLET_KILLED_SENT       0u /* sent to itself; its default action ends it */
#define KVMLET_KILLED_NO_FRAME   1u /* no handler frame could be written at rdx (or no restorer) */
#define KVMLET_KILLED_BAD_RETURN 2u /* rt_sigreturn found no valid frame at rdx */
#define KVMLET_KILLED_BAD_HANDLER 3u /* a handler (at rdx) outside user space */
#define KVMLET_KILLED_OUTSIDE	  4u /* sent from outside (sig_ext); its default action ends it */
/* TICKS: the kernel now wants ticks (bootinfo tick_*), where it wanted none:
 * the host looks at once, not only at the next run. */
#define KVMLET_LX_TICKS       0x4b560104u
/* FORK: a new process, a copy of this one (linux_family.c on the host); rdi
 * = the signal its end sends the parent (0: none), rsi = its clone flags as
 * far as the host keeps them (KVMLET_FORK_*). rax: the child's pid in the
 * parent, 0 in the child (whose bootinfo pid and ppid the host set), or
 * -errno. */
#define KVMLET_LX_FORK 0x4b560105u
#define KVMLET_FORK_VM	  0x100u  /* CLONE_VM (with VFORK): what it writes, the parent sees */
#define KVMLET_FORK_VFORK 0x4000u /* CLONE_VFORK: the parent waits (VFORK_WAIT) */
/* VFORK_WAIT: the parent of a KVMLET_FORK_VFORK child (pid rdi) asks until
 * the child has exec'd or ended: rax = rdi then (its writes to the memory
 * they share are in the caller's, with KVMLET_FORK_VM); anything else: ask
 * again (other processes ran meanwhile). The whole caller waits. */
#define KVMLET_LX_VFORK_WAIT 0x4b560106u
/* DEADLOCK's and SLEEP_UNTIL's answer when another process of the program
 * did something since (wrote to a pipe, ended, sent a signal): the waits for
 * the host are repeated. */
#define KVMLET_LX_OTHERS      2
#define KVMLET_LX_LAST	      0x4b5601ffu
/* The host's answer to a system call that must wait (a pipe, epoll, poll):
 * KVMLET_LX_WAIT_BASE for no time limit, + 1 + ms for at most ms. The kernel
 * runs the program's other threads, then repeats the call. With it, rdx is
 * 0, or 1 + ms: the call is repeated after ms anyway (a timerfd it reads or
 * watches expires then), its own time limit kept. */
#define KVMLET_LX_WAIT_BASE   (-(INT64_C(1) << 40))
#define KVMLET_PORT_EXCEPTION 0x0efu /* AL = vector; frame on the ring-0 stack */

/*
 * The kernel's `syscall` entry (guest/kernel): rax = number, arguments in rdi,
 * rsi, rdx; result in rax, 0 or a negative errno; rcx and r11 are clobbered,
 * every other register kept. Addresses must be page-aligned user addresses in
 * [KVMLET_IMAGE_GPA, KVMLET_USER_END); prot is KVMLET_MAP_* (never write and
 * execute together). MAP takes fresh zeroed pages of its own choosing.
 */
#define KVMLET_SYS_MAP	   0x4b560001u /* (va, len, prot): map new pages; -EEXIST if any is mapped */
#define KVMLET_SYS_UNMAP   0x4b560002u /* (va, len) */
#define KVMLET_SYS_PROTECT 0x4b560003u /* (va, len, prot): change what mapped pages allow */
#define KVMLET_MAP_WRITE   1u
#define KVMLET_MAP_EXEC	   2u
#define KVMLET_USER_END	   0x00007ffffffff000ull /* not the last page: sysret needs a canonical RIP */

/* Limits the host enforces on what the guest hands it. */
#define KVMLET_LOG_MAX	 4096u /* one print; longer ones are refused */
#define KVMLET_ABORT_MAX 512u  /* abort messages are cut to this */

/* Stub layout: vector v's entry point is KVMLET_STUBS_GPA + v * KVMLET_STUB_SIZE. */
#define KVMLET_STUB_SIZE 8u

#define KVMLET_BOOTINFO_MAGIC 0x74656c6d766bull /* "kvmlet" */

/* What the host tells the guest, at KVMLET_BOOTINFO_GPA. All are guest addresses. */
struct kvmlet_bootinfo {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t pt_caps;	/* PT_CAP_* the host used for the tables (the vCPU's) */
	uint64_t cr3;		/* guest-physical address of the PML4 (CPL3 cannot read CR3) */
	uint64_t mem_size;	/* guest memory: [0, mem_size) */
	uint64_t tables_lo;	/* tables area, user read-only: [tables_lo, tables_hi) */
	uint64_t tables_hi;
	uint64_t pool_lo;	/* the kernel's table pool inside the area */
	uint64_t pool_hi;
	uint64_t image_lo;	/* ELF segments */
	uint64_t image_hi;
	uint64_t heap_lo;	/* initially mapped heap */
	uint64_t heap_hi;
	uint64_t free_lo;	/* physical pages nobody uses: KVMLET_SYS_MAP hands them out */
	uint64_t free_hi;
	uint64_t stack_lo;	/* stack; the page below stack_lo is the unmapped guard */
	uint64_t stack_hi;
	uint64_t args_buf;	/* call arguments, written by the host, read-only to the guest */
	uint64_t args_size;
	uint64_t result_buf;	/* a call's result, written by the guest */
	uint64_t result_size;
	uint64_t hostcall_buf;	/* host call requests (guest) and their results (host) */
	uint64_t hostcall_size;
	uint32_t pt_phys_bits;	/* the vCPU's MAXPHYADDR: entry address bits at and above
				   it are reserved (0: 52, from hosts before this field) */
	uint32_t flags;		/* KVMLET_BOOT_* */
	uint64_t pmap_lo;	/* the kernel's page bitmap, one bit per page of [free_lo,
				   free_hi) (set: in use), supervisor-only */
	uint64_t brk_lo;	/* Linux programs: the initial program break */
	uint64_t mmap_lo;	/* Linux programs: where mmap puts what it places itself */
	uint64_t ring_host;	/* struct kvmlet_ring_host: read-only to the guest (0: none) */
	uint64_t ring_guest;	/* struct kvmlet_ring_guest: written by the guest */
	/* Linux programs: written by the guest's kernel (never by the program),
	 * read by the host, untrusted: when to interrupt the program's code with
	 * KVMLET_VEC_TICK. tick_at: a timer or a timed wait is due then (the
	 * monotonic clock in ns; 0: none); tick_slices != 0: more than one thread
	 * can run, so interrupt every KVMLET_TICK_SLICE_MS to let the next one. */
	uint64_t tick_at;
	uint32_t tick_slices;
	uint32_t tick_pad;
	/* Signals sent from outside (kvmlet_signal): bit s - 1 for signal s, set
	 * by the host at any time (an atomic OR, from any thread), taken by the
	 * guest's kernel (an atomic exchange with 0) at its next system call,
	 * tick or wake-up; a reset clears it. */
	uint64_t sig_ext;
	/* Linux programs: the signals the program starts with ignored (bit s - 1
	 * for signal s), as Linux's exec keeps the ignored ones ignored
	 * (kvmlet_set_ignored_signals); written by the host before the first
	 * instruction, read once by the guest's kernel. */
	uint64_t sig_ign;
	/* Linux programs: the process's id and its parent's, written by the host
	 * (0: the first process, pid 1, whose parent is outside: 0). A process
	 * fork made has the ids [pid, pid + KVMLET_PID_SPAN) for its threads. */
	int32_t pid, ppid;
};

/* The thread ids of one process: its pid and the next ones below the next
 * process's (pid 1: 1 .. 65536). */
#define KVMLET_PID_SPAN 65536

/* A thread's slice while others can run (KVMLET_VEC_TICK, kvmlet_vectors.h). */
#define KVMLET_TICK_SLICE_MS 10u

#define KVMLET_BOOT_LINUX 1u /* a Linux program: `syscall` numbers are Linux's */
#define KVMLET_BOOT_TRACE 2u /* the host traces: report system calls served in the guest */
#define KVMLET_BOOT_EXEC  4u /* started by execve: the boot-info page holds what it keeps */

/*
 * Linux programs: what execve keeps of the guest kernel's state besides the
 * ignored signals (sig_ign) and what the host keeps itself (descriptors, the
 * working directory). The old program's kernel fills one in its own data and
 * passes its guest-physical address in r9 with the call; the host copies it,
 * untrusted, into the new program's boot-info page at KVMLET_EXEC_CARRY_OFF
 * and sets KVMLET_BOOT_EXEC; the new kernel reads it once, checking each
 * value as a system call's argument.
 */
#define KVMLET_EXEC_CARRY_OFF 2048u
#define KVMLET_EXEC_GROUPS    256u
struct kvmlet_exec_carry {
	uint64_t sig_ign;	 /* signals ignored (bit s - 1: signal s) */
	uint64_t sig_mask;	 /* the calling thread's blocked signals */
	uint32_t uid[4], gid[4]; /* real, effective, saved, filesystem */
	uint32_t umask;
	int32_t nice;
	int32_t policy; /* SCHED_OTHER, BATCH or IDLE, | SCHED_RESET_ON_FORK */
	uint32_t ngroups;
	uint32_t groups[KVMLET_EXEC_GROUPS];
	char comm[16]; /* the new program's name (PR_GET_NAME), from the host; "" for the old kernel
			*/
	uint32_t persona; /* personality(2), as Linux's execve of a 64-bit program leaves it */
};

/*
 * Calls. A message is a header, then nvals values, then the bytes of string
 * and bytes values; offsets are from the start of the message, which is the
 * start of its buffer. The reader checks every length and offset against the
 * buffer before use and copies the message once (no double fetch).
 *
 *   host -> guest   args_buf      KVMLET_MSG_CALL: func = export index
 *   guest -> host   result_buf    KVMLET_MSG_RESULT: one value, or status != 0
 *                                 and one string value: the error message
 *   guest -> host   hostcall_buf  KVMLET_MSG_HOSTCALL: value 0 is the function
 *                                 name (string), then the arguments
 *   host -> guest   hostcall_buf  KVMLET_MSG_RESULT, as above
 *
 * The encoding does not depend on the transport: a message is a buffer plus
 * a doorbell (today an `out`; later possibly a word in shared memory).
 */
#define KVMLET_MSG_MAGIC    0x6c6d766bu /* "kvml" */
#define KVMLET_MSG_CALL	    1u
#define KVMLET_MSG_RESULT   2u
#define KVMLET_MSG_HOSTCALL 3u

#define KVMLET_STATUS_OK    0u
#define KVMLET_STATUS_ERROR 1u /* the callee failed: one string value says why */

/* Value types; in signatures one letter each: i u d b s y, and v for no result. */
#define KVMLET_T_VOID  0u
#define KVMLET_T_I64   1u
#define KVMLET_T_U64   2u
#define KVMLET_T_F64   3u
#define KVMLET_T_BOOL  4u
#define KVMLET_T_STR   5u /* UTF-8, length-counted (no NUL needed) */
#define KVMLET_T_BYTES 6u

#define KVMLET_MAX_VALUES 16u /* arguments of one call */
#define KVMLET_MSG_VALUES_MAX (KVMLET_MAX_VALUES + 1u) /* in one message: a host call's name, 16 arguments */
#define KVMLET_NAME_MAX	  63u /* function names: [A-Za-z0-9_.], 1..63 bytes */
#define KVMLET_SIG_MAX	  (KVMLET_MAX_VALUES + 2u) /* "args:r" */
#define KVMLET_EXPORTS_MAX 256u

struct kvmlet_msg_hdr {
	uint32_t magic;
	uint32_t kind;	 /* KVMLET_MSG_* */
	uint32_t func;	 /* KVMLET_MSG_CALL: export index */
	uint32_t status; /* KVMLET_MSG_RESULT: KVMLET_STATUS_* */
	uint32_t nvals;
	uint32_t len; /* bytes of the whole message, header included */
};

struct kvmlet_msg_val {
	uint32_t type; /* KVMLET_T_* */
	uint32_t len;  /* KVMLET_T_STR, KVMLET_T_BYTES: length */
	uint64_t v;    /* scalars: the value (F64 as its bits, BOOL 0 or 1); else offset */
};

/*
 * Batches: n calls in one VM entry and one RETURN. args_buf holds a batch
 * header (kind KVMLET_MSG_BATCH), then count entries, then the count CALL
 * messages, each 8-byte aligned at its entry's offset (from the start of the
 * buffer). The guest runs them in order and writes result_buf the same way:
 * a batch header, count entries, then one RESULT message per call (a value or
 * an error, each separate). Call i's result gets at most the space left minus
 * KVMLET_BATCH_SLOT_MIN for each later call, so every call has room for at
 * least an error (the host refuses a batch whose result buffer is smaller
 * than the header, the entries and count slots). A fault or abort ends the
 * whole batch.
 */
#define KVMLET_MSG_BATCH      4u
#define KVMLET_BATCH_MAX      1024u /* calls in one batch */
#define KVMLET_BATCH_SLOT_MIN 304u  /* a RESULT with a 256-byte error, 8-aligned */
#define KVMLET_ERROR_MAX      256u  /* a guest function's error message is cut to this */

struct kvmlet_batch_hdr {
	uint32_t magic; /* KVMLET_MSG_MAGIC (first two fields as in kvmlet_msg_hdr) */
	uint32_t kind;	/* KVMLET_MSG_BATCH */
	uint32_t count; /* messages, <= KVMLET_BATCH_MAX */
	uint32_t len;	/* bytes of the whole batch, header included */
};

struct kvmlet_batch_entry {
	uint32_t off; /* from the start of the buffer, 8-byte aligned */
	uint32_t len; /* of the message */
};

/*
 * The call ring: sequence numbers beside the message buffers (ring_host in
 * the argument buffer's first page, ring_guest in the result buffer's), so a
 * call can be handed over without an exit. A guest that reports
 * KVMLET_READY_RING runs calls in a loop: after a call it sets done_seq to
 * call_seq and waits until call_seq changes; after posting a host call
 * (host_seq + 1) it waits until host_done equals host_seq. It waits by
 * polling for spin_ticks TSC ticks (0: not at all) unless host_waiting is
 * set, then by `out` to RETURN or HOSTCALL, after which it checks again. The
 * host bumps call_seq for every call, and sets host_done after every host
 * call reply, whether it answers exits or polls (kvmlet_set_exitless).
 */
struct kvmlet_ring_host {
	uint64_t call_seq;     /* bumped when a call's message is in args_buf */
	uint64_t host_done;    /* = host_seq when the host call's reply is in hostcall_buf */
	uint64_t spin_ticks;   /* how long the guest polls before it exits */
	uint64_t host_waiting; /* 1: the host sleeps: exit at once instead of polling */
	uint64_t reserved[4];
};

struct kvmlet_ring_guest {
	uint64_t done_seq; /* = call_seq when that call's result is in result_buf */
	uint64_t host_seq; /* bumped when a host call request is in hostcall_buf */
	uint64_t reserved[6];
};

#define KVMLET_RING_SIZE 64u /* each half, at the start of its buffer's region */

/* One guest function, as the guest reports it at KVMLET_PORT_READY. */
struct kvmlet_export {
	char name[KVMLET_NAME_MAX + 1];	 /* NUL-terminated */
	char sig[KVMLET_SIG_MAX + 1];	 /* e.g. "ii:i", NUL-terminated */
};

#ifdef __cplusplus
}
#endif

#endif /* KVMLET_ABI_H */
