/* SPDX-License-Identifier: MIT */
/* kvm.c: /dev/kvm, the VM, its memory slot, the vCPU and KVM_RUN. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define KVM_PATH "/dev/kvm"

static int kvm_open(struct kvmlet_error *err)
{
	int fd = open(KVM_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		return kvmlet_fail(err, -ENOENT,
				   KVM_PATH " not found (KVM not loaded, disabled in firmware, "
					    "or not passed into this container)");
	case EACCES:
	case EPERM:
		return kvmlet_fail(err, -EACCES,
				   "cannot open " KVM_PATH
				   ": permission denied (add yourself to the kvm group)");
	default:
		return kvmlet_fail(err, -ENODEV, "cannot open " KVM_PATH ": %s", strerror(errno));
	}
}

static int kvm_check(int kvm_fd, struct kvmlet_error *err)
{
	int v = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION)
		return kvmlet_fail(err, -ENODEV, "KVM API version %d, kvmlet needs %d", v,
				   KVM_API_VERSION);
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		return kvmlet_fail(err, -ENODEV, "KVM lacks KVM_CAP_USER_MEMORY");
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return kvmlet_fail(err, -ENODEV, "KVM lacks KVM_CAP_IMMEDIATE_EXIT");
	return 0;
}

/* Give the vCPU what the host's KVM supports, trimmed to x86.c's CPUID policy. */
static int kvm_set_cpuid(struct kvm_vm *vm, struct kvmlet_error *err)
{
	struct kvm_cpuid2 *c;
	struct vcpu_paging p;
	int r;

	if ((r = cpuid_supported(vm->kvm_fd, &c, err)) < 0)
		return r;
	cpuid_paging(c->entries, c->nent, &p);
	vm->amd = p.amd;
	vm->phys_bits = p.phys_bits;
	r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
	int e = errno;
	free(c);
	if (r < 0)
		return kvmlet_fail(err, -EIO, "KVM_SET_CPUID2: %s", strerror(e));
	return 0;
}

/*
 * Deny every guest RDMSR and WRMSR but FS_BASE and GS_BASE, which kvmlet's
 * kernel sets for arch_prctl: KVM injects #GP for the rest. Guest code runs
 * at CPL3, where both instructions fault anyway, and ring 0 is kvmlet's; this
 * is defence in depth. x2APIC MSRs cannot be filtered; with no in-kernel APIC
 * they fault anyway. Host accesses (KVM_GET/SET_MSRS) are not filtered. KVM
 * before Linux 5.10 lacks KVM_CAP_X86_MSR_FILTER: we go on without the
 * filter there, the CPL3 #GP being the barrier.
 */
static int kvm_deny_msrs(struct kvm_vm *vm, struct kvmlet_error *err)
{
	uint64_t allow = 3; /* KVM reads whole longs of bitmap: FS_BASE, GS_BASE */
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_DENY,
		.ranges[0] = {.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			      .nmsrs = 2,
			      .base = 0xc0000100,
			      .bitmap = (uint8_t *)&allow},
	};

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
		return kvmlet_fail(err, -EIO, "KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
	return 0;
}

/*
 * With the hypervisor leaves zeroed the guest is offered no paravirtual
 * feature; make KVM hold it to that (KVM_CAP_ENFORCE_PV_FEATURE_CPUID, Linux
 * 5.10), so hypercalls and PV MSRs from guest ring 0 fail too. Optional, as above.
 */
static int kvm_enforce_pv_cpuid(struct kvm_vm *vm, struct kvmlet_error *err)
{
	struct kvm_enable_cap cap = {.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args[0] = 1};

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID) <= 0)
		return 0;
	if (ioctl(vm->vcpu_fd, KVM_ENABLE_CAP, &cap) < 0)
		return kvmlet_fail(err, -EIO, "KVM_ENABLE_CAP(ENFORCE_PV_FEATURE_CPUID): %s",
				   strerror(errno));
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm, void *mem, uint64_t mem_size, struct kvmlet_error *err)
{
	int r;

	*vm = (struct kvm_vm){.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1};
	if ((r = watch_init(err)) < 0)
		return r;
	if ((vm->kvm_fd = kvm_open(err)) < 0)
		return vm->kvm_fd;
	if ((r = kvm_check(vm->kvm_fd, err)) < 0)
		goto err_close;
	vm->sync_regs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) > 0;
	if ((vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0)) < 0) {
		r = kvmlet_fail(err, -EIO, "KVM_CREATE_VM: %s", strerror(errno));
		goto err_close;
	}
	if ((r = kvm_deny_msrs(vm, err)) < 0)
		goto err_close;
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.flags = KVM_MEM_LOG_DIRTY_PAGES, /* resets restore only dirtied pages */
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		r = kvmlet_fail(err, -EIO, "KVM_SET_USER_MEMORY_REGION (%llu bytes): %s",
				(unsigned long long)mem_size, strerror(errno));
		goto err_close;
	}
	if ((vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0)) < 0) {
		r = kvmlet_fail(err, -EIO, "KVM_CREATE_VCPU: %s", strerror(errno));
		goto err_close;
	}
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		r = kvmlet_fail(err, -EIO, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto err_close;
	}
	vm->run_size = (size_t)size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		r = kvmlet_fail(err, -EIO, "mmap of kvm_run: %s", strerror(errno));
		goto err_close;
	}
	if ((r = kvm_set_cpuid(vm, err)) < 0 || (r = kvm_enforce_pv_cpuid(vm, err)) < 0)
		goto err_close;
	if (vm->sync_regs)
		vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;

err_close:
	kvm_vm_destroy(vm);
	return r;
}

/* Deleting the memory slot makes KVM drop every shadow and nested page-table entry
 * it built from this memory; the same slot then comes back. */
int kvm_vm_forget_mappings(struct kvm_vm *vm, void *mem, uint64_t mem_size,
			   struct kvmlet_error *err)
{
	struct kvm_userspace_memory_region slot = {.slot = 0};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return kvmlet_fail(err, -errno, "KVM_SET_USER_MEMORY_REGION (delete): %s",
				   strerror(errno));
	slot = (struct kvm_userspace_memory_region){
		.slot = 0,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return kvmlet_fail(err, -errno, "KVM_SET_USER_MEMORY_REGION (re-create): %s",
				   strerror(errno));
	return 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	*vm = (struct kvm_vm){.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1};
}

int kvm_get_regs(struct kvm_vm *vm, struct kvm_regs *regs)
{
	if (vm->sync_regs) {
		*regs = vm->run->s.regs.regs;
		return 0;
	}
	return ioctl(vm->vcpu_fd, KVM_GET_REGS, regs) < 0 ? -EIO : 0;
}

int kvm_set_entry(struct kvm_vm *vm, uint64_t rip, uint64_t rsp, struct kvmlet_error *err)
{
	struct kvm_regs regs = {.rip = rip, .rsp = rsp, .rflags = 0x2};

	if (vm->sync_regs) {
		vm->run->s.regs.regs = regs;
		vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return kvmlet_fail(err, -EIO, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

int kvm_vcpu_run(struct kvm_vm *vm, struct watch *w, struct kvmlet_error *err)
{
	for (;;) {
		/*
		 * A cancel sets the flag before it kicks; a kick that lands before
		 * KVM_RUN sets immediate_exit, so KVM_RUN returns at once: no lost wake-up.
		 */
		if (atomic_load(&w->cancelled))
			return -ECANCELED;
		if (w->deadline && watch_now_ns() >= w->deadline)
			return -ETIMEDOUT;
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			return kvmlet_fail(err, -errno, "KVM_RUN: %s", strerror(errno));
		vm->run->immediate_exit = 0;
	}
}
