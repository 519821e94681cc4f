/* SPDX-License-Identifier: MIT */
/* common.c: what the kvmlet commands share: errors, options, loading a guest. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static bool json_errors; /* --json: errors as JSON on stdout as well */

static const char *status_kind(int status)
{
#define KIND(e, n, k, m, c) \
	if (status == n)    \
		return k;
	CLI_STATUSES(KIND)
#undef KIND
	return "error";
}

int die(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;

	fflush(stdout); /* what came before the error, first */
	fputs("kvmlet: ", stderr);
	cli_write_escaped(stderr, msg, len, false);
	fputc('\n', stderr);
	if (json_errors && status != 0) {
		printf("{\"error\":{\"status\":%d,\"kind\":\"%s\",\"message\":\"", status,
		       status_kind(status));
		cli_write_escaped(stdout, msg, len, true);
		puts("\"}}");
		fflush(stdout);
	}
	return status;
}

static const char *const seccomp_modes[] = {
	[KVMLET_SECCOMP_OFF] = "off", [KVMLET_SECCOMP_LOG] = "log", [KVMLET_SECCOMP_ON] = "on"};

/* "on", "log" or "off": an enum kvmlet_seccomp_mode, or -1. */
static int parse_seccomp(const char *s)
{
	for (int m = 0; m < (int)(sizeof(seccomp_modes) / sizeof(seccomp_modes[0])); m++)
		if (!strcmp(s, seccomp_modes[m]))
			return m;
	return -1;
}

int cli_seccomp(const struct opts *o)
{
	static bool done; /* the filter is the process's: once is enough */
	enum kvmlet_seccomp_mode mode =
		o->seccomp < 0 ? KVMLET_SECCOMP_ON : (enum kvmlet_seccomp_mode)o->seccomp;
	struct kvmlet_error err;

	if (done)
		return -1;
	done = true;
	int r = kvmlet_seccomp_install(mode, &err);

	if ((r == -ENOSYS || r == -EOPNOTSUPP) && o->seccomp < 0)
		return -1; /* no libseccomp, or no seccomp(2): the default falls back to off */
	if (r < 0)
		return die(EXIT_USAGE, "--seccomp=%s: %s (--seccomp=off runs without it)",
			   seccomp_modes[mode], err.msg);
	return -1;
}

/* Options that take a value, when not given as --opt=value or -mVALUE. */
static bool takes_value(const char *a)
{
	static const char *const with[] = {
		"--memory", "--stack", "--timeout", "--repeat", "--batch", "--seccomp",	 "-m", "-s",
		"-t",	    "--env",   "--file",    "--seed",	"-e",	   "--processes"};

	for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
		if (!strcmp(a, with[i]))
			return true;
	return false;
}

/* An option, not an operand: "-x", "--x"; "-" and negative numbers are operands. */
static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] && !isdigit((unsigned char)a[1]) && a[1] != '.';
}

/*
 * call and inspect: options may follow the operands, up to a `--`. Rewrite
 * argv into out (2 * argc + 1 slots) as argv[0], the options, `--`, the
 * operands; returns the new count.
 */
static int permute(int argc, char **argv, char **out)
{
	static char dashes[] = "--";
	char **operands = out + argc + 1; /* scratch: at most argc operands */
	int n = 0, k = 0, i;

	out[n++] = argv[0];
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!is_option(argv[i])) {
			operands[k++] = argv[i];
			continue;
		}
		out[n++] = argv[i];
		if (takes_value(argv[i]) && i + 1 < argc)
			out[n++] = argv[++i];
	}
	for (i++; i < argc; i++)
		operands[k++] = argv[i];
	out[n++] = dashes;
	memmove(out + n, operands, (size_t)k * sizeof(*out));
	return n + k;
}

/* --memory and --stack against the library's limits, said in the user's unit. */
static int check_sizes(const struct opts *o, const char *mem_unit, const char *stack_unit)
{
	char a[32], b[32], c[32];

	format_size(a, sizeof(a), o->cfg.mem_size, mem_unit);
	if (o->cfg.mem_size & 4095) {
		format_size(b, sizeof(b), 4096, mem_unit);
		return die(EXIT_USAGE, "--memory %s: not a multiple of %s (4 KiB)", a, b);
	}
	if (o->cfg.mem_size < (4ull << 20) || o->cfg.mem_size > (64ull << 30)) {
		format_size(b, sizeof(b), 4ull << 20, mem_unit);
		format_size(c, sizeof(c), 64ull << 30, mem_unit);
		return die(EXIT_USAGE, "--memory %s: outside %s..%s (4 MiB..64 GiB)", a, b, c);
	}
	format_size(a, sizeof(a), o->cfg.stack_size, stack_unit);
	if (o->cfg.stack_size & 4095) {
		format_size(b, sizeof(b), 4096, stack_unit);
		return die(EXIT_USAGE, "--stack %s: not a multiple of %s (4 KiB)", a, b);
	}
	if (o->cfg.stack_size == 0 && o->stack_given)
		return die(EXIT_USAGE, "--stack %s: must be at least 4 KiB", a);
	if (o->cfg.stack_size > o->cfg.mem_size / 2) {
		format_size(c, sizeof(c), o->cfg.mem_size / 2, stack_unit);
		return die(EXIT_USAGE, "--stack %s: more than half of --memory (%s)", a, c);
	}
	return -1;
}

/* One option's value into o; -1 to go on, -2 unknown, or an exit status. */
static int parse_one(int c, struct opts *o, char units[2][4])
{
	int r;

	switch (c) {
	case 'm':
	case 's':
		r = parse_size_unit(optarg, c == 'm' ? &o->cfg.mem_size : &o->cfg.stack_size,
				    units[c == 's']);
		o->stack_given |= c == 's';
		o->mem_given |= c == 'm';
		if (r < 0)
			return die(EXIT_USAGE, "%s: invalid size '%s': %s",
				   c == 'm' ? "--memory" : "--stack", optarg,
				   r == -ERANGE ? "too large" : "expected e.g. 64K, 16M, 1G");
		return -1;
	case 't':
		r = parse_duration(optarg, &o->cfg.timeout_ns);
		if (r < 0)
			return die(EXIT_USAGE, "--timeout: invalid duration '%s': %s", optarg,
				   r == -ERANGE ? "too large" : "expected e.g. 500ms, 2s, 1.5");
		return -1;
	case 'r':
		if (parse_count(optarg, &o->repeat) < 0)
			return die(EXIT_USAGE, "--repeat: invalid count '%s': expected 1 to %u",
				   optarg, REPEAT_MAX);
		return -1;
	case 'S':
		if ((o->seccomp = parse_seccomp(optarg)) < 0)
			return die(EXIT_USAGE,
				   "--seccomp: invalid mode '%s': expected on, log or off", optarg);
		return -1;
	case 'T':
		o->timing = true;
		return -1;
	case 'X':
		o->trace = true;
		return -1;
	case 'j':
		o->json = true;
		return -1;
	case 'q':
		o->quiet = true;
		o->verbose = false;
		return -1;
	case 'e':
		if (!strchr(optarg, '=') || optarg[0] == '=')
			return die(EXIT_USAGE, "--env: expected NAME=VALUE, got '%s'", optarg);
		if (o->nenv == ENV_MAX)
			return die(EXIT_USAGE, "--env: at most %d variables", ENV_MAX);
		o->env[o->nenv++] = optarg;
		return -1;
	case 'F':
		if (o->nfiles == FILES_MAX)
			return die(EXIT_USAGE, "--file: at most %d files", FILES_MAX);
		o->files[o->nfiles++] = optarg;
		return -1;
	case 'D':
		o->seed = o->seed ? o->seed : 1;
		return -1;
	case 'R': {
		char *end;
		errno = 0;
		o->seed = strtoull(optarg, &end, 10);
		if (!*optarg || *end || errno || optarg[0] == '-' || o->seed == 0)
			return die(EXIT_USAGE, "--seed: expected a number from 1, got '%s'", optarg);
		return -1;
	}
	case 'K':
		o->cfg.strict_syscalls = true;
		return -1;
	case 'P': {
		char *end;
		errno = 0;
		unsigned long n = strtoul(optarg, &end, 10);
		if (!*optarg || *end || errno || optarg[0] == '-' || n < 1 ||
		    n > PROCESSES_MAX_NO_FILTER)
			return die(EXIT_USAGE, "--processes: expected 1 to %u, got '%s'",
				   PROCESSES_MAX_NO_FILTER, optarg);
		o->processes = (unsigned)n;
		return -1;
	}
	case 'B':
		o->batch = optarg;
		return -1;
	case 'v':
		o->verbose = true;
		o->quiet = false;
		return -1;
	default:
		return -2;
	}
}

/* Which command takes which option (the letters getopt_long returns). */
static bool option_allowed(unsigned cmd, int c)
{
	if (strchr("trSTX", c))
		return cmd & (CMD_RUN | CMD_CALL);
	if (strchr("eDRKP", c))
		return cmd & CMD_RUN;
	if (c == 'F')
		return cmd & (CMD_RUN | CMD_CALL);
	if (c == 'j')
		return cmd & (CMD_CALL | CMD_INSPECT);
	if (c == 'B')
		return cmd & CMD_CALL;
	return true;
}

int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"memory", required_argument, NULL, 'm'},
		{"stack", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{"repeat", required_argument, NULL, 'r'},
		{"time", no_argument, NULL, 'T'},
		{"seccomp", required_argument, NULL, 'S'},
		{"trace", no_argument, NULL, 'X'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"env", required_argument, NULL, 'e'},
		{"file", required_argument, NULL, 'F'},
		{"deterministic", no_argument, NULL, 'D'},
		{"seed", required_argument, NULL, 'R'},
		{"strict", no_argument, NULL, 'K'},
		{"processes", required_argument, NULL, 'P'},
		{"batch", required_argument, NULL, 'B'},
		{NULL, 0, NULL, 0},
	};
	static char **args; /* the permuted argv: o->guest and o->operands point into it */
	unsigned cmd = o->cmd;
	char units[2][4] = {"M", "K"}; /* the defaults' units */
	int c, st = -1;

	*o = (struct opts){.cmd = cmd, .repeat = 1, .seccomp = -1};
	kvmlet_config_default(&o->cfg);
	/* run: room for what ordinary programs map (Go's runtime 32 MiB at
	 * start, thread stacks); a page costs the host only once touched. */
	if (cmd == CMD_RUN)
		o->cfg.mem_size = RUN_MEMORY_DEFAULT, o->cfg.stack_size = 0; /* 0: the library's choice */
	free(args);
	if (!(args = calloc((size_t)argc * 2 + 2, sizeof(*args))))
		return die(EXIT_USAGE, "out of memory");
	if (cmd == CMD_RUN) {
		memcpy(args, argv, (size_t)argc * sizeof(*args));
	} else {
		argc = permute(argc, argv, args);
		for (int i = 1; i < argc && strcmp(args[i], "--"); i++)
			json_errors |= !strcmp(args[i], "--json"); /* before any message */
	}
	optind = 1;
	opterr = 0;
	while (st < 0 && (c = getopt_long(argc, args, "+:m:s:t:e:hqv", longopts, NULL)) != -1) {
		const char *opt = args[optind - 1];

		if (c == 'h') {
			cli_help(cmd);
			st = 0;
		} else if (c == ':') {
			st = die(EXIT_USAGE, "%s: option '%s' needs a value", args[0], opt);
		} else if (!option_allowed(cmd, c) || (st = parse_one(c, o, units)) == -2) {
			if (c != '?' && c != ':' && optarg && opt == optarg)
				opt = args[optind - 2]; /* "--memory VALUE": name the option */
			st = die(EXIT_USAGE, "%s: unknown option '%.*s' (see --help)", args[0],
				 (int)strcspn(opt, "="), opt);
		}
	}
	if (st < 0 && cmd == CMD_INSPECT && optind != argc - 1)
		st = die(EXIT_USAGE, "%s: expected one GUEST file, got %d (see --help)", args[0],
			 argc - optind);
	if (st < 0 && cmd == CMD_RUN && optind >= argc)
		st = die(EXIT_USAGE, "%s: expected PROGRAM [ARG...] (see --help)", args[0]);
	if (st < 0 && cmd == CMD_CALL && o->batch && argc - optind != 1)
		st = die(EXIT_USAGE, "%s: --batch FILE takes the calls from FILE: expected only GUEST, "
			 "got %d operands (see --help)", args[0], argc - optind);
	if (st < 0 && cmd == CMD_CALL && !o->batch && argc - optind < 2)
		st = die(EXIT_USAGE, "%s: expected GUEST FUNCTION [ARG...] (see --help)", args[0]);
	if (st < 0)
		st = check_sizes(o, units[0], units[1]);
	if (st < 0) {
		o->guest = args[optind];
		o->operands = args + optind + 1;
		o->noperands = argc - optind - 1;
	}
	return st;
}

int load(struct opts *o, struct kvmlet_sandbox **sb)
{
	struct kvmlet_error err, first;
	size_t plen = strlen(o->guest);
	int r = kvmlet_sandbox_new_from_file(sb, o->guest, &o->cfg, &err);

	/* run without --memory: a program whose image does not fit the default
	 * (a big .bss, a high link address) gets the memory that fits it, up to
	 * RUN_MEMORY_GROW_MAX; else the first failure is the one reported. */
	if (r == -E2BIG && o->cmd == CMD_RUN && !o->mem_given) {
		const uint64_t start = o->cfg.mem_size;
		first = err;
		while (r == -E2BIG && o->cfg.mem_size < RUN_MEMORY_GROW_MAX) {
			o->cfg.mem_size *= 2;
			r = kvmlet_sandbox_new_from_file(sb, o->guest, &o->cfg, &err);
		}
		if (r < 0)
			o->cfg.mem_size = start, err = first, r = -E2BIG;
	}
	if (r >= 0)
		return -1;
	/* Reading the file: the message names it already. */
	if (!strncmp(err.msg, o->guest, plen) && !strncmp(err.msg + plen, ": ", 2))
		return die(EXIT_LOAD, "%s", err.msg);
	return die(r == -EINVAL ? EXIT_USAGE : EXIT_LOAD, "%s: %s", o->guest, err.msg);
}

int parse_count(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < 1 || v > REPEAT_MAX || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static void trace_line(void *arg, const struct kvmlet_exit_info *e)
{
	(void)arg;
	if (!strcmp(e->what, "syscall")) {
		char nr[32];
		snprintf(nr, sizeof(nr), "syscall_%llu", (unsigned long long)e->sys_nr);
		fprintf(stderr, "kvmlet: trace: %10.1f us  syscall   %s = %lld%s%s\n",
			(double)e->ns / 1e3, e->sys_name ? e->sys_name : nr,
			(long long)e->sys_result,
			e->sys_result < 0 && e->sys_result >= -4095 ? " (error)" : "",
			e->in_guest ? "  [in the guest]" : "");
		return;
	}
	if (e->reason == 2) /* KVM_EXIT_IO */
		fprintf(stderr, "kvmlet: trace: %10.1f us  %-9s port 0x%02x  rip 0x%llx\n",
			(double)e->ns / 1e3, e->what, e->port, (unsigned long long)e->rip);
	else
		fprintf(stderr, "kvmlet: trace: %10.1f us  %-9s exit %u  rip 0x%llx\n",
			(double)e->ns / 1e3, e->what, e->reason, (unsigned long long)e->rip);
}

void cli_setup(const struct opts *o, struct kvmlet_sandbox *sb)
{
	if (o->trace)
		kvmlet_set_trace(sb, trace_line, NULL);
	if (!o->verbose)
		return;
	fprintf(stderr, "kvmlet: %s: entry 0x%llx, %u segments, %llu KiB memory, %llu KiB stack\n",
		o->guest, (unsigned long long)kvmlet_entry(sb), kvmlet_segment_count(sb),
		(unsigned long long)(o->cfg.mem_size >> 10),
		(unsigned long long)(kvmlet_stack_size(sb) >> 10));
}

int die_run(const char *guest, int r, const struct kvmlet_error *err)
{
	switch (r) {
	case -EFAULT:
		return die(EXIT_FAULT, "%s: %s", guest, err->msg);
	case -ETIMEDOUT:
		return die(EXIT_TIMEOUT, "%s: %s", guest, err->msg);
	case -ECONNABORTED:
		return die(EXIT_ABORT, "%s: %s", guest, err->msg);
	case -ENOENT:
	case -EACCES:
	case -ENODEV:
	case -EIO:
		return die(EXIT_KVM, "%s", err->msg);
	default:
		return die(EXIT_CALL, "%s: %s", guest, err->msg);
	}
}

int cli_files(const struct opts *o, struct kvmlet_sandbox *sb)
{
	struct kvmlet_error err;

	for (int i = 0; i < o->nfiles; i++) {
		char host[4096];
		const char *colon = strchr(o->files[i], ':');
		size_t n = colon ? (size_t)(colon - o->files[i]) : strlen(o->files[i]);

		if (n == 0 || n >= sizeof(host))
			return die(EXIT_USAGE, "--file %s: expected HOSTPATH[:GUESTPATH]", o->files[i]);
		memcpy(host, o->files[i], n);
		host[n] = '\0';
		if (kvmlet_allow_file(sb, host, colon ? colon + 1 : NULL, &err) < 0)
			return die(EXIT_USAGE, "--file: %s", err.msg);
	}
	return -1;
}
