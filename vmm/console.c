/* SPDX-License-Identifier: MIT */
/* console.c: the guest's print, abort and exit ports, and where its output goes. */
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#include "console.h"
#include "error.h"
#include "exits.h"
#include "sandbox.h"

static int handle_exit(struct kvmlet_sandbox *sb, const struct exit_io *io,
		       struct kvmlet_result *res, struct kvmlet_error *err)
{
	res->status = (int)io->regs.rdi;
	if (!phase_is(&sb->phase, PH_RUNNING))
		return error_outcome(res, err, KVMLET_ABORTED, -ECONNABORTED,
				     "guest exited (status %d) %s", res->status,
				     phase_is(&sb->phase, PH_STARTING) ? "while starting"
								       : "during a call");
	return error_outcome(res, err, KVMLET_EXITED, 0, "guest exited with status %d",
			     res->status);
}

static int handle_log(struct kvmlet_sandbox *sb, const struct exit_io *io,
		      struct kvmlet_result *res, struct kvmlet_error *err)
{
	char buf[KVMLET_LOG_MAX];
	uint64_t va = io->regs.rdi, len = io->regs.rsi, bad;

	if (len > KVMLET_LOG_MAX)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "guest print of %" PRIu64 " bytes exceeds the %u-byte limit",
				     len, KVMLET_LOG_MAX);
	if (GUEST_READ_VA(&sb->gm, va, buf, len, GM_USER, &bad) < 0)
		return error_outcome(res, err, KVMLET_FAULTED, -EFAULT,
				     "guest print from 0x%" PRIx64 " (+%" PRIu64 "): 0x%" PRIx64
				     " is not readable guest memory",
				     va, len, bad);
	uint64_t room = sb->cfg.max_output - sb->con.total;
	if (len > room) {
		len = room;
		res->output_truncated = true;
	}
	sb->con.total += len;
	if (len && sb->con.fn)
		sb->con.fn(sb->con.arg, buf, len);
	return LOOP_CONTINUE;
}

static int handle_abort(struct kvmlet_sandbox *sb, const struct exit_io *io,
			struct kvmlet_result *res, struct kvmlet_error *err)
{
	char msg[KVMLET_ABORT_MAX + 1];
	uint64_t len = io->regs.rsi < KVMLET_ABORT_MAX ? io->regs.rsi : KVMLET_ABORT_MAX, bad;

	if (GUEST_READ_VA(&sb->gm, io->regs.rdi, msg, len, GM_USER, &bad) < 0)
		return error_outcome(res, err, KVMLET_ABORTED, -ECONNABORTED,
				     "guest aborted (its message at 0x%" PRIx64 " is unreadable)",
				     (uint64_t)io->regs.rdi);
	for (uint64_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	msg[len] = '\0';
	return error_outcome(res, err, KVMLET_ABORTED, -ECONNABORTED, "guest aborted: %s", msg);
}

int console_register_exits(void)
{
	int r;

	if ((r = exits_register_port(KVMLET_PORT_EXIT, "exit", 0, handle_exit)) < 0 ||
	    (r = exits_register_port(KVMLET_PORT_LOG, "print", 0, handle_log)) < 0)
		return r;
	return exits_register_port(KVMLET_PORT_ABORT, "abort", 0, handle_abort);
}

KVMLET_HOT int64_t console_emit(struct console *c, uint64_t max, int host_fd, const char *buf, uint64_t len,
		     bool *truncated)
{
	uint64_t room = max - c->total, n = len < room ? len : room;

	if (n < len)
		*truncated = true;
	c->total += n;
	if (host_fd >= 0) {
		for (uint64_t done = 0; done < n;) {
			ssize_t w = write(host_fd, buf + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return done ? (int64_t)done : -EIO;
			done += (uint64_t)w;
		}
	} else if (c->fn) {
		/* The callback sees pieces of at most KVMLET_LOG_MAX, as for guest prints. */
		for (uint64_t done = 0; done < n; done += KVMLET_LOG_MAX)
			c->fn(c->arg, buf + done,
			      n - done < KVMLET_LOG_MAX ? n - done : KVMLET_LOG_MAX);
	}
	return (int64_t)len;
}

void console_rewind(struct console *c)
{
	c->total = 0;
}

void kvmlet_set_output(struct kvmlet_sandbox *sb, kvmlet_output_fn fn, void *arg)
{
	sb->con.fn = fn;
	sb->con.arg = arg;
}
