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

#include "args.h"
#include "kvmlet.h"
#include "pt_format.h"

enum {
	EXIT_USAGE = 120,
	EXIT_LOAD = 121,
	EXIT_KVM = 122,
	EXIT_FAULT = 123,
	EXIT_TIMEOUT = 124,
	EXIT_ABORT = 125,
};

static const char usage_main[] =
	"usage: kvmlet COMMAND [OPTION...] GUEST\n"
	"Run untrusted code as a sandboxed guest in a micro-VM on KVM.\n"
	"\n"
	"commands:\n"
	"  run GUEST       run a guest ELF to its exit; its output goes to stdout\n"
	"  inspect GUEST   show the guest's ELF segments and its memory map\n"
	"\n"
	"  kvmlet COMMAND --help   options of a command\n"
	"  kvmlet --version        print the version\n"
	"\n"
	"exit status: the guest's exit status (low 8 bits) when it exits; otherwise\n"
	"  120 usage error, 121 cannot load the guest, 122 KVM unavailable or failed,\n"
	"  123 guest fault, 124 guest timed out, 125 guest aborted\n";

static const char usage_run[] =
	"usage: kvmlet run [OPTION...] [--] GUEST\n"
	"Run GUEST (a static x86-64 ELF built with the kvmlet guest runtime) to its exit.\n"
	"The guest's output goes to stdout; kvmlet exits with the guest's status.\n"
	"\n"
	"  -m, --memory SIZE       guest memory (default 16M; 4M..64G)\n"
	"  -s, --stack SIZE        guest stack (default 64K)\n"
	"  -t, --timeout DURATION  stop the guest after DURATION (e.g. 500ms, 2s)\n"
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
	"  -h, --help         this help\n"
	"exit status: 0, or 120 usage, 121 load\n";

__attribute__((format(printf, 2, 3))) static int die(int status, const char *fmt, ...)
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

struct opts {
	struct kvmlet_config cfg;
	const char *guest;
};

/* Parse a command's options; returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, const char *usage, bool allow_timeout, struct opts *o)
{
	static const struct option longopts[] = {
		{"memory", required_argument, NULL, 'm'}, {"stack", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, r;

	kvmlet_config_default(&o->cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:m:s:t:h", longopts, NULL)) != -1) {
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
		case ':':
			return die(EXIT_USAGE, "%s: option '%s' needs a value", argv[0],
				   argv[optind - 1]);
		default:
			return die(EXIT_USAGE, "%s: unknown option '%s' (see --help)", argv[0],
				   argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return die(EXIT_USAGE, "%s: expected one GUEST file, got %d (see --help)", argv[0],
			   argc - optind);
	o->guest = argv[optind];
	return -1;
}

static int load(const struct opts *o, struct kvmlet_sandbox **sb)
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
	struct opts o;
	int st;

	if ((st = parse_opts(argc, argv, usage_run, true, &o)) >= 0 || (st = load(&o, &sb)) >= 0)
		return st;
	kvmlet_set_output(sb, write_stdout, NULL);
	int r = kvmlet_run(sb, &res, &err);
	fflush(stdout);
	kvmlet_sandbox_free(sb);
	if (r == 0) {
		if (res.output_truncated)
			die(0, "%s: guest output truncated at the output limit", o.guest);
		return res.status & 0xff;
	}
	switch (r) {
	case -EFAULT:
		return die(EXIT_FAULT, "%s: %s", o.guest, err.msg);
	case -ETIMEDOUT:
		return die(EXIT_TIMEOUT, "%s: %s", o.guest, err.msg);
	case -ECONNABORTED:
		return die(EXIT_ABORT, "%s: %s", o.guest, err.msg);
	default:
		return die(EXIT_KVM, "%s", err.msg);
	}
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

static int cmd_inspect(int argc, char **argv)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	struct opts o;
	char pbuf[4];
	int st;

	if ((st = parse_opts(argc, argv, usage_inspect, false, &o)) >= 0 ||
	    (st = load(&o, &sb)) >= 0)
		return st;
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
	return die(EXIT_USAGE, "unknown command '%s' (see kvmlet --help)", argv[1]);
}
