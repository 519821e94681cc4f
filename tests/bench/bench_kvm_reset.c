/*
 * bench_kvm_reset.c: call + reset with 1, 16, 256 and 4096 dirty pages
 * against a raw floor, and how the cost grows with the pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "x86.h"
#include "bench_kvm.h"
#include "bench_util.h"

#define RESET_ROWS 4
#define RESET_HEAP (4096ull * 4096) /* the largest row's pages */
#define RESET_MEM  (32ull << 20)

static const unsigned reset_pages[RESET_ROWS] = {1, 16, 256, 4096};

/*
 * The raw reset baseline, in as much memory as the sandbox has: CPL3 code at
 * 0x200000 that writes one byte into each of n pages from heap_lo and exits;
 * heap_lo .. + heap_len is mapped as our heap is (same addresses, same leaf
 * choice). The host then takes the dirty log, copies those pages back from a
 * snapshot and loads the vCPU state saved after the first exit, as ours does.
 */
static uint64_t raw_restored; /* pages the last raw reset copied back */

/* KVM's dirty log, and those pages write-protected again: with manual
 * protection on (vm_create asks for it) only on request, all of them here. */
static void raw_dirty_log(struct raw_vm *r, uint64_t *bitmap)
{
	struct kvm_dirty_log log = {.slot = 0, .dirty_bitmap = bitmap};
	struct kvm_clear_dirty_log clear = {
		.slot = 0, .num_pages = (uint32_t)(r->size / 4096), .dirty_bitmap = bitmap};

	if (ioctl(r->vm.fd, KVM_GET_DIRTY_LOG, &log) < 0)
		die("raw KVM_GET_DIRTY_LOG", NULL);
	if (r->vm.manual_protect && ioctl(r->vm.fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0)
		die("raw KVM_CLEAR_DIRTY_LOG", NULL);
}

static double raw_dirty_reset(unsigned n, int iters, uint64_t heap_lo, uint64_t heap_len)
{
	static struct vcpu_state st;
	struct kvmlet_error err;
	struct raw_vm *r = calloc(1, sizeof(*r));
	uint32_t lo = (uint32_t)heap_lo;
	uint8_t code[] = {
		0x48, 0xc7,
		0xc7, 0,
		0,    0,
		0, /* mov $heap_lo, %rdi */
		0xb9, 0,
		0,    0,
		0, /* mov $n, %ecx */
		0xc6, 0x07,
		0x01, /* 1: movb $1, (%rdi) */
		0x48, 0x81,
		0xc7, 0x00,
		0x10, 0x00,
		0x00,			/* add $4096, %rdi */
		0xff, 0xc9,		/* dec %ecx */
		0x75, 0xf2,		/* jnz 1b */
		0xe6, KVMLET_PORT_EXIT, /* out %al, $0xe0 */
		0xeb, 0xe2,		/* jmp start */
	};
	memcpy(code + 3, &lo, 4);
	memcpy(code + 8, &n, 4);
	raw_create(r, RESET_MEM);
	memcpy(r->mem + 0x200000, code, sizeof(code));
	if (pt_map(&r->pt, heap_lo, heap_lo, heap_len, PT_PROT_WRITE | PT_PROT_USER, 0) < 0)
		die("raw map", NULL);
	uint64_t words = r->size / 4096 / 64;
	uint8_t *snap = malloc(r->size);
	uint64_t *bitmap = calloc(words, 8);
	struct kvm_userspace_memory_region slot = {.slot = 0,
						   .flags = KVM_MEM_LOG_DIRTY_PAGES,
						   .memory_size = r->size,
						   .userspace_addr = (uint64_t)(uintptr_t)r->mem};
	if (ioctl(r->vm.fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("raw dirty logging", NULL);
	memcpy(snap, r->mem, r->size);
	raw_roundtrip(r, 1);
	raw_dirty_log(r, bitmap); /* the first timed round faults like every other */
	if (vcpu_state_save(&r->vcpu, &st, &err) < 0)
		die("raw vCPU state", &err);
	double t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		raw_roundtrip(r, 1);
		raw_dirty_log(r, bitmap);
		raw_restored = 0;
		for (uint64_t w = 0; w < words; w++)
			for (uint64_t b = bitmap[w]; b; b &= b - 1, raw_restored++) {
				uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(b);
				memcpy(r->mem + p * 4096, snap + p * 4096, 4096);
			}
		/* As a reset and the next call do: the whole state, then the entry. */
		if (vcpu_state_load(&r->vcpu, &st, &err) < 0 ||
		    vcpu_set_entry(&r->vcpu, 0x200000, 0x300000, &err) < 0)
			die("raw vCPU restore", &err);
	}
	double ns = (now_ns() - t0) / iters;
	free(bitmap);
	free(snap);
	raw_destroy(r);
	free(r);
	return ns;
}

/* Bytes of [lo, hi) that sb's tables map with 4 KiB leaves. */
static uint64_t small_leaf_bytes(struct kvmlet_sandbox *sb, uint64_t lo, uint64_t hi)
{
	uint64_t small = 0;

	for (uint64_t va = lo; va < hi; va += 4096) {
		struct pt_translation t;
		if (pt_translate(&sb->gm.pt, va, &t) == 0 && t.leaf == PT_SIZE_4K)
			small += 4096;
	}
	return small;
}

/* ns per call + reset dirtying n pages, over iters. */
static double call_reset_ns(struct kvmlet_sandbox *sb, unsigned n, int iters)
{
	struct kvmlet_value a = kvmlet_u64(n), r;
	struct kvmlet_error err;
	double t0 = now_ns();

	for (int i = 0; i < iters; i++)
		if (kvmlet_call(sb, "dirty", &a, 1, &r, &err) < 0 || kvmlet_reset(sb, &err) < 0)
			die("dirty", &err);
	return (now_ns() - t0) / iters;
}

/* Whether the cost per added page stays the same from row to row. */
static void print_growth(const double *ours, const double *raw)
{
	double slope[RESET_ROWS] = {0};

	for (int i = 1; i < RESET_ROWS; i++) {
		double dn = reset_pages[i] - reset_pages[i - 1];
		slope[i] = (ours[i] - ours[i - 1]) / dn;
		printf("  per page, %4u -> %4u pages: %8.2f us   raw %8.2f us   ratio %5.2f\n",
		       reset_pages[i - 1], reset_pages[i], slope[i] / 1e3,
		       (raw[i] - raw[i - 1]) / dn / 1e3, slope[i] / ((raw[i] - raw[i - 1]) / dn));
	}
	double g = slope[RESET_ROWS - 1] / slope[RESET_ROWS - 2];
	printf("  growth: %s (per-page cost 256 -> 4096 is %.2fx that of 16 -> 256)\n",
	       g > 0.75 && g < 1.33 ? "linear in the dirty pages" : "NOT linear", g);
}

void bench_reset(void)
{
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	double ours[RESET_ROWS], raw[RESET_ROWS];
	size_t size;
	void *elf = read_guest("stateful", &size);

	kvmlet_config_default(&cfg);
	cfg.mem_size = RESET_MEM;
	cfg.heap_size = RESET_HEAP;
	if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 || kvmlet_init(sb, &err) < 0)
		die("stateful", &err);
	free(elf);
	uint64_t heap_lo = sb->lay.bi.heap_lo, heap_len = sb->lay.bi.heap_hi - heap_lo;
	uint64_t small = small_leaf_bytes(sb, heap_lo, heap_lo + heap_len);
	if (heap_lo < 0x201000 || heap_lo + heap_len > RESET_MEM - 0x10000)
		die("the heap overlaps the raw floor's code", NULL);
	printf("(reset: %llu MiB guest memory, heap %llu MiB at 0x%llx: %llu KiB in 4 KiB leaves, "
	       "%llu KiB in 2 MiB; the floor maps the same range with the same pt_map)\n",
	       (unsigned long long)(RESET_MEM >> 20), (unsigned long long)(heap_len >> 20),
	       (unsigned long long)heap_lo, (unsigned long long)(small >> 10),
	       (unsigned long long)((heap_len - small) >> 10));
	for (int row = 0; row < RESET_ROWS; row++) {
		unsigned n = reset_pages[row];
		int iters = n <= 16 ? 200 : n <= 256 ? 60 : 6;
		double o[REPEATS], b[REPEATS];

		call_reset_ns(sb, n, 1); /* first touch of the pages, outside the timing */
		for (int k = 0; k < REPEATS; k++) {
			b[k] = raw_dirty_reset(n, iters, heap_lo, heap_len);
			o[k] = call_reset_ns(sb, n, iters);
		}
		ours[row] = median(o, REPEATS);
		raw[row] = median(b, REPEATS);
		printf("call + reset, %4u dirty pages %8.2f us   raw %10.2f us   ratio %5.2f "
		       "(target <= 1.2; %llu pages restored, raw %llu; %.2f us a page)\n",
		       n, ours[row] / 1e3, raw[row] / 1e3, ours[row] / raw[row],
		       (unsigned long long)kvmlet_last_reset_pages(sb),
		       (unsigned long long)raw_restored, ours[row] / n / 1e3);
	}
	print_growth(ours, raw);
	kvmlet_sandbox_free(sb);
}
