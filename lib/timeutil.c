#include "config.h"
#include "lib/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC_PER_DAY	INT64_C(86400)

/*
 * Days since 1970-01-01 of the proleptic Gregorian date y-m-d, for any
 * y >= 0 (the classic era arithmetic: 400-year eras of 146097 days, the
 * year starting in March so that the leap day is the last of the year).
 */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400; /* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097; /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
	mp = (5 * doy + 2) / 153; /* [0, 11] */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int
days_in_month(int y, int m)
{
	static const unsigned char mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

static int
isdig(char c)
{
	return (unsigned char)(c - '0') <= 9;
}

/* Two digits at p (p + 2 <= end checked by the caller) or -1. */
static int
dig2(const char *p)
{
	if (!isdig(p[0]) || !isdig(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * secs (seconds since the epoch) plus frac (0 <= frac < 1e9) to ns.
 * Returns -1 outside the int64 ns range (about 1677-09-21 to 2262-04-11);
 * INT64_MIN itself is TIME_NONE and refused too.
 */
static int
secs_to_ns(int64_t secs, int64_t frac, int64_t *ns)
{
	if (secs > INT64_MAX / NS_PER_SEC ||
	    (secs == INT64_MAX / NS_PER_SEC && frac > INT64_MAX % NS_PER_SEC))
		return -1;
	if (secs < INT64_MIN / NS_PER_SEC - 1 ||
	    (secs == INT64_MIN / NS_PER_SEC - 1 &&
	    frac <= NS_PER_SEC + INT64_MIN % NS_PER_SEC))
		return -1;
	if (secs < 0)
		*ns = (secs + 1) * NS_PER_SEC + (frac - NS_PER_SEC);
	else
		*ns = secs * NS_PER_SEC + frac;
	return 0;
}

/*
 * Accepted (the header has the grammar):
 *   years 0000..9999, months 01..12, days valid for the month (leap years
 *   by the Gregorian rule), hours 00..23 (24:00 is refused), minutes
 *   00..59, seconds 00..60. A leap second :60 is read as :59.999999999 of
 *   the same minute, so that it sorts after :59 and before the next minute
 *   whatever its fraction.
 *   Fraction after '.' or ',': at least one digit; digits past the ninth
 *   are checked but dropped (truncation, not rounding).
 *   Zone: Z or z, or +/- hh[[:]mm] with hh 00..23, mm 00..59; -00:00 is
 *   UTC and not naive. A bare date takes no zone and is naive.
 * The result must fit the int64 ns range, else -1.
 */
int
time_parse_iso(const char *s, size_t n, int64_t *ns, int *naive)
{
	const char *p = s, *end = s + n;
	int y, mo, d, h = 0, mi = 0, sec = 0, v, nd, zh, zm, isnaive = 1;
	int64_t frac = 0, secs, off = 0;

	if (n < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if ((v = dig2(p)) < 0 || (y = dig2(p + 2)) < 0)
		return -1;
	y += v * 100;
	if ((mo = dig2(p + 5)) < 1 || mo > 12)
		return -1;
	if ((d = dig2(p + 8)) < 1 || d > days_in_month(y, mo))
		return -1;
	p += 10;
	if (p == end)
		goto done;

	/* Time of day: [Tt ]hh:mm[:ss[(.|,)f+]] */
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (end - p < 5 || p[2] != ':')
		return -1;
	if ((h = dig2(p)) < 0 || h > 23 || (mi = dig2(p + 3)) < 0 || mi > 59)
		return -1;
	p += 5;
	if (p < end && *p == ':') {
		if (end - p < 3 || (sec = dig2(p + 1)) < 0 || sec > 60)
			return -1;
		p += 3;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			if (p == end || !isdig(*p))
				return -1;
			for (nd = 0; p < end && isdig(*p); p++, nd++)
				if (nd < 9)
					frac = frac * 10 + (*p - '0');
			for (; nd < 9; nd++)
				frac *= 10;
		}
		if (sec == 60) {
			sec = 59;
			frac = NS_PER_SEC - 1;
		}
	}

	/* Zone */
	if (p < end) {
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;

			p++;
			if (end - p < 2 || (zh = dig2(p)) < 0 || zh > 23)
				return -1;
			p += 2;
			zm = 0;
			if (p < end) {
				if (*p == ':')
					p++;
				if (end - p < 2 || (zm = dig2(p)) < 0 || zm > 59)
					return -1;
				p += 2;
			}
			off = sign * (zh * 3600 + zm * 60);
		} else
			return -1;
		if (p != end)
			return -1;
		isnaive = 0;
	}

done:
	secs = days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 +
	    sec - off;
	if (secs_to_ns(secs, frac, ns) < 0)
		return -1;
	if (naive != NULL)
		*naive = isnaive;
	return 0;
}

/*
 * Doubles carry about 16 significant digits, so a fraction of an epoch
 * number is kept to the microsecond for seconds and milliseconds (the
 * decimal that was written, 1772161200.123 -> .123000000, rather than the
 * binary noise below it) and to the nanosecond for micro- and nanoseconds.
 */
int
time_from_epoch_number(double v, int64_t *ns)
{
	double a, x, lim;
	int64_t mult, r;

	if (!isfinite(v))
		return -1;
	a = fabs(v);
	if (a < 1e11) {
		x = v * 1e6;		/* s -> us */
		mult = 1000;
	} else if (a < 1e14) {
		x = v * 1e3;		/* ms -> us */
		mult = 1000;
	} else if (a < 1e17) {
		x = v * 1e3;		/* us -> ns */
		mult = 1;
	} else {
		x = v;			/* ns */
		mult = 1;
	}
	/* 2^63 / mult; strict bounds keep INT64_MIN (TIME_NONE) out. */
	lim = 9223372036854775808.0 / (double)mult;
	if (!(x > -lim && x < lim))
		return -1;
	r = llround(x);
	if (r > INT64_MAX / mult || r < -(INT64_MAX / mult))
		return -1;
	*ns = r * mult;
	return 0;
}

static char *
put_digits(char *p, int64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/*
 * ms_digits: 0 no fraction, 1..9 that many digits (3 = milliseconds,
 * 6 = microseconds, 9 = nanoseconds), -1 milliseconds only when the
 * millisecond part is non-zero. Digits are truncated, not rounded, so that
 * a time never prints as a later one. out always ends with NUL (truncated
 * if outlen < 31).
 */
char *
time_format_iso(int64_t ns, int ms_digits, char *out, size_t outlen)
{
	char tmp[40], *p = tmp;
	int64_t secs, sub, days, sod, f;
	int y, m, d, nd = ms_digits, i;
	size_t len;

	secs = ns / NS_PER_SEC;
	sub = ns % NS_PER_SEC;
	if (sub < 0) {
		sub += NS_PER_SEC;
		secs--;
	}
	days = secs / SEC_PER_DAY;
	sod = secs % SEC_PER_DAY;
	if (sod < 0) {
		sod += SEC_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	if (nd < 0)
		nd = sub / NS_PER_MS != 0 ? 3 : 0;
	if (nd > 9)
		nd = 9;
	if (nd > 0) {
		f = sub;
		for (i = nd; i < 9; i++)
			f /= 10;
		*p++ = '.';
		p = put_digits(p, f, nd);
	}
	*p++ = 'Z';
	*p = '\0';
	if (outlen == 0)
		return out;
	len = (size_t)(p - tmp);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, tmp, len);
	out[len] = '\0';
	return out;
}

static const struct {
	const char	*name;
	int64_t		 ns;
} dur_units[] = {
	{ "ms", NS_PER_MS },
	{ "s", NS_PER_SEC },
	{ "m", 60 * NS_PER_SEC },
	{ "h", 3600 * NS_PER_SEC },
	{ "d", 86400 * NS_PER_SEC },
	{ "w", 7 * 86400 * NS_PER_SEC },
};

/*
 * One unsigned decimal integer and one lower-case unit, nothing else (no
 * sign, no spaces, no fraction: "90m", not "1.5h").
 */
int
duration_parse(const char *s, int64_t *ns)
{
	const char *p = s;
	int64_t v = 0;
	size_t i;

	if (s == NULL || !isdig(*p))
		return -1;
	for (; isdig(*p); p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v == 0)
		return -1;
	for (i = 0; i < sizeof dur_units / sizeof dur_units[0]; i++) {
		if (strcmp(p, dur_units[i].name) != 0)
			continue;
		if (v > INT64_MAX / dur_units[i].ns)
			return -1;
		*ns = v * dur_units[i].ns;
		return 0;
	}
	return -1;
}

/*
 * The largest of d h m s ms us ns that divides ns exactly ("7d", "90s",
 * "1500ms"); weeks are not used so that 7d reads as it is written in the
 * bucket list. 0 is "0s"; negative durations get a '-'.
 */
char *
duration_format(int64_t ns, char *out, size_t outlen)
{
	static const struct {
		const char	*name;
		int64_t		 ns;
	} units[] = {
		{ "d", 86400 * NS_PER_SEC },
		{ "h", 3600 * NS_PER_SEC },
		{ "m", 60 * NS_PER_SEC },
		{ "s", NS_PER_SEC },
		{ "ms", NS_PER_MS },
		{ "us", 1000 },
		{ "ns", 1 },
	};
	char tmp[32], *p = tmp + sizeof tmp;
	const char *unit = "s";
	uint64_t u;
	size_t i, len;
	int neg = ns < 0;

	u = neg ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (u != 0) {
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (u % (uint64_t)units[i].ns == 0) {
				u /= (uint64_t)units[i].ns;
				unit = units[i].name;
				break;
			}
		}
	}
	len = strlen(unit);
	p -= len + 1;
	memcpy(p, unit, len + 1);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (neg)
		*--p = '-';
	if (outlen == 0)
		return out;
	len = strlen(p);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

/* LOGDIVE_NOW, when set to a valid ISO 8601 time, replaces the clock (a
 * naive value is UTC); any other value is ignored. */
int64_t
time_now(void)
{
	const char *e = getenv("LOGDIVE_NOW");
	struct timespec ts;
	int64_t t;

	if (e != NULL && *e != '\0' &&
	    time_parse_iso(e, strlen(e), &t, NULL) == 0)
		return t;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t
time_mono(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/*
 * Rounds toward minus infinity: time_floor(-1, 10) is -10. width <= 0
 * returns t unchanged; a result below INT64_MIN is clamped to INT64_MIN.
 */
int64_t
time_floor(int64_t t, int64_t width)
{
	int64_t r;

	if (width <= 0)
		return t;
	r = t % width;
	if (r == 0)
		return t;
	if (r > 0)
		return t - r;
	t -= r;				/* t - r > t: no overflow */
	if (t < INT64_MIN + width)
		return INT64_MIN;
	return t - width;
}
