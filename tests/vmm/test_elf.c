/* SPDX-License-Identifier: MIT */
/*
 * test_elf.c: the ELF loader against files built in memory, one defect per
 * test, each expecting one exact error code and a message that names the
 * defect. Every file is parsed from a heap copy of exactly its size, so that
 * ASan catches any read past its end.
 */
#include <check.h>
#include <inttypes.h>
#include <linux/elf.h> /* not <elf.h>: that name is vmm/elf.h here */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_load.h"

#define FILE_CAP  0x8000
#define TEXT_VA	  0x400000ull
#define DATA_VA	  0x401000ull
#define ENTRY	  (TEXT_VA + 0x100)
#define FILE_SIZE 0x1100

static union {
	Elf64_Ehdr eh;
	unsigned char b[FILE_CAP];
} file;

static const struct elf_limits lim_default = {
	.va_min = 0x10000,
	.va_max = 0x40000000,
	.max_mem = 16 << 20,
};

static Elf64_Phdr load(uint32_t flags, uint64_t vaddr, uint64_t off, uint64_t filesz,
		       uint64_t memsz)
{
	return (Elf64_Phdr){
		.p_type = PT_LOAD,
		.p_flags = flags,
		.p_offset = off,
		.p_vaddr = vaddr,
		.p_paddr = vaddr,
		.p_filesz = filesz,
		.p_memsz = memsz,
		.p_align = 0x1000,
	};
}

/* Text (headers and code) in one page, data with bss over three pages, a GNU stack note. */
static unsigned default_phdrs(Elf64_Phdr *ph)
{
	ph[0] = load(PF_R | PF_X, TEXT_VA, 0, 0x200, 0x200);
	ph[1] = load(PF_R | PF_W, DATA_VA, 0x1000, 0x100, 0x2100);
	ph[2] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16};
	return 3;
}

static unsigned char pattern(size_t off)
{
	return (unsigned char)(off * 7 + 3);
}

/* Build an x86-64 ET_EXEC in `file`: header, the n program headers right after it, payload. */
static size_t build(uint64_t entry, const Elf64_Phdr *ph, unsigned n, size_t size)
{
	size_t hdrs = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);

	ck_assert_uint_le(size, FILE_CAP);
	ck_assert_uint_le(hdrs, size);
	for (size_t i = 0; i < size; i++)
		file.b[i] = pattern(i);
	file.eh = (Elf64_Ehdr){
		.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			    EV_CURRENT},
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = entry,
		.e_phoff = n ? sizeof(Elf64_Ehdr) : 0,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = (uint16_t)n,
	};
	memcpy(file.b + sizeof(Elf64_Ehdr), ph, n * sizeof(Elf64_Phdr));
	return size;
}

static size_t build_default(void)
{
	Elf64_Phdr ph[3];

	return build(ENTRY, ph, default_phdrs(ph), FILE_SIZE);
}

/* Parse a heap copy of exactly `size` bytes of buf. */
static int parse_copy(const void *buf, size_t size, const struct elf_limits *lim,
		      struct elf_image *img, char *msg, size_t msglen)
{
	unsigned char *copy = malloc(size ? size : 1);
	int err;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, size);
	err = elf_parse(copy, size, lim, img, msg, msglen);
	free(copy);
	return err;
}

/* Expect error `want` with a message containing `needle`, and a zeroed image. */
static void expect_lim(const void *buf, size_t size, const struct elf_limits *lim, int want,
		       const char *needle, int line)
{
	struct elf_image img;
	char msg[256];
	int err;

	memset(&img, 0xa5, sizeof(img));
	memset(msg, 'x', sizeof(msg));
	err = parse_copy(buf, size, lim, &img, msg, sizeof(msg));
	ck_assert_msg(err == want, "line %d, size %zu: got %d (%s), want %d (%s): \"%s\"", line,
		      size, err, elf_strerror(err), want, elf_strerror(want), msg);
	ck_assert_msg(msg[0] != '\0', "line %d: empty message", line);
	ck_assert_msg(strstr(msg, needle) != NULL, "line %d: message \"%s\" lacks \"%s\"", line,
		      msg, needle);
	ck_assert_msg(img.nsegs == 0 && img.entry == 0 && img.lo == 0 && img.hi == 0,
		      "line %d: image not zeroed on error", line);
}

#define EXPECT_LIM(size, lim, want, needle) expect_lim(file.b, size, lim, want, needle, __LINE__)
#define EXPECT(size, want, needle)	    EXPECT_LIM(size, &lim_default, want, needle)

/* Expect success; the image is returned in *img. */
static void expect_ok(size_t size, const struct elf_limits *lim, struct elf_image *img)
{
	char msg[256];
	int err = parse_copy(file.b, size, lim, img, msg, sizeof(msg));

	ck_assert_msg(err == ELF_OK, "got %d (%s): \"%s\"", err, elf_strerror(err), msg);
	ck_assert_str_eq(msg, "");
}

/* --- the header --- */

START_TEST(test_truncated_header)
{
	build_default();
	for (size_t len = 0; len < sizeof(Elf64_Ehdr); len++)
		EXPECT(len, ELF_ERR_TRUNCATED, "ELF header");
}
END_TEST

START_TEST(test_truncated_phdr_table)
{
	build_default();
	for (size_t len = sizeof(Elf64_Ehdr); len < sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
	     len++)
		EXPECT(len, ELF_ERR_TRUNCATED, "program header table");
}
END_TEST

START_TEST(test_truncated_segment)
{
	/* The data segment's file bytes end at FILE_SIZE. */
	build_default();
	EXPECT(FILE_SIZE - 1, ELF_ERR_OFFSET, "segment 1: p_offset 0x1000 + p_filesz 0x100");
}
END_TEST

START_TEST(test_bad_magic)
{
	size_t size = build_default();

	file.b[EI_MAG3] = 'G';
	EXPECT(size, ELF_ERR_MAGIC, "not an ELF file");
	/* A short file that is not ELF is "not ELF", not "truncated". */
	file.b[1] = 'e';
	EXPECT(2, ELF_ERR_MAGIC, "not an ELF file");
	file.b[0] = 0;
	EXPECT(1, ELF_ERR_MAGIC, "starts with 00");
}
END_TEST

START_TEST(test_shell_script)
{
	static const char script[] = "#!/bin/sh\nexec /bin/true \"$@\"\n";

	EXPECT_LIM(0, &lim_default, ELF_ERR_TRUNCATED, "ELF header"); /* empty file */
	expect_lim(script, sizeof(script) - 1, &lim_default, ELF_ERR_MAGIC, "23 21 2f 62",
		   __LINE__);
}
END_TEST

START_TEST(test_class32)
{
	size_t size = build_default();

	file.b[EI_CLASS] = ELFCLASS32;
	EXPECT(size, ELF_ERR_CLASS, "32-bit ELF");
	EXPECT(52, ELF_ERR_CLASS, "32-bit ELF"); /* a whole Elf32_Ehdr, shorter than ours */
	file.b[EI_CLASS] = 7;
	EXPECT(size, ELF_ERR_CLASS, "class 7");
}
END_TEST

START_TEST(test_big_endian)
{
	size_t size = build_default();

	file.b[EI_DATA] = ELFDATA2MSB;
	EXPECT(size, ELF_ERR_DATA, "big-endian");
	file.b[EI_DATA] = ELFDATANONE;
	EXPECT(size, ELF_ERR_DATA, "encoding 0");
}
END_TEST

START_TEST(test_version)
{
	size_t size = build_default();

	file.b[EI_VERSION] = 2;
	EXPECT(size, ELF_ERR_VERSION, "EI_VERSION 2");
	build_default();
	file.eh.e_version = 0;
	EXPECT(size, ELF_ERR_VERSION, "e_version 0");
}
END_TEST

START_TEST(test_machine)
{
	size_t size = build_default();

	file.eh.e_machine = EM_AARCH64;
	EXPECT(size, ELF_ERR_MACHINE, "e_machine 183 (EM_AARCH64)");
	file.eh.e_machine = 0x1234;
	EXPECT(size, ELF_ERR_MACHINE, "e_machine 4660");
}
END_TEST

START_TEST(test_type)
{
	static const struct {
		uint16_t type;
		const char *needle;
	} cases[] = {
		{ET_DYN, "ET_DYN"},    {ET_REL, "ET_REL"},	 {ET_CORE, "ET_CORE"},
		{ET_NONE, "e_type 0"}, {0xfe00, "e_type 65024"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = build_default();

		file.eh.e_type = cases[i].type;
		EXPECT(size, ELF_ERR_TYPE, cases[i].needle);
	}
}
END_TEST

/* --- the program header table --- */

START_TEST(test_interp)
{
	Elf64_Phdr ph[4];
	unsigned n = default_phdrs(ph);
	size_t size;

	ph[n++] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x300, .p_filesz = 28};
	size = build(ENTRY, ph, n, FILE_SIZE);
	memcpy(file.b + 0x300, "/lib64/ld-linux-x86-64.so.2", 28);
	EXPECT(size, ELF_ERR_DYNAMIC,
	       "program header 3: PT_INTERP: dynamically linked, needs the interpreter "
	       "/lib64/ld-linux-x86-64.so.2");
	/* A PIE with an interpreter is reported as dynamic, which says more than ET_DYN. */
	file.eh.e_type = ET_DYN;
	EXPECT(size, ELF_ERR_DYNAMIC, "PT_INTERP");
}
END_TEST

START_TEST(test_dynamic)
{
	Elf64_Phdr ph[4];
	unsigned n = default_phdrs(ph);
	size_t size;

	struct elf_image img;
	struct elf_limits pie = lim_default;

	/* Without PT_INTERP, PT_DYNAMIC is the program's own business (a static PIE's
	 * startup code relocates itself with it). */
	ph[n++] = (Elf64_Phdr){.p_type = PT_DYNAMIC, .p_flags = PF_R | PF_W, .p_offset = 0x1000};
	size = build(ENTRY, ph, n, FILE_SIZE);
	expect_ok(size, &lim_default, &img);
	ck_assert_uint_eq(img.bias, 0);
	/* A static PIE: refused without a place for it, moved by pie_base with one. */
	file.eh.e_type = ET_DYN;
	EXPECT(size, ELF_ERR_TYPE, "ET_DYN");
	pie.pie_base = 0x200000;
	expect_ok(size, &pie, &img);
	ck_assert_uint_eq(img.bias, 0x200000);
	ck_assert_uint_eq(img.entry, ENTRY + 0x200000);
	ck_assert_uint_eq(img.seg[0].vaddr, TEXT_VA + 0x200000);
	ck_assert_uint_eq(img.lo, (TEXT_VA & ~0xfffull) + 0x200000);
}
END_TEST

START_TEST(test_too_many_phdrs)
{
	Elf64_Phdr ph[ELF_MAX_PHDRS + 1];
	unsigned n = default_phdrs(ph);
	struct elf_image img;

	while (n < ELF_MAX_PHDRS)
		ph[n++] = (Elf64_Phdr){.p_type = PT_NOTE, .p_flags = PF_R};
	expect_ok(build(ENTRY, ph, n, FILE_SIZE), &lim_default, &img); /* the limit itself */
	ph[n++] = (Elf64_Phdr){.p_type = PT_NOTE, .p_flags = PF_R};
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_PHDR, "too many program headers: 65");
	file.eh.e_phnum = PN_XNUM;
	EXPECT(FILE_SIZE, ELF_ERR_PHDR, "PN_XNUM");
}
END_TEST

START_TEST(test_too_many_loads)
{
	Elf64_Phdr ph[ELF_MAX_SEGMENTS + 1];
	unsigned n = 0;
	struct elf_image img;

	ph[n++] = load(PF_R | PF_X, TEXT_VA, 0, 0x200, 0x200);
	while (n < ELF_MAX_SEGMENTS)
		ph[n] = load(PF_R, TEXT_VA + n * 0x1000ull, n * 0x1000ull, 0, 0x1000), n++;
	expect_ok(build(ENTRY, ph, n, FILE_SIZE), &lim_default, &img);
	ck_assert_uint_eq(img.nsegs, ELF_MAX_SEGMENTS);
	ph[n] = load(PF_R, TEXT_VA + n * 0x1000ull, n * 0x1000ull, 0, 0x1000), n++;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_PHDR, "segment 16: more than 16 PT_LOAD");
}
END_TEST

START_TEST(test_bad_phdr_fields)
{
	size_t size = build_default();

	file.eh.e_phentsize = sizeof(Elf64_Phdr) - 1;
	EXPECT(size, ELF_ERR_PHDR, "e_phentsize 55");
	build_default();
	file.eh.e_phoff = 8;
	EXPECT(size, ELF_ERR_PHDR, "e_phoff 0x8 overlaps");
	build_default();
	file.eh.e_phoff = UINT64_MAX - 100;
	EXPECT(size, ELF_ERR_PHDR, "overflows");
	build_default();
	file.eh.e_phoff = 0x10a0; /* inside the file, table runs past its end */
	EXPECT(size, ELF_ERR_TRUNCATED, "program header table [0x10a0, 0x1148)");
}
END_TEST

START_TEST(test_no_load)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	EXPECT(build(ENTRY, ph + 2, 1, FILE_SIZE), ELF_ERR_NOLOAD, "no PT_LOAD");
	EXPECT(build(ENTRY, ph, 0, FILE_SIZE), ELF_ERR_NOLOAD, "e_phnum 0");
	/* PT_LOADs with p_memsz 0 are skipped, so they do not count. */
	ph[0].p_memsz = ph[0].p_filesz = 0;
	ph[1].p_memsz = ph[1].p_filesz = 0;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_NOLOAD, "no PT_LOAD");
}
END_TEST

/* --- the segments --- */

START_TEST(test_overlap)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	/* Disjoint bytes, but in the same page as the text: its permissions would be mixed. */
	ph[1] = load(PF_R | PF_W, TEXT_VA + 0x200, 0x200, 0x10, 0x10);
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_ORDER, "overlaps segment 0");
	ph[1] = load(PF_R | PF_W, TEXT_VA + 0x100, 0x100, 0x10, 0x10);
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_ORDER, "overlaps segment 0");
}
END_TEST

START_TEST(test_not_ascending)
{
	Elf64_Phdr ph[3], t;
	unsigned n = default_phdrs(ph);

	t = ph[0], ph[0] = ph[1], ph[1] = t;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_ORDER, "segment 1: p_vaddr 0x400000 below");
}
END_TEST

START_TEST(test_vaddr_overflow)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	ph[1] = load(PF_R | PF_W, 0xfffffffffffff000ull, 0x1000, 0x100, 0x2000);
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_OVERFLOW, "p_vaddr 0xfffffffffffff000");
	/* No overflow of the end itself, but of its page rounding. */
	ph[1].p_memsz = 0xfff;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_OVERFLOW, "overflows");
}
END_TEST

START_TEST(test_offset_overflow)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	ph[1].p_offset = 0xfffffffffffff000ull;
	ph[1].p_filesz = ph[1].p_memsz = 0x2000;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_OFFSET, "p_offset 0xfffffffffffff000");
	ph[1].p_offset = FILE_SIZE; /* starts at the end of the file */
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_OFFSET, "outside the file (0x1100 bytes)");
}
END_TEST

START_TEST(test_filesz)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	ph[0].p_filesz = 0x300;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_FILESZ,
	       "segment 0: p_filesz 0x300 > p_memsz 0x200");
	/* Even a segment with p_memsz 0, which would otherwise be skipped. */
	ph[0].p_filesz = 1;
	ph[0].p_memsz = 0;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_FILESZ, "p_memsz 0x0");
}
END_TEST

START_TEST(test_align)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	ph[1].p_align = 0x1800;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_ALIGN, "p_align 0x1800");
	ph[1].p_align = 0x1000;
	ph[1].p_offset = 0xf00;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_ALIGN, "differ modulo");
}
END_TEST

START_TEST(test_entry_outside)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	EXPECT(build(0x10000000, ph, n, FILE_SIZE), ELF_ERR_ENTRY, "outside every PT_LOAD");
	EXPECT(build(0, ph, n, FILE_SIZE), ELF_ERR_ENTRY, "entry point 0x0 ");
	EXPECT(build(TEXT_VA - 1, ph, n, FILE_SIZE), ELF_ERR_ENTRY, "outside");
}
END_TEST

START_TEST(test_entry_not_exec)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);
	struct elf_image img;

	EXPECT(build(DATA_VA, ph, n, FILE_SIZE), ELF_ERR_ENTRY,
	       "segment 1, which is not executable");
	/* In the text's bss: zeros, not code. */
	ph[0].p_memsz = 0x800;
	EXPECT(build(TEXT_VA + 0x200, ph, n, FILE_SIZE), ELF_ERR_ENTRY, "zero-filled");
	/* Its last file byte is fine. */
	expect_ok(build(TEXT_VA + 0x1ff, ph, n, FILE_SIZE), &lim_default, &img);
}
END_TEST

START_TEST(test_wx)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);

	ph[1].p_flags = PF_R | PF_W | PF_X;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_WX,
	       "segment 1: both writable and executable");
	ph[1].p_flags = PF_R | PF_W;
	ph[2].p_flags = PF_R | PF_W | PF_X;
	EXPECT(build(ENTRY, ph, n, FILE_SIZE), ELF_ERR_WX,
	       "PT_GNU_STACK asks for an executable stack (nothing writable is executable "
	       "here: link with -z noexecstack)");
}
END_TEST

START_TEST(test_range)
{
	struct elf_limits lim = lim_default;
	struct elf_image img;
	size_t size = build_default(); /* pages [0x400000, 0x404000) */

	lim.va_max = 0x403000;
	EXPECT_LIM(size, &lim, ELF_ERR_RANGE, "segment 1: pages [0x401000, 0x404000) outside");
	lim.va_max = 0x404000; /* ending exactly at the limit is fine */
	expect_ok(size, &lim, &img);
	lim.va_min = 0x401000;
	EXPECT_LIM(size, &lim, ELF_ERR_RANGE, "segment 0: pages [0x400000, 0x401000) outside");
	lim.va_min = 0x400000;
	expect_ok(size, &lim, &img);
	lim.va_min = 0x400001; /* a byte limit inside the first page refuses that page */
	EXPECT_LIM(size, &lim, ELF_ERR_RANGE, "segment 0");
}
END_TEST

START_TEST(test_too_big)
{
	struct elf_limits lim = lim_default;
	struct elf_image img;
	size_t size = build_default(); /* one text page, three data pages */

	lim.max_mem = 0x4000;
	expect_ok(size, &lim, &img);
	lim.max_mem = 0x3fff;
	EXPECT_LIM(size, &lim, ELF_ERR_TOOBIG, "0x4000 bytes");
}
END_TEST

/* --- valid files --- */

START_TEST(test_valid)
{
	Elf64_Phdr ph[6];
	unsigned n = default_phdrs(ph);
	struct elf_image img;

	ph[n++] = (Elf64_Phdr){.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x1f0};
	ph[n++] = load(PF_R, 0x500000, 0, 0, 0);	 /* p_memsz 0: skipped */
	ph[n++] = load(PF_R, 0x405000, 0x2000, 0, 0x10); /* no file bytes: p_offset unused */
	ph[n - 1].p_align = 0;				 /* 0 and 1 mean "no alignment" */
	expect_ok(build(ENTRY, ph, n, FILE_SIZE), &lim_default, &img);
	ck_assert_uint_eq(img.entry, ENTRY);
	ck_assert_uint_eq(img.nsegs, 3);
	ck_assert_uint_eq(img.lo, TEXT_VA);
	ck_assert_uint_eq(img.hi, 0x406000);
	ck_assert_uint_eq(img.seg[0].vaddr, TEXT_VA);
	ck_assert_uint_eq(img.seg[0].memsz, 0x200);
	ck_assert_uint_eq(img.seg[0].offset, 0);
	ck_assert_uint_eq(img.seg[0].filesz, 0x200);
	ck_assert_uint_eq(img.seg[0].flags, PF_R | PF_X);
	ck_assert_uint_eq(img.seg[1].vaddr, DATA_VA);
	ck_assert_uint_eq(img.seg[1].memsz, 0x2100);
	ck_assert_uint_eq(img.seg[1].offset, 0x1000);
	ck_assert_uint_eq(img.seg[1].filesz, 0x100);
	ck_assert_uint_eq(img.seg[1].flags, PF_R | PF_W);
	ck_assert_uint_eq(img.seg[2].vaddr, 0x405000);
	ck_assert_uint_eq(img.seg[2].flags, PF_R);
}
END_TEST

START_TEST(test_flags_masked)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);
	struct elf_image img;

	ph[0].p_flags |= 0x0ff00000; /* PF_MASKOS bits */
	expect_ok(build(ENTRY, ph, n, FILE_SIZE), &lim_default, &img);
	ck_assert_uint_eq(img.seg[0].flags, PF_R | PF_X);
}
END_TEST

START_TEST(test_message_buffer)
{
	struct elf_image img;
	char msg[8];
	size_t size = build_default();

	file.eh.e_machine = EM_AARCH64;
	ck_assert_int_eq(parse_copy(file.b, size, &lim_default, &img, NULL, 0), ELF_ERR_MACHINE);
	memset(msg, 'x', sizeof(msg));
	ck_assert_int_eq(parse_copy(file.b, size, &lim_default, &img, msg, 0), ELF_ERR_MACHINE);
	ck_assert_int_eq(msg[0], 'x');
	ck_assert_int_eq(parse_copy(file.b, size, &lim_default, &img, msg, sizeof(msg)),
			 ELF_ERR_MACHINE);
	ck_assert_str_eq(msg, "e_machi");
	ck_assert_int_eq(elf_parse(file.b, size, NULL, &img, NULL, 0), ELF_ERR_RANGE);
	ck_assert_int_eq(elf_parse(NULL, 100, &lim_default, &img, NULL, 0), ELF_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_strerror)
{
	for (int e = ELF_ERR_SHDR; e <= ELF_OK; e++) {
		const char *s = elf_strerror(e);

		ck_assert_ptr_nonnull(s);
		ck_assert_msg(s[0] != '\0' && strcmp(s, "unknown ELF error") != 0, "code %d", e);
		for (int f = ELF_ERR_SHDR; f < e; f++)
			ck_assert_str_ne(s, elf_strerror(f));
	}
	ck_assert_str_eq(elf_strerror(ELF_ERR_SHDR - 1), "unknown ELF error");
	ck_assert_str_eq(elf_strerror(1), "unknown ELF error");
	ck_assert_str_eq(elf_strerror(-1000000), "unknown ELF error");
}
END_TEST

/* --- copying --- */

/* Check dst (guest range [lo, ...)) against `file`: file bytes, zeros, untouched 0xaa. */
static void check_copied(const unsigned char *dst, size_t len, const struct elf_image *img)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t va = img->lo + i;
		int want = 0xaa;

		for (unsigned k = 0; k < img->nsegs; k++) {
			const struct elf_segment *s = &img->seg[k];
			uint64_t plo = s->vaddr & ~0xfffull;
			uint64_t phi = (s->vaddr + s->memsz + 0xfff) & ~0xfffull;

			if (va < plo || va >= phi)
				continue;
			want = 0;
			if (va >= s->vaddr && va - s->vaddr < s->filesz)
				want = file.b[s->offset + (va - s->vaddr)];
		}
		ck_assert_msg(dst[i] == want, "va 0x%" PRIx64 ": 0x%02x, want 0x%02x", va, dst[i],
			      want);
	}
}

START_TEST(test_copy)
{
	Elf64_Phdr ph[3];
	unsigned n = default_phdrs(ph);
	struct elf_image img;
	size_t size, len;
	unsigned char *dst;

	ph[0].p_vaddr += 0x10, ph[0].p_offset += 0x10, ph[0].p_filesz -= 0x10; /* page head */
	ph[1].p_vaddr += 0x2000; /* two untouched pages between the segments */
	size = build(ENTRY, ph, n, FILE_SIZE);
	expect_ok(size, &lim_default, &img);
	len = img.hi - img.lo;
	ck_assert_uint_eq(len, 0x6000);
	dst = malloc(len);
	ck_assert_ptr_nonnull(dst);
	memset(dst, 0xaa, len);
	ck_assert_int_eq(elf_copy_segments(file.b, size, &img, dst, img.lo, len), ELF_OK);
	check_copied(dst, len, &img);
	ck_assert_int_eq(dst[0x10], file.b[0x10]);
	ck_assert_int_eq(dst[0xf], 0);
	ck_assert_int_eq(dst[0x1000], 0xaa);
	ck_assert_int_eq(dst[0x3000], pattern(0x1000));
	ck_assert_int_eq(dst[0x3100], 0);
	ck_assert_int_eq(dst[len - 1], 0);
	free(dst);
}
END_TEST

START_TEST(test_copy_dst_too_small)
{
	struct elf_image img;
	size_t size = build_default();
	uint64_t len;
	unsigned char *dst;

	expect_ok(size, &lim_default, &img);
	len = img.hi - img.lo;
	dst = malloc(len);
	ck_assert_ptr_nonnull(dst);
	memset(dst, 0xaa, len);
	/* One byte short at the end, at the start, or none at all: refused, dst untouched. */
	ck_assert_int_eq(elf_copy_segments(file.b, size, &img, dst, img.lo, len - 1),
			 ELF_ERR_RANGE);
	ck_assert_int_eq(elf_copy_segments(file.b, size, &img, dst, img.lo + 1, len - 1),
			 ELF_ERR_RANGE);
	ck_assert_int_eq(elf_copy_segments(file.b, size, &img, NULL, img.lo, len), ELF_ERR_RANGE);
	ck_assert_int_eq(elf_copy_segments(file.b, size, &img, dst, UINT64_MAX - 10, len),
			 ELF_ERR_RANGE);
	for (uint64_t i = 0; i < len; i++)
		ck_assert_int_eq(dst[i], 0xaa);
	free(dst);
}
END_TEST

START_TEST(test_copy_rechecks)
{
	struct elf_image img, bad;
	size_t size = build_default();
	uint64_t len;
	unsigned char *dst;

	expect_ok(size, &lim_default, &img);
	len = img.hi - img.lo;
	dst = calloc(1, len);
	ck_assert_ptr_nonnull(dst);
	/* A file shorter than the one parsed. */
	ck_assert_int_eq(elf_copy_segments(file.b, size - 1, &img, dst, img.lo, len),
			 ELF_ERR_OFFSET);
	ck_assert_int_eq(elf_copy_segments(NULL, size, &img, dst, img.lo, len), ELF_ERR_OFFSET);
	bad = img, bad.seg[1].offset = UINT64_MAX - 0x10;
	ck_assert_int_eq(elf_copy_segments(file.b, size, &bad, dst, img.lo, len), ELF_ERR_OFFSET);
	bad = img, bad.seg[1].filesz = bad.seg[1].memsz + 1;
	ck_assert_int_eq(elf_copy_segments(file.b, size, &bad, dst, img.lo, len), ELF_ERR_FILESZ);
	bad = img, bad.seg[1].vaddr = UINT64_MAX - 0x10;
	ck_assert_int_eq(elf_copy_segments(file.b, size, &bad, dst, img.lo, len), ELF_ERR_OVERFLOW);
	bad = img, bad.seg[0].vaddr = img.lo - 1;
	ck_assert_int_eq(elf_copy_segments(file.b, size, &bad, dst, img.lo, len), ELF_ERR_RANGE);
	bad = img, bad.nsegs = ELF_MAX_SEGMENTS + 1;
	ck_assert_int_eq(elf_copy_segments(file.b, size, &bad, dst, img.lo, len), ELF_ERR_PHDR);
	ck_assert_int_eq(elf_copy_segments(file.b, size, NULL, dst, img.lo, len), ELF_ERR_PHDR);
	free(dst);
}
END_TEST

/* --- files from the host --- */

static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*size = (size_t)n;
	}
	fclose(f);
	return buf;
}

START_TEST(test_host_true)
{
	struct elf_image img;
	char msg[256];
	size_t size;
	unsigned char *buf = read_file("/bin/true", &size);
	int err;

	if (!buf) {
		fprintf(stderr, "test_host_true: cannot read /bin/true, not checked\n");
		return;
	}
	/* Debian's is a PIE (ET_DYN) with PT_INTERP: reported as dynamic. */
	err = elf_parse(buf, size, &lim_default, &img, msg, sizeof(msg));
	ck_assert_msg(err == ELF_ERR_DYNAMIC, "got %d (%s): %s", err, elf_strerror(err), msg);
	ck_assert_msg(strstr(msg, "dynamically linked, needs the interpreter /lib") != NULL,
		      "message \"%s\"", msg);
	free(buf);
}
END_TEST

START_TEST(test_host_script)
{
	static const char script[] = "#!/bin/sh\necho not an ELF file\n";
	char path[] = "/tmp/kvmlet-test-elf-XXXXXX";
	struct elf_image img;
	char msg[256];
	size_t size;
	unsigned char *buf;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, script, sizeof(script) - 1), (ssize_t)sizeof(script) - 1);
	close(fd);
	buf = read_file(path, &size);
	unlink(path);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(elf_parse(buf, size, &lim_default, &img, msg, sizeof(msg)), ELF_ERR_MAGIC);
	ck_assert_ptr_nonnull(strstr(msg, "not an ELF file"));
	free(buf);
}
END_TEST

static Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *hdr = tcase_create("header");
	TCase *seg = tcase_create("segments");
	TCase *ok = tcase_create("valid");
	TCase *host = tcase_create("host");

	tcase_add_test(hdr, test_truncated_header);
	tcase_add_test(hdr, test_truncated_phdr_table);
	tcase_add_test(hdr, test_truncated_segment);
	tcase_add_test(hdr, test_bad_magic);
	tcase_add_test(hdr, test_shell_script);
	tcase_add_test(hdr, test_class32);
	tcase_add_test(hdr, test_big_endian);
	tcase_add_test(hdr, test_version);
	tcase_add_test(hdr, test_machine);
	tcase_add_test(hdr, test_type);
	tcase_add_test(hdr, test_interp);
	tcase_add_test(hdr, test_dynamic);
	tcase_add_test(hdr, test_too_many_phdrs);
	tcase_add_test(hdr, test_too_many_loads);
	tcase_add_test(hdr, test_bad_phdr_fields);
	tcase_add_test(hdr, test_no_load);
	tcase_add_test(seg, test_overlap);
	tcase_add_test(seg, test_not_ascending);
	tcase_add_test(seg, test_vaddr_overflow);
	tcase_add_test(seg, test_offset_overflow);
	tcase_add_test(seg, test_filesz);
	tcase_add_test(seg, test_align);
	tcase_add_test(seg, test_entry_outside);
	tcase_add_test(seg, test_entry_not_exec);
	tcase_add_test(seg, test_wx);
	tcase_add_test(seg, test_range);
	tcase_add_test(seg, test_too_big);
	tcase_add_test(ok, test_valid);
	tcase_add_test(ok, test_flags_masked);
	tcase_add_test(ok, test_message_buffer);
	tcase_add_test(ok, test_strerror);
	tcase_add_test(ok, test_copy);
	tcase_add_test(ok, test_copy_dst_too_small);
	tcase_add_test(ok, test_copy_rechecks);
	tcase_add_test(host, test_host_true);
	tcase_add_test(host, test_host_script);
	suite_add_tcase(s, hdr);
	suite_add_tcase(s, seg);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, host);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(elf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
