/*
 * bench_kvm_mem.c: sandboxes from templates: their creation against a cold
 * start, the memory each live one costs (ours and the kernel's), and how
 * init, template and sandbox creation grow with guest memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_kvm.h"
#include "bench_util.h"

/* A field of /proc/self/smaps_rollup in KiB: Rss counts the template pages every
 * sandbox maps (shared), Private_* what each sandbox really costs. */
static long smaps_kib(const char *field)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long v = 0, kib;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) &&
		    sscanf(line + strlen(field), " %ld", &kib) == 1)
			v += kib;
	if (f)
		fclose(f);
	return v;
}

static long private_kib(void)
{
	return smaps_kib("Private_Clean:") + smaps_kib("Private_Dirty:");
}

/* The fields of /proc/meminfo the memory row reads, in KiB. */
enum {
	MI_FREE,
	MI_ANON,
	MI_CACHED,
	MI_BUFFERS,
	MI_SLAB,
	MI_KSTACK,
	MI_PT,
	MI_SECPT,
	MI_VMALLOC,
	MI_N
};
static const char *const mi_names[MI_N] = {
	"MemFree:",	"AnonPages:",  "Cached:",	 "Buffers:",	"Slab:",
	"KernelStack:", "PageTables:", "SecPageTables:", "VmallocUsed:"};

static void meminfo(long *v)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];

	memset(v, 0, MI_N * sizeof(*v));
	while (f && fgets(line, sizeof(line), f))
		for (int i = 0; i < MI_N; i++)
			if (!strncmp(line, mi_names[i], strlen(mi_names[i])))
				sscanf(line + strlen(mi_names[i]), " %ld", &v[i]);
	if (f)
		fclose(f);
}

/*
 * N live sandboxes from t, each having served one call: our private memory
 * (smaps) and the kernel's, per sandbox. The kernel's is the drop of MemFree
 * less what user pages and the page cache grew by (AnonPages, Cached, Buffers):
 * KVM's VM and vCPU, its page tables and memory slot, our page tables, fds.
 */
static void memory_per_sandbox(struct kvmlet_template *t)
{
	enum { N = 1000 };
	static struct kvmlet_sandbox *many[N];
	struct kvmlet_error err;
	struct rlimit rl;
	long mb[MI_N], ma[MI_N];

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Only what the sandboxes allocate and touch: no 2 MiB pages that
	 * khugepaged would fold sparse heap regions into while we count. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	vcpu_shell_flush(); /* every sandbox gets a VM of its own, made now */
	usleep(200000);
	long before = smaps_kib("Rss:"), before_priv = private_kib();
	meminfo(mb);
	unsigned made = 0;
	for (; made < N; made++) {
		struct kvmlet_value r;
		if (kvmlet_sandbox_from_template(&many[made], t, &err) < 0 ||
		    kvmlet_call(many[made], "count", NULL, 0, &r, &err) < 0)
			break;
	}
	long after = smaps_kib("Rss:"), after_priv = private_kib();
	meminfo(ma);
	if (made < N)
		printf("(stopped at %u sandboxes: %s)\n", made, err.msg);
	if (made) {
		long d[MI_N], m = (long)made;
		for (int i = 0; i < MI_N; i++)
			d[i] = ma[i] - mb[i];
		long ours = (after_priv - before_priv) / m;
		long kernel = (-d[MI_FREE] - d[MI_ANON] - d[MI_CACHED] - d[MI_BUFFERS]) / m;
		long named = d[MI_SLAB] + d[MI_KSTACK] + d[MI_PT] + d[MI_SECPT] + d[MI_VMALLOC];
		printf("%-30s %10ld KiB private (%ld KiB resident, template pages included) per "
		       "sandbox over %u live sandboxes\n",
		       "memory per sandbox, ours", ours, (after - before) / m, made);
		printf("%-30s %10ld KiB (MemFree drop %ld less AnonPages %ld, Cached %ld: "
		       "Slab %ld, PageTables %ld, SecPageTables %ld, KernelStack %ld, "
		       "Vmalloc %ld, other %ld)\n",
		       "memory per sandbox, kernel", kernel, -d[MI_FREE] / m, d[MI_ANON] / m,
		       (d[MI_CACHED] + d[MI_BUFFERS]) / m, d[MI_SLAB] / m, d[MI_PT] / m,
		       d[MI_SECPT] / m, d[MI_KSTACK] / m, d[MI_VMALLOC] / m, kernel - named / m);
		printf("%-30s %10ld KiB   (ours %ld + kernel %ld; target <= 512)\n",
		       "memory per sandbox, in all", ours + kernel, ours, kernel);
	}
	for (unsigned i = 0; i < made; i++)
		kvmlet_sandbox_free(many[i]);
}

/*
 * Our private memory per sandbox made without a template (new + init, guest
 * memory of its own): what the guest and its set-up touched, in small pages
 * (a transparent huge page per touched 2 MiB made this 4.3 MiB for stateful).
 */
static void memory_per_cold_sandbox(const void *elf, size_t size)
{
	enum { N = 40 };
	struct kvmlet_sandbox *sbs[N];
	struct kvmlet_config cfg;
	struct kvmlet_error err;
	unsigned made = 0;

	kvmlet_config_default(&cfg);
	long before = private_kib();
	for (; made < N; made++)
		if (kvmlet_sandbox_new(&sbs[made], elf, size, &cfg, &err) < 0 ||
		    kvmlet_init(sbs[made], &err) < 0)
			die("cold sandbox", &err);
	long after = private_kib();
	printf("%-30s %10ld KiB private per sandbox over %u live sandboxes (new + init, "
	       "%llu MiB guest memory each)\n",
	       "memory per cold sandbox, ours", (after - before) / (long)made, made,
	       (unsigned long long)(cfg.mem_size >> 20));
	for (unsigned i = 0; i < made; i++)
		kvmlet_sandbox_free(sbs[i]);
}

void bench_template(void)
{
	double warm[REPEATS], cold_vm[REPEATS], base[REPEATS], park[REPEATS], destroy[REPEATS];
	size_t size;
	void *elf = read_guest("stateful", &size);
	struct kvmlet_sandbox *sb, *tsb;
	struct kvmlet_template *t;
	struct kvmlet_config cfg;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	for (int i = 0; i < REPEATS; i++) {
		vm_settle();
		double t0 = now_ns();
		if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 || kvmlet_init(sb, &err) < 0)
			die("cold start", &err);
		base[i] = now_ns() - t0;
		if (i == 0 && kvmlet_template_new(&t, sb, &err) < 0)
			die("template", &err);
		kvmlet_sandbox_free(sb); /* its VM becomes a warm shell */
		t0 = now_ns();
		if (kvmlet_sandbox_from_template(&tsb, t, &err) < 0)
			die("from template", &err);
		warm[i] = now_ns() - t0;
		t0 = now_ns();
		kvmlet_sandbox_free(tsb);
		park[i] = now_ns() - t0;
		t0 = now_ns();
		vcpu_shell_flush(); /* what a free costs without the pool: the VM destroyed */
		destroy[i] = now_ns() - t0;
		vm_settle();
		t0 = now_ns();
		if (kvmlet_sandbox_from_template(&tsb, t, &err) < 0)
			die("from template", &err);
		cold_vm[i] = now_ns() - t0;
		kvmlet_sandbox_free(tsb);
		vcpu_shell_flush();
	}
	double w = median(warm, REPEATS), c = median(cold_vm, REPEATS), b = median(base, REPEATS);
	printf("%-30s %10.1f us   cold %9.1f us   ratio %5.3f (target <= 0.05)\n",
	       "from a template, warm shell", w / 1e3, b / 1e3, w / b);
	printf("%-30s %10.1f us   cold %9.1f us   ratio %5.3f (target <= 0.3)\n",
	       "from a template, new VM", c / 1e3, b / 1e3, c / b);
	printf("%-30s %10.1f us   destroying the VM %9.1f us (target <= 1000 us)\n",
	       "free (VM kept warm)", median(park, REPEATS) / 1e3, median(destroy, REPEATS) / 1e3);

	memory_per_sandbox(t);
	memory_per_cold_sandbox(elf, size);
	kvmlet_template_free(t);
	free(elf);
}

/*
 * What grows with guest memory whoever does it, for the growth rows: KVM's
 * memory slot of size bytes with dirty logging, created then deleted in a raw
 * VM (KVM allocates and frees a dirty bitmap per slot), and reading
 * /proc/self/pagemap over an untouched mapping of size bytes, 512 entries at a
 * time (as snapshot_take does without PAGEMAP_SCAN), or PAGEMAP_SCAN over it
 * (with). ns each.
 */
static double raw_slot_ns(struct raw_vm *r, uint64_t size, void *mem)
{
	struct kvm_userspace_memory_region slot = {.slot = 1,
						   .flags = KVM_MEM_LOG_DIRTY_PAGES,
						   .guest_phys_addr = 1ull << 36,
						   .memory_size = size,
						   .userspace_addr = (uint64_t)(uintptr_t)mem};
	double t0 = now_ns();

	if (ioctl(r->vm.fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("raw slot", NULL);
	slot.memory_size = 0;
	if (ioctl(r->vm.fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("raw slot delete", NULL);
	return now_ns() - t0;
}

static double pagemap_ns(uint64_t size, const void *mem)
{
	static uint64_t pm[512];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	double t0 = now_ns();

	for (uint64_t off = 0; fd >= 0 && off < size; off += sizeof(pm) / 8 * 4096)
		if (pread(fd, pm, sizeof(pm), (off_t)(((uintptr_t)mem + off) / 4096 * 8)) < 0)
			break;
	double ns = now_ns() - t0;
	if (fd >= 0)
		close(fd);
	return ns;
}

/* What snapshot_take asks instead where the kernel has PAGEMAP_SCAN (ns; -1
 * where it has not). */
static double pagemap_scan_ns(uint64_t size, const void *mem)
{
	uint64_t *bitmap = calloc((size / 4096 + 63) / 64, 8);
	double t0 = now_ns();
	uint64_t scanned = bitmap ? snapshot_candidates(mem, size / 4096, bitmap, true) : 0;
	double ns = now_ns() - t0;

	free(bitmap);
	return scanned == size / 4096 ? ns : -1;
}

/*
 * Init, template, sandbox from it and its free, with guest memory from 16 MiB
 * to 4 GiB: each should cost the same whatever the size (pages are only
 * touched when used); the ratio is against 16 MiB.
 */
void bench_template_growth(void)
{
	static const unsigned mib[] = {16, 64, 256, 1024, 4096};
	enum { SIZES = sizeof(mib) / sizeof(mib[0]), R = 3 };
	double base[4] = {0};
	size_t size;
	void *elf = read_guest("stateful", &size);
	struct raw_vm *r = calloc(1, sizeof(*r));

	raw_create(r, 8 << 20);

	printf("(template growth: stateful guest, medians of %d; the sandbox takes the warm shell "
	       "its source sandbox left)\n",
	       R);
	for (unsigned s = 0; s < SIZES; s++) {
		unsigned reps = s == 0 ? R + 1 : R; /* the first run of all warms KVM up */
		double init[R + 1], tmpl[R + 1], from[R + 1], freed[R + 1], slot[R + 1],
			pmap[R + 1], pscan[R + 1];
		struct kvmlet_config cfg;
		struct kvmlet_error err;

		kvmlet_config_default(&cfg);
		cfg.mem_size = (uint64_t)mib[s] << 20;
		for (unsigned i = 0; i < reps; i++) {
			struct kvmlet_sandbox *sb, *tsb;
			struct kvmlet_template *t;

			double t0 = now_ns();
			if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 ||
			    kvmlet_init(sb, &err) < 0)
				die("growth: new + init", &err);
			double t1 = now_ns();
			if (kvmlet_template_new(&t, sb, &err) < 0)
				die("growth: template", &err);
			double t2 = now_ns();
			kvmlet_sandbox_free(sb); /* its VM becomes a warm shell */
			double t3 = now_ns();
			if (kvmlet_sandbox_from_template(&tsb, t, &err) < 0)
				die("growth: from template", &err);
			double t4 = now_ns();
			kvmlet_sandbox_free(tsb);
			double t5 = now_ns();
			kvmlet_template_free(t);
			vcpu_shell_flush();
			init[i] = t1 - t0, tmpl[i] = t2 - t1, from[i] = t4 - t3, freed[i] = t5 - t4;
			void *m = mmap(NULL, cfg.mem_size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (m == MAP_FAILED)
				die("growth: mmap", NULL);
			slot[i] = raw_slot_ns(r, cfg.mem_size, m);
			pmap[i] = pagemap_ns(cfg.mem_size, m);
			pscan[i] = pagemap_scan_ns(cfg.mem_size, m);
			munmap(m, cfg.mem_size);
		}
		unsigned k0 = reps - R; /* the timed runs */
		double v[4] = {median(init + k0, R), median(tmpl + k0, R), median(from + k0, R),
			       median(freed + k0, R)};
		if (s == 0)
			for (int k = 0; k < 4; k++)
				base[k] = v[k];
		printf("template growth %4u MiB  new+init %8.1f us (%5.2fx)  template_new %8.1f us "
		       "(%5.2fx)  from template %8.1f us (%5.2fx)  free %8.1f us (%5.2fx)\n",
		       mib[s], v[0] / 1e3, v[0] / base[0], v[1] / 1e3, v[1] / base[1], v[2] / 1e3,
		       v[2] / base[2], v[3] / 1e3, v[3] / base[3]);
		double scan = median(pscan + k0, R);
		printf("  alone at this size: KVM slot with dirty log, create + delete %8.1f us; "
		       "reading its pagemap %8.1f us; PAGEMAP_SCAN ",
		       median(slot + k0, R) / 1e3, median(pmap + k0, R) / 1e3);
		if (scan < 0)
			printf("n/a (Linux 6.7 on; snapshots read pagemap here)\n");
		else
			printf("%8.1f us (what snapshots use here)\n", scan / 1e3);
	}
	raw_destroy(r);
	free(r);
	free(elf);
}
