/* SPDX-License-Identifier: MIT */
/* runtime.c: guest start, exit, output, abort and the small libc bits gcc needs. */
#include "kvmlet_guest.h"

int main(void) __attribute__((weak));
__attribute__((noreturn)) void kvmlet_start(void);

static inline void port_out(uint16_t port, uint64_t rdi, uint64_t rsi)
{
	__asm__ volatile("outb %%al, %w0" : : "Nd"(port), "a"(0), "D"(rdi), "S"(rsi) : "memory");
}

const struct kvmlet_bootinfo *kvmlet_bootinfo(void)
{
	return (const struct kvmlet_bootinfo *)KVMLET_BOOTINFO_GPA;
}

void kvmlet_exit(int status)
{
	for (;;)
		port_out(KVMLET_PORT_EXIT, (uint64_t)(int64_t)status, 0);
}

void kvmlet_abort(const char *msg)
{
	for (;;)
		port_out(KVMLET_PORT_ABORT, (uint64_t)msg, strlen(msg));
}

void kvmlet_write(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		size_t n = len < KVMLET_LOG_MAX ? len : KVMLET_LOG_MAX;
		port_out(KVMLET_PORT_LOG, (uint64_t)p, n);
		p += n;
		len -= n;
	}
}

void kvmlet_puts(const char *s)
{
	kvmlet_write(s, strlen(s));
}

/* Set by call.c: report the exports and wait at the READY port. */
void kvmlet_ready(uint64_t call_sp);

/*
 * The host resumes after READY only to run main (kvmlet run); a guest made
 * only of exported functions needs no main, and then exits 0.
 */
void kvmlet_start(void)
{
	if (kvmlet_bootinfo()->magic != KVMLET_BOOTINFO_MAGIC ||
	    kvmlet_bootinfo()->abi_version != KVMLET_ABI_VERSION)
		kvmlet_abort("boot info missing or from another ABI version");
	kvmlet_ready(0); /* calls run on the stack, from its top */
	kvmlet_exit(main ? main() : 0);
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
