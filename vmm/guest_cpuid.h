/* SPDX-License-Identifier: MIT */
/* guest_cpuid.h: the vCPU's CPUID and what it says about paging (guest_cpuid.c). */
#ifndef KVMLET_GUEST_CPUID_H
#define KVMLET_GUEST_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvmlet.h"

/* What the vCPU's CPUID says about paging. */
struct vcpu_paging {
	bool amd;	    /* AMD's reserved bits (PT_CAP_AMD) */
	uint32_t phys_bits; /* MAXPHYADDR */
};

/* KVM's supported CPUID (asked through kvm_fd once per process), trimmed to our
 * policy; *out is the caller's to free. */
int cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out, struct kvmlet_error *err);
/* The XCR0 the vCPU gets from n (trimmed) CPUID entries: x87|SSE, with AVX
 * when offered; 0 without XSAVE (CR4.OSXSAVE then stays clear). */
uint64_t cpuid_xcr0(const struct kvm_cpuid_entry2 *e, unsigned n);
/* The paging rules n CPUID entries give: vendor and MAXPHYADDR. */
void cpuid_paging(const struct kvm_cpuid_entry2 *e, unsigned n, struct vcpu_paging *p);
/* The paging rules a vCPU made now would have (KVM's CPUID, asked once per
 * process; the host CPU's own without /dev/kvm). */
void cpuid_vcpu_paging(struct vcpu_paging *p);

#endif /* KVMLET_GUEST_CPUID_H */
