/* SPDX-License-Identifier: MIT */
/*
 * kvmlet.h: run untrusted code as sandboxed guest functions in micro-VMs on
 * Linux KVM.
 *
 * Use: fill a struct kvmlet_config (kvmlet_config_default), create a sandbox
 * from a guest ELF (kvmlet_sandbox_new), optionally set an output callback,
 * then kvmlet_run it. Every function returns 0 or a negative errno-style code
 * and, when given a struct kvmlet_error, a one-line message that says what
 * went wrong and where. The library never prints, exits or aborts.
 *
 * Threads: a sandbox is used by one thread at a time; different sandboxes may
 * be used from different threads at once.
 *
 * Signals and threads: kvmlet owns the signal KVMLET_KICK_SIGNAL (SIGRTMIN).
 * Creating the first VM installs its handler (and fails with -EBUSY if the
 * application has a handler of its own for it) and starts one watchdog
 * thread for the process, which kicks a run past its time limit out of
 * KVM_RUN with that signal; kvmlet_cancel kicks the same way; a Linux
 * program's ticks (its timers, its threads' turns) kick it only while the
 * guest is in KVM_RUN, never in a host function. Kicks go only to a thread
 * while it runs a sandbox, and have arrived when the run returns. Do not
 * block, ignore or re-handle that signal.
 */
#ifndef KVMLET_H
#define KVMLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVMLET_VERSION_MAJOR 0
#define KVMLET_VERSION_MINOR 1
#define KVMLET_VERSION_PATCH 0

#define KVMLET_KICK_SIGNAL SIGRTMIN

/* An error: code is the negative errno-style value also returned. */
struct kvmlet_error {
	int code;
	char msg[256];
};

/* Limits and sizes of a sandbox. Sizes are in bytes and 4 KiB multiples. */
struct kvmlet_config {
	uint64_t mem_size;   /* guest memory, default 16 MiB, 4 MiB .. 64 GiB */
	uint64_t stack_size; /* guest stack, default 64 KiB; a guard page lies below.
				0: chosen for the program: Linux's 8 MiB (at most
				1/32 of memory, and what the image leaves) for one
				built by a Linux toolchain (it has PT_GNU_STACK),
				64 KiB for others (kvmlet's guests) */
	uint64_t heap_size;  /* heap mapped before start, default 256 KiB; the guest
				may map more of its free memory itself */
	uint64_t timeout_ns; /* wall-clock limit of one run, 0 for none (default);
				one that would end past the clock's range
				(UINT64_MAX) is none too */
	uint64_t max_output; /* bytes of guest output passed on per run, default
				1 MiB; the rest is dropped and reported */
	uint64_t args_size;  /* call argument buffer, default 256 KiB: bounds the
				encoded arguments of one call */
	uint64_t result_size; /* call result buffer, default 256 KiB */
	uint64_t hostcall_size; /* host-call buffer (guest requests and their
				   results), default 256 KiB */
	bool reset_each_call;	/* kvmlet_call resets the sandbox before every call
				   but the first (default false) */
	bool strict_syscalls;	/* a Linux system call kvmlet does not provide ends
				   the run as a fault naming it, instead of -ENOSYS
				   to the program (default false) */
};

/* Fill cfg with the defaults above. */
void kvmlet_config_default(struct kvmlet_config *cfg);

struct kvmlet_sandbox;

/*
 * kvmlet_sandbox_new: load a guest ELF (static x86-64 ET_EXEC linked with
 * guest/kvmlet.ld) into fresh guest memory and build its page tables. The
 * caller keeps ownership of elf, which is not referenced after the call; the
 * sandbox belongs to the caller until kvmlet_sandbox_free. KVM is not opened
 * yet (kvmlet_run does it), so this also works where /dev/kvm is missing.
 * cfg NULL: kvmlet_config_default's. Errors: -EINVAL bad config (or out
 * NULL, or elf NULL with a size), -ENOEXEC the ELF is refused (the message names
 * the check that failed), -E2BIG it does not fit in guest memory, -ENOMEM.
 */
int kvmlet_sandbox_new(struct kvmlet_sandbox **out, const void *elf, size_t elf_size,
		       const struct kvmlet_config *cfg, struct kvmlet_error *err);

/*
 * kvmlet_sandbox_new_from_file: kvmlet_sandbox_new with the ELF read from
 * path (a regular file, at most 256 MiB); the file is closed and its bytes
 * freed before it returns. *out is NULL on failure. Errors: those of
 * kvmlet_sandbox_new, plus the negative errno of open or read (-ENOENT,
 * -EACCES...), -EINVAL not a regular file, -EFBIG larger than 256 MiB; the
 * message starts with the path.
 */
int kvmlet_sandbox_new_from_file(struct kvmlet_sandbox **out, const char *path,
				 const struct kvmlet_config *cfg, struct kvmlet_error *err);

/*
 * kvmlet_sandbox_free: release a sandbox and everything it holds; NULL is
 * fine. Its VM and vCPU are not torn down but kept as a warm shell for the
 * next sandbox this process starts (kvmlet_sandbox_from_template, or the
 * start of one from kvmlet_sandbox_new: prepare, init, run; a pool of at
 * most 8, each holding two descriptors and KVM's memory for one VM and
 * vCPU); when the pool is full they are destroyed, except the first VM the
 * process would destroy: it stays, empty and idle, for the life of the process
 * (one descriptor, never run or handed out again), because while one vCPU
 * of this kind exists KVM does not patch kernel code at every vCPU creation
 * and VM teardown (most of a vCPU's creation cost). A kept shell is emptied
 * first: its memory slot deleted (KVM drops every mapping of the guest's
 * memory and its dirty log), an instruction KVM left half-done finished
 * without running guest code, pending events cleared. The next user gets a
 * new memory slot and loads the complete vCPU state (registers, special and
 * debug registers, XSAVE, MSRs, events, CR8; a cold start a new vCPU's,
 * then its own setup): nothing of this guest reaches it. Works under
 * kvmlet_seccomp_install.
 */
void kvmlet_sandbox_free(struct kvmlet_sandbox *sb);

/*
 * Guest output (what the guest prints) goes to fn, called during kvmlet_run
 * with bytes that are valid only during the call. Without one it is dropped.
 */
typedef void (*kvmlet_output_fn)(void *arg, const char *buf, size_t len);
void kvmlet_set_output(struct kvmlet_sandbox *sb, kvmlet_output_fn fn, void *arg);

/*
 * Linux programs. kvmlet runs static x86-64 Linux executables (musl or glibc,
 * ET_EXEC or static PIE) as well as its own guests: the guest's ring-0
 * kernel serves memory system calls itself and hands I/O, clocks and
 * randomness to the host in one exit each (docs/linux.md). These set what the
 * program sees; call them before kvmlet_run.
 *
 * kvmlet_set_args: argv (argc strings; argv[0] is the program's name as given)
 * and the environment (NULL-terminated envp, NULL for none); both copied.
 * Errors: -EBUSY after the start, -E2BIG more than 256 KiB, -ENOMEM.
 */
int kvmlet_set_args(struct kvmlet_sandbox *sb, int argc, const char *const *argv,
		    const char *const *envp, struct kvmlet_error *err);

/*
 * kvmlet_set_stdio: host descriptors for the program's standard input, output
 * and error; they stay the caller's (not closed). -1 (the default): input at
 * end of file, output and error through the output callback. Output counts
 * against max_output either way. A read of in_fd that would wait (a terminal,
 * a pipe) waits only for its thread: the program's others run meanwhile, and
 * the host polls in_fd whenever none can (with kvmlet_set_determinism's seed,
 * the read waits in the host).
 */
void kvmlet_set_stdio(struct kvmlet_sandbox *sb, int in_fd, int out_fd, int err_fd);

/*
 * kvmlet_allow_file: the program may open host_path read-only, as guest_path
 * (absolute, "." ".." and repeated slashes resolved; NULL: the same path);
 * it sees it in read-only directories, guest_path's parents (with "/" and
 * /dev); every other path is ENOENT. A host file with an x bit shows mode
 * 0555 and may be run by the program's execve (a static ELF, or a "#!"
 * script naming one: docs/linux.md); others 0444. The file is opened now (so
 * a later seccomp filter need not allow open) and closed with the sandbox. Errors:
 * the errno of open, -EINVAL not a regular file, a relative guest path, or
 * one that is a directory of the tree, a device's, one of the links to
 * descriptors' (/dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/..., /proc/self/fd/...),
 * one of the /proc files kvmlet provides (/proc/self/maps, /proc/meminfo,
 * /proc/mounts...: docs/linux.md) or under another file, -ENOSPC more than 64 files or 1024
 * directories.
 */
int kvmlet_allow_file(struct kvmlet_sandbox *sb, const char *host_path, const char *guest_path,
		      struct kvmlet_error *err);

/*
 * kvmlet_set_determinism: seed != 0 makes runs reproducible: the clock starts
 * at a fixed time and advances 1 ms per reading (sleeps advance it without
 * waiting), and getrandom and AT_RANDOM come from the seed. 0: the host's.
 */
void kvmlet_set_determinism(struct kvmlet_sandbox *sb, uint64_t seed);

/*
 * kvmlet_signal: send signal signo (1..64) to the program in sb from outside,
 * as another process's kill(2) would: si_code SI_USER, si_pid and si_uid 0
 * (as a sender outside the program's pid namespace appears). Any thread may
 * call it while sb lives (not a signal handler: it takes a lock), whether a
 * run is in progress or not. The program takes it at its next system call, in code
 * that makes none within about a millisecond (an interrupt, as ticks are),
 * and it ends a wait the host serves for it (a sleep, a read of its standard
 * input, a wait with nothing to run) as Linux's would: EINTR when a handler
 * runs (the read repeated under SA_RESTART), the wait repeated when none
 * does; never an application's host function. What the program does with
 * it is its own: a handler, ignoring or blocking it, or the default action,
 * which for most signals ends the run ("killed by signal N", -ECONNABORTED,
 * KVMLET_ABORTED). Until taken it is pending, once per signal as Linux's
 * standard signals are; a reset drops what was not taken. kvmlet's own
 * guests (calls) take them as their Linux system calls do. Errors: -EINVAL
 * signo out of range.
 */
int kvmlet_signal(struct kvmlet_sandbox *sb, int signo, struct kvmlet_error *err);

/*
 * kvmlet_set_ignored_signals: a Linux program starts with the signals of mask
 * ignored (bit s - 1 for signal s), as Linux's exec keeps the dispositions it
 * found ignored: pass the ones your process ignores (nohup's SIGHUP, a
 * background job's SIGINT and SIGQUIT) to launch the program as a shell
 * would; it may install handlers later. The rest start as SIG_DFL; a reset
 * brings back these. Call it before the program starts. Errors: -EBUSY after
 * that, -EINVAL for SIGKILL or SIGSTOP (9, 19), which cannot be ignored.
 */
int kvmlet_set_ignored_signals(struct kvmlet_sandbox *sb, uint64_t mask, struct kvmlet_error *err);

/*
 * kvmlet_set_processes: how many processes a Linux program may have at once,
 * itself, fork's children and the zombies not yet waited for (1..16, 16 by
 * default; 1: fork always fails). Each child is a sandbox of its own: a VM
 * (a warm shell when one is kept, kvmlet_shells_warm: under
 * kvmlet_seccomp_install's filter there is no other way to have one) and up
 * to the guest memory's size in host memory. Beyond it, fork fails with
 * EAGAIN, as Linux's at RLIMIT_NPROC. Errors: -EINVAL outside 1..16, -EBUSY
 * once the program has started.
 */
int kvmlet_set_processes(struct kvmlet_sandbox *sb, unsigned n, struct kvmlet_error *err);

/*
 * kvmlet_expect_signals: on (off by default): a program all of whose threads
 * wait with no time limit while one waits for a signal (pause,
 * rt_sigsuspend, sigwait) waits for kvmlet_signal, as on Linux, until the
 * run's time limit or kvmlet_cancel; off: the run ends then with "deadlock"
 * (-ECONNABORTED), since nothing could ever wake it. The CLI sets it, and
 * forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2.
 */
void kvmlet_expect_signals(struct kvmlet_sandbox *sb, bool on);

/* How a run ended. */
enum kvmlet_outcome {
	KVMLET_EXITED,	   /* the guest exited; status holds its status */
	KVMLET_ABORTED,	   /* the guest called kvmlet_abort; message holds its text */
	KVMLET_FAULTED,	   /* a CPU exception, triple fault or bad exit; see fields */
	KVMLET_TIMED_OUT,  /* the run passed its time limit and was stopped */
	KVMLET_CANCELLED,  /* kvmlet_cancel stopped it */
	KVMLET_HOST_ERROR, /* the host failed (a KVM ioctl, memory): not the guest's doing;
			    * the function's error says why */
};

struct kvmlet_result {
	enum kvmlet_outcome outcome;
	int status;	       /* KVMLET_EXITED */
	int vector;	       /* KVMLET_FAULTED by an exception: its vector, else -1 */
	uint64_t error_code;   /* the exception's error code, if it has one */
	uint64_t rip;	       /* where it happened */
	uint64_t cr2;	       /* page faults: the address */
	bool output_truncated; /* the guest printed more than max_output */
	char message[512];     /* human-readable: "page fault at RIP 0x... writing ..." */
};

/*
 * kvmlet_run: start the guest at its entry point (at CPL3) and run it until
 * it exits, aborts, faults or times out; the outcome goes to *res. Returns 0
 * if the guest exited (whatever its status), -ECONNABORTED if it aborted,
 * -EFAULT if it faulted, -ETIMEDOUT if it timed out; err then repeats
 * res->message; -EPROTO if the guest reported a malformed export table.
 * Host-side failures: -ENOENT / -EACCES / -ENODEV for /dev/kvm
 * missing, not permitted or unusable (the message says which), -EIO for a
 * KVM failure, -EALREADY if the sandbox has already run (a sandbox runs once).
 */
int kvmlet_run(struct kvmlet_sandbox *sb, struct kvmlet_result *res, struct kvmlet_error *err);

/* --- calls: guest functions and host functions --- */

#define KVMLET_MAX_ARGS 16 /* arguments of one call */

/* Value types (the numbers are the ABI's). Signatures use one letter each:
 * i I64, u U64, d F64, b BOOL, s STR, y BYTES, and v for "no result". */
enum kvmlet_type {
	KVMLET_TYPE_VOID = 0,
	KVMLET_TYPE_I64 = 1,
	KVMLET_TYPE_U64 = 2,
	KVMLET_TYPE_F64 = 3,
	KVMLET_TYPE_BOOL = 4,
	KVMLET_TYPE_STR = 5,   /* UTF-8, length-counted; checked when it comes from a guest */
	KVMLET_TYPE_BYTES = 6,
};

/* A typed value. Strings and bytes are (ptr, len) views; who owns them is
 * said where values are passed. */
struct kvmlet_value {
	uint32_t type; /* enum kvmlet_type */
	union {
		int64_t i64;
		uint64_t u64;
		double f64;
		bool b;
		struct {
			const void *ptr;
			size_t len;
		} buf;
	};
};

static inline struct kvmlet_value kvmlet_i64(int64_t v)
{
	struct kvmlet_value x = {.type = KVMLET_TYPE_I64, .i64 = v};
	return x;
}
static inline struct kvmlet_value kvmlet_u64(uint64_t v)
{
	struct kvmlet_value x = {.type = KVMLET_TYPE_U64, .u64 = v};
	return x;
}
static inline struct kvmlet_value kvmlet_f64(double v)
{
	struct kvmlet_value x = {.type = KVMLET_TYPE_F64, .f64 = v};
	return x;
}
static inline struct kvmlet_value kvmlet_bool(bool v)
{
	struct kvmlet_value x = {.type = KVMLET_TYPE_BOOL, .b = v};
	return x;
}
static inline struct kvmlet_value kvmlet_str(const char *s, size_t len)
{
	struct kvmlet_value x = {.type = KVMLET_TYPE_STR, .buf = {s, len}};
	return x;
}
static inline struct kvmlet_value kvmlet_bytes(const void *p, size_t len)
{
	struct kvmlet_value x = {.type = KVMLET_TYPE_BYTES, .buf = {p, len}};
	return x;
}

/*
 * A host function. args were checked against its signature (count and
 * types; strings are valid UTF-8) and point into a copy that lives until the
 * function returns. Set *result (of the signature's result type; strings and
 * bytes must stay valid until the function returns: they are copied then)
 * and return 0, or return a negative value and write a message into
 * errmsg (errlen bytes): the guest then sees its host call fail with it.
 * A host function must not call into its own sandbox (-EDEADLK).
 */
typedef int (*kvmlet_host_fn)(void *arg, const struct kvmlet_value *args, unsigned nargs,
			      struct kvmlet_value *result, char *errmsg, size_t errlen);

/*
 * kvmlet_register: let the guest call fn as name with signature sig (e.g.
 * "ii:i"); the guest can call nothing else. Only before the sandbox is
 * initialised. Errors: -EINVAL bad name or signature, -EEXIST name taken,
 * -EBUSY already initialised, -ENOSPC too many (at most 64).
 */
int kvmlet_register(struct kvmlet_sandbox *sb, const char *name, const char *sig,
		    kvmlet_host_fn fn, void *arg, struct kvmlet_error *err);

/*
 * kvmlet_init: start the guest (KVM is opened here) and run its start-up up
 * to the point where it reports its exported functions. kvmlet_call does it
 * on first use. Errors as kvmlet_run, plus -EPROTO for a malformed export
 * table, -EBUSY if already initialised or used with kvmlet_run.
 */
int kvmlet_init(struct kvmlet_sandbox *sb, struct kvmlet_error *err);

/*
 * kvmlet_call: call the guest function name with nargs arguments, checked
 * against its signature before the guest runs. One VM entry and one exit when
 * the function makes no host calls. On success *result holds its result;
 * strings and bytes in it point into memory the sandbox owns, valid until the
 * next call on it or kvmlet_sandbox_free. Errors: -ENOSYS no such function,
 * -EINVAL wrong argument count or type, -E2BIG arguments too large for the
 * argument buffer, -EREMOTEIO the guest function reported an error (the
 * message is the guest's), -EDEADLK called from one of this sandbox's host
 * functions, and, leaving the sandbox poisoned: -EFAULT guest fault,
 * -ETIMEDOUT, -ECANCELED (kvmlet_cancel), -ECONNABORTED guest abort,
 * -EPROTO malformed result (wrong type, bogus lengths or offsets, too large).
 * A poisoned sandbox refuses calls with -ENOTRECOVERABLE until kvmlet_reset.
 */
int kvmlet_call(struct kvmlet_sandbox *sb, const char *name, const struct kvmlet_value *args,
		unsigned nargs, struct kvmlet_value *result, struct kvmlet_error *err);

/* One call of a batch: the function's name and its arguments (the caller's,
 * read only during kvmlet_call_batch). */
struct kvmlet_batch_call {
	const char *name;
	const struct kvmlet_value *args;
	unsigned nargs;
};

/* One call's outcome in a batch. */
struct kvmlet_batch_result {
	int status; /* 0, or -ENOSYS no such function, -EINVAL wrong argument count
		       or type (neither sent to the guest), -EREMOTEIO the guest
		       function failed; -ECANCELED: the batch failed as a whole */
	struct kvmlet_value value; /* status 0: the result; otherwise a
				      KVMLET_TYPE_STR message saying why */
};

#define KVMLET_BATCH_MAX_CALLS 1024 /* calls in one batch */

/*
 * kvmlet_call_batch: call n guest functions, in order, in one VM entry and
 * one exit (more only for host calls they make). calls[i] and the values it
 * points to stay the caller's. Each call's outcome is in results[i] (n
 * slots, the caller's): a result or an error, separate from the others, so
 * a failing call does not stop the rest. Strings and bytes in results point
 * into memory the sandbox owns, valid until the next call on it or
 * kvmlet_sandbox_free. The batch is one call for reset_each_call, the time
 * limit and kvmlet_cancel. Returns how many calls failed (0: all succeeded),
 * or, for the batch as a whole (every status then -ECANCELED): -E2BIG more
 * than KVMLET_BATCH_MAX_CALLS calls, their arguments too large for the
 * argument buffer, or a result buffer smaller than the batch needs (16 +
 * 312 bytes per call); -EDEADLK, -ENOTRECOVERABLE as kvmlet_call; and,
 * leaving the sandbox poisoned as kvmlet_call does: -EFAULT, -ETIMEDOUT,
 * -ECANCELED, -ECONNABORTED, -EPROTO (a malformed result of any call).
 * n = 0 does nothing and returns 0.
 */
int kvmlet_call_batch(struct kvmlet_sandbox *sb, const struct kvmlet_batch_call *calls,
		      unsigned n, struct kvmlet_batch_result *results, struct kvmlet_error *err);

/*
 * kvmlet_reset: bring the sandbox back to its snapshot, taken when it started
 * (after start-up for calls; before the first instruction for kvmlet_run):
 * guest memory, page tables and vCPU state, so nothing of earlier calls or
 * runs remains. Cost follows the pages dirtied since (KVM's dirty log plus
 * what the host wrote), restored in place. Works after a fault, timeout or
 * cancel too; a kvmlet_run sandbox can then run again. A sandbox that never
 * started has nothing to reset (0). Errors: -EIO, -EDEADLK from a host function.
 */
int kvmlet_reset(struct kvmlet_sandbox *sb, struct kvmlet_error *err);

/* Pages the last kvmlet_reset restored. */
uint64_t kvmlet_last_reset_pages(const struct kvmlet_sandbox *sb);

/*
 * kvmlet_cancel: stop the run or call in progress on sb, from any thread. It
 * ends with -ECANCELED (KVMLET_CANCELLED) and leaves the sandbox poisoned
 * until kvmlet_reset. A cancel that finds nothing running is discarded
 * (-ESRCH); one that races with the end of a call either cancels it or is
 * discarded, never the next call. With exit-less calls (kvmlet_set_exitless)
 * a cancel between calls finds the guest polling and stops that instead
 * (0; the next call is unaffected). Async-signal-safe it is not.
 */
int kvmlet_cancel(struct kvmlet_sandbox *sb);

/*
 * kvmlet_set_exitless: calls without exits (opt-in; spin_us 0 turns it off).
 * The sandbox gets a thread of its own that keeps its vCPU running: after a
 * call the guest polls shared memory for the next one for spin_us
 * microseconds before it exits, and kvmlet_call posts calls there and polls
 * for the result (the same time, then sleeps), so a call that finds the guest
 * polling costs no VM exit and no system call. Host functions still run on
 * the calling thread; console output and other exits are handled on the
 * sandbox's thread. An idle sandbox burns no CPU once spin_us has passed. The
 * time limit and kvmlet_cancel apply as before; kvmlet_reset, templates and
 * kvmlet_sandbox_free stop the thread's run first (KVM then moves the vCPU
 * between threads, which costs it an RCU grace period: exit-less calls suit
 * many calls between resets). Starts the sandbox if it was not. Errors:
 * -EINVAL spin_us above 100000 or reset_each_call set; -ENOTSUP a guest
 * runtime without the call ring, or no TSC frequency from KVM; -EPERM after
 * kvmlet_seccomp_install (a new thread is refused there); -ENOTRECOVERABLE a
 * poisoned sandbox; -EDEADLK from a host function; as kvmlet_init.
 */
int kvmlet_set_exitless(struct kvmlet_sandbox *sb, unsigned spin_us, struct kvmlet_error *err);

/* --- templates and pools: many sandboxes from one initialised guest --- */

struct kvmlet_template;
struct kvmlet_pool;

/*
 * kvmlet_template_new: capture sb's snapshot (sb initialised with kvmlet_init;
 * its host functions come along) as a template. sb stays the caller's and
 * independent. The template is shared read-only by the sandboxes made from it
 * (copy-on-write); it is never modified by them. *out is NULL on failure.
 * Errors: -EINVAL sb not initialised (or out or sb NULL), -ENOMEM, -EIO.
 */
int kvmlet_template_new(struct kvmlet_template **out, const struct kvmlet_sandbox *sb,
			struct kvmlet_error *err);

/* Drop the caller's reference; the template lives on while sandboxes use it. */
void kvmlet_template_free(struct kvmlet_template *t);

/*
 * kvmlet_sandbox_from_template: a new sandbox in the template's initialised
 * state, with its own VM and vCPU and guest memory that shares the template's
 * pages until it writes them; ready for kvmlet_call. The VM and vCPU are a
 * warm shell a kvmlet_sandbox_free left when there is one (no VM is created:
 * this also works under kvmlet_seccomp_install), else new. Free it with
 * kvmlet_sandbox_free. *out is NULL on failure. Errors as kvmlet_init (KVM
 * unavailable: -ENOENT, ...), -EINVAL out or t NULL.
 */
int kvmlet_sandbox_from_template(struct kvmlet_sandbox **out, struct kvmlet_template *t,
				 struct kvmlet_error *err);

/*
 * kvmlet_shells_warm: create VMs with their vCPU now, until this process
 * keeps n warm shells (at most 8, the shells' pool; see kvmlet_sandbox_free),
 * so that the next kvmlet_sandbox_from_template calls create none: creating a
 * VM is most of what a sandbox from a template costs, and under
 * kvmlet_seccomp_install's filter it is not allowed at all (warm shells
 * first, then the filter). Each shell holds two descriptors and KVM's memory
 * for one VM and vCPU, and no guest memory. Returns how many shells the
 * process keeps now (n or more: frees keep theirs too), or a negative error:
 * -ENOENT no /dev/kvm, -EPERM under the filter (none is created), errors of
 * KVM_CREATE_VM/KVM_CREATE_VCPU (-EMFILE, -ENOMEM...); the shells made
 * before an error stay. Thread-safe.
 */
int kvmlet_shells_warm(unsigned n, struct kvmlet_error *err);

/*
 * A pool keeps n sandboxes from template t ready. kvmlet_pool_acquire hands
 * one out (making a new one if all are in use); kvmlet_pool_release resets it
 * and takes it back (freeing it if the pool is full or the reset fails). Both
 * are thread-safe; a sandbox is used by one thread at a time.
 * kvmlet_pool_new: *out NULL on failure; -EINVAL out or t NULL, the errors of
 * kvmlet_sandbox_from_template.
 */
int kvmlet_pool_new(struct kvmlet_pool **out, struct kvmlet_template *t, unsigned n,
		    struct kvmlet_error *err);
int kvmlet_pool_acquire(struct kvmlet_pool *p, struct kvmlet_sandbox **sb,
			struct kvmlet_error *err);
int kvmlet_pool_release(struct kvmlet_pool *p, struct kvmlet_sandbox *sb,
			struct kvmlet_error *err);
void kvmlet_pool_free(struct kvmlet_pool *p);

/* The guest's exported functions, after kvmlet_init: count, and name and
 * signature of the i-th (NULL if out of range). Before kvmlet_init (or
 * without KVM), kvmlet_image_exports reads the same list from the file. */
unsigned kvmlet_export_count(const struct kvmlet_sandbox *sb);
const char *kvmlet_export_name(const struct kvmlet_sandbox *sb, unsigned i, const char **sig);

/*
 * kvmlet_image_exports: list the functions a guest ELF exports (its
 * KVMLET_EXPORT table) from the image alone: nothing is loaded or run and no
 * KVM is needed, so a host can check a guest before kvmlet_init. fn (may be
 * NULL) gets each name and signature (valid during the call) in table order,
 * the order kvmlet_export_name uses after kvmlet_init, and returns 0 to go on.
 * The caller keeps elf. Returns the number of exports (0 for a guest without
 * any, or one linked without the .kvmlet_exports section), fn's nonzero
 * value, or -ENOEXEC: the ELF or its export table is malformed (the message
 * says how). kvmlet_file_exports does the same for the file at path (errors
 * of kvmlet_sandbox_new_from_file's reading, too).
 */
typedef int (*kvmlet_export_list_fn)(void *arg, const char *name, const char *sig);
int kvmlet_image_exports(const void *elf, size_t size, kvmlet_export_list_fn fn, void *arg,
			 struct kvmlet_error *err);
int kvmlet_file_exports(const char *path, kvmlet_export_list_fn fn, void *arg,
			struct kvmlet_error *err);

/* The name of a value type (enum kvmlet_type): "void", "i64", "u64", "f64",
 * "bool", "str", "bytes", or "?" for anything else. Messages use these names. */
const char *kvmlet_type_name(uint32_t type);

/* One VM exit, for tracing: what a guest author looks at first. */
struct kvmlet_exit_info {
	uint32_t reason;  /* KVM_EXIT_* from <linux/kvm.h> (2 = I/O, 5 = halt, 8 = shutdown...) */
	uint32_t port;	  /* I/O exits: the port; else 0 */
	uint64_t rip;	  /* guest RIP at the exit */
	uint64_t ns;	  /* since the run or call began */
	const char *what; /* "exit", "print", "abort", "ready", "return", "host call",
			     "exception", "io", "mmio", "halt", "shutdown", "signal",
			     "syscall", ... */
	/* "syscall": a Linux system call, reported once served, with its result.
	 * Calls the guest's kernel serves itself are reported only while tracing
	 * (each then costs an exit) and have in_guest set. */
	uint64_t sys_nr;
	const char *sys_name; /* "mmap", ...; NULL for a number kvmlet has no name for */
	int64_t sys_result;   /* a value, or -errno */
	bool in_guest;
};

/*
 * kvmlet_set_trace: call fn for every VM exit of sb's runs and calls, before
 * the exit is handled (NULL stops tracing); Linux system calls after they are
 * served, with their results. Set it before the guest starts to see the
 * system calls served inside the guest too. fn must not call into sb.
 */
typedef void (*kvmlet_trace_fn)(void *arg, const struct kvmlet_exit_info *e);
void kvmlet_set_trace(struct kvmlet_sandbox *sb, kvmlet_trace_fn fn, void *arg);

/* Permissions in a memory map entry. */
#define KVMLET_PROT_WRITE (1u << 0)
#define KVMLET_PROT_EXEC  (1u << 1)
#define KVMLET_PROT_USER  (1u << 2)

/* One run of the guest's virtual memory map, as its page tables say. */
struct kvmlet_mapping {
	uint64_t va, pa, len;
	uint32_t prot; /* KVMLET_PROT_*, effective over all table levels */
	uint64_t leaf; /* page size: 4096, 2 MiB or 1 GiB (the smallest in the run) */
};

/*
 * kvmlet_memory_map: call fn for every mapped run of the guest's address
 * space in ascending order, read from the live page tables (so it includes
 * whatever the guest mapped itself). fn returns 0 to go on. Returns 0, fn's
 * nonzero value, or -EUCLEAN if the tables are corrupt (the message says how).
 */
typedef int (*kvmlet_mapping_fn)(void *arg, const struct kvmlet_mapping *m);
int kvmlet_memory_map(struct kvmlet_sandbox *sb, kvmlet_mapping_fn fn, void *arg,
		      struct kvmlet_error *err);

/* One loaded ELF segment. */
struct kvmlet_segment {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t prot; /* KVMLET_PROT_* */
};

/* Whether sb's guest was linked by a Linux toolchain (it has PT_GNU_STACK: a
 * static Linux program, musl, glibc, Go...) rather than with kvmlet's guest
 * runtime (kvmlet.ld). Both may make Linux system calls; the CLI prepares
 * VMs for the former's fork only. */
bool kvmlet_is_linux_program(const struct kvmlet_sandbox *sb);

/* Number of loaded segments, and segment i (0 or -ERANGE). */
unsigned kvmlet_segment_count(const struct kvmlet_sandbox *sb);
int kvmlet_segment(const struct kvmlet_sandbox *sb, unsigned i, struct kvmlet_segment *seg);

/* The guest's entry point. */
uint64_t kvmlet_entry(const struct kvmlet_sandbox *sb);

/* The guest's stack size in bytes: the configured one, or the one chosen
 * for the program when the configuration said 0. */
uint64_t kvmlet_stack_size(const struct kvmlet_sandbox *sb);

/*
 * kvmlet_read_guest: copy len bytes at guest-physical gpa into buf. Returns 0
 * or -EFAULT if any byte lies outside guest memory.
 */
int kvmlet_read_guest(const struct kvmlet_sandbox *sb, uint64_t gpa, void *buf, size_t len);

/*
 * kvmlet_translate: translate guest virtual va through the live page tables.
 * On success *pa and *prot (KVMLET_PROT_*) are set. -ENXIO not mapped,
 * -EUCLEAN corrupt tables, -EINVAL non-canonical.
 */
int kvmlet_translate(const struct kvmlet_sandbox *sb, uint64_t va, uint64_t *pa, uint32_t *prot);

/* --- host hardening: set up first, then restrict the process (issue #6) --- */

/*
 * kvmlet_prepare: open KVM and create sb's VM and vCPU (or take a warm
 * shell, see kvmlet_sandbox_free), ready to enter the guest, without running
 * any guest code. kvmlet_run and kvmlet_init do this
 * themselves if it has not been done; call it first when something must
 * happen between creating the VM and the guest's first instruction, such as
 * kvmlet_seccomp_install (which forbids opening /dev/kvm). Calling it again
 * does nothing. Errors: as kvmlet_run for KVM (-ENOENT, -EACCES, -ENODEV,
 * -EIO), -EBUSY if sb has already started.
 */
int kvmlet_prepare(struct kvmlet_sandbox *sb, struct kvmlet_error *err);

enum kvmlet_seccomp_mode {
	KVMLET_SECCOMP_OFF = 0, /* install nothing */
	KVMLET_SECCOMP_LOG = 1, /* allow everything, log calls outside the list (kernel audit log) */
	KVMLET_SECCOMP_ON = 2,	/* a call outside the list kills the process (SIGSYS) */
};

/*
 * kvmlet_seccomp_install: restrict the whole process (every thread, now and
 * later) to the system calls needed to run sandboxes that already exist:
 * KVM_RUN and the few vCPU/VM ioctls of calls and resets, write to
 * stdout and stderr, memory allocation (nothing executable), futexes, the run
 * timer and the kick signal, close, exit. The list and its reasons are in
 * docs/security.md. It cannot be undone. The library never installs it by
 * itself.
 * SECURITY NOTE: call it after every sandbox the process will use has been
 * created and started (kvmlet_prepare, kvmlet_init, kvmlet_sandbox_from_template,
 * a pool big enough: kvmlet_pool_acquire on an empty pool makes a sandbox):
 * opening /dev/kvm, creating a VM, opening files, sockets, fork/exec and new
 * threads are all refused afterwards. With KVMLET_SECCOMP_ON a refused call
 * kills the process at once (SECCOMP_RET_KILL_PROCESS, seen as SIGSYS), so an
 * output callback or host function that writes elsewhere than stdout/stderr,
 * opens a file or reads input kills it too.
 * Errors: -ENOSYS kvmlet was built without libseccomp, -EINVAL unknown mode,
 * -EALREADY already installed (once per process), -EOPNOTSUPP the kernel
 * lacks the action or the seccomp system call (Linux before 4.14; valgrind),
 * other negative errno values when the kernel refuses the filter (the message
 * says which).
 */
int kvmlet_seccomp_install(enum kvmlet_seccomp_mode mode, struct kvmlet_error *err);

#ifdef __cplusplus
}
#endif

#endif /* KVMLET_H */
