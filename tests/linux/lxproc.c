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
#include <sys/mman.h>
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

int do_sched(void);

/* Priorities, scheduling policies, affinity, memory locks and membarrier, as
 * a process has them for itself (nothing that needs privileges: only raising
 * the nice value, no real-time policy). */
int do_sched(void)
{
	const long tid = syscall(SYS_gettid);
	long buf[2] = {0, 0},
	     *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t mask;

	lx_say("getpriority which 3", syscall(SYS_getpriority, 3, 0));
	lx_say("getpriority which -1", syscall(SYS_getpriority, -1, 0));
	lx_say("getpriority no such pid", syscall(SYS_getpriority, PRIO_PROCESS, 0x3fffffff));
	lx_say("getpriority no such user", syscall(SYS_getpriority, PRIO_USER, 0x7ffffff0));
	lx_say("setpriority nice 12", syscall(SYS_setpriority, PRIO_PROCESS, 0, 12));
	lx_sayv("getpriority (20 - nice)", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	lx_say("setpriority nice 19 by thread id", syscall(SYS_setpriority, PRIO_PROCESS, tid, 19));
	lx_sayv("getpriority by thread id", syscall(SYS_getpriority, PRIO_PROCESS, tid));
	lx_say("setpriority nice 100 (19)", syscall(SYS_setpriority, PRIO_PROCESS, 0, 100));
	lx_sayv("nice(0)", nice(0));
	lx_say("setpriority which 5", syscall(SYS_setpriority, 5, 0, 19));
	lx_say("setpriority no such pid", syscall(SYS_setpriority, PRIO_PROCESS, 0x3fffffff, 19));
	lx_say("setpriority no such user", syscall(SYS_setpriority, PRIO_USER, 0x7ffffff0, 19));
	lx_say("setpriority which 2^32", syscall(SYS_setpriority, 1L << 32, 0, 19));

	mask = 1;
	lx_say("sched_setaffinity CPU 0", syscall(SYS_sched_setaffinity, 0, 8, &mask));
	lx_say("sched_setaffinity CPU 0, 4 bytes", syscall(SYS_sched_setaffinity, 0, 4, &mask));
	lx_say("sched_setaffinity CPU 0, 64 bytes", syscall(SYS_sched_setaffinity, tid, 64, &mask));
	lx_say("sched_setaffinity, 0 bytes", syscall(SYS_sched_setaffinity, 0, 0, &mask));
	mask = 0;
	lx_say("sched_setaffinity no CPU", syscall(SYS_sched_setaffinity, 0, 8, &mask));
	mask = 1ull << 40;
	lx_say("sched_setaffinity CPU 40", syscall(SYS_sched_setaffinity, 0, 8, &mask));
	lx_say("sched_setaffinity bad mask", syscall(SYS_sched_setaffinity, 0, 8, 8));
	mask = 1;
	lx_say("sched_setaffinity no such pid",
	       syscall(SYS_sched_setaffinity, 0x3fffffff, 8, &mask));
	lx_sayv("sched_getaffinity", syscall(SYS_sched_getaffinity, 0, 8, &mask));
	printf("mask %llx\n", (unsigned long long)mask);

	lx_sayv("sched_getscheduler", syscall(SYS_sched_getscheduler, 0));
	lx_sayv("sched_getscheduler by thread id", syscall(SYS_sched_getscheduler, tid));
	lx_say("sched_getscheduler -1", syscall(SYS_sched_getscheduler, -1));
	lx_say("sched_getscheduler no such pid", syscall(SYS_sched_getscheduler, 0x3fffffff));
	buf[0] = 7;
	lx_say("sched_getparam", syscall(SYS_sched_getparam, 0, buf));
	printf("priority %ld\n", buf[0]);
	lx_say("sched_getparam NULL", syscall(SYS_sched_getparam, 0, 0));
	lx_say("sched_getparam -1", syscall(SYS_sched_getparam, -1, buf));
	lx_say("sched_getparam bad pointer", syscall(SYS_sched_getparam, 0, 8));
	lx_say("sched_getparam no such pid", syscall(SYS_sched_getparam, 0x3fffffff, buf));
	buf[0] = 0;
	lx_say("sched_setscheduler SCHED_OTHER", syscall(SYS_sched_setscheduler, 0, 0, buf));
	lx_say("sched_setscheduler SCHED_BATCH", syscall(SYS_sched_setscheduler, tid, 3, buf));
	lx_sayv("sched_getscheduler after", syscall(SYS_sched_getscheduler, 0));
	lx_say("sched_setparam 0", syscall(SYS_sched_setparam, 0, buf));
	lx_sayv("sched_getscheduler after", syscall(SYS_sched_getscheduler, 0));
	lx_say("sched_setscheduler SCHED_OTHER again", syscall(SYS_sched_setscheduler, 0, 0, buf));
	lx_sayv("sched_getscheduler after", syscall(SYS_sched_getscheduler, 0));
	lx_say("sched_setscheduler policy 4", syscall(SYS_sched_setscheduler, 0, 4, buf));
	lx_say("sched_setscheduler policy 99", syscall(SYS_sched_setscheduler, 0, 99, buf));
	lx_say("sched_setscheduler policy -1", syscall(SYS_sched_setscheduler, 0, -1, buf));
	lx_say("sched_setscheduler SCHED_DEADLINE", syscall(SYS_sched_setscheduler, 0, 6, buf));
	lx_say("sched_setscheduler pid -1", syscall(SYS_sched_setscheduler, -1, 0, buf));
	lx_say("sched_setscheduler NULL", syscall(SYS_sched_setscheduler, 0, 0, 0));
	lx_say("sched_setscheduler bad pointer", syscall(SYS_sched_setscheduler, 0, 0, 8));
	lx_say("sched_setscheduler no such pid",
	       syscall(SYS_sched_setscheduler, 0x3fffffff, 0, buf));
	buf[0] = 5;
	lx_say("sched_setscheduler SCHED_OTHER priority 5",
	       syscall(SYS_sched_setscheduler, 0, 0, buf));
	lx_say("sched_setparam priority 5", syscall(SYS_sched_setparam, 0, buf));
	buf[0] = -1;
	lx_say("sched_setscheduler SCHED_FIFO priority -1",
	       syscall(SYS_sched_setscheduler, 0, 1, buf));
	buf[0] = 100;
	lx_say("sched_setscheduler SCHED_RR priority 100",
	       syscall(SYS_sched_setscheduler, 0, 2, buf));
	buf[0] = 0;
	lx_say("sched_setscheduler SCHED_FIFO priority 0",
	       syscall(SYS_sched_setscheduler, 0, 1, buf));
	for (int p = -1; p <= 6; p++) /* (7 is SCHED_EXT from Linux 6.12) */
		printf("priority range of policy %d: %ld..%ld\n", p,
		       syscall(SYS_sched_get_priority_min, p),
		       syscall(SYS_sched_get_priority_max, p));

	lx_say("mlock a page", syscall(SYS_mlock, page, 4096));
	lx_say("munlock it", syscall(SYS_munlock, page, 4096));
	lx_say("mlock 10 bytes across two pages", syscall(SYS_mlock, (char *)page + 4090, 10));
	lx_say("mlock 0 bytes", syscall(SYS_mlock, page, 0));
	lx_say("mlock2 MLOCK_ONFAULT", syscall(SYS_mlock2, page, 8192, 1));
	lx_say("mlock2 flags 2", syscall(SYS_mlock2, page, 8192, 2));
	munmap((char *)page + 4096, 4096);
	lx_say("mlock a page then a hole", syscall(SYS_mlock, page, 8192));
	lx_say("munlock a page then a hole", syscall(SYS_munlock, page, 8192));
	lx_say("mlock of nothing mapped", syscall(SYS_mlock, (char *)page + 4096, 4096));
	lx_say("mlock of kernel space", syscall(SYS_mlock, 0xffff800000000000ull, 4096));
	lx_say("munlock of kernel space", syscall(SYS_munlock, 0xffff800000000000ull, 4096));
	void *none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lx_say("mlock of a PROT_NONE mapping", syscall(SYS_mlock, none, 8192));
	lx_say("munlock of a PROT_NONE mapping", syscall(SYS_munlock, none, 8192));
	mprotect(none, 4096, PROT_READ | PROT_WRITE);
	((char *)none)[1] = 1;
	mprotect(none, 4096, PROT_NONE);
	lx_say("munlock of a PROT_NONE page that has its page", syscall(SYS_munlock, none, 4096));
	munmap((char *)none + 4096, 4096);
	lx_say("munlock of a PROT_NONE page then a hole", syscall(SYS_munlock, none, 8192));
	munmap(none, 4096);
	lx_say("mlockall 0", syscall(SYS_mlockall, 0));
	lx_say("mlockall MCL_ONFAULT alone", syscall(SYS_mlockall, 4));
	lx_say("mlockall 8", syscall(SYS_mlockall, 8));
	lx_say("mlockall MCL_CURRENT", syscall(SYS_mlockall, 1));
	lx_say("munlockall", syscall(SYS_munlockall));
	munmap(page, 4096);

	/* (Linux 6.3 adds GET_REGISTRATIONS, 512) */
	long q = syscall(SYS_membarrier, 0, 0, 0);
	lx_sayv("membarrier QUERY, 6.1's commands", q < 0 ? q : q & 511);
	lx_say("membarrier QUERY, flags 1", syscall(SYS_membarrier, 0, 1, 0));
	lx_say("membarrier 1024", syscall(SYS_membarrier, 1024, 0, 0));
	lx_say("membarrier -1", syscall(SYS_membarrier, -1, 0, 0));
	lx_say("membarrier GLOBAL", syscall(SYS_membarrier, 1, 0, 0));
	lx_say("membarrier GLOBAL_EXPEDITED", syscall(SYS_membarrier, 2, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED unregistered", syscall(SYS_membarrier, 8, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_SYNC_CORE unregistered",
	       syscall(SYS_membarrier, 32, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_RSEQ unregistered",
	       syscall(SYS_membarrier, 128, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_RSEQ, flags 2", syscall(SYS_membarrier, 128, 2, 0));
	lx_say("membarrier REGISTER_GLOBAL_EXPEDITED", syscall(SYS_membarrier, 4, 0, 0));
	lx_say("membarrier REGISTER_PRIVATE_EXPEDITED", syscall(SYS_membarrier, 16, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED", syscall(SYS_membarrier, 8, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED, flags 1", syscall(SYS_membarrier, 8, 1, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_SYNC_CORE still unregistered",
	       syscall(SYS_membarrier, 32, 0, 0));
	lx_say("membarrier REGISTER_PRIVATE_EXPEDITED_SYNC_CORE",
	       syscall(SYS_membarrier, 64, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_SYNC_CORE", syscall(SYS_membarrier, 32, 0, 0));
	lx_say("membarrier REGISTER_PRIVATE_EXPEDITED_RSEQ", syscall(SYS_membarrier, 256, 0, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_RSEQ on CPU 0", syscall(SYS_membarrier, 128, 1, 0));
	lx_say("membarrier PRIVATE_EXPEDITED_RSEQ on CPU 4095",
	       syscall(SYS_membarrier, 128, 1, 4095));
	return 0;
}
