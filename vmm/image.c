/* SPDX-License-Identifier: MIT */
/*
 * image.c: what a guest image declares, read from the file without KVM (its
 * exported functions), and sandboxes made from a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_load.h"
#include "error.h"
#include "msg.h"

/* The guest's struct kvmlet_export_desc: name, sig and fn, as guest addresses. */
struct export_desc {
	uint64_t name, sig, fn;
};

/* A NUL-terminated string of at most max bytes at guest va, from the file. */
static int image_string(const void *elf, size_t size, const struct elf_image *img, uint64_t va,
			char *buf, size_t max)
{
	for (size_t i = 0; i <= max; i++) {
		uint64_t at;

		if (__builtin_add_overflow(va, i, &at) ||
		    elf_read_va(elf, size, img, at, buf + i, 1))
			return -1;
		if (!buf[i])
			return 0;
	}
	return -1;
}

int kvmlet_image_exports(const void *elf, size_t size, kvmlet_export_list_fn fn, void *arg,
			 struct kvmlet_error *err)
{
	struct elf_limits lim = {.va_min = 0, .va_max = 1ull << 47, .max_mem = UINT64_MAX};
	struct elf_image img;
	struct elf_section sec;
	char msg[200], name[KVMLET_NAME_MAX + 1], sig[KVMLET_SIG_MAX + 1];
	unsigned nargs;
	int r;

	if ((r = elf_parse(elf, size, &lim, &img, msg, sizeof(msg))) < 0)
		return kvmlet_fail(err, -ENOEXEC, "bad guest ELF: %s", msg);
	/* .kvmlet_exports: kvmlet.ld's; kvmlet_exports: a libc program's (GNU ld
	 * gives a section named like a C identifier __start_ and __stop_ symbols). */
	if ((r = elf_find_section(elf, size, ".kvmlet_exports", &sec)) == 0)
		r = elf_find_section(elf, size, "kvmlet_exports", &sec);
	if (r < 0)
		return kvmlet_fail(err, -ENOEXEC, "bad guest ELF: %s", elf_strerror(r));
	if (r == 0)
		return 0; /* no table: a guest without exports (or an older linker script) */
	if (sec.size % sizeof(struct export_desc) ||
	    sec.size / sizeof(struct export_desc) > KVMLET_EXPORTS_MAX)
		return kvmlet_fail(err, -ENOEXEC,
				   "bad export table: %llu bytes (entries of %zu, at most %u)",
				   (unsigned long long)sec.size, sizeof(struct export_desc),
				   KVMLET_EXPORTS_MAX);
	unsigned n = (unsigned)(sec.size / sizeof(struct export_desc));
	for (unsigned i = 0; i < n; i++) {
		struct export_desc d;

		if (elf_read_va(elf, size, &img, sec.addr + i * sizeof(d), &d, sizeof(d)) ||
		    image_string(elf, size, &img, d.name, name, KVMLET_NAME_MAX) ||
		    image_string(elf, size, &img, d.sig, sig, KVMLET_SIG_MAX))
			return kvmlet_fail(err, -ENOEXEC,
					   "bad export table: entry %u points outside the file",
					   i + 1);
		if (!msg_name_check(name, strlen(name)) || !msg_sig_check(sig, &nargs))
			return kvmlet_fail(err, -ENOEXEC,
					   "bad export table: entry %u has a bad name or signature",
					   i + 1);
		if (fn && (r = fn(arg, name, sig)) != 0)
			return r;
	}
	return (int)n;
}

/* The whole file at path into a new buffer (caller frees); at most 256 MiB. */
static int read_whole(const char *path, void **out, size_t *size, struct kvmlet_error *err)
{
	const size_t max = 256u << 20;
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return kvmlet_fail(err, -errno, "%s: cannot read: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = kvmlet_fail(err, -EINVAL, "%s: cannot read: not a regular file", path);
		goto err_close;
	}
	if ((uint64_t)st.st_size > max) {
		r = kvmlet_fail(err, -EFBIG, "%s: cannot read: larger than 256 MiB", path);
		goto err_close;
	}
	cap = (size_t)st.st_size + 1; /* +1: a file that grew shows as too large, not cut */
	if (!(buf = malloc(cap))) {
		r = kvmlet_fail(err, -ENOMEM, "%s: out of memory", path);
		goto err_close;
	}
	for (ssize_t got; len < cap; len += (size_t)got) {
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			got = 0;
		else if (got < 0) {
			r = kvmlet_fail(err, -errno, "%s: cannot read: %s", path, strerror(errno));
			goto err_free;
		} else if (got == 0)
			break;
	}
	close(fd);
	*out = buf;
	*size = len;
	return 0;
err_free:
	free(buf);
err_close:
	close(fd);
	return r;
}

int kvmlet_sandbox_new_from_file(struct kvmlet_sandbox **out, const char *path,
				 const struct kvmlet_config *cfg, struct kvmlet_error *err)
{
	void *elf;
	size_t size;
	int r;

	if (!out || !path)
		return kvmlet_fail(err, -EINVAL, "kvmlet_sandbox_new_from_file: %s is NULL",
				   out ? "path" : "out");
	*out = NULL;
	if ((r = read_whole(path, &elf, &size, err)) < 0)
		return r;
	r = kvmlet_sandbox_new(out, elf, size, cfg, err);
	free(elf);
	return r;
}

int kvmlet_file_exports(const char *path, kvmlet_export_list_fn fn, void *arg,
			struct kvmlet_error *err)
{
	void *elf;
	size_t size;
	int r;

	if ((r = read_whole(path, &elf, &size, err)) < 0)
		return r;
	r = kvmlet_image_exports(elf, size, fn, arg, err);
	free(elf);
	return r;
}

const char *kvmlet_type_name(uint32_t type)
{
	return msg_type_name(type);
}
