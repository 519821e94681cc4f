/* SPDX-License-Identifier: MIT */
/*
 * test_linux_maps.c: /proc/self/maps as vmm/linux_maps.c writes it, from a
 * sandbox's host-built page tables (no KVM needed): Linux's line format,
 * ascending and non-overlapping runs, the image named as /proc/self/exe with
 * its file offset, [stack] at the top of memory; and any window of the text
 * (every piece size, every offset, past the end) reads what the whole does.
 * /proc/meminfo from the guest kernel's page bitmap, in Linux's columns;
 * /proc/mounts, mountinfo and uptime, read whole and in pieces.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/elf.h>
#include <stdio.h>
#include <string.h>

#include "linux_sys.h"

#define PAGE 4096u

static struct kvmlet_sandbox *sb;
static char whole[1 << 16];
static int64_t whole_len;

/* One R+X PT_LOAD at KVMLET_IMAGE_GPA holding the headers and `hlt`. */
static void setup(void)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		uint8_t code[1];
	} f = {
		.eh = {.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				   EV_CURRENT},
		       .e_type = ET_EXEC,
		       .e_machine = EM_X86_64,
		       .e_version = EV_CURRENT,
		       .e_entry = KVMLET_IMAGE_GPA + offsetof(__typeof__(f), code),
		       .e_phoff = sizeof(Elf64_Ehdr),
		       .e_ehsize = sizeof(Elf64_Ehdr),
		       .e_phentsize = sizeof(Elf64_Phdr),
		       .e_phnum = 1},
		.ph = {.p_type = PT_LOAD,
		       .p_flags = PF_R | PF_X,
		       .p_vaddr = KVMLET_IMAGE_GPA,
		       .p_paddr = KVMLET_IMAGE_GPA,
		       .p_filesz = sizeof(f),
		       .p_memsz = sizeof(f),
		       .p_align = PAGE},
		.code = {0xf4},
	};
	const char *argv[] = {"/bin/./prog", NULL};
	struct kvmlet_config cfg;
	struct kvmlet_error err;

	kvmlet_config_default(&cfg);
	cfg.mem_size = 8 << 20;
	ck_assert_msg(kvmlet_sandbox_new(&sb, &f, sizeof(f), &cfg, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(kvmlet_set_args(sb, 1, argv, NULL, &err), 0);
	whole_len = lxs_proc_read(&(struct sys){.sb = sb, .lx = sb->lx}, LX_NODE_MAPS, whole,
				  sizeof(whole) - 1, 0);
	ck_assert_int_gt(whole_len, 0);
	ck_assert_int_lt(whole_len, sizeof(whole) - 1);
	whole[whole_len] = 0;
}

static void teardown(void)
{
	kvmlet_sandbox_free(sb);
}

START_TEST(lines_are_linux_s)
{
	uint64_t prev_hi = 0;
	int image = 0, stack = 0;
	char *save = NULL;

	for (char *l = strtok_r(whole, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		uint64_t lo, hi, off, ino;
		char perm[5], name[256] = "";
		int n = sscanf(l, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " 00:00 %" SCNu64 " %255s",
			       &lo, &hi, perm, &off, &ino, name);
		ck_assert_msg(n >= 5, "not a maps line: %s", l);
		ck_assert_msg(lo < hi && lo >= prev_hi && !(lo % PAGE) && !(hi % PAGE), "%s", l);
		ck_assert_msg(perm[0] == 'r' && perm[3] == 'p', "%s", l);
		prev_hi = hi;
		if (n == 6 && !strcmp(name, "/bin/prog")) {
			ck_assert_msg(lo == KVMLET_IMAGE_GPA && !strcmp(perm, "r-xp") && off == 0,
				      "%s", l);
			ck_assert_int_eq(strlen(l) - strlen(name), 72); /* Linux's name column */
			image++;
		}
		if (n == 6 && !strcmp(name, "[stack]")) {
			ck_assert_msg(!strcmp(perm, "rw-p") && hi == sb->lay.bi.stack_hi, "%s", l);
			stack++;
		}
		if (n == 5)
			ck_assert_msg(l[strlen(l) - 1] == ' ',
				      "an unnamed line ends as Linux's: %s", l);
	}
	ck_assert_int_eq(image, 1);
	ck_assert_int_eq(stack, 1);
}
END_TEST

START_TEST(any_window_reads_the_same)
{
	struct sys s = {.sb = sb, .lx = sb->lx};
	static char got[1 << 16];

	/* In pieces of every size from 1 to 97 bytes, each from where the last ended. */
	for (uint64_t piece = 1; piece <= 97; piece++) {
		int64_t n, at = 0;
		while ((n = lxs_proc_read(&s, LX_NODE_MAPS, got + at, piece, (uint64_t)at)) > 0)
			at += n;
		ck_assert_int_eq(n, 0);
		ck_assert_int_eq(at, whole_len);
		ck_assert_msg(!memcmp(got, whole, (size_t)whole_len), "pieces of %d", (int)piece);
	}
	/* From every offset, 10 bytes; at and past the end, nothing. */
	for (int64_t off = 0; off < whole_len; off++) {
		int64_t want = whole_len - off < 10 ? whole_len - off : 10;
		ck_assert_int_eq(lxs_proc_read(&s, LX_NODE_MAPS, got, 10, (uint64_t)off), want);
		ck_assert(!memcmp(got, whole + off, (size_t)want));
	}
	ck_assert_int_eq(lxs_proc_read(&s, LX_NODE_MAPS, got, 10, (uint64_t)whole_len), 0);
	ck_assert_int_eq(lxs_proc_read(&s, LX_NODE_MAPS, got, 10, UINT64_MAX - 3), 0);
}
END_TEST

/* The text of node, read in pieces of 3 bytes; its length. */
static int64_t read_pieces(struct sys *s, int node, char *out, size_t size)
{
	int64_t at = 0, n;

	while ((size_t)at < size - 1 &&
	       (n = lxs_proc_read(s, node, out + at,
				  size - 1 - (size_t)at < 3 ? size - 1 - (size_t)at : 3,
				  (uint64_t)at)) > 0)
		at += n;
	out[at] = 0;
	return at;
}

START_TEST(meminfo_counts_the_kernels_free_pages)
{
	struct sys s = {.sb = sb, .lx = sb->lx};
	const struct kvmlet_bootinfo *bi = &sb->lay.bi;
	uint64_t n = (bi->free_hi - bi->free_lo) / PAGE;
	uint64_t *map = GUEST_PTR(&sb->gm, bi->pmap_lo, (n + 63) / 64 * 8);
	char text[1024], want[64];

	ck_assert_ptr_nonnull(map);
	ck_assert_uint_gt(n, 100);
	memset(map, 0, (n + 63) / 64 * 8);
	map[0] = 0x3ff;				     /* 10 pages in use */
	map[(n - 1) / 64] |= 1ull << ((n - 1) % 64); /* and the last */
	if (n % 64)
		map[(n - 1) / 64] |= ~0ull << (n % 64); /* bits past the end count for nothing */
	ck_assert_int_gt(read_pieces(&s, LX_NODE_MEMINFO, text, sizeof(text)), 0);
	snprintf(want, sizeof(want), "MemTotal:       %8u kB\n", 8192u);
	ck_assert_msg(!strncmp(text, want, strlen(want)), "%s", text);
	snprintf(want, sizeof(want), "\nMemFree:        %8" PRIu64 " kB\n", (n - 11) * 4);
	ck_assert_msg(strstr(text, want), "want %s in %s", want, text);
	snprintf(want, sizeof(want), "\nMemAvailable:   %8" PRIu64 " kB\n", (n - 11) * 4);
	ck_assert_msg(strstr(text, want), "want %s in %s", want, text);
	ck_assert_msg(strstr(text, "\nSwapTotal:             0 kB\n"), "%s", text);
	for (const char *l = text; *l; l = strchr(l, '\n') + 1)
		ck_assert_msg(strchr(l, ':') - l < 16 && !strncmp(l + 24, " kB\n", 4), "%s", l);
}
END_TEST

START_TEST(mounts_and_uptime)
{
	struct sys s = {.sb = sb, .lx = sb->lx};
	char text[512];
	unsigned long long sec;
	unsigned cs;
	char tail[16];

	read_pieces(&s, LX_NODE_MOUNTS, text, sizeof(text));
	ck_assert_str_eq(text, "kvmlet / tmpfs ro,relatime 0 0\n");
	read_pieces(&s, LX_NODE_MOUNTINFO, text, sizeof(text));
	ck_assert_str_eq(text, "1 1 0:0 / / ro,relatime - tmpfs kvmlet ro\n");
	ck_assert_int_eq(lxs_proc_read(&s, LX_NODE_MOUNTS, text, 10, 1000), 0);
	int64_t n = lxs_proc_read(&s, LX_NODE_UPTIME, text, sizeof(text) - 1, 0);
	ck_assert_int_gt(n, 0);
	text[n] = 0;
	ck_assert_msg(sscanf(text, "%llu.%2u %15s", &sec, &cs, tail) == 3 && cs < 100 &&
			      !strcmp(tail, "0.00") && strchr(text, '\n')[1] == 0,
		      "%s", text);
}
END_TEST

START_TEST(proc_file_names)
{
	static const struct {
		const char *path;
		int node;
	} cases[] = {
		{"/proc/self/maps", LX_NODE_MAPS},
		{"/proc/1/cmdline", LX_NODE_CMDLINE},
		{"/proc/thread-self/environ", LX_NODE_ENVIRON},
		{"/proc/mounts", LX_NODE_MOUNTS},
		{"/proc/self/mounts", LX_NODE_MOUNTS},
		{"/proc/1/mountinfo", LX_NODE_MOUNTINFO},
		{"/proc/meminfo", LX_NODE_MEMINFO},
		{"/proc/uptime", LX_NODE_UPTIME},
		/* not files kvmlet provides */
		{"/proc/self/meminfo", 0},
		{"/proc/mountinfo", 0},
		{"/proc/maps", 0},
		{"/proc/2/maps", 0},
		{"/proc/uptimes", 0},
		{"/proc/meminfo/", 0},
		{"/proc/", 0},
		{"/proc", 0},
		{"/proc/self/", 0},
		{"/proc/self", 0},
		{"/procmeminfo", 0},
		{"/dev/proc/meminfo", 0},
		{"", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(lxs_proc_file(cases[i].path) == cases[i].node, "%s: %d, want %d",
			      cases[i].path, lxs_proc_file(cases[i].path), cases[i].node);

	/* A walk that goes on past one of them is ENOTDIR, as Linux's; one that
	 * only passes through /proc/self or comes back is not. */
	static const struct {
		const char *path;
		int r;
	} walks[] = {
		{"/proc/meminfo/", -ENOTDIR},
		{"/proc/self/maps/.", -ENOTDIR},
		{"/proc/mounts/x", -ENOTDIR},
		{"/proc//uptime//..", -ENOTDIR},
		{"/proc/1/mountinfo/../mounts", -ENOTDIR},
		{"/proc/meminfo", 0},
		{"/proc/self/../self/maps", 0},
		{"/proc/./meminfo", 0},
		{"/proc/meminfox/", 0},
		{"/dev/null/", 0},
	};
	struct sys sy = {.sb = sb, .lx = sb->lx};
	struct lx_link l;
	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++)
		ck_assert_msg(lxs_fd_link(&sy, G_AT_FDCWD, walks[i].path, &l, NULL, NULL) ==
				      walks[i].r,
			      "%s", walks[i].path);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("linux_maps");
	TCase *tc = tcase_create("maps");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lines_are_linux_s);
	tcase_add_test(tc, any_window_reads_the_same);
	tcase_add_test(tc, meminfo_counts_the_kernels_free_pages);
	tcase_add_test(tc, mounts_and_uptime);
	tcase_add_test(tc, proc_file_names);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
