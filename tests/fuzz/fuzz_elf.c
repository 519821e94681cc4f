/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elf.c: libFuzzer target for the ELF loader. Beyond "no crash", it
 * checks every promise that elf_parse makes about an image it accepts, then
 * copies the image and checks every byte of every page it wrote.
 */
#include <inttypes.h>
#include <linux/elf.h> /* not <elf.h>: that name is vmm/elf.h here */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"
#include "fuzz_util.h"

#define PAGE_MASK 0xfffull
#define VA_MIN	  0x1000ull
#define VA_MAX	  0x1000000ull /* 16 MiB: the copy buffer below covers it all */
#define MAX_MEM	  0x40000ull   /* 256 KiB: the copy and its check stay cheap */

static unsigned char dst[VA_MAX - VA_MIN];

/* Everything an accepted image promises. */
static void check_image(size_t size, const struct elf_image *img, const struct elf_limits *lim)
{
	uint64_t prev_hi = 0, mem = 0;
	int entry_ok = 0;

	CHECK(img->nsegs >= 1 && img->nsegs <= ELF_MAX_SEGMENTS);
	for (unsigned k = 0; k < img->nsegs; k++) {
		const struct elf_segment *s = &img->seg[k];
		uint64_t plo = s->vaddr & ~PAGE_MASK, phi;

		CHECK(s->memsz > 0 && s->filesz <= s->memsz);
		CHECK(s->filesz == 0 || (s->offset <= size && s->filesz <= size - s->offset));
		CHECK(s->vaddr <= UINT64_MAX - s->memsz - PAGE_MASK);
		phi = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
		CHECK((s->flags & ~(uint32_t)(PF_R | PF_W | PF_X)) == 0);
		CHECK(!((s->flags & PF_W) && (s->flags & PF_X)));
		CHECK(((s->vaddr ^ s->offset) & PAGE_MASK) == 0);
		CHECK(plo >= lim->va_min && phi <= lim->va_max);
		CHECK(k == 0 || plo >= prev_hi);
		if (k == 0)
			CHECK(img->lo == plo);
		prev_hi = phi;
		mem += phi - plo;
		if ((s->flags & PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->filesz)
			entry_ok = 1;
	}
	CHECK(img->hi == prev_hi);
	CHECK(mem <= lim->max_mem);
	CHECK(entry_ok);
}

static int all_zero(const unsigned char *d, uint64_t len)
{
	static const unsigned char zero[4096];

	for (; len > sizeof(zero); d += sizeof(zero), len -= sizeof(zero))
		if (memcmp(d, zero, sizeof(zero)) != 0)
			return 0;
	return memcmp(d, zero, len) == 0;
}

/* The copy: file bytes where the file has them, zeros in the rest of each segment's pages. */
static void check_copy(const uint8_t *data, const struct elf_image *img)
{
	for (unsigned k = 0; k < img->nsegs; k++) {
		const struct elf_segment *s = &img->seg[k];
		uint64_t plo = s->vaddr & ~PAGE_MASK;
		uint64_t phi = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
		const unsigned char *d = dst + (s->vaddr - img->lo);

		CHECK(all_zero(dst + (plo - img->lo), s->vaddr - plo));
		CHECK(s->filesz == 0 || memcmp(d, data + s->offset, s->filesz) == 0);
		CHECK(all_zero(d + s->filesz, phi - s->vaddr - s->filesz));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct elf_limits lim = {
		.va_min = VA_MIN, .va_max = VA_MAX, .max_mem = MAX_MEM};
	struct elf_image img;
	char msg[128];
	uint64_t len;
	int err;

	memset(msg, 'x', sizeof(msg));
	err = elf_parse(data, size, &lim, &img, msg, sizeof(msg));
	CHECK(err <= ELF_OK && err >= ELF_ERR_TOOBIG);
	CHECK(memchr(msg, '\0', sizeof(msg)) != NULL);
	if (err != ELF_OK) {
		CHECK(msg[0] != '\0' && img.nsegs == 0);
		return 0;
	}
	CHECK(msg[0] == '\0');
	check_image(size, &img, &lim);

	len = img.hi - img.lo;
	CHECK(len <= sizeof(dst));
	CHECK(elf_copy_segments(data, size, &img, dst, img.lo, len - 1) == ELF_ERR_RANGE);
	CHECK(elf_copy_segments(data, size, &img, dst, img.lo + 1, len) == ELF_ERR_RANGE);
	CHECK(elf_copy_segments(data, size, &img, dst, img.lo, len) == ELF_OK);
	check_copy(data, &img);

	/* The export table lookup (kvmlet_image_exports) on the same hostile file. */
	struct elf_section sec;
	uint8_t word[24];
	int f = elf_find_section(data, size, ".kvmlet_exports", &sec);
	CHECK(f == 0 || f == 1 || f == ELF_ERR_SHDR || f == ELF_ERR_TRUNCATED);
	if (f == 1 && elf_read_va(data, size, &img, sec.addr, word, sizeof(word)) == ELF_OK)
		CHECK(sec.size > 0 || sec.size == 0);
	return 0;
}
