/* SPDX-License-Identifier: MIT */
/*
 * kvmlet_vectors.h: the exception vectors for which the CPU pushes an error
 * code (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX): bit v is set for
 * vector v; and the one interrupt kvmlet injects. The one list that the host's stubs (vmm/x86.c),
 * the guest kernel's stubs (entry.S) and its fault handler read; assembler-safe.
 */
#ifndef KVMLET_VECTORS_H
#define KVMLET_VECTORS_H

#define KVMLET_ERROR_CODE_VECTORS 0x60227d00

/* The interrupt the host injects into a Linux program's user code when its
 * kernel asks for it (bootinfo tick_*) or a signal comes from outside
 * (bootinfo sig_ext). Its entry in the kernel image (guest/kernel/entry.S) is
 * at KVMLET_TICK_ENTRY_OFF from KVMLET_KERNEL_GPA: the host's IDT has the
 * gate from the start, so a tick finds the kernel whenever it comes. */
#define KVMLET_VEC_TICK	      0x20
#define KVMLET_TICK_ENTRY_OFF 0x100

#endif
