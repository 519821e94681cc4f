/* SPDX-License-Identifier: MIT */
/* cmd_call.c: kvmlet call GUEST FUNCTION [ARG...], and the CLI's host functions. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "msg.h"

static int host_print(void *arg, const struct kvmlet_value *args, unsigned nargs,
		      struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	FILE *f = arg; /* stdout, or stderr with --json */

	(void)nargs, (void)result;
	if (fwrite(args[0].buf.ptr, 1, args[0].buf.len, f) != args[0].buf.len) {
		snprintf(errmsg, errlen, "cannot write the guest's output");
		return -1;
	}
	return 0;
}

static int host_now(void *arg, const struct kvmlet_value *args, unsigned nargs,
		    struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	struct timespec ts;

	(void)arg, (void)args, (void)nargs, (void)errmsg, (void)errlen;
	clock_gettime(CLOCK_REALTIME, &ts);
	*result = kvmlet_u64((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	return 0;
}

static int host_square(void *arg, const struct kvmlet_value *args, unsigned nargs,
		       struct kvmlet_value *result, char *errmsg, size_t errlen)
{
	int64_t v = args[0].i64, sq;

	(void)arg, (void)nargs;
	if (__builtin_mul_overflow(v, v, &sq)) {
		snprintf(errmsg, errlen, "%" PRId64 " squared overflows", v);
		return -1;
	}
	*result = kvmlet_i64(sq);
	return 0;
}

/* Read a whole file for an @FILE argument (caller frees). */
static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *nb = cap >= (64u << 20) ? NULL : realloc(buf, cap ? cap * 2 : 4096);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Convert text to the type letter t; *owned gets memory to free. */
int call_parse_arg(const char *text, char t, struct kvmlet_value *v, void **owned)
{
	char *end;

	errno = 0;
	switch (t) {
	case 'i':
		v->type = KVMLET_TYPE_I64;
		return parse_i64(text, &v->i64) < 0 ? -1 : 0;
	case 'u':
		v->type = KVMLET_TYPE_U64;
		return parse_u64(text, &v->u64) < 0 ? -1 : 0;
	case 'd':
		v->type = KVMLET_TYPE_F64;
		v->f64 = strtod(text, &end);
		return *text && !*end && !errno ? 0 : -1;
	case 'b':
		*v = kvmlet_bool(!strcasecmp(text, "true") || !strcmp(text, "1"));
		return !strcasecmp(text, "true") || !strcasecmp(text, "false") ||
				       !strcmp(text, "1") || !strcmp(text, "0")
			       ? 0
			       : -1;
	case 's':
		if (!strncmp(text, "s:", 2)) {
			text += 2;
		} else if (text[0] == '"' && strlen(text) >= 2 && text[strlen(text) - 1] == '"') {
			*v = kvmlet_str(text + 1, strlen(text) - 2); /* "text", quotes included */
			return 0;
		}
		*v = kvmlet_str(text, strlen(text));
		return 0;
	case 'y':
		if (!strncmp(text, "y:", 2)) {
			*v = kvmlet_bytes(text + 2, strlen(text + 2));
			return 0;
		}
		if (text[0] == '@') {
			size_t len = 0;
			if (!(*owned = slurp(text + 1, &len)))
				return -2;
			*v = kvmlet_bytes(*owned, len);
			return 0;
		}
		*v = kvmlet_bytes(text, strlen(text));
		return 0;
	default:
		return -1;
	}
}

/* An example of each letter's text, for messages. */
const char *call_letter_example(char c)
{
	switch (c) {
	case 'i':
		return " (e.g. 42, -7, 0x2a)";
	case 'u':
		return " (e.g. 42, 0x2a)";
	case 'd':
		return " (e.g. 3.5, -1e3)";
	case 'b':
		return " (true, false, 1 or 0)";
	default:
		return "";
	}
}

/* A string or bytes result as text: as is into a pipe or file, escaped on a
 * terminal, where control characters from the guest could move the cursor. */
static void print_text(const void *p, size_t n)
{
	if (isatty(STDOUT_FILENO))
		cli_write_escaped(stdout, p, n, false);
	else
		fwrite(p, 1, n, stdout);
}

void call_print_result(const struct kvmlet_value *r, bool json)
{
	if (json)
		printf("{\"type\":\"%s\",\"value\":", kvmlet_type_name(r->type));
	switch (r->type) {
	case KVMLET_TYPE_VOID:
		fputs(json ? "null" : "", stdout);
		break;
	case KVMLET_TYPE_I64:
		printf("%" PRId64, r->i64);
		break;
	case KVMLET_TYPE_U64:
		printf("%" PRIu64, r->u64);
		break;
	case KVMLET_TYPE_F64:
		if (json && !isfinite(r->f64))
			fputs("null", stdout);
		else
			printf("%.17g", r->f64);
		break;
	case KVMLET_TYPE_BOOL:
		fputs(r->b ? "true" : "false", stdout);
		break;
	case KVMLET_TYPE_STR:
		if (json) {
			putchar('"');
			cli_write_escaped(stdout, r->buf.ptr, r->buf.len, true);
			putchar('"');
		} else {
			print_text(r->buf.ptr, r->buf.len);
		}
		break;
	case KVMLET_TYPE_BYTES:
		if (json) {
			putchar('"');
			for (size_t i = 0; i < r->buf.len; i++)
				printf("%02x", ((const uint8_t *)r->buf.ptr)[i]);
			putchar('"');
		} else {
			print_text(r->buf.ptr, r->buf.len);
		}
		break;
	}
	if (json)
		putchar('}');
	if (json || r->type != KVMLET_TYPE_VOID)
		putchar('\n');
}

static int register_builtins(struct kvmlet_sandbox *sb, FILE *out, struct kvmlet_error *err)
{
	int r;

	if ((r = kvmlet_register(sb, "print", "y:v", host_print, out, err)) < 0 ||
	    (r = kvmlet_register(sb, "now_ns", ":u", host_now, NULL, err)) < 0 ||
	    (r = kvmlet_register(sb, "square", "i:i", host_square, NULL, err)) < 0)
		return r;
	return 0;
}

/* "the guest has no function named F; it exports: a (ii:i), b (s:s)". */
static int no_such_function(struct kvmlet_sandbox *sb, const char *guest, const char *fn)
{
	char list[700] = "";
	size_t len = 0;
	unsigned n = kvmlet_export_count(sb);

	for (unsigned i = 0; i < n && len < sizeof(list); i++) {
		const char *sig, *name = kvmlet_export_name(sb, i, &sig);
		int w = snprintf(list + len, sizeof(list) - len, "%s%s (%s)", i ? ", " : "", name,
				 sig);
		len += w > 0 ? (size_t)w : 0;
	}
	if (len >= sizeof(list))
		memcpy(list + sizeof(list) - 4, "...", 4);
	return die(EXIT_CALL, "%s: the guest has no function named %s; %s%s", guest, fn,
		   n ? "it exports: " : "it exports none", list);
}

/* Guest output during a call: stdout, or stderr under --json. */
static void write_out(void *arg, const char *buf, size_t len)
{
	fwrite(buf, 1, len, arg);
}

const char *call_export_sig(struct kvmlet_sandbox *sb, const char *fn)
{
	const char *sig;

	for (unsigned i = 0; i < kvmlet_export_count(sb); i++)
		if (!strcmp(kvmlet_export_name(sb, i, &sig), fn))
			return sig;
	return NULL;
}

/* Parse the ARGs by the function's signature, call, print. */
static int call_and_print(struct kvmlet_sandbox *sb, const struct opts *o, const char *fn)
{
	struct kvmlet_value args[KVMLET_MAX_ARGS], result;
	void *owned[KVMLET_MAX_ARGS] = {0};
	struct kvmlet_error err;
	const char *sig = call_export_sig(sb, fn);
	int st = -1, r;

	if (!sig)
		return no_such_function(sb, o->guest, fn);
	int want = (int)msg_sig_nargs(sig);
	if (o->noperands != want)
		return die(EXIT_USAGE, "%s: takes %d argument%s (`%s`), got %d", fn, want,
			   want == 1 ? "" : "s", sig, o->noperands);
	for (int i = 0; i < want && st < 0; i++) {
		r = call_parse_arg(o->operands[i], sig[i], &args[i], &owned[i]);
		if (r == -2)
			st = die(EXIT_USAGE, "%s: argument %d: cannot read %s: %s", fn, i + 1,
				 o->operands[i] + 1, strerror(errno));
		else if (r < 0)
			st = die(EXIT_USAGE, "%s: argument %d is '%s'; `%s` wants %s%s", fn, i + 1,
				 o->operands[i], sig, msg_letter_wants(sig[i]),
				 call_letter_example(sig[i]));
	}
	if (st < 0) /* if not yet: after start-up and @FILE arguments, before the call */
		st = cli_seccomp(o);
	for (unsigned k = 0; st < 0 && k < o->repeat; k++) {
		uint64_t t0 = now_ns(), t1;

		if (k > 0 && (r = kvmlet_reset(sb, &err)) < 0) {
			st = die_run(o->guest, r, &err);
			break;
		}
		t1 = now_ns();
		r = kvmlet_call(sb, fn, args, (unsigned)want, &result, &err);
		if (o->timing)
			fprintf(stderr, "kvmlet: call %u: %.1f us, reset %.1f us (%llu pages)\n",
				k + 1, (double)(now_ns() - t1) / 1e3,
				k ? (double)(t1 - t0) / 1e3 : 0.0,
				k ? (unsigned long long)kvmlet_last_reset_pages(sb) : 0ull);
		fflush(stdout);
		if (r < 0)
			st = die_run(o->guest, r, &err);
		else
			call_print_result(&result, o->json);
	}
	if (st < 0)
		st = 0;
	for (int i = 0; i < want; i++)
		free(owned[i]);
	return st;
}

int cmd_call(int argc, char **argv)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;
	struct opts o = {.cmd = CMD_CALL};
	int st, r;

	if ((st = parse_opts(argc, argv, &o)) >= 0 || (st = load(&o, &sb)) >= 0)
		return st;
	FILE *out = o.json ? stderr : stdout; /* --json: stdout is the one JSON document */
	kvmlet_set_output(sb, write_out, out);
	cli_setup(&o, sb);
	/* A Linux program gets argv[0], the guest's path (no other ARG: those are
	 * the function's). */
	const char *argv0[] = {o.guest};
	if (kvmlet_set_args(sb, 1, argv0, NULL, &err) < 0) {
		kvmlet_sandbox_free(sb);
		return die(EXIT_USAGE, "call: %s", err.msg);
	}
	if ((st = cli_files(&o, sb)) >= 0) {
		kvmlet_sandbox_free(sb);
		return st;
	}
	/* The seccomp filter goes in before the guest's first instruction, unless
	 * an ARG names a file: its type is known only after start-up, so it is
	 * read then and call_and_print installs the filter after it. */
	bool file_args = o.batch != NULL; /* the file is read after start-up, too */
	for (int i = 1; i < o.noperands; i++)
		file_args |= o.operands[i][0] == '@';
	if ((r = register_builtins(sb, out, &err)) < 0 || (r = kvmlet_prepare(sb, &err)) < 0 ||
	    (!file_args && (st = cli_seccomp(&o)) >= 0) || (r = kvmlet_init(sb, &err)) < 0) {
		kvmlet_sandbox_free(sb);
		return st >= 0 ? st : die_run(o.guest, r, &err);
	}
	if (o.batch) {
		st = call_batch(sb, &o);
		kvmlet_sandbox_free(sb);
		return st;
	}
	const char *fn = o.operands[0];
	o.operands++;
	o.noperands--;
	st = call_and_print(sb, &o, fn);
	kvmlet_sandbox_free(sb);
	return st;
}
