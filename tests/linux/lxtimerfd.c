/* SPDX-License-Identifier: MIT */
/*
 * lxtimerfd.c: `lxtest timerfd`: timerfd_create, timerfd_settime and
 * timerfd_gettime, compared with Linux line by line (raw system calls): the
 * argument rules and their order, one-shot and periodic timers read (the
 * expirations since the last read), a blocking read that waits for the
 * expiry, absolute times on two clocks, disarming, poll, select and epoll
 * waking for an expiry (with no other time limit), a duplicate descriptor.
 * Only what does not depend on how fast the machine is gets printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MS		   1000000L
#define TFD_NONBLOCK_	   O_NONBLOCK
#define TFD_CLOEXEC_	   O_CLOEXEC
#define TFD_TIMER_ABSTIME_ 1

static const char *res(long r)
{
	static char buf[32];

	if (r >= 0) {
		snprintf(buf, sizeof(buf), "%ld", r);
		return buf;
	}
	return errno == EINVAL	 ? "EINVAL"
	       : errno == EBADF	 ? "EBADF"
	       : errno == EFAULT ? "EFAULT"
	       : errno == EAGAIN ? "EAGAIN"
				 : strerror(errno);
}

static long create(int clock, int flags)
{
	return syscall(SYS_timerfd_create, clock, flags);
}

/* settime: value and period in ns. */
static long arm(long fd, int flags, long value, long every, long old[4])
{
	long spec[4] = {every / 1000000000L, every % 1000000000L, value / 1000000000L,
			value % 1000000000L};

	return syscall(SYS_timerfd_settime, fd, flags, spec, old);
}

static long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long rd(long fd, uint64_t *n)
{
	*n = 0;
	return read((int)fd, n, 8);
}

static void rules(void)
{
	long t[4], fd = create(CLOCK_MONOTONIC, TFD_NONBLOCK_);
	uint64_t n;
	char small[4];

	printf("create on CLOCK_REALTIME_COARSE: %s\n", res(create(5, 0)));
	printf("create with flag 1: %s\n", res(create(CLOCK_MONOTONIC, 1)));
	printf("create: %s\n", fd >= 0 ? "ok" : res(fd));
	printf("read 4 bytes: %s\n", res(read((int)fd, small, 4)));
	printf("read, not armed: %s\n", res(rd(fd, &n)));
	printf("write: %s\n", res(write((int)fd, &n, 8)));
	printf("lseek: %s\n", res(lseek((int)fd, 5, SEEK_SET)));
	printf("settime flag 4: %s\n", res(arm(fd, 4, MS, 0, NULL)));
	long bad[4] = {0, 1000000000L, 1, 0};
	printf("settime, period's ns 10^9: %s\n",
	       res(syscall(SYS_timerfd_settime, fd, 0, bad, NULL)));
	bad[1] = 0, bad[2] = -1;
	printf("settime, value's seconds -1: %s\n",
	       res(syscall(SYS_timerfd_settime, fd, 0, bad, NULL)));
	printf("settime, bad pointer and descriptor: %s\n",
	       res(syscall(SYS_timerfd_settime, 99, 0, (void *)8, NULL)));
	printf("settime, bad value and descriptor: %s\n",
	       res(syscall(SYS_timerfd_settime, 99, 0, bad, NULL)));
	printf("settime on stdout: %s\n", res(arm(1, 0, MS, 0, NULL)));
	printf("settime, descriptor not open: %s\n", res(arm(99, 0, MS, 0, NULL)));
	printf("gettime on stdout: %s\n", res(syscall(SYS_timerfd_gettime, 1, t)));
	printf("gettime, bad pointer: %s\n", res(syscall(SYS_timerfd_gettime, fd, (void *)8)));
	memset(t, 0x55, sizeof(t));
	syscall(SYS_timerfd_gettime, fd, t);
	printf("gettime, not armed: %ld %ld %ld %ld\n", t[0], t[1], t[2], t[3]);
	close((int)fd);
}

static void one_shot(void)
{
	long fd = create(CLOCK_MONOTONIC, TFD_NONBLOCK_), t[4], old[4];
	struct pollfd p = {.fd = (int)fd, .events = POLLIN};
	uint64_t n;

	arm(fd, 0, 10000 * MS, 0, NULL);
	syscall(SYS_timerfd_gettime, fd, t);
	printf("10 s armed: period %ld %ld, left over 5 s %s\n", t[0], t[1],
	       t[2] * 1000000000L + t[3] > 5000 * MS && t[2] <= 10 ? "yes" : "no");
	printf("read before it expires: %s\n", res(rd(fd, &n)));
	printf("poll before: %d\n", poll(&p, 1, 0));
	memset(old, 0, sizeof(old));
	printf("re-armed for 1 ms: %s", res(arm(fd, 0, MS, 0, old)));
	printf(", the old one was the 10 s timer: %s\n",
	       old[2] * 1000000000L + old[3] > 5000 * MS ? "yes" : "no");
	int r = poll(&p, 1, 5000);
	printf("poll with 5 s: %d, revents %d\n", r, p.revents);
	const char *got = res(rd(fd, &n));
	printf("read: %s, expirations %lu\n", got, (unsigned long)n);
	printf("read again: %s\n", res(rd(fd, &n)));
	memset(t, 0x55, sizeof(t));
	syscall(SYS_timerfd_gettime, fd, t);
	printf("after it: %ld %ld %ld %ld\n", t[0], t[1], t[2], t[3]);
	close((int)fd);
}

static void periodic(void)
{
	long fd = create(CLOCK_MONOTONIC, TFD_NONBLOCK_), t[4];
	struct timespec nap = {0, 50 * MS};
	uint64_t n;

	arm(fd, 0, 2 * MS, 2 * MS, NULL);
	nanosleep(&nap, NULL);
	const char *got = res(rd(fd, &n));
	printf("every 2 ms, after 50 ms: %s, at least 20 expirations %s\n", got,
	       n >= 20 ? "yes" : "no");
	syscall(SYS_timerfd_gettime, fd, t);
	printf("period %ld %ld, next within it %s\n", t[0], t[1],
	       t[2] == 0 && t[3] <= 2 * MS ? "yes" : "no");
	arm(fd, 0, 0, 3 * MS, NULL);
	syscall(SYS_timerfd_gettime, fd, t);
	printf("disarmed with a period: %ld %ld %ld %ld", t[0], t[1], t[2], t[3]);
	printf(", read %s\n", res(rd(fd, &n)));
	close((int)fd);
}

static void blocking(void)
{
	long fd = create(CLOCK_MONOTONIC, 0), t0 = now_ns(CLOCK_MONOTONIC);
	uint64_t n;

	arm(fd, 0, 20 * MS, 0, NULL);
	long dup = fcntl((int)fd, F_DUPFD_CLOEXEC, 10);
	close((int)fd);
	const char *got = res(rd(dup, &n));
	printf("a blocking read of a duplicate: %s, expirations %lu, waited 20 ms %s\n", got,
	       (unsigned long)n, now_ns(CLOCK_MONOTONIC) - t0 >= 20 * MS ? "yes" : "no");
	long rt = create(CLOCK_REALTIME, 0);
	t0 = now_ns(CLOCK_REALTIME);
	arm(rt, TFD_TIMER_ABSTIME_, t0 + 30 * MS, 0, NULL);
	got = res(rd(rt, &n));
	printf("absolute, realtime, 30 ms ahead: %s, expirations %lu, waited %s\n", got,
	       (unsigned long)n, now_ns(CLOCK_REALTIME) >= t0 + 30 * MS ? "yes" : "no");
	arm(dup, TFD_TIMER_ABSTIME_, 1000, 0, NULL);
	got = res(rd(dup, &n));
	printf("absolute, monotonic, in the past: %s, expirations %lu\n", got, (unsigned long)n);
	close((int)rt);
	close((int)dup);
}

static void waiting(void)
{
	long fd = create(CLOCK_BOOTTIME, TFD_NONBLOCK_ | TFD_CLOEXEC_);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77}, got = {0};
	fd_set in;
	uint64_t n;

	epoll_ctl(ep, EPOLL_CTL_ADD, (int)fd, &ev);
	arm(fd, 0, 10 * MS, 0, NULL);
	int r = epoll_wait(ep, &got, 1, -1);
	printf("epoll_wait, no time limit: %d, events %u, data %lu\n", r, got.events,
	       (unsigned long)got.data.u64);
	rd(fd, &n);
	arm(fd, 0, 10 * MS, 0, NULL);
	FD_ZERO(&in);
	FD_SET((int)fd, &in);
	r = select((int)fd + 1, &in, NULL, NULL, NULL);
	printf("select, no time limit: %d, set %d\n", r, FD_ISSET((int)fd, &in) != 0);
	rd(fd, &n);
	arm(fd, 0, 10 * MS, 0, NULL);
	struct pollfd p = {.fd = (int)fd, .events = POLLIN};
	r = poll(&p, 1, -1);
	printf("poll, no time limit: %d, revents %d", r, p.revents);
	printf(", read %s\n", res(rd(fd, &n)));
	printf("close-on-exec: %d\n", (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(ep);
	close((int)fd);
}

int do_timerfd(void);

int do_timerfd(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	rules();
	one_shot();
	periodic();
	blocking();
	waiting();
	return 0;
}
