/* SPDX-License-Identifier: MIT */
/* fault.h: exceptions the ring-0 stubs report, in words (fault.c). */
#ifndef KVMLET_FAULT_H
#define KVMLET_FAULT_H

/* Register the exception port (library initialisation). */
int fault_register_exits(void);

#endif /* KVMLET_FAULT_H */
