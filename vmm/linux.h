/* SPDX-License-Identifier: MIT */
/*
 * linux.h: the host side of Linux programs as guests (linux.c: arguments,
 * standard streams, allowed files, the initial stack; linux_sys.c: the system
 * calls the guest's kernel hands to the host; linux_fs.c: descriptors and
 * paths; linux_dir.c: the read-only directory tree; linux_fd.c: the
 * descriptor table and the devices; linux_pipe.c: pipes and epoll). Not
 * installed.
 */
#ifndef KVMLET_LINUX_H
#define KVMLET_LINUX_H

#include <stdbool.h>
#include <stdint.h>

#define LX_FILES_MAX 64	   /* --file entries */
#define LX_FDS_MAX   64	   /* guest descriptors 0..63: the RLIMIT_NOFILE reported */
#define LX_IO_MAX    65536 /* bytes one read or write moves (libc loops for more) */
#define LX_DIRS_MAX  1024  /* directories of the tree: "/", /dev, the --file paths' parents */
#define LX_PROCS_MAX 16	   /* processes at once (kvmlet_set_processes) */

struct lx_file {
	char *guest_path; /* what the program opens */
	int host_fd;	  /* opened read-only when allowed */
	bool exec;	  /* the host's file has an x bit: mode 0555, execve runs it */
};

/* What an open file description is (linux_fd.c). */
enum lx_kind {
	LX_FREE,
	LX_STDIN, /* kvmlet's standard streams: std[kind - LX_STDIN] */
	LX_STDOUT,
	LX_STDERR,
	LX_FILE,   /* files[file] */
	LX_DIR,	   /* dirs[file] (linux_dir.c), off: the next entry's position */
	LX_MAPS,   /* /proc/self/maps (linux_maps.c), off: where the next read starts */
	LX_FDDIR,  /* /proc/self/fd (linux_fdlink.c), off: the next entry's position */
	LX_PIPE_R, /* pipes->pipe[file]'s ends (linux_pipe.c; PIPE_R..EVENTFD in a row) */
	LX_PIPE_W,
	LX_EPOLL,   /* pipes->epoll[file] (linux_pipe.c) */
	LX_EVENTFD, /* pipes->pipe[file].count (linux_pipe.c) */
	LX_TIMERFD, /* pipes->pipe[file]'s timer (linux_timerfd.c; PIPE_R..TIMERFD made) */
	LX_NULL,    /* devices: /dev/null, /dev/zero, /dev/random, /dev/urandom */
	LX_ZERO,
	LX_RANDOM,
	LX_URANDOM,
};

enum { LX_LOCK_SH = 1, LX_LOCK_EX = 2 };

/* An open file description, shared by a descriptor and its duplicates, as
 * Linux's struct file; plain data, saved with the snapshot. */
struct lx_ofd {
	uint8_t kind;	/* enum lx_kind */
	uint8_t refs;	/* descriptors referring to it; 0: free */
	uint8_t lock;	/* its flock(2) lock: 0, LX_LOCK_SH or LX_LOCK_EX (linux_lock.c) */
	uint16_t cell;	/* 0: off is its own; else its offset is pipes->cell[cell - 1], shared
			 * with other processes' copies of it since a fork (lxs_off) */
	uint32_t flags; /* O_ACCMODE and the status flags kept (O_APPEND, O_NONBLOCK) */
	int file;	/* LX_FILE: index in files; LX_PIPE_*, LX_EVENTFD, LX_TIMERFD: in pipes->pipe;
			 * LX_EPOLL: in pipes->epoll */
	uint64_t off;
};

/* A guest descriptor: its description (-1: closed) and FD_CLOEXEC, which is
 * the descriptor's own (only recorded: no exec). */
struct lx_fd {
	int8_t ofd;
	bool cloexec;
};

#define LX_PIPES_MAX  8	   /* pipes, eventfds and timerfds at once (ENFILE beyond) */
#define LX_PIPE_BUF   4096 /* a pipe's capacity (Linux's PIPE_BUF: writes that fit are whole) */
#define LX_EPOLLS_MAX 4	   /* epoll instances at once */
#define LX_EPOLL_FDS  16   /* descriptors one epoll watches (ENOSPC beyond) */
#define LX_CELLS_MAX  128  /* offsets shared between processes (fork: EAGAIN beyond) */

/* What wakes an edge-triggered epoll's watch, as Linux's wake-ups do: data
 * came in, room was made, an end closed (counts, in struct lx_pipe.gen). */
enum { LX_GEN_IN, LX_GEN_OUT, LX_GEN_END, LX_GENS };

/* A pipe inside the program: its buffered bytes, and how many descriptions
 * have each end open (0 and 0: free). */
struct lx_pipe {
	uint16_t head, len;
	uint8_t readers, writers;
	uint32_t gen[LX_GENS];
	uint64_t count; /* an eventfd's counter; a timerfd's expirations not yet read */
	/* A timerfd's: the guest clock id, the next expiry on that clock (0: not
	 * armed) and the period (0: once). */
	int32_t clock;
	uint64_t next_ns, every_ns;
	char buf[LX_PIPE_BUF];
};

/* An epoll instance (owner: the pid of the process that made it; only its
 * descriptors are watched): what it watches, as Linux's, a descriptor number and
 * the description it had when added (ofd: an index in ofd[]; the watch goes
 * with the description), for which events, with the program's data; for an
 * edge-triggered one, the wake-ups (gen) it has seen, or pending: none yet. */
struct lx_epoll {
	uint8_t used, n;
	int32_t owner;
	struct {
		int32_t fd;
		int8_t ofd;
		bool pending;
		uint32_t events;
		uint32_t gen[LX_GENS];
		uint64_t data;
	} w[LX_EPOLL_FDS];
};

/* The descriptor table, as the snapshot saves it (no pointers, no host fds). */
struct lx_table {
	struct lx_fd fd[LX_FDS_MAX];
	struct lx_ofd ofd[LX_FDS_MAX]; /* never more descriptions than descriptors */
};

/* What pipes, eventfds, timerfds and epolls hold (35 KiB), plain data too: allocated,
 * with its snapshot's copy, when the program makes its first one, so that
 * other sandboxes neither hold nor copy it at every reset. */
struct lx_pipes {
	struct lx_pipe pipe[LX_PIPES_MAX];
	struct lx_epoll epoll[LX_EPOLLS_MAX];
	/* The offsets of descriptions that processes share since a fork, as
	 * Linux's struct file's: a read or lseek in one moves it for all. */
	struct {
		uint64_t off;
		uint32_t refs; /* descriptions using it, in every process; 0: free */
	} cell[LX_CELLS_MAX];
};

/* One allocation: the live state, its snapshot's copy, and how many
 * processes share them (fork: a child holds its parent's pipes too). */
struct lx_pipes_box {
	struct lx_pipes live, snap;
	unsigned refs;
};

/* A directory of the program's tree (linux_dir.c): its path is the first len
 * bytes of path (a --file guest path's, or a constant), its entries (but "."
 * and "..") ents[first .. first + n), sorted by name. */
struct lx_dir {
	const char *path;
	uint16_t len;
	int16_t parent; /* "/"'s is itself */
	uint16_t nsub;	/* its subdirectories: st_nlink is 2 + nsub, as Linux's */
	uint32_t first, n;
};

/* A directory's entry: len bytes of name, its d_type (G_DT_DIR, G_DT_REG, G_DT_CHR)
 * and what it is: an index in dirs, in files, or an enum lx_kind. */
struct lx_dent {
	const char *name;
	uint16_t len;
	uint8_t type;
	int16_t dir; /* the directory it is in */
	int16_t node;
};

struct linux_host {
	char **argv, **envp; /* NULL-terminated copies */
	int std[3];	     /* host descriptors for 0, 1, 2; -1: EOF / the output callback */
	int std_fl[3];	     /* their F_GETFL when given */
	struct lx_file files[LX_FILES_MAX];
	unsigned nfiles;
	struct lx_dir *dirs; /* the tree (linux_dir.c), rebuilt as files are allowed */
	struct lx_dent *ents;
	unsigned ndirs, nents;
	int cwd, snap_cwd;	       /* the working directory (dirs[cwd]), and the snapshot's */
	struct lx_table fds, snap_fds; /* the live table, and the snapshot's */
	struct lx_pipes *pipes;	       /* NULL until the first pipe, eventfd or epoll; */
	struct lx_pipes *snap_pipes;   /* then the snapshot's (zeroed: none) */
	uint64_t entry_rsp;	       /* the initial stack pointer (argc) */
	uint64_t seed; /* kvmlet_set_determinism: 0 for the host's clock and randomness */
	bool expect_signals; /* kvmlet_expect_signals: wait for them rather than end */
	bool stdin_waits; /* a thread waits for kvmlet's stdin to be readable (lxs_stream_ready) */
	uint64_t sig_ign;    /* kvmlet_set_ignored_signals: bit s - 1, signal s starts ignored */
	uint64_t rng;
	uint64_t fake_ns, snap_fake_ns; /* the deterministic clock, and the snapshot's */
	char *io;	  /* LX_IO_MAX bytes: one read's or write's data on its way (this
			   * sandbox's own: sandboxes run on several threads at once) */
	char *exe;	  /* the path execve ran (AT_EXECFN, /proc/self/exe); NULL: argv[0] */
	/* linux_family.c: the processes of the program (NULL until its first
	 * fork), this one's pid (1: the first), and the signal that ended it
	 * (0: none). A child of fork borrows files, dirs and ents from the
	 * first process, which outlives it. */
	struct lx_family *fam;
	void (*fam_end)(struct linux_host *lx); /* linux_family_end, set with fam (no call
						 * from here into linux_family.c: it makes
						 * sandboxes, which hold this) */
	int32_t pid;
	unsigned max_procs; /* kvmlet_set_processes */
	int killed_by;
	uint64_t family_sigs; /* bit s-1: another process sent signal s (its end says so) */
	bool borrowed;
	/* What the snapshot's program had while an execve replaced it (kept:
	 * linux_reset puts it back). */
	struct {
		bool kept;
		char **argv, **envp;
		uint64_t entry_rsp, sig_ign;
	} before;
};

struct kvmlet_sandbox;
struct kvmlet_error;

/* linux.c: a fresh state (stdin EOF, output through the callback); NULL: no memory. */
struct linux_host *linux_new(void);
void linux_free(struct linux_host *lx);
/* linux.c: a fork's child's copy of lx: its own arguments, environment and
 * path, the same descriptor table (linux_family.c adjusts what it shares),
 * the pipes shared, the files and the tree borrowed; NULL: no memory. */
struct linux_host *linux_copy(const struct linux_host *lx);
/* linux.c: write argv, envp and auxv at the top of sb's stack (through guest_mem),
 * remembering argc's address for linux_entry_rsp. */
int linux_build_stack(struct kvmlet_sandbox *sb, struct kvmlet_error *err);
/* linux.c: point sb's watch at the boot info its kernel asks for ticks in
 * (none for a seeded run) and at its signals from outside (linux_signal.c);
 * linux_build_stack and sandboxes from a template do. */
void linux_ticks(struct kvmlet_sandbox *sb);
/* linux.c: the initial stack pointer linux_build_stack left (argc's address). */
uint64_t linux_entry_rsp(const struct linux_host *lx);
/* linux.c: free a NULL-terminated vector of malloc'ed strings (NULL: none). */
void linux_strv_free(char **v);
/* linux.c: execve's new program: its arguments and environment (NULL-terminated
 * vectors of strings, all malloc'ed) and its path (malloc'ed), all taken, and
 * the signals it starts with ignored. The snapshot's program keeps its own
 * for a reset (linux_reset). */
void linux_exec(struct linux_host *lx, char **argv, char **envp, char *path, uint64_t sig_ign);
/* linux.c: the descriptor table goes with snapshots and resets. */
void linux_snapshot(struct linux_host *lx);
void linux_reset(struct linux_host *lx);
/* linux_family.c: the first process's children end, whatever they were
 * doing, and are freed with the family (a reset of the first process, its
 * free: linux.c calls it through lx->fam_end); nothing for a child of fork. */
void linux_family_end(struct linux_host *lx);
/* linux_signal.c: the signals from outside not yet taken are dropped (a reset). */
void linux_signals_drop(struct kvmlet_sandbox *sb);

/* linux_path.c: path (absolute) with repeated slashes, "." and ".." resolved,
 * into out (4096 bytes): its length, or -ENAMETOOLONG. */
int linux_path_clean(const char *path, char *out);
/* linux_path.c: the same, and -ENOTDIR where the walk would go on past a
 * prefix that is_file says names a file (a name, ".", ".." or a slash after
 * it), as Linux's walk answers; is_file NULL: linux_path_clean. */
int linux_path_clean_files(const char *path, char *out, int (*is_file)(const char *));
/* linux_dir.c: whether a file may be allowed at clean path: 0, -EISDIR (a
 * directory of the tree), -EEXIST (a device), -ELOOP (a link to a
 * descriptor, /proc/self/fd), -EBUSY (a file of /proc kvmlet provides),
 * -ENOTDIR (under a file or a device), -ENAMETOOLONG (a name over 255 bytes). */
int linux_dirs_check(const struct linux_host *lx, const char *path);
/* linux_dir.c: the tree again once the last of files was appended (its
 * parents added; the first call makes "/" and /dev): 0, or -ENOSPC (more
 * than LX_DIRS_MAX directories), -ENOMEM with the tree as it was.
 * Directories keep their index, so the working directory and open ones stay. */
int linux_dirs_update(struct linux_host *lx);

/* linux_fd.c: a fresh table: 0, 1 and 2 open on the standard streams. */
void linux_fds_init(struct lx_table *t);

/* linux_names.c: the name of x86-64 system call nr, or NULL. */
const char *linux_syscall_name(uint64_t nr);

/* linux_sys.c (with linux_fs.c): register the handler of KVMLET_PORT_SYSCALL, which serves the
 * system call in rax and answers in rax (library initialisation). The port is
 * the kernel's: the TSS I/O bitmap does not open it to CPL3. */
int linux_register_exits(void);

#endif
