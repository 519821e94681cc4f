/* SPDX-License-Identifier: MIT */
/*
 * linux_family.c: a Linux program's processes. fork (its kernel asks with
 * KVMLET_LX_FORK) makes a sandbox of the child: a copy of the caller's memory
 * (the pages with content), of its tables' host state and of its vCPU at the
 * call, with the child's pid in its boot info; its descriptor table is a copy
 * of the caller's, sharing the pipes; the allowed files and the tree are the
 * first process's, borrowed.
 *
 * The processes take turns on the first process's thread: the first runs
 * until every thread of it waits (DEADLOCK, SLEEP_UNTIL) or its slice is
 * over; then the others run, each until all of its threads wait, it ends or
 * its slice is over, until one of them did something another may wait for:
 * any system call the host served without a wait bumps the family's
 * generation, and a process waiting since an older one repeats its waits
 * (KVMLET_LX_OTHERS). A fork ends the parent's turn (the child goes
 * first). A slice is KVMLET_TICK_SLICE_MS (watch_yield_at:
 * the run gives way at its next entry, kicked out of KVM_RUN if need be);
 * with a seeded clock there are none, so that runs repeat: a process that
 * never waits then keeps the others waiting.
 *
 * An ended process is a zombie until its parent waits for it (wait4,
 * waitid); its end sends the parent its exit signal; its children become
 * the first process's, as orphans become init's. A reset or the free of the
 * first process ends the others.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "linux_sys.h"
#include "reset.h"
#include "start.h"
#include "x86.h"

#define LX_PID_LIMIT 4194304 /* Linux's PID_MAX_LIMIT: pids stay below it */
#define SLICE_NS     (KVMLET_TICK_SLICE_MS * 1000000ull)

enum { LP_FREE, LP_RUN, LP_WAIT, LP_ZOMBIE };

struct lx_proc {
	struct kvmlet_sandbox
		*sb; /* its sandbox (the first process's: the caller's); NULL once ended */
	int32_t pid, ppid;
	uint8_t state; /* LP_* */
	uint8_t exit_signal;
	uint64_t until; /* LP_WAIT: 0 for another process; else also until then (its clock, ns) */
	uint64_t seen;	/* the family's generation when it last looked */
	int status;	/* LP_ZOMBIE: as wait4 reports it */
	int32_t vfork;	/* its parent's pid while that waits for its exec or end (vfork) */
	bool shares;	/* with vfork: the parent then gets what it wrote (CLONE_VM) */
};

struct lx_family {
	struct lx_proc p[LX_PROCS_MAX]; /* p[0]: the first process */
	uint64_t gen;
	int32_t next_pid;
};

enum { P_ALL, P_PID, P_PGID };
#define SIGCHLD	   17
#define SIGKILL	   9
#define SIGSEGV	   11
#define CLD_EXITED 1
#define CLD_KILLED 2

static struct lx_proc *find(struct lx_family *f, int32_t pid)
{
	for (int i = 0; i < LX_PROCS_MAX; i++)
		if (f->p[i].state != LP_FREE && f->p[i].pid == pid)
			return &f->p[i];
	return NULL;
}

static int first_yield(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		       struct kvmlet_error *err);

static struct lx_family *family(struct sys *s)
{
	struct linux_host *lx = s->lx;

	if (!lx->fam) {
		if (!(lx->fam = calloc(1, sizeof(*lx->fam))))
			return NULL;
		lx->fam->p[0] = (struct lx_proc){.sb = s->sb, .pid = lx->pid, .state = LP_RUN};
		lx->fam_end = linux_family_end;
		lx->fam->next_pid = lx->pid + KVMLET_PID_SPAN;
		s->sb->yield = first_yield;
	}
	return lx->fam;
}

/* A pid no process has: each takes a span of ids for its threads. */
static int32_t new_pid(struct lx_family *f)
{
	for (int tries = 0; tries < LX_PID_LIMIT / KVMLET_PID_SPAN; tries++) {
		const int32_t pid = f->next_pid;
		f->next_pid = pid >= LX_PID_LIMIT - KVMLET_PID_SPAN ? 1 + KVMLET_PID_SPAN
								    : pid + KVMLET_PID_SPAN;
		if (!find(f, pid))
			return pid;
	}
	return -EAGAIN;
}

/* Before the child's table is copied: each of the parent's descriptions
 * with an offset gets a cell for it, which the child's copy will share
 * (lxs_off). -EAGAIN when the cells run out (before anything changed). */
static int share_offsets(struct sys *s)
{
	struct lx_pipes *t;
	unsigned need = 0, got = 0;

	for (int i = 0; i < LX_FDS_MAX; i++)
		need += s->lx->fds.ofd[i].refs && lxs_has_offset(&s->lx->fds.ofd[i]) &&
			!s->lx->fds.ofd[i].cell;
	if (!need)
		return 0;
	if (!(t = lxs_pipes(s)))
		return -ENOMEM;
	for (int k = 0; k < LX_CELLS_MAX; k++)
		got += !t->cell[k].refs;
	if (got < need)
		return -EAGAIN;
	for (int i = 0, k = 0; i < LX_FDS_MAX; i++) {
		struct lx_ofd *o = &s->lx->fds.ofd[i];
		if (!o->refs || !lxs_has_offset(o) || o->cell)
			continue;
		while (t->cell[k].refs)
			k++;
		t->cell[k].off = o->off;
		t->cell[k].refs = 1;
		o->cell = (uint16_t)(k + 1);
	}
	return 0;
}

/* The child's table: its descriptions are copies, so each pipe end, eventfd
 * and timerfd counts one more, and each shared offset; an epoll watches its
 * maker's descriptors only, so the child has none (closed). */
static void fds_forked(struct linux_host *c)
{
	for (int i = 0; i < LX_FDS_MAX; i++) {
		struct lx_ofd *o = &c->fds.ofd[i];
		if (!o->refs)
			continue;
		if (o->cell && c->pipes)
			c->pipes->cell[o->cell - 1].refs++;
		if (o->kind == LX_EPOLL) {
			for (int fd = 0; fd < LX_FDS_MAX; fd++)
				if (c->fds.fd[fd].ofd == i)
					c->fds.fd[fd] = (struct lx_fd){.ofd = -1};
			*o = (struct lx_ofd){.file = -1};
		} else if (lxs_has_slot(o) && c->pipes) {
			struct lx_pipe *p = &c->pipes->pipe[o->file];
			if (o->kind == LX_PIPE_W)
				p->writers++;
			else
				p->readers++;
		}
	}
}

/* A child's sandbox goes: its descriptors closed (the pipes it shares see
 * their ends go), then the rest. */
static void proc_free(struct kvmlet_sandbox *c)
{
	struct kvmlet_result res = {.vector = -1};
	struct sys cs = {.sb = c, .lx = c->lx, .res = &res};

	if (c->lx)
		(void)lxs_close_range(&cs, 0, UINT32_MAX, 0);
	kvmlet_sandbox_free(c);
}

/* Write pid and ppid into c's boot info, and its layout's (an execve builds from it). */
static int set_ids(struct kvmlet_sandbox *c, int32_t pid, int32_t ppid)
{
	const int32_t ids[2] = {pid, ppid};

	c->lay.bi.pid = pid;
	c->lay.bi.ppid = ppid;
	return GUEST_WRITE(&c->gm, KVMLET_BOOTINFO_GPA + offsetof(struct kvmlet_bootinfo, pid), ids,
			   sizeof(ids));
}

/* c's memory, tables, VM and vCPU: a copy of p's now, returning 0 from the
 * call p's kernel made (its `out` is two bytes). */
static int copy_machine(struct kvmlet_sandbox *c, struct sys *s, struct kvmlet_error *err)
{
	struct kvmlet_sandbox *p = s->sb;
	const uint64_t n = p->gm.size / KVMLET_PAGE_SIZE;
	uint64_t *pages = calloc((n + 63) / 64, sizeof(uint64_t));
	struct vcpu_state *st = malloc(sizeof(*st));
	int r;

	if (!pages || !st) {
		r = kvmlet_fail(err, -ENOMEM, "fork: out of memory");
		goto out;
	}
	/* A template's pages are its file's until written: pagemap cannot tell. */
	if (p->template)
		memset(pages, 0xff, (n + 63) / 64 * sizeof(uint64_t));
	else
		snapshot_candidates(p->gm.mem, n, pages, true);
	if ((r = guest_mem_map(&c->gm, p->gm.size, err)) < 0 ||
	    (r = guest_mem_copy(&c->gm, &p->gm, pages)) < 0 ||
	    (r = guest_mem_tables_adopt(&c->gm, &p->gm.pth, &p->gm.pt, err)) < 0 ||
	    (r = sandbox_vm_for_copy(c, err)) < 0 || (r = sandbox_check_paging(c, err)) < 0 ||
	    (r = vcpu_state_save(&p->vcpu, st, err)) < 0)
		goto out;
	st->regs = *s->r;
	st->regs.rip += 2;
	st->regs.rax = 0;
	/* TR as read back is busy: the type QEMU's SVM honours the I/O bitmap
	 * for, as snapshots do (without it, CPL3's call ports #GP in the child). */
	x86_fixup_tr(&c->vcpu, &st->sregs);
	r = vcpu_state_load(&c->vcpu, st, err);
out:
	free(pages);
	free(st);
	return r;
}

/* sb's run gives way a slice from now (none with a seeded clock: turns
 * only where the program waits, so that its runs repeat). */
static void give_slice(struct kvmlet_sandbox *sb)
{
	if (!sb->lx->seed)
		watch_yield_at(&sb->watch, watch_now_ns() + SLICE_NS);
}

/* A child's slice is over: its turn ends, and it can run again. */
static int turn_over(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err)
{
	(void)sb, (void)res, (void)err;
	return LOOP_IDLE;
}

int64_t lxs_fork(struct sys *s, uint64_t exit_signal, uint64_t flags)
{
	struct kvmlet_error err = {0};
	struct kvmlet_sandbox *c = NULL;
	struct lx_proc *slot = NULL;
	struct lx_family *f;
	int32_t pid;
	int r;

	if (exit_signal > 64)
		return -EINVAL;
	const bool shares = (flags & KVMLET_FORK_VFORK) && (flags & KVMLET_FORK_VM);
	if (!(f = family(s)))
		return -ENOMEM;
	unsigned have = 1;
	for (int i = 1; i < LX_PROCS_MAX; i++)
		if (f->p[i].state == LP_FREE)
			slot = slot ? slot : &f->p[i];
		else
			have++;
	if (!slot || have >= f->p[0].sb->lx->max_procs || (pid = new_pid(f)) < 0)
		return -EAGAIN;
	if ((r = share_offsets(s)) < 0)
		return r;
	if (sandbox_alloc(&c, &err) < 0)
		return -ENOMEM;
	linux_free(c->lx);
	c->cfg = s->sb->cfg;
	c->lay = s->sb->lay;
	c->img = s->sb->img;
	c->con = s->sb->con;
	if (!(c->lx = linux_copy(s->lx))) {
		r = -ENOMEM;
		goto fail;
	}
	c->lx->fam = f;
	c->lx->pid = pid;
	c->lx->family_sigs = 0;
	fds_forked(c->lx);
	/* As Linux's child, it has no signal pending: not even one from outside
	 * that the parent has not taken yet (the copied boot info's word). */
	const uint64_t none = 0;
	/* Its call buffers (a guest of kvmlet's runtime may ring the call
	 * ports from a child): no exports, no host functions of the caller's;
	 * its runtime waits on the call ring if the caller's did (the host's
	 * answer to a host call is seen there). */
	c->calls.ring = s->sb->calls.ring;
	if ((r = calls_alloc_buffers(&c->calls, &c->lay.bi, &err)) < 0 ||
	    (r = copy_machine(c, s, &err)) < 0 || (r = set_ids(c, pid, s->lx->pid)) < 0 ||
	    (r = GUEST_WRITE(&c->gm,
			     KVMLET_BOOTINFO_GPA + offsetof(struct kvmlet_bootinfo, sig_ext), &none,
			     sizeof(none))) < 0 ||
	    (r = phase_move(&c->phase, PT_RUN)) < 0 ||
	    (shares && (r = guest_mem_track_writes(&c->gm, &err)) < 0))
		goto fail;
	linux_ticks(c);
	c->yield = turn_over;
	*slot = (struct lx_proc){.sb = c,
				 .pid = pid,
				 .ppid = s->lx->pid,
				 .state = LP_RUN,
				 .exit_signal = (uint8_t)exit_signal,
				 .seen = f->gen,
				 .vfork = (flags & KVMLET_FORK_VFORK) ? s->lx->pid : 0,
				 .shares = shares};
	/* The child runs first, until it waits or its slice is over, as on a
	 * Linux with a CPU free for it: `cmd & kill $!` finds it started (a
	 * shell's child sets the signals it ignores), not still the parent's
	 * copy. The parent goes on once it has (the first process: first_yield,
	 * then a slice again). */
	watch_yield_now(&s->sb->watch);
	return pid;
fail:
	proc_free(c);
	return r == -EAGAIN ? -EAGAIN : -ENOMEM;
}

/* A user page the child wrote goes to the page its parent maps writable
 * at the same address (none: the child's own mapping, the parent never sees it). */
struct give_back {
	struct kvmlet_sandbox *child, *parent;
	const uint64_t *dirty; /* NULL: every page (no dirty log could be had) */
};

static int give_back_run(void *arg, const struct pt_run *r)
{
	const struct give_back *g = arg;
	const uint64_t n = g->child->gm.size / KVMLET_PAGE_SIZE;

	if ((r->prot & (PT_PROT_USER | PT_PROT_WRITE)) != (PT_PROT_USER | PT_PROT_WRITE))
		return 0;
	for (uint64_t off = 0; off < r->len; off += KVMLET_PAGE_SIZE) {
		const uint64_t page = (r->pa + off) / KVMLET_PAGE_SIZE;
		const void *src;
		uint64_t bad;
		if (page >= n || (g->dirty && !(g->dirty[page / 64] & (1ull << (page % 64)))) ||
		    !(src = GUEST_PTR(&g->child->gm, r->pa + off, KVMLET_PAGE_SIZE)))
			continue;
		(void)GUEST_WRITE_VA(&g->parent->gm, r->va + off, src, KVMLET_PAGE_SIZE,
				     GM_USER | GM_WRITE, &bad);
	}
	return 0;
}

/* Child p has exec'd or ended: the parent waiting since its vfork goes on
 * (f->gen), with what p wrote to the memory they shared (CLONE_VM) as if
 * they had: the parent did not run meanwhile, so the pages p wrote (KVM's
 * dirty log and the host's notes) are all that changed. */
static void vfork_end(struct lx_family *f, struct lx_proc *p)
{
	struct lx_proc *parent = p->vfork ? find(f, p->vfork) : NULL;
	struct kvmlet_sandbox *c = p->sb;

	if (!p->vfork)
		return;
	p->vfork = 0;
	f->gen++;
	if (!p->shares || !c || !parent || !parent->sb)
		return;
	const uint64_t words = (c->gm.size / KVMLET_PAGE_SIZE + 63) / 64;
	uint64_t *dirty = calloc(words, sizeof(uint64_t));
	struct kvmlet_error err = {0};
	if (dirty && vm_dirty_log(&c->vm, dirty, NULL, 0, &err) == 0)
		for (uint64_t w = 0; w < words; w++)
			dirty[w] |= guest_mem_take_written(&c->gm, w);
	else
		free(dirty), dirty = NULL;
	struct give_back g = {.child = c, .parent = parent->sb, .dirty = dirty};
	(void)pt_walk(&c->gm.pt, 0, KVMLET_USER_END, 0, give_back_run, &g);
	free(dirty);
}

void lxs_family_exec(struct sys *s)
{
	struct lx_proc *me = s->lx->fam ? find(s->lx->fam, s->lx->pid) : NULL;

	if (me)
		vfork_end(s->lx->fam, me);
}

bool lxs_family_vforked(struct sys *s, int32_t pid)
{
	const struct lx_proc *p = s->lx->fam ? find(s->lx->fam, pid) : NULL;

	return p && p->vfork && p->vfork == s->lx->pid;
}

/* Process p ended as res says: a zombie with its status; its children are
 * the first process's now; its parent gets its exit signal. */
static void proc_end(struct lx_family *f, struct lx_proc *p, const struct kvmlet_result *res)
{
	struct lx_proc *parent;
	const int killed = p->sb->lx->killed_by;

	vfork_end(f, p);
	if (killed)
		p->status = killed & 0x7f;
	else if (res->outcome == KVMLET_EXITED)
		p->status = (res->status & 0xff) << 8;
	else
		p->status = res->outcome == KVMLET_FAULTED ? SIGSEGV : SIGKILL;
	proc_free(p->sb);
	p->sb = NULL;
	p->state = LP_ZOMBIE;
	for (int i = 1; i < LX_PROCS_MAX; i++) {
		struct lx_proc *q = &f->p[i];
		if (q->state == LP_FREE || q->ppid != p->pid)
			continue;
		q->ppid = f->p[0].pid;
		q->vfork = 0; /* no parent waits now (and its pid may come back) */
		if (q->sb)
			(void)set_ids(q->sb, q->pid, q->ppid);
	}
	if (p->exit_signal && (parent = find(f, p->ppid)) && parent->sb)
		(void)kvmlet_signal(parent->sb, p->exit_signal, NULL);
	f->gen++;
}

/* Did the first process's run time out or get cancelled (s->stop set)? */
static bool stopped(struct sys *s)
{
	const uint64_t deadline = atomic_load(&s->sb->watch.deadline);

	if (atomic_load(&s->sb->watch.cancelled))
		s->stop = -ECANCELED;
	else if (deadline && watch_now_ns() >= deadline)
		s->stop = -ETIMEDOUT;
	return s->stop != 0;
}

/* Process p's turn, from the first process's wait (s): it runs until all
 * of it waits, or it ends, within the first process's time limit. */
static void proc_run(struct sys *s, struct lx_family *f, struct lx_proc *p)
{
	struct kvmlet_sandbox *c = p->sb;
	struct kvmlet_result res = {.vector = -1};
	struct kvmlet_error err = {0};
	const uint64_t deadline = atomic_load(&s->sb->watch.deadline), now = watch_now_ns();
	int r = 0;

	if (p->state == LP_WAIT) { /* the answer to its DEADLOCK or SLEEP_UNTIL */
		struct kvm_regs regs;
		struct sys cs = {.sb = c, .lx = c->lx};
		const uint64_t t = lxs_now(&cs, CLOCK_MONOTONIC);
		if (f->gen == p->seen && c->lx->seed && p->until > t)
			c->lx->fake_ns += p->until - t; /* a seeded clock moves as it sleeps */
		if ((r = vcpu_get_regs(&c->vcpu, &regs, &err)) == 0) {
			regs.rax = f->gen != p->seen ? KVMLET_LX_OTHERS : 0;
			r = vcpu_set_regs(&c->vcpu, &regs, &err);
		}
		/* Only an answered wait has looked: a process whose slice
		 * merely ended keeps what it saw, or news that came in
		 * between would never reach its next wait. */
		p->seen = f->gen;
	}
	p->state = LP_RUN;
	if (r == 0) {
		c->cfg.timeout_ns = deadline ? (deadline > now ? deadline - now : 1) : 0;
		give_slice(c);
		watch_nest(&s->sb->watch, &c->watch); /* kvmlet_cancel of the first reaches it */
		r = exits_run(c, &res, &err);
		watch_nest(&s->sb->watch, NULL);
		atomic_store(&c->watch.yield_at, 0);
		if (r == LOOP_IDLE)
			return; /* it waits (lxs_family_wait), or its slice is over */
	} else {
		res.outcome = KVMLET_HOST_ERROR;
	}
	proc_end(f, p, &res);
}

/* Give every process that can run a turn; false if none could. *next: in
 * how many ns the first sleeping one's time comes (0: none sleeps). */
static bool run_others(struct sys *s, struct lx_family *f, uint64_t *next)
{
	bool ran = false;

	*next = 0;
	for (int i = 1; i < LX_PROCS_MAX && !stopped(s); i++) {
		struct lx_proc *p = &f->p[i];
		if (p->state != LP_RUN && p->state != LP_WAIT)
			continue;
		if (p->state == LP_WAIT && f->gen == p->seen) {
			struct sys cs = {.sb = p->sb, .lx = p->sb->lx};
			const uint64_t t = lxs_now(&cs, CLOCK_MONOTONIC);
			if (!p->until)
				continue;
			if (t < p->until && !p->sb->lx->seed) {
				if (!*next || p->until - t < *next)
					*next = p->until - t;
				continue;
			}
		}
		proc_run(s, f, p);
		ran = true;
	}
	return ran;
}

/* The first process's slice is over: the others take a turn each, and it
 * gets another slice while any of them is alive. */
static int first_yield(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		       struct kvmlet_error *err)
{
	struct sys s = {.sb = sb, .lx = sb->lx, .res = res, .err = err};
	struct lx_family *f = sb->lx->fam;
	uint64_t next;

	if (!f)
		return LOOP_CONTINUE;
	(void)run_others(&s, f, &next); /* a time limit or a cancel: its run sees it */
	for (int i = 1; i < LX_PROCS_MAX; i++)
		if (f->p[i].state == LP_RUN || f->p[i].state == LP_WAIT) {
			give_slice(sb);
			break;
		}
	return LOOP_CONTINUE;
}

int64_t lxs_family_wait(struct sys *s, uint64_t until, uint64_t *sleep, bool *handled)
{
	struct lx_family *f = s->lx->fam;
	struct lx_proc *me;
	uint64_t next;

	*handled = f && (me = find(f, s->lx->pid));
	if (!*handled)
		return 0;
	if (me != &f->p[0]) { /* a child: back to the first process's loop */
		me->state = LP_WAIT;
		me->until = until;
		s->stop = LOOP_IDLE;
		return 0;
	}
	for (;;) {
		if (f->gen != me->seen) {
			me->seen = f->gen;
			return KVMLET_LX_OTHERS;
		}
		const uint64_t now = lxs_now(s, CLOCK_MONOTONIC);
		if ((until && now >= until) || stopped(s))
			return 0;
		if (run_others(s, f, &next))
			continue;
		if (!until && !next) {
			*handled = false; /* nobody else can run: as for one process */
			return 0;
		}
		*sleep = !next || (until && until - now < next) ? until - now : next;
		return LXS_FAMILY_SLEEP;
	}
}

bool lxs_family_stdin_waits(struct sys *s, bool clear)
{
	struct lx_family *f = s->lx->fam;
	bool any = s->lx->stdin_waits;

	if (clear)
		s->lx->stdin_waits = false;
	for (int i = 1; f && i < LX_PROCS_MAX; i++) {
		struct kvmlet_sandbox *c = f->p[i].sb;
		if (!c || !c->lx)
			continue;
		any |= c->lx->stdin_waits;
		if (clear)
			c->lx->stdin_waits = false;
	}
	return any;
}

void lxs_family_news(struct sys *s)
{
	if (s->lx->fam)
		s->lx->fam->gen++;
}

void lxs_family_served(struct sys *s)
{
	struct lx_family *f = s->lx->fam;
	struct lx_proc *me = find(f, s->lx->pid);
	const bool up_to_date = me && me->seen == f->gen;

	/* Its own call is news for the others, not for it; but news it had
	 * not seen yet stays unseen. */
	f->gen++;
	if (up_to_date)
		me->seen = f->gen;
}

int64_t lxs_kill(struct sys *s, int32_t pid, int32_t sig)
{
	struct lx_family *f = s->lx->fam;
	bool found = false;

	if (sig < 0 || sig > 64)
		return -EINVAL;
	for (int i = 0; f && i < LX_PROCS_MAX; i++) {
		struct lx_proc *p = &f->p[i];
		if (p->state == LP_FREE ||
		    (pid > 0 ? p->pid != pid : pid != -1 || p->pid == s->lx->pid))
			continue;
		found = true;
		if (sig && p->sb) {
			p->sb->lx->family_sigs |= 1ull << (sig - 1);
			(void)kvmlet_signal(p->sb, sig, NULL);
		}
	}
	if (found && sig)
		f->gen++; /* a waiting one takes it */
	return found ? 0 : -ESRCH;
}

/* Does child q of the caller (pid) match what it waits for? */
static bool matches(const struct lx_proc *q, int32_t pid, int idtype, int32_t id)
{
	if (q->state == LP_FREE || q->ppid != pid)
		return false;
	/* Every process is in the first one's group (LINUX_GROUP, 1). */
	return idtype == P_ALL || (idtype == P_PID && q->pid == id) ||
	       (idtype == P_PGID && (id == 0 || id == 1));
}

/* The zombie the caller may reap (*z), 0 if none yet with WNOHANG, -ECHILD
 * if it has no such child, or a wait. */
static int64_t find_zombie(struct sys *s, int idtype, int32_t id, uint32_t options, bool exited,
			   struct lx_proc **z)
{
	struct lx_family *f = s->lx->fam;
	bool any = false;

	*z = NULL;
	for (int i = 1; f && i < LX_PROCS_MAX; i++) {
		struct lx_proc *q = &f->p[i];
		if (!matches(q, s->lx->pid, idtype, id))
			continue;
		any = true;
		if (q->state == LP_ZOMBIE && exited) {
			*z = q;
			return q->pid;
		}
	}
	if (!any)
		return -ECHILD;
	return options & WNOHANG ? 0 : lxs_wait(-1);
}

static const uint8_t no_usage[144]; /* struct rusage: nothing measured */

/* wait4(pid, status, options, rusage), its options checked by the guest's kernel. */
static int64_t sys_wait4(struct sys *s, int32_t pid, uint64_t statusp, uint32_t options,
			 uint64_t rusage)
{
	struct lx_proc *z;
	const int idtype = pid < -1 || pid == 0 ? P_PGID : pid == -1 ? P_ALL : P_PID;

	if (pid == INT32_MIN)
		return -ESRCH; /* as Linux: no group -INT32_MIN */
	int64_t r = find_zombie(s, idtype,
				pid < -1    ? -pid
				: pid == -1 ? 0
					    : pid,
				options, true, &z);

	if (!z)
		return r;
	if ((statusp && lxs_put(s, statusp, &z->status, 4) < 0) ||
	    (rusage && lxs_put(s, rusage, no_usage, sizeof(no_usage)) < 0))
		return -EFAULT;
	*z = (struct lx_proc){.state = LP_FREE};
	return r;
}

/* waitid(idtype, id, infop, options, rusage), checked by the guest's kernel. */
static int64_t sys_waitid(struct sys *s, int idtype, int32_t id, uint64_t infop, uint32_t options,
			  uint64_t rusage)
{
	struct lx_proc *z;
	int64_t r = find_zombie(s, idtype, id, options, options & WEXITED, &z);
	/* siginfo_t: si_signo, si_errno, si_code, then si_pid, si_uid, si_status. */
	int32_t info[32] = {0};

	if (r < 0)
		return r;
	if (z) {
		const bool sig = (z->status & 0x7f) != 0;
		info[0] = SIGCHLD;
		info[2] = sig ? CLD_KILLED : CLD_EXITED;
		info[4] = z->pid;
		info[6] = sig ? z->status & 0x7f : (z->status >> 8) & 0xff;
	}
	if ((infop && lxs_put(s, infop, info, sizeof(info)) < 0) ||
	    (rusage && lxs_put(s, rusage, no_usage, sizeof(no_usage)) < 0))
		return -EFAULT;
	if (z && !(options & WNOWAIT))
		*z = (struct lx_proc){.state = LP_FREE};
	return 0;
}

int64_t lxs_family_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;

	*served = true;
	switch (nr) {
	case 61: /* wait4 */
		return sys_wait4(s, (int32_t)r->rdi, r->rsi, (uint32_t)r->rdx, r->r10);
	case 247: /* waitid */
		return sys_waitid(s, (int32_t)r->rdi, (int32_t)r->rsi, r->rdx, (uint32_t)r->r10,
				  r->r8);
	case KVMLET_LX_FORK:
		return lxs_fork(s, r->rdi, r->rsi);
	}
	*served = false;
	return 0;
}

void linux_family_end(struct linux_host *lx)
{
	struct lx_family *f = lx->fam;

	if (!f || lx->borrowed)
		return;
	for (int i = 1; i < LX_PROCS_MAX; i++)
		if (f->p[i].sb)
			proc_free(f->p[i].sb);
	f->p[0].sb->yield = NULL;
	atomic_store(&f->p[0].sb->watch.yield_at, 0);
	free(f);
	lx->fam = NULL;
}
