#include "config.h"
#include "queries/stats.h"
#include "lib/xalloc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * numpy.percentile, method "linear", step by step so that the results are
 * the same to the last bit: q = p / 100, k = (n - 1) * q, lo = floor(k),
 * t = k - lo, and numpy's _lerp, which for t >= 0.5 interpolates from the
 * upper point (b - (b - a) * (1 - t)) so that t = 1 gives b exactly.
 */
static double
lerp(double a, double b, double t)
{
	double diff = b - a;

	if (t >= 0.5)
		return b - diff * (1 - t);
	return a + diff * t;
}

/* k for p, clamped to [0, n - 1]; *lo its floor, *t the fraction. */
static void
rank(size_t n, double p, size_t *lo, double *t)
{
	double k, fl;

	if (p <= 0) {
		*lo = 0;
		*t = 0;
		return;
	}
	if (p >= 100) {
		*lo = n - 1;
		*t = 0;
		return;
	}
	k = (double)(n - 1) * (p / 100);
	fl = floor(k);
	*lo = (size_t)fl;
	*t = k - fl;
	if (*lo >= n - 1) {
		*lo = n - 1;
		*t = 0;
	}
}

/* p is clamped to [0, 100]; a NaN p gives NaN. */
double
percentile_sorted(const double *xs, size_t n, double p)
{
	size_t lo;
	double t;

	if (n == 0 || isnan(p))
		return NAN;
	rank(n, p, &lo, &t);
	if (t == 0)
		return xs[lo];
	return lerp(xs[lo], xs[lo + 1], t);
}

static void
insertion_sort(double *xs, size_t n)
{
	size_t i, j;
	double v;

	for (i = 1; i < n; i++) {
		v = xs[i];
		for (j = i; j > 0 && xs[j - 1] > v; j--)
			xs[j] = xs[j - 1];
		xs[j] = v;
	}
}

#define SIGN_BIT	UINT64_C(0x8000000000000000)

/*
 * IEEE 754 bits to an unsigned key in the same order: negatives have all
 * bits flipped, positives the sign bit set. -0.0 sorts just before +0.0.
 */
static inline uint64_t
dkey(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof u);
	return (u & SIGN_BIT) ? ~u : u | SIGN_BIT;
}

static inline double
dval(uint64_t k)
{
	double d;

	k = (k & SIGN_BIT) ? k & ~SIGN_BIT : ~k;
	memcpy(&d, &k, sizeof d);
	return d;
}

#define RADIX_BITS	11
#define RADIX_SIZE	(1u << RADIX_BITS)
#define RADIX_MASK	(RADIX_SIZE - 1)
#define RADIX_PASSES	6		/* 6 * 11 >= 64 */
#define SMALL_SORT	64

/*
 * LSD radix sort on the order-preserving keys, 11 bits a pass; the counts
 * of all passes are taken in one read, and a pass whose digit is the same
 * for every key (the high bits of latencies usually are) is skipped.
 * O(n) time, 16n bytes of scratch. Up to SMALL_SORT values: insertion.
 */
void
sort_doubles(double *xs, size_t n)
{
	size_t (*cnt)[RADIX_SIZE], i, pass, sum, c;
	uint64_t *a, *b, *tmp, k;
	unsigned shift, dig;

	if (n <= SMALL_SORT) {
		insertion_sort(xs, n);
		return;
	}
	a = xreallocarray(NULL, n, sizeof *a);
	b = xreallocarray(NULL, n, sizeof *b);
	cnt = xcalloc(RADIX_PASSES, sizeof *cnt);
	for (i = 0; i < n; i++) {
		a[i] = k = dkey(xs[i]);
		for (pass = 0; pass < RADIX_PASSES; pass++)
			cnt[pass][(k >> (pass * RADIX_BITS)) & RADIX_MASK]++;
	}
	for (pass = 0; pass < RADIX_PASSES; pass++) {
		shift = (unsigned)(pass * RADIX_BITS);
		dig = (unsigned)((a[0] >> shift) & RADIX_MASK);
		if (cnt[pass][dig] == n)
			continue;
		for (sum = 0, i = 0; i < RADIX_SIZE; i++) {
			c = cnt[pass][i];
			cnt[pass][i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[cnt[pass][(a[i] >> shift) & RADIX_MASK]++] = a[i];
		tmp = a;
		a = b;
		b = tmp;
	}
	for (i = 0; i < n; i++)
		xs[i] = dval(a[i]);
	free(a);
	free(b);
	free(cnt);
}

static inline void
swapd(double *xs, size_t i, size_t j)
{
	double t = xs[i];

	xs[i] = xs[j];
	xs[j] = t;
}

static double
median3(double a, double b, double c)
{
	if (a < b) {
		if (b < c)
			return b;
		return a < c ? c : a;
	}
	if (a < c)
		return a;
	return b < c ? c : b;
}

/*
 * Put the k-th smallest of xs[0..n) at xs[k], smaller-or-equal values
 * before it and greater-or-equal after. Quickselect with a three-way
 * partition (many latencies are equal) and a median-of-3 (ninther for
 * large ranges) pivot; after 2 log2(n) + 8 rounds without finishing the
 * rest is sorted (radix, O(n)), so the worst case stays linear-ish.
 */
static void
select_kth(double *xs, size_t n, size_t k)
{
	size_t lo = 0, hi = n, lt, gt, i, m, len, s;
	double piv, v;
	int budget = 8;

	for (m = n; m > 1; m >>= 1)
		budget += 2;
	while (hi - lo > SMALL_SORT) {
		if (budget-- == 0) {
			sort_doubles(xs + lo, hi - lo);
			return;
		}
		len = hi - lo;
		m = lo + len / 2;
		if (len > 1024) {
			s = len / 8;
			piv = median3(
			    median3(xs[lo], xs[lo + s], xs[lo + 2 * s]),
			    median3(xs[m - s], xs[m], xs[m + s]),
			    median3(xs[hi - 1 - 2 * s], xs[hi - 1 - s],
			    xs[hi - 1]));
		} else
			piv = median3(xs[lo], xs[m], xs[hi - 1]);
		/* [lo, lt) < piv, [lt, i) == piv, (gt, hi) > piv */
		lt = lo;
		gt = hi;
		i = lo;
		while (i < gt) {
			v = xs[i];
			if (v < piv)
				swapd(xs, lt++, i++);
			else if (v > piv)
				swapd(xs, i, --gt);
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return;
	}
	insertion_sort(xs + lo, hi - lo);
}

double
percentile_select(double *xs, size_t n, double p)
{
	size_t lo, i;
	double t, a, b;

	if (n == 0 || isnan(p))
		return NAN;
	rank(n, p, &lo, &t);
	select_kth(xs, n, lo);
	a = xs[lo];
	if (t == 0)
		return a;
	b = xs[lo + 1];
	for (i = lo + 2; i < n; i++)
		if (xs[i] < b)
			b = xs[i];
	return lerp(a, b, t);
}
