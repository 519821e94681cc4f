/* SPDX-License-Identifier: MIT */
/*
 * batch.h: kvmlet_call_batch (batch.c), n guest calls in one VM entry and
 * one exit. The framing is in kvmlet_abi.h (KVMLET_MSG_BATCH); each call's
 * message is the one kvmlet_call sends.
 */
#ifndef KVMLET_BATCH_H
#define KVMLET_BATCH_H

#include "kvmlet.h"

/* Per call of a batch, kept in struct calls between batches (no allocation
 * per batch once it is large enough). */
struct batch_slot {
	int fi;	       /* export index, or -1: refused by the host, not sent */
	char why[180]; /* the host's message for a refused call */
};

#endif /* KVMLET_BATCH_H */
