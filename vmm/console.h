/* SPDX-License-Identifier: MIT */
/* console.h: the guest's print, abort and exit ports, and its output (console.c). */
#ifndef KVMLET_CONSOLE_H
#define KVMLET_CONSOLE_H

#include <stdint.h>

#include "kvmlet.h"

struct console {
	kvmlet_output_fn fn;
	void *arg;
	uint64_t total; /* bytes printed since the start or the last reset (cfg.max_output) */
};

/* Register the exit, print and abort ports (library initialisation). */
int console_register_exits(void);
/* A reset: the output limit starts again. */
void console_rewind(struct console *c);

#endif /* KVMLET_CONSOLE_H */
