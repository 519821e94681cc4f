/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pt.c: libFuzzer target for the page-table code over arbitrary table
 * contents, through the host backend. Guest memory is 16 pages fenced by
 * PROT_NONE guard pages, so a read or write outside it crashes.
 *
 * Byte 0: bits 0-1 caps (1G, NX), 2-3 phys_bits, 4-5 the guest-physical base,
 * 6 the mode, 7 PT_WALK_BY_LEAF for walks. Byte 1: bit 0 PT_CAP_AMD (AMD's
 * reserved bits), the rest unused.
 *
 * Read-only mode: byte 2 the root page, byte 3 the number of addresses (and
 * bit 7: raw walk arguments), the addresses (8 bytes each), a walk (start 8,
 * pages 4), then the rest of the input is guest memory: pt_host_attach_ro,
 * pt_translate of each address, pt_walk of the range and of everything.
 *
 * Writable mode: pt_host_init with tables in the upper half of memory, then
 * operations until the input ends: map, unmap, protect, translate, walk, and
 * writes of input bytes over the tables (or anywhere in guest memory).
 *
 * Every operation runs twice, through the backend's hooks and through its
 * window (the fast path), which must agree on results and on every byte they
 * write. Beyond that it checks: result codes; that pt_translate and a
 * one-page pt_walk always agree; that walks report ascending, clipped, maximal runs
 * that pt_translate confirms; the table bitmap; and, while no input bytes
 * have been written over the tables, that map, unmap and protect do what
 * they say and change nothing when they fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pagetable.h"
#include "pt_host.h"
#include "fuzz_util.h"


#define PG	   4096ull
#define NPAGES	   16u
#define SIZE	   (NPAGES * PG)
#define TBL_PAGES  8u	      /* writable mode: tables in the upper half */
#define MAX_PAGES  (1u << 27) /* walks: at most 512 GiB */
#define READ_LIMIT (1u << 15) /* entries one walk may read (aliased tables: 512^4) */
#define RW_READS   (1u << 14) /* entries all operations of one input may read */
#define MAX_RUNS   4096
#define MAX_OPS	   32

static uint8_t *mem;

static uint64_t canon(uint64_t va)
{
	return (va & (1ull << 47)) ? (va | 0xffff000000000000ull) : (va & 0x0000ffffffffffffull);
}

struct setup {
	uint32_t caps, phys_bits, walk_flags;
	uint64_t base;
	bool addressable; /* all of guest memory can appear in an entry */
};

static struct setup parse_setup(uint8_t b, uint8_t vendor)
{
	static const uint32_t bits[4] = {0, 32, 40, 52};
	static const uint64_t bases[4] = {0, PG, 0x40000000ull, 0ull - SIZE};
	struct setup s = {
		.caps = ((b & 1) ? PT_CAP_1G : 0) | ((b & 2) ? PT_CAP_NX : 0) |
			((vendor & 1) ? PT_CAP_AMD : 0),
		.phys_bits = bits[(b >> 2) & 3],
		.base = bases[(b >> 4) & 3],
		.walk_flags = (b & 0x80) ? PT_WALK_BY_LEAF : 0,
	};
	uint64_t limit = 1ull << (s.phys_bits ? s.phys_bits : 52);

	s.addressable = s.base + SIZE <= limit && s.base + SIZE > s.base;
	return s;
}

/*
 * A read budget around a backend: tables that alias each other (many entries
 * pointing at one table, or back at an ancestor, which translate and walk
 * follow as the CPU does) make a walk read up to 512^4 entries. Every operation goes through one, with a budget
 * that sound tables never exhaust; an exhausted budget is a failing backend.
 */
struct budget {
	const struct pt_backend *in;
	uint64_t left;
	struct pt_backend out;
};

static uint64_t bw_root(void *ctx)
{
	const struct budget *w = ctx;
	return w->in->root_table(w->in->ctx);
}

static uint64_t bw_entry_addr(void *ctx, uint64_t table, uint32_t off)
{
	const struct budget *w = ctx;
	return w->in->entry_addr(w->in->ctx, table, off);
}

static int bw_read(void *ctx, uint64_t addr, uint64_t *entry)
{
	struct budget *w = ctx;

	if (w->left == 0)
		return -1;
	w->left--;
	return w->in->read_entry(w->in->ctx, addr, entry);
}

static int bw_to_phys(void *ctx, uint64_t table, uint64_t *phys)
{
	const struct budget *w = ctx;
	return w->in->to_phys(w->in->ctx, table, phys);
}

static int bw_from_phys(void *ctx, uint64_t phys, uint64_t *table)
{
	const struct budget *w = ctx;
	return w->in->from_phys(w->in->ctx, phys, table);
}

static int bw_alloc(void *ctx, uint64_t *table)
{
	const struct budget *w = ctx;
	return w->in->alloc_table(w->in->ctx, table);
}

static int bw_write(void *ctx, uint64_t addr, uint64_t entry)
{
	const struct budget *w = ctx;
	return w->in->write_entry(w->in->ctx, addr, entry);
}

static void bw_free(void *ctx, uint64_t table)
{
	const struct budget *w = ctx;
	w->in->free_table(w->in->ctx, table);
}

/* w->out: in, with a fresh budget. */
static const struct pt_backend *budget(struct budget *w, const struct pt_backend *in,
				       uint64_t reads)
{
	*w = (struct budget){.in = in, .left = reads};
	w->out = (struct pt_backend){
		.ctx = w,
		.root_table = bw_root,
		.entry_addr = bw_entry_addr,
		.read_entry = bw_read,
		.to_phys = bw_to_phys,
		.from_phys = bw_from_phys,
		.alloc_table = in->alloc_table ? bw_alloc : NULL,
		.write_entry = in->write_entry ? bw_write : NULL,
		.free_table = in->free_table ? bw_free : NULL,
		.caps = in->caps,
		.phys_bits = in->phys_bits,
	};
	return &w->out;
}

/* --- checks --- */

static bool valid_prot(uint32_t prot, const struct pt_backend *b)
{
	return !(prot & ~PT_PROT_MASK) && ((b->caps & PT_CAP_NX) || (prot & PT_PROT_EXEC));
}

static bool valid_leaf(uint64_t leaf, const struct pt_backend *b)
{
	return leaf == PT_SIZE_4K || leaf == PT_SIZE_2M ||
	       (leaf == PT_SIZE_1G && (b->caps & PT_CAP_1G));
}

static uint64_t phys_limit(const struct pt_backend *b)
{
	return 1ull << (b->phys_bits ? b->phys_bits : 52);
}

static int translate(const struct pt_backend *b, uint64_t va, struct pt_translation *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = pt_translate(b, va, t);
	/* Table addresses are checked before every read: no backend failure. */
	CHECK(r == PT_OK || r == PT_ERR_NONCANON || r == PT_ERR_NOT_MAPPED || r == PT_ERR_CORRUPT);
	if (r == PT_OK) {
		CHECK(valid_leaf(t->leaf, b) && valid_prot(t->prot, b));
		CHECK((t->pa & (t->leaf - 1)) == (va & (t->leaf - 1)));
		CHECK(t->pa < phys_limit(b));
	} else {
		memset(t, 0, sizeof(*t));
	}
	return r;
}

struct runs {
	const struct pt_backend *b; /* for confirming runs with pt_translate */
	uint64_t lo, hi;	    /* the walk's range, [lo, hi], inclusive */
	uint32_t flags;
	int n;
	uint64_t hash; /* of every run, to compare two walks */
	struct pt_run last;
	struct pt_run first;
};

/* Each run: inside the range, after the previous one, not mergeable with it, translated alike. */
static int on_run(void *arg, const struct pt_run *r)
{
	struct runs *rs = arg;
	struct pt_translation t;

	CHECK(r->len > 0 && !((r->va | r->pa | r->len) & (PG - 1)));
	CHECK(r->va >= rs->lo && r->va + (r->len - 1) >= r->va && r->va + (r->len - 1) <= rs->hi);
	CHECK(pt_canonical(r->va) && pt_canonical(r->va + (r->len - 1)) &&
	      (r->va >> 47) == ((r->va + (r->len - 1)) >> 47));
	CHECK(r->pa + (r->len - 1) >= r->pa && r->pa + (r->len - 1) < phys_limit(rs->b));
	CHECK(valid_prot(r->prot, rs->b) && valid_leaf(r->leaf, rs->b));
	if (rs->n > 0) {
		const struct pt_run *p = &rs->last;

		CHECK(r->va >= p->va + p->len);
		CHECK(!(p->va + p->len == r->va && p->pa + p->len == r->pa && p->prot == r->prot &&
			(!(rs->flags & PT_WALK_BY_LEAF) || p->leaf == r->leaf)));
	} else {
		rs->first = *r;
	}
	if (rs->n < 64) { /* confirm the first runs' ends with pt_translate */
		CHECK(translate(rs->b, r->va, &t) == PT_OK);
		CHECK(t.pa == r->pa && t.prot == r->prot && t.leaf >= r->leaf);
		CHECK(translate(rs->b, r->va + r->len - PG, &t) == PT_OK);
		CHECK(t.pa == r->pa + r->len - PG && t.prot == r->prot && t.leaf >= r->leaf);
	}
	rs->last = *r;
	rs->hash = (rs->hash ^ r->va ^ (r->pa << 1) ^ (r->len << 2) ^ r->prot ^ r->leaf) *
		   0x100000001b3ull;
	return ++rs->n >= MAX_RUNS ? 42 : 0;
}

static void check_walk_result(int r, const struct runs *rs, const struct budget *w)
{
	CHECK(r == 0 || r == 42 || r == PT_ERR_ALIGN || r == PT_ERR_NONCANON || r == PT_ERR_RANGE ||
	      r == PT_ERR_INVAL || r == PT_ERR_CORRUPT || (r == PT_ERR_BACKEND && w->left == 0));
	CHECK(r != 42 || rs->n == MAX_RUNS);
}

/*
 * A walk of [start, end) through the hooks, with a read budget; then, unless
 * that ran out, through b's window (the fast path), which must report the
 * same runs.
 */
static void walk(const struct pt_backend *b, uint64_t start, uint64_t end, uint32_t flags)
{
	struct budget w;
	const struct pt_backend *slow = budget(&w, b, READ_LIMIT);
	struct runs rs = {.b = b, .lo = start, .hi = end ? end - 1 : ~0ull, .flags = flags};
	struct runs fs = rs;
	int r = pt_walk(slow, start, end, flags, on_run, &rs);

	check_walk_result(r, &rs, &w);
	if (w.left == 0)
		return;
	CHECK(pt_walk(b, start, end, flags, on_run, &fs) == r);
	CHECK(fs.n == rs.n && fs.hash == rs.hash);
}

/* pt_translate through the window and through the hooks, and a walk of va's page, agree. */
static void translate_vs_walk(const struct pt_backend *b, uint64_t va)
{
	struct pt_translation t, ts;
	uint64_t page = va & ~(PG - 1);
	struct runs rs = {.b = b, .lo = page, .hi = page + PG - 1};
	struct budget w;
	int rt = translate(b, va, &t);
	int rw = pt_walk(b, page, page + PG, 0, on_run, &rs);

	CHECK(translate(budget(&w, b, READ_LIMIT), va, &ts) == rt);
	CHECK(ts.pa == t.pa && ts.prot == t.prot && ts.leaf == t.leaf);
	switch (rt) {
	case PT_OK:
		CHECK(rw == 0 && rs.n == 1 && rs.first.va == page && rs.first.len == PG &&
		      rs.first.pa == (t.pa & ~(PG - 1)) && rs.first.prot == t.prot &&
		      rs.first.leaf == t.leaf);
		break;
	case PT_ERR_NOT_MAPPED:
		CHECK(rw == 0 && rs.n == 0);
		break;
	default:
		CHECK(rw == rt && rs.n == 0);
	}
}

/* --- read-only mode --- */

static void fuzz_ro(struct cursor *c, const struct setup *s)
{
	struct pt_host h;
	struct pt_backend b;
	uint64_t addrs[8], root, start, pages, end;
	unsigned rsel = (unsigned)get(c, 1) % (NPAGES + 3);
	uint8_t nb = (uint8_t)get(c, 1);
	unsigned n = (nb & 0x7f) % 9;
	int r;

	for (unsigned i = 0; i < n; i++)
		addrs[i] = get(c, 8);
	start = get(c, 8);
	pages = get(c, 4);
	if (nb & 0x80) {
		end = start + pages; /* raw: unaligned and backwards ranges too */
	} else {
		start = canon(start & ~(PG - 1));
		end = start + (pages % MAX_PAGES) * PG;
	}
	memset(mem, 0, SIZE);
	memcpy(mem, c->p, c->n < SIZE ? c->n : SIZE);

	root = rsel < NPAGES	    ? s->base + rsel * PG
	       : rsel == NPAGES	    ? s->base + SIZE /* just past the end */
	       : rsel == NPAGES + 1 ? s->base - PG
				    : s->base + 8; /* unaligned */
	r = pt_host_attach_ro(&h, &b, mem, SIZE, s->base, root, s->caps, s->phys_bits);
	if (!s->addressable) /* memory beyond what an entry can address: refused */
		CHECK(r == PT_ERR_PHYS);
	else
		CHECK(r == (rsel < NPAGES ? PT_OK : PT_ERR_CORRUPT));
	if (r < 0)
		return;
	for (unsigned i = 0; i < n; i++)
		translate_vs_walk(&b, addrs[i]);
	walk(&b, start, end, s->walk_flags);
	walk(&b, 0, 0, s->walk_flags);
	/* Nothing writes through a read-only backend. */
	CHECK(pt_map(&b, 0x200000, 0, PG, 0, 0) == PT_ERR_READONLY);
	CHECK(pt_unmap(&b, 0x200000, PG) == PT_ERR_READONLY);
	CHECK(pt_protect(&b, 0x200000, PG, 0) == PT_ERR_READONLY);
}

/* --- writable mode --- */

struct rw {
	struct pt_host h;
	struct pt_backend b;
	uint64_t bitmap[PT_HOST_BITMAP_WORDS(TBL_PAGES * PG)];
	bool exact;	/* no input bytes written over the tables: results must be exact */
	uint64_t reads; /* left for this input: then it ends (its operations fail) */
};

static void check_bitmap(const struct rw *w, const struct setup *s)
{
	uint64_t bits = w->bitmap[0];

	CHECK((bits & ~((1ull << TBL_PAGES) - 1)) == 0);
	CHECK((uint64_t)__builtin_popcountll(bits) == w->h.nr_used);
	CHECK(bits & 1); /* the root is never freed */
	CHECK(w->h.root == s->base + (NPAGES - TBL_PAGES) * PG);
}

/* What pt_translate reports for a page mapped with prot. */
static uint32_t effective(const struct pt_backend *b, uint32_t prot)
{
	return (prot & PT_PROT_MASK) | ((b->caps & PT_CAP_NX) ? 0 : PT_PROT_EXEC);
}

struct probe {
	int r[2];
	struct pt_translation t[2];
};

static void probe(const struct pt_backend *b, uint64_t va, uint64_t len, struct probe *p)
{
	p->r[0] = translate(b, va, &p->t[0]);
	p->r[1] = translate(b, va + (len ? len - 1 : 0), &p->t[1]);
}

/*
 * Same translations. Not the same leaf sizes: a failed unmap or protect may
 * have split the leaf at one end of its range before failing at the other.
 */
static bool probe_same(const struct probe *a, const struct probe *b)
{
	for (int i = 0; i < 2; i++)
		if (a->r[i] != b->r[i] || a->t[i].pa != b->t[i].pa || a->t[i].prot != b->t[i].prot)
			return false;
	return true;
}

static bool write_result(int r)
{
	return r <= 0 && r >= PT_ERR_BACKEND && r != PT_ERR_READONLY;
}

/* Sound tables are never corrupt, and the backend fails only when the budget runs out. */
static bool sound(const struct rw *w, int r)
{
	return !w->exact || (r != PT_ERR_CORRUPT && r != PT_ERR_BACKEND);
}

/* A map, unmap or protect. */
struct op {
	unsigned kind; /* 0 map, 1 unmap, 2 protect */
	uint64_t va, pa, len;
	uint32_t prot, opts;
};

static int apply(const struct pt_backend *b, const struct op *o)
{
	switch (o->kind) {
	case 0:
		return pt_map(b, o->va, o->pa, o->len, o->prot, o->opts);
	case 1:
		return pt_unmap(b, o->va, o->len);
	default:
		return pt_protect(b, o->va, o->len, o->prot);
	}
}

/*
 * Apply o through the hooks, within what is left of the input's read budget;
 * then, unless that ran out, again from the same state through the window
 * (the fast path), which must give the same result, the same guest memory and
 * the same allocator state. Returns the result.
 */
static int apply_both(struct rw *w, const struct op *o)
{
	static uint8_t before[SIZE], slow[SIZE];
	struct pt_host h0 = w->h, h1;
	uint64_t bm0[sizeof(w->bitmap) / 8], bm1[sizeof(w->bitmap) / 8];
	struct budget bw;
	int r;

	memcpy(before, mem, SIZE);
	memcpy(bm0, w->bitmap, sizeof(bm0));
	r = apply(budget(&bw, &w->b, w->reads), o);
	w->reads = bw.left;
	CHECK(write_result(r) && (sound(w, r) || !bw.left));
	CHECK(o->kind == 0 || (r != PT_ERR_EXISTS && r != PT_ERR_PHYS));
	if (!bw.left || !w->b.window)
		return r;
	memcpy(slow, mem, SIZE);
	h1 = w->h;
	memcpy(bm1, w->bitmap, sizeof(bm1));
	memcpy(mem, before, SIZE);
	w->h = h0;
	memcpy(w->bitmap, bm0, sizeof(bm0));
	CHECK(apply(&w->b, o) == r);
	CHECK(memcmp(mem, slow, SIZE) == 0 && memcmp(&w->h, &h1, sizeof(h1)) == 0 &&
	      memcmp(w->bitmap, bm1, sizeof(bm1)) == 0);
	return r;
}

/* Map, unmap, protect: do what they say on sound tables, and change nothing when they fail. */
static void rw_change(struct rw *w, const struct op *o)
{
	const struct pt_backend *b = &w->b;
	struct probe before, after;
	int r;

	probe(b, o->va, o->len, &before);
	r = apply_both(w, o);
	probe(b, o->va, o->len, &after);
	if (!w->reads || !w->exact)
		return;
	if (r != PT_OK) {
		if (o->kind != 0 || !(o->opts & PT_MAP_REPLACE))
			CHECK(probe_same(&before, &after));
		return;
	}
	switch (o->kind) {
	case 0:
		CHECK(after.r[0] == PT_OK && after.t[0].pa == o->pa &&
		      after.t[0].prot == effective(b, o->prot));
		CHECK(after.r[1] == PT_OK && after.t[1].pa == o->pa + o->len - 1);
		break;
	case 1:
		CHECK(after.r[0] == PT_ERR_NOT_MAPPED && after.r[1] == PT_ERR_NOT_MAPPED);
		break;
	default:
		for (int i = 0; i < 2; i++)
			CHECK(after.r[i] == PT_OK && after.t[i].pa == before.t[i].pa &&
			      after.t[i].prot == effective(b, o->prot));
	}
}

/*
 * One operation of writable mode: a byte (bit 7: raw arguments, else aligned
 * and canonical), a va (8 bytes), then for map pa (8), pages (3), prot (1),
 * opts (1); unmap pages (3); protect pages (3), prot (1); translate an offset
 * (2); walk pages (4); poke an offset (2) and a value (8); fill an offset (2),
 * a length (2) and the bytes.
 */
static void rw_op(struct rw *w, struct cursor *c, const struct setup *s)
{
	const struct pt_backend *b = &w->b;
	uint8_t byte = (uint8_t)get(c, 1);
	bool raw = byte & 0x80;
	struct op o = {.kind = byte % 7u, .va = get(c, 8)};
	uint64_t off, len, v;

	if (!raw)
		o.va = canon(o.va & ~(PG - 1));
	switch (o.kind) {
	case 0: /* map */
	case 1: /* unmap */
	case 2: /* protect */
		if (o.kind == 0)
			o.pa = get(c, 8);
		o.len = raw ? get(c, 4) : (get(c, 3) & 0xfffff) * PG;
		if (o.kind != 1)
			o.prot = (uint32_t)get(c, 1);
		if (o.kind == 0)
			o.opts = (uint32_t)get(c, 1);
		if (!raw) {
			o.pa &= (phys_limit(b) - 1) & ~(PG - 1);
			o.prot &= PT_PROT_MASK;
			o.opts &= PT_MAP_MASK;
		}
		rw_change(w, &o);
		break;
	case 3: /* translate */
		v = get(c, 2);
		translate_vs_walk(b, o.va | (raw ? v : v & (PG - 1)));
		break;
	case 4: /* walk */
		v = get(c, 4);
		walk(b, o.va, raw ? o.va + v : o.va + (v % MAX_PAGES) * PG, s->walk_flags);
		break;
	case 5: /* write one entry-sized value anywhere in guest memory */
		off = get(c, 2) % SIZE & ~7ull;
		v = get(c, 8);
		memcpy(mem + off, &v, 8);
		w->exact = false;
		break;
	default: /* copy input bytes over the tables */
		off = get(c, 2) % (TBL_PAGES * PG);
		len = get(c, 2);
		if (len > TBL_PAGES * PG - off)
			len = TBL_PAGES * PG - off;
		if (len > c->n)
			len = c->n;
		memcpy(mem + (NPAGES - TBL_PAGES) * PG + off, c->p, len);
		c->p += len, c->n -= len;
		w->exact = false;
		break;
	}
	check_bitmap(w, s);
}

static void fuzz_rw(struct cursor *c, const struct setup *s)
{
	static struct rw w;
	int r;

	memset(mem, 0, SIZE);
	memset(&w, 0, sizeof(w));
	r = pt_host_init(&w.h, &w.b, mem, SIZE, s->base, s->base + (NPAGES - TBL_PAGES) * PG,
			 TBL_PAGES * PG, w.bitmap, s->caps, s->phys_bits);
	/* Memory beyond what an entry can address is refused: its tables could not work. */
	CHECK(r == (s->addressable ? PT_OK : PT_ERR_PHYS));
	if (r < 0)
		return;
	w.exact = true;
	w.reads = RW_READS;
	for (unsigned i = 0; i < MAX_OPS && c->n && w.reads; i++)
		rw_op(&w, c, s);
	walk(&w.b, 0, 0, s->walk_flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	struct setup s;
	uint8_t b;

	if (!mem) {
		uint8_t *map = mmap(NULL, (NPAGES + 2) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
				    -1, 0);

		CHECK(map != MAP_FAILED);
		CHECK(mprotect(map + PG, SIZE, PROT_READ | PROT_WRITE) == 0);
		mem = map + PG;
	}
	if (size < 1)
		return 0;
	b = (uint8_t)get(&c, 1);
	s = parse_setup(b, (uint8_t)get(&c, 1));
	if (b & 0x40)
		fuzz_rw(&c, &s);
	else
		fuzz_ro(&c, &s);
	return 0;
}
