/*
 * test_pt_guest.c: the guest's pt_translate (its backend set up from the boot
 * info: vendor and MAXPHYADDR) against the CPU's own walk of the same entry:
 * where it says corrupt the read must fault with the reserved-bit flag, where
 * it maps the page the read must work (suite kvm, guest pt_probe).
 */
#include <check.h>
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "kvmtest.h"

struct out {
	char buf[4096];
	size_t len;
};

static void capture(void *arg, const char *data, size_t len)
{
	struct out *o = arg;

	if (len > sizeof(o->buf) - 1 - o->len)
		len = sizeof(o->buf) - 1 - o->len;
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

static bool host_amd(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(0, &a, &b, &c, &d) && (b == 0x68747541u || b == 0x6f677948u);
}

/* probe(kind) in a fresh sandbox; want_rsvd: the CPU must fault, pt_translate say corrupt. */
static void probe(int kind, bool want_rsvd)
{
	struct kvmlet_sandbox *sb = kvmtest_sandbox("pt_probe", NULL);
	struct kvmlet_value a = kvmlet_i64(kind), r;
	struct kvmlet_error err;
	struct out o = {.len = 0};

	kvmlet_set_output(sb, capture, &o);
	int rc = kvmlet_call(sb, "probe", &a, 1, &r, &err);
	printf("kind %d: %s -> %s\n", kind, o.buf, rc ? err.msg : "read fine");
	if (want_rsvd) {
		ck_assert_msg(rc < 0 && strstr(err.msg, "reserved bit set"), "kind %d: %s", kind,
			      rc ? err.msg : "no fault");
		ck_assert_msg(strstr(o.buf, "translate -7\n"), "kind %d: guest said %s", kind,
			      o.buf);
	} else {
		ck_assert_msg(rc == 0, "kind %d: %s (guest: %s)", kind, err.msg, o.buf);
		ck_assert_msg(strstr(o.buf, "translate 0"), "kind %d: guest said %s", kind, o.buf);
	}
	kvmlet_sandbox_free(sb);
}

START_TEST(guest_translate_agrees_with_cpu)
{
	bool amd = host_amd();

	printf("vCPU vendor: %s\n", amd ? "AMD" : "Intel");
	probe(0, false);
	probe(1, true);	 /* an address bit at MAXPHYADDR, in a PTE */
	probe(2, amd);	 /* PML4E bit 8 */
	probe(3, false); /* non-leaf PDE bit 8 */
	probe(4, true);	 /* an address bit at MAXPHYADDR, in a PDPTE */
	probe(5, false); /* PML4[510] = PML4 */
}
END_TEST

int main(void)
{
	kvmtest_require_kvm();
	Suite *s = suite_create("pt_guest");
	TCase *tc = tcase_create("pt_guest");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, guest_translate_agrees_with_cpu);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
