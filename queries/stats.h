/* Aggregation maths. */
#ifndef LD_STATS_H
#define LD_STATS_H
#include <stddef.h>

/* Percentile p (0..100) of sorted xs[0..n) with linear interpolation
 * between closest ranks: k = (n-1)*p/100, x[floor k] + (x[ceil k] -
 * x[floor k]) * (k - floor k). This is numpy.percentile's default
 * ("linear", Hyndman & Fan type 7) and Excel PERCENTILE.INC. n must be > 0.
 * Bit-for-bit numpy: k = (n-1)*(p/100), and numpy's _lerp (from the upper
 * point when k - floor k >= 0.5). p is clamped to 0..100; NaN p or n == 0
 * gives NaN. */
double	percentile_sorted(const double *xs, size_t n, double p);

/* Sort xs[0..n) ascending in place (NaN must not be present). Radix sort,
 * O(n), allocates 16n bytes of scratch (xalloc). -0.0 == +0.0, in either
 * order. */
void	sort_doubles(double *xs, size_t n);

/* Select-based percentile: reorders xs, O(n) average; same result as
 * sorting then percentile_sorted. */
double	percentile_select(double *xs, size_t n, double p);

#endif
