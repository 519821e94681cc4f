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

#include "vcpu.h"
#include "vm.h"
#include "x86.h"
#include "kvmtest.h"

#define MEM_SIZE (64ull << 20)

/* A VM over mem with its vCPU (vm.c, vcpu.c). */
struct machine {
	struct vm vm;
	struct vcpu vcpu;
};

static int machine_create(struct machine *m, void *mem, uint64_t size, struct kvmlet_error *err)
{
	int r = vm_create(&m->vm, mem, size, err);

	if (r == 0 && (r = vcpu_create(&m->vcpu, &m->vm, err)) < 0)
		vm_destroy(&m->vm);
	return r;
}

static void machine_destroy(struct machine *m)
{
	vcpu_destroy(&m->vcpu);
	vm_destroy(&m->vm);
}

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
static int compare(struct machine *vm, const struct pt_backend *pt, uint64_t va)
{
	struct kvm_translation tr = {.linear_address = va};
	struct pt_translation t;
	int r = pt_translate(pt, va, &t);

	ck_assert_int_eq(ioctl(vm->vcpu.fd, KVM_TRANSLATE, &tr), 0);
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
	struct machine vm;
	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);

	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_msg(machine_create(&vm, mem, MEM_SIZE, &err) == 0, "%s", err.msg);
	bool big = kvm_has_1g(vm_kvm_fd(NULL));
	printf("1 GiB pages %s by this KVM\n", big ? "offered" : "not offered: 1G leaves skipped");
	uint32_t caps = PT_CAP_NX | (big ? PT_CAP_1G : 0) | (vm.vcpu.paging.amd ? PT_CAP_AMD : 0);
	ck_assert_int_eq(pt_host_init(&h, &pt, mem, MEM_SIZE, 0, KVMLET_TABLES_GPA,
				      KVMLET_TABLES_END - KVMLET_TABLES_GPA, bitmap, caps,
				      vm.vcpu.paging.phys_bits),
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

	ck_assert_msg(x86_setup_vcpu(&vm.vcpu, h.root, 0x400000, 0, &err) == 0, "%s", err.msg);

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
	machine_destroy(&vm);
	munmap(mem, MEM_SIZE);
}
END_TEST

/* Compare both of pt_translate's paths (window and hooks) with KVM on va. */
static void compare_both(struct machine *vm, const struct pt_backend *pt, uint64_t va)
{
	struct pt_backend hooks = *pt;

	hooks.window = NULL;
	compare(vm, pt, va);
	compare(vm, &hooks, va);
}

/*
 * Entries with bits reserved for this vCPU (an address bit at MAXPHYADDR at
 * every level, PML4E bit 8 on AMD) and ones that are not, and the recursive
 * slot PML4[510] = PML4: KVM's walk, which applies the vCPU's CPUID vendor
 * and MAXPHYADDR, and pt_translate with the backend the host would make
 * agree.
 */
START_TEST(kvm_translate_reserved_and_recursive)
{
	static uint64_t bitmap[PT_HOST_BITMAP_WORDS(KVMLET_TABLES_END)];
	const uint64_t va = 0x0000008040201000ull, rva = 0xffffff7fbfdfe000ull; /* 510 x4 */
	struct kvmlet_error err;
	struct vcpu_paging want;
	struct pt_host h;
	struct pt_backend pt;
	struct machine vm;
	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);

	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_msg(machine_create(&vm, mem, MEM_SIZE, &err) == 0, "%s", err.msg);
	cpuid_vcpu_paging(&want);
	ck_assert(want.amd == vm.vcpu.paging.amd && want.phys_bits == vm.vcpu.paging.phys_bits);
	printf("vCPU: %s, MAXPHYADDR %u\n", vm.vcpu.paging.amd ? "AMD" : "Intel", vm.vcpu.paging.phys_bits);
	ck_assert_int_eq(pt_host_init(&h, &pt, mem, MEM_SIZE, 0, KVMLET_TABLES_GPA,
				      KVMLET_TABLES_END - KVMLET_TABLES_GPA, bitmap,
				      PT_CAP_NX | (vm.vcpu.paging.amd ? PT_CAP_AMD : 0), vm.vcpu.paging.phys_bits),
			 0);
	ck_assert_int_eq(pt_map(&pt, va, 0x800000, 4096, PT_PROT_USER | PT_PROT_WRITE, 0), 0);
	ck_assert_int_eq(pt_map(&pt, va + PT_SIZE_2M, 0xa00000, PT_SIZE_2M, PT_PROT_USER, 0), 0);
	ck_assert_msg(x86_setup_vcpu(&vm.vcpu, h.root, 0x400000, 0, &err) == 0, "%s", err.msg);

	uint64_t *e[4], t = h.root;
	for (int d = 0; d < 4; d++) {
		e[d] = (uint64_t *)(void *)(mem + t) + ((va >> (39 - 9 * d)) & 511);
		t = *e[d] & PT_E_ADDR;
	}
	uint64_t *big = (uint64_t *)(void *)(mem + (*e[1] & PT_E_ADDR)) + (((va >> 21) & 511) + 1);
	const uint64_t bits[] = {vm.vcpu.paging.phys_bits - 1, vm.vcpu.paging.phys_bits, 51, 8, 7, 9, 11, 52, 62, 13, 20};
	int refused = 0, total = 0;
	for (unsigned b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
		for (int d = 0; d < 5; d++) {
			uint64_t *slot = d < 4 ? e[d] : big, save = *slot;
			struct pt_translation tr;

			*slot ^= 1ull << bits[b];
			compare_both(&vm, &pt, va + 0x123);
			compare_both(&vm, &pt, va + PT_SIZE_2M + 0x5678);
			refused += pt_translate(&pt, d < 4 ? va : va + PT_SIZE_2M, &tr) ==
				   PT_ERR_CORRUPT;
			total++;
			*slot = save;
		}
	}
	printf("%d of %d single-bit changes are reserved for this vCPU\n", refused, total);
	ck_assert_int_gt(refused, 5);
	ck_assert_int_lt(refused, total);

	/* The recursive slot: the PML4 maps itself, its tables, their tables. */
	((uint64_t *)(void *)(mem + h.root))[510] = h.root | PT_E_P | PT_E_RW;
	for (uint64_t off = 0; off < 4096; off += 0x238)
		compare_both(&vm, &pt, rva + off);
	compare_both(&vm, &pt, 0xffffff7fbfc01000ull); /* 510 510 510 1: va's PDPT */
	compare_both(&vm, &pt, 0xffffff7f80201008ull); /* 510 510 1 1: va's PD */
	compare_both(&vm, &pt, 0xffffff0040201010ull); /* 510 1 1 1: va's PT */
	compare_both(&vm, &pt, 0xffffff0040202018ull); /* 510 1 1 2: the 2M leaf as a PTE */
	struct pt_translation tr;
	ck_assert_int_eq(pt_translate(&pt, rva + 8, &tr), 0);
	ck_assert_uint_eq(tr.pa, h.root + 8);
	machine_destroy(&vm);
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
	tcase_add_test(tc, kvm_translate_reserved_and_recursive);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
