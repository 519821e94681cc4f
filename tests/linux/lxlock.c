/*
 * lxlock.c: `lxtest locks FILE`: file locks, compared byte for byte with
 * Linux by tests/cli/cli_linux.sh. flock(2) between two descriptions of one
 * file (conflicts, a conversion that drops the old lock, a duplicate that
 * keeps it, close releasing it, both ends of a pipe, a thread waiting for
 * another's unlock), fcntl's record locks in one process (never in each
 * other's way; the argument checks), and posix_fadvise, as raw system calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
#define say lx_say

int do_locks(const char *file);

static atomic_int unlocked;
static long held, released; /* the holder's results, printed after the join */

static void *holder(void *arg)
{
	const char *file = arg;
	int fd = open(file, O_RDONLY);

	held = syscall(SYS_flock, fd, LOCK_EX);
	nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	atomic_store(&unlocked, 1);
	released = syscall(SYS_flock, fd, LOCK_UN);
	close(fd);
	return NULL;
}

static void flocks(const char *file)
{
	int a = open(file, O_RDONLY), b = open(file, O_RDONLY), c, p[2];
	pthread_t t;

	say("flock a SH", syscall(SYS_flock, a, LOCK_SH));
	say("flock b SH|NB", syscall(SYS_flock, b, LOCK_SH | LOCK_NB));
	say("flock b EX|NB (a holds SH)", syscall(SYS_flock, b, LOCK_EX | LOCK_NB));
	say("flock a EX|NB (b's SH went with its conversion)",
	    syscall(SYS_flock, a, LOCK_EX | LOCK_NB));
	say("flock b SH|NB (a holds EX)", syscall(SYS_flock, b, LOCK_SH | LOCK_NB));
	c = dup(a);
	say("flock dup of a EX|NB (the same description)",
	    syscall(SYS_flock, c, LOCK_EX | LOCK_NB));
	close(a);
	say("flock b SH|NB (the dup keeps it)", syscall(SYS_flock, b, LOCK_SH | LOCK_NB));
	close(c);
	say("flock b EX|NB (closed: released)", syscall(SYS_flock, b, LOCK_EX | LOCK_NB));
	say("flock 0", syscall(SYS_flock, b, 0));
	say("flock SH|EX", syscall(SYS_flock, b, LOCK_SH | LOCK_EX));
	say("flock closed", syscall(SYS_flock, 999, LOCK_SH));
	say("flock closed, bad operation", syscall(SYS_flock, 999, 0));
	say("unlock b", syscall(SYS_flock, b, LOCK_UN));
	say("unlock b again", syscall(SYS_flock, b, LOCK_UN));
	if (pipe(p) == 0) {
		say("flock pipe read end EX|NB", syscall(SYS_flock, p[0], LOCK_EX | LOCK_NB));
		say("flock pipe write end EX|NB", syscall(SYS_flock, p[1], LOCK_EX | LOCK_NB));
		close(p[0]);
		close(p[1]);
	}
	a = open("/dev/null", O_RDONLY);
	c = open("/dev/null", O_WRONLY);
	say("flock /dev/null EX|NB", syscall(SYS_flock, a, LOCK_EX | LOCK_NB));
	say("flock /dev/null again SH|NB", syscall(SYS_flock, c, LOCK_SH | LOCK_NB));
	close(a);
	close(c);
	/* A thread holds EX; b waits for it (the waiting thread gets the lock
	   only once the holder has unlocked). */
	pthread_create(&t, NULL, holder, (void *)file);
	while (syscall(SYS_flock, b, LOCK_SH | LOCK_NB) == 0) {
		syscall(SYS_flock, b, LOCK_UN);
		sched_yield();
	}
	say("flock b EX, waiting", syscall(SYS_flock, b, LOCK_EX));
	printf("the holder had unlocked first: %s\n", atomic_load(&unlocked) ? "yes" : "no");
	pthread_join(t, NULL);
	say("thread: flock EX", held);
	say("thread: unlock", released);
	close(b);
}

static void records(const char *file)
{
	int a = open(file, O_RDONLY), p[2];
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};

	say("F_SETLK read lock", syscall(SYS_fcntl, a, F_SETLK, &fl));
	say("F_SETLKW read lock again", syscall(SYS_fcntl, a, F_SETLKW, &fl));
	fl.l_type = F_WRLCK;
	say("F_SETLK write lock, read-only", syscall(SYS_fcntl, a, F_SETLK, &fl));
	say("F_GETLK write lock", syscall(SYS_fcntl, a, F_GETLK, &fl));
	printf("  l_type %d (F_UNLCK %d)\n", fl.l_type, F_UNLCK);
	say("F_GETLK of F_UNLCK", syscall(SYS_fcntl, a, F_GETLK, &fl));
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = 3};
	say("F_SETLK whence 3", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = -1};
	say("F_SETLK start -1", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_END, .l_start = -1000000};
	say("F_SETLK before the start from the end", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_END, .l_start = -2, .l_len = 2};
	say("F_SETLK the last 2 bytes", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 4, .l_len = -5};
	say("F_SETLK a negative length past 0", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl.l_len = -4;
	say("F_SETLK a negative length to 0", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){
		.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = INT64_MAX, .l_len = 2};
	say("F_SETLK past OFFSET_MAX", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){.l_type = 7, .l_whence = SEEK_SET};
	say("F_SETLK type 7", syscall(SYS_fcntl, a, F_SETLK, &fl));
	fl = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_CUR};
	say("F_SETLK unlock", syscall(SYS_fcntl, a, F_SETLK, &fl));
	say("F_SETLK bad pointer", syscall(SYS_fcntl, a, F_SETLK, (void *)8));
	say("F_SETLK closed", syscall(SYS_fcntl, 999, F_SETLK, &fl));
	say("fadvise sequential", syscall(SYS_fadvise64, a, 0, 0, POSIX_FADV_SEQUENTIAL));
	say("fadvise dontneed", syscall(SYS_fadvise64, a, 0, 100, POSIX_FADV_DONTNEED));
	say("fadvise advice 9", syscall(SYS_fadvise64, a, 0, 0, 9));
	say("fadvise length -1", syscall(SYS_fadvise64, a, 0, -1L, POSIX_FADV_NORMAL));
	say("fadvise closed", syscall(SYS_fadvise64, 999, 0, 0, POSIX_FADV_NORMAL));
	if (pipe(p) == 0) {
		say("fadvise pipe", syscall(SYS_fadvise64, p[0], 0, 0, POSIX_FADV_NORMAL));
		close(p[0]);
		close(p[1]);
	}
	close(a);
}

int do_locks(const char *file)
{
	flocks(file);
	records(file);
	return 0;
}
