/* SPDX-License-Identifier: MIT */
/*
 * linux_signal.c: signals sent to a Linux program from outside it
 * (kvmlet_signal), as another process's kill(2) would send them. They wait in
 * a word of the boot info (guest memory), where the host sets their bits from
 * any thread and the guest's kernel takes them with an atomic exchange at its
 * next system call, tick or wake-up (guest/kernel/linux_signal.c). The
 * watchdog ticks the run, so that code which makes no system call gets them
 * too, and kicks it out of a wait in the host that a signal ends
 * (linux_sys.c's host_wait); never out of the application's host functions.
 */
#include <errno.h>
#include <stddef.h>

#include "error.h"
#include "linux.h"
#include "sandbox.h"

static uint64_t *pending_word(struct kvmlet_sandbox *sb)
{
	return (uint64_t *)(void *)GUEST_PTR(
		&sb->gm, KVMLET_BOOTINFO_GPA + offsetof(struct kvmlet_bootinfo, sig_ext),
		sizeof(uint64_t));
}

int kvmlet_signal(struct kvmlet_sandbox *sb, int signo, struct kvmlet_error *err)
{
	uint64_t *w;

	if (signo < 1 || signo > 64)
		return kvmlet_fail(err, -EINVAL, "signal %d: signals are numbered 1 to 64", signo);
	if (!(w = pending_word(sb)))
		return kvmlet_fail(err, -EINVAL, "this sandbox has no guest memory");
	/* Stored before the watch is looked at; host_wait looks in the other order. */
	__atomic_fetch_or(w, 1ull << (signo - 1), __ATOMIC_SEQ_CST);
	watch_signal(&sb->watch);
	return 0;
}

int kvmlet_set_ignored_signals(struct kvmlet_sandbox *sb, uint64_t mask, struct kvmlet_error *err)
{
	const uint64_t unignorable = 1ull << (9 - 1) | 1ull << (19 - 1); /* SIGKILL, SIGSTOP */

	if (!phase_is(&sb->phase, PH_NEW))
		return kvmlet_fail(err, -EBUSY, "ignored signals are set before the guest starts");
	if (mask & unignorable)
		return kvmlet_fail(err, -EINVAL, "SIGKILL and SIGSTOP cannot be ignored");
	sb->lx->sig_ign = mask;
	return 0;
}

void kvmlet_expect_signals(struct kvmlet_sandbox *sb, bool on)
{
	sb->lx->expect_signals = on;
}

void linux_signals_drop(struct kvmlet_sandbox *sb)
{
	uint64_t *w = pending_word(sb);

	if (w && __atomic_load_n(w, __ATOMIC_RELAXED))
		__atomic_store_n(w, 0, __ATOMIC_SEQ_CST);
}
