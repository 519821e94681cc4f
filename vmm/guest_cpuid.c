/* SPDX-License-Identifier: MIT */
/*
 * guest_cpuid.c: the vCPU's CPUID as KVM offers it, trimmed to the policy below, and
 * what it says about paging: whose reserved-bit rules apply (the vendor) and
 * MAXPHYADDR. The page tables are built before the VM exists, so the same
 * answer is also needed up front (cpuid_vcpu_paging).
 */
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "guest_cpuid.h"
#include "error.h"
#include "vm.h"

#define VENDOR_AMD	  0x68747541u /* "Auth"enticAMD */
#define VENDOR_HYGON	  0x6f677948u /* "Hygo"nGenuine: AMD's paging */
#define PHYS_BITS_NO_LEAF 36u	      /* MAXPHYADDR without leaf 0x80000008 (SDM 4.1.4) */

/*
 * CPUID policy: the vCPU sees what KVM supports minus what kvmlet does not set
 * up or a guest has no use for. It is an allow-list: a leaf missing from the
 * table is zeroed, and a listed leaf keeps only the bits its masks name, so a
 * feature that later CPUs add stays hidden until someone decides it is safe.
 *  - No nested virtualization (VMX, SVM), no hypervisor leaves (0x4000_0000
 *    range zeroed, hypervisor bit clear): the guest cannot talk KVM's PV ABI.
 *  - Only what CR0/CR4/XCR0 enable: x87, MMX, SSE to SSE4.2 (CR4.OSFXSR), and
 *    XSAVE with AVX, AVX2, FMA and F16C (CR4.OSXSAVE, XCR0 = x87|SSE|AVX, set by
 *    x86.c when KVM offers them: leaf 0xd shows those three components only);
 *    AVX-512, AMX, MPX, PKU/OSPKE, LA57, FSGSBASE, PCID, SMEP/SMAP/UMIP and
 *    CET stay hidden, as they need XCR0 or CR4 bits we leave clear. KVM refuses a CR4 bit whose
 *    feature CPUID hides, so even guest ring-0 code cannot turn them on.
 *  - No devices or platform: no APIC, x2APIC or TSC-deadline (KVM derives the
 *    APIC bit from APIC_BASE, which x86.c clears), MONITOR/MWAIT,
 *    WAITPKG, MTRR, MCE, PMU (leaf 0xa), RDT, SGX, PT, power management,
 *    SYSENTER, speculation-control MSRs (all MSRs are filtered for the guest,
 *    see vm.c). SYSCALL is on: it is the door into kvmlet's kernel.
 *  - Kept: vendor, family/model, cache and TLB descriptors, address sizes, the
 *    brand string, the TSC (invariant TSC, RDTSCP, RDPID, leaves 0x15/0x16),
 *    NX, long mode, 1 GiB pages as KVM reports them, and CPL3 instructions
 *    that need no OS support (BMI, ADX, POPCNT, AES, SHA, GFNI, RDRAND...).
 */
#define B(n) (1u << (n))
#define ALL  0xffffffffu

struct cpuid_keep {
	uint32_t function;
	uint32_t eax, ebx, ecx, edx; /* bits kept, in every subleaf */
};

static const struct cpuid_keep cpuid_policy[] = {
	{0x0, ALL, ALL, ALL, ALL}, /* max leaf, vendor */
	/* family/model, CLFLUSH size, APIC ID; SSE3 PCLMULQDQ SSSE3 FMA CX16 SSE4.1
	 * SSE4.2 MOVBE POPCNT AES XSAVE OSXSAVE AVX F16C RDRAND; FPU PSE TSC PAE CX8
	 * PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
	{0x1, ALL, ALL,
	 B(0) | B(1) | B(9) | B(12) | B(13) | B(19) | B(20) | B(22) | B(23) | B(25) | B(26) |
		 B(27) | B(28) | B(29) | B(30),
	 B(0) | B(3) | B(4) | B(6) | B(8) | B(13) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) |
		 B(25) | B(26)},
	{0x2, ALL, ALL, ALL, ALL}, /* cache and TLB descriptors */
	{0x4, ALL, ALL, ALL, ALL}, /* deterministic cache parameters */
	/* subleaf 0 only (EAX, the last subleaf, cleared); BMI1 AVX2 FDP_EXCPTN_ONLY
	 * BMI2 ERMS ZERO_FCS_FDS RDSEED ADX CLFLUSHOPT CLWB SHA; PREFETCHWT1 GFNI
	 * RDPID CLDEMOTE MOVDIRI MOVDIR64B; FSRM MD_CLEAR SERIALIZE */
	{0x7, 0, B(3) | B(5) | B(6) | B(8) | B(9) | B(13) | B(18) | B(19) | B(23) | B(24) | B(29),
	 B(0) | B(8) | B(22) | B(25) | B(27) | B(28), B(4) | B(10) | B(14)},
	{0xd, ALL, ALL, ALL, ALL},	  /* XSAVE: per subleaf in cpuid_trim */
	{0x15, ALL, ALL, ALL, ALL},	  /* TSC / crystal clock ratio */
	{0x16, ALL, ALL, ALL, ALL},	  /* processor frequencies */
	{0x80000000, ALL, ALL, ALL, ALL}, /* max extended leaf, vendor */
	/* LAHF_LM ABM SSE4A MISALIGNSSE 3DNOWPREFETCH; the leaf 1 EDX bits, SYSCALL
	 * (the kernel's entry), NX MMXEXT PDPE1GB RDTSCP LM */
	{0x80000001, ALL, ALL, B(0) | B(5) | B(6) | B(7) | B(8),
	 B(0) | B(3) | B(4) | B(6) | B(8) | B(11) | B(13) | B(15) | B(16) | B(17) | B(20) | B(22) |
		 B(23) | B(24) | B(26) | B(27) | B(29)},
	{0x80000002, ALL, ALL, ALL, ALL}, /* brand string */
	{0x80000003, ALL, ALL, ALL, ALL},
	{0x80000004, ALL, ALL, ALL, ALL},
	{0x80000005, ALL, ALL, ALL, ALL}, /* L1 caches and TLBs */
	{0x80000006, ALL, ALL, ALL, ALL}, /* L2/L3 */
	{0x80000007, 0, 0, 0, B(8)},	  /* invariant TSC */
	{0x80000008, ALL, 0, ALL, 0},	  /* address sizes (KVM needs them), core count */
	{0x8000001d, ALL, ALL, ALL, ALL}, /* cache topology (AMD) */
};

/* Leaf 0xd: subleaf 0, the XCR0 components (x87, SSE, AVX) and the sizes;
 * subleaf 1, XSAVEOPT XSAVEC XGETBV-1 (no XSAVES: IA32_XSS stays 0); subleaf
 * 2, where the AVX state lies; none further (AVX-512, AMX, PKRU...). */
static const struct cpuid_keep xsave_policy[] = {
	{0xd, 0x7, ALL, ALL, 0},
	{0xd, 0x7, 0, 0, 0},
	{0xd, ALL, ALL, ALL, ALL},
	{0xd, 0, 0, 0, 0},
};

static void cpuid_trim(struct kvm_cpuid_entry2 *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++, e++) {
		const struct cpuid_keep *k = NULL;

		for (size_t j = 0; j < sizeof(cpuid_policy) / sizeof(cpuid_policy[0]); j++)
			if (cpuid_policy[j].function == e->function)
				k = &cpuid_policy[j];
		if (k && e->function == 0x7 && e->index != 0)
			k = NULL; /* leaf 7 subleaves 1 and up: AVX-VNNI, LAM, more AVX... */
		if (k && e->function == 0xd)
			k = &xsave_policy[e->index < 3 ? e->index : 3];
		e->eax &= k ? k->eax : 0;
		e->ebx &= k ? k->ebx : 0;
		e->ecx &= k ? k->ecx : 0;
		e->edx &= k ? k->edx : 0;
	}
}

/* KVM's answer, trimmed, asked once per process (it does not change while
 * /dev/kvm is open); each caller gets its own copy. */
static pthread_mutex_t supported_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kvm_cpuid2 *supported;

static size_t cpuid_bytes(unsigned n)
{
	return sizeof(struct kvm_cpuid2) + n * sizeof(struct kvm_cpuid_entry2);
}

static int cpuid_ask(int kvm_fd, struct kvmlet_error *err)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, cpuid_bytes(n));
		if (!c)
			return kvmlet_fail(err, -ENOMEM, "out of memory for CPUID entries");
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			int e = errno;
			free(c);
			if (e == E2BIG)
				continue;
			return kvmlet_fail(err, -e, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
		}
		cpuid_trim(c->entries, c->nent);
		supported = c;
		return 0;
	}
	return kvmlet_fail(err, -E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

int cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out, struct kvmlet_error *err)
{
	int r = 0;

	pthread_mutex_lock(&supported_lock);
	if (!supported)
		r = cpuid_ask(kvm_fd, err);
	if (r == 0) {
		size_t bytes = cpuid_bytes(supported->nent);
		if ((*out = malloc(bytes)))
			memcpy(*out, supported, bytes);
		else
			r = kvmlet_fail(err, -ENOMEM, "out of memory for CPUID entries");
	}
	pthread_mutex_unlock(&supported_lock);
	return r;
}

uint64_t cpuid_xcr0(const struct kvm_cpuid_entry2 *e, unsigned n)
{
	bool xsave = false, avx = false, avx_state = false;

	for (unsigned i = 0; i < n; i++) {
		if (e[i].function == 1)
			xsave = e[i].ecx & B(26), avx = e[i].ecx & B(28);
		if (e[i].function == 0xd && e[i].index == 0)
			avx_state = e[i].eax & B(2);
	}
	return !xsave ? 0 : avx && avx_state ? 0x7 : 0x3;
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
	int fd = vm_kvm_fd(NULL);

	if (fd < 0)
		return;
	if ((kvm_paging_err = cpuid_supported(fd, &c, NULL)) == 0) {
		cpuid_paging(c->entries, c->nent, &kvm_paging);
		free(c);
	}
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
