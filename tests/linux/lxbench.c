/*
 * lxbench: a static musl program that bench_kvm times under kvmlet (its
 * "Linux guests" rows). No argument: print "hello" and exit (a cold start);
 * "write N": N one-byte write(2)s to standard output (each one exit to the
 * host); "mmap N": N times mmap one anonymous page, touch it, munmap it
 * (served by kvmlet's guest kernel, no exit); "exec N": execve itself as
 * /lxbench with N - 1, N times in a row (bench_kvm allows the file there);
 * "fork N": N times fork a child that exits at once, and wait for it.
 * The time of N operations less the time of 0 is theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	if (argc < 2) {
		printf("hello\n");
		return 0;
	}
	if (!strcmp(argv[1], "write")) {
		for (long i = 0; i < n; i++)
			if (write(1, "x", 1) != 1)
				return 1;
		return 0;
	}
	if (!strcmp(argv[1], "mmap")) {
		for (long i = 0; i < n; i++) {
			volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				return 2;
			p[0] = 1;
			if (munmap((void *)p, 4096) < 0)
				return 3;
		}
		return 0;
	}
	if (!strcmp(argv[1], "exec")) {
		char next[24];
		if (n <= 0)
			return 0;
		snprintf(next, sizeof(next), "%ld", n - 1);
		execl("/lxbench", "lxbench", "exec", next, (char *)NULL);
		return 5;
	}
	if (!strcmp(argv[1], "fork")) {
		for (long i = 0; i < n; i++) {
			int st;
			pid_t c = fork();
			if (c == 0)
				_exit(0);
			if (c < 0 || waitpid(c, &st, 0) != c || st != 0)
				return 6;
		}
		return 0;
	}
	return 4;
}
