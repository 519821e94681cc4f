/* SPDX-License-Identifier: MIT */
/* vm.c: /dev/kvm (opened once per process), the VM, its memory slot and its dirty log. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "error.h"
#include "vm.h"

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

static int kvm_check(int fd, struct kvmlet_error *err)
{
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);

	if (v < 0)
		return error_errno(err, "KVM_GET_API_VERSION");
	if (v != KVM_API_VERSION)
		return kvmlet_fail(err, -ENODEV, "KVM API version %d, kvmlet needs %d", v,
				   KVM_API_VERSION);
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		return kvmlet_fail(err, -ENODEV, "KVM lacks KVM_CAP_USER_MEMORY");
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return kvmlet_fail(err, -ENODEV, "KVM lacks KVM_CAP_IMMEDIATE_EXIT");
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
static int vm_deny_msrs(struct vm *vm, struct kvmlet_error *err)
{
	uint64_t allow = 3; /* KVM reads whole longs of bitmap: FS_BASE, GS_BASE */
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_DENY,
		.ranges[0] = {.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			      .nmsrs = 2,
			      .base = 0xc0000100,
			      .bitmap = (uint8_t *)&allow},
	};

	if (!vm_kvm_has(KVM_CAP_X86_MSR_FILTER))
		return 0;
	if (ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
		return error_errno(err, "KVM_X86_SET_MSR_FILTER");
	return 0;
}

static pthread_mutex_t kvm_lock = PTHREAD_MUTEX_INITIALIZER;
static int kvm_process_fd = -1;

int vm_kvm_fd(struct kvmlet_error *err)
{
	int fd, r;

	pthread_mutex_lock(&kvm_lock);
	if ((fd = kvm_process_fd) < 0 && (fd = kvm_open(err)) >= 0) {
		if ((r = kvm_check(fd, err)) < 0) {
			close(fd);
			fd = r;
		} else {
			kvm_process_fd = fd;
		}
	}
	pthread_mutex_unlock(&kvm_lock);
	return fd;
}

/* KVM_CHECK_EXTENSION's answers, asked once per process (what /dev/kvm can do
 * does not change while it is open): 0 not asked yet, 1 no, 2 yes. */
#define CAPS_KEPT 512
static _Atomic unsigned char cap_answer[CAPS_KEPT];

bool vm_kvm_has(int cap)
{
	int fd = vm_kvm_fd(NULL);

	if (fd < 0)
		return false;
	if (cap < 0 || cap >= CAPS_KEPT)
		return ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0;
	unsigned char a = atomic_load(&cap_answer[cap]);
	if (!a) {
		a = ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0 ? 2 : 1;
		atomic_store(&cap_answer[cap], a);
	}
	return a == 2;
}

int vm_kvm_vcpu_mmap_size(struct kvmlet_error *err)
{
	static _Atomic int size; /* kept, as the capabilities are */
	int fd, s = atomic_load(&size);

	if (s > 0)
		return s;
	if ((fd = vm_kvm_fd(err)) < 0)
		return fd;
	if ((s = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0)) < 0)
		return error_errno(err, "KVM_GET_VCPU_MMAP_SIZE");
	if (s < (int)sizeof(struct kvm_run))
		return kvmlet_fail(err, -EIO, "KVM_GET_VCPU_MMAP_SIZE: %d bytes, too small", s);
	atomic_store(&size, s);
	return s;
}

static int vm_set_slot(struct vm *vm, uint64_t size, const char *what, struct kvmlet_error *err)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.flags = size ? KVM_MEM_LOG_DIRTY_PAGES : 0, /* resets restore only dirtied pages */
		.guest_phys_addr = 0,
		.memory_size = size,
		.userspace_addr = size ? (uint64_t)(uintptr_t)vm->mem : 0,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		int e = errno;
		return kvmlet_fail(err, -e, "KVM_SET_USER_MEMORY_REGION (%s, %llu bytes): %s", what,
				   (unsigned long long)size, strerror(e));
	}
	return 0;
}

int vm_create(struct vm *vm, void *mem, uint64_t mem_size, struct kvmlet_error *err)
{
	int kfd, r;

	*vm = VM_NONE;
	if ((kfd = vm_kvm_fd(err)) < 0)
		return kfd;
	if ((vm->fd = ioctl(kfd, KVM_CREATE_VM, 0)) < 0)
		return error_errno(err, "KVM_CREATE_VM");
	/* Dirty pages protected again by KVM_CLEAR_DIRTY_LOG, page by page, not
	 * all by KVM_GET_DIRTY_LOG: vm_dirty_log may then leave some writable. */
	struct kvm_enable_cap cap = {.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				     .args = {KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE}};
	vm->manual_protect = vm_kvm_has(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) &&
			     ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0;
	vm->mem = mem;
	vm->mem_size = mem_size;
	if ((r = vm_deny_msrs(vm, err)) < 0 ||
	    (mem_size && (r = vm_set_slot(vm, mem_size, "create", err)) < 0)) {
		vm_destroy(vm);
		return r;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	*vm = VM_NONE;
}

/* Deleting the memory slot makes KVM drop every shadow and nested page-table entry
 * it built from this memory; the same slot then comes back. */
int vm_forget_mappings(struct vm *vm, struct kvmlet_error *err)
{
	int r = vm_set_slot(vm, 0, "delete", err);

	return r < 0 ? r : vm_set_slot(vm, vm->mem_size, "re-create", err);
}

int vm_park(struct vm *vm, struct kvmlet_error *err)
{
	int r = vm_set_slot(vm, 0, "park", err);

	vm->mem = NULL;
	vm->mem_size = 0;
	return r;
}

int vm_adopt(struct vm *vm, void *mem, uint64_t mem_size, struct kvmlet_error *err)
{
	vm->mem = mem;
	vm->mem_size = mem_size;
	return vm_set_slot(vm, mem_size, "adopt", err);
}

int vm_dirty_log(struct vm *vm, uint64_t *bitmap, const uint64_t *keep, unsigned nkeep,
		 struct kvmlet_error *err)
{
	struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = bitmap};
	uint64_t pages = vm->mem_size / 4096, any = 0;

	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return error_errno(err, "KVM_GET_DIRTY_LOG");
	if (!vm->manual_protect)
		return 0; /* KVM_GET_DIRTY_LOG protected them all again */
	/* Out of the pages to protect for the ioctl, back in the log after it. */
	uint64_t kept = 0;
	for (unsigned i = 0; i < nkeep && i < 64; i++)
		if (keep[i] < pages && (bitmap[keep[i] / 64] & (1ull << (keep[i] % 64)))) {
			bitmap[keep[i] / 64] &= ~(1ull << (keep[i] % 64));
			kept |= 1ull << i;
		}
	for (uint64_t w = 0; w < (pages + 63) / 64; w++)
		any |= bitmap[w];
	struct kvm_clear_dirty_log clear = {
		.slot = 0, .num_pages = (uint32_t)pages, .first_page = 0, .dirty_bitmap = bitmap};
	int r = any && ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0
			? error_errno(err, "KVM_CLEAR_DIRTY_LOG")
			: 0;
	for (unsigned i = 0; i < nkeep && i < 64; i++)
		if (kept & (1ull << i))
			bitmap[keep[i] / 64] |= 1ull << (keep[i] % 64);
	return r;
}
