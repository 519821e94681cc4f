/* SPDX-License-Identifier: MIT */
/*
 * lxmaps.c: `lxtest maps`: /proc/self/maps, compared with Linux line by line
 * (only what does not depend on where things are): the stack's line holds a
 * local and says [stack], the code's is r-xp and named as /proc/self/exe,
 * a mapping made, protected and unmapped shows and goes, reading 7 bytes at a
 * time gives what one read does, lseek back reads it again, and
 * pthread_getattr_np on the main thread (glibc reads the file) finds a stack
 * that holds a local. `lxtest procself`: /proc/self's cmdline and environ;
 * `lxtest procinfo`: /proc/meminfo, /proc/uptime, /proc/mounts and
 * /proc/self/mountinfo agree with sysinfo and statfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define MAPS "/proc/self/maps"

static char text[1 << 16], first[1 << 16]; /* not on the stack, whose line would grow */

/* All of the file, read n bytes at a time; its length, or -1. */
static long slurp(int fd, size_t n)
{
	long got = 0, r;

	while ((size_t)got < sizeof(text) - 1) {
		size_t want = sizeof(text) - 1 - (size_t)got;
		if ((r = read(fd, text + got, n < want ? n : want)) <= 0)
			break;
		got += r;
	}
	text[got] = 0;
	return got;
}

/* The line of the mapping that holds a, its permissions in perm; 0 if none. */
static const char *line_of(uintptr_t a, char perm[5])
{
	static char line[512];
	FILE *f = fopen(MAPS, "r");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 && a >= lo && a < hi) {
			fclose(f);
			return line;
		}
	}
	fclose(f);
	return NULL;
}

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

static const char *ends_with(const char *line, const char *name)
{
	size_t n = strlen(line), k = strlen(name);

	while (n && line[n - 1] == '\n')
		n--;
	return yes(k && n >= k && !strncmp(line + n - k, name, k));
}

int do_maps(void);

int do_maps(void)
{
	char perm[5] = "", perm2[5] = "";
	int local = 0;
	const char *l = line_of((uintptr_t)&local, perm);

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("stack: %s, %s, [stack]: %s\n", l ? "found" : "missing", perm,
	       l ? ends_with(l, "[stack]") : "-");
	char exe[256] = "";
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		exe[0] = 0;
	l = line_of((uintptr_t)do_maps, perm);
	printf("code: %s, %s, named as /proc/self/exe: %s\n", l ? "found" : "missing", perm,
	       l ? ends_with(l, exe) : "-");

	char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	l = line_of((uintptr_t)p + 4096, perm);
	printf("mmap read-only: %s, %s, unnamed: %s\n", l ? "found" : "missing", perm,
	       l ? yes(l[strlen(l) - 2] == '0' || l[strlen(l) - 2] == ' ') : "-");
	mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE);
	l = line_of((uintptr_t)p + 4096, perm);
	line_of((uintptr_t)p, perm2);
	printf("middle page made writable: %s, the first still %s\n", l ? perm : "missing", perm2);
	munmap(p, 3 * 4096);
	printf("unmapped: gone: %s\n", yes(!line_of((uintptr_t)p + 4096, perm)));

	int fd = open(MAPS, O_RDONLY);
	struct stat st;
	long whole = slurp(fd, sizeof(text));
	memcpy(first, text, (size_t)whole + 1);
	printf("regular file of size 0: %s\n",
	       yes(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0));
	printf("lseek back: %s", lseek(fd, 0, SEEK_SET) == 0 ? "0" : "failed");
	long again = slurp(fd, 7);
	printf(", 7 bytes at a time: the same %s\n", yes(again == whole && !strcmp(first, text)));
	close(fd);

	pthread_attr_t a;
	void *lo;
	size_t size;
	int r = pthread_getattr_np(pthread_self(), &a);
	if (r == 0)
		r = pthread_attr_getstack(&a, &lo, &size);
	printf("pthread_getattr_np(main): %s, the stack holds a local: %s\n", r ? "failed" : "ok",
	       yes(!r && (uintptr_t)&local >= (uintptr_t)lo &&
		   (uintptr_t)&local < (uintptr_t)lo + size));
	return 0;
}

/* `lxtest procself ARG...`: /proc/self/cmdline and /proc/self/environ (the
 * arguments and the environment the program started with, each string with
 * its NUL), read whole, in pieces of 3 bytes, after lseek and by pread;
 * fstat's answer. NULs are shown as '|'. */
int do_procself(void);

static void show_proc(const char *path)
{
	char buf[512], piece[4];
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf)), total = 0;
	struct stat st;

	for (long i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '|';
	printf("%s: %ld bytes: %.*s\n", path, n, n > 0 ? (int)n : 0, buf);
	lseek(fd, 0, SEEK_SET);
	for (long k; (k = read(fd, piece, 3)) > 0;)
		total += k;
	printf("  in pieces of 3: %ld bytes\n", total);
	if (n > 2) {
		printf("  lseek 2: %ld", (long)lseek(fd, 2, SEEK_SET));
		printf(", reads %ld\n",
		       (long)read(fd, piece, 1) == 1 ? (long)(piece[0] ? piece[0] : '|') : -1L);
		printf("  pread at 1: %c\n",
		       pread(fd, piece, 1, 1) == 1 ? (piece[0] ? piece[0] : '|') : '?');
	}
	memset(&st, 0, sizeof(st));
	int r = fstat(fd, &st);
	printf("  fstat: regular %s, size %lld, mode %o\n", yes(r == 0 && S_ISREG(st.st_mode)),
	       (long long)st.st_size, st.st_mode & 0777);
	close(fd);
}

int do_procself(void)
{
	show_proc("/proc/self/cmdline");
	show_proc("/proc/self/environ");
	show_proc("/proc/thread-self/cmdline");
	return 0;
}

/* All of path into text (NUL-terminated), 5 bytes per read; its length or -1. */
static long read_all(const char *path)
{
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : slurp(fd, 5);

	if (fd >= 0)
		close(fd);
	return n;
}

/* The number after "name:" in text, in kB; -1 if there is none. */
static long long meminfo_kb(const char *name)
{
	const char *p = strstr(text, name);
	long long v;

	return p && (p == text || p[-1] == '\n') && sscanf(p + strlen(name), ": %lld kB", &v) == 1
		       ? v
		       : -1;
}

/* Whether every line of text has at least min fields and, for mountinfo,
 * the " - " that ends its optional fields; *root: one mounted at "/". */
static int mount_lines(int min, int info, int *root)
{
	char copy[sizeof(text)];
	int lines = 0, good = 1;

	strcpy(copy, text);
	*root = 0;
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char f[12][256];
		int n = sscanf(l,
			       "%255s %255s %255s %255s %255s %255s %255s %255s %255s %255s %255s",
			       f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]);
		lines++;
		good &= n >= min && (!info || strstr(l, " - ") != NULL);
		*root |= n >= min && !strcmp(f[info ? 4 : 1], "/");
	}
	return good && lines > 0;
}

int do_procinfo(void)
{
	struct sysinfo si;
	struct statfs sf;
	struct stat st;
	int root;

	if (sysinfo(&si) < 0) {
		printf("sysinfo failed\n");
		return 1;
	}
	long n = read_all("/proc/meminfo");
	long long total = meminfo_kb("MemTotal"), fr = meminfo_kb("MemFree");
	long long si_total = (long long)si.totalram * si.mem_unit / 1024;
	long long si_free = (long long)si.freeram * si.mem_unit / 1024;
	printf("/proc/meminfo read: %s\n", yes(n > 0));
	printf("  MemTotal is sysinfo's totalram: %s\n", yes(total == si_total));
	printf("  MemFree within 2%% of sysinfo's freeram: %s\n",
	       yes(fr >= 0 && (fr - si_free) * 50 <= si_total && (si_free - fr) * 50 <= si_total));
	printf("  MemAvailable, SwapTotal, Cached there: %s\n",
	       yes(meminfo_kb("MemAvailable") >= 0 && meminfo_kb("SwapTotal") >= 0 &&
		   meminfo_kb("Cached") >= 0));
	printf("  its first line in Linux's columns: %s\n",
	       yes(!strncmp(text, "MemTotal:", 9) && text[15] == ' ' && text[16] != '\n' &&
		   !strncmp(text + 24, " kB\n", 4)));

	double up = -1, idle = -1;
	n = read_all("/proc/uptime");
	printf("/proc/uptime: two numbers within 2 s of sysinfo's uptime: %s\n",
	       yes(n > 0 && sscanf(text, "%lf %lf", &up, &idle) == 2 && idle >= 0 &&
		   up >= (double)si.uptime - 2 && up <= (double)si.uptime + 2));

	n = read_all("/proc/mounts");
	printf("/proc/mounts: lines of six fields, one of them /: %s\n",
	       yes(n > 0 && mount_lines(6, 0, &root) && root));
	char mounts[sizeof(text)];
	strcpy(mounts, text);
	read_all("/proc/self/mounts");
	printf("  /proc/self/mounts is the same: %s\n", yes(!strcmp(mounts, text)));
	printf("  statfs of /: %s\n", yes(statfs("/", &sf) == 0));
	n = read_all("/proc/self/mountinfo");
	printf("/proc/self/mountinfo: lines of ten fields and \" - \", one of them /: %s\n",
	       yes(n > 0 && mount_lines(10, 1, &root) && root));

	const char *const not_dirs[] = {"/proc/meminfo/", "/proc/self/maps/.", "/proc/mounts/x"};
	for (size_t i = 0; i < sizeof(not_dirs) / sizeof(not_dirs[0]); i++) {
		errno = 0;
		int fd = open(not_dirs[i], O_RDONLY), e = errno;
		printf("%s (a file as a directory): %d, %s\n", not_dirs[i], fd,
		       e == ENOTDIR  ? "ENOTDIR"
		       : e == ENOENT ? "ENOENT"
				     : "another errno");
	}

	const char *const files[] = {"/proc/meminfo", "/proc/uptime", "/proc/mounts",
				     "/proc/self/mountinfo", "/proc/thread-self/mounts"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_RDONLY);
		memset(&st, 0, sizeof(st));
		int r = fd >= 0 ? fstat(fd, &st) : -1;
		printf("%s: regular %s, size %lld, mode %o\n", files[i],
		       yes(r == 0 && S_ISREG(st.st_mode)), (long long)st.st_size,
		       st.st_mode & 0777);
		close(fd);
	}
	return 0;
}
