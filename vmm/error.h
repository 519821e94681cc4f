/* SPDX-License-Identifier: MIT */
/* error.h: how the library reports a failure (error.c). */
#ifndef KVMLET_ERROR_H
#define KVMLET_ERROR_H

#include "kvmlet.h"

/*
 * The functions every call runs, kept together (.text.hot): a call then
 * touches few code pages, and each one costs a TLB refill after a VM exit
 * (under QEMU, a translation-cache refill as well). Only those: a large
 * function marked too (a Linux program's system-call dispatch) lands between
 * them and spreads a call over more pages.
 */
#define KVMLET_HOT __attribute__((hot))
/* A thread-local that a call or an exit reads: at a fixed offset from the
 * thread pointer even in libkvmlet.so (no __tls_get_addr call, no ld.so page;
 * safe in the kick's signal handler). */
#define KVMLET_TLS __attribute__((tls_model("initial-exec")))
/* Failures are the unlikely path: their callers' error branches move out of
 * the hot pages (.text.unlikely). */
#define KVMLET_COLD __attribute__((cold))

/* Set err (if any) to code and a formatted message; returns code. */
KVMLET_COLD __attribute__((format(printf, 3, 4))) int kvmlet_fail(struct kvmlet_error *err, int code,
						      const char *fmt, ...);
/* After a failed system call named what: -errno, and "what: strerror(errno)" in err. */
KVMLET_COLD int error_errno(struct kvmlet_error *err, const char *what);
/* End a guest run with outcome o and a message (also in err when code != 0); returns code. */
KVMLET_COLD __attribute__((format(printf, 5, 6))) int error_outcome(struct kvmlet_result *res,
							struct kvmlet_error *err,
							enum kvmlet_outcome o, int code,
							const char *fmt, ...);

#endif /* KVMLET_ERROR_H */
