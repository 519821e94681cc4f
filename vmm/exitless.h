/* SPDX-License-Identifier: MIT */
/*
 * exitless.h: calls without exits (kvmlet_set_exitless). A thread of the
 * sandbox's own keeps its vCPU in KVM_RUN while the guest polls the call
 * ring; the caller posts calls there and polls for results (exitless.c).
 */
#ifndef KVMLET_EXITLESS_H
#define KVMLET_EXITLESS_H

struct kvmlet_sandbox;

/* Stop the thread and free what exit-less calls hold (kvmlet_sandbox_free). */
void exitless_free(struct kvmlet_sandbox *sb);

#endif /* KVMLET_EXITLESS_H */
