/* SPDX-License-Identifier: MIT */
/*
 * linux_fd.c: the guest's descriptor table, as Linux's: descriptors 0..63
 * (the RLIMIT_NOFILE reported) refer to open file descriptions, which dup,
 * dup2, dup3 and F_DUPFD share (offset, status flags) while FD_CLOEXEC stays
 * each descriptor's own. A description is a standard stream, an allowed
 * file, a device (/dev/null, /dev/zero, /dev/random, /dev/urandom, always
 * there), or a pipe's end, an eventfd, a timerfd or an epoll (linux_pipe.c,
 * linux_timerfd.c; their state is allocated here). The table is plain data:
 * the snapshot saves it whole and a reset puts it back; it holds no host
 * descriptor of its own.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "linux_sys.h"

static const struct {
	const char *path;
	enum lx_kind kind;
	uint32_t rdev; /* Linux's encoding of major:minor */
} devices[] = {
	{"/dev/null", LX_NULL, 0x103},
	{"/dev/zero", LX_ZERO, 0x105},
	{"/dev/random", LX_RANDOM, 0x108},
	{"/dev/urandom", LX_URANDOM, 0x109},
};

void linux_fds_init(struct lx_table *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < LX_FDS_MAX; i++)
		t->fd[i].ofd = -1;
	for (int i = 0; i < 3; i++) {
		t->ofd[i] = (struct lx_ofd){
			.kind = (uint8_t)(LX_STDIN + i), .refs = 1, .flags = i ? 1 : 0, .file = -1};
		t->fd[i].ofd = (int8_t)i;
	}
}

/* The lowest closed descriptor >= from, or -EMFILE. */
static int lowest_free(struct sys *s, int from)
{
	for (int i = from; i < LX_FDS_MAX; i++)
		if (s->lx->fds.fd[i].ofd < 0)
			return i;
	return -EMFILE;
}

int lxs_fd_open(struct sys *s, const struct lx_ofd *o, bool cloexec)
{
	struct lx_table *t = &s->lx->fds;
	int fd = lowest_free(s, 0);

	if (fd < 0)
		return fd;
	for (int i = 0; i < LX_FDS_MAX; i++) {
		if (t->ofd[i].refs)
			continue;
		t->ofd[i] = *o;
		t->ofd[i].refs = 1;
		t->fd[fd] = (struct lx_fd){.ofd = (int8_t)i, .cloexec = cloexec};
		return fd;
	}
	return -EMFILE; /* not reached: a free descriptor means a free description */
}

/* Watches of description ofd (an index in ofd[]) go with it, as Linux's
 * go with the struct file they watch. */
static void unwatch(struct lx_pipes *t, int ofd, int32_t pid)
{
	for (int k = 0; k < LX_EPOLLS_MAX; k++) {
		struct lx_epoll *e = &t->epoll[k];
		for (int i = 0; e->used && e->owner == pid && i < e->n;)
			if (e->w[i].ofd == ofd)
				e->w[i] = e->w[--e->n];
			else
				i++;
	}
}

/* A description's last descriptor is gone: its watches, its pipe's end or
 * eventfd, or its epoll go with it (nothing to do before the first pipe,
 * eventfd or epoll: no watch exists). */
static void release(struct sys *s, const struct lx_ofd *o)
{
	struct lx_pipes *t = s->lx->pipes;
	struct lx_pipe *p = NULL;

	if (!t)
		return;
	if (o->cell)
		t->cell[o->cell - 1].refs--;
	unwatch(t, (int)(o - s->lx->fds.ofd), s->lx->pid);
	if (lxs_has_slot(o))
		p = &t->pipe[o->file];
	if (o->kind == LX_PIPE_R)
		p->readers--;
	else if (o->kind == LX_PIPE_W)
		p->writers--;
	else if (o->kind == LX_EVENTFD || o->kind == LX_TIMERFD)
		p->readers--; /* one per description: a fork's child has its own */
	else if (o->kind == LX_EPOLL)
		t->epoll[o->file] = (struct lx_epoll){0};
	if (p && (!p->readers || !p->writers))
		p->gen[LX_GEN_END]++; /* an end is gone: a wake-up (EPOLLHUP, EPOLLERR) */
	if (p && !p->readers && !p->writers)
		p->head = p->len = 0;
}

int64_t lxs_close(struct sys *s, int fd)
{
	struct lx_ofd *o = lxs_ofd(s, fd);

	if (!o)
		return -EBADF;
	if (--o->refs == 0) {
		release(s, o);
		*o = (struct lx_ofd){.file = -1};
	}
	s->lx->fds.fd[fd] = (struct lx_fd){.ofd = -1};
	return 0;
}

/* CLOSE_RANGE_UNSHARE changes nothing: the table is the program's alone. */
#define CLOSE_RANGE_UNSHARE 2u
#define CLOSE_RANGE_CLOEXEC 4u

int64_t lxs_close_range(struct sys *s, uint32_t lo, uint32_t hi, uint32_t flags)
{
	if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) || lo > hi)
		return -EINVAL;
	for (uint32_t fd = lo; fd < LX_FDS_MAX && fd <= hi; fd++)
		if (lxs_ofd(s, (int)fd) && (flags & CLOSE_RANGE_CLOEXEC))
			s->lx->fds.fd[fd].cloexec = true;
		else if (lxs_ofd(s, (int)fd))
			lxs_close(s, (int)fd);
	return 0;
}

/* newfd (closed first if open) refers to oldfd's description. */
static int64_t dup_to(struct sys *s, int oldfd, int newfd, bool cloexec)
{
	struct lx_table *t = &s->lx->fds;
	int8_t ofd = t->fd[oldfd].ofd;

	t->ofd[ofd].refs++;
	if (t->fd[newfd].ofd >= 0)
		lxs_close(s, newfd);
	t->fd[newfd] = (struct lx_fd){.ofd = ofd, .cloexec = cloexec};
	return newfd;
}

/* dup, and fcntl's F_DUPFD and F_DUPFD_CLOEXEC: the lowest free >= from. */
int64_t lxs_dupfd(struct sys *s, int fd, uint32_t from, bool cloexec)
{
	int nfd;

	if (!lxs_ofd(s, fd))
		return -EBADF;
	if (from >= LX_FDS_MAX)
		return -EINVAL;
	if ((nfd = lowest_free(s, (int)from)) < 0)
		return nfd;
	return dup_to(s, fd, nfd, cloexec);
}

/* dup2 (dup3 with dup2's corner case) and dup3, in Linux's order: flags,
 * the same descriptor, newfd past the limit, then oldfd. */
int64_t lxs_dup3(struct sys *s, uint32_t oldfd, uint32_t newfd, uint64_t flags, bool dup2)
{
	if (dup2 && oldfd == newfd)
		return oldfd < LX_FDS_MAX && lxs_ofd(s, (int)oldfd) ? (int64_t)newfd : -EBADF;
	if (flags & ~(uint64_t)G_O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd >= LX_FDS_MAX)
		return -EBADF;
	if (oldfd >= LX_FDS_MAX || !lxs_ofd(s, (int)oldfd))
		return -EBADF;
	return dup_to(s, (int)oldfd, (int)newfd, flags & G_O_CLOEXEC);
}

const char *lxs_dev_path(int kind)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (devices[i].kind == (enum lx_kind)kind)
			return devices[i].path;
	return "";
}

uint32_t lxs_dev_rdev(int kind)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (devices[i].kind == (enum lx_kind)kind)
			return devices[i].rdev;
	return 0;
}

/* getrandom's source too (linux_sys.c). */
int64_t lxs_random(struct sys *s, void *buf, uint64_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	if (s->lx->seed) {
		for (uint64_t i = 0; i < len; i++) {
			s->lx->rng = s->lx->rng * 6364136223846793005ull + 1442695040888963407ull;
			p[i] = (uint8_t)(s->lx->rng >> 56);
		}
		return (int64_t)len;
	}
	for (uint64_t got = 0; got < len;) {
		if ((n = getrandom(p + got, len - got, 0)) < 0 && errno != EINTR)
			return -EAGAIN;
		got += n > 0 ? (uint64_t)n : 0;
	}
	return (int64_t)len;
}

int64_t lxs_dev_read(struct sys *s, const struct lx_ofd *o, char *buf, uint64_t len)
{
	switch (o->kind) {
	case LX_NULL:
		return 0;
	case LX_ZERO:
		memset(buf, 0, len);
		return (int64_t)len;
	default:
		return lxs_random(s, buf, len);
	}
}

/* Zeroed: the snapshot had none. */
struct lx_pipes *lxs_pipes(struct sys *s)
{
	struct linux_host *lx = s->lx;

	if (!lx->pipes) {
		struct lx_pipes_box *box = calloc(1, sizeof(*box));
		if (!box)
			return NULL;
		box->refs = 1;
		lx->pipes = &box->live; /* first: linux_free frees the box through it */
		lx->snap_pipes = &box->snap;
	}
	return lx->pipes;
}

int lxs_pipe_slot(struct sys *s)
{
	struct lx_pipes *t = lxs_pipes(s);

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < LX_PIPES_MAX; i++)
		if (!t->pipe[i].readers && !t->pipe[i].writers)
			return i;
	return -ENFILE;
}

bool lxs_fd_readable(int fd)
{
	return ppoll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, &(struct timespec){0},
		     NULL) != 0;
}

bool lxs_stream_ready(struct sys *s, const struct lx_ofd *o)
{
	const int host = lxs_host_fd(s, o);

	if (host < 0 || s->lx->seed || lxs_fd_readable(host))
		return true;
	s->lx->stdin_waits = true;
	return false;
}
