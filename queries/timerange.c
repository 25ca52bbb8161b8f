#include "config.h"
#include "queries/timerange.h"
#include "lib/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RANGE_HINT \
	"use a duration (15m, 24h), now-1h..now or START..END in ISO 8601"
#define DUR_HINT	"use a number and a unit (30s, 5m, 1h, 1d)"

static int
range_err(struct ld_err *err, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
range_err(struct ld_err *err, int col, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(err, LD_EUSAGE, "%s", msg);
	if (err != NULL)
		err->col = col;
	return LD_EUSAGE;
}

/* s[0..n) quoted for a message: at most 48 bytes, control bytes as '?'. */
static const char *
quote(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, max = outlen - 4;

	if (max > 48)
		max = 48;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (i < n) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One end of a range at s[0..n), 1-based column col in the whole
 * expression: "now", "now-D", "now+D" or an ISO 8601 time.
 */
static int
parse_end(const char *s, size_t n, int col, const char *what, int64_t now,
    int64_t *t, struct ld_err *err)
{
	char q[64], dur[64];
	int64_t d;

	if (n == 0)
		return range_err(err, col, "range %s is missing at col %d: %s",
		    what, col, RANGE_HINT);
	if (n >= 3 && memcmp(s, "now", 3) == 0) {
		if (n == 3) {
			*t = now;
			return 0;
		}
		if (s[3] != '-' && s[3] != '+')
			return range_err(err, col, "bad range %s '%s' at col %d: "
			    "write now, now-D or now+D (now-1h)", what,
			    quote(s, n, q, sizeof q), col);
		if (n - 4 >= sizeof dur) {
			d = 0;
		} else {
			memcpy(dur, s + 4, n - 4);
			dur[n - 4] = '\0';
		}
		if (n - 4 >= sizeof dur || duration_parse(dur, &d) != 0)
			return range_err(err, col + 4, "bad duration '%s' at col "
			    "%d: %s", quote(s + 4, n - 4, q, sizeof q), col + 4,
			    DUR_HINT);
		if (s[3] == '-') {
			if (now < INT64_MIN + 1 + d)
				goto overflow;
			*t = now - d;
		} else {
			if (now > INT64_MAX - d)
				goto overflow;
			*t = now + d;
		}
		return 0;
	}
	if (time_parse_iso(s, n, t, NULL) != 0)
		return range_err(err, col, "bad range %s '%s' at col %d: not a "
		    "valid ISO 8601 time (2026-02-27T03:00:00Z)", what,
		    quote(s, n, q, sizeof q), col);
	return 0;
overflow:
	return range_err(err, col, "range %s '%s' at col %d is out of range",
	    what, quote(s, n, q, sizeof q), col);
}

int
range_parse(const char *s, int64_t now, struct time_range *out,
    struct ld_err *err)
{
	char q[64], a[40], b[40];
	const char *p, *e, *dots, *ae, *bs;
	struct time_range r;
	int64_t d, t;
	size_t n;
	int rc;

	if (s == NULL)
		s = "";
	p = s;
	e = s + strlen(s);
	while (p < e && is_space(*p))
		p++;
	while (e > p && is_space(e[-1]))
		e--;
	n = (size_t)(e - p);
	if (n == 0)
		return range_err(err, 1, "empty time range: %s", RANGE_HINT);

	dots = NULL;
	if (n >= 2)
		for (const char *c = p; c + 1 < e; c++)
			if (c[0] == '.' && c[1] == '.') {
				dots = c;
				break;
			}

	if (dots == NULL) {
		/* A lone duration: the last D. */
		if (n == 3 && memcmp(p, "now", 3) == 0)
			return range_err(err, (int)(p - s) + 1, "range 'now' is "
			    "empty: %s", RANGE_HINT);
		if (n < 40 && time_parse_iso(p, n, &t, NULL) == 0)
			return range_err(err, (int)(e - s) + 1, "range '%s' has "
			    "no end: write START..END (%s..now)",
			    quote(p, n, q, sizeof q), quote(p, n, a, sizeof a));
		if (n >= sizeof a) {
			rc = -1;
		} else {
			memcpy(a, p, n);
			a[n] = '\0';
			rc = duration_parse(a, &d);
		}
		if (rc != 0)
			return range_err(err, (int)(p - s) + 1, "bad duration "
			    "'%s' at col %d: %s, or a range START..END",
			    quote(p, n, q, sizeof q), (int)(p - s) + 1,
			    DUR_HINT);
		if (now < INT64_MIN + 1 + d)
			return range_err(err, (int)(p - s) + 1, "duration '%s' "
			    "at col %d reaches too far back",
			    quote(p, n, q, sizeof q), (int)(p - s) + 1);
		r.start = now - d;
		r.end = now;
	} else {
		ae = dots;
		while (ae > p && is_space(ae[-1]))
			ae--;
		bs = dots + 2;
		while (bs < e && is_space(*bs))
			bs++;
		if ((rc = parse_end(p, (size_t)(ae - p), (int)(p - s) + 1,
		    "start", now, &r.start, err)) != 0)
			return rc;
		if ((rc = parse_end(bs, (size_t)(e - bs), (int)(bs - s) + 1,
		    "end", now, &r.end, err)) != 0)
			return rc;
	}
	if (r.start >= r.end)
		return range_err(err, (int)(p - s) + 1, "range start is not "
		    "before its end (%s..%s): put the earlier time first",
		    time_format_iso(r.start, -1, a, sizeof a),
		    time_format_iso(r.end, -1, b, sizeof b));
	*out = r;
	return 0;
}

static const int64_t bucket_widths[] = {
	1 * NS_PER_SEC, 5 * NS_PER_SEC, 10 * NS_PER_SEC, 15 * NS_PER_SEC,
	30 * NS_PER_SEC, 60 * NS_PER_SEC, 120 * NS_PER_SEC, 300 * NS_PER_SEC,
	600 * NS_PER_SEC, 900 * NS_PER_SEC, 1800 * NS_PER_SEC,
	3600 * NS_PER_SEC, 7200 * NS_PER_SEC, 10800 * NS_PER_SEC,
	21600 * NS_PER_SEC, 43200 * NS_PER_SEC, 86400 * NS_PER_SEC,
	2 * 86400 * NS_PER_SEC, 7 * 86400 * NS_PER_SEC,
};

#define BUCKET_MAX	60

/*
 * The count is over the span, ceil((end - start) / w), so that the choice
 * does not depend on where now falls in a bucket; the aligned bucket_count
 * can be one more. Past 60 weeks the width is the least multiple of 7d
 * giving <= 60 buckets. An empty range gets 1s.
 */
int64_t
bucket_auto(const struct time_range *r)
{
	uint64_t span, w;
	size_t i;

	if (r->end <= r->start)
		return bucket_widths[0];
	span = (uint64_t)r->end - (uint64_t)r->start;
	for (i = 0; i < sizeof bucket_widths / sizeof bucket_widths[0]; i++) {
		w = (uint64_t)bucket_widths[i];
		if ((span + w - 1) / w <= BUCKET_MAX)
			return (int64_t)w;
	}
	w = (uint64_t)(7 * 86400 * NS_PER_SEC) * BUCKET_MAX;
	return (int64_t)((span + w - 1) / w) * 7 * 86400 * NS_PER_SEC;
}

int64_t
bucket_count(const struct time_range *r, int64_t width)
{
	uint64_t a, b;

	if (width <= 0 || r->end <= r->start)
		return 0;
	a = (uint64_t)time_floor(r->start, width);
	b = (uint64_t)time_floor(r->end - 1, width);
	return (int64_t)((b - a) / (uint64_t)width + 1);
}

/* Milliseconds are shown only when an end has them. */
char *
range_format(const struct time_range *r, char *out, size_t outlen)
{
	char a[40], b[40];

	snprintf(out, outlen, "%s..%s", time_format_iso(r->start, -1, a,
	    sizeof a), time_format_iso(r->end, -1, b, sizeof b));
	return out;
}
