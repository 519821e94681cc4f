/* SPDX-License-Identifier: MIT */
/* lib.c: the library's one-time set-up: the features that handle exits
 * register here (the Linux system call layer too), before the first sandbox. */
#include <pthread.h>

#include "call.h"
#include "console.h"
#include "error.h"
#include "fault.h"
#include "lib.h"
#include "linux.h"
#include "reset.h"

static int lib_err;

static void lib_init(void)
{
	if ((lib_err = console_register_exits()) < 0 || (lib_err = fault_register_exits()) < 0 ||
	    (lib_err = call_register_exits()) < 0 || (lib_err = linux_register_exits()) < 0)
		return;
	snapshot_init();
}

int lib_ready(struct kvmlet_error *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, lib_init);
	return lib_err < 0 ? kvmlet_fail(err, lib_err, "cannot register the exit handlers") : 0;
}
