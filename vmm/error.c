/* SPDX-License-Identifier: MIT */
/* error.c: failures as a negative errno plus a message; how a guest run ended. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int kvmlet_fail(struct kvmlet_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int error_errno(struct kvmlet_error *err, const char *what)
{
	int e = errno;

	return kvmlet_fail(err, e ? -e : -EIO, "%s: %s", what, strerror(e ? e : EIO));
}

int error_outcome(struct kvmlet_result *res, struct kvmlet_error *err, enum kvmlet_outcome o,
		  int code, const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	if (code)
		kvmlet_fail(err, code, "%s", res->message);
	return code;
}
