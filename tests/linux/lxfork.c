/*
 * Processes, run natively and under kvmlet and compared
 * (tests/cli/cli_linux.sh): `lxtest fork SELF` forks and waits (exit
 * status, wait4's WNOHANG, waitid's siginfo, ECHILD), passes data through
 * pipes both ways (more than a pipe holds, and a hundred round trips), kills
 * a child that waits, takes SIGCHLD, checks that memory is copied, execs in a
 * child (SELF exit 9), runs posix_spawn (clone with CLONE_VM and
 * CLONE_VFORK: glibc's child passes a failed exec's errno through the memory
 * they share, musl's through a pipe) and vfork (the parent waits, and sees
 * what the child wrote), leaves an orphan, and forks forty times in a row.
 * Every line is printed by whichever process knows it, in an order the
 * waits fix.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int do_fork(const char *self);
int do_forkhold(int n);
int do_forkspin(void);
int do_preempt(void);
int do_stdinwait(void);

extern char **environ;

/* Straight to stdout: no stdio buffer a child would inherit. */
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)!write(1, line, strlen(line));
}

/* Wait for child want and say how it ended. */
static void status(const char *what, pid_t want)
{
	int st = 0;
	const pid_t got = waitpid(want, &st, 0);

	if (got != want)
		say("%s: waited for %s (errno %d)\n", what, got < 0 ? "nothing" : "another",
		    got < 0 ? errno : 0);
	else if (WIFEXITED(st))
		say("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		say("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		say("%s: status 0x%x\n", what, st);
}

static int global = 1;
static volatile sig_atomic_t chld;

static void on_chld(int s)
{
	(void)s;
	chld++;
}

/* A child that writes n bytes of a pattern into w. */
static void writer(int w, size_t n)
{
	char buf[3000];

	for (size_t off = 0; off < n;) {
		size_t k = n - off < sizeof(buf) ? n - off : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = (char)('a' + (off + i) % 26);
		ssize_t got = write(w, buf, k);
		if (got <= 0)
			_exit(3);
		off += (size_t)got;
	}
	_exit(0);
}

static void pipes(void)
{
	int p[2], q[2];
	char buf[5000];
	size_t total = 0;
	bool same = true;
	pid_t c;

	/* One way: 200000 bytes through a pipe that holds far fewer. */
	if (pipe(p) < 0 || (c = fork()) < 0)
		return say("pipe or fork failed: errno %d\n", errno);
	if (c == 0) {
		close(p[0]);
		writer(p[1], 200000);
	}
	close(p[1]);
	for (ssize_t n; (n = read(p[0], buf, sizeof(buf))) > 0; total += (size_t)n)
		for (ssize_t i = 0; i < n; i++)
			same &= buf[i] == (char)('a' + (total + (size_t)i) % 26);
	close(p[0]);
	say("pipe from a child: %zu bytes, %s\n", total, same ? "in order" : "garbled");
	status("the writer", c);

	/* Both ways: 100 round trips, each waiting for the other. */
	if (pipe(p) < 0 || pipe(q) < 0 || (c = fork()) < 0)
		return say("pipe or fork failed: errno %d\n", errno);
	if (c == 0) {
		unsigned v;
		close(p[1]);
		close(q[0]);
		while (read(p[0], &v, sizeof(v)) == sizeof(v)) {
			v = v * 3 + 1;
			if (write(q[1], &v, sizeof(v)) != sizeof(v))
				_exit(4);
		}
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	unsigned sum = 0;
	for (unsigned i = 0; i < 100; i++) {
		unsigned v = i;
		if (write(p[1], &v, sizeof(v)) != sizeof(v) ||
		    read(q[0], &v, sizeof(v)) != sizeof(v))
			break;
		sum += v;
	}
	close(p[1]);
	say("100 round trips: sum %u\n", sum);
	status("the echo", c);
	close(q[0]);
}

static void waits(void)
{
	int p[2], st;
	siginfo_t si;
	pid_t c;

	/* A child that waits on a pipe: not done yet (WNOHANG); then done. */
	if (pipe(p) < 0 || (c = fork()) < 0)
		return say("pipe or fork failed: errno %d\n", errno);
	if (c == 0) {
		char x;
		close(p[1]);
		_exit(read(p[0], &x, 1) == 1 ? x : 99);
	}
	close(p[0]);
	say("WNOHANG while it waits: %d\n", (int)waitpid(c, &st, WNOHANG));
	(void)!write(p[1], "\5", 1);
	memset(&si, 0, sizeof(si));
	int r = waitid(P_PID, (id_t)c, &si, WEXITED);
	say("waitid: %d, si_signo %d, si_code %d, pid %s, status %d\n", r, si.si_signo, si.si_code,
	    si.si_pid == c ? "right" : "wrong", si.si_status);
	close(p[1]);
	r = waitpid(c, &st, 0);
	say("wait again: %d errno %s\n", r, errno == ECHILD ? "ECHILD" : "?");

	/* One killed as it waits: by SIGTERM, its default action. */
	if (pipe(p) < 0 || (c = fork()) < 0)
		return say("pipe or fork failed: errno %d\n", errno);
	if (c == 0) {
		char x;
		close(p[1]);
		(void)!read(p[0], &x, 1);
		_exit(98);
	}
	close(p[0]);
	say("kill: %d\n", kill(c, SIGTERM));
	status("the killed", c);
	close(p[1]);
	r = kill(c, SIGTERM);
	say("kill a reaped one: %d errno %s\n", r, errno == ESRCH ? "ESRCH" : "?");

	/* SIGCHLD, handled (SA_RESTART: the wait goes on). */
	struct sigaction sa = {.sa_handler = on_chld, .sa_flags = SA_RESTART};
	sigaction(SIGCHLD, &sa, NULL);
	if ((c = fork()) == 0)
		_exit(6);
	status("with a SIGCHLD handler", c);
	say("SIGCHLD handled: %d\n", (int)chld);
	signal(SIGCHLD, SIG_DFL);
}

/* A parent waiting for its vfork child (which sleeps 5 s) still dies at
 * once of a SIGKILL its other child sends after delay_ms: after it waits, or
 * (0) while it forks or before. */
static void vfork_killed(long delay_ms)
{
	struct timespec t0, t1;
	pid_t c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((c = fork()) == 0) {
		const pid_t a = getpid();
		if (fork() == 0) {
			const struct timespec nap = {0, delay_ms * 1000000};
			nanosleep(&nap, NULL);
			kill(a, SIGKILL);
			_exit(0);
		}
		if (vfork() == 0) {
			const struct timespec nap = {5, 0};
			nanosleep(&nap, NULL);
			_exit(0);
		}
		_exit(5);
	}
	status("a vfork parent sent SIGKILL", c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	const long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	say("... after %ld ms: %s\n", delay_ms,
	    ms < 3000 ? "at once" : "only when its child ended");
}

static void copies(const char *self)
{
	int st;
	pid_t c;

	/* Memory is the child's own. */
	if ((c = fork()) == 0) {
		global = 42;
		say("child: global %d, parent %s\n", global,
		    getppid() == (pid_t)syscall(SYS_getppid) ? "known" : "?");
		_exit(0);
	}
	waitpid(c, &st, 0);
	say("parent: global %d, child's pid %s\n", global, c > 0 && c != getpid() ? "new" : "?");

	/* exec in a child. */
	if ((c = fork()) == 0) {
		char *argv[] = {(char *)self, "exit", "9", NULL};
		execve(self, argv, environ);
		_exit(127);
	}
	status("exec in a child", c);

	/* posix_spawn: musl's clone(CLONE_VM | CLONE_VFORK) on a stack of its own. */
	char *argv[] = {(char *)self, "exit", "4", NULL};
	int r = posix_spawn(&c, self, NULL, NULL, argv, environ);
	if (r)
		say("posix_spawn: error %d\n", r);
	else
		status("posix_spawn", c);
	char *none[] = {"/nonexistent", NULL};
	r = posix_spawn(&c, "/nonexistent", NULL, NULL, none, environ);
	say("posix_spawn of nothing: %s\n", r == ENOENT ? "ENOENT" : "?");

	/* vfork, then _exit: the parent waits, and sees what the child wrote
	 * to the memory they share until then. */
	static volatile int shared;
	if ((c = vfork()) == 0) {
		shared = 5;
		_exit(2);
	}
	say("vfork: the parent sees %d\n", shared);
	status("vfork", c);
	/* vfork, an exec that fails: its errno reaches the parent, as glibc's
	 * posix_spawn passes it. */
	static volatile int exec_errno;
	if ((c = vfork()) == 0) {
		execve("/nonexistent", none, environ);
		exec_errno = errno;
		_exit(127);
	}
	say("vfork, exec of nothing: %s\n", exec_errno == ENOENT ? "ENOENT" : "?");
	status("vfork, exec of nothing", c);
	/* CLONE_VFORK without CLONE_VM: the parent waits for the child's end
	 * (its write to the pipe is there, though it slept first), but the
	 * memory is the child's own. */
	int q[2];
	char b = 0;
	if (pipe2(q, O_NONBLOCK) < 0)
		return say("pipe2: errno %d\n", errno);
	shared = 0;
	if ((c = (pid_t)syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0)) == 0) {
		const struct timespec nap = {0, 20000000};
		shared = 9;
		nanosleep(&nap, NULL);
		if (write(q[1], "x", 1) != 1)
			_exit(1);
		_exit(3);
	}
	say("clone(CLONE_VFORK): %s, the parent sees %d\n",
	    read(q[0], &b, 1) == 1 && b == 'x' ? "waited" : "did not wait", shared);
	status("clone(CLONE_VFORK)", c);
	close(q[0]);
	close(q[1]);
	vfork_killed(100);
	vfork_killed(0);
}

static void orphan(void)
{
	int q[2];
	pid_t c;

	/* A child leaves a grandchild behind, which learns it has a new parent. */
	if (pipe(q) < 0 || (c = fork()) < 0)
		return say("pipe or fork failed: errno %d\n", errno);
	if (c == 0) {
		const pid_t mid = getpid();
		if (fork() == 0) {
			/* Until its parent is gone (it sleeps: the others run meanwhile). */
			for (int i = 0; i < 2000 && getppid() == mid; i++)
				usleep(1000);
			close(q[0]);
			(void)!write(q[1], getppid() != mid ? "n" : "s", 1);
			_exit(0);
		}
		_exit(0);
	}
	close(q[1]);
	status("the orphan's parent", c);
	char x = 0;
	const ssize_t n = read(q[0], &x, 1);
	say("the orphan: %zd byte, %s\n", n, x == 'n' ? "a new parent" : "the same parent");
	close(q[0]);
}

/* A description's offset after fork is the parent's and the child's: what
 * one reads or seeks, the other sees (a file and a directory; a dup too). */
static void offsets(const char *self)
{
	char buf[8];
	int fd = open(self, O_RDONLY), dup_fd = fd >= 0 ? dup(fd) : -1;
	DIR *d = opendir("/");
	pid_t c;

	if (fd < 0 || dup_fd < 0 || !d)
		return say("open, dup or opendir failed: errno %d\n", errno);
	if ((c = fork()) == 0)
		_exit(read(fd, buf, 5) == 5 ? 0 : 1);
	status("a child reads 5 bytes", c);
	say("the parent's offset: %ld\n", (long)lseek(dup_fd, 0, SEEK_CUR));
	if ((c = fork()) == 0)
		_exit(lseek(dup_fd, 100, SEEK_CUR) == 105 ? 0 : 1);
	status("a child seeks 100 on", c);
	const ssize_t got = read(fd, buf, 3);
	say("the parent reads %zd, its offset: %ld\n", got, (long)lseek(fd, 0, SEEK_CUR));
	if ((c = fork()) == 0) {
		say("a child sees offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
		_exit(0);
	}
	status("the child that looked", c);
	/* A directory: the child's readdir takes every entry (one getdents64
	 * holds them all), so the parent's finds none left. */
	if ((c = fork()) == 0)
		_exit(readdir(d) ? 0 : 1);
	status("a child lists a directory", c);
	say("the parent's readdir then: %s\n", readdir(d) ? "an entry" : "none left");
	closedir(d);
	close(fd);
	close(dup_fd);
}

int do_fork(const char *self)
{
	int st, ok = 0;
	pid_t me = getpid(), c;

	c = fork();
	if (c == 0) {
		clockid_t cpu;
		struct timespec ts;
		say("child: getppid %s, getpid %s\n", getppid() == me ? "the parent" : "another",
		    getpid() != me ? "its own" : "the parent's");
		/* Its CPU clock by its own pid, and its thread's by its tid. */
		const int by_pid = clock_getcpuclockid(getpid(), &cpu) ?: clock_gettime(cpu, &ts);
		const int by_tid = clock_gettime((clockid_t)(~(unsigned)gettid() << 3 | 6), &ts);
		say("child: CPU clocks by pid %s, by tid %s\n", by_pid ? "refused" : "read",
		    by_tid ? "refused" : "read");
		_exit(7);
	}
	status("first child", c);
	pipes();
	waits();
	copies(self);
	offsets(self);
	orphan();
	for (int i = 0; i < 40; i++) {
		if ((c = fork()) == 0)
			_exit(i);
		ok += waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == i;
	}
	say("forty in a row: %d right\n", ok);
	/* The orphan is pid 1's now: here (under kvmlet, the program is pid
	 * 1 and reaps it, as in a pid namespace), or init's (natively). */
	while ((c = wait(&st)) > 0)
		;
	say("no child left: %d errno %s\n", (int)c, errno == ECHILD ? "ECHILD" : "?");
	return 0;
}

/* `lxtest forkhold N`: N children that wait on a pipe nobody writes, left
 * running as it exits; says how many forks worked and why the next failed. */
int do_forkhold(int n)
{
	int p[2], made = 0, err = 0;

	if (pipe(p) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t c = fork();
		if (c == 0) {
			char x;
			close(p[1]);
			(void)!read(p[0], &x, 1);
			_exit(0);
		}
		if (c < 0) {
			err = errno;
			break;
		}
		made++;
	}
	say("forked %d, then %s\n", made,
	    err == EAGAIN ? "EAGAIN"
	    : err	  ? "another error"
			  : "none");
	return 0;
}

/* `lxtest forkspin`: a child that never waits, and a parent that waits for it. */
int do_forkspin(void)
{
	pid_t c = fork();
	int st;

	if (c == 0)
		for (volatile unsigned long i = 0;; i++)
			;
	say("waiting for a child that spins\n");
	waitpid(c, &st, 0);
	return 0;
}

static volatile sig_atomic_t poked;

static void on_poke(int s)
{
	(void)s;
	poked = 1;
}

/* `lxtest preempt`: processes that never wait still take turns. The parent
 * computes, with no system call, until its child's signal arrives; then
 * child A computes until child B's signal arrives, while the parent waits
 * for both. */
int do_preempt(void)
{
	struct sigaction sa = {.sa_handler = on_poke};
	pid_t a, b;

	sigaction(SIGUSR1, &sa, NULL);
	if ((a = fork()) == 0) {
		kill(getppid(), SIGUSR1);
		_exit(3);
	}
	while (!poked)
		;
	say("the parent computed until its child's signal\n");
	status("the child", a);
	poked = 0;
	if ((a = fork()) == 0) {
		while (!poked)
			;
		_exit(4);
	}
	if ((b = fork()) == 0)
		_exit(kill(a, SIGUSR1) == 0 ? 5 : 6);
	status("child B", b);
	status("child A, which computed until B's signal", a);
	return 0;
}

static void nap_ms(long ms)
{
	const struct timespec t = {ms / 1000, ms % 1000 * 1000000};

	nanosleep(&t, NULL);
}

static void *late_thread(void *arg)
{
	(void)arg;
	nap_ms(600);
	say("a thread ran\n");
	return NULL;
}

/* `lxtest stdinwait`, its stdin from a writer that takes seconds:
 * a read of it holds up no one but its caller. A poll of it times out, a
 * non-blocking read says EAGAIN; a child (after 200 ms) and a thread (after
 * 600 ms) run while the parent reads it. */
int do_stdinwait(void)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	char buf[64];
	pthread_t t;
	pid_t c;

	say("poll of stdin: %d\n", poll(&p, 1, 100));
	const int fl = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, fl | O_NONBLOCK);
	const bool again = read(0, buf, 1) < 0 && errno == EAGAIN;
	say("O_NONBLOCK: %s, a read: %s\n", (fcntl(0, F_GETFL) & O_NONBLOCK) ? "set" : "clear",
	    again ? "EAGAIN" : "?");
	fcntl(0, F_SETFL, fl);
	if ((c = fork()) == 0) {
		nap_ms(200);
		say("the child ran\n");
		_exit(0);
	}
	if (pthread_create(&t, NULL, late_thread, NULL))
		return say("pthread_create failed\n"), 1;
	const ssize_t n = read(0, buf, sizeof(buf));
	say("read %zd bytes\n", n);
	pthread_join(t, NULL);
	status("the child", c);
	return 0;
}
