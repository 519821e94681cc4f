/* SPDX-License-Identifier: MIT */
/*
 * linux_signal.c: signals of a Linux program to itself, served with no exit.
 *
 * Dispositions (rt_sigaction), each thread's mask, pending set and alternate
 * stack, and signals sent to itself (kill, tkill, tgkill, and so raise and
 * abort) are kept here. A signal is delivered as a system call or a tick
 * returns, to the thread then running: its handler runs on a frame laid out as Linux's
 * rt_sigframe (return address = sa_restorer, ucontext with every register,
 * the FPU state, the mask to restore; siginfo), and rt_sigreturn resumes the
 * interrupted code exactly (iretq: rcx and r11 too). A waiting thread that a
 * signal reaches stops waiting with EINTR, or repeats its call after the
 * handler with SA_RESTART where Linux does.
 *
 * An interval timer (linux_timer.c) sends SIGALRM, a POSIX timer its own
 * signal with SI_TIMER's siginfo; a signal already pending is not sent again
 * (a timer counts an overrun instead).
 *
 * Exceptions become signals too once the program installs a handler for one
 * of SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP (linux_fault.c).
 *
 * A signal whose default action is to end the process ends the run (the
 * host says which); one whose default is to do nothing, or which the
 * program ignores, is dropped. Stopping is not modelled: SIGSTOP and the
 * terminal stops end the run too (no one could continue it).
 */
#include "kernel.h"
#include "linux_sig.h"

enum {
	NR_rt_sigaction = 13,
	NR_rt_sigprocmask = 14,
	NR_rt_sigreturn = 15,
	NR_pause = 34,
	NR_kill = 62,
	NR_rt_sigpending = 127,
	NR_rt_sigtimedwait = 128,
	NR_rt_sigsuspend = 130,
	NR_sigaltstack = 131,
	NR_tkill = 200,
	NR_tgkill = 234,
};

#define SIGKILL	     9
#define SIGSTOP	     19
#define SIG_DFL	     0
#define SIG_IGN	     1
#define SA_RESTORER  0x04000000ull
#define SA_ONSTACK   0x08000000ull
#define SA_RESTART   0x10000000ull
#define SA_NODEFER   0x40000000ull
#define SA_RESETHAND 0x80000000ull
#define SS_ONSTACK   1u
#define SS_DISABLE   2u
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ  2048
#define SI_USER	     0
#define SI_TKILL     (-6)
#define SI_TIMER     (-2)
#define FROM_OUTSIDE	     0x7fffffff /* post's code for a signal from outside (SI_USER) */
#define UC_FP_XSTATE	     1
#define UC_SIGCONTEXT_SS     2
#define UC_STRICT_RESTORE_SS 4
#define BIT(sig)	     (1ull << ((sig) - 1))
#define UNBLOCKABLE	     (BIT(SIGKILL) | BIT(SIGSTOP))
#define FAULT_SIGNALS	     (BIT(SIGILL) | BIT(SIGTRAP) | BIT(SIGBUS) | BIT(SIGFPE) | BIT(SIGSEGV))
/* The flags sigreturn may change (Linux's FIX_EFLAGS): CF PF AF ZF SF TF DF OF RF AC. */
#define FIX_EFLAGS 0x50dd5ull
#define FLAG_TF	   0x100ull
#define FLAG_DF	   0x400ull
#define FLAG_RF	   0x10000ull
#define SELF	   LINUX_SELF

/* struct kernel_sigaction, as x86-64 lays it out. */
struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* x86-64's struct sigcontext, ucontext and siginfo, and the frame a handler finds. */
struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp,
		rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};

struct ucontext {
	uint64_t flags, link, ss_sp;
	uint32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext mc;
	uint64_t sigmask;
};

struct sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	struct siginfo info;
};

_Static_assert(sizeof(struct sigcontext) == 256, "struct sigcontext is Linux's");
_Static_assert(sizeof(struct ucontext) == 304, "struct ucontext is Linux's");

static struct {
	bool ready; /* act holds the dispositions the program started with */
	struct ksigaction act[64];
	uint64_t pending; /* sent to the process (kill), for whichever thread takes it */
	uint64_t by_kernel; /* of those, sent by the kernel (an interval timer): SI_KERNEL */
	uint64_t by_timer;  /* of those, sent by a POSIX timer (SI_TIMER) */
	uint64_t outside;   /* of those, sent from outside (SI_USER from pid 0) */
} sig;

/* Kept out of the ring-0 stacks (the exception stack is one page). */
static struct sigframe frame;

/* Signal s's disposition. The first look sets those the program started with
 * ignored (the boot info's sig_ign: exec keeps ignored signals ignored); the
 * rest start as SIG_DFL. SIGKILL and SIGSTOP cannot be ignored. */
static struct ksigaction *act(int s)
{
	if (!sig.ready) {
		const uint64_t ign = bi()->sig_ign & ~(BIT(9) | BIT(19));
		sig.ready = true;
		for (int n = 1; n <= 64; n++)
			if (ign & BIT(n))
				sig.act[n - 1].handler = SIG_IGN;
	}
	return &sig.act[s - 1];
}

void linux_signal_exec(struct kvmlet_exec_carry *c)
{
	for (int s = 1; s <= 64; s++)
		if (act(s)->handler == SIG_IGN)
			c->sig_ign |= BIT(s);
	c->sig_mask = linux_thread_sigs(linux_thread_tid())->mask;
}

void linux_signal_forked(void)
{
	/* A child of fork keeps the dispositions, starts with nothing pending. */
	sig.pending = sig.by_kernel = sig.by_timer = sig.outside = 0;
}

/* The kernel's own words to the host: the run ends by signal sig. */
__attribute__((noreturn)) static void die(int s, uint64_t why, uint64_t addr)
{
	const struct frame f = {.rax = KVMLET_LX_KILLED, .rdi = (uint64_t)s, .rsi = why,
				.rdx = addr};

	for (;;)
		(void)kernel_to_host(&f);
}

/* What Linux does by default with sig: nothing (SIGCHLD, SIGCONT, SIGURG,
 * SIGWINCH), or end the process (every other, stops included here). */
static bool default_ignores(int s)
{
	return s == 17 || s == 18 || s == 23 || s == 28;
}

/* Linux discards a signal sent while the program ignores it, unless blocked. */
static bool discarded(int s, uint64_t mask)
{
	uint64_t h = act(s)->handler;

	return !(mask & BIT(s)) && (h == SIG_IGN || (h == SIG_DFL && default_ignores(s)));
}

/* Does thread t take signal s now: not blocked, or waited for (sigtimedwait)? */
static bool takes(const struct sigstate *t, int s)
{
	return !(t->mask & BIT(s)) || (t->waitset & BIT(s));
}

static uint64_t bit_if(uint64_t set, int s, bool on)
{
	return on ? set | BIT(s) : set & ~BIT(s);
}

/* Thread tid (0: the process) is sent s, by tkill or tgkill (code SI_TKILL),
 * as kill and the kernel send it (SI_USER, SI_KERNEL) or by a POSIX timer
 * (SI_TIMER). One already pending there stays as it was, and this one is
 * dropped, as Linux drops a standard signal. A waiting thread that takes it
 * stops waiting; for the process, the current thread if it does not block
 * s, else the first that does not. False if it was discarded or dropped. */
static bool post(int32_t tid, int s, int code)
{
	struct sigstate *cur = linux_thread_sigs(0), *t;

	if (tid) {
		t = linux_thread_sigs(tid);
		if (discarded(s, t->mask) || (t->pending & BIT(s)))
			return false;
		t->pending |= BIT(s);
		t->tkill = bit_if(t->tkill, s, code == SI_TKILL);
		t->timer = bit_if(t->timer, s, code == SI_TIMER);
		if (takes(t, s)) /* it may wait, the current thread too (a timer fired while idle) */
			linux_thread_interrupt(tid);
		return true;
	}
	if (discarded(s, cur->mask) || (sig.pending & BIT(s)))
		return false;
	sig.pending |= BIT(s);
	sig.by_kernel = bit_if(sig.by_kernel, s, code == SI_KERNEL);
	sig.by_timer = bit_if(sig.by_timer, s, code == SI_TIMER);
	sig.outside = bit_if(sig.outside, s, code == FROM_OUTSIDE);
	if (takes(cur, s)) {
		linux_thread_interrupt(linux_thread_tid()); /* if it waits (a timer fired) */
		return true;
	}
	for (uint32_t n = 0; (tid = linux_thread_nth(n)) != 0; n++)
		if (takes(linux_thread_sigs(tid), s)) {
			linux_thread_interrupt(tid);
			break;
		}
	return true;
}

void linux_signal_post(int32_t tid, int s, bool by_kernel)
{
	(void)post(tid, s, by_kernel ? SI_KERNEL : SI_USER);
}

bool linux_signal_post_timer(int32_t tid, int s)
{
	return post(tid, s, SI_TIMER);
}

/* The pending set and its timer-sent part of thread tid (0: the process);
 * false for a thread that is gone. */
static bool timer_sets(int32_t tid, uint64_t **pending, uint64_t **timer)
{
	struct sigstate *t = tid ? linux_thread_sigs(tid) : NULL;

	if (tid && !t)
		return false;
	*pending = t ? &t->pending : &sig.pending;
	*timer = t ? &t->timer : &sig.by_timer;
	return true;
}

bool linux_signal_timer_pending(int32_t tid, int s)
{
	uint64_t *pending, *timer;

	return timer_sets(tid, &pending, &timer) && (*pending & *timer & BIT(s));
}

void linux_signal_timer_drop(int32_t tid, int s)
{
	uint64_t *pending, *timer;

	if (timer_sets(tid, &pending, &timer) && (*pending & *timer & BIT(s)))
		*pending &= ~BIT(s), *timer &= ~BIT(s);
}

/* Is rsp on thread s's alternate stack? */
static bool on_altstack(const struct sigstate *s, uint64_t rsp)
{
	return s->ss_size && rsp > s->ss_sp && rsp - s->ss_sp <= s->ss_size;
}

/* The handler of signal n runs next, on a frame written below u->rsp (or on
 * the alternate stack), entered by iretq. Ends the run, as Linux's forced
 * SIGSEGV, if the frame cannot be written. */
static void setup(struct uctx *u, int n, const struct siginfo *info)
{
	struct ksigaction *a = act(n);
	struct sigstate *s = linux_thread_sigs(0);
	struct frame *f = u->f;
	const bool alt = on_altstack(s, u->rsp);
	uint64_t sp = u->rsp - 128, fpa, fa; /* below the red zone */

	if ((a->flags & SA_ONSTACK) && s->ss_size && !alt)
		sp = s->ss_sp + s->ss_size;
	fpa = (sp - fpu_frame_size()) & ~63ull;
	fa = ((fpa - sizeof(frame)) & ~15ull) - 8;
	if (a->handler >= KVMLET_USER_END)
		die(SIGSEGV, KVMLET_KILLED_BAD_HANDLER, a->handler);
	if (!(a->flags & SA_RESTORER)) /* x86-64 Linux cannot return from it either */
		die(SIGSEGV, KVMLET_KILLED_NO_FRAME, fa);
	frame = (struct sigframe){
		.pretcode = a->restorer,
		.uc = {.flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS |
				(fpu_frame_xstate() ? UC_FP_XSTATE : 0),
		       .ss_sp = s->ss_sp,
		       .ss_flags = !s->ss_size ? SS_DISABLE
					       : (alt ? SS_ONSTACK : 0) | (s->ss_flags & SS_AUTODISARM),
		       .ss_size = s->ss_size,
		       .mc = {.r8 = f->r8, .r9 = f->r9, .r10 = f->r10, .r11 = f->r11,
			      .r12 = f->r12, .r13 = f->r13, .r14 = f->r14, .r15 = f->r15,
			      .rdi = f->rdi, .rsi = f->rsi, .rbp = f->rbp, .rbx = f->rbx,
			      .rdx = f->rdx, .rax = f->rax, .rcx = f->rcx, .rsp = u->rsp,
			      .rip = u->rip, .eflags = u->rflags, .cs = KVMLET_SEL_UCODE,
			      .ss = KVMLET_SEL_UDATA, .err = u->err, .trapno = u->trapno,
			      .oldmask = s->mask, .cr2 = u->cr2, .fpstate = fpa},
		       .sigmask = s->suspended ? s->saved_mask : s->mask},
		.info = *info,
	};
	if (fpu_frame_save(fpa) < 0 || mm_put_user(fa, &frame, sizeof(frame)) < 0)
		die(SIGSEGV, KVMLET_KILLED_NO_FRAME, fa);
	if ((a->flags & SA_ONSTACK) && !alt && (s->ss_flags & SS_AUTODISARM))
		s->ss_sp = s->ss_size = 0, s->ss_flags = 0;
	s->suspended = false;
	s->mask = (s->mask | a->mask | (a->flags & SA_NODEFER ? 0 : BIT(n))) & ~UNBLOCKABLE;
	f->rdi = (uint64_t)n;
	f->rsi = fa + __builtin_offsetof(struct sigframe, info);
	f->rdx = fa + __builtin_offsetof(struct sigframe, uc);
	f->rax = 0;
	kernel_iret = (struct kernel_iret){.rip = a->handler,
					   .cs = KVMLET_SEL_UCODE,
					   .rflags = u->rflags & ~(FLAG_DF | FLAG_RF | FLAG_TF),
					   .ss = KVMLET_SEL_UDATA,
					   .on = 1};
	kernel_user_rsp = fa;
	if (a->flags & SA_RESETHAND)
		a->handler = SIG_DFL;
	fpu_frame_init();
}

/* Take the lowest signal of set pending for the current thread s (its own
 * first, then the process's), with its siginfo; 0 if none. A POSIX timer's
 * signal whose timer was deleted since is dropped, as Linux drops it. */
static int dequeue(struct sigstate *s, uint64_t set, struct siginfo *info)
{
	uint64_t ready;

	while ((ready = (s->pending | sig.pending) & set) != 0) {
		const int n = __builtin_ctzll(ready) + 1;
		const bool own = s->pending & BIT(n);
		int32_t timer, overrun;
		uint64_t value;
		int code;

		if (own)
			s->pending &= ~BIT(n);
		else
			sig.pending &= ~BIT(n);
		code = own ? (s->timer & BIT(n)	  ? SI_TIMER
			      : s->tkill & BIT(n) ? SI_TKILL
						  : SI_USER)
			   : (sig.by_timer & BIT(n)    ? SI_TIMER
			      : sig.by_kernel & BIT(n) ? SI_KERNEL
			      : sig.outside & BIT(n)   ? FROM_OUTSIDE
						       : SI_USER);
		/* From outside: SI_USER with pid and uid 0, as a sender in an
		 * ancestor pid namespace appears; from itself, its pid and real uid. */
		*info = (struct siginfo){.signo = n,
					 .code = code == FROM_OUTSIDE ? SI_USER : code,
					 .a = code == SI_KERNEL || code == FROM_OUTSIDE
						      ? 0
						      : SELF | (uint64_t)linux_cred_uid() << 32};
		if (code != SI_TIMER)
			return n;
		if (!linux_timer_taken(n, own ? linux_thread_tid() : 0, &timer, &overrun, &value))
			continue;
		info->a = (uint32_t)timer | (uint64_t)(uint32_t)overrun << 32;
		__builtin_memcpy(info->rest, &value, sizeof(value));
		return n;
	}
	return 0;
}

bool linux_signal_catch(struct uctx *u, const struct siginfo *info)
{
	const int s = info->signo;

	if (act(s)->handler <= SIG_IGN || (linux_thread_sigs(0)->mask & BIT(s)))
		return false;
	kernel_user_rsp = u->rsp;
	setup(u, s, info);
	return true;
}

/* rt_sigtimedwait's end: a signal of its set that woke it is its result,
 * written to its siginfo (EFAULT if that cannot be). */
static void waited(struct frame *f, struct sigstate *s)
{
	struct siginfo info;
	const uint64_t set = s->waitset;
	int n;

	s->waitset = 0;
	if ((int64_t)f->rax != -EINTR || !(n = dequeue(s, set, &info)))
		return;
	f->rax = s->wait_info && mm_put_user(s->wait_info, &info, sizeof(info)) < 0
			 ? (uint64_t)-EFAULT
			 : (uint64_t)n;
}

void linux_signal_deliver(struct frame *f)
{
	struct sigstate *s = linux_thread_sigs(0);
	struct siginfo info;
	int n;

	if (s->waitset)
		waited(f, s);
	while ((n = dequeue(s, ~s->mask, &info)) != 0) {
		const struct ksigaction *a = act(n);

		if (a->handler == SIG_IGN || (a->handler == SIG_DFL && default_ignores(n)))
			continue;
		if (a->handler == SIG_DFL)
			die(n,
			    info.code == SI_USER && !info.a ? KVMLET_KILLED_OUTSIDE
							    : KVMLET_KILLED_SENT,
			    0);
		struct uctx u = {.f = f, .rsp = kernel_user_rsp};
		if (kernel_iret.on)
			u.rip = kernel_iret.rip, u.rflags = kernel_iret.rflags;
		else
			u.rip = f->rcx, u.rflags = f->r11;
		/* A wait the signal ended: repeated after the handler where Linux would. */
		if (s->interrupted && (int64_t)f->rax == -EINTR && (a->flags & SA_RESTART)) {
			f->rax = s->interrupted - 1;
			u.rip -= 2;
		}
		s->interrupted = 0;
		setup(&u, n, &info);
		return;
	}
	if (s->suspended) /* every signal that ended it was dropped */
		s->mask = s->saved_mask, s->suspended = false;
	/* No handler ran here (another thread took the signal, or it was the
	 * host's wait that ended): a call Linux would repeat is, as if never
	 * interrupted. */
	if (s->interrupted && (int64_t)f->rax == -EINTR) {
		f->rax = s->interrupted - 1;
		if (kernel_iret.on)
			kernel_iret.rip -= 2;
		else
			f->rcx -= 2;
	}
	s->interrupted = 0;
}

bool linux_signal_external(void)
{
	volatile struct kvmlet_bootinfo *b = kphys(KVMLET_BOOTINFO_GPA);

	if (!b->sig_ext)
		return false;
	const uint64_t set = __atomic_exchange_n(&b->sig_ext, 0, __ATOMIC_SEQ_CST);
	for (int s = 1; s <= 64; s++)
		if (set & BIT(s))
			(void)post(0, s, FROM_OUTSIDE);
	return set != 0;
}

bool linux_signal_kill_waits(void)
{
	(void)linux_signal_external(); /* a tick may have taken it already: look at both */
	return sig.pending & BIT(SIGKILL);
}

bool linux_signal_awaited(void)
{
	int32_t tid;

	for (uint32_t n = 0; (tid = linux_thread_nth(n)) != 0; n++) {
		const struct sigstate *t = linux_thread_sigs(tid);
		if (t->suspended || t->waitset)
			return true;
	}
	return false;
}

static int64_t sys_rt_sigaction(int32_t s, uint64_t nact, uint64_t old, uint64_t size)
{
	struct ksigaction a, prev;

	if (size != 8)
		return -EINVAL;
	if (nact && mm_get_user(&a, nact, sizeof(a)) < 0)
		return -EFAULT;
	if (s < 1 || s > 64 || (nact && (s == SIGKILL || s == SIGSTOP)))
		return -EINVAL;
	prev = *act(s);
	if (nact) {
		a.mask &= ~UNBLOCKABLE;
		*act(s) = a;
		if (a.handler > SIG_IGN && (FAULT_SIGNALS & BIT(s)))
			linux_fault_route();
		/* Pending ones it now ignores are dropped, as Linux does. */
		if (discarded(s, 0)) {
			sig.pending &= ~BIT(s);
			for (uint32_t n = 0, tid; (tid = (uint32_t)linux_thread_nth(n)) != 0; n++)
				linux_thread_sigs((int32_t)tid)->pending &= ~BIT(s);
		}
	}
	return old ? mm_put_user(old, &prev, sizeof(prev)) : 0;
}

static int64_t sys_rt_sigprocmask(int32_t how, uint64_t set, uint64_t old, uint64_t size)
{
	struct sigstate *t = linux_thread_sigs(0);
	uint64_t prev = t->mask, s;

	if (size != 8)
		return -EINVAL;
	if (set) {
		if (mm_get_user(&s, set, 8) < 0)
			return -EFAULT;
		s &= ~UNBLOCKABLE;
		if (how == 0)
			t->mask |= s;
		else if (how == 1)
			t->mask &= ~s;
		else if (how == 2)
			t->mask = s;
		else
			return -EINVAL;
	}
	return old ? mm_put_user(old, &prev, 8) : 0;
}

/* stack_t: ss_sp, ss_flags (int), ss_size. On it, the stack cannot change (EPERM). */
static int64_t sys_sigaltstack(uint64_t new, uint64_t old)
{
	struct sigstate *t = linux_thread_sigs(0);
	const bool on = on_altstack(t, kernel_user_rsp);
	uint64_t ss[3], o[3] = {t->ss_sp, t->ss_size ? 0 : SS_DISABLE, t->ss_size};
	uint32_t flags, mode;

	o[1] |= (on ? SS_ONSTACK : 0) | (t->ss_flags & SS_AUTODISARM);
	if (new) {
		if (mm_get_user(ss, new, sizeof(ss)) < 0)
			return -EFAULT;
		if (on)
			return -EPERM;
		flags = (uint32_t)ss[1];
		mode = flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
			return -EINVAL;
		if (mode == SS_DISABLE)
			ss[0] = ss[2] = 0;
		else if (ss[2] < MINSIGSTKSZ)
			return -ENOMEM;
		t->ss_sp = ss[0], t->ss_size = ss[2], t->ss_flags = flags;
	}
	return old ? mm_put_user(old, o, sizeof(o)) : 0;
}

/* rt_sigreturn: the registers, mask, FPU state and alternate stack the
 * frame at RSP - 8 holds (what the handler found, maybe changed). A frame
 * that cannot be read, or that would return where no program runs, ends the
 * run (Linux sends SIGSEGV). Returns the interrupted code's RAX. */
static int64_t sys_rt_sigreturn(struct frame *f)
{
	struct sigstate *t = linux_thread_sigs(0);
	const uint64_t fa = kernel_user_rsp - 8;
	const struct sigcontext *m = &frame.uc.mc;

	if (mm_get_user(&frame, fa, sizeof(frame)) < 0 || m->rip >= KVMLET_USER_END ||
	    m->rsp >= KVMLET_USER_END || !fpu_frame_restore(m->fpstate))
		die(SIGSEGV, KVMLET_KILLED_BAD_RETURN, fa);
	t->mask = frame.uc.sigmask & ~UNBLOCKABLE;
	if (!on_altstack(t, kernel_user_rsp)) {
		uint32_t mode = frame.uc.ss_flags & ~(SS_AUTODISARM | SS_ONSTACK);
		if (mode == SS_DISABLE)
			t->ss_sp = t->ss_size = 0, t->ss_flags = 0;
		else if (mode == 0 && frame.uc.ss_size >= MINSIGSTKSZ)
			t->ss_sp = frame.uc.ss_sp, t->ss_size = frame.uc.ss_size,
			t->ss_flags = frame.uc.ss_flags & SS_AUTODISARM;
	}
	kernel_iret = (struct kernel_iret){.rip = m->rip,
					   .cs = KVMLET_SEL_UCODE,
					   .rflags = (f->r11 & ~FIX_EFLAGS) | (m->eflags & FIX_EFLAGS) | 2,
					   .ss = KVMLET_SEL_UDATA,
					   .on = 1};
	kernel_user_rsp = m->rsp;
	*f = (struct frame){.r15 = m->r15, .r14 = m->r14, .r13 = m->r13, .r12 = m->r12,
			    .rbp = m->rbp, .rbx = m->rbx, .r9 = m->r9, .r8 = m->r8,
			    .r10 = m->r10, .rdx = m->rdx, .rsi = m->rsi, .rdi = m->rdi,
			    .rax = m->rax, .r11 = m->r11, .rcx = m->rcx};
	return (int64_t)m->rax;
}

/* rt_sigsuspend and pause: wait for a signal with mask (pause: the mask as
 * it is); the mask comes back once the handler returns. */
static int64_t suspend(struct frame *f, uint64_t mask)
{
	struct sigstate *t = linux_thread_sigs(0);

	t->saved_mask = t->mask;
	t->suspended = true;
	t->mask = mask & ~UNBLOCKABLE;
	if ((t->pending | sig.pending) & ~t->mask)
		return -EINTR;
	return linux_thread_suspend(f, 0);
}

/* rt_sigtimedwait: a signal of set pending is taken (no handler runs) and
 * returned with its siginfo; else the thread waits until one comes (EAGAIN
 * after the timeout; a zero one does not wait; EINTR for a signal outside
 * set whose handler runs). */
static int64_t sys_rt_sigtimedwait(struct frame *f, uint64_t setp, uint64_t infop, uint64_t tsp,
				   uint64_t size)
{
	struct sigstate *t = linux_thread_sigs(0);
	struct siginfo info;
	uint64_t set, ns = 0;
	int64_t ts[2], r;
	int n;

	if (size != 8)
		return -EINVAL;
	if (mm_get_user(&set, setp, 8) < 0)
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (tsp) {
		if (mm_get_user(ts, tsp, sizeof(ts)) < 0)
			return -EFAULT;
		if ((r = linux_time_ns(ts, 1, &ns)) < 0)
			return r;
	}
	if ((n = dequeue(t, set, &info)) != 0)
		return infop && mm_put_user(infop, &info, sizeof(info)) < 0 ? -EFAULT : n;
	if (tsp && !ns)
		return -EAGAIN;
	t->waitset = set;
	t->wait_info = infop;
	return linux_thread_suspend(f, tsp ? ns : 0);
}

/* A signal to itself: kill (its pid or group), tkill and tgkill (a thread of
 * it) with a valid signal. The host answers the rest (other processes, signal
 * 0, errors). */
static bool to_self(const struct frame *f, int32_t *tid, int *s)
{
	const int32_t a0 = (int32_t)f->rdi, a1 = (int32_t)f->rsi, a2 = (int32_t)f->rdx;

	switch (f->rax) {
	case NR_kill:
		*tid = 0, *s = a1;
		return (a0 == 0 || a0 == SELF) && a1 >= 1 && a1 <= 64;
	case NR_tkill:
		*tid = a0, *s = a1;
		return linux_thread_alive(a0) && a1 >= 1 && a1 <= 64;
	default:
		*tid = a1, *s = a2;
		return a0 == SELF && linux_thread_alive(a1) && a2 >= 1 && a2 <= 64;
	}
}

int64_t linux_signal_syscall(struct frame *f, bool *served)
{
	uint64_t a0 = f->rdi, a1 = f->rsi, a2 = f->rdx, a3 = f->r10, set;
	int32_t tid;
	int s;

	*served = true;
	switch (f->rax) {
	case NR_rt_sigaction:
		return sys_rt_sigaction((int32_t)a0, a1, a2, a3);
	case NR_rt_sigprocmask:
		return sys_rt_sigprocmask((int32_t)a0, a1, a2, a3);
	case NR_sigaltstack:
		return sys_sigaltstack(a0, a1);
	case NR_rt_sigreturn:
		return sys_rt_sigreturn(f);
	case NR_rt_sigpending: {
		const struct sigstate *t = linux_thread_sigs(0);
		set = (t->pending | sig.pending) & t->mask;
		if (a1 > 8)
			return -EINVAL;
		return mm_put_user(a0, &set, a1) < 0 ? -EFAULT : 0;
	}
	case NR_rt_sigsuspend:
		if (a1 != 8)
			return -EINVAL;
		if (mm_get_user(&set, a0, 8) < 0)
			return -EFAULT;
		return suspend(f, set);
	case NR_rt_sigtimedwait:
		return sys_rt_sigtimedwait(f, a0, a1, a2, a3);
	case NR_pause:
		return suspend(f, linux_thread_sigs(0)->mask);
	case NR_kill:
	case NR_tkill:
	case NR_tgkill:
		if (!to_self(f, &tid, &s))
			break;
		if (f->rax == NR_kill)
			post(0, s, SI_USER);
		else
			post(tid, s, SI_TKILL);
		/* Its group is every process of the program: the host tells the
		 * others (kill(-1): all but the caller; ESRCH if there are none). */
		if (f->rax == NR_kill && (int32_t)a0 == 0)
			(void)kernel_to_host(&(struct frame){
				.rax = NR_kill, .rdi = (uint64_t)-1, .rsi = (uint64_t)s});
		return 0;
	}
	*served = false;
	return 0;
}
