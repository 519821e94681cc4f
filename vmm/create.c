/* SPDX-License-Identifier: MIT */
/* create.c: a new sandbox from a guest's ELF image (kvmlet_sandbox_new): the
 * library set up, the configuration checked, the memory built (build.c). */
#include <errno.h>

#include "build.h"
#include "error.h"
#include "lib.h"
#include "sandbox.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

void kvmlet_config_default(struct kvmlet_config *cfg)
{
	*cfg = (struct kvmlet_config){
		.mem_size = 16 * MIB,
		.stack_size = STACK_SMALL,
		.heap_size = 256 << 10,
		.timeout_ns = 0,
		.max_output = 1 * MIB,
		.args_size = 256 << 10,
		.result_size = 256 << 10,
		.hostcall_size = 256 << 10,
	};
}

static int config_check(const struct kvmlet_config *c, struct kvmlet_error *err)
{
	if ((c->mem_size | c->stack_size | c->heap_size) & (KVMLET_PAGE_SIZE - 1))
		return kvmlet_fail(err, -EINVAL,
				   "memory, stack and heap sizes must be multiples "
				   "of 4 KiB");
	if (c->mem_size < 4 * MIB || c->mem_size > 64 * GIB)
		return kvmlet_fail(err, -EINVAL,
				   "guest memory of %llu KiB is outside 4 MiB..64 GiB",
				   (unsigned long long)(c->mem_size >> 10));
	if ((c->args_size | c->result_size | c->hostcall_size) & (KVMLET_PAGE_SIZE - 1) ||
	    c->args_size == 0 || c->result_size == 0 || c->hostcall_size == 0 ||
	    c->args_size > 64 * MIB || c->result_size > 64 * MIB || c->hostcall_size > 64 * MIB)
		return kvmlet_fail(err, -EINVAL,
				   "call buffers must be 4 KiB multiples, "
				   "4 KiB to 64 MiB");
	if (c->stack_size > c->mem_size / 2)
		return kvmlet_fail(err, -EINVAL,
				   "stack of %llu KiB: must be 4 KiB up to half of "
				   "guest memory (or 0: chosen for the program)",
				   (unsigned long long)(c->stack_size >> 10));
	return 0;
}

int kvmlet_sandbox_new(struct kvmlet_sandbox **out, const void *elf, size_t elf_size,
		       const struct kvmlet_config *cfg, struct kvmlet_error *err)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_config def;
	struct build_plan plan;
	int r;

	if (!out || (!elf && elf_size))
		return kvmlet_fail(err, -EINVAL, "kvmlet_sandbox_new: %s is NULL",
				   out ? "elf" : "out");
	*out = NULL;
	if (!cfg) {
		kvmlet_config_default(&def);
		cfg = &def;
	}
	if ((r = lib_ready(err)) < 0 || (r = config_check(cfg, err)) < 0 ||
	    (r = sandbox_alloc(&sb, err)) < 0)
		return r;
	sb->cfg = *cfg;
	if ((r = build_plan(&plan, elf, elf_size, &sb->cfg, err)) < 0 ||
	    (r = guest_mem_map(&sb->gm, cfg->mem_size, err)) < 0 ||
	    (r = build_memory(sb, &plan, elf, elf_size, err)) < 0 ||
	    (r = calls_alloc_buffers(&sb->calls, &sb->lay.bi, err)) < 0) {
		kvmlet_sandbox_free(sb);
		return r;
	}
	*out = sb;
	return 0;
}
