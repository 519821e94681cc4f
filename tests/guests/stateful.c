/*
 * Test guest for resets: state it can change in every way a guest can (a
 * counter in .data, the heap, the stack, new mappings in its page tables),
 * and functions that report what it sees.
 */
#include "kvmlet_guest.h"

static int64_t counter = 100;
static uint64_t scratch_va = 0x0000200000000000ull;

static int count(struct kvmlet_call *c)
{
	return kvmlet_ret_i64(c, ++counter);
}
KVMLET_EXPORT(count, ":i");

/* Writes a pattern over heap, stack and a freshly mapped page; returns a checksum. */
static int scribble(struct kvmlet_call *c)
{
	volatile unsigned char stack[8192];
	unsigned char *heap = kvmlet_malloc(512 << 10); /* more than the initial heap */
	uint64_t sum = 0;

	if (!heap || kvmlet_map(scratch_va, 4096, KVMLET_MAP_WRITE) < 0)
		return kvmlet_ret_error(c, "cannot scribble");
	for (size_t i = 0; i < sizeof(stack); i++)
		stack[i] = (unsigned char)kvmlet_arg_i64(c, 0);
	for (size_t i = 0; i < (512 << 10); i += 64)
		heap[i] = (unsigned char)kvmlet_arg_i64(c, 0);
	*(volatile uint64_t *)scratch_va = 0x5ec2e7;
	for (size_t i = 0; i < sizeof(stack); i++)
		sum += stack[i];
	return kvmlet_ret_i64(c, (int64_t)sum);
}
KVMLET_EXPORT(scribble, "i:i");

/* What a fresh sandbox sees: 1 if the scribbled page is mapped, and the heap's first byte. */
static int look(struct kvmlet_call *c)
{
	struct pt_translation t;
	bool mapped = pt_translate(kvmlet_pt(), scratch_va, &t) == 0;
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();

	return kvmlet_ret_i64(c, (mapped ? 1000 : 0) + *(volatile unsigned char *)bi->heap_lo);
}
KVMLET_EXPORT(look, ":i");

/* Dirties n pages of the heap (for the reset benchmark), returns n. */
static int dirty(struct kvmlet_call *c)
{
	uint64_t n = kvmlet_arg_u64(c, 0);
	const struct kvmlet_bootinfo *bi = kvmlet_bootinfo();
	volatile unsigned char *heap = (volatile unsigned char *)bi->heap_lo;

	if (n * 4096 > bi->heap_hi - bi->heap_lo)
		return kvmlet_ret_error(c, "heap too small");
	for (uint64_t i = 0; i < n; i++)
		heap[i * 4096] = 1;
	return kvmlet_ret_u64(c, n);
}
KVMLET_EXPORT(dirty, "u:u");

/* Busy for about n iterations, then returns n: a call that a cancel can race. */
static int work(struct kvmlet_call *c)
{
	uint64_t n = kvmlet_arg_u64(c, 0);
	for (volatile uint64_t i = 0; i < n; i++)
		;
	return kvmlet_ret_u64(c, n);
}
KVMLET_EXPORT(work, "u:u");

static volatile int forever = 1;
static int spin(struct kvmlet_call *c)
{
	(void)c;
	while (forever)
		__asm__ volatile("pause");
	return 0;
}
KVMLET_EXPORT(spin, ":v");

static volatile uintptr_t null_addr;
static int fault(struct kvmlet_call *c)
{
	(void)c;
	return *(volatile int *)null_addr;
}
KVMLET_EXPORT(fault, ":i");

/* Overwrites its own page-table root entry for the lower half, then faults. */
static int wreck_tables(struct kvmlet_call *c)
{
	volatile uint64_t *pml4 = (volatile uint64_t *)(kvmlet_bootinfo()->cr3 & PT_E_ADDR);
	(void)c;
	pml4[0] = 0;
	return *(volatile int *)0x200000;
}
KVMLET_EXPORT(wreck_tables, ":i");

#ifdef STATEFUL_HOST
/* The same guest with a function that calls the host's "add". */
static int host_add(struct kvmlet_call *c)
{
	struct kvmlet_value r;

	if (KVMLET_HOST_CALL(&r, "add", KVMLET_I64(kvmlet_arg_i64(c, 0)),
			     KVMLET_I64(kvmlet_arg_i64(c, 1))) < 0)
		return kvmlet_ret_error(c, r.ptr);
	return kvmlet_ret_i64(c, r.i64);
}
KVMLET_EXPORT(host_add, "ii:i");
#endif
