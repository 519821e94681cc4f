/* SPDX-License-Identifier: MIT */
/*
 * serve.c: the Linux half of the guest SDK (with guest/runtime/call.c built
 * with -DKVMLET_GUEST_LINUX): kvmlet_serve maps the stack calls run on and
 * reports the exports. The program's libc stays in charge of everything else;
 * this file uses only what musl and glibc both provide.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "kvmlet_linux.h"

void kvmlet_ready(uint64_t call_sp);
void kvmlet_linux_flush(void);

static inline void port_out(uint16_t port, uint64_t rdi, uint64_t rsi)
{
	__asm__ volatile("outb %%al, %w0" : : "Nd"(port), "a"(0), "D"(rdi), "S"(rsi) : "memory");
}

const struct kvmlet_bootinfo *kvmlet_bootinfo(void)
{
	return (const struct kvmlet_bootinfo *)KVMLET_BOOTINFO_GPA;
}

void kvmlet_abort(const char *msg)
{
	for (;;)
		port_out(KVMLET_PORT_ABORT, (uint64_t)msg, strlen(msg));
}

void kvmlet_linux_flush(void)
{
	fflush(NULL);
}

/* Only under kvmlet is the boot info page there: ask its uname first, so that
 * the program run natively fails cleanly instead of faulting on it. */
static int under_kvmlet(void)
{
	struct utsname u;

	return uname(&u) == 0 && strstr(u.release, "kvmlet") != NULL;
}

int kvmlet_serve(void)
{
	const struct kvmlet_bootinfo *bi;
	const size_t guard = 4096, size = KVMLET_CALL_STACK_SIZE;
	unsigned char *p;

	if (!under_kvmlet()) {
		errno = ENOTSUP;
		return -1;
	}
	bi = kvmlet_bootinfo();
	if (bi->magic != KVMLET_BOOTINFO_MAGIC || bi->abi_version != KVMLET_ABI_VERSION)
		kvmlet_abort("boot info missing or from another ABI version");
	/* Its own stack: the top of the program's holds argv, envp and main's
	 * frames, which a call must not overwrite. The guard page stays PROT_NONE. */
	p = mmap(NULL, guard + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (mprotect(p, guard, PROT_NONE) < 0) {
		munmap(p, guard + size);
		return -1;
	}
	kvmlet_linux_flush();
	kvmlet_ready((uint64_t)(p + guard + size));
	return 0;
}
