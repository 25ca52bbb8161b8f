/* The pure part of the Elasticsearch / OpenSearch backend (issue 3 §2): the
 * field list from _mapping, the query AST compiled to query DSL, the one
 * _msearch body of a dashboard refresh and its parser, drill-down and
 * trace search bodies. No network: the backend sends what these build and
 * hands back what the server answered. Section numbers "§n" below are
 * those of shared/protocols/elasticsearch.md.
 *
 * Ownership: every json_t * returned is a new reference the caller
 * json_decref's; every char * returned is the caller's to free. Inputs are
 * borrowed and never modified.
 *
 * Where Elasticsearch cannot do what the file backend does (DESIGN §3,
 * §4), the closest faithful query is built and the difference is said
 * here:
 *  - Free text (Q_TEXT) is a case-insensitive substring of the raw line in
 *    the file backend. Elasticsearch has no raw line; it becomes a bool
 *    should over the string fields: `wildcard` "*TEXT*" with
 *    case_insensitive on every keyword field (and every text field's
 *    keyword sub-field), plus `match_phrase` on every text field (tokens
 *    in order, so "mism" does not find "mismatch" there, but values past
 *    the keyword sub-field's ignore_above are still found). Keys, numbers
 *    and booleans of the line are not searched. Before 7.10 there is no
 *    case_insensitive: the wildcard is then case-sensitive. Fields typed
 *    as a non-string in some index, sub-fields (their parent stands for
 *    them), aliases and nested fields are left out, as they are for
 *    /regex/. No string field at all gives match_none.
 *  - /regex/ (PCRE2 over the raw line) becomes a bool should of `regexp`
 *    (Lucene syntax, flags NONE) on every keyword field and keyword
 *    sub-field, wrapped in .* on the unanchored sides (Lucene regexps
 *    match the whole value). Text fields without a keyword sub-field are
 *    not searched. The pattern is translated: a leading ^ and a trailing
 *    $ become the implicit anchors, (?: is (, a leading (?i) sets
 *    case_insensitive, lazy quantifiers (*? +? ?? }?) lose the ?, \t \n \r
 *    \f become the characters, " is escaped. Lookaround, backreferences,
 *    \d \w \s \b and the other PCRE escapes, other (? groups, possessive
 *    quantifiers, POSIX [:classes:] and anchors elsewhere are refused with
 *    LD_EUSAGE "... is not supported by Elasticsearch regexp ... at col N".
 *    '.' also matches a newline in Lucene.
 *  - ':' with an unquoted null matches only the string "null": null is
 *    never indexed.
 *  - Text fields without a keyword sub-field are matched with
 *    `match_phrase` (analyzed: case-insensitive, by tokens), wildcards on
 *    them with `wildcard` case_insensitive on the tokens, comparisons
 *    with `range` on the tokens. Values longer than a keyword sub-field's
 *    ignore_above (256 by default) are not in it, so exact and wildcard
 *    matches miss them.
 *  - A comparison with a number on a string field, or ':' with a
 *    fractional number on an integer field, can never match in the file
 *    backend and compiles to match_none. A value that is not a number on
 *    a numeric field is an LD_EUSAGE error naming the field and the
 *    column, as is a value other than true/false on a boolean field, and
 *    a wildcard on a number, boolean or date.
 *  - Date fields take the value as typed (ISO 8601, or a number: epoch
 *    milliseconds); the file backend compares the JSON text.
 *  - Fields inside a `nested` object need a nested query, which is not
 *    built: querying them is an LD_EUSAGE error.
 */
#ifndef LD_ES_DSL_H
#define LD_ES_DSL_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "backends/backend.h"
#include "lib/err.h"
#include "queries/panels.h"
#include "queries/query.h"
#include "queries/timerange.h"

/* Field types of §8.1, folded. */
enum es_ftype {
	ES_KEYWORD,	/* keyword, constant_keyword, wildcard */
	ES_TEXT,	/* text, match_only_text */
	ES_LONG,	/* long, integer, short, byte, unsigned_long */
	ES_DOUBLE,	/* double, float, half_float, scaled_float */
	ES_DATE,	/* date, date_nanos */
	ES_BOOLEAN,
	ES_OBJECT,	/* object (no "type"), nested */
	ES_OTHER,	/* ip, geo_point, flattened, ... */
	ES_NTYPES
};

struct es_field {
	char		*path;		/* full dotted path */
	enum es_ftype	 type;		/* the type queries are compiled for */
	unsigned	 types;		/* bit 1 << t for every type seen across
					   indices; more than one bit: conflict */
	int		 conflict;
	char		*kwpath;	/* text: its keyword sub-field's full path
					   ("log_level.keyword"), NULL if none */
	int		 multi;		/* this is a sub-field (x.keyword) of another */
	int		 nested;	/* inside a nested object (or nested itself) */
	int		 alias;		/* an alias: type and kwpath are its target's */
};

struct es_fields {
	struct es_field	*v;		/* sorted by path */
	size_t		 n;
	const char	**paths;	/* es_fields_paths(); points into v */
	int		 version;	/* server major * 100 + minor (813); 0 =
					   unknown, taken as recent */
	int		 opensearch;
};

/* Parse a GET /<pattern>/_mapping response (§3.3): top-level keys are
 * concrete indices, each {"mappings": {"properties": ...}} (a 6.x type
 * level {"mappings": {"_doc": {"properties": ...}}} is also read). Nested
 * properties become dotted paths; objects are listed as ES_OBJECT; entries
 * under "fields" become fields of their own (path.name, multi = 1), and a
 * keyword one sets the parent's kwpath ("keyword" preferred); an alias
 * takes its target's type. Indices are merged: a path typed differently
 * in two indices gets every type in types, conflict = 1, and type the one
 * to compile for: keyword, else text, else double, else long, else date,
 * boolean, object, other (a string type first: a string query value fails
 * on a numeric index, which the server reports as a shard failure, not
 * the other way round); kwpath is set if any index has one (an index
 * without it matches nothing there). A path that is keyword in one index
 * and text in another is queried as keyword, which misses the text
 * index's values: the conflict flag lets the caller warn. version and opensearch are left 0:
 * set them from GET / (es_server_version). Returns LD_OK, or LD_ESOURCE
 * if the response is not an object of index mappings (out is then
 * empty). Free with es_fields_free. */
int	es_fields_from_mapping(const json_t *mapping_response, struct es_fields *out,
	    struct ld_err *err);
void	es_fields_free(struct es_fields *f);
/* Every path (sub-fields included), sorted, for query_resolve; the array
 * and strings belong to f. */
const char *const *es_fields_paths(const struct es_fields *f, size_t *n);
/* The field at path, or NULL. */
const struct es_field *es_fields_find(const struct es_fields *f, const char *path);

/* From a GET / response (§3.1): sets f->version (major * 100 + minor)
 * and f->opensearch. OpenSearch counts as 7.10 for the features used here
 * (case_insensitive). Returns LD_OK or LD_ESOURCE if there is no
 * version.number. */
int	es_server_version(const json_t *info, struct es_fields *f, struct ld_err *err);

/* The resolved AST q (query_resolve against es_fields_paths) as one query
 * clause (§4.2): term, terms, range, match_phrase, wildcard, regexp,
 * exists, match_none, or a bool of them. and -> bool filter (chains
 * flattened); or -> bool should with minimum_should_match 1, or one
 * `terms` when every branch is an exact match on the same field; not ->
 * bool must_not. Per field type, field:value is: keyword -> term (the
 * value as a string); text with keyword sub-field -> term on the
 * sub-field (exact and case-sensitive like the file backend); text
 * without -> match_phrase; numbers -> term with a JSON number; boolean
 * -> term true/false; a wildcard -> wildcard on the keyword (sub-)field,
 * our \* \? \\ escapes being Lucene's too; field:* -> exists; < <= > >=
 * -> range gt/gte/lt/lte (numbers as JSON numbers, else strings). Free
 * text and /regex/: see the top of this file. NULL q gives match_all.
 * Every user value is a JSON value set through jansson, never spliced
 * into query syntax. Returns NULL with err (LD_EUSAGE, err->col set)
 * when the query cannot be expressed; see the top of this file. */
json_t	*es_query_from_ast(const struct q_node *q, const struct es_fields *f,
	    struct ld_err *err);

/* {"range": {time_field: {"gte": START, "lt": END, "format":
 * "strict_date_optional_time"}}} for [r->start, r->end) (§4.2, §4.3):
 * absolute ISO 8601 UTC strings with milliseconds, resolved here, never
 * date math. Both ends are rounded up to the millisecond, so that a
 * millisecond-precision date t is in range exactly when the ns time is. */
json_t	*es_range_filter(const char *time_field, const struct time_range *r);

/* {"bool": {"filter": [range, query...]}}: the range (if r is non-NULL)
 * and the compiled q (an and-chain's clauses spliced in). Errors as
 * es_query_from_ast. */
json_t	*es_query_in_range(const struct q_node *q, const struct es_fields *f,
	    const char *time_field, const struct time_range *r, struct ld_err *err);

/* One dashboard refresh. Role paths are full paths as in the mapping;
 * NULL or a path the mapping lacks leaves the panel empty. */
struct es_dash {
	const char	*index;		/* pattern for the _msearch headers; NULL: {} */
	const char	*time_field;	/* required, a date */
	const char	*latency_field;
	const char	*group_field;	/* group-by */
	const char	*version_field;
	const char	*conf_field;
	const char	*cache_field;	/* boolean */
	const char	*level_field;
	const char	*drift_field;
	const struct q_node *query;	/* resolved; NULL: everything */
	struct time_range range;
	int64_t		 bucket;	/* ns, a positive multiple of 1 ms */
	size_t		 max_groups;	/* terms size; 0: 100 */
	size_t		 max_versions;	/* 0: 100 */
	int		 conf_script;	/* 1: confidence means by ES_CONF_SCRIPT (the
					   per-record mean, DESIGN §3); 0: `avg` of
					   the field, the mean of every array element */
};

/* The Painless source of the per-record confidence mean (params.f = the
 * field): a record's confidence is the mean of its array (DESIGN §2, §3),
 * and `avg` of a multi-valued field is the mean of all elements instead
 * (§6.1), so the dashboard averages this per-document value. Scripts work
 * the same in ES 7, ES 8 and OpenSearch; a cluster may refuse them
 * (script.allowed_types), see es_script_refused. */
#define ES_CONF_SCRIPT \
	"if (!doc.containsKey(params.f) || doc[params.f].size() == 0) " \
	"{ return null; } double s = 0; for (def v : doc[params.f]) { s += v; } " \
	"return s / doc[params.f].size();"

/* The NDJSON body of the one POST /_msearch (§5; Content-Type
 * application/x-ndjson) that carries every panel; each line ends with \n,
 * the last too. Two searches, size 0:
 *  1. the range [start, end) and the query, track_total_hits true, aggs:
 *   "groups": a filter on records with a latency or a confidence, then
 *     "g": terms on the group field (its keyword sub-field for text;
 *     missing "(none)" for string fields; order _count desc, _key asc;
 *     without a group field the sub-aggs sit in "groups" directly, one
 *     "(none)" group), each with
 *       "lat": filter exists latency -> "pct": percentiles [50,95,99]
 *         (keyed false) and "hist": a `filters` agg (array form) of
 *         range lte each bound of lat_hist_bounds but +Inf: cumulative
 *         counts with the file backend's `<= le` exactly (a `histogram`
 *         or `range` agg has [from, to) buckets);
 *       "t": the date_histogram below with only "conf";
 *   "t": date_histogram on the time field, fixed_interval the width (in
 *     d h m s or ms), time_zone UTC, no offset (buckets are multiples of
 *     the width since the epoch, as in the file backend), min_doc_count 0
 *     and extended_bounds (epoch ms) from the first aligned bucket to the
 *     last, so every bucket is present; sub-aggs "conf" (filter exists ->
 *     "avg"), "hit" (filter term cache true), "cset" (filter exists
 *     cache: a boolean, since other values are not indexed in a boolean
 *     field), "err" (filter: level is ERROR in any case: term with
 *     case_insensitive from 7.10, else terms ERROR/error/Error; on a text
 *     field without keyword sub-field, match "error", which also takes
 *     "error" as one word among others), "drift" (filter exists -> "avg");
 *   "conf": filter exists -> "avg" over the whole range;
 *   "ver": terms on the version field (order _count desc, _key asc).
 *  2. only with a confidence field: the range of the same length before,
 *     the query, "conf" as above (the change figure).
 * Confidence: with d->conf_script, "avg" of ES_CONF_SCRIPT (each
 * record's mean, DESIGN §3); else `avg` of the field, the mean of every
 * array element, which equals the mean of the records' means only when
 * the arrays have equal length. Its count is of records either way. The
 * values averaged are the field's doc values: a `float` field holds
 * 32-bit floats, so means differ from the file backend's in about the
 * 8th significant digit. A cache or level
 * field of another type leaves that panel empty. Returns NULL with err
 * (LD_EUSAGE) if the query cannot be compiled, the group field is text
 * without a keyword sub-field, the bucket is not whole ms, or the
 * buckets would exceed 65000 (search.max_buckets). */
char	*es_msearch_dashboard(const struct es_dash *d, const struct es_fields *f,
	    struct ld_err *err);

/* Fill out from the _msearch response to es_msearch_dashboard(d, f)
 * (§5, §6): range, bucket, first and nbuckets as the file backend's;
 * exact = 0 (TDigest); conf_method "script" or "values" as
 * d->conf_script; records.total = hits.total of search 1, the other
 * counts 0 (the server never indexed bad lines); groups sorted by count
 * desc then key, groups with no latency dropped; conf[0] "*" then one
 * series per group in that order; errors[].invalid 0; role field names
 * copied. A response item with "error" or a non-200 status is LD_ESOURCE
 * "Elasticsearch: TYPE: REASON" for search 1; for search 2 it only leaves
 * conf_prev NAN and says so in note. Partial results (_shards.failed > 0,
 * timed_out) fill out and put "4/5 shards answered: REASON" or "timed out:
 * partial results" in note (notelen bytes, "" if none; note may be NULL).
 * On error out is empty (panels_free is still safe). */
int	es_parse_dashboard(const json_t *msearch_response, const struct es_dash *d,
	    const struct es_fields *f, struct panels *out, char *note, size_t notelen,
	    struct ld_err *err);

/* 1 if an item of a dashboard _msearch response failed because the server
 * refuses or cannot run ES_CONF_SCRIPT (its error text mentions a script
 * or painless, e.g. "cannot execute [inline] scripts"), with that text in
 * why; else 0 and why "". The caller then asks again with conf_script 0. */
int	es_script_refused(const json_t *msearch_response, char *why, size_t whylen);

/* The term of q that a server error message names (§7.1: a 400 names
 * the offending value in brackets, "failed to parse date field [x]",
 * or quotes it, 'For input string: "x"'; else the field, "[path]"):
 * the first FIELD/EXISTS node whose value, else whose path, appears so
 * in msg; NULL if none. Borrowed from q. */
const struct q_node *es_blame(const struct q_node *q, const char *msg);

/* Append to err->msg "; the query at col N: FIELD OP VALUE" for the term
 * es_blame finds, set err->col and err->status LD_EUSAGE (a query error,
 * exit 2) and return 1; else 0 and err unchanged. */
int	es_blame_err(const struct q_node *q, struct ld_err *err);

/* One line for an error body (§7.1): an object -> "TYPE: REASON" of
 * root_cause[0] (else of the error itself), with the innermost caused_by
 * reason appended when it differs; a string -> itself; else "". Writes
 * into out. */
char	*es_error_text(const json_t *error, char *out, size_t outlen);

/* A drill-down or trace page. */
struct es_search {
	const char	*time_field;
	const char	*latency_field;
	const struct q_node *query;	/* resolved; NULL: everything */
	const struct time_range *range;	/* NULL: any time */
	const char	*group_field;	/* with group_value: only that group */
	const char	*group_value;	/* "(none)": records without the field */
	double		 min_latency;	/* NAN: none; else range gte */
	enum hit_sort	 sort;
	const char	*tiebreak;	/* a unique keyword field, last sort key; NULL:
					   with a PIT, _shard_doc (ES only) */
	size_t		 size;		/* page size, <= 10000 */
	const json_t	*search_after;	/* the previous page's last "sort" array */
	const char	*pit_id;	/* then POST /_search without an index */
	const char	*keep_alive;	/* NULL: "1m" */
};

/* A POST _search body (§4.1, §4.4, §4.5): size, query (es_query_in_range
 * plus the group term and the latency range), sort (time or latency with
 * unmapped_type, then time asc for latency sorts, then the tiebreaker),
 * track_total_hits true on the first page and false after, search_after
 * as given (deep-copied: decode responses without JSON_DECODE_INT_AS_REAL
 * so that long sort values stay int64), pit {id, keep_alive}. Without a
 * tiebreaker or PIT, hits with equal sort values may repeat or be skipped
 * across pages. Returns NULL with err (LD_EUSAGE) as es_query_from_ast. */
json_t	*es_search_body(const struct es_search *s, const struct es_fields *f,
	    struct ld_err *err);

/* A trace page: every record whose id_field (its keyword sub-field for
 * text) equals id exactly, time-ordered (s->sort is ignored; s->query,
 * range, group and latency too). Call with the trace_id field, then the
 * request_id field if that found nothing (DESIGN: trace_id, else
 * request_id). */
json_t	*es_trace_body(const struct es_search *s, const char *id_field, const char *id,
	    const struct es_fields *f, struct ld_err *err);

#endif
