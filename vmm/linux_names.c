/* SPDX-License-Identifier: MIT */
/* linux_names.c: names of x86-64 Linux system calls, for traces and messages. */
#include <stddef.h>
#include <stdint.h>

#include "linux.h"

static const char *const names[] = {
	[0] = "read", [1] = "write", [2] = "open", [3] = "close", [4] = "stat", [5] = "fstat",
	[6] = "lstat", [7] = "poll", [8] = "lseek", [9] = "mmap", [10] = "mprotect",
	[11] = "munmap", [12] = "brk", [13] = "rt_sigaction", [14] = "rt_sigprocmask",
	[15] = "rt_sigreturn", [16] = "ioctl", [17] = "pread64", [18] = "pwrite64",
	[19] = "readv", [20] = "writev", [21] = "access", [22] = "pipe", [23] = "select",
	[24] = "sched_yield", [25] = "mremap", [26] = "msync", [27] = "mincore",
	[28] = "madvise", [32] = "dup", [33] = "dup2", [34] = "pause", [35] = "nanosleep",
	[39] = "getpid", [41] = "socket", [42] = "connect", [56] = "clone", [57] = "fork",
	[58] = "vfork", [59] = "execve", [60] = "exit", [61] = "wait4", [62] = "kill",
	[63] = "uname", [72] = "fcntl", [79] = "getcwd", [80] = "chdir", [89] = "readlink",
	[96] = "gettimeofday", [97] = "getrlimit", [98] = "getrusage", [99] = "sysinfo",
	[100] = "times", [102] = "getuid", [104] = "getgid", [107] = "geteuid",
	[108] = "getegid", [110] = "getppid", [111] = "getpgrp", [131] = "sigaltstack",
	[157] = "prctl",
	[158] = "arch_prctl", [186] = "gettid", [200] = "tkill", [201] = "time",
	[202] = "futex", [204] = "sched_getaffinity", [217] = "getdents64",
	[218] = "set_tid_address", [228] = "clock_gettime", [229] = "clock_getres",
	[230] = "clock_nanosleep", [231] = "exit_group", [234] = "tgkill", [257] = "openat",
	[262] = "newfstatat", [267] = "readlinkat", [269] = "faccessat", [270] = "pselect6",
	[271] = "ppoll", [273] = "set_robust_list", [293] = "pipe2", [302] = "prlimit64",
	[318] = "getrandom", [332] = "statx", [334] = "rseq", [435] = "clone3",
	[439] = "faccessat2",
};

const char *linux_syscall_name(uint64_t nr)
{
	return nr < sizeof(names) / sizeof(names[0]) ? names[nr] : NULL;
}
