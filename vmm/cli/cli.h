/* SPDX-License-Identifier: MIT */
/* cli.h: what the kvmlet commands share. */
#ifndef KVMLET_CLI_H
#define KVMLET_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kvmlet.h"

#include "status.h"

#define ENV_MAX	  256
#define FILES_MAX 64

struct opts {
	struct kvmlet_config cfg;
	unsigned cmd; /* CMD_RUN, CMD_CALL or CMD_INSPECT */
	bool json;
	const char *guest;
	char **operands; /* after GUEST */
	int noperands;
	unsigned repeat; /* --repeat N: runs or calls, with a reset between them */
	const char *batch; /* call --batch FILE: one call per line, all in one VM entry */
	bool timing;	 /* --time: per-run timing on stderr */
	int seccomp;	 /* --seccomp: enum kvmlet_seccomp_mode, -1 for the default (on) */
	bool trace;	 /* --trace: every VM exit on stderr */
	bool quiet;	 /* -q: no notes of kvmlet's own (errors still) */
	bool verbose;	 /* -v: what was loaded, on stderr */
	bool stack_given; /* --stack (run's default is the library's choice: 0) */
	bool mem_given;	  /* --memory (run grows its default for an image that needs it) */
	/* run, for Linux programs: */
	const char *env[ENV_MAX + 1]; /* --env NAME=VALUE, NULL-terminated */
	int nenv;
	const char *files[FILES_MAX]; /* --file HOSTPATH[:GUESTPATH] */
	int nfiles;
	uint64_t seed; /* --deterministic (1) or --seed N */
	unsigned processes; /* --processes N: at once, fork's children included (0: not given) */
};

/* run --processes: how many processes a program may have at once. With the
 * seccomp filter each is a VM made before it (a warm shell; the library keeps
 * at most 8): default 8 for a static Linux program (a shell's pipeline in a
 * subshell, background jobs), 1 for a guest of kvmlet's runtime (making those
 * VMs would double its start under nested KVM). Without the filter VMs are
 * made when fork needs them: up to the library's 16, the default. */
#define PROCESSES_DEFAULT	8u
#define PROCESSES_MAX		9u
#define PROCESSES_MAX_NO_FILTER 16u

/* After loading: --trace and -v. */
void cli_setup(const struct opts *o, struct kvmlet_sandbox *sb);

#define REPEAT_MAX 1000000u
#define RUN_MEMORY_DEFAULT (256ull << 20) /* run's --memory; call and inspect: the library's */
#define RUN_MEMORY_GROW_MAX (16ull << 30) /* as far as run grows it for a big image */

/* A count for --repeat: 1..REPEAT_MAX; 0 or -EINVAL. */
int parse_count(const char *s, unsigned *out);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t now_ns(void);

/* Print "kvmlet: ..." on stderr, control characters escaped (it may quote a
 * guest); with --json and a nonzero status also {"error":{...}} on stdout.
 * Returns status. */
__attribute__((format(printf, 2, 3))) int die(int status, const char *fmt, ...);

/*
 * Parse a command's options (o->cmd says which); returns -1 to go on, or an
 * exit status. call and inspect take options after their operands too, up
 * to a `--` (a negative number is an operand); run's end at GUEST.
 */
int parse_opts(int argc, char **argv, struct opts *o);

/* A command's --help (cmd 0: the main one) on stdout. */
void cli_help(unsigned cmd);

/* The command named name (CMD_*), or 0. */
unsigned cli_command(const char *name);

/* Write n bytes with control characters and non-UTF-8 escaped: \n, \xNN,
 * \u0085 (json: JSON string escapes, no quotes around). */
void cli_write_escaped(FILE *f, const void *buf, size_t n, bool json);

/* Load o->guest into a new sandbox; returns -1 on success, or an exit status. */
int load(struct opts *o, struct kvmlet_sandbox **sb);

/* Install the --seccomp filter (after set-up, before guest code runs; once:
 * later calls do nothing); returns -1 to go on, or an exit status. */
int cli_seccomp(const struct opts *o);

/* Map a kvmlet_run/kvmlet_call error to an exit status and print it. */
int die_run(const char *guest, int r, const struct kvmlet_error *err);

/* kvmlet call. */
int cmd_call(int argc, char **argv);

/* Convert text to the type of signature letter t (kvmlet call's ARG rules);
 * *owned gets memory to free. 0, -1 not a value of that type, -2 an @FILE
 * that cannot be read (errno set). */
int call_parse_arg(const char *text, char t, struct kvmlet_value *v, void **owned);
/* An example of letter c's text for messages (" (e.g. 42)"), or "". */
const char *call_letter_example(char c);
/* A call's result on stdout, as text or (json) {"type":...,"value":...}. */
void call_print_result(const struct kvmlet_value *r, bool json);
/* The signature of sb's export fn, or NULL. */
const char *call_export_sig(struct kvmlet_sandbox *sb, const char *fn);
/* kvmlet call --batch FILE: parse, call, print one line per call (cmd_batch.c).
 * Returns an exit status. */
int call_batch(struct kvmlet_sandbox *sb, const struct opts *o);

/* --file: let the guest open the files. -1 on success, else an exit status. */
int cli_files(const struct opts *o, struct kvmlet_sandbox *sb);

#endif
