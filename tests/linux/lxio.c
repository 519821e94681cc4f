/*
 * lxio.c: files and I/O as Linux has them, compared byte for byte with Linux
 * by tests/cli/cli_linux.sh through raw system calls:
 *   `lxtest bigio FILE` (FILE also on stdin, over 64 KiB): one read(2) of a
 *   regular file, of stdin redirected from it, of /dev/zero and the random
 *   devices returns the whole length; one write(2)/writev to stdout or stderr
 *   writes all of it; a buffer that ends in a hole moves what comes before it.
 *   `lxtest files FILE`: readlink of /proc/self/exe, fsync, fdatasync, syncfs,
 *   chdir, fchdir and statx (its fields against fstat's), with their errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
void lx_sayv(const char *what, long r);
#define say  lx_say
#define sayv lx_sayv

int do_bigio(const char *file);
int do_files(const char *argv0, const char *file);

#define BIG (1L << 20)

static uint32_t fnv(const unsigned char *p, long n)
{
	uint32_t h = 2166136261u;

	for (long i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Two mapped pages, then a hole where a third would be. */
static char *two_pages_then_hole(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + 2 * 4096, 4096);
	memset(p, 'h', 2 * 4096);
	return p;
}

static void bigio_read(const char *file, unsigned char *buf)
{
	int fd = open(file, O_RDONLY);
	long n, size = lseek(fd, 0, SEEK_END);
	char *hole = two_pages_then_hole();

	printf("file over 64 KiB: %s\n", size > 65536 ? "yes" : "no");
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, BIG);
	printf("read of the file: whole: %s, hash %08x\n", n == size ? "yes" : "no", fnv(buf, n));
	sayv("read at its end", read(fd, buf, BIG));
	n = pread(fd, buf, BIG, 1000);
	printf("pread from 1000: whole: %s, hash %08x\n", n == size - 1000 ? "yes" : "no",
	       fnv(buf, n));
	lseek(fd, 0, SEEK_SET);
	struct iovec v[3] = {{buf, 70000}, {buf + 70000, 80000}, {buf + 150000, BIG}};
	n = readv(fd, v, 3);
	printf("readv: whole: %s, hash %08x\n", n == size ? "yes" : "no", fnv(buf, n));
	lseek(fd, 0, SEEK_SET);
	sayv("read into two pages and a hole", read(fd, hole, 100000));
	sayv("the offset after it", lseek(fd, 0, SEEK_CUR));
	printf("hash of what it read: %08x\n", fnv((unsigned char *)hole, 8192));
	close(fd);
	n = read(0, buf, BIG);
	printf("read of stdin (the file): whole: %s, hash %08x\n", n == size ? "yes" : "no",
	       fnv(buf, n));
	sayv("read of stdin at its end", read(0, buf, BIG));
	static const char *const devs[] = {"/dev/zero", "/dev/urandom", "/dev/random", "/dev/null"};
	for (unsigned i = 0; i < 4; i++) {
		fd = open(devs[i], O_RDONLY);
		memset(buf, 1, BIG);
		n = read(fd, buf, BIG);
		printf("read of %s: %ld", devs[i], n);
		if (i == 0)
			printf(", zeros: %s",
			       buf[0] == 0 && !memcmp(buf, buf + 1, BIG - 1) ? "yes" : "no");
		printf("\n");
		close(fd);
	}
	munmap(hole, 2 * 4096);
}

static void bigio_write(unsigned char *buf)
{
	char *hole = two_pages_then_hole();
	long r[5];

	for (long i = 0; i < BIG; i++)
		buf[i] = (unsigned char)('a' + i % 26);
	buf[299999] = '\n';
	/* stdout carries the data: the results wait until it is written. */
	fflush(stdout);
	r[0] = write(1, buf, 300000);
	struct iovec v[2] = {{buf, 100000}, {buf + 200000, 100000}};
	r[1] = writev(1, v, 2);
	r[2] = write(1, hole, 100000);
	r[3] = write(2, buf, 300000);
	r[4] = write(1, "\n", 1);
	printf("write of 300000 bytes: %ld\n", r[0]);
	printf("writev of 2 x 100000 bytes: %ld\n", r[1]);
	printf("write from two pages and a hole: %ld\n", r[2]);
	printf("write of 300000 bytes to stderr: %ld\n", r[3]);
	printf("then one byte: %ld\n", r[4]);
	munmap(hole, 2 * 4096);
}

int do_bigio(const char *file)
{
	unsigned char *buf = malloc(BIG);

	if (!buf)
		return 1;
	bigio_read(file, buf);
	bigio_write(buf);
	free(buf);
	return 0;
}

/* readlink of /proc/self/exe: the path the program was started as. */
static void files_exe(const char *argv0)
{
	char buf[4096];
	long n = readlink("/proc/self/exe", buf, sizeof(buf));

	if (n < 0) {
		say("readlink /proc/self/exe", n);
	} else {
		buf[n] = 0;
		printf("readlink /proc/self/exe is argv[0]: %s\n", argv0[0] != '/' ? "(relative)"
								   : strcmp(buf, argv0) ? buf
											: "yes");
	}
	n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, 4);
	printf("readlinkat, 4 bytes: %ld, argv[0]'s first: %s\n", n,
	       n == 4 && !memcmp(buf, argv0, 4) ? "yes" : "no");
	say("readlinkat from fd 99", syscall(SYS_readlinkat, 99, "/proc/self/exe", buf, 4));
	say("readlink /proc/self/exe, size 0", syscall(SYS_readlink, "/proc/self/exe", buf, 0));
	say("readlink /proc/self/exe, size -1", syscall(SYS_readlink, "/proc/self/exe", buf, -1));
	say("readlink /proc/self/exe, bad buffer", syscall(SYS_readlink, "/proc/self/exe", 8, 64));
}

static void files_sync(const char *file)
{
	int fd = open(file, O_RDONLY), p[2], null = open("/dev/null", O_WRONLY);
	int efd = (int)syscall(SYS_eventfd2, 0, 0);

	if (pipe(p) < 0)
		return;
	say("fsync of the file", syscall(SYS_fsync, fd));
	say("fdatasync of the file", syscall(SYS_fdatasync, fd));
	say("syncfs of the file", syscall(SYS_syncfs, fd));
	say("fsync of stdout (a file)", syscall(SYS_fsync, 1));
	say("fsync of stdin (/dev/null)", syscall(SYS_fsync, 0));
	say("fsync of /dev/null", syscall(SYS_fsync, null));
	say("fdatasync of a pipe", syscall(SYS_fdatasync, p[1]));
	say("fsync of an eventfd", syscall(SYS_fsync, efd));
	say("syncfs of a pipe", syscall(SYS_syncfs, p[0]));
	say("fsync of fd 99", syscall(SYS_fsync, 99));
	say("fdatasync of fd -1", syscall(SYS_fdatasync, -1));
	say("syncfs of fd 99", syscall(SYS_syncfs, 99));
	say("fsync of fd 2^32+1", syscall(SYS_fsync, (1L << 32) | 1));
	say("chdir /", syscall(SYS_chdir, "/"));
	say("chdir .", syscall(SYS_chdir, "."));
	say("chdir //..", syscall(SYS_chdir, "//.."));
	say("chdir the file", syscall(SYS_chdir, file));
	say("chdir /dev/null", syscall(SYS_chdir, "/dev/null"));
	say("chdir /no/such/dir", syscall(SYS_chdir, "/no/such/dir"));
	say("chdir \"\"", syscall(SYS_chdir, ""));
	say("chdir NULL", syscall(SYS_chdir, 0));
	say("fchdir of the file", syscall(SYS_fchdir, fd));
	say("fchdir of a pipe", syscall(SYS_fchdir, p[0]));
	say("fchdir of fd 99", syscall(SYS_fchdir, 99));
	char cwd[64] = "";
	sayv("getcwd", syscall(SYS_getcwd, cwd, sizeof(cwd)));
	printf("cwd %s\n", cwd);
	close(p[0]), close(p[1]), close(fd), close(null), close(efd);
}

/* struct statx as Linux lays it out (256 bytes). */
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct {
		int64_t sec;
		uint32_t nsec;
		int32_t pad;
	} atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t spare[12];
};

/* statx of dirfd/path against fstat of fd: the fields both have agree. */
static void statx_vs_fstat(const char *what, int dirfd, const char *path, int flags, int fd)
{
	struct kstatx x;
	struct stat st;
	long r;

	memset(&x, 0xee, sizeof(x));
	r = syscall(SYS_statx, dirfd, path, flags, 0x7ff, &x);
	if (r < 0 || fstat(fd, &st) < 0) {
		say(what, r);
		return;
	}
	printf("statx %s: basic stats %s, type %o, size %lld, agrees with fstat: %s%s%s%s%s%s\n",
	       what, (x.mask & 0x7ff) == 0x7ff ? "all" : "not all", (unsigned)(x.mode & S_IFMT),
	       (long long)x.size, x.mode == (st.st_mode & 0xffff) ? "mode " : "MODE ",
	       x.ino == st.st_ino && x.nlink == st.st_nlink ? "ino,nlink " : "INO,NLINK ",
	       x.blksize == st.st_blksize && x.blocks == (uint64_t)st.st_blocks ? "blocks "
										: "BLOCKS ",
	       x.rdev_major == major(st.st_rdev) && x.rdev_minor == minor(st.st_rdev) ? "rdev "
										      : "RDEV ",
	       x.dev_major == major(st.st_dev) && x.dev_minor == minor(st.st_dev) ? "dev " : "DEV ",
	       x.mtime.sec == st.st_mtim.tv_sec && x.mtime.nsec == st.st_mtim.tv_nsec &&
			       x.uid == st.st_uid && x.gid == st.st_gid
		       ? "mtime,uid,gid"
		       : "MTIME,UID,GID");
}

static void files_statx(const char *file)
{
	int fd = open(file, O_RDONLY), null = open("/dev/null", O_RDONLY), p[2];
	struct kstatx x;

	if (pipe(p) < 0)
		return;
	statx_vs_fstat("of the file", AT_FDCWD, file, 0, fd);
	statx_vs_fstat("of the file, AT_SYMLINK_NOFOLLOW", AT_FDCWD, file, AT_SYMLINK_NOFOLLOW, fd);
	statx_vs_fstat("of the file's descriptor", fd, "", AT_EMPTY_PATH, fd);
	statx_vs_fstat("of /dev/null", AT_FDCWD, "/dev/null", 0, null);
	statx_vs_fstat("of a pipe", p[0], "", AT_EMPTY_PATH, p[0]);
	statx_vs_fstat("of stdout", 1, "", AT_EMPTY_PATH, 1);
	say("statx, mask bit 31", syscall(SYS_statx, AT_FDCWD, file, 0, 0x80000000u, &x));
	say("statx, both sync flags", syscall(SYS_statx, AT_FDCWD, 0, 0x6000, 0x7ff, &x));
	say("statx, flag 0x10000", syscall(SYS_statx, AT_FDCWD, file, 0x10000, 0x7ff, &x));
	say("statx, no such file", syscall(SYS_statx, AT_FDCWD, "/no/such", 0, 0x7ff, &x));
	say("statx, empty path", syscall(SYS_statx, AT_FDCWD, "", 0, 0x7ff, &x));
	say("statx, NULL path", syscall(SYS_statx, AT_FDCWD, 0, 0, 0x7ff, &x));
	say("statx, bad buffer", syscall(SYS_statx, AT_FDCWD, file, 0, 0x7ff, 8));
	say("statx, relative from stdout", syscall(SYS_statx, 1, "x", 0, 0x7ff, &x));
	say("statx, relative from fd 99", syscall(SYS_statx, 99, "x", 0, 0x7ff, &x));
	say("statx, AT_EMPTY_PATH on fd 99", syscall(SYS_statx, 99, "", AT_EMPTY_PATH, 0x7ff, &x));
	close(p[0]), close(p[1]), close(fd), close(null);
}

int do_files(const char *argv0, const char *file)
{
	files_exe(argv0);
	files_sync(file);
	files_statx(file);
	return 0;
}
