/* Time: int64 nanoseconds since the Unix epoch, UTC, everywhere. */
#ifndef LD_TIMEUTIL_H
#define LD_TIMEUTIL_H
#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC	INT64_C(1000000000)
#define NS_PER_MS	INT64_C(1000000)
#define TIME_NONE	INT64_MIN

/* Parse an ISO 8601 / RFC 3339 timestamp s[0..n):
 *   YYYY-MM-DD[T| ]hh:mm[:ss[(.|,)fraction]][Z|z|±hh:mm|±hhmm|±hh]
 * and a bare date YYYY-MM-DD (midnight). Fractions to 9 digits (more are
 * truncated). Returns 0 and sets *ns; *naive = 1 when no zone was given
 * (read as UTC, DESIGN §2). Returns -1 on anything else (no partial parse:
 * trailing text is an error). Hours 00..23 (24:00 is refused); a leap
 * second :60 reads as :59.999999999 of the same minute. The calendar is
 * checked (2026-02-30 fails); the result must fit int64 ns (about years
 * 1677..2262) and is never TIME_NONE. naive may be NULL. */
int	time_parse_iso(const char *s, size_t n, int64_t *ns, int *naive);

/* Epoch number to ns by magnitude (DESIGN §2 "epoch ms/s/ns"):
 * |v| < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else ns.
 * Returns -1 if v is not finite or out of the int64 ns range. */
int	time_from_epoch_number(double v, int64_t *ns);

/* Format ns as "YYYY-MM-DDThh:mm:ss[.fff]Z" into out (>= 32 bytes).
 * ms_digits: 0 = no fraction, 3 = milliseconds, -1 = milliseconds only
 * when non-zero (also 1..9 = that many digits). Fractions are truncated,
 * not rounded. Returns out. */
char	*time_format_iso(int64_t ns, int ms_digits, char *out, size_t outlen);

/* Parse a duration "30s", "1m", "5m", "1h", "1d", "2w", "500ms" (one number
 * and one unit; units ms s m h d w). Returns 0 and *ns > 0, or -1. The
 * number is unsigned decimal digits; the unit is lower case; nothing else
 * (no spaces, no "1.5h"). */
int	duration_parse(const char *s, int64_t *ns);
/* Format a duration compactly ("30s", "5m", "1h", "1d", "90s"): the
 * largest of d h m s ms us ns dividing it exactly (7 days is "7d"). */
char	*duration_format(int64_t ns, char *out, size_t outlen);

/* Current time (CLOCK_REALTIME), overridable for tests with the
 * environment variable LOGDIVE_NOW (ISO 8601; an invalid value is
 * ignored). */
int64_t	time_now(void);
/* Monotonic clock in ns, for progress and timeouts. */
int64_t	time_mono(void);

/* floor(t / width) * width for negative t too (bucket alignment since the
 * epoch, DESIGN §3). width <= 0 returns t; a result below INT64_MIN is
 * clamped to INT64_MIN. */
int64_t	time_floor(int64_t t, int64_t width);

#endif
