/* The dashboard's panels as data (DESIGN §3, §7): computed by a backend,
 * printed headless (table/json/csv) or drawn by views/. */
#ifndef LD_PANELS_H
#define LD_PANELS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/buf.h"
#include "queries/timerange.h"

/* Counts of lines/records by kind (DESIGN §2 bad input). */
struct record_counts {
	uint64_t total;		/* lines read (non-empty) */
	uint64_t invalid_json;	/* not one JSON object (syntax, not an object, too deep) */
	uint64_t invalid_utf8;
	uint64_t too_long;	/* longer than the line bound; skipped unread */
	uint64_t no_time;	/* valid JSON, no parseable time */
	uint64_t naive_time;	/* time without a zone, read as UTC (still counted) */
	uint64_t bad_type;	/* a role field of the wrong type (latency "87ms") */
	uint64_t unparsed;	/* text lines that match no pattern of their format */
};

/* Latency histogram bucket: cumulative count of values <= le (Prometheus
 * style); the last has le = INFINITY and count = the group's count. */
struct hist_bin {
	double		le;
	uint64_t	count;
};

#define LAT_HIST_BINS 12	/* 5 10 20 50 100 200 500 1000 2000 5000 10000 +Inf */
extern const double lat_hist_bounds[LAT_HIST_BINS];

/* The key of the group of records that lack the group-by field. */
#define PANELS_NO_GROUP "(none)"

struct lat_group {
	char		*key;
	uint64_t	 count;
	double		 p50, p95, p99;		/* NAN when count == 0 */
	struct hist_bin	 hist[LAT_HIST_BINS];
};

struct mean_point {			/* one bucket of a mean series */
	double		mean;		/* NAN when count == 0 */
	uint64_t	count;
};

struct conf_series {
	char		  *key;		/* "*" for all groups */
	struct mean_point *pts;		/* nbuckets */
};

struct cache_point { uint64_t hits, total; };
struct err_point   { uint64_t errors, invalid, total; };

struct share_row {
	char		*key;
	uint64_t	 count;
};

struct panels {
	struct time_range	 range;
	int64_t			 bucket;	/* width, ns */
	int64_t			 first;		/* start of the first bucket (aligned) */
	size_t			 nbuckets;
	struct record_counts	 records;

	char			*latency_field;
	char			*group_by;
	int			 exact;		/* percentiles are exact */
	struct lat_group	*groups;	/* sorted by count, descending, then key */
	size_t			 ngroups;

	struct conf_series	*conf;		/* conf[0] is "*", then one per group */
	size_t			 nconf;
	double			 conf_mean;	/* over the whole range, NAN if none */
	double			 conf_prev;	/* same length before the range, NAN if no data */
	const char		*conf_method;	/* static: PANELS_CONF_RECORD (also NULL),
						   _SCRIPT or _VALUES */

	struct cache_point	*cache;		/* nbuckets each */
	struct err_point	*errors;
	struct mean_point	*drift;

	char			*version_field;
	struct share_row	*versions;	/* model-version share, by count desc */
	size_t			 nversions;

	char			*note;		/* partial results, e.g. "4/5 shards
						   answered: REASON"; NULL if complete */
};

/* How the confidence means were computed (DESIGN §3: the mean over records
 * of each record's mean): "record" each record's mean, exactly; "script"
 * the same by a script on the server (Elasticsearch); "values" the mean of
 * every array element, which differs when arrays differ in length (the
 * server refused scripts); "lines" each record's mean, computed by logdive
 * from the lines the server sent (Loki). */
#define PANELS_CONF_RECORD	"record"
#define PANELS_CONF_SCRIPT	"script"
#define PANELS_CONF_VALUES	"values"
#define PANELS_CONF_LINES	"lines"	/* each record's mean, computed here from
					   the lines (Loki: LogQL cannot) */

void	panels_free(struct panels *p);
/* Bucket i's start time. */
int64_t	panels_bucket_time(const struct panels *p, size_t i);

/* Print as DESIGN §7 JSON (stable keys; times ISO 8601 UTC with Z; NAN as
 * null), plus "note" (null or the partial-result text) and
 * "confidence"."method". sources are the source names as given. */
void	panels_print_json(const struct panels *p, const char *const *sources,
	    size_t nsources, FILE *out);
/* "" for exact per-record means, else a parenthesised phrase with a
 * leading blank saying how the confidence means were computed (static). */
const char *panels_conf_method_text(const struct panels *p);
/* Human table; CSV with one row per (panel, key, bucket). */
void	panels_print_table(const struct panels *p, FILE *out);
void	panels_print_csv(const struct panels *p, FILE *out);

/* Markdown (CommonMark, GitHub tables) for the -f md printers. The text
 * of a cell: control characters made visible (str_visible), then a
 * backslash (CommonMark 2.4) before \ ` * [ ] < | ~, before '_' at a
 * word's edge, and before '#' or '>' at the start. A code span (CommonMark 6.1): fenced by one more backtick than
 * the longest run inside, '|' escaped for tables. */
void	md_text(struct buf *b, const char *s);
void	md_code(struct buf *b, const char *s);

/* Markdown for a report (runbook -f md, panels -f md). panel NULL: the
 * range and record counts, the latency table, one row per time series
 * (overall, first and last non-empty bucket, min, max and when), the
 * model-version share. panel "latency", "versions": that table alone;
 * "confidence" (all groups and each, up to 6), "cache_hit", "errors",
 * "drift": one row per bucket. Empty buckets show "-". */
void	panels_print_md(const struct panels *p, const char *panel, FILE *out);

/* Builder used by backends that aggregate records themselves (the file
 * backend): feed rows, then finish. */
struct panels_builder;
struct panels_row {
	int64_t		 t;
	double		 latency;	/* NAN if not a number */
	const char	*group;		/* NULL if absent; pass the same pointer for the
					   same key (interned) to spare hashing */
	size_t		 grouplen;
	const char	*version;
	size_t		 versionlen;
	double		 confidence;	/* NAN if none */
	int		 cache_hit;	/* -1 not a boolean, 0, 1 */
	int		 is_error;	/* level is ERROR (any case) */
	double		 drift;		/* NAN if none */
};
struct panels_builder *panels_builder_new(const struct time_range *r, int64_t bucket);
void	panels_builder_add(struct panels_builder *b, const struct panels_row *row);
/* A row before the range, for the confidence change figure. */
void	panels_builder_add_prev(struct panels_builder *b, double confidence);
/* An invalid line/record attributed to time t (TIME_NONE: not bucketed). */
void	panels_builder_add_invalid(struct panels_builder *b, int64_t t);
/* Fill p (takes ownership of the builder's data, frees the builder). */
void	panels_builder_finish(struct panels_builder *b, struct panels *p);

#endif
