/*
 * lxproc.c: what a program asks about its own process ("lxtest proc"),
 * compared byte for byte with Linux by tests/cli/cli_linux.sh: umask, groups,
 * process groups, prctl, sysinfo, times, getrusage, the socket calls on
 * descriptors that are not sockets, affinity by thread id.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
void lx_sayv(const char *what, long r);

int do_proc(void);

int do_proc(void)
{
	const long tid = syscall(SYS_gettid);
	char name[17] = {0};
	struct sysinfo si;
	struct rusage ru;
	struct tms t;
	uint64_t mask = 0;

	lx_sayv("umask 077", syscall(SYS_umask, 077));
	lx_sayv("umask back", syscall(SYS_umask, 022));
	lx_sayv("umask ignores high bits", syscall(SYS_umask, 0xffff022));
	lx_say("getgroups -1", syscall(SYS_getgroups, -1, NULL));
	lx_say("getpgid of no such pid", syscall(SYS_getpgid, 0x3fffffff));
	lx_say("setpgid -1", syscall(SYS_setpgid, 0, -1));
	lx_say("setpgid of no such pid", syscall(SYS_setpgid, 0x3fffffff, 0));
	lx_say("prctl PR_SET_NAME",
	       syscall(SYS_prctl, PR_SET_NAME, "renamed-to-a-long-name", 0, 0, 0));
	lx_say("prctl PR_GET_NAME", syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0));
	printf("name now: %s\n", name);
	lx_say("prctl PR_SET_NAME bad pointer", syscall(SYS_prctl, PR_SET_NAME, 8, 0, 0, 0));
	lx_sayv("prctl PR_GET_DUMPABLE", syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0));
	lx_say("prctl PR_SET_DUMPABLE 5", syscall(SYS_prctl, PR_SET_DUMPABLE, 5, 0, 0, 0));
	lx_sayv("prctl PR_GET_SECCOMP", syscall(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0));
	lx_sayv("prctl PR_CAPBSET_READ 0", syscall(SYS_prctl, PR_CAPBSET_READ, 0, 0, 0, 0));
	lx_say("prctl PR_CAPBSET_READ 99", syscall(SYS_prctl, PR_CAPBSET_READ, 99, 0, 0, 0));
	lx_say("prctl PR_GET_NO_NEW_PRIVS with an argument",
	       syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
	lx_say("prctl PR_SET_PDEATHSIG 99", syscall(SYS_prctl, PR_SET_PDEATHSIG, 99, 0, 0, 0));
	lx_say("prctl 0x7fffffff", syscall(SYS_prctl, 0x7fffffff, 0, 0, 0, 0));
	lx_say("sysinfo", syscall(SYS_sysinfo, &si));
	printf("sysinfo: unit %u, total > free > 0: %s, procs >= 1: %s\n", si.mem_unit,
	       si.totalram > si.freeram && si.freeram > 0 ? "yes" : "no",
	       si.procs >= 1 ? "yes" : "no");
	lx_say("sysinfo bad pointer", syscall(SYS_sysinfo, 8));
	printf("times counts: %s\n", syscall(SYS_times, &t) > 0 ? "yes" : "no");
	printf("times(NULL) counts: %s\n", syscall(SYS_times, NULL) > 0 ? "yes" : "no");
	lx_say("times bad pointer", syscall(SYS_times, 8));
	lx_say("getrusage self", syscall(SYS_getrusage, RUSAGE_SELF, &ru));
	lx_say("getrusage children", syscall(SYS_getrusage, RUSAGE_CHILDREN, &ru));
	lx_say("getrusage 5", syscall(SYS_getrusage, 5, &ru));
	lx_say("getrusage bad pointer", syscall(SYS_getrusage, RUSAGE_SELF, 8));
	lx_say("getpeername of stdout", syscall(SYS_getpeername, 1, 0, 0));
	lx_say("getsockname of fd 99", syscall(SYS_getsockname, 99, 0, 0));
	lx_say("shutdown of stdout", syscall(SYS_shutdown, 1, 0));
	lx_say("setsockopt of stderr", syscall(SYS_setsockopt, 2, 1, 1, 0, 0));
	lx_sayv("sched_getaffinity by thread id", syscall(SYS_sched_getaffinity, tid, 8, &mask));
	return 0;
}
