/* SPDX-License-Identifier: MIT */
/*
 * lxvma.c: lxtest mmapplace, where mmap puts what it places beside mappings
 * the program fixed, compared with Linux line by line: a reservation
 * (PROT_NONE, MAP_FIXED_NOREPLACE) right where kvmlet's mmap would place
 * next keeps its addresses (nothing placed there, not even at a hint inside
 * it; MAP_FIXED_NOREPLACE over it is EEXIST; its pages come with mprotect,
 * and no other mapping shares them), a range with a hole cannot be
 * mprotected, a free hint is taken and a taken one is not, and the break
 * does not grow into a mapping. lxtest mmaprandom SEED N: N random calls
 * inside a reservation, each result printed, every page's byte checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MB  (1L << 20)
#define RES (8 * MB)
#define PLACED 6

static const long rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;

static long map(long at, long len, long prot, long flags)
{
	return syscall(SYS_mmap, at, len, prot, flags, -1, 0);
}

static const char *err(long r)
{
	return r != -1 ? "ok" : errno == EEXIST ? "EEXIST" : errno == ENOMEM ? "ENOMEM" : strerror(errno);
}

static int inside(long p, long len, long lo, long hi)
{
	return p != -1 && p < hi && p + len > lo;
}

/* Free addresses above at, for len bytes, taken with MAP_FIXED_NOREPLACE as
 * PROT_NONE: on kvmlet right after its next placement, on Linux in the gap
 * above its mmap base (tried 16 MiB further each time something is there). */
static long reserve(long at, long len)
{
	for (int i = 1; i <= 16; i++) {
		long want = at + i * 16 * MB, r = map(want, len, PROT_NONE, anon | MAP_FIXED_NOREPLACE);
		if (r == want)
			return r;
		if (r != -1)
			syscall(SYS_munmap, r, len);
	}
	return -1;
}

static void placement(void)
{
	long p0 = map(0, 4096, rw, anon), placed[PLACED];
	long res = reserve(p0, RES);

	printf("reservation: %s\n", res == -1 ? "none found" : "made");
	if (res == -1)
		return;
	printf("MAP_FIXED_NOREPLACE over it: %s\n",
	       err(map(res + 4 * MB, 4096, rw, anon | MAP_FIXED_NOREPLACE)));
	long h = map(res + MB, 4096, rw, anon);
	printf("a hint inside it placed inside: %s\n", inside(h, 4096, res, res + RES) ? "yes" : "no");
	int meet = 0;
	for (int i = 0; i < PLACED; i++) {
		placed[i] = map(0, 4 * MB, rw, anon);
		meet += inside(placed[i], 4 * MB, res, res + RES);
		if (placed[i] != -1)
			memset((void *)placed[i], 'a' + i, 4 * MB);
	}
	printf("placed mappings inside it: %d\n", meet);
	printf("mprotect it read-write: %s\n", err(syscall(SYS_mprotect, res, RES, rw)));
	memset((void *)res, 'z', RES);
	int intact = 1;
	for (int i = 0; i < PLACED; i++)
		for (long o = 0; placed[i] != -1 && o < 4 * MB; o += 4096)
			intact &= ((char *)placed[i])[o] == 'a' + i;
	printf("the placed mappings kept their bytes: %s\n", intact ? "yes" : "no");
	printf("munmap a hole in it: %s\n", err(syscall(SYS_munmap, res + 2 * MB, MB)));
	printf("mprotect across the hole: %s\n", err(syscall(SYS_mprotect, res, RES, PROT_READ)));
	printf("msync across the hole: %s\n", err(syscall(SYS_msync, res, RES, MS_SYNC)));
	printf("madvise(MADV_DONTNEED) across the hole: %s\n",
	       err(syscall(SYS_madvise, res, RES, MADV_DONTNEED)));
	printf("zeroed before and after the hole: %s\n",
	       ((char *)res)[5] == 0 && ((char *)res)[RES - 5] == 0 ? "yes" : "no");
	printf("madvise(MADV_NORMAL) across the hole: %s\n",
	       err(syscall(SYS_madvise, res, RES, MADV_NORMAL)));
	long f = map(res + 2 * MB, MB, rw, anon);
	printf("a hint on the hole: %s\n", f == res + 2 * MB ? "taken" : "not taken");
	long t = map(p0, 4096, rw, anon);
	printf("a hint on a mapping: %s\n", t == p0 ? "taken" : "not taken");
	printf("fresh pages at the hint read zero: %s\n",
	       f != -1 && ((char *)f)[100] == 0 ? "yes" : "no");
	for (int i = 0; i < PLACED; i++)
		syscall(SYS_munmap, placed[i], 4 * MB);
	syscall(SYS_munmap, res, RES);
	syscall(SYS_munmap, h, 4096);
	syscall(SYS_munmap, t, 4096);
	syscall(SYS_munmap, p0, 4096);
}

/* A PROT_NONE mapping a little above the break: the break stops below it. */
static void brk_meets_mapping(void)
{
	long b = syscall(SYS_brk, 0), top = (b + 4095) & ~4095L;
	long res = map(top + MB, MB, PROT_NONE, anon | MAP_FIXED_NOREPLACE);

	printf("reservation above the break: %s\n", res == top + MB ? "made" : err(res));
	printf("brk across it: %s\n", syscall(SYS_brk, top + 3 * MB) == b ? "refused" : "grew");
	printf("brk below it: %s\n", syscall(SYS_brk, top + MB / 2) == top + MB / 2 ? "grew" : "refused");
	syscall(SYS_brk, b);
	syscall(SYS_munmap, res, MB);
}

/*
 * mmaprandom: a reservation of ARENA pages, then n random calls on ranges in
 * it: mmap with MAP_FIXED or MAP_FIXED_NOREPLACE (read-write, read-only or
 * PROT_NONE), munmap, mprotect (up to the first hole, as Linux), and writes
 * and reads of one byte per page. A model of each page (hole, none, ro, rw
 * and its byte) says what Linux does; each call's result is printed, and
 * every byte read that differs from the model.
 */
#define ARENA 256
enum { HOLE, NONE, RO, RW };

static unsigned char state[ARENA], byte[ARENA];
static uint64_t rng;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const long prots[] = {[NONE] = PROT_NONE, [RO] = PROT_READ, [RW] = PROT_READ | PROT_WRITE};

int do_mmaprandom(unsigned long seed, int n);

int do_mmaprandom(unsigned long seed, int n)
{
	char *base = (char *)map(0, ARENA * 4096L, PROT_NONE, anon);
	int wrong = 0;

	if (base == (char *)-1)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0); /* each line out before the next call: a fault shows where */
	memset(state, NONE, sizeof(state));
	memset(byte, 0, sizeof(byte));
	rng = seed * 2654435761u + 88172645463325252ull;
	for (int i = 0; i < n; i++) {
		unsigned p = pick(ARENA), len = 1 + pick(i % 5 ? 8 : 64), op = pick(8), k = 1 + pick(3);
		if (p + len > ARENA)
			len = ARENA - p;
		long a = (long)(base + p * 4096L), bytes = len * 4096L, r = 0;
		unsigned q = p, any = 0;
		switch (op) {
		case 0: /* MAP_FIXED: fresh pages whatever was there */
		case 1: /* MAP_FIXED_NOREPLACE: only where nothing is */
			for (q = p; q < p + len; q++)
				any |= state[q] != HOLE;
			r = map(a, bytes, prots[k], anon | (op ? MAP_FIXED_NOREPLACE : MAP_FIXED));
			if (op == 0 || !any)
				for (q = p; q < p + len; q++)
					state[q] = (unsigned char)k, byte[q] = 0;
			break;
		case 2:
			r = syscall(SYS_munmap, a, bytes);
			memset(state + p, HOLE, len);
			break;
		case 3:
			r = syscall(SYS_mprotect, a, bytes, prots[k]);
			for (q = p; q < p + len && state[q] != HOLE; q++)
				state[q] = (unsigned char)k;
			break;
		default: /* one byte per page: written where writable, read where readable */
			for (q = p; q < p + len; q++) {
				volatile char *c = base + q * 4096L + q % 4000;
				if (state[q] == RW)
					*c = (char)(byte[q] = (unsigned char)(1 + pick(255)));
				else if (state[q] == RO && *c != (char)byte[q] && wrong++ < 10)
					printf("page %u reads %d, not %d\n", q, *c, byte[q]);
			}
			continue;
		}
		printf("%u %u+%u %u: %s\n", op, p, len, k, err(r));
	}
	for (unsigned q = 0; q < ARENA; q++) {
		volatile char *c = base + q * 4096L + q % 4000;
		if (state[q] >= RO && *c != (char)byte[q] && wrong++ < 10)
			printf("page %u reads %d at the end, not %d\n", q, *c, byte[q]);
	}
	printf("mmaprandom %lu: %d calls, %d bytes differ from the model\n", seed, n, wrong);
	return wrong != 0;
}

int do_mmapplace(void);

int do_mmapplace(void)
{
	placement();
	brk_meets_mapping();
	return 0;
}
