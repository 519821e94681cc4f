/* SPDX-License-Identifier: MIT */
/*
 * linux_lock.c: file locks, as Linux has them for a program that is one
 * process.
 * - flock(2) locks belong to an open file description. Two descriptions of
 *   one file conflict as two processes' would (an exclusive lock against any
 *   other): LOCK_NB fails with EWOULDBLOCK, else the thread waits (the guest's
 *   kernel repeats the call after the program's next served one, such as the
 *   holder's unlock or close; if every thread waits, the run ends as a
 *   deadlock). A description's lock goes with its last descriptor.
 * - fcntl's record locks (F_GETLK, F_SETLK, F_SETLKW) belong to a process,
 *   and a process never conflicts with its own: once their arguments pass
 *   Linux's checks, setting succeeds at once and F_GETLK finds no lock in
 *   the way (F_UNLCK).
 */
#include <unistd.h>

#include "linux_sys.h"

enum { NR_flock = 73 };

#define G_LOCK_SH    1u
#define G_LOCK_EX    2u
#define G_LOCK_NB    4u
#define G_LOCK_UN    8u
#define G_LOCK_MAND  32u
#define G_F_RDLCK    0
#define G_F_WRLCK    1
#define G_F_UNLCK    2
#define G_F_GETLK    5
#define G_OFFSET_MAX INT64_MAX

/* The file o is open on, for locks: descriptions of one file (both ends of a
 * pipe too) have the same key. */
static uint64_t lock_key(const struct lx_ofd *o)
{
	const uint32_t kind = lxs_is_pipe(o) ? LX_PIPE_R : o->kind;

	if (lxs_has_slot(o) || o->kind == LX_EPOLL || o->kind == LX_FILE || o->kind == LX_DIR)
		return (uint64_t)kind << 32 | (uint32_t)o->file;
	return (uint64_t)kind << 32; /* a device, a stream, /proc/self/maps */
}

static int64_t sys_flock(struct sys *s, int fd, uint32_t op)
{
	const uint32_t cmd = op & ~G_LOCK_NB;
	struct lx_table *t = &s->lx->fds;
	struct lx_ofd *o;

	if (op & G_LOCK_MAND)
		return 0; /* Linux ignores these since 5.15 */
	if (cmd != G_LOCK_SH && cmd != G_LOCK_EX && cmd != G_LOCK_UN)
		return -EINVAL;
	if (!(o = lxs_ofd(s, fd)))
		return -EBADF;
	const uint8_t want = cmd == G_LOCK_EX ? LX_LOCK_EX : cmd == G_LOCK_SH ? LX_LOCK_SH : 0;
	if (o->lock == want)
		return 0;
	o->lock = 0; /* a conversion drops the old lock first, as Linux's does */
	if (!want)
		return 0;
	for (int i = 0; i < LX_FDS_MAX; i++) {
		const struct lx_ofd *p = &t->ofd[i];
		if (p != o && p->refs && p->lock && lock_key(p) == lock_key(o) &&
		    (want == LX_LOCK_EX || p->lock == LX_LOCK_EX))
			return (op & G_LOCK_NB) ? -EAGAIN : lxs_wait(-1);
	}
	o->lock = want;
	return 0;
}

/* struct flock, as x86-64 Linux has it. */
struct g_flock {
	int16_t type, whence;
	int32_t pad;
	int64_t start, len;
	int32_t pid, pad2;
};

/* Linux's flock64_to_posix_lock: where the range starts, from whence; a
 * start or an end past OFFSET_MAX EOVERFLOW, a negative start EINVAL. */
static int64_t lock_range(struct sys *s, const struct lx_ofd *o, const struct g_flock *fl)
{
	struct stat st;
	int64_t base;
	int host;

	switch (fl->whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = lxs_is_stream(o) || lxs_is_made(o) ? 0 : (int64_t)lxs_off_now(s, o);
		break;
	case SEEK_END: /* a file's size, a directory's as stat gives it; else 0 */
		host = lxs_host_fd(s, o);
		base = o->kind == LX_DIR					   ? 4096
		       : host >= 0 && fstat(host, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size
										   : 0;
		break;
	default:
		return -EINVAL;
	}
	if (fl->start > G_OFFSET_MAX - base)
		return -EOVERFLOW;
	const int64_t start = base + fl->start;
	if (start < 0)
		return -EINVAL;
	if (fl->len > 0 && fl->len - 1 > G_OFFSET_MAX - start)
		return -EOVERFLOW;
	if (fl->len < 0 && start + fl->len < 0)
		return -EINVAL;
	return 0;
}

int64_t lxs_record_lock(struct sys *s, int fd, uint32_t cmd, uint64_t arg)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);
	struct g_flock fl;
	int64_t r;

	if (lxs_get(s, arg, &fl, sizeof(fl)) < 0)
		return -EFAULT;
	if (cmd == G_F_GETLK) {
		if (fl.type != G_F_RDLCK && fl.type != G_F_WRLCK)
			return -EINVAL;
		if ((r = lock_range(s, o, &fl)) < 0)
			return r;
		fl.type = G_F_UNLCK; /* nothing in the way: the program is one process */
		return lxs_put(s, arg, &fl, sizeof(fl));
	}
	if ((r = lock_range(s, o, &fl)) < 0)
		return r;
	if (fl.type != G_F_RDLCK && fl.type != G_F_WRLCK && fl.type != G_F_UNLCK)
		return -EINVAL;
	if ((fl.type == G_F_RDLCK && !lxs_can_read(o)) ||
	    (fl.type == G_F_WRLCK && !lxs_can_write(o)))
		return -EBADF;
	return 0;
}

int64_t lxs_lock_syscall(struct sys *s, uint64_t nr, bool *served)
{
	*served = nr == NR_flock;
	return *served ? sys_flock(s, (int32_t)s->r->rdi, (uint32_t)s->r->rsi) : 0;
}
