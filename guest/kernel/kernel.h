/* SPDX-License-Identifier: MIT */
/* kernel.h: what the parts of kvmlet's ring-0 kernel share (see kernel.c). */
#ifndef KVMLET_KERNEL_H
#define KVMLET_KERNEL_H

#include "kvmlet_abi.h"
#include "pagetable.h"

#define PAGE 4096ull

/* Linux errno values the kernel returns (negated). */
#define EPERM	1
#define EINTR	4
#define EAGAIN	11
#define ENOENT	2
#define EBADF	9
#define ENOMEM	12
#define EACCES	13
#define EFAULT	14
#define EEXIST	17
#define ENODEV	19
#define EINVAL	22
#define ENOSYS	38

/* The user registers entry.S saved (all but RSP, which is in
 * kernel_user_rsp), lowest address first; it restores them from here, so a
 * system call may return into another thread (linux_thread.c). */
struct frame {
	uint64_t pad, r15, r14, r13, r12, rbp, rbx, r9, r8, r10, rdx, rsi, rdi, rax, r11, rcx;
};

/* Where entry.S returns to CPL3 by iretq instead of sysretq (on is set):
 * into a signal handler, or back to what a signal interrupted, with rcx and
 * r11 as the frame holds them (RSP from kernel_user_rsp). */
struct kernel_iret {
	uint64_t rip, cs, rflags, ss;
	uint8_t on;
};
extern struct kernel_iret kernel_iret;
extern uint64_t kernel_user_rsp; /* entry.S: the running thread's stack pointer */

/* The signal state of one thread (linux_thread.c keeps it with the thread;
 * linux_signal.c reads and changes it). */
struct sigstate {
	uint64_t mask;	  /* blocked */
	uint64_t pending; /* sent to this thread, not yet delivered */
	uint64_t tkill;	  /* of those, sent by tkill or tgkill (SI_TKILL) */
	uint64_t timer;	  /* of those, sent by a POSIX timer (SI_TIMER) */
	uint64_t ss_sp, ss_size; /* the alternate signal stack */
	uint32_t ss_flags;
	bool suspended;	    /* in rt_sigsuspend: saved_mask comes back after the handler */
	uint64_t saved_mask;
	uint64_t interrupted; /* the system call a signal ended with EINTR, + 1 (0: none) */
	uint64_t waitset, wait_info; /* in rt_sigtimedwait: the signals it takes, its siginfo */
};

#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define LINUX_SELF  linux_self() /* the process's pid, and its first thread's tid */
#define LINUX_GROUP 1		 /* every process's group and session: the first process's */

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

static inline const struct kvmlet_bootinfo *bi(void)
{
	return (const struct kvmlet_bootinfo *)KVMLET_BOOTINFO_GPA;
}

/* This process's pid (bootinfo: the host's; 1 for the first process) and
 * its parent's (0: outside). */
static inline int32_t linux_self(void)
{
	return bi()->pid > 0 ? bi()->pid : 1;
}

static inline int32_t linux_parent(void)
{
	return bi()->ppid > 0 ? bi()->ppid : 0;
}

/* What execve kept of the kernel that ran before (KVMLET_BOOT_EXEC), or NULL:
 * the program started fresh. Each part checks what it takes from it. */
static inline const struct kvmlet_exec_carry *exec_carry(void)
{
	if (!(bi()->flags & KVMLET_BOOT_EXEC))
		return NULL;
	return (const struct kvmlet_exec_carry *)(KVMLET_BOOTINFO_GPA + KVMLET_EXEC_CARRY_OFF);
}

/* Guest-physical pa through the kernel's supervisor-only view of all memory. */
static inline void *kphys(uint64_t pa)
{
	return (void *)(KVMLET_KPHYS_VA + pa);
}

/* kernel.c: the write-capable backend on the live tables. */
const struct pt_backend *kernel_pt(void);
/* kernel.c: IDT gate vec goes to handler in ring 0 (an interrupt gate, which
 * CPL3 may raise with `int` only if user). */
void kernel_gate(uint32_t vec, const void *handler, bool user);
/* kernel.c: drop every cached translation (no global pages are ever mapped). */
void kernel_flush_tlb(void);
/* kernel.c: hand a system call to the host (one exit); returns its result
 * (and, in *rdx, what the host left in rdx: KVMLET_LX_WAIT_BASE's retry). */
int64_t kernel_to_host(const struct frame *f);
int64_t kernel_to_host_rdx(const struct frame *f, uint64_t *rdx);

/* mm.c: one page of the free range for the kernel's own use (zeroed; its
 * guest-physical address, 0 if none is left), and giving it back. */
uint64_t mm_page_alloc(void);
void mm_page_free(uint64_t pa);
/* mm.c: the free range's free pages, and (in *total) all of them. */
uint64_t mm_free_pages(uint64_t *total);
/* mm.c: a page-aligned, non-empty range of user addresses, or -EINVAL. */
int64_t mm_check_user(uint64_t va, uint64_t len);
/* mm.c: KVMLET_MAP_* to PT_PROT_* (user); -EINVAL for unknown bits or W+X. */
int64_t mm_prot(uint64_t prot, uint32_t *out);
/* mm.c: map fresh zeroed pages at [va, va + len) with prot (PT_PROT_*); -EEXIST
 * if any is mapped, -ENOMEM when pages or tables run out (nothing changed). */
int64_t mm_map(uint64_t va, uint64_t len, uint32_t prot);
/* mm.c: is any page of [va, va + len) mapped (or the range not walkable)? */
bool mm_mapped(uint64_t va, uint64_t len);
/* mm.c: unmap [va, va + len), zeroing and freeing the pages (holes are fine). */
int64_t mm_unmap(uint64_t va, uint64_t len);
/* mm.c: the pages of [from, from + len) move to [to, to + len), which has
 * none, with their protection (holes stay holes); nothing is copied.
 * -ENOMEM when tables run out (nothing changed). */
int64_t mm_move(uint64_t from, uint64_t to, uint64_t len);
/* mm.c: change protection; -ENOMEM if a page is not mapped (nothing changed). */
int64_t mm_protect(uint64_t va, uint64_t len, uint32_t prot);
/* mm.c: zero the mapped pages of [va, va + len) in place. */
int64_t mm_zero(uint64_t va, uint64_t len);
/* mm.c: is [va, va + len) mapped for user access (writable if write)? */
bool mm_user_ok(uint64_t va, uint64_t len, bool write);

/* mm.c: copy n bytes to / from user va, as the program may access it; -EFAULT if it may not. */
int64_t mm_put_user(uint64_t va, const void *src, uint64_t n);
int64_t mm_get_user(void *dst, uint64_t va, uint64_t n);

/* linux_vma.c: the ranges a Linux program's mmap gave it (PROT_NONE too),
 * merged. Does one of them meet [lo, hi)? */
bool vma_overlaps(uint64_t lo, uint64_t hi);
/* linux_vma.c: where what covers lo ends, up to hi (lo if nothing covers it). */
uint64_t vma_covered(uint64_t lo, uint64_t hi);
/* linux_vma.c: [lo, hi) is the program's now (or no longer): 0, or -ENOMEM
 * when the table would need more ranges than it has (nothing changed). */
int64_t vma_claim(uint64_t lo, uint64_t hi);
int64_t vma_release(uint64_t lo, uint64_t hi);
/* linux_vma.c: the lowest address from `from` with len free bytes below end; 0 if none. */
uint64_t vma_gap(uint64_t from, uint64_t end, uint64_t len);

/* linux.c: ENOMEM if some address of the user range [va, va + len) is no
 * mapping's (a PROT_NONE one counts as mapped), else 0. */
int64_t linux_unmapped_in(uint64_t va, uint64_t len);
/* linux.c: a Linux system call, served here or handed to the host. */
int64_t linux_syscall(struct frame *f);
/* linux.c: the program ends with status (its last thread has exited). */
__attribute__((noreturn)) void linux_exit(uint64_t status);
/* linux_thread.c: clone, clone3, exit, futex, gettid, set_tid_address,
 * sched_yield and sleeps, which may return into another thread (*f is then
 * that thread's registers, the result its own); *served is false for a call
 * it leaves to the host. */
int64_t linux_thread_syscall(struct frame *f, bool *served);
/* linux_thread.c: hand *f to the host; if the host says the call must wait
 * (a pipe, epoll, poll), another thread runs and this one repeats the call
 * later. The result for the thread now current. */
int64_t linux_thread_host(struct frame *f);
/* linux_thread.c: is tid one of the program's threads? */
bool linux_thread_alive(int32_t tid);
/* linux_thread.c: the signal state of thread tid (0: the current one); NULL if none. */
struct sigstate *linux_thread_sigs(int32_t tid);
/* linux_thread.c: the tid of the current thread. */
int32_t linux_thread_tid(void);
/* linux_thread.c: the tid of the n-th live thread (from 0), or 0 past the last. */
int32_t linux_thread_nth(uint32_t n);
/* linux_thread.c: if thread tid waits (futex, sleep, the host), its call ends
 * with -EINTR (sigstate.interrupted says which call). */
void linux_thread_interrupt(int32_t tid);
/* linux_thread.c: the current thread waits until a signal interrupts it
 * (-EINTR), or for at most timeout_ns if not 0 (then -EAGAIN). */
int64_t linux_thread_suspend(struct frame *f, uint64_t timeout_ns);
/* linux_signal.c: the signal calls (sigaction, masks, the alternate stack,
 * kill/tkill/tgkill to itself, rt_sigreturn, sigsuspend, pause); *served is
 * false for one it leaves to the host. */
int64_t linux_signal_syscall(struct frame *f, bool *served);
/* fpu.c: the program's FPU/SSE/AVX state in a signal frame, Linux's layout:
 * its size (placed 64-byte aligned), whether it is an XSAVE image
 * (UC_FP_XSTATE), saving it to user va (0 or -EFAULT), the state a handler
 * starts with, and restoring it from user va (0: the initial state; false if
 * it cannot be read). */
uint64_t fpu_frame_size(void);
bool fpu_frame_xstate(void);
int64_t fpu_frame_save(uint64_t va);
void fpu_frame_init(void);
bool fpu_frame_restore(uint64_t va);
/* fpu.c: the FPU state into a kernel page (a thread stopping) and back from
 * one (the thread running again); the kernel writes it, so it is trusted. */
void fpu_save_page(void *page);
void fpu_load_page(const void *page);
/* linux_signal.c: send signal s to thread tid (0: the process), from the
 * kernel itself: as for the program (SIGPIPE, SI_USER) or by_kernel (a
 * timer's SIGALRM, SI_KERNEL). */
void linux_signal_post(int32_t tid, int s, bool by_kernel);
/* linux_signal.c: a POSIX timer sends s to thread tid (0: the process);
 * false if the program ignores it or it is pending there already. */
bool linux_signal_post_timer(int32_t tid, int s);
/* linux_signal.c: is s pending at thread tid (0: the process), sent by a timer? */
bool linux_signal_timer_pending(int32_t tid, int s);
/* linux_signal.c: that signal is no longer pending (its timer was deleted). */
void linux_signal_timer_drop(int32_t tid, int s);
/* linux_timer.c: the current thread takes signal s, sent to thread tid (0:
 * the process) by a POSIX timer: that timer's id, overruns and sigev_value;
 * false if no timer has it pending (it was deleted). */
bool linux_timer_taken(int s, int32_t tid, int32_t *timer, int32_t *overrun, uint64_t *value);
/* linux_signal.c: take the signals sent from outside (kvmlet_signal: the
 * boot info's sig_ext), as another process's kill would send them; true if
 * any came. Reads one word when none did (the page stays clean). */
bool linux_signal_external(void);
/* linux_signal.c: takes the signals from outside; is a SIGKILL pending for
 * the process (which the way back to the program then delivers)? */
bool linux_signal_kill_waits(void);
/* linux_signal.c: does a thread wait for a signal (pause, rt_sigsuspend,
 * rt_sigtimedwait), which only one from outside could now send? */
bool linux_signal_awaited(void);
/* linux_signal.c: as a system call or a tick returns (f: the registers of
 * the thread then current; the timers due have fired), run the handler of a
 * signal pending for it, if any. */
void linux_signal_deliver(struct frame *f);
/* linux_time.c: the host's clock (a Linux clock id: 0 realtime, 1
 * monotonic, 7 boottime, 11 TAI) in ns; an exit. */
uint64_t linux_now(int clock);
/* linux_time.c: a time the program gave (seconds, then a fraction in
 * units of frac_ns: 1 for a timespec, 1000 for a timeval) in ns, UINT64_MAX
 * if longer; -EINVAL for a negative part or a fraction of a second or more. */
int64_t linux_time_ns(const int64_t t[2], uint64_t frac_ns, uint64_t *ns);
/* linux_time.c: a timespec at user va ts in ns: -EFAULT, -EINVAL, or 0. */
int64_t linux_timespec_ns(uint64_t ts, uint64_t *ns);
/* linux_time.c: a deadline on the monotonic clock for ns on clock (as
 * linux_now's), absolute or from now; never 0 (that is "none"). */
uint64_t linux_deadline(uint64_t ns, int clock, bool absolute);
/* linux_thread.c: the current thread waits on futex word futex (0: a sleep;
 * 1: for the kernel, no word of the program's) for any of bits, until
 * deadline (0: none), returning late then; another thread runs meanwhile.
 * The result for the thread now current. */
int64_t linux_thread_block(struct frame *f, uint64_t futex, uint32_t bits, uint64_t deadline,
			   int64_t late);
/* linux_thread.c: wake up to n threads waiting on uaddr for any of bits,
 * oldest first; with to, move up to n2 further ones to wait on to instead.
 * The number woken (and moved). */
int64_t linux_thread_wake(uint64_t uaddr, uint32_t bits, uint32_t n, uint64_t to, uint32_t n2);
/* linux_futex.c: futex(2). */
int64_t linux_futex(struct frame *f);
/* linux_timer.c: alarm, setitimer, getitimer and the POSIX timers
 * (timer_create...); *served is false for another call. */
int64_t linux_timer_syscall(const struct frame *f, bool *served);
/* linux_timer.c: when the first of the program's timers that send a signal
 * (alarm, setitimer's ITIMER_REAL, timer_create's) fires next, on the
 * monotonic clock in ns; 0 if none is armed. */
uint64_t linux_timer_next(void);
/* linux_timer.c: the monotonic clock reads now: each timer then due sends
 * its signal (a waiting thread that takes it stops waiting). */
void linux_timer_due(uint64_t now);
/* linux_timer.c: as a system call returns, while a timer runs: is one due
 * (an exit for the clock)? */
void linux_timer_check(void);
/* linux_thread.c: when a timed wait or a timer is due first (0: none), and
 * in *runnable how many threads can run (at least; exactly if more than 1). */
uint64_t linux_thread_due(uint32_t *runnable);
/* linux_thread.c: a tick stopped the current thread (kernel_iret: where):
 * the waits and timers then due end, and the next runnable thread, if any
 * other, takes its turn (*f and kernel_iret are then its). */
void linux_thread_preempt(struct frame *f);
/* linux_preempt.c: after each system call, tell the host when to tick. */
void linux_preempt_ask(void);
/* linux_task.c: a call about the task's own state (signals, limits, futex...);
 * *served is false for one it leaves to the host. */
int64_t linux_task_syscall(const struct frame *f, bool *served);
/* linux_task.c, linux_cred.c, linux_signal.c: their part of what execve
 * keeps (the umask, nice value and policy; the ids and groups; the ignored
 * signals and the caller's mask), for the host to hand to the next kernel. */
void linux_task_exec(struct kvmlet_exec_carry *c);
void linux_cred_exec(struct kvmlet_exec_carry *c);
void linux_signal_exec(struct kvmlet_exec_carry *c);
/* In the child of a fork: nothing pending for the process (linux_signal.c;
 * a thread's pending ones go with linux_thread.c's), no timers (linux_timer.c). */
void linux_signal_forked(void);
void linux_timer_forked(void);
/* linux_cred.c: a call about the user and group ids (getuid, setresuid,
 * setgroups...); *served is false for another. */
int64_t linux_cred_syscall(const struct frame *f, bool *served);
/* linux_cred.c: the real uid (a signal's si_uid). */
uint32_t linux_cred_uid(void);

#endif
