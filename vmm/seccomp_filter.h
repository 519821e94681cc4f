/* SPDX-License-Identifier: MIT */
/* seccomp_filter.h: whether kvmlet_seccomp_install has put its filter in place (seccomp.c). */
#ifndef KVMLET_SECCOMP_FILTER_H
#define KVMLET_SECCOMP_FILTER_H

#include <stdbool.h>

/* True once the filter is installed: no new threads, files or VMs after it. */
bool seccomp_installed(void);

#endif /* KVMLET_SECCOMP_FILTER_H */
