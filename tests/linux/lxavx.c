/*
 * lxavx: AVX in a Linux program (built with -mavx2 -mfma, as -march=x86-64-v3
 * builds are), compared byte for byte with Linux by tests/cli/cli_linux.sh:
 * what CPUID offers, AVX2 and FMA arithmetic, the signal frame's XSAVE image
 * (UC_FP_XSTATE, Linux's magic words), and a fault handler that uses the YMM
 * registers leaving those of the code it interrupted as they were.
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile int flags_xstate = -1, magic_ok = -1;

/* Steps over the 2-byte `mov (%rax),%eax`, its YMM registers used meanwhile. */
static void segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	const uint32_t *fx = (const uint32_t *)uc->uc_mcontext.fpregs;

	(void)sig, (void)si;
	flags_xstate = (int)(uc->uc_flags & 1);
	/* struct _fpx_sw_bytes at byte 464: magic1, extended_size, xfeatures, xstate_size */
	magic_ok = fx && fx[116] == 0x46505853u &&
		   *(const uint32_t *)((const char *)fx + fx[116 + 4]) == 0x46505845u;
	__asm__ volatile("vpcmpeqd %%ymm3, %%ymm3, %%ymm3" : : : "xmm3");
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

int main(void)
{
	__builtin_cpu_init();
	printf("avx %d avx2 %d fma %d\n", !!__builtin_cpu_supports("avx"),
	       !!__builtin_cpu_supports("avx2"), !!__builtin_cpu_supports("fma"));
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return 0;

	__m256i acc = _mm256_setzero_si256();
	for (int i = 0; i < 1000; i += 8)
		acc = _mm256_add_epi32(acc, _mm256_setr_epi32(i, i + 1, i + 2, i + 3, i + 4, i + 5,
							      i + 6, i + 7));
	int lanes[8], sum = 0;
	_mm256_storeu_si256((__m256i *)lanes, acc);
	for (int i = 0; i < 8; i++)
		sum += lanes[i];
	double d[4];
	_mm256_storeu_pd(d, _mm256_fmadd_pd(_mm256_set1_pd(1.5), _mm256_set1_pd(2.0),
					     _mm256_set1_pd(0.25)));
	printf("avx2 sum %d, fma %.2f\n", sum, d[3]);

	struct sigaction sa = {0};
	sa.sa_sigaction = segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	const double pattern = 1234.5;
	double hi = 0;
	__asm__ volatile("vbroadcastsd %1, %%ymm3\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov (%%rax), %%eax\n\t"
			 "vextractf128 $1, %%ymm3, %%xmm4\n\t"
			 "vmovsd %%xmm4, %0"
			 : "=m"(hi)
			 : "m"(pattern)
			 : "rax", "xmm3", "xmm4", "memory");
	printf("frame: UC_FP_XSTATE %d, magic words %d; ymm3 kept across the handler: %d\n",
	       flags_xstate, magic_ok, hi == pattern);
	return 0;
}
