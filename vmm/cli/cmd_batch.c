/* SPDX-License-Identifier: MIT */
/*
 * cmd_batch.c: kvmlet call --batch FILE GUEST. FILE has one call per line,
 * FUNCTION ARG... (words split at blanks; "a string" may hold blanks; blank
 * lines and lines starting with # are skipped); all of them run in one VM
 * entry (kvmlet_call_batch) and each prints one line: its result, or
 * `error: MESSAGE` (with --json: {"type":...,"value":...} or {"error":"..."}).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "msg.h"

#define BATCH_FILE_MAX (64u << 20)

struct batch {
	char *text; /* the file, split in place into NUL-terminated words */
	struct kvmlet_batch_call calls[KVMLET_BATCH_MAX_CALLS];
	unsigned lines[KVMLET_BATCH_MAX_CALLS]; /* each call's line in FILE */
	struct kvmlet_value args[KVMLET_BATCH_MAX_CALLS][KVMLET_MAX_ARGS];
	void *owned[KVMLET_BATCH_MAX_CALLS][KVMLET_MAX_ARGS];
	struct kvmlet_batch_result results[KVMLET_BATCH_MAX_CALLS];
	unsigned n;
};

/* FILE ("-": stdin) as a NUL-terminated string; NULL with errno set. */
static char *read_text(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n = 0, cap = 0;
	char *buf = NULL;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			char *nb =
				cap >= BATCH_FILE_MAX ? NULL : realloc(buf, cap ? cap * 2 : 4096);
			if (!nb) {
				free(buf);
				buf = NULL;
				errno = cap >= BATCH_FILE_MAX ? EFBIG : ENOMEM;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			buf[n] = '\0';
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* The next word of the line at *p (NUL-terminated), moved past it and
 * terminated in place; NULL at the end. A word starting with " runs to the
 * next " (kept: call_parse_arg takes "text" as the string text). */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	w = s;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++)
			;
		s += *s == '"';
	}
	while (*s && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* One line's call into b->calls[b->n]; -1 to go on, or an exit status. */
static int parse_call(struct kvmlet_sandbox *sb, const struct opts *o, struct batch *b, char *fn,
		      char **p, unsigned line)
{
	const char *sig = call_export_sig(sb, fn);
	unsigned k = b->n, na = 0;
	char *w;

	b->calls[k] = (struct kvmlet_batch_call){.name = fn, .args = b->args[k]};
	b->lines[k] = line;
	while ((w = next_word(p)) != NULL) {
		if (!sig) /* kvmlet_call_batch says the function does not exist */
			continue;
		if (na >= KVMLET_MAX_ARGS || !sig[na] || sig[na] == ':')
			return die(EXIT_USAGE, "%s:%u: %s: too many arguments (`%s`)", o->batch,
				   line, fn, sig);
		int r = call_parse_arg(w, sig[na], &b->args[k][na], &b->owned[k][na]);
		if (r == -2)
			return die(EXIT_USAGE, "%s:%u: %s: argument %u: cannot read %s: %s",
				   o->batch, line, fn, na + 1, w + 1, strerror(errno));
		if (r < 0)
			return die(EXIT_USAGE, "%s:%u: %s: argument %u is '%s'; `%s` wants %s%s",
				   o->batch, line, fn, na + 1, w, sig, msg_letter_wants(sig[na]),
				   call_letter_example(sig[na]));
		na++;
	}
	if (sig && sig[na] != ':')
		return die(EXIT_USAGE, "%s:%u: %s: takes %d arguments (`%s`), got %u", o->batch,
			   line, fn, (int)msg_sig_nargs(sig), sig, na);
	b->calls[k].nargs = na;
	b->n++;
	return -1;
}

/* Every line of the file into b; -1 to go on, or an exit status. */
static int parse_batch(struct kvmlet_sandbox *sb, const struct opts *o, struct batch *b)
{
	char *p, *fn;
	unsigned line = 0;
	int st = -1;

	if (!(b->text = read_text(o->batch)))
		return die(EXIT_USAGE, "--batch: cannot read %s: %s", o->batch, strerror(errno));
	for (char *next = b->text; next && st < 0;) {
		p = next;
		if ((next = strchr(p, '\n')) != NULL)
			*next++ = '\0';
		line++;
		if ((fn = next_word(&p)) == NULL || fn[0] == '#')
			continue;
		if (b->n == KVMLET_BATCH_MAX_CALLS)
			return die(EXIT_USAGE, "%s:%u: more than %d calls in one batch", o->batch,
				   line, KVMLET_BATCH_MAX_CALLS);
		st = parse_call(sb, o, b, fn, &p, line);
	}
	if (st < 0 && b->n == 0)
		st = die(EXIT_USAGE, "--batch: %s has no calls", o->batch);
	return st;
}

static void print_error(const struct kvmlet_batch_call *c, const struct kvmlet_batch_result *r,
			bool json)
{
	char msg[400];
	int n = snprintf(msg, sizeof(msg), "%s%s%.*s", r->status == -EREMOTEIO ? c->name : "",
			 r->status == -EREMOTEIO ? ": " : "",
			 (int)(r->value.buf.len > 300 ? 300 : r->value.buf.len),
			 (const char *)r->value.buf.ptr);

	fputs(json ? "{\"error\":\"" : "error: ", stdout);
	cli_write_escaped(stdout, msg, n > 0 ? (size_t)n : 0, json);
	fputs(json ? "\"}\n" : "\n", stdout);
}

/* Run the batch o->repeat times (a reset in between), printing each result. */
static int run_batch(struct kvmlet_sandbox *sb, const struct opts *o, struct batch *b)
{
	struct kvmlet_error err;
	int r = 0;

	for (unsigned k = 0; k < o->repeat; k++) {
		uint64_t t0 = now_ns(), t1;

		if (k > 0 && (r = kvmlet_reset(sb, &err)) < 0)
			return die_run(o->guest, r, &err);
		t1 = now_ns();
		r = kvmlet_call_batch(sb, b->calls, b->n, b->results, &err);
		if (o->timing)
			fprintf(stderr, "kvmlet: batch %u: %u calls, %.1f us, reset %.1f us\n",
				k + 1, b->n, (double)(now_ns() - t1) / 1e3,
				k ? (double)(t1 - t0) / 1e3 : 0.0);
		if (r < 0)
			return die_run(o->guest, r, &err);
		for (unsigned i = 0; i < b->n; i++) {
			if (b->results[i].status < 0)
				print_error(&b->calls[i], &b->results[i], o->json);
			else if (b->results[i].value.type == KVMLET_TYPE_VOID && !o->json)
				putchar('\n'); /* one line per call */
			else
				call_print_result(&b->results[i].value, o->json);
		}
		fflush(stdout);
	}
	return r > 0 ? die(EXIT_CALL, "%s: %d of %u calls failed", o->batch, r, b->n) : 0;
}

int call_batch(struct kvmlet_sandbox *sb, const struct opts *o)
{
	struct batch *b = calloc(1, sizeof(*b));
	int st;

	if (!b)
		return die(EXIT_USAGE, "out of memory");
	if ((st = parse_batch(sb, o, b)) < 0 && (st = cli_seccomp(o)) < 0)
		st = run_batch(sb, o, b);
	for (unsigned i = 0; i < KVMLET_BATCH_MAX_CALLS; i++)
		for (unsigned j = 0; j < KVMLET_MAX_ARGS; j++)
			free(b->owned[i][j]);
	free(b->text);
	free(b);
	return st;
}
