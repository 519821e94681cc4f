/* SPDX-License-Identifier: MIT */
/* layout.c: where everything goes in guest-physical memory (see kvmlet_abi.h). */
#include <errno.h>

#include "error.h"
#include "layout.h"

#define MMAP_VA	 0x7f0000000000ull /* where Linux programs' mmap places mappings */
#define POOL_GPA 0x100000ull /* the kernel's table pool: [POOL_GPA, KVMLET_TABLES_END) */

static uint64_t page_up(uint64_t a)
{
	return (a + KVMLET_PAGE_SIZE - 1) & ~(KVMLET_PAGE_SIZE - 1);
}

int layout_plan(struct layout *lay, const struct kvmlet_config *cfg, const struct elf_image *img,
		const struct vcpu_paging *p, struct kvmlet_error *err)
{
	struct kvmlet_bootinfo *bi = &lay->bi;
	uint64_t need;

	*lay = (struct layout){0};
	bi->magic = KVMLET_BOOTINFO_MAGIC;
	bi->abi_version = KVMLET_ABI_VERSION;
	/* No 1 GiB leaves: not every vCPU has them, we never need them. Vendor and
	 * MAXPHYADDR decide which entry bits are reserved, on both sides. */
	bi->pt_caps = PT_CAP_NX | (p->amd ? PT_CAP_AMD : 0);
	bi->pt_phys_bits = p->phys_bits;
	bi->mem_size = cfg->mem_size;
	bi->tables_lo = KVMLET_TABLES_GPA;
	bi->tables_hi = KVMLET_TABLES_END;
	bi->pool_lo = POOL_GPA;
	bi->pool_hi = KVMLET_TABLES_END;
	bi->image_lo = img->lo;
	bi->image_hi = img->hi;
	bi->stack_hi = cfg->mem_size;
	bi->stack_lo = cfg->mem_size - cfg->stack_size;
	lay->guard = bi->stack_lo - KVMLET_PAGE_SIZE;
	/* Image, call buffers, heap, then free pages up to the guard: the heap grows
	 * by mapping the free pages right after it. */
	uint64_t bufs = cfg->args_size + cfg->result_size + cfg->hostcall_size;
	/* Each half of the call ring opens its buffer's region, in the page a
	 * small message uses anyway: a call dirties no page more. */
	bi->ring_host = img->hi;
	bi->args_buf = bi->ring_host + KVMLET_RING_SIZE;
	bi->args_size = cfg->args_size;
	bi->ring_guest = page_up(bi->args_buf + bi->args_size);
	bi->result_buf = bi->ring_guest + KVMLET_RING_SIZE;
	bi->result_size = cfg->result_size;
	bi->hostcall_buf = bi->result_buf + bi->result_size;
	bi->hostcall_size = cfg->hostcall_size;
	bi->heap_lo = page_up(bi->hostcall_buf + bi->hostcall_size);
	if (__builtin_add_overflow(bi->heap_lo, cfg->heap_size, &need) || need > lay->guard)
		return kvmlet_fail(err, -E2BIG,
				   "image (up to 0x%llx), call buffers (%llu KiB), heap (%llu KiB) "
				   "and stack (%llu KiB) do not fit in %llu KiB of guest memory",
				   (unsigned long long)img->hi, (unsigned long long)(bufs >> 10),
				   (unsigned long long)(cfg->heap_size >> 10),
				   (unsigned long long)(cfg->stack_size >> 10),
				   (unsigned long long)(cfg->mem_size >> 10));
	bi->heap_hi = need;
	/* The kernel's page bitmap, then the free pages it hands out. */
	uint64_t pages = (lay->guard - need) / KVMLET_PAGE_SIZE;
	uint64_t map_bytes = (pages + 63) / 64 * 8;
	bi->pmap_lo = need;
	bi->free_lo = need + (map_bytes + KVMLET_PAGE_SIZE - 1) / KVMLET_PAGE_SIZE * KVMLET_PAGE_SIZE;
	bi->free_hi = lay->guard;
	/* Every guest may use Linux's system calls: the break starts after the heap,
	 * mmap places mappings high, far from everything the host maps. */
	bi->flags = KVMLET_BOOT_LINUX;
	bi->brk_lo = bi->heap_hi;
	bi->mmap_lo = MMAP_VA;
	return 0;
}
