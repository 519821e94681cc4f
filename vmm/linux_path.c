/* SPDX-License-Identifier: MIT */
/*
 * linux_path.c: a path's text as Linux's walk reads it, without looking
 * anything up: repeated slashes, "." and ".." resolved (a relative path
 * taken from "/"). Used to name allowed files, and by linux_dir.c and
 * linux_fdlink.c to recognise the paths that are not in the tree.
 */
#include <string.h>

#include "linux_sys.h"

int linux_path_clean_files(const char *p, char *out, int (*is_file)(const char *))
{
	size_t n = 0;

	while (*p) {
		size_t len = strcspn(p, "/");
		bool slash = p[len] == '/';
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[--n] != '/')
				;
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (n + 1 + len >= PATH_MAX_GUEST)
				return -ENAMETOOLONG;
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len + slash;
		/* A name, ".", ".." or a slash after a file: Linux's walk stops there. */
		if (is_file && slash && n && (out[n] = '\0', is_file(out)))
			return -ENOTDIR;
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
	return (int)n;
}

int linux_path_clean(const char *p, char *out)
{
	return linux_path_clean_files(p, out, NULL);
}
