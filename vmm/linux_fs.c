/* SPDX-License-Identifier: MIT */
/*
 * linux_fs.c: the Linux system calls about descriptors and paths that the
 * host serves (see linux_sys.c): only the files given with --file, read-only,
 * under their guest paths; descriptors 0-2 are kvmlet's standard streams.
 * Arguments are checked in Linux's order with its errno: flags it does not
 * know are EINVAL where it says so, a relative path needs a directory
 * descriptor (none of ours is one: ENOTDIR, or EBADF if not open), and
 * descriptors, commands and whence are 32 bits wide, as Linux takes them.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_sys.h"

enum {
	NR_open = 2,
	NR_close = 3,
	NR_stat = 4,
	NR_fstat = 5,
	NR_lstat = 6,
	NR_lseek = 8,
	NR_ioctl = 16,
	NR_access = 21,
	NR_fcntl = 72,
	NR_readlink = 89,
	NR_openat = 257,
	NR_newfstatat = 262,
	NR_readlinkat = 267,
	NR_faccessat = 269,
	NR_faccessat2 = 439,
};

#define G_AT_FDCWD	      -100
#define G_AT_SYMLINK_NOFOLLOW 0x100
#define G_AT_EACCESS	      0x200
#define G_AT_NO_AUTOMOUNT     0x800
#define G_AT_EMPTY_PATH	      0x1000
#define G_AT_STATX_SYNC	      0x6000
#define G_O_ACCMODE	      3
#define G_O_WRONLY	      1
#define G_O_CREAT	      0100
#define G_O_EXCL	      0200
#define G_O_DIRECTORY	      0200000
#define G_O_CLOEXEC	      02000000
#define G_O_LARGEFILE	      0100000
#define G_O_APPEND	      02000
#define G_O_NONBLOCK	      04000
#define G_TCGETS	      0x5401
#define G_TIOCGWINSZ	      0x5413
#define G_FIONREAD	      0x541b
#define G_FIONBIO	      0x5421
#define G_FIONCLEX	      0x5450
#define G_FIOCLEX	      0x5451
#define G_FIOASYNC	      0x5452
#define PATH_MAX_GUEST	      4096

struct lx_fd *lxs_file_fd(struct sys *s, int fd)
{
	if (fd < 3 || fd >= 3 + LX_FDS_MAX || s->lx->fds[fd - 3].file < 0)
		return NULL;
	return &s->lx->fds[fd - 3];
}

int lxs_host_fd(struct sys *s, const struct lx_fd *f)
{
	return s->lx->files[f->file].host_fd;
}

static bool is_std(int fd)
{
	return fd >= 0 && fd <= 2;
}

static bool fd_open(struct sys *s, int fd)
{
	return is_std(fd) || lxs_file_fd(s, fd);
}

/* A NUL-terminated path from the guest, at most PATH_MAX_GUEST bytes. */
static int64_t get_path(struct sys *s, uint64_t va, char *out)
{
	for (uint64_t i = 0; i < PATH_MAX_GUEST; i++) {
		if (lxs_get(s, va + i, &out[i], 1) < 0)
			return -EFAULT;
		if (!out[i])
			return 0;
	}
	return -ENAMETOOLONG;
}

/* The path, and whether it can be looked up from dirfd (0) or why not. */
static int64_t get_path_at(struct sys *s, int dirfd, uint64_t va, char *out)
{
	int64_t r = get_path(s, va, out);

	if (r < 0 || out[0] == '/' || !out[0] || dirfd == G_AT_FDCWD)
		return r;
	return fd_open(s, dirfd) ? -ENOTDIR : -EBADF;
}

static int find_file(struct sys *s, const char *path)
{
	for (unsigned i = 0; i < s->lx->nfiles; i++)
		if (!strcmp(s->lx->files[i].guest_path, path))
			return (int)i;
	return -1;
}

static int64_t sys_openat(struct sys *s, int dirfd, uint64_t pathp, uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	int64_t r = get_path_at(s, dirfd, pathp, path);
	int file;

	if (r < 0)
		return r;
	if ((file = find_file(s, path)) < 0)
		return -ENOENT;
	if ((flags & (G_O_CREAT | G_O_EXCL)) == (G_O_CREAT | G_O_EXCL))
		return -EEXIST;
	if (flags & G_O_DIRECTORY)
		return -ENOTDIR; /* every allowed file is a regular file */
	if ((flags & G_O_ACCMODE) != 0)
		return -EROFS;
	for (int i = 0; i < LX_FDS_MAX; i++) {
		if (s->lx->fds[i].file >= 0)
			continue;
		s->lx->fds[i] = (struct lx_fd){.file = file, .cloexec = !!(flags & G_O_CLOEXEC)};
		return 3 + i;
	}
	return -EMFILE;
}

/* struct stat as Linux x86-64 lays it out; only what a program needs, no host ids. */
static int64_t put_stat(struct sys *s, uint64_t va, const struct stat *st)
{
	uint64_t k[18] = {0};

	k[1] = 1;		      /* st_ino */
	k[2] = 1;		      /* st_nlink */
	k[3] = (uint32_t)st->st_mode; /* st_mode, uid 0 */
	k[5] = 0;		      /* st_rdev */
	k[6] = (uint64_t)st->st_size;
	k[7] = 4096; /* st_blksize */
	k[8] = ((uint64_t)st->st_size + 511) / 512;
	return lxs_put(s, va, k, 144);
}

static int64_t sys_fstat(struct sys *s, int fd, uint64_t st)
{
	struct stat hs = {0};
	struct lx_fd *f = lxs_file_fd(s, fd);

	if (f) {
		if (fstat(lxs_host_fd(s, f), &hs) < 0)
			return -EIO;
		hs.st_mode = S_IFREG | 0444;
	} else if (is_std(fd)) {
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

static int64_t sys_fstatat(struct sys *s, int dirfd, uint64_t pathp, uint64_t st, uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	struct stat hs;
	int64_t r;
	int file;

	if (flags & ~(uint64_t)(G_AT_SYMLINK_NOFOLLOW | G_AT_NO_AUTOMOUNT | G_AT_EMPTY_PATH |
				G_AT_STATX_SYNC))
		return -EINVAL;
	if ((r = get_path_at(s, dirfd, pathp, path)) < 0)
		return r;
	if (!path[0])
		return (flags & G_AT_EMPTY_PATH) ? sys_fstat(s, dirfd, st) : -ENOENT;
	if ((file = find_file(s, path)) < 0)
		return -ENOENT;
	if (fstat(s->lx->files[file].host_fd, &hs) < 0)
		return -EIO;
	hs.st_mode = S_IFREG | 0444;
	return put_stat(s, st, &hs);
}

static int64_t sys_access(struct sys *s, int dirfd, uint64_t pathp, uint64_t mode, uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	int64_t r;

	if ((mode & ~(uint64_t)7) ||
	    (flags & ~(uint64_t)(G_AT_EACCESS | G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH)))
		return -EINVAL;
	if ((r = get_path_at(s, dirfd, pathp, path)) < 0)
		return r;
	if (!path[0] && (flags & G_AT_EMPTY_PATH) && dirfd != G_AT_FDCWD)
		r = fd_open(s, dirfd) ? 0 : -EBADF;
	else if (find_file(s, path) < 0)
		return -ENOENT;
	return r < 0 ? r : (mode & 3) ? -EACCES : 0; /* W_OK, X_OK: read-only, not executable */
}

static int64_t sys_readlink(struct sys *s, int dirfd, uint64_t pathp, int32_t size)
{
	char path[PATH_MAX_GUEST];
	int64_t r;

	if (size <= 0)
		return -EINVAL;
	if ((r = get_path_at(s, dirfd, pathp, path)) < 0)
		return r;
	return find_file(s, path) < 0 ? -ENOENT : -EINVAL; /* a file, not a link */
}

static int64_t sys_lseek(struct sys *s, int fd, int64_t off, uint32_t whence)
{
	struct lx_fd *f = lxs_file_fd(s, fd);
	struct stat st;
	int64_t base, size;

	if (!f)
		return is_std(fd) ? (whence > SEEK_HOLE ? -EINVAL : -ESPIPE) : -EBADF;
	if (whence > SEEK_HOLE)
		return -EINVAL;
	if (fstat(lxs_host_fd(s, f), &st) < 0)
		return -EIO;
	size = st.st_size;
	if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		if (off < 0 || off >= size)
			return -ENXIO;
		base = whence == SEEK_DATA ? off : size; /* no holes */
	} else {
		base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)f->off : size;
		if (__builtin_add_overflow(base, off, &base) || base < 0)
			return -EINVAL;
	}
	f->off = (uint64_t)base;
	return base;
}

static int64_t sys_close(struct sys *s, int fd)
{
	struct lx_fd *f = lxs_file_fd(s, fd);

	if (f) {
		*f = (struct lx_fd){.file = -1};
		return 0;
	}
	return is_std(fd) ? 0 : -EBADF;
}

static void set_cloexec(struct sys *s, int fd, bool on)
{
	struct lx_fd *f = lxs_file_fd(s, fd);

	if (f)
		f->cloexec = on;
	else if (on)
		s->lx->std_cloexec |= (uint8_t)(1u << fd);
	else
		s->lx->std_cloexec &= (uint8_t) ~(1u << fd);
}

static bool get_cloexec(struct sys *s, int fd)
{
	struct lx_fd *f = lxs_file_fd(s, fd);

	return f ? f->cloexec : (s->lx->std_cloexec >> fd) & 1;
}

/* The requests Linux answers for every descriptor, then the terminal's. */
static int64_t sys_ioctl(struct sys *s, int fd, uint32_t req, uint64_t arg)
{
	unsigned char buf[64];
	int host = is_std(fd) ? s->lx->std[fd] : -1, n;
	struct lx_fd *f = lxs_file_fd(s, fd);
	struct stat st;

	if (!fd_open(s, fd))
		return -EBADF;
	if (req == G_FIOCLEX || req == G_FIONCLEX) {
		set_cloexec(s, fd, req == G_FIOCLEX);
		return 0;
	}
	if (req == G_FIONBIO || req == G_FIOASYNC)
		return lxs_get(s, arg, &n, sizeof(n)); /* nothing here ever blocks */
	if (req == G_FIONREAD && f) {
		if (fstat(lxs_host_fd(s, f), &st) < 0)
			return -EIO;
		n = (int)(st.st_size - (int64_t)f->off);
		return lxs_put(s, arg, &n, sizeof(n));
	}
	if (req == G_FIONREAD && host >= 0 && ioctl(host, FIONREAD, &n) == 0)
		return lxs_put(s, arg, &n, sizeof(n));
	if (host < 0 || !isatty(host))
		return -ENOTTY;
	if (req == G_TCGETS && ioctl(host, TCGETS, buf) == 0)
		return lxs_put(s, arg, buf, 36); /* the kernel's struct termios */
	if (req == G_TIOCGWINSZ && ioctl(host, TIOCGWINSZ, buf) == 0)
		return lxs_put(s, arg, buf, 8);
	return -ENOTTY;
}

/* F_GETFL: files are read-only (O_LARGEFILE, as Linux sets on 64-bit);
 * 0 is read, 1 and 2 written, with the host descriptor's status flags. */
static int64_t getfl(struct sys *s, int fd)
{
	int host = is_std(fd) ? s->lx->std[fd] : -1, fl;

	if (!is_std(fd))
		return G_O_LARGEFILE;
	fl = host >= 0 ? fcntl(host, F_GETFL) : 0;
	return (fl < 0 ? 0 : fl & (G_O_APPEND | G_O_NONBLOCK | G_O_LARGEFILE)) |
	       (fd ? G_O_WRONLY : 0);
}

static int64_t sys_fcntl(struct sys *s, int fd, uint32_t cmd, uint64_t arg)
{
	if (!fd_open(s, fd))
		return -EBADF;
	switch (cmd) {
	case F_GETFD:
		return get_cloexec(s, fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		set_cloexec(s, fd, arg & FD_CLOEXEC);
		return 0;
	case F_GETFL:
		return getfl(s, fd);
	case F_SETFL:
		return 0; /* O_APPEND, O_NONBLOCK...: nothing here ever blocks or appends */
	default:
		return -EINVAL;
	}
}

int64_t lxs_fs_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;
	uint64_t a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10;
	const int fd = (int32_t)a0;

	*served = true;
	switch (nr) {
	case NR_open:
		return sys_openat(s, G_AT_FDCWD, a0, a1);
	case NR_openat:
		return sys_openat(s, fd, a1, a2);
	case NR_close:
		return sys_close(s, fd);
	case NR_fstat:
		return sys_fstat(s, fd, a1);
	case NR_stat:
	case NR_lstat:
		return sys_fstatat(s, G_AT_FDCWD, a0, a1, 0);
	case NR_newfstatat:
		return sys_fstatat(s, fd, a1, a2, (uint32_t)a3);
	case NR_access:
		return sys_access(s, G_AT_FDCWD, a0, (uint32_t)a1, 0);
	case NR_faccessat:
		return sys_access(s, fd, a1, (uint32_t)a2, 0);
	case NR_faccessat2:
		return sys_access(s, fd, a1, (uint32_t)a2, (uint32_t)a3);
	case NR_readlink:
		return sys_readlink(s, G_AT_FDCWD, a0, (int32_t)a2);
	case NR_readlinkat:
		return sys_readlink(s, fd, a1, (int32_t)a3);
	case NR_lseek:
		return sys_lseek(s, fd, (int64_t)a1, (uint32_t)a2);
	case NR_ioctl:
		return sys_ioctl(s, fd, (uint32_t)a1, a2);
	case NR_fcntl:
		return sys_fcntl(s, fd, (uint32_t)a1, a2);
	default:
		*served = false;
		return 0;
	}
}
