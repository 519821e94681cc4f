/* SPDX-License-Identifier: MIT */
/*
 * linux_cred.c: the program's user and group ids, served with no exit. It
 * starts as root (every id 0, no supplementary groups) and may change them
 * as Linux lets a process (kernel/sys.c): with privilege (CAP_SETUID and
 * CAP_SETGID, which a process holds while its effective uid is 0) to any
 * value, without it only among its real, effective and saved ids; so a
 * program can drop root for good, as servers do. The ids belong to the
 * program, not to each thread (libc makes every thread follow a change).
 * Nothing else depends on them: the files are readable by anyone and
 * writable by no one.
 */
#include "kernel.h"

enum {
	NR_getuid = 102,
	NR_getgid = 104,
	NR_setuid = 105,
	NR_setgid = 106,
	NR_geteuid = 107,
	NR_getegid = 108,
	NR_setreuid = 113,
	NR_setregid = 114,
	NR_getgroups = 115,
	NR_setgroups = 116,
	NR_setresuid = 117,
	NR_getresuid = 118,
	NR_setresgid = 119,
	NR_getresgid = 120,
	NR_setfsuid = 122,
	NR_setfsgid = 123,
};

#define NONE	    0xffffffffu /* (uid_t)-1: "unchanged", and no valid id */
#define NGROUPS_MAX 65536	/* Linux's */
#define GROUPS_KEPT 256		/* ours: more is ENOMEM */
_Static_assert(GROUPS_KEPT == KVMLET_EXEC_GROUPS, "execve keeps every group");

/* One kind of id (users, or groups): real, effective, saved, filesystem. */
struct ids {
	uint32_t r, e, s, fs;
};

static struct {
	struct ids uid, gid;
	uint32_t ngroups;
	uint32_t groups[GROUPS_KEPT]; /* sorted, as Linux keeps them */
} cred;

/* CAP_SETUID and CAP_SETGID: held while the effective uid is 0 (Linux drops
 * them when it leaves 0, and all of them when no uid is 0 any more). */
static bool privileged(void)
{
	return cred.uid.e == 0;
}

static bool one_of(const struct ids *o, uint32_t id)
{
	return id == o->r || id == o->e || id == o->s;
}

/* setuid, setgid: with privilege every id; else the effective one, to the
 * real or the saved. */
static int64_t set_one(struct ids *ids, uint32_t id)
{
	if (id == NONE)
		return -EINVAL;
	if (privileged())
		ids->r = ids->s = id;
	else if (id != ids->r && id != ids->s)
		return -EPERM;
	ids->e = ids->fs = id;
	return 0;
}

/* setreuid, setregid. */
static int64_t set_re(struct ids *ids, uint32_t r, uint32_t e)
{
	const struct ids old = *ids;

	if (!privileged() &&
	    ((r != NONE && r != old.r && r != old.e) || (e != NONE && !one_of(&old, e))))
		return -EPERM;
	if (r != NONE)
		ids->r = r;
	if (e != NONE)
		ids->e = e;
	if (r != NONE || (e != NONE && e != old.r))
		ids->s = ids->e;
	ids->fs = ids->e;
	return 0;
}

/* setresuid, setresgid. */
static int64_t set_res(struct ids *ids, uint32_t r, uint32_t e, uint32_t s)
{
	if ((r == NONE || r == ids->r) && (e == NONE || (e == ids->e && e == ids->fs)) &&
	    (s == NONE || s == ids->s))
		return 0;
	if (!privileged() && ((r != NONE && !one_of(ids, r)) || (e != NONE && !one_of(ids, e)) ||
			      (s != NONE && !one_of(ids, s))))
		return -EPERM;
	if (r != NONE)
		ids->r = r;
	if (e != NONE)
		ids->e = e;
	if (s != NONE)
		ids->s = s;
	ids->fs = ids->e;
	return 0;
}

/* getresuid, getresgid: each written in turn, the first fault ends it. */
static int64_t get_res(const struct ids *ids, uint64_t r, uint64_t e, uint64_t s)
{
	if (mm_put_user(r, &ids->r, 4) < 0 || mm_put_user(e, &ids->e, 4) < 0 ||
	    mm_put_user(s, &ids->s, 4) < 0)
		return -EFAULT;
	return 0;
}

/* setfsuid, setfsgid: the old one, whether or not it changed. */
static int64_t set_fs(struct ids *ids, uint32_t id)
{
	const uint32_t old = ids->fs;

	if (id != NONE && (one_of(ids, id) || id == ids->fs || privileged()))
		ids->fs = id;
	return old;
}

static int64_t sys_setgroups(int32_t n, uint64_t list)
{
	uint32_t g[GROUPS_KEPT];

	if (!privileged())
		return -EPERM;
	if ((uint32_t)n > NGROUPS_MAX)
		return -EINVAL;
	if ((uint32_t)n > GROUPS_KEPT)
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++) /* one by one, as Linux reads them */
		if (mm_get_user(&g[i], list + (uint64_t)i * 4, 4) < 0)
			return -EFAULT;
		else if (g[i] == NONE)
			return -EINVAL;
	for (int32_t i = 1; i < n; i++) /* insertion sort: at most 256 */
		for (int32_t j = i; j > 0 && g[j - 1] > g[j]; j--) {
			const uint32_t t = g[j];
			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	for (int32_t i = 0; i < n; i++)
		cred.groups[i] = g[i];
	cred.ngroups = (uint32_t)n;
	return 0;
}

static int64_t sys_getgroups(int32_t n, uint64_t list)
{
	if (n < 0)
		return -EINVAL;
	if (n && (uint32_t)n < cred.ngroups)
		return -EINVAL;
	if (n && cred.ngroups && mm_put_user(list, cred.groups, cred.ngroups * 4) < 0)
		return -EFAULT;
	return cred.ngroups;
}

/* The ids a program starts with: root's, or those the program before execve
 * had (its groups only if they are as setgroups keeps them: sorted, at most
 * GROUPS_KEPT). */
static void cred_init(void)
{
	static bool ready;
	const struct kvmlet_exec_carry *c = exec_carry();
	bool sorted = true;

	if (ready)
		return;
	ready = true;
	if (!c)
		return;
	/* As Linux's exec: the saved and filesystem ids become the effective ones. */
	cred.uid = (struct ids){c->uid[0], c->uid[1], c->uid[1], c->uid[1]};
	cred.gid = (struct ids){c->gid[0], c->gid[1], c->gid[1], c->gid[1]};
	for (uint32_t i = 1; i < c->ngroups && i < GROUPS_KEPT; i++)
		sorted &= c->groups[i - 1] <= c->groups[i];
	if (c->ngroups > GROUPS_KEPT || !sorted)
		return;
	cred.ngroups = c->ngroups;
	memcpy(cred.groups, c->groups, c->ngroups * sizeof(cred.groups[0]));
}

void linux_cred_exec(struct kvmlet_exec_carry *c)
{
	cred_init();
	memcpy(c->uid, (uint32_t[]){cred.uid.r, cred.uid.e, cred.uid.s, cred.uid.fs}, 16);
	memcpy(c->gid, (uint32_t[]){cred.gid.r, cred.gid.e, cred.gid.s, cred.gid.fs}, 16);
	c->ngroups = cred.ngroups;
	memcpy(c->groups, cred.groups, cred.ngroups * sizeof(cred.groups[0]));
}

uint32_t linux_cred_uid(void)
{
	cred_init();
	return cred.uid.r;
}

int64_t linux_cred_syscall(const struct frame *f, bool *served)
{
	const uint32_t a0 = (uint32_t)f->rdi, a1 = (uint32_t)f->rsi, a2 = (uint32_t)f->rdx;

	cred_init();
	*served = true;
	switch (f->rax) {
	case NR_getuid:
		return cred.uid.r;
	case NR_geteuid:
		return cred.uid.e;
	case NR_getgid:
		return cred.gid.r;
	case NR_getegid:
		return cred.gid.e;
	case NR_setuid:
		return set_one(&cred.uid, a0);
	case NR_setgid:
		return set_one(&cred.gid, a0);
	case NR_setreuid:
		return set_re(&cred.uid, a0, a1);
	case NR_setregid:
		return set_re(&cred.gid, a0, a1);
	case NR_setresuid:
		return set_res(&cred.uid, a0, a1, a2);
	case NR_setresgid:
		return set_res(&cred.gid, a0, a1, a2);
	case NR_getresuid:
		return get_res(&cred.uid, f->rdi, f->rsi, f->rdx);
	case NR_getresgid:
		return get_res(&cred.gid, f->rdi, f->rsi, f->rdx);
	case NR_setfsuid:
		return set_fs(&cred.uid, a0);
	case NR_setfsgid:
		return set_fs(&cred.gid, a0);
	case NR_setgroups:
		return sys_setgroups((int32_t)a0, f->rsi);
	case NR_getgroups:
		return sys_getgroups((int32_t)a0, f->rsi);
	}
	*served = false;
	return 0;
}
