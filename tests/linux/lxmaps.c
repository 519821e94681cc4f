/* SPDX-License-Identifier: MIT */
/*
 * lxmaps.c: `lxtest maps`: /proc/self/maps, compared with Linux line by line
 * (only what does not depend on where things are): the stack's line holds a
 * local and says [stack], the code's is r-xp and named as /proc/self/exe,
 * a mapping made, protected and unmapped shows and goes, reading 7 bytes at a
 * time gives what one read does, lseek back reads it again, and
 * pthread_getattr_np on the main thread (glibc reads the file) finds a stack
 * that holds a local.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
