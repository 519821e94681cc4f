/* cases.h: the hostile attacks and their expected outcomes (suite hostile). */
#ifndef KVMLET_HOSTILE_CASES_H
#define KVMLET_HOSTILE_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NONE		 (-1)
#define ANY_EC		 (-1)
#define HOSTILE_SURVIVED 99 /* hostile.h: what an attack returns if the host let it go on */

struct hcase {
	const char *guest;   /* tests/hostile/<guest>.elf */
	const char *fn;	     /* the exported attack; NULL: the guest's main, through kvmlet_run */
	int code;	     /* what kvmlet_run or kvmlet_call returns */
	int vector;	     /* kvmlet_run only: res.vector */
	int64_t ec;	     /* kvmlet_run only: res.error_code, or ANY_EC */
	const char *needle;  /* in the message */
	const char *needle2; /* and this too (NULL: nothing more) */
	bool check_scratch;  /* the guest's scratch word afterwards is scratch */
	uint64_t scratch;
	uint64_t timeout_ms; /* 0: 60 s */
	bool exitless;	     /* with exit-less calls on (kvmlet_set_exitless) */
	int64_t value;	     /* a call that succeeds: its i64 result */
	/* Where KVM decides (see the case): this outcome instead is right too. */
	int alt_code;
	const char *alt;
};

/* The cases, in cases.c. */
extern const struct hcase hostile_cases[];
extern const size_t hostile_ncases;

/* A needle2 that test_hostile.c replaces with the IDT error code this vCPU gives. */
extern const char hostile_ec_at_run_time[];

#endif
