/*
 * lxfds.c: `lxtest fds FILE`: the descriptor table as Linux has it, through
 * raw system calls: dup, dup2, dup3, F_DUPFD and F_DUPFD_CLOEXEC with their
 * edge cases and errno, closing 0-2 and putting something else there,
 * duplicates sharing an offset and status flags but not FD_CLOEXEC, and the
 * devices /dev/null, /dev/zero, /dev/random, /dev/urandom (lengths only,
 * never random bytes). RLIMIT_NOFILE is lowered to 64 first (what kvmlet
 * reports), and what the caller left open above 2 is closed, so native runs
 * see the same table. FILE is "pear\napple\n...".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HI	 (1L << 32) /* set in an argument Linux takes as 32 bits */
#define LX_SHOWN 16	    /* descriptors fdstate shows */

void lx_say(const char *what, long r);
void lx_sayv(const char *what, long r);
#define say  lx_say
#define sayv lx_sayv

static long sys(long nr, long a, long b, long c)
{
	return syscall(nr, a, b, c);
}

static void fds_dup(void)
{
	sayv("dup 1", sys(SYS_dup, 1, 0, 0));
	sayv("write through the duplicate", write(3, "via fd 3\n", 9));
	say("dup fd 99", sys(SYS_dup, 99, 0, 0));
	say("dup fd -1", sys(SYS_dup, -1, 0, 0));
	say("dup fd 2^32+99", sys(SYS_dup, HI | 99, 0, 0));
	sayv("dup2 1 to 1", sys(SYS_dup2, 1, 1, 0));
	say("dup2 99 to 99", sys(SYS_dup2, 99, 99, 0));
	say("dup2 -1 to -1", sys(SYS_dup2, -1, -1, 0));
	say("dup2 1 to 64", sys(SYS_dup2, 1, 64, 0));
	say("dup2 1 to -1", sys(SYS_dup2, 1, -1, 0));
	say("dup2 99 to 5", sys(SYS_dup2, 99, 5, 0));
	say("dup2 99 to 64", sys(SYS_dup2, 99, 64, 0));
	sayv("dup2 1 to 10", sys(SYS_dup2, 1, 10, 0));
	sayv("F_GETFD 10", sys(SYS_fcntl, 10, F_GETFD, 0));
	sayv("dup2 3 to 10 (open: replaced)", sys(SYS_dup2, 3, 10, 0));
	say("dup3 1 to 1", sys(SYS_dup3, 1, 1, 0));
	say("dup3 1 to 1, flags 1", sys(SYS_dup3, 1, 1, 1));
	say("dup3 flags O_NONBLOCK", sys(SYS_dup3, 1, 12, O_NONBLOCK));
	say("dup3 99 to 12", sys(SYS_dup3, 99, 12, 0));
	say("dup3 99 to 64", sys(SYS_dup3, 99, 64, 0));
	say("dup3 -1 to -1", sys(SYS_dup3, -1, -1, 0));
	sayv("dup3 1 to 11, O_CLOEXEC", sys(SYS_dup3, 1, 11, O_CLOEXEC));
	sayv("F_GETFD 11", sys(SYS_fcntl, 11, F_GETFD, 0));
	sayv("dup3 flags with bit 32", sys(SYS_dup3, 1, 12, HI | O_CLOEXEC));
	sayv("F_GETFD 12", sys(SYS_fcntl, 12, F_GETFD, 0));
	sayv("F_DUPFD 1 from 20", sys(SYS_fcntl, 1, F_DUPFD, 20));
	sayv("F_DUPFD_CLOEXEC 1 from 20", sys(SYS_fcntl, 1, F_DUPFD_CLOEXEC, 20));
	sayv("F_GETFD 21", sys(SYS_fcntl, 21, F_GETFD, 0));
	sayv("F_GETFD 20", sys(SYS_fcntl, 20, F_GETFD, 0));
	say("F_DUPFD from 64", sys(SYS_fcntl, 1, F_DUPFD, 64));
	say("F_DUPFD from -1", sys(SYS_fcntl, 1, F_DUPFD, -1));
	say("F_DUPFD fd 99", sys(SYS_fcntl, 99, F_DUPFD, 0));
	say("F_DUPFD fd 99 from 64", sys(SYS_fcntl, 99, F_DUPFD, 64));
	sayv("F_DUPFD from 63", sys(SYS_fcntl, 1, F_DUPFD, 63));
	say("F_DUPFD from 63 again", sys(SYS_fcntl, 1, F_DUPFD, 63));
	sayv("F_DUPFD from 2^32+5", sys(SYS_fcntl, 1, F_DUPFD, HI | 5));
	for (int fd = 3; fd < 64; fd++)
		if (fd != 10)
			close(fd);
	sayv("write through 10", write(10, "via fd 10\n", 10));
	say("close 10", sys(SYS_close, 10, 0, 0));
	say("close 10 again", sys(SYS_close, 10, 0, 0));
}

/* Every descriptor taken: EMFILE for dup and open, then all given back. */
static void fds_full(void)
{
	int n = 0;
	long r;

	while ((r = sys(SYS_dup, 1, 0, 0)) >= 0)
		n++;
	printf("dup until full: %d more, then %s\n", n, errno == EMFILE ? "EMFILE" : "?");
	say("open /dev/null when full", sys(SYS_open, (long)"/dev/null", O_RDONLY, 0));
	say("F_DUPFD when full", sys(SYS_fcntl, 1, F_DUPFD, 0));
	for (int fd = 3; fd < 64; fd++)
		close(fd);
}

/* 0-2 closed for real, and the lowest free descriptor is 0-2 again. */
static void fds_std(const char *file)
{
	char buf[16] = "";
	long saved = sys(SYS_dup, 1, 0, 0), r[6];
	int e[6];

	/* Nothing can be printed while 1 is closed: the results wait. */
	r[0] = sys(SYS_close, 1, 0, 0), e[0] = errno;
	r[1] = write(1, "lost\n", 5), e[1] = errno;
	r[2] = sys(SYS_close, 1, 0, 0), e[2] = errno;
	r[3] = sys(SYS_open, (long)"/dev/null", O_WRONLY, 0), e[3] = errno;
	r[4] = write(1, "discarded\n", 10), e[4] = errno;
	r[5] = sys(SYS_dup2, saved, 1, 0), e[5] = errno;
	close((int)saved);
	printf("saved stdout at %ld\n", saved);
	static const char *const what[] = {
		"close 1",
		"write to closed 1",
		"close 1 again",
		"open /dev/null after closing 1",
		"write to 1 (/dev/null)",
		"dup2 the saved stdout back to 1",
	};
	for (int i = 0; i < 6; i++) {
		errno = e[i];
		sayv(what[i], r[i]);
	}
	say("close 0", sys(SYS_close, 0, 0, 0));
	say("read closed 0", read(0, buf, 1));
	say("fstat closed 0", sys(SYS_fstat, 0, (long)buf, 0));
	sayv("open FILE after closing 0", sys(SYS_open, (long)file, O_RDONLY, 0));
	sayv("read 0 (FILE)", read(0, buf, 5));
	printf("read %.5s", buf);
	sayv("open /dev/zero", sys(SYS_open, (long)"/dev/zero", O_RDONLY, 0));
	sayv("dup2 /dev/zero to 0", sys(SYS_dup2, 3, 0, 0));
	close(3);
	memset(buf, 'x', sizeof(buf));
	sayv("read 0 (/dev/zero)", read(0, buf, 8));
	printf("zeros %s\n", !memcmp(buf, "\0\0\0\0\0\0\0\0xxxxxxxx", 16) ? "yes" : "no");
	sayv("dup2 1 to 2", sys(SYS_dup2, 1, 2, 0));
	sayv("write to 2 (stdout now)", write(2, "via fd 2\n", 9));
	say("close 2", sys(SYS_close, 2, 0, 0));
	sayv("dup of 1 fills 2", sys(SYS_dup, 1, 0, 0));
	sayv("F_GETFL 2", sys(SYS_fcntl, 2, F_GETFL, 0) & O_ACCMODE);
}

/* Duplicates share the offset and status flags; FD_CLOEXEC is their own. */
static void fds_shared(const char *file)
{
	char buf[16] = "";
	long fd = sys(SYS_open, (long)file, O_RDONLY | O_CLOEXEC, 0), d = sys(SYS_dup, fd, 0, 0);
	long other = sys(SYS_open, (long)file, O_RDONLY, 0);

	printf("file at %ld, duplicate %ld, opened again %ld\n", fd, d, other);
	sayv("F_GETFD the file", sys(SYS_fcntl, fd, F_GETFD, 0));
	sayv("F_GETFD the duplicate", sys(SYS_fcntl, d, F_GETFD, 0));
	sayv("read 4", read((int)fd, buf, 4));
	sayv("offset of the duplicate", sys(SYS_lseek, d, 0, SEEK_CUR));
	sayv("read 3 from the duplicate", read((int)d, buf + 4, 3));
	printf("read %.7s|\n", buf);
	sayv("offset of the file", sys(SYS_lseek, fd, 0, SEEK_CUR));
	sayv("offset of the other open", sys(SYS_lseek, other, 0, SEEK_CUR));
	sayv("pread 4 at 0", syscall(SYS_pread64, d, buf, 4, 0));
	sayv("offset after pread", sys(SYS_lseek, fd, 0, SEEK_CUR));
	say("F_SETFL O_NONBLOCK on the duplicate", sys(SYS_fcntl, d, F_SETFL, O_NONBLOCK));
	sayv("F_GETFL the file", sys(SYS_fcntl, fd, F_GETFL, 0) & (O_ACCMODE | O_NONBLOCK));
	sayv("F_GETFL the other open",
	     sys(SYS_fcntl, other, F_GETFL, 0) & (O_ACCMODE | O_NONBLOCK));
	sayv("seek the file to 11", sys(SYS_lseek, fd, 11, SEEK_SET));
	say("close the file", sys(SYS_close, fd, 0, 0));
	sayv("read 4 from the duplicate", read((int)d, buf, 4));
	printf("read %.4s|\n", buf);
	say("write to the duplicate", write((int)d, "x", 1));
	close((int)d);
	close((int)other);
}

static void dev_stat(const char *path, int fd)
{
	struct stat st;

	if (sys(SYS_fstat, fd, (long)&st, 0) != 0)
		printf("fstat %s: errno %d\n", path, errno);
	else
		printf("fstat %s: chr %d mode %o rdev %u:%u size %ld\n", path, S_ISCHR(st.st_mode),
		       st.st_mode & 07777, major(st.st_rdev), minor(st.st_rdev), (long)st.st_size);
	if (sys(SYS_stat, (long)path, (long)&st, 0) != 0)
		printf("stat %s: errno %d\n", path, errno);
	else
		printf("stat %s: chr %d rdev %u:%u\n", path, S_ISCHR(st.st_mode), major(st.st_rdev),
		       minor(st.st_rdev));
}

static void fds_null(void)
{
	char buf[64];
	struct pollfd p = {.events = POLLIN | POLLOUT};
	long n = sys(SYS_open, (long)"/dev/null", O_RDWR, 0);

	sayv("open /dev/null O_RDWR", n);
	sayv("read /dev/null", read((int)n, buf, sizeof(buf)));
	sayv("write /dev/null", write((int)n, "abc", 3));
	sayv("write /dev/null, unmapped buffer", sys(SYS_write, n, 8, 5));
	say("write /dev/null, length -1", sys(SYS_write, n, (long)buf, -1L));
	sayv("writev /dev/null", sys(SYS_writev, n, (long)&(struct iovec){buf, 7}, 1));
	sayv("pread /dev/null", syscall(SYS_pread64, n, buf, 4, 100));
	sayv("pwrite /dev/null", syscall(SYS_pwrite64, n, buf, 4, 100));
	say("pread /dev/null at -1", syscall(SYS_pread64, n, buf, 4, -1L));
	sayv("lseek /dev/null to 100", sys(SYS_lseek, n, 100, SEEK_SET));
	sayv("lseek /dev/null SEEK_END", sys(SYS_lseek, n, -5, SEEK_END));
	say("lseek /dev/null whence 7", sys(SYS_lseek, n, 0, 7));
	sayv("F_GETFL /dev/null", sys(SYS_fcntl, n, F_GETFL, 0));
	say("ioctl TCGETS /dev/null", sys(SYS_ioctl, n, TCGETS, (long)buf));
	say("ioctl FIONREAD /dev/null", sys(SYS_ioctl, n, FIONREAD, (long)buf));
	say("ioctl FIOCLEX /dev/null", sys(SYS_ioctl, n, FIOCLEX, 0));
	sayv("F_GETFD /dev/null", sys(SYS_fcntl, n, F_GETFD, 0));
	p.fd = (int)n;
	sayv("poll /dev/null", sys(SYS_poll, (long)&p, 1, 0));
	printf("revents %#x\n", p.revents);
	dev_stat("/dev/null", (int)n);
	close((int)n);
	n = sys(SYS_open, (long)"/dev/null", O_RDONLY, 0);
	say("write /dev/null opened O_RDONLY", write((int)n, "x", 1));
	sayv("F_GETFL", sys(SYS_fcntl, n, F_GETFL, 0));
	close((int)n);
	n = sys(SYS_open, (long)"/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0666);
	say("read /dev/null opened O_WRONLY", read((int)n, buf, 1));
	sayv("F_GETFL (O_APPEND)", sys(SYS_fcntl, n, F_GETFL, 0));
	close((int)n);
	say("open /dev/null O_CREAT|O_EXCL",
	    sys(SYS_open, (long)"/dev/null", O_CREAT | O_EXCL | O_WRONLY, 0666));
	say("open /dev/null O_DIRECTORY", sys(SYS_open, (long)"/dev/null", O_DIRECTORY, 0));
	say("access /dev/null R_OK|W_OK", sys(SYS_access, (long)"/dev/null", R_OK | W_OK, 0));
	say("access /dev/null X_OK", sys(SYS_access, (long)"/dev/null", X_OK, 0));
	say("readlink /dev/null", sys(SYS_readlink, (long)"/dev/null", (long)buf, 10));
	say("open /dev/nul", sys(SYS_open, (long)"/dev/nul", O_RDONLY, 0));
}

static void fds_zero_random(void)
{
	static const char *const devs[] = {"/dev/zero", "/dev/urandom", "/dev/random"};
	char buf[300], name[64];

	for (int i = 0; i < 3; i++) {
		long n = sys(SYS_open, (long)devs[i], O_RDWR | O_CLOEXEC, 0), r;

		snprintf(name, sizeof(name), "open %s", devs[i]);
		sayv(name, n);
		memset(buf, 'x', sizeof(buf));
		snprintf(name, sizeof(name), "read 300 from %s", devs[i]);
		sayv(name, r = read((int)n, buf, sizeof(buf)));
		if (i == 0) {
			int zero = 1;
			for (int j = 0; j < 300; j++)
				zero &= !buf[j];
			printf("all zero: %s\n", zero ? "yes" : "no");
		}
		snprintf(name, sizeof(name), "write 4 to %s", devs[i]);
		sayv(name, write((int)n, "abcd", 4));
		sayv("lseek to 9", sys(SYS_lseek, n, 9, SEEK_SET));
		sayv("F_GETFD", sys(SYS_fcntl, n, F_GETFD, 0));
		sayv("dup: F_GETFD", sys(SYS_fcntl, sys(SYS_dup, n, 0, 0), F_GETFD, 0));
		say("ioctl TCGETS", sys(SYS_ioctl, n, TCGETS, (long)buf));
		dev_stat(devs[i], (int)n);
		close((int)n);
		close((int)n + 1);
	}
}

int do_fds(const char *file);

int do_fds(const char *file)
{
	struct rlimit lim = {64, 64};

	setvbuf(stdout, NULL, _IONBF, 0); /* raw writes to 1 follow printf in order */
	if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
		return 2;
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	fds_dup();
	fds_full();
	fds_shared(file);
	fds_null();
	fds_zero_random();
	fds_std(file);
	return 0;
}

/* `lxtest fdstate`: which descriptors are open at the start, then a table
 * left in disorder at exit (0 and 2 closed, 1 duplicated high, a device
 * open): a reset must bring back the first. */
int do_fdstate(void);

int do_fdstate(void)
{
	char open_[LX_SHOWN + 1];

	for (int fd = 0; fd < LX_SHOWN; fd++)
		open_[fd] = sys(SYS_fcntl, fd, F_GETFD, 0) >= 0 ? 'o' : '-';
	open_[LX_SHOWN] = 0;
	printf("open at start: %s\n", open_);
	sayv("F_GETFD 1", sys(SYS_fcntl, 1, F_GETFD, 0));
	sys(SYS_fcntl, 1, F_SETFD, FD_CLOEXEC);
	sys(SYS_dup2, 1, 9, 0);
	sys(SYS_open, (long)"/dev/zero", O_RDONLY, 0);
	sys(SYS_close, 0, 0, 0);
	sys(SYS_close, 2, 0, 0);
	return 0;
}
