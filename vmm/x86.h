/* SPDX-License-Identifier: MIT */
/* x86.h: the x86-64 machine the guest sees, as policy (x86.c). */
#ifndef KVMLET_X86_H
#define KVMLET_X86_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "kvmlet.h"
#include "kvmlet_abi.h"
#include "vcpu.h"

/* Write GDT, IDT, TSS with its I/O bitmap, and exception stubs into guest memory. */
int x86_write_system_tables(const struct guest_mem *gm);
/* Long mode, CPL3, our tables: the vCPU's registers for entering at rip/rsp. */
int x86_setup_vcpu(struct vcpu *v, uint64_t cr3, uint64_t rip, uint64_t rsp,
		   struct kvmlet_error *err);
/* The TSS type TR must have on this vCPU (fix sregs read back before setting them). */
void x86_fixup_tr(const struct vcpu *v, struct kvm_sregs *sregs);
/* Does this exception vector push an error code? */
bool x86_has_error_code(int vector);
/* The exception's name ("page fault"), or NULL. */
const char *x86_vector_name(int vector);

#endif /* KVMLET_X86_H */
