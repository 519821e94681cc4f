/*
 * lxdir.c: `lxtest dirs ROOT`: directories as Linux has them, compared byte
 * for byte with Linux by tests/cli/cli_linux.sh. ROOT holds a/x, a/y, b/c/z
 * and top, the only entries of its directories, all read-only (directories
 * 0555, files 0444), under the same absolute path natively and in the guest:
 * opendir/readdir (names sorted), stat of directories and files through
 * paths with ".", ".." and repeated slashes, realpath of relative paths,
 * chdir and fchdir then relative opens, getcwd, openat/newfstatat/faccessat/
 * readlinkat from a directory descriptor, getdents64 (a buffer too small,
 * one entry at a time, a rewind, its inode numbers against stat's), and the
 * rules of O_DIRECTORY, writing and reading a directory, with their errno.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
void lx_sayv(const char *what, long r);
#define say  lx_say
#define sayv lx_sayv

int do_dirs(const char *root);
int do_dirtree(const char *file);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* opendir/readdir of path: its entries sorted, with their types. */
static void list(const char *label, const char *path)
{
	char *names[64];
	int n = 0;
	struct dirent *d;
	DIR *dir = opendir(path);

	if (!dir) {
		say("opendir", -1);
		return;
	}
	while ((d = readdir(dir)) && n < 64) {
		const char *t = d->d_type == DT_DIR   ? "dir"
				: d->d_type == DT_REG ? "file"
						      : "other";
		if (asprintf(&names[n], "%s (%s)", d->d_name, t) > 0)
			n++;
	}
	closedir(dir);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	printf("list %s:", label);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void show_stat(const char *what, int dirfd, const char *path, int flags)
{
	struct stat st;

	if (fstatat(dirfd, path, &st, flags) < 0) {
		say(what, -1);
		return;
	}
	printf("%s: %s mode %o nlink %lu size %lld\n", what,
	       S_ISDIR(st.st_mode)   ? "dir"
	       : S_ISREG(st.st_mode) ? "file"
				     : "other",
	       (unsigned)(st.st_mode & 07777), (unsigned long)st.st_nlink,
	       S_ISDIR(st.st_mode) ? 0 : (long long)st.st_size);
}

/* cwd relative to root ("ROOT" for root itself), so the output does not
 * depend on where the test made its tree. */
static void show_cwd(const char *root)
{
	char cwd[PATH_MAX];
	size_t n = strlen(root);

	if (!getcwd(cwd, sizeof(cwd))) {
		say("getcwd", -1);
		return;
	}
	printf("cwd %s%s\n", strncmp(cwd, root, n) ? "(elsewhere) " : "ROOT",
	       strncmp(cwd, root, n) ? cwd : cwd + n);
}

static void show_real(const char *root, const char *path)
{
	char out[PATH_MAX];
	size_t n = strlen(root);

	if (!realpath(path, out)) {
		printf("realpath %s: %s\n", path, strerror(errno));
		return;
	}
	printf("realpath %s: %s%s\n", path, strncmp(out, root, n) ? "(elsewhere) " : "ROOT",
	       strncmp(out, root, n) ? out : out + n);
}

/* The first line of a file opened at dirfd/path. */
static void show_file(const char *what, int dirfd, const char *path)
{
	char buf[64];
	int fd = openat(dirfd, path, O_RDONLY);
	long n;

	if (fd < 0) {
		say(what, -1);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("%s: %s", what, buf);
	close(fd);
}

static void paths(const char *root)
{
	char p[PATH_MAX];

	list("ROOT", root);
	snprintf(p, sizeof(p), "%s/a", root);
	list("ROOT/a", p);
	snprintf(p, sizeof(p), "%s//b/./c/", root);
	list("ROOT//b/./c/", p);
	static const char *const stats[] = {
		"",	   "/a",    "/b",      "/b/c",	       "/top",	  "//a/./x", "/a/../a/x",
		"/b/c/..", "/a/x/", "/top/..", "/nope/../a/x", "/a/nope", "/top/x",  "/a/",
	};
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, stats[i]);
		char what[64];
		snprintf(what, sizeof(what), "stat ROOT%s", stats[i]);
		show_stat(what, AT_FDCWD, p, 0);
	}
	/* (W_OK: EROFS in kvmlet, where root may write natively: lxtest dirsro) */
	snprintf(p, sizeof(p), "%s/a", root);
	say("access ROOT/a F_OK", access(p, F_OK));
	say("access ROOT/a R_OK", access(p, R_OK));
	say("access ROOT/a X_OK", access(p, X_OK));
	say("access ROOT/a R_OK|X_OK", access(p, R_OK | X_OK));
}

static void cwds(const char *root)
{
	say("chdir ROOT", chdir(root));
	show_cwd(root);
	show_real(root, "./a/../a/./x");
	show_real(root, "b/c/../../top");
	show_real(root, "b//c/.");
	show_real(root, "a/nope");
	show_real(root, "top/");
	show_real(root, ".");
	show_file("open a/x from ROOT", AT_FDCWD, "a/x");
	show_stat("stat b/c/z from ROOT", AT_FDCWD, "b/c/z", 0);
	say("chdir a", chdir("a"));
	show_cwd(root);
	show_file("open x from ROOT/a", AT_FDCWD, "x");
	show_file("open ./y from ROOT/a", AT_FDCWD, "./y");
	show_file("open ../top from ROOT/a", AT_FDCWD, "../top");
	show_real(root, "../b/c/z");
	say("chdir x (a file)", chdir("x"));
	say("chdir nope", chdir("nope"));
	say("chdir ../b/c", chdir("../b/c"));
	show_cwd(root);
	show_file("open z from ROOT/b/c", AT_FDCWD, "z");
	say("chdir ..", chdir(".."));
	show_cwd(root);

	int d = open(root, O_RDONLY | O_DIRECTORY);
	int f;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/top", root);
	f = open(p, O_RDONLY);
	say("fchdir of ROOT", fchdir(d));
	show_cwd(root);
	show_file("open b/c/z after fchdir", AT_FDCWD, "b/c/z");
	say("fchdir of a file", fchdir(f));
	say("fchdir of fd 99", fchdir(99));
	show_cwd(root);
	close(d), close(f);
}

/* getdents64 through its raw system call: a buffer too small, one entry at
 * a time, all at once, a rewind; the entries' inodes against stat's. */
static void dents(const char *root)
{
	union {
		char b[4096];
		uint64_t align;
	} u;
	char p[PATH_MAX];
	int d = open(root, O_RDONLY | O_DIRECTORY), f;
	long n, one = 0, all = 0, again = 0, total = 0;
	struct stat st;
	int agree = 1, count = 0;

	say("getdents64, 1-byte buffer", syscall(SYS_getdents64, d, u.b, 1));
	say("getdents64, 20-byte buffer", syscall(SYS_getdents64, d, u.b, 20));
	while ((n = syscall(SYS_getdents64, d, u.b, 24)) > 0)
		one++; /* "." and ".." and "a", "b": 24 bytes each */
	printf("getdents64 24 bytes at a time: %ld calls, then %ld\n", one, n);
	sayv("lseek(dir, 0, SEEK_SET)", lseek(d, 0, SEEK_SET));
	while ((n = syscall(SYS_getdents64, d, u.b, sizeof(u.b))) > 0) {
		all++;
		total += n;
		for (long off = 0; off < n;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *e = (void *)(u.b + off);
			snprintf(p, sizeof(p), "%s/%s", root, e->name);
			if (stat(p, &st) < 0 || st.st_ino != e->ino)
				agree = 0;
			count++;
			off += e->reclen;
		}
	}
	printf("getdents64 whole: %ld calls, %d entries, %ld bytes, then %ld; inodes as stat's: "
	       "%s\n",
	       all, count, total, n, agree ? "yes" : "no");
	sayv("lseek(dir, 0, SEEK_SET) again", lseek(d, 0, SEEK_SET));
	again = syscall(SYS_getdents64, d, u.b, sizeof(u.b));
	printf("getdents64 after the rewind: %s\n", again == total ? "the same bytes" : "other");
	lseek(d, 0, SEEK_SET);
	say("getdents64, bad buffer", syscall(SYS_getdents64, d, (void *)8, 4096));
	snprintf(p, sizeof(p), "%s/top", root);
	f = open(p, O_RDONLY);
	say("getdents64 of a file", syscall(SYS_getdents64, f, u.b, sizeof(u.b)));
	say("getdents64 of fd 99", syscall(SYS_getdents64, 99, u.b, sizeof(u.b)));
	say("read of a directory", read(d, u.b, 10));
	say("pread of a directory", pread(d, u.b, 10, 0));
	say("write to a directory", write(d, "x", 1));
	close(d), close(f);
}

static void opens(const char *root)
{
	char p[PATH_MAX];
	int d, a;

	snprintf(p, sizeof(p), "%s/a", root);
	d = open(p, O_RDONLY);
	say("open ROOT/a", d);
	say("open ROOT/a O_WRONLY", open(p, O_WRONLY));
	say("open ROOT/a O_RDWR", open(p, O_RDWR));
	say("open ROOT/a O_RDONLY|O_TRUNC", open(p, O_RDONLY | O_TRUNC));
	say("open ROOT/a O_CREAT", open(p, O_RDONLY | O_CREAT, 0644));
	say("open ROOT/a O_CREAT|O_EXCL", open(p, O_RDONLY | O_CREAT | O_EXCL, 0644));
	a = open(p, O_RDONLY | O_DIRECTORY);
	say("open ROOT/a O_DIRECTORY", a);
	snprintf(p, sizeof(p), "%s/a/", root);
	say("open ROOT/a/", close(open(p, O_RDONLY)));
	snprintf(p, sizeof(p), "%s/top", root);
	say("open ROOT/top O_DIRECTORY", open(p, O_RDONLY | O_DIRECTORY));
	snprintf(p, sizeof(p), "%s/top/", root);
	say("open ROOT/top/", open(p, O_RDONLY));
	say("open /dev/null O_DIRECTORY", open("/dev/null", O_RDONLY | O_DIRECTORY));
	say("open /dev/ O_DIRECTORY", close(open("/dev/", O_RDONLY | O_DIRECTORY)));
	show_file("openat(ROOT/a, x)", a, "x");
	show_file("openat(ROOT/a, ../b/c/z)", a, "../b/c/z");
	show_stat("newfstatat(ROOT/a, y)", a, "y", 0);
	show_stat("newfstatat(ROOT/a, ..)", a, "..", 0);
	show_stat("newfstatat(ROOT/a, \"\", AT_EMPTY_PATH)", a, "", AT_EMPTY_PATH);
	show_stat("newfstatat(ROOT/a, nope)", a, "nope", 0);
	say("faccessat(ROOT/a, x, R_OK)", faccessat(a, "x", R_OK, 0));
	say("faccessat(ROOT/a, ., X_OK)", faccessat(a, ".", X_OK, 0));
	say("readlinkat(ROOT/a, x)", readlinkat(a, "x", p, sizeof(p)));
	say("readlinkat(ROOT/a, .)", readlinkat(a, ".", p, sizeof(p)));
	say("readlinkat(ROOT/a, nope)", readlinkat(a, "nope", p, sizeof(p)));
	int x = openat(a, "x", O_RDONLY);
	say("openat(ROOT/a/x, y)", openat(x, "y", O_RDONLY));
	show_stat("newfstatat(ROOT/a/x, y)", x, "y", 0);
	show_stat("fstat ROOT/a", a, "", AT_EMPTY_PATH);
	say("lseek(ROOT/a, -1, SEEK_SET)", lseek(a, -1, SEEK_SET));
	close(x), close(a), close(d);
}

int do_dirs(const char *root)
{
	paths(root);
	cwds(root);
	dents(root);
	opens(root);
	return 0;
}

/* `lxtest dirtree`: what only kvmlet shows (compared with what the test
 * expects): the whole tree from "/", the working directory "/" at start,
 * /dev, and W_OK as on a read-only mount (EROFS), for FILE too. */
int do_dirtree(const char *file)
{
	char cwd[64];

	sayv("getcwd", syscall(SYS_getcwd, cwd, sizeof(cwd)));
	printf("cwd %s\n", cwd);
	sayv("getcwd, 1 byte", syscall(SYS_getcwd, cwd, 1));
	list("/", "/");
	list("/dev", "/dev");
	list("/..", "/..");
	show_stat("stat /", AT_FDCWD, "/", 0);
	show_stat("stat /dev", AT_FDCWD, "/dev", 0);
	say("access / W_OK", access("/", W_OK));
	say("access /dev R_OK|X_OK", access("/dev", R_OK | X_OK));
	if (file) {
		say("access FILE W_OK", access(file, W_OK));
		say("access FILE X_OK", access(file, X_OK));
		say("access FILE R_OK", access(file, R_OK));
	}
	say("chdir /dev/../dev", chdir("/dev/../dev"));
	sayv("getcwd", syscall(SYS_getcwd, cwd, sizeof(cwd)));
	printf("cwd %s\n", cwd);
	sayv("getcwd, 4 bytes", syscall(SYS_getcwd, cwd, 4));
	sayv("getcwd, 5 bytes", syscall(SYS_getcwd, cwd, 5));
	show_stat("stat null from /dev", AT_FDCWD, "null", 0);
	say("chdir ../..", chdir("../.."));
	sayv("getcwd", syscall(SYS_getcwd, cwd, sizeof(cwd)));
	printf("cwd %s\n", cwd);
	return 0;
}
