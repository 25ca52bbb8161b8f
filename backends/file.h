/* The file backend: JSON-lines files and text logs read through a format
 * definition (backends/textfmt.h), plain, .gz or stdin, scanned on every
 * core into columns of the mapped roles, persisted by fileindex.c. */
#ifndef LD_FILE_H
#define LD_FILE_H
#include <stdint.h>

/* One line of a source, as indexed. 72 bytes; the index stores these. */
enum rec_kind {
	REC_OK = 0, REC_INVALID_JSON, REC_INVALID_UTF8, REC_TOO_LONG, REC_NO_TIME,
	REC_UNPARSED		/* a text line that matches no pattern of its format */
};
#define REC_KIND(f)	((f) & 7)
#define REC_NAIVE	0x08	/* time had no zone */
#define REC_BAD_TYPE	0x10	/* a role field of the wrong type */
#define REC_ERROR	0x20	/* level is ERROR */
#define REC_CACHE_SET	0x40	/* cache_hit is a boolean ... */
#define REC_CACHE_HIT	0x80	/* ... and true */

struct rec {
	int64_t	 t;		/* ns; invalid lines: the last valid time before them */
	uint64_t off;		/* byte offset of the line in the source */
				/* (a text record with continuation lines spans
				   several: off and len cover them all) */
	double	 latency;	/* NAN if not a number */
	double	 confidence;	/* NAN if none */
	double	 drift;		/* NAN if none */
	uint64_t trace_h;	/* hash64 of the trace_id, 0 none */
	uint64_t req_h;		/* hash64 of the request_id, 0 none */
	uint32_t len;		/* line length without the newline */
	uint32_t group;		/* interned group value + 1, 0 none */
	uint32_t version;	/* interned version value + 1, 0 none */
	uint16_t src;
	uint8_t	 flags;
	uint8_t	 pad;
};

#include <pthread.h>
#include "backends/jscan.h"
#include "backends/reader.h"
#include "backends/textfmt.h"
#include "lib/strmap.h"
#include "queries/mapping.h"

/* Internals shared by file.c and fileindex.c. */
struct seg {
	struct rec	*v;
	size_t		 n, cap;
};

struct fsrc {
	struct rsrc	 r;
	int		 unsaved;	/* scanned, not yet in the index */
	int		 deferred;	/* "-" or .gz: opened (spooled) by load */
	uint64_t	 scanned;	/* bytes consumed (up to the last complete line in follow mode) */
	struct seg	*segs;		/* in file order */
	size_t		 nsegs;
	const struct tf_format *fmt;	/* text format (owned by fb->formats), NULL: JSON lines */
	int		 detected;	/* fmt decided (detected or forced) */
	int64_t		 ref_t;		/* ns: the file's mtime (now for stdin), the
					   reference of RFC 3164 years */
	uint64_t	 sig;		/* hash of the up to 4096 bytes before scanned,
					   taken when they were scanned (not spooled) */
	int		 sig_ok;	/* sig is set */
};

struct fb {
	struct fsrc	*srcs;
	size_t		 nsrcs;
	size_t		 max_line;
	int		 follow;
	char		*cache_dir;
	pthread_rwlock_t lock;
	struct strmap	 groups, versions, fields;
	const char	**field_list;	/* sorted snapshot for fields() */
	size_t		 nfield_list;
	int64_t		 tmin, tmax;	/* extent of valid records */
	uint64_t	 nrecs;
	/* text formats: the loaded definitions; --log-format */
	struct tf_set	 formats;
	const struct tf_format *forced;	/* --log-format NAME, or NULL */
	int		 forced_json;	/* --log-format json */
	/* the compiled role paths */
	const char	*path_str[JSCAN_MAX_PATHS];	/* borrowed from the backend's mapping */
	struct jscan_paths *ps;
	int		 role_at[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
	size_t		 npaths;
};

struct backend;

/* Append n records as a new segment of s (fileindex.c reading an index
 * back). v is taken over (allocated with xmalloc). Records' group and
 * version fields are 1-based ids into groups[] and versions[] (0: none);
 * they are remapped to the backend's tables. fields are paths seen in s. */
void	file_append_segment(struct backend *b, struct fsrc *s, struct rec *v, size_t n,
	    char *const *groups, size_t ngroups, char *const *versions, size_t nversions,
	    char *const *fields, size_t nfields);
#endif
