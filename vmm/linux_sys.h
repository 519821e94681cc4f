/* SPDX-License-Identifier: MIT */
/*
 * linux_sys.h: what the host's Linux system calls share (linux_sys.c:
 * streams, clocks, randomness, sleeping, signals to itself; linux_fs.c:
 * descriptors and the allowed files). Not installed.
 */
#ifndef KVMLET_LINUX_SYS_H
#define KVMLET_LINUX_SYS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvmlet_abi.h"
#include "linux.h"
#include "sandbox.h"

/* One system call being served. */
struct sys {
	struct kvmlet_sandbox *sb;
	struct linux_host *lx;
	const struct kvm_regs *r;
	struct kvmlet_result *res;
	struct kvmlet_error *err;
	int stop; /* set: end the run with this code (res filled) */
};

/* Copy to / from the program's memory, as the program itself may access it. */
static inline int64_t lxs_put(struct sys *s, uint64_t va, const void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_WRITE_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? -EFAULT : 0;
}

static inline int64_t lxs_get(struct sys *s, uint64_t va, void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_READ_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? -EFAULT : 0;
}

/* Linux's access_ok: [va, va + len) lies in user space (mapped or not); a
 * buffer that does not is -EFAULT before anything is read or written. */
static inline bool lxs_range_ok(uint64_t va, uint64_t len)
{
	return va <= KVMLET_USER_END && len <= KVMLET_USER_END - va;
}

/* linux_fs.c: the open file behind guest descriptor fd (>= 3), or NULL. */
struct lx_fd *lxs_file_fd(struct sys *s, int fd);
/* linux_fs.c: the host descriptor an open guest file reads from. */
int lxs_host_fd(struct sys *s, const struct lx_fd *f);
/* linux_fs.c: serve nr if it is about descriptors or paths (*served set). */
int64_t lxs_fs_syscall(struct sys *s, uint64_t nr, bool *served);

#endif
