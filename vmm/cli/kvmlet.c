/* SPDX-License-Identifier: MIT */
/*
 * kvmlet: launch a guest binary from the shell.
 *
 * Exit statuses (also in --help and docs/cli.md): the guest's own status
 * (low 8 bits) when it exits, otherwise
 *   120 usage error, 121 cannot load the guest, 122 KVM unavailable or failed,
 *   123 guest fault, 124 guest timed out, 125 guest aborted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pt_format.h"

static const char usage_main[] =
	"usage: kvmlet COMMAND [OPTION...] GUEST\n"
	"Run untrusted code as a sandboxed guest in a micro-VM on KVM.\n"
	"\n"
	"commands:\n"
	"  run GUEST       run a guest ELF to its exit; its output goes to stdout\n"
	"  call GUEST FUNCTION [ARG...]\n"
	"                  call one of the guest's functions and print its result\n"
	"  inspect GUEST   show the guest's ELF segments and its memory map\n"
	"\n"
	"  kvmlet COMMAND --help   options of a command\n"
	"  kvmlet --version        print the version\n"
	"\n"
	"exit status: the guest's exit status (low 8 bits) when it exits; otherwise\n"
	"  120 usage error, 121 cannot load the guest, 122 KVM unavailable or failed,\n"
	"  123 guest fault, 124 guest timed out, 125 guest aborted, 126 call failed\n";

static const char usage_run[] =
	"usage: kvmlet run [OPTION...] [--] GUEST\n"
	"Run GUEST (a static x86-64 ELF built with the kvmlet guest runtime) to its exit.\n"
	"The guest's output goes to stdout; kvmlet exits with the guest's status.\n"
	"\n"
	"  -m, --memory SIZE       guest memory (default 16M; 4M..64G)\n"
	"  -s, --stack SIZE        guest stack (default 64K)\n"
	"  -t, --timeout DURATION  stop the guest after DURATION (e.g. 500ms, 2s)\n"
	"      --repeat N          run N times, resetting the guest in between\n"
	"      --time              print each run's time (and reset's) on stderr\n"
	"      --seccomp MODE      on (default if available): a system call kvmlet does\n"
	"                          not need kills it (SIGSYS); log: allow and log it;\n"
	"                          off: no filter\n"
	"      --trace             print every VM exit (what, port, RIP, time) on stderr\n"
	"  -q, --quiet             no notes of kvmlet's own on stderr (errors still)\n"
	"  -v, --verbose           say what was loaded on stderr\n"
	"  -h, --help              this help\n"
	"SIZE takes K, M, G suffixes (binary); DURATION ns, us, ms, s, m or h.\n"
	"exit status: the guest's, or 120 usage, 121 load, 122 KVM, 123 fault,\n"
	"  124 timeout, 125 abort\n";

static const char usage_inspect[] =
	"usage: kvmlet inspect [OPTION...] [--] GUEST\n"
	"Load GUEST without running it (no KVM needed) and print its entry point, its\n"
	"ELF segments and its virtual memory map as the host built the page tables:\n"
	"range, physical address, permissions (r, w, x; u user or s supervisor) and\n"
	"page size.\n"
	"\n"
	"  -m, --memory SIZE  guest memory (default 16M)\n"
	"  -s, --stack SIZE   guest stack (default 64K)\n"
	"      --json         print entry, segments and memory map as one JSON object\n"
	"  -q, --quiet        no notes of kvmlet's own on stderr (errors still)\n"
	"  -v, --verbose      say what was loaded on stderr\n"
	"  -h, --help         this help\n"
	"exit status: 0, or 120 usage, 121 load\n";

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void write_stdout(void *arg, const char *buf, size_t len)
{
	(void)arg;
	fwrite(buf, 1, len, stdout);
}

static int cmd_run(int argc, char **argv)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_result res;
	struct kvmlet_error err;
	struct opts o = {0};
	int st;

	if ((st = parse_opts(argc, argv, usage_run, true, &o)) >= 0 || (st = load(&o, &sb)) >= 0)
		return st;
	kvmlet_set_output(sb, write_stdout, NULL);
	cli_setup(&o, sb);
	/* The VM first, then the seccomp filter, then the guest's first instruction. */
	int r = kvmlet_prepare(sb, &err);
	if (r == 0 && (st = cli_seccomp(&o)) >= 0) {
		kvmlet_sandbox_free(sb);
		return st;
	}
	for (unsigned i = 0; i < o.repeat && r == 0; i++) {
		uint64_t t0 = now_ns(), t1, t2 = 0;

		if (i > 0 && (r = kvmlet_reset(sb, &err)) < 0)
			break;
		t1 = now_ns();
		r = kvmlet_run(sb, &res, &err);
		t2 = now_ns();
		fflush(stdout);
		if (o.timing)
			fprintf(stderr, "kvmlet: run %u: %.1f us%s", i + 1, (double)(t2 - t1) / 1e3,
				i ? "" : "\n");
		if (o.timing && i)
			fprintf(stderr, ", reset %.1f us (%llu pages)\n", (double)(t1 - t0) / 1e3,
				(unsigned long long)kvmlet_last_reset_pages(sb));
		if (r == 0 && res.output_truncated && !o.quiet)
			die(0, "%s: guest output truncated at the output limit", o.guest);
	}
	kvmlet_sandbox_free(sb);
	if (r == 0)
		return res.status & 0xff;
	return die_run(o.guest, r, &err);
}

static const char *prot_str(uint32_t p, char buf[4])
{
	buf[0] = 'r';
	buf[1] = (p & KVMLET_PROT_WRITE) ? 'w' : '-';
	buf[2] = (p & KVMLET_PROT_EXEC) ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

static int print_mapping(void *arg, const struct kvmlet_mapping *m)
{
	char line[PT_FORMAT_MAX];
	struct pt_run run = {
		.va = m->va,
		.pa = m->pa,
		.len = m->len,
		.leaf = m->leaf,
		.prot = ((m->prot & KVMLET_PROT_WRITE) ? PT_PROT_WRITE : 0) |
			((m->prot & KVMLET_PROT_EXEC) ? PT_PROT_EXEC : 0) |
			((m->prot & KVMLET_PROT_USER) ? PT_PROT_USER : 0),
	};

	(void)arg;
	pt_format_run(line, &run);
	puts(line);
	return 0;
}

static int json_mapping(void *arg, const struct kvmlet_mapping *m)
{
	char pbuf[4];
	bool *first = arg;

	printf("%s{\"va\":%" PRIu64 ",\"pa\":%" PRIu64 ",\"len\":%" PRIu64
	       ",\"perms\":\"%s\",\"user\":%s,\"page\":%" PRIu64 "}",
	       *first ? "" : ",", m->va, m->pa, m->len, prot_str(m->prot, pbuf),
	       (m->prot & KVMLET_PROT_USER) ? "true" : "false", m->leaf);
	*first = false;
	return 0;
}

/* inspect --json: {"entry":N,"segments":[...],"map":[...]}, numbers in decimal. */
static int inspect_json(const struct opts *o, struct kvmlet_sandbox *sb)
{
	struct kvmlet_error err;
	bool first = true;
	char pbuf[4];

	printf("{\"entry\":%" PRIu64 ",\"segments\":[", kvmlet_entry(sb));
	for (unsigned i = 0; i < kvmlet_segment_count(sb); i++) {
		struct kvmlet_segment s;
		kvmlet_segment(sb, i, &s);
		printf("%s{\"vaddr\":%" PRIu64 ",\"memsz\":%" PRIu64 ",\"offset\":%" PRIu64
		       ",\"filesz\":%" PRIu64 ",\"perms\":\"%s\"}",
		       i ? "," : "", s.vaddr, s.memsz, s.offset, s.filesz, prot_str(s.prot, pbuf));
	}
	fputs("],\"map\":[", stdout);
	int r = kvmlet_memory_map(sb, json_mapping, &first, &err);
	puts("]}");
	kvmlet_sandbox_free(sb);
	if (r < 0)
		return die(EXIT_LOAD, "%s: %s", o->guest, err.msg);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	struct opts o = {0};
	char pbuf[4];
	int st;

	if ((st = parse_opts(argc, argv, usage_inspect, false, &o)) >= 0 ||
	    (st = load(&o, &sb)) >= 0)
		return st;
	cli_setup(&o, sb);
	if (o.json)
		return inspect_json(&o, sb);
	printf("entry 0x%" PRIx64 "\nsegments:\n", kvmlet_entry(sb));
	for (unsigned i = 0; i < kvmlet_segment_count(sb); i++) {
		struct kvmlet_segment s;
		kvmlet_segment(sb, i, &s);
		printf("0x%016" PRIx64 "-0x%016" PRIx64 " %s file 0x%" PRIx64 "+0x%" PRIx64 "\n",
		       s.vaddr, s.vaddr + s.memsz, prot_str(s.prot, pbuf), s.offset, s.filesz);
	}
	puts("memory map:");
	int r = kvmlet_memory_map(sb, print_mapping, NULL, &err);
	kvmlet_sandbox_free(sb);
	if (r < 0)
		return die(EXIT_LOAD, "%s: %s", o.guest, err.msg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return die(EXIT_USAGE, "missing command (see kvmlet --help)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kvmlet %d.%d.%d\n", KVMLET_VERSION_MAJOR, KVMLET_VERSION_MINOR,
		       KVMLET_VERSION_PATCH);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(argv[1], "call"))
		return cmd_call(argc - 1, argv + 1);
	return die(EXIT_USAGE, "unknown command '%s' (see kvmlet --help)", argv[1]);
}
