/* SPDX-License-Identifier: MIT */
/* common.c: what the kvmlet commands share: errors, options, loading a guest. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

int die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("kvmlet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* Read a whole file; NULL with errno set on failure. Guests are small: cap at 256 MiB. */
static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, len = 0;
	char *buf = NULL;

	if (!f)
		return NULL;
	for (;;) {
		char *nb = realloc(buf, cap);
		if (!nb)
			goto fail;
		buf = nb;
		len += fread(buf + len, 1, cap - len, f);
		if (ferror(f))
			goto fail;
		if (len < cap)
			break;
		if (cap >= (256u << 20)) {
			errno = EFBIG;
			goto fail;
		}
		cap *= 2;
	}
	fclose(f);
	*size = len;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
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

/* Parse a command's options; returns -1 to go on, or an exit status. */
int parse_opts(int argc, char **argv, const char *usage, bool allow_timeout, struct opts *o)
{
	static const struct option longopts[] = {
		{"memory", required_argument, NULL, 'm'}, {"stack", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'}, {"repeat", required_argument, NULL, 'r'},
		{"time", no_argument, NULL, 'T'}, {"seccomp", required_argument, NULL, 'S'},
		{"trace", no_argument, NULL, 'X'}, {"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0},
	};
	int c, r;

	int min = o->min_operands;

	*o = (struct opts){.min_operands = min, .repeat = 1, .seccomp = -1};
	kvmlet_config_default(&o->cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:m:s:t:hqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
		case 's':
			r = parse_size(optarg, c == 'm' ? &o->cfg.mem_size : &o->cfg.stack_size);
			if (r < 0)
				return die(EXIT_USAGE, "%s: invalid size '%s': %s",
					   c == 'm' ? "--memory" : "--stack", optarg,
					   r == -ERANGE ? "too large" : "expected e.g. 64K, 16M, 1G");
			break;
		case 't':
			if (!allow_timeout)
				return die(EXIT_USAGE, "%s: unknown option '--timeout' (see --help)",
					   argv[0]);
			r = parse_duration(optarg, &o->cfg.timeout_ns);
			if (r < 0)
				return die(EXIT_USAGE, "--timeout: invalid duration '%s': %s", optarg,
					   r == -ERANGE ? "too large" : "expected e.g. 500ms, 2s");
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'r':
			if (!allow_timeout)
				return die(EXIT_USAGE, "%s: unknown option '--repeat' (see --help)",
					   argv[0]);
			r = parse_count(optarg, &o->repeat);
			if (r < 0)
				return die(EXIT_USAGE, "--repeat: invalid count '%s': expected 1 to %u",
					   optarg, REPEAT_MAX);
			break;
		case 'S':
			if (!allow_timeout)
				return die(EXIT_USAGE,
					   "%s: unknown option '--seccomp' (see --help)", argv[0]);
			if ((o->seccomp = parse_seccomp(optarg)) < 0)
				return die(EXIT_USAGE, "--seccomp: invalid mode '%s': expected on, log "
						       "or off", optarg);
			break;
		case 'T':
			if (!allow_timeout)
				return die(EXIT_USAGE, "%s: unknown option '--time' (see --help)",
					   argv[0]);
			o->timing = true;
			break;
		case 'j':
			if (!o->min_operands && allow_timeout) /* call and inspect print results */
				return die(EXIT_USAGE, "%s: unknown option '--json' (see --help)",
					   argv[0]);
			o->json = true;
			break;
		case 'X':
			if (!allow_timeout)
				return die(EXIT_USAGE, "%s: unknown option '--trace' (see --help)",
					   argv[0]);
			o->trace = true;
			break;
		case 'q':
			o->quiet = true;
			o->verbose = false;
			break;
		case 'v':
			o->verbose = true;
			o->quiet = false;
			break;
		case ':':
			return die(EXIT_USAGE, "%s: option '%s' needs a value", argv[0],
				   argv[optind - 1]);
		default:
			return die(EXIT_USAGE, "%s: unknown option '%s' (see --help)", argv[0],
				   argv[optind - 1]);
		}
	}
	if (o->min_operands == 0 && optind != argc - 1)
		return die(EXIT_USAGE, "%s: expected one GUEST file, got %d (see --help)", argv[0],
			   argc - optind);
	if (o->min_operands && argc - optind < o->min_operands)
		return die(EXIT_USAGE, "%s: expected GUEST FUNCTION [ARG...] (see --help)", argv[0]);
	o->guest = argv[optind];
	o->operands = argv + optind + 1;
	o->noperands = argc - optind - 1;
	return -1;
}

int load(const struct opts *o, struct kvmlet_sandbox **sb)
{
	struct kvmlet_error err;
	size_t size;
	void *elf = read_file(o->guest, &size);

	if (!elf)
		return die(EXIT_LOAD, "%s: cannot read: %s", o->guest, strerror(errno));
	int r = kvmlet_sandbox_new(sb, elf, size, &o->cfg, &err);
	free(elf);
	if (r < 0)
		return die(r == -EINVAL ? EXIT_USAGE : EXIT_LOAD, "%s: %s", o->guest, err.msg);
	return -1;
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
		(unsigned long long)(o->cfg.stack_size >> 10));
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
