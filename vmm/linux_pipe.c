/* SPDX-License-Identifier: MIT */
/*
 * linux_pipe.c: pipes, eventfds and epoll inside a Linux program, as Linux
 * has them for one process: what its threads (the guest kernel's) use to
 * wake each other, Go's runtime among them (its timers sleep in epoll_pwait
 * and are woken through a pipe). Their state is plain data (struct lx_pipes,
 * allocated at the first one): snapshots save it, resets bring it back.
 *
 * Nothing here blocks the host: where Linux would put the caller to sleep
 * (a read of an empty pipe, a write to a full one, epoll_wait or poll with
 * nothing ready), the answer is lxs_wait(ms) and the guest's kernel lets its
 * other threads run, then repeats the call once one of them has been served
 * by the host, or ends it at its time limit. If every thread waits, the
 * program has deadlocked: the kernel ends the run.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "linux_sys.h"

enum {
	NR_select = 23,
	NR_pipe = 22,
	NR_pselect6 = 270,
	NR_epoll_create = 213,
	NR_epoll_wait = 232,
	NR_epoll_ctl = 233,
	NR_epoll_pwait = 281,
	NR_eventfd = 284,
	NR_eventfd2 = 290,
	NR_epoll_create1 = 291,
	NR_pipe2 = 293,
};

#define G_EPOLLIN	 0x001u
#define G_EPOLLOUT	 0x004u
#define G_EPOLLERR	 0x008u
#define G_EPOLLHUP	 0x010u
#define G_EPOLLRDHUP	 0x2000u
#define G_EPOLLEXCLUSIVE (1u << 28)
#define G_EPOLLWAKEUP	 (1u << 29)
#define G_EPOLLONESHOT	 (1u << 30)
#define G_EPOLLET	 (1u << 31)
#define G_O_DIRECT	 040000
#define G_EFD_SEMAPHORE	 1
#define EVENTFD_MAX	 0xfffffffffffffffeull
#define EPOLL_MAX_EVENTS (0x7fffffff / 12) /* Linux's EP_MAX_EVENTS */

/* A description of a pipe or eventfd exists, so the state does. */
static struct lx_pipe *pipe_of(struct sys *s, const struct lx_ofd *o)
{
	return &s->lx->pipes->pipe[o->file];
}

/* An eventfd is a pipe slot with its counter in count (readers 1, writers 0);
 * its description's off is 1 for EFD_SEMAPHORE. */
static uint64_t *counter(struct lx_pipe *p)
{
	return &p->count;
}

int64_t lxs_pipe_read(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len, char *tmp)
{
	struct lx_pipe *p = pipe_of(s, o);
	uint64_t n = 0;

	if (o->kind == LX_TIMERFD)
		return lxs_timerfd_read(s, o, buf, len);
	if (o->kind == LX_EVENTFD) {
		uint64_t *c = counter(p), v;
		if (len < 8)
			return -EINVAL;
		if (*c == 0)
			return (o->flags & G_O_NONBLOCK) ? -EAGAIN : lxs_wait(-1);
		v = o->off ? 1 : *c;
		*c -= v; /* taken even if the copy fails, as Linux's eventfd_read */
		p->gen[LX_GEN_OUT]++;
		return lxs_put(s, buf, &v, 8) < 0 ? -EFAULT : 8;
	}
	if (len == 0)
		return 0;
	if (p->len == 0) {
		if (p->writers == 0)
			return 0; /* end of file */
		return (o->flags & G_O_NONBLOCK) ? -EAGAIN : lxs_wait(-1);
	}
	while (n < len && n < p->len) {
		tmp[n] = p->buf[(p->head + n) % LX_PIPE_BUF];
		n++;
	}
	if (lxs_put(s, buf, tmp, n) < 0)
		return -EFAULT; /* nothing taken */
	p->head = (uint16_t)((p->head + n) % LX_PIPE_BUF);
	p->len = (uint16_t)(p->len - n);
	p->gen[LX_GEN_OUT]++;
	return (int64_t)n;
}

int64_t lxs_pipe_write(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len, char *tmp)
{
	struct lx_pipe *p = pipe_of(s, o);
	uint64_t room, n;

	if (o->kind == LX_TIMERFD)
		return -EINVAL; /* no write, as Linux's timerfd */
	if (o->kind == LX_EVENTFD) {
		uint64_t *c = counter(p), v;
		if (len < 8)
			return -EINVAL;
		if (lxs_get(s, buf, &v, 8) < 0)
			return -EFAULT;
		if (v == UINT64_MAX)
			return -EINVAL;
		if (v > EVENTFD_MAX - *c)
			return (o->flags & G_O_NONBLOCK) ? -EAGAIN : lxs_wait(-1);
		*c += v;
		p->gen[LX_GEN_IN]++;
		return 8;
	}
	if (len == 0)
		return 0; /* even with no reader, as Linux's pipe_write */
	if (p->readers == 0)
		return -EPIPE; /* the guest's kernel sends the writer SIGPIPE */
	room = LX_PIPE_BUF - p->len;
	/* Up to PIPE_BUF bytes go whole or not at all, as on Linux. */
	if (room == 0 || (len <= LX_PIPE_BUF && len > room))
		return (o->flags & G_O_NONBLOCK) ? -EAGAIN : lxs_wait(-1);
	n = len < room ? len : room;
	if (lxs_get(s, buf, tmp, n) < 0)
		return -EFAULT;
	for (uint64_t i = 0; i < n; i++)
		p->buf[(p->head + p->len + i) % LX_PIPE_BUF] = tmp[i];
	p->len = (uint16_t)(p->len + n);
	p->gen[LX_GEN_IN]++;
	return (int64_t)n;
}

uint32_t lxs_ready(struct sys *s, const struct lx_ofd *o)
{
	const struct lx_pipe *p;

	switch (o->kind) {
	case LX_PIPE_R:
		p = pipe_of(s, o);
		return (p->len ? G_EPOLLIN : 0) | (p->writers ? 0 : G_EPOLLHUP);
	case LX_PIPE_W:
		p = pipe_of(s, o);
		return (p->len < LX_PIPE_BUF ? G_EPOLLOUT : 0) | (p->readers ? 0 : G_EPOLLERR);
	case LX_EVENTFD: {
		uint64_t c = *counter(pipe_of(s, o));
		return (c ? G_EPOLLIN : 0) | (c < EVENTFD_MAX ? G_EPOLLOUT : 0);
	}
	case LX_TIMERFD:
		return lxs_timerfd_ready(s, o);
	case LX_EPOLL:
		return 0;
	default: /* nothing else but kvmlet's stdin makes a reader or writer wait */
		return (lxs_can_read(o) && (!lxs_is_stream(o) || lxs_stream_ready(s, o)) ? G_EPOLLIN
											 : 0) |
		       (lxs_can_write(o) ? G_EPOLLOUT : 0);
	}
}

/* pipe, pipe2: O_NONBLOCK, O_CLOEXEC and O_DIRECT (which changes nothing here). */
static int64_t sys_pipe2(struct sys *s, uint64_t fdsp, uint64_t flags)
{
	const bool cloexec = flags & G_O_CLOEXEC;
	uint32_t fl = (uint32_t)flags & G_O_NONBLOCK;
	int i, fds[2];

	if (flags & ~(uint64_t)(G_O_NONBLOCK | G_O_CLOEXEC | G_O_DIRECT))
		return -EINVAL;
	if ((i = lxs_pipe_slot(s)) < 0)
		return i;
	s->lx->pipes->pipe[i] = (struct lx_pipe){.readers = 1, .writers = 1};
	fds[0] = lxs_fd_open(s, &(struct lx_ofd){.kind = LX_PIPE_R, .flags = fl, .file = i},
			     cloexec);
	fds[1] = fds[0] < 0 ? fds[0]
			    : lxs_fd_open(s,
					  &(struct lx_ofd){
						  .kind = LX_PIPE_W, .flags = fl | 1, .file = i},
					  cloexec);
	if (fds[1] < 0 || lxs_put(s, fdsp, fds, sizeof(fds)) < 0) {
		if (fds[0] >= 0)
			lxs_close(s, fds[0]);
		if (fds[1] >= 0)
			lxs_close(s, fds[1]);
		s->lx->pipes->pipe[i] = (struct lx_pipe){0};
		return fds[1] < 0 ? fds[1] : -EFAULT;
	}
	return 0;
}

static int64_t sys_eventfd2(struct sys *s, uint64_t initval, uint64_t flags)
{
	uint32_t fl = 2 | ((uint32_t)flags & G_O_NONBLOCK); /* O_RDWR */
	int i, fd;

	if (flags & ~(uint64_t)(G_O_NONBLOCK | G_O_CLOEXEC | G_EFD_SEMAPHORE))
		return -EINVAL;
	if ((i = lxs_pipe_slot(s)) < 0)
		return i;
	s->lx->pipes->pipe[i] = (struct lx_pipe){.readers = 1};
	*counter(&s->lx->pipes->pipe[i]) = (uint32_t)initval;
	fd = lxs_fd_open(
		s,
		&(struct lx_ofd){
			.kind = LX_EVENTFD, .flags = fl, .file = i, .off = flags & G_EFD_SEMAPHORE},
		flags & G_O_CLOEXEC);
	if (fd < 0)
		s->lx->pipes->pipe[i] = (struct lx_pipe){0};
	return fd;
}

static int64_t sys_epoll_create1(struct sys *s, uint64_t flags)
{
	int fd;

	if (flags & ~(uint64_t)G_O_CLOEXEC)
		return -EINVAL;
	if (!lxs_pipes(s))
		return -ENOMEM;
	for (int i = 0; i < LX_EPOLLS_MAX; i++) {
		struct lx_epoll *e = &s->lx->pipes->epoll[i];
		if (e->used)
			continue;
		fd = lxs_fd_open(s, &(struct lx_ofd){.kind = LX_EPOLL, .flags = 2, .file = i},
				 flags & G_O_CLOEXEC);
		if (fd >= 0)
			*e = (struct lx_epoll){.used = 1, .owner = s->lx->pid};
		return fd;
	}
	return -ENFILE;
}

/* struct epoll_event, packed on x86-64. */
struct __attribute__((packed)) g_epoll_event {
	uint32_t events;
	uint64_t data;
};

/* The events a watch of o now reports, and for an edge-triggered one (ET)
 * only if a wake-up it listens for came since it last looked, as Linux's
 * ready list has it: data in for EPOLLIN, room for EPOLLOUT, an end closed. */
static uint32_t watch_ready(struct sys *s, struct lx_epoll *e, int i, const struct lx_ofd *o)
{
	const uint32_t want = e->w[i].events;
	const uint32_t ready = lxs_ready(s, o) & want;
	bool news = e->w[i].pending;

	if (!(want & G_EPOLLET))
		return ready;
	if (lxs_has_slot(o)) {
		const uint32_t *now = pipe_of(s, o)->gen, *seen = e->w[i].gen;
		news |= ((want & G_EPOLLIN) && now[LX_GEN_IN] != seen[LX_GEN_IN]) ||
			((want & G_EPOLLOUT) && now[LX_GEN_OUT] != seen[LX_GEN_OUT]) ||
			now[LX_GEN_END] != seen[LX_GEN_END];
		memcpy(e->w[i].gen, now, sizeof(e->w[i].gen));
	}
	/* kvmlet's stdin has no wake-ups to count: its news waits for it to be ready. */
	e->w[i].pending = news && !ready && !lxs_has_slot(o);
	return news ? ready : 0;
}

/* epoll_ctl, in Linux's order: the event (but for DEL), both descriptors,
 * whether the target can be polled, the epoll, EPOLLEXCLUSIVE's rules, then
 * the operation. A watch is a descriptor number and its description. */
static int64_t sys_epoll_ctl(struct sys *s, int epfd, int op, int fd, uint64_t evp)
{
	struct g_epoll_event ev = {0};
	struct lx_ofd *eo, *o;
	struct lx_epoll *e;
	int i, ofd;

	if (op != 2 && lxs_get(s, evp, &ev, sizeof(ev)) < 0)
		return -EFAULT;
	if (!(eo = lxs_ofd(s, epfd)) || !(o = lxs_ofd(s, fd)))
		return -EBADF;
	if (o->kind == LX_FILE || lxs_is_dir(o) || o->kind == LX_MAPS || o->kind == LX_NULL ||
	    o->kind == LX_ZERO)
		return -EPERM; /* files, directories, /dev/null and /dev/zero cannot be polled */
	if (eo == o || eo->kind != LX_EPOLL)
		return -EINVAL;
	ev.events &= ~G_EPOLLWAKEUP; /* needs CAP_BLOCK_SUSPEND: dropped, as Linux does */
	if (op != 2 && (ev.events & G_EPOLLEXCLUSIVE) &&
	    (op == 3 || o->kind == LX_EPOLL ||
	     (ev.events &
	      ~(G_EPOLLIN | G_EPOLLOUT | G_EPOLLERR | G_EPOLLHUP | G_EPOLLET | G_EPOLLEXCLUSIVE))))
		return -EINVAL;
	e = &s->lx->pipes->epoll[eo->file];
	ofd = (int)(o - s->lx->fds.ofd);
	for (i = 0; i < e->n && (e->w[i].fd != fd || e->w[i].ofd != ofd); i++)
		;
	switch (op) {
	case 1: /* EPOLL_CTL_ADD */
		if (i < e->n)
			return -EEXIST;
		if (e->n == LX_EPOLL_FDS)
			return -ENOSPC;
		e->n++;
		break;
	case 2: /* EPOLL_CTL_DEL */
		if (i == e->n)
			return -ENOENT;
		e->w[i] = e->w[--e->n];
		return 0;
	case 3: /* EPOLL_CTL_MOD */
		if (i == e->n)
			return -ENOENT;
		if (e->w[i].events & G_EPOLLEXCLUSIVE)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	e->w[i].fd = fd;
	e->w[i].ofd = (int8_t)ofd;
	e->w[i].events = ev.events | G_EPOLLERR | G_EPOLLHUP;
	e->w[i].pending = true; /* Linux looks at it once now: ready or not, it is news */
	e->w[i].data = ev.data;
	return 0;
}

/* epoll_wait, epoll_pwait: Linux's order, the signal mask first (only
 * checked: no signal is delivered), then the count, the buffer (access_ok:
 * only what is reported is written), the epoll. */
static int64_t sys_epoll_wait(struct sys *s, int epfd, uint64_t evp, int max, int ms, uint64_t sigp,
			      uint64_t sigsize)
{
	struct lx_table *t = &s->lx->fds;
	struct lx_ofd *eo;
	struct lx_epoll *e;
	uint64_t set;
	int64_t n = 0;

	if (sigp && sigsize != 8)
		return -EINVAL;
	if (sigp && lxs_get(s, sigp, &set, sizeof(set)) < 0)
		return -EFAULT;
	if (max <= 0 || max > EPOLL_MAX_EVENTS)
		return -EINVAL;
	if (!lxs_range_ok(evp, (uint64_t)max * sizeof(struct g_epoll_event)))
		return -EFAULT;
	if (!(eo = lxs_ofd(s, epfd)))
		return -EBADF;
	if (eo->kind != LX_EPOLL)
		return -EINVAL;
	e = &s->lx->pipes->epoll[eo->file];
	for (int i = 0; i < e->n && n < max; i++) {
		const struct lx_ofd *o = &t->ofd[e->w[i].ofd];
		uint32_t ready;
		if (!o->refs)
			continue; /* not reached: a description takes its watches with it */
		if (!(ready = watch_ready(s, e, i, o)))
			continue;
		struct g_epoll_event ev = {.events = ready, .data = e->w[i].data};
		if (lxs_put(s, evp + (uint64_t)n * sizeof(ev), &ev, sizeof(ev)) < 0) {
			e->w[i].pending = true; /* still ready: Linux puts it back */
			return n ? n : -EFAULT;
		}
		if (e->w[i].events & G_EPOLLONESHOT)
			e->w[i].events &= G_EPOLLONESHOT | G_EPOLLET | G_EPOLLEXCLUSIVE;
		n++;
	}
	return n || ms == 0 ? n : lxs_wait(ms < 0 ? -1 : ms);
}

/*
 * select, pselect6 (timeout: a timeval or a timespec; the signal mask only
 * checked), in Linux's order: the timeout, the mask, n, the sets (n bits, at
 * most the table's 64: one long each), a set descriptor not open (EBADF). Ready as poll
 * says; nothing is ever exceptional. With nothing ready the caller waits as
 * for poll; the sets are written back only with a result (a timeout leaves
 * them as given, where Linux clears them), and the timeout is not updated.
 */
static int64_t sys_select(struct sys *s, int n, const uint64_t sets[3], uint64_t tp, bool spec,
			  uint64_t sigp)
{
	static const uint32_t want[3] = {G_EPOLLIN | G_EPOLLHUP | G_EPOLLERR,
					 G_EPOLLOUT | G_EPOLLERR, 0};
	uint64_t in[3] = {0, 0, 0}, out[3] = {0, 0, 0}, sig[2];
	int64_t t[2], ms = -1, count = 0;

	if (tp) {
		if (lxs_get(s, tp, t, sizeof(t)) < 0)
			return -EFAULT;
		if (!spec && t[1] >= 1000000) { /* select carries whole seconds over, */
			t[0] = (int64_t)((uint64_t)t[0] + (uint64_t)(t[1] / 1000000));
			t[1] %= 1000000; /* wrapping as Linux's sum does: negative is EINVAL */
		}
		if (t[0] < 0 || t[1] < 0 || t[1] >= (spec ? 1000000000 : 1000000))
			return -EINVAL;
		uint64_t sub = (uint64_t)(spec ? (t[1] + 999999) / 1000000 : (t[1] + 999) / 1000);
		ms = (uint64_t)t[0] > (UINT32_MAX - sub) / 1000 ? -1 : t[0] * 1000 + (int64_t)sub;
	}
	if (sigp && (lxs_get(s, sigp, sig, sizeof(sig)) < 0))
		return -EFAULT;
	if (sigp && sig[0] && sig[1] != 8)
		return -EINVAL;
	if (n < 0)
		return -EINVAL;
	if (n > LX_FDS_MAX)
		n = LX_FDS_MAX;
	for (int k = 0; k < 3; k++)
		if (sets[k] && n && lxs_get(s, sets[k], &in[k], 8) < 0) /* whole longs, as Linux */
			return -EFAULT;
	for (int fd = 0; fd < n; fd++) {
		const uint64_t bit = 1ull << fd;
		const struct lx_ofd *o;
		if (!((in[0] | in[1] | in[2]) & bit))
			continue;
		if (!(o = lxs_ofd(s, fd)))
			return -EBADF;
		uint32_t r = lxs_ready(s, o);
		for (int k = 0; k < 3; k++)
			if ((in[k] & bit) && (r & want[k])) {
				out[k] |= bit;
				count++;
			}
	}
	if (!count && ms != 0)
		return lxs_wait(ms);
	for (int k = 0; k < 3; k++)
		if (sets[k] && n && lxs_put(s, sets[k], &out[k], 8) < 0)
			return -EFAULT;
	return count;
}

int64_t lxs_pipe_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;
	uint64_t a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10, a4 = r->r8, a5 = r->r9;

	*served = true;
	switch (nr) {
	case NR_pipe:
		return sys_pipe2(s, a0, 0);
	case NR_pipe2:
		return sys_pipe2(s, a0, a1);
	case NR_eventfd:
		return sys_eventfd2(s, a0, 0);
	case NR_eventfd2:
		return sys_eventfd2(s, a0, a1);
	case NR_epoll_create:
		return (int32_t)a0 <= 0 ? -EINVAL : sys_epoll_create1(s, 0);
	case NR_epoll_create1:
		return sys_epoll_create1(s, (uint32_t)a0);
	case NR_epoll_ctl:
		return sys_epoll_ctl(s, (int32_t)a0, (int32_t)a1, (int32_t)a2, a3);
	case NR_epoll_wait:
		return sys_epoll_wait(s, (int32_t)a0, a1, (int32_t)a2, (int32_t)a3, 0, 0);
	case NR_epoll_pwait:
		return sys_epoll_wait(s, (int32_t)a0, a1, (int32_t)a2, (int32_t)a3, a4, a5);
	case NR_select:
		return sys_select(s, (int32_t)a0, (const uint64_t[3]){a1, a2, a3}, a4, false, 0);
	case NR_pselect6:
		return sys_select(s, (int32_t)a0, (const uint64_t[3]){a1, a2, a3}, a4, true, a5);
	}
	*served = false;
	return 0;
}
