/* SPDX-License-Identifier: MIT */
/* lang.c: the start-up script of a language guest (see lang.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlet_linux.h"
#include "lang.h"

static int read_file(FILE *f, char **src, size_t *len)
{
	size_t cap = 1 << 12, n = 0;
	char *buf = malloc(cap), *nb;

	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		if (!(nb = realloc(buf, cap *= 2)))
			free(buf);
		buf = nb;
	}
	if (!buf || ferror(f)) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*src = buf;
	*len = n;
	return 1;
}

int lang_script(int argc, char **argv, const char *default_path, char **src, size_t *len,
		const char **name)
{
	const char *path = argc > 1 ? argv[1] : default_path;
	FILE *f;
	int r;

	if (argc > 2 && !strcmp(argv[1], "-e")) {
		*name = "-e";
		*len = strlen(argv[2]);
		*src = strdup(argv[2]);
		return *src ? 1 : -1;
	}
	if (!(f = fopen(path, "rb"))) {
		if (argc <= 1 && errno == ENOENT)
			return 0; /* no script given, none at the default path */
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	*name = path;
	r = read_file(f, src, len);
	fclose(f);
	if (r < 0)
		fprintf(stderr, "%s: cannot read\n", path);
	return r;
}

int lang_ret_error(struct kvmlet_call *c, const char *msg)
{
	char buf[257];
	size_t n = strlen(msg);

	if (n > 256) /* kvmlet_ret_error's limit: cut at a character boundary */
		for (n = 256; n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80; n--)
			;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	if (!kvmlet_utf8_valid(buf, n))
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] > 0x7f)
				buf[i] = '?';
	return kvmlet_ret_error(c, buf);
}

const char *lang_call_name(struct kvmlet_call *c)
{
	size_t len;
	const char *name = kvmlet_arg_str(c, 0, &len);

	if (strlen(name) == len)
		return name;
	kvmlet_ret_error(c, "a function name has a NUL in it");
	return NULL;
}
