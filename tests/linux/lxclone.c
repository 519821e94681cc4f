/*
 * lxclone.c: threads made with raw clone calls, for what a thread library
 * never does (tests/kvm/test_linux.c runs these under kvmlet only):
 * "bomb" makes threads until clone refuses one, "badstack" gives a
 * thread a stack in unmapped memory, "deadlock" leaves every thread waiting
 * with no time limit, "cleartid" has a thread exit with a clear_child_tid
 * that is not writable, "regs" checks that a new thread starts with
 * its creator's registers but RAX and RSP, "pipedeadlock" has two threads
 * each read a pipe only the other one could write, "unmapcode" unmaps the
 * code of a `syscall` a thread waits in (the kernel repeats it there).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CLONE_THREAD_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000) /* VM FS FILES SIGHAND THREAD */
#define CLONE_CHILD_CLEARTID 0x200000

static _Alignas(16) char stack[4][16384];
static volatile uint32_t word, done;

/* clone(flags, sp, 0, ctid, 0): in the new thread, call fn on stack sp, then
 * exit(0). Returns what clone returned in the caller (tid or -errno). */
static long spawn(unsigned long flags, void *sp, void *ctid, void (*fn)(void))
{
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	register void (*r12)(void) __asm__("r12") = fn;
	long r;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "call *%%r12\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(r)
			 : "a"(SYS_clone), "D"(flags), "S"(sp), "d"(0), "r"(r10), "r"(r8), "r"(r12)
			 : "rcx", "r11", "memory");
	return r;
}

static long futex(volatile uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void wait_forever(void)
{
	for (;;)
		futex(&word, 0, 0);
}

static void mark_done(void)
{
	done = 1;
}

static int do_threadbomb(void)
{
	int n = 0;
	long r;

	while ((r = spawn(CLONE_THREAD_FLAGS, stack[0] + sizeof(stack[0]), 0, wait_forever)) > 0)
		n++;
	printf("threads made: %d, then %s\n", n, r == -EAGAIN ? "EAGAIN" : "something else");
	fflush(stdout);
	syscall(SYS_exit_group, 0);
	return 1;
}

/* Printed first: a tick may run the thread before the caller prints again. */
static int do_badstack(void)
{
	printf("clone: a thread on an unmapped stack\n");
	fflush(stdout);
	long r = spawn(CLONE_THREAD_FLAGS, (void *)0x10000, 0, mark_done);
	syscall(SYS_sched_yield); /* the thread runs: its first push faults */
	printf("still here (%s)\n", r > 0 ? "a thread" : "refused");
	return 0;
}

static int do_deadlock(void)
{
	long r = spawn(CLONE_THREAD_FLAGS, stack[0] + sizeof(stack[0]), 0, wait_forever);

	printf("clone: %s\n", r > 0 ? "a thread" : "refused");
	fflush(stdout);
	futex(&done, 0, 0); /* nobody will wake either */
	printf("woken\n");
	return 0;
}

static int do_cleartid(void)
{
	long r = spawn(CLONE_THREAD_FLAGS | CLONE_CHILD_CLEARTID, stack[0] + sizeof(stack[0]),
		       (void *)8, mark_done);

	while (!done)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield); /* let it reach its exit */
	printf("clone: %s, the thread ran: %s\n", r > 0 ? "a thread" : "refused",
	       done ? "yes" : "no");
	return 0;
}

/* Registers a new thread sees: the callee-saved ones as its creator left
 * them, rax 0, rsp the new stack. */
static uint64_t seen[7];

static int do_threadregs(void)
{
	register uint64_t *out __asm__("r9") = seen;
	long r;

	__asm__ volatile("push %%rbx\n\t"
			 "push %%rbp\n\t"
			 "mov $0x1111, %%rbx\n\t"
			 "mov $0x2222, %%rbp\n\t"
			 "mov $0x3333, %%r12\n\t"
			 "mov $0x4444, %%r13\n\t"
			 "mov $0x5555, %%r14\n\t"
			 "mov $0x6666, %%r15\n\t"
			 "syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %%rbx, 0(%%r9)\n\t"
			 "mov %%rbp, 8(%%r9)\n\t"
			 "mov %%r12, 16(%%r9)\n\t"
			 "mov %%r13, 24(%%r9)\n\t"
			 "mov %%r14, 32(%%r9)\n\t"
			 "mov %%r15, 40(%%r9)\n\t"
			 "mov %%rsp, 48(%%r9)\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:\n\t"
			 "pop %%rbp\n\t"
			 "pop %%rbx"
			 : "=a"(r)
			 : "a"(SYS_clone), "D"(CLONE_THREAD_FLAGS), "S"(stack[1] + 4096), "d"(0),
			   "r"(out)
			 : "rcx", "r8", "r10", "r11", "r12", "r13", "r14", "r15", "memory");
	for (int i = 0; i < 3 && !seen[0]; i++)
		syscall(SYS_sched_yield);
	printf("clone: %s; thread saw %lx %lx %lx %lx %lx %lx, stack %s\n",
	       r > 0 ? "a thread" : "refused", (unsigned long)seen[0], (unsigned long)seen[1],
	       (unsigned long)seen[2], (unsigned long)seen[3], (unsigned long)seen[4],
	       (unsigned long)seen[5],
	       seen[6] == (uint64_t)(uintptr_t)(stack[1] + 4096) ? "as given" : "wrong");
	return 0;
}

/* Each of two threads reads a pipe that only the other could write. */
static int pipes[2][2];

static void read_second(void)
{
	char c;

	syscall(SYS_read, pipes[1][0], &c, 1);
}

static int do_pipedeadlock(void)
{
	char c;
	long r;

	syscall(SYS_pipe, pipes[0]);
	syscall(SYS_pipe, pipes[1]);
	r = spawn(CLONE_THREAD_FLAGS, stack[0] + sizeof(stack[0]), 0, read_second);
	printf("clone: %s\n", r > 0 ? "a thread" : "refused");
	fflush(stdout);
	syscall(SYS_read, pipes[0][0], &c, 1);
	printf("read\n");
	return 0;
}

/* A thread waits in a `syscall` (reading an empty pipe) whose code is then
 * unmapped: when the pipe has data, it runs again at that instruction. */
static unsigned char *code;

static void read_through_code(void)
{
	static char c;

	((long (*)(long, void *, long))(void *)code)(pipes[0][0], &c, 1);
	printf("the thread read\n");
}

static int do_unmapcode(void)
{
	static const unsigned char read_ret[] = {0x31, 0xc0, 0x0f, 0x05, 0xc3}; /* read; ret */

	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(code, read_ret, sizeof(read_ret));
	mprotect(code, 4096, PROT_READ | PROT_EXEC);
	syscall(SYS_pipe, pipes[0]);
	spawn(CLONE_THREAD_FLAGS, stack[0] + sizeof(stack[0]), 0, read_through_code);
	syscall(SYS_sched_yield); /* the thread reads: it waits */
	printf("unmapped: %s\n", munmap(code, 4096) == 0 ? "yes" : "no");
	fflush(stdout);
	syscall(SYS_write, pipes[0][1], "x", 1);
	for (int i = 0; i < 3; i++)
		syscall(SYS_sched_yield); /* the thread runs again, at unmapped code */
	printf("still here\n");
	return 0;
}

int do_clone(const char *what);

int do_clone(const char *what)
{
	if (!strcmp(what, "badstack"))
		return do_badstack();
	if (!strcmp(what, "cleartid"))
		return do_cleartid();
	if (!strcmp(what, "deadlock"))
		return do_deadlock();
	if (!strcmp(what, "regs"))
		return do_threadregs();
	if (!strcmp(what, "bomb"))
		return do_threadbomb();
	if (!strcmp(what, "pipedeadlock"))
		return do_pipedeadlock();
	if (!strcmp(what, "unmapcode"))
		return do_unmapcode();
	return 64;
}
