/* SPDX-License-Identifier: MIT */
/*
 * pt_format.h: one text form for a mapping run, shared by the host (kvmlet
 * inspect) and the guest (the ptwalk example), so that both print the same
 * memory map byte for byte.
 */
#ifndef KVMLET_PT_FORMAT_H
#define KVMLET_PT_FORMAT_H

#include "pagetable.h"

/* Longest line pt_format_run writes, with its NUL. */
#define PT_FORMAT_MAX 80

/*
 * pt_format_run: write "start-end pa perms size" for run r into buf (at least
 * PT_FORMAT_MAX bytes), e.g.
 * "0x0000000000200000-0x0000000000201000 0x0000000000200000 r-x-u 4K",
 * perms being r, w or -, x or -, then -u for user or -s for supervisor, size
 * the (smallest) leaf size. Returns the length written, without the NUL.
 */
size_t pt_format_run(char *buf, const struct pt_run *r);

#endif /* KVMLET_PT_FORMAT_H */
