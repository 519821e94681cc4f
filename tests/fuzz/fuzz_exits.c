/* SPDX-License-Identifier: MIT */
/*
 * fuzz_exits.c: libFuzzer target for the host's handling of every exit a
 * guest can cause (exits_handle), without KVM. One sandbox is built
 * once from an ELF made in memory, with a few host functions; each input then
 * describes one exit: a fake struct kvm_run (exit reason, I/O and MMIO
 * fields, synced registers), the phase the sandbox is in, and bytes written
 * into the guest memory the guest can write (call buffers, heap, stacks, its
 * page tables). Beyond "no crash, no read outside guest memory" (ASan), it
 * checks what the handler promises: a known result code, an error message
 * with every error, exports that passed their checks, host functions called
 * only with arguments that match their signatures.
 *
 * Input: a 96-byte header (missing bytes read as 0), then writes to guest
 * memory until the input ends: target (1), offset (2), length (2), bytes.
 */
#include <linux/elf.h> /* the ELF types, as vmm/elf_load.c uses them */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "msg.h"
#include "fuzz_util.h"

#define RUN_SIZE 4096u
#define PAGE	 4096u

static struct kvmlet_sandbox *sb;

/* --- input --- */

static void skip(struct cursor *c, size_t bytes)
{
	bytes = bytes < c->n ? bytes : c->n;
	c->p += bytes, c->n -= bytes;
}

/* --- the sandbox: an ELF built in memory, host functions that check what they get --- */

static const uint8_t code[] = {0xe6, 0xe0, 0xf4}; /* out 0xe0, al; hlt: never run */

/* One PT_LOAD, R+X, at KVMLET_IMAGE_GPA: the headers and the code above. */
struct tiny_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t code[sizeof(code)];
};

static int make_sandbox(void)
{
	struct tiny_elf f;
	struct kvmlet_config cfg;
	struct kvmlet_error err = {0};

	memset(&f, 0, sizeof(f));
	f.eh = (Elf64_Ehdr){
		.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			    EV_CURRENT},
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = KVMLET_IMAGE_GPA + offsetof(struct tiny_elf, code),
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
	};
	f.ph = (Elf64_Phdr){
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_vaddr = KVMLET_IMAGE_GPA,
		.p_paddr = KVMLET_IMAGE_GPA,
		.p_filesz = sizeof(f),
		.p_memsz = sizeof(f),
		.p_align = PAGE,
	};
	memcpy(f.code, code, sizeof(code));
	kvmlet_config_default(&cfg);
	cfg.mem_size = 4 << 20;
	cfg.stack_size = cfg.heap_size = 16 << 10;
	cfg.args_size = cfg.result_size = cfg.hostcall_size = PAGE;
	cfg.max_output = 8 << 10;
	if (kvmlet_sandbox_new(&sb, &f, sizeof(f), &cfg, &err) < 0) {
		fprintf(stderr, "fuzz_exits: %s\n", err.msg);
		return -1;
	}
	/* Linux system calls: one file to open and read; sleeps that do not wait. */
	if (kvmlet_allow_file(sb, "/proc/self/exe", "/f", &err) < 0) {
		fprintf(stderr, "fuzz_exits: %s\n", err.msg);
		return -1;
	}
	kvmlet_set_determinism(sb, 1);
	return 0;
}

/* The promise made to host functions: count, types, UTF-8, and views into the host's copy. */
static void check_args(const char *sig, const struct kvmlet_value *a, unsigned n)
{
	unsigned want;

	CHECK(msg_sig_check(sig, &want) && n == want);
	for (unsigned i = 0; i < n; i++) {
		CHECK(a[i].type == msg_letter_type(sig[i]));
		if (a[i].type != KVMLET_T_STR && a[i].type != KVMLET_T_BYTES)
			continue;
		const uint8_t *p = a[i].buf.ptr, *copy = sb->calls.hostcall_copy;
		CHECK(p >= copy && p <= copy + sb->lay.bi.hostcall_size &&
		      a[i].buf.len <= (uint64_t)(copy + sb->lay.bi.hostcall_size - p));
		CHECK(a[i].type != KVMLET_T_STR || msg_utf8_valid(p, a[i].buf.len));
	}
}

#define HOST_FN(name)                                                        \
	static int name(void *arg, const struct kvmlet_value *a, unsigned n, \
			struct kvmlet_value *res, char *errmsg, size_t errlen)

HOST_FN(fn_add)
{
	check_args(arg, a, n);
	(void)errmsg, (void)errlen;
	*res = kvmlet_i64((int64_t)((uint64_t)a[0].i64 + (uint64_t)a[1].i64));
	return 0;
}

HOST_FN(fn_echo)
{
	check_args(arg, a, n);
	(void)errmsg, (void)errlen;
	*res = a[0];
	return 0;
}

HOST_FN(fn_cat)
{
	check_args(arg, a, n);
	(void)errmsg, (void)errlen;
	*res = a[1].b ? a[0] : kvmlet_bytes(NULL, 0);
	return 0;
}

HOST_FN(fn_fail)
{
	check_args(arg, a, n);
	if (a[3].b)
		snprintf(errmsg, errlen, "failed on purpose (%lld)", (long long)a[0].i64);
	(void)res;
	return -1;
}

HOST_FN(fn_big)
{
	static uint8_t big[64 << 10];

	check_args(arg, a, n);
	(void)errmsg, (void)errlen;
	*res = kvmlet_bytes(big, sizeof(big)); /* more than the host-call buffer holds */
	return 0;
}

HOST_FN(fn_wrong)
{
	check_args(arg, a, n);
	(void)errmsg, (void)errlen;
	*res = kvmlet_str("not an i64", 10);
	return 0;
}

HOST_FN(fn_void)
{
	check_args(arg, a, n);
	(void)errmsg, (void)errlen, (void)res;
	return 0;
}

static const struct {
	const char *name, *sig;
	kvmlet_host_fn fn;
} host_fns[] = {
	{"add", "ii:i", fn_add},    {"echo", "s:s", fn_echo},
	{"cat", "yb:y", fn_cat},    {"fail", "iudb:v", fn_fail},
	{"big", ":y", fn_big},	    {"wrong", ":i", fn_wrong},
	{"m.v_0", "sy:v", fn_void}, {"f", "dddddddddddddddd:d", fn_void},
};

static volatile char out_sink;

static void out_fn(void *arg, const char *buf, size_t len)
{
	(void)arg;
	CHECK(len > 0 && len <= KVMLET_LOG_MAX);
	for (size_t i = 0; i < len; i++) /* every byte must be readable */
		out_sink ^= buf[i];
}

/* --- guest memory the guest can write, restored after each input --- */

struct region {
	uint64_t gpa, len;
	uint8_t *saved;
	bool dirty;
};

static struct region regions[6];

static void regions_init(void)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	const struct {
		uint64_t gpa, len;
	} r[6] = {
		{bi->result_buf, bi->result_size},
		{bi->hostcall_buf, bi->hostcall_size},
		{bi->heap_lo, bi->heap_hi - bi->heap_lo},
		{bi->stack_hi - PAGE, PAGE},
		{KVMLET_STACK0_GPA, PAGE},  /* where the CPU puts an exception's frame */
		{bi->tables_lo, 16 * PAGE}, /* the host's tables: user-writable */
	};

	for (unsigned i = 0; i < 6; i++) {
		regions[i] = (struct region){.gpa = r[i].gpa, .len = r[i].len};
		regions[i].saved = malloc(r[i].len);
		CHECK(regions[i].saved != NULL);
		memcpy(regions[i].saved, GUEST_PTR(&sb->gm, r[i].gpa, r[i].len), r[i].len);
	}
}

static void regions_restore(void)
{
	for (unsigned i = 0; i < 6; i++) {
		if (!regions[i].dirty)
			continue;
		memcpy(GUEST_PTR(&sb->gm, regions[i].gpa, regions[i].len), regions[i].saved,
		       regions[i].len);
		regions[i].dirty = false;
	}
}

/* The rest of the input: writes into the regions, clipped to them. */
static void write_guest(struct cursor *c)
{
	while (c->n) {
		struct region *r = &regions[get(c, 1) % 6];
		uint64_t off = get(c, 2) % r->len, len = get(c, 2);

		if (len > r->len - off)
			len = r->len - off;
		if (len > c->n)
			len = c->n;
		memcpy(GUEST_PTR(&sb->gm, r->gpa + off, len), c->p, len);
		c->p += len, c->n -= len;
		r->dirty = true;
	}
}

/* --- one exit --- */

/* A register: raw, or an interesting guest address plus a small signed offset. */
static uint64_t get_reg(struct cursor *c)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	const uint64_t bases[] = {
		0,
		bi->image_lo,
		bi->heap_lo,
		bi->args_buf,
		bi->result_buf,
		bi->hostcall_buf,
		bi->stack_hi - PAGE,
		bi->stack_hi,
		sb->lay.guard,
		bi->mem_size,
		bi->tables_lo,
		KVMLET_STACK0_GPA,
		KVMLET_BOOTINFO_GPA,
		bi->free_lo,
		0x0000800000000000ull,
		0xfffffffffffff000ull,
	};
	uint8_t mode = (uint8_t)get(c, 1);
	uint64_t v = get(c, 8);

	if (mode & 1)
		return v;
	return bases[(mode >> 1) % (sizeof(bases) / sizeof(bases[0]))] + (uint64_t)(int16_t)v;
}

static void fill_run(struct kvm_run *run, struct cursor *c)
{
	static const uint32_t reasons[] = {
		KVM_EXIT_IO,	     KVM_EXIT_IO,
		KVM_EXIT_IO,	     KVM_EXIT_IO,
		KVM_EXIT_INTR,	     KVM_EXIT_SHUTDOWN,
		KVM_EXIT_HLT,	     KVM_EXIT_MMIO,
		KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR,
		KVM_EXIT_DEBUG,	     0xffffffffu,
	};
	static const uint16_t ports[] = {
		KVMLET_PORT_EXIT,      KVMLET_PORT_LOG,	      KVMLET_PORT_ABORT,
		KVMLET_PORT_READY,     KVMLET_PORT_RETURN,    KVMLET_PORT_HOSTCALL,
		KVMLET_PORT_EXCEPTION, KVMLET_PORT_FIRST - 1, KVMLET_PORT_LAST + 1,
		KVMLET_PORT_SYSCALL,   KVMLET_PORT_SYSCALL,   KVMLET_PORT_SYSTRACE,
	};
	uint8_t b = (uint8_t)get(c, 1), port = (uint8_t)get(c, 1);
	uint64_t off;

	run->exit_reason = reasons[(b & 0xf) % (sizeof(reasons) / sizeof(reasons[0]))];
	run->io.direction = (b & 0x10) ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (b & 0x20) ? 2 : 1;
	run->io.count = (b & 0x40) ? 2 : 1;
	run->io.port = port < sizeof(ports) / sizeof(ports[0]) ? ports[port] : port;
	off = get(c, 2);
	run->io.data_offset = off == 0xffff ? UINT64_MAX : off;
	if (run->io.data_offset < RUN_SIZE)
		((uint8_t *)run)[run->io.data_offset] = (uint8_t)get(c, 1); /* the vector */
	else
		skip(c, 1);
	/* MMIO, fail-entry and internal-error share the union with io: set them only then. */
	if (run->exit_reason == KVM_EXIT_MMIO) {
		run->mmio.phys_addr = get(c, 8);
		run->mmio.is_write = (uint8_t)get(c, 1) & 1;
	} else if (run->exit_reason != KVM_EXIT_IO) {
		run->internal.suberror = (uint32_t)get(c, 4);
		skip(c, 5);
	} else {
		skip(c, 9);
	}
	struct kvm_regs *regs = &run->s.regs.regs;
	regs->rdi = get_reg(c);
	regs->rsi = get_reg(c);
	regs->rdx = get_reg(c);
	regs->rsp = get_reg(c);
	regs->rip = get_reg(c);
	/* A Linux system call: its number and the other three arguments. */
	regs->rax = get_reg(c) % 512;
	regs->r10 = get_reg(c);
	regs->r8 = get_reg(c);
	regs->r9 = get_reg(c);
}

static void reset(uint8_t flags)
{
	static const enum sb_phase phases[] = {PH_RUNNING, PH_STARTING, PH_IN_CALL};

	phase_force(&sb->phase, phases[(flags & 3) % 3]);
	sb->calls.in_host_fn = false;
	sb->con.total = (flags & 4) ? sb->cfg.max_output - 10 : 0;
	free(sb->calls.exports);
	sb->calls.exports = NULL;
	sb->calls.nexports = 0;
	sb->calls.dispatch = 0;
	sb->vcpu.sync_regs = !(flags & 8);
	sb->vcpu.fd = -1;
}

/* A host call the guest may go on from has a well-formed answer in the host-call buffer. */
static void check_reply(void)
{
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	struct msg_decoded m;
	char why[160];
	int r = msg_decode(GUEST_PTR(&sb->gm, bi->hostcall_buf, bi->hostcall_size),
			   bi->hostcall_size, KVMLET_MSG_RESULT, 1, &m, why, sizeof(why));

	CHECK(r == 0);
	if (m.status == KVMLET_STATUS_OK)
		CHECK(m.nvals <= 1);
	else
		CHECK(m.status == KVMLET_STATUS_ERROR && m.nvals == 1 &&
		      m.vals[0].type == KVMLET_T_STR && m.vals[0].buf.len > 0);
}

/* What the handler promises, whatever the exit was. */
static void check_after(int r, enum sb_phase phase, const struct kvm_run *run,
			const struct kvmlet_result *res, const struct kvmlet_error *err)
{
	CHECK(memchr(res->message, '\0', sizeof(res->message)) != NULL);
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(r == 0 || r == LOOP_CONTINUE || r == LOOP_DONE || r < 0);
	if (r < 0)
		CHECK(err->code == r && err->msg[0] != '\0');
	if (r == 0)
		CHECK(phase == PH_RUNNING && res->outcome == KVMLET_EXITED && res->message[0]);
	if (r == LOOP_DONE)
		CHECK(run->exit_reason == KVM_EXIT_IO &&
		      ((phase == PH_STARTING && run->io.port == KVMLET_PORT_READY) ||
		       (phase == PH_IN_CALL && run->io.port == KVMLET_PORT_RETURN)));
	CHECK(!sb->calls.in_host_fn);
	CHECK(sb->con.total <= sb->cfg.max_output);
	CHECK(sb->calls.nexports <= KVMLET_EXPORTS_MAX);
	for (unsigned i = 0; i < sb->calls.nexports; i++) {
		const struct kvmlet_export *e = &sb->calls.exports[i];
		unsigned nargs;

		CHECK(msg_name_check(e->name, strlen(e->name)) && msg_sig_check(e->sig, &nargs));
	}
	if (r == LOOP_CONTINUE && run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == KVMLET_PORT_HOSTCALL)
		check_reply();
	/* A system call answers a Linux result: a value, or -1..-4095 (an errno),
	 * or that the caller must wait (a pipe, epoll, poll) for at most 2^32 ms. */
	if (r == LOOP_CONTINUE && run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == KVMLET_PORT_SYSCALL && sb->vcpu.sync_regs) {
		int64_t rax = (int64_t)run->s.regs.regs.rax;
		CHECK(rax >= -4095 || (rax >= KVMLET_LX_WAIT_BASE &&
				       rax <= KVMLET_LX_WAIT_BASE + (INT64_C(1) << 32)));
		/* ... and a wait's retry is none or 1 + ms, ms a timerfd's time to go. */
		if (rax < -4095)
			CHECK(run->s.regs.regs.rdx <= (uint64_t)INT32_MAX + 1);
	}
	if (sb->calls.nexports) {
		struct pt_translation t;
		CHECK(pt_translate(&sb->gm.pt, sb->calls.dispatch, &t) == 0 &&
		      (t.prot & PT_PROT_USER) && (t.prot & PT_PROT_EXEC));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct cursor c = {data, size};
	struct kvmlet_result res = {.vector = -1};
	struct kvmlet_error err = {0};
	struct kvm_run *run;
	uint8_t flags;
	int r;

	if (!ready) {
		if (make_sandbox() < 0)
			abort();
		for (unsigned i = 0; i < sizeof(host_fns) / sizeof(host_fns[0]); i++)
			CHECK(kvmlet_register(sb, host_fns[i].name, host_fns[i].sig, host_fns[i].fn,
					      (void *)host_fns[i].sig, NULL) == 0);
		kvmlet_set_output(sb, out_fn, NULL);
		regions_init();
		ready = true;
	}
	run = calloc(1, RUN_SIZE);
	CHECK(run != NULL);
	flags = (uint8_t)get(&c, 1);
	reset(flags);
	fill_run(run, &c);
	write_guest(&c);
	sb->vcpu.run = run;
	sb->vcpu.run_size = RUN_SIZE;

	enum sb_phase phase = sb->phase.now;
	r = exits_handle(sb, &res, &err);
	check_after(r, phase, run, &res, &err);

	sb->vcpu.run = NULL; /* not ours to munmap at kvmlet_sandbox_free */
	sb->vcpu.run_size = 0;
	free(run);
	regions[1].dirty = true; /* host calls write their answer there */
	regions_restore();
	return 0;
}
