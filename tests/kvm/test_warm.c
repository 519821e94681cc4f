/*
 * test_warm.c: warm VM shells (suite kvm, and suite qemu). kvmlet_sandbox_free
 * keeps up to VCPU_SHELLS_MAX VMs with their vCPU; a sandbox from a template,
 * or a cold start, takes one. A shell reused by a sandbox of another template must carry
 * nothing of the previous guest: registers, XSAVE/MXCSR, debug registers,
 * MSRs, pending events, mappings, memory, dirty pages. Freeing and making
 * sandboxes again and again keeps the descriptors bounded.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sandbox.h"
#include "vcpu.h"
#include "vm.h"
#include "kvmtest.h"

#define SCRATCH_VA     0x0000200000000000ull /* where isolation's map_touch maps */
#define KERNEL_GS_BASE 0xc0000102u

static struct kvmlet_template *template_of(const char *guest, uint64_t mem_size)
{
	struct kvmlet_config cfg;
	struct kvmlet_sandbox *sb;
	struct kvmlet_template *t;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	if (mem_size)
		cfg.mem_size = mem_size;
	sb = kvmtest_sandbox(guest, &cfg);
	ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s", err.msg);
	ck_assert_msg(kvmlet_template_new(&t, sb, &err) == 0, "%s", err.msg);
	kvmlet_sandbox_free(sb);
	return t;
}

static struct kvmlet_sandbox *from(struct kvmlet_template *t)
{
	struct kvmlet_sandbox *sb;
	struct kvmlet_error err;

	ck_assert_msg(kvmlet_sandbox_from_template(&sb, t, &err) == 0, "%s", err.msg);
	return sb;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int map_pa(void *arg, const struct kvmlet_mapping *m)
{
	if (m->va > SCRATCH_VA || SCRATCH_VA - m->va >= m->len)
		return 0;
	*(uint64_t *)arg = m->pa + (SCRATCH_VA - m->va);
	return 1;
}

/* What the previous user leaves in the vCPU from the host side: a debug
 * register, an MSR, a pending exception (a guest at CPL3 cannot set these). */
static void dirty_vcpu(struct kvmlet_sandbox *sb)
{
	struct kvm_debugregs d = {.db[0] = 0x1234000, .dr7 = 0x1};
	struct kvm_vcpu_events ev = {0};
	const uint32_t idx = KERNEL_GS_BASE;
	const uint64_t val = 0xfeedbeef000ull;
	struct kvmlet_error err;

	ck_assert_int_eq(ioctl(sb->vcpu.fd, KVM_SET_DEBUGREGS, &d), 0);
	ck_assert_msg(vcpu_set_msrs(&sb->vcpu, &idx, &val, 1, &err) == 0, "%s", err.msg);
	ev.exception.injected = 1;
	ev.exception.nr = 13;
	ev.exception.has_error_code = 1;
	ck_assert_int_eq(ioctl(sb->vcpu.fd, KVM_SET_VCPU_EVENTS, &ev), 0);
}

/* Nothing of dirty_vcpu is left in sb's vCPU, and it runs. */
static void no_dirty_vcpu(struct kvmlet_sandbox *sb)
{
	struct vcpu_state st;
	struct kvm_vcpu_events ev;
	struct kvmlet_error err;

	ck_assert_msg(vcpu_state_save(&sb->vcpu, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.dregs.db[0], 0);
	ck_assert_uint_eq(st.dregs.dr7 & 0xff, 0);
	for (unsigned i = 0; i < st.nmsrs; i++)
		if (st.msr[i].index == KERNEL_GS_BASE)
			ck_assert_uint_ne(st.msr[i].data, 0xfeedbeef000ull);
	ck_assert_int_eq(ioctl(sb->vcpu.fd, KVM_GET_VCPU_EVENTS, &ev), 0);
	ck_assert(!ev.exception.injected && !ev.exception.pending);
	ck_assert_int_eq(kvmtest_call_i(sb, "ping", NULL, 0), 42);
}

START_TEST(reused_shell_leaks_nothing)
{
	struct kvmlet_template *a = template_of("isolation", 0);
	struct kvmlet_template *b = template_of("isolation", 32ull << 20);
	struct kvmlet_error err;
	uint64_t pa = 0, word;

	vcpu_shell_flush();
	struct kvmlet_sandbox *sa = from(a); /* a cold VM */
	ck_assert_int_eq(kvmtest_call_i(sa, "set_state", NULL, 0), 1);
	ck_assert_int_eq(kvmtest_call_i(sa, "map_touch", NULL, 0), 0x5ec2e7);
	ck_assert_int_eq(kvmlet_memory_map(sa, map_pa, &pa, &err), 1);
	dirty_vcpu(sa);
	kvmlet_sandbox_free(sa);
	ck_assert_uint_eq(vcpu_shell_count(), 1);

	/* Another template (another memory size) on the same shell. */
	struct kvmlet_sandbox *sb = from(b);
	ck_assert_uint_eq(vcpu_shell_count(), 0);
	ck_assert_uint_eq(sb->vm.mem_size, 32ull << 20);
	/* A fresh slot: KVM's dirty log starts clean. */
	uint64_t words = sb->vm.mem_size / 4096 / 64;
	uint64_t *bitmap = calloc(words, sizeof(uint64_t));
	ck_assert_msg(vm_dirty_log(&sb->vm, bitmap, NULL, 0, &err) == 0, "%s", err.msg);
	for (uint64_t i = 0; i < words; i++)
		ck_assert_msg(bitmap[i] == 0, "page %llu dirty in a fresh slot",
			      (unsigned long long)(i * 64 + (unsigned)__builtin_ctzll(bitmap[i])));
	free(bitmap);
	/* Memory: the page A wrote is not A's in B; the mapping is gone. */
	ck_assert_int_eq(GUEST_READ(&sb->gm, pa, &word, sizeof(word)), 0);
	ck_assert_uint_ne(word, 0x5ec2e7);
	/* XSAVE (MXCSR, xmm0) and DS as B's template left them. */
	ck_assert_int_eq(kvmtest_call_i(sb, "get_state", NULL, 0), 7);
	struct kvmlet_value r;
	ck_assert_int_eq(kvmlet_call(sb, "probe", NULL, 0, &r, &err), -EFAULT);
	ck_assert_msg(strstr(err.msg, "page fault at RIP"), "%s", err.msg);
	ck_assert_msg(kvmlet_reset(sb, &err) == 0, "%s", err.msg);
	/* Debug registers and MSRs from B's template; no exception pending. */
	no_dirty_vcpu(sb);
	kvmlet_sandbox_free(sb);
	kvmlet_template_free(a);
	kvmlet_template_free(b);
}
END_TEST

/* A cold start (kvmlet_sandbox_new, then init) takes a used shell too: with
 * no descriptor made, and none of what the previous guest, or the host on
 * its behalf, left in the vCPU (XSAVE, DS, debug registers, MSRs, a pending
 * exception): a new vCPU's state, then the usual setup. */
START_TEST(cold_start_on_a_used_shell_leaks_nothing)
{
	struct kvmlet_template *t = template_of("isolation", 0);
	struct kvmlet_error err;

	for (int i = 0; i < 3; i++) {
		struct kvmlet_sandbox *sa = from(t);
		ck_assert_int_eq(kvmtest_call_i(sa, "set_state", NULL, 0), 1);
		dirty_vcpu(sa);
		kvmlet_sandbox_free(sa);
		unsigned shells = vcpu_shell_count();
		ck_assert_uint_ge(shells, 1);
		int fds = count_fds();
		struct kvmlet_sandbox *sb = kvmtest_sandbox("isolation", NULL);
		ck_assert_msg(kvmlet_init(sb, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(vcpu_shell_count(), shells - 1);
		ck_assert_int_eq(count_fds(), fds); /* the shell's two, no new VM */
		ck_assert_int_eq(kvmtest_call_i(sb, "get_state", NULL, 0), 7);
		no_dirty_vcpu(sb);
		kvmlet_sandbox_free(sb);
	}
	kvmlet_template_free(t);
}
END_TEST

/* A half-done instruction (an `ins` KVM left for us) does not travel with the shell. */
START_TEST(shell_drained_on_free)
{
	struct kvmlet_template *t = template_of("isolation", 0);
	struct kvmlet_value r;
	struct kvmlet_error err;

	for (int i = 0; i < 3; i++) {
		struct kvmlet_sandbox *sb = from(t);
		ck_assert_int_eq(kvmlet_call(sb, "ins_pending", NULL, 0, &r, &err), -EFAULT);
		kvmlet_sandbox_free(sb);
		sb = from(t);
		ck_assert_int_eq(kvmtest_call_i(sb, "ping", NULL, 0), 42);
		ck_assert_int_eq(kvmtest_call_i(sb, "get_state", NULL, 0), 7);
		kvmlet_sandbox_free(sb);
	}
	kvmlet_template_free(t);
}
END_TEST

START_TEST(pool_is_bounded)
{
	struct kvmlet_template *t = template_of("isolation", 0);
	struct kvmlet_sandbox *sbs[VCPU_SHELLS_MAX + 4];

	vcpu_shell_flush(); /* the template's sandbox's shell: now the keeper */
	ck_assert(vcpu_keeper_held());
	int fds = count_fds();
	for (unsigned i = 0; i < VCPU_SHELLS_MAX + 4; i++)
		sbs[i] = from(t);
	for (unsigned i = 0; i < VCPU_SHELLS_MAX + 4; i++)
		kvmlet_sandbox_free(sbs[i]);
	/* Eight shells of two descriptors; the rest destroyed (a keeper is there). */
	ck_assert_uint_eq(vcpu_shell_count(), VCPU_SHELLS_MAX);
	ck_assert_int_eq(count_fds(), fds + 2 * VCPU_SHELLS_MAX);
	vcpu_shell_flush();
	ck_assert_int_eq(count_fds(), fds);
	kvmlet_template_free(t);
}
END_TEST

/* The keeper is one VM descriptor for the life of the process: made once,
 * never handed out (its number stays taken while sandboxes come and go). */
START_TEST(keeper_never_handed_out)
{
	struct kvmlet_template *t = template_of("isolation", 0);

	/* A new process (check forks each test): the template's sandbox's VM is
	 * the one shell, nothing was destroyed yet. */
	ck_assert_uint_eq(vcpu_shell_count(), 1);
	ck_assert(!vcpu_keeper_held());
	struct kvmlet_sandbox *sb = from(t);
	int kept = sb->vm.fd;
	kvmlet_sandbox_free(sb);
	ck_assert_uint_eq(vcpu_shell_count(), 1);
	int fds = count_fds();
	vcpu_shell_flush(); /* the shell's vCPU descriptor closed, its VM kept */
	ck_assert(vcpu_keeper_held());
	ck_assert_uint_eq(vcpu_shell_count(), 0);
	ck_assert_int_eq(count_fds(), fds - 1);
	for (int i = 0; i < 20; i++) {
		sb = from(t);
		ck_assert_int_ne(sb->vm.fd, kept);
		ck_assert_int_eq(kvmtest_call_i(sb, "ping", NULL, 0), 42);
		kvmlet_sandbox_free(sb);
		if (i % 2)
			vcpu_shell_flush();
		ck_assert_int_ge(fcntl(kept, F_GETFD), 0);
		ck_assert_int_le(count_fds(), fds + 1);
	}
	vcpu_shell_flush();
	ck_assert_int_eq(count_fds(), fds - 1);
	kvmlet_template_free(t);
}
END_TEST

START_TEST(free_and_make_100_times)
{
	struct kvmlet_template *t = template_of("isolation", 0);
	struct kvmlet_sandbox *hold = from(t); /* a VM alive throughout */
	int fds = count_fds(), most = fds;

	for (int i = 0; i < 100; i++) {
		struct kvmlet_sandbox *sb = from(t);
		ck_assert_int_eq(kvmtest_call_i(sb, i % 2 ? "set_state" : "get_state", NULL, 0),
				 i % 2 ? 1 : 7);
		kvmlet_sandbox_free(sb);
		sb = kvmtest_sandbox("hello", NULL); /* cold ones hand their VM back too */
		kvmlet_sandbox_free(sb);
		int n = count_fds();
		most = n > most ? n : most;
	}
	ck_assert_msg(most <= fds + 2 * VCPU_SHELLS_MAX, "%d descriptors, %d before", most, fds);
	ck_assert_uint_le(vcpu_shell_count(), VCPU_SHELLS_MAX);
	kvmlet_sandbox_free(hold);
	kvmlet_template_free(t);
}
END_TEST

/* Shells made ahead (kvmlet_shells_warm) serve sandboxes from templates
 * with no VM created then, run as a used shell does (AVX, as set up for a new
 * sandbox; state from the template, not from the guest before), and the pool
 * stays bounded. */
START_TEST(warmed_shells_are_taken)
{
	struct kvmlet_template *t = template_of("isolation", 0);
	struct kvmlet_sandbox *sbs[3], *cold;
	struct kvmlet_error err;

	vcpu_shell_flush(); /* the template's sandbox's shell: now the keeper */
	cold = kvmtest_sandbox("isolation", NULL); /* a new VM: no shell kept */
	ck_assert_msg(kvmlet_init(cold, &err) == 0, "%s", err.msg);
	int fds = count_fds();
	ck_assert_int_eq(kvmlet_shells_warm(3, &err), 3);
	ck_assert_uint_eq(vcpu_shell_count(), 3);
	ck_assert_int_eq(count_fds(), fds + 6);
	ck_assert_int_eq(kvmlet_shells_warm(2, &err), 3); /* enough: nothing made */
	ck_assert_int_eq(count_fds(), fds + 6);
	int64_t avx = kvmtest_call_i(cold, "avx", NULL, 0);
	int with_cold = count_fds();
	for (unsigned i = 0; i < 3; i++) {
		sbs[i] = from(t);
		ck_assert_uint_eq(vcpu_shell_count(), 2 - i);
		ck_assert_int_eq(kvmtest_call_i(sbs[i], "ping", NULL, 0), 42);
		ck_assert_int_eq(kvmtest_call_i(sbs[i], "avx", NULL, 0), avx);
		ck_assert_int_eq(kvmtest_call_i(sbs[i], "get_state", NULL, 0), 7);
		ck_assert_int_eq(kvmtest_call_i(sbs[i], "set_state", NULL, 0), 1);
	}
	/* The shells' descriptors went to the sandboxes: none was created. */
	ck_assert_int_eq(count_fds(), with_cold);
	for (unsigned i = 0; i < 3; i++)
		kvmlet_sandbox_free(sbs[i]);
	kvmlet_sandbox_free(cold);
	fds -= 2; /* cold's VM and vCPU: a shell now */
	ck_assert_int_eq(kvmlet_shells_warm(100, &err), VCPU_SHELLS_MAX);
	ck_assert_int_eq(count_fds(), fds + 2 * VCPU_SHELLS_MAX);
	vcpu_shell_flush();
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(kvmlet_shells_warm(0, &err), 0);
	kvmlet_template_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("warm");
	TCase *tc = tcase_create("warm");

	tcase_add_test(tc, reused_shell_leaks_nothing);
	tcase_add_test(tc, shell_drained_on_free);
	tcase_add_test(tc, pool_is_bounded);
	tcase_add_test(tc, keeper_never_handed_out);
	tcase_add_test(tc, free_and_make_100_times);
	tcase_add_test(tc, warmed_shells_are_taken);
	tcase_add_test(tc, cold_start_on_a_used_shell_leaks_nothing);
	suite_add_tcase(s, tc);
	return kvmtest_main(s);
}
