#include "config.h"
#include "tests/unit/tap.h"
#include "lib/timeutil.h"
#include "queries/timerange.h"

#include <stdint.h>
#include <stdlib.h>

/* 2026-02-27T03:00:00Z, checked with Python's datetime. */
#define T0	INT64_C(1772161200)
#define S(x)	((int64_t)(x) * NS_PER_SEC)
#define MIN(x)	S((int64_t)(x) * 60)
#define HOUR(x)	S((int64_t)(x) * 3600)
#define DAY(x)	S((int64_t)(x) * 86400)

static int
parse(const char *s, int64_t *ns, int *naive)
{
	*ns = 0;
	*naive = -1;
	return time_parse_iso(s, strlen(s), ns, naive);
}

static void
accepts(const char *s, int64_t want, int want_naive)
{
	int64_t ns;
	int naive, rc;

	rc = parse(s, &ns, &naive);
	ok(rc == 0 && ns == want && naive == want_naive,
	    "parse '%s' (rc %d ns %lld naive %d)", s, rc, (long long)ns, naive);
}

static void
refuses(const char *s)
{
	int64_t ns;
	int naive;

	ok(parse(s, &ns, &naive) == -1, "refuse '%s'", s);
}

static void
test_parse(void)
{
	int64_t ns;
	int naive;

	/* Every accepted form. */
	accepts("2026-02-27T03:00:00Z", S(T0), 0);
	accepts("2026-02-27t03:00:00z", S(T0), 0);
	accepts("2026-02-27 03:00:00Z", S(T0), 0);
	accepts("2026-02-27T03:00Z", S(T0), 0);
	accepts("2026-02-27T03:00", S(T0), 1);
	accepts("2026-02-27T03:00:00", S(T0), 1);
	accepts("2026-02-27 03:00:00", S(T0), 1);
	accepts("2026-02-27", S(T0) - HOUR(3), 1);
	accepts("2026-02-27T03:00:00+00:00", S(T0), 0);
	accepts("2026-02-27T03:00:00-00:00", S(T0), 0);
	accepts("2026-02-27T08:30:00+05:30", S(T0), 0);
	accepts("2026-02-27T08:30:00+0530", S(T0), 0);
	accepts("2026-02-27T05:00:00+02", S(T0), 0);
	accepts("2026-02-26T22:00:00-05:00", S(T0), 0);
	accepts("2026-02-26T22:00:00-0500", S(T0), 0);
	accepts("2026-02-26T22:00-05", S(T0), 0);
	accepts("2026-02-27T03:00:00.5Z", S(T0) + 500000000, 0);
	accepts("2026-02-27T03:00:00,5Z", S(T0) + 500000000, 0);
	accepts("2026-02-27T03:00:00.123Z", S(T0) + 123000000, 0);
	accepts("2026-02-27T03:00:00.123456Z", S(T0) + 123456000, 0);
	accepts("2026-02-27T03:00:00.123456789Z", S(T0) + 123456789, 0);
	accepts("2026-02-27T03:00:00.123456789999Z", S(T0) + 123456789, 0);
	accepts("2026-02-27T03:00:00.000000001", S(T0) + 1, 1);
	accepts("2026-02-27T03:00:00.25+01:00", S(T0) - HOUR(1) + 250000000, 0);
	/* Leap second: :60 reads as :59.999999999 of the same minute. */
	accepts("2016-12-31T23:59:60Z", S(INT64_C(1483228800)) - 1, 0);
	accepts("2016-12-31T23:59:60.5Z", S(INT64_C(1483228800)) - 1, 0);
	/* Calendar: leap years, month ends, the epoch, before it. */
	accepts("2024-02-29T00:00:00Z", S(INT64_C(1709164800)), 0);
	accepts("2000-02-29T00:00:00Z", S(INT64_C(951782400)), 0);
	accepts("2000-03-01T00:00:00Z", S(INT64_C(951868800)), 0);
	accepts("2026-12-31T23:59:59Z", S(INT64_C(1798761599)), 0);
	accepts("1970-01-01T00:00:00Z", 0, 0);
	accepts("1969-12-31T23:59:59Z", S(-1), 0);
	accepts("1969-12-31T23:59:59.999999999Z", -1, 0);
	accepts("1900-01-01T00:00:00Z", S(INT64_C(-2208988800)), 0);
	/* The ends of the int64 ns range. */
	accepts("2262-04-11T23:47:16.854775807Z", INT64_MAX, 0);
	accepts("1677-09-21T00:12:43.145224193Z", INT64_MIN + 1, 0);
	refuses("2262-04-11T23:47:16.854775808Z");
	refuses("1677-09-21T00:12:43.145224192Z");	/* TIME_NONE */
	refuses("0000-01-01T00:00:00Z");
	refuses("9999-12-31T23:59:59Z");

	/* Refused. */
	refuses("");
	refuses("2026-02-30");
	refuses("2026-02-30T00:00:00Z");
	refuses("2025-02-29T00:00:00Z");
	refuses("1900-02-29T00:00:00Z");
	refuses("2026-04-31T00:00:00Z");
	refuses("2026-00-10T00:00:00Z");
	refuses("2026-13-01T00:00:00Z");
	refuses("2026-01-00T00:00:00Z");
	refuses("2026-02-27T25:00:00Z");
	refuses("2026-02-27T24:00:00Z");
	refuses("2026-02-27T03:60:00Z");
	refuses("2026-02-27T03:00:61Z");
	refuses("2026-2-27T03:00:00Z");
	refuses("2026-02-27T3:00:00Z");
	refuses("2026-02-27T03:0:00Z");
	refuses("2026-02-27T03:00:0Z");
	refuses("2026-02-27T03");
	refuses("2026-02-27T");
	refuses("2026-02-27 ");
	refuses("2026-02-27X03:00:00Z");
	refuses("2026-02-27T03:00:00ZZ");
	refuses("2026-02-27T03:00:00Z ");
	refuses("2026-02-27T03:00:00 Z");
	refuses("2026-02-27T03:00:00.Z");
	refuses("2026-02-27T03:00:00.");
	refuses("2026-02-27T03:00:00.12a");
	refuses("2026-02-27T03:00.5Z");
	refuses("2026-02-27T03:00:00+5");
	refuses("2026-02-27T03:00:00+05:");
	refuses("2026-02-27T03:00:00+05:3");
	refuses("2026-02-27T03:00:00+24:00");
	refuses("2026-02-27T03:00:00+05:60");
	refuses("2026-02-27T03:00:00+05:30x");
	refuses("2026-02-27T03:00:00junk");
	refuses("2026-02-27Z");
	refuses("20260227T030000Z");
	refuses("2026/02/27");
	refuses("x026-02-27");
	refuses("-2026-02-27");
	refuses("now");

	/* n bounds the input: no reading past it, no partial parse. */
	ok(time_parse_iso("2026-02-27T03:00:00Zjunk", 20, &ns, &naive) == 0 &&
	    ns == S(T0) && naive == 0, "parse stops at n");
	ok(time_parse_iso("2026-02-27T03:00:00Z", 19, &ns, &naive) == 0 &&
	    naive == 1, "n before the zone: naive");
	ok(time_parse_iso("2026-02-27", 9, &ns, &naive) == -1, "n short");
	ok(time_parse_iso("2026-02-27T03:00:00Z", 20, &ns, NULL) == 0,
	    "naive may be NULL");
}

static void
test_epoch(void)
{
	int64_t ns;

	ok(time_from_epoch_number(1772161200, &ns) == 0 && ns == S(T0),
	    "epoch s");
	ok(time_from_epoch_number(1772161200.123, &ns) == 0 &&
	    ns == S(T0) + 123000000, "epoch s with fraction: %lld",
	    (long long)ns);
	ok(time_from_epoch_number(1772161200123.0, &ns) == 0 &&
	    ns == S(T0) + 123000000, "epoch ms");
	ok(time_from_epoch_number(1772161200123.456, &ns) == 0 &&
	    ns == S(T0) + 123456000, "epoch ms with fraction: %lld",
	    (long long)ns);
	ok(time_from_epoch_number(1772161200123456.0, &ns) == 0 &&
	    ns == S(T0) + 123456000, "epoch us");
	ok(time_from_epoch_number(1772161200123456768.0, &ns) == 0 &&
	    ns == INT64_C(1772161200123456768), "epoch ns");
	ok(time_from_epoch_number(0, &ns) == 0 && ns == 0, "epoch 0");
	ok(time_from_epoch_number(-1.5, &ns) == 0 && ns == -1500000000,
	    "epoch negative s");
	ok(time_from_epoch_number(9e9, &ns) == 0 &&
	    ns == S(INT64_C(9000000000)), "9e9 is seconds");
	ok(time_from_epoch_number(99999999999.0, &ns) == -1,
	    "1e11 - 1 is seconds, out of the ns range");
	ok(time_from_epoch_number(1e11, &ns) == 0 && ns == S(100000000),
	    "1e11 is milliseconds");
	ok(time_from_epoch_number(1e14, &ns) == 0 && ns == S(100000000),
	    "1e14 is microseconds");
	ok(time_from_epoch_number(1e17, &ns) == 0 && ns == S(100000000),
	    "1e17 is nanoseconds");
	ok(time_from_epoch_number(-1e17, &ns) == 0 && ns == -S(100000000),
	    "-1e17 is nanoseconds");
	ok(time_from_epoch_number(1e19, &ns) == -1, "1e19 ns overflows");
	ok(time_from_epoch_number(-9223372036854775808.0, &ns) == -1,
	    "-2^63 ns is TIME_NONE: refused");
	ok(time_from_epoch_number(NAN, &ns) == -1, "NaN refused");
	ok(time_from_epoch_number(INFINITY, &ns) == -1, "inf refused");
}

static void
test_format(void)
{
	static const char *const round[] = {
		"2026-02-27T03:00:00Z", "1970-01-01T00:00:00Z",
		"1969-12-31T23:59:59Z", "2024-02-29T12:34:56Z",
		"2000-03-01T00:00:00Z", "1900-01-01T00:00:00Z",
		"2262-04-11T23:47:16Z", "1677-09-21T00:12:44Z",
		"2026-02-27T03:00:00.123Z", "1969-12-31T23:59:59.999Z",
	};
	char buf[40], small[8];
	int64_t ns;
	int naive;
	size_t i;

	for (i = 0; i < sizeof round / sizeof round[0]; i++) {
		ok(parse(round[i], &ns, &naive) == 0, "parse %s", round[i]);
		is_str(time_format_iso(ns, -1, buf, sizeof buf), round[i],
		    "round trip %s", round[i]);
	}
	is_str(time_format_iso(S(T0), 0, buf, sizeof buf),
	    "2026-02-27T03:00:00Z", "ms_digits 0");
	is_str(time_format_iso(S(T0), 3, buf, sizeof buf),
	    "2026-02-27T03:00:00.000Z", "ms_digits 3, zero");
	is_str(time_format_iso(S(T0) + 123999999, 3, buf, sizeof buf),
	    "2026-02-27T03:00:00.123Z", "ms_digits 3 truncates");
	is_str(time_format_iso(S(T0) + 999999, -1, buf, sizeof buf),
	    "2026-02-27T03:00:00Z", "ms_digits -1, under 1 ms");
	is_str(time_format_iso(S(T0) + 123456789, 9, buf, sizeof buf),
	    "2026-02-27T03:00:00.123456789Z", "ms_digits 9");
	is_str(time_format_iso(S(T0) + 123456789, 6, buf, sizeof buf),
	    "2026-02-27T03:00:00.123456Z", "ms_digits 6");
	is_str(time_format_iso(-1, 9, buf, sizeof buf),
	    "1969-12-31T23:59:59.999999999Z", "-1 ns");
	is_str(time_format_iso(INT64_MAX, 9, buf, sizeof buf),
	    "2262-04-11T23:47:16.854775807Z", "INT64_MAX");
	is_str(time_format_iso(INT64_MIN + 1, 9, buf, sizeof buf),
	    "1677-09-21T00:12:43.145224193Z", "INT64_MIN + 1");
	is_str(time_format_iso(S(T0), 0, small, sizeof small), "2026-02",
	    "short buffer truncates");
	/* Parse of the formatted form of every 7919th second over 300 years. */
	for (ns = DAY(-365 * 150); ns < DAY(365 * 150); ns += S(7919) * 1000 + 123457) {
		int64_t back;

		time_format_iso(ns, 9, buf, sizeof buf);
		if (parse(buf, &back, &naive) != 0 || back != ns)
			break;
	}
	ok(ns >= DAY(365 * 150), "format/parse round trip over 300 years "
	    "(stopped at %s)", buf);
}

static void
test_duration(void)
{
	static const struct {
		const char	*s;
		int64_t		 ns;
		const char	*fmt;
	} good[] = {
		{ "500ms", 500 * NS_PER_MS, "500ms" },
		{ "1ms", NS_PER_MS, "1ms" },
		{ "1000ms", NS_PER_SEC, "1s" },
		{ "30s", S(30), "30s" },
		{ "90s", S(90), "90s" },
		{ "1m", MIN(1), "1m" },
		{ "5m", MIN(5), "5m" },
		{ "90m", MIN(90), "90m" },
		{ "60m", HOUR(1), "1h" },
		{ "1h", HOUR(1), "1h" },
		{ "24h", HOUR(24), "1d" },
		{ "1d", DAY(1), "1d" },
		{ "7d", DAY(7), "7d" },
		{ "2w", DAY(14), "14d" },
		{ "007s", S(7), "7s" },
		{ "15250w", DAY(15250 * 7), "106750d" },
		{ "9223372036854ms", INT64_C(9223372036854) * NS_PER_MS,
		    "9223372036854ms" },
	};
	static const char *const bad[] = {
		"", "s", "5", "0s", "0m", "-5m", "+5m", "5 m", " 5m", "5m ",
		"5mm", "5M", "5H", "1.5h", "5min", "5sec", "x5m", "5mx", "5y",
		"9223372036855ms", "99999999999999999999s", "15251w",
	};
	char buf[32];
	int64_t ns;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ns = 0;
		ok(duration_parse(good[i].s, &ns) == 0 && ns == good[i].ns,
		    "duration '%s'", good[i].s);
		is_str(duration_format(good[i].ns, buf, sizeof buf),
		    good[i].fmt, "duration_format of '%s'", good[i].s);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(duration_parse(bad[i], &ns) == -1, "refuse duration '%s'",
		    bad[i]);
	is_str(duration_format(0, buf, sizeof buf), "0s", "format 0");
	is_str(duration_format(1500, buf, sizeof buf), "1500ns", "format ns");
	is_str(duration_format(3000, buf, sizeof buf), "3us", "format us");
	is_str(duration_format(-MIN(5), buf, sizeof buf), "-5m", "format -5m");
	is_str(duration_format(INT64_MIN, buf, sizeof buf),
	    "-9223372036854775808ns", "format INT64_MIN");
}

static void
test_clock(void)
{
	int64_t a, b, t;

	setenv("LOGDIVE_NOW", "2026-02-27T03:00:00Z", 1);
	ok(time_now() == S(T0), "LOGDIVE_NOW");
	setenv("LOGDIVE_NOW", "2026-02-27T03:00:00", 1);
	ok(time_now() == S(T0), "LOGDIVE_NOW naive is UTC");
	setenv("LOGDIVE_NOW", "yesterday", 1);
	t = time_now();
	ok(t > S(INT64_C(1700000000)), "bad LOGDIVE_NOW: real clock");
	setenv("LOGDIVE_NOW", "", 1);
	ok(time_now() > S(INT64_C(1700000000)), "empty LOGDIVE_NOW: real clock");
	unsetenv("LOGDIVE_NOW");
	ok(time_now() > S(INT64_C(1700000000)), "real clock");
	a = time_mono();
	b = time_mono();
	ok(a > 0 && b >= a, "time_mono monotonic");
}

static void
test_floor(void)
{
	ok(time_floor(0, 10) == 0, "floor 0");
	ok(time_floor(9, 10) == 0, "floor 9");
	ok(time_floor(10, 10) == 10, "floor 10");
	ok(time_floor(-1, 10) == -10, "floor -1");
	ok(time_floor(-10, 10) == -10, "floor -10");
	ok(time_floor(-11, 10) == -20, "floor -11");
	ok(time_floor(S(T0) + 1, HOUR(1)) == S(T0), "floor to the hour");
	ok(time_floor(S(T0) + MIN(7), MIN(5)) == S(T0) + MIN(5), "floor 5m");
	ok(time_floor(S(T0), DAY(1)) == S(T0) - HOUR(3), "floor 1d is UTC");
	ok(time_floor(S(-1), DAY(1)) == -DAY(1), "floor before the epoch");
	ok(time_floor(S(-1), DAY(7)) == -DAY(7), "floor 7d before the epoch");
	ok(time_floor(INT64_MAX, 10) == INT64_MAX - 7, "floor INT64_MAX");
	ok(time_floor(INT64_MIN + 1, 10) == INT64_MIN, "floor near INT64_MIN clamps");
	ok(time_floor(123, 0) == 123, "width 0: unchanged");
}

static void
range_ok(const char *s, int64_t start, int64_t end)
{
	struct time_range r = { 0, 0 };
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = range_parse(s, S(T0), &r, &err);
	ok(rc == 0 && r.start == start && r.end == end,
	    "range '%s' (rc %d: %.200s)", s, rc, err.msg);
}

static void
range_bad(const char *s, int col, const char *msg)
{
	struct time_range r = { 1, 2 };
	struct ld_err err;
	int rc;

	err_clear(&err);
	rc = range_parse(s, S(T0), &r, &err);
	ok(rc == LD_EUSAGE && err.status == LD_EUSAGE && err.col == col &&
	    r.start == 1 && r.end == 2,
	    "range '%s' refused at col %d (rc %d col %d)", s, col, rc, err.col);
	is_str(err.msg, msg, "message for '%s'", s);
}

static void
test_range(void)
{
	struct time_range r;
	char buf[80];
	int64_t now = S(T0);

	range_ok("15m", now - MIN(15), now);
	range_ok("24h", now - HOUR(24), now);
	range_ok("7d", now - DAY(7), now);
	range_ok("  1h  ", now - HOUR(1), now);
	range_ok("now-1h..now", now - HOUR(1), now);
	range_ok("now-2h..now-1h", now - HOUR(2), now - HOUR(1));
	range_ok("now-1h..now+5m", now - HOUR(1), now + MIN(5));
	range_ok("now-1h .. now", now - HOUR(1), now);
	range_ok("2026-02-27T03:00:00Z..2026-02-27T03:40:00Z", now,
	    now + MIN(40));
	range_ok("2026-02-27T02:00:00..now", now - HOUR(1), now);
	range_ok("2026-02-27..now-1h", now - HOUR(3), now - HOUR(1));
	range_ok("now-1d..2026-02-27T03:40:00.5+00:00", now - DAY(1),
	    now + MIN(40) + 500000000);
	range_ok("2026-02-27T02:59:59.999Z..2026-02-27T03:00:00Z",
	    now - NS_PER_MS, now);

	range_bad("", 1, "empty time range: use a duration (15m, 24h), "
	    "now-1h..now or START..END in ISO 8601");
	range_bad("   ", 1, "empty time range: use a duration (15m, 24h), "
	    "now-1h..now or START..END in ISO 8601");
	range_bad("now", 1, "range 'now' is empty: use a duration (15m, 24h), "
	    "now-1h..now or START..END in ISO 8601");
	range_bad("x5m", 1, "bad duration 'x5m' at col 1: use a number and a "
	    "unit (30s, 5m, 1h, 1d), or a range START..END");
	range_bad("0m", 1, "bad duration '0m' at col 1: use a number and a "
	    "unit (30s, 5m, 1h, 1d), or a range START..END");
	range_bad("  5q", 3, "bad duration '5q' at col 3: use a number and a "
	    "unit (30s, 5m, 1h, 1d), or a range START..END");
	range_bad("2026-02-27T03:00:00Z", 21, "range '2026-02-27T03:00:00Z' has "
	    "no end: write START..END (2026-02-27T03:00:00Z..now)");
	range_bad("2026-02-27T03:00:00Z..2026-02-30T00:00:00Z", 23,
	    "bad range end '2026-02-30T00:00:00Z' at col 23: not a valid "
	    "ISO 8601 time (2026-02-27T03:00:00Z)");
	range_bad("2026-13-27T03:00:00Z..now", 1,
	    "bad range start '2026-13-27T03:00:00Z' at col 1: not a valid "
	    "ISO 8601 time (2026-02-27T03:00:00Z)");
	range_bad("now-1h..", 9, "range end is missing at col 9: use a duration "
	    "(15m, 24h), now-1h..now or START..END in ISO 8601");
	range_bad("..now", 1, "range start is missing at col 1: use a duration "
	    "(15m, 24h), now-1h..now or START..END in ISO 8601");
	range_bad("now-x1h..now", 5, "bad duration 'x1h' at col 5: use a number "
	    "and a unit (30s, 5m, 1h, 1d)");
	range_bad("now-1h..now-5", 13, "bad duration '5' at col 13: use a "
	    "number and a unit (30s, 5m, 1h, 1d)");
	range_bad("now-1h..now-", 13, "bad duration '' at col 13: use a "
	    "number and a unit (30s, 5m, 1h, 1d)");
	range_bad("now1h..now", 1, "bad range start 'now1h' at col 1: write "
	    "now, now-D or now+D (now-1h)");
	range_bad("now..now-1h", 1, "range start is not before its end "
	    "(2026-02-27T03:00:00Z..2026-02-27T02:00:00Z): put the earlier "
	    "time first");
	range_bad("now..now", 1, "range start is not before its end "
	    "(2026-02-27T03:00:00Z..2026-02-27T03:00:00Z): put the earlier "
	    "time first");
	range_bad("now-1h..now..now", 9, "bad range end 'now..now' at col 9: "
	    "write now, now-D or now+D (now-1h)");
	range_bad("2026-02-27T03:00:00Z..2026-02-27T03:00:00Zjunk", 23,
	    "bad range end '2026-02-27T03:00:00Zjunk' at col 23: not a valid "
	    "ISO 8601 time (2026-02-27T03:00:00Z)");
	range_bad("now-1h..\x1b[2J", 9, "bad range end '?[2J' at col 9: not a "
	    "valid ISO 8601 time (2026-02-27T03:00:00Z)");
	range_bad("now-1h..xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    9, "bad range end 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
	    "at col 9: not a valid ISO 8601 time (2026-02-27T03:00:00Z)");
	ok(range_parse("bad", now, &r, NULL) == LD_EUSAGE, "err may be NULL");

	r.start = now;
	r.end = now + MIN(40);
	is_str(range_format(&r, buf, sizeof buf),
	    "2026-02-27T03:00:00Z..2026-02-27T03:40:00Z", "range_format");
	r.end = now + MIN(40) + 250 * NS_PER_MS;
	is_str(range_format(&r, buf, sizeof buf),
	    "2026-02-27T03:00:00Z..2026-02-27T03:40:00.250Z",
	    "range_format with ms");
}

static void
test_buckets(void)
{
	struct time_range r;
	int64_t now = S(T0) + S(17);	/* not on any bucket boundary */

	r.end = now;
	r.start = now - MIN(15);
	ok(bucket_auto(&r) == S(15), "15m -> 15s");
	r.start = now - HOUR(1);
	ok(bucket_auto(&r) == MIN(1), "1h -> 1m");
	r.start = now - HOUR(24);
	ok(bucket_auto(&r) == MIN(30), "24h -> 30m");
	r.start = now - DAY(7);
	ok(bucket_auto(&r) == HOUR(3), "7d -> 3h");
	r.start = now - S(30);
	ok(bucket_auto(&r) == S(1), "30s -> 1s");
	r.start = now - MIN(5);
	ok(bucket_auto(&r) == S(5), "5m -> 5s");
	r.start = now - MIN(5) - 1;
	ok(bucket_auto(&r) == S(10), "5m + 1ns -> 10s");
	r.start = now - DAY(30);
	ok(bucket_auto(&r) == HOUR(12), "30d -> 12h");
	r.start = now - DAY(31);
	ok(bucket_auto(&r) == DAY(1), "31d -> 1d");
	r.start = now - DAY(420);
	ok(bucket_auto(&r) == DAY(7), "420d -> 7d");
	r.start = now - DAY(421);
	ok(bucket_auto(&r) == DAY(14), "421d -> 14d");
	r.start = now;
	ok(bucket_auto(&r) == S(1), "empty range -> 1s");

	r.start = S(T0);
	r.end = S(T0) + HOUR(1);
	ok(bucket_count(&r, MIN(1)) == 60, "aligned 1h / 1m = 60");
	r.start = S(T0) + S(17);
	r.end = S(T0) + HOUR(1) + S(17);
	ok(bucket_count(&r, MIN(1)) == 61, "unaligned 1h / 1m = 61");
	r.start = S(T0);
	r.end = S(T0) + 1;
	ok(bucket_count(&r, HOUR(1)) == 1, "1 ns: one bucket");
	r.end = S(T0);
	ok(bucket_count(&r, HOUR(1)) == 0, "empty: none");
	r.start = S(-90);
	r.end = S(30);
	ok(bucket_count(&r, MIN(1)) == 3, "across the epoch: 3");
	r.start = S(-120);
	r.end = S(-60);
	ok(bucket_count(&r, MIN(1)) == 1, "before the epoch, aligned: 1");
	ok(bucket_count(&r, 0) == 0, "width 0: none");
}

int
main(void)
{
	test_parse();
	test_epoch();
	test_format();
	test_duration();
	test_clock();
	test_floor();
	test_range();
	test_buckets();
	return tap_done();
}
