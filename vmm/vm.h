/* SPDX-License-Identifier: MIT */
/* vm.h: /dev/kvm (one descriptor per process), the VM, its memory slot and dirty log (vm.c). */
#ifndef KVMLET_VM_H
#define KVMLET_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmlet.h"

struct vm {
	int fd;	   /* the VM's descriptor, -1 for none */
	void *mem; /* slot 0: guest-physical 0 */
	uint64_t mem_size;
	bool manual_protect; /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on: vm_dirty_log re-protects */
};

#define VM_NONE ((struct vm){.fd = -1})

/* The process's /dev/kvm descriptor, opened and checked on first use and kept
 * (a failure is not kept: /dev/kvm may appear later). */
int vm_kvm_fd(struct kvmlet_error *err);
/* Does KVM have capability cap (KVM_CHECK_EXTENSION > 0)? Asked once per process. */
bool vm_kvm_has(int cap);
/* KVM_GET_VCPU_MMAP_SIZE (checked to hold a struct kvm_run), asked once per process. */
int vm_kvm_vcpu_mmap_size(struct kvmlet_error *err);
/* Create a VM with mem as slot 0 (dirty-logged) and every guest MSR access
 * denied; mem_size 0: no slot yet, as a parked VM (vm_adopt gives it one). */
int vm_create(struct vm *vm, void *mem, uint64_t mem_size, struct kvmlet_error *err);
void vm_destroy(struct vm *vm);
/* Forget every translation KVM derived from guest memory (shadow and nested page
 * tables, TLBs): needed after the host rewrote guest page-table pages. */
int vm_forget_mappings(struct vm *vm, struct kvmlet_error *err);
/* Empty the VM for reuse (a warm shell, vcpu.c): delete its memory slot, so KVM
 * drops every mapping of the previous guest's memory and its dirty log. */
int vm_park(struct vm *vm, struct kvmlet_error *err);
/* Give a parked VM mem as slot 0 (a new slot: dirty-logged from a clean log). */
int vm_adopt(struct vm *vm, void *mem, uint64_t mem_size, struct kvmlet_error *err);
/*
 * Fetch KVM's dirty log of slot 0 into bitmap (one bit per page) and make
 * those pages write-protected again, so that the next log shows the next
 * writes: except the pages of keep (nkeep <= 64, pages written every time),
 * which, where KVM lets us choose (vm->manual_protect), stay writable once
 * written and so in every later log, sparing the guest a write fault on each
 * of them per reset.
 */
int vm_dirty_log(struct vm *vm, uint64_t *bitmap, const uint64_t *keep, unsigned nkeep,
		 struct kvmlet_error *err);

#endif /* KVMLET_VM_H */
