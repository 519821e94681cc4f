/* guest_linux.c: an out-of-tree libc guest, built with gcc -static (glibc) or
 * musl-gcc and kvmlet-guest-linux.pc (see install.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvmlet_linux.h>

/* join("a", "b") = "a+b", through the libc heap and snprintf. */
static int join(struct kvmlet_call *c)
{
	size_t la, lb;
	const char *a = kvmlet_arg_str(c, 0, &la), *b = kvmlet_arg_str(c, 1, &lb);
	char *s = malloc(la + lb + 2);

	if (!s)
		return kvmlet_ret_error(c, "out of memory");
	snprintf(s, la + lb + 2, "%s+%s", a, b);
	printf("joining %s and %s\n", a, b);
	int r = kvmlet_ret_str(c, s, strlen(s));
	free(s);
	return r;
}
KVMLET_EXPORT(join, "ss:s");

int main(void)
{
	if (kvmlet_serve() < 0) {
		perror("kvmlet_serve");
		return 1;
	}
	puts("run, not called");
	return 0;
}
