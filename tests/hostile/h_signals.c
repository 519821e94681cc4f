/*
 * Hostile guest: Linux signal frames as weapons. rt_sigreturn trusts the
 * frame at the stack pointer, and a handler's frame is written where the
 * stack pointer (or the alternate stack) says: garbage frames, frames in
 * the kernel's pages, a frame asking for IOPL 3, ring 0's selectors or an
 * MXCSR that would fault in ring 0, handlers in the kernel or outside user
 * space. Each must end the run cleanly or come back harmless. main: a frame
 * of garbage.
 */
#include "hostile.h"

#define SIGUSR1	     10
#define SIGSEGV	     11
#define SA_SIGINFO   4ull
#define SA_ONSTACK   0x08000000ull
#define SA_RESTORER  0x04000000ull
#define NR_rt_sigaction 13
#define NR_rt_sigreturn 15
#define NR_kill	     62
#define NR_sigaltstack 131
#define FRAME_BYTES  440 /* pretcode, ucontext, siginfo */
#define GREGS	     40	 /* uc_mcontext's offset in the ucontext */

void hs_restorer(void);
void hs_port(void);
__asm__(".text\n"
	"hs_restorer: mov $15, %eax\n"
	"	syscall\n"
	"	ud2\n"
	/* Where a tampered frame returns: an `out` the I/O bitmap forbids. */
	"hs_port: mov $0x8000, %dx\n"
	"	outb %al, %dx\n"
	"	ud2\n");

static long sys(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	register uint64_t r10 __asm__("r10") = d;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static void on(int sig, uint64_t handler, uint64_t flags)
{
	const uint64_t act[4] = {handler, flags | SA_SIGINFO | SA_RESTORER,
				 (uint64_t)hs_restorer, 0};

	if (sys(NR_rt_sigaction, (uint64_t)sig, (uint64_t)act, 0, 8) != 0)
		kvmlet_abort("rt_sigaction failed");
}

/* rt_sigreturn with the stack pointer at sp (the frame at sp - 8). */
__attribute__((noreturn)) static void sigreturn_at(uint64_t sp)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov $15, %%eax\n\t"
			 "syscall\n\t"
			 "ud2"
			 :
			 : "r"(sp)
			 : "memory");
	__builtin_unreachable();
}

/* kill(self, SIGUSR1) with the stack pointer at sp: the frame goes below it. */
__attribute__((noreturn)) static void raise_at(uint64_t sp)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov $62, %%eax\n\t"
			 "mov $1, %%edi\n\t"
			 "mov $10, %%esi\n\t"
			 "syscall\n\t"
			 "ud2"
			 :
			 : "r"(sp)
			 : "memory");
	__builtin_unreachable();
}

static uint64_t frame[FRAME_BYTES / 8 + 8] __attribute__((aligned(16)));
static uint8_t stack[8192] __attribute__((aligned(16)));

static void handler(int sig, void *info, void *uc)
{
	(void)sig, (void)info, (void)uc;
}

/* A frame of 0x41 bytes: it returns to a non-canonical address. */
int main(void)
{
	for (unsigned i = 0; i < sizeof(frame) / 8; i++)
		frame[i] = 0x4141414141414141ull;
	sigreturn_at((uint64_t)&frame[1]);
}

HOSTILE_ATTACK(sigreturn_unmapped)
{
	sigreturn_at(0x10);
}

HOSTILE_ATTACK(sigreturn_ring0_stack)
{
	sigreturn_at(KVMLET_STACK0_GPA + 0x800);
}

/* A frame that returns into the kernel's view of memory. */
HOSTILE_ATTACK(sigreturn_kernel_rip)
{
	uint64_t *g = (uint64_t *)((uint8_t *)frame + 8 + GREGS);

	for (unsigned i = 0; i < sizeof(frame) / 8; i++)
		frame[i] = 0;
	g[15] = (uint64_t)stack + sizeof(stack); /* rsp */
	g[16] = KVMLET_KPHYS_VA + KVMLET_KERNEL_GPA; /* rip */
	sigreturn_at((uint64_t)&frame[1]);
}

/* A frame asking for IOPL 3 and ring 0's selectors returns to an `out` the
 * bitmap forbids: still CPL3, IOPL 0, so it faults. */
HOSTILE_ATTACK(sigreturn_iopl)
{
	uint64_t *g = (uint64_t *)((uint8_t *)frame + 8 + GREGS);

	for (unsigned i = 0; i < sizeof(frame) / 8; i++)
		frame[i] = 0;
	g[15] = (uint64_t)stack + sizeof(stack);
	g[16] = (uint64_t)hs_port;
	g[17] = 0x3202 | 1u << 14 | 1u << 17; /* IOPL 3, IF, NT, VM */
	g[18] = (uint64_t)KVMLET_SEL_KDATA << 48 | KVMLET_SEL_KCODE;
	sigreturn_at((uint64_t)&frame[1]);
}

/* The handler changes its frame: IOPL 3, NT, ring 0's selectors, an MXCSR
 * with reserved bits (fxrstor in ring 0 would fault on it). The code it
 * returns to must find none of them. */
static void tamper(int sig, void *info, void *uc)
{
	uint64_t *g = (uint64_t *)((uint8_t *)uc + GREGS);

	(void)sig, (void)info;
	g[17] |= 0x3000 | 1u << 14 | 1u << 17;
	g[18] = (uint64_t)KVMLET_SEL_KDATA << 48 | KVMLET_SEL_KCODE;
	if (g[23])
		*(volatile uint32_t *)(g[23] + 24) = 0xffffffffu;
}

HOSTILE_ATTACK(sigreturn_tampered)
{
	uint64_t flags, cs;
	uint32_t mxcsr;
	const uint32_t normal = 0x1f80;

	on(SIGUSR1, (uint64_t)tamper, 0);
	if (sys(NR_kill, 1, SIGUSR1, 0, 0) != 0)
		kvmlet_abort("kill failed");
	__asm__ volatile("pushfq; pop %0; mov %%cs, %1; stmxcsr %2"
			 : "=r"(flags), "=r"(cs), "=m"(mxcsr));
	__asm__ volatile("ldmxcsr %0" : : "m"(normal));
	if (flags & (0x3000 | 1u << 14 | 1u << 17))
		kvmlet_abort("rt_sigreturn gave the program IOPL, NT or VM");
	if (cs != KVMLET_SEL_UCODE)
		kvmlet_abort("rt_sigreturn gave the program another code segment");
	if (mxcsr >> 16)
		kvmlet_abort("rt_sigreturn loaded MXCSR's reserved bits");
}

/* The handler fills the XSAVE header with ones (compacted format, reserved
 * bits, components XCR0 lacks), MXCSR's reserved bits too: xrstor
 * of that in ring 0 would fault. The code it returns to goes on. */
static void scribble(int sig, void *info, void *uc)
{
	uint64_t *g = (uint64_t *)((uint8_t *)uc + GREGS);

	(void)sig, (void)info;
	if (g[23]) {
		volatile uint8_t *fx = (volatile uint8_t *)g[23];
		for (unsigned i = 512; i < 512 + 64; i++)
			fx[i] = 0xff;
		*(volatile uint32_t *)(fx + 24) = 0xffffffffu;
	}
}

HOSTILE_ATTACK(sigreturn_xsave_header)
{
	on(SIGUSR1, (uint64_t)scribble, 0);
	if (sys(NR_kill, 1, SIGUSR1, 0, 0) != 0)
		kvmlet_abort("kill failed");
}

HOSTILE_ATTACK(handler_in_kernel)
{
	on(SIGUSR1, KVMLET_KERNEL_GPA, 0);
	sys(NR_kill, 1, SIGUSR1, 0, 0);
}

HOSTILE_ATTACK(handler_outside_user_space)
{
	on(SIGUSR1, KVMLET_KPHYS_VA, 0);
	sys(NR_kill, 1, SIGUSR1, 0, 0);
}

/* The handler's frame would go on the ring-0 stack, or on kernel data. */
HOSTILE_ATTACK(frame_on_ring0_stack)
{
	on(SIGUSR1, (uint64_t)handler, 0);
	raise_at(KVMLET_STACK0_GPA + 0xc00);
}

HOSTILE_ATTACK(altstack_in_kernel)
{
	const uint64_t ss[3] = {KVMLET_KDATA_GPA, 0, 0x4000};

	if (sys(NR_sigaltstack, (uint64_t)ss, 0, 0, 0) != 0)
		kvmlet_abort("sigaltstack failed");
	on(SIGUSR1, (uint64_t)handler, SA_ONSTACK);
	sys(NR_kill, 1, SIGUSR1, 0, 0);
}

/* A SIGSEGV handler that steps over the 2-byte `mov (%rax),%eax`. */
static void step_over(int sig, void *info, void *uc)
{
	uint64_t *g = (uint64_t *)((uint8_t *)uc + GREGS);

	(void)sig, (void)info;
	g[16] += 2;
}

static void null_read(void)
{
	__asm__ volatile("xor %%eax, %%eax\n\tmov (%%rax), %%eax" : : : "rax", "memory");
}

/* With its handler, the fault is stepped over; test_hostile then resets and
 * calls segv_plain, which must fault: the handler and the IDT gates that
 * route exceptions to the guest's kernel do not survive a reset. */
HOSTILE_ATTACK(segv_swallowed)
{
	on(SIGSEGV, (uint64_t)step_over, 0);
	null_read();
}

HOSTILE_ATTACK(segv_plain)
{
	null_read();
}

/* POSIX timers given kernel addresses for every pointer, and threads that
 * are not the program's: each call refuses (EFAULT, EINVAL), nothing is
 * written where it points. */
#define NR_timer_create	 222
#define NR_timer_settime 223
#define NR_timer_gettime 224
#define NR_timer_delete	 226
#define EFAULT_		 (-14)
#define EINVAL_		 (-22)
#define EAGAIN_		 (-11)

static void expect(long got, long want, const char *what)
{
	if (got != want)
		kvmlet_abort(what);
}

HOSTILE_ATTACK(timers_bad_pointers)
{
	const uint64_t kernel[] = {KVMLET_KDATA_GPA, KVMLET_STACK0_GPA, KVMLET_KPHYS_VA,
				   KVMLET_KERNEL_GPA, 0x8};
	int32_t ev[16] = {0, 0, SIGUSR1, 0}, id = -1;
	const int64_t its[4] = {0, 0, 1, 0};

	for (unsigned i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		expect(sys(NR_timer_create, 1, kernel[i], (uint64_t)&id, 0), EFAULT_,
		       "timer_create read a kernel sigevent");
		expect(sys(NR_timer_create, 1, (uint64_t)ev, kernel[i], 0), EFAULT_,
		       "timer_create wrote its id into the kernel");
	}
	ev[3] = 4; /* SIGEV_THREAD_ID: a thread the program does not have */
	for (int32_t tid = -1; tid <= 2; tid += 3) {
		ev[4] = tid;
		expect(sys(NR_timer_create, 1, (uint64_t)ev, (uint64_t)&id, 0), EINVAL_,
		       "timer_create took a thread the program does not have");
	}
	ev[3] = 0;
	expect(sys(NR_timer_create, 1, (uint64_t)ev, (uint64_t)&id, 0), 0, "timer_create failed");
	for (unsigned i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		expect(sys(NR_timer_settime, (uint64_t)id, 0, kernel[i], 0), EFAULT_,
		       "timer_settime read a kernel itimerspec");
		expect(sys(NR_timer_gettime, (uint64_t)id, kernel[i], 0, 0), EFAULT_,
		       "timer_gettime wrote into the kernel");
		expect(sys(NR_timer_settime, (uint64_t)id, 0, (uint64_t)its, kernel[i]), EFAULT_,
		       "timer_settime wrote the old value into the kernel");
	}
	expect(sys(NR_timer_delete, (uint64_t)id, 0, 0, 0), 0, "timer_delete failed");
	expect(sys(NR_timer_gettime, (uint64_t)id, (uint64_t)its, 0, 0), EINVAL_,
	       "a deleted timer answered");
	/* As many as there may be, then EAGAIN. */
	int32_t n = 0;
	while (sys(NR_timer_create, 1, (uint64_t)ev, (uint64_t)&id, 0) == 0)
		n++;
	expect(sys(NR_timer_create, 1, (uint64_t)ev, (uint64_t)&id, 0), EAGAIN_,
	       "timer_create past the last timer is not EAGAIN");
	if (n < 32)
		kvmlet_abort("fewer timers than documented");
	while (n--)
		expect(sys(NR_timer_delete, (uint64_t)n, 0, 0, 0), 0, "timer_delete failed");
}

/* Every timer there is, each firing every nanosecond with a handler: each
 * system call's return (rt_sigreturn's too) runs the handler again, so the
 * program never gets further, as on Linux; only the time limit ends it. */
static void tick(int sig, void *info, void *uc)
{
	(void)sig, (void)info, (void)uc;
}

HOSTILE_ATTACK(timer_storm)
{
	const int64_t its[4] = {0, 1, 0, 1};
	int32_t ev[16] = {0, 0, SIGUSR1, 0}, id = -1, n = 0;

	on(SIGUSR1, (uint64_t)tick, 0);
	while (sys(NR_timer_create, 1, (uint64_t)ev, (uint64_t)&id, 0) == 0) {
		expect(sys(NR_timer_settime, (uint64_t)id, 0, (uint64_t)its, 0), 0,
		       "timer_settime failed");
		n++;
	}
	if (n < 32)
		kvmlet_abort("fewer timers than documented");
	for (;;)
		sys(39 /* getpid */, 0, 0, 0, 0);
}
