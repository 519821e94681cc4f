/* SPDX-License-Identifier: MIT */
/* console.h: the guest's print, abort and exit ports, and its output (console.c). */
#ifndef KVMLET_CONSOLE_H
#define KVMLET_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmlet.h"

struct console {
	kvmlet_output_fn fn;
	void *arg;
	uint64_t total; /* bytes printed since the start or the last reset (cfg.max_output) */
};

/* Register the exit, print and abort ports (library initialisation). */
int console_register_exits(void);
/*
 * A Linux program's write of len bytes to its stdout or stderr: counted
 * against max (cfg.max_output), *truncated set if some is dropped; what fits
 * goes to host_fd, or (host_fd < 0) to the output callback in pieces of at
 * most KVMLET_LOG_MAX. Returns len (what was dropped counts as written), or
 * the bytes written / -EIO when host_fd fails.
 */
int64_t console_emit(struct console *c, uint64_t max, int host_fd, const char *buf, uint64_t len,
		     bool *truncated);
/* A reset: the output limit starts again. */
void console_rewind(struct console *c);

#endif /* KVMLET_CONSOLE_H */
