/* SPDX-License-Identifier: MIT */
/*
 * testmem.h: memory for the page-table tests.
 *
 * struct testmem is a backend of its own, independent of pt_host: a plain
 * array of 4 KiB tables with knobs (a table budget, alloc/free counters, a
 * read-only mode, no free hook). Table addresses and physical addresses are
 * deliberately different numbers, and table addresses are never valid
 * physical addresses, so code that mixes them up is caught as corrupt.
 *
 * struct hostmem sets up the real host backend (pt_host_init) over an mmap
 * whose guest memory is fenced by PROT_NONE guard pages on both sides: any
 * read outside guest memory crashes the test.
 */
#ifndef KVMLET_TESTMEM_H
#define KVMLET_TESTMEM_H

#include <check.h>
#include <stdint.h>

#include "pagetable.h"
#include "pt_host.h"

/* Fail the test unless cond holds; cheaper than ck_assert_msg in hot loops. */
#define T_ASSERT(cond, ...)                        \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#define TM_ADDR_BASE 0x7a00000000000000ull /* table address of table 0 */
#define TM_PHYS_BASE 0x0000000100000000ull /* physical address of table 0 */

/* tm_init modes. */
#define TM_RO	  (1u << 0) /* no write side: alloc_table, write_entry, free_table NULL */
#define TM_NOFREE (1u << 1) /* write side without free_table */

struct testmem {
	uint64_t (*tables)[512];
	uint8_t *live;	     /* 1 while table i is handed out */
	uint32_t nr;	     /* capacity in tables */
	uint32_t limit;	     /* alloc_table fails once nr_live reaches it */
	uint32_t nr_live;    /* tables handed out, root included */
	uint64_t allocs;     /* successful alloc_table calls */
	uint64_t frees;	     /* free_table calls that freed a table */
	uint64_t violations; /* misuse of the hooks: bad offset, dead table, double free */
	uint64_t root;	     /* table address of the PML4 */
};

/* Set up tm with room for nr tables and a fresh root, and the backend b over it. */
void tm_init(struct testmem *tm, struct pt_backend *b, uint32_t nr, uint32_t mode, uint32_t caps,
	     uint32_t phys_bits);
void tm_fini(struct testmem *tm);

/* A new zeroed table taken directly (for tables built by hand); aborts when full. */
uint64_t tm_new_table(struct testmem *tm);

/* The 512 raw entries of a live table. */
uint64_t *tm_entries(struct testmem *tm, uint64_t table);

/* Physical address of a table (what an entry pointing at it holds). */
uint64_t tm_phys(uint64_t table);

/* The live table at physical address phys, or 0 if there is none. */
uint64_t tm_lookup(const struct testmem *tm, uint64_t phys);

struct hostmem {
	uint8_t *map; /* the whole mapping, guards included */
	uint64_t map_len;
	uint8_t *mem; /* guest memory: map + one guard page */
	uint64_t size;
	uint64_t base; /* guest-physical address of mem[0] */
	uint64_t *bitmap;
	struct pt_host h;
	struct pt_backend b;
};

/*
 * Map size bytes of guest memory at guest-physical base, fenced by guard
 * pages, and set up the host backend with tables taken from the last
 * tbl_len bytes of it (so a table sits right before the upper guard).
 */
void hm_init(struct hostmem *hm, uint64_t size, uint64_t base, uint64_t tbl_len, uint32_t caps,
	     uint32_t phys_bits);
void hm_fini(struct hostmem *hm);

/* Host pointer to the 512 entries of the table at guest-physical gpa. */
uint64_t *hm_entries(struct hostmem *hm, uint64_t gpa);

/* The entry for va at depth d (0 = PML4 .. 3 = PT), found by reading the raw tables. */
uint64_t *tm_raw_entry(struct testmem *tm, uint64_t va, int d);

/* Runs of a pt_walk, as t_collect gathers them. */
#define T_MAX_RUNS 16
struct t_runs {
	int n;	     /* runs seen (only the first T_MAX_RUNS are kept) */
	int stop_at; /* t_collect stops the walk with 42 at this run (1-based); 0: never */
	struct pt_run r[T_MAX_RUNS];
};

/* pt_walk callback filling a struct t_runs. */
int t_collect(void *arg, const struct pt_run *run);

/* All runs of the whole address space; the walk must succeed. */
struct t_runs t_all_runs(const struct pt_backend *b, uint32_t flags);

/* Assertions that name the caller's line. */
#define ASSERT_RUN(rs, i, va, pa, len, prot, leaf) \
	t_assert_run(__LINE__, rs, i, va, pa, len, prot, leaf)
#define ASSERT_TR(b, va, pa, prot, leaf) t_assert_tr(__LINE__, b, va, pa, prot, leaf)
#define ASSERT_UNMAPPED(b, va)		 t_assert_unmapped(__LINE__, b, va)
void t_assert_run(int line, const struct t_runs *rs, int i, uint64_t va, uint64_t pa, uint64_t len,
		  uint32_t prot, uint64_t leaf);
void t_assert_tr(int line, const struct pt_backend *b, uint64_t va, uint64_t pa, uint32_t prot,
		 uint64_t leaf);
void t_assert_unmapped(int line, const struct pt_backend *b, uint64_t va);

/* Run every test of s; the exit status for main. */
int t_run(Suite *s);

#endif /* KVMLET_TESTMEM_H */
