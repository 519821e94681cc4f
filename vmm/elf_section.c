/* SPDX-License-Identifier: MIT */
/*
 * elf_section.c: find a named section and read guest-virtual bytes from the
 * file, for what the image declares without running (the export table).
 * The file is hostile: every header range is checked against the file size
 * with overflow-safe sums before it is read, as in elf_load.c.
 */
#include "elf_load.h"

#include <linux/elf.h>
#include <string.h>

/* [off, off + len) inside a file of size bytes? */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= size;
}

int elf_find_section(const void *data, size_t size, const char *name, struct elf_section *out)
{
	const unsigned char *d = data;
	Elf64_Ehdr eh;
	Elf64_Shdr strtab, sh;
	size_t want = strlen(name) + 1;

	if (!d || size < sizeof(eh))
		return ELF_ERR_TRUNCATED;
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_shnum == 0 || eh.e_shoff == 0)
		return 0; /* no section headers: nothing to find */
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum ||
	    !in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), size))
		return ELF_ERR_SHDR;
	memcpy(&strtab, d + eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(sh), sizeof(strtab));
	if (!in_file(strtab.sh_offset, strtab.sh_size, size))
		return ELF_ERR_SHDR;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		memcpy(&sh, d + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		/* The name and its NUL must lie inside the string table. */
		if (sh.sh_name >= strtab.sh_size || strtab.sh_size - sh.sh_name < want ||
		    memcmp(d + strtab.sh_offset + sh.sh_name, name, want))
			continue;
		out->addr = sh.sh_addr;
		out->size = sh.sh_size;
		out->type = sh.sh_type;
		return 1;
	}
	return 0;
}

int elf_read_va(const void *data, size_t size, const struct elf_image *img, uint64_t va, void *buf,
		size_t len)
{
	for (unsigned k = 0; k < img->nsegs && k < ELF_MAX_SEGMENTS; k++) {
		const struct elf_segment *s = &img->seg[k];
		uint64_t rel = va - s->vaddr;

		if (va < s->vaddr || rel >= s->filesz || s->filesz - rel < len)
			continue;
		if (!in_file(s->offset, s->filesz, size))
			return ELF_ERR_OFFSET;
		memcpy(buf, (const unsigned char *)data + s->offset + rel, len);
		return ELF_OK;
	}
	return ELF_ERR_RANGE;
}
