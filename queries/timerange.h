/* Time ranges and bucket widths (DESIGN §3). */
#ifndef LD_TIMERANGE_H
#define LD_TIMERANGE_H
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

/* A resolved range [start, end) in ns. */
struct time_range {
	int64_t	start;
	int64_t	end;
};

/* Parse a range expression, resolved against now (ns):
 *   "15m" "24h" "7d"              the last duration: [now-d, now)
 *   "now-1h..now" "now-2h..now-1h" relative ends
 *   "START..END"                  ISO 8601 ends (naive = UTC), either end may
 *                                 be "now" or "now-D" (or "now+D")
 * Spaces around the expression and around ".." are allowed. "now" alone
 * is an error. Errors: LD_EUSAGE with a message naming the part that is
 * wrong and the column (err->col, 1-based). start must be < end. *out is
 * written only on success. */
int	range_parse(const char *s, int64_t now, struct time_range *out, struct ld_err *err);

/* Automatic bucket width: the smallest of 1s 5s 10s 15s 30s 1m 2m 5m 10m
 * 15m 30m 1h 2h 3h 6h 12h 1d 2d 7d whose bucket count over the range is
 * <= 60 (about 60 buckets). The count is ceil((end - start) / w), so the
 * choice does not depend on alignment (15m -> 15s, 1h -> 1m, 24h -> 30m,
 * 7d -> 3h); the aligned bucket_count may be one more. Past 420 days: the
 * least multiple of 7d that gives <= 60. */
int64_t	bucket_auto(const struct time_range *r);

/* Number of aligned buckets covering [start, end): from
 * time_floor(start, w) to the bucket containing end-1. */
int64_t	bucket_count(const struct time_range *r, int64_t width);

/* Format the range as "START..END" ISO 8601 UTC into out (>= 64 bytes). */
char	*range_format(const struct time_range *r, char *out, size_t outlen);

#endif
