/* SPDX-License-Identifier: MIT */
/*
 * linux_sys.c: the Linux system calls that the guest's kernel hands to the
 * host (KVMLET_PORT_SYSCALL): standard streams, clocks, randomness,
 * sleeping, signals to itself (linux_fs.c: descriptors and allowed files;
 * linux_dir.c: directories; linux_fd.c: the descriptor table and devices);
 * everything else is refused with the errno Linux would give. Every
 * argument is untrusted and checked in Linux's order: guest buffers are
 * reached only through the live page tables with the access the program
 * itself has (guest_mem's GUEST_READ_VA / GUEST_WRITE_VA, which note the
 * pages written for the next reset), a buffer outside user space is -EFAULT
 * before any I/O (Linux's access_ok), every length is bounded (one read
 * or write moves what Linux's would, up to MAX_RW_COUNT, LX_IO_MAX bytes at
 * a time through the sandbox's buffer), a descriptor the host never
 * handed out is -EBADF, and arguments Linux takes as int are 32 bits.
 */
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "error.h"
#include "exits.h"
#include "linux_sys.h"

enum {
	NR_read = 0, NR_write = 1, NR_poll = 7, NR_pread64 = 17, NR_pwrite64 = 18,
	NR_readv = 19, NR_writev = 20, NR_nanosleep = 35, NR_socket = 41, NR_clone = 56,
	NR_fork = 57, NR_vfork = 58, NR_execve = 59, NR_kill = 62, NR_gettimeofday = 96,
	NR_tkill = 200, NR_time = 201, NR_clock_gettime = 228, NR_clock_getres = 229,
	NR_clock_nanosleep = 230, NR_tgkill = 234, NR_ppoll = 271, NR_getrandom = 318,
	NR_clone3 = 435,
};

#define IOV_MAX_GUEST 1024 /* UIO_MAXIOV */
#define NOFILE_GUEST  64   /* the RLIMIT_NOFILE the guest's kernel reports */

#define MAX_RW_COUNT 0x7ffff000 /* Linux's bound on one read or write */

/* Copy to / from the program's memory as far as it may access it: the bytes
 * before the first address refused (len if none). */
static uint64_t get_part(struct sys *s, uint64_t va, void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_READ_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? bad - va : len;
}

static uint64_t put_part(struct sys *s, uint64_t va, const void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_WRITE_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? bad - va : len;
}

/* A long read or write stops early (short) once the run is cancelled or out
 * of time: the guest is stopped at its next exit. */
static bool io_stop(struct sys *s)
{
	uint64_t deadline = atomic_load(&s->sb->watch.deadline);

	return atomic_load(&s->sb->watch.cancelled) || (deadline && watch_now_ns() >= deadline);
}

/* write to kvmlet's stdout or stderr: the whole length, as Linux writes a
 * file or a terminal, LX_IO_MAX bytes at a time; up to a buffer's first
 * address the program cannot read (EFAULT if that is the first). Output past
 * max_output is discarded but counted as written. */
static int64_t write_stream(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len)
{
	struct kvmlet_sandbox *sb = s->sb;
	uint64_t done = 0;

	while (done < len) {
		uint64_t want = len - done < LX_IO_MAX ? len - done : LX_IO_MAX;
		uint64_t got = get_part(s, buf + done, s->lx->io, want);
		int64_t n = got ? console_emit(&sb->con, sb->cfg.max_output, lxs_host_fd(s, o),
					       s->lx->io, got, &s->res->output_truncated)
				: -EFAULT;
		if (n < 0)
			return done ? (int64_t)done : n;
		if (s->res->output_truncated)
			return (int64_t)len; /* the rest is discarded too */
		done += (uint64_t)n;
		if ((uint64_t)n < want || done >= len || io_stop(s))
			break; /* the clock only between pieces */
	}
	return (int64_t)done;
}

static int64_t sys_write(struct sys *s, int fd, uint64_t buf, uint64_t len)
{
	struct lx_ofd *o = lxs_ofd(s, fd);

	if (!lxs_can_write(o))
		return -EBADF; /* stdin and allowed files are read-only */
	if (o->kind == LX_EPOLL)
		return -EINVAL; /* opened O_RDWR, but neither read nor written */
	if (!lxs_range_ok(buf, len))
		return -EFAULT;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (lxs_is_dev(o))
		return (int64_t)len; /* discarded, unread */
	if (lxs_has_slot(o))
		return lxs_pipe_write(s, o, buf, len < LX_IO_MAX ? len : LX_IO_MAX, s->lx->io);
	return write_stream(s, o, buf, len);
}

/* A signal from outside (kvmlet_signal) waits in the boot info for the
 * guest's kernel to take it. */
static bool signal_pending(const struct sys *s)
{
	const volatile uint64_t *w = s->sb->watch.sig_ext;

	return w && *w;
}

/*
 * Wait in the host for the program, until host descriptor fd (-1: none) is
 * readable or ns pass (UINT64_MAX: no limit), within the run's time limit
 * (the run then times out: s->stop), or until it is cancelled (s->stop).
 * With signals, a signal from outside ends the wait sooner: 1. The kick
 * signal is blocked but inside ppoll, and the watch marked waiting before
 * the boot info is looked at: a signal sent just before the wait, or during
 * it, ends it. 0: the time passed, or fd is readable.
 */
static int host_wait(struct sys *s, int fd, uint64_t ns, bool signals)
{
	struct watch *w = &s->sb->watch;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	const uint64_t deadline = atomic_load(&w->deadline), t = watch_now_ns();
	bool limit = false;
	sigset_t kick, old;
	int r = 0;

	/* Ready already: no wait, whatever is pending (as Linux's read). */
	if (fd >= 0 && ppoll(&p, 1, &(struct timespec){0}, NULL) > 0)
		return 0;
	if (deadline && (deadline <= t || ns > deadline - t)) {
		ns = deadline > t ? deadline - t : 0;
		limit = true;
	}
	const uint64_t end = ns > UINT64_MAX - t ? UINT64_MAX : t + ns;
	sigemptyset(&kick);
	sigaddset(&kick, KVMLET_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	sigset_t inside = old;
	sigdelset(&inside, KVMLET_KICK_SIGNAL);
	atomic_store(&w->waiting, signals);
	for (;;) {
		if (signals && signal_pending(s)) {
			r = 1;
			break;
		}
		if (atomic_load(&w->cancelled)) {
			s->stop = -ECANCELED;
			break;
		}
		const uint64_t now = watch_now_ns();
		if (now >= end) {
			if (limit)
				s->stop = -ETIMEDOUT;
			break;
		}
		struct timespec ts = watch_timespec(end - now);
		if (ppoll(fd >= 0 ? &p : NULL, fd >= 0, end == UINT64_MAX ? NULL : &ts, &inside) >
		    0)
			break;
	}
	atomic_store(&w->waiting, false);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* Up to len (<= LX_IO_MAX) bytes of o into tmp: a device's, a file's at off
 * (-1: the description's offset), a stream's; the count or -errno. */
static int64_t read_some(struct sys *s, struct lx_ofd *o, char *tmp, uint64_t len, int64_t off)
{
	int host = lxs_host_fd(s, o);
	ssize_t n;

	if (lxs_is_dev(o))
		return lxs_dev_read(s, o, tmp, len);
	if (o->kind == LX_MAPS)
		return lxs_proc_read(s, o->file, tmp, len,
				     off >= 0 ? (uint64_t)off : *lxs_off(s, o));
	if (o->kind == LX_FILE)
		n = pread(host, tmp, len, off >= 0 ? off : (off_t)*lxs_off(s, o));
	else if (host < 0)
		return 0; /* no input: end of file */
	else if (!lxs_stream_ready(s, o))
		return (o->flags & G_O_NONBLOCK) ||
				       (s->lx->std_fl[0] >= 0 && (s->lx->std_fl[0] & G_O_NONBLOCK))
			       ? -EAGAIN
			       : lxs_wait(-1); /* the others run meanwhile */
	else if (s->lx->seed && (host_wait(s, host, UINT64_MAX, true) || s->stop))
		return -EINTR; /* seeded: a signal from outside ends the wait (or the run ends) */
	else
		do
			n = read(host, tmp, len);
		while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Whether a read of o goes on after a full piece, as Linux's of a regular
 * file or a device does; a stream only when kvmlet's descriptor is a regular
 * file (a pipe or a terminal gives what it has). */
static bool read_goes_on(struct sys *s, const struct lx_ofd *o)
{
	struct stat st;

	if (!lxs_is_stream(o))
		return true;
	return fstat(lxs_host_fd(s, o), &st) == 0 && S_ISREG(st.st_mode);
}

/* read (off -1: at the description's offset, which advances) and pread64:
 * up to len, LX_IO_MAX bytes at a time, as far as the buffer's first address
 * the program cannot write (EFAULT if that is the first). */
static int64_t sys_read(struct sys *s, int fd, uint64_t buf, uint64_t len, int64_t off)
{
	char *tmp = s->lx->io;
	struct lx_ofd *o = lxs_ofd(s, fd);
	uint64_t done = 0;

	if (!lxs_can_read(o))
		return -EBADF;
	if (o->kind == LX_EPOLL)
		return -EINVAL;
	if (!lxs_range_ok(buf, len))
		return -EFAULT;
	if (lxs_is_dir(o))
		return -EISDIR; /* listed by getdents64 (linux_dir.c) */
	if (lxs_has_slot(o))
		return lxs_pipe_read(s, o, buf, len < LX_IO_MAX ? len : LX_IO_MAX, tmp);
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	while (done < len) {
		uint64_t want = len - done < LX_IO_MAX ? len - done : LX_IO_MAX;
		int64_t n = read_some(s, o, tmp, want, off >= 0 ? off + (int64_t)done : -1);
		if (n <= 0)
			return done ? (int64_t)done : n;
		uint64_t put = put_part(s, buf + done, tmp, (uint64_t)n);
		if ((o->kind == LX_FILE || o->kind == LX_MAPS) && off < 0)
			*lxs_off(s, o) += put;
		done += put;
		if (put < (uint64_t)n)
			return done ? (int64_t)done : -EFAULT;
		if ((uint64_t)n < want || done >= len || io_stop(s) ||
		    (done == (uint64_t)n && !read_goes_on(s, o)))
			break;
	}
	return (int64_t)done;
}

/* pread64, pwrite64: the standard streams are streams (ESPIPE), allowed
 * files read-only, devices ignore the offset. */
static int64_t sys_pread(struct sys *s, int fd, uint64_t buf, uint64_t len, int64_t off, bool wr)
{
	struct lx_ofd *o;

	if (off < 0)
		return -EINVAL;
	if (!(o = lxs_ofd(s, fd)))
		return -EBADF;
	if (lxs_is_stream(o) || lxs_is_made(o))
		return -ESPIPE;
	return wr ? sys_write(s, fd, buf, len) : sys_read(s, fd, buf, len, off);
}

/* The iovec array, whole and checked as Linux does before any I/O: a negative
 * length is EINVAL, a buffer outside user space EFAULT. */
static int64_t get_iov(struct sys *s, uint64_t iov, uint64_t cnt, uint64_t *v)
{
	if (lxs_get(s, iov, v, cnt * 16) < 0)
		return -EFAULT;
	for (uint64_t i = 0; i < cnt; i++)
		if ((int64_t)v[2 * i + 1] < 0)
			return -EINVAL;
	for (uint64_t i = 0; i < cnt; i++)
		if (!lxs_range_ok(v[2 * i], v[2 * i + 1]))
			return -EFAULT;
	return 0;
}

/* readv and writev: each element in turn, as far as the first short one. */
static int64_t sys_iov(struct sys *s, int fd, uint64_t iov, uint64_t cnt, bool wr)
{
	const struct lx_ofd *o = lxs_ofd(s, fd);
	uint64_t small[2 * 8], *v = small;
	int64_t total = 0, r;

	if (!(wr ? lxs_can_write(o) : lxs_can_read(o)))
		return -EBADF;
	if (o->kind == LX_EPOLL)
		return -EINVAL;
	if (cnt > IOV_MAX_GUEST)
		return -EINVAL;
	if (cnt > 8 && !(v = malloc(cnt * 16)))
		return -ENOMEM;
	if ((r = get_iov(s, iov, cnt, v)) < 0)
		goto out;
	for (uint64_t i = 0; i < cnt && total < MAX_RW_COUNT; i++) {
		if (v[2 * i + 1] == 0)
			continue;
		uint64_t room = (uint64_t)(MAX_RW_COUNT - total);
		uint64_t want = v[2 * i + 1] < room ? v[2 * i + 1] : room;
		int64_t n = wr ? sys_write(s, fd, v[2 * i], want)
			       : sys_read(s, fd, v[2 * i], want, -1);
		if (n < 0) {
			r = total ? total : n;
			goto out;
		}
		total += n;
		if ((uint64_t)n < v[2 * i + 1])
			break;
	}
	r = total;
out:
	if (v != small)
		free(v);
	return r;
}

static int64_t sys_clock_gettime(struct sys *s, int32_t clk, uint64_t tsp)
{
	clockid_t id;
	int64_t r = lxs_clock_of(s, clk, &id);

	if (r < 0)
		return r;
	uint64_t ns = lxs_now(s, id), ts[2] = {ns / 1000000000ull, ns % 1000000000ull};
	return lxs_put(s, tsp, ts, sizeof(ts)); /* NULL too is -EFAULT, as on Linux */
}

static int64_t sys_clock_getres(struct sys *s, int32_t clk, uint64_t tsp)
{
	uint64_t ts[2] = {0, 1};
	clockid_t id;
	int64_t r = lxs_clock_of(s, clk, &id);

	return r < 0 ? r : tsp ? lxs_put(s, tsp, ts, sizeof(ts)) : 0;
}

static int64_t sys_gettimeofday(struct sys *s, uint64_t tvp, uint64_t tzp)
{
	uint64_t ns = lxs_now(s, CLOCK_REALTIME), tv[2] = {ns / 1000000000ull, ns % 1000000000ull / 1000};
	uint32_t tz[2] = {0, 0};

	if (tvp && lxs_put(s, tvp, tv, sizeof(tv)) < 0)
		return -EFAULT;
	return tzp ? lxs_put(s, tzp, tz, sizeof(tz)) : 0;
}

static int64_t sys_getrandom(struct sys *s, uint64_t buf, uint64_t len, uint32_t flags)
{
	uint8_t tmp[256];
	int64_t r;

	/* GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4; RANDOM with INSECURE is EINVAL */
	if ((flags & ~7u) || (flags & 6) == 6)
		return -EINVAL;
	if (len > sizeof(tmp))
		len = sizeof(tmp); /* a short read, as Linux may give */
	if ((r = lxs_random(s, tmp, len)) < 0)
		return r;
	return lxs_put(s, buf, tmp, len) < 0 ? -EFAULT : (int64_t)len;
}

/* A timespec from the guest: -EFAULT, -EINVAL (Linux's timespec64_valid), or 0. */
static int64_t get_timespec(struct sys *s, uint64_t va, uint64_t *ns)
{
	int64_t t[2];

	if (lxs_get(s, va, t, sizeof(t)) < 0)
		return -EFAULT;
	if (t[0] < 0 || t[1] < 0 || t[1] >= 1000000000)
		return -EINVAL;
	*ns = (uint64_t)t[0] > UINT64_MAX / 1000000000ull - 1 ? UINT64_MAX
		: (uint64_t)t[0] * 1000000000ull + (uint64_t)t[1];
	return 0;
}

int lxs_sleep(struct sys *s, uint64_t ns, bool signals)
{
	if (s->lx->seed) {
		s->lx->fake_ns += ns;
		return 0;
	}
	if (!lxs_family_stdin_waits(s, false))
		return host_wait(s, -1, ns, signals);
	const int in = s->lx->std[0];
	int r = host_wait(s, in, ns, signals);
	if (r == 0 && !s->stop && lxs_fd_readable(in)) {
		(void)lxs_family_stdin_waits(s, true);
		lxs_family_news(s);
		r = KVMLET_LX_OTHERS;
	}
	return r;
}

/* clock_nanosleep: the clocks Linux can sleep on; TIMER_ABSTIME (flags bit 0)
 * sleeps until the clock reads the time given. nanosleep is CLOCK_REALTIME. */
static int64_t sys_clock_nanosleep(struct sys *s, int32_t clk, int32_t flags, uint64_t reqp)
{
	clockid_t id;
	uint64_t ns, t;
	int64_t r = lxs_clock_of(s, clk, &id);

	if (r < 0 || (clk < 0 && (clk & 4)))
		return -EINVAL; /* unknown, or a thread's CPU clock */
	if (clk == 3 || clk == 4 || clk == 5 || clk == 6)
		return -EOPNOTSUPP;
	if ((r = get_timespec(s, reqp, &ns)) < 0)
		return r;
	if (flags & 1) {
		t = lxs_now(s, id);
		ns = ns > t ? ns - t : 0;
	}
	lxs_sleep(s, ns, false); /* the clocks the guest's kernel does not wait on */
	return 0;
}

/* poll, ppoll: a pipe's or eventfd's end is ready as it is, every other open
 * descriptor always (nothing else makes its reader or writer wait); one not
 * open is POLLNVAL. With nothing ready the caller waits, at most ms (-1: no
 * limit). */
static int64_t sys_poll(struct sys *s, uint64_t fdsp, uint32_t n, int64_t ms)
{
	int64_t ready = 0;

	if (n > NOFILE_GUEST)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		int32_t g[2];
		if (lxs_get(s, fdsp + 8 * i, g, sizeof(g)) < 0)
			return -EFAULT;
		short ev = (short)g[1], rev = 0;
		const struct lx_ofd *o = g[0] >= 0 ? lxs_ofd(s, g[0]) : NULL;
		if (o) {
			uint32_t r = lxs_ready(s, o);
			if (r & POLLIN)
				r |= POLLRDNORM;
			if (r & POLLOUT)
				r |= POLLWRNORM;
			rev = (short)(ev & (short)r) | (short)(r & (POLLERR | POLLHUP));
		} else if (g[0] >= 0) {
			rev = POLLNVAL;
		}
		ready += rev != 0;
		if (lxs_put(s, fdsp + 8 * i + 6, &rev, 2) < 0)
			return -EFAULT;
	}
	return ready || ms == 0 ? ready : lxs_wait(ms);
}

static int64_t sys_ppoll(struct sys *s, uint64_t fdsp, uint32_t n, uint64_t tsp, uint64_t setp,
			 uint64_t setsize)
{
	uint64_t ns = 0, set;
	int64_t r;

	if (tsp && (r = get_timespec(s, tsp, &ns)) < 0)
		return r;
	if (setp && setsize != 8)
		return -EINVAL;
	if (setp && lxs_get(s, setp, &set, 8) < 0)
		return -EFAULT;
	/* A timeout too long to round up is as good as none. */
	return sys_poll(s, fdsp, n,
			!tsp || ns > UINT64_MAX - 999999 ? -1 : (int64_t)((ns + 999999) / 1000000));
}

/* " (SIGTERM)" for the signals whose names messages give, else "". */
static const char *signal_label(int sig)
{
	static const char *const labels[] = {
		[1] = " (SIGHUP)",   [2] = " (SIGINT)",	  [3] = " (SIGQUIT)",  [4] = " (SIGILL)",
		[5] = " (SIGTRAP)",  [6] = " (SIGABRT)",  [7] = " (SIGBUS)",   [8] = " (SIGFPE)",
		[9] = " (SIGKILL)",  [10] = " (SIGUSR1)", [11] = " (SIGSEGV)", [12] = " (SIGUSR2)",
		[13] = " (SIGPIPE)", [14] = " (SIGALRM)", [15] = " (SIGTERM)", [19] = " (SIGSTOP)",
	};

	return sig > 0 && sig < (int)(sizeof(labels) / sizeof(labels[0])) && labels[sig]
		       ? labels[sig]
		       : "";
}

/* kill, tkill, tgkill to itself (pid and tid 1; kill's 0 is its own group;
 * kill(-1) reaches every process but the caller: none). Signals it would
 * ignore the guest's kernel answered; any other ends the run as if by it. */
static int64_t sys_kill_self(struct sys *s, bool self, bool bad_id, int32_t sig)
{
	if (bad_id)
		return -EINVAL;
	if (!self)
		return -ESRCH;
	if (sig < 0 || sig > 64)
		return -EINVAL;
	if (sig == 0)
		return 0;
	s->lx->killed_by = sig;
	s->res->status = 128 + sig;
	s->stop = error_outcome(s->res, s->err, KVMLET_ABORTED, -ECONNABORTED,
				"the program killed itself with signal %" PRId32 "%s", sig,
				signal_label(sig));
	return 0;
}

/* The guest's kernel ends the run by signal sig (KVMLET_LX_KILLED). */
static int64_t killed(struct sys *s, uint64_t sig, uint64_t why, uint64_t addr)
{
	static const char *const whys[] = {
		[KVMLET_KILLED_NO_FRAME] = "a signal handler's frame could not be written",
		[KVMLET_KILLED_BAD_RETURN] = "rt_sigreturn found no signal frame it could return to",
		[KVMLET_KILLED_BAD_HANDLER] = "a signal handler outside user space",
	};

	if (sig < 1 || sig > 64)
		return -EINVAL;
	s->lx->killed_by = (int)sig;
	s->res->status = 128 + (int)sig;
	const char *how = "was killed by";
	char tail[128] = ", sent from outside";
	if (s->lx->family_sigs >> (sig - 1) & 1)
		snprintf(tail, sizeof(tail), ", sent by another of its processes");
	if (why > 0 && why < sizeof(whys) / sizeof(whys[0]))
		snprintf(tail, sizeof(tail), ": %s at 0x%" PRIx64, whys[why], addr);
	else if (why != KVMLET_KILLED_OUTSIDE) {
		how = "killed itself with";
		tail[0] = 0;
	}
	s->stop = error_outcome(s->res, s->err, KVMLET_ABORTED, -ECONNABORTED,
				"the program %s signal %" PRIu64 "%s%s", how, sig,
				signal_label((int)sig), tail);
	return 0;
}

/* DEADLOCK and SLEEP_UNTIL (until) of a program with other processes:
 * theirs turns, and the sleeps between them (linux_family.c). */
static int64_t family_wait(struct sys *s, uint64_t until, bool *handled)
{
	uint64_t ns;
	int64_t r;

	/* A signal that came while the caller was between turns (its slice
	 * ended in the host, another process's kill): its kernel takes it
	 * first (the news its turn began with did not include it). */
	if (signal_pending(s)) {
		*handled = true;
		return KVMLET_LX_OTHERS;
	}
	while ((r = lxs_family_wait(s, until, &ns, handled)) == LXS_FAMILY_SLEEP)
		if (lxs_sleep(s, ns, true) == 1 || s->stop)
			return 1; /* a signal from outside, or the run's end */
	return r;
}

static int64_t dispatch_kill(struct sys *s, uint64_t nr, int32_t a0, int32_t a1, int32_t a2)
{
	const int32_t self = s->lx->pid;

	switch (nr) {
	case NR_kill:
		/* Another process of the program (-1: all but the caller). */
		if (a0 != 0 && a0 != self && s->lx->fam)
			return lxs_kill(s, a0, a1);
		return sys_kill_self(s, a0 == 0 || a0 == self, false, a1);
	case NR_tkill:
		return sys_kill_self(s, a0 == self, a0 <= 0, a1);
	default:
		return sys_kill_self(s, a0 == self && a1 == self, a0 <= 0 || a1 <= 0, a2);
	}
}

static int64_t dispatch(struct sys *s, uint64_t nr)
{
	const struct kvm_regs *r = s->r;
	uint64_t a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10, a4 = r->r8;
	const int fd = (int32_t)a0;
	bool served;
	int64_t rv;

	switch (nr) {
	case NR_read: return sys_read(s, fd, a1, a2, -1);
	case NR_write: return sys_write(s, fd, a1, a2);
	case NR_pread64: return sys_pread(s, fd, a1, a2, (int64_t)a3, false);
	case NR_pwrite64: return sys_pread(s, fd, a1, a2, (int64_t)a3, true);
	case NR_readv: return sys_iov(s, fd, a1, a2, false);
	case NR_writev: return sys_iov(s, fd, a1, a2, true);
	case NR_poll: return sys_poll(s, a0, (uint32_t)a1, (int32_t)a2 < 0 ? -1 : (int32_t)a2);
	case NR_ppoll: return sys_ppoll(s, a0, (uint32_t)a1, a2, a3, a4);
	case NR_clock_gettime: return sys_clock_gettime(s, (int32_t)a0, a1);
	case NR_clock_getres: return sys_clock_getres(s, (int32_t)a0, a1);
	case NR_gettimeofday: return sys_gettimeofday(s, a0, a1);
	case NR_time: {
		uint64_t t = lxs_now(s, CLOCK_REALTIME) / 1000000000ull;
		return a0 && lxs_put(s, a0, &t, 8) < 0 ? -EFAULT : (int64_t)t;
	}
	case NR_getrandom: return sys_getrandom(s, a0, a1, (uint32_t)a2);
	case NR_nanosleep: return sys_clock_nanosleep(s, CLOCK_REALTIME, 0, a0);
	case NR_clock_nanosleep: return sys_clock_nanosleep(s, (int32_t)a0, (int32_t)a1, a2);
	case NR_kill:
	case NR_tkill:
	case NR_tgkill: return dispatch_kill(s, nr, (int32_t)a0, (int32_t)a1, (int32_t)a2);
	case NR_clone:
	case NR_clone3:
	case NR_fork:
	case NR_vfork:
		return -ENOSYS; /* one process (threads are the guest kernel's) */
	case KVMLET_LX_VFORK_WAIT:
		if (!lxs_family_vforked(s, (int32_t)a0))
			return (int64_t)a0; /* the child has exec'd or ended */
		a0 = 0;			    /* a wait for another process, as DEADLOCK's: */
		__attribute__((fallthrough));
	case KVMLET_LX_DEADLOCK:
		/* Other processes may run first (linux_family.c). */
		if (s->lx->fam && (rv = family_wait(s, 0, &served), served))
			return rv;
		/* Waiting for kvmlet's stdin, or a signal that may come from
		 * outside: as on Linux. */
		if (lxs_family_stdin_waits(s, false) && s->lx->std[0] >= 0 &&
		    ((rv = lxs_sleep(s, UINT64_MAX, true)) != 0 || !s->stop))
			return rv == 1 ? 0 : rv;
		if (a0 && s->lx->expect_signals && host_wait(s, -1, UINT64_MAX, true) == 1)
			return 0;
		if (!s->stop)
			s->stop = error_outcome(
				s->res, s->err, KVMLET_ABORTED, -ECONNABORTED,
				"deadlock: every thread of the program waits with no time limit (a "
				"futex, a pipe, epoll, poll, flock%s), so none can run again",
				a0 ? ", a signal: none comes from outside unless "
				     "kvmlet_expect_signals says so"
				   : "");
		return 0;
	case KVMLET_LX_KILLED: return killed(s, a0, a1, a2);
	case KVMLET_LX_TICKS:
		watch_ticks();
		return 0;
	case KVMLET_LX_NOW: {
		clockid_t id;
		return (int64_t)lxs_now(s, a0 > INT32_MAX || lxs_clock_of(s, (int32_t)a0, &id) < 0
						   ? CLOCK_MONOTONIC
						   : id);
	}
	case KVMLET_LX_SLEEP_UNTIL: {
		if (s->lx->fam && (rv = family_wait(s, a0 ? a0 : 1, &served), served))
			return rv;
		uint64_t t = lxs_now(s, CLOCK_MONOTONIC);
		return a0 > t ? lxs_sleep(s, a0 - t, true) : 0;
	}
	case NR_socket: return -EACCES;
	default:
		rv = lxs_pipe_syscall(s, nr, &served);
		if (!served)
			rv = lxs_proc_syscall(s, nr, &served);
		if (!served)
			rv = lxs_fs_syscall(s, nr, &served);
		if (!served)
			rv = lxs_dir_syscall(s, nr, &served);
		if (!served)
			rv = lxs_rofs_syscall(s, nr, &served);
		if (!served)
			rv = lxs_lock_syscall(s, nr, &served);
		if (!served)
			rv = lxs_timerfd_syscall(s, nr, &served);
		if (!served)
			rv = lxs_exec_syscall(s, nr, &served);
		if (!served)
			rv = lxs_family_syscall(s, nr, &served);
		return served ? rv : -ENOSYS;
	}
}

static int handle_syscall(struct kvmlet_sandbox *sb, const struct exit_io *io,
			  struct kvmlet_result *res, struct kvmlet_error *err)
{
	struct kvm_regs regs = io->regs;
	struct sys s = {.sb = sb, .lx = sb->lx, .r = &regs, .res = res, .err = err};
	int64_t rv = dispatch(&s, regs.rax);

	if (s.stop == -ETIMEDOUT)
		return error_outcome(res, err, KVMLET_TIMED_OUT, -ETIMEDOUT,
				     "guest timed out while it waited (a sleep, kvmlet's stdin, "
				     "or its other processes)");
	if (s.stop == -ECANCELED)
		return error_outcome(res, err, KVMLET_CANCELLED, -ECANCELED, "guest cancelled");
	if (s.stop)
		return s.stop;
	const char *name = sb->trace.fn || rv == -ENOSYS ? linux_syscall_name(regs.rax) : NULL;
	exits_trace_syscall(sb, regs.rax, name, rv == LXS_EXECED ? 0 : rv, false);
	if (rv == LXS_EXECED)
		return LOOP_CONTINUE; /* a new program, entered at its start */
	/* The program changed something another process may wait for. */
	if (sb->lx->fam && (regs.rax < KVMLET_LX_FIRST || regs.rax > KVMLET_LX_LAST) &&
	    (rv < KVMLET_LX_WAIT_BASE || rv > KVMLET_LX_WAIT_BASE + UINT32_MAX + 1))
		lxs_family_served(&s);
	if (rv == -ENOSYS && sb->cfg.strict_syscalls)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "the program made system call %" PRIu64 " (%s), which kvmlet "
				     "does not provide (strict)",
				     (uint64_t)regs.rax, name ? name : "no name known");
	regs.rax = (uint64_t)rv;
	/* A wait: when to repeat the call anyway (a timerfd it looked at expires). */
	if (rv >= KVMLET_LX_WAIT_BASE && rv <= KVMLET_LX_WAIT_BASE + UINT32_MAX + 1)
		regs.rdx = (uint64_t)s.soon_ms;
	int r = vcpu_set_regs(&sb->vcpu, &regs, err);
	return r < 0 ? r : LOOP_CONTINUE;
}

/* While tracing: a system call the guest's kernel served itself, and its result. */
static int handle_systrace(struct kvmlet_sandbox *sb, const struct exit_io *io,
			   struct kvmlet_result *res, struct kvmlet_error *err)
{
	(void)res, (void)err;
	exits_trace_syscall(sb, io->regs.rax, linux_syscall_name(io->regs.rax),
			    (int64_t)io->regs.rdi, true);
	return LOOP_CONTINUE;
}

int linux_register_exits(void)
{
	/* The guest's kernel rings them from ring 0 with `out %al, imm8`: no
	 * EXIT_PLAIN_OUT check (they end no phase), and CPL3 cannot reach them (the
	 * TSS bitmap, x86.c). */
	int r = exits_register_port(KVMLET_PORT_SYSCALL, "syscall", EXIT_SELF_TRACED,
				    handle_syscall);

	return r < 0 ? r
		     : exits_register_port(KVMLET_PORT_SYSTRACE, "syscall", EXIT_SELF_TRACED,
					   handle_systrace);
}
