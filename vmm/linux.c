/* SPDX-License-Identifier: MIT */
/*
 * linux.c: a guest as a Linux program: its arguments and environment, its
 * standard streams, the host files it may read, and the initial stack Linux
 * builds for x86-64 (argc, argv, envp, auxv, the AT_RANDOM bytes), written
 * at the top of the guest's stack before its first instruction. Every guest
 * gets that stack: kvmlet's own runtime ignores it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "linux.h"
#include "sandbox.h"

/* auxv keys (<elf.h>'s AT_*, the ones Linux gives a static program). */
enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
	AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
	AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
	AT_HWCAP2 = 26, AT_EXECFN = 31,
};

#define ARGS_MAX (256u << 10) /* bytes of argv and envp strings, as a sanity bound */

struct linux_host *linux_new(void)
{
	struct linux_host *lx = calloc(1, sizeof(*lx));

	if (!lx || !(lx->io = malloc(LX_IO_MAX))) {
		free(lx);
		return NULL;
	}
	lx->std[0] = lx->std[1] = lx->std[2] = -1;
	lx->pid = 1;
	lx->max_procs = LX_PROCS_MAX;
	linux_fds_init(&lx->fds);
	lx->snap_fds = lx->fds;
	if (linux_dirs_update(lx) < 0) {
		linux_free(lx);
		return NULL;
	}
	return lx;
}

void linux_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void linux_free(struct linux_host *lx)
{
	if (!lx)
		return;
	if (lx->fam && !lx->borrowed)
		lx->fam_end(lx);
	linux_strv_free(lx->argv);
	linux_strv_free(lx->envp);
	linux_strv_free(lx->before.argv);
	linux_strv_free(lx->before.envp);
	free(lx->exe);
	for (unsigned i = 0; i < lx->nfiles && !lx->borrowed; i++) {
		free(lx->files[i].guest_path);
		close(lx->files[i].host_fd);
	}
	free(lx->io);
	/* The pipes' box (with snap_pipes), once no process holds it. */
	struct lx_pipes_box *box = (struct lx_pipes_box *)(void *)lx->pipes;
	if (box && --box->refs == 0)
		free(box);
	if (!lx->borrowed) {
		free(lx->dirs);
		free(lx->ents);
	}
	free(lx);
}

static struct linux_host *lx_of(struct kvmlet_sandbox *sb)
{
	return sb->lx;
}

/* A NULL-terminated copy of n strings (n < 0: up to v's NULL). */
static char **copy_strv(const char *const *v, int n, size_t *bytes)
{
	int count = 0;

	while (v && (n < 0 ? v[count] != NULL : count < n))
		count++;
	char **c = calloc((size_t)count + 1, sizeof(*c));
	for (int i = 0; c && i < count; i++) {
		if (!v[i] || !(c[i] = strdup(v[i]))) {
			linux_strv_free(c);
			return NULL;
		}
		*bytes += strlen(v[i]) + 1;
	}
	return c;
}

struct linux_host *linux_copy(const struct linux_host *p)
{
	struct linux_host *c = malloc(sizeof(*c));
	size_t bytes = 0;

	if (!c)
		return NULL;
	*c = *p;
	c->before = (__typeof__(c->before)){0};
	c->borrowed = true;
	c->fam = NULL;
	c->fam_end = NULL;
	c->argv = c->envp = NULL;
	c->exe = c->io = NULL;
	c->pipes = c->snap_pipes = NULL;
	if (!(c->io = malloc(LX_IO_MAX)) ||
	    !(c->argv = copy_strv((const char *const *)p->argv, -1, &bytes)) ||
	    !(c->envp = copy_strv((const char *const *)p->envp, -1, &bytes)) ||
	    (p->exe && !(c->exe = strdup(p->exe)))) {
		linux_free(c);
		return NULL;
	}
	if (p->pipes) {
		c->pipes = p->pipes;
		c->snap_pipes = p->snap_pipes;
		((struct lx_pipes_box *)(void *)p->pipes)->refs++;
	}
	return c;
}

int kvmlet_set_args(struct kvmlet_sandbox *sb, int argc, const char *const *argv,
		    const char *const *envp, struct kvmlet_error *err)
{
	struct linux_host *lx = lx_of(sb);
	size_t bytes = 0;
	char **a, **e;

	if (!phase_is(&sb->phase, PH_NEW))
		return kvmlet_fail(err, -EBUSY, "arguments are set before the guest starts");
	if (argc < 0 || (argc > 0 && !argv))
		return kvmlet_fail(err, -EINVAL, "argc %d without argv", argc);
	a = copy_strv(argv, argc, &bytes);
	e = copy_strv(envp, -1, &bytes);
	if (!a || !e) {
		linux_strv_free(a);
		linux_strv_free(e);
		return kvmlet_fail(err, -ENOMEM, "out of memory for the arguments");
	}
	if (bytes > ARGS_MAX) {
		linux_strv_free(a);
		linux_strv_free(e);
		return kvmlet_fail(err, -E2BIG, "arguments and environment of %zu bytes exceed %u",
				   bytes, ARGS_MAX);
	}
	linux_strv_free(lx->argv);
	linux_strv_free(lx->envp);
	lx->argv = a;
	lx->envp = e;
	return 0;
}

int kvmlet_set_processes(struct kvmlet_sandbox *sb, unsigned n, struct kvmlet_error *err)
{
	if (n < 1 || n > LX_PROCS_MAX)
		return kvmlet_fail(err, -EINVAL, "%u processes: from 1 to %u at once", n,
				   LX_PROCS_MAX);
	if (!phase_is(&sb->phase, PH_NEW) && !phase_is(&sb->phase, PH_PREPARED))
		return kvmlet_fail(err, -EBUSY,
				   "the program has started: processes are set before");
	lx_of(sb)->max_procs = n;
	return 0;
}

void kvmlet_set_stdio(struct kvmlet_sandbox *sb, int in_fd, int out_fd, int err_fd)
{
	struct linux_host *lx = lx_of(sb);

	lx->std[0] = in_fd;
	lx->std[1] = out_fd;
	lx->std[2] = err_fd;
	/* F_GETFL's answer, asked now: the seccomp filter has no fcntl. */
	for (int i = 0; i < 3; i++) {
		int fl = lx->std[i] >= 0 ? fcntl(lx->std[i], F_GETFL) : 0;
		lx->std_fl[i] = fl < 0 ? 0 : fl;
	}
}

void kvmlet_set_determinism(struct kvmlet_sandbox *sb, uint64_t seed)
{
	struct linux_host *lx = lx_of(sb);

	lx->seed = seed;
	lx->rng = seed;
	lx->fake_ns = 1700000000ull * 1000000000ull; /* a fixed start: 2023-11-14 */
	lx->snap_fake_ns = lx->fake_ns;
	linux_ticks(sb);
}

int kvmlet_allow_file(struct kvmlet_sandbox *sb, const char *host_path, const char *guest_path,
		      struct kvmlet_error *err)
{
	struct linux_host *lx = lx_of(sb);
	struct stat st;
	char g[4096];
	int r;

	if (!guest_path)
		guest_path = host_path;
	if (guest_path[0] != '/' || strlen(guest_path) >= sizeof(g))
		return kvmlet_fail(err, -EINVAL, "%s: the guest path must be absolute", guest_path);
	if (lx->nfiles == LX_FILES_MAX)
		return kvmlet_fail(err, -ENOSPC, "at most %u allowed files", LX_FILES_MAX);
	/* Stored clean ("/a//b/./c" is /a/b/c), and where the tree has room for it. */
	if ((r = linux_path_clean(guest_path, g)) < 0)
		return kvmlet_fail(err, r, "%s: the guest path is too long", guest_path);
	if ((r = linux_dirs_check(lx, g)) < 0)
		return kvmlet_fail(err, -EINVAL, "%s: %s", guest_path,
				   r == -EISDIR	  ? "a directory of the guest's tree"
				   : r == -EEXIST ? "a device's path"
				   : r == -ELOOP  ? "a link to a descriptor's path (/dev/stdin, "
						    "/dev/fd, /proc/self/fd...)"
				   : r == -EBUSY  ? "a file of /proc that kvmlet provides"
				   : r == -ENAMETOOLONG ? "a name longer than 255 bytes"
							: "under another file or a device");
	int fd = open(host_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kvmlet_fail(err, -errno, "%s: %s", host_path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kvmlet_fail(err, -EINVAL, "%s: not a regular file", host_path);
	}
	char *copy = strdup(g);
	if (!copy) {
		close(fd);
		return kvmlet_fail(err, -ENOMEM, "out of memory");
	}
	lx->files[lx->nfiles++] =
		(struct lx_file){.guest_path = copy, .host_fd = fd, .exec = st.st_mode & 0111};
	if ((r = linux_dirs_update(lx)) < 0) { /* the tree as it was */
		lx->nfiles--;
		free(copy);
		close(fd);
		return kvmlet_fail(
			err, r, r == -ENOSPC ? "%s: more than %u directories" : "%s: out of memory",
			guest_path, LX_DIRS_MAX);
	}
	return 0;
}

void linux_snapshot(struct linux_host *lx)
{
	lx->snap_fds = lx->fds;
	lx->snap_cwd = lx->cwd;
	if (lx->pipes)
		*lx->snap_pipes = *lx->pipes;
	lx->snap_fake_ns = lx->fake_ns;
}

void linux_exec(struct linux_host *lx, char **argv, char **envp, char *path, uint64_t sig_ign)
{
	if (!lx->before.kept) {
		lx->before.kept = true;
		lx->before.argv = lx->argv;
		lx->before.envp = lx->envp;
		lx->before.entry_rsp = lx->entry_rsp;
		lx->before.sig_ign = lx->sig_ign;
	} else {
		linux_strv_free(lx->argv);
		linux_strv_free(lx->envp);
	}
	free(lx->exe);
	lx->argv = argv;
	lx->envp = envp;
	lx->exe = path;
	lx->sig_ign = sig_ign;
}

void linux_reset(struct linux_host *lx)
{
	if (lx->fam && !lx->borrowed)
		lx->fam_end(lx);
	if (lx->before.kept) {
		linux_strv_free(lx->argv);
		linux_strv_free(lx->envp);
		free(lx->exe);
		lx->argv = lx->before.argv;
		lx->envp = lx->before.envp;
		lx->entry_rsp = lx->before.entry_rsp;
		lx->sig_ign = lx->before.sig_ign;
		lx->exe = NULL;
		lx->before = (__typeof__(lx->before)){0};
	}
	lx->fds = lx->snap_fds;
	lx->cwd = lx->snap_cwd;
	if (lx->pipes)
		*lx->pipes = *lx->snap_pipes;
	lx->fake_ns = lx->snap_fake_ns; /* a run after a reset reads the same times */
	lx->rng = lx->seed;
	lx->family_sigs = 0;
	lx->stdin_waits = false;
}

/* The stack being built, downwards from its top (identity-mapped: va == gpa),
 * written through guest_mem's accessor. */
struct builder {
	struct guest_mem *gm;
	uint64_t sp, floor;
	bool full;
};

static uint64_t push_bytes(struct builder *b, const void *p, size_t n)
{
	if (b->full || n > b->sp - b->floor || GUEST_WRITE(b->gm, b->sp - n, p, n) < 0) {
		b->full = true;
		return 0;
	}
	b->sp -= n;
	return b->sp;
}

static uint64_t push_str(struct builder *b, const char *s)
{
	return push_bytes(b, s, strlen(s) + 1);
}

static uint64_t hwcap(void)
{
	uint32_t a = 1, bx, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(bx), "+c"(c), "=d"(d));
	return d;
}

/* The 16 AT_RANDOM bytes: the host's, or from the seed. */
static void random16(struct linux_host *lx, uint8_t *out)
{
	if (lx->seed) {
		uint64_t x = lx->seed * 0x9e3779b97f4a7c15ull;
		for (int i = 0; i < 16; i++, x = x * 6364136223846793005ull + 1)
			out[i] = (uint8_t)(x >> 56);
	} else if (getrandom(out, 16, 0) != 16) {
		memset(out, 0x5a, 16);
	}
}

uint64_t linux_entry_rsp(const struct linux_host *lx)
{
	return lx->entry_rsp;
}

int linux_build_stack(struct kvmlet_sandbox *sb, struct kvmlet_error *err)
{
	struct linux_host *lx = lx_of(sb);
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct builder b = {.gm = &sb->gm, .sp = bi->stack_hi, .floor = bi->stack_lo};
	uint8_t rnd[16];
	uint64_t nargv = 0, nenv = 0;

	while (lx->argv && lx->argv[nargv])
		nargv++;
	while (lx->envp && lx->envp[nenv])
		nenv++;
	uint64_t *argp = calloc(nargv + nenv + 2, sizeof(*argp));
	if (!argp)
		return kvmlet_fail(err, -ENOMEM, "out of memory for the initial stack");
	/* Strings first (highest), then the random bytes, then the vectors. */
	uint64_t execfn = push_str(&b, lx->exe ? lx->exe : nargv ? lx->argv[0] : "guest");
	uint64_t platform = push_str(&b, "x86_64");
	for (uint64_t i = 0; i < nargv; i++)
		argp[i] = push_str(&b, lx->argv[i]);
	for (uint64_t i = 0; i < nenv; i++)
		argp[nargv + 1 + i] = push_str(&b, lx->envp[i]);
	random16(lx, rnd);
	uint64_t random = push_bytes(&b, rnd, sizeof(rnd));
	const uint64_t auxv[][2] = {
		{AT_PHDR, sb->img.phdr},    {AT_PHENT, 56},	      {AT_PHNUM, sb->img.phnum},
		{AT_PAGESZ, 4096},	    {AT_BASE, 0},	      {AT_FLAGS, 0},
		{AT_ENTRY, sb->img.entry},  {AT_UID, 0},	      {AT_EUID, 0},
		{AT_GID, 0},		    {AT_EGID, 0},	      {AT_SECURE, 0},
		{AT_RANDOM, random},	    {AT_HWCAP, hwcap()},      {AT_HWCAP2, 0},
		{AT_CLKTCK, 100},	    {AT_PLATFORM, platform}, {AT_EXECFN, execfn},
		{AT_NULL, 0},
	};
	/* argc, argv, NULL, envp, NULL, auxv: 16-byte aligned at argc, as the ABI wants. */
	uint64_t words = 1 + (nargv + 1) + (nenv + 1) + 2 * (sizeof(auxv) / 16);
	b.sp = (b.sp - words * 8) & ~15ull;
	if (b.full || b.sp < b.floor) {
		free(argp);
		return kvmlet_fail(err, -E2BIG, "arguments and environment do not fit in the "
						"%llu KiB stack",
				   (unsigned long long)((bi->stack_hi - bi->stack_lo) >> 10));
	}
	/* The vectors, through one host buffer: argc, argv, NULL, envp, NULL, auxv. */
	uint64_t *w = calloc(words, 8);
	int r = -ENOMEM;
	if (w) {
		w[0] = nargv;
		memcpy(w + 1, argp, (nargv + 1 + nenv + 1) * 8);
		memcpy(w + 1 + nargv + 1 + nenv + 1, auxv, sizeof(auxv));
		r = GUEST_WRITE(&sb->gm, b.sp, w, words * 8);
	}
	free(w);
	free(argp);
	if (r < 0)
		return kvmlet_fail(err, r, "cannot write the initial stack");
	lx->entry_rsp = b.sp;
	/* The signals it starts with ignored (kvmlet_set_ignored_signals). */
	if (GUEST_WRITE(&sb->gm, KVMLET_BOOTINFO_GPA + offsetof(struct kvmlet_bootinfo, sig_ign),
			&lx->sig_ign, sizeof(lx->sig_ign)) < 0)
		return kvmlet_fail(err, -EFAULT, "cannot write the boot info");
	linux_ticks(sb);
	return 0;
}

/* A program's kernel asks for ticks (timers, threads taking turns) in its
 * boot info; they follow the host's clock, so a seeded run, whose order must
 * follow its system calls only, gets none. */
void linux_ticks(struct kvmlet_sandbox *sb)
{
	const bool lx = sb->lay.bi.flags & KVMLET_BOOT_LINUX;
	volatile struct kvmlet_bootinfo *b =
		lx ? GUEST_PTR(&sb->gm, KVMLET_BOOTINFO_GPA, sizeof(struct kvmlet_bootinfo)) : NULL;

	sb->watch.tick = lx_of(sb)->seed ? NULL : b;
	sb->watch.sig_ext = b ? &b->sig_ext : NULL; /* seeded runs too */
}
