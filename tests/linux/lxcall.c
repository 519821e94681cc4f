/*
 * lxcall.c: guest functions in a static libc program (tests/kvm/test_libc.c),
 * built with musl-gcc and with gcc (glibc). main keeps argv and a local on
 * its stack, then serves calls, which must leave both as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlet_linux.h"

static char **saved_argv;
static volatile const char *main_local;
static int counter;
static __thread int tls_counter = 100;

static int add(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, kvmlet_arg_i64(c, 0) + kvmlet_arg_i64(c, 1));
}
KVMLET_EXPORT(add, "ii:i");

/* argv[1] and main's local, read during a call: what a call stack at the top
 * of the stack would have overwritten. */
static int args(struct kvmlet_call *c)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s %s", saved_argv[1] ? saved_argv[1] : "(none)",
		 (const char *)main_local);
	return kvmlet_ret_str(c, buf, strlen(buf));
}
KVMLET_EXPORT(args, ":s");

static int hello(struct kvmlet_call *c)
{
	(void)c;
	printf("hello from %s, %d\n", saved_argv[0], 42);
	fprintf(stderr, "to stderr\n");
	return 0;
}
KVMLET_EXPORT(hello, ":v");

/* A global, a TLS variable (FS base kept) and the heap. */
static int count(struct kvmlet_call *c)
{
	char *p = malloc(1000);

	if (!p)
		return kvmlet_ret_error(c, "malloc failed");
	snprintf(p, 1000, "%d", ++counter + ++tls_counter);
	long v = strtol(p, NULL, 10);
	free(p);
	return kvmlet_ret_i64(c, v);
}
KVMLET_EXPORT(count, ":i");

/* The host's square, through a host call. */
static int sq(struct kvmlet_call *c)
{
	struct kvmlet_value r;

	if (KVMLET_HOST_CALL(&r, "square", KVMLET_I64(kvmlet_arg_i64(c, 0))) < 0)
		return kvmlet_ret_error(c, r.ptr);
	return kvmlet_ret_i64(c, r.i64);
}
KVMLET_EXPORT(sq, "i:i");

/* 512 KiB of the call stack, touched. */
static int deep(struct kvmlet_call *c)
{
	volatile char big[512 << 10];

	for (size_t i = 0; i < sizeof(big); i += 4096)
		big[i] = (char)i;
	return kvmlet_ret_i64(c, big[4096] + kvmlet_arg_i64(c, 0));
}
KVMLET_EXPORT(deep, "i:i");

int main(int argc, char **argv)
{
	char local[32] = "main-local";

	(void)argc;
	saved_argv = argv;
	main_local = local;
	if (kvmlet_serve() < 0) {
		perror("kvmlet_serve");
		return 1;
	}
	/* kvmlet run: serve returned at once. */
	printf("main goes on: %s\n", local);
	return 0;
}
