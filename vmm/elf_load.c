/* SPDX-License-Identifier: MIT */
/*
 * elf.c: parse and validate a static x86-64 guest ELF, then copy its segments.
 *
 * The file is hostile. Headers are copied out with memcpy (no alignment or
 * aliasing assumptions) and only after the range they come from has been
 * checked against the file size; every sum goes through __builtin_add_overflow.
 * Checks run from the outside in, so that the first error reported is the one
 * that explains the most: not ELF, wrong kind of ELF, dynamic, then the
 * individual segments, then the image as a whole.
 */
#include "elf_load.h"

/* <linux/elf.h>, not <elf.h>: with vmm/ on the include path, <elf.h> is this module's header. */
#include <linux/elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ELF fields are read in host order");
_Static_assert(SIZE_MAX == UINT64_MAX, "file offsets and guest addresses share one range");

#define PAGE_MASK ((uint64_t)ELF_PAGE_SIZE - 1)

static const char *const errstr[] = {
	[0] = "success",
	[-ELF_ERR_TRUNCATED] = "file truncated",
	[-ELF_ERR_MAGIC] = "not an ELF file",
	[-ELF_ERR_CLASS] = "not a 64-bit ELF file",
	[-ELF_ERR_DATA] = "not a little-endian ELF file",
	[-ELF_ERR_VERSION] = "unknown ELF version",
	[-ELF_ERR_MACHINE] = "not an x86-64 ELF file",
	[-ELF_ERR_TYPE] = "not a static executable (ET_EXEC)",
	[-ELF_ERR_DYNAMIC] = "dynamically linked (PT_INTERP)",
	[-ELF_ERR_PHDR] = "bad program header table",
	[-ELF_ERR_FILESZ] = "segment file size larger than its memory size",
	[-ELF_ERR_OFFSET] = "segment file bytes outside the file",
	[-ELF_ERR_OVERFLOW] = "segment address range overflows",
	[-ELF_ERR_ALIGN] = "segment misaligned",
	[-ELF_ERR_ORDER] = "segments not ascending or overlapping",
	[-ELF_ERR_WX] = "segment both writable and executable",
	[-ELF_ERR_RANGE] = "segment outside the allowed guest address range",
	[-ELF_ERR_ENTRY] = "entry point not in an executable segment",
	[-ELF_ERR_NOLOAD] = "no loadable segment",
	[-ELF_ERR_TOOBIG] = "segments need more memory than allowed",
	[-ELF_ERR_SHDR] = "bad section header table",
};

const char *elf_strerror(int err)
{
	if (err > 0 || -err >= (int)(sizeof(errstr) / sizeof(errstr[0])))
		return "unknown ELF error";
	return errstr[-err];
}

/* State of one elf_parse call. */
struct parser {
	const unsigned char *data;
	size_t size;
	const struct elf_limits *lim;
	struct elf_image *img;
	char *msg;
	size_t msglen;
	uint64_t mem;			  /* page-rounded bytes of the segments so far */
	unsigned phidx[ELF_MAX_SEGMENTS]; /* program header index of each img->seg[] */
};

/* Record a message and return err, so that a check reads `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, int err, const char *fmt,
						      ...)
{
	va_list ap;

	if (p->msg && p->msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->msg, p->msglen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* A few machines by name, so the message says more than a number. */
static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386:
		return " (EM_386, 32-bit x86)";
	case EM_ARM:
		return " (EM_ARM)";
	case EM_AARCH64:
		return " (EM_AARCH64)";
	case EM_PPC64:
		return " (EM_PPC64)";
	case EM_S390:
		return " (EM_S390)";
	case EM_RISCV:
		return " (EM_RISCV)";
	default:
		return "";
	}
}

/* e_ident, checked on whatever prefix the file has, so a short file is still named correctly. */
static int check_ident(struct parser *p)
{
	const unsigned char *d = p->data;
	size_t n = p->size < SELFMAG ? p->size : SELFMAG;

	if (n > 0 && memcmp(d, ELFMAG, n) != 0) { /* n == 0: d may be NULL */
		unsigned char b[SELFMAG] = {0};

		memcpy(b, d, n);
		return fail(p, ELF_ERR_MAGIC,
			    "not an ELF file: starts with %02x %02x %02x %02x, not 7f 45 4c 46",
			    b[0], b[1], b[2], b[3]);
	}
	if (p->size > EI_CLASS && d[EI_CLASS] != ELFCLASS64) {
		if (d[EI_CLASS] == ELFCLASS32)
			return fail(p, ELF_ERR_CLASS,
				    "32-bit ELF (ELFCLASS32): guests must be 64-bit");
		return fail(p, ELF_ERR_CLASS, "unknown ELF class %u", d[EI_CLASS]);
	}
	if (p->size > EI_DATA && d[EI_DATA] != ELFDATA2LSB) {
		if (d[EI_DATA] == ELFDATA2MSB)
			return fail(p, ELF_ERR_DATA,
				    "big-endian ELF (ELFDATA2MSB): x86-64 is little-endian");
		return fail(p, ELF_ERR_DATA, "unknown ELF data encoding %u", d[EI_DATA]);
	}
	if (p->size > EI_VERSION && d[EI_VERSION] != EV_CURRENT)
		return fail(p, ELF_ERR_VERSION, "EI_VERSION %u, expected %u", d[EI_VERSION],
			    EV_CURRENT);
	if (p->size < sizeof(Elf64_Ehdr))
		return fail(p, ELF_ERR_TRUNCATED,
			    "file is %zu bytes, shorter than the %zu-byte ELF header", p->size,
			    sizeof(Elf64_Ehdr));
	return ELF_OK;
}

/* The rest of the ELF header, and where the program header table is. */
static int check_ehdr(struct parser *p, const Elf64_Ehdr *eh)
{
	uint64_t tlen, tend;

	if (eh->e_version != EV_CURRENT)
		return fail(p, ELF_ERR_VERSION, "e_version %u, expected %u", eh->e_version,
			    EV_CURRENT);
	if (eh->e_machine != EM_X86_64)
		return fail(p, ELF_ERR_MACHINE, "e_machine %u%s, not x86-64 (EM_X86_64, %u)",
			    eh->e_machine, machine_name(eh->e_machine), EM_X86_64);
	/* ET_DYN is refused only after the dynamic check, which explains more. */
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		const char *t = eh->e_type == ET_REL	? " (ET_REL, an object file)"
				: eh->e_type == ET_CORE ? " (ET_CORE, a core dump)"
							: "";
		return fail(p, ELF_ERR_TYPE,
			    "e_type %u%s: only static executables (ET_EXEC) are loaded", eh->e_type,
			    t);
	}
	if (eh->e_phnum == 0)
		return fail(p, ELF_ERR_NOLOAD, "no program headers (e_phnum 0)");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(p, ELF_ERR_PHDR, "e_phentsize %u, expected %zu", eh->e_phentsize,
			    sizeof(Elf64_Phdr));
	if (eh->e_phnum == PN_XNUM)
		return fail(p, ELF_ERR_PHDR, "e_phnum PN_XNUM: extended numbering not supported");
	if (eh->e_phnum > ELF_MAX_PHDRS)
		return fail(p, ELF_ERR_PHDR, "too many program headers: %u, at most %u",
			    eh->e_phnum, ELF_MAX_PHDRS);
	if (eh->e_phoff < sizeof(Elf64_Ehdr))
		return fail(p, ELF_ERR_PHDR, "e_phoff 0x%" PRIx64 " overlaps the ELF header",
			    (uint64_t)eh->e_phoff);
	tlen = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr); /* at most 64 * 56: cannot overflow */
	if (__builtin_add_overflow(eh->e_phoff, tlen, &tend))
		return fail(p, ELF_ERR_PHDR, "e_phoff 0x%" PRIx64 " + 0x%" PRIx64 " overflows",
			    (uint64_t)eh->e_phoff, tlen);
	if (tend > p->size)
		return fail(p, ELF_ERR_TRUNCATED,
			    "program header table [0x%" PRIx64 ", 0x%" PRIx64
			    ") ends past the end of the file (0x%zx bytes)",
			    (uint64_t)eh->e_phoff, tend, p->size);
	return ELF_OK;
}

/* Program header i; check_ehdr has checked that the whole table is inside the file. */
static void read_phdr(const struct parser *p, const Elf64_Ehdr *eh, unsigned i, Elf64_Phdr *ph)
{
	memcpy(ph, p->data + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* The interpreter a PT_INTERP names, made printable, for the message. */
static void interp_name(const struct parser *p, const Elf64_Phdr *ph, char *out, size_t len)
{
	uint64_t n = 0, end;

	if (ph->p_filesz == 0 || __builtin_add_overflow(ph->p_offset, ph->p_filesz, &end) ||
	    end > p->size) {
		snprintf(out, len, "(outside the file)");
		return;
	}
	for (uint64_t i = 0; i < ph->p_filesz && n + 1 < len && p->data[ph->p_offset + i]; i++) {
		unsigned char c = p->data[ph->p_offset + i];
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

/* Headers other than PT_LOAD that make the file unloadable. */
static int check_special(struct parser *p, const Elf64_Ehdr *eh)
{
	Elf64_Phdr ph;
	char interp[64];

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		read_phdr(p, eh, i, &ph);
		if (ph.p_type == PT_INTERP) {
			interp_name(p, &ph, interp, sizeof(interp));
			return fail(p, ELF_ERR_DYNAMIC,
				    "program header %u: PT_INTERP: dynamically linked, needs the "
				    "interpreter %s (link with -static)",
				    i, interp);
		}
		/* The guest stack is never executable; a file that asks for one asks for W+X. */
		if (ph.p_type == PT_GNU_STACK && (ph.p_flags & PF_X))
			return fail(
				p, ELF_ERR_WX,
				"program header %u: PT_GNU_STACK asks for an executable stack "
				"(nothing writable is executable here: link with -z noexecstack)",
				i);
		if (ph.p_type == PT_GNU_STACK)
			p->img->gnu_stack = true;
	}
	if (eh->e_type == ET_DYN && !p->lim->pie_base)
		return fail(p, ELF_ERR_TYPE,
			    "e_type ET_DYN (position-independent), only ET_EXEC is supported");
	return ELF_OK;
}

/* Addresses of one PT_LOAD segment: overflow, alignment, limits. *plo and *phi get its pages. */
static int check_load_range(struct parser *p, unsigned i, const Elf64_Phdr *ph, uint64_t *plo,
			    uint64_t *phi)
{
	const struct elf_limits *lim = p->lim;
	uint64_t end, fend;

	if (ph->p_filesz > 0 &&
	    (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &fend) || fend > p->size))
		return fail(p, ELF_ERR_OFFSET,
			    "segment %u: p_offset 0x%" PRIx64 " + p_filesz 0x%" PRIx64
			    " is outside the file (0x%zx bytes)",
			    i, (uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, p->size);
	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end) ||
	    __builtin_add_overflow(end, PAGE_MASK, phi))
		return fail(p, ELF_ERR_OVERFLOW,
			    "segment %u: p_vaddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64 " overflows",
			    i, (uint64_t)ph->p_vaddr, (uint64_t)ph->p_memsz);
	*phi &= ~PAGE_MASK;
	*plo = ph->p_vaddr & ~PAGE_MASK;
	if (ph->p_align & (ph->p_align - 1))
		return fail(p, ELF_ERR_ALIGN,
			    "segment %u: p_align 0x%" PRIx64 " not a power of two", i,
			    (uint64_t)ph->p_align);
	if ((ph->p_vaddr ^ ph->p_offset) & PAGE_MASK)
		return fail(p, ELF_ERR_ALIGN,
			    "segment %u: p_vaddr 0x%" PRIx64 " and p_offset 0x%" PRIx64
			    " differ modulo the 4 KiB page size",
			    i, (uint64_t)ph->p_vaddr, (uint64_t)ph->p_offset);
	/* Say which end: a link address too low needs relinking, a program too
	 * high or too big more guest memory. */
	if (*plo < lim->va_min || *phi > lim->va_max)
		return fail(p, ELF_ERR_RANGE,
			    "segment %u: pages [0x%" PRIx64 ", 0x%" PRIx64
			    ") outside the allowed range [0x%" PRIx64 ", 0x%" PRIx64 ")%s",
			    i, *plo, *phi, lim->va_min, lim->va_max,
			    *plo < lim->va_min
				    ? ": linked too low (relink higher, e.g. at ld's 0x400000)"
				    : ": past the memory left below the stack (more guest memory may fit it)");
	return ELF_OK;
}

/* One PT_LOAD header: validate it and append it to the image. */
static int add_load(struct parser *p, unsigned i, const Elf64_Phdr *ph)
{
	struct elf_image *img = p->img;
	const struct elf_segment *prev = img->nsegs ? &img->seg[img->nsegs - 1] : NULL;
	uint64_t plo = 0, phi = 0;
	int err;

	if (ph->p_filesz > ph->p_memsz)
		return fail(p, ELF_ERR_FILESZ,
			    "segment %u: p_filesz 0x%" PRIx64 " > p_memsz 0x%" PRIx64, i,
			    (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_memsz == 0)
		return ELF_OK;
	if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
		return fail(p, ELF_ERR_WX,
			    "segment %u: both writable and executable (p_flags 0x%x)", i,
			    ph->p_flags);
	err = check_load_range(p, i, ph, &plo, &phi);
	if (err)
		return err;
	if (prev && plo < img->hi) { /* img->hi: the end of prev's last page */
		unsigned j = p->phidx[img->nsegs - 1];

		if (ph->p_vaddr < prev->vaddr)
			return fail(p, ELF_ERR_ORDER,
				    "segment %u: p_vaddr 0x%" PRIx64
				    " below segment %u's 0x%" PRIx64 ": PT_LOADs must ascend",
				    i, (uint64_t)ph->p_vaddr, j, prev->vaddr);
		return fail(p, ELF_ERR_ORDER,
			    "segment %u: page 0x%" PRIx64 " overlaps segment %u [0x%" PRIx64
			    ", 0x%" PRIx64 ")",
			    i, plo, j, prev->vaddr, prev->vaddr + prev->memsz);
	}
	if (img->nsegs == ELF_MAX_SEGMENTS)
		return fail(p, ELF_ERR_PHDR, "segment %u: more than %u PT_LOAD segments", i,
			    ELF_MAX_SEGMENTS);
	if (__builtin_add_overflow(p->mem, phi - plo, &p->mem))
		return fail(p, ELF_ERR_TOOBIG, "segment %u: total memory overflows", i);
	p->phidx[img->nsegs] = i;
	img->seg[img->nsegs++] = (struct elf_segment){
		.vaddr = ph->p_vaddr,
		.memsz = ph->p_memsz,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.flags = ph->p_flags & (PF_R | PF_W | PF_X),
	};
	if (!prev)
		img->lo = plo;
	img->hi = phi;
	return ELF_OK;
}

/* The entry point must be a file byte of an executable segment: bss is zeros, not code. */
static int check_entry(struct parser *p)
{
	const struct elf_image *img = p->img;

	for (unsigned k = 0; k < img->nsegs; k++) {
		const struct elf_segment *s = &img->seg[k];

		if (img->entry < s->vaddr || img->entry - s->vaddr >= s->memsz)
			continue;
		if (!(s->flags & PF_X))
			return fail(p, ELF_ERR_ENTRY,
				    "entry point 0x%" PRIx64
				    " is in segment %u, which is not executable",
				    img->entry, p->phidx[k]);
		if (img->entry - s->vaddr >= s->filesz)
			return fail(p, ELF_ERR_ENTRY,
				    "entry point 0x%" PRIx64
				    " is in the zero-filled (bss) part of segment %u",
				    img->entry, p->phidx[k]);
		return ELF_OK;
	}
	return fail(p, ELF_ERR_ENTRY, "entry point 0x%" PRIx64 " is outside every PT_LOAD segment",
		    img->entry);
}

/* Where the program headers are in memory: inside a segment's file bytes, or nowhere. */
static void find_phdr(struct parser *p, const Elf64_Ehdr *eh)
{
	struct elf_image *img = p->img;
	uint64_t len = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);

	img->phnum = eh->e_phnum;
	for (unsigned k = 0; k < img->nsegs; k++) {
		const struct elf_segment *s = &img->seg[k];

		if (eh->e_phoff >= s->offset && eh->e_phoff - s->offset <= s->filesz &&
		    len <= s->filesz - (eh->e_phoff - s->offset)) {
			img->phdr = s->vaddr + (eh->e_phoff - s->offset);
			return;
		}
	}
}

static int parse(struct parser *p)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int err;

	err = check_ident(p);
	if (err)
		return err;
	memcpy(&eh, p->data, sizeof(eh));
	err = check_ehdr(p, &eh);
	if (err)
		return err;
	err = check_special(p, &eh);
	if (err)
		return err;
	/* A static PIE is linked at 0: its addresses all move by the same bias. */
	p->img->bias = eh.e_type == ET_DYN ? p->lim->pie_base : 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		read_phdr(p, &eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		if (__builtin_add_overflow(ph.p_vaddr, p->img->bias, &ph.p_vaddr))
			return fail(p, ELF_ERR_OVERFLOW, "segment %u: p_vaddr + the PIE base overflows",
				    i);
		err = add_load(p, i, &ph);
		if (err)
			return err;
	}
	if (p->img->nsegs == 0)
		return fail(p, ELF_ERR_NOLOAD, "no PT_LOAD segment with p_memsz > 0");
	p->img->entry = eh.e_entry + p->img->bias;
	find_phdr(p, &eh);
	err = check_entry(p);
	if (err)
		return err;
	if (p->mem > p->lim->max_mem)
		return fail(p, ELF_ERR_TOOBIG,
			    "segments need 0x%" PRIx64 " bytes of memory, the limit is 0x%" PRIx64,
			    p->mem, p->lim->max_mem);
	return ELF_OK;
}

int elf_parse(const void *data, size_t size, const struct elf_limits *lim, struct elf_image *img,
	      char *msg, size_t msglen)
{
	struct parser p = {
		.data = data,
		.size = data ? size : 0,
		.lim = lim,
		.img = img,
		.msg = msg,
		.msglen = msglen,
	};
	int err;

	if (msg && msglen > 0)
		msg[0] = '\0';
	if (!img || !lim)
		return fail(&p, ELF_ERR_RANGE, "elf_parse: no image or no limits given");
	memset(img, 0, sizeof(*img));
	err = parse(&p);
	if (err)
		memset(img, 0, sizeof(*img));
	return err;
}

/* Where segment s goes in dst: byte offsets of its first page, its first byte, its page end. */
static int copy_range(size_t size, const struct elf_segment *s, uint64_t dst_va, uint64_t dst_len,
		      uint64_t *plo, uint64_t *vlo, uint64_t *phi)
{
	uint64_t end, fend;

	if (s->filesz > s->memsz)
		return ELF_ERR_FILESZ;
	if (s->filesz > 0 && (__builtin_add_overflow(s->offset, s->filesz, &fend) || fend > size))
		return ELF_ERR_OFFSET;
	if (__builtin_add_overflow(s->vaddr, s->memsz, &end) ||
	    __builtin_add_overflow(end, PAGE_MASK, &end))
		return ELF_ERR_OVERFLOW;
	end &= ~PAGE_MASK;
	if ((s->vaddr & ~PAGE_MASK) < dst_va || end - dst_va > dst_len)
		return ELF_ERR_RANGE;
	*plo = (s->vaddr & ~PAGE_MASK) - dst_va;
	*vlo = s->vaddr - dst_va;
	*phi = end - dst_va;
	return ELF_OK;
}

int elf_copy_segments(const void *data, size_t size, const struct elf_image *img, void *dst,
		      uint64_t dst_va, uint64_t dst_len)
{
	unsigned char *d = dst;
	uint64_t plo, vlo, phi;
	int err;

	if (!img || img->nsegs > ELF_MAX_SEGMENTS)
		return ELF_ERR_PHDR;
	if (!data)
		size = 0;
	if (!dst)
		dst_len = 0;
	/* Check every segment before writing any, so a refusal leaves dst untouched. */
	for (unsigned k = 0; k < img->nsegs; k++) {
		if (img->seg[k].memsz == 0)
			continue;
		err = copy_range(size, &img->seg[k], dst_va, dst_len, &plo, &vlo, &phi);
		if (err)
			return err;
	}
	for (unsigned k = 0; k < img->nsegs; k++) {
		const struct elf_segment *s = &img->seg[k];

		if (s->memsz == 0)
			continue;
		/* Checked above; checked again so no path uses the ranges unset. */
		err = copy_range(size, s, dst_va, dst_len, &plo, &vlo, &phi);
		if (err)
			return err;
		memset(d + plo, 0, vlo - plo);
		if (s->filesz > 0)
			memcpy(d + vlo, (const unsigned char *)data + s->offset, s->filesz);
		memset(d + vlo + s->filesz, 0, phi - vlo - s->filesz);
	}
	return ELF_OK;
}
