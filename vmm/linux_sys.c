/* SPDX-License-Identifier: MIT */
/*
 * linux_sys.c: the Linux system calls that the guest's kernel hands to the
 * host (KVMLET_PORT_SYSCALL): standard streams, allowed files, clocks,
 * randomness, sleeping; everything else is refused with the errno Linux
 * would give. Every argument is untrusted: guest buffers are reached only
 * through the live page tables with the access the program itself has
 * (guest_mem's GUEST_READ_VA / GUEST_WRITE_VA, which note the pages written
 * for the next reset), every length is bounded (one call moves
 * at most LX_IO_MAX bytes; libc loops), and a descriptor the host never
 * handed out is -EBADF.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "error.h"
#include "exits.h"
#include "linux.h"
#include "sandbox.h"

enum {
	NR_read = 0, NR_write = 1, NR_open = 2, NR_close = 3, NR_stat = 4, NR_fstat = 5,
	NR_lstat = 6, NR_poll = 7, NR_lseek = 8, NR_ioctl = 16, NR_pread64 = 17, NR_readv = 19,
	NR_writev = 20, NR_access = 21, NR_nanosleep = 35, NR_socket = 41, NR_clone = 56,
	NR_fork = 57, NR_vfork = 58, NR_execve = 59, NR_kill = 62, NR_fcntl = 72,
	NR_readlink = 89, NR_gettimeofday = 96, NR_tkill = 200, NR_time = 201,
	NR_clock_gettime = 228, NR_clock_getres = 229, NR_clock_nanosleep = 230,
	NR_tgkill = 234, NR_openat = 257, NR_newfstatat = 262, NR_readlinkat = 267,
	NR_faccessat = 269, NR_ppoll = 271, NR_getrandom = 318, NR_clone3 = 435,
	NR_faccessat2 = 439,
};

#define AT_FDCWD	-100
#define AT_EMPTY_PATH	0x1000
#define O_ACCMODE	3
#define GUEST_TCGETS	0x5401
#define GUEST_TIOCGWINSZ 0x5413
#define PATH_MAX_GUEST	4096

struct sys {
	struct kvmlet_sandbox *sb;
	struct linux_host *lx;
	const struct kvm_regs *r;
	struct kvmlet_result *res;
	struct kvmlet_error *err;
	int stop; /* set: end the run with this code (res filled) */
};

/* Copy to / from the program's memory, as the program itself may access it. */
static int64_t put(struct sys *s, uint64_t va, const void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_WRITE_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? -EFAULT : 0;
}

KVMLET_HOT static int64_t get(struct sys *s, uint64_t va, void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_READ_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? -EFAULT : 0;
}

/* A NUL-terminated path from the guest, at most PATH_MAX_GUEST bytes. */
static int64_t get_path(struct sys *s, uint64_t va, char *out)
{
	for (uint64_t i = 0; i < PATH_MAX_GUEST; i++) {
		if (get(s, va + i, &out[i], 1) < 0)
			return -EFAULT;
		if (!out[i])
			return 0;
	}
	return -ENAMETOOLONG;
}

/* The open file behind guest descriptor fd (>= 3), or NULL. */
static struct lx_fd *file_fd(struct sys *s, int64_t fd)
{
	if (fd < 3 || fd >= 3 + LX_FDS_MAX || s->lx->fds[fd - 3].file < 0)
		return NULL;
	return &s->lx->fds[fd - 3];
}

static int host_fd_of(struct sys *s, struct lx_fd *f)
{
	return s->lx->files[f->file].host_fd;
}

KVMLET_HOT static int64_t sys_write(struct sys *s, int64_t fd, uint64_t buf, uint64_t len)
{
	char *tmp = s->lx->io;
	struct kvmlet_sandbox *sb = s->sb;

	if (fd != 1 && fd != 2)
		return -EBADF; /* allowed files are read-only */
	if (len > LX_IO_MAX)
		len = LX_IO_MAX;
	if (get(s, buf, tmp, len) < 0)
		return -EFAULT;
	return console_emit(&sb->con, sb->cfg.max_output, s->lx->std[fd], tmp, len,
			    &s->res->output_truncated);
}

static int64_t sys_read(struct sys *s, int64_t fd, uint64_t buf, uint64_t len, int64_t off)
{
	char *tmp = s->lx->io;
	struct lx_fd *f = file_fd(s, fd);
	ssize_t n;

	if (len > LX_IO_MAX)
		len = LX_IO_MAX;
	if (f) {
		n = pread(host_fd_of(s, f), tmp, len, off >= 0 ? off : (off_t)f->off);
		if (n > 0 && off < 0)
			f->off += (uint64_t)n;
	} else if (fd == 0) {
		if (s->lx->std[0] < 0)
			return 0; /* no input: end of file */
		do
			n = read(s->lx->std[0], tmp, len);
		while (n < 0 && errno == EINTR);
	} else {
		return -EBADF;
	}
	if (n < 0)
		return -errno;
	return put(s, buf, tmp, (uint64_t)n) < 0 ? -EFAULT : n;
}

/* readv and writev: each element in turn, as far as the first short one. */
static int64_t sys_iov(struct sys *s, int64_t fd, uint64_t iov, uint64_t cnt, bool wr)
{
	int64_t total = 0;

	if (cnt > 1024)
		return -EINVAL;
	for (uint64_t i = 0; i < cnt && total < LX_IO_MAX; i++) {
		uint64_t v[2];
		if (get(s, iov + 16 * i, v, sizeof(v)) < 0)
			return total ? total : -EFAULT;
		if (v[1] == 0)
			continue;
		uint64_t room = (uint64_t)(LX_IO_MAX - total), want = v[1] < room ? v[1] : room;
		int64_t n = wr ? sys_write(s, fd, v[0], want) : sys_read(s, fd, v[0], want, -1);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < v[1])
			break;
	}
	return total;
}

static int find_file(struct sys *s, const char *path)
{
	for (unsigned i = 0; i < s->lx->nfiles; i++)
		if (!strcmp(s->lx->files[i].guest_path, path))
			return (int)i;
	return -1;
}

static int64_t sys_openat(struct sys *s, int64_t dirfd, uint64_t pathp, uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	int64_t r = get_path(s, pathp, path);
	int file;

	if (r < 0)
		return r;
	if (path[0] != '/' && (int)dirfd != AT_FDCWD)
		return -ENOENT;
	if ((file = find_file(s, path)) < 0)
		return -ENOENT;
	if ((flags & O_ACCMODE) != 0)
		return -EROFS;
	for (int i = 0; i < LX_FDS_MAX; i++) {
		if (s->lx->fds[i].file >= 0)
			continue;
		s->lx->fds[i] = (struct lx_fd){.file = file, .off = 0};
		return 3 + i;
	}
	return -EMFILE;
}

/* struct stat as Linux x86-64 lays it out; only what a program needs, no host ids. */
static int64_t put_stat(struct sys *s, uint64_t va, const struct stat *st)
{
	uint64_t k[18] = {0};

	k[1] = 1;		       /* st_ino */
	k[2] = 1;		       /* st_nlink */
	k[3] = (uint32_t)st->st_mode;  /* st_mode, uid 0 */
	k[5] = 0;		       /* st_rdev */
	k[6] = (uint64_t)st->st_size;
	k[7] = 4096;		       /* st_blksize */
	k[8] = ((uint64_t)st->st_size + 511) / 512;
	return put(s, va, k, 144);
}

static int64_t sys_fstat(struct sys *s, int64_t fd, uint64_t st)
{
	struct stat hs = {0};
	struct lx_fd *f = file_fd(s, fd);

	if (f) {
		if (fstat(host_fd_of(s, f), &hs) < 0)
			return -EIO;
		hs.st_mode = S_IFREG | 0444;
	} else if (fd >= 0 && fd <= 2) {
		if (s->lx->std[fd] < 0 || fstat(s->lx->std[fd], &hs) < 0)
			hs = (struct stat){.st_mode = S_IFCHR | 0620};
		else
			hs.st_mode = (hs.st_mode & S_IFMT) | (fd ? 0200 : 0400);
		if (!S_ISREG(hs.st_mode))
			hs.st_size = 0;
	} else {
		return -EBADF;
	}
	return put_stat(s, st, &hs);
}

static int64_t sys_fstatat(struct sys *s, int64_t dirfd, uint64_t pathp, uint64_t st,
			   uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	int64_t r = get_path(s, pathp, path);
	struct stat hs;
	int file;

	if (r < 0)
		return r;
	if (!path[0])
		return (flags & AT_EMPTY_PATH) ? sys_fstat(s, dirfd, st) : -ENOENT;
	if (path[0] != '/' && (int)dirfd != AT_FDCWD)
		return -ENOENT;
	if ((file = find_file(s, path)) < 0)
		return -ENOENT;
	if (fstat(s->lx->files[file].host_fd, &hs) < 0)
		return -EIO;
	hs.st_mode = S_IFREG | 0444;
	return put_stat(s, st, &hs);
}

static int64_t sys_access(struct sys *s, int64_t dirfd, uint64_t pathp, uint64_t mode)
{
	char path[PATH_MAX_GUEST];
	int64_t r = get_path(s, pathp, path);

	if (r < 0)
		return r;
	if (path[0] != '/' && (int)dirfd != AT_FDCWD)
		return -ENOENT;
	if (find_file(s, path) < 0)
		return -ENOENT;
	return (mode & 3) ? -EACCES : 0; /* W_OK, X_OK: read-only, not executable */
}

static int64_t sys_lseek(struct sys *s, int64_t fd, int64_t off, uint64_t whence)
{
	struct lx_fd *f = file_fd(s, fd);
	struct stat st;
	int64_t base;

	if (!f)
		return fd >= 0 && fd <= 2 ? -ESPIPE : -EBADF;
	if (whence == SEEK_SET)
		base = 0;
	else if (whence == SEEK_CUR)
		base = (int64_t)f->off;
	else if (whence == SEEK_END && fstat(host_fd_of(s, f), &st) == 0)
		base = st.st_size;
	else
		return -EINVAL;
	if (__builtin_add_overflow(base, off, &base) || base < 0)
		return -EINVAL;
	f->off = (uint64_t)base;
	return base;
}

static int64_t sys_close(struct sys *s, int64_t fd)
{
	struct lx_fd *f = file_fd(s, fd);

	if (f) {
		f->file = -1;
		return 0;
	}
	return fd >= 0 && fd <= 2 ? 0 : -EBADF;
}

static int64_t sys_ioctl(struct sys *s, int64_t fd, uint64_t req, uint64_t arg)
{
	unsigned char buf[64];
	int host = fd >= 0 && fd <= 2 ? s->lx->std[fd] : -1;

	if (!(fd >= 0 && fd <= 2) && !file_fd(s, fd))
		return -EBADF;
	if (host < 0 || !isatty(host))
		return -ENOTTY;
	if (req == GUEST_TCGETS && ioctl(host, TCGETS, buf) == 0)
		return put(s, arg, buf, 36); /* the kernel's struct termios */
	if (req == GUEST_TIOCGWINSZ && ioctl(host, TIOCGWINSZ, buf) == 0)
		return put(s, arg, buf, 8);
	return -ENOTTY;
}

static int64_t sys_fcntl(struct sys *s, int64_t fd, uint64_t cmd)
{
	if (!(fd >= 0 && fd <= 2) && !file_fd(s, fd))
		return -EBADF;
	switch (cmd) {
	case 1: /* F_GETFD */
	case 2: /* F_SETFD */
	case 4: /* F_SETFL */
		return 0;
	case 3: /* F_GETFL */
		return fd == 1 || fd == 2 ? 1 /* O_WRONLY */ : 0;
	default:
		return -EINVAL;
	}
}

static uint64_t now(struct sys *s, int clk)
{
	struct timespec ts;

	if (s->lx->seed)
		return s->lx->fake_ns += 1000000; /* each reading, a millisecond later */
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t sys_clock_gettime(struct sys *s, uint64_t clk, uint64_t tsp)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC,
					CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
					CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE,
					CLOCK_BOOTTIME};

	if (clk >= sizeof(ids) / sizeof(ids[0]))
		return -EINVAL;
	uint64_t ns = now(s, ids[clk]), ts[2] = {ns / 1000000000ull, ns % 1000000000ull};
	return put(s, tsp, ts, sizeof(ts)); /* NULL too is -EFAULT, as on Linux */
}

static int64_t sys_gettimeofday(struct sys *s, uint64_t tvp, uint64_t tzp)
{
	uint64_t ns = now(s, CLOCK_REALTIME), tv[2] = {ns / 1000000000ull, ns % 1000000000ull / 1000};
	uint32_t tz[2] = {0, 0};

	if (tvp && put(s, tvp, tv, sizeof(tv)) < 0)
		return -EFAULT;
	return tzp ? put(s, tzp, tz, sizeof(tz)) : 0;
}

static int64_t sys_getrandom(struct sys *s, uint64_t buf, uint64_t len)
{
	uint8_t tmp[256];

	if (len > sizeof(tmp))
		len = sizeof(tmp); /* a short read, as Linux may give */
	if (s->lx->seed) {
		for (uint64_t i = 0; i < len; i++) {
			s->lx->rng = s->lx->rng * 6364136223846793005ull + 1442695040888963407ull;
			tmp[i] = (uint8_t)(s->lx->rng >> 56);
		}
	} else if (getrandom(tmp, len, 0) != (ssize_t)len) {
		return -EAGAIN;
	}
	return put(s, buf, tmp, len) < 0 ? -EFAULT : (int64_t)len;
}

/* Sleep, bounded by the run's time limit (the run then times out). */
static int64_t sys_nanosleep(struct sys *s, uint64_t reqp)
{
	int64_t req[2];

	if (get(s, reqp, req, sizeof(req)) < 0)
		return -EFAULT;
	if (req[0] < 0 || req[1] < 0 || req[1] >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)req[0] * 1000000000ull + (uint64_t)req[1];
	if (s->lx->seed) {
		s->lx->fake_ns += ns;
		return 0;
	}
	uint64_t deadline = s->sb->watch.deadline, t = watch_now_ns();
	if (deadline && (deadline <= t || ns > deadline - t)) {
		ns = deadline > t ? deadline - t : 0;
		s->stop = -ETIMEDOUT;
	}
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !atomic_load(&s->sb->watch.cancelled))
		;
	if (atomic_load(&s->sb->watch.cancelled))
		s->stop = -ECANCELED;
	return 0;
}

static int64_t sys_poll(struct sys *s, uint64_t fdsp, uint64_t n)
{
	struct pollfd p[16];
	int64_t ready = 0;

	if (n > 16)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		int32_t g[2];
		if (get(s, fdsp + 8 * i, g, sizeof(g)) < 0)
			return -EFAULT;
		p[i] = (struct pollfd){.fd = g[0], .events = (short)g[1]};
		p[i].revents = g[0] < 0 ? 0 : (g[0] <= 2 || file_fd(s, g[0])) ? p[i].events & 5 : 32;
		ready += p[i].revents != 0;
		if (put(s, fdsp + 8 * i + 6, &p[i].revents, 2) < 0)
			return -EFAULT;
	}
	return ready; /* nothing here ever blocks: a read returns at once */
}

/* abort() and raise(): the program ends as if by the signal. */
static int64_t sys_kill_self(struct sys *s, uint64_t sig)
{
	if (sig == 0)
		return 0;
	s->res->status = 128 + (int)(sig & 127);
	s->stop = error_outcome(s->res, s->err, KVMLET_ABORTED, -ECONNABORTED,
				"the program killed itself with signal %" PRIu64 "%s", sig,
				sig == 6 ? " (SIGABRT)" : "");
	return 0;
}

KVMLET_HOT static int64_t dispatch(struct sys *s, uint64_t nr)
{
	const struct kvm_regs *r = s->r;
	uint64_t a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10;

	switch (nr) {
	case NR_read: return sys_read(s, (int64_t)a0, a1, a2, -1);
	case NR_pread64: return file_fd(s, (int64_t)a0) ? sys_read(s, (int64_t)a0, a1, a2, (int64_t)a3 < 0 ? 0 : (int64_t)a3) : -ESPIPE;
	case NR_write: return sys_write(s, (int64_t)a0, a1, a2);
	case NR_readv: return sys_iov(s, (int64_t)a0, a1, a2, false);
	case NR_writev: return sys_iov(s, (int64_t)a0, a1, a2, true);
	case NR_open: return sys_openat(s, AT_FDCWD, a0, a1);
	case NR_openat: return sys_openat(s, (int64_t)a0, a1, a2);
	case NR_close: return sys_close(s, (int64_t)a0);
	case NR_fstat: return sys_fstat(s, (int64_t)a0, a1);
	case NR_stat:
	case NR_lstat: return sys_fstatat(s, AT_FDCWD, a0, a1, 0);
	case NR_newfstatat: return sys_fstatat(s, (int64_t)a0, a1, a2, a3);
	case NR_access: return sys_access(s, AT_FDCWD, a0, a1);
	case NR_faccessat:
	case NR_faccessat2: return sys_access(s, (int64_t)a0, a1, a2);
	case NR_lseek: return sys_lseek(s, (int64_t)a0, (int64_t)a1, a2);
	case NR_ioctl: return sys_ioctl(s, (int64_t)a0, a1, a2);
	case NR_fcntl: return sys_fcntl(s, (int64_t)a0, a1);
	case NR_poll: return sys_poll(s, a0, a1);
	case NR_ppoll: return sys_poll(s, a0, a1);
	case NR_clock_gettime: return sys_clock_gettime(s, a0, a1);
	case NR_clock_getres: {
		uint64_t ts[2] = {0, 1};
		return a0 > 7 ? -EINVAL : a1 ? put(s, a1, ts, sizeof(ts)) : 0;
	}
	case NR_gettimeofday: return sys_gettimeofday(s, a0, a1);
	case NR_time: {
		uint64_t t = now(s, CLOCK_REALTIME) / 1000000000ull;
		return a0 && put(s, a0, &t, 8) < 0 ? -EFAULT : (int64_t)t;
	}
	case NR_getrandom: return sys_getrandom(s, a0, a1);
	case NR_nanosleep: return sys_nanosleep(s, a0);
	case NR_clock_nanosleep: return a1 & 1 ? -EINVAL /* TIMER_ABSTIME */ : sys_nanosleep(s, a2);
	case NR_readlink:
	case NR_readlinkat: return -ENOENT;
	case NR_kill: return a0 <= 1 ? sys_kill_self(s, a1) : -EPERM;
	case NR_tkill: return a0 == 1 ? sys_kill_self(s, a1) : -ESRCH;
	case NR_tgkill: return a1 == 1 ? sys_kill_self(s, a2) : -ESRCH;
	case NR_clone:
	case NR_clone3:
	case NR_fork:
	case NR_vfork:
	case NR_execve: return -ENOSYS; /* one program, one thread */
	case NR_socket: return -EACCES;
	default: return -ENOSYS;
	}
}

KVMLET_HOT static int handle_syscall(struct kvmlet_sandbox *sb, const struct exit_io *io,
			  struct kvmlet_result *res, struct kvmlet_error *err)
{
	struct kvm_regs regs = io->regs;
	struct sys s = {.sb = sb, .lx = sb->lx, .r = &regs, .res = res, .err = err};
	int64_t rv = dispatch(&s, regs.rax);

	if (s.stop == -ETIMEDOUT)
		return error_outcome(res, err, KVMLET_TIMED_OUT, -ETIMEDOUT,
				     "guest timed out (asleep)");
	if (s.stop == -ECANCELED)
		return error_outcome(res, err, KVMLET_CANCELLED, -ECANCELED, "guest cancelled");
	if (s.stop)
		return s.stop;
	const char *name = sb->trace.fn || rv == -ENOSYS ? linux_syscall_name(regs.rax) : NULL;
	exits_trace_syscall(sb, regs.rax, name, rv, false);
	if (rv == -ENOSYS && sb->cfg.strict_syscalls)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "the program made system call %" PRIu64 " (%s), which kvmlet "
				     "does not provide (strict)",
				     (uint64_t)regs.rax, name ? name : "no name known");
	regs.rax = (uint64_t)rv;
	int r = vcpu_set_regs(&sb->vcpu, &regs, err);
	return r < 0 ? r : LOOP_CONTINUE;
}

/* While tracing: a system call the guest's kernel served itself, and its result. */
static int handle_systrace(struct kvmlet_sandbox *sb, const struct exit_io *io,
			   struct kvmlet_result *res, struct kvmlet_error *err)
{
	(void)res, (void)err;
	exits_trace_syscall(sb, io->regs.rax, linux_syscall_name(io->regs.rax),
			    (int64_t)io->regs.rdi, true);
	return LOOP_CONTINUE;
}

int linux_register_exits(void)
{
	/* The guest's kernel rings them from ring 0 with `out %al, imm8`: no
	 * EXIT_PLAIN_OUT check (they end no phase), and CPL3 cannot reach them (the
	 * TSS bitmap, x86.c). */
	int r = exits_register_port(KVMLET_PORT_SYSCALL, "syscall", EXIT_SELF_TRACED,
				    handle_syscall);

	return r < 0 ? r
		     : exits_register_port(KVMLET_PORT_SYSTRACE, "syscall", EXIT_SELF_TRACED,
					   handle_systrace);
}
