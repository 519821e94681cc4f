/*
 * lxpipe.c: pipes, eventfds, epoll and poll inside one program ("lxtest
 * pipes"), compared byte for byte with Linux by tests/cli/cli_linux.sh:
 * raw system calls, each result or errno printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
void lx_sayv(const char *what, long r);

static void pipes(void)
{
	int p[2], q[2], n = -1;
	char buf[8192];
	struct stat st;

	lx_say("pipe2 bad flags", syscall(SYS_pipe2, p, 1));
	lx_say("pipe2 bad pointer", syscall(SYS_pipe2, 8, 0));
	lx_say("pipe", syscall(SYS_pipe, p));
	lx_say("pipe2 O_NONBLOCK|O_CLOEXEC", syscall(SYS_pipe2, q, O_NONBLOCK | O_CLOEXEC));
	lx_sayv("write 5", syscall(SYS_write, p[1], "hello", 5));
	lx_say("FIONREAD", syscall(SYS_ioctl, p[0], FIONREAD, &n));
	printf("FIONREAD says %d\n", n);
	lx_sayv("read 3", syscall(SYS_read, p[0], buf, 3));
	lx_sayv("read rest", syscall(SYS_read, p[0], buf + 3, 100));
	printf("read back: %.5s\n", buf);
	lx_say("read from the write end", syscall(SYS_read, p[1], buf, 1));
	lx_say("write to the read end", syscall(SYS_write, p[0], "x", 1));
	lx_say("read empty, nonblocking", syscall(SYS_read, q[0], buf, 1));
	memset(buf, 'z', sizeof(buf));
	lx_sayv("write 4096 to an empty one", syscall(SYS_write, q[1], buf, 4096));
	lx_say("lseek", syscall(SYS_lseek, p[0], 0, SEEK_SET));
	lx_say("pread", syscall(SYS_pread64, p[0], buf, 1, 0));
	lx_say("fstat", syscall(SYS_fstat, p[0], &st));
	printf("fifo: %s, mode %o\n", S_ISFIFO(st.st_mode) ? "yes" : "no", st.st_mode & 0777);
	lx_sayv("F_GETFL read end", syscall(SYS_fcntl, p[0], F_GETFL));
	lx_sayv("F_GETFL write end", syscall(SYS_fcntl, p[1], F_GETFL));
	lx_sayv("F_GETFL nonblocking", syscall(SYS_fcntl, q[0], F_GETFL));
	lx_sayv("F_GETFD cloexec", syscall(SYS_fcntl, q[0], F_GETFD));
	lx_say("close write end", syscall(SYS_close, p[1]));
	lx_sayv("read at end of file", syscall(SYS_read, p[0], buf, 1));
	signal(SIGPIPE, SIG_IGN); /* no signal is ever delivered under kvmlet */
	lx_say("close read end", syscall(SYS_close, q[0]));
	lx_say("write without a reader", syscall(SYS_write, q[1], "x", 1));
	lx_say("close", syscall(SYS_close, p[0]));
	lx_say("close", syscall(SYS_close, q[1]));
}

static void eventfds(void)
{
	uint64_t v = 0;
	int e = (int)syscall(SYS_eventfd2, 3, EFD_NONBLOCK), sem;

	lx_say("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x10));
	lx_say("eventfd read 4 bytes", syscall(SYS_read, e, &v, 4));
	lx_sayv("eventfd read", syscall(SYS_read, e, &v, 8));
	printf("counter was %llu\n", (unsigned long long)v);
	lx_say("eventfd read empty", syscall(SYS_read, e, &v, 8));
	v = 5;
	lx_sayv("eventfd write 5", syscall(SYS_write, e, &v, 8));
	v = UINT64_MAX;
	lx_say("eventfd write ~0", syscall(SYS_write, e, &v, 8));
	sem = (int)syscall(SYS_eventfd2, 2, EFD_SEMAPHORE | EFD_NONBLOCK);
	lx_sayv("semaphore read", syscall(SYS_read, sem, &v, 8));
	printf("semaphore gave %llu\n", (unsigned long long)v);
	lx_sayv("semaphore read", syscall(SYS_read, sem, &v, 8));
	lx_say("semaphore read empty", syscall(SYS_read, sem, &v, 8));
	lx_sayv("F_GETFL eventfd", syscall(SYS_fcntl, e, F_GETFL));
	lx_say("lseek eventfd", syscall(SYS_lseek, e, 0, SEEK_SET));
	close(sem);
	close(e);
}

static void epolls(void)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234}, out[4];
	int ep = (int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC), p[2], f;

	lx_say("epoll_create1 bad flags", syscall(SYS_epoll_create1, 1));
	lx_say("epoll_create 0", syscall(SYS_epoll_create, 0));
	syscall(SYS_pipe2, p, O_NONBLOCK);
	lx_say("epoll_ctl bad op", syscall(SYS_epoll_ctl, ep, 9, p[0], &ev));
	lx_say("epoll_ctl on a non-epoll", syscall(SYS_epoll_ctl, p[0], EPOLL_CTL_ADD, p[1], &ev));
	lx_say("epoll_ctl bad fd", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, 60, &ev));
	lx_say("epoll_ctl itself", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ep, &ev));
	lx_say("epoll_ctl bad event", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], 8));
	lx_say("epoll_ctl MOD before ADD", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, p[0], &ev));
	lx_say("epoll_ctl ADD", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
	lx_say("epoll_ctl ADD again", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
	if ((f = open("/dev/null", O_RDONLY)) >= 0)
		lx_say("epoll_ctl ADD /dev/null", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, f, &ev));
	lx_say("epoll_wait maxevents 0", syscall(SYS_epoll_wait, ep, out, 0, 0));
	lx_say("epoll_wait bad buffer", syscall(SYS_epoll_wait, ep, 8, 4, 0));
	lx_say("epoll_wait on a pipe", syscall(SYS_epoll_wait, p[0], out, 4, 0));
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, f, NULL);
	lx_sayv("epoll_wait, nothing ready", syscall(SYS_epoll_wait, ep, out, 4, 0));
	lx_sayv("epoll_wait 10 ms, nothing ready", syscall(SYS_epoll_wait, ep, out, 4, 10));
	syscall(SYS_write, p[1], "ab", 2);
	lx_sayv("epoll_pwait, readable", syscall(SYS_epoll_pwait, ep, out, 4, -1, NULL, 8));
	printf("event %#x data %#llx\n", out[0].events, (unsigned long long)out[0].data.u64);
	ev.events = EPOLLIN | EPOLLET;
	lx_say("epoll_ctl MOD edge-triggered", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, p[0], &ev));
	lx_sayv("edge: first", syscall(SYS_epoll_wait, ep, out, 4, 0));
	lx_sayv("edge: again, no new data", syscall(SYS_epoll_wait, ep, out, 4, 0));
	ev.events = EPOLLOUT | EPOLLONESHOT;
	lx_say("epoll_ctl ADD write end oneshot", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[1], &ev));
	lx_sayv("oneshot: first", syscall(SYS_epoll_wait, ep, out, 4, 0));
	lx_sayv("oneshot: disarmed", syscall(SYS_epoll_wait, ep, out, 4, 0));
	lx_say("epoll_ctl DEL", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL));
	lx_say("epoll_ctl DEL again", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL));
	close(p[1]);
	ev.events = EPOLLIN;
	syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev);
	lx_sayv("epoll_wait, writer gone", syscall(SYS_epoll_wait, ep, out, 4, 0));
	printf("event %#x\n", out[0].events);
	close(p[0]);
	close(ep);
	if (f >= 0)
		close(f);
}

static void polls(void)
{
	struct pollfd fds[2];
	int p[2];

	syscall(SYS_pipe2, p, 0);
	fds[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	fds[1] = (struct pollfd){.fd = p[1], .events = POLLOUT};
	lx_sayv("poll a pipe", syscall(SYS_poll, fds, 2, 0));
	printf("revents %#x %#x\n", fds[0].revents, fds[1].revents);
	lx_sayv("poll the read end, 10 ms", syscall(SYS_poll, fds, 1, 10));
	syscall(SYS_write, p[1], "x", 1);
	lx_sayv("poll after a write", syscall(SYS_poll, fds, 1, -1));
	printf("revents %#x\n", fds[0].revents);
	close(p[0]);
	close(p[1]);
}

int do_pipes(void);

int do_pipes(void)
{
	pipes();
	eventfds();
	epolls();
	polls();
	return 0;
}
