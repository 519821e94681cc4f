/* Test guest: kvmlet_snprintf with a format and one argument from the host,
 * so that tests/kvm/test_printf.c can compare it with the host's snprintf. */
#include "kvmlet_guest.h"

static char out[2048];

static const char *str(struct kvmlet_call *c, unsigned i)
{
	size_t len;
	return kvmlet_arg_str(c, i, &len);
}

static int done(struct kvmlet_call *c, int n)
{
	size_t len = (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;
	return kvmlet_ret_str(c, out, len);
}

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int fmt_i(struct kvmlet_call *c)
{
	return done(c,
		    kvmlet_snprintf(out, sizeof(out), str(c, 0), (long long)kvmlet_arg_i64(c, 1)));
}
KVMLET_EXPORT(fmt_i, "si:s");

static int fmt_int(struct kvmlet_call *c) /* an int argument, for hh, h and no length */
{
	return done(c, kvmlet_snprintf(out, sizeof(out), str(c, 0), (int)kvmlet_arg_i64(c, 1)));
}
KVMLET_EXPORT(fmt_int, "si:s");

static int fmt_d(struct kvmlet_call *c)
{
	return done(c, kvmlet_snprintf(out, sizeof(out), str(c, 0), kvmlet_arg_f64(c, 1)));
}
KVMLET_EXPORT(fmt_d, "sd:s");

static int fmt_ld(struct kvmlet_call *c)
{
	return done(
		c, kvmlet_snprintf(out, sizeof(out), str(c, 0), (long double)kvmlet_arg_f64(c, 1)));
}
KVMLET_EXPORT(fmt_ld, "sd:s");

static int fmt_s(struct kvmlet_call *c)
{
	return done(c, kvmlet_snprintf(out, sizeof(out), str(c, 0), str(c, 1)));
}
KVMLET_EXPORT(fmt_s, "ss:s");

/* %n and %p, whose arguments the host cannot pass. */
static int fmt_misc(struct kvmlet_call *c)
{
	int n = -1;
	int r = kvmlet_snprintf(out, sizeof(out), "ab%ncd|%p|%p|%5c|%-3c|", &n, (void *)0,
				(void *)0x1234, 'x', 'y');
	r += kvmlet_snprintf(out + r, sizeof(out) - (size_t)r, "%d", n);
	return done(c, r);
}
KVMLET_EXPORT(fmt_misc, ":s");

/* Prints during a call (what kvmlet call shows), and reports what it is given. */
static int say(struct kvmlet_call *c)
{
	kvmlet_printf("guest says %s\n", str(c, 0));
	return kvmlet_ret_i64(c, 7);
}
KVMLET_EXPORT(say, "s:i");

static int fail_with(struct kvmlet_call *c)
{
	return kvmlet_ret_error(c, str(c, 0));
}
KVMLET_EXPORT(fail_with, "s:i");

static int abort_with(struct kvmlet_call *c)
{
	kvmlet_abort(str(c, 0));
}
KVMLET_EXPORT(abort_with, "s:v");

int main(void)
{
	kvmlet_printf("%.3f %e %g\n", 3.14159, 12345.678, 0.0001);
	return 0;
}
