/* SPDX-License-Identifier: MIT */
/*
 * lxremap.c: lxtest mremap, compared with Linux line by line. Inside a
 * reservation (PROT_NONE) at the same addresses on both, with free windows
 * cut where a mapping should grow: growing in place (read-write, read-only,
 * PROT_NONE), refused where the next addresses are taken, moved with
 * MREMAP_MAYMOVE, to a fixed address (over a mapping too, growing and
 * shrinking), MREMAP_DONTUNMAP, and the errors (overlap, unaligned, a
 * mapping with a hole, nothing mapped, a length of 0). Each mapping's bytes
 * are checked where they went, fresh pages read zero, and the old addresses
 * are free (msync says ENOMEM) or not. Addresses are never printed: where a
 * mapping moves differs between the two.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG  4096L
#define MB  (1L << 20)
#define RES (256 * PG)

static const long rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
static long res; /* the reservation: page k of it is at(k) */

static long at(long k)
{
	return res + k * PG;
}

static long map(long addr, long len, long prot, long flags)
{
	return syscall(SYS_mmap, addr, len, prot, flags, -1, 0);
}

static long remap(long addr, long old, long len, long flags, long to)
{
	return syscall(SYS_mremap, addr, old, len, flags, to);
}

static const char *err(long r)
{
	return r != -1		 ? "ok"
	       : errno == EFAULT ? "EFAULT"
	       : errno == EINVAL ? "EINVAL"
	       : errno == ENOMEM ? "ENOMEM"
				 : strerror(errno);
}

/* Page i of a mapping holds c + i in its first and last byte. */
static void fill(long a, long pages, char c)
{
	for (long i = 0; i < pages; i++)
		((char *)a)[i * PG] = ((char *)a)[i * PG + PG - 1] = (char)(c + i);
}

static const char *holds(long a, long pages, char c)
{
	for (long i = 0; i < pages; i++)
		if (((char *)a)[i * PG] != (char)(c + i) ||
		    ((char *)a)[i * PG + PG - 1] != (char)(c + i))
			return "no";
	return "yes";
}

/* Fresh pages: zero, and (rw) writable. */
static const char *fresh(long a, long pages, int write)
{
	for (long i = 0; i < pages; i++) {
		volatile char *p = (char *)(a + i * PG);
		if (p[0] || p[PG - 1])
			return "no";
		if (write)
			p[7] = 7;
	}
	return "yes";
}

static const char *mapped(long a, long len)
{
	return syscall(SYS_msync, a, len, MS_ASYNC) == 0 ? "mapped" : err(-1);
}

/* The result of a mremap that should stay at a: "in place", or the error. */
static const char *in_place(long r, long a)
{
	return r == a ? "in place" : r == -1 ? err(r) : "moved";
}

/* Pages [k, k + n) of the reservation free, then a mapping at the first pages of them. */
static long window(long k, long n, long pages, long prot)
{
	syscall(SYS_munmap, at(k), n * PG);
	return map(at(k), pages * PG, prot, anon | MAP_FIXED_NOREPLACE);
}

/* Pages [k, k + n) reserved again (what a test left free there). */
static void close_window(long k, long n)
{
	syscall(SYS_munmap, at(k), n * PG);
	map(at(k), n * PG, PROT_NONE, anon | MAP_FIXED_NOREPLACE);
}

static void grow_in_place(void)
{
	long a = window(0, 8, 2, rw), r;

	fill(a, 2, 'a');
	r = remap(a, 2 * PG, 4 * PG, 0, 0);
	printf("grow read-write, free after: %s, bytes kept %s, new pages fresh %s\n",
	       in_place(r, a), holds(a, 2, 'a'), fresh(a + 2 * PG, 2, 1));
	r = remap(a, 4 * PG, PG, 0, 0);
	printf("shrink: %s, the rest %s\n", in_place(r, a), mapped(a + PG, 3 * PG));
	close_window(1, 7);

	long g = window(16, 8, 1, rw);
	fill(g, 1, 'g');
	syscall(SYS_mprotect, g, PG, PROT_READ);
	r = remap(g, PG, 3 * PG, 0, 0);
	printf("grow read-only: %s, bytes kept %s, new pages fresh %s\n", in_place(r, g),
	       holds(g, 1, 'g'), fresh(g + PG, 2, 0));
	close_window(19, 5);

	long n = window(32, 8, 1, PROT_NONE);
	r = remap(n, PG, 2 * PG, 0, 0);
	printf("grow PROT_NONE: %s, then mprotect: %s", in_place(r, n),
	       err(syscall(SYS_mprotect, n, 2 * PG, rw)));
	printf(", pages fresh %s\n", fresh(n, 2, 1));
	close_window(34, 6);
}

static void fixed(void)
{
	long d = map(at(48), 3 * PG, rw, anon | MAP_FIXED), r;

	fill(d, 3, 'd');
	r = remap(d, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(64));
	printf("MREMAP_FIXED: %s, bytes moved %s, old addresses %s\n",
	       r == at(64) ? "there" : err(r), r == at(64) ? holds(r, 3, 'd') : "-",
	       mapped(at(48), 3 * PG));

	long e = map(at(80), PG, rw, anon | MAP_FIXED),
	     f = map(at(84), 2 * PG, rw, anon | MAP_FIXED);
	fill(e, 1, 'e');
	fill(f, 2, 'f');
	r = remap(f, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(80));
	printf("MREMAP_FIXED over a mapping, growing: %s, bytes %s, new page fresh %s\n",
	       r == at(80) ? "there" : err(r), r == at(80) ? holds(r, 2, 'f') : "-",
	       r == at(80) ? fresh(r + 2 * PG, 1, 1) : "-");
	printf("MREMAP_FIXED overlapping itself: %s\n",
	       err(remap(at(80), 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(81))));
	printf("MREMAP_FIXED to an unaligned address: %s\n",
	       err(remap(at(80), PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(100) + 8)));
	r = remap(at(64), 3 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, at(96));
	printf("MREMAP_FIXED shrinking: %s, bytes %s, old addresses %s\n",
	       r == at(96) ? "there" : err(r), r == at(96) ? holds(r, 1, 'd') : "-",
	       mapped(at(64), 3 * PG));
}

static void moving(void)
{
	long b = map(at(112), 2 * PG, rw, anon | MAP_FIXED), r;

	fill(b, 2, 'b');
	printf("grow with the next pages taken: %s\n", err(remap(b, 2 * PG, 4 * PG, 0, 0)));
	r = remap(b, 2 * PG, 6 * PG, MREMAP_MAYMOVE, 0);
	printf("... with MREMAP_MAYMOVE: %s, bytes %s, new pages fresh %s, old addresses %s\n",
	       in_place(r, b), r != -1 ? holds(r, 2, 'b') : "-",
	       r != -1 ? fresh(r + 2 * PG, 4, 1) : "-", mapped(b, 2 * PG));
	if (r != -1)
		syscall(SYS_munmap, r, 6 * PG);

	long d = map(at(120), 2 * PG, rw, anon | MAP_FIXED);
	fill(d, 2, 'u');
	r = remap(d, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	printf("MREMAP_DONTUNMAP: %s, bytes %s, old addresses %s, fresh %s\n", in_place(r, d),
	       r != -1 ? holds(r, 2, 'u') : "-", mapped(d, 2 * PG), fresh(d, 2, 1));
	if (r != -1)
		syscall(SYS_munmap, r, 2 * PG);

	long big = map(0, PG, rw, anon);
	fill(big, 1, 'B');
	r = remap(big, PG, 8 * MB, MREMAP_MAYMOVE, 0);
	printf("grow one page to 8 MiB: %s, bytes %s", r == -1 ? err(r) : "ok",
	       r != -1 ? holds(r, 1, 'B') : "-");
	if (r != -1) {
		((char *)r)[8 * MB - 1] = 1;
		printf(", last byte %d\n", ((char *)r)[8 * MB - 1]);
		syscall(SYS_munmap, r, 8 * MB);
	} else {
		printf("\n");
	}
}

/* Megabytes at a time (large pages where the kernel used them): the whole
 * mapping moved, then a middle part of it to a fixed address. */
static void large(void)
{
	long m = map(0, 4 * MB, rw, anon), r;

	fill(m, 4 * MB / PG, 'a');
	map(m + 4 * MB, PG, PROT_NONE, anon | MAP_FIXED_NOREPLACE); /* growing in place: no */
	r = remap(m, 4 * MB, 8 * MB, MREMAP_MAYMOVE, 0);
	printf("4 MiB to 8 MiB, moved: %s, bytes %s, fresh after %s\n", r == -1 ? err(r) : "ok",
	       r != -1 ? holds(r, 4 * MB / PG, 'a') : "-", r != -1 ? fresh(r + 4 * MB, 4, 1) : "-");
	if (r == -1)
		return;
	long t = map(0, 2 * MB, PROT_NONE, anon);
	long got = remap(r + MB, 2 * MB, 2 * MB, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	printf("its middle 2 MiB to a fixed address: %s, bytes %s, the hole %s, the rest %s %s\n",
	       got == t ? "there" : err(got), got == t ? holds(t, 2 * MB / PG, (char)('a' + 256)) : "-",
	       mapped(r + MB, 2 * MB), holds(r, MB / PG, 'a'),
	       holds(r + 3 * MB, MB / PG, (char)('a' + 768)));
	syscall(SYS_munmap, r, 8 * MB);
	syscall(SYS_munmap, t, 2 * MB);
	syscall(SYS_munmap, m + 4 * MB, PG);
}

static void errors(void)
{
	syscall(SYS_munmap, at(130), 2 * PG);
	printf("nothing mapped: %s\n", err(remap(at(130), PG, 2 * PG, MREMAP_MAYMOVE, 0)));
	map(at(140), PG, rw, anon | MAP_FIXED);
	syscall(SYS_munmap, at(141), PG);
	printf("a mapping and a hole: %s\n",
	       err(remap(at(140), 2 * PG, 3 * PG, MREMAP_MAYMOVE, 0)));
	printf("old length 0 (private): %s\n", err(remap(at(140), 0, PG, MREMAP_MAYMOVE, 0)));
	printf("DONTUNMAP resizing: %s\n",
	       err(remap(at(140), PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0)));
	/* Not shrinking where nothing is mapped: Linux 6.1 says where, later ones EFAULT. */
}

int do_mremap(void);

int do_mremap(void)
{
	long p0 = map(0, PG, rw, anon);

	/* Above kvmlet's next placement, and in the free gap above Linux's mmap base. */
	for (int i = 1; i <= 16 && !res; i++) {
		long want = p0 + i * 16 * MB,
		     r = map(want, RES, PROT_NONE, anon | MAP_FIXED_NOREPLACE);
		if (r == want)
			res = r;
		else if (r != -1)
			syscall(SYS_munmap, r, RES);
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* a fault shows after the last line it passed */
	printf("reservation: %s\n", res ? "made" : "none found");
	if (!res)
		return 1;
	grow_in_place();
	fixed();
	moving();
	large();
	errors();
	syscall(SYS_munmap, res, RES);
	return 0;
}
