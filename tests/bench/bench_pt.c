/*
 * bench_pt.c: page-table benchmarks. Each figure is printed with its ratio
 * against a minimal hand-inlined equivalent measured in the same run (the
 * machine is noisy; absolute times drift, ratios much less).
 *
 *   map 1 GiB, 4 KiB leaves     pt_map vs an inlined table builder
 *   map 1 GiB, best leaves      (2 MiB here) pt_map vs the inlined builder
 *   translate random addresses  pt_translate vs an inlined 4-level walk
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "pt_host.h"
#include "bench_util.h"

#define MEM	     (8ull << 20) /* tables only: mapped frames need not be backed */
#define GIB	     (1ull << 30)
#define VA_BASE	     0x40000000ull
#define PA_BASE	     0x80000000ull
#define NADDR	     (1u << 20)
#define REPEATS	     7

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

static inline uint64_t inline_translate(uint64_t root, uint64_t va)
{
	uint64_t t = root;

	for (int lvl = 3; lvl >= 0; lvl--) {
		uint64_t e = ((const uint64_t *)(const void *)(mem + t))[(va >> (12 + 9 * lvl)) & 511];
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
	printf("%-34s %12.1f us   inlined %10.1f us   ratio %5.2f   (%" PRIu64 " tables)\n",
	       name, o / 1e3, b / 1e3, o / b, host.nr_used);
}

static void bench_translate(const char *name, uint32_t opts)
{
	static uint64_t addrs[NADDR];
	double ours[REPEATS], base[REPEATS];
	uint64_t sum_ours = 0, sum_base = 0, seed = 12345;

	fresh_tables();
	if (pt_map(&pt, VA_BASE, PA_BASE, GIB, PT_PROT_WRITE | PT_PROT_USER, opts) < 0)
		exit(1);
	for (unsigned i = 0; i < NADDR; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		addrs[i] = VA_BASE + ((seed >> 20) % GIB);
	}
	for (int k = 0; k < REPEATS; k++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < NADDR; i++) {
			struct pt_translation t;
			if (pt_translate(&pt, addrs[i], &t) == 0)
				sum_ours += t.pa;
		}
		ours[k] = (now_ns() - t0) / NADDR;
		t0 = now_ns();
		for (unsigned i = 0; i < NADDR; i++)
			sum_base += inline_translate(host.root, addrs[i]);
		base[k] = (now_ns() - t0) / NADDR;
	}
	if (sum_ours != sum_base) {
		fprintf(stderr, "%s: pt_translate and the inlined walk disagree\n", name);
		exit(1);
	}
	double o = median(ours, REPEATS), b = median(base, REPEATS);
	printf("%-34s %12.1f ns   inlined %10.1f ns   ratio %5.2f\n", name, o, b, o / b);
}

int main(void)
{
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	printf("page tables (medians of %d runs; targets: translate ratio <= 1.5, "
	       "1 GiB best leaves in a few us)\n", REPEATS);
	bench_map("map 1 GiB, 4 KiB leaves", PT_MAP_NO_2M, PT_SIZE_4K);
	bench_map("map 1 GiB, best leaves (2 MiB)", 0, PT_SIZE_2M);
	bench_translate("translate, 4 KiB leaves", PT_MAP_NO_2M);
	bench_translate("translate, 2 MiB leaves", 0);
	munmap(mem, MEM);
	return 0;
}
