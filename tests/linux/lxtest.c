/*
 * lxtest: an ordinary static Linux program (built with musl-gcc -static) that
 * tests/linux/linux.sh runs both natively and under kvmlet, comparing the
 * output byte for byte. argv[1] picks what it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int do_printf(void)
{
	printf("%d %u %ld %lx %o %c %s|%5d|%-5d|%05d\n", -42, 42u, 1234567890123L, 0xbeefL, 8,
	       'x', "str", 7, 7, 7);
	printf("%f %.3f %e %.2e %g %g\n", 3.25, -0.0005, 12345.678, 1e-300, 0.0001, 1e20);
	return 0;
}

static int do_args(int argc, char **argv, char **envp)
{
	printf("argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] %s\n", i, argv[i]);
	for (char **e = envp; *e; e++)
		printf("env %s\n", *e);
	printf("pagesz %lu uid %lu euid %lu secure %lu\n", getauxval(AT_PAGESZ), getauxval(AT_UID),
	       getauxval(AT_EUID), getauxval(AT_SECURE));
	printf("random %s execfn %s phent %lu\n", getauxval(AT_RANDOM) ? "yes" : "no",
	       (const char *)getauxval(AT_EXECFN), getauxval(AT_PHENT));
	return 0;
}

static int do_upper(void)
{
	int c;

	while ((c = getchar()) != EOF)
		putchar(c >= 'a' && c <= 'z' ? c - 32 : c);
	return 0;
}

static __thread int tls_counter = 5;
static __thread char tls_buf[64];

static int do_tls(void)
{
	for (int i = 0; i < 10; i++)
		tls_counter += i;
	snprintf(tls_buf, sizeof(tls_buf), "tls %d", tls_counter);
	puts(tls_buf);
	return 0;
}

static jmp_buf jb;

static void deep(int n)
{
	if (n < 0)
		return;
	if (n == 0)
		longjmp(jb, 42);
	deep(n - 1);
}

static int do_jmp(void)
{
	int v = setjmp(jb);

	if (v == 0) {
		deep(100);
		puts("not reached");
		return 1;
	}
	printf("longjmp %d\n", v);
	return 0;
}

/* Many sizes through malloc (brk and mmap), explicit mmap, mprotect, munmap. */
static int do_mem(void)
{
	static void *p[512];
	size_t total = 0;

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 512; i++) {
			size_t n = (size_t)((i * 7919 + round * 104729) % 8000) + 1;
			if (i % 64 == 0)
				n = (size_t)(i / 64 + 1) << 16; /* large: mmap */
			p[i] = malloc(n);
			if (!p[i])
				return 2;
			memset(p[i], i, n);
			total += n;
		}
		for (int i = 0; i < 512; i++)
			free(p[i]);
	}
	char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 3;
	for (int i = 0; i < (1 << 20); i += 4096)
		if (m[i] != 0)
			return 4; /* fresh pages are zero */
	memset(m, 0x5a, 1 << 20);
	if (mprotect(m, 4096, PROT_READ) != 0 || munmap(m, 1 << 20) != 0)
		return 5;
	printf("mem ok %zu\n", total);
	return 0;
}

/* 100 rounds of mmap, touch and munmap of 64 KiB, printing nothing: served in the guest. */
static int do_mmaploop(void)
{
	for (int i = 0; i < 100; i++) {
		char *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED)
			return 1;
		for (int j = 0; j < 65536; j += 4096)
			m[j] = (char)j;
		if (munmap(m, 65536) != 0)
			return 2;
	}
	return 0;
}

/* Big mappings barely touched, as allocators make them: rounds of mmap of
 * 1-7 MiB, two bytes written, munmap; each new mapping must read zero. */
static int do_mmapchurn(int rounds)
{
	unsigned long sum = 0;

	for (int i = 0; i < rounds; i++) {
		size_t len = (size_t)(1 + i % 7) << 20;
		volatile char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return 1;
		sum += (unsigned char)m[len / 2] + (unsigned char)m[len - 1];
		m[len / 2] = 'a';
		m[len - 1] = 'b';
		sum += (unsigned char)m[len / 2];
		if (munmap((void *)m, len) != 0)
			return 2;
	}
	printf("mmapchurn %d: %lu\n", rounds, sum);
	return 0;
}

/* mmap of a file: private and shared copies, an offset, what Linux refuses. */
static int do_mapfile(const char *path)
{
	int fd = open(path, O_RDONLY), p[2];
	off_t size = lseek(fd, 0, SEEK_END);
	unsigned long sum = 0;

	if (fd < 0 || size <= 0)
		return 1;
	char *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return 2;
	for (off_t i = 0; i < size; i++)
		sum = sum * 31 + (unsigned char)m[i];
	printf("private: %ld bytes, sum %lu, first line %.*s\n", (long)size, sum,
	       (int)strcspn(m, "\n"), m);
	printf("past the end of the file, in its last page: %d\n", m[size] + m[4095 - size % 4096 + size]);
	char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	w[0] = '#';
	char first;
	pread(fd, &first, 1, 0);
	printf("a private copy written: map %c, file %c, other map %c\n", w[0], first, m[0]);
	char *sh = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	printf("shared read-only: %s\n", sh != MAP_FAILED && !memcmp(sh, m, (size_t)size) ? "same" : "differs");
	errno = 0;
	printf("shared writable: %s\n", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? strerror(errno) : "mapped");
	if (size > 4096) {
		char *o = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
		printf("at offset 4096: %s\n", o != MAP_FAILED && !memcmp(o, m + 4096, size - 4096 < 4096 ? (size_t)(size - 4096) : 4096) ? "same" : "differs");
	}
	errno = 0;
	printf("unaligned offset: %s\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED ? strerror(errno) : "mapped");
	errno = 0;
	printf("bad descriptor: %s\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? strerror(errno) : "mapped");
	if (pipe(p) == 0) {
		errno = 0;
		printf("a pipe: %s\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, p[0], 0) == MAP_FAILED ? strerror(errno) : "mapped");
	}
	return 0;
}

/* What syscall() returned (-1 with errno for an error). */
static void say(const char *what, long r)
{
	int e = r == -1 ? errno : 0;

	printf("%s: %s\n", what,
	       !e ? "ok" : e == EINVAL ? "EINVAL" : e == ENOMEM ? "ENOMEM" : strerror(e));
}

/*
 * mmap's argument rules as Linux has them, through raw system calls (libc
 * would check some itself): an anonymous mapping ignores fd (klibc passes 0),
 * a hint need not be aligned, an offset must be, and no length wraps.
 */
static int do_mmapabi(void)
{
	const long rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	long p = syscall(SYS_mmap, 0, 8192, rw, anon, 0, 0);

	say("anonymous, fd 0", p);
	if (p == -1)
		return 1;
	((char *)p)[8191] = 1;
	say("anonymous, fd 7", syscall(SYS_mmap, 0, 4096, rw, anon, 7, 0));
	say("unaligned hint", syscall(SYS_mmap, 0x10000123, 4096, rw, anon, -1, 0));
	say("unaligned fixed", syscall(SYS_mmap, p + 1, 4096, rw, anon | MAP_FIXED, -1, 0));
	say("unaligned offset", syscall(SYS_mmap, 0, 4096, rw, anon, -1, 100));
	say("length 0", syscall(SYS_mmap, 0, 0, rw, anon, -1, 0));
	say("length -1", syscall(SYS_mmap, 0, -1L, rw, anon, -1, 0));
	say("length 2^62", syscall(SYS_mmap, 0, 1L << 62, rw, anon, -1, 0));
	say("neither private nor shared", syscall(SYS_mmap, 0, 4096, rw, MAP_ANONYMOUS, -1, 0));
	say("mprotect length -1", syscall(SYS_mprotect, p, -1L, PROT_READ));
	say("mprotect length 0", syscall(SYS_mprotect, p, 0, PROT_READ));
	say("mprotect unaligned", syscall(SYS_mprotect, p + 1, 4096, PROT_READ));
	say("munmap length -1", syscall(SYS_munmap, p, -1L));
	say("munmap length 0", syscall(SYS_munmap, p, 0));
	say("munmap", syscall(SYS_munmap, p, 8192));
	return 0;
}

/* MAP_32BIT: Linux places the mapping below 2 GiB, kvmlet refuses it. */
static int do_map32(void)
{
	long p = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	printf("map32 %s\n", p == -1 ? (errno == ENOMEM ? "ENOMEM" : strerror(errno))
				     : p < (1L << 31) ? "low" : "high");
	return 0;
}

/* A writable and executable mapping: Linux grants it, kvmlet refuses it. */
static int do_wx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	printf("wx %s\n", p == MAP_FAILED ? (errno == EACCES ? "refused EACCES" : "refused") : "granted");
	return 0;
}

static int do_cat(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("open %s: %s\n", path, errno == ENOENT ? "ENOENT" : strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	printf("lseek end %ld\n", (long)lseek(fd, 0, SEEK_END));
	close(fd);
	return 0;
}

static int do_clock(void)
{
	struct timespec a, b;
	unsigned char r[16];

	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return 1;
	printf("monotonic %s\n", b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)
					 ? "ok" : "backwards");
	printf("realtime after 2020 %s\n", time(NULL) > 1577836800 ? "yes" : "no");
	printf("random");
	for (int i = 0; i < 16; i++)
		printf(" %02x", r[i]);
	printf("\nnow %lld.%09ld\n", (long long)a.tv_sec, a.tv_nsec);
	return 0;
}

/* Linux gives a program 8 MiB of stack: a 1 MiB local array, then 4 MiB of frames. */
static unsigned long deep_sum(volatile char *p, unsigned n)
{
	volatile char frame[1000];

	frame[0] = (char)n;
	frame[999] = p[n % 4096];
	return n ? deep_sum(p, n - 1) + (unsigned char)frame[0] + frame[999] : 0;
}

static int do_bigstack(void)
{
	volatile char big[1 << 20];

	for (unsigned i = 0; i < sizeof(big); i += 4096)
		big[i] = (char)(i >> 12);
	printf("1 MiB on the stack: %d %d\n", big[4096], big[(1 << 20) - 4096]);
	printf("4000 frames of 1 KiB: %lu\n", deep_sum(big, 4000));
	return 0;
}

static int do_div0(int argc)
{
	volatile int zero = argc - argc, num = argc + 1000;

	return num / zero; /* both unknown to the compiler: a real idiv, #DE */
}

/* A 32-bit system call, exit(7) (Linux's IA-32 emulation would run it). */
static int do_int80(void)
{
	__asm__ volatile("int $0x80" : : "a"(1), "b"(7) : "memory");
	return 0;
}

int do_sysabi(const char *file); /* lxabi.c */
int do_fds(const char *file);	 /* lxfds.c */
int do_fdstate(void);		 /* lxfds.c */
int do_clone(const char *what);	 /* lxclone.c */
int do_pipes(void);		 /* lxpipe.c */
int do_proc(void);		 /* lxproc.c */
int do_signals(void);		 /* lxsignal.c */
int do_signal(int sig);		 /* lxsignal.c */
int do_outside(const char *mode); /* lxoutside.c */
int do_sigign(void);
int do_ptimers(void);		 /* lxtimer.c */
int do_mmapplace(void);		 /* lxvma.c */
int do_mmaprandom(unsigned long seed, int n);
int do_mremap(void);		 /* lxremap.c */
int do_timerfd(void);		 /* lxtimerfd.c */
int do_spin(void);		 /* lxtimer.c */
int do_maps(void);		 /* lxmaps.c */
int do_procself(void);		 /* lxmaps.c */
int do_procinfo(void);		 /* lxmaps.c */
int do_pipeslots(void);		 /* lxpipe.c */
int do_ptimer_fresh(void);	 /* lxtimer.c */
int do_sched(void);		 /* lxproc.c */
int do_bigio(const char *file);	 /* lxio.c */
int do_files(const char *argv0, const char *file); /* lxio.c */
int do_dirs(const char *root);			   /* lxdir.c */
int do_dirtree(const char *file);
int do_rofs(const char *root); /* lxrofs.c */
int do_locks(const char *file); /* lxlock.c */
int do_fdlinks(const char *file); /* lxfdlink.c */
int do_creds(void);		/* lxcred.c */
int do_execparent(int argc, char **argv); /* lxexec.c */
int do_execchild(int argc, char **argv, char **envp);
int do_execerrors(int argc, char **argv);
int do_fork(const char *self); /* lxfork.c */
int do_forkhold(int n);
int do_forkspin(void);
int do_preempt(void);
int do_stdinwait(void);

int main(int argc, char **argv, char **envp)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "printf"))
		return do_printf();
	if (!strcmp(what, "execparent"))
		return do_execparent(argc, argv);
	if (!strcmp(what, "execchild"))
		return do_execchild(argc, argv, envp);
	if (!strcmp(what, "execerrors"))
		return do_execerrors(argc, argv);
	if (!strcmp(what, "fork"))
		return do_fork(argc > 2 ? argv[2] : argv[0]);
	if (!strcmp(what, "forkhold") && argc > 2)
		return do_forkhold(atoi(argv[2]));
	if (!strcmp(what, "forkspin"))
		return do_forkspin();
	if (!strcmp(what, "preempt"))
		return do_preempt();
	if (!strcmp(what, "stdinwait"))
		return do_stdinwait();
	if (!strcmp(what, "args"))
		return do_args(argc, argv, envp);
	if (!strcmp(what, "upper"))
		return do_upper();
	if (!strcmp(what, "tls"))
		return do_tls();
	if (!strcmp(what, "jmp"))
		return do_jmp();
	if (!strcmp(what, "mem"))
		return do_mem();
	if (!strcmp(what, "wx"))
		return do_wx();
	if (!strcmp(what, "mmaploop"))
		return do_mmaploop();
	if (!strcmp(what, "mmapplace"))
		return do_mmapplace();
	if (!strcmp(what, "mremap"))
		return do_mremap();
	if (!strcmp(what, "timerfd"))
		return do_timerfd();
	if (!strcmp(what, "spin"))
		return do_spin();
	if (!strcmp(what, "maps"))
		return do_maps();
	if (!strcmp(what, "procself"))
		return do_procself();
	if (!strcmp(what, "procinfo"))
		return do_procinfo();
	if (!strcmp(what, "pipeslots"))
		return do_pipeslots();
	if (!strcmp(what, "mmaprandom") && argc > 3)
		return do_mmaprandom(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	if (!strcmp(what, "mmapabi"))
		return do_mmapabi();
	if (!strcmp(what, "map32"))
		return do_map32();
	if (!strcmp(what, "sysabi") && argc > 2)
		return do_sysabi(argv[2]);
	if (!strcmp(what, "fdstate"))
		return do_fdstate();
	if (!strcmp(what, "fds") && argc > 2)
		return do_fds(argv[2]);
	if (!strcmp(what, "cat") && argc > 2)
		return do_cat(argv[2]);
	if (!strcmp(what, "clock"))
		return do_clock();
	if (!strcmp(what, "mmapchurn") && argc > 2)
		return do_mmapchurn(atoi(argv[2]));
	if (!strcmp(what, "mapfile") && argc > 2)
		return do_mapfile(argv[2]);
	if (!strcmp(what, "bigstack"))
		return do_bigstack();
	if (!strcmp(what, "div0"))
		return do_div0(argc);
	if (!strcmp(what, "int80"))
		return do_int80();
	if (!strcmp(what, "pipes"))
		return do_pipes();
	if (!strcmp(what, "proc"))
		return do_proc();
	if (!strcmp(what, "sched"))
		return do_sched();
	if (!strcmp(what, "bigio") && argc > 2)
		return do_bigio(argv[2]);
	if (!strcmp(what, "files") && argc > 2)
		return do_files(argv[0], argv[2]);
	if (!strcmp(what, "dirs") && argc > 2)
		return do_dirs(argv[2]);
	if (!strcmp(what, "creds"))
		return do_creds();
	if (!strcmp(what, "locks") && argc > 2)
		return do_locks(argv[2]);
	if (!strcmp(what, "fdlinks") && argc > 2)
		return do_fdlinks(argv[2]);
	if (!strcmp(what, "rofs") && argc > 2)
		return do_rofs(argv[2]);
	if (!strcmp(what, "dirtree"))
		return do_dirtree(argc > 2 ? argv[2] : NULL);
	if (!strcmp(what, "signals"))
		return do_signals();
	if (!strcmp(what, "ptimers"))
		return do_ptimers();
	if (!strcmp(what, "ptimerfresh"))
		return do_ptimer_fresh();
	if (!strcmp(what, "sigign"))
		return do_sigign();
	if (!strcmp(what, "outside") && argc > 2)
		return do_outside(argv[2]);
	if (!strcmp(what, "signal") && argc > 2)
		return do_signal(atoi(argv[2]));
	if (!strcmp(what, "clone") && argc > 2)
		return do_clone(argv[2]);
	if (!strcmp(what, "exit"))
		return argc > 2 ? atoi(argv[2]) : 0;
	fprintf(stderr, "lxtest: printf, args, upper, tls, jmp, mem, mmaploop, mmapabi, mmapplace, "
			"mmaprandom SEED N, mremap, timerfd, spin, maps, pipeslots, map32, sysabi "
			"FILE, fds FILE, fdstate, pipes, proc, sched, bigio FILE, files FILE, dirs "
			"ROOT, dirtree [FILE], signals, signal N, outside MODE, ptimers, "
			"ptimerfresh, clone bomb|badstack|deadlock|cleartid|regs, wx, cat FILE, "
			"clock, bigstack, mmapchurn N, mapfile FILE, div0, int80, "
			"exit N, fork SELF, forkhold N, forkspin, preempt, stdinwait\n");
	return 64;
}
