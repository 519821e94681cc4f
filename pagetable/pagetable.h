/* SPDX-License-Identifier: MIT */
/*
 * pagetable.h: x86-64 4-level page tables, one implementation for both sides
 * of the VM boundary.
 *
 * The algorithms below never touch memory themselves: every table access goes
 * through a struct pt_backend. The host builds one over its mmap of guest
 * memory (pt_host.h), the guest one over its own view of the same tables.
 *
 * Freestanding C11: no libc, no allocation of its own, no global state. Every
 * function returns 0 or a negative PT_ERR_* code; nothing aborts.
 */
#ifndef KVMLET_PAGETABLE_H
#define KVMLET_PAGETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes: our own, since freestanding code has no errno. */
enum pt_error {
	PT_OK = 0,
	PT_ERR_ALIGN = -1,      /* va, pa or len not 4 KiB aligned */
	PT_ERR_NONCANON = -2,   /* va range not canonical (or crosses the hole) */
	PT_ERR_RANGE = -3,      /* zero length, or va/pa + len overflows */
	PT_ERR_EXISTS = -4,     /* pt_map: part of the range is already mapped */
	PT_ERR_NOMEM = -5,      /* alloc_table failed: out of table memory */
	PT_ERR_NOT_MAPPED = -6, /* translate/protect: address not mapped */
	PT_ERR_CORRUPT = -7,    /* entry refused by from_phys, reserved bits; a write
	                           through a loop (see pt_map) */
	PT_ERR_READONLY = -8,   /* write operation on a backend without write side */
	PT_ERR_INVAL = -9,      /* unknown flag bits */
	PT_ERR_PHYS = -10,      /* pa beyond the backend's physical address width */
	PT_ERR_BACKEND = -11,   /* a backend access failed (out of bounds) */
};

/* A short, static description of a PT_ERR_* code. */
const char *pt_strerror(int err);

/* Protection and attribute flags. Read access is implied by any mapping. */
#define PT_PROT_WRITE  (1u << 0)
#define PT_PROT_EXEC   (1u << 1) /* absent: NX set on the leaf (no NX without PT_CAP_NX) */
#define PT_PROT_USER   (1u << 2)
#define PT_PROT_GLOBAL (1u << 3)
#define PT_PROT_PWT    (1u << 4) /* write-through */
#define PT_PROT_PCD    (1u << 5) /* cache disable */
#define PT_PROT_MASK   0x3fu

/* pt_map options. */
#define PT_MAP_REPLACE (1u << 0) /* replace existing mappings instead of failing */
#define PT_MAP_NO_2M   (1u << 1) /* never use 2 MiB leaves */
#define PT_MAP_NO_1G   (1u << 2) /* never use 1 GiB leaves */
#define PT_MAP_MASK    0x7u

/* Backend capabilities (struct pt_backend.caps). */
#define PT_CAP_1G (1u << 0) /* the vCPU supports 1 GiB pages (CPUID 0x80000001 EDX.26) */
#define PT_CAP_NX (1u << 1) /* EFER.NXE is on: bit 63 is NX, not reserved */
#define PT_CAP_AMD (1u << 2) /* the vCPU's CPUID vendor is AMD (or Hygon): AMD's reserved bits */

#define PT_SIZE_4K (1ull << 12)
#define PT_SIZE_2M (1ull << 21)
#define PT_SIZE_1G (1ull << 30)

/* Raw entry bits, for backends and tests. The address field is bits 12..51. */
#define PT_E_P     (1ull << 0)
#define PT_E_RW    (1ull << 1)
#define PT_E_US    (1ull << 2)
#define PT_E_PWT   (1ull << 3)
#define PT_E_PCD   (1ull << 4)
#define PT_E_A     (1ull << 5)
#define PT_E_D     (1ull << 6)
#define PT_E_PS    (1ull << 7)
#define PT_E_G     (1ull << 8)
#define PT_E_NX    (1ull << 63)
#define PT_E_ADDR  0x000ffffffffff000ull

/*
 * Reserved bits by level, besides the common ones (address bits at and above
 * MAXPHYADDR; NX without PT_CAP_NX). Intel SDM vol. 3A 4.5 (tables 4-14 to
 * 4-20), AMD APM vol. 2 5.3.3 (figures 5-18 to 5-25). Where the two differ:
 * bit 8 of a PML4E is ignored by Intel and must be zero on AMD. Bit 8 of a
 * non-leaf PDPTE or PDE is ignored by both (older APMs said otherwise).
 */
#define PT_RSVD_PML4	 PT_E_PS		/* PML4E: bit 7 (no 512 GiB pages) */
#define PT_RSVD_PML4_AMD (PT_E_PS | PT_E_G)	/* AMD PML4E: bits 8:7 MBZ */
#define PT_RSVD_1G	 0x000000003fffe000ull	/* PDPTE with PS: 29:13 (12 is PAT) */
#define PT_RSVD_2M	 0x00000000001fe000ull	/* PDE with PS: 20:13 (12 is PAT) */

/*
 * The backend: how the algorithms reach tables. A "table address" is opaque
 * to the algorithms (a guest-physical address for the host backend, a pointer
 * for the guest backend). Every hook gets ctx as its first argument.
 *
 * Read side (all required; none may change what its caller can see:
 * pt_translate_hooks is declared pure, so a caller may skip or merge calls):
 *   root_table   address of the PML4.
 *   entry_addr   address of the entry at BYTE offset off (index * 8) in table.
 *   read_entry   read one 64-bit entry; fails (<0) if addr is out of bounds.
 *   to_phys      table address -> guest-physical address (what entries hold).
 *   from_phys    guest-physical address from an entry -> table address; fails
 *                (<0) for an address that is not a valid table, which the
 *                algorithms report as PT_ERR_CORRUPT.
 * Write side (NULL on a read-only backend; write operations then fail with
 * PT_ERR_READONLY and change nothing):
 *   alloc_table  a new zeroed 4 KiB table; fails (<0) when out of memory.
 *   write_entry  store one entry; fails (<0) if addr is out of bounds.
 *   free_table   optional: give back a table that became unused. Called only
 *                for tables found below the root, never for the root. The
 *                backend must ignore tables it did not hand out itself.
 */
struct pt_backend {
	void *ctx;
	uint64_t (*root_table)(void *ctx);
	uint64_t (*entry_addr)(void *ctx, uint64_t table, uint32_t off);
	int (*read_entry)(void *ctx, uint64_t addr, uint64_t *entry);
	int (*to_phys)(void *ctx, uint64_t table, uint64_t *phys);
	int (*from_phys)(void *ctx, uint64_t phys, uint64_t *table);
	int (*alloc_table)(void *ctx, uint64_t *table);
	int (*write_entry)(void *ctx, uint64_t addr, uint64_t entry);
	void (*free_table)(void *ctx, uint64_t table);
	uint32_t caps;     /* PT_CAP_* */
	uint32_t phys_bits; /* the vCPU's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]),
	                       32..52; 0 means 52 */
	/*
	 * Optional window, the fast path, set by pt_window_init: when window is
	 * set, table addresses are physical addresses and every table lives in
	 * one linear view, the table at physical t (4 KiB aligned, inside
	 * [win_base, win_base + win_size)) at window + (t - win_base). The
	 * algorithms then read and write entries there directly, bounds-checked,
	 * instead of through entry_addr/read_entry/write_entry/to_phys/from_phys
	 * (still required: other code may use them). win_size is at least 4 KiB.
	 */
	uint8_t *window;
	uint64_t win_base, win_size;
	/* Where the root lives, as in CR3: the root is *win_root & PT_E_ADDR. */
	const uint64_t *win_root;
	/*
	 * What pt_window_init computed from caps and phys_bits for pt_translate:
	 * P and the reserved bits of a PTE or a table entry below the PML4 [0],
	 * of a 2 MiB leaf [1], of a 1 GiB leaf [2] (PS itself without
	 * PT_CAP_1G), of a PML4E [3]; and the key of the caps and phys_bits they
	 * hold for (pt_win_key).
	 */
	uint64_t win_sound[4];
	uint64_t win_key;
};

/* What one address translates to. */
struct pt_translation {
	uint64_t pa;    /* physical address of the byte at va */
	uint64_t leaf;  /* PT_SIZE_4K, PT_SIZE_2M or PT_SIZE_1G */
	uint32_t prot;  /* effective PT_PROT_*: W only if every level allows it, U only
	                   if every level does, X only if no level sets NX; GLOBAL,
	                   PWT and PCD as the leaf says */
};

/* A run reported by pt_walk: contiguous in va and pa, one protection. */
struct pt_run {
	uint64_t va;
	uint64_t pa;
	uint64_t len;
	uint32_t prot;  /* effective, as in struct pt_translation */
	uint64_t leaf;  /* smallest leaf size in the run (the only one with PT_WALK_BY_LEAF) */
};

/*
 * pt_map: map [va, va + len) to [pa, pa + len) with prot (PT_PROT_*).
 * va, pa and len must be 4 KiB aligned, len > 0, the va range canonical and
 * not crossing the non-canonical hole, pa + len within phys_bits.
 * Each piece gets the largest leaf that alignment of va and pa, the remaining
 * length and the allowed sizes permit: 2 MiB unless PT_MAP_NO_2M, 1 GiB only
 * when the backend has PT_CAP_1G and not PT_MAP_NO_1G. Intermediate entries
 * are created present, writable and user; the leaf carries the protection.
 * Without PT_MAP_REPLACE, mapping over any mapped page fails with
 * PT_ERR_EXISTS before anything changes.
 * On failure, the translation of every address is as before the call
 * (tables allocated on the way may stay, empty), except with PT_MAP_REPLACE,
 * where a failure part way (PT_ERR_NOMEM, PT_ERR_CORRUPT) may leave part of
 * the range replaced: unmap or map it again.
 * Loops: pt_map, pt_unmap and pt_protect refuse with PT_ERR_CORRUPT, before
 * changing anything, a range whose tables include an entry that points back
 * at its own table or an ancestor (a recursive mapping such as PML4[510] =
 * PML4): writing there would rewrite the tables being walked. Ranges that do
 * not reach such an entry are unaffected by it.
 */
int pt_map(const struct pt_backend *b, uint64_t va, uint64_t pa, uint64_t len, uint32_t prot,
	   uint32_t opts);

/*
 * pt_unmap: remove every mapping in [va, va + len); holes are fine. A larger
 * leaf that straddles an end of the range is first split into smaller ones
 * (which can fail with PT_ERR_NOMEM, leaving all translations as they were,
 * though a leaf split at one end may stay split: same addresses and rights,
 * smaller pages).
 * Tables that become empty are handed to free_table when the backend has one.
 */
int pt_unmap(const struct pt_backend *b, uint64_t va, uint64_t len);

/*
 * pt_protect: set the protection of every page in [va, va + len) to prot.
 * Fails with PT_ERR_NOT_MAPPED, changing nothing, if any page is unmapped.
 * Leaves straddling an end of the range are split first (PT_ERR_NOMEM leaves
 * all translations and protections as they were; a leaf split at one end may
 * stay split).
 */
int pt_protect(const struct pt_backend *b, uint64_t va, uint64_t len, uint32_t prot);

/* What pt_translate_hooks found: err is 0 or a PT_ERR_* code (t all zero then). */
struct pt_translate_result {
	struct pt_translation t;
	int err;
};

/*
 * The general walk behind pt_translate, through the hooks; call pt_translate.
 * Pure, and out of line: it changes no memory a caller sees (read hooks must
 * not either), so a caller's loop keeps b's window fields in registers.
 */
__attribute__((pure)) struct pt_translate_result pt_translate_hooks(const struct pt_backend *b,
								    uint64_t va);

static inline bool pt_canonical(uint64_t va);

/* Reserved bits of every present entry: address bits at and above MAXPHYADDR, NX without NXE. */
static inline uint64_t pt_rsvd_common(const struct pt_backend *b)
{
	const uint32_t bits = b->phys_bits && b->phys_bits < 52 ? b->phys_bits : 52;

	return (PT_E_ADDR & ~((1ull << bits) - 1)) | ((b->caps & PT_CAP_NX) ? 0 : PT_E_NX);
}

/*
 * Reserved bits that present entry e adds at level lvl (0 = PT .. 3 = PML4)
 * under caps. PS where no leaf may be (a PML4E; a PDPTE without PT_CAP_1G) is
 * itself reserved, so such an entry is refused whole. The one rule every
 * walker applies, per level and vendor.
 */
static inline uint64_t pt_rsvd_level(uint32_t caps, int lvl, uint64_t e)
{
	switch (lvl) {
	case 3:
		return (caps & PT_CAP_AMD) ? PT_RSVD_PML4_AMD : PT_RSVD_PML4;
	case 2:
		return !(e & PT_E_PS) ? 0 : (caps & PT_CAP_1G) ? PT_RSVD_1G : PT_E_PS;
	case 1:
		return (e & PT_E_PS) ? PT_RSVD_2M : 0;
	default:
		return 0; /* bit 7 of a PTE is PAT */
	}
}

/*
 * pt_window_init: give b, whose caps and phys_bits are set, a window (see
 * struct pt_backend): tables at physical [base, base + size) are at
 * window + (t - base), and the root is *root & PT_E_ADDR, read on every walk
 * (root points at where the backend keeps it, e.g. a copy of CR3; root_table
 * must return the same). It also computes the reserved-bit masks
 * pt_translate checks: if caps or phys_bits change later, pt_translate
 * notices and walks through the hooks until pt_window_init runs again.
 * Returns PT_ERR_INVAL for a NULL window or root, PT_ERR_RANGE if size is
 * below 4 KiB or base + size overflows; b is unchanged then.
 */
int pt_window_init(struct pt_backend *b, uint8_t *window, uint64_t base, uint64_t size,
		   const uint64_t *root);

/* caps and phys_bits as one word; pt_window_init stores its complement in win_key. */
static inline uint64_t pt_win_key(const struct pt_backend *b)
{
	return (uint64_t)b->phys_bits << 32 | b->caps;
}

/*
 * The effective PT_PROT_* of a translation: all = the AND of its entries, any
 * = their OR, leaf = the leaf entry. W and U only if every level allows them,
 * X only if no level sets NX; GLOBAL, PWT and PCD as the leaf says. Shifts
 * instead of tests: each bit moves to its place (RW 1 -> 0, US 2 -> 2,
 * NX 63 -> 1 inverted, G 8 -> 3, PWT 3 -> 4, PCD 4 -> 5).
 */
static inline uint32_t pt_prot_of(uint64_t all, uint64_t any, uint64_t leaf)
{
	/* pagetable.c checks at build time that the bits sit where these move them. */
	return (uint32_t)(((all >> 1) & PT_PROT_WRITE) | (all & PT_PROT_USER) |
			  ((~any >> 62) & PT_PROT_EXEC) | ((leaf >> 5) & PT_PROT_GLOBAL) |
			  ((leaf << 1) & (PT_PROT_PWT | PT_PROT_PCD)));
}

/*
 * pt_translate: walk va the way the CPU would. PT_ERR_NOT_MAPPED when some
 * level is not present, PT_ERR_CORRUPT on reserved bits (by level, for b's
 * vendor and phys_bits) or a table address the backend refuses,
 * PT_ERR_NONCANON for a non-canonical va, PT_ERR_BACKEND for a root outside
 * the window. An entry may point at any table, even its own or one above it
 * (a recursive mapping, PML4[i] = PML4): the next level reads that table, as
 * the CPU does, and four levels bound the walk. On failure *out is all zero.
 * Inline: with a window (the host's and the guest's backends, see
 * pt_window_init) the whole walk happens at the call site, in registers,
 * reading the root through win_root and the reserved bits from win_sound.
 */
static inline int pt_translate(const struct pt_backend *b, uint64_t va, struct pt_translation *out)
{
	/* Every path writes all of *out, from a local: out never escapes, and
	   a caller's result can live in registers. */
	const struct pt_translation none = {0, 0, 0};

	/* Every load from *b first, unconditionally: a caller's loop can then
	   hoist them all (nothing in it writes memory; the slow path is pure). */
	const uint8_t *win = b->window;
	const uint64_t base = b->win_base, lim = b->win_size - PT_SIZE_4K;
	const uint64_t *root = b->win_root;
	const bool fast = (win != NULL) & (~pt_win_key(b) == b->win_key);

	if (!pt_canonical(va))
		return *out = none, PT_ERR_NONCANON;
	if (!fast) {
		const struct pt_translate_result r = pt_translate_hooks(b, va);
		return *out = r.t, r.err;
	}

	uint64_t rel = (*root & PT_E_ADDR) - base, all = ~0ull, any = 0;

	if (rel > lim)
		return *out = none, PT_ERR_BACKEND;
#pragma GCC unroll 4
	for (int lvl = 3; lvl >= 0; lvl--) {
		const unsigned shift = 12 + 9 * (unsigned)lvl;
		uint64_t e;

		__builtin_memcpy(&e, win + rel + ((va >> shift) & 511) * 8, 8);
		/* PS in a PML4E is reserved: win_sound[3] refuses it, so no leaf there. */
		const bool leaf = lvl == 0 || (lvl < 3 && (e & PT_E_PS));
		/* P set and no reserved bit: e - 1 clears P and only P, else it sets P. */
		if ((e - 1) & b->win_sound[leaf || lvl == 3 ? lvl : 0])
			return *out = none, (e & PT_E_P) ? PT_ERR_CORRUPT : PT_ERR_NOT_MAPPED;
		all &= e;
		any |= e;
		if (leaf) {
			const uint64_t mask = (1ull << shift) - 1;
			out->pa = (e & PT_E_ADDR & ~mask) | (va & mask);
			out->leaf = 1ull << shift;
			out->prot = pt_prot_of(all, any, e);
			return PT_OK;
		}
		rel = (e & PT_E_ADDR) - base;
		if (rel > lim)
			return *out = none, PT_ERR_CORRUPT;
	}
	return *out = none, PT_ERR_CORRUPT; /* not reached: level 0 is always a leaf */
}

/* pt_walk callback: return 0 to go on, anything else to stop the walk. */
typedef int (*pt_walk_fn)(void *arg, const struct pt_run *run);

#define PT_WALK_BY_LEAF (1u << 0) /* also break runs where the leaf size changes */

/*
 * pt_walk visits at most this many tables below the root, then fails with
 * PT_ERR_CORRUPT: tables that alias each other (many entries pointing at one
 * table, or back at an ancestor, both of which a guest can build) would
 * otherwise make a walk take minutes. 65536 page tables map 128 GiB in 4 KiB
 * pages; map, unmap and protect count the tables above the leaves the same way.
 */
#define PT_WALK_MAX_TABLES 65536u

/*
 * pt_walk: call fn for every mapped run in [va_start, va_end), in ascending
 * order, coalescing neighbours that are contiguous in va and pa and have the
 * same effective protection. Runs are clipped to the range. va_start and
 * va_end must be 4 KiB aligned and canonical (or 0x0000800000000000, the end
 * of the lower half); va_end == 0 means "to the top of the address space";
 * the range may span the canonical hole (it is skipped). Like pt_translate
 * it follows entries that point back at their own table or an ancestor (the
 * pages of a recursive mapping are reported as the CPU maps them).
 * Returns 0, fn's nonzero result if it stopped the walk, or a PT_ERR_* code
 * (runs before the error have been reported).
 */
int pt_walk(const struct pt_backend *b, uint64_t va_start, uint64_t va_end, uint32_t flags,
	    pt_walk_fn fn, void *arg);

/* True if va is canonical for 48-bit virtual addresses. */
static inline bool pt_canonical(uint64_t va)
{
	/* Bits 63..47 all equal: adding 2^47 carries them all out, or none is set. */
	return ((va + (1ull << 47)) >> 48) == 0;
}

#endif /* KVMLET_PAGETABLE_H */
