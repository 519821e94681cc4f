/* SPDX-License-Identifier: MIT */
/*
 * linux_rofs.c: the system calls that would change the file tree, answered
 * as Linux answers them on a read-only mount, so that a program's message
 * says "Read-only file system" where it tried to write: mkdir, mknod,
 * symlink, link, unlink, rmdir, rename, chmod, chown, utimes, truncate and
 * their *at forms, and statfs. Linux's order holds: the path's own errors
 * first (EFAULT, ENAMETOOLONG, ENOENT for a missing directory on the way,
 * ENOTDIR), then what the name is (EEXIST for a name that exists, EISDIR,
 * EBUSY, ENOTEMPTY for "." and ".."), then EROFS. Paths are the tree's of
 * linux_dir.c; descriptors linux_fd.c's.
 */
#include <string.h>

#include "linux_sys.h"

enum {
	NR_truncate = 76,
	NR_ftruncate = 77,
	NR_rename = 82,
	NR_mkdir = 83,
	NR_rmdir = 84,
	NR_link = 86,
	NR_unlink = 87,
	NR_symlink = 88,
	NR_chmod = 90,
	NR_fchmod = 91,
	NR_chown = 92,
	NR_fchown = 93,
	NR_lchown = 94,
	NR_utime = 132,
	NR_mknod = 133,
	NR_statfs = 137,
	NR_fstatfs = 138,
	NR_utimes = 235,
	NR_mkdirat = 258,
	NR_mknodat = 259,
	NR_fchownat = 260,
	NR_futimesat = 261,
	NR_unlinkat = 263,
	NR_renameat = 264,
	NR_linkat = 265,
	NR_symlinkat = 266,
	NR_fchmodat = 268,
	NR_utimensat = 280,
	NR_renameat2 = 316,
};

#define G_AT_REMOVEDIR	    0x200
#define G_AT_SYMLINK_FOLLOW 0x400
#define G_RENAME_NOREPLACE  1u
#define G_RENAME_EXCHANGE   2u
#define G_RENAME_WHITEOUT   4u
#define G_UTIME_NOW	    ((1l << 30) - 1)
#define G_UTIME_OMIT	    ((1l << 30) - 2)
#define G_S_IFMT	    0170000u
#define G_S_IFDIR	    0040000u
#define G_TMPFS_MAGIC	    0x01021994
#define G_PROC_SUPER_MAGIC  0x9fa0
#define G_PIPEFS_MAGIC	    0x50495045
#define G_ANON_INODE_MAGIC  0x09041934
#define G_ST_RDONLY	    1
#define G_ST_NOSUID	    2
#define G_ST_VALID	    0x20

/* The last component of a path, as Linux's walk classifies it. */
enum { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

struct last {
	int type;
	bool exists; /* LAST_NORM: the name is in its directory */
	bool slash;  /* the path ends in a slash */
};

/*
 * Walk every component of path but the last, from dirfd (Linux's
 * filename_parentat: that walk's errors, ENOTDIR if it ends at no
 * directory), then say what the last one is there.
 */
static int64_t parent_at(struct sys *s, int dirfd, const char *path, struct last *l)
{
	char part[PATH_MAX_GUEST];
	size_t n = strlen(path), end = n, start;
	struct lx_node node;
	int64_t r;

	*l = (struct last){.type = LAST_ROOT};
	if (!n)
		return -ENOENT;
	while (end > 0 && path[end - 1] == '/')
		end--;
	l->slash = end < n;
	if (!end)
		return 0; /* "/", "//": the root, whose parent is itself */
	for (start = end; start > 0 && path[start - 1] != '/';)
		start--;
	memcpy(part, start ? path : ".", start ? start : 1);
	part[start ? start : 1] = 0;
	if ((r = lxs_lookup(s, dirfd, part, &node)) < 0)
		return r;
	if (node.type != G_DT_DIR)
		return -ENOTDIR;
	const char *name = path + start;
	const size_t len = end - start;
	if (len <= 2 && !strncmp(name, "..", len)) {
		l->type = len == 1 ? LAST_DOT : LAST_DOTDOT;
		return 0;
	}
	l->type = LAST_NORM;
	if (len > NAME_MAX_GUEST)
		return -ENAMETOOLONG;
	memcpy(part, path, end);
	part[end] = 0;
	r = lxs_lookup(s, dirfd, part, &node);
	l->exists = r == 0;
	return r == -ENOENT ? 0 : r;
}

/* The path at pathp, then its parent (parent_at). */
static int64_t get_parent(struct sys *s, int dirfd, uint64_t pathp, struct last *l)
{
	char path[PATH_MAX_GUEST];
	int64_t r = lxs_get_path(s, pathp, path);

	return r < 0 ? r : parent_at(s, dirfd, path, l);
}

/* Making a name (filename_create): EEXIST if it is there (or is the root, "."
 * or ".."), ENOENT for a trailing slash unless a directory is made, else
 * EROFS. */
static int64_t make(struct sys *s, int dirfd, uint64_t pathp, bool dir)
{
	struct last l;
	int64_t r = get_parent(s, dirfd, pathp, &l);

	if (r < 0)
		return r;
	if (l.type != LAST_NORM || l.exists)
		return -EEXIST;
	return l.slash && !dir ? -ENOENT : -EROFS;
}

/* unlink and rmdir: the directory is read-only whether or not the name is in
 * it (EROFS before the name is looked up), once "/", "." and ".." are refused. */
static int64_t remove_at(struct sys *s, int dirfd, uint64_t pathp, bool dir)
{
	static const int64_t rmdir_err[] = {
		[LAST_ROOT] = -EBUSY, [LAST_DOT] = -EINVAL, [LAST_DOTDOT] = -ENOTEMPTY};
	struct last l;
	int64_t r = get_parent(s, dirfd, pathp, &l);

	if (r < 0)
		return r;
	if (l.type != LAST_NORM)
		return dir ? rmdir_err[l.type] : -EISDIR;
	return -EROFS;
}

static int64_t rename_at(struct sys *s, int odfd, uint64_t oldp, int ndfd, uint64_t newp,
			 uint32_t flags)
{
	char o[PATH_MAX_GUEST], n[PATH_MAX_GUEST];
	struct last lo, ln;
	int64_t r;

	if ((flags & ~(G_RENAME_NOREPLACE | G_RENAME_EXCHANGE | G_RENAME_WHITEOUT)) ||
	    ((flags & (G_RENAME_NOREPLACE | G_RENAME_WHITEOUT)) && (flags & G_RENAME_EXCHANGE)))
		return -EINVAL;
	/* Both names are copied first; their errors come as the walks reach them. */
	const int64_t ro = lxs_get_path(s, oldp, o), rn = lxs_get_path(s, newp, n);
	if ((r = ro) < 0 || (r = parent_at(s, odfd, o, &lo)) < 0 || (r = rn) < 0 ||
	    (r = parent_at(s, ndfd, n, &ln)) < 0)
		return r;
	if (lo.type != LAST_NORM)
		return -EBUSY;
	if (ln.type != LAST_NORM)
		return (flags & G_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	return -EROFS;
}

/* What changing descriptor fd's file (fchmod, fchown, futimens) answers: the
 * tree's nodes are read-only; the rest (streams, pipes) the program may not
 * change. */
static int64_t change_fd(struct sys *s, int fd)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);

	if (!o)
		return -EBADF;
	return o->kind == LX_FILE || o->kind == LX_DIR || o->kind == LX_MAPS || lxs_is_dev(o)
		       ? -EROFS
		       : -EPERM;
}

/* utimensat's nanoseconds (NULL: none given): each in range, or UTIME_NOW or UTIME_OMIT. */
static bool nsec_ok(const int64_t *nsec)
{
	for (int i = 0; nsec && i < 2; i++)
		if (nsec[i] != G_UTIME_NOW && nsec[i] != G_UTIME_OMIT &&
		    (nsec[i] < 0 || nsec[i] > 999999999))
			return false;
	return true;
}

/* What changing path's file (chmod, chown, utimes) answers; an empty path
 * with AT_EMPTY_PATH is dirfd's. utimensat's nanoseconds are checked once
 * the file is found, as Linux's vfs_utimes does. */
static int64_t change_at(struct sys *s, int dirfd, uint64_t pathp, uint32_t flags,
			 const int64_t *nsec)
{
	char path[PATH_MAX_GUEST];
	struct lx_node n;
	int64_t r, verdict = -EROFS;

	if ((r = lxs_get_path(s, pathp, path)) < 0)
		return r;
	if (!path[0] && (flags & G_AT_EMPTY_PATH)) {
		if (dirfd != G_AT_FDCWD && (verdict = change_fd(s, dirfd)) == -EBADF)
			return verdict;
	} else if ((r = lxs_lookup(s, dirfd, path, &n)) < 0) {
		return r;
	}
	return nsec_ok(nsec) ? verdict : -EINVAL;
}

/* utimensat: both times UTIME_OMIT changes nothing, the path not even looked
 * at; a NULL path is dirfd's (futimens). */
static int64_t sys_utimensat(struct sys *s, int dirfd, uint64_t pathp, uint64_t timesp,
			     uint32_t flags)
{
	int64_t t[4], nsec[2];

	if (timesp) {
		if (lxs_get(s, timesp, t, sizeof(t)) < 0)
			return -EFAULT;
		if (t[1] == G_UTIME_OMIT && t[3] == G_UTIME_OMIT)
			return 0;
		nsec[0] = t[1];
		nsec[1] = t[3];
	}
	if (!pathp && dirfd != G_AT_FDCWD) {
		if (flags)
			return -EINVAL;
		const int64_t verdict = change_fd(s, dirfd);
		return verdict == -EBADF || nsec_ok(timesp ? nsec : NULL) ? verdict : -EINVAL;
	}
	if (flags & ~(uint32_t)(G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH))
		return -EINVAL;
	if (!pathp)
		return -EFAULT;
	return change_at(s, dirfd, pathp, flags, timesp ? nsec : NULL);
}

/* utimes, futimesat (struct timeval[2], microseconds checked first) and utime
 * (struct utimbuf); a NULL path with a descriptor is that descriptor's. */
static int64_t sys_utimes(struct sys *s, int dirfd, uint64_t pathp, uint64_t tvp, bool timeval)
{
	int64_t tv[4];

	if (tvp && lxs_get(s, tvp, tv, timeval ? sizeof(tv) : 16) < 0)
		return -EFAULT;
	if (tvp && timeval && (tv[1] < 0 || tv[1] >= 1000000 || tv[3] < 0 || tv[3] >= 1000000))
		return -EINVAL;
	if (!pathp && dirfd != G_AT_FDCWD)
		return change_fd(s, dirfd);
	return pathp ? change_at(s, dirfd, pathp, 0, NULL) : -EFAULT;
}

static int64_t sys_truncate(struct sys *s, uint64_t pathp, int64_t len)
{
	char path[PATH_MAX_GUEST];
	struct lx_node n;
	int64_t r;

	if (len < 0)
		return -EINVAL;
	if ((r = lxs_get_path(s, pathp, path)) < 0 || (r = lxs_lookup(s, G_AT_FDCWD, path, &n)) < 0)
		return r;
	return n.type == G_DT_DIR ? -EISDIR : n.type == G_DT_REG ? -EROFS : -EINVAL;
}

/* statfs of the tree (a read-only tmpfs), of /proc/self/maps (proc), of what
 * the program made (pipefs, anonymous inodes). */
static int64_t put_statfs(struct sys *s, uint64_t buf, int64_t type)
{
	const bool tree = type == G_TMPFS_MAGIC;
	const int64_t st[15] = {
		[0] = type,
		[1] = 4096,			/* f_bsize */
		[5] = tree ? s->lx->nfiles : 0, /* f_files */
		[8] = 255,			/* f_namelen */
		[9] = 4096,			/* f_frsize */
		[10] = G_ST_VALID | (tree ? G_ST_RDONLY | G_ST_NOSUID : 0),
	};

	return lxs_put(s, buf, st, sizeof(st));
}

static int64_t sys_fstatfs(struct sys *s, int fd, uint64_t buf)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);

	if (!o)
		return -EBADF;
	return put_statfs(s, buf,
			  o->kind == LX_MAPS || o->kind == LX_FDDIR ? G_PROC_SUPER_MAGIC
			  : lxs_is_pipe(o)			    ? G_PIPEFS_MAGIC
			  : lxs_is_made(o) || o->kind == LX_EPOLL   ? G_ANON_INODE_MAGIC
								    : G_TMPFS_MAGIC);
}

static int64_t sys_statfs(struct sys *s, uint64_t pathp, uint64_t buf)
{
	char path[PATH_MAX_GUEST];
	struct lx_node n;
	int64_t r;

	if ((r = lxs_get_path(s, pathp, path)) < 0 || (r = lxs_lookup(s, G_AT_FDCWD, path, &n)) < 0)
		return r;
	if (n.type == G_NODE_FD)
		return sys_fstatfs(s, n.idx, buf);
	return put_statfs(s, buf,
			  (n.type == G_DT_REG && n.idx < 0) || n.type == G_NODE_FDDIR
				  ? G_PROC_SUPER_MAGIC
				  : G_TMPFS_MAGIC);
}

/* mknod(at): Linux's may_mknod first (a directory EPERM, an unknown type EINVAL). */
static int64_t sys_mknod(struct sys *s, int dirfd, uint64_t pathp, uint32_t mode)
{
	switch (mode & G_S_IFMT) {
	case 0:
	case 0100000: /* S_IFREG */
	case 0020000: /* S_IFCHR */
	case 0060000: /* S_IFBLK */
	case 0010000: /* S_IFIFO */
	case 0140000: /* S_IFSOCK */
		return make(s, dirfd, pathp, false);
	case G_S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
}

/* symlink(at): the target is a path too (EFAULT; empty: ENOENT). */
static int64_t sys_symlink(struct sys *s, uint64_t targetp, int dirfd, uint64_t pathp)
{
	char target[PATH_MAX_GUEST];
	int64_t r = lxs_get_path(s, targetp, target);

	if (r < 0)
		return r;
	return target[0] ? make(s, dirfd, pathp, false) : -ENOENT;
}

/* link(at): the old name is found first (an empty one with AT_EMPTY_PATH is
 * olddfd's file), then the new one is made. */
static int64_t sys_link(struct sys *s, int odfd, uint64_t oldp, int ndfd, uint64_t newp,
			uint32_t flags)
{
	char old[PATH_MAX_GUEST];
	struct lx_node n;
	int64_t r;

	if (flags & ~(uint32_t)(G_AT_SYMLINK_FOLLOW | G_AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = lxs_get_path(s, oldp, old)) < 0)
		return r;
	if (!old[0] && (flags & G_AT_EMPTY_PATH)) {
		if (!lxs_ofd(s, odfd))
			return odfd == G_AT_FDCWD ? -ENOENT : -EBADF;
	} else if ((r = lxs_lookup(s, odfd, old, &n)) < 0) {
		return r;
	}
	return make(s, ndfd, newp, false);
}

int64_t lxs_open_create(struct sys *s, int dirfd, const char *path)
{
	struct last l;
	int64_t r = parent_at(s, dirfd, path, &l);

	if (r < 0)
		return r;
	if (l.type != LAST_NORM || l.slash)
		return -EISDIR;
	return l.exists ? -ENOENT : -EROFS;
}

int64_t lxs_rofs_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;
	const uint64_t a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10, a4 = r->r8;
	const int fd = (int32_t)a0, fd2 = (int32_t)a2;

	*served = true;
	switch (nr) {
	case NR_mkdir:
		return make(s, G_AT_FDCWD, a0, true);
	case NR_mkdirat:
		return make(s, fd, a1, true);
	case NR_mknod:
		return sys_mknod(s, G_AT_FDCWD, a0, (uint32_t)a1);
	case NR_mknodat:
		return sys_mknod(s, fd, a1, (uint32_t)a2);
	case NR_symlink:
		return sys_symlink(s, a0, G_AT_FDCWD, a1);
	case NR_symlinkat:
		return sys_symlink(s, a0, (int32_t)a1, a2);
	case NR_link:
		return sys_link(s, G_AT_FDCWD, a0, G_AT_FDCWD, a1, 0);
	case NR_linkat:
		return sys_link(s, fd, a1, fd2, a3, (uint32_t)a4);
	case NR_unlink:
		return remove_at(s, G_AT_FDCWD, a0, false);
	case NR_rmdir:
		return remove_at(s, G_AT_FDCWD, a0, true);
	case NR_unlinkat:
		if ((uint32_t)a2 & ~(uint32_t)G_AT_REMOVEDIR)
			return -EINVAL;
		return remove_at(s, fd, a1, (uint32_t)a2 & G_AT_REMOVEDIR);
	case NR_rename:
		return rename_at(s, G_AT_FDCWD, a0, G_AT_FDCWD, a1, 0);
	case NR_renameat:
		return rename_at(s, fd, a1, fd2, a3, 0);
	case NR_renameat2:
		return rename_at(s, fd, a1, fd2, a3, (uint32_t)a4);
	case NR_chmod:
		return change_at(s, G_AT_FDCWD, a0, 0, NULL);
	case NR_fchmodat:
		return change_at(s, fd, a1, 0, NULL);
	case NR_chown:
	case NR_lchown:
		return change_at(s, G_AT_FDCWD, a0, 0, NULL);
	case NR_fchownat:
		if ((uint32_t)a4 & ~(uint32_t)(G_AT_SYMLINK_NOFOLLOW | G_AT_EMPTY_PATH))
			return -EINVAL;
		return change_at(s, fd, a1, (uint32_t)a4, NULL);
	case NR_fchmod:
	case NR_fchown:
		return change_fd(s, fd);
	case NR_utimensat:
		return sys_utimensat(s, fd, a1, a2, (uint32_t)a3);
	case NR_utimes:
		return sys_utimes(s, G_AT_FDCWD, a0, a1, true);
	case NR_futimesat:
		return sys_utimes(s, fd, a1, a2, true);
	case NR_utime:
		return sys_utimes(s, G_AT_FDCWD, a0, a1, false);
	case NR_truncate:
		return sys_truncate(s, a0, (int64_t)a1);
	case NR_ftruncate:
		if ((int64_t)a1 < 0)
			return -EINVAL;
		return lxs_ofd(s, fd) ? -EINVAL : -EBADF; /* nothing is open for writing there */
	case NR_statfs:
		return sys_statfs(s, a0, a1);
	case NR_fstatfs:
		return sys_fstatfs(s, fd, a1);
	default:
		*served = false;
		return 0;
	}
}
