/* SPDX-License-Identifier: MIT */
/*
 * replay.c: feed files to a fuzz target without libFuzzer, so that a corpus
 * runs as an ordinary test with any compiler. Arguments are files or
 * directories (read recursively, dot files skipped). Fails if no input at all
 * was found: an empty corpus means a broken path, not a passing test.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t size = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (size == cap) {
			unsigned char *nbuf = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!nbuf) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nbuf;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy, so that ASan sees any read past the input. */
	unsigned char *exact = malloc(size ? size : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, size);
	free(buf);
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
	return 0;
}

/* Returns the number of inputs replayed, or -1 on an unreadable path. */
static long replay_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	long count = 0, r;
	DIR *dir;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) < 0 ? -1 : 1;
	dir = opendir(path);
	if (!dir) {
		perror(path);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		char sub[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub)) {
			fprintf(stderr, "%s/%s: path too long\n", path, de->d_name);
			count = -1;
			break;
		}
		r = replay_path(sub);
		if (r < 0) {
			count = -1;
			break;
		}
		count += r;
	}
	closedir(dir);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0, r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		r = replay_path(argv[i]);
		if (r < 0)
			return 1;
		total += r;
	}
	printf("replayed %ld inputs\n", total);
	return total > 0 ? 0 : 1;
}
