/*
 * bench_kvm.h: what the parts of bench_kvm share: the guests under test, a raw
 * VM (kvmlet's system and page tables around a bare KVM_RUN loop) and its
 * round trip, the sandboxes and calls they time. bench_kvm.c: cold start,
 * calls, batches, exit-less; bench_kvm_reset.c: call + reset; bench_kvm_mem.c:
 * templates and memory; bench_kvm_linux.c: Linux programs.
 */
#ifndef KVMLET_BENCH_KVM_H
#define KVMLET_BENCH_KVM_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"
#include "vcpu.h"
#include "vm.h"

#define REPEATS 5

/* The guests, as given on the command line (lxbench_path NULL: not built). */
extern const char *hello_path, *call_types_path, *stateful_path, *lxbench_path;

/* The bytes of a guest ("hello", "call_types", "stateful", "lxbench"); the
 * caller frees them. Exits on failure. */
void *read_guest(const char *name, size_t *size);

/* Print what failed and exit. */
void die(const char *what, const struct kvmlet_error *err);
/*
 * Wait before a timed VM creation until the kernel is idle again: the kernel
 * thread KVM starts with a VM joins its parent's cgroups, which waits for an
 * RCU grace period unless another thread did so within about the last two
 * (then it is nearly free). Without this, whether a VM costs 1 or 12 ms under
 * nested KVM depends on how soon after the previous one it comes.
 */
void vm_settle(void);

/*
 * A raw VM: kvmlet's system tables and page tables (so the guest runs at
 * CPL3 like ours), but its own tiny code at 0x200000 and a bare KVM_RUN loop.
 * code: `1: out %al, $0xe0; jmp 1b`.
 */
struct raw_vm {
	uint8_t *mem;
	uint64_t size;
	struct vm vm;
	struct vcpu vcpu;
	struct guest_mem gm;
	struct pt_host h;
	struct pt_backend pt;
	uint64_t bitmap[PT_HOST_BITMAP_WORDS(KVMLET_TABLES_END)];
};

/* Make r with size bytes of memory (at least 8 MiB: code at 2 MiB, data
 * from 4 MiB). */
void raw_create(struct raw_vm *r, uint64_t size);
void raw_destroy(struct raw_vm *r);

/* ns per raw `out` round trip (KVM_RUN returning KVM_EXIT_IO), over n. */
double raw_roundtrip(struct raw_vm *r, int n);

/* A vCPU's KVM statistic by name ("exits", "io_exits"...: KVM_GET_STATS_FD),
 * or -1 where there is none. */
long long vcpu_stat(int vcpu_fd, const char *name);

/* ns per kvmlet_call of fn, over iters. */
double call_ns(struct kvmlet_sandbox *sb, const char *fn, const struct kvmlet_value *args,
	       unsigned n, int iters);

void bench_reset(void);
void bench_template(void);
void bench_template_growth(void);
void bench_linux(void);

#endif
