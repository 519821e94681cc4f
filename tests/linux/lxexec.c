/*
 * execve and execveat, run natively and under kvmlet and compared
 * (tests/cli/cli_linux.sh):
 *
 * `lxtest execparent TARGET ARGS...` changes what exec keeps and what it
 * drops (descriptors with and without FD_CLOEXEC, an ignored signal, a
 * handled one, a blocked one, the umask, the nice value, the group ids, the
 * working directory; a second thread, which exec ends), then runs TARGET
 * with ARGS and an environment of its own; TARGET is this program or a script naming it. `lxtest
 * execchild` prints all of that as the new program finds it, with its argv, envp, AT_EXECFN and
 * name (PR_GET_NAME).
 *
 * `lxtest execerrors SELF NOEXEC GARBAGE DEEP6` prints what each failing
 * execve answers: no file, a directory, a device, a file with no x bit, one
 * that is no program, bad pointers, strings too long, flags execveat does
 * not know, a descriptor, scripts too deep (DEEP6: the first of six scripts
 * each naming the next as its interpreter, the last naming SELF; five run,
 * six are ELOOP), then runs SELF through a descriptor (execveat).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/personality.h>
#include <sys/utsname.h>

int do_execparent(int argc, char **argv);
int do_execchild(int argc, char **argv, char **envp);
int do_execerrors(int argc, char **argv);

static void on_term(int s)
{
	(void)s;
}

/* A thread that waits for good: exec ends it with the rest of the program. */
static void *waiter(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int do_execparent(int argc, char **argv)
{
	char *env[] = {"A=1", "B=two words", "C=", NULL};
	const gid_t groups[] = {7, 3};
	sigset_t set;

	if (argc < 3)
		return 2;
	/* 3 closes on exec, 4 and its copy 10 stay, 5 (a copy of 3 without
	 * FD_CLOEXEC) stays too. */
	if (open("/dev/null", O_RDONLY | O_CLOEXEC) != 3 || open("/dev/null", O_RDONLY) != 4 ||
	    dup2(4, 10) != 10 || fcntl(3, F_DUPFD, 5) != 5)
		return 3;
	signal(SIGUSR1, SIG_IGN);
	signal(SIGTERM, on_term);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	umask(027);
	setpriority(PRIO_PROCESS, 0, 3);
	if (setgroups(2, groups) < 0 || setresgid(5, 6, 7) < 0 || chdir("/dev") < 0)
		return 4;
	/* linux32's: the child names its machine i686; a 64-bit ELF's execve
	 * clears READ_IMPLIES_EXEC. */
	printf("personality %x", personality(0xffffffff));
	printf(", set: %x", personality(PER_LINUX32 | READ_IMPLIES_EXEC));
	printf(", now %x\n", personality(0xffffffff));
	pthread_t t;
	if (pthread_create(&t, NULL, waiter, NULL) != 0)
		return 5;
	fflush(stdout);
	execve(argv[2], argv + 3, env);
	printf("execve %s: %s\n", argv[2], strerror(errno));
	return 1;
}

int do_execchild(int argc, char **argv, char **envp)
{
	char name[17] = {0}, cwd[64] = {0};
	gid_t r, e, s, g[8];
	struct sigaction sa;
	sigset_t set;

	printf("argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] %s\n", i, argv[i]);
	for (char **p = envp; *p; p++)
		printf("env %s\n", *p);
	prctl(PR_GET_NAME, name);
	printf("execfn %s name %s\n", (const char *)getauxval(AT_EXECFN), name);
	for (int fd = 3; fd <= 10; fd++) {
		int f = fcntl(fd, F_GETFD);
		if (f >= 0 || errno != EBADF)
			printf("fd %d open, flags %d\n", fd, f);
	}
	sigaction(SIGUSR1, NULL, &sa);
	printf("SIGUSR1 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "default");
	sigaction(SIGTERM, NULL, &sa);
	printf("SIGTERM %s\n", sa.sa_handler == SIG_DFL ? "default" : "not default");
	sigprocmask(SIG_BLOCK, NULL, &set);
	printf("SIGINT %s, SIGHUP %s\n", sigismember(&set, SIGINT) ? "blocked" : "not blocked",
	       sigismember(&set, SIGHUP) ? "blocked" : "not blocked");
	mode_t m = umask(0);
	getresgid(&r, &e, &s);
	int n = getgroups(8, g);
	printf("umask %03o nice %d gids %u %u %u groups %d:", (unsigned)m,
	       getpriority(PRIO_PROCESS, 0), r, e, s, n);
	for (int i = 0; i < n; i++)
		printf(" %u", g[i]);
	printf("\ncwd %s uid %u\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?", getuid());
	struct utsname u;
	printf("personality %x machine %s\n", personality(0xffffffff),
	       uname(&u) == 0 ? u.machine : "?");
	return 0;
}

static void say(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int do_execerrors(int argc, char **argv)
{
	char *args[] = {"x", "execchild", NULL}, *env[] = {NULL};
	char *badstr[] = {"x", (char *)8, NULL}, *badenv[] = {"A=1", (char *)-4096L, NULL};
	static char huge[200 << 10];
	char *hugeenv[] = {huge, NULL};
	char *many[81];
	char path[4200];

	if (argc < 6)
		return 2;
	const char *self = argv[2], *noexec = argv[3], *garbage = argv[4], *deep6 = argv[5];
	say("no such file", execve("/no/such/file", args, env));
	say("empty path", execve("", args, env));
	say("a directory", execve("/", args, env));
	say("a device", execve("/dev/null", args, env));
	say("/proc/self/maps", execve("/proc/self/maps", args, env));
	say("/dev/stdin", execve("/dev/stdin", args, env));
	say("no x bit", execve(noexec, args, env));
	say("not a program", execve(garbage, args, env));
	snprintf(path, sizeof(path), "%s/", self);
	say("a slash after a file", execve(path, args, env));
	snprintf(path, sizeof(path), "%s/x", self);
	say("a name under a file", execve(path, args, env));
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	say("a path too long", execve(path, args, env));
	say("path at a bad address", syscall(SYS_execve, (char *)8, args, env));
	say("argv at a bad address", syscall(SYS_execve, self, (char **)8, env));
	say("envp at a bad address", syscall(SYS_execve, self, args, (char **)-8L));
	say("a bad string in argv", syscall(SYS_execve, self, badstr, env));
	say("a bad string in envp", syscall(SYS_execve, self, args, badenv));
	memset(huge, 'h', sizeof(huge) - 1);
	say("a 200 KiB string", execve(self, args, hugeenv));
	huge[100 << 10] = 0;
	for (int i = 0; i < 80; i++)
		many[i] = huge;
	many[80] = NULL;
	say("8 MiB of strings", execve(self, args, many));
	say("execveat: unknown flags", syscall(SYS_execveat, AT_FDCWD, self, args, env, 0x8000));
	say("execveat: the working directory",
	    syscall(SYS_execveat, AT_FDCWD, "", args, env, AT_EMPTY_PATH));
	say("execveat: empty path without AT_EMPTY_PATH",
	    syscall(SYS_execveat, AT_FDCWD, "", args, env, 0));
	say("execveat: a bad descriptor", syscall(SYS_execveat, 99, "", args, env, AT_EMPTY_PATH));
	int d = open("/", O_RDONLY | O_DIRECTORY);
	say("execveat: a directory's descriptor",
	    syscall(SYS_execveat, d, "", args, env, AT_EMPTY_PATH));
	say("execveat: a relative path from no directory",
	    syscall(SYS_execveat, 0, "x", args, env, 0));
	say("execveat: /dev/stdin, not followed",
	    syscall(SYS_execveat, AT_FDCWD, "/dev/stdin", args, env, AT_SYMLINK_NOFOLLOW));
	say("six scripts deep", execve(deep6, args, env));
	fflush(stdout);
	/* The last one runs: a descriptor of this program, by execveat. */
	int fd = open(self, O_RDONLY);
	if (chdir("/") < 0)
		return 3;
	char *ok[] = {"by-fd", "execchild", "from", "execveat", NULL};
	syscall(SYS_execveat, fd, "", ok, env, AT_EMPTY_PATH);
	say("execveat of a descriptor", -1);
	return 1;
}
