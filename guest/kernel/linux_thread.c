/* SPDX-License-Identifier: MIT */
/*
 * linux_thread.c: a Linux program's threads, on the sandbox's one vCPU.
 *
 * clone and clone3 with CLONE_THREAD make a thread: a copy of the caller's
 * registers that returns 0 on its own stack, with its own FS base. Threads
 * take turns: the one running keeps the vCPU until it waits on a futex,
 * yields, sleeps or exits, or until a tick ends its slice (linux_preempt.c),
 * and then the next runnable one in round-robin order continues. A switch
 * happens as a system call or a tick returns: entry.S saved every user
 * register in the frame, so the kernel swaps the frame, the user stack
 * pointer, the FS/GS bases, how the thread goes back to CPL3 (kernel_iret:
 * where a tick stopped it) and its FPU state (in a page of its own, taken
 * the first time it stops).
 *
 * linux_futex.c checks a futex call's arguments; who waits on which word
 * is kept here. A futex wait with a time limit, or a sleep while other
 * threads can run, gets a deadline on the host's monotonic clock
 * (KVMLET_LX_NOW, an exit); waits past their deadline end with ETIMEDOUT (a
 * sleep with 0) whenever threads switch or a tick comes, and when no thread
 * can run the kernel sleeps until the earliest deadline
 * (KVMLET_LX_SLEEP_UNTIL). Runs with a seed read the
 * host's fake clock, so their scheduling is reproducible too. A program
 * whose every thread waits with no limit is a deadlock: the host ends the
 * run saying so.
 *
 * Everything here is kernel data in guest memory, so snapshots and resets
 * take and restore it with the rest.
 */
#include "kernel.h"

enum {
	NR_sched_yield = 24,
	NR_nanosleep = 35,
	NR_clone = 56,
	NR_fork = 57,
	NR_vfork = 58,
	NR_exit = 60,
	NR_gettid = 186,
	NR_futex = 202,
	NR_set_tid_address = 218,
	NR_clock_nanosleep = 230,
	NR_clone3 = 435,
};

#define E2BIG	  7

#define CLONE_VM	     0x100u
#define CLONE_FS	     0x200u
#define CLONE_FILES	     0x400u
#define CLONE_SIGHAND	     0x800u
#define CLONE_PTRACE	     0x2000u
#define CLONE_VFORK	     0x4000u
#define CLONE_THREAD	     0x10000u
#define CLONE_SYSVSEM	     0x40000u
#define CLONE_SETTLS	     0x80000u
#define CLONE_PARENT_SETTID  0x100000u
#define CLONE_CHILD_CLEARTID 0x200000u
#define CLONE_DETACHED	     0x400000u
#define CLONE_UNTRACED	     0x800000u
#define CLONE_CHILD_SETTID   0x1000000u
#define CLONE_IO	     0x80000000u
/* What a thread may ask for beside CLONE_THREAD (which needs SIGHAND, which needs VM). */
#define CLONE_THREAD_OK                                                                    \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PTRACE | CLONE_THREAD | \
	 CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |       \
	 CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO)

/* What a new process (no CLONE_THREAD) may ask for: the tids written where
 * it says, a TLS, and CLONE_VFORK, with CLONE_VM too (vfork's, posix_spawn's):
 * the child gets a copy of the memory, and the parent, which waits meanwhile,
 * gets what the child wrote to it once the child has exec'd or ended, as if
 * they had shared it. Sharing the descriptor table, the working directory or
 * the memory of a parent that runs on no copy can give: ENOSYS. */
#define CLONE_PROCESS_OK                                                                \
	(CLONE_VM | CLONE_VFORK | CLONE_PTRACE | CLONE_SYSVSEM | CLONE_SETTLS |         \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | \
	 CLONE_CHILD_SETTID | CLONE_IO)

#define THREADS_MAX	  64
#define CSIGNAL		  0xffu
#define SIGCHLD		  17
#define SET_TID_MAX	  32 /* Linux's MAX_PID_NS_LEVEL */

enum { T_FREE, T_RUN, T_WAIT };
#define NS 1000000000ull

struct thread {
	uint32_t state; /* T_* */
	int32_t tid;
	struct frame regs; /* its user registers while another thread runs */
	uint64_t rsp, fs, gs;
	struct kernel_iret iret; /* on: it goes back by iretq (a tick stopped it) */
	uint64_t fpu;		 /* the page its FPU state is saved in (0: none yet) */
	bool fpu_saved;
	uint64_t clear_tid; /* set_tid_address, CLONE_CHILD_CLEARTID: zeroed and woken at exit */
	/* While T_WAIT: the futex (0 for a sleep), the bits it waits for, when
	 * it began waiting (a count: wakes go oldest first), its deadline on the
	 * monotonic clock (0: none) and what it returns then. */
	uint64_t futex, since, deadline;
	int64_t late;
	uint64_t rem; /* a relative sleep's: where the time left goes if a signal ends it */
	uint32_t bitset;
	/* Waiting for the host (a pipe, epoll, poll): the call, repeated when
	 * the host has served another, and its deadline kept across repeats;
	 * retry: deadline is not the call's but when to repeat it anyway. */
	bool io, retry;
	uint64_t nr, io_deadline;
	struct sigstate sig;
};

static struct {
	bool ready;
	uint32_t cur, live;
	int32_t next_tid;
	uint64_t waits;
	uint32_t timed; /* threads waiting with a deadline */
	uint32_t io;	/* threads waiting for the host */
	/* A thread took the vCPU at a system call since the last tick: the tick
	 * that was due then does not end the turn it has only begun. */
	bool fresh;
	struct thread t[THREADS_MAX];
} th;

static void init(void)
{
	if (th.ready)
		return;
	th.t[0].state = T_RUN;
	th.t[0].tid = LINUX_SELF;
	/* execve keeps the caller's mask (never SIGKILL's nor SIGSTOP's). */
	if (exec_carry())
		th.t[0].sig.mask = exec_carry()->sig_mask & ~(1ull << 8 | 1ull << 18);
	th.live = 1;
	th.next_tid = LINUX_SELF + 1;
	th.ready = true;
}

static void save(const struct frame *f, int64_t result)
{
	struct thread *t = &th.t[th.cur];

	t->regs = *f;
	t->regs.rax = (uint64_t)result;
	t->rsp = kernel_user_rsp;
	t->fs = rdmsr(MSR_FS_BASE);
	t->gs = rdmsr(MSR_GS_BASE);
	t->iret = kernel_iret;
}

/* The FPU state goes with its thread; one that never stopped with it saved
 * (a new one, or one no page was left for) runs on with the state it finds. */
static void fpu_switch(struct thread *from, struct thread *to)
{
	if (from->state != T_FREE && (from->fpu || (from->fpu = mm_page_alloc()) != 0)) {
		fpu_save_page(kphys(from->fpu));
		from->fpu_saved = true;
	}
	if (to->fpu_saved)
		fpu_load_page(kphys(to->fpu));
	to->fpu_saved = false;
}

static void load(uint32_t i, struct frame *f)
{
	struct thread *t = &th.t[i];

	if (i != th.cur) {
		fpu_switch(&th.t[th.cur], t);
		th.fresh = true;
	}
	*f = t->regs;
	kernel_user_rsp = t->rsp;
	kernel_iret = t->iret;
	wrmsr(MSR_FS_BASE, t->fs);
	wrmsr(MSR_GS_BASE, t->gs);
	th.cur = i;
}

/* The next runnable thread after the current one, the current one last; -1 if none. */
static int32_t next_runnable(void)
{
	for (uint32_t k = 1; k <= THREADS_MAX; k++) {
		uint32_t i = (th.cur + k) % THREADS_MAX;
		if (th.t[i].state == T_RUN)
			return (int32_t)i;
	}
	return -1;
}

static void wake(struct thread *t, int64_t result)
{
	if (t->deadline)
		th.timed--;
	if (t->io)
		th.io--;
	t->state = T_RUN;
	t->deadline = 0;
	t->io = false;
	t->retry = false;
	t->io_deadline = 0;
	t->regs.rax = (uint64_t)result;
}

/* t, waiting for the host, runs its call again (its `syscall` instruction),
 * its own deadline kept. */
static void repeat(struct thread *t)
{
	uint64_t keep = t->io_deadline, nr = t->nr;

	wake(t, 0);
	t->io_deadline = keep;
	t->regs.rax = nr;
	t->regs.rcx -= 2; /* back to the `syscall` instruction */
}

static void wake_io(void);

/* End the waits whose deadline is t or earlier. */
static void wake_due(uint64_t t)
{
	for (uint32_t i = 0; i < THREADS_MAX; i++) {
		struct thread *w = &th.t[i];
		if (w->state != T_WAIT || !w->deadline || w->deadline > t)
			continue;
		if (w->retry)
			repeat(w);
		else
			wake(w, w->late);
	}
}

/* End the waits whose deadline has passed (an exit, when there are some). */
static void expire(void)
{
	if (th.timed || linux_timer_next()) {
		const uint64_t t = linux_now(1);
		wake_due(t);
		linux_timer_due(t);
	}
}

uint64_t linux_thread_due(uint32_t *runnable)
{
	uint64_t first = linux_timer_next();

	*runnable = th.live;
	if (th.live <= 1 && !th.timed)
		return first; /* the common case, at every system call: no loop */
	*runnable = 0;
	for (uint32_t i = 0; i < THREADS_MAX; i++) {
		const struct thread *t = &th.t[i];
		*runnable += t->state == T_RUN;
		if (t->state == T_WAIT && t->deadline && (!first || t->deadline < first))
			first = t->deadline;
	}
	return first;
}

void linux_thread_preempt(struct frame *f)
{
	int32_t next;

	init();
	expire();
	if (th.fresh || (next = next_runnable()) < 0 || (uint32_t)next == th.cur) {
		th.fresh = false;
		return;
	}
	save(f, (int64_t)f->rax);
	load((uint32_t)next, f);
	th.fresh = false; /* a turn a tick began lasts a slice */
}

/* No thread can run: sleep until the earliest deadline (a wait's, or the
 * program's timer) and end the waits then due, or until a signal from
 * outside comes sooner (the waits it ends end). False if there is none. */
static bool idle(void)
{
	uint32_t runnable;
	const uint64_t first = linux_thread_due(&runnable);

	if (!first)
		return false;
	const struct frame sleep = {.rax = KVMLET_LX_SLEEP_UNTIL, .rdi = first};
	const int64_t r = kernel_to_host(&sleep);
	if (r == 1 || r == KVMLET_LX_OTHERS) { /* sooner: the time may not have come */
		(void)linux_signal_external();
		if (r == KVMLET_LX_OTHERS)
			wake_io();
		return true;
	}
	wake_due(first);
	linux_timer_due(first);
	return true;
}

/* Every thread waits, none with a time limit: the host ends the run, unless
 * one waits for a signal and the host is to wait for one from outside; then
 * it comes back once one has (whatever it ends is for the caller to see). */
static void deadlock(void)
{
	const struct frame f = {.rax = KVMLET_LX_DEADLOCK, .rdi = linux_signal_awaited()};

	for (;;) {
		const bool others = kernel_to_host(&f) == KVMLET_LX_OTHERS;
		const bool signalled = linux_signal_external();
		if (others)
			wake_io();
		if (others || signalled)
			return;
	}
}

/*
 * The current thread stops running for now (its state already set; result
 * is what its system call returns when it runs again, unless a wake sets
 * another): the next runnable thread continues, after idling if none can.
 * Returns the system call result of the thread now current.
 */
static int64_t reschedule(struct frame *f, int64_t result)
{
	int32_t next;

	if (th.t[th.cur].state != T_FREE)
		save(f, result);
	expire();
	while ((next = next_runnable()) < 0)
		if (!idle())
			deadlock();
	load((uint32_t)next, f);
	return (int64_t)f->rax;
}

int64_t linux_thread_wake(uint64_t uaddr, uint32_t bits, uint32_t n, uint64_t to, uint32_t n2)
{
	int64_t done = 0;

	for (;;) {
		struct thread *w = NULL;
		for (uint32_t i = 0; i < THREADS_MAX; i++) {
			struct thread *t = &th.t[i];
			if (t->state == T_WAIT && t->futex == uaddr && (t->bitset & bits) &&
			    (!w || t->since < w->since))
				w = t;
		}
		if (!w)
			return done;
		if (n) {
			n--;
			wake(w, 0);
		} else if (to && n2) {
			n2--;
			w->futex = to;
			w->since = ++th.waits; /* behind those already waiting there */
		} else {
			return done;
		}
		done++;
	}
}

int64_t linux_thread_block(struct frame *f, uint64_t futex, uint32_t bits, uint64_t deadline,
			   int64_t late)
{
	struct thread *t = &th.t[th.cur];

	t->state = T_WAIT;
	t->futex = futex;
	t->bitset = bits;
	t->since = ++th.waits;
	t->deadline = deadline;
	t->late = late;
	if (deadline)
		th.timed++;
	return reschedule(f, 0);
}

/* The next thread id, as Linux's: unused, wrapping within the process's
 * span (kvmlet_abi.h: each process of the program has its own). */
static int32_t new_tid(void)
{
	for (;;) {
		int32_t tid = th.next_tid;
		th.next_tid = tid >= LINUX_SELF + KVMLET_PID_SPAN - 1 ? LINUX_SELF + 1 : tid + 1;
		if (!linux_thread_alive(tid))
			return tid;
	}
}

/* A new thread: the caller's registers, returning 0 on stack sp with tls. */
static int64_t new_thread(struct frame *f, uint64_t flags, uint64_t sp, uint64_t ptid,
			  uint64_t ctid, uint64_t tls)
{
	struct thread *t = NULL;

	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (!(flags & CLONE_SIGHAND) || (flags & ~(uint64_t)CLONE_THREAD_OK))
		return -EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= KVMLET_USER_END)
		return -EPERM;
	for (uint32_t i = 0; i < THREADS_MAX && !t; i++)
		if (th.t[i].state == T_FREE)
			t = &th.t[i];
	if (!t)
		return -EAGAIN;
	/* Its signal mask is its creator's; nothing pending, no alternate stack. */
	*t = (struct thread){.state = T_RUN, .tid = new_tid(), .regs = *f,
			     .sig = {.mask = th.t[th.cur].sig.mask}};
	t->regs.rax = 0;
	t->rsp = sp ? sp : kernel_user_rsp;
	t->fs = flags & CLONE_SETTLS ? tls : rdmsr(MSR_FS_BASE);
	t->gs = rdmsr(MSR_GS_BASE);
	t->clear_tid = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
	th.live++;
	/* As Linux, a tid that cannot be stored is not an error. */
	if (flags & CLONE_PARENT_SETTID)
		(void)mm_put_user(ptid, &t->tid, 4);
	if (flags & CLONE_CHILD_SETTID)
		(void)mm_put_user(ctid, &t->tid, 4);
	return t->tid;
}

/* In the child of a fork, as it returns: its one thread is the caller, with
 * the child's pid as its tid, and it has nothing pending, no waits, no
 * timers (the host copied the memory with this kernel's data in it). */
static void forked(uint64_t flags, uint64_t sp, uint64_t ctid, uint64_t tls)
{
	struct thread *me = &th.t[th.cur];

	for (uint32_t i = 0; i < THREADS_MAX; i++) {
		if (i == th.cur || th.t[i].state == T_FREE)
			continue;
		if (th.t[i].fpu)
			mm_page_free(th.t[i].fpu);
		th.t[i] = (struct thread){.state = T_FREE};
	}
	me->tid = LINUX_SELF;
	me->sig.pending = 0;
	me->clear_tid = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
	th.live = 1;
	th.timed = th.io = 0;
	th.next_tid = LINUX_SELF + 1;
	linux_signal_forked();
	linux_timer_forked();
	if (flags & CLONE_CHILD_SETTID)
		(void)mm_put_user(ctid, &me->tid, 4);
	if (sp)
		kernel_user_rsp = sp;
	if (flags & CLONE_SETTLS)
		wrmsr(MSR_FS_BASE, tls);
}

/* fork, vfork, clone and clone3 without CLONE_THREAD: a new process, which
 * the host makes as a copy of this one (KVMLET_LX_FORK). Returns twice: the
 * child's pid here, 0 in the child, on stack sp if given. */
static int64_t new_process(uint64_t flags, uint32_t exit_signal, uint64_t sp, uint64_t ptid,
			   uint64_t ctid, uint64_t tls)
{
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & ~(uint64_t)CLONE_PROCESS_OK) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK)))
		return -ENOSYS;
	if ((flags & CLONE_SETTLS) && tls >= KVMLET_USER_END)
		return -EPERM;
	const struct frame h = {.rax = KVMLET_LX_FORK,
				.rdi = exit_signal,
				.rsi = flags & (KVMLET_FORK_VM | KVMLET_FORK_VFORK)};
	const int64_t pid = kernel_to_host(&h);
	if (pid < 0)
		return pid;
	if (pid > 0) {
		const int32_t p32 = (int32_t)pid;
		if (flags & CLONE_PARENT_SETTID)
			(void)mm_put_user(ptid, &p32, 4);
		/* vfork: back only once the child has exec'd or ended (the host
		 * runs the other processes meanwhile); signals wait, as Linux's,
		 * but SIGKILL from another process, which the way back delivers. */
		const struct frame w = {.rax = KVMLET_LX_VFORK_WAIT, .rdi = (uint64_t)pid};
		while ((flags & CLONE_VFORK) && kernel_to_host(&w) != pid &&
		       !linux_signal_kill_waits())
			;
		return pid;
	}
	forked(flags, sp, ctid, tls);
	return 0;
}

/* clone3's struct clone_args, as far as threads use it. */
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/* clone3: Linux's checks of the arguments, in its order, before any other. */
static int64_t sys_clone3(struct frame *f, bool *served)
{
	struct clone_args a = {0};
	uint64_t size = f->rsi;

	if (size > PAGE)
		return -E2BIG;
	if (size < 64)
		return -EINVAL;
	if (mm_get_user(&a, f->rdi, size < sizeof(a) ? size : sizeof(a)) < 0)
		return -EFAULT;
	for (uint64_t off = sizeof(a); off < size; off += 8) {
		uint64_t extra = 0;
		if (mm_get_user(&extra, f->rdi + off, size - off < 8 ? size - off : 8) < 0)
			return -EFAULT;
		if (extra)
			return -E2BIG;
	}
	if (a.set_tid_size > SET_TID_MAX || (!a.set_tid && a.set_tid_size) ||
	    (a.set_tid && !a.set_tid_size) || (a.exit_signal & ~0xffull) || a.exit_signal > 64)
		return -EINVAL;
	/* clone3_args_valid: CLONE_DETACHED and the exit signal's bits are no
	 * flags of clone3's; a stack must lie in user space. A thread has no
	 * exit signal; a process sets no tid (pid namespaces: none here). */
	(void)served;
	if ((a.flags & (CLONE_DETACHED | CSIGNAL)) ||
	    (a.stack ? !a.stack_size || a.stack > KVMLET_USER_END ||
			       a.stack_size > KVMLET_USER_END - a.stack
		     : a.stack_size != 0))
		return -EINVAL;
	if (!(a.flags & CLONE_THREAD))
		return a.set_tid ? -EINVAL
				 : new_process(a.flags, (uint32_t)a.exit_signal,
					       a.stack ? a.stack + a.stack_size : 0, a.parent_tid,
					       a.child_tid, a.tls);
	if (a.exit_signal || a.set_tid)
		return -EINVAL;
	return new_thread(f, a.flags, a.stack ? a.stack + a.stack_size : 0, a.parent_tid,
			  a.child_tid, a.tls);
}

/* exit: the thread ends; the program ends with its last thread. */
static int64_t sys_exit_thread(struct frame *f, uint64_t status)
{
	struct thread *t = &th.t[th.cur];
	const uint32_t zero = 0;

	if (--th.live == 0)
		linux_exit(status);
	if (t->clear_tid && mm_put_user(t->clear_tid, &zero, 4) == 0)
		linux_thread_wake(t->clear_tid, ~0u, 1, 0, 0);
	t->state = T_FREE;
	if (t->fpu)
		mm_page_free(t->fpu);
	t->fpu = 0;
	t->fpu_saved = false;
	return reschedule(f, 0);
}

/* nanosleep, clock_nanosleep on CLOCK_REALTIME, CLOCK_MONOTONIC,
 * CLOCK_BOOTTIME or CLOCK_TAI (flags 0 or TIMER_ABSTIME): a wait that its deadline or a signal
 * ends, so that other threads run meanwhile. Anything else the host serves (and checks), sleeping
 * with every thread. */
static int64_t sleep(struct frame *f, int32_t clock, int32_t flags, uint64_t ts, uint64_t rem)
{
	uint64_t ns;
	int64_t r;

	if ((clock != 0 && clock != 1 && clock != 7 && clock != 11) || (flags & ~1) ||
	    (r = linux_timespec_ns(ts, &ns)) < 0)
		return kernel_to_host(f);
	if (!(flags & 1) && ns == 0)
		return reschedule(f, 0);
	th.t[th.cur].rem = flags & 1 ? 0 : rem;
	return linux_thread_block(f, 0, 0, linux_deadline(ns, clock, flags & 1), 0);
}

/* Threads waiting for the host: the host has just served a call that may be
 * what they wait for, so each repeats its own (its `syscall` again, with its
 * deadline kept). */
static void wake_io(void)
{
	for (uint32_t i = 0; i < THREADS_MAX && th.io; i++)
		if (th.t[i].state == T_WAIT && th.t[i].io)
			repeat(&th.t[i]);
}

int64_t linux_thread_host(struct frame *f)
{
	const uint64_t nr = f->rax;
	struct thread *t;
	uint64_t retry;
	int64_t r;

	init();
	r = kernel_to_host_rdx(f, &retry);
	t = &th.t[th.cur];
	/* A signal from outside ended the host's wait (a read of its stdin): the
	 * call is repeated, unless a handler runs and SA_RESTART is not set. */
	if (r == -EINTR)
		t->sig.interrupted = nr + 1;
	if (r < KVMLET_LX_WAIT_BASE || r > KVMLET_LX_WAIT_BASE + UINT32_MAX + 1) {
		/* Served: it may be what the waiting threads wait for. A call told
		 * to wait changed nothing, so they keep waiting (two threads each
		 * waiting for the other must end in a deadlock, not take turns
		 * repeating their calls for ever). */
		if (th.io)
			wake_io();
		t->io_deadline = 0;
		return r;
	}
	/* The host says wait: at most ms (r - base - 1), or for ever (r == base);
	 * and with a retry (1 + ms), repeat the call after ms whatever happens. */
	uint64_t deadline = t->io_deadline;
	if (!deadline && r != KVMLET_LX_WAIT_BASE)
		deadline = linux_deadline((uint64_t)(r - KVMLET_LX_WAIT_BASE - 1) * 1000000, 1, false);
	const uint64_t again =
		retry && retry <= UINT32_MAX + 1ull ? linux_deadline((retry - 1) * 1000000, 1, false) : 0;
	t->io = true;
	t->nr = nr;
	t->io_deadline = deadline; /* repeat() keeps it */
	t->retry = again && (!deadline || again < deadline);
	th.io++;
	return linux_thread_block(f, 1 /* no futex of the program's: unaligned */, 0, t->retry ? again : deadline,
		     0);
}

static struct thread *find(int32_t tid)
{
	for (uint32_t i = 0; i < THREADS_MAX; i++)
		if (th.t[i].state != T_FREE && th.t[i].tid == tid && tid > 0)
			return &th.t[i];
	return NULL;
}

struct sigstate *linux_thread_sigs(int32_t tid)
{
	struct thread *t;

	init();
	t = tid ? find(tid) : &th.t[th.cur];
	return t ? &t->sig : NULL;
}

int32_t linux_thread_tid(void)
{
	init();
	return th.t[th.cur].tid;
}

int32_t linux_thread_nth(uint32_t n)
{
	init();
	for (uint32_t i = 0; i < THREADS_MAX; i++)
		if (th.t[i].state != T_FREE && n-- == 0)
			return th.t[i].tid;
	return 0;
}

/* A signal for thread tid: a wait ends with EINTR. What it waited in is
 * kept (+ 1) where SA_RESTART would repeat it: the host's calls and futex
 * waits with no time limit (Linux's ERESTARTSYS); never sleeps, timed waits
 * or rt_sigsuspend. */
void linux_thread_interrupt(int32_t tid)
{
	struct thread *t;

	init();
	if (!(t = find(tid)) || t->state != T_WAIT)
		return;
	t->sig.interrupted = t->io ? t->nr + 1 : t->futex > 1 && !t->deadline ? NR_futex + 1 : 0;
	if (!t->futex && t->deadline && t->rem) { /* a sleep: the time it had left */
		const uint64_t n = linux_now(1), left = t->deadline > n ? t->deadline - n : 0;
		const uint64_t ts[2] = {left / NS, left % NS};
		(void)mm_put_user(t->rem, ts, sizeof(ts));
	}
	wake(t, -EINTR);
}

int64_t linux_thread_suspend(struct frame *f, uint64_t timeout_ns)
{
	init();
	return linux_thread_block(f, 1 /* no futex of the program's: unaligned */, 0,
		     timeout_ns ? linux_deadline(timeout_ns, 1, false) : 0, -EAGAIN);
}

bool linux_thread_alive(int32_t tid)
{
	init();
	return find(tid) != NULL;
}

int64_t linux_thread_syscall(struct frame *f, bool *served)
{
	init();
	*served = true;
	switch (f->rax) {
	case NR_gettid:
		return th.t[th.cur].tid;
	case NR_set_tid_address:
		th.t[th.cur].clear_tid = f->rdi;
		return th.t[th.cur].tid;
	case NR_clone:
		/* clone(flags, stack, parent_tid, child_tid, tls); Linux reads 32 bits of flags. */
		if (!(f->rdi & CLONE_THREAD))
			return new_process((uint32_t)f->rdi & ~CSIGNAL, (uint32_t)f->rdi & CSIGNAL,
					   f->rsi, f->rdx, f->r10, f->r8);
		return new_thread(f, (uint32_t)f->rdi & ~0xffu, f->rsi, f->rdx, f->r10, f->r8);
	case NR_fork:
		return new_process(0, SIGCHLD, 0, 0, 0, 0);
	case NR_vfork:
		return new_process(CLONE_VM | CLONE_VFORK, SIGCHLD, 0, 0, 0, 0);
	case NR_clone3:
		return sys_clone3(f, served);
	case NR_futex:
		return linux_futex(f);
	case NR_exit:
		return sys_exit_thread(f, f->rdi);
	case NR_sched_yield:
		return th.live == 1 ? 0 : reschedule(f, 0);
	/* Waits here, so that other threads run and a signal ends it (a timer's,
	 * one from outside). */
	case NR_nanosleep:
		return sleep(f, 1, 0, f->rdi, f->rsi);
	case NR_clock_nanosleep:
		return sleep(f, (int32_t)f->rdi, (int32_t)f->rsi, f->rdx, f->r10);
	}
	*served = false;
	return 0;
}
