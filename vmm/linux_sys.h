/* SPDX-License-Identifier: MIT */
/*
 * linux_sys.h: what the host's Linux system calls share (linux_sys.c:
 * streams, clocks, randomness, sleeping, signals to itself; linux_clock.c:
 * the program's clocks; linux_fs.c: descriptors and the allowed files;
 * linux_dir.c: the directory tree and paths; linux_fd.c: the descriptor
 * table and the devices; linux_pipe.c, linux_timerfd.c: what the program
 * makes: pipes, eventfds, epolls, timerfds). Not installed.
 */
#ifndef KVMLET_LINUX_SYS_H
#define KVMLET_LINUX_SYS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "kvmlet_abi.h"
#include "linux.h"
#include "sandbox.h"

/* open(2) flags as the guest's Linux ABI has them (linux_fd.c, linux_fs.c). */
#define G_O_ACCMODE  3
#define G_O_NONBLOCK 04000
#define G_O_CLOEXEC  02000000
#define G_AT_FDCWD   -100

#define PATH_MAX_GUEST 4096 /* a path's bytes with its NUL, as Linux's PATH_MAX */
#define NAME_MAX_GUEST	      255  /* a name's bytes, as Linux's NAME_MAX */
#define G_AT_SYMLINK_NOFOLLOW 0x100
#define G_AT_EMPTY_PATH	      0x1000

/* d_type as Linux's getdents64 gives it. */
enum { G_DT_CHR = 2, G_DT_DIR = 4, G_DT_REG = 8 };
/* Fake inode numbers: directories from 2 ("/"), then files, the devices, the
 * links in /dev, /proc/self/maps, /proc/self/fd and the links in it. */
#define INO_FILES   0x1000
#define INO_DEVS    0x2000
#define INO_DEVLINK 0x2100
#define INO_PROC    0x3000
#define INO_FDDIR   0x3001
#define INO_FDLINK  0x3100
#define INO_STREAM  0x3200 /* + the first standard stream on the same host file */
#define INO_PIPE    0x3300 /* + the pipe's slot */
#define G_DT_LNK    10

/* A node that is no d_type: what descriptor idx refers to outside the tree (a
 * stream, a pipe's end, what else the program made), reached through a link
 * to a descriptor (linux_fdlink.c). */
enum { G_NODE_FD = 0x40, G_NODE_FDDIR = 0x41 /* /proc/self/fd */ };

/* What a path names in the tree (linux_dir.c): its d_type and an index in
 * dirs (G_DT_DIR), in files (G_DT_REG), or an enum lx_kind (G_DT_CHR). */
struct lx_node {
	uint8_t type;
	int16_t idx;
	bool link; /* reached through a link to a descriptor (linux_fdlink.c) */
};

/* A link to a descriptor (linux_fdlink.c): fd, and whether it is
 * /dev/stdin, /dev/stdout or /dev/stderr (a link to /proc/self/fd/fd); fd
 * -1: the directory of the links, /proc/self/fd (dev: /dev/fd, a link to it). */
struct lx_link {
	int fd;
	bool dev;
};

/* A result that is no errno (KVMLET_LX_WAIT_BASE): the caller's thread must
 * wait (the guest's kernel runs its other threads meanwhile and then repeats
 * the call), for at most ms milliseconds; lxs_wait(-1): with no time limit. */
static inline int64_t lxs_wait(int64_t ms)
{
	return KVMLET_LX_WAIT_BASE + (ms < 0 ? 0 : (ms > UINT32_MAX ? UINT32_MAX : ms) + 1);
}

/* A result that is no errno either: execve replaced the program, whose new
 * registers are set (linux_exec.c); the call has nothing to return. */
#define LXS_EXECED (KVMLET_LX_WAIT_BASE - 1)

/* One system call being served. */
struct sys {
	struct kvmlet_sandbox *sb;
	struct linux_host *lx;
	const struct kvm_regs *r;
	struct kvmlet_result *res;
	struct kvmlet_error *err;
	int stop; /* set: end the run with this code (res filled) */
	int64_t soon_ms; /* a wait's retry: 1 + ms to the soonest timerfd it looked at (0: none) */
};

/* Copy to / from the program's memory, as the program itself may access it. */
static inline int64_t lxs_put(struct sys *s, uint64_t va, const void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_WRITE_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? -EFAULT : 0;
}

static inline int64_t lxs_get(struct sys *s, uint64_t va, void *buf, uint64_t len)
{
	uint64_t bad;

	return GUEST_READ_VA(&s->sb->gm, va, buf, len, GM_USER, &bad) < 0 ? -EFAULT : 0;
}

/* Linux's access_ok: [va, va + len) lies in user space (mapped or not); a
 * buffer that does not is -EFAULT before anything is read or written. */
static inline bool lxs_range_ok(uint64_t va, uint64_t len)
{
	return va <= KVMLET_USER_END && len <= KVMLET_USER_END - va;
}

/* The open file description behind guest descriptor fd, or NULL (the table
 * is linux_fd.c's; these few lines run on every system call the host serves). */
static inline struct lx_ofd *lxs_ofd(struct sys *s, int fd)
{
	if (fd < 0 || fd >= LX_FDS_MAX || s->lx->fds.fd[fd].ofd < 0)
		return NULL;
	return &s->lx->fds.ofd[s->lx->fds.fd[fd].ofd];
}

/* Whether o (NULL: no) was opened for reading / for writing. */
static inline bool lxs_can_read(const struct lx_ofd *o)
{
	return o && (o->flags & G_O_ACCMODE) != 1 && (o->flags & G_O_ACCMODE) != 3;
}

static inline bool lxs_can_write(const struct lx_ofd *o)
{
	return o && ((o->flags & G_O_ACCMODE) == 1 || (o->flags & G_O_ACCMODE) == 2);
}

/* o is one of the devices / one of kvmlet's standard streams / a pipe's end. */
static inline bool lxs_is_dev(const struct lx_ofd *o)
{
	return o->kind >= LX_NULL;
}

static inline bool lxs_is_stream(const struct lx_ofd *o)
{
	return o->kind >= LX_STDIN && o->kind <= LX_STDERR;
}

static inline bool lxs_is_pipe(const struct lx_ofd *o)
{
	return o->kind == LX_PIPE_R || o->kind == LX_PIPE_W;
}

/* o has a slot in pipes->pipe (a pipe's end, an eventfd, a timerfd) / was made by the
 * program rather than opened (those, and epolls: linux_pipe.c's). */
static inline bool lxs_has_slot(const struct lx_ofd *o)
{
	return lxs_is_pipe(o) || o->kind == LX_EVENTFD || o->kind == LX_TIMERFD;
}

/* Does o have an offset (a file, a directory, a /proc file)? */
static inline bool lxs_has_offset(const struct lx_ofd *o)
{
	return o->kind == LX_FILE || o->kind == LX_DIR || o->kind == LX_MAPS || o->kind == LX_FDDIR;
}

/* o's offset: its own, or the one its copies in other processes share
 * since a fork (struct lx_pipes' cell). */
static inline uint64_t *lxs_off(struct sys *s, struct lx_ofd *o)
{
	return o->cell && s->lx->pipes ? &s->lx->pipes->cell[o->cell - 1].off : &o->off;
}

static inline uint64_t lxs_off_now(const struct sys *s, const struct lx_ofd *o)
{
	return o->cell && s->lx->pipes ? s->lx->pipes->cell[o->cell - 1].off : o->off;
}

static inline bool lxs_is_made(const struct lx_ofd *o)
{
	return o->kind >= LX_PIPE_R && o->kind <= LX_TIMERFD;
}

/* The host descriptor behind o (a file's, a stream's), -1: none (a device,
 * or a stream without one: EOF in, the output callback out). */
static inline int lxs_host_fd(struct sys *s, const struct lx_ofd *o)
{
	if (o->kind == LX_FILE)
		return s->lx->files[o->file].host_fd;
	return lxs_is_stream(o) ? s->lx->std[o->kind - LX_STDIN] : -1;
}

/* The inode number a pipe of the program shows (fstat, its pipe:[N] name). */
static inline uint64_t lxs_pipe_ino(const struct lx_ofd *o)
{
	return INO_PIPE + (uint64_t)o->file;
}

/* linux_fdlink.c: the inode number a standard stream shows for host file st:
 * one per host file behind kvmlet's streams (stdout and stderr on one file
 * show one, as on Linux), never the host's. */
uint64_t lxs_stream_ino(struct sys *s, const struct stat *st);

/* linux_fd.c: a new description like o at the lowest free descriptor; -EMFILE. */
int lxs_fd_open(struct sys *s, const struct lx_ofd *o, bool cloexec);
/* linux_fd.c: close(fd): 0 or -EBADF; the description goes with its last descriptor. */
int64_t lxs_close(struct sys *s, int fd);
/* linux_fd.c: close_range: close (or, with CLOSE_RANGE_CLOEXEC, mark
 * close-on-exec) the open descriptors of [lo, hi]; -EINVAL for unknown flags or lo > hi. */
int64_t lxs_close_range(struct sys *s, uint32_t lo, uint32_t hi, uint32_t flags);
/* linux_fd.c: dup and F_DUPFD(_CLOEXEC): the lowest free descriptor >= from. */
int64_t lxs_dupfd(struct sys *s, int fd, uint32_t from, bool cloexec);
/* linux_fd.c: dup3, or dup2 (dup2 set: old == new is new if open). */
int64_t lxs_dup3(struct sys *s, uint32_t oldfd, uint32_t newfd, uint64_t flags, bool dup2);
/* linux_fd.c: the path of device kind (enum lx_kind), "/dev/null"... */
const char *lxs_dev_path(int kind);
/* linux_fd.c: a device's st_rdev, as Linux encodes it. */
uint32_t lxs_dev_rdev(int kind);
/* linux_fd.c: read len bytes (<= LX_IO_MAX) from device o into buf; the count or -errno. */
int64_t lxs_dev_read(struct sys *s, const struct lx_ofd *o, char *buf, uint64_t len);
/* The nodes of /proc's files (lxs_lookup): files with these idx
 * (negative: not in files[]), an LX_MAPS description's file. */
#define LX_NODE_MAPS	  (-1)
#define LX_NODE_CMDLINE	  (-2)
#define LX_NODE_ENVIRON	  (-3)
#define LX_NODE_MOUNTS	  (-4)
#define LX_NODE_MOUNTINFO (-5)
#define LX_NODE_MEMINFO	  (-6)
#define LX_NODE_UPTIME	  (-7)
/* linux_maps.c: up to len bytes of /proc's file node (LX_NODE_MAPS: as it
 * reads now, from the live page tables; LX_NODE_CMDLINE, ENVIRON: the
 * arguments, the environment the program started with, each string with
 * its NUL; MOUNTS, MOUNTINFO: the tree as one read-only tmpfs at /; MEMINFO:
 * guest memory and the guest kernel's free pages, as sysinfo has them;
 * UPTIME: sysinfo's clock) from offset off; the count, or -EIO. */
int64_t lxs_proc_read(struct sys *s, int node, char *out, uint64_t len, uint64_t off);
/* linux_maps.c: what /proc/self/exe links to, NUL-terminated in out
 * (PATH_MAX_GUEST); its length or -errno. */
int64_t lxs_exe_path(struct sys *s, char *out);
/* linux_fd.c: len random bytes (getrandom's and the random devices' source:
 * the host's, or seeded); len, or -EAGAIN. */
int64_t lxs_random(struct sys *s, void *buf, uint64_t len);
/* linux_pipe.c: read from / write to pipe description o (len <= LX_IO_MAX,
 * through tmp); the count, -errno, or lxs_wait(-1). */
int64_t lxs_pipe_read(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len, char *tmp);
int64_t lxs_pipe_write(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len, char *tmp);
/* linux_pipe.c: which of POLLIN/POLLOUT/POLLERR/POLLHUP (EPOLL* alike) o has now. */
uint32_t lxs_ready(struct sys *s, const struct lx_ofd *o);
/* linux_pipe.c: serve nr if it is pipe, pipe2 or epoll's (*served set). */
int64_t lxs_pipe_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_fd.c: the state of pipes, eventfds, timerfds and epolls, allocated
 * with its snapshot's copy at the first (NULL: no memory); a free slot in its
 * pipe[] (pipes, eventfds, timerfds), or -ENFILE, or -ENOMEM. */
struct lx_pipes *lxs_pipes(struct sys *s);
int lxs_pipe_slot(struct sys *s);
/* linux_timerfd.c: read timerfd o (its expirations, 8 bytes), and whether it
 * is readable now (EPOLLIN; s->soon_ms noted if it will be); serve nr if it
 * is timerfd_create, timerfd_settime or timerfd_gettime (*served set). */
int64_t lxs_timerfd_read(struct sys *s, const struct lx_ofd *o, uint64_t buf, uint64_t len);
uint32_t lxs_timerfd_ready(struct sys *s, const struct lx_ofd *o);
int64_t lxs_timerfd_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_clock.c: the host clock for a guest clock id (-EINVAL: none), and the
 * time on it as the program sees it (the fake clock with a seed), in ns. */
int64_t lxs_clock_of(const struct sys *s, int32_t clk, clockid_t *out);
uint64_t lxs_now(struct sys *s, clockid_t clk);
/* linux_proc.c: serve nr if it is times, getrusage or a socket call (*served set). */
int64_t lxs_proc_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_dir.c: a NUL-terminated path from the guest (PATH_MAX_GUEST bytes
 * at most): 0, -EFAULT, -ENAMETOOLONG. */
int64_t lxs_get_path(struct sys *s, uint64_t va, char *out);
/* linux_dir.c: what path names, relative ones from dirfd (G_AT_FDCWD: the
 * working directory): 0 and *out, or -ENOENT (nothing; an empty path),
 * -ENOTDIR, -ENAMETOOLONG, -EBADF (dirfd not open; ENOTDIR: not a directory). */
int64_t lxs_lookup(struct sys *s, int dirfd, const char *path, struct lx_node *out);
/* linux_dir.c: n's fake inode number, the same in stat and getdents. */
uint64_t lxs_ino(struct lx_node n);
/* linux_fdlink.c: whether path from dirfd names a link to a descriptor (1,
 * into *l), goes through one (2, with rest given: the rest of the path, to
 * walk from where the link leads; PATH_MAX_GUEST bytes), or neither (0);
 * -ENOTDIR if the path goes on past one of /proc's files ("maps/", "maps/.").
 * With clean given (PATH_MAX_GUEST bytes): the path made absolute and
 * cleaned there, or "" if it cannot be (left to lxs_lookup's errors). */
int lxs_fd_link(struct sys *s, int dirfd, const char *path, struct lx_link *l, char *rest,
		char *clean);
/* linux_fdlink.c: whether the absolute path is, or is under, one of the
 * links or /proc/self/fd (/dev/fd), which no allowed file may take. */
bool lxs_link_path(const char *path);
/* linux_fdlink.c: the node of /proc/self's file (LX_NODE_MAPS...) that the
 * cleaned absolute path names, also as /proc/thread-self/ or /proc/1/; 0 if none. */
int lxs_proc_file(const char *clean);
/* linux_fdlink.c: what following link l reaches (out->link set but for
 * /proc/self/fd itself); -ENOENT if its descriptor is not open. */
int64_t lxs_link_node(struct sys *s, const struct lx_link *l, struct lx_node *out);
/* linux_fdlink.c: open through a link the G_NODE_FD description of fd anew,
 * with the description flags kept (O_ACCMODE...); the new descriptor or
 * -errno (EACCES: a stream the other way; EINVAL: both ends of a pipe;
 * ENXIO: an anonymous inode). */
int64_t lxs_link_open(struct sys *s, int fd, uint32_t kept, bool cloexec);
/* linux_fdlink.c: readlink and lstat of link l: as Linux's devtmpfs and
 * procfs have them. */
int64_t lxs_link_readlink(struct sys *s, const struct lx_link *l, uint64_t buf, int32_t size);
int64_t lxs_link_lstat(struct sys *s, const struct lx_link *l, struct stat *hs);
/* linux_fdlink.c: what stat shows of /proc/self/fd. */
void lxs_fddir_stat(struct stat *hs);
/* linux_fdlink.c: the entry of /proc/self/fd at position *pos or the first
 * after it (*pos moved there): ".", "..", then each open descriptor's link
 * (DT_LNK) at its number + 2; its name in name[12], its inode in *ino.
 * false at the end. */
bool lxs_fddir_entry(struct sys *s, uint64_t *pos, char *name, uint8_t *type, uint64_t *ino);
/* A description that getdents lists (a directory of the tree, /proc/self/fd). */
static inline bool lxs_is_dir(const struct lx_ofd *o)
{
	return o->kind == LX_DIR || o->kind == LX_FDDIR;
}
/* linux_dir.c: what stat shows of directory d. */
void lxs_dir_stat(const struct linux_host *lx, int d, struct stat *hs);
/* linux_dir.c: lseek of directory description o. */
int64_t lxs_dir_lseek(uint64_t *pos, int64_t off, uint32_t whence);
/* linux_dir.c: serve nr if it is getdents(64), chdir, fchdir or getcwd (*served set). */
int64_t lxs_dir_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_rofs.c: serve nr if it would change the tree (mkdir, unlink, rename,
 * chmod, utimes...: Linux's answers on a read-only mount) or is statfs
 * (*served set). */
int64_t lxs_rofs_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_rofs.c: what open with O_CREAT answers for path, which the lookup did
 * not find (ENOENT): the parent's walk errors, EISDIR for "/", ".", "..", a
 * trailing slash, else EROFS. */
int64_t lxs_open_create(struct sys *s, int dirfd, const char *path);
/* linux_lock.c: serve nr if it is flock (*served set); fcntl's F_GETLK,
 * F_SETLK and F_SETLKW (cmd) on open descriptor fd with struct flock at arg. */
int64_t lxs_lock_syscall(struct sys *s, uint64_t nr, bool *served);
int64_t lxs_record_lock(struct sys *s, int fd, uint32_t cmd, uint64_t arg);
/* linux_fs.c: serve nr if it is about descriptors or paths (*served set). */
int64_t lxs_fs_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_sys.c: sleep ns in the host (the fake clock moves instead with a
 * seed); 1 if a signal from outside ended it sooner, with signals;
 * KVMLET_LX_OTHERS if kvmlet's stdin, which a thread of the program waits
 * for, became readable (the waits are repeated). */
int lxs_sleep(struct sys *s, uint64_t ns, bool signals);
/* linux_fd.c: is host descriptor fd readable now (or at its end, or bad:
 * a read will say)? */
bool lxs_fd_readable(int fd);

/* linux_fd.c: is the stream o (kvmlet's stdin) readable now? If not, a
 * thread will wait for it: the host's idle waits watch it too. Always with
 * a seed (a read then waits in the host, so that runs repeat) or when
 * kvmlet's descriptor is non-blocking (the read says EAGAIN). */
bool lxs_stream_ready(struct sys *s, const struct lx_ofd *o);
/* linux_family.c: does a thread of any of the program's processes wait for
 * kvmlet's stdin? clear: forget it (they ask again if they still must). */
bool lxs_family_stdin_waits(struct sys *s, bool clear);
/* linux_family.c: something happened that a waiting process may wait for. */
void lxs_family_news(struct sys *s);
/* linux_family.c: fork (KVMLET_LX_FORK; flags KVMLET_FORK_*): the child's
 * pid, or -EAGAIN (too many processes, no VM to be had), -ENOMEM, -EINVAL
 * (exit_signal). */
int64_t lxs_fork(struct sys *s, uint64_t exit_signal, uint64_t flags);
/* linux_family.c: does the caller wait for its vfork child pid (VFORK_WAIT)? */
bool lxs_family_vforked(struct sys *s, int32_t pid);
/* linux_family.c: the caller's exec replaces its memory now: a parent
 * waiting since its vfork goes on, with what the caller wrote to theirs. */
void lxs_family_exec(struct sys *s);
/* linux_family.c: serve nr if it is wait4, waitid or KVMLET_LX_FORK (*served set). */
int64_t lxs_family_syscall(struct sys *s, uint64_t nr, bool *served);
/* linux_family.c: every thread of the caller waits (DEADLOCK: until 0; or
 * SLEEP_UNTIL until then): a child's run stops (s->stop LOOP_IDLE) for the
 * others' turns; the first process gives them theirs, and answers as
 * DEADLOCK and SLEEP_UNTIL do (KVMLET_LX_OTHERS: one of them did something),
 * or LXS_FAMILY_SLEEP: none can run for *sleep ns, which the caller sleeps
 * before it asks again. *handled false: the caller has no other process
 * that can run (one process's answer then). */
#define LXS_FAMILY_SLEEP (KVMLET_LX_WAIT_BASE - 2)
int64_t lxs_family_wait(struct sys *s, uint64_t until, uint64_t *sleep, bool *handled);
/* linux_family.c: the caller did something others may wait for (s->lx->fam set). */
void lxs_family_served(struct sys *s);
/* linux_family.c: kill another process of the program (-1: every one but
 * the caller), signal 0 only checking: 0, -ESRCH, -EINVAL. */
int64_t lxs_kill(struct sys *s, int32_t pid, int32_t sig);
/* linux_exec.c: execve, execveat. */
int64_t lxs_exec_syscall(struct sys *s, uint64_t nr, bool *served);
/*
 * linux_exec.c: a script's "#!" line, as Linux's binfmt_script reads the
 * first 256 bytes of data: the interpreter's path and its one optional
 * argument (from the first space or tab on, trimmed), into interp and arg
 * (256 bytes each). 0, or -ENOEXEC: no "#!", no interpreter named, or a
 * name the 256 bytes cut.
 */
int lxs_exec_script(const char *data, uint64_t size, char *interp, char *arg);

#endif
