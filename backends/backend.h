/* The backend vtable (DESIGN §5). Views and headless commands ask for data
 * through it and never know which backend they talk to. */
#ifndef LD_BACKEND_H
#define LD_BACKEND_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "backends/conffile.h"
#include "queries/mapping.h"
#include "queries/panels.h"
#include "queries/query.h"
#include "queries/timerange.h"

/* Load progress, written by the backend, read by anyone (atomics). */
struct progress {
	_Atomic uint64_t bytes_done;
	_Atomic uint64_t bytes_total;	/* 0 when unknown (stdin, .gz) */
	_Atomic uint64_t records;
	_Atomic int	 done;		/* 1 once every record is readable (load may
					   still be writing its index) */
	_Atomic int	 rc;		/* set before done: LD_OK, or the status load
					   will return, its err already filled */
	_Atomic int	 from_index;	/* 1 if read back from the index, not parsed */
	/* Log lines read so far by the query call running now, where a
	 * remote backend reads lines itself (a list, Loki's client-side
	 * confidence); the caller zeroes it before the call. For progress. */
	_Atomic uint64_t lines_read;
};

struct backend_opts {
	const char *const *sources;	/* as given on the command line */
	size_t		   nsources;
	const struct mapping *map;	/* copied by open */
	size_t		   max_line;	/* longest line kept, bytes (default 16 MiB) */
	int		   follow;	/* keep reading appended lines */
	const char	  *cache_dir;	/* index directory; NULL: $XDG_CACHE_HOME/logdive; "": no index */
	const char	  *log_format;	/* files: --log-format NAME ("json" or a text
					   format, backends/textfmt.h); NULL: detect */
	/* remote sources (Elasticsearch, Loki) */
	const struct source_def *def;	/* the config file's entry for the source, or NULL */
	int		   insecure;	/* --insecure: no TLS verification (warned) */
	int64_t		   connect_timeout;	/* ns; 0: the config's, else 5 s */
	int64_t		   timeout;	/* ns; 0: the config's, else 30 s */
	size_t		   max_body;	/* --max-body, bytes; 0: the config's,
					   else HTTP_MAX_BODY (256 MiB) */
	const struct time_range *range;	/* -t, if given: where a remote backend
					   samples lines to learn the fields */
};

struct query_opts {
	const struct q_node *query;	/* resolved against fields(); NULL: everything */
	int		     has_range;	/* 0: the data's own extent (file sources) */
	struct time_range    range;
	int64_t		     bucket;	/* ns; 0: automatic (about 60 buckets) */
	const char	    *group_by;	/* full path; NULL: the mapping's group role */
};

enum hit_sort { SORT_TIME_ASC, SORT_TIME_DESC, SORT_LATENCY_DESC, SORT_LATENCY_ASC };

struct search_req {
	struct query_opts q;
	const char	*group_value;	/* only records whose group field equals it; NULL: any */
	double		 min_latency;	/* NAN: no bound; else latency >= this */
	enum hit_sort	 sort;
	size_t		 limit;		/* 0: all (up to the backend's list cap) */
	int		 all;		/* 1: no list cap. Remote backends otherwise
					   stop at 100,000 hits (hitlist.total then
					   says how many there are) */
};

/* One record as the lists show it. Strings are NUL-terminated, owned by the
 * hitlist, NULL when absent. */
struct hit {
	int64_t	 t;			/* TIME_NONE if none */
	double	 latency;		/* NAN if not a number */
	double	 confidence;		/* NAN if none */
	char	*service, *group, *level, *message, *event, *trace_id, *request_id;
	int	 naive_time;
	uint64_t loc[2];		/* backend-private location of the record (the
					   file backend: source | length << 32, offset) */
};

struct hitlist {
	struct hit	*v;
	size_t		 n, cap;
	size_t		 total;		/* matches before the limit */
	int		 capped;	/* 1: more matched than the backend's list cap
					   (search_req.all) and the sort, not by time,
					   is among the first records by time only */
};
void	hitlist_free(struct hitlist *l);
/* A deep copy: dst gets its own strings (free with hit_clear). */
void	hit_copy(struct hit *dst, const struct hit *src);
/* Free a hit's strings (set to NULL); the other fields stay. */
void	hit_clear(struct hit *h);
/* Append a zeroed hit (latency/confidence NAN, t TIME_NONE); returns it. */
struct hit *hitlist_push(struct hitlist *l);

struct backend;

struct backend_ops {
	const char *name;		/* "file", "elasticsearch", "loki" */
	/* Check sources, set up; quick. */
	int	(*open)(struct backend *b, const struct backend_opts *o, struct ld_err *err);
	/* Initial load (may take long; updates b->progress; honours
	 * b->cancel_load).
	 * Other calls may run concurrently from another thread and see what is
	 * loaded so far. */
	int	(*load)(struct backend *b, struct ld_err *err);
	/* Known full field paths (for suffix resolution). Array and strings
	 * owned by the backend, valid until the next call or close. */
	int	(*fields)(struct backend *b, const char *const **paths, size_t *n);
	int	(*panels)(struct backend *b, const struct query_opts *q, struct panels *out,
		    struct ld_err *err);
	int	(*search)(struct backend *b, const struct search_req *r, struct hitlist *out,
		    struct ld_err *err);
	/* Every record whose trace_id equals id, else whose request_id does,
	 * across all sources, time-ordered. LD_NOMATCH if none. May be called
	 * before load: then it answers from an index if every source has a
	 * fresh one, else returns LD_EAGAIN (call load, then again). */
	int	(*trace)(struct backend *b, const char *id, struct hitlist *out,
		    struct ld_err *err);
	/* The record's full text (one JSON object) as in the source; caller frees. */
	char	*(*record)(struct backend *b, const struct hit *h, struct ld_err *err);
	/* --follow: read what was appended (or re-read a truncated/rotated
	 * file). Returns 1 if anything changed, 0 if not, -1 on error; remote
	 * sources return 2 every few seconds (a live tick: the dashboard asks
	 * again, its relative range moved on; lists keep what they show). */
	int	(*poll)(struct backend *b, struct ld_err *err);
	void	(*close)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	struct mapping	 map;
	struct progress	 progress;
	_Atomic int	 cancel;	/* 1: cancel the running query call (panels, search, trace) */
	_Atomic int	 cancel_load;	/* 1: stop load and poll; what was read stays */
	/* A problem that did not stop the load (a truncated .gz): one line for
	 * the status bar / stderr; empty if none. Written by load only. */
	char		 warning[512];
	void		*priv;
};

/* Order hits as sort says: by time, or by latency (NAN last) then time.
 * For qsort. */
int	hit_cmp_time_asc(const void *x, const void *y);
int	hit_cmp_time_desc(const void *x, const void *y);
int	hit_cmp_latency_desc(const void *x, const void *y);
int	hit_cmp_latency_asc(const void *x, const void *y);

/* b->ops->search(rq), or with above (50, 95 or 99) and no
 * rq->group_value: the records of each latency group at or above that
 * group's pN (the panels are computed first, with rq->q), merged in
 * rq->sort order, at most rq->limit; total is the sum of the groups'
 * totals, capped if any group's was. What the dashboard's drill-down and
 * a preset's "above" do. Errors as search (LD_NOMATCH if none). */
int	backend_search_above(struct backend *b, const struct search_req *rq, int above,
	    struct hitlist *out, struct ld_err *err);

/* Pick the backend for the sources (es+…, loki+…, else files) and open it.
 * Returns NULL with err set. Free with backend_close. */
struct backend	*backend_open(const struct backend_opts *o, struct ld_err *err);
void		 backend_close(struct backend *b);

extern const struct backend_ops file_backend_ops;
extern const struct backend_ops es_backend_ops;
extern const struct backend_ops loki_backend_ops;

#endif
