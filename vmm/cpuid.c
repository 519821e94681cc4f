/* SPDX-License-Identifier: MIT */
/*
 * cpuid.c: the vCPU's CPUID as KVM offers it (trimmed to x86.c's policy), and
 * what it says about paging: whose reserved-bit rules apply (the vendor) and
 * MAXPHYADDR. The page tables are built before the VM exists, so the same
 * answer is also needed up front (cpuid_vcpu_paging).
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define VENDOR_AMD	  0x68747541u /* "Auth"enticAMD */
#define VENDOR_HYGON	  0x6f677948u /* "Hygo"nGenuine: AMD's paging */
#define PHYS_BITS_NO_LEAF 36u	      /* MAXPHYADDR without leaf 0x80000008 (SDM 4.1.4) */

int cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out, struct kvmlet_error *err)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return kvmlet_fail(err, -ENOMEM, "out of memory for CPUID entries");
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			int e = errno;
			free(c);
			if (e == E2BIG)
				continue;
			return kvmlet_fail(err, -EIO, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
		}
		x86_cpuid_trim(c->entries, c->nent);
		*out = c;
		return 0;
	}
	return kvmlet_fail(err, -EIO, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

void cpuid_paging(const struct kvm_cpuid_entry2 *e, unsigned n, struct vcpu_paging *p)
{
	*p = (struct vcpu_paging){.phys_bits = PHYS_BITS_NO_LEAF};
	for (unsigned i = 0; i < n; i++) {
		if (e[i].function == 0)
			p->amd = e[i].ebx == VENDOR_AMD || e[i].ebx == VENDOR_HYGON;
		if (e[i].function == 0x80000008 && (e[i].eax & 0xff))
			p->phys_bits = e[i].eax & 0xff;
	}
}

static struct vcpu_paging kvm_paging;
static int kvm_paging_err = -ENODEV;

static void kvm_paging_query(void)
{
	struct kvm_cpuid2 *c;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if ((kvm_paging_err = cpuid_supported(fd, &c, NULL)) == 0) {
		cpuid_paging(c->entries, c->nent, &kvm_paging);
		free(c);
	}
	close(fd);
}

/*
 * Without /dev/kvm (a sandbox that is only inspected, a fuzzer) the host
 * CPU's own CPUID stands in: KVM passes its vendor and address width on. A VM
 * made later checks that it agrees (sandbox_check_paging).
 */
void cpuid_vcpu_paging(struct vcpu_paging *p)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned a, b, c, d;

	pthread_once(&once, kvm_paging_query);
	if (kvm_paging_err == 0) {
		*p = kvm_paging;
		return;
	}
	*p = (struct vcpu_paging){.phys_bits = PHYS_BITS_NO_LEAF};
	if (__get_cpuid(0, &a, &b, &c, &d))
		p->amd = b == VENDOR_AMD || b == VENDOR_HYGON;
	if (__get_cpuid(0x80000008, &a, &b, &c, &d) && (a & 0xff))
		p->phys_bits = a & 0xff;
}
