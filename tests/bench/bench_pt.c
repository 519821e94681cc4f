/*
 * bench_pt.c: page-table benchmarks. Each figure is printed with its ratio
 * against a minimal hand-inlined equivalent measured in the same run (the
 * machine is noisy; absolute times drift, ratios much less).
 *
 *   map 1 GiB, 4 KiB leaves     pt_map vs an inlined table builder
 *   map 1 GiB, best leaves      (2 MiB here) pt_map vs the inlined builder
 *   translate random addresses  pt_translate vs the floor (floor_translate:
 *                               the least a walker over guest tables must do),
 *                               in time and in instructions (callgrind)
 *
 * Where pt_translate's instructions beyond the floor go (2 MiB leaves,
 * inlined: 85 against 57, 2026-12): the canonical check 3; the PT_PROT_*
 * encoding with G/PWT/PCD 13; the reserved-bit test, one more per level 3;
 * the rest is register allocation. The window and win_key set-up is hoisted
 * out of a caller's loop, as the floor's is, because the hooks fallback is
 * pure (before it was: 92).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pt_host.h"
#include "bench_util.h"

#define MEM	(8ull << 20) /* tables only: mapped frames need not be backed */
#define GIB	(1ull << 30)
#define VA_BASE 0x40000000ull
#define PA_BASE 0x80000000ull
#define NADDR	(1u << 20)
#define REPEATS 7

static uint8_t *mem;
static uint64_t bitmap[PT_HOST_BITMAP_WORDS(MEM)];
static struct pt_host host;
static struct pt_backend pt;

static void fresh_tables(void)
{
	memset(mem, 0, MEM);
	if (pt_host_init(&host, &pt, mem, MEM, 0, 0, MEM, bitmap, PT_CAP_NX, 0) < 0) {
		fprintf(stderr, "pt_host_init failed\n");
		exit(1);
	}
}

/* --- the inlined baselines: no backend, no checks beyond what the walk needs --- */

static uint64_t inl_next;

static uint64_t inl_alloc(void)
{
	uint64_t t = inl_next;
	inl_next += 4096;
	memset(mem + t, 0, 4096);
	return t;
}

static void inline_map(uint64_t va, uint64_t pa, uint64_t len, uint64_t leaf)
{
	uint64_t root = inl_alloc();

	for (uint64_t off = 0; off < len; off += leaf) {
		uint64_t t = root, v = va + off;
		int stop = leaf == PT_SIZE_2M ? 1 : 0;
		for (int lvl = 3; lvl > stop; lvl--) {
			uint64_t *e = (uint64_t *)(void *)(mem + t) + ((v >> (12 + 9 * lvl)) & 511);
			if (!(*e & PT_E_P))
				*e = inl_alloc() | PT_E_P | PT_E_RW | PT_E_US;
			t = *e & PT_E_ADDR;
		}
		uint64_t *e = (uint64_t *)(void *)(mem + t) + ((v >> (12 + 9 * stop)) & 511);
		*e = (pa + off) | PT_E_P | PT_E_RW | PT_E_US | PT_E_NX | (stop ? PT_E_PS : 0);
	}
}

/*
 * The bare walk: P, leaf and pa, nothing else. Not a floor for a walker over
 * guest-controlled tables: it reads wherever an entry points (outside guest
 * memory, for a hostile guest) and says nothing about protection. Kept to
 * show what the checks below cost.
 */
static inline uint64_t bare_translate(uint64_t root, uint64_t va)
{
	uint64_t t = root;

	for (int lvl = 3; lvl >= 0; lvl--) {
		uint64_t e =
			((const uint64_t *)(const void *)(mem + t))[(va >> (12 + 9 * lvl)) & 511];
		if (!(e & PT_E_P))
			return ~0ull;
		if (lvl == 0 || (e & PT_E_PS)) {
			uint64_t mask = (1ull << (12 + 9 * lvl)) - 1;
			return ((e & PT_E_ADDR) & ~mask) | (va & mask);
		}
		t = e & PT_E_ADDR;
	}
	return ~0ull;
}

/* Guest memory as the floor sees it: tables at mem[t - base], t - base <= lim. */
struct floor_mem {
	const uint8_t *mem;
	uint64_t base, lim, root;
};

/* The floor's result: pa, and the effective rights as raw entry bits. */
struct floor_tr {
	uint64_t pa;
	uint64_t flags; /* PT_E_RW, PT_E_US if every level has them; PT_E_NX if any level does */
};

/*
 * The honest floor: what any walker over guest-controlled tables must do to
 * be safe and useful to its caller, and nothing of ours (no reserved-bit
 * rules, no canonical check, no hooks, no PT_PROT_* encoding, no G/PWT/PCD):
 * - bound each table address, the root included, against guest memory: the
 *   guest writes the entries (and CR3), so an unchecked one makes the host
 *   read wherever the guest likes;
 * - P: an entry without it maps nothing, whatever its other bits say;
 * - PS at the PDPT and PD levels: where the walk stops, or pa is wrong;
 * - pa: the leaf's frame plus va's offset in it;
 * - effective RW and US (AND over the levels) and NX (OR): a caller about to
 *   write guest memory for the guest, or to trust a user pointer, must check
 *   them, and the leaf alone does not say.
 * Returns 0, or -1 if va is not mapped or a table is outside guest memory.
 */
static inline int floor_translate(const struct floor_mem *m, uint64_t va, struct floor_tr *out)
{
	uint64_t t = m->root, all = ~0ull, any = 0;

	for (int lvl = 3; lvl >= 0; lvl--) {
		const unsigned shift = 12 + 9 * (unsigned)lvl;
		uint64_t e;

		if (t - m->base > m->lim)
			return -1;
		memcpy(&e, m->mem + (t - m->base) + ((va >> shift) & 511) * 8, 8);
		if (!(e & PT_E_P))
			return -1;
		all &= e;
		any |= e;
		if (lvl == 0 || (lvl < 3 && (e & PT_E_PS))) {
			const uint64_t mask = (1ull << shift) - 1;
			out->pa = (e & PT_E_ADDR & ~mask) | (va & mask);
			out->flags = (all & (PT_E_RW | PT_E_US)) | (any & PT_E_NX);
			return 0;
		}
		t = e & PT_E_ADDR;
	}
	return -1;
}

/*
 * The measured code, out of line so that callgrind can count it
 * (--toggle-collect) and the timings run exactly what it counts. loop_*: n
 * translations with the walk inlined, as callers have it (set-up hoisted out
 * of the loop); one_*: a single translation per call, set-up included.
 * Each loop consumes pa and the protection, so that neither is dead code.
 */
#define NOINLINE __attribute__((noinline))

NOINLINE static uint64_t loop_ours(const struct pt_backend *b, const uint64_t *va, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pt_translation t;
		if (pt_translate(b, va[i], &t) == 0)
			sum += t.pa ^ t.prot;
	}
	return sum;
}

NOINLINE static uint64_t loop_floor(const struct floor_mem *m, const uint64_t *va, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		struct floor_tr t;
		if (floor_translate(m, va[i], &t) == 0)
			sum += t.pa ^ t.flags;
	}
	return sum;
}

NOINLINE static uint64_t loop_bare(uint64_t root, const uint64_t *va, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += bare_translate(root, va[i]);
	return sum;
}

NOINLINE static int one_ours(const struct pt_backend *b, uint64_t va, struct pt_translation *t)
{
	return pt_translate(b, va, t);
}

NOINLINE static int one_floor(const struct floor_mem *m, uint64_t va, struct floor_tr *t)
{
	return floor_translate(m, va, t);
}

/* Read through volatile: the callees cannot be specialised for one backend. */
static const struct pt_backend *volatile pt_v = &pt;
static const struct floor_mem *volatile fm_v;
/* Written through volatile: no loop's result is dead, so none is left out. */
static volatile uint64_t sink;

NOINLINE static uint64_t calls_ours(const uint64_t *va, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pt_translation t;
		if (one_ours(pt_v, va[i], &t) == 0)
			sum += t.pa ^ t.prot;
	}
	return sum;
}

NOINLINE static uint64_t calls_floor(const uint64_t *va, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		struct floor_tr t;
		if (one_floor(fm_v, va[i], &t) == 0)
			sum += t.pa ^ t.flags;
	}
	return sum;
}

/* --- benchmarks --- */

static void bench_map(const char *name, uint32_t opts, uint64_t leaf)
{
	double ours[REPEATS], base[REPEATS];

	for (int i = 0; i < REPEATS; i++) {
		fresh_tables();
		double t0 = now_ns();
		int r = pt_map(&pt, VA_BASE, PA_BASE, GIB, PT_PROT_WRITE | PT_PROT_USER, opts);
		ours[i] = now_ns() - t0;
		if (r < 0) {
			fprintf(stderr, "pt_map: %s\n", pt_strerror(r));
			exit(1);
		}
		inl_next = 0;
		t0 = now_ns();
		inline_map(VA_BASE, PA_BASE, GIB, leaf);
		base[i] = now_ns() - t0;
	}
	double o = median(ours, REPEATS), b = median(base, REPEATS);
	printf("%-34s %12.1f us   inlined %10.1f us   ratio %5.2f   (%" PRIu64 " tables)\n", name,
	       o / 1e3, b / 1e3, o / b, host.nr_used);
}

/* Map 1 GiB with opts and fill addrs[0..n) with random addresses in it. */
static void translate_setup(uint32_t opts, uint64_t *addrs, unsigned n)
{
	uint64_t seed = 12345;

	fresh_tables();
	if (pt_map(&pt, VA_BASE, PA_BASE, GIB, PT_PROT_WRITE | PT_PROT_USER, opts) < 0)
		exit(1);
	for (unsigned i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		addrs[i] = VA_BASE + ((seed >> 20) % GIB);
	}
}

/* pt_translate, the floor and the bare walk agree on every address (pa and rights). */
static void translate_agree(const char *name, const struct floor_mem *fm, const uint64_t *addrs,
			    unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct pt_translation t;
		struct floor_tr f;
		int r = pt_translate(&pt, addrs[i], &t), rf = floor_translate(fm, addrs[i], &f);
		uint32_t want = ((f.flags & PT_E_RW) ? PT_PROT_WRITE : 0) |
				((f.flags & PT_E_US) ? PT_PROT_USER : 0) |
				((f.flags & PT_E_NX) ? 0 : PT_PROT_EXEC);
		if (r != 0 || rf != 0 || t.pa != f.pa ||
		    t.pa != bare_translate(host.root, addrs[i]) ||
		    (t.prot & (PT_PROT_WRITE | PT_PROT_USER | PT_PROT_EXEC)) != want) {
			fprintf(stderr, "%s: pt_translate, the floor and the bare walk disagree\n",
				name);
			exit(1);
		}
	}
}

/* The floor over the same memory and tables as pt (fm_v points at it). */
static struct floor_mem fm;

static void floor_of_host(void)
{
	fm = (struct floor_mem){.mem = mem, .base = 0, .lim = MEM - PT_SIZE_4K, .root = host.root};
	fm_v = &fm;
}

static void bench_translate(const char *name, uint32_t opts)
{
	static uint64_t addrs[NADDR];
	enum { L_OURS, L_FLOOR, L_BARE, C_OURS, C_FLOOR, NV };
	double ns[NV][REPEATS], t0;
	uint64_t sum[NV] = {0};

	translate_setup(opts, addrs, NADDR);
	floor_of_host();
	translate_agree(name, &fm, addrs, NADDR);
	for (int k = 0; k < REPEATS; k++) {
		for (int v = 0; v < NV; v++) {
			t0 = now_ns();
			switch (v) {
			case L_OURS:
				sum[v] += loop_ours(&pt, addrs, NADDR);
				break;
			case L_FLOOR:
				sum[v] += loop_floor(&fm, addrs, NADDR);
				break;
			case L_BARE:
				sum[v] += loop_bare(host.root, addrs, NADDR);
				break;
			case C_OURS:
				sum[v] += calls_ours(addrs, NADDR);
				break;
			default:
				sum[v] += calls_floor(addrs, NADDR);
				break;
			}
			ns[v][k] = (now_ns() - t0) / NADDR;
		}
	}
	sink = sum[L_BARE];
	if (sum[L_OURS] != sum[C_OURS] || sum[L_FLOOR] != sum[C_FLOOR]) {
		fprintf(stderr, "%s: the inlined and called walks disagree\n", name);
		exit(1);
	}
	double m[NV];
	for (int v = 0; v < NV; v++)
		m[v] = median(ns[v], REPEATS);
	printf("%-34s %12.1f ns   floor %12.1f ns   ratio %5.2f   (bare walk %.1f ns, %.2f)\n",
	       name, m[L_OURS], m[L_FLOOR], m[L_OURS] / m[L_FLOOR], m[L_BARE],
	       m[L_OURS] / m[L_BARE]);
	printf("%-34s %12.1f ns   floor %12.1f ns   ratio %5.2f\n", "  one call each", m[C_OURS],
	       m[C_FLOOR], m[C_OURS] / m[C_FLOOR]);
}

/*
 * Instructions per translation, counted by callgrind: this program runs
 * itself under valgrind once per measured function (--count), with
 * collection on only inside that function, and divides by the calls.
 */
#define NCOUNT (1u << 16)

static const char *const counted[] = {"loop_ours", "loop_floor", "loop_bare", "one_ours",
				      "one_floor"};
#define NCOUNTED (sizeof(counted) / sizeof(counted[0]))

static int count_run(const char *fn, uint32_t opts)
{
	static uint64_t addrs[NCOUNT];

	translate_setup(opts, addrs, NCOUNT);
	floor_of_host();
	if (!strcmp(fn, "loop_ours"))
		sink = loop_ours(&pt, addrs, NCOUNT);
	else if (!strcmp(fn, "loop_floor"))
		sink = loop_floor(&fm, addrs, NCOUNT);
	else if (!strcmp(fn, "loop_bare"))
		sink = loop_bare(host.root, addrs, NCOUNT);
	else if (!strcmp(fn, "one_ours"))
		sink = calls_ours(addrs, NCOUNT);
	else if (!strcmp(fn, "one_floor"))
		sink = calls_floor(addrs, NCOUNT);
	else
		return 2;
	return 0;
}

/* Instructions callgrind counted in fn (and what it calls) per translation; < 0 on failure. */
static double count_instr(const char *fn, uint32_t opts)
{
	char toggle[64], opt[16], line[256], self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd[2];

	snprintf(toggle, sizeof(toggle), "--toggle-collect=%s*", fn);
	snprintf(opt, sizeof(opt), "%u", opts);
	if (len <= 0 || pipe(fd) < 0)
		return -1;
	self[len] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		execlp("valgrind", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
		       toggle, self, "--count", fn, opt, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		return -1;
	}
	FILE *f = fdopen(fd[0], "r");
	double n = -1;
	const char *c;
	while (f && fgets(line, sizeof(line), f))
		if ((c = strstr(line, "Collected :")))
			n = strtod(c + 11, NULL) / NCOUNT;
	if (f)
		fclose(f);
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return n;
}

static void bench_instr(const char *name, uint32_t opts)
{
	double n[NCOUNTED];

	for (unsigned i = 0; i < NCOUNTED; i++)
		if ((n[i] = count_instr(counted[i], opts)) < 0) {
			printf("%-34s (valgrind --tool=callgrind not available: not counted)\n",
			       name);
			return;
		}
	printf("%-34s %12.1f      floor %12.1f      ratio %5.2f   (bare walk %.1f, %.2f)\n",
	       name, n[0], n[1], n[0] / n[1], n[2], n[0] / n[2]);
	printf("%-34s %12.1f      floor %12.1f      ratio %5.2f\n", "  one call each", n[3], n[4],
	       n[3] / n[4]);
}

int main(int argc, char **argv)
{
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	if (argc == 4 && !strcmp(argv[1], "--count"))
		return count_run(argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
	printf("page tables (medians of %d runs; targets: translate ratio <= 1.5 against the floor, "
	       "1 GiB best leaves in a few us)\n", REPEATS);
	bench_map("map 1 GiB, 4 KiB leaves", PT_MAP_NO_2M, PT_SIZE_4K);
	bench_map("map 1 GiB, best leaves (2 MiB)", 0, PT_SIZE_2M);
	printf("translate random addresses: pt_translate against the floor (a bounds-checked walk "
	       "with effective rights; see floor_translate)\n");
	bench_translate("translate, 4 KiB leaves", PT_MAP_NO_2M);
	bench_translate("translate, 2 MiB leaves", 0);
	printf("instructions per translate (callgrind):\n");
	bench_instr("translate, 4 KiB leaves", PT_MAP_NO_2M);
	bench_instr("translate, 2 MiB leaves", 0);
	munmap(mem, MEM);
	return 0;
}
