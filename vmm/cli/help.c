/* SPDX-License-Identifier: MIT */
/* help.c: the CLI's --help texts; exit statuses come from status.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_main[] =
	"usage: kvmlet COMMAND [OPTION...] GUEST [ARG...]\n"
	"Run untrusted code as a sandboxed guest in a micro-VM on KVM.\n"
	"\n"
	"commands:\n"
	"  run PROGRAM [ARG...]\n"
	"                  run a guest ELF or a static Linux program to its exit\n"
	"  call GUEST FUNCTION [ARG...]\n"
	"                  call one of the guest's functions and print its result\n"
	"  inspect GUEST   show the guest's exported functions, ELF segments and\n"
	"                  memory map (no KVM needed)\n"
	"\n"
	"  kvmlet help COMMAND, kvmlet COMMAND --help   options of a command\n"
	"  -V, --version   print the version\n"
	"  -h, --help      this help\n"
	"\n";

static const char usage_run[] =
	"usage: kvmlet run [OPTION...] [--] PROGRAM [ARG...]\n"
	"Run PROGRAM to its exit: a guest built with the kvmlet guest runtime, or a\n"
	"static x86-64 Linux executable (musl or glibc; docs/linux.md). Everything\n"
	"after PROGRAM is its argv (argv[0] is PROGRAM as given). It reads kvmlet's\n"
	"stdin and writes kvmlet's stdout and stderr; kvmlet exits with its status.\n"
	"\n"
	"  -m, --memory SIZE       guest memory (default 256M, or twice as much as\n"
	"                          often as a program's image needs, up to 16G;\n"
	"                          4M..64G; a page costs host memory once the guest\n"
	"                          touches it)\n"
	"  -s, --stack SIZE        guest stack (default: Linux's 8M for a Linux\n"
	"                          program, at most 1/32 of --memory; 64K for a\n"
	"                          kvmlet guest)\n"
	"  -t, --timeout DURATION  stop the guest after DURATION (e.g. 500ms, 2s)\n"
	"      --repeat N          run N times, resetting the guest in between\n"
	"      --time              print each run's time (and reset's) on stderr\n"
	"      --seccomp MODE      on (default if available): a system call kvmlet does\n"
	"                          not need kills it (SIGSYS); log: allow and log it;\n"
	"                          off: no filter\n"
	"      --trace             print every VM exit (what, port, RIP, time) on stderr\n"
	"  -e, --env NAME=VALUE    add to the program's environment (empty otherwise)\n"
	"      --file HOST[:GUEST] let the program open the host file HOST read-only, as\n"
	"                          GUEST (absolute; default HOST); other paths: ENOENT\n"
	"      --deterministic     a fixed clock and seeded randomness (seed 1)\n"
	"      --seed N            the same, with seed N\n"
	"      --processes N       how many processes a Linux program may have at once,\n"
	"                          fork's children included (1..9; default 8, 1 for a\n"
	"                          kvmlet guest: each is a VM, made before the\n"
	"                          seccomp filter; --seccomp=off: 1..16, default 16)\n"
	"      --strict            a system call kvmlet does not provide ends the run as\n"
	"                          a fault naming it (default: ENOSYS to the program)\n"
	"  -q, --quiet             no notes of kvmlet's own on stderr (errors still)\n"
	"  -v, --verbose           say what was loaded on stderr\n"
	"  -h, --help              this help\n"
	"SIZE takes K, M, G suffixes (binary); DURATION ns, us, ms, s, m or h.\n";

static const char usage_inspect[] =
	"usage: kvmlet inspect [OPTION...] [--] GUEST\n"
	"Load GUEST without running it (no KVM needed) and print its exported functions\n"
	"with their signatures, its entry point, its ELF segments and its virtual memory\n"
	"map as the host built the page tables: range, physical address, permissions\n"
	"(r, w, x; u user or s supervisor) and page size. Options may also follow GUEST.\n"
	"\n"
	"  -m, --memory SIZE  guest memory (default 16M)\n"
	"  -s, --stack SIZE   guest stack (default 64K)\n"
	"      --json         print exports, entry, segments and memory map as one JSON\n"
	"                     object\n"
	"  -q, --quiet        no notes of kvmlet's own on stderr (errors still)\n"
	"  -v, --verbose      say what was loaded on stderr\n"
	"  -h, --help         this help\n";

static const char usage_call[] =
	"usage: kvmlet call [OPTION...] [--] GUEST FUNCTION [ARG...]\n"
	"       kvmlet call --batch FILE [OPTION...] [--] GUEST\n"
	"Start GUEST, call its exported FUNCTION with the ARGs and print the result;\n"
	"what the guest prints goes to stdout first (to stderr with --json).\n"
	"Options may also follow the ARGs; after `--` every word is an ARG.\n"
	"Each ARG is converted to the type the function's signature declares:\n"
	"  i  integer (42, -7, 0x2a; 010 is ten)   u  unsigned integer (42)\n"
	"  d  floating point (3.5, -1e3)    b  true or false (also 1 or 0)\n"
	"  s  string (text, \"text\", s:text)  y  bytes (@FILE reads a file, y:text)\n"
	"\n"
	"  -m, --memory SIZE       guest memory (default 16M)\n"
	"  -s, --stack SIZE        guest stack (default 64K)\n"
	"  -t, --timeout DURATION  stop the call (or batch) after DURATION (e.g. 500ms)\n"
	"      --file HOST[:GUEST] a Linux guest may open HOST read-only as GUEST (e.g.\n"
	"                          the script js.elf or lua.elf loads: --file f.js:/init.js)\n"
	"      --json              print the result as JSON: {\"type\":...,\"value\":...},\n"
	"                          a failure as {\"error\":{...}}\n"
	"      --batch FILE        make the calls in FILE (- for stdin), one per line:\n"
	"                          FUNCTION ARG... (\"a string\" may hold blanks; # starts\n"
	"                          a comment), all in one VM entry; one line of output\n"
	"                          per call, its result or `error: MESSAGE` (status 126\n"
	"                          if any failed); at most 1024 calls\n"
	"      --repeat N          call N times, resetting the guest in between\n"
	"      --time              print each call's time (and reset's) on stderr\n"
	"      --seccomp MODE      on (default if available): a system call kvmlet does\n"
	"                          not need kills it (SIGSYS); log: allow and log it;\n"
	"                          off: no filter\n"
	"      --trace             print every VM exit (what, port, RIP, time) on stderr\n"
	"  -q, --quiet             no notes of kvmlet's own on stderr (errors still)\n"
	"  -v, --verbose           say what was loaded on stderr\n"
	"  -h, --help              this help\n"
	"\n"
	"Host functions the guest may call:\n"
	"  print  \"y:v\"  write the bytes to stdout (before the result)\n"
	"  now_ns \":u\"   CLOCK_REALTIME in nanoseconds\n"
	"  square \"i:i\"  its argument squared (used by the callback example)\n";

/* "exit status: ..." from the table in status.h: for the main help each
 * status with its meaning, for a command its statuses by short name. */
static void print_statuses(unsigned cmd)
{
	int first = 1;

	if (!cmd) {
		puts("exit status: run: the guest's exit status (low 8 bits) when it exits;\n"
		     "call, inspect: 0 on success; otherwise:");
#define LONG(e, n, k, m, c) printf("  %d %-8s %s\n", n, k, m);
		CLI_STATUSES(LONG)
#undef LONG
		return;
	}
	fputs(cmd == CMD_RUN ? "exit status: the guest's, or" : "exit status: 0, or", stdout);
#define SHORT(e, n, k, m, c)                                \
	if ((c)&cmd) {                                      \
		printf("%s %d %s", first ? "" : ",", n, k); \
		first = 0;                                  \
	}
	CLI_STATUSES(SHORT)
#undef SHORT
	puts(" (kvmlet --help says more)");
}

unsigned cli_command(const char *name)
{
	static const struct {
		const char *name;
		unsigned cmd;
	} cmds[] = {{"run", CMD_RUN}, {"call", CMD_CALL}, {"inspect", CMD_INSPECT}};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].cmd;
	return 0;
}

void cli_help(unsigned cmd)
{
	fputs(cmd == CMD_RUN	   ? usage_run
	      : cmd == CMD_CALL	   ? usage_call
	      : cmd == CMD_INSPECT ? usage_inspect
				   : usage_main,
	      stdout);
	print_statuses(cmd);
}
