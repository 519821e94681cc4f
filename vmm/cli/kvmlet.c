/* SPDX-License-Identifier: MIT */
/*
 * kvmlet: launch a guest binary from the shell.
 *
 * Exit statuses: the guest's own status (low 8 bits) when it exits,
 * otherwise those of status.h (also in --help, docs/cli.md, the man page).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pt_format.h"

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

/* --processes, or its default for this guest and --seccomp. */
static unsigned processes(const struct opts *o, const struct kvmlet_sandbox *sb)
{
	if (o->processes)
		return o->processes;
	if (!kvmlet_is_linux_program(sb))
		return 1;
	return o->seccomp == KVMLET_SECCOMP_OFF ? PROCESSES_MAX_NO_FILTER : PROCESSES_DEFAULT;
}

/* What a Linux program sees: argv, environment, streams, files, determinism. */
static int linux_setup(const struct opts *o, struct kvmlet_sandbox *sb)
{
	struct kvmlet_error err;
	const char *argv[1 + 4096];
	int argc = 0;

	if (o->noperands > 4096)
		return die(EXIT_USAGE, "run: at most 4096 arguments");
	argv[argc++] = o->guest;
	for (int i = 0; i < o->noperands; i++)
		argv[argc++] = o->operands[i];
	if (kvmlet_set_args(sb, argc, argv, o->env, &err) < 0)
		return die(EXIT_USAGE, "run: %s", err.msg);
	int st = cli_files(o, sb);
	if (st >= 0)
		return st;
	kvmlet_set_stdio(sb, 0, 1, 2);
	/* What kvmlet was started with ignored, the program is too (as exec
	 * keeps it): nohup's SIGHUP, a background job's SIGINT and SIGQUIT. */
	uint64_t ignored = 0;
	for (int s = 1; s <= 64; s++) {
		struct sigaction sa;
		if (s != SIGKILL && s != SIGSTOP && sigaction(s, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			ignored |= 1ull << (s - 1);
	}
	if (kvmlet_set_ignored_signals(sb, ignored, &err) < 0)
		return die(EXIT_USAGE, "run: %s", err.msg);
	if (o->seed)
		kvmlet_set_determinism(sb, o->seed);
	if (o->processes > PROCESSES_MAX && o->seccomp != KVMLET_SECCOMP_OFF)
		return die(EXIT_USAGE,
			   "--processes: at most %u with the seccomp filter (each process's VM "
			   "is made before it); --seccomp=off allows %u",
			   PROCESSES_MAX, PROCESSES_MAX_NO_FILTER);
	if (kvmlet_set_processes(sb, processes(o, sb), &err) < 0)
		return die(EXIT_USAGE, "run: %s", err.msg);
	return -1;
}

/*
 * The signals a shell or a terminal sends to kvmlet go to the program, as
 * they would reach it on Linux: blocked in every thread (before the library
 * makes any), taken by one thread with sigwaitinfo and handed to
 * kvmlet_signal. One kvmlet was started with ignored (nohup's SIGHUP, a
 * background job's SIGINT and SIGQUIT) stays ignored and is not forwarded.
 * Other signals keep their default actions.
 */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

struct forward {
	struct kvmlet_sandbox *sb;
	sigset_t set;
	int wake; /* a signal of set, which forward_stop wakes the thread with (0: no thread) */
	pthread_t thread;
	atomic_bool done;
};

static void *forward_signals(void *arg)
{
	struct forward *f = arg;
	struct kvmlet_error err;

	for (;;) {
		int s = sigwaitinfo(&f->set, NULL);
		if (atomic_load(&f->done))
			return NULL;
		if (s > 0)
			(void)kvmlet_signal(f->sb, s, &err);
	}
}

static bool forward_start(struct forward *f, struct kvmlet_sandbox *sb)
{
	f->sb = sb;
	f->wake = 0;
	atomic_init(&f->done, false);
	sigemptyset(&f->set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		struct sigaction sa;
		if (sigaction(forwarded[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN) {
			sigaddset(&f->set, forwarded[i]);
			f->wake = forwarded[i];
		}
	}
	if (!f->wake)
		return true; /* every one ignored: nothing to forward */
	kvmlet_expect_signals(sb, true);
	if (pthread_sigmask(SIG_BLOCK, &f->set, NULL) != 0 ||
	    pthread_create(&f->thread, NULL, forward_signals, f) != 0) {
		f->wake = 0;
		return false;
	}
	return true;
}

static void forward_stop(struct forward *f)
{
	if (!f->wake)
		return;
	atomic_store(&f->done, true);
	pthread_kill(f->thread, f->wake); /* taken by its sigwaitinfo, not forwarded */
	pthread_join(f->thread, NULL);
}

static int cmd_run(int argc, char **argv)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_result res;
	struct kvmlet_error err;
	struct opts o = {.cmd = CMD_RUN};
	int st;

	if ((st = parse_opts(argc, argv, &o)) >= 0 || (st = load(&o, &sb)) >= 0)
		return st;
	kvmlet_set_output(sb, write_stdout, NULL);
	cli_setup(&o, sb);
	if ((st = linux_setup(&o, sb)) >= 0) {
		kvmlet_sandbox_free(sb);
		return st;
	}
	struct forward fwd;
	if (!forward_start(&fwd, sb)) {
		kvmlet_sandbox_free(sb);
		return die(EXIT_USAGE, "run: cannot start the thread that forwards signals");
	}
	/* The VM first, the VMs fork's children will take (the filter allows
	 * no new one), then the seccomp filter, then the guest's first
	 * instruction. Without the VMs, fork says EAGAIN. */
	int r = kvmlet_prepare(sb, &err);
	if (r == 0 && processes(&o, sb) > 1 && o.seccomp != KVMLET_SECCOMP_OFF &&
	    kvmlet_shells_warm(processes(&o, sb) - 1, &err) < 0 && !o.quiet)
		die(0, "run: %s: fork will fail", err.msg);
	if (r == 0 && (st = cli_seccomp(&o)) >= 0) {
		forward_stop(&fwd);
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
	forward_stop(&fwd);
	kvmlet_sandbox_free(sb);
	if (r == 0)
		return res.status & 0xff;
	return die_run(o.guest, r, &err);
}

/* A signature letter's type (enum kvmlet_type). */
static uint32_t letter_type(char c)
{
	static const char letters[] = "viudbsy";
	const char *p = strchr(letters, c);

	return p && c ? (uint32_t)(p - letters) : 0;
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

/* "ii:i" as "(i64, i64) -> i64". */
static void print_signature(FILE *f, const char *sig)
{
	const char *colon = strchr(sig, ':');

	fputc('(', f);
	for (const char *p = sig; p < colon; p++)
		fprintf(f, "%s%s", p == sig ? "" : ", ", kvmlet_type_name(letter_type(*p)));
	fprintf(f, ") -> %s", kvmlet_type_name(letter_type(colon[1])));
}

static int text_export(void *arg, const char *name, const char *sig)
{
	(void)arg;
	printf("  %s %s  ", name, sig);
	print_signature(stdout, sig);
	putchar('\n');
	return 0;
}

static int json_export(void *arg, const char *name, const char *sig)
{
	bool *first = arg;
	const char *colon = strchr(sig, ':');

	/* Names and signatures were checked: [A-Za-z0-9_.] and type letters. */
	printf("%s{\"name\":\"%s\",\"sig\":\"%s\",\"args\":[", *first ? "" : ",", name, sig);
	for (const char *p = sig; p < colon; p++)
		printf("%s\"%s\"", p == sig ? "" : ",", kvmlet_type_name(letter_type(*p)));
	printf("],\"result\":\"%s\"}", kvmlet_type_name(letter_type(colon[1])));
	*first = false;
	return 0;
}

/* inspect --json: {"exports":[...],"entry":N,"segments":[...],"map":[...]},
 * numbers in decimal. */
static int inspect_json(const struct opts *o, struct kvmlet_sandbox *sb)
{
	struct kvmlet_error err;
	bool first = true;
	char pbuf[4];

	fputs("{\"exports\":[", stdout);
	if (kvmlet_file_exports(o->guest, json_export, &first, &err) < 0) {
		kvmlet_sandbox_free(sb);
		puts("]}");
		return die(EXIT_LOAD, "%s: %s", o->guest, err.msg);
	}
	first = true;
	printf("],\"entry\":%" PRIu64 ",\"segments\":[", kvmlet_entry(sb));
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
	struct opts o = {.cmd = CMD_INSPECT};
	char pbuf[4];
	int st;

	if ((st = parse_opts(argc, argv, &o)) >= 0 || (st = load(&o, &sb)) >= 0)
		return st;
	cli_setup(&o, sb);
	if (o.json)
		return inspect_json(&o, sb);
	printf("entry 0x%" PRIx64 "\nexports:\n", kvmlet_entry(sb));
	int n = kvmlet_file_exports(o.guest, text_export, NULL, &err);
	if (n < 0) {
		kvmlet_sandbox_free(sb);
		return die(EXIT_LOAD, "%s: %s", o.guest, err.msg);
	}
	if (n == 0)
		puts("  (none)");
	puts("segments:");
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
	if (!strcmp(argv[1], "help") && argc > 2) {
		unsigned cmd = cli_command(argv[2]);
		if (!cmd || argc > 3)
			return die(EXIT_USAGE, "help: %s '%s' (commands: run, call, inspect)",
				   cmd ? "one command, got also" : "unknown command",
				   argv[cmd ? 3 : 2]);
		cli_help(cmd);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		cli_help(0);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
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
