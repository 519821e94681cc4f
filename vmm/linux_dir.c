/* SPDX-License-Identifier: MIT */
/*
 * linux_dir.c: the program's read-only directory tree: "/", every parent
 * directory of every --file guest path, and /dev with its four devices.
 * Paths are walked as Linux's path walk does (no links here): repeated
 * slashes and "." skipped, ".." the parent ("/"'s is "/"), relative paths
 * from the working directory or a directory descriptor, ENOENT for a name
 * missing, ENOTDIR for a name used as a directory that is not one (a
 * trailing slash too). Directories can be opened, listed (getdents64,
 * getdents), stat'ed, and be the working directory (chdir, fchdir, getcwd,
 * which the host owns). The tree is built when files are allowed and stays
 * put during runs; the working directory is an index in it, saved with the
 * snapshot.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_sys.h"

#define DIR_DEV 1 /* dirs[1] is /dev, always there */

enum {
	NR_getdents = 78,
	NR_getcwd = 79,
	NR_chdir = 80,
	NR_fchdir = 81,
	NR_getdents64 = 217,
};

/* The directory whose path is the first len bytes of p, or -1. */
static int dir_find(const struct linux_host *lx, const char *p, size_t len)
{
	for (unsigned i = 0; i < lx->ndirs; i++)
		if (lx->dirs[i].len == len && !memcmp(lx->dirs[i].path, p, len))
			return (int)i;
	return -1;
}

static bool is_device(const char *p, size_t len)
{
	for (int k = LX_NULL; k <= LX_URANDOM; k++)
		if (strlen(lxs_dev_path(k)) == len && !memcmp(lxs_dev_path(k), p, len))
			return true;
	return false;
}

static bool is_file(const struct linux_host *lx, const char *p, size_t len)
{
	for (unsigned i = 0; i < lx->nfiles; i++)
		if (strlen(lx->files[i].guest_path) == len &&
		    !memcmp(lx->files[i].guest_path, p, len))
			return true;
	return false;
}

int linux_dirs_check(const struct linux_host *lx, const char *path)
{
	size_t len = strlen(path);

	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n > NAME_MAX_GUEST)
			return -ENAMETOOLONG;
		p += n + (p[n] == '/'); /* never past the NUL */
	}
	if (dir_find(lx, path, len) >= 0)
		return -EISDIR;
	if (is_device(path, len))
		return -EEXIST;
	if (lxs_link_path(path))
		return -ELOOP;
	if (lxs_proc_file(path))
		return -EBUSY;
	for (size_t i = 1; i < len; i++)
		if (path[i] == '/' && (is_file(lx, path, i) || is_device(path, i)))
			return -ENOTDIR;
	return 0;
}

/* How many parents of p the tree lacks; with add, they are appended (dirs
 * has room for them). */
static unsigned parents(struct linux_host *lx, const char *p, bool add)
{
	unsigned missing = 0;
	int parent = 0;

	for (size_t i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		int d = dir_find(lx, p, i);
		if (d < 0 && add) {
			d = (int)lx->ndirs++;
			lx->dirs[d] = (struct lx_dir){
				.path = p, .len = (uint16_t)i, .parent = (int16_t)parent};
		}
		missing += d < 0;
		parent = d;
	}
	return missing;
}

static int dent_cmp(const void *a, const void *b)
{
	const struct lx_dent *x = a, *y = b;
	int c;

	if (x->dir != y->dir)
		return x->dir - y->dir;
	c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : x->len - y->len;
}

static struct lx_dent dent(const char *path, size_t len, uint8_t type, int dir, int node)
{
	const char *name = path + len;

	while (name[-1] != '/')
		name--;
	return (struct lx_dent){.name = name,
				.len = (uint16_t)(path + len - name),
				.type = type,
				.dir = (int16_t)dir,
				.node = (int16_t)node};
}

/* Every directory's entries (e has room), sorted by name; a file's path
 * allowed twice shows once, as the first. */
static void build_entries(struct linux_host *lx, struct lx_dent *e)
{
	unsigned n = 0;

	for (unsigned d = 0; d < lx->ndirs; d++)
		lx->dirs[d].nsub = 0;
	for (unsigned d = 1; d < lx->ndirs; d++) {
		lx->dirs[lx->dirs[d].parent].nsub++;
		e[n++] = dent(lx->dirs[d].path, lx->dirs[d].len, G_DT_DIR, lx->dirs[d].parent,
			      (int)d);
	}
	for (int k = LX_NULL; k <= LX_URANDOM; k++)
		e[n++] = dent(lxs_dev_path(k), strlen(lxs_dev_path(k)), G_DT_CHR, 1, k);
	for (unsigned f = 0; f < lx->nfiles; f++) {
		const char *p = lx->files[f].guest_path;
		size_t len = strlen(p), slash = (size_t)(strrchr(p, '/') - p);
		unsigned g = 0;
		while (g < f && strcmp(lx->files[g].guest_path, p))
			g++;
		if (g == f)
			e[n++] = dent(p, len, G_DT_REG, dir_find(lx, p, slash ? slash : 1), (int)f);
	}
	qsort(e, n, sizeof(*e), dent_cmp);
	lx->ents = e;
	lx->nents = n;
	for (unsigned d = 0, i = 0; d < lx->ndirs; d++) {
		lx->dirs[d].first = i;
		while (i < n && e[i].dir == (int)d)
			i++;
		lx->dirs[d].n = i - lx->dirs[d].first;
	}
}

int linux_dirs_update(struct linux_host *lx)
{
	const char *p = lx->nfiles ? lx->files[lx->nfiles - 1].guest_path : "/";
	unsigned more = parents(lx, p, false) + (lx->dirs ? 0 : 2);
	struct lx_dir *d;
	struct lx_dent *e;

	if (lx->ndirs + more > LX_DIRS_MAX)
		return -ENOSPC;
	if (!(d = realloc(lx->dirs, (lx->ndirs + more) * sizeof(*d))))
		return -ENOMEM;
	lx->dirs = d;
	if (!(e = realloc(lx->ents, (lx->ndirs + more + lx->nfiles + 4) * sizeof(*e))))
		return -ENOMEM;
	lx->ents = e;
	if (!lx->ndirs) {
		d[0] = (struct lx_dir){.path = "/", .len = 1};
		d[1] = (struct lx_dir){.path = "/dev", .len = 4};
		lx->ndirs = 2;
	}
	parents(lx, p, true);
	build_entries(lx, e);
	return 0;
}

/* The entry name (len bytes) of directory d, or NULL. */
static const struct lx_dent *child(const struct linux_host *lx, int d, const char *name, size_t len)
{
	const struct lx_dent key = {.name = name, .len = (uint16_t)len, .dir = (int16_t)d};

	return bsearch(&key, lx->ents + lx->dirs[d].first, lx->dirs[d].n, sizeof(key), dent_cmp);
}

/* What p names from directory base, component by component as Linux walks. */
static int64_t walk(const struct linux_host *lx, int base, const char *p, struct lx_node *out)
{
	struct lx_node cur = {.type = G_DT_DIR, .idx = p[0] == '/' ? 0 : base};

	while (*p) {
		size_t len = strcspn(p, "/");
		if (len == 0) {
			p++;
			continue;
		}
		if (cur.type != G_DT_DIR)
			return -ENOTDIR;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			cur.idx = lx->dirs[cur.idx].parent;
		} else if (len != 1 || p[0] != '.') {
			if (len > NAME_MAX_GUEST)
				return -ENAMETOOLONG;
			const struct lx_dent *e = child(lx, cur.idx, p, len);
			if (!e)
				return -ENOENT;
			cur = (struct lx_node){.type = e->type, .idx = e->node};
		}
		p += len;
		if (*p == '/' && cur.type != G_DT_DIR)
			return -ENOTDIR; /* a trailing slash too */
	}
	*out = cur;
	return 0;
}

int64_t lxs_get_path(struct sys *s, uint64_t va, char *out)
{
	for (uint64_t i = 0; i < PATH_MAX_GUEST; i++) {
		if (lxs_get(s, va + i, &out[i], 1) < 0)
			return -EFAULT;
		if (!out[i])
			return 0;
	}
	return -ENAMETOOLONG;
}

int64_t lxs_lookup(struct sys *s, int dirfd, const char *path, struct lx_node *out)
{
	const struct lx_ofd *o;
	char rest[PATH_MAX_GUEST], clean[PATH_MAX_GUEST];
	struct lx_link l;
	int64_t r;
	int k;

	if (!path[0])
		return -ENOENT;
	if ((k = lxs_fd_link(s, dirfd, path, &l, rest, clean)) < 0)
		return k;
	if (k) {
		if ((r = lxs_link_node(s, &l, out)) < 0)
			return r;
		bool dir = out->type == G_DT_DIR || out->type == G_NODE_FDDIR;
		if (k == 1)
			return path[strlen(path) - 1] == '/' && !dir ? -ENOTDIR : 0;
		/* On from a directory the link leads to (a tree's: /proc/self/fd's
		 * own entries are reached by their paths, not through it). */
		return out->type == G_DT_DIR ? walk(s->lx, out->idx, rest, out) : -ENOTDIR;
	}
	if ((k = lxs_proc_file(clean))) {
		*out = (struct lx_node){.type = G_DT_REG, .idx = (int16_t)k};
		return 0;
	}
	if (path[0] == '/' || dirfd == G_AT_FDCWD)
		return walk(s->lx, s->lx->cwd, path, out);
	if (!(o = lxs_ofd(s, dirfd)))
		return -EBADF;
	if (o->kind != LX_DIR)
		return -ENOTDIR;
	return walk(s->lx, o->file, path, out);
}

uint64_t lxs_ino(struct lx_node n)
{
	if (n.type == G_DT_REG && n.idx < 0) /* /proc/self's files */
		return INO_PROC + 0x10u * (uint64_t)(-1 - n.idx);
	return n.type == G_DT_DIR   ? 2u + (uint64_t)n.idx
	       : n.type == G_DT_REG ? INO_FILES + (uint64_t)n.idx
				    : INO_DEVS + (uint64_t)n.idx;
}

void lxs_dir_stat(const struct linux_host *lx, int d, struct stat *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->st_mode = S_IFDIR | 0555;
	hs->st_nlink = 2u + lx->dirs[d].nsub;
	hs->st_ino = lxs_ino((struct lx_node){.type = G_DT_DIR, .idx = (int16_t)d});
	hs->st_size = 4096;
}

/* As Linux's dcache_dir_lseek: SEEK_SET and SEEK_CUR to any position >= 0. */
int64_t lxs_dir_lseek(uint64_t *pos, int64_t off, uint32_t whence)
{
	if (whence == SEEK_CUR && __builtin_add_overflow(off, (int64_t)*pos, &off))
		return -EINVAL;
	if ((whence != SEEK_SET && whence != SEEK_CUR) || off < 0)
		return -EINVAL;
	*pos = (uint64_t)off;
	return off;
}

/* Entry k of directory d: ".", "..", its entries, and in /dev the links
 * a Linux system has there (fd, stderr, stdin, stdout: linux_fdlink.c);
 * false past the end. */
static bool entry(const struct linux_host *lx, int d, uint64_t k, struct lx_dent *e, uint64_t *ino)
{
	static const char *const links[] = {"fd", "stderr", "stdin", "stdout"};
	const uint64_t n = lx->dirs[d].n, nlinks = d == DIR_DEV ? 4 : 0;
	struct lx_node node;

	if (k < 2) {
		*e = (struct lx_dent){.name = "..", .len = (uint16_t)(k ? 2 : 1), .type = G_DT_DIR};
		node = (struct lx_node){.type = G_DT_DIR,
					.idx = k ? lx->dirs[d].parent : (int16_t)d};
	} else if (k < 2 + n) {
		*e = lx->ents[lx->dirs[d].first + k - 2];
		node = (struct lx_node){.type = e->type, .idx = e->node};
	} else if (k < 2 + n + nlinks) {
		const char *name = links[k - 2 - n];
		*e = (struct lx_dent){
			.name = name, .len = (uint16_t)strlen(name), .type = G_DT_LNK};
		*ino = INO_DEVLINK + (k - 2 - n);
		return true;
	} else {
		return false;
	}
	*ino = lxs_ino(node);
	return true;
}

/* getdents64 (and the old getdents, wide 0): as many whole entries as fit
 * in count bytes, each with the next one's position as d_off; EINVAL if the
 * first does not fit, EFAULT if it cannot be written, 0 at the end. A
 * directory of the tree, or /proc/self/fd (linux_fdlink.c). */
static int64_t sys_getdents(struct sys *s, int fd, uint64_t buf, uint32_t count, bool wide)
{
	struct lx_ofd *o = lxs_ofd(s, fd);
	uint64_t done = 0, rec[(19 + NAME_MAX_GUEST + 2 + 7) / 8];
	int64_t err = 0;

	if (!o)
		return -EBADF;
	if (!lxs_is_dir(o))
		return -ENOTDIR;
	for (;;) {
		struct lx_dent e;
		uint64_t ino, pos = *lxs_off(s, o);
		char name[12];
		if (o->kind == LX_FDDIR) {
			if (!lxs_fddir_entry(s, &pos, name, &e.type, &ino))
				break;
			e.name = name;
			e.len = (uint16_t)strlen(name);
		} else if (!entry(s->lx, o->file, pos, &e, &ino)) {
			break;
		}
		size_t head = wide ? 19 : 18,
		       len = (head + e.len + (wide ? 1 : 2) + 7) & ~(size_t)7;
		if (len > count - done) {
			err = -EINVAL;
			break;
		}
		memset(rec, 0, len);
		rec[0] = ino;
		rec[1] = pos + 1;
		memcpy((char *)rec + 16, &(uint16_t){(uint16_t)len}, 2);
		memcpy((char *)rec + head, e.name, e.len);
		((uint8_t *)rec)[wide ? 18 : len - 1] = e.type;
		if (lxs_put(s, buf + done, rec, len) < 0) {
			err = -EFAULT;
			break;
		}
		done += len;
		*lxs_off(s, o) = pos + 1;
	}
	return done ? (int64_t)done : err;
}

/* chdir and fchdir: a directory, else ENOTDIR (ENOENT for nothing). */
static int64_t sys_chdir(struct sys *s, uint64_t pathp, int fd, bool by_fd)
{
	char path[PATH_MAX_GUEST];
	const struct lx_ofd *o;
	struct lx_node n;
	int64_t r;

	if (by_fd) {
		if (!(o = lxs_ofd(s, fd)))
			return -EBADF;
		n = (struct lx_node){.type = o->kind == LX_DIR ? G_DT_DIR : G_DT_REG,
				     .idx = (int16_t)o->file};
	} else if ((r = lxs_get_path(s, pathp, path)) < 0 ||
		   (r = lxs_lookup(s, G_AT_FDCWD, path, &n)) < 0) {
		return r;
	}
	if (n.type != G_DT_DIR)
		return -ENOTDIR;
	s->lx->cwd = n.idx;
	return 0;
}

/* getcwd: the path and its NUL, ERANGE if size cannot hold them. */
static int64_t sys_getcwd(struct sys *s, uint64_t buf, uint64_t size)
{
	const struct lx_dir *d = &s->lx->dirs[s->lx->cwd];
	char path[PATH_MAX_GUEST];

	if (size < d->len + 1u)
		return -ERANGE;
	memcpy(path, d->path, d->len);
	path[d->len] = '\0';
	return lxs_put(s, buf, path, d->len + 1u) < 0 ? -EFAULT : d->len + 1;
}

int64_t lxs_dir_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;

	*served = true;
	switch (nr) {
	case NR_getdents64:
	case NR_getdents:
		return sys_getdents(s, (int32_t)r->rdi, r->rsi, (uint32_t)r->rdx,
				    nr == NR_getdents64);
	case NR_chdir:
		return sys_chdir(s, r->rdi, 0, false);
	case NR_fchdir:
		return sys_chdir(s, 0, (int32_t)r->rdi, true);
	case NR_getcwd:
		return sys_getcwd(s, r->rdi, r->rsi);
	default:
		*served = false;
		return 0;
	}
}
