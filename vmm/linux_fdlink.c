/* SPDX-License-Identifier: MIT */
/*
 * linux_fdlink.c: the paths that name a descriptor, as Linux's links do:
 * /dev/stdin, /dev/stdout and /dev/stderr (links to /proc/self/fd/0, 1, 2),
 * /dev/fd/N (through the link /dev/fd) and /proc/self/fd/N (also as
 * /proc/thread-self/fd/N and /proc/1/fd/N). Following one reaches what
 * descriptor N refers to: a file, directory or device of the tree opens anew
 * (an offset of its own, as Linux's reopen), a pipe's end opens the pipe, a
 * standard stream opens in the direction kvmlet gave it. lstat and readlink
 * see the link itself. /proc/self/fd (and /dev/fd) lists the open
 * descriptors' links, as procfs does.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "linux_sys.h"

/* The names of the process's own /proc directory. */
static const char *const proc_self_dirs[] = {"/proc/self/", "/proc/thread-self/", "/proc/1/"};

/* /proc's files, by their node (linux_maps.c reads them): under /proc/self/
 * (also thread-self, 1), or in /proc itself; /proc/mounts is Linux's link
 * to self/mounts, followed. */
static const struct {
	const char *name;
	int node;
	bool top;
} proc_files[] = {
	{"maps", LX_NODE_MAPS, false},		 {"cmdline", LX_NODE_CMDLINE, false},
	{"environ", LX_NODE_ENVIRON, false},	 {"mounts", LX_NODE_MOUNTS, false},
	{"mountinfo", LX_NODE_MOUNTINFO, false}, {"mounts", LX_NODE_MOUNTS, true},
	{"meminfo", LX_NODE_MEMINFO, true},	 {"uptime", LX_NODE_UPTIME, true},
};

static const char *const std_links[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};

/* The length of the /proc/self/ (or /proc/thread-self/, /proc/1/) that
 * clean starts with, or 0. */
static size_t proc_self(const char *clean)
{
	for (size_t i = 0; i < sizeof(proc_self_dirs) / sizeof(proc_self_dirs[0]); i++) {
		size_t n = strlen(proc_self_dirs[i]);
		if (!strncmp(clean, proc_self_dirs[i], n))
			return n;
	}
	return 0;
}

/* Does clean start with the name word, as a whole path component? */
static bool starts(const char *clean, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(clean, word, n) && (!clean[n] || clean[n] == '/');
}

/* What follows /proc/self/fd or /dev/fd in clean ("" or "/..."), or NULL. */
static const char *fd_dir_rest(const char *clean, bool *dev)
{
	size_t p = proc_self(clean);

	*dev = !p;
	if (p && starts(clean + p, "fd"))
		return clean + p + 2;
	return starts(clean, "/dev/fd") ? clean + 7 : NULL;
}

/* A descriptor's number as procfs reads a name (up to a slash): decimal,
 * no sign, no leading zero; -1 if name is none. */
static int fd_number(const char *name)
{
	long n = 0;

	if (!*name || *name == '/' || (name[0] == '0' && name[1] && name[1] != '/'))
		return -1;
	for (; *name && *name != '/'; name++) {
		if (*name < '0' || *name > '9' || n > 0x7fffffff / 10)
			return -1;
		n = n * 10 + (*name - '0');
	}
	return n > 0x7fffffff ? -1 : (int)n;
}

/* path from dirfd as an absolute, cleaned path in out: 1; 0 if the walk
 * cannot start there (left to lxs_lookup's errors); -ENOTDIR if it goes
 * on past one of /proc's files. */
static int absolute(struct sys *s, int dirfd, const char *path, char *out)
{
	static const struct lx_dir fddir = {.path = "/proc/self/fd", .len = 13};
	char joined[PATH_MAX_GUEST];
	const struct lx_ofd *o = dirfd == G_AT_FDCWD ? NULL : lxs_ofd(s, dirfd);
	const struct lx_dir *d;

	if (path[0] == '/') {
		if (strlen(path) >= sizeof(joined))
			return 0;
		strcpy(joined, path);
	} else {
		if (dirfd == G_AT_FDCWD)
			d = &s->lx->dirs[s->lx->cwd];
		else if (o && o->kind == LX_DIR)
			d = &s->lx->dirs[o->file];
		else if (o && o->kind == LX_FDDIR)
			d = &fddir; /* openat(a descriptor of /proc/self/fd, "3") */
		else
			return 0;
		if ((size_t)d->len + 1 + strlen(path) >= sizeof(joined))
			return 0;
		memcpy(joined, d->path, d->len);
		joined[d->len] = '/';
		strcpy(joined + d->len + 1, path);
	}
	int r = linux_path_clean_files(joined, out, lxs_proc_file);
	return r == -ENOTDIR ? r : r >= 0;
}

/* The link at the start of clean (a cleaned absolute path): 1 if it is the
 * whole path, 2 if it goes on (what follows it in *rest), 0 if none. */
static int match(const char *clean, struct lx_link *l, const char **rest)
{
	const char *after;
	bool dev;

	for (int i = 0; i < 3; i++)
		if (starts(clean, std_links[i])) {
			*l = (struct lx_link){.fd = i, .dev = true};
			*rest = clean + strlen(std_links[i]);
			return **rest ? 2 : 1;
		}
	if (!(after = fd_dir_rest(clean, &dev)))
		return 0;
	if (!after[0]) {
		*l = (struct lx_link){.fd = -1, .dev = dev}; /* the directory */
		return 1;
	}
	*l = (struct lx_link){.fd = fd_number(after + 1)};
	if (l->fd < 0)
		return 0;
	*rest = after + 1 + strcspn(after + 1, "/");
	return **rest ? 2 : 1;
}

bool lxs_link_path(const char *path)
{
	bool dev;

	for (int i = 0; i < 3; i++)
		if (starts(path, std_links[i]))
			return true;
	return fd_dir_rest(path, &dev) != NULL;
}

/* What a descriptor of node links to: /proc/1/NAME (procfs's own name of
 * /proc/self) or /proc/NAME. */
static int proc_file_link(int node, char *out)
{
	for (size_t k = 0; k < sizeof(proc_files) / sizeof(proc_files[0]); k++)
		if (proc_files[k].node == node)
			return snprintf(out, PATH_MAX_GUEST, "/proc/%s%s",
					proc_files[k].top ? "" : "1/", proc_files[k].name);
	return snprintf(out, PATH_MAX_GUEST, "anon_inode:[kvmlet]");
}

int lxs_proc_file(const char *clean)
{
	size_t p = proc_self(clean);
	const char *top = !strncmp(clean, "/proc/", 6) ? clean + 6 : NULL;

	for (size_t k = 0; k < sizeof(proc_files) / sizeof(proc_files[0]); k++) {
		const char *name = proc_files[k].top ? top : p ? clean + p : NULL;
		if (name && !strcmp(name, proc_files[k].name))
			return proc_files[k].node;
	}
	return 0;
}

int lxs_fd_link(struct sys *s, int dirfd, const char *path, struct lx_link *l, char *rest,
		char *clean)
{
	char own[PATH_MAX_GUEST];
	const char *after = NULL;
	int k = 0;

	clean = clean ? clean : own;
	if (!path[0] || (k = absolute(s, dirfd, path, clean)) <= 0) {
		clean[0] = 0;
		return k;
	}
	if (!(k = match(clean, l, &after)))
		return 0;
	if (k == 2 && !rest)
		return 0; /* a path through a link, not to one */
	if (k == 2) {
		/* relative to the directory the link reaches; a trailing slash kept */
		size_t n = strlen(after + 1);
		memcpy(rest, after + 1, n);
		strcpy(rest + n, path[strlen(path) - 1] == '/' ? "/" : "");
	}
	return k;
}

int64_t lxs_link_node(struct sys *s, const struct lx_link *l, struct lx_node *out)
{
	const int fd = l->fd;
	const struct lx_ofd *o = lxs_ofd(s, fd); /* NULL for -1 */

	if (fd < 0) {
		*out = (struct lx_node){.type = G_NODE_FDDIR, .link = l->dev};
		return 0;
	}
	if (!o)
		return -ENOENT; /* no such entry in /proc/self/fd */
	if (o->kind == LX_FDDIR) {
		*out = (struct lx_node){.type = G_NODE_FDDIR, .link = true};
		return 0;
	}
	if (o->kind == LX_DIR || o->kind == LX_FILE)
		*out = (struct lx_node){.type = o->kind == LX_DIR ? G_DT_DIR : G_DT_REG,
					.idx = (int16_t)o->file};
	else if (o->kind == LX_MAPS)
		*out = (struct lx_node){.type = G_DT_REG, .idx = (int16_t)o->file};
	else if (lxs_is_dev(o))
		*out = (struct lx_node){.type = G_DT_CHR, .idx = o->kind};
	else
		*out = (struct lx_node){.type = G_NODE_FD, .idx = (int16_t)fd};
	out->link = true;
	return 0;
}

int64_t lxs_link_open(struct sys *s, int fd, uint32_t kept, bool cloexec)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);
	const uint32_t acc = kept & G_O_ACCMODE;

	if (!o)
		return -ENOENT;
	struct lx_ofd n = {.kind = o->kind, .file = o->file, .flags = kept};
	if (lxs_is_stream(o)) {
		/* Only the way kvmlet gave it: stdin read, stdout and stderr written. */
		if (acc != (o->kind == LX_STDIN ? 0u : 1u))
			return -EACCES;
		n.file = -1;
	} else if (lxs_is_pipe(o)) {
		/* Either end, whichever fd is, and at once (Linux waits for the
		 * other end only on a named FIFO). */
		if (acc == 2 || acc == 3)
			return -EINVAL; /* Linux would open both ends in one */
		n.kind = acc == 0 ? LX_PIPE_R : LX_PIPE_W;
	} else {
		return -ENXIO; /* an eventfd, timerfd or epoll: no inode to open */
	}
	int r = lxs_fd_open(s, &n, cloexec);
	if (r >= 0 && n.kind == LX_PIPE_R)
		s->lx->pipes->pipe[n.file].readers++;
	else if (r >= 0 && n.kind == LX_PIPE_W)
		s->lx->pipes->pipe[n.file].writers++;
	return r;
}

uint64_t lxs_stream_ino(struct sys *s, const struct stat *st)
{
	for (int j = 0; j < 3; j++) {
		struct stat o;
		if (s->lx->std[j] >= 0 && fstat(s->lx->std[j], &o) == 0 && o.st_dev == st->st_dev &&
		    o.st_ino == st->st_ino)
			return INO_STREAM + (uint64_t)j;
	}
	return INO_STREAM + 3;
}

/*
 * What a standard stream's link reads as: never the host's path, and no path
 * that leads back to a link (/dev/stdin would: a program that follows link
 * text itself, as `readlink -f`, would go round for ever). A host pipe or
 * socket is named as Linux names one, with the inode fstat shows; anything
 * else (a file, a terminal) by an anonymous name of the same shape.
 */
static int stream_name(struct sys *s, const struct lx_ofd *o, char *out)
{
	static const char *const own[] = {"kvmlet:[stdin]", "kvmlet:[stdout]", "kvmlet:[stderr]"};
	const int host = lxs_host_fd(s, o);
	struct stat st;

	if (host < 0 || fstat(host, &st) < 0 || (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)))
		return snprintf(out, PATH_MAX_GUEST, "%s", own[o->kind - LX_STDIN]);
	return snprintf(out, PATH_MAX_GUEST, "%s:[%llu]", S_ISFIFO(st.st_mode) ? "pipe" : "socket",
			(unsigned long long)lxs_stream_ino(s, &st));
}

/* The target of /proc/self/fd/N: a tree path, a device's, pipe:[N] with
 * fstat's inode, an anonymous inode's name, a standard stream's name. */
static int link_target(struct sys *s, const struct lx_link *l, char *out)
{
	/* What no path names: its name by kind (the devices': theirs) */
	static const char *const named[] = {
		[LX_FDDIR] = "/proc/1/fd",
		[LX_EPOLL] = "anon_inode:[eventpoll]",
		[LX_EVENTFD] = "anon_inode:[eventfd]",
		[LX_TIMERFD] = "anon_inode:[timerfd]",
	};
	const struct lx_ofd *o = lxs_ofd(s, l->fd);
	const char *name;

	if (l->dev)
		return l->fd < 0 ? snprintf(out, PATH_MAX_GUEST, "/proc/self/fd")
				 : snprintf(out, PATH_MAX_GUEST, "/proc/self/fd/%d", l->fd);
	if (l->fd < 0)
		return -EINVAL; /* /proc/self/fd is a directory */
	if (!o)
		return -ENOENT;
	if (o->kind == LX_FILE)
		name = s->lx->files[o->file].guest_path;
	else if (o->kind == LX_MAPS)
		return proc_file_link(o->file, out);
	else if (o->kind == LX_DIR)
		return snprintf(out, PATH_MAX_GUEST, "%.*s", s->lx->dirs[o->file].len,
				s->lx->dirs[o->file].path);
	else if (lxs_is_dev(o))
		name = lxs_dev_path(o->kind);
	else if (lxs_is_stream(o))
		return stream_name(s, o, out);
	else if (lxs_is_pipe(o))
		return snprintf(out, PATH_MAX_GUEST, "pipe:[%llu]",
				(unsigned long long)lxs_pipe_ino(o));
	else
		name = o->kind < sizeof(named) / sizeof(named[0]) ? named[o->kind] : NULL;
	return snprintf(out, PATH_MAX_GUEST, "%s", name ? name : "anon_inode:[kvmlet]");
}

int64_t lxs_link_readlink(struct sys *s, const struct lx_link *l, uint64_t buf, int32_t size)
{
	char target[PATH_MAX_GUEST];
	int r = link_target(s, l, target);

	if (r < 0)
		return r;
	r = r < size ? r : size;
	return lxs_put(s, buf, target, (uint64_t)r) < 0 ? -EFAULT : r;
}

int64_t lxs_link_lstat(struct sys *s, const struct lx_link *l, struct stat *hs)
{
	const struct lx_ofd *o = lxs_ofd(s, l->fd);

	memset(hs, 0, sizeof(*hs));
	hs->st_nlink = 1;
	hs->st_ino = 1;
	if (l->dev) {
		/* devtmpfs's link: lrwxrwxrwx, its target's length */
		hs->st_mode = S_IFLNK | 0777;
		hs->st_size = l->fd < 0 ? 13 : 15; /* "/proc/self/fd", "/proc/self/fd/N" */
		return 0;
	}
	if (l->fd < 0) {
		lxs_fddir_stat(hs);
		return 0;
	}
	if (!o)
		return -ENOENT;
	/* procfs's: r-x for a description open for reading, -wx for writing */
	hs->st_mode = S_IFLNK | (lxs_can_read(o) ? 0500 : 0) | (lxs_can_write(o) ? 0300 : 0);
	hs->st_size = 64;
	return 0;
}

void lxs_fddir_stat(struct stat *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->st_mode = S_IFDIR | 0500; /* procfs's dr-x------ */
	hs->st_nlink = 2;
	hs->st_ino = INO_FDDIR;
}

bool lxs_fddir_entry(struct sys *s, uint64_t *pos, char *name, uint8_t *type, uint64_t *ino)
{
	if (*pos < 2) {
		strcpy(name, *pos ? ".." : ".");
		*type = G_DT_DIR;
		*ino = INO_FDDIR; /* ".." as well: not a directory of the tree */
		return true;
	}
	for (uint64_t fd = *pos - 2; fd < LX_FDS_MAX; fd++)
		if (lxs_ofd(s, (int)fd)) {
			*pos = fd + 2;
			snprintf(name, 12, "%d", (int)fd);
			*type = G_DT_LNK;
			*ino = INO_FDLINK + fd;
			return true;
		}
	return false;
}
