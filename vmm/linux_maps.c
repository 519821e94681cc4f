/* SPDX-License-Identifier: MIT */
/*
 * linux_maps.c: /proc/self: what its exe links to, its cmdline and environ
 * (the arguments and environment it started with), and its maps. The maps
 * are written each time they are read, as Linux writes them from its VMAs,
 * here from the live page tables: what the guest's kernel mapped, read back
 * through the host backend. One line per run of user pages with the same
 * protection, in Linux's format: the program's ELF segments named by its
 * path (as /proc/self/exe), [heap] from the initial break, [stack] the run
 * that holds the top of the stack. Reservations without pages (PROT_NONE)
 * have nothing in the tables, so no line; nor have [vdso] and [vvar], which
 * kvmlet does not map.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "linux_sys.h"

#define NAME_COL 72 /* where Linux's show_map_vma starts a name (seq_setwidth) */

/* The lines being made, and the window [off, off + len) of them that a read takes. */
struct maps {
	struct sys *s;
	char *out;
	uint64_t off, len, pos, got;
	uint64_t lo, hi; /* the line being gathered (hi 0: none) */
	uint32_t prot;
	int label;
	char exe[PATH_MAX_GUEST];
};

enum { L_ANON = -1, L_HEAP = -2, L_STACK = -3 }; /* else: the ELF segment's index */

static uint64_t page_down(uint64_t a)
{
	return a & ~4095ull;
}

/* What va belongs to (one of the program's segments, the heap: the break's
 * room up to the stack, the stack, or nothing named), and in *until where
 * that may change next. */
static int label_of(const struct maps *m, uint64_t va, uint64_t *until)
{
	const struct kvmlet_bootinfo *bi = &m->s->sb->lay.bi;
	const uint64_t edges[] = {bi->brk_lo, bi->stack_lo, bi->stack_hi};
	const struct elf_image *img = &m->s->sb->img;
	int label = L_ANON;

	*until = UINT64_MAX;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_segment *seg = &img->seg[i];
		const uint64_t lo = page_down(seg->vaddr),
			       hi = page_down(seg->vaddr + seg->memsz + 4095);
		if (va >= lo && va < hi)
			label = (int)i;
		if (lo > va && lo < *until)
			*until = lo;
		if (hi > va && hi < *until)
			*until = hi;
	}
	for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (edges[i] > va && edges[i] < *until)
			*until = edges[i];
	if (label == L_ANON && va >= bi->brk_lo && va < bi->stack_lo)
		label = L_HEAP;
	if (label == L_ANON && va >= bi->stack_lo && va < bi->stack_hi)
		label = L_STACK;
	return label;
}

/* The part of text that falls in the read's window. */
static void emit(struct maps *m, const char *text, uint64_t n)
{
	/* The part of [pos, pos + n) inside the window [off, off + len). */
	uint64_t lo = m->pos > m->off ? m->pos : m->off;
	uint64_t hi = m->pos + n < m->off + m->len ? m->pos + n : m->off + m->len;

	if (lo < hi) {
		memcpy(m->out + m->got, text + (lo - m->pos), hi - lo);
		m->got += hi - lo;
	}
	m->pos += n;
}

static void line(struct maps *m)
{
	const char *name = "";
	uint64_t off = 0;
	char buf[NAME_COL + PATH_MAX_GUEST + 2];
	int n;

	if (!m->hi)
		return;
	if (m->label >= 0) {
		const struct elf_segment *seg = &m->s->sb->img.seg[m->label];
		name = m->exe;
		off = page_down(seg->offset) + (m->lo - page_down(seg->vaddr));
	} else if (m->label == L_HEAP) {
		name = "[heap]";
	} else if (m->label == L_STACK) {
		name = "[stack]";
	}
	n = snprintf(buf, sizeof(buf), "%08" PRIx64 "-%08" PRIx64 " r%c%cp %08" PRIx64 " 00:00 %d ",
		     m->lo, m->hi, (m->prot & PT_PROT_WRITE) ? 'w' : '-',
		     (m->prot & PT_PROT_EXEC) ? 'x' : '-', off, m->label >= 0 ? 1 : 0);
	if (*name)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%*s%s",
			      n < NAME_COL ? NAME_COL - n : 0, "", name);
	/* Room for both parts (NAME_COL, PATH_MAX_GUEST): never cut, but checked. */
	if (n < 0 || (size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	emit(m, buf, (uint64_t)n);
	m->hi = 0;
}

static int run(void *arg, const struct pt_run *r)
{
	struct maps *m = arg;

	if (!(r->prot & PT_PROT_USER))
		return 0;
	for (uint64_t va = r->va; va < r->va + r->len;) {
		uint64_t until, end = r->va + r->len;
		const int label = label_of(m, va, &until);

		end = until < end ? until : end;
		if (m->hi && (m->hi != va || m->prot != r->prot || m->label != label))
			line(m);
		if (!m->hi)
			m->lo = va, m->prot = r->prot, m->label = label;
		m->hi = end;
		va = end;
	}
	return m->got == m->len && m->pos >= m->off + m->len; /* the window is full */
}

/* The path the program was started as (AT_EXECFN), from the working
 * directory "/" it started in, with ".", ".." and repeated slashes resolved
 * as Linux's path walk would. */
int64_t lxs_exe_path(struct sys *s, char *out)
{
	const struct linux_host *lx = s->lx;

	return linux_path_clean(lx->exe			  ? lx->exe
				: lx->argv && lx->argv[0] ? lx->argv[0]
							  : "guest",
				out);
}

/* The strings of v (NULL-terminated), each with its NUL, from offset off. */
static int64_t strings_read(char *const *v, char *out, uint64_t len, uint64_t off)
{
	uint64_t pos = 0, got = 0;

	for (; v && *v && got < len; v++) {
		uint64_t n = strlen(*v) + 1;
		if (off < pos + n) {
			uint64_t from = off > pos ? off - pos : 0, take = n - from;
			take = take < len - got ? take : len - got;
			memcpy(out + got, *v + from, take);
			got += take;
			off = pos + n;
		}
		pos += n;
	}
	return (int64_t)got;
}

/* The guest kernel's free pages: the zero bits of its page bitmap (as its
 * sysinfo counts them); all of them if the bitmap cannot be read. */
static uint64_t free_pages(struct sys *s)
{
	const struct kvmlet_bootinfo *bi = &s->sb->lay.bi;
	uint64_t n = bi->free_hi > bi->free_lo ? (bi->free_hi - bi->free_lo) / 4096 : 0, used = 0;
	const uint64_t *map = GUEST_PTR(&s->sb->gm, bi->pmap_lo, (n + 63) / 64 * 8);

	for (uint64_t w = 0; map && w < (n + 63) / 64; w++)
		used += (uint64_t)__builtin_popcountll(
			n - w * 64 >= 64 ? map[w] : map[w] & ((1ull << (n - w * 64)) - 1));
	return n - used;
}

/* The text of /proc's file node (not maps, cmdline, environ) into buf
 * (size bytes); its length. */
static size_t proc_text(struct sys *s, int node, char *buf, size_t size)
{
	static const char *const mem_zero[] = {"Buffers",  "Cached",	"SwapCached", "Active",
					       "Inactive", "SwapTotal", "SwapFree",   "Shmem"};
	uint64_t free, ns;
	size_t n = 0;

	switch (node) {
	case LX_NODE_MOUNTS:
		return (size_t)snprintf(buf, size, "kvmlet / tmpfs ro,relatime 0 0\n");
	case LX_NODE_MOUNTINFO:
		return (size_t)snprintf(buf, size, "1 1 0:0 / / ro,relatime - tmpfs kvmlet ro\n");
	case LX_NODE_MEMINFO:
		free = free_pages(s);
		/* Linux's layout: the name padded to 16 columns, the value to 8, in kB. */
		n = (size_t)snprintf(buf, size,
				     "MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64
				     " kB\nMemAvailable:   %8" PRIu64 " kB\n",
				     s->sb->lay.bi.mem_size >> 10, free * 4, free * 4);
		for (size_t i = 0; i < sizeof(mem_zero) / sizeof(mem_zero[0]) && n < size; i++)
			n += (size_t)snprintf(buf + n, size - n, "%s:%*s%8d kB\n", mem_zero[i],
					      (int)(15 - strlen(mem_zero[i])), "", 0);
		return n < size ? n : size - 1;
	default: /* LX_NODE_UPTIME: sysinfo's clock; no CPU time is measured, so no idle time */
		ns = lxs_now(s, CLOCK_MONOTONIC);
		return (size_t)snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 " 0.00\n",
					ns / 1000000000, ns / 10000000 % 100);
	}
}

int64_t lxs_proc_read(struct sys *s, int node, char *out, uint64_t len, uint64_t off)
{
	struct maps m = {.s = s, .out = out, .off = off, .len = len};

	if (node == LX_NODE_CMDLINE || node == LX_NODE_ENVIRON)
		return strings_read(node == LX_NODE_CMDLINE ? s->lx->argv : s->lx->envp, out, len,
				    off);
	if (node != LX_NODE_MAPS) {
		char text[512];
		size_t n = proc_text(s, node, text, sizeof(text));
		if (off >= n)
			return 0;
		n = n - off < len ? n - off : len;
		memcpy(out, text + off, n);
		return (int64_t)n;
	}

	if (len > UINT64_MAX - off)
		m.len = UINT64_MAX - off; /* the window's end must not wrap */

	if (lxs_exe_path(s, m.exe) < 0)
		strcpy(m.exe, "/guest");
	if (pt_walk(&s->sb->gm.pt, 0, KVMLET_USER_END, 0, run, &m) < 0)
		return -EIO;
	line(&m);
	return (int64_t)m.got;
}
