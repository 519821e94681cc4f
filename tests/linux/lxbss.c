/*
 * lxbss.c: a program with a 300 MiB .bss (as Fortran and C programs with
 * big static arrays have): `kvmlet run` without --memory grows the guest's
 * memory to fit it (tests/cli/cli_linux.sh).
 */
#include <stdio.h>

static char big[300 << 20];

int main(void)
{
	volatile char *p = big;

	p[0] = 1;
	p[sizeof(big) - 1] = 2;
	printf("300 MiB of .bss: %d %d %d\n", p[0], p[sizeof(big) / 2], p[sizeof(big) - 1]);
	return 0;
}
