/*
 * lxoutside.c: signals from outside the program ("lxtest outside MODE"):
 * whoever runs it waits for "ready" on its output, then sends SIGUSR1 (or
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT: the handler is the same) with kill(1), or
 * kvmlet_signal. Compared with Linux by tests/cli/cli_linux.sh (the
 * sender is another process either way) and run through the library by
 * tests/kvm/test_linux.c. Modes:
 *   spin     the signal reaches a loop that makes no system call
 *   sleep    it ends a 30 s nanosleep with EINTR and the time left
 *   pause    it ends pause() after the handler
 *   read     it ends a read of stdin (a pipe nobody writes) with EINTR
 *   ignored  SIGUSR1 ignored: a 300 ms nanosleep goes on to its end
 *   default  no handler: the signal ends the program (spinning)
 * And `lxtest sigign` lists the signals it started with ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int do_outside(const char *mode);
int do_sigign(void);

static volatile sig_atomic_t got, got_code, from_self;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = sig;
	got_code = si->si_code;
	from_self = si->si_pid == getpid();
}

static void on(int flags)
{
	static const int sigs[] = {SIGUSR1, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {0};

	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void ready(void)
{
	static const char msg[] = "ready\n";

	fflush(stdout);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
}

static void said(const char *what)
{
	printf("%s: %s, si_code %s, from %s\n", what, got ? strsignal(got) : "no signal",
	       got_code == SI_USER ? "SI_USER" : "other", from_self ? "itself" : "another process");
}

static int sleep_for(time_t s, long ns, struct timespec *rem)
{
	struct timespec req = {s, ns};

	return nanosleep(&req, rem);
}

int do_outside(const char *mode)
{
	struct timespec rem = {0};
	char buf[16];

	if (!strcmp(mode, "spin")) {
		on(0);
		ready();
		while (!got) /* no system call */
			;
		said("a loop with no system call");
		return 0;
	}
	if (!strcmp(mode, "sleep")) {
		on(SA_RESTART); /* nanosleep is never repeated */
		ready();
		int r = sleep_for(30, 0, &rem);
		said("nanosleep");
		printf("nanosleep: %d, %s, %s\n", r, r < 0 ? strerror(errno) : "",
		       rem.tv_sec < 30 && (rem.tv_sec > 0 || rem.tv_nsec > 0) ? "time left"
									      : "bad rem");
		return 0;
	}
	if (!strcmp(mode, "pause")) {
		on(0);
		ready();
		int r = pause();
		said("pause");
		printf("pause: %d, %s\n", r, strerror(errno));
		return 0;
	}
	if (!strcmp(mode, "read")) {
		on(0);
		ready();
		ssize_t n = read(0, buf, sizeof(buf));
		said("read");
		printf("read: %zd, %s\n", n, n < 0 ? strerror(errno) : "data");
		return 0;
	}
	if (!strcmp(mode, "ignored")) {
		signal(SIGUSR1, SIG_IGN);
		ready();
		int r = sleep_for(0, 300000000, &rem);
		printf("nanosleep, SIGUSR1 ignored: %d\n", r);
		return 0;
	}
	if (!strcmp(mode, "default")) {
		ready();
		for (;;)
			;
	}
	fprintf(stderr, "lxtest outside: spin, sleep, pause, read, ignored, default\n");
	return 64;
}

/* `lxtest sigign`: the signals it started with ignored (as exec left them),
 * asked with raw rt_sigaction for every one, libc's own included. */
int do_sigign(void)
{
	printf("ignored at start:");
	for (int s = 1; s <= 64; s++) {
		struct {
			unsigned long handler, flags, restorer, mask;
		} old;
		if (syscall(SYS_rt_sigaction, s, NULL, &old, 8) == 0 && old.handler == 1)
			printf(" %d", s);
	}
	printf("\n");
	return 0;
}
