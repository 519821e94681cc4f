/* kvm-smoke: minimal self-test for a KVM host (used by scripts/qemu-kvm/run.sh).
 *
 * 1. real-mode guest: out 0x10,al ; hlt       -> expect KVM_EXIT_IO then KVM_EXIT_HLT
 * 2. 64-bit long-mode guest (identity-mapped 2 MiB page):
 *    loop N times { out 0x11,al } ; hlt        -> measure per-exit round trip
 * Also reports a few capabilities (SYNC_REGS, KVM_TRANSLATE, 1 GiB pages).
 *
 * Build: gcc -O2 -static -o kvm-smoke kvm-smoke.c
 * Exit: 0 ok, 1 failure, 77 no /dev/kvm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno)); exit(1); } while (0)

static int kvm;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *exit_name(int r)
{
	switch (r) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	default: return "?";
	}
}

struct vm {
	int fd, vcpu;
	uint8_t *mem;
	size_t memsz;
	struct kvm_run *run;
};

static void vm_create(struct vm *v, size_t memsz)
{
	v->fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (v->fd < 0) FAIL("KVM_CREATE_VM");
	v->memsz = memsz;
	v->mem = mmap(NULL, memsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->mem == MAP_FAILED) FAIL("mmap");
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = memsz,
		.userspace_addr = (uintptr_t)v->mem,
	};
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) FAIL("KVM_SET_USER_MEMORY_REGION");
	v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0) FAIL("KVM_CREATE_VCPU");
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0) FAIL("KVM_GET_VCPU_MMAP_SIZE");
	v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED) FAIL("mmap kvm_run");
}

static void vm_destroy(struct vm *v)
{
	close(v->vcpu);
	close(v->fd);
	munmap(v->mem, v->memsz);
}

static void set_cpuid(struct vm *v)
{
	struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[256]; } cp = { .c.nent = 256 };
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cp) < 0) FAIL("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(v->vcpu, KVM_SET_CPUID2, &cp) < 0) FAIL("KVM_SET_CPUID2");
}

static int test_real_mode(void)
{
	struct vm v;
	vm_create(&v, 0x10000);
	/* at 0x1000: mov al,0x42 ; out 0x10,al ; hlt */
	const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };
	memcpy(v.mem + 0x1000, code, sizeof code);
	struct kvm_sregs s;
	if (ioctl(v.vcpu, KVM_GET_SREGS, &s) < 0) FAIL("KVM_GET_SREGS");
	s.cs.base = 0; s.cs.selector = 0;
	if (ioctl(v.vcpu, KVM_SET_SREGS, &s) < 0) FAIL("KVM_SET_SREGS");
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2 };
	if (ioctl(v.vcpu, KVM_SET_REGS, &r) < 0) FAIL("KVM_SET_REGS");

	if (ioctl(v.vcpu, KVM_RUN, 0) < 0) FAIL("KVM_RUN (real mode #1)");
	if (v.run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "FAIL: real mode: expected IO exit, got %d (%s)\n", v.run->exit_reason, exit_name(v.run->exit_reason));
		return 1;
	}
	uint8_t val = *((uint8_t *)v.run + v.run->io.data_offset);
	printf("real mode: KVM_EXIT_IO port=0x%x dir=%s size=%d val=0x%x\n", v.run->io.port,
	       v.run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", v.run->io.size, val);
	if (v.run->io.port != 0x10 || val != 0x42) { fprintf(stderr, "FAIL: bad io data\n"); return 1; }
	if (ioctl(v.vcpu, KVM_RUN, 0) < 0) FAIL("KVM_RUN (real mode #2)");
	if (v.run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "FAIL: real mode: expected HLT exit, got %d (%s)\n", v.run->exit_reason, exit_name(v.run->exit_reason));
		return 1;
	}
	printf("real mode: KVM_EXIT_HLT ok\n");
	vm_destroy(&v);
	return 0;
}

static void setup_long_mode(struct vm *v, int gbpages, long iters)
{
	uint64_t *pml4 = (uint64_t *)(v->mem + 0x2000);
	uint64_t *pdpt = (uint64_t *)(v->mem + 0x3000);
	uint64_t *pd = (uint64_t *)(v->mem + 0x4000);
	pml4[0] = 0x3000 | 3;
	if (gbpages) {
		pdpt[0] = 0 | 0x83;  /* 1 GiB page, P|RW|PS */
	} else {
		pdpt[0] = 0x4000 | 3;
		pd[0] = 0 | 0x83;    /* 2 MiB page, P|RW|PS */
		pd[1] = 0x200000 | 0x83;
	}
	/* at 0x10000 (rcx = loop count):
	 *  1: out 0x11,al ; dec rcx ; jnz 1b ; mov al,0x99 ; out 0x12,al ; hlt */
	const uint8_t code[] = {
		0xe6, 0x11,             /* out 0x11,al */
		0x48, 0xff, 0xc9,       /* dec rcx */
		0x75, 0xf9,             /* jnz -7 */
		0xb0, 0x99,             /* mov al,0x99 */
		0xe6, 0x12,             /* out 0x12,al */
		0xf4,                   /* hlt */
	};
	memcpy(v->mem + 0x10000, code, sizeof code);

	set_cpuid(v);
	struct kvm_sregs s;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0) FAIL("KVM_GET_SREGS");
	struct kvm_segment cs = { .base = 0, .limit = 0xffffffff, .selector = 8, .type = 11,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = cs;
	ds.type = 3; ds.l = 0; ds.db = 1; ds.selector = 16;
	s.cs = cs; s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.cr3 = 0x2000;
	s.cr4 = 1 << 5;                       /* PAE */
	s.cr0 = 0x80000001 | (1 << 4);        /* PG|PE|ET */
	s.efer = (1 << 8) | (1 << 10);        /* LME|LMA */
	if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0) FAIL("KVM_SET_SREGS (long)");
	struct kvm_regs r = { .rip = 0x10000, .rflags = 2, .rcx = iters, .rsp = 0x200000 };
	if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0) FAIL("KVM_SET_REGS");
}

static int test_long_mode(long iters, int gbpages)
{
	struct vm v;
	vm_create(&v, 0x400000); /* 4 MiB */
	setup_long_mode(&v, gbpages, iters);
	printf("long mode with %s guest pages:\n", gbpages ? "1 GiB" : "2 MiB");

	/* KVM_TRANSLATE */
	struct kvm_translation tr = { .linear_address = 0x10000 };
	if (ioctl(v.vcpu, KVM_TRANSLATE, &tr) < 0)
		printf("quirk: KVM_TRANSLATE failed: %s\n", strerror(errno));
	else
		printf("KVM_TRANSLATE 0x10000 -> 0x%llx valid=%d writeable=%d\n",
		       (unsigned long long)tr.physical_address, tr.valid, tr.writeable);

	long n = 0;
	double t0 = now();
	for (;;) {
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0) FAIL("KVM_RUN (long mode)");
		if (v.run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "FAIL: long mode: unexpected exit %d (%s) after %ld io exits\n",
				v.run->exit_reason, exit_name(v.run->exit_reason), n);
			if (v.run->exit_reason == KVM_EXIT_FAIL_ENTRY)
				fprintf(stderr, "  hardware_entry_failure_reason=0x%llx\n",
					(unsigned long long)v.run->fail_entry.hardware_entry_failure_reason);
			return 1;
		}
		if (v.run->io.port == 0x12) break;
		n++;
	}
	double t1 = now();
	if (ioctl(v.vcpu, KVM_RUN, 0) < 0) FAIL("KVM_RUN (long mode hlt)");
	if (v.run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "FAIL: long mode: expected HLT, got %d (%s)\n", v.run->exit_reason, exit_name(v.run->exit_reason));
		return 1;
	}
	printf("long mode: %ld KVM_EXIT_IO exits + HLT ok; %.1f us per exit round trip\n",
	       n, (t1 - t0) * 1e6 / (n ? n : 1));
	if (n != iters) { fprintf(stderr, "FAIL: expected %ld io exits\n", iters); return 1; }

	/* KVM_CAP_SYNC_REGS: registers mirrored in kvm_run after an exit */
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) {
		struct kvm_regs r = { .rip = 0x10000, .rflags = 2, .rcx = 2 };
		if (ioctl(v.vcpu, KVM_SET_REGS, &r) < 0) FAIL("KVM_SET_REGS");
		v.run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0) FAIL("KVM_RUN (sync regs)");
		printf("sync_regs: exit=%s rip=0x%llx rcx=%llu cr3=0x%llx efer=0x%llx\n",
		       exit_name(v.run->exit_reason), (unsigned long long)v.run->s.regs.regs.rip,
		       (unsigned long long)v.run->s.regs.regs.rcx, (unsigned long long)v.run->s.regs.sregs.cr3,
		       (unsigned long long)v.run->s.regs.sregs.efer);
		if (v.run->s.regs.regs.rip != 0x10000 /* PIO: rip advances on re-entry */ || v.run->s.regs.sregs.cr3 != 0x2000) {
			fprintf(stderr, "FAIL: sync_regs mismatch\n");
			return 1;
		}
	}
	vm_destroy(&v);
	return 0;
}

/* guest compute speed: a tight loop without exits, and a loop touching memory */
static int test_compute(void)
{
	struct vm v;
	vm_create(&v, 0x400000);
	setup_long_mode(&v, 0, 0);
	/* at 0x10100: 1: dec rcx ; jnz 1b ; hlt
	 * at 0x10200: mov rdi,0x200000 ; 2: mov [rdi+rcx*8-8],rcx ; dec rcx ; jnz 2b ; hlt */
	const uint8_t loop[] = { 0x48, 0xff, 0xc9, 0x75, 0xfb, 0xf4 };
	const uint8_t mloop[] = { 0x48, 0xc7, 0xc7, 0x00, 0x00, 0x20, 0x00,
				  0x48, 0x89, 0x4c, 0xcf, 0xf8, 0x48, 0xff, 0xc9, 0x75, 0xf7, 0xf4 };
	memcpy(v.mem + 0x10100, loop, sizeof loop);
	memcpy(v.mem + 0x10200, mloop, sizeof mloop);
	struct { uint64_t rip, n; const char *what; } runs[] = {
		{ 0x10100, 50000000, "dec/jnz loop" },
		{ 0x10200, 262144, "2 MiB store loop (first touch)" },
		{ 0x10200, 262144, "2 MiB store loop (again)" },
	};
	for (unsigned i = 0; i < 3; i++) {
		struct kvm_regs r = { .rip = runs[i].rip, .rflags = 2, .rcx = runs[i].n, .rsp = 0x200000 };
		if (ioctl(v.vcpu, KVM_SET_REGS, &r) < 0) FAIL("KVM_SET_REGS");
		double t0 = now();
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0) FAIL("KVM_RUN (compute)");
		double t1 = now();
		if (v.run->exit_reason != KVM_EXIT_HLT) {
			fprintf(stderr, "FAIL: compute: expected HLT, got %s\n", exit_name(v.run->exit_reason));
			return 1;
		}
		printf("compute: %s, %lu iterations: %.3f s (%.1f M iter/s)\n", runs[i].what,
		       (unsigned long)runs[i].n, t1 - t0, runs[i].n / (t1 - t0) / 1e6);
	}
	if (*(uint64_t *)(v.mem + 0x200000 + 8 * 1000) != 1001) { fprintf(stderr, "FAIL: store loop\n"); return 1; }
	vm_destroy(&v);
	return 0;
}

/* two vCPUs of one VM running concurrently in two threads */
struct thr { struct vm *v; int vcpu; struct kvm_run *run; long n; int err; };
static void *vcpu_thread(void *p)
{
	struct thr *t = p;
	for (;;) {
		if (ioctl(t->vcpu, KVM_RUN, 0) < 0) { t->err = errno; return NULL; }
		if (t->run->exit_reason == KVM_EXIT_HLT) return NULL;
		if (t->run->exit_reason != KVM_EXIT_IO) { t->err = -t->run->exit_reason; return NULL; }
		t->n++;
	}
}

static int test_smp(long iters)
{
	struct vm v;
	vm_create(&v, 0x400000);
	setup_long_mode(&v, 0, iters);
	struct thr t[2] = { { &v, v.vcpu, v.run, 0, 0 } };
	t[1].v = &v;
	t[1].vcpu = ioctl(v.fd, KVM_CREATE_VCPU, 1);
	if (t[1].vcpu < 0) FAIL("KVM_CREATE_VCPU 1");
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	t[1].run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, t[1].vcpu, 0);
	struct vm v1 = v;
	v1.vcpu = t[1].vcpu;
	setup_long_mode(&v1, 0, iters);
	pthread_t th[2];
	double t0 = now();
	for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, vcpu_thread, &t[i]);
	for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
	double t1 = now();
	printf("smp: 2 vCPUs, io exits %ld + %ld, errors %d/%d, %.1f us wall per exit pair\n",
	       t[0].n, t[1].n, t[0].err, t[1].err, (t1 - t0) * 1e6 / iters);
	if (t[0].err || t[1].err || t[0].n != iters + 1 || t[1].n != iters + 1) {
		fprintf(stderr, "FAIL: smp\n");
		return 1;
	}
	close(t[1].vcpu);
	vm_destroy(&v);
	return 0;
}

static void report_caps(void)
{
	static const struct { int cap; const char *name; } caps[] = {
		{ KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS" },
		{ KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS" },
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
		{ KVM_CAP_EXCEPTION_PAYLOAD, "KVM_CAP_EXCEPTION_PAYLOAD" },
	};
	int ver = ioctl(kvm, KVM_GET_API_VERSION, 0);
	printf("KVM_GET_API_VERSION=%d\n", ver);
	for (unsigned i = 0; i < sizeof caps / sizeof caps[0]; i++)
		printf("%s=%d\n", caps[i].name, ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));

	struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[256]; } cp = { .c.nent = 256 };
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cp) < 0) FAIL("KVM_GET_SUPPORTED_CPUID");
	int gb = 0, npt_seen = 0;
	for (unsigned i = 0; i < cp.c.nent; i++) {
		struct kvm_cpuid_entry2 *e = &cp.e[i];
		if (e->function == 0x80000001) gb = (e->edx >> 26) & 1;
		if (e->function == 0x80000008) printf("CPUID 0x80000008 eax=0x%x (phys bits %u, virt bits %u)\n",
						      e->eax, e->eax & 0xff, (e->eax >> 8) & 0xff);
		if (e->function == 0) {
			char vend[13];
			memcpy(vend, &e->ebx, 4); memcpy(vend + 4, &e->edx, 4); memcpy(vend + 8, &e->ecx, 4);
			vend[12] = 0;
			printf("CPUID vendor=%s max leaf=0x%x\n", vend, e->eax);
		}
		(void)npt_seen;
	}
	printf("KVM_GET_SUPPORTED_CPUID: %u entries, 1GiB pages (0x80000001 EDX.26)=%d\n", cp.c.nent, gb);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 10000;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	report_caps();
	if (test_real_mode()) return 1;
	if (test_long_mode(iters, 0)) return 1;
	if (test_long_mode(iters, 1)) return 1;
	if (test_smp(iters)) return 1;
	if (test_compute()) return 1;
	printf("kvm-smoke: OK\n");
	return 0;
}
