/* SPDX-License-Identifier: MIT */
/* lib.h: the library's one-time set-up (lib.c). */
#ifndef KVMLET_LIB_H
#define KVMLET_LIB_H
#include "kvmlet.h"
/* Register every feature's exit handlers and open what snapshots read, once
 * per process (later calls only report how it went): 0 or a negative errno.
 * Whatever makes a sandbox from nothing calls it first. */
int lib_ready(struct kvmlet_error *err);
#endif /* KVMLET_LIB_H */
