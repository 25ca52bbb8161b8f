/* Time ranges, buckets, timestamps and durations (queries/timerange.h,
 * lib/timeutil.h), with round trips as the oracle. Input: one string. */
#include "config.h"
#include "lib/timeutil.h"
#include "queries/timerange.h"
#include "tests/fuzz/fz.h"

#include <stdio.h>

#define NOW INT64_C(1772161200000000000)	/* 2026-02-27T03:00:00Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_str(data, size);
	char *exact = fz_dup(data, size);
	struct ld_err err = { 0 };
	struct time_range r;
	int64_t ns, ns2, d;
	int naive;
	char buf[128];

	if (range_parse(s, NOW, &r, &err) == LD_OK) {
		if (r.start >= r.end)
			abort();
		int64_t w = bucket_auto(&r);
		if (w <= 0)
			abort();
		int64_t c = bucket_count(&r, w);
		if (c < 1 || c > 62)
			abort();
		range_format(&r, buf, sizeof buf);
		for (int64_t k = 1; k <= 4; k++)
			(void)bucket_count(&r, k * NS_PER_SEC);
	} else if (err.status != LD_EUSAGE || err.msg[0] == '\0')
		abort();
	/* (two calls with other "now"s: relative ends move with it) */
	(void)range_parse(s, INT64_MAX, &r, &err);
	(void)range_parse(s, INT64_MIN + 1, &r, &err);

	if (time_parse_iso(exact, size, &ns, &naive) == 0) {
		if (ns == TIME_NONE)
			abort();
		time_format_iso(ns, 9, buf, sizeof buf);
		if (time_parse_iso(buf, strlen(buf), &ns2, NULL) != 0 || ns2 != ns)
			abort();
		(void)time_floor(ns, NS_PER_SEC * 60);
	}
	if (duration_parse(s, &d) == 0) {
		if (d <= 0)
			abort();
		duration_format(d, buf, sizeof buf);
		if (duration_parse(buf, &ns2) != 0 || ns2 != d)
			abort();
	}
	free(exact);
	free(s);
	return 0;
}
