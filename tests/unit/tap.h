/* Minimal TAP output for unit tests: "ok N - name" / "not ok N - name".
 * tests/run.sh counts the lines. Header-only; include once per test. */
#ifndef LD_TAP_H
#define LD_TAP_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int
tap_ok(int cond, const char *name)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	fflush(stdout);
	return cond;
}

/* cond first: the name may show what cond's calls set (err.msg, a count) */
#define ok(cond, ...) do { char tap_name_[1024]; int c_ = !!(cond); \
	snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__); \
	tap_ok(c_, tap_name_); } while (0)

/* String equality with a diagnostic on failure. */
#define is_str(got, want, ...) do { const char *g_ = (got), *w_ = (want); \
	char tap_name_[1024]; snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__); \
	int c_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0); \
	if (!tap_ok(c_, tap_name_)) printf("#   got:  %s\n#   want: %s\n", \
	    g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)

/* Doubles equal within eps (or both NaN). */
#define is_num(got, want, eps, ...) do { double g_ = (got), w_ = (want); \
	char tap_name_[1024]; snprintf(tap_name_, sizeof tap_name_, __VA_ARGS__); \
	int c_ = (isnan(g_) && isnan(w_)) || fabs(g_ - w_) <= (eps); \
	if (!tap_ok(c_, tap_name_)) printf("#   got:  %.17g\n#   want: %.17g\n", g_, w_); \
	} while (0)

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
