/*
 * bench_kvm_linux.c: static Linux programs (tests/linux/lxbench, musl) under
 * kvmlet: a write(2) the host serves in one exit against one raw round trip,
 * mmap + touch + munmap of a page that the guest's kernel serves without an
 * exit, a musl hello's cold start against guest/hello.elf's, and an execve
 * (lxbench replacing itself) and a fork (a child that exits at once, waited
 * for) against that cold start. A program's N
 * operations cost its run with n0 + N less its run with n0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_kvm.h"
#include "bench_util.h"

/* The KVM exits of the last run_ns: all (KVM's own included) and I/O ones. */
static long long last_exits, last_io_exits;

/* ns of kvmlet_sandbox_new + kvmlet_set_args (argv NULL: none) + kvmlet_run
 * + free, the VM torn down (no warm shell left). */
static double run_ns(const void *elf, size_t size, int argc, const char *const *argv)
{
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_result res;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	double t0 = now_ns();
	if (kvmlet_sandbox_new(&sb, elf, size, &cfg, &err) < 0 ||
	    (argv && kvmlet_set_args(sb, argc, argv, NULL, &err) < 0) ||
	    (argc > 1 && !strcmp(argv[1], "exec") &&
	     kvmlet_allow_file(sb, lxbench_path, "/lxbench", &err) < 0) ||
	    kvmlet_run(sb, &res, &err) < 0)
		die(argv ? argv[0] : "hello", &err);
	if (res.status != 0) {
		fprintf(stderr, "bench_kvm: %s %s exited with %d\n", argv ? argv[0] : "hello",
			argv && argc > 1 ? argv[1] : "", res.status);
		exit(1);
	}
	last_exits = vcpu_stat(sb->vcpu.fd, "exits");
	last_io_exits = vcpu_stat(sb->vcpu.fd, "io_exits");
	kvmlet_sandbox_free(sb);
	vcpu_shell_flush();
	return now_ns() - t0;
}

/* ns per operation of `lxbench OP n0 + n` less `lxbench OP n0`, median of
 * REPEATS; KVM exits per operation, all and I/O, to *exits and *io. */
static double op_ns(const void *elf, size_t size, const char *op, int n0, int n, double *exits,
		    double *io)
{
	char num[16], num0[16];
	const char *with[] = {"lxbench", op, num}, *without[] = {"lxbench", op, num0};
	double t[REPEATS];

	snprintf(num, sizeof(num), "%d", n0 + n);
	snprintf(num0, sizeof(num0), "%d", n0);
	for (int i = 0; i < REPEATS; i++) {
		double ns = run_ns(elf, size, 3, with);
		long long e = last_exits, o = last_io_exits;
		t[i] = (ns - run_ns(elf, size, 3, without)) / n;
		*exits = (double)(e - last_exits) / n;
		*io = (double)(o - last_io_exits) / n;
	}
	return median(t, REPEATS);
}

void bench_linux(void)
{
	const char *const hello_argv[] = {"lxbench"};
	double hello[REPEATS], musl[REPEATS], raw1[REPEATS];
	long long he = 0, le = 0;
	size_t hsize, lsize;

	if (!lxbench_path) {
		printf("Linux programs: SKIPPED (no tests/linux/lxbench: musl-gcc missing, "
		       "apt-get install musl-tools)\n");
		return;
	}
	void *helf = read_guest("hello", &hsize), *lelf = read_guest("lxbench", &lsize);
	struct raw_vm *r = calloc(1, sizeof(*r));

	for (int i = 0; i < REPEATS; i++) {
		hello[i] = run_ns(helf, hsize, 0, NULL);
		he = last_exits;
		musl[i] = run_ns(lelf, lsize, 1, hello_argv);
		le = last_exits;
	}
	raw_create(r, 8 << 20);
	double we, wio, me, mio, xe, xio, fe, fio;
	/* Each side is a whole run, whose start-up moves by milliseconds (a VM
	 * created): 5000 writes keep that under a microsecond a write. */
	double w = op_ns(lelf, lsize, "write", 0, 5000, &we, &wio);
	/* The guest's kernel hands out its free pages in turn: the first 4096 maps
	 * touch pages new to the host (a nested page fault each); time beyond them. */
	double m = op_ns(lelf, lsize, "mmap", 4096, 4096, &me, &mio);
	/* Each execve clears and builds guest memory anew: time 20 in a row. */
	double x = op_ns(lelf, lsize, "exec", 0, 20, &xe, &xio);
	/* Each fork copies the pages with content into a new VM: the first of a
	 * run creates it, the others take it back as a warm shell. */
	double f = op_ns(lelf, lsize, "fork", 0, 20, &fe, &fio);
	for (int i = 0; i < REPEATS; i++)
		raw1[i] = raw_roundtrip(r, 1000);
	raw_destroy(r);
	free(r);
	double b = median(raw1, REPEATS), h = median(hello, REPEATS), l = median(musl, REPEATS);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.2f (target <= 1.15; KVM exits per "
	       "write %.2f, I/O %.2f)\n",
	       "Linux write(2), 1 byte", w / 1e3, b / 1e3, w / b, we, wio);
	printf("%-30s %10.2f us   raw %10.2f us   ratio %5.3f (the guest's kernel; KVM exits per "
	       "operation %.2f, I/O %.2f)\n",
	       "Linux mmap+touch+munmap", m / 1e3, b / 1e3, m / b, me, mio);
	printf("%-30s %10.1f us   hello.elf %7.1f us   ratio %5.2f (target <= 1.5; KVM exits "
	       "%lld, hello.elf %lld)\n",
	       "Linux cold start (musl hello)", l / 1e3, h / 1e3, l / h, le, he);
	printf("%-30s %10.1f us   cold start %6.1f us   ratio %5.2f (the same VM and vCPU; KVM "
	       "exits per execve %.0f)\n",
	       "Linux execve (itself)", x / 1e3, l / 1e3, x / l, xe);
	printf("%-30s %10.1f us   cold start %6.1f us   ratio %5.2f (a VM of its own, warm after "
	       "the first; the parent's KVM exits per fork %.0f)\n",
	       "Linux fork + exit + wait", f / 1e3, l / 1e3, f / l, fe);
	free(helf);
	free(lelf);
}
