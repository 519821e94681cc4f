/*
 * lxabi.c: `lxtest sysabi FILE`: the argument rules of the system calls
 * kvmlet serves, through raw system calls (libc would check some itself):
 * errno for each bad argument, NULL where Linux allows it, arithmetic that
 * must not wrap, 32-bit arguments whose upper half Linux ignores. It prints
 * only what Linux and kvmlet must agree on: never an address, a pid or a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HI		(1L << 32) /* set in an argument Linux takes as 32 bits */
#define KERN		0xffff800000000000L
#define NOPID		0x3fffffffL /* above any pid_max */
#define MREMAP_MAYMOVE_ 1
#define SA_RESTORER_	0x04000000

/* What syscall() returned: "ok", or the errno's name. */
static void say(const char *what, long r)
{
	static const char *const names[] = {
		[EPERM] = "EPERM",	     [ENOENT] = "ENOENT",
		[ESRCH] = "ESRCH",	     [EBADF] = "EBADF",
		[EAGAIN] = "EAGAIN",	     [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES",	     [EFAULT] = "EFAULT",
		[EEXIST] = "EEXIST",	     [ENOTDIR] = "ENOTDIR",
		[EINVAL] = "EINVAL",	     [ENOTTY] = "ENOTTY",
		[ESPIPE] = "ESPIPE",	     [EROFS] = "EROFS",
		[ERANGE] = "ERANGE",	     [ENOSYS] = "ENOSYS",
		[ENXIO] = "ENXIO",	     [ETIMEDOUT] = "ETIMEDOUT",
		[EOPNOTSUPP] = "EOPNOTSUPP", [EMFILE] = "EMFILE",
		[E2BIG] = "E2BIG",	     [ECHILD] = "ECHILD",
		[EISDIR] = "EISDIR",	     [EBUSY] = "EBUSY",
		[ENOTEMPTY] = "ENOTEMPTY",   [ENAMETOOLONG] = "ENAMETOOLONG",
		[EOVERFLOW] = "EOVERFLOW",
	};
	int e = r == -1 ? errno : 0;

	if (!e)
		printf("%s: ok\n", what);
	else if (e < (int)(sizeof(names) / sizeof(names[0])) && names[e])
		printf("%s: %s\n", what, names[e]);
	else
		printf("%s: errno %d\n", what, e);
}

/* The same, with the value when it is one both must give. */
static void sayv(const char *what, long r)
{
	if (r == -1)
		say(what, r);
	else
		printf("%s: %ld\n", what, r);
}

/* For lxfds.c. */
void lx_say(const char *what, long r);
void lx_sayv(const char *what, long r);

void lx_say(const char *what, long r)
{
	say(what, r);
}

void lx_sayv(const char *what, long r)
{
	sayv(what, r);
}

static void yes(const char *what, int cond)
{
	printf("%s: %s\n", what, cond ? "yes" : "no");
}

static void abi_brk(void)
{
	long b = syscall(SYS_brk, 0);

	yes("brk below its start: unchanged", syscall(SYS_brk, 4096) == b);
	yes("brk -1: unchanged", syscall(SYS_brk, -1L) == b);
	yes("brk up 10000", syscall(SYS_brk, b + 10000) == b + 10000);
	((volatile char *)b)[9999] = 1;
	yes("brk back", syscall(SYS_brk, b) == b);
}

static void abi_mem(void)
{
	const long anon = MAP_PRIVATE | MAP_ANONYMOUS;
	long p = syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, anon, -1, 0), q;

	say("mmap PROT_SEM", q = syscall(SYS_mmap, 0, 4096, PROT_READ | 8, anon, -1, 0));
	syscall(SYS_munmap, q, 4096);
	say("mprotect PROT_SEM", syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_WRITE | 8));
	say("mprotect below the program", syscall(SYS_mprotect, 0x1000, 4096, PROT_READ));
	say("munmap below the program", syscall(SYS_munmap, 0x1000, 4096));
	say("madvise advice 7", syscall(SYS_madvise, p, 4096, 7));
	say("madvise advice 7, length 0", syscall(SYS_madvise, p, 0, 7));
	say("madvise length -1", syscall(SYS_madvise, p, -1L, MADV_DONTNEED));
	say("madvise length 0", syscall(SYS_madvise, p, 0, MADV_DONTNEED));
	say("madvise MADV_FREE", syscall(SYS_madvise, p, 4096, 8));
	((char *)p)[5] = 7;
	say("madvise MADV_DONTNEED", syscall(SYS_madvise, p, 8192, MADV_DONTNEED));
	yes("zero after MADV_DONTNEED", ((char *)p)[5] == 0);
	say("msync flags 8", syscall(SYS_msync, p, 4096, 8));
	say("msync MS_ASYNC|MS_SYNC", syscall(SYS_msync, p, 4096, MS_ASYNC | MS_SYNC));
	say("msync unaligned", syscall(SYS_msync, p + 1, 4096, MS_SYNC));
	say("msync length -1", syscall(SYS_msync, p, -1L, MS_SYNC));
	say("msync length 0", syscall(SYS_msync, p, 0, MS_SYNC));
	say("msync", syscall(SYS_msync, p, 8192, MS_SYNC));
	say("msync below the program", syscall(SYS_msync, 0x1000, 4096, MS_SYNC));
	say("mremap flags 8", syscall(SYS_mremap, p, 4096, 4096, 8));
	say("mremap unaligned", syscall(SYS_mremap, p + 1, 4096, 4096, 0));
	say("mremap to length 0", syscall(SYS_mremap, p, 4096, 0, MREMAP_MAYMOVE_));
	say("mremap FIXED without MAYMOVE", syscall(SYS_mremap, p, 4096, 4096, 2, p));
	yes("mremap same length: in place", syscall(SYS_mremap, p, 8192, 8192, 0) == p);
	yes("mremap smaller: in place", syscall(SYS_mremap, p, 8192, 4096, 0) == p);
	say("munmap", syscall(SYS_munmap, p, 4096));
}

static void abi_ids(void)
{
	char u[6][65];
	uint64_t v, lim[2] = {10, 5};

	say("arch_prctl code 0x1234", syscall(SYS_arch_prctl, 0x1234, 0));
	say("arch_prctl GET_FS to NULL", syscall(SYS_arch_prctl, 0x1003, 0));
	say("arch_prctl SET_GS", syscall(SYS_arch_prctl, 0x1001, 0x123456));
	say("arch_prctl GET_GS, code with bit 32", syscall(SYS_arch_prctl, HI | 0x1004, &v));
	yes("arch_prctl GET_GS gives SET_GS's", v == 0x123456);
	syscall(SYS_arch_prctl, 0x1001, 0);
	say("uname NULL", syscall(SYS_uname, 0));
	say("uname", syscall(SYS_uname, u));
	printf("uname: %s %s\n", u[0], u[4]);
	say("getrlimit NULL", syscall(SYS_getrlimit, RLIMIT_STACK, 0));
	say("getrlimit resource 16", syscall(SYS_getrlimit, 16, lim));
	say("getrlimit resource with bit 32", syscall(SYS_getrlimit, HI | RLIMIT_NOFILE, lim));
	say("prlimit64 only", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, 0));
	say("prlimit64 resource 99", syscall(SYS_prlimit64, 0, 99, 0, 0));
	say("prlimit64 no such pid", syscall(SYS_prlimit64, NOPID, RLIMIT_NOFILE, 0, lim));
	lim[0] = 10, lim[1] = 5;
	say("prlimit64 cur > max", syscall(SYS_prlimit64, 0, RLIMIT_CORE, lim, 0));
	say("prlimit64 bad new", syscall(SYS_prlimit64, 0, RLIMIT_CORE, 8, 0));
	say("setrlimit cur > max", syscall(SYS_setrlimit, RLIMIT_CORE, lim));
	lim[0] = lim[1] = 0;
	say("setrlimit core 0", syscall(SYS_setrlimit, RLIMIT_CORE, lim));
	say("getcwd size 1", syscall(SYS_getcwd, u, 1));
	say("getcwd NULL, 0", syscall(SYS_getcwd, 0, 0));
	say("getcwd bad buffer", syscall(SYS_getcwd, 8, 4096));
	say("sched_getaffinity length 4", syscall(SYS_sched_getaffinity, 0, 4, u));
	say("sched_getaffinity length 12", syscall(SYS_sched_getaffinity, 0, 12, u));
	say("sched_getaffinity NULL", syscall(SYS_sched_getaffinity, 0, 128, 0));
	say("sched_getaffinity no such pid", syscall(SYS_sched_getaffinity, NOPID, 128, u));
}

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void handler(int sig)
{
	(void)sig;
}

static void abi_signals(void)
{
	struct ksigaction a = {handler, SA_RESTORER_ | SA_SIGINFO | SA_RESTART, handler, ~0ull}, o;
	uint64_t set = ~0ull, old = 0;
	char stack[8192];
	struct {
		void *sp;
		int flags;
		size_t size;
	} ss = {stack, 99, sizeof(stack)}, oss;

	say("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0, 0, 0, 8));
	say("rt_sigaction signal 65", syscall(SYS_rt_sigaction, 65, 0, 0, 8));
	say("rt_sigaction size 4", syscall(SYS_rt_sigaction, SIGUSR1, 0, 0, 4));
	say("rt_sigaction SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, &a, 0, 8));
	say("rt_sigaction SIGKILL, only old", syscall(SYS_rt_sigaction, SIGKILL, 0, &o, 8));
	say("rt_sigaction bad act", syscall(SYS_rt_sigaction, SIGUSR1, 8, 0, 8));
	say("rt_sigaction bad old", syscall(SYS_rt_sigaction, SIGUSR1, 0, 8, 8));
	say("rt_sigaction, signal with bit 32", syscall(SYS_rt_sigaction, HI | SIGUSR2, &a, 0, 8));
	say("rt_sigaction read back", syscall(SYS_rt_sigaction, SIGUSR2, 0, &o, 8));
	yes("handler and restorer kept", o.handler == handler && o.restorer == handler);
	printf("flags %#lx mask %#llx\n", o.flags, (unsigned long long)o.mask);
	a.handler = SIG_DFL;
	syscall(SYS_rt_sigaction, SIGUSR2, &a, 0, 8);
	say("rt_sigprocmask how 5", syscall(SYS_rt_sigprocmask, 5, &set, 0, 8));
	say("rt_sigprocmask how 5, no set", syscall(SYS_rt_sigprocmask, 5, 0, 0, 8));
	say("rt_sigprocmask size 16", syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, 0, 16));
	say("rt_sigprocmask bad set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, 8, 0, 8));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, &old, 8);
	say("rt_sigprocmask all, read back",
	    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, &set, 8));
	printf("blocked %#llx\n", (unsigned long long)set);
	say("sigaltstack NULL, NULL", syscall(SYS_sigaltstack, 0, 0));
	say("sigaltstack flags 99", syscall(SYS_sigaltstack, &ss, 0));
	ss.flags = 0, ss.size = 100;
	say("sigaltstack size 100", syscall(SYS_sigaltstack, &ss, 0));
	say("sigaltstack bad new", syscall(SYS_sigaltstack, 8, 0));
	ss.size = sizeof(stack);
	say("sigaltstack set", syscall(SYS_sigaltstack, &ss, 0));
	say("sigaltstack read back", syscall(SYS_sigaltstack, 0, &oss));
	printf("altstack same %d flags %d size %zu\n", oss.sp == stack, oss.flags, oss.size);
	ss.flags = SS_DISABLE;
	say("sigaltstack disable", syscall(SYS_sigaltstack, &ss, &oss));
	say("sigaltstack read back", syscall(SYS_sigaltstack, 0, &oss));
	printf("altstack null %d flags %d size %zu\n", oss.sp == NULL, oss.flags, oss.size);
}

static void abi_futex_kill(void)
{
	static uint32_t f[2] = {1, 1};
	struct timespec ns1 = {0, 1}, bad = {0, 2000000000};
	const long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);
	struct ksigaction ign = {SIG_IGN, 0, 0, 0};

	say("futex unaligned", syscall(SYS_futex, (char *)f + 1, 0, 0, 0, 0, 0));
	say("futex wait, value differs", syscall(SYS_futex, f, 0, 0, 0, 0, 0));
	say("futex wait, private", syscall(SYS_futex, f, 128, 0, 0, 0, 0));
	say("futex wait 1 ns", syscall(SYS_futex, f, 0, 1, &ns1, 0, 0));
	say("futex wait, bad timeout", syscall(SYS_futex, f, 0, 1, &bad, 0, 0));
	say("futex wait, timeout NULL+8", syscall(SYS_futex, f, 0, 1, 8, 0, 0));
	say("futex wait, bad address", syscall(SYS_futex, 8, 0, 1, 0, 0, 0));
	say("futex wait_bitset 0", syscall(SYS_futex, f, 9, 1, &ns1, 0, 0));
	sayv("futex wake", syscall(SYS_futex, f, 1, 1, 0, 0, 0));
	say("futex wake unaligned", syscall(SYS_futex, (char *)f + 2, 1, 1, 0, 0, 0));
	say("futex op 99", syscall(SYS_futex, f, 99, 1, 0, 0, 0));
	say("futex op 0x200", syscall(SYS_futex, f, 0x200, 1, 0, 0, 0));
	say("kill signal 99", syscall(SYS_kill, pid, 99));
	say("kill signal 0", syscall(SYS_kill, pid, 0));
	say("kill no such pid", syscall(SYS_kill, NOPID, 0));
	say("kill SIGCHLD (ignored)", syscall(SYS_kill, pid, SIGCHLD));
	say("kill SIGWINCH (ignored)", syscall(SYS_kill, pid, SIGWINCH));
	say("ignore SIGUSR1", syscall(SYS_rt_sigaction, SIGUSR1, &ign, 0, 8));
	say("kill SIGUSR1 (ignored)", syscall(SYS_kill, pid, SIGUSR1));
	say("tkill signal 65", syscall(SYS_tkill, tid, 65));
	say("tkill tid 0", syscall(SYS_tkill, 0, 0));
	say("tgkill signal 0", syscall(SYS_tgkill, pid, tid, 0));
	say("tgkill tgid -1", syscall(SYS_tgkill, -1, tid, 0));
	say("tgkill no such pid", syscall(SYS_tgkill, NOPID, tid, 0));
}

static void abi_io(void)
{
	char buf[64] = "";
	struct iovec v[2] = {{"ab\n", 3}, {(void *)KERN, 5}};

	fflush(stdout); /* what follows writes to fd 1 itself */
	say("write fd 2^32+1", syscall(SYS_write, HI | 1, "fd 2^32+1 is fd 1\n", 18));
	say("write fd 99", syscall(SYS_write, 99, buf, 1));
	say("write fd -1", syscall(SYS_write, -1, buf, 1));
	say("write NULL, 0", syscall(SYS_write, 1, 0, 0));
	say("write bad buffer", syscall(SYS_write, 1, 8, 5));
	say("write length -1", syscall(SYS_write, 1, buf, -1L));
	say("write kernel buffer", syscall(SYS_write, 1, KERN, 1));
	sayv("read count 0", syscall(SYS_read, 0, buf, 0));
	say("read fd 99", syscall(SYS_read, 99, buf, 1));
	say("read count -1", syscall(SYS_read, 0, buf, -1L));
	say("writev kernel buffer", syscall(SYS_writev, 1, v, 2));
	v[1] = (struct iovec){buf, (size_t)-1};
	say("writev length -1", syscall(SYS_writev, 1, v, 2));
	say("writev fd 99, 2000 entries", syscall(SYS_writev, 99, v, 2000));
	say("writev 2000 entries", syscall(SYS_writev, 1, v, 2000));
	sayv("writev 0 entries", syscall(SYS_writev, 1, v, 0));
	say("readv bad vector", syscall(SYS_readv, 0, 8, 1));
	fflush(stdout);
}

static void abi_files(const char *file)
{
	char buf[160];
	int fd = open(file, O_RDONLY);

	say("open the file", fd);
	say("open \"\"", syscall(SYS_open, "", O_RDONLY));
	say("open NULL", syscall(SYS_open, 0, O_RDONLY));
	say("open O_DIRECTORY", syscall(SYS_open, file, O_RDONLY | O_DIRECTORY));
	say("openat fd 99, relative", syscall(SYS_openat, 99, "x", O_RDONLY));
	say("openat the file, relative", syscall(SYS_openat, fd, "x", O_RDONLY));
	say("openat fd 99, absolute", syscall(SYS_openat, 99, "/nonexistent/x", O_RDONLY));
	say("fstat fd 99", syscall(SYS_fstat, 99, buf));
	say("fstat fd -1", syscall(SYS_fstat, -1, buf));
	say("fstat NULL", syscall(SYS_fstat, fd, 0));
	say("newfstatat flags 1", syscall(SYS_newfstatat, AT_FDCWD, file, buf, 1));
	say("newfstatat fd 99, relative", syscall(SYS_newfstatat, 99, "x", buf, 0));
	say("stat \"\"", syscall(SYS_stat, "", buf));
	say("stat NULL buffer", syscall(SYS_stat, file, 0));
	say("access mode 8", syscall(SYS_access, "/nonexistent", 8));
	say("access R_OK", syscall(SYS_access, file, R_OK));
	say("faccessat fd 99, relative", syscall(SYS_faccessat, 99, "x", R_OK));
	say("faccessat2 flags 1", syscall(439, AT_FDCWD, file, R_OK, 1));
	say("readlink size 0", syscall(SYS_readlink, "/nonexistent", buf, 0));
	say("readlink NULL", syscall(SYS_readlink, 0, buf, 10));
	say("readlink a file", syscall(SYS_readlink, file, buf, 10));
	say("lseek fd 99", syscall(SYS_lseek, 99, 0, SEEK_SET));
	say("lseek whence 7", syscall(SYS_lseek, fd, 0, 7));
	say("lseek to -1", syscall(SYS_lseek, fd, -1L, SEEK_SET));
	sayv("lseek whence with bit 32", syscall(SYS_lseek, fd, 0, HI | SEEK_END));
	sayv("lseek SEEK_DATA 1", syscall(SYS_lseek, fd, 1, 3));
	sayv("lseek SEEK_HOLE 1", syscall(SYS_lseek, fd, 1, 4));
	say("lseek SEEK_DATA past the end", syscall(SYS_lseek, fd, 100, 3));
	sayv("lseek to 5", syscall(SYS_lseek, fd, 5, SEEK_SET));
	say("lseek past LONG_MAX", syscall(SYS_lseek, fd, 0x7fffffffffffffffL, SEEK_CUR));
	say("pread64 offset -1", syscall(SYS_pread64, fd, buf, 4, -1L));
	say("pread64 fd 99", syscall(SYS_pread64, 99, buf, 4, 0));
	say("pread64 fd 99, offset -1", syscall(SYS_pread64, 99, buf, 4, -1L));
	sayv("pread64 at 1", syscall(SYS_pread64, fd, buf, 4, 1));
	printf("read %.4s", buf);
	say("pwrite64 the file", syscall(SYS_pwrite64, fd, buf, 1, 0));
	say("pwrite64 fd 99", syscall(SYS_pwrite64, 99, buf, 1, 0));
	say("pwrite64 offset -1", syscall(SYS_pwrite64, fd, buf, 1, -1L));
	say("ioctl fd 99", syscall(SYS_ioctl, 99, TCGETS, buf));
	say("ioctl TCGETS on stdin", syscall(SYS_ioctl, 0, TCGETS, buf));
	/* Served from kvmlet's own stdin: the seccomp filter must allow it. */
	say("ioctl FIONREAD on stdin", syscall(SYS_ioctl, 0, FIONREAD, buf));
	say("ioctl FIOCLEX", syscall(SYS_ioctl, fd, FIOCLEX));
	say("ioctl FIONCLEX", syscall(SYS_ioctl, fd, HI | FIONCLEX));
	say("ioctl FIONBIO NULL", syscall(SYS_ioctl, fd, FIONBIO, 0));
	syscall(SYS_lseek, fd, 5, SEEK_SET);
	say("ioctl FIONREAD", syscall(SYS_ioctl, fd, FIONREAD, buf));
	printf("FIONREAD %d\n", *(int *)buf);
	say("fcntl fd 99", syscall(SYS_fcntl, 99, F_GETFD));
	say("fcntl cmd 999", syscall(SYS_fcntl, fd, 999));
	say("fcntl F_SETFD", syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
	sayv("fcntl F_GETFD", syscall(SYS_fcntl, fd, HI | F_GETFD));
	sayv("fcntl F_GETFL", syscall(SYS_fcntl, fd, F_GETFL));
	say("close", syscall(SYS_close, fd));
	say("close again", syscall(SYS_close, fd));
	say("close fd -1", syscall(SYS_close, -1));
}

static void abi_poll(void)
{
	struct pollfd p[17];

	for (int i = 0; i < 17; i++)
		p[i] = (struct pollfd){.fd = -1, .events = POLLIN};
	sayv("poll 17 entries", syscall(SYS_poll, p, 17, 0));
	sayv("poll nothing", syscall(SYS_poll, 0, 0, 0));
	say("poll bad vector", syscall(SYS_poll, 8, 1, 0));
	p[0] = (struct pollfd){.fd = 99, .events = POLLIN};
	p[1] = (struct pollfd){.fd = 0, .events = POLLIN | POLLRDNORM};
	sayv("poll fd 99 and stdin, count with bit 32", syscall(SYS_poll, p, HI | 2, 0));
	printf("revents %#x %#x\n", p[0].revents, p[1].revents);
	say("ppoll sigset size 4", syscall(SYS_ppoll, p, 1, 0, p, 4));
	say("ppoll bad timeout", syscall(SYS_ppoll, p, 1, &(struct timespec){0, -1}, 0, 8));
}

static void abi_time(void)
{
	struct timespec ts, past = {0, 0};
	char r[16];

	say("clock_gettime clock 99", syscall(SYS_clock_gettime, 99, &ts));
	say("clock_gettime clock 10", syscall(SYS_clock_gettime, 10, &ts));
	say("clock_gettime NULL", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, 0));
	say("clock_gettime CLOCK_TAI", syscall(SYS_clock_gettime, 11, &ts));
	say("clock_gettime clock with bit 32", syscall(SYS_clock_gettime, HI | 1, &ts));
	say("clock_gettime own process CPU clock", syscall(SYS_clock_gettime, -6, &ts));
	say("clock_gettime own thread CPU clock", syscall(SYS_clock_gettime, -2, &ts));
	say("clock_getres clock 99", syscall(SYS_clock_getres, 99, 0));
	say("clock_getres NULL", syscall(SYS_clock_getres, CLOCK_MONOTONIC, 0));
	say("clock_getres CLOCK_TAI", syscall(SYS_clock_getres, 11, &ts));
	say("clock_getres bad buffer", syscall(SYS_clock_getres, CLOCK_MONOTONIC, 8));
	say("gettimeofday NULL, NULL", syscall(SYS_gettimeofday, 0, 0));
	say("gettimeofday bad buffer", syscall(SYS_gettimeofday, 8, 0));
	say("time bad buffer", syscall(SYS_time, 8));
	say("nanosleep NULL", syscall(SYS_nanosleep, 0, 0));
	say("nanosleep -1 ns", syscall(SYS_nanosleep, &(struct timespec){0, -1}, 0));
	say("nanosleep 1 ns", syscall(SYS_nanosleep, &(struct timespec){0, 1}, 0));
	say("clock_nanosleep clock 99", syscall(SYS_clock_nanosleep, 99, 0, &past, 0));
	say("clock_nanosleep MONOTONIC_RAW", syscall(SYS_clock_nanosleep, 4, 0, &past, 0));
	say("clock_nanosleep THREAD_CPUTIME", syscall(SYS_clock_nanosleep, 3, 0, &past, 0));
	say("clock_nanosleep absolute, past", syscall(SYS_clock_nanosleep, 1, 1, &past, 0));
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	say("clock_nanosleep absolute realtime, now", syscall(SYS_clock_nanosleep, 0, 1, &ts, 0));
	say("clock_nanosleep bad request", syscall(SYS_clock_nanosleep, 1, 0, 8, 0));
	say("getrandom flags 8", syscall(SYS_getrandom, r, 16, 8));
	say("getrandom RANDOM|INSECURE", syscall(SYS_getrandom, r, 16, 6));
	sayv("getrandom flags with bit 32", syscall(SYS_getrandom, r, 16, HI));
	sayv("getrandom 0 bytes", syscall(SYS_getrandom, 0, 0, 0));
	say("getrandom NULL", syscall(SYS_getrandom, 0, 16, 0));
}

/* clone3's struct clone_args (88 bytes, Linux 5.7's), and a little more. */
struct cargs {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup, extra[3];
};

/* More of them: bad addresses, timeouts already past, signals' numbers. */
static void abi_threads_more(long tid)
{
	const long thread = 0x10000, sighand = 0x800, vm = 0x100, pid = syscall(SYS_getpid);
	static uint32_t f[2] = {5, 6};
	struct timespec past = {0, 1}, bad = {0, 1000000000}, now;
	struct cargs a;

	say("futex wait, unaligned", syscall(SYS_futex, (char *)f + 1, 0, 5, 0, 0, 0));
	say("futex wait, NULL", syscall(SYS_futex, NULL, 0 | 128, 5, 0, 0, 0));
	say("futex wait, bad timeout", syscall(SYS_futex, f, 0 | 128, 5, 8, 0, 0));
	say("futex wait, invalid timeout", syscall(SYS_futex, f, 0 | 128, 5, &bad, 0, 0));
	say("futex wait, 1 ns", syscall(SYS_futex, f, 0 | 128, 5, &past, 0, 0));
	say("futex wait_bitset 0", syscall(SYS_futex, f, 9 | 128, 5, 0, 0, 0));
	say("futex wait_bitset, past deadline", syscall(SYS_futex, f, 9 | 128, 5, &past, 0, ~0u));
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_sec -= 1;
	say("futex wait_bitset realtime, past deadline",
	    syscall(SYS_futex, f, 9 | 128 | 256, 5, &now, 0, ~0u));
	say("futex wake realtime", syscall(SYS_futex, f, 1 | 256, 1, 0, 0, 0));
	say("futex op 99", syscall(SYS_futex, f, 99, 1, 0, 0, 0));
	sayv("futex wake private, NULL", syscall(SYS_futex, NULL, 1 | 128, 1, 0, 0, 0));
	say("futex wake private, kernel address", syscall(SYS_futex, KERN, 1 | 128, 1, 0, 0, 0));
	say("futex wake shared, NULL", syscall(SYS_futex, NULL, 1, 1, 0, 0, 0));
	say("futex wake_bitset shared, NULL", syscall(SYS_futex, NULL, 10, 1, 0, 0, 1));
	sayv("futex wake shared", syscall(SYS_futex, f, 1, 1, 0, 0, 0));
	say("futex requeue, kernel target", syscall(SYS_futex, f, 3 | 128, 1, 1, KERN, 0));
	say("futex requeue, kernel source, unaligned target",
	    syscall(SYS_futex, KERN, 3 | 128, 1, 1, (char *)f + 1, 0));
	say("futex requeue shared, NULL target", syscall(SYS_futex, f, 3, 1, 1, NULL, 0));
	say("futex cmp_requeue, unaligned", syscall(SYS_futex, (char *)f + 2, 4 | 128, 1, 1, f, 5));
	say("futex cmp_requeue private, NULL", syscall(SYS_futex, NULL, 4 | 128, 1, 1, f, 5));
	memset(&a, 0, sizeof(a));
	a.flags = thread | sighand | vm | 0x400000; /* CLONE_DETACHED */
	say("clone3 THREAD|DETACHED", syscall(435, &a, 88));
	a.flags = thread | sighand | vm;
	a.stack = KERN;
	a.stack_size = 4096;
	say("clone3 kernel stack", syscall(435, &a, 88));
	a.stack = 0;
	a.stack_size = 0;
	a.set_tid = (uint64_t)(uintptr_t)f;
	a.set_tid_size = 33;
	say("clone3 set_tid_size 33", syscall(435, &a, 88));
	a.set_tid = 0;
	a.set_tid_size = 0;
	a.flags = thread | vm;
	say("clone3 size 64, THREAD without SIGHAND", syscall(435, &a, 64));
	say("clone3 NULL, 88", syscall(435, NULL, 88));
	say("clone SETTLS kernel address",
	    syscall(SYS_clone, thread | sighand | vm | 0x80000, 0, 0, 0, KERN));
	say("tkill itself, signal 65", syscall(SYS_tkill, tid, 65));
	say("tkill itself, signal -1", syscall(SYS_tkill, tid, -1));
	say("tkill 0", syscall(SYS_tkill, 0, 0));
	say("tkill -1", syscall(SYS_tkill, -1, 0));
	say("tkill no such thread, signal 65", syscall(SYS_tkill, NOPID, 65));
	say("tgkill itself, signal 65", syscall(SYS_tgkill, pid, tid, 65));
	say("tgkill other group", syscall(SYS_tgkill, NOPID, tid, 0));
	say("tgkill group 0", syscall(SYS_tgkill, 0, tid, 0));
	say("tgkill thread -1", syscall(SYS_tgkill, pid, -1, 0));
	say("tgkill itself, 64-bit ids", syscall(SYS_tgkill, pid | HI, tid | HI, 0));
	say("sched_yield", syscall(SYS_sched_yield));
	yes("set_tid_address NULL is the tid", syscall(SYS_set_tid_address, NULL) == tid);
}

/* Threads' calls that must fail as on Linux (none may make a thread here). */
static void abi_threads(void)
{
	const long thread = 0x10000, sighand = 0x800, vm = 0x100, tid = syscall(SYS_gettid);
	static uint32_t f[2] = {5, 6};
	struct timespec zero = {0, 0};
	struct cargs a;

	yes("gettid is getpid in the first thread", tid == syscall(SYS_getpid));
	say("clone THREAD without SIGHAND", syscall(SYS_clone, thread | vm, 0, 0, 0, 0));
	say("clone THREAD|SIGHAND without VM", syscall(SYS_clone, thread | sighand, 0, 0, 0, 0));
	memset(&a, 0, sizeof(a));
	say("clone3 size 8", syscall(435, &a, 8));
	say("clone3 size 8192", syscall(435, &a, 8192));
	say("clone3 NULL+8", syscall(435, 8, 64));
	a.extra[0] = 1;
	say("clone3 nonzero past its struct", syscall(435, &a, sizeof(a)));
	memset(&a, 0, sizeof(a));
	a.flags = thread | sighand | vm;
	a.exit_signal = SIGCHLD;
	say("clone3 THREAD with an exit signal", syscall(435, &a, 88));
	a.exit_signal = 0x1ff;
	say("clone3 exit signal 0x1ff", syscall(435, &a, 88));
	a.exit_signal = 0;
	a.stack_size = 4096;
	say("clone3 stack size without stack", syscall(435, &a, 88));
	a.stack_size = 0;
	a.set_tid_size = 1;
	say("clone3 set_tid_size without set_tid", syscall(435, &a, 88));
	a.set_tid_size = 0;
	a.flags = thread | vm;
	say("clone3 THREAD without SIGHAND", syscall(435, &a, 88));
	say("tkill no such thread", syscall(SYS_tkill, 99999, 0));
	say("tgkill no such thread", syscall(SYS_tgkill, syscall(SYS_getpid), 99999, 0));
	say("tkill itself signal 0", syscall(SYS_tkill, tid, 0));
	say("futex wait, zero timeout", syscall(SYS_futex, f, 0, 5, &zero, 0, 0));
	sayv("futex requeue, none waiting", syscall(SYS_futex, f, 3, 1, 1, f + 1, 0));
	say("futex requeue, negative count", syscall(SYS_futex, f, 3, -1, 1, f + 1, 0));
	say("futex requeue, negative requeue count", syscall(SYS_futex, f, 3, 1, -1, f + 1, 0));
	say("futex requeue, unaligned target", syscall(SYS_futex, f, 3, 1, 1, (char *)f + 5, 0));
	say("futex cmp_requeue, value differs", syscall(SYS_futex, f, 4, 1, 1, f + 1, 7));
	sayv("futex cmp_requeue, value equal", syscall(SYS_futex, f, 4, 1, 1, f + 1, 5));
	say("futex cmp_requeue, bad address", syscall(SYS_futex, 8, 4, 1, 1, f + 1, 5));
	sayv("futex wake_bitset", syscall(SYS_futex, f, 10, 1, 0, 0, 1));
	abi_threads_more(tid);
}

/* The CPU it runs on; children it has none of; descriptors closed by range. */
static void abi_process(void)
{
	unsigned cpu = 77, node = 77;
	uint64_t set[16] = {0};
	long info[16];

	say("getcpu", syscall(SYS_getcpu, &cpu, &node, 0));
	syscall(SYS_sched_getaffinity, 0, sizeof(set), set);
	printf("getcpu: a CPU of its affinity: %s, node %u\n",
	       cpu < 1024 && (set[cpu / 64] >> (cpu % 64) & 1) ? "yes" : "no", node);
	say("getcpu NULL, NULL", syscall(SYS_getcpu, 0, 0, 0));
	say("getcpu to the kernel", syscall(SYS_getcpu, KERN, 0, 0));
	say("getcpu node to the kernel", syscall(SYS_getcpu, 0, KERN, 0));
	say("wait4 any", syscall(SYS_wait4, -1, info, 0, 0));
	say("wait4 WNOHANG, bad pointers", syscall(SYS_wait4, -1, KERN, WNOHANG, KERN));
	say("wait4 options 0x100", syscall(SYS_wait4, -1, 0, 0x100, 0));
	say("wait4 pid INT_MIN", syscall(SYS_wait4, HI | 0x80000000L, 0, 0, 0));
	say("waitid P_ALL", syscall(SYS_waitid, P_ALL, 0, info, WEXITED, 0));
	say("waitid no WEXITED", syscall(SYS_waitid, P_ALL, 0, info, WNOHANG, 0));
	say("waitid idtype 9", syscall(SYS_waitid, 9, 0, info, WEXITED, 0));
	say("waitid P_PID 0", syscall(SYS_waitid, P_PID, 0, info, WEXITED, 0));
	say("waitid P_PGID 0", syscall(SYS_waitid, P_PGID, 0, info, WEXITED, 0));
	say("waitid P_PIDFD stdin", syscall(SYS_waitid, 3, 0, info, WEXITED, 0));
	dup2(0, 40), dup2(0, 41), dup2(0, 42);
	say("close_range 40..41", syscall(SYS_close_range, 40, 41, 0));
	say("fd 40 after", fcntl(40, F_GETFD));
	say("fd 42 after", fcntl(42, F_GETFD));
	say("close_range 42, CLOEXEC", syscall(SYS_close_range, 42, 42, 4));
	sayv("fd 42's flags", fcntl(42, F_GETFD));
	say("close_range 5..4", syscall(SYS_close_range, 5, 4, 0));
	say("close_range flags 1", syscall(SYS_close_range, 0, 0, 1));
	say("close_range 42..~0, UNSHARE", syscall(SYS_close_range, 42, ~0U, 2));
	say("fd 42 after", fcntl(42, F_GETFD));
}

int do_sysabi(const char *file)
{
	abi_brk();
	abi_mem();
	abi_ids();
	abi_signals();
	abi_futex_kill();
	abi_threads();
	abi_io();
	abi_files(file);
	abi_poll();
	abi_time();
	abi_process();
	return 0;
}
