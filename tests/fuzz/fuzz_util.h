/* fuzz_util.h: what the fuzz targets share: a checked assertion and an input cursor. */
#ifndef KVMLET_FUZZ_UTIL_H
#define KVMLET_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with the failed condition: libFuzzer keeps the input as a crash. */
#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	} while (0)

struct cursor {
	const uint8_t *p;
	size_t n;
};

/* The next bytes (at most 8) as a little-endian number; past the end of the input, zeros. */
static inline uint64_t get(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && c->n; i++, c->p++, c->n--)
		v |= (uint64_t)*c->p << (8 * i);
	return v;
}

#endif
