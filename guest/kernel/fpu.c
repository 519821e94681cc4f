/* SPDX-License-Identifier: MIT */
/*
 * fpu.c: the program's FPU, SSE and AVX state in a signal frame, laid out as
 * Linux lays it out: where the host turned XSAVE on (CR4.OSXSAVE, XCR0), the
 * XSAVE image of every XCR0 component with Linux's magic words (struct
 * _fpx_sw_bytes in the legacy area's software-reserved bytes, FP_XSTATE_MAGIC2
 * after the image); else the 512-byte FXSAVE image. What a frame brings back
 * is checked first, so that neither fxrstor nor xrstor can fault in ring 0:
 * MXCSR's reserved bits are dropped, the XSAVE header keeps only XCR0's
 * components and the standard format; a frame without the magic words (or
 * with a size that is not ours) restores the legacy state only, the rest
 * starting afresh, as Linux does.
 *
 * The kernel itself uses no FPU register: while it runs, the state is the
 * program's.
 */
#include "kernel.h"

#define MAGIC1	      0x46505853u /* FP_XSTATE_MAGIC1 */
#define MAGIC2	      0x46505845u /* FP_XSTATE_MAGIC2 */
#define LEGACY	      512u	  /* the FXSAVE area */
#define HEADER	      64u	  /* the XSAVE header after it */
#define SW_BYTES      464u	  /* struct _fpx_sw_bytes in the legacy area */
#define XSAVE_MAX     4096u
#define MXCSR_OFF     24u
#define MXCSR_MASK_AT 28u

static struct {
	bool probed;
	uint64_t xcr0;	/* 0: FXSAVE frames */
	uint32_t size;	/* the XSAVE image for xcr0 (CPUID 0xd.0 EBX) */
	uint32_t mxcsr_mask;
} fs;

static uint8_t buf[XSAVE_MAX] __attribute__((aligned(64)));

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Once: XSAVE or not (CPUID's OSXSAVE follows CR4), XCR0, the image's size,
 * and the MXCSR bits the CPU accepts. */
static void probe(void)
{
	uint32_t a, b, c, d, lo, hi;

	if (fs.probed)
		return;
	fs.probed = true;
	__asm__ volatile("fxsave64 %0" : "=m"(buf));
	fs.mxcsr_mask = get32(&buf[MXCSR_MASK_AT]) ? get32(&buf[MXCSR_MASK_AT]) : 0xffbf;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)))
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	if (b < LEGACY + HEADER || b + 4 > XSAVE_MAX)
		return;
	fs.xcr0 = (uint64_t)hi << 32 | lo;
	fs.size = b;
}

uint64_t fpu_frame_size(void)
{
	probe();
	return fs.xcr0 ? fs.size + 4 : LEGACY;
}

bool fpu_frame_xstate(void)
{
	probe();
	return fs.xcr0 != 0;
}

int64_t fpu_frame_save(uint64_t va)
{
	probe();
	if (!fs.xcr0) {
		__asm__ volatile("fxsave64 %0" : "=m"(buf));
		return mm_put_user(va, buf, LEGACY);
	}
	memset(&buf[LEGACY], 0, HEADER); /* XSAVE leaves what it does not write */
	__asm__ volatile("xsave64 %0"
			 : "+m"(buf)
			 : "a"((uint32_t)fs.xcr0), "d"((uint32_t)(fs.xcr0 >> 32)));
	memset(&buf[SW_BYTES], 0, LEGACY - SW_BYTES);
	put32(&buf[SW_BYTES], MAGIC1);
	put32(&buf[SW_BYTES + 4], fs.size + 4); /* extended_size */
	memcpy(&buf[SW_BYTES + 8], &fs.xcr0, 8);  /* xfeatures */
	put32(&buf[SW_BYTES + 16], fs.size);	   /* xstate_size */
	put32(&buf[fs.size], MAGIC2);
	return mm_put_user(va, buf, fs.size + 4);
}

/* The state in buf back into the CPU; xstate: buf holds a full XSAVE image. */
static void load(bool xstate)
{
	uint64_t bv;

	put32(&buf[MXCSR_OFF], get32(&buf[MXCSR_OFF]) & fs.mxcsr_mask);
	if (!fs.xcr0) {
		__asm__ volatile("fxrstor64 %0" : : "m"(buf));
		return;
	}
	/* Standard format, XCR0's components only, the reserved bytes zero;
	 * without an image, x87 and SSE from the legacy area, the rest reset. */
	memcpy(&bv, &buf[LEGACY], 8);
	bv = xstate ? bv & fs.xcr0 : 3;
	memset(&buf[LEGACY], 0, HEADER);
	memcpy(&buf[LEGACY], &bv, 8);
	__asm__ volatile("xrstor64 %0"
			 :
			 : "m"(buf), "a"((uint32_t)fs.xcr0), "d"((uint32_t)(fs.xcr0 >> 32)));
}

void fpu_frame_init(void)
{
	probe();
	memset(buf, 0, LEGACY + HEADER);
	buf[0] = 0x7f, buf[1] = 0x03; /* FCW 0x37f */
	put32(&buf[MXCSR_OFF], 0x1f80);
	load(false);
}

bool fpu_frame_restore(uint64_t va)
{
	bool xstate;

	probe();
	if (!va) {
		fpu_frame_init();
		return true;
	}
	if ((va & 15) || mm_get_user(buf, va, LEGACY) < 0)
		return false;
	xstate = fs.xcr0 && !(va & 63) && get32(&buf[SW_BYTES]) == MAGIC1 &&
		 get32(&buf[SW_BYTES + 4]) == fs.size + 4 && get32(&buf[SW_BYTES + 16]) == fs.size;
	if (xstate && (mm_get_user(buf, va, fs.size + 4) < 0 || get32(&buf[fs.size]) != MAGIC2))
		xstate = false;
	if (!xstate && mm_get_user(buf, va, LEGACY) < 0)
		return false;
	load(xstate);
	return true;
}

void fpu_save_page(void *page)
{
	probe();
	if (!fs.xcr0) {
		__asm__ volatile("fxsave64 (%0)" : : "r"(page) : "memory");
		return;
	}
	__asm__ volatile("xsave64 (%0)"
			 :
			 : "r"(page), "a"((uint32_t)fs.xcr0), "d"((uint32_t)(fs.xcr0 >> 32))
			 : "memory");
}

void fpu_load_page(const void *page)
{
	probe();
	if (!fs.xcr0) {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(page) : "memory");
		return;
	}
	__asm__ volatile("xrstor64 (%0)"
			 :
			 : "r"(page), "a"((uint32_t)fs.xcr0), "d"((uint32_t)(fs.xcr0 >> 32))
			 : "memory");
}
