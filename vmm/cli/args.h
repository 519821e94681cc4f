/* SPDX-License-Identifier: MIT */
/* args.h: parsing of the CLI's sizes and durations. */
#ifndef KVMLET_CLI_ARGS_H
#define KVMLET_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/*
 * parse_size: "4096", "64K", "16M", "1G", "2GiB", "512KB" (binary units, case
 * insensitive) into bytes. Returns 0, or -EINVAL for a malformed text and
 * -ERANGE when the value does not fit in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/* parse_size, and the suffix as given ("" for bytes) in unit (at most 3 bytes
 * and a NUL), so that messages can say sizes in the user's unit. */
int parse_size_unit(const char *s, uint64_t *out, char unit[4]);

/* bytes in the unit of a suffix parse_size_unit gave ("16M", "4096K", "0.5G"). */
void format_size(char *buf, size_t len, uint64_t bytes, const char *unit);

/*
 * parse_i64, parse_u64: a whole number, decimal unless it starts with 0x or
 * 0X (hexadecimal): "010" is ten. A sign only for parse_i64 ("-7", "-0x2a").
 * No spaces. Returns 0, -EINVAL malformed, -ERANGE out of range.
 */
int parse_i64(const char *s, int64_t *out);
int parse_u64(const char *s, uint64_t *out);

/*
 * parse_duration: "500ms", "2s", "1.5s", "100us", "3m", "250ns"; a bare
 * number is seconds. Into nanoseconds; 0 and negative values are refused
 * (-EINVAL), as are overflowing ones (-ERANGE).
 */
int parse_duration(const char *s, uint64_t *out_ns);

#endif /* KVMLET_CLI_ARGS_H */
