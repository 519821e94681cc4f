/* SPDX-License-Identifier: MIT */
/* internal.h: what the parts of libkvmlet share. Not installed. */
#ifndef KVMLET_INTERNAL_H
#define KVMLET_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>

#include "elf_load.h"
#include "kvmlet.h"
#include "kvmlet_abi.h"
#include "pt_host.h"

/* Where the host put things in guest memory (also handed to the guest). */
struct layout {
	struct kvmlet_bootinfo bi;
	uint64_t guard; /* the unmapped page below the stack */
};

/* One vCPU-less VM's KVM handles. */
struct kvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	bool sync_regs; /* KVM_CAP_SYNC_REGS: registers come with each exit */
	bool amd;	/* the vCPU's CPUID vendor is AMD (or Hygon) */
	uint32_t phys_bits; /* the vCPU's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]) */
};

/* What the vCPU's CPUID says about paging (cpuid.c). */
struct vcpu_paging {
	bool amd;	    /* AMD's reserved bits (PT_CAP_AMD) */
	uint32_t phys_bits; /* MAXPHYADDR */
};

#define VCPU_MSRS_MAX 10

struct vcpu_msrs {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[VCPU_MSRS_MAX];
};

/* Everything of a vCPU that a reset restores (vcpu.c). */
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events events;
	struct vcpu_msrs msrs;
	unsigned flip; /* alternates CR3.PWT, so that every load flushes the TLB */
};

#define HOST_FNS_MAX 64

struct host_fn {
	char name[KVMLET_NAME_MAX + 1];
	char sig[KVMLET_SIG_MAX + 1];
	unsigned nargs;
	kvmlet_host_fn fn;
	void *arg;
};

/* A run the watchdog looks after (watchdog.c); lives in its sandbox. */
struct watch {
	pthread_t thread;  /* the thread in the run */
	uint64_t deadline; /* CLOCK_MONOTONIC ns, 0 for none */
	unsigned sent;	   /* kicks sent to this run */
	bool active;	   /* registered: in a run */
	_Atomic bool cancelled;
	struct watch *prev, *next;
};

/* What the run loop is waiting for. */
enum sb_phase {
	PH_NEW,	 /* loaded, not started */
	PH_RUN,	 /* kvmlet_run: until the guest exits */
	PH_INIT, /* kvmlet_init: until the guest reports READY */
	PH_IDLE, /* initialised, between calls */
	PH_CALL, /* kvmlet_call: until RETURN */
	PH_DONE, /* ran to its end, or poisoned by a failed call */
	PH_RERUN, /* kvmlet_run's snapshot restored: may run again from the entry */
};

struct kvmlet_sandbox {
	struct kvmlet_config cfg;
	uint8_t *mem; /* guest memory, guest-physical 0 at mem[0] */
	struct pt_host pth;
	struct pt_backend pt;
	uint64_t *pt_bitmap;
	struct layout lay;
	struct elf_image img;
	struct kvm_vm vm;
	enum sb_phase phase;
	bool in_host_fn; /* a host function of this sandbox is running */
	struct host_fn host[HOST_FNS_MAX];
	unsigned nhost;
	struct kvmlet_export *exports; /* copied from the guest at READY */
	unsigned nexports;
	uint64_t dispatch; /* guest entry for calls */
	uint64_t call_sp;  /* RSP for calls: the guest's call stack top (READY rcx), or stack_hi */
	uint8_t *result_copy; /* host copies of guest messages (result_size, hostcall_size) */
	uint8_t *hostcall_copy;
	/* reset.c */
	uint8_t *snap;	      /* snapshot pages, at their guest-physical offsets */
	uint64_t *snap_has;   /* bitmap: pages the snapshot holds (others are zero) */
	uint64_t *guest_dirty; /* KVM's dirty log */
	uint64_t *host_dirty; /* pages the host wrote since the snapshot */
	struct vcpu_state snap_vcpu;
	enum sb_phase snap_phase; /* where a reset brings the sandbox back to */
	uint64_t last_reset_pages;
	struct watch watch; /* time limit and kvmlet_cancel (from any thread) */
	uint64_t calls; /* since the snapshot, for reset_each_call */
	struct kvmlet_template *template; /* made from it: memory maps it, resets use it */
	kvmlet_trace_fn trace_fn;
	void *trace_arg;
	struct linux_host *lx; /* arguments, streams, files, descriptors (linux.c) */
	kvmlet_output_fn out_fn;
	void *out_arg;
	uint64_t out_total;
};

/* Host pointer for guest-physical [gpa, gpa + len), NULL outside guest memory. */
static inline void *kvmlet_guest_ptr(const struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t len)
{
	return pt_host_ptr(&sb->pth, gpa, len);
}

/* Set err (if any) to code and a formatted message; returns code. */
__attribute__((format(printf, 3, 4))) int kvmlet_fail(struct kvmlet_error *err, int code,
						      const char *fmt, ...);

/* layout.c: plan the guest-physical layout for an image and a config, for a vCPU that pages as p. */
int layout_plan(struct layout *lay, const struct kvmlet_config *cfg, const struct elf_image *img,
		const struct vcpu_paging *p, struct kvmlet_error *err);

/* cpuid.c: KVM's supported CPUID, trimmed to x86.c's policy; *out is the caller's to free. */
int cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out, struct kvmlet_error *err);
/* cpuid.c: the paging rules n CPUID entries give: vendor and MAXPHYADDR. */
void cpuid_paging(const struct kvm_cpuid_entry2 *e, unsigned n, struct vcpu_paging *p);
/* cpuid.c: the paging rules a vCPU made now would have (KVM's CPUID, asked once per
 * process; the host CPU's own without /dev/kvm). */
void cpuid_vcpu_paging(struct vcpu_paging *p);

/* x86.c: write GDT, IDT, TSS with its I/O bitmap, and exception stubs into mem. */
void x86_write_system_tables(uint8_t *mem);
/* x86.c: long mode, CPL3, our tables; vCPU registers for entering at rip/rsp. */
int x86_setup_vcpu(struct kvm_vm *vm, uint64_t cr3, uint64_t rip, uint64_t rsp,
		   struct kvmlet_error *err);
/* x86.c: trim KVM's supported CPUID entries to what the guest may see (policy there). */
void x86_cpuid_trim(struct kvm_cpuid_entry2 *e, unsigned n);
/* x86.c: the TSS type TR must have for this vCPU (fix sregs read back before setting them). */
void x86_fixup_tr(const struct kvm_vm *vm, struct kvm_sregs *sregs);
/* x86.c: does this exception vector push an error code? */
bool x86_has_error_code(int vector);
/* x86.c: the exception's name ("page fault"), or NULL. */
const char *x86_vector_name(int vector);

/* kvm.c: open /dev/kvm, create a VM with mem as slot 0 and one vCPU. */
int kvm_vm_create(struct kvm_vm *vm, void *mem, uint64_t mem_size, struct kvmlet_error *err);
void kvm_vm_destroy(struct kvm_vm *vm);
/* kvm.c: enter at rip with rsp on the next KVM_RUN, other registers cleared; through
 * the synced registers (no ioctl) when KVM has them. */
int kvm_set_entry(struct kvm_vm *vm, uint64_t rip, uint64_t rsp, struct kvmlet_error *err);
/* kvm.c: registers after an exit (sync regs when available). */
int kvm_get_regs(struct kvm_vm *vm, struct kvm_regs *regs);
/* kvm.c: run the vCPU until an exit, w's deadline or a cancel; returns 0,
 * -ETIMEDOUT, -ECANCELED, or a negative errno with err set. One KVM_RUN, no
 * other system call, unless the watchdog kicks. */
int kvm_vcpu_run(struct kvm_vm *vm, struct watch *w, struct kvmlet_error *err);

/* watchdog.c: own the kick signal and start the watchdog (idempotent). */
int watch_init(struct kvmlet_error *err);
/* watchdog.c: this thread starts running run under w (deadline 0: none) / has stopped. */
void watch_begin(struct watch *w, struct kvm_run *run, uint64_t deadline);
void watch_end(struct watch *w);
/* watchdog.c: cancel w's run if it is in progress; false if none is. */
bool watch_cancel(struct watch *w);
uint64_t watch_now_ns(void);

/* vcpu.c: read the vCPU's complete state (nothing pending) into st. */
int vcpu_state_save(struct kvm_vm *vm, struct vcpu_state *st, struct kvmlet_error *err);
/* vcpu.c: load st into the vCPU (some of it with the next KVM_RUN) and flush its TLB. */
int vcpu_state_load(struct kvm_vm *vm, struct vcpu_state *st, struct kvmlet_error *err);
/* vcpu.c: the general registers for the next KVM_RUN (sync regs when KVM has them). */
int vcpu_set_regs(struct kvm_vm *vm, const struct kvm_regs *regs, struct kvmlet_error *err);
/* vcpu.c: set n MSRs (host-side writes, not filtered). */
int vcpu_set_msrs(struct kvm_vm *vm, const uint32_t *index, const uint64_t *value, unsigned n,
		  struct kvmlet_error *err);
/* vcpu.c: let KVM finish an instruction it left half-emulated, running no guest code. */
int vcpu_drain(struct kvm_vm *vm, struct kvmlet_error *err);
/* kvm.c: forget every translation KVM derived from guest memory (shadow and nested
 * page tables, TLBs): needed after the host rewrote guest page-table pages. */
int kvm_vm_forget_mappings(struct kvm_vm *vm, void *mem, uint64_t mem_size,
			   struct kvmlet_error *err);

/* template.c: drop a sandbox's reference to its template. */
void template_release(struct kvmlet_template *t);

/* reset.c: take the snapshot that resets return to (phase back_to). */
int reset_snapshot(struct kvmlet_sandbox *sb, enum sb_phase back_to, struct kvmlet_error *err);
/* reset.c: note that the host wrote guest-physical [gpa, gpa + len). */
void reset_mark_host_dirty(struct kvmlet_sandbox *sb, uint64_t gpa, uint64_t len);

/* Run-loop handler results besides 0 (guest exited) and negative errors. */
#define LOOP_CONTINUE 1 /* resume the guest */
#define LOOP_DONE     2 /* the phase ended as it should (READY, RETURN) */

/* exits.c: the run loop: dispatch exits until the phase ends. */
int sandbox_run_loop(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
		     struct kvmlet_error *err);
/* exits.c: handle the exit in sb->vm.run (one step of the loop; fuzzed on its own). */
int sandbox_handle_exit(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			struct kvmlet_error *err);
/* exits.c: end the run with outcome o and a message; returns code. */
__attribute__((format(printf, 5, 6))) int run_outcome(struct kvmlet_result *res,
						      struct kvmlet_error *err,
						      enum kvmlet_outcome o, int code,
						      const char *fmt, ...);
/* exits.c: copy len bytes at guest va, readable (by CPL3 if user), into buf (0 or
 * -EFAULT, *bad set). */
int copy_from_guest(struct kvmlet_sandbox *sb, uint64_t va, uint64_t len, void *buf,
		    uint64_t *bad, bool user);

/* exits.c: copy len bytes from buf to user-writable guest va, noting the pages for
 * the next reset (0 or -EFAULT, *bad set). */
int copy_to_guest(struct kvmlet_sandbox *sb, uint64_t va, uint64_t len, const void *buf,
		  uint64_t *bad);

/* call.c: the READY and HOSTCALL ports. */
int call_handle_ready(struct kvmlet_sandbox *sb, const struct kvm_regs *regs,
		      struct kvmlet_result *res, struct kvmlet_error *err);
int call_handle_hostcall(struct kvmlet_sandbox *sb, struct kvmlet_result *res,
			 struct kvmlet_error *err);
/* sandbox.c: create the VM and vCPU, entering at the ELF entry point. */
int sandbox_start(struct kvmlet_sandbox *sb, struct kvmlet_error *err);
/* sandbox.c: -EIO unless sb's vCPU pages as its tables were built for (vendor, MAXPHYADDR). */
int sandbox_check_paging(const struct kvmlet_sandbox *sb, struct kvmlet_error *err);

#endif /* KVMLET_INTERNAL_H */
