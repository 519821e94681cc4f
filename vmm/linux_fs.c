/* SPDX-License-Identifier: MIT */
/*
 * linux_fs.c: the Linux system calls about descriptors and paths that the
 * host serves (see linux_sys.c): the files given with --file, read-only,
 * under their guest paths, and the devices (linux_fd.c: the descriptor
 * table, where 0-2 start as kvmlet's standard streams).
 * Paths are looked up in the tree of linux_dir.c (directories, which open
 * read-only and list there). Arguments are checked in Linux's order with its
 * errno: flags it does not know are EINVAL where it says so, and
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
	NR_close_range = 436,
	NR_stat = 4,
	NR_fstat = 5,
	NR_lstat = 6,
	NR_lseek = 8,
	NR_ioctl = 16,
	NR_access = 21,
	NR_dup = 32,
	NR_dup2 = 33,
	NR_fcntl = 72,
	NR_fsync = 74,
	NR_fdatasync = 75,
	NR_creat = 85,
	NR_readlink = 89,
	NR_fadvise64 = 221,
	NR_openat = 257,
	NR_dup3 = 292,
	NR_newfstatat = 262,
	NR_readlinkat = 267,
	NR_faccessat = 269,
	NR_syncfs = 306,
	NR_statx = 332,
	NR_faccessat2 = 439,
};

#define G_AT_EACCESS	      0x200
#define G_AT_NO_AUTOMOUNT     0x800
#define G_AT_STATX_SYNC	      0x6000
#define G_O_WRONLY	      1
#define G_O_CREAT	      0100
#define G_O_EXCL	      0200
#define G_O_TRUNC	      01000
#define G_O_DIRECTORY	      0200000
#define G_O_NOFOLLOW	      0400000
#define G_O_LARGEFILE	      0100000
#define G_O_APPEND	      02000
#define G_O_KEPT	      (G_O_ACCMODE | G_O_APPEND | G_O_NONBLOCK) /* in lx_ofd.flags */
#define G_F_DUPFD_CLOEXEC     1030
#define G_TCGETS	      0x5401
#define G_TIOCGWINSZ	      0x5413
#define G_FIONREAD	      0x541b
#define G_FIONBIO	      0x5421
#define G_FIONCLEX	      0x5450
#define G_FIOCLEX	      0x5451
#define G_FIOASYNC	      0x5452
#define G_STATX_BASIC_STATS   0x7ffu
#define G_STATX__RESERVED     0x80000000u
#define G_STATX_ATTR_KNOWN    0x203000u /* AUTOMOUNT, MOUNT_ROOT, DAX: every 6.1 file's */

static bool fd_open(struct sys *s, int fd)
{
	return lxs_ofd(s, fd) != NULL;
}

/* The path at pathp and what it names from dirfd. */
static int64_t lookup_at(struct sys *s, int dirfd, uint64_t pathp, char *path, struct lx_node *n)
{
	int64_t r = lxs_get_path(s, pathp, path);

	return r < 0 ? r : lxs_lookup(s, dirfd, path, n);
}

/* open of a directory is read-only (EISDIR: writing, O_CREAT, O_TRUNC), of
 * anything else not O_DIRECTORY; allowed files are read-only (EROFS: writing,
 * O_TRUNC, and O_CREAT of a name that is not there, in a directory that is). */
static int64_t sys_openat(struct sys *s, int dirfd, uint64_t pathp, uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	struct lx_node n = {0};
	int64_t r = lookup_at(s, dirfd, pathp, path, &n);

	if (r == -ENOENT && (flags & G_O_CREAT) && path[0])
		r = lxs_open_create(s, dirfd, path);
	if (r < 0)
		return r;
	struct lx_ofd o = {.file = n.idx, .flags = (uint32_t)(flags & G_O_KEPT)};
	if (n.link && (flags & G_O_NOFOLLOW))
		return -ELOOP;
	if ((flags & (G_O_CREAT | G_O_EXCL)) == (G_O_CREAT | G_O_EXCL))
		return -EEXIST;
	if (n.type == G_NODE_FD) {
		if (flags & G_O_DIRECTORY)
			return -ENOTDIR;
		return lxs_link_open(s, n.idx, (uint32_t)(flags & G_O_KEPT), flags & G_O_CLOEXEC);
	}
	if (n.type == G_DT_DIR || n.type == G_NODE_FDDIR) {
		if ((flags & (G_O_ACCMODE | G_O_CREAT | G_O_TRUNC)) != 0)
			return -EISDIR;
		o.kind = n.type == G_DT_DIR ? LX_DIR : LX_FDDIR;
	} else if (flags & G_O_DIRECTORY) {
		return -ENOTDIR;
	} else if (n.type == G_DT_CHR) {
		o = (struct lx_ofd){.kind = (uint8_t)n.idx, .file = -1, .flags = o.flags};
	} else {
		if ((flags & G_O_ACCMODE) != 0 || (n.idx >= 0 && (flags & G_O_TRUNC)))
			return -EROFS;
		o.kind = n.idx < 0 ? LX_MAPS : LX_FILE; /* /proc/self's files: idx < 0 */
	}
	return lxs_fd_open(s, &o, flags & G_O_CLOEXEC);
}

/* st_blocks (512 bytes each) as the tmpfs statfs says the tree is: whole
 * 4 KiB pages, so du sees what a file takes on Linux's tmpfs. */
static uint64_t stat_blocks(const struct stat *st)
{
	return ((uint64_t)st->st_size + 4095) / 4096 * 8;
}

/* struct stat as Linux x86-64 lays it out; only what a program needs, no host ids. */
static int64_t put_stat(struct sys *s, uint64_t va, const struct stat *st)
{
	uint64_t k[18] = {0};

	k[1] = (uint64_t)st->st_ino;
	k[2] = (uint64_t)st->st_nlink;
	k[3] = (uint32_t)st->st_mode; /* st_mode, uid 0 */
	k[5] = (uint64_t)st->st_rdev; /* the devices' own; 0 for the rest */
	k[6] = (uint64_t)st->st_size;
	k[7] = 4096; /* st_blksize */
	k[8] = stat_blocks(st);
	return lxs_put(s, va, k, 144);
}

/* struct statx as Linux lays it out (256 bytes): the same fields as put_stat. */
struct gstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad;
	uint64_t ino, size, blocks, attributes_mask;
	struct {
		int64_t sec;
		uint32_t nsec, pad;
	} atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t rest[14]; /* mnt_id, the DIO alignments, spare */
};
_Static_assert(sizeof(struct gstatx) == 256, "struct statx is 256 bytes");

static int64_t put_statx(struct sys *s, uint64_t va, const struct stat *st)
{
	const uint32_t rdev = (uint32_t)st->st_rdev; /* Linux's new_encode_dev */
	struct gstatx x = {
		.mask = G_STATX_BASIC_STATS, /* whatever was asked, as Linux */
		.blksize = 4096,
		.nlink = (uint32_t)st->st_nlink,
		.mode = (uint16_t)st->st_mode,
		.ino = (uint64_t)st->st_ino,
		.size = (uint64_t)st->st_size,
		.blocks = stat_blocks(st),
		.attributes_mask = G_STATX_ATTR_KNOWN,
		.rdev_major = (rdev >> 8) & 0xfff,
		.rdev_minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
	};

	return lxs_put(s, va, &x, sizeof(x));
}

/* What stat shows of node n: a directory (linux_dir.c), a device as Linux's
 * devtmpfs has it (a character device anyone may read and write), a
 * read-only file. */
static int64_t stat_fd(struct sys *s, int fd, struct stat *hs);

static int64_t stat_node(struct sys *s, struct lx_node n, struct stat *hs)
{
	if (n.type == G_NODE_FD)
		return stat_fd(s, n.idx, hs);
	if (n.type == G_NODE_FDDIR) {
		lxs_fddir_stat(hs);
		return 0;
	}
	if (n.type == G_DT_DIR) {
		lxs_dir_stat(s->lx, n.idx, hs);
		return 0;
	}
	memset(hs, 0, sizeof(*hs));
	if (n.type == G_DT_REG && n.idx >= 0 && fstat(s->lx->files[n.idx].host_fd, hs) < 0)
		return -EIO;
	/* proc's environ is its owner's only; a file the host has executable, 0555. */
	hs->st_mode = n.type != G_DT_REG		       ? S_IFCHR | 0666
		      : n.idx == LX_NODE_ENVIRON	       ? S_IFREG | 0400
		      : n.idx >= 0 && s->lx->files[n.idx].exec ? S_IFREG | 0555
							       : S_IFREG | 0444;
	hs->st_rdev = n.type == G_DT_REG ? 0 : lxs_dev_rdev(n.idx);
	hs->st_ino = lxs_ino(n);
	hs->st_nlink = 1;
	return 0;
}

/* What descriptor fd refers to in the tree (type 0: something else). */
static struct lx_node node_of(const struct lx_ofd *o)
{
	if (o->kind == LX_DIR || o->kind == LX_FILE)
		return (struct lx_node){.type = o->kind == LX_DIR ? G_DT_DIR : G_DT_REG,
					.idx = (int16_t)o->file};
	if (o->kind == LX_MAPS)
		return (struct lx_node){.type = G_DT_REG, .idx = (int16_t)o->file};
	if (o->kind == LX_FDDIR)
		return (struct lx_node){.type = G_NODE_FDDIR};
	return (struct lx_node){.type = lxs_is_dev(o) ? G_DT_CHR : 0, .idx = o->kind};
}

/* What fstat shows of descriptor fd: what stat shows of a directory, a file
 * or a device; a pipe (an inode each) or an anonymous inode (one for all, as
 * Linux's) owned by the program; a stream with its host type. */
static int64_t stat_fd(struct sys *s, int fd, struct stat *hs)
{
	struct lx_ofd *o = lxs_ofd(s, fd);
	int host;

	if (fd == G_AT_FDCWD) /* AT_EMPTY_PATH from the working directory */
		return stat_node(s, (struct lx_node){.type = G_DT_DIR, .idx = (int16_t)s->lx->cwd},
				 hs);
	if (!o)
		return -EBADF;
	if (node_of(o).type)
		return stat_node(s, node_of(o), hs);
	memset(hs, 0, sizeof(*hs));
	hs->st_ino = hs->st_nlink = 1;
	if (lxs_is_made(o)) {
		/* a FIFO, or an anonymous inode (no type bits), owned by the program */
		hs->st_mode = lxs_is_pipe(o) ? S_IFIFO | 0600 : 0600;
		if (lxs_is_pipe(o))
			hs->st_ino = lxs_pipe_ino(o);
		return 0;
	}
	host = lxs_host_fd(s, o);
	if (host < 0 || fstat(host, hs) < 0) {
		*hs = (struct stat){.st_mode = S_IFCHR | 0620, .st_ino = INO_STREAM + 3};
	} else {
		hs->st_mode = (hs->st_mode & S_IFMT) | (o->kind != LX_STDIN ? 0200 : 0400);
		hs->st_ino = lxs_stream_ino(s, hs); /* not the host's */
	}
	if (!S_ISREG(hs->st_mode))
		hs->st_size = 0;
	hs->st_rdev = 0;
	hs->st_nlink = 1;
	return 0;
}

/* What stat shows of path from dirfd (flags: AT_EMPTY_PATH). */
static int64_t stat_at(struct sys *s, int dirfd, uint64_t pathp, uint64_t flags, struct stat *hs)
{
	char path[PATH_MAX_GUEST];
	struct lx_node n;
	struct lx_link l;
	int64_t r;

	if ((r = lxs_get_path(s, pathp, path)) < 0)
		return r;
	if (!path[0] && (flags & G_AT_EMPTY_PATH))
		return stat_fd(s, dirfd, hs);
	if ((flags & G_AT_SYMLINK_NOFOLLOW) && lxs_fd_link(s, dirfd, path, &l, NULL, NULL) > 0)
		return lxs_link_lstat(s, &l, hs);
	if ((r = lxs_lookup(s, dirfd, path, &n)) < 0)
		return r;
	return stat_node(s, n, hs);
}

static int64_t sys_fstat(struct sys *s, int fd, uint64_t st)
{
	struct stat hs;
	int64_t r = stat_fd(s, fd, &hs);

	return r < 0 ? r : put_stat(s, st, &hs);
}

static int64_t sys_fstatat(struct sys *s, int dirfd, uint64_t pathp, uint64_t st, uint64_t flags)
{
	struct stat hs;
	int64_t r;

	if (flags & ~(uint64_t)(G_AT_SYMLINK_NOFOLLOW | G_AT_NO_AUTOMOUNT | G_AT_EMPTY_PATH |
				G_AT_STATX_SYNC))
		return -EINVAL;
	if ((r = stat_at(s, dirfd, pathp, flags, &hs)) < 0)
		return r;
	return put_stat(s, st, &hs);
}

/* statx: Linux's order (the mask's reserved bit, both sync flags, unknown
 * flags, then the path); the basic stats, whatever the mask asks. */
static int64_t sys_statx(struct sys *s, int dirfd, uint64_t pathp, uint32_t flags, uint32_t mask,
			 uint64_t buf)
{
	struct stat hs;
	int64_t r;

	if ((mask & G_STATX__RESERVED) || (flags & G_AT_STATX_SYNC) == G_AT_STATX_SYNC)
		return -EINVAL;
	if (flags & ~(uint32_t)(G_AT_SYMLINK_NOFOLLOW | G_AT_NO_AUTOMOUNT | G_AT_EMPTY_PATH |
				G_AT_STATX_SYNC))
		return -EINVAL;
	if ((r = stat_at(s, dirfd, pathp, flags, &hs)) < 0)
		return r;
	return put_statx(s, buf, &hs);
}

/* access, faccessat(2): directories and devices may be read (and searched,
 * written) as Linux's on a read-only mount (W_OK: EROFS) and devtmpfs; files
 * only read (W_OK: EROFS too). */
static int64_t sys_access(struct sys *s, int dirfd, uint64_t pathp, uint64_t mode, uint64_t flags)
{
	char path[PATH_MAX_GUEST];
	const struct lx_ofd *o;
	struct lx_node n = {.type = G_DT_DIR, .idx = (int16_t)s->lx->cwd};
	int64_t r;

	if ((mode & ~(uint64_t)7) ||
	    (flags & ~(uint64_t)(G_AT_EACCESS | G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH)))
		return -EINVAL;
	if ((r = lxs_get_path(s, pathp, path)) < 0)
		return r;
	if (path[0] || !(flags & G_AT_EMPTY_PATH)) {
		if ((r = lxs_lookup(s, dirfd, path, &n)) < 0)
			return r;
	} else if (dirfd != G_AT_FDCWD) {
		if (!(o = lxs_ofd(s, dirfd)))
			return -EBADF;
		n = node_of(o); /* a stream, a pipe: as a file */
	}
	if (n.type == G_DT_DIR)
		return (mode & 2) ? -EROFS : 0;
	if (n.type == G_NODE_FD) /* a stream, a pipe: no x bit; root reads and writes */
		return (mode & 1) ? -EACCES : 0;
	if (n.type == G_NODE_FDDIR)
		return 0; /* procfs's dr-x------, to root */
	if (n.type == G_DT_CHR)
		return (mode & 1) ? -EACCES : 0; /* readable and writable, not executable */
	/* A file: W_OK as on a read-only mount, X_OK as for root on mode 0444 or 0555. */
	bool x = n.type == G_DT_REG && n.idx >= 0 && s->lx->files[n.idx].exec;
	return (mode & 2) ? -EROFS : (mode & 1) && !x ? -EACCES : 0;
}

/* readlink: /proc/self/exe is the one link (its target cut to size, with
 * no NUL, as Linux's); allowed files and devices are not links. */
static int64_t sys_readlink(struct sys *s, int dirfd, uint64_t pathp, uint64_t buf, int32_t size)
{
	char path[PATH_MAX_GUEST];
	int64_t r;

	if (size <= 0)
		return -EINVAL;
	struct lx_node n;
	struct lx_link l;

	if ((r = lxs_get_path(s, pathp, path)) < 0)
		return r;
	if (lxs_fd_link(s, dirfd, path, &l, NULL, NULL) > 0)
		return lxs_link_readlink(s, &l, buf, size);
	if (!strcmp(path, "/proc/self/exe")) {
		if ((r = lxs_exe_path(s, path)) < 0)
			return r;
		r = r < size ? r : size;
		return lxs_put(s, buf, path, (uint64_t)r) < 0 ? -EFAULT : r;
	}
	if ((r = lxs_lookup(s, dirfd, path, &n)) < 0)
		return r;
	return -EINVAL; /* a file or a directory, not a link */
}

/* fsync, fdatasync: Linux's files and block devices have it, its character
 * devices, pipes, eventfds and epolls do not (EINVAL). Nothing is synced:
 * the allowed files are read-only, what the program wrote is the host's. */
static int64_t sys_fsync(struct sys *s, int fd)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);
	struct stat st;
	int host;

	if (!o)
		return -EBADF;
	if (o->kind == LX_FILE || o->kind == LX_DIR)
		return 0;
	host = lxs_is_stream(o) ? lxs_host_fd(s, o) : -1;
	if (host >= 0 && fstat(host, &st) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
		return 0;
	return -EINVAL;
}

/* posix_fadvise: advice only (nothing here caches); a pipe ESPIPE, a
 * negative length or an unknown advice EINVAL, in Linux's order. */
static int64_t sys_fadvise(struct sys *s, int fd, int64_t len, int32_t advice)
{
	struct stat st;
	int64_t r = stat_fd(s, fd, &st);

	if (fd == G_AT_FDCWD || r < 0)
		return -EBADF;
	if (S_ISFIFO(st.st_mode))
		return -ESPIPE;
	return len < 0 || advice < 0 || advice > 5 ? -EINVAL : 0;
}

static int64_t sys_lseek(struct sys *s, int fd, int64_t off, uint32_t whence)
{
	struct lx_ofd *o = lxs_ofd(s, fd);
	struct stat st;
	int64_t base, size;

	if (!o)
		return -EBADF;
	if (whence > SEEK_HOLE)
		return -EINVAL;
	if (lxs_is_dev(o))
		return 0; /* Linux's null_lseek, and the random devices stay at 0 */
	if (o->kind == LX_EPOLL || o->kind == LX_EVENTFD || o->kind == LX_TIMERFD)
		return 0; /* Linux's noop_llseek */
	/* kvmlet's stdin from a regular file: its offset is the host
	 * descriptor's, which every process (and the shell that redirected it)
	 * shares, as Linux's description (head gives back what it read past). */
	const int host = lxs_host_fd(s, o);
	if (o->kind == LX_STDIN && host >= 0 && fstat(host, &st) == 0 && S_ISREG(st.st_mode)) {
		const off_t r = lseek(host, (off_t)off, (int)whence);
		return r < 0 ? -errno : (int64_t)r;
	}
	if (lxs_is_stream(o) || lxs_is_pipe(o))
		return -ESPIPE;
	if (lxs_is_dir(o) || o->kind == LX_MAPS)
		return lxs_dir_lseek(lxs_off(s, o), off, whence); /* Linux's seq_lseek too */
	if (fstat(host, &st) < 0)
		return -EIO;
	size = st.st_size;
	if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		if (off < 0 || off >= size)
			return -ENXIO;
		base = whence == SEEK_DATA ? off : size; /* no holes */
	} else {
		base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)*lxs_off(s, o) : size;
		if (__builtin_add_overflow(base, off, &base) || base < 0)
			return -EINVAL;
	}
	*lxs_off(s, o) = (uint64_t)base;
	return base;
}

/* FIONBIO: O_NONBLOCK of the description (a stream's own: the host's descriptor keeps its flags).
 */
static int64_t set_nonblock(struct sys *s, struct lx_ofd *o, uint64_t arg)
{
	int n;

	if (lxs_get(s, arg, &n, sizeof(n)) < 0)
		return -EFAULT;
	o->flags = n ? o->flags | G_O_NONBLOCK : o->flags & ~(uint32_t)G_O_NONBLOCK;
	return 0;
}

/* The requests Linux answers for every descriptor, then the random
 * devices' (EINVAL) and the terminal's. */
static int64_t sys_ioctl(struct sys *s, int fd, uint32_t req, uint64_t arg)
{
	unsigned char buf[64];
	struct lx_ofd *o = lxs_ofd(s, fd);
	struct stat st;
	int host, n;

	if (!o)
		return -EBADF;
	host = lxs_is_stream(o) ? lxs_host_fd(s, o) : -1;
	if (req == G_FIOCLEX || req == G_FIONCLEX) {
		s->lx->fds.fd[fd].cloexec = req == G_FIOCLEX;
		return 0;
	}
	if (req == G_FIONBIO)
		return set_nonblock(s, o, arg); /* nothing here ever blocks */
	if (req == G_FIOASYNC)
		return lxs_get(s, arg, &n, sizeof(n));
	if (o->kind == LX_RANDOM || o->kind == LX_URANDOM)
		return -EINVAL; /* Linux's random_ioctl: any other request */
	if (req == G_FIONREAD && o->kind == LX_FILE) {
		if (fstat(lxs_host_fd(s, o), &st) < 0)
			return -EIO;
		n = (int)(st.st_size - (int64_t)*lxs_off(s, o));
		return lxs_put(s, arg, &n, sizeof(n));
	}
	if (req == G_FIONREAD && lxs_is_pipe(o)) {
		n = s->lx->pipes->pipe[o->file].len; /* either end, as Linux's pipe_ioctl */
		return lxs_put(s, arg, &n, sizeof(n));
	}
	if (req == G_FIONREAD && host >= 0 && ioctl(host, FIONREAD, &n) == 0)
		return lxs_put(s, arg, &n, sizeof(n));
	if (host < 0 || !isatty(host))
		return -ENOTTY; /* devices and files too */
	if (req == G_TCGETS && ioctl(host, TCGETS, buf) == 0)
		return lxs_put(s, arg, buf, 36); /* the kernel's struct termios */
	if (req == G_TIOCGWINSZ && ioctl(host, TIOCGWINSZ, buf) == 0)
		return lxs_put(s, arg, buf, 8);
	return -ENOTTY;
}

/* F_GETFL: files are read-only, devices as opened (O_LARGEFILE, as Linux sets
 * on 64-bit); 0 is read, 1 and 2 written, with the host descriptor's status
 * flags as kvmlet_set_stdio found them, and O_NONBLOCK if the program set it. */
static int64_t getfl(struct sys *s, const struct lx_ofd *o)
{
	if (lxs_is_made(o))
		return o->flags & G_O_KEPT; /* made, not opened: no O_LARGEFILE */
	if (!lxs_is_stream(o))
		return (o->flags & G_O_KEPT) | G_O_LARGEFILE;
	return (s->lx->std_fl[o->kind - LX_STDIN] & (G_O_APPEND | G_O_NONBLOCK | G_O_LARGEFILE)) |
	       (o->flags & G_O_NONBLOCK) | (o->kind != LX_STDIN ? G_O_WRONLY : 0);
}

static int64_t sys_fcntl(struct sys *s, int fd, uint32_t cmd, uint64_t arg)
{
	struct lx_ofd *o = lxs_ofd(s, fd);

	if (!o)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case G_F_DUPFD_CLOEXEC:
		return lxs_dupfd(s, fd, (uint32_t)arg, cmd == G_F_DUPFD_CLOEXEC);
	case F_GETFD:
		return s->lx->fds.fd[fd].cloexec ? FD_CLOEXEC : 0;
	case F_SETFD:
		s->lx->fds.fd[fd].cloexec = arg & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		return getfl(s, o);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
		return lxs_record_lock(s, fd, cmd, arg);
	case F_SETFL: /* shared with the duplicates; the host's descriptors keep theirs */
		if (!lxs_is_stream(o))
			o->flags = (o->flags & G_O_ACCMODE) |
				   ((uint32_t)arg & (G_O_APPEND | G_O_NONBLOCK));
		else /* a read of stdin that would wait says EAGAIN */
			o->flags = (o->flags & ~(uint32_t)G_O_NONBLOCK) |
				   ((uint32_t)arg & G_O_NONBLOCK);
		return 0;
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
	case NR_creat:
		return sys_openat(s, G_AT_FDCWD, a0, G_O_CREAT | G_O_WRONLY | G_O_TRUNC);
	case NR_close:
		return lxs_close(s, fd);
	case NR_close_range:
		return lxs_close_range(s, (uint32_t)a0, (uint32_t)a1, (uint32_t)a2);
	case NR_dup:
		return lxs_dupfd(s, fd, 0, false);
	case NR_dup2:
		return lxs_dup3(s, (uint32_t)a0, (uint32_t)a1, 0, true);
	case NR_dup3:
		return lxs_dup3(s, (uint32_t)a0, (uint32_t)a1, (uint32_t)a2, false);
	case NR_fstat:
		return sys_fstat(s, fd, a1);
	case NR_stat:
		return sys_fstatat(s, G_AT_FDCWD, a0, a1, 0);
	case NR_lstat:
		return sys_fstatat(s, G_AT_FDCWD, a0, a1, G_AT_SYMLINK_NOFOLLOW);
	case NR_newfstatat:
		return sys_fstatat(s, fd, a1, a2, (uint32_t)a3);
	case NR_access:
		return sys_access(s, G_AT_FDCWD, a0, (uint32_t)a1, 0);
	case NR_faccessat:
		return sys_access(s, fd, a1, (uint32_t)a2, 0);
	case NR_faccessat2:
		return sys_access(s, fd, a1, (uint32_t)a2, (uint32_t)a3);
	case NR_readlink:
		return sys_readlink(s, G_AT_FDCWD, a0, a1, (int32_t)a2);
	case NR_readlinkat:
		return sys_readlink(s, fd, a1, a2, (int32_t)a3);
	case NR_statx:
		return sys_statx(s, fd, a1, (uint32_t)a2, (uint32_t)a3, r->r8);
	case NR_fsync:
	case NR_fdatasync:
		return sys_fsync(s, fd);
	case NR_fadvise64:
		return sys_fadvise(s, fd, (int64_t)a2, (int32_t)a3);
	case NR_syncfs:
		return fd_open(s, fd) ? 0 : -EBADF;
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
