/* SPDX-License-Identifier: MIT */
/*
 * linux_pipe.c: pipes, eventfds and epoll inside a Linux program, as Linux
 * has them for one process: what its threads (the guest kernel's) use to
 * wake each other, Go's runtime among them (its timers sleep in epoll_pwait
 * and are woken through a pipe). They live in the descriptor table as plain
 * data (struct lx_table): snapshots save them, resets bring them back.
 *
 * Nothing here blocks the host: where Linux would put the caller to sleep
 * (a read of an empty pipe, a write to a full one, epoll_wait or poll with
 * nothing ready), the answer is lxs_wait(ms) and the guest's kernel lets its
 * other threads run, then repeats the call once one of them has been served
 * by the host, or ends it at its time limit. If every thread waits, the
 * program has deadlocked: the kernel ends the run.
 */
#include <poll.h>
#include <string.h>

#include "linux_sys.h"

enum {
	NR_pipe = 22, NR_epoll_create = 213, NR_epoll_wait = 232,
	NR_epoll_ctl = 233, NR_epoll_pwait = 281, NR_eventfd = 284, NR_eventfd2 = 290,
	NR_epoll_create1 = 291, NR_pipe2 = 293,
};

#define G_EPOLLIN      0x001u
#define G_EPOLLOUT     0x004u
#define G_EPOLLERR     0x008u
#define G_EPOLLHUP     0x010u
#define G_EPOLLRDHUP   0x2000u
#define G_EPOLLONESHOT (1u << 30)
#define G_EPOLLET      (1u << 31)
#define G_O_DIRECT     040000
#define G_EFD_SEMAPHORE 1
#define EVENTFD_MAX    0xfffffffffffffffeull

static struct lx_pipe *pipe_of(struct sys *s, const struct lx_ofd *o)
{
	return &s->lx->fds.pipes[o->file];
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

	if (o->kind == LX_EVENTFD) {
		uint64_t *c = counter(p), v;
		if (len < 8)
			return -EINVAL;
		if (*c == 0)
			return (o->flags & G_O_NONBLOCK) ? -EAGAIN : lxs_wait(-1);
		v = o->off ? 1 : *c;
		if (lxs_put(s, buf, &v, 8) < 0)
			return -EFAULT;
		*c -= v;
		return 8;
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
	return (int64_t)n;
}

int64_t lxs_pipe_write(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len, char *tmp)
{
	struct lx_pipe *p = pipe_of(s, o);
	uint64_t room, n;

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
		return 8;
	}
	if (p->readers == 0)
		return -EPIPE; /* as if SIGPIPE were ignored: no signal is delivered */
	if (len == 0)
		return 0;
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
		return p->readers ? (p->len < LX_PIPE_BUF ? G_EPOLLOUT : 0) : G_EPOLLERR;
	case LX_EVENTFD: {
		uint64_t c = *counter(pipe_of(s, o));
		return (c ? G_EPOLLIN : 0) | (c < EVENTFD_MAX ? G_EPOLLOUT : 0);
	}
	case LX_EPOLL:
		return 0;
	default: /* nothing else ever makes a reader or writer wait */
		return (lxs_can_read(o) ? G_EPOLLIN : 0) | (lxs_can_write(o) ? G_EPOLLOUT : 0);
	}
}

void lxs_release(struct sys *s, const struct lx_ofd *o)
{
	struct lx_table *t = &s->lx->fds;

	if (o->kind == LX_PIPE_R)
		t->pipes[o->file].readers--;
	else if (o->kind == LX_PIPE_W)
		t->pipes[o->file].writers--;
	else if (o->kind == LX_EVENTFD)
		t->pipes[o->file].readers = 0;
	else if (o->kind == LX_EPOLL)
		t->epolls[o->file].used = 0;
	if (lxs_is_pipe(o) || o->kind == LX_EVENTFD) {
		struct lx_pipe *p = &t->pipes[o->file];
		if (!p->readers && !p->writers)
			p->head = p->len = 0;
	}
}

static int free_pipe(struct sys *s)
{
	for (int i = 0; i < LX_PIPES_MAX; i++) {
		const struct lx_pipe *p = &s->lx->fds.pipes[i];
		if (!p->readers && !p->writers)
			return i;
	}
	return -ENFILE;
}

/* pipe, pipe2: O_NONBLOCK, O_CLOEXEC and O_DIRECT (which changes nothing here). */
static int64_t sys_pipe2(struct sys *s, uint64_t fdsp, uint64_t flags)
{
	const bool cloexec = flags & G_O_CLOEXEC;
	uint32_t fl = (uint32_t)flags & G_O_NONBLOCK;
	int i, fds[2];

	if (flags & ~(uint64_t)(G_O_NONBLOCK | G_O_CLOEXEC | G_O_DIRECT))
		return -EINVAL;
	if ((i = free_pipe(s)) < 0)
		return i;
	s->lx->fds.pipes[i] = (struct lx_pipe){.readers = 1, .writers = 1};
	fds[0] = lxs_fd_open(s, &(struct lx_ofd){.kind = LX_PIPE_R, .flags = fl, .file = i},
			     cloexec);
	fds[1] = fds[0] < 0 ? fds[0]
			    : lxs_fd_open(s, &(struct lx_ofd){.kind = LX_PIPE_W, .flags = fl | 1, .file = i},
					  cloexec);
	if (fds[1] < 0 || lxs_put(s, fdsp, fds, sizeof(fds)) < 0) {
		if (fds[0] >= 0)
			lxs_close(s, fds[0]);
		if (fds[1] >= 0)
			lxs_close(s, fds[1]);
		s->lx->fds.pipes[i] = (struct lx_pipe){0};
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
	if ((i = free_pipe(s)) < 0)
		return i;
	s->lx->fds.pipes[i] = (struct lx_pipe){.readers = 1};
	*counter(&s->lx->fds.pipes[i]) = (uint32_t)initval;
	fd = lxs_fd_open(s,
			 &(struct lx_ofd){.kind = LX_EVENTFD, .flags = fl, .file = i,
					  .off = flags & G_EFD_SEMAPHORE},
			 flags & G_O_CLOEXEC);
	if (fd < 0)
		s->lx->fds.pipes[i] = (struct lx_pipe){0};
	return fd;
}

static int64_t sys_epoll_create1(struct sys *s, uint64_t flags)
{
	int fd;

	if (flags & ~(uint64_t)G_O_CLOEXEC)
		return -EINVAL;
	for (int i = 0; i < LX_EPOLLS_MAX; i++) {
		struct lx_epoll *e = &s->lx->fds.epolls[i];
		if (e->used)
			continue;
		fd = lxs_fd_open(s, &(struct lx_ofd){.kind = LX_EPOLL, .flags = 2, .file = i},
				 flags & G_O_CLOEXEC);
		if (fd >= 0)
			*e = (struct lx_epoll){.used = 1};
		return fd;
	}
	return -ENFILE;
}

static struct lx_epoll *epoll_of(struct sys *s, int epfd)
{
	struct lx_ofd *o = lxs_ofd(s, epfd);

	return o && o->kind == LX_EPOLL ? &s->lx->fds.epolls[o->file] : NULL;
}

/* struct epoll_event, packed on x86-64. */
struct __attribute__((packed)) g_epoll_event {
	uint32_t events;
	uint64_t data;
};

static int64_t sys_epoll_ctl(struct sys *s, int epfd, int op, int fd, uint64_t evp)
{
	struct g_epoll_event ev = {0};
	struct lx_epoll *e;
	struct lx_ofd *o;
	int i;

	if (op < 1 || op > 3)
		return -EINVAL;
	if (op != 2 && lxs_get(s, evp, &ev, sizeof(ev)) < 0)
		return -EFAULT;
	if (!lxs_ofd(s, epfd) || !(o = lxs_ofd(s, fd)))
		return -EBADF;
	if (o->kind == LX_FILE || o->kind == LX_NULL || o->kind == LX_ZERO)
		return -EPERM; /* regular files, /dev/null and /dev/zero cannot be polled */
	if (!(e = epoll_of(s, epfd)) || fd == epfd)
		return -EINVAL;
	for (i = 0; i < e->n && e->w[i].fd != fd; i++)
		;
	if (op == 1) { /* EPOLL_CTL_ADD */
		if (i < e->n)
			return -EEXIST;
		if (e->n == LX_EPOLL_FDS)
			return -ENOSPC;
		e->n++;
	} else if (i == e->n) {
		return -ENOENT;
	}
	if (op == 2) { /* EPOLL_CTL_DEL */
		e->w[i] = e->w[--e->n];
		return 0;
	}
	e->w[i].fd = fd;
	e->w[i].events = ev.events | G_EPOLLERR | G_EPOLLHUP;
	e->w[i].reported = 0;
	e->w[i].data = ev.data;
	return 0;
}

/* epoll_wait, epoll_pwait (its signal mask only checked: none is delivered). */
static int64_t sys_epoll_wait(struct sys *s, int epfd, uint64_t evp, int max, int ms,
			      uint64_t sigsize, bool pwait)
{
	struct lx_epoll *e;
	int64_t n = 0;

	if (max <= 0 || (uint64_t)max > LX_IO_MAX / sizeof(struct g_epoll_event))
		return -EINVAL;
	if (!lxs_range_ok(evp, (uint64_t)max * sizeof(struct g_epoll_event)))
		return -EFAULT;
	if (!lxs_ofd(s, epfd))
		return -EBADF;
	if (!(e = epoll_of(s, epfd)))
		return -EINVAL;
	if (pwait && sigsize != 8 && s->r->r8)
		return -EINVAL;
	for (int i = 0; i < e->n && n < max; i++) {
		const struct lx_ofd *o = lxs_ofd(s, e->w[i].fd);
		uint32_t ready, want = e->w[i].events;
		if (!o)
			continue; /* closed: as Linux drops it with its last descriptor */
		ready = lxs_ready(s, o) & want;
		if (want & G_EPOLLET) {
			uint32_t fresh = ready & ~e->w[i].reported;
			e->w[i].reported = ready;
			ready = fresh;
		}
		if (!ready)
			continue;
		struct g_epoll_event ev = {.events = ready, .data = e->w[i].data};
		if (lxs_put(s, evp + (uint64_t)n * sizeof(ev), &ev, sizeof(ev)) < 0)
			return -EFAULT;
		if (want & G_EPOLLONESHOT)
			e->w[i].events = 0;
		n++;
	}
	return n || ms == 0 ? n : lxs_wait(ms < 0 ? -1 : ms);
}

int64_t lxs_pipe_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;
	uint64_t a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10, a5 = r->r9;

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
		return sys_epoll_wait(s, (int32_t)a0, a1, (int32_t)a2, (int32_t)a3, 0, false);
	case NR_epoll_pwait:
		return sys_epoll_wait(s, (int32_t)a0, a1, (int32_t)a2, (int32_t)a3, a5, true);
	}
	*served = false;
	return 0;
}
