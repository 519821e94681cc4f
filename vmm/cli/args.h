/* SPDX-License-Identifier: MIT */
/* args.h: parsing of the CLI's sizes and durations. */
#ifndef KVMLET_CLI_ARGS_H
#define KVMLET_CLI_ARGS_H

#include <stdint.h>

/*
 * parse_size: "4096", "64K", "16M", "1G", "2GiB", "512KB" (binary units, case
 * insensitive) into bytes. Returns 0, or -EINVAL for a malformed text and
 * -ERANGE when the value does not fit in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/*
 * parse_duration: "500ms", "2s", "1.5s", "100us", "3m", "250ns"; a bare
 * number is seconds. Into nanoseconds; 0 and negative values are refused
 * (-EINVAL), as are overflowing ones (-ERANGE).
 */
int parse_duration(const char *s, uint64_t *out_ns);

#endif /* KVMLET_CLI_ARGS_H */
