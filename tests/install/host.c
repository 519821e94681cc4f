/* host.c: an out-of-tree host program, built with nothing but cc and
 * kvmlet.pc (see install.sh).
 *
 *   host --version      print the KVMLET_VERSION_* of the installed kvmlet.h
 *   host [--seccomp] GUEST.elf
 *                       call the guest's add(40, 2) and greet("kvmlet");
 *                       --seccomp: start the sandbox, then restrict this
 *                       process with kvmlet_seccomp_install before calling
 *
 * Exit status: 0 done, 1 usage or a failed call, 3 KVM unavailable (the one
 * line on stderr says why). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kvmlet.h>

/* Host function "shout" ("y:s"): the bytes, upper-cased. */
static int shout(void *arg, const struct kvmlet_value *args, unsigned nargs,
		 struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	char *buf = arg;
	size_t n = args[0].buf.len;

	(void)nargs;
	if (n > 63) {
		snprintf(errmsg, errlen, "too long to shout");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = ((const char *)args[0].buf.ptr)[i];
		buf[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
	}
	*result = kvmlet_str(buf, n);
	return 0;
}

static int print_export(void *arg, const char *name, const char *sig)
{
	(void)arg;
	printf("export %s %s\n", name, sig);
	return 0;
}

int main(int argc, char **argv)
{
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb = NULL;
	struct kvmlet_value args[2], res;
	struct kvmlet_error err;
	char shout_buf[64];
	int r;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%d.%d.%d\n", KVMLET_VERSION_MAJOR, KVMLET_VERSION_MINOR,
		       KVMLET_VERSION_PATCH);
		return 0;
	}
	bool seccomp = argc == 3 && !strcmp(argv[1], "--seccomp");
	if (argc != 2 + seccomp) {
		fprintf(stderr, "usage: host [--seccomp] GUEST.elf\n");
		return 1;
	}
	kvmlet_config_default(&cfg);
	/* Exports are listed from the file, before anything starts (no KVM). */
	if ((r = kvmlet_file_exports(argv[1 + seccomp], print_export, NULL, &err)) < 0)
		goto fail;
	r = kvmlet_sandbox_new_from_file(&sb, argv[1 + seccomp], &cfg, &err);
	if (r < 0)
		goto fail;
	if ((r = kvmlet_register(sb, "shout", "y:s", shout, shout_buf, &err)) < 0)
		goto fail;
	if (seccomp) {
		if ((r = kvmlet_init(sb, &err)) < 0)
			goto fail;
		r = kvmlet_seccomp_install(KVMLET_SECCOMP_ON, &err);
		if (r == -ENOSYS)
			printf("seccomp: %s\n", err.msg); /* kvmlet built without libseccomp */
		else if (r < 0)
			goto fail;
	}
	args[0] = kvmlet_i64(40);
	args[1] = kvmlet_i64(2);
	if ((r = kvmlet_call(sb, "add", args, 2, &res, &err)) < 0)
		goto fail;
	printf("add(40, 2) = %lld\n", (long long)res.i64);
	args[0] = kvmlet_str("kvmlet", 6);
	if ((r = kvmlet_call(sb, "greet", args, 1, &res, &err)) < 0)
		goto fail;
	printf("greet: %.*s\n", (int)res.buf.len, (const char *)res.buf.ptr);
	kvmlet_sandbox_free(sb);
	return 0;
fail:
	fprintf(stderr, "host: %s\n", err.msg);
	kvmlet_sandbox_free(sb);
	return r == -ENOENT || r == -EACCES || r == -ENODEV ? 3 : 1;
}
