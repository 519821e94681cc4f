/*
 * lxfdlink.c: `lxtest fdlinks FILE`: the paths that name a descriptor
 * (/dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N),
 * compared byte for byte with Linux by tests/cli/cli_linux.sh: opened anew
 * (a file with an offset of its own, either end of a pipe, stdout with
 * O_APPEND, stdin from its start), followed by stat, access and statfs, seen
 * as links by lstat and readlink, and refused as Linux refuses (a closed
 * descriptor, a number with a leading zero, O_NOFOLLOW, an eventfd); the
 * directory /proc/self/fd (and /dev/fd) listing them. stdin
 * and FILE are files of at least 6 bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <libgen.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
#define say lx_say

int do_fdlinks(const char *file);

static void show_link(const char *path)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0) {
		printf("readlink %s: errno %d\n", path, errno);
		return;
	}
	buf[n] = 0;
	if (!strncmp(buf, "pipe:[", 6))
		strcpy(buf, "pipe:[...]"); /* the inode number is Linux's own */
	printf("readlink %s: %s\n", path, buf);
}

static void show_lstat(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		printf("lstat %s: errno %d\n", path, errno);
		return;
	}
	printf("lstat %s: link %d mode %03o size %lld\n", path, S_ISLNK(st.st_mode),
	       st.st_mode & 0777, (long long)st.st_size);
}

/*
 * Follow path's link text as a program that resolves links itself does
 * (`readlink -f`): 1 if it ends within 40 links (at something that is no link,
 * or at nothing), 0 if it goes round.
 */
static int text_ends(const char *path)
{
	char p[512], t[256];

	snprintf(p, sizeof(p), "%s", path);
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
			return 1;
		ssize_t n = readlink(p, t, sizeof(t) - 1);
		if (n < 0)
			return 1;
		t[n] = 0;
		if (t[0] == '/') {
			snprintf(p, sizeof(p), "%s", t);
		} else {
			char *slash = strrchr(p, '/');
			char dir[512];
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - p), p);
			if (snprintf(p, sizeof(p), "%s/%s", dir, t) >= (int)sizeof(p))
				return 1; /* too long to be anything */
		}
	}
	return 0;
}

static void append_to_stdout(const char *path)
{
	char line[128];
	int fd = open(path, O_WRONLY | O_APPEND);
	int n = snprintf(line, sizeof(line), "written through %s\n", path);

	fflush(stdout);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		printf("%s: errno %d\n", path, errno);
	if (fd >= 0)
		close(fd);
}

/* The names in directory path (in readdir's order) whose type is want, or
 * only whether name is among them. */
static void show_dir(const char *path, unsigned char want, const char *name)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int found = 0;

	if (!d) {
		printf("opendir %s: errno %d\n", path, errno);
		return;
	}
	printf("%s:", path);
	while ((e = readdir(d)))
		if (e->d_type == want && !name)
			printf(" %s", e->d_name);
		else if (e->d_type == want && !strcmp(e->d_name, name))
			found = 1;
	if (name)
		printf(" %s %s", name, found ? "listed" : "not listed");
	printf("\n");
	closedir(d);
}

/* The directories of the links: /proc/self/fd, and /dev/fd linking to it. */
static void fd_dirs(void)
{
	struct stat st;
	struct statfs sf;
	char buf[8];

	show_dir("/proc/self/fd", DT_LNK, NULL);
	show_dir("/dev/fd/", DT_LNK, NULL);
	show_dir("/dev", DT_LNK, "stdout");
	show_dir("/dev", DT_LNK, "fd");
	show_link("/dev/fd");
	show_lstat("/dev/fd");
	say("stat /dev/fd", stat("/dev/fd", &st));
	printf("  dir %d mode %03o\n", S_ISDIR(st.st_mode), st.st_mode & 0777);
	say("readlink /proc/self/fd", readlink("/proc/self/fd", buf, sizeof(buf)));
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	say("read it", read(d, buf, sizeof(buf)));
	int one = openat(d, "1", O_WRONLY | O_APPEND);
	fflush(stdout);
	say("write through openat(its descriptor, \"1\")", write(one, "1\n", 2));
	close(one);
	printf("fstatfs type %lx\n", fstatfs(d, &sf) < 0 ? -1L : (long)sf.f_type);
	close(d);
	say("open it to write", open("/dev/fd", O_WRONLY));
	say("open /dev/fd O_NOFOLLOW", open("/dev/fd", O_RDONLY | O_NOFOLLOW));
	say("access X_OK", access("/proc/self/fd", X_OK));
}

int do_fdlinks(const char *file)
{
	char path[64], buf[16] = {0};
	int p[2];

	/* Appending, stdio's writes and the links' end up in order in a file too. */
	fcntl(1, F_SETFL, O_APPEND);
	append_to_stdout("/dev/stdout");
	append_to_stdout("/proc/self/fd/1");
	append_to_stdout("/dev/fd/1");
	int in = open("/dev/stdin", O_RDONLY);
	printf("stdin anew reads %zd: %.5s\n", in < 0 ? -1 : read(in, buf, 5), buf);
	close(in);

	/* a file: a description of its own, at its start */
	int f = open(file, O_RDONLY);
	say("read 3 of the file", read(f, buf, 3));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f);
	int g = open(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	say("read 6 through /proc/self/fd", read(g, buf, 6));
	printf("  %s\n", buf);
	struct stat a, b;
	snprintf(path, sizeof(path), "/dev/fd/%d", f);
	printf("stat /dev/fd/F is fstat F: %d\n",
	       stat(path, &a) == 0 && fstat(f, &b) == 0 && a.st_ino == b.st_ino &&
		       a.st_size == b.st_size && S_ISREG(a.st_mode));
	show_link(path);
	say("open O_NOFOLLOW", open(path, O_RDONLY | O_NOFOLLOW) < 0 ? -1 : 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", g);
	show_lstat(path);

	/* a pipe: either end through either descriptor's link */
	if (pipe(p) < 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	int w = open(path, O_WRONLY);
	say("write through the read end's link", write(w, "x", 1));
	memset(buf, 0, sizeof(buf));
	say("read it", read(p[0], buf, sizeof(buf)));
	show_link(path);
	show_lstat(path);
	say("access X_OK", access(path, X_OK) < 0 ? -1 : 0);
	say("access R_OK|W_OK", access(path, R_OK | W_OK) < 0 ? -1 : 0);
	struct statfs sf;
	printf("statfs type %lx\n", statfs(path, &sf) < 0 ? -1L : (long)sf.f_type);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[1]);
	int r = open(path, O_RDONLY);
	say("write yz", write(p[1], "yz", 2));
	memset(buf, 0, sizeof(buf));
	say("read through the write end's link", read(r, buf, sizeof(buf)));
	printf("  %s\n", buf);
	show_lstat(path);
	close(p[1]);
	say("a writer is left: nonblocking read",
	    (fcntl(r, F_SETFL, O_NONBLOCK), read(r, buf, 1) < 0 ? -1 : 0));
	close(w);
	say("no writer left: end of file", read(r, buf, 1));
	close(r);
	close(p[0]);

	/* the links themselves, and refusals */
	show_link("/dev/stdin");
	show_link("/dev/stderr");
	show_lstat("/dev/stdout");
	show_lstat("/dev/stdin");
	/* One file is one (dev, ino), two are two: stdin and stdout are two
	 * files, a dup is the same, two pipes differ, a pipe's ends do not. */
	struct stat s0, s1, s9, pa, pb, qa;
	int q[2], pp[2];
	dup2(1, 9);
	if (pipe(pp) < 0 || pipe(q) < 0)
		return 1;
	fstat(0, &s0), fstat(1, &s1), fstat(9, &s9);
	fstat(pp[0], &pa), fstat(pp[1], &pb), fstat(q[0], &qa);
	printf("one file: stdin and stdout %d, stdout and its dup %d; two pipes %d, a pipe's ends "
	       "%d\n",
	       s0.st_dev == s1.st_dev && s0.st_ino == s1.st_ino,
	       s1.st_dev == s9.st_dev && s1.st_ino == s9.st_ino,
	       pa.st_dev == qa.st_dev && pa.st_ino == qa.st_ino,
	       pa.st_dev == pb.st_dev && pa.st_ino == pb.st_ino);
	close(pp[0]), close(pp[1]), close(q[0]), close(q[1]), close(9);
	/* Their text leads nowhere it started from, a dup's too. */
	dup2(1, 9);
	printf("the text of /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/9 ends: %d %d %d %d\n",
	       text_ends("/dev/stdin"), text_ends("/dev/stdout"), text_ends("/dev/stderr"),
	       text_ends("/dev/fd/9"));
	close(9);
	say("open /dev/stdin O_NOFOLLOW", open("/dev/stdin", O_RDONLY | O_NOFOLLOW) < 0 ? -1 : 0);
	say("open /proc/self/fd/99", open("/proc/self/fd/99", O_RDONLY) < 0 ? -1 : 0);
	say("stat /dev/fd/99", stat("/dev/fd/99", &a) < 0 ? -1 : 0);
	say("open /dev/fd/01", open("/dev/fd/01", O_RDONLY) < 0 ? -1 : 0);
	say("access /dev/stdout W_OK", access("/dev/stdout", W_OK) < 0 ? -1 : 0);
	int e = eventfd(0, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e);
	say("open an eventfd's link", open(path, O_RDWR) < 0 ? -1 : 0);
	show_link(path);
	int d = open("/", O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "/dev/fd/%d", d);
	say("open a directory's link O_DIRECTORY", open(path, O_RDONLY | O_DIRECTORY) < 0 ? -1 : 0);
	show_link(path);
	snprintf(path, sizeof(path), "/dev/fd/%d/", f);
	say("a file's link with a trailing slash", open(path, O_RDONLY) < 0 ? -1 : 0);
	/* on through a link to a directory: from that directory */
	char dir[64], base[64];
	snprintf(dir, sizeof(dir), "%s", file);
	snprintf(base, sizeof(base), "%s", file);
	int dd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "/dev/fd/%d/%s", dd, basename(base));
	int h = open(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	say("open /dev/fd/DIR/NAME", h);
	say("read from it", read(h, buf, 4));
	printf("  %s\n", buf);
	snprintf(path, sizeof(path), "/proc/self/fd/%d/./%s/", dd, basename(base));
	say("the same with a trailing slash", open(path, O_RDONLY));
	snprintf(path, sizeof(path), "/proc/self/fd/%d/x", f);
	say("on through a file's link", open(path, O_RDONLY));
	say("on through /dev/stdin", open("/dev/stdin/x", O_RDONLY));
	fd_dirs();
	return 0;
}
