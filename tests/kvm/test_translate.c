/*
 * test_translate.c: tables built by the host backend in real guest memory,
 * loaded into a vCPU's CR3: KVM_TRANSLATE (the CPU's own walk, as KVM
 * emulates it) must agree with pt_translate on thousands of addresses,
 * mapped and unmapped, at every leaf size the vCPU supports (suite kvm).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "internal.h"
#include "kvmtest.h"

#define MEM_SIZE (64ull << 20)

/* Does KVM offer 1 GiB pages (CPUID 0x80000001 EDX bit 26)? */
static bool kvm_has_1g(int kvm_fd)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	bool yes = false;

	c->nent = 256;
	ck_assert_int_eq(ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c), 0);
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000001)
			yes = c->entries[i].edx & (1u << 26);
	free(c);
	return yes;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Compare KVM and pt_translate on va; returns 1 if it was mapped. */
static int compare(struct kvm_vm *vm, const struct pt_backend *pt, uint64_t va)
{
	struct kvm_translation tr = {.linear_address = va};
	struct pt_translation t;
	int r = pt_translate(pt, va, &t);

	ck_assert_int_eq(ioctl(vm->vcpu_fd, KVM_TRANSLATE, &tr), 0);
	ck_assert_msg((r == 0) == (tr.valid != 0), "va 0x%llx: pt_translate %d, KVM valid %d",
		      (unsigned long long)va, r, tr.valid);
	if (r == 0)
		ck_assert_msg(tr.physical_address == t.pa, "va 0x%llx: pt 0x%llx, KVM 0x%llx",
			      (unsigned long long)va, (unsigned long long)t.pa,
			      (unsigned long long)tr.physical_address);
	return r == 0;
}

START_TEST(kvm_translate_agrees)
{
	static uint64_t bitmap[PT_HOST_BITMAP_WORDS(KVMLET_TABLES_END)];
	struct kvmlet_error err;
	struct pt_host h;
	struct pt_backend pt;
	struct kvm_vm vm;
	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);

	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_msg(kvm_vm_create(&vm, mem, MEM_SIZE, &err) == 0, "%s", err.msg);
	bool big = kvm_has_1g(vm.kvm_fd);
	printf("1 GiB pages %s by this KVM\n", big ? "offered" : "not offered: 1G leaves skipped");
	uint32_t caps = PT_CAP_NX | (big ? PT_CAP_1G : 0);
	ck_assert_int_eq(pt_host_init(&h, &pt, mem, MEM_SIZE, 0, KVMLET_TABLES_GPA,
				      KVMLET_TABLES_END - KVMLET_TABLES_GPA, bitmap, caps, 0),
			 0);

	/* 4 KiB leaves with scattered frames, 2 MiB leaves, 1 GiB if offered, both halves. */
	for (uint64_t i = 0; i < 64; i++)
		ck_assert_int_eq(pt_map(&pt, 0x400000 + i * 4096, 0x800000 + ((i * 7) % 64) * 4096,
					4096, PT_PROT_USER | (i & 1 ? PT_PROT_WRITE : 0), 0),
				 0);
	ck_assert_int_eq(pt_map(&pt, 0x40000000, 0x2000000, 8 << 20, PT_PROT_WRITE, 0), 0);
	ck_assert_int_eq(pt_map(&pt, 0xffff800000200000ull, 0x1000000, 4 << 20, PT_PROT_EXEC, 0),
			 0);
	ck_assert_int_eq(pt_map(&pt, 0x7fffffe00000ull, 0x3000000, 2 << 20, 0, PT_MAP_NO_2M), 0);
	if (big)
		ck_assert_int_eq(pt_map(&pt, 0x8000000000ull, 0x40000000, 1ull << 30, 0, 0), 0);
	/* Holes: a 4 KiB page out of a 2 MiB leaf, and out of the 1 GiB leaf. */
	ck_assert_int_eq(pt_unmap(&pt, 0x40201000, 4096), 0);
	if (big)
		ck_assert_int_eq(pt_unmap(&pt, 0x8000123000ull, 4096), 0);

	ck_assert_msg(x86_setup_vcpu(&vm, h.root, 0x400000, 0, &err) == 0, "%s", err.msg);

	static const uint64_t bases[] = {0x400000, 0x40000000, 0xffff800000200000ull,
					 0x7fffffe00000ull, 0x8000000000ull, 0};
	static const uint64_t spans[] = {64 * 4096, 8 << 20, 4 << 20, 2 << 20, 1ull << 30,
					 1ull << 47};
	int mapped = 0, total = 0;
	for (unsigned b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		for (int k = 0; k < 1000; k++) {
			/* Inside the region, and a little beyond both of its ends. */
			uint64_t off = next_rand() % (spans[b] + 2 * 65536) - 65536;
			uint64_t va = bases[b] + off;
			if (!pt_canonical(va))
				continue;
			mapped += compare(&vm, &pt, va);
			total++;
		}
	}
	mapped += compare(&vm, &pt, 0x40201000) + compare(&vm, &pt, 0x40200fff);
	printf("%d addresses compared, %d mapped\n", total + 2, mapped);
	ck_assert_int_gt(mapped, 2000);
	ck_assert_int_gt(total - mapped, 500);
	kvm_vm_destroy(&vm);
	munmap(mem, MEM_SIZE);
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("translate");
	TCase *tc = tcase_create("translate");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, kvm_translate_agrees);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
