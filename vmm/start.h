/* SPDX-License-Identifier: MIT */
/* start.h: making a sandbox's VM and vCPU, and starting its guest (start.c). */
#ifndef KVMLET_START_H
#define KVMLET_START_H

#include "kvmlet.h"

struct kvmlet_sandbox;

/* Create the VM and the vCPU, entering at the ELF entry point (once). */
int sandbox_start(struct kvmlet_sandbox *sb, struct kvmlet_error *err);
/* -EIO unless sb's vCPU pages as its tables were built for (vendor, MAXPHYADDR). */
int sandbox_check_paging(const struct kvmlet_sandbox *sb, struct kvmlet_error *err);

/* A VM and vCPU for sb, whose memory and tables are a copy (a template's, a
 * fork's): a warm shell when one is kept (vcpu.c), its slot now mapping sb's
 * memory, else new ones (-EAGAIN under kvmlet_seccomp_install's filter,
 * which allows no new VM). The caller loads a complete vCPU state next. */
int sandbox_vm_for_copy(struct kvmlet_sandbox *sb, struct kvmlet_error *err);
/* execve built a new image in sb's memory: enter it at its entry, with the
 * vCPU's state as it started (the snapshot's, then long mode at CPL3 anew)
 * and nothing KVM cached of the old tables. */
int sandbox_reenter(struct kvmlet_sandbox *sb, struct kvmlet_error *err);

#endif /* KVMLET_START_H */
