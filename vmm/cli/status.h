/* SPDX-License-Identifier: MIT */
/*
 * status.h: kvmlet's exit statuses, the one source of the tables in --help
 * and COMMAND --help. docs/cli.md and docs/kvmlet.1.in repeat them;
 * tests/cli/cli_status.sh checks both against `kvmlet --help`.
 * X(enum name, status, short name, meaning, commands that use it).
 */
#ifndef KVMLET_CLI_STATUS_H
#define KVMLET_CLI_STATUS_H

#define CMD_RUN	    (1u << 0)
#define CMD_CALL    (1u << 1)
#define CMD_INSPECT (1u << 2)
#define CMD_ALL	    (CMD_RUN | CMD_CALL | CMD_INSPECT)

#define CLI_STATUSES(X)                                                                           \
	X(EXIT_USAGE, 120, "usage",                                                               \
	  "usage error: bad command, option, size, duration, count or argument", CMD_ALL)         \
	X(EXIT_LOAD, 121, "load",                                                                 \
	  "the guest cannot be loaded: unreadable file, bad ELF, does not fit", CMD_ALL)          \
	X(EXIT_KVM, 122, "kvm", "KVM unavailable (/dev/kvm missing or not permitted) or failed",  \
	  CMD_RUN | CMD_CALL)                                                                     \
	X(EXIT_FAULT, 123, "fault", "the guest faulted: CPU exception, triple fault, bad buffer", \
	  CMD_RUN | CMD_CALL)                                                                     \
	X(EXIT_TIMEOUT, 124, "timeout", "the guest ran past --timeout and was stopped",           \
	  CMD_RUN | CMD_CALL)                                                                     \
	X(EXIT_ABORT, 125, "abort", "the guest aborted", CMD_RUN | CMD_CALL)                      \
	X(EXIT_CALL, 126, "call",                                                                 \
	  "call failed: no such function, guest error or malformed result", CMD_CALL)

#define CLI_STATUS_ENUM(e, n, s, m, c) e = n,
enum { CLI_STATUSES(CLI_STATUS_ENUM) };
#undef CLI_STATUS_ENUM

#endif
