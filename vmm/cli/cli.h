/* SPDX-License-Identifier: MIT */
/* cli.h: what the kvmlet commands share. */
#ifndef KVMLET_CLI_H
#define KVMLET_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmlet.h"

/* Exit statuses besides the guest's own (see docs/cli.md). */
enum {
	EXIT_USAGE = 120,
	EXIT_LOAD = 121,
	EXIT_KVM = 122,
	EXIT_FAULT = 123,
	EXIT_TIMEOUT = 124,
	EXIT_ABORT = 125,
	EXIT_CALL = 126,
};

struct opts {
	struct kvmlet_config cfg;
	int min_operands; /* 0: exactly GUEST; else at least this many operands */
	bool json;
	const char *guest;
	char **operands; /* after GUEST */
	int noperands;
	unsigned repeat; /* --repeat N: runs or calls, with a reset between them */
	bool timing;	 /* --time: per-run timing on stderr */
	int seccomp;	 /* --seccomp: enum kvmlet_seccomp_mode, -1 for the default (on) */
	bool trace;	 /* --trace: every VM exit on stderr */
	bool quiet;	 /* -q: no notes of kvmlet's own (errors still) */
	bool verbose;	 /* -v: what was loaded, on stderr */
};

/* After loading: --trace and -v. */
void cli_setup(const struct opts *o, struct kvmlet_sandbox *sb);

#define REPEAT_MAX 1000000u

/* A count for --repeat: 1..REPEAT_MAX; 0 or -EINVAL. */
int parse_count(const char *s, unsigned *out);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t now_ns(void);

/* Print "kvmlet: ..." on stderr; returns status. */
__attribute__((format(printf, 2, 3))) int die(int status, const char *fmt, ...);

/* Parse a command's options; returns -1 to go on, or an exit status. */
int parse_opts(int argc, char **argv, const char *usage, bool allow_timeout, struct opts *o);

/* Load o->guest into a new sandbox; returns -1 on success, or an exit status. */
int load(const struct opts *o, struct kvmlet_sandbox **sb);

/* Install the --seccomp filter (after set-up, before guest code runs; once:
 * later calls do nothing); returns -1 to go on, or an exit status. */
int cli_seccomp(const struct opts *o);

/* Map a kvmlet_run/kvmlet_call error to an exit status and print it. */
int die_run(const char *guest, int r, const struct kvmlet_error *err);

/* kvmlet call. */
int cmd_call(int argc, char **argv);

#endif
