/* kvmtest.h: helpers shared by the KVM tests (suite kvm). */
#ifndef KVMLET_KVMTEST_H
#define KVMLET_KVMTEST_H

#include <stddef.h>
#include <stdint.h>

#include "kvmlet.h"

/* Exit 77 (skip) with a message unless /dev/kvm can be opened. */
/* NULL if /dev/kvm is a KVM the tests trust, else why not (see scripts/kvm-check.sh). */
const char *kvmtest_kvm_untrusted(void);
/* Exit 77 (skip), saying why, unless kvmtest_kvm_untrusted() is NULL. */
void kvmtest_require_kvm(void);

/* Read a guest ELF from $KVMLET_GUEST_DIR/name.elf (aborts the test if missing). */
void *kvmtest_read_guest(const char *name, size_t *size);

/* Guest output captured by kvmtest_run. */
struct kvmtest_output {
	char buf[1 << 16];
	size_t len;
};

/*
 * Load guest name with cfg (NULL: defaults), run it, capture its output.
 * Returns kvmlet_run's result; sandbox creation failures fail the test.
 */
int kvmtest_run(const char *name, const struct kvmlet_config *cfg, struct kvmlet_result *res,
		struct kvmtest_output *out, struct kvmlet_error *err);

/* An output callback (kvmlet_set_output) appending to the struct kvmtest_output arg. */
void kvmtest_capture(void *arg, const char *buf, size_t len);

/* A new sandbox for guest name, started (kvmlet_init); failures fail the test. */
struct kvmlet_sandbox *kvmtest_ready(const char *name, const struct kvmlet_config *cfg);
/* kvmlet_reset, which must succeed. */
void kvmtest_reset(struct kvmlet_sandbox *sb);

/* A new sandbox for guest name with cfg (NULL: defaults); failures fail the test. */
struct kvmlet_sandbox *kvmtest_sandbox(const char *name, const struct kvmlet_config *cfg);

/* Call fn, which must succeed, and return its i64 result. */
int64_t kvmtest_call_i(struct kvmlet_sandbox *sb, const char *fn, const struct kvmlet_value *a,
		       unsigned n);

/* A host function "ii:i" (kvmlet_host_fn): the sum of its two arguments. */
int kvmtest_host_add(void *arg, const struct kvmlet_value *args, unsigned nargs,
		     struct kvmlet_value *result, char *errmsg, size_t errlen);

/* Run suite s (after kvmtest_require_kvm) and return the process's exit status. */
struct Suite;
int kvmtest_main(struct Suite *s);

#endif
