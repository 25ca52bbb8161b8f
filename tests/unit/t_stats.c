#include "config.h"
#include "tests/unit/tap.h"
#include "queries/stats.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

/* 64-bit LCG (Knuth's MMIX constants); unif() is in [0, 1), exactly
 * representable, so the same data comes out of the Python script below. */
static uint64_t lcg_x;

static uint64_t
lcg_next(void)
{
	lcg_x = lcg_x * UINT64_C(6364136223846793005) +
	    UINT64_C(1442695040888963407);
	return lcg_x;
}

static double
unif(void)
{
	return (double)(lcg_next() >> 11) * 0x1p-53;
}

enum { N1, N2, N3, N10, N101, N1000, N1000W, NSETS };

static const char *const set_name[NSETS] = {
	"n1", "n2", "n3", "n10", "n101", "n1000", "n1000w"
};
static const size_t set_n[NSETS] = { 1, 2, 3, 10, 101, 1000, 1000 };

static void
gen(int kind, double *xs)
{
	size_t i;
	double u, v;

	switch (kind) {
	case N1:
		xs[0] = 42.5;
		break;
	case N2:
		xs[0] = 10.0;
		xs[1] = 20.0;
		break;
	case N3:
		xs[0] = 3.0;
		xs[1] = -1.0;
		xs[2] = 2.0;
		break;
	case N10:
		lcg_x = 1;
		for (i = 0; i < 10; i++)
			xs[i] = unif() * 1000.0;
		break;
	case N101:
		lcg_x = 2;
		for (i = 0; i < 101; i++)
			xs[i] = unif() * 200.0 - 100.0;
		break;
	case N1000:	/* integers -50..249: many duplicates, negatives */
		lcg_x = 3;
		for (i = 0; i < 1000; i++)
			xs[i] = floor(unif() * 300.0) - 50.0;
		break;
	case N1000W:	/* latency-like: 0.5 ms steps, a heavy tail */
		lcg_x = 4;
		for (i = 0; i < 1000; i++) {
			u = unif();
			v = floor(u * 200.0) * 0.5 + 20.0;
			if (u > 0.97)
				v = v * 10.0;
			xs[i] = v;
		}
		break;
	}
}

/*
 * Expected values, computed once with /tmp/pct/pct.py (Python 3.11, no
 * numpy installed), which generates the same data with the same LCG and
 * computes
 *   want[]:  numpy.percentile's default "linear" method replicated step by
 *            step: k = (n-1)*(p/100), lo = floor(k), numpy's _lerp
 *            (a + (b-a)*t, or b - (b-a)*(1-t) when t >= 0.5); these must
 *            match to the last bit;
 *   stat[]:  statistics.quantiles(data, n=100, method='inclusive') cut
 *            points 49, 94, 98 (p50, p95, p99), an independent method
 *            (rational weights), equal to want[] within 1e-9 relative;
 *   sum:     the sum of the data in generation order, to check that the C
 *            and Python generators agree.
 * Printed with repr() (shortest round-trip decimal).
 */
static const double ps[9] = { 0, 1, 25, 50, 90, 95, 99, 99.9, 100 };
static const double want[NSETS][9] = {
	/* n1 */ { 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5 },
	/* n2 */ { 10.0, 10.1, 12.5, 15.0, 19.0, 19.5, 19.9,
	    19.990000000000002, 20.0 },
	/* n3 */ { -1.0, -0.94, 0.5, 2.0, 2.8, 2.9, 2.98, 2.998, 3.0 },
	/* n10 */ { 65.41931197423744, 77.39117774752674, 392.9498355993734,
	    504.95936283936254, 799.8755852929477, 819.8008474703182,
	    835.7410572122147, 839.3276044041415, 839.7261096476889 },
	/* n101 */ { -99.40967933344467, -99.19657610552484,
	    -61.56745678190241, -3.0470173360679382, 81.40443580992124,
	    92.00353264814285, 96.31017128064914, 98.91371456808774,
	    99.2029971555809 },
	/* n1000 */ { -50.0, -47.01, 27.75, 104.0, 220.10000000000002, 235.0,
	    247.0, 249.0, 249.0 },
	/* n1000w */ { 20.0, 21.0, 44.5, 66.75, 110.05000000000001,
	    115.02499999999998, 1190.0, 1195.0, 1195.0 },
};
static const double stat[NSETS][3] = {
	/* n1: statistics.quantiles needs two points */ { 42.5, 42.5, 42.5 },
	/* n2 */ { 15.0, 19.5, 19.9 },
	/* n3 */ { 2.0, 2.9, 2.98 },
	/* n10 */ { 504.9593628393626, 819.8008474703182, 835.7410572122149 },
	/* n101 */ { -3.0470173360679382, 92.00353264814285,
	    96.31017128064914 },
	/* n1000 */ { 104.0, 235.0, 247.0 },
	/* n1000w */ { 66.75, 115.025, 1190.0 },
};
static const double set_sum[NSETS] = {
	42.5, 30.0, 4.0, 4917.31925599988, -602.3642253088236, 101988.0,
	111438.5
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
is_sorted(const double *xs, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (xs[i - 1] > xs[i])
			return 0;
	return 1;
}

static void
test_fixed(void)
{
	double xs[1000], sorted[1000], sum;
	size_t i, j, n;
	int k;

	for (k = 0; k < NSETS; k++) {
		n = set_n[k];
		gen(k, xs);
		for (sum = 0, i = 0; i < n; i++)
			sum += xs[i];
		ok(sum == set_sum[k], "%s: generator agrees with Python",
		    set_name[k]);
		memcpy(sorted, xs, n * sizeof xs[0]);
		sort_doubles(sorted, n);
		ok(is_sorted(sorted, n), "%s: sorted", set_name[k]);
		for (j = 0; j < 9; j++) {
			is_num(percentile_sorted(sorted, n, ps[j]), want[k][j], 0,
			    "%s: percentile_sorted p%g", set_name[k], ps[j]);
			gen(k, xs);
			is_num(percentile_select(xs, n, ps[j]), want[k][j], 0,
			    "%s: percentile_select p%g", set_name[k], ps[j]);
		}
		is_num(percentile_sorted(sorted, n, 50), stat[k][0],
		    1e-9 * fabs(stat[k][0]), "%s: p50 ~ statistics", set_name[k]);
		is_num(percentile_sorted(sorted, n, 95), stat[k][1],
		    1e-9 * fabs(stat[k][1]), "%s: p95 ~ statistics", set_name[k]);
		is_num(percentile_sorted(sorted, n, 99), stat[k][2],
		    1e-9 * fabs(stat[k][2]), "%s: p99 ~ statistics", set_name[k]);
	}
}

static void
test_edges(void)
{
	double one[1] = { 7 }, two[2] = { 1, 3 }, sel[2];
	double neg[] = { -0.0, 0.0, -1.0, 1.0, -INFINITY, INFINITY, -1e-310,
	    1e-310, -DBL_MAX, 5.0 };
	size_t i;

	is_num(percentile_sorted(one, 1, 50), 7, 0, "n=1 p50");
	is_num(percentile_sorted(two, 2, -5), 1, 0, "p < 0 is p0");
	is_num(percentile_sorted(two, 2, 150), 3, 0, "p > 100 is p100");
	ok(isnan(percentile_sorted(two, 2, NAN)), "p NaN gives NaN");
	ok(isnan(percentile_sorted(two, 0, 50)), "n=0 gives NaN");
	sel[0] = 3;
	sel[1] = 1;
	is_num(percentile_select(sel, 2, 50), 2, 0, "select n=2 p50");
	is_num(percentile_select(sel, 2, 100), 3, 0, "select p100 is the max");
	is_num(percentile_select(sel, 2, 0), 1, 0, "select p0 is the min");

	sort_doubles(neg, sizeof neg / sizeof neg[0]);
	ok(is_sorted(neg, sizeof neg / sizeof neg[0]) && neg[0] == -INFINITY &&
	    neg[9] == INFINITY, "small sort: infinities, subnormals, -0");
	/* The radix path orders -0.0 before +0.0. */
	{
		double z[200];

		for (i = 0; i < 200; i++)
			z[i] = i % 2 ? -0.0 : 0.0;
		z[7] = -3;
		z[8] = 2;
		sort_doubles(z, 200);
		ok(z[0] == -3 && z[199] == 2 && signbit(z[1]) &&
		    signbit(z[99]) && !signbit(z[100]) && !signbit(z[198]),
		    "radix sort: -0.0 before +0.0");
	}
}

static void
fill(double *xs, size_t n, int kind)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (kind) {
		case 0:		/* uniform, negatives */
			xs[i] = unif() * 2e6 - 1e6;
			break;
		case 1:		/* ten distinct values */
			xs[i] = floor(unif() * 10);
			break;
		case 2:		/* all equal */
			xs[i] = 5;
			break;
		case 3:		/* sorted */
			xs[i] = (double)i;
			break;
		case 4:		/* reversed */
			xs[i] = (double)(n - i);
			break;
		case 5:		/* organ pipe */
			xs[i] = (double)(i < n / 2 ? i : n - i);
			break;
		case 6:		/* wide magnitudes, both signs, zeros */
			xs[i] = (unif() - 0.5) * pow(10, floor(unif() * 40) - 20);
			if (i % 97 == 0)
				xs[i] = i % 2 ? -0.0 : 0.0;
			break;
		default:	/* latency-like, integer ms with a tail */
			xs[i] = floor(-log(1 - unif()) * 80) + 5;
			break;
		}
	}
}

static void
test_random(void)
{
	static const double pr[] = { 0, 0.1, 1, 5, 25, 50, 75, 90, 95, 99,
	    99.9, 99.99, 100, 33.333 };
	static const char *const kname[] = { "uniform", "10 values",
	    "all equal", "sorted", "reversed", "organ pipe", "magnitudes",
	    "latency" };
	size_t n = 100000, i, j, bad;
	double *xs, *ref, *cp, *work;
	int kind;

	xs = malloc(n * sizeof *xs);
	ref = malloc(n * sizeof *ref);
	cp = malloc(n * sizeof *cp);
	work = malloc(n * sizeof *work);
	if (!xs || !ref || !cp || !work)
		abort();
	lcg_x = 12345;
	for (kind = 0; kind < 8; kind++) {
		fill(xs, n, kind);
		memcpy(ref, xs, n * sizeof *xs);
		qsort(ref, n, sizeof *ref, cmp_double);
		memcpy(cp, xs, n * sizeof *xs);
		sort_doubles(cp, n);
		for (bad = 0, i = 0; i < n; i++)
			if (cp[i] != ref[i])
				bad++;
		ok(bad == 0, "1e5 %s: sort_doubles == qsort (%zu differ)",
		    kname[kind], bad);
		for (bad = 0, j = 0; j < sizeof pr / sizeof pr[0]; j++) {
			double a = percentile_sorted(ref, n, pr[j]), b;

			memcpy(work, xs, n * sizeof *xs);
			b = percentile_select(work, n, pr[j]);
			if (a != b) {
				bad++;
				printf("# p%g sorted %.17g select %.17g\n",
				    pr[j], a, b);
			}
		}
		ok(bad == 0, "1e5 %s: percentile_select == percentile_sorted",
		    kname[kind]);
	}

	/* Every size up to 300 (the small-sort and radix thresholds), and a
	 * few p each. */
	for (bad = 0, n = 1; n <= 300; n++) {
		fill(xs, n, n % 8);
		memcpy(ref, xs, n * sizeof *xs);
		qsort(ref, n, sizeof *ref, cmp_double);
		memcpy(cp, xs, n * sizeof *xs);
		sort_doubles(cp, n);
		for (i = 0; i < n; i++)
			if (cp[i] != ref[i])
				bad++;
		for (j = 0; j < sizeof pr / sizeof pr[0]; j++) {
			memcpy(work, xs, n * sizeof *xs);
			if (percentile_select(work, n, pr[j]) !=
			    percentile_sorted(ref, n, pr[j]))
				bad++;
		}
	}
	ok(bad == 0, "n = 1..300: sort and select agree with qsort (%zu bad)",
	    bad);
	free(xs);
	free(ref);
	free(cp);
	free(work);
}

int
main(void)
{
	test_fixed();
	test_edges();
	test_random();
	return tap_done();
}
