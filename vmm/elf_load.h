/* SPDX-License-Identifier: MIT */
/*
 * elf_load.h: the guest ELF loader. Parses and validates a static x86-64 ET_EXEC
 * file held in host memory, then copies its PT_LOAD segments into a host
 * buffer that stands for a range of guest virtual memory.
 *
 * SECURITY NOTE: the file is untrusted. elf_parse never reads outside
 * [data, data + size), whatever the headers say, and accepts only images
 * whose every segment lies inside the caller's limits; elf_copy_segments
 * checks its arguments again, so a corrupted struct elf_image cannot make it
 * write outside dst either.
 */
#ifndef KVMLET_ELF_LOAD_H
#define KVMLET_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Error codes, all negative and explicitly numbered (an implicit enumerator
 * after -1 would be 0, i.e. ELF_OK). elf_strerror() describes each briefly.
 */
enum elf_error {
	ELF_OK = 0,
	ELF_ERR_TRUNCATED = -1, /* file shorter than a header/table it declares */
	ELF_ERR_MAGIC = -2,	/* not an ELF file */
	ELF_ERR_CLASS = -3,	/* not ELFCLASS64 */
	ELF_ERR_DATA = -4,	/* not little-endian */
	ELF_ERR_VERSION = -5,	/* EI_VERSION or e_version not EV_CURRENT */
	ELF_ERR_MACHINE = -6,	/* not x86-64 */
	ELF_ERR_TYPE = -7,	/* not ET_EXEC (ET_DYN, ET_REL, ET_CORE refused) */
	ELF_ERR_DYNAMIC = -8,	/* has PT_INTERP or PT_DYNAMIC: a dynamic executable */
	ELF_ERR_PHDR = -9,	/* bad e_phentsize/e_phnum/e_phoff, too many headers */
	ELF_ERR_FILESZ = -10,	/* p_filesz > p_memsz */
	ELF_ERR_OFFSET = -11,	/* p_offset + p_filesz outside the file or overflowing */
	ELF_ERR_OVERFLOW = -12, /* p_vaddr + p_memsz (page-rounded) overflows */
	ELF_ERR_ALIGN = -13,	/* p_vaddr != p_offset mod 4 KiB, p_align not a power of 2 */
	ELF_ERR_ORDER = -14,	/* PT_LOAD pages not ascending, or overlapping */
	ELF_ERR_WX = -15,	/* a segment (or PT_GNU_STACK) writable and executable */
	ELF_ERR_RANGE = -16,	/* segment outside the allowed guest virtual range */
	ELF_ERR_ENTRY = -17,	/* entry point not in an executable segment's file bytes */
	ELF_ERR_NOLOAD = -18,	/* no PT_LOAD segment with p_memsz > 0 */
	ELF_ERR_TOOBIG = -19,	/* segments need more memory than the caller allows */
	ELF_ERR_SHDR = -20,	/* bad section header table (elf_find_section) */
};

/* A short, static description of an ELF_ERR_* code (never NULL). */
const char *elf_strerror(int err);

#define ELF_MAX_SEGMENTS 16 /* PT_LOAD segments with p_memsz > 0 */
#define ELF_MAX_PHDRS	 64 /* program headers of any type */
#define ELF_PAGE_SIZE	 4096u

/* One PT_LOAD segment, as validated by elf_parse. */
struct elf_segment {
	uint64_t vaddr, memsz;	 /* guest virtual range [vaddr, vaddr + memsz) */
	uint64_t offset, filesz; /* file bytes [offset, offset + filesz) go to vaddr */
	uint32_t flags;		 /* PF_R | PF_W | PF_X, other bits cleared */
};

/* A validated image: segments in ascending address order, page ranges disjoint. */
struct elf_image {
	uint64_t entry;
	unsigned nsegs;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	uint64_t lo, hi; /* page-rounded span of all segments: [lo, hi) */
	uint64_t bias;	 /* added to every address of a static PIE (ET_DYN); 0 for ET_EXEC */
	uint64_t phdr;	 /* where the program headers are in memory (AT_PHDR), 0 if nowhere */
	unsigned phnum;	 /* how many (AT_PHNUM) */
	bool gnu_stack;	 /* has PT_GNU_STACK: linked by a Linux toolchain (kvmlet.ld has none) */
};

/*
 * What the caller allows. Every page that a segment touches must lie in
 * [va_min, va_max) (pages, not bytes: permissions and mappings are per page,
 * so pass page-aligned limits). max_mem bounds the sum of the segments'
 * page-rounded sizes; the span [lo, hi) is bounded by va_min/va_max.
 */
struct elf_limits {
	uint64_t va_min, va_max;
	uint64_t max_mem;
	uint64_t pie_base; /* where a static PIE goes (2 MiB aligned); 0: ET_DYN is refused */
};

/*
 * Parse and validate the ELF file [data, data + size) against lim and fill
 * img. Returns 0 or a negative ELF_ERR_*; on error img is zeroed and, if
 * msglen > 0, msg receives a one-line NUL-terminated explanation such as
 * "segment 2: p_filesz 0x2000 > p_memsz 0x1000" (on success, an empty string).
 * A static PIE (ET_DYN without PT_INTERP) is placed at lim->pie_base: every
 * address in img has img->bias added; the program relocates itself, as on
 * Linux. PT_INTERP (a dynamically linked program) and an executable
 * PT_GNU_STACK are refused; other non-PT_LOAD headers are ignored, and so are
 * PT_LOAD headers with p_memsz 0.
 */
int elf_parse(const void *data, size_t size, const struct elf_limits *lim, struct elf_image *img,
	      char *msg, size_t msglen);

/*
 * Copy the segments of img, parsed from [data, data + size), into dst, a
 * host buffer that represents guest virtual range [dst_va, dst_va + dst_len).
 * Every page that a segment touches is written: file bytes where the file has
 * them, zeros elsewhere (bss and page padding), so nothing stale in dst
 * remains visible to the guest. Pages between segments are left alone.
 * Re-checks img against size and dst with overflow-safe arithmetic. Returns 0,
 * ELF_ERR_RANGE if dst does not cover every segment page, or another negative
 * ELF_ERR_* if img is inconsistent with the file; nothing is written then.
 */
int elf_copy_segments(const void *data, size_t size, const struct elf_image *img, void *dst,
		      uint64_t dst_va, uint64_t dst_len);

/* A section header's address, size and type (elf_find_section). */
struct elf_section {
	uint64_t addr, size;
	uint32_t type;
};

/*
 * Find the section called name in the file [data, data + size): 1 and *out
 * filled, 0 if there is none (or no section headers), ELF_ERR_TRUNCATED or
 * ELF_ERR_SHDR if the headers are bad. Call it on a file elf_parse accepted.
 */
int elf_find_section(const void *data, size_t size, const char *name, struct elf_section *out);

/*
 * Copy len file bytes at guest virtual va of img (parsed from the same file)
 * into buf: ELF_OK, or ELF_ERR_RANGE if they are not all in one segment's file
 * bytes (bss has none), ELF_ERR_OFFSET if img disagrees with the file.
 */
int elf_read_va(const void *data, size_t size, const struct elf_image *img, uint64_t va,
		void *buf, size_t len);

#endif /* KVMLET_ELF_LOAD_H */
