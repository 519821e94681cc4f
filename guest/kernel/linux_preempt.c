/* SPDX-License-Identifier: MIT */
/*
 * linux_preempt.c: ticks, so that code which makes no system call still
 * sees its timers' signals and shares the vCPU with the program's other
 * threads, as on Linux.
 *
 * After every system call the kernel writes in the boot info when it wants
 * the program's code interrupted: the first timer or timed wait due (a time
 * on the monotonic clock), and whether more than one thread can run (then
 * every KVMLET_TICK_SLICE_MS); where it wanted none before, it tells the host
 * (KVMLET_LX_TICKS, an exit), which otherwise does not look. The host's
 * watchdog reads that and injects KVMLET_VEC_TICK then; its gate comes here
 * (entry.S), always from CPL3, since the kernel runs with interrupts off
 * (syscall's SFMASK and the interrupt gates clear IF). A tick ends the waits and
 * timers due, gives the next runnable thread its turn, delivers the signals
 * pending for the thread then current, and goes back to CPL3 by iretq.
 * The gate is the host's (KVMLET_TICK_ENTRY_OFF), there from the start: a
 * tick that a signal from outside brings (kvmlet_signal) may come before the
 * kernel has ever asked for one. Nothing is written until the first time a
 * tick is wanted: a program that never wants one costs no page more.
 */
#include "kernel.h"

/* The flags a thread stopped in a system call goes back with (sysretq's,
 * without IOPL), and IF, which user code always has. */
#define SYSRET_FLAGS 0x3c4fd7ull
#define FLAG_IF	     0x200ull

void kernel_tick(struct frame *f, const uint64_t *cpu);

void linux_preempt_ask(void)
{
	volatile struct kvmlet_bootinfo *b = kphys(KVMLET_BOOTINFO_GPA);
	uint32_t runnable;
	const uint64_t at = linux_thread_due(&runnable);
	const uint32_t slices = runnable > 1;
	const bool asked = b->tick_at || b->tick_slices;

	if (!asked && !at && !slices)
		return;
	/* Written only when it changes: the page stays clean for resets. */
	if (b->tick_at != at)
		b->tick_at = at;
	if (b->tick_slices != slices)
		b->tick_slices = slices;
	/* The host looks at a run that wanted none only when told (an exit). */
	if (!asked && (at || slices)) {
		const struct frame f = {.rax = KVMLET_LX_TICKS};
		(void)kernel_to_host(&f);
	}
}

/* entry.S: a tick interrupted user code (cpu: the CPU's frame, RIP, CS,
 * RFLAGS, RSP, SS), every register in f. */
void kernel_tick(struct frame *f, const uint64_t *cpu)
{
	kernel_user_rsp = cpu[3];
	kernel_iret = (struct kernel_iret){
		.rip = cpu[0], .cs = cpu[1], .rflags = cpu[2], .ss = cpu[4], .on = 1};
	linux_thread_preempt(f); /* the timers then due too: no second clock reading */
	if (!kernel_iret.on)	 /* the thread now current stopped in a system call */
		kernel_iret = (struct kernel_iret){.rip = f->rcx,
						   .cs = KVMLET_SEL_UCODE,
						   .rflags = (f->r11 & SYSRET_FLAGS) | FLAG_IF | 2,
						   .ss = KVMLET_SEL_UDATA,
						   .on = 1};
	linux_signal_external();
	linux_signal_deliver(f);
	linux_preempt_ask();
}
