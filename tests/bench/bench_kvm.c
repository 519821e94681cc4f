/*
 * bench_kvm.c: benchmarks under /dev/kvm, each against a raw-KVM baseline
 * measured in the same run (ratios, since absolute times drift):
 *
 *   cold start     kvmlet_sandbox_new(hello) + kvmlet_run + free, against a
 *                  tiny VM of bare ioctls: create VM, memslot, vCPU (CPUID),
 *                  long mode at CPL0 on one 2 MiB page, one `out` exit, and
 *                  its teardown (/dev/kvm and the supported CPUID fetched once
 *                  per process, as kvmlet does); and the same on the warm
 *                  shell the previous free kept
 *   empty call     kvmlet_call of a function doing nothing, against one raw
 *                  CPL3 `out` round trip (KVM_RUN of `out; jmp`)
 *   one host call  a call making one host call, against two raw round trips
 *   batch of 64    kvmlet_call_batch of 64 empty calls, against 64 single
 *                  empty calls and against one raw round trip
 *   1 KiB, 64 KiB  echo of a string argument: MB/s (argument + result bytes)
 *   exit-less      kvmlet_set_exitless: an empty call and a call making one
 *                  host call through the call ring, against one raw round
 *                  trip and against its own floor, two host threads passing
 *                  a number back and forth in shared memory (needs two CPUs:
 *                  scripts/bench.sh runs QEMU with -smp 2)
 *   call + reset   with 1, 16, 256, 4096 dirty pages, against: KVM_RUN of
 *                  code that dirties as many pages (mapped with the leaf size
 *                  of our heap, in as much memory), KVM_GET_DIRTY_LOG and
 *                  KVM_CLEAR_DIRTY_LOG (manual protection, as ours), memcpy
 *                  of them, and the same vCPU restore as ours
 *                  (vcpu_state_load: XSAVE, debug registers, MSRs, sregs,
 *                  regs, events), so that the ratio measures the memory work;
 *                  the cost per page between rows (bench_kvm_reset.c)
 *   template       a sandbox from a template against a cold start (new +
 *                  init), with a warm VM shell (a freed sandbox's VM, kept) and
 *                  with a new VM; kvmlet_sandbox_free keeping its VM warm
 *                  against destroying it; memory per live sandbox with 1000
 *                  of them, ours and the kernel's, and ours per sandbox made
 *                  without a template; init, template, sandbox
 *                  from it and free with guest memory from 16 MiB to 4 GiB
 *                  (bench_kvm_mem.c)
 *   Linux programs tests/linux/lxbench (musl): a write(2) served by the host
 *                  against one raw round trip, mmap + touch + munmap served
 *                  by the guest's kernel, a musl hello's cold start against
 *                  guest/hello.elf's (bench_kvm_linux.c)
 *
 * Usage: bench_kvm HELLO_ELF CALL_TYPES_ELF STATEFUL_ELF [LXBENCH] [--exitless]:
 * everything but exit-less calls (without LXBENCH the Linux rows say why they
 * skip), or exit-less calls only.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "x86.h"
#include "bench_kvm.h"
#include "bench_util.h"

const char *hello_path, *call_types_path, *stateful_path, *lxbench_path;

void vm_settle(void)
{
	nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
}

void *read_guest(const char *name, size_t *size)
{
	const char *path = !strcmp(name, "hello")      ? hello_path
			   : !strcmp(name, "stateful") ? stateful_path
			   : !strcmp(name, "lxbench")  ? lxbench_path
						       : call_types_path;
	FILE *f;

	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

void die(const char *what, const struct kvmlet_error *err)
{
	fprintf(stderr, "bench_kvm: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

void raw_create(struct raw_vm *r, uint64_t size)
{
	static const uint8_t code[] = {0xe6, KVMLET_PORT_EXIT, 0xeb, 0xfc};
	struct kvmlet_error err;

	r->size = size;
	r->mem = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->mem == MAP_FAILED)
		die("mmap", NULL);
	r->gm = (struct guest_mem){.mem = r->mem, .size = r->size};
	if (x86_write_system_tables(&r->gm) < 0)
		die("system tables", NULL);
	memcpy(r->mem + 0x200000, code, sizeof(code));
	if (pt_host_init(&r->h, &r->pt, r->mem, r->size, 0, KVMLET_TABLES_GPA,
			 KVMLET_TABLES_END - KVMLET_TABLES_GPA, r->bitmap, PT_CAP_NX, 0) < 0 ||
	    pt_map(&r->pt, KVMLET_GDT_GPA, KVMLET_GDT_GPA, 0x5000, 0, 0) < 0 ||
	    pt_map(&r->pt, KVMLET_STUBS_GPA, KVMLET_STUBS_GPA, 0x1000, PT_PROT_EXEC, 0) < 0 ||
	    pt_map(&r->pt, KVMLET_STACK0_GPA, KVMLET_STACK0_GPA, 0x2000, PT_PROT_WRITE, 0) < 0 ||
	    pt_map(&r->pt, 0x200000, 0x200000, 0x1000, PT_PROT_EXEC | PT_PROT_USER, 0) < 0)
		die("raw page tables", NULL);
	if (vm_create(&r->vm, r->mem, r->size, &err) < 0 || vcpu_create(&r->vcpu, &r->vm, &err) < 0)
		die("raw VM", &err);
	if (x86_setup_vcpu(&r->vcpu, r->h.root, 0x200000, 0x300000, &err) < 0)
		die("raw vCPU", &err);
	/* A bare exit: KVM stores no registers into kvm_run at each one
	 * (vcpu_create asks for that, as kvmlet needs RIP at every exit). */
	r->vcpu.run->kvm_valid_regs = 0;
}

void raw_destroy(struct raw_vm *r)
{
	vcpu_destroy(&r->vcpu);
	vm_destroy(&r->vm);
	munmap(r->mem, r->size);
}

double raw_roundtrip(struct raw_vm *r, int n)
{
	double t0 = now_ns();

	for (int i = 0; i < n; i++)
		if (ioctl(r->vcpu.fd, KVM_RUN, 0) < 0 || r->vcpu.run->exit_reason != KVM_EXIT_IO)
			die("raw KVM_RUN", NULL);
	return (now_ns() - t0) / n;
}

/* A vCPU's KVM statistic by name (KVM_GET_STATS_FD), or -1 where there is none. */
long long vcpu_stat(int vcpu_fd, const char *name)
{
	struct kvm_stats_header h;
	long long v = -1;
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);

	if (fd < 0)
		return -1;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h)) {
		size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
		struct kvm_stats_desc *d = malloc(dsize);
		for (uint32_t i = 0; d && i < h.num_desc; i++) {
			uint64_t val;
			if (pread(fd, d, dsize, h.desc_offset + (off_t)(i * dsize)) !=
			    (ssize_t)dsize)
				break;
			if (strncmp(d->name, name, h.name_size))
				continue;
			if (pread(fd, &val, 8, h.data_offset + d->offset) == 8)
				v = (long long)val;
			break;
		}
		free(d);
	}
	close(fd);
	return v;
}

static struct kvmlet_sandbox *sandbox(const char *name)
{
	struct kvmlet_config cfg;
	kvmlet_config_default(&cfg);
	cfg.heap_size = 2 << 20; /* as before the reset rows had their own sandbox */
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	size_t size;
	void *elf = read_guest(name, &size);

	if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0)
		die(name, &err);
	free(elf);
	return sb;
}

static int host_add(void *arg, const struct kvmlet_value *args, unsigned nargs,
		    struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 + args[1].i64);
	return 0;
}

double call_ns(struct kvmlet_sandbox *sb, const char *fn, const struct kvmlet_value *args,
	       unsigned n, int iters)
{
	struct kvmlet_value r;
	struct kvmlet_error err;
	double t0 = now_ns();

	for (int i = 0; i < iters; i++)
		if (kvmlet_call(sb, fn, args, n, &r, &err) < 0)
			die(fn, &err);
	return (now_ns() - t0) / iters;
}

/* ns per kvmlet_call_batch of n empty calls. */
static double batch_ns(struct kvmlet_sandbox *sb, unsigned n, int iters)
{
	struct kvmlet_batch_call calls[64];
	struct kvmlet_batch_result res[64];
	struct kvmlet_error err;

	for (unsigned i = 0; i < n; i++)
		calls[i] = (struct kvmlet_batch_call){"nothing", NULL, 0};
	double t0 = now_ns();
	for (int i = 0; i < iters; i++)
		if (kvmlet_call_batch(sb, calls, n, res, &err) != 0)
			die("batch", &err);
	return (now_ns() - t0) / iters;
}

static void bench_batch(struct kvmlet_sandbox *sb, struct raw_vm *r, int n)
{
	double batch[REPEATS], single[REPEATS], raw1[REPEATS];

	for (int i = 0; i < REPEATS; i++) {
		raw1[i] = raw_roundtrip(r, n);
		single[i] = 64 * call_ns(sb, "nothing", NULL, 0, n);
		batch[i] = batch_ns(sb, 64, n / 4);
	}
	double t = median(batch, REPEATS), s = median(single, REPEATS), b = median(raw1, REPEATS);
	printf("%-30s %10.2f us   64 calls %7.2f us   ratio %5.3f (target <= 0.1)\n",
	       "batch of 64 empty calls", t / 1e3, s / 1e3, t / s);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.2f (one entry, one exit)\n",
	       "batch of 64 empty calls", t / 1e3, b / 1e3, t / b);
}

/* The exit-less floor: a round trip of a number between two threads,
 * polling with `pause` between looks (as both sides of a call do) or not. */
static _Atomic uint64_t pp_word;
static bool pp_pause;

static void pp_wait(uint64_t want)
{
	while (atomic_load_explicit(&pp_word, memory_order_acquire) != want)
		if (pp_pause)
			__builtin_ia32_pause();
}

static void *pp_echo(void *arg)
{
	uint64_t n = (uint64_t)(uintptr_t)arg;

	for (uint64_t i = 1; i <= n; i++) {
		pp_wait(2 * i - 1);
		atomic_store_explicit(&pp_word, 2 * i, memory_order_release);
	}
	return NULL;
}

static double pingpong_ns(int n, bool pause)
{
	pthread_t t;

	pp_pause = pause;
	atomic_store(&pp_word, 0);
	if (pthread_create(&t, NULL, pp_echo, (void *)(uintptr_t)n))
		die("ping-pong thread", NULL);
	double t0 = now_ns();
	for (uint64_t i = 1; i <= (uint64_t)n; i++) {
		atomic_store_explicit(&pp_word, 2 * i - 1, memory_order_release);
		pp_wait(2 * i);
	}
	double ns = (now_ns() - t0) / n;
	pthread_join(t, NULL);
	return ns;
}

/* Exit-less calls: both sides poll, so they need two CPUs (bench.sh gives this
 * part a QEMU of its own with two: more CPUs slow everything else there). */
static void bench_exitless(void)
{
	double empty[REPEATS], host[REPEATS], raw1[REPEATS], pp[REPEATS], spin[REPEATS];
	struct kvmlet_value two[2] = {kvmlet_i64(1), kvmlet_i64(2)};
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	struct raw_vm *r;
	const int n = 2000;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("exit-less calls: skipped, one CPU (both sides poll: they need two)\n");
		return;
	}
	sb = sandbox("call_types");
	if (kvmlet_register(sb, "add", "ii:i", host_add, NULL, &err) < 0 ||
	    kvmlet_init(sb, &err) < 0)
		die("call_types", &err);
	if (!(r = calloc(1, sizeof(*r))))
		die("calloc", NULL);
	raw_create(r, 8 << 20);
	/* The floors first: no guest may poll meanwhile, taking a CPU. */
	for (int i = 0; i < REPEATS; i++) {
		raw1[i] = raw_roundtrip(r, n / 4);
		pp[i] = pingpong_ns(n, true);
		spin[i] = pingpong_ns(n, false);
	}
	if (kvmlet_set_exitless(sb, 100000, &err) < 0)
		die("exit-less", &err);
	call_ns(sb, "nothing", NULL, 0, 10); /* the guest starts polling */
	for (int i = 0; i < REPEATS; i++) {
		empty[i] = call_ns(sb, "nothing", NULL, 0, n);
		host[i] = call_ns(sb, "host_add", two, 2, n);
	}
	if (kvmlet_set_exitless(sb, 0, &err) < 0)
		die("exit-less off", &err);
	double e = median(empty, REPEATS), h = median(host, REPEATS);
	double b = median(raw1, REPEATS), p = median(pp, REPEATS), q = median(spin, REPEATS);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.3f (target <= 0.1)\n",
	       "exit-less empty call", e / 1e3, b / 1e3, e / b);
	printf("%-30s %10.2f us   ping-pong %4.2f us   ratio %5.2f (two threads, shared memory, "
	       "polling with pause; without: %.2f us, ratio %.2f)\n",
	       "exit-less empty call", e / 1e3, p / 1e3, e / p, q / 1e3, e / q);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.3f (two raw round trips: %.3f)\n",
	       "exit-less call + host call", h / 1e3, b / 1e3, h / b, h / (2 * b));
	raw_destroy(r);
	free(r);
	kvmlet_sandbox_free(sb);
}

/*
 * The cold-start floor: a tiny VM made with bare ioctls and torn down. Code
 * at 0x8000 (`out %al, $0xe0; hlt`) at CPL0 in long mode, identity-mapped by
 * one 2 MiB page (PML4 0x1000, PDPT 0x2000, PD 0x3000).
 */
static void raw_bare_vm(int kvm, const struct kvm_cpuid2 *cpuid, int run_size)
{
	const uint64_t size = 2 << 20;
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("bare mmap", NULL);
	uint64_t *pml4 = (uint64_t *)(void *)(mem + 0x1000), *pdpt = pml4 + 512, *pd = pdpt + 512;
	pml4[0] = 0x2000 | 3;
	pdpt[0] = 0x3000 | 3;
	pd[0] = 0x80 | 3; /* 2 MiB, present, writable */
	memcpy(mem + 0x8000, (const uint8_t[]){0xe6, KVMLET_PORT_EXIT, 0xf4}, 3);

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	struct kvm_userspace_memory_region slot = {.memory_size = size,
						   .userspace_addr = (uint64_t)(uintptr_t)mem};
	if (vm < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("bare VM", NULL);
	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_run *run =
		mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	struct kvm_sregs s;
	if (cpu < 0 || run == MAP_FAILED || ioctl(cpu, KVM_SET_CPUID2, cpuid) < 0 ||
	    ioctl(cpu, KVM_GET_SREGS, &s) < 0)
		die("bare vCPU", NULL);
	struct kvm_segment cs = {
		.selector = 8, .limit = 0xfffff, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1};
	struct kvm_segment ds = {
		.selector = 16, .limit = 0xfffff, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1};
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.cr3 = 0x1000;
	s.cr4 = 1u << 5;		 /* PAE */
	s.cr0 = 0x80000011u;		 /* PG, ET, PE */
	s.efer = (1u << 8) | (1u << 10); /* LME, LMA */
	struct kvm_regs regs = {.rip = 0x8000, .rsp = 0x10000, .rflags = 2};
	if (ioctl(cpu, KVM_SET_SREGS, &s) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(cpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_IO)
		die("bare run", NULL);
	munmap(run, (size_t)run_size);
	close(cpu);
	close(vm);
	munmap(mem, size);
}

static void bench_cold_start(void)
{
	double ours[REPEATS], base[REPEATS], warm[REPEATS];
	size_t size;
	void *elf = read_guest("hello", &size);
	struct kvmlet_error err;
	int kvm = vm_kvm_fd(&err), run_size = kvm < 0 ? -1 : ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));

	cpuid->nent = 256;
	if (run_size < 0 || ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("/dev/kvm", &err);
	for (int i = 0; i < REPEATS; i++) {
		struct kvmlet_config cfg;
		struct kvmlet_sandbox *sb;
		struct kvmlet_result res;

		vm_settle();
		double t0 = now_ns();
		raw_bare_vm(kvm, cpuid, run_size);
		base[i] = now_ns() - t0;

		kvmlet_config_default(&cfg);
		vm_settle();
		t0 = now_ns();
		if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 ||
		    kvmlet_run(sb, &res, &err) < 0)
			die("hello", &err);
		kvmlet_sandbox_free(sb);
		vcpu_shell_flush(); /* torn down, as the raw VM is: no warm shell left */
		ours[i] = now_ns() - t0;
	}
	/* The same on the shell the last free keeps (a server's next request). */
	for (int i = 0; i < REPEATS; i++) {
		struct kvmlet_config cfg;
		struct kvmlet_sandbox *sb;
		struct kvmlet_result res;

		kvmlet_config_default(&cfg);
		if (i == 0 && (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 ||
			       kvmlet_run(sb, &res, &err) < 0))
			die("hello", &err);
		if (i == 0)
			kvmlet_sandbox_free(sb);
		vm_settle();
		double t0 = now_ns();
		if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 ||
		    kvmlet_run(sb, &res, &err) < 0)
			die("hello", &err);
		kvmlet_sandbox_free(sb);
		warm[i] = now_ns() - t0;
	}
	vcpu_shell_flush();
	free(elf);
	free(cpuid);
	double o = median(ours, REPEATS), b = median(base, REPEATS);
	printf("%-30s %10.1f us   raw %10.1f us   ratio %5.2f (target <= 1.3)\n",
	       "cold start (hello to exit)", o / 1e3, b / 1e3, o / b);
	double w = median(warm, REPEATS);
	printf("%-30s %10.1f us   raw %10.1f us   ratio %5.2f (a warm shell: no VM made or destroyed)\n",
	       "cold start, warm shell", w / 1e3, b / 1e3, w / b);
}

static void bench_calls(void)
{
	struct kvmlet_sandbox *sb = sandbox("call_types");
	struct kvmlet_error err;
	struct raw_vm *r = calloc(1, sizeof(*r));
	/* More and longer rounds than elsewhere: these rows move by a few
	 * percent between runs under nested KVM, and they cost little. */
	enum { CALL_REPEATS = 9 };
	double empty[CALL_REPEATS], host[CALL_REPEATS], raw1[CALL_REPEATS], raw2[CALL_REPEATS];
	const int n = 4000;

	if (kvmlet_register(sb, "add", "ii:i", host_add, NULL, &err) < 0 ||
	    kvmlet_init(sb, &err) < 0)
		die("call_types", &err);
	raw_create(r, 8 << 20);
	struct kvmlet_value two[2] = {kvmlet_i64(1), kvmlet_i64(2)};
	for (int i = 0; i < CALL_REPEATS; i++) {
		raw1[i] = raw_roundtrip(r, n);
		empty[i] = call_ns(sb, "nothing", NULL, 0, n);
		raw2[i] = 2 * raw_roundtrip(r, n);
		host[i] = call_ns(sb, "host_add", two, 2, n);
	}
	/* Each round's own ratio too: a round and its baseline run back to back,
	 * so drift between rounds (QEMU's) cancels in it. */
	double re[CALL_REPEATS], rh[CALL_REPEATS];
	for (int i = 0; i < CALL_REPEATS; i++) {
		re[i] = empty[i] / raw1[i];
		rh[i] = host[i] / raw2[i];
	}
	double pe = median(re, CALL_REPEATS), ph = median(rh, CALL_REPEATS);
	double e = median(empty, CALL_REPEATS), b1 = median(raw1, CALL_REPEATS);
	double h = median(host, CALL_REPEATS), b2 = median(raw2, CALL_REPEATS);
	printf("(calls: medians of %d rounds of %d; paired: the median of each round's ratio, "
	       "lowest-highest)\n",
	       CALL_REPEATS, n);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.2f (target <= 1.10; paired %4.2f, "
	       "%4.2f-%4.2f)\n",
	       "empty call", e / 1e3, b1 / 1e3, e / b1, pe, re[0], re[CALL_REPEATS - 1]);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.2f (target <= 1.10; paired %4.2f, "
	       "%4.2f-%4.2f)\n",
	       "call with one host call", h / 1e3, b2 / 1e3, h / b2, ph, rh[0],
	       rh[CALL_REPEATS - 1]);
	bench_batch(sb, r, n / 8);

	static char big[64 << 10];
	memset(big, 'k', sizeof(big));
	for (size_t len = 1 << 10; len <= sizeof(big); len *= 64) {
		struct kvmlet_value a = kvmlet_str(big, len);
		double t[REPEATS];
		for (int i = 0; i < REPEATS; i++)
			t[i] = call_ns(sb, "echo_s", &a, 1, 500);
		double m = median(t, REPEATS);
		printf("echo %2zu KiB string %18.2f us   %8.1f MB/s (argument + result), "
		       "%.2f raw round trips\n",
		       len >> 10, m / 1e3, 2.0 * (double)len / m * 1e3, m / b1);
	}
	raw_destroy(r);
	free(r);
	kvmlet_sandbox_free(sb);
}

/*
 * The host settings that decide most of what creating a VM costs: KVM starts
 * a kernel thread with every VM (NX huge page recovery) unless nx_huge_pages
 * is "never", and the thread joins its parent's cgroups, which waits for an
 * RCU grace period unless cgroup2 is mounted with favordynmods.
 */
static void host_settings(void)
{
	char nx[32] = "?", line[512];
	bool favor = false;
	FILE *f = fopen("/sys/module/kvm/parameters/nx_huge_pages", "r");

	if (f) {
		if (fscanf(f, "%31s", nx) != 1)
			strcpy(nx, "?");
		fclose(f);
	}
	if ((f = fopen("/proc/mounts", "r"))) {
		while (fgets(line, sizeof(line), f))
			favor |= strstr(line, " cgroup2 ") &&
				 strstr(line, "favordynmods");
		fclose(f);
	}
	printf("host: kvm nx_huge_pages=%s (%s), cgroup2 favordynmods %s\n", nx,
	       strcmp(nx, "never") ? "a kernel thread per VM" : "no thread per VM",
	       favor ? "on (no grace period per VM)" : "off (a grace period per VM)");
}

/* BENCH_KVM_ONLY=reset,linux (say) runs only those parts: cold, calls, reset,
 * template, growth, linux. */
static bool want(const char *part)
{
	const char *only = getenv("BENCH_KVM_ONLY");

	return !only || strstr(only, part);
}

int main(int argc, char **argv)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	bool exitless = argc > 4 && !strcmp(argv[argc - 1], "--exitless");

	argc -= exitless;
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: bench_kvm HELLO_ELF CALL_TYPES_ELF STATEFUL_ELF [LXBENCH] "
				"[--exitless]\n");
		return 2;
	}
	if (fd < 0) {
		printf("KVM benchmarks skipped: cannot open /dev/kvm\n");
		return 0;
	}
	close(fd);
	hello_path = argv[1];
	call_types_path = argv[2];
	stateful_path = argv[3];
	lxbench_path = argc > 4 ? argv[4] : NULL;
	printf("KVM (medians of %d runs; raw baselines measured in the same run; libkvmlet: %s)\n",
	       REPEATS, BENCH_BUILD);
	host_settings();
	if (exitless) {
		bench_exitless();
		return 0;
	}
	if (want("cold"))
		bench_cold_start();
	if (want("calls"))
		bench_calls();
	if (want("reset"))
		bench_reset();
	if (want("template"))
		bench_template();
	if (want("growth"))
		bench_template_growth();
	if (want("linux"))
		bench_linux();
	return 0;
}
