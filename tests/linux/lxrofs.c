/*
 * lxrofs.c: `lxtest rofs ROOT`: the calls that would change files, on a
 * read-only tree, compared byte for byte with Linux by tests/cli/cli_linux.sh
 * (natively ROOT is a read-only bind mount holding a/x and top). mkdir,
 * mknod, symlink, link, unlink, rmdir, rename, chmod, chown, utimes,
 * truncate, open with O_CREAT or O_TRUNC, creat, statfs: each with what it
 * must refuse first (bad pointers, missing directories, names that exist,
 * ".", "..", "/", bad flags and times) and then EROFS, as raw system calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

void lx_say(const char *what, long r); /* lxabi.c */
#define say lx_say

int do_rofs(const char *root);

#define BAD	   ((const char *)8) /* a pointer the program cannot read */
#define ST_RDONLY_ 1		     /* statfs's f_flags (<sys/statvfs.h>'s ST_RDONLY) */

static char p_buf[8][512];

/* ROOT followed by rest, in one of a few rotating buffers. */
static const char *at(const char *root, const char *rest)
{
	static unsigned k;
	char *b = p_buf[k++ % 8];

	snprintf(b, sizeof(p_buf[0]), "%s%s", root, rest);
	return b;
}

static void names(const char *r)
{
	char longname[400];

	memset(longname, 'n', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = 0;
	say("mkdir new", syscall(SYS_mkdir, at(r, "/new"), 0755));
	say("mkdir new/", syscall(SYS_mkdir, at(r, "/new/"), 0755));
	say("mkdir a (exists)", syscall(SYS_mkdir, at(r, "/a"), 0755));
	say("mkdir a/x (a file)", syscall(SYS_mkdir, at(r, "/a/x"), 0755));
	say("mkdir nope/new", syscall(SYS_mkdir, at(r, "/nope/new"), 0755));
	say("mkdir top/new", syscall(SYS_mkdir, at(r, "/top/new"), 0755));
	say("mkdir a/.", syscall(SYS_mkdir, at(r, "/a/."), 0755));
	say("mkdir a/..", syscall(SYS_mkdir, at(r, "/a/.."), 0755));
	say("mkdir /", syscall(SYS_mkdir, "/", 0755));
	say("mkdir empty", syscall(SYS_mkdir, "", 0755));
	say("mkdir bad pointer", syscall(SYS_mkdir, BAD, 0755));
	say("mkdir long name", syscall(SYS_mkdir, at(r, longname), 0755));
	int a = open(at(r, "/a"), O_RDONLY | O_DIRECTORY), top = open(at(r, "/top"), O_RDONLY);
	say("mkdirat from a", syscall(SYS_mkdirat, a, "n", 0755));
	say("mkdirat from a file", syscall(SYS_mkdirat, top, "n", 0755));
	say("mkdirat from a closed descriptor", syscall(SYS_mkdirat, 999, "n", 0755));
	say("mkdirat absolute, closed descriptor", syscall(SYS_mkdirat, 999, at(r, "/n"), 0755));
	say("mknod fifo", syscall(SYS_mknod, at(r, "/n"), S_IFIFO | 0644, 0));
	say("mknod directory", syscall(SYS_mknod, at(r, "/n"), S_IFDIR | 0755, 0));
	say("mknod bad type", syscall(SYS_mknod, at(r, "/n"), 0170000 | 0644, 0));
	say("mknod n/", syscall(SYS_mknod, at(r, "/n/"), S_IFREG | 0644, 0));
	say("mknod top (exists)", syscall(SYS_mknod, at(r, "/top"), S_IFREG | 0644, 0));
	say("mknodat from a", syscall(SYS_mknodat, a, "n", S_IFREG | 0644, 0));
	say("symlink", syscall(SYS_symlink, "x", at(r, "/l")));
	say("symlink empty target", syscall(SYS_symlink, "", at(r, "/l")));
	say("symlink bad target", syscall(SYS_symlink, BAD, at(r, "/l")));
	say("symlink over top", syscall(SYS_symlink, "x", at(r, "/top")));
	say("symlinkat from a", syscall(SYS_symlinkat, "x", a, "l"));
	say("link top", syscall(SYS_link, at(r, "/top"), at(r, "/l")));
	say("link nope", syscall(SYS_link, at(r, "/nope"), at(r, "/l")));
	say("link over a/x", syscall(SYS_link, at(r, "/top"), at(r, "/a/x")));
	say("link a directory", syscall(SYS_link, at(r, "/a"), at(r, "/l")));
	say("linkat bad flags", syscall(SYS_linkat, AT_FDCWD, at(r, "/top"), AT_FDCWD, "l", 1));
	say("linkat from a", syscall(SYS_linkat, a, "x", a, "l", 0));
	close(a);
	close(top);
}

static void removes(const char *r)
{
	say("unlink top", syscall(SYS_unlink, at(r, "/top")));
	say("unlink nope", syscall(SYS_unlink, at(r, "/nope")));
	say("unlink nope/x", syscall(SYS_unlink, at(r, "/nope/x")));
	say("unlink top/x", syscall(SYS_unlink, at(r, "/top/x")));
	say("unlink top/", syscall(SYS_unlink, at(r, "/top/")));
	say("unlink a/.", syscall(SYS_unlink, at(r, "/a/.")));
	say("unlink a/..", syscall(SYS_unlink, at(r, "/a/..")));
	say("unlink /", syscall(SYS_unlink, "/"));
	say("unlink bad pointer", syscall(SYS_unlink, BAD));
	say("rmdir a", syscall(SYS_rmdir, at(r, "/a")));
	say("rmdir nope", syscall(SYS_rmdir, at(r, "/nope")));
	say("rmdir a/.", syscall(SYS_rmdir, at(r, "/a/.")));
	say("rmdir a/..", syscall(SYS_rmdir, at(r, "/a/..")));
	say("rmdir /", syscall(SYS_rmdir, "/"));
	say("unlinkat REMOVEDIR a", syscall(SYS_unlinkat, AT_FDCWD, at(r, "/a"), AT_REMOVEDIR));
	say("unlinkat REMOVEDIR /", syscall(SYS_unlinkat, AT_FDCWD, "/", AT_REMOVEDIR));
	say("unlinkat bad flags", syscall(SYS_unlinkat, AT_FDCWD, at(r, "/top"), 1));
	say("unlinkat a/x", syscall(SYS_unlinkat, AT_FDCWD, at(r, "/a/x"), 0));
	say("rename top", syscall(SYS_rename, at(r, "/top"), at(r, "/t2")));
	say("rename nope", syscall(SYS_rename, at(r, "/nope"), at(r, "/t2")));
	say("rename into nope/", syscall(SYS_rename, at(r, "/top"), at(r, "/nope/t2")));
	say("rename from nope/", syscall(SYS_rename, at(r, "/nope/t"), at(r, "/t2")));
	say("rename a/.", syscall(SYS_rename, at(r, "/a/."), at(r, "/t2")));
	say("rename to a/..", syscall(SYS_rename, at(r, "/top"), at(r, "/a/..")));
	say("rename bad pointer", syscall(SYS_rename, at(r, "/top"), BAD));
	say("renameat2 NOREPLACE to a/..",
	    syscall(SYS_renameat2, AT_FDCWD, at(r, "/top"), AT_FDCWD, at(r, "/a/.."), 1));
	say("renameat2 NOREPLACE over a/x",
	    syscall(SYS_renameat2, AT_FDCWD, at(r, "/top"), AT_FDCWD, at(r, "/a/x"), 1));
	say("renameat2 bad flags",
	    syscall(SYS_renameat2, AT_FDCWD, at(r, "/top"), AT_FDCWD, at(r, "/t2"), 8));
	say("renameat2 EXCHANGE|NOREPLACE",
	    syscall(SYS_renameat2, AT_FDCWD, at(r, "/top"), AT_FDCWD, at(r, "/t2"), 3));
	say("renameat", syscall(SYS_renameat, AT_FDCWD, at(r, "/top"), AT_FDCWD, at(r, "/a/y")));
}

static void changes(const char *r)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	struct timeval tv[2] = {{1, 0}, {2, 2000000}};
	int a = open(at(r, "/a"), O_RDONLY | O_DIRECTORY), top = open(at(r, "/top"), O_RDONLY);

	say("chmod top", syscall(SYS_chmod, at(r, "/top"), 0644));
	say("chmod a", syscall(SYS_chmod, at(r, "/a"), 0755));
	say("chmod nope", syscall(SYS_chmod, at(r, "/nope"), 0644));
	say("chmod bad pointer", syscall(SYS_chmod, BAD, 0644));
	say("fchmodat from a", syscall(SYS_fchmodat, a, "x", 0644));
	say("fchmod top", syscall(SYS_fchmod, top, 0644));
	say("fchmod closed", syscall(SYS_fchmod, 999, 0644));
	say("chown top", syscall(SYS_chown, at(r, "/top"), 0, 0));
	say("chown top, no change", syscall(SYS_chown, at(r, "/top"), -1, -1));
	say("lchown a/x", syscall(SYS_lchown, at(r, "/a/x"), 0, 0));
	say("fchownat bad flags", syscall(SYS_fchownat, AT_FDCWD, at(r, "/top"), 0, 0, 1));
	say("fchownat empty path", syscall(SYS_fchownat, top, "", 0, 0, AT_EMPTY_PATH));
	say("fchownat empty path, closed", syscall(SYS_fchownat, 999, "", 0, 0, AT_EMPTY_PATH));
	say("fchownat empty path, no flag", syscall(SYS_fchownat, top, "", 0, 0, 0));
	say("fchown top", syscall(SYS_fchown, top, 0, 0));
	say("utimensat now", syscall(SYS_utimensat, AT_FDCWD, at(r, "/top"), NULL, 0));
	say("utimensat both omitted", syscall(SYS_utimensat, AT_FDCWD, at(r, "/nope"), ts, 0));
	ts[1].tv_nsec = 2000000000;
	say("utimensat bad nsec", syscall(SYS_utimensat, AT_FDCWD, at(r, "/top"), ts, 0));
	say("utimensat bad nsec, nope", syscall(SYS_utimensat, AT_FDCWD, at(r, "/nope"), ts, 0));
	ts[1].tv_nsec = 5;
	say("utimensat a time", syscall(SYS_utimensat, AT_FDCWD, at(r, "/top"), ts, 0));
	say("utimensat bad times pointer", syscall(SYS_utimensat, AT_FDCWD, at(r, "/top"), BAD, 0));
	say("utimensat bad flags", syscall(SYS_utimensat, AT_FDCWD, at(r, "/top"), NULL, 1));
	say("futimens top", syscall(SYS_utimensat, top, NULL, NULL, 0));
	say("futimens with a flag", syscall(SYS_utimensat, top, NULL, NULL, AT_SYMLINK_NOFOLLOW));
	say("futimens closed", syscall(SYS_utimensat, 999, NULL, NULL, 0));
	say("utimensat NULL path, cwd", syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0));
	say("utimes bad usec", syscall(SYS_utimes, at(r, "/nope"), tv));
	tv[1].tv_usec = 2;
	say("utimes top", syscall(SYS_utimes, at(r, "/top"), tv));
	say("utimes now", syscall(SYS_utimes, at(r, "/top"), NULL));
	say("utime top", syscall(SYS_utime, at(r, "/top"), NULL));
	say("futimesat from a", syscall(SYS_futimesat, a, "x", NULL));
	say("futimesat NULL path", syscall(SYS_futimesat, top, NULL, NULL));
	say("truncate top", syscall(SYS_truncate, at(r, "/top"), 0));
	say("truncate a", syscall(SYS_truncate, at(r, "/a"), 0));
	say("truncate negative", syscall(SYS_truncate, at(r, "/top"), -1L));
	say("truncate nope", syscall(SYS_truncate, at(r, "/nope"), 0));
	say("truncate /dev/null", syscall(SYS_truncate, "/dev/null", 0));
	say("ftruncate top", syscall(SYS_ftruncate, top, 0));
	say("ftruncate negative", syscall(SYS_ftruncate, top, -1L));
	say("ftruncate closed", syscall(SYS_ftruncate, 999, 0));
	close(a);
	close(top);
}

static void opens(const char *r)
{
	long fd;

	say("open new O_CREAT|O_WRONLY", syscall(SYS_open, at(r, "/new"), O_CREAT | O_WRONLY, 0644));
	say("open new O_CREAT", syscall(SYS_open, at(r, "/new"), O_CREAT, 0644));
	say("open nope/new O_CREAT", syscall(SYS_open, at(r, "/nope/new"), O_CREAT, 0644));
	say("open top/new O_CREAT", syscall(SYS_open, at(r, "/top/new"), O_CREAT, 0644));
	say("open new/ O_CREAT", syscall(SYS_open, at(r, "/new/"), O_CREAT, 0644));
	say("open a/. O_CREAT", syscall(SYS_open, at(r, "/a/."), O_CREAT, 0644));
	say("open top O_CREAT|O_EXCL", syscall(SYS_open, at(r, "/top"), O_CREAT | O_EXCL, 0644));
	say("open top O_TRUNC", syscall(SYS_open, at(r, "/top"), O_RDONLY | O_TRUNC));
	say("open /dev/null O_TRUNC|O_WRONLY", fd = syscall(SYS_open, "/dev/null",
							     O_WRONLY | O_TRUNC));
	if (fd >= 0)
		close((int)fd);
	say("open top O_CREAT", fd = syscall(SYS_open, at(r, "/top"), O_CREAT, 0644));
	if (fd >= 0)
		close((int)fd);
	say("openat new O_CREAT from a", syscall(SYS_openat, AT_FDCWD, at(r, "/a/new"),
						 O_CREAT | O_RDWR, 0644));
	say("creat new", syscall(SYS_creat, at(r, "/new"), 0644));
	say("creat top", syscall(SYS_creat, at(r, "/top"), 0644));
	say("creat empty", syscall(SYS_creat, "", 0644));
}

static void statfs_of(const char *what, long r, const struct statfs *f)
{
	say(what, r);
	if (r == 0)
		printf("  read-only %d, name max %ld, block %ld\n", !!(f->f_flags & ST_RDONLY_),
		       (long)f->f_namelen, (long)f->f_bsize);
}

int do_rofs(const char *r)
{
	struct statfs f;
	int top;

	names(r);
	removes(r);
	changes(r);
	opens(r);
	statfs_of("statfs root", syscall(SYS_statfs, r, &f), &f);
	statfs_of("statfs a/x", syscall(SYS_statfs, at(r, "/a/x"), &f), &f);
	say("statfs nope", syscall(SYS_statfs, at(r, "/nope"), &f));
	say("statfs bad buffer", syscall(SYS_statfs, r, BAD));
	top = open(at(r, "/top"), O_RDONLY);
	statfs_of("fstatfs top", syscall(SYS_fstatfs, top, &f), &f);
	close(top);
	say("fstatfs closed", syscall(SYS_fstatfs, 999, &f));
	return 0;
}
