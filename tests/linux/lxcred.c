/*
 * lxcred.c: `lxtest creds`: user and group ids as a root process may change
 * them, compared byte for byte with Linux (run as root) by
 * tests/cli/cli_linux.sh: setgroups and getgroups, setresgid, setresuid to
 * an unprivileged effective uid and back through the saved one, setreuid,
 * setuid dropping root for good, then what is refused, setfsuid, and a
 * signal's si_uid, as raw system calls (libc would make every thread follow).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
void lx_sayv(const char *what, long r);
#define say  lx_say
#define sayv lx_sayv

int do_creds(void);

#define BAD ((void *)8)

static void ids(const char *when)
{
	unsigned r, e, s, gr, ge, gs;
	unsigned g[8];
	long n;

	if (syscall(SYS_getresuid, &r, &e, &s) || syscall(SYS_getresgid, &gr, &ge, &gs)) {
		printf("%s: getres*id failed\n", when);
		return;
	}
	printf("%s: uid %u %u %u (getuid %ld, geteuid %ld), gid %u %u %u (getgid %ld, getegid %ld)",
	       when, r, e, s, syscall(SYS_getuid), syscall(SYS_geteuid), gr, ge, gs,
	       syscall(SYS_getgid), syscall(SYS_getegid));
	n = syscall(SYS_getgroups, 8, g);
	printf(", groups");
	for (long i = 0; i < n; i++)
		printf(" %u", g[i]);
	printf("\n");
}

static siginfo_t got;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got = *si;
}

int do_creds(void)
{
	unsigned g[3] = {50, 7, 7}, small[1], r, e;
	struct sigaction sa;

	ids("start");
	say("setgroups 3", syscall(SYS_setgroups, 3, g));
	sayv("getgroups 0", syscall(SYS_getgroups, 0, NULL));
	say("getgroups 1 (too small)", syscall(SYS_getgroups, 1, small));
	say("getgroups -1", syscall(SYS_getgroups, -1, small));
	say("getgroups bad pointer", syscall(SYS_getgroups, 3, BAD));
	say("setgroups -1", syscall(SYS_setgroups, -1, g));
	g[1] = (unsigned)-1;
	say("setgroups with -1 in it", syscall(SYS_setgroups, 3, g));
	say("setgroups bad pointer", syscall(SYS_setgroups, 2, BAD));
	ids("groups kept");
	say("setgroups 0", syscall(SYS_setgroups, 0, NULL));
	say("getresuid bad pointer", syscall(SYS_getresuid, &r, BAD, &e));
	say("setuid -1", syscall(SYS_setuid, -1));
	say("setgid -1", syscall(SYS_setgid, -1));
	say("setresgid 100 100 100", syscall(SYS_setresgid, 100, 100, 100));
	say("setresuid 1000 1000 0", syscall(SYS_setresuid, 1000, 1000, 0));
	ids("effective 1000");
	say("setgroups unprivileged", syscall(SYS_setgroups, 0, NULL));
	say("setresgid 200 unprivileged", syscall(SYS_setresgid, -1, 200, -1));
	say("setresuid -1 2000 -1 unprivileged", syscall(SYS_setresuid, -1, 2000, -1));
	say("setresuid 0 -1 -1 (the saved one)", syscall(SYS_setresuid, 0, -1, -1));
	ids("real 0");
	say("setreuid -1 0", syscall(SYS_setreuid, -1, 0));
	ids("effective 0 again");
	say("setreuid 1000 1000", syscall(SYS_setreuid, 1000, 1000));
	ids("setreuid 1000 1000");
	say("setuid 0 (no id is 0 any more)", syscall(SYS_setuid, 0));
	say("setreuid -1 0", syscall(SYS_setreuid, -1, 0));
	say("setuid 1000", syscall(SYS_setuid, 1000));
	say("setgid 100 (the real one)", syscall(SYS_setgid, 100));
	say("setgid 0", syscall(SYS_setgid, 0));
	sayv("setfsuid 5 (refused: the old one)", syscall(SYS_setfsuid, 5));
	sayv("setfsuid 1000", syscall(SYS_setfsuid, 1000));
	sayv("setfsuid -1 (asks)", syscall(SYS_setfsuid, -1));
	sayv("setfsgid 0 (refused)", syscall(SYS_setfsgid, 0));
	sayv("setfsgid -1 (asks)", syscall(SYS_setfsgid, -1));
	say("setresuid 1000 1000 1000 (no change)", syscall(SYS_setresuid, 1000, 1000, 1000));
	ids("end");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	kill(getpid(), SIGUSR1);
	printf("SIGUSR1 to itself: si_code %d, si_uid %u\n", got.si_code, (unsigned)got.si_uid);
	return 0;
}
