/* SPDX-License-Identifier: MIT */
/*
 * linux_task.c: the Linux system calls about the program's own task that
 * the kernel serves with no exit: the FS/GS base, uname, personality, resource limits,
 * affinity, the file mode mask, prctl, sysinfo,
 * process groups and sessions, priorities and scheduling policies, memory locks,
 * membarrier, the CPU it runs on, waiting for children it cannot have
 * (linux_signal.c serves signals). Arguments are checked
 * in Linux's order, with its errno;
 * those Linux declares int are taken as 32 bits, as it does.
 */
#include "kernel.h"

enum {
	NR_uname = 63,
	NR_getrlimit = 97,
	NR_arch_prctl = 158,
	NR_setrlimit = 160,
	NR_sched_getaffinity = 204,
	NR_prlimit64 = 302,
	NR_umask = 95,
	NR_sysinfo = 99,
	NR_setpgid = 109,
	NR_setsid = 112,
	NR_getpgid = 121,
	NR_getsid = 124,
	NR_prctl = 157,
	NR_getpriority = 140,
	NR_setpriority = 141,
	NR_sched_setparam = 142,
	NR_sched_getparam = 143,
	NR_sched_setscheduler = 144,
	NR_sched_getscheduler = 145,
	NR_sched_get_priority_max = 146,
	NR_sched_get_priority_min = 147,
	NR_mlock = 149,
	NR_munlock = 150,
	NR_mlockall = 151,
	NR_munlockall = 152,
	NR_sched_setaffinity = 203,
	NR_membarrier = 324,
	NR_mlock2 = 325,
	NR_wait4 = 61,
	NR_waitid = 247,
	NR_getcpu = 309,
	NR_personality = 135,
};

#define ARCH_SET_GS   0x1001
#define ARCH_SET_FS   0x1002
#define ARCH_GET_FS   0x1003
#define ARCH_GET_GS   0x1004
#define ESRCH	      3
#define RLIM_NLIMITS  16
#define SELF	      LINUX_SELF
#define RESET_ON_FORK 0x40000000 /* SCHED_RESET_ON_FORK */
#define PER_LINUX32	  0x0008
#define READ_IMPLIES_EXEC 0x0400000

static struct {
	bool ready;
	uint32_t umask;
	char name[16]; /* prctl's PR_SET_NAME: the comm */
	int32_t nice;  /* one for all threads */
	int32_t policy;	     /* SCHED_OTHER, BATCH or IDLE, | RESET_ON_FORK */
	uint32_t membarrier; /* the private commands registered for */
	uint32_t persona;    /* personality(2): one for all threads */
} task;

/* pid (0: the caller) is the program or one of its threads. */
static bool is_self(int32_t pid)
{
	return pid == 0 || pid == SELF || linux_thread_alive(pid);
}

static int64_t sys_arch_prctl(uint32_t code, uint64_t addr)
{
	uint64_t v;

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= KVMLET_USER_END)
			return -EPERM;
		wrmsr(code == ARCH_SET_FS ? MSR_FS_BASE : MSR_GS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		v = rdmsr(code == ARCH_GET_FS ? MSR_FS_BASE : MSR_GS_BASE);
		return mm_put_user(addr, &v, 8);
	default:
		return -EINVAL;
	}
}

static int64_t sys_uname(uint64_t buf)
{
	static const char f[6][65] = {"Linux",	       "kvmlet", "6.1.0-kvmlet",
				      "#1 SMP kvmlet", "x86_64", "(none)"};
	char u[6][65];

	memcpy(u, f, sizeof(u));
	/* Under PER_LINUX32 (linux32, setarch i686) Linux names the machine i686. */
	if ((task.persona & 0xff) == PER_LINUX32)
		memcpy(u[4], "i686", sizeof("i686"));
	return mm_put_user(buf, u, sizeof(u));
}

/* getrlimit, setrlimit, prlimit64: new limits are checked, then ignored. */
static int64_t rlimit(uint32_t resource, uint64_t new, uint64_t old)
{
	uint64_t lim[2] = {~0ull, ~0ull}, want[2];

	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (new &&mm_get_user(want, new, sizeof(want)) < 0)
		return -EFAULT;
	if (new &&want[0] > want[1])
		return -EINVAL;
	if (resource == 3) /* RLIMIT_STACK */
		lim[0] = lim[1] = bi()->stack_hi - bi()->stack_lo;
	else if (resource == 7) /* RLIMIT_NOFILE */
		lim[0] = lim[1] = 64;
	else if (resource == 9) /* RLIMIT_AS */
		lim[0] = lim[1] = bi()->mem_size;
	else if (resource == 4) /* RLIMIT_CORE: none is written (Debian's soft 0) */
		lim[0] = 0;
	return old ? mm_put_user(old, lim, sizeof(lim)) : 0;
}

/* The name Linux gives the program's task (PR_GET_NAME): the last part of
 * the path it was started as, at most 15 bytes; the host put that path
 * (AT_EXECFN) at the very top of the stack, its NUL in the last byte. */
static void comm_init(void)
{
	uint64_t end = bi()->stack_hi - 1, p = end;
	char c = 1;

	if (mm_get_user(&c, end, 1) < 0 || c)
		return;
	while (p > bi()->stack_lo && end - p < 4096 && mm_get_user(&c, p - 1, 1) == 0 && c)
		p--;
	for (uint64_t q = p; q < end; q++)
		if (mm_get_user(&c, q, 1) == 0 && c == '/')
			p = q + 1;
	for (uint32_t i = 0; i < 15 && p + i < end; i++)
		(void)mm_get_user(&task.name[i], p + i, 1);
}

/* struct sysinfo as x86-64 lays it out. */
struct ksysinfo {
	int64_t uptime;
	uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char f[4];
};

/* sysinfo: the guest's memory (free: its kernel's free pages), one process,
 * up since the host's monotonic clock began (an exit to read it). */
static int64_t sys_sysinfo(uint64_t buf)
{
	const struct frame now = {.rax = KVMLET_LX_NOW, .rdi = 1};
	struct ksysinfo si = {.procs = 1, .mem_unit = 1};
	uint64_t total, free = mm_free_pages(&total);

	if (!mm_user_ok(buf, sizeof(si), true))
		return -EFAULT;
	si.uptime = kernel_to_host(&now) / 1000000000;
	si.totalram = bi()->mem_size;
	si.freeram = free * PAGE;
	return mm_put_user(buf, &si, sizeof(si));
}

/* prctl: the options a process asks about itself; others are EINVAL. */
static int64_t sys_prctl(uint32_t option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	int32_t zero = 0;

	switch (option) {
	case 1: /* PR_SET_PDEATHSIG: no parent dies here */
		return a2 > 64 ? -EINVAL : 0;
	case 2: /* PR_GET_PDEATHSIG */
		return mm_put_user(a2, &zero, 4);
	case 3: /* PR_GET_DUMPABLE */
		return 1;
	case 4: /* PR_SET_DUMPABLE */
		return a2 > 1 ? -EINVAL : 0;
	case 15: { /* PR_SET_NAME: up to 15 bytes; a fault before their end is EFAULT */
		char name[16] = {0};
		for (uint32_t i = 0; i < 15; i++) {
			if (mm_get_user(&name[i], a2 + i, 1) < 0)
				return -EFAULT;
			if (!name[i])
				break;
		}
		for (uint32_t i = 0; i < 16; i++)
			task.name[i] = name[i];
		return 0;
	}
	case 16: /* PR_GET_NAME */
		return mm_put_user(a2, task.name, 16);
	case 23: /* PR_CAPBSET_READ: Linux 6.1's capabilities are all in the set */
		return a2 <= 40 ? 1 : -EINVAL;
	case 21: /* PR_GET_SECCOMP: the program is in no seccomp mode of its own */
		return 0;
	case 39: /* PR_GET_NO_NEW_PRIVS */
		return a2 || a3 || a4 || a5 ? -EINVAL : 0;
	case 36: /* PR_SET_CHILD_SUBREAPER */
		return 0;
	case 37: /* PR_GET_CHILD_SUBREAPER */
		return mm_put_user(a2, &zero, 4);
	case 38: /* PR_SET_NO_NEW_PRIVS: recorded as Linux would, nothing to gain here */
		return a2 != 1 || a3 || a4 || a5 ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static int64_t sys_sched_getaffinity(int32_t pid, uint64_t len, uint64_t mask)
{
	uint64_t one = 1;

	if (len < 8 || (len & 7))
		return -EINVAL;
	if (pid != 0 && !linux_thread_alive(pid))
		return -ESRCH;
	return mm_put_user(mask, &one, 8) < 0 ? -EFAULT : 8;
}

/* getpriority, setpriority: which (PRIO_PROCESS, PRIO_PGRP, PRIO_USER) and
 * who as Linux finds them: the program, its threads, its group, uid 0. */
static bool prio_who(int32_t which, int32_t who)
{
	return which == 0 ? is_self(who) : which == 1 ? who == 0 || who == SELF : who == 0;
}

static int64_t sys_priority(int32_t which, int32_t who, bool set, int32_t nice)
{
	if (which < 0 || which > 2)
		return -EINVAL;
	if (!prio_who(which, who))
		return -ESRCH;
	if (!set)
		return 20 - task.nice; /* Linux's nice_to_rlimit */
	/* RLIMIT_NICE is unlimited (getrlimit): lowering it is allowed too */
	task.nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	return 0;
}

/* sched_setaffinity: the mask as Linux copies it (len bytes, at most 8,
 * the rest cleared); CPU 0 must be in it. */
static int64_t sys_sched_setaffinity(int32_t pid, uint32_t len, uint64_t maskp)
{
	uint64_t mask = 0;

	if (len && mm_get_user(&mask, maskp, len < 8 ? len : 8) < 0)
		return -EFAULT;
	if (!is_self(pid))
		return -ESRCH;
	return (mask & 1) ? 0 : -EINVAL;
}

/* sched_setscheduler, and sched_setparam (setparam: the policy stays), in
 * Linux's order; SCHED_OTHER, SCHED_BATCH and SCHED_IDLE are recorded (the
 * threads take turns whatever they are), real-time ones need a priority and
 * are EPERM, SCHED_DEADLINE needs sched_setattr's parameters (EINVAL). */
static int64_t sys_sched_set(int32_t pid, int32_t policy, uint64_t param, bool setparam)
{
	int32_t prio, reset = task.policy & RESET_ON_FORK;

	if (!setparam && policy < 0)
		return -EINVAL;
	if (!param || pid < 0)
		return -EINVAL;
	if (mm_get_user(&prio, param, 4) < 0)
		return -EFAULT;
	if (!is_self(pid))
		return -ESRCH;
	if (setparam) {
		policy = task.policy & ~RESET_ON_FORK;
	} else {
		reset = policy & RESET_ON_FORK;
		policy &= ~RESET_ON_FORK;
	}
	if (policy > 6 || policy == 4 || (uint32_t)prio > 99 || policy == 6)
		return -EINVAL;
	if ((policy == 1 || policy == 2) != (prio != 0))
		return -EINVAL;
	if (policy == 1 || policy == 2)
		return -EPERM;
	task.policy = policy | reset;
	return 0;
}

static int64_t sys_sched_get(uint64_t nr, int32_t pid, uint64_t param)
{
	const int32_t zero = 0;

	if ((nr == NR_sched_getparam && !param) || pid < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	if (nr == NR_sched_getscheduler)
		return task.policy;
	return mm_put_user(param, &zero, 4) < 0 ? -EFAULT : 0;
}

/* sched_get_priority_max/min: SCHED_FIFO and SCHED_RR 1..99, the others 0. */
static int64_t sys_sched_prio_range(int32_t policy, bool max)
{
	if (policy == 1 || policy == 2)
		return max ? 99 : 1;
	return policy == 0 || policy == 3 || policy == 5 || policy == 6 ? 0 : -EINVAL;
}

/* mlock, munlock, mlock2: Linux's page rounding (a range that wraps is
 * EINVAL), then every page must be mapped (ENOMEM): for mlock, readable too
 * (Linux cannot fault a PROT_NONE one in); munlock takes any mapping. Nothing
 * is ever paged out here: there is nothing more to do. */
static int64_t sys_mlock(uint64_t start, uint64_t len, bool unlock)
{
	uint64_t end;

	len = (len + (start & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1);
	start &= ~(PAGE - 1);
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (unlock && len)
		return mm_check_user(start, len) < 0 ? -ENOMEM : linux_unmapped_in(start, len);
	for (uint64_t va = start; va < end; va += PAGE)
		if (!mm_user_ok(va, PAGE, false))
			return -ENOMEM;
	return 0;
}

/* membarrier, as Linux 6.1 answers on one CPU: a private command needs its
 * registration (EPERM), the global ones have nothing to wait for. */
static int64_t sys_membarrier(int32_t cmd, uint32_t flags)
{
	if (cmd == 128 ? flags > 1 : flags != 0) /* MEMBARRIER_CMD_FLAG_CPU: RSEQ's only */
		return -EINVAL;
	switch (cmd) {
	case 0: /* QUERY: GLOBAL to REGISTER_PRIVATE_EXPEDITED_RSEQ */
		return 0x1ff;
	case 1: /* GLOBAL */
	case 2: /* GLOBAL_EXPEDITED */
	case 4: /* REGISTER_GLOBAL_EXPEDITED */
		return 0;
	case 8: /* PRIVATE_EXPEDITED, _SYNC_CORE, _RSEQ */
	case 32:
	case 128:
		return (task.membarrier & (uint32_t)cmd) ? 0 : -EPERM;
	case 16: /* their registrations */
	case 64:
	case 256:
		task.membarrier |= (uint32_t)cmd >> 1;
		return 0;
	default:
		return -EINVAL;
	}
}

/* getcpu: CPU 0 of node 0, each written where the program asked (NULL: not). */
static int64_t sys_getcpu(uint64_t cpu, uint64_t node)
{
	const uint32_t zero = 0;
	int64_t r = cpu ? mm_put_user(cpu, &zero, sizeof(zero)) : 0;

	if (node && mm_put_user(node, &zero, sizeof(zero)) < 0)
		r = -EFAULT;
	return r < 0 ? -EFAULT : 0;
}

/*
 * wait4 and waitid: the checks Linux makes first, the options, then (waitid)
 * what to wait for (a pidfd can only be one that is no pidfd, EBADF); 0
 * when they pass: the host, which keeps the children, answers.
 */
#define ECHILD	  10
#define WNOHANG	  1u
#define WSTOPPED  2u
#define WEXITED	  4u
#define WCONTINUED 8u
#define WNOWAIT	  0x01000000u
#define WALL_ETC  0xe0000000u /* __WNOTHREAD, __WALL, __WCLONE */

static int64_t sys_wait4(int32_t pid, uint32_t options)
{
	if (options & ~(WNOHANG | WSTOPPED | WCONTINUED | WALL_ETC))
		return -EINVAL;
	return pid == INT32_MIN ? -ESRCH : 0;
}

static int64_t sys_waitid(int32_t idtype, int32_t id, uint32_t options)
{
	if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | WALL_ETC)) ||
	    !(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case 0: /* P_ALL */
		return 0;
	case 1: /* P_PID */
		return id <= 0 ? -EINVAL : 0;
	case 2: /* P_PGID */
		return id < 0 ? -EINVAL : 0;
	case 3: /* P_PIDFD */
		return id < 0 ? -EINVAL : -EBADF;
	default:
		return -EINVAL;
	}
}

/* The calls about scheduling and memory locks. */
static int64_t sched_syscall(const struct frame *f, bool *served)
{
	uint64_t a0 = f->rdi, a1 = f->rsi, a2 = f->rdx;
	int64_t r;

	*served = true;
	switch (f->rax) {
	case NR_getpriority:
	case NR_setpriority:
		return sys_priority((int32_t)a0, (int32_t)a1, f->rax == NR_setpriority,
				    (int32_t)a2);
	case NR_sched_setaffinity:
		return sys_sched_setaffinity((int32_t)a0, (uint32_t)a1, a2);
	case NR_sched_setscheduler:
		return sys_sched_set((int32_t)a0, (int32_t)a1, a2, false);
	case NR_sched_setparam:
		return sys_sched_set((int32_t)a0, 0, a1, true);
	case NR_sched_getscheduler:
	case NR_sched_getparam:
		return sys_sched_get(f->rax, (int32_t)a0, a1);
	case NR_sched_get_priority_max:
	case NR_sched_get_priority_min:
		return sys_sched_prio_range((int32_t)a0, f->rax == NR_sched_get_priority_max);
	case NR_mlock2:
		if ((uint32_t)a2 & ~1u) /* MLOCK_ONFAULT */
			return -EINVAL;
		return sys_mlock(a0, a1, false);
	case NR_mlock:
	case NR_munlock:
		return sys_mlock(a0, a1, f->rax == NR_munlock);
	case NR_mlockall: /* MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT (not alone) */
		return (int32_t)a0 == 0 || ((int32_t)a0 & ~7) || (int32_t)a0 == 4 ? -EINVAL : 0;
	case NR_munlockall:
		return 0;
	case NR_membarrier:
		return sys_membarrier((int32_t)a0, (uint32_t)a1);
	case NR_getcpu:
		return sys_getcpu(a0, a1);
	case NR_wait4:
		r = sys_wait4((int32_t)a0, (uint32_t)a2);
		break;
	case NR_waitid:
		r = sys_waitid((int32_t)a0, (int32_t)a1, (uint32_t)f->r10);
		break;
	default:
		*served = false;
		return 0;
	}
	*served = r != 0; /* checked: to the host */
	return r;
}

/* At the first call: the umask (022), nice value and policy a fresh program
 * starts with, or those the program before execve had. */
static void task_init(void)
{
	const struct kvmlet_exec_carry *c = exec_carry();

	if (task.ready)
		return;
	task.ready = true;
	task.umask = c ? c->umask & 0777 : 022;
	if (c && c->nice >= -20 && c->nice <= 19)
		task.nice = c->nice;
	if (c) {
		int32_t p = c->policy & ~RESET_ON_FORK;
		if (p == 0 || p == 3 || p == 5) /* SCHED_OTHER, SCHED_BATCH, SCHED_IDLE */
			task.policy = c->policy;
	}
	if (c)
		task.persona = c->persona;
	if (c && c->comm[0])
		for (uint32_t i = 0; i < 15 && c->comm[i]; i++)
			task.name[i] = c->comm[i];
	else
		comm_init();
}

void linux_task_exec(struct kvmlet_exec_carry *c)
{
	task_init();
	c->umask = task.umask;
	c->nice = task.nice;
	c->policy = task.policy;
	/* A 64-bit ELF's execve clears it (Linux's SET_PERSONALITY). */
	c->persona = task.persona & ~(uint32_t)READ_IMPLIES_EXEC;
}

int64_t linux_task_syscall(const struct frame *f, bool *served)
{
	uint64_t a0 = f->rdi, a1 = f->rsi, a2 = f->rdx, a3 = f->r10;

	task_init();
	*served = true;
	switch (f->rax) {
	case NR_umask: {
		uint32_t old = task.umask;
		task.umask = (uint32_t)a0 & 0777;
		return old;
	}
	case NR_sysinfo:
		return sys_sysinfo(a0);
	case NR_prctl:
		return sys_prctl((uint32_t)a0, a1, a2, a3, f->r8);
	case NR_getpgid:
	case NR_getsid:
		return (int32_t)a0 == 0 || (int32_t)a0 == SELF ? LINUX_GROUP : -ESRCH;
	case NR_setpgid: /* it leads its session: its group stays its own */
		if ((int32_t)a1 < 0)
			return -EINVAL;
		if ((int32_t)a0 != 0 && (int32_t)a0 != SELF)
			return -ESRCH;
		return (int32_t)a1 == 0 || (int32_t)a1 == SELF ? 0 : -EPERM;
	case NR_setsid:
		return -EPERM; /* already a group leader */
	case NR_arch_prctl:
		return sys_arch_prctl((uint32_t)a0, a1);
	case NR_uname:
		return sys_uname(a0);
	case NR_personality: { /* any value is taken; 0xffffffff only asks */
		uint32_t old = task.persona;
		if ((uint32_t)a0 != 0xffffffffu)
			task.persona = (uint32_t)a0;
		return old;
	}
	case NR_getrlimit:
		return a1			      ? rlimit((uint32_t)a0, 0, a1)
		       : (uint32_t)a0 >= RLIM_NLIMITS ? -EINVAL
						      : -EFAULT;
	case NR_setrlimit:
		return a1			      ? rlimit((uint32_t)a0, a1, 0)
		       : (uint32_t)a0 >= RLIM_NLIMITS ? -EINVAL
						      : -EFAULT;
	case NR_prlimit64:
		if ((int32_t)a0 != 0 && (int32_t)a0 != SELF)
			return -ESRCH;
		return rlimit((uint32_t)a1, a2, a3);
	case NR_sched_getaffinity:
		return sys_sched_getaffinity((int32_t)a0, a1, a2);
	}
	return sched_syscall(f, served);
}
