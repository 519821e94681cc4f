/* SPDX-License-Identifier: MIT */
/*
 * linux_exec.c: execve and execveat. The program in the sandbox is replaced
 * by an allowed file's, as Linux's exec replaces a process's image: a static
 * ELF program, or a script whose "#!" line names one (four scripts deep at
 * most). Everything is checked first, in Linux's order, with its errno; then
 * the old program is gone: the memory is cleared and built anew for the new
 * image (build.c), descriptors marked close-on-exec are closed, the stack gets
 * the new argv, envp and auxv, and the vCPU enters the new program at its
 * entry. The guest's kernel hands over what Linux keeps (ignored signals, the
 * mask, ids, umask, nice: struct kvmlet_exec_carry); the host keeps the rest
 * (descriptors, the working directory, locks). The snapshot's program comes
 * back with the next reset (reset.c, linux.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "error.h"
#include "linux_sys.h"
#include "reset.h"
#include "start.h"

#define NR_execve	59
#define NR_execveat	322
#define MAX_ARG_STRLEN	(32u * 4096) /* Linux's: one string, with its NUL */
#define MAX_ARG_STRINGS 0x7fffffffu
#define ARG_MIN		(32u * 4096) /* Linux's ARG_MAX: the least room for strings */
#define ARG_STK_MAX	(6u << 20)   /* _STK_LIM / 4 * 3 */
#define SCRIPT_DEPTH	5	     /* scripts in a row (Linux 6.1's exec_binprm) */
#define SCRIPT_BUF	256	     /* Linux's BINPRM_BUF_SIZE */

/* A vector of strings being made: argv or envp. */
struct strv {
	char **v;
	uint64_t n, cap;
};

static void strv_free(struct strv *a)
{
	linux_strv_free(a->v);
	*a = (struct strv){0};
}

/* Append a copy of len bytes of str (and a NUL): 0 or -ENOMEM. */
static int strv_add(struct strv *a, const char *str, size_t len)
{
	if (a->n + 2 > a->cap) {
		uint64_t cap = a->cap ? 2 * a->cap : 16;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	if (!(a->v[a->n] = malloc(len + 1)))
		return -ENOMEM;
	memcpy(a->v[a->n], str, len);
	a->v[a->n][len] = 0;
	a->v[++a->n] = NULL;
	return 0;
}

/* The program's string at va, at most MAX_ARG_STRLEN bytes with its NUL,
 * read a page at a time into buf (a page that cannot be read holds none of
 * it, since its NUL was not on the pages before): its length, -EFAULT, or
 * -E2BIG. */
static int64_t get_arg(struct sys *s, uint64_t va, char *buf)
{
	uint64_t got = 0;

	while (got < MAX_ARG_STRLEN) {
		uint64_t n = 4096 - ((va + got) & 4095);
		n = n < MAX_ARG_STRLEN - got ? n : MAX_ARG_STRLEN - got;
		if (!lxs_range_ok(va + got, n) || lxs_get(s, va + got, buf + got, n) < 0)
			return -EFAULT;
		char *nul = memchr(buf + got, 0, n);
		if (nul)
			return nul - buf;
		got += n;
	}
	return -E2BIG;
}

/* How many pointers the vector at va has before its NULL (va 0: none), as
 * Linux's count(): -EFAULT for one it cannot read, -E2BIG past MAX_ARG_STRINGS
 * or past max (more pointers than the strings' room could hold: E2BIG later
 * anyway; Linux reads on, and a bad pointer past there is its EFAULT). */
static int64_t count_strv(struct sys *s, uint64_t va, uint64_t max)
{
	uint64_t n = 0, p;

	for (; va; n++) {
		if (n >= MAX_ARG_STRINGS || n > max)
			return -E2BIG;
		if (!lxs_range_ok(va + 8 * n, 8) || lxs_get(s, va + 8 * n, &p, 8) < 0)
			return -EFAULT;
		if (!p)
			break;
	}
	return (int64_t)n;
}

/* Copy n strings of the vector at va into a (after what it has), spending
 * *room bytes at most: 0, -EFAULT, -E2BIG or -ENOMEM. */
static int64_t get_strv(struct sys *s, uint64_t va, uint64_t n, struct strv *a, uint64_t *room,
			char *buf)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t p;
		int64_t len = -EFAULT;
		if (lxs_get(s, va + 8 * i, &p, 8) < 0 || (len = get_arg(s, p, buf)) < 0)
			return len;
		if ((uint64_t)len + 1 > *room)
			return -E2BIG;
		*room -= (uint64_t)len + 1;
		if (strv_add(a, buf, (size_t)len) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The allowed file a lookup found, for running: its index, or -EACCES for
 * anything else (a directory, a device, a stream or pipe, /proc's files) and
 * for a file whose host file has no x bit. */
static int64_t exec_file(struct sys *s, struct lx_node n)
{
	if (n.type == G_NODE_FD) {
		const struct lx_ofd *o = lxs_ofd(s, n.idx);
		if (!o || o->kind != LX_FILE)
			return -EACCES;
		n = (struct lx_node){.type = G_DT_REG, .idx = (int16_t)o->file};
	}
	if (n.type != G_DT_REG || n.idx < 0 || !s->lx->files[n.idx].exec)
		return -EACCES;
	return n.idx;
}

/* Look path up from dirfd (execveat's flags) for running: the file's index or
 * an errno. An empty path with AT_EMPTY_PATH is dirfd itself. */
static int64_t exec_lookup(struct sys *s, int dirfd, const char *path, uint64_t flags)
{
	struct lx_node n;
	int64_t r;

	if (!path[0] && (flags & G_AT_EMPTY_PATH)) {
		if (dirfd == G_AT_FDCWD)
			return -EACCES; /* the working directory: a directory */
		if (!lxs_ofd(s, dirfd))
			return -EBADF;
		n = (struct lx_node){.type = G_NODE_FD, .idx = (int16_t)dirfd};
	} else if ((r = lxs_lookup(s, dirfd, path, &n)) < 0) {
		return r;
	} else if (n.link && (flags & G_AT_SYMLINK_NOFOLLOW)) {
		return -ELOOP;
	}
	return exec_file(s, n);
}

/* The whole of allowed file f, malloc'ed: its size, -ENOMEM (larger than guest
 * memory, or no memory), -EIO. */
static int64_t read_file(struct sys *s, int f, char **out)
{
	int fd = s->lx->files[f].host_fd;
	struct stat st;
	uint64_t got = 0;

	if (fstat(fd, &st) < 0)
		return -EIO;
	if ((uint64_t)st.st_size > s->sb->cfg.mem_size || !(*out = malloc((size_t)st.st_size + 1)))
		return -ENOMEM;
	while (got < (uint64_t)st.st_size) {
		ssize_t n = pread(fd, *out + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0) {
			free(*out);
			return -EIO;
		}
		got += (uint64_t)n;
	}
	return (int64_t)got;
}

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

static bool terminator(char c)
{
	return spacetab(c) || !c;
}

/* Linux's binfmt_script: see linux_sys.h. */
int lxs_exec_script(const char *data, uint64_t size, char *interp, char *arg)
{
	char buf[SCRIPT_BUF] = {0};
	char *end, *name, *sep;

	memcpy(buf, data, size < SCRIPT_BUF ? size : SCRIPT_BUF);
	if (size < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	if (!(end = memchr(buf, '\n', SCRIPT_BUF))) {
		char *last = buf + SCRIPT_BUF - 1, *p = buf + 2;
		while (p < last && spacetab(*p))
			p++;
		if (p == last)
			return -ENOEXEC; /* spaces and tabs only */
		while (p < last && !terminator(*p))
			p++;
		if (p == last)
			return -ENOEXEC; /* the interpreter's name was cut */
		end = last;
	}
	while (end > buf + 2 && spacetab(end[-1]))
		end--;
	*end = 0;
	for (name = buf + 2; name < end && spacetab(*name);)
		name++;
	if (name == end)
		return -ENOEXEC;
	for (sep = name; sep < end && !terminator(*sep);)
		sep++;
	arg[0] = 0;
	if (sep < end && *sep) {
		char *a = sep;
		while (a < end && spacetab(*a))
			a++;
		memcpy(arg, a, (size_t)(end - a) + 1);
	}
	*sep = 0;
	memcpy(interp, name, (size_t)(sep - name) + 1);
	return 0;
}

/* What execve will run, once every check passed. */
struct exec_job {
	struct strv argv, envp;
	char *path;    /* AT_EXECFN: the path as given */
	char comm[16]; /* its name (PR_GET_NAME) */
	char *data;    /* the ELF file */
	uint64_t size;
	struct build_plan plan;
};

static void job_free(struct exec_job *j)
{
	strv_free(&j->argv);
	strv_free(&j->envp);
	free(j->path);
	free(j->data);
}

/*
 * The file at index f: an ELF program planned for this sandbox's memory, or a
 * script, whose interpreter (looked up from the working directory, as Linux
 * does) takes its place with argv[0] replaced by interp, arg (if any) and
 * the script's path. -ENOEXEC, -ENOMEM, -ELOOP (scripts too deep) or the
 * interpreter's lookup's errno.
 */
static int64_t load(struct sys *s, int64_t f, struct exec_job *j)
{
	char interp[SCRIPT_BUF], arg[SCRIPT_BUF];
	struct kvmlet_error scratch;
	struct kvmlet_config cfg = s->sb->cfg;
	int64_t r;

	for (int depth = 0;; depth++) {
		free(j->data);
		j->data = NULL;
		if ((r = read_file(s, (int)f, &j->data)) < 0)
			return r;
		j->size = (uint64_t)r;
		if (j->size >= 4 && !memcmp(j->data, "\177ELF", 4)) {
			r = build_plan(&j->plan, j->data, j->size, &cfg, &scratch);
			return r == -E2BIG ? -ENOMEM : r < 0 ? -ENOEXEC : 0;
		}
		if ((r = lxs_exec_script(j->data, j->size, interp, arg)) < 0)
			return r;
		/* argv: interp [arg] script argv[1..]; a script run by a script is
		 * named by the interpreter path that ran it, as Linux does. */
		struct strv v = {0};
		const char *script = depth ? j->argv.v[0] : j->path;
		r = strv_add(&v, interp, strlen(interp));
		if (r == 0 && arg[0])
			r = strv_add(&v, arg, strlen(arg));
		if (r == 0)
			r = strv_add(&v, script, strlen(script));
		for (uint64_t i = 1; r == 0 && i < j->argv.n; i++)
			r = strv_add(&v, j->argv.v[i], strlen(j->argv.v[i]));
		if (r < 0) {
			strv_free(&v);
			return r;
		}
		strv_free(&j->argv);
		j->argv = v;
		if ((f = exec_lookup(s, G_AT_FDCWD, interp, 0)) < 0)
			return f;
		if (depth == SCRIPT_DEPTH)
			return -ELOOP; /* after the interpreter's lookup, as Linux's */
	}
}

/* The point of no return: the old program goes, the new one is entered.
 * A failure now ends the run (Linux kills the process). */
static int64_t replace(struct sys *s, struct exec_job *j, uint64_t carry_pa)
{
	struct kvmlet_sandbox *sb = s->sb;
	struct kvmlet_exec_carry carry = {0};
	const uint32_t trace = sb->lay.bi.flags & KVMLET_BOOT_TRACE;
	volatile uint64_t *ext = GUEST_PTR(
		&sb->gm, KVMLET_BOOTINFO_GPA + offsetof(struct kvmlet_bootinfo, sig_ext), 8);
	uint64_t pending = ext ? __atomic_exchange_n(ext, 0, __ATOMIC_SEQ_CST) : 0;
	int r;

	lxs_family_exec(s); /* before the memory goes: a vfork parent's share */
	/* What the old kernel keeps for the new one (its own data; checked there). */
	if (GUEST_READ(&sb->gm, carry_pa, &carry, sizeof(carry)) < 0)
		carry = (struct kvmlet_exec_carry){0};
	memcpy(carry.comm, j->comm, sizeof(carry.comm));
	for (int fd = 0; fd < LX_FDS_MAX; fd++)
		if (lxs_ofd(s, fd) && s->lx->fds.fd[fd].cloexec)
			lxs_close(s, fd);
	linux_exec(s->lx, j->argv.v, j->envp.v, j->path, carry.sig_ign & ~(1ull << 8 | 1ull << 18));
	j->argv = j->envp = (struct strv){0};
	j->path = NULL;
	j->plan.lay.bi.flags |= trace | KVMLET_BOOT_EXEC;
	struct kvmlet_error why = {0};
	if ((r = snapshot_keep_image(sb, &why)) < 0 || (r = guest_mem_clear(&sb->gm, &why)) < 0 ||
	    (r = build_memory(sb, &j->plan, j->data, j->size, &why)) < 0 ||
	    (r = GUEST_WRITE(&sb->gm, KVMLET_BOOTINFO_GPA + KVMLET_EXEC_CARRY_OFF, &carry,
			     sizeof(carry))) < 0 ||
	    (r = linux_build_stack(sb, &why)) < 0 || (r = sandbox_reenter(sb, &why)) < 0)
		return s->stop = error_outcome(s->res, s->err, KVMLET_FAULTED, r,
					       "execve: the new program could not start: %s",
					       why.msg[0] ? why.msg : strerror(-r));
	if ((ext = GUEST_PTR(&sb->gm,
			     KVMLET_BOOTINFO_GPA + offsetof(struct kvmlet_bootinfo, sig_ext), 8)))
		__atomic_fetch_or(ext, pending, __ATOMIC_SEQ_CST); /* signals from outside stay */
	return LXS_EXECED;
}

static int64_t sys_execveat(struct sys *s, int dirfd, uint64_t pathp, uint64_t argvp,
			    uint64_t envpp, uint64_t flags)
{
	struct exec_job j = {0};
	char path[PATH_MAX_GUEST];
	int64_t r, f, argc, envc;

	if ((r = lxs_get_path(s, pathp, path)) < 0)
		return r;
	if (!path[0] && !(flags & G_AT_EMPTY_PATH))
		return -ENOENT;
	if (flags & ~(uint64_t)(G_AT_EMPTY_PATH | G_AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if ((f = exec_lookup(s, dirfd, path, flags)) < 0)
		return f;
	/* Linux's room for the strings: a quarter of the stack limit, within
	 * [ARG_MIN, ARG_STK_MAX], less the pointers; ours also at most half the
	 * stack, which must hold them. */
	uint64_t stack = s->sb->cfg.stack_size,
		 room = stack / 4 < ARG_STK_MAX ? stack / 4 : ARG_STK_MAX;
	room = room > ARG_MIN ? room : ARG_MIN;
	room = room < stack / 2 ? room : stack / 2;
	if ((argc = count_strv(s, argvp, room / 8)) < 0)
		return argc;
	if ((envc = count_strv(s, envpp, room / 8)) < 0)
		return envc;
	uint64_t ptrs = (uint64_t)((argc ? argc : 1) + envc) * 8;
	if (room <= ptrs)
		return -E2BIG;
	room -= ptrs;
	char *buf = malloc(MAX_ARG_STRLEN);
	if (!buf)
		return -ENOMEM;
	/* AT_EXECFN: the path, or for a descriptor /dev/fd/N[/path], as Linux names it. */
	char name[PATH_MAX_GUEST + 32];
	if (path[0] == '/' || dirfd == G_AT_FDCWD)
		snprintf(name, sizeof(name), "%s", path);
	else
		snprintf(name, sizeof(name), path[0] ? "/dev/fd/%d/%s" : "/dev/fd/%d", dirfd, path);
	if (!(j.path = strdup(name)))
		r = -ENOMEM;
	else {
		r = strlen(j.path) + 1 > room ? -E2BIG : 0;
		room -= r ? 0 : strlen(j.path) + 1;
		/* Its name: the path's last part; a descriptor's file's own name. */
		const char *full = path[0] ? j.path : s->lx->files[f].guest_path;
		const char *base = strrchr(full, '/');
		snprintf(j.comm, sizeof(j.comm), "%s", base ? base + 1 : full);
	}
	if (r == 0)
		r = get_strv(s, envpp, (uint64_t)envc, &j.envp, &room, buf);
	if (r == 0)
		r = get_strv(s, argvp, (uint64_t)argc, &j.argv, &room, buf);
	/* An empty argv gets "" as argv[0], as Linux does since 5.18. */
	if (r == 0 && !argc)
		r = strv_add(&j.argv, "", 0);
	if (r == 0 && !envc && !j.envp.v)
		r = (j.envp.v = calloc(1, sizeof(char *))) ? 0 : -ENOMEM;
	free(buf);
	if (r == 0)
		r = load(s, f, &j);
	if (r == 0)
		r = replace(s, &j, s->r->r9);
	job_free(&j);
	return r;
}

int64_t lxs_exec_syscall(struct sys *s, uint64_t nr, bool *served)
{
	const struct kvm_regs *r = s->r;

	*served = true;
	switch (nr) {
	case NR_execve:
		return sys_execveat(s, G_AT_FDCWD, r->rdi, r->rsi, r->rdx, 0);
	case NR_execveat:
		return sys_execveat(s, (int32_t)r->rdi, r->rsi, r->rdx, r->r10, (uint32_t)r->r8);
	}
	*served = false;
	return 0;
}
