/* kvmtest.c: helpers shared by the KVM tests. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtest.h"

const char *kvmtest_kvm_untrusted(void)
{
	static char why[160];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open /dev/kvm (%s)", strerror(errno));
		return why;
	}
	close(fd);
	/* As scripts/kvm-check.sh: kvm_pvm does not run x86 faithfully. */
	if (!getenv("KVMLET_TRUST_PVM") && /* developers: quick runs on pvm, some tests fail */
	    access("/sys/module/kvm_pvm", F_OK) == 0 && access("/sys/module/kvm_intel", F_OK) &&
	    access("/sys/module/kvm_amd", F_OK))
		return "/dev/kvm is kvm_pvm, a paravirtual KVM that does not run x86 faithfully "
		       "(syscall, gates)";
	return NULL;
}

void kvmtest_require_kvm(void)
{
	const char *why = kvmtest_kvm_untrusted();

	if (why) {
		printf("SKIP: %s: these KVM tests run in suite qemu instead\n", why);
		exit(77);
	}
}

/* KVMLET_GUEST_DIR is a colon-separated list of directories holding guest ELFs. */
void *kvmtest_read_guest(const char *name, size_t *size)
{
	const char *dirs = getenv("KVMLET_GUEST_DIR");
	char path[4096];
	FILE *f = NULL;

	ck_assert_msg(dirs != NULL, "KVMLET_GUEST_DIR not set");
	for (const char *d = dirs; !f && *d;) {
		size_t n = strcspn(d, ":");
		snprintf(path, sizeof(path), "%.*s/%s.elf", (int)n, d, name);
		f = fopen(path, "rb");
		d += n + (d[n] == ':');
	}
	ck_assert_msg(f != NULL, "cannot find %s.elf in %s", name, dirs);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	ck_assert_int_ge(len, 0);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	void *buf = malloc((size_t)len + 1);
	ck_assert(buf != NULL);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*size = (size_t)len;
	return buf;
}

void kvmtest_capture(void *arg, const char *buf, size_t len)
{
	struct kvmtest_output *o = arg;
	size_t room = sizeof(o->buf) - 1 - o->len;

	if (len > room)
		len = room;
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

int kvmtest_run(const char *name, const struct kvmlet_config *cfg, struct kvmlet_result *res,
		struct kvmtest_output *out, struct kvmlet_error *err)
{
	struct kvmlet_config def;
	struct kvmlet_sandbox *sb;
	size_t size;
	void *elf = kvmtest_read_guest(name, &size);

	if (!cfg) {
		kvmlet_config_default(&def);
		cfg = &def;
	}
	int r = kvmlet_sandbox_new(&sb, elf, size, cfg, err);
	free(elf);
	ck_assert_msg(r == 0, "%s: sandbox_new: %s", name, err->msg);
	out->len = 0;
	out->buf[0] = '\0';
	kvmlet_set_output(sb, kvmtest_capture, out);
	r = kvmlet_run(sb, res, err);
	kvmlet_sandbox_free(sb);
	return r;
}

/* cfg NULL reaches kvmlet_sandbox_new as it is: the library's defaults. */
struct kvmlet_sandbox *kvmtest_sandbox(const char *name, const struct kvmlet_config *cfg)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	size_t size;
	void *elf = kvmtest_read_guest(name, &size);

	ck_assert_msg(kvmlet_sandbox_new(&sb, elf, size, cfg, &err) == 0, "%s: %s", name, err.msg);
	free(elf);
	return sb;
}

int kvmtest_main(Suite *s)
{
	SRunner *sr = srunner_create(s);

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int64_t kvmtest_call_i(struct kvmlet_sandbox *sb, const char *fn, const struct kvmlet_value *a,
		       unsigned n)
{
	struct kvmlet_value r;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_call(sb, fn, a, n, &r, &err) == 0, "%s: %s", fn, err.msg);
	return r.i64;
}

struct kvmlet_sandbox *kvmtest_ready(const char *name, const struct kvmlet_config *cfg)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox(name, cfg);
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s: %s", name, err.msg);
	return sb;
}

void kvmtest_reset(struct kvmlet_sandbox *sb)
{
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
}

int kvmtest_host_add(void *arg, const struct kvmlet_value *args, unsigned nargs,
		     struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	(void)arg, (void)nargs, (void)errmsg, (void)errlen;
	*result = kvmlet_i64(args[0].i64 + args[1].i64);
	return 0;
}
