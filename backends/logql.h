/* The pure part of the Grafana Loki backend: the stream selector checked,
 * values quoted, /regex/ checked for RE2, field paths named as labels, and
 * the query AST compiled to the LogQL subset of the Loki contract (log
 * queries and the panels' metric queries). No network. Section numbers
 * "§n" below are those of shared/protocols/loki.md.
 *
 * Ownership: every char * returned is the caller's to free; inputs are
 * borrowed and never modified, except the struct logql_labels passed in,
 * which grows. Every user value reaches LogQL through logql_quote or
 * logql_quote_regex, every label name is made here: user text never
 * chooses syntax.
 *
 * Where Loki cannot do what the file backend does (DESIGN §3, §4; the
 * exact semantics are query_match's in queries/query.h), the closest
 * faithful query is built and the difference is said here:
 *  - Fields are labels of one `| json L="path", ...` stage. A label holds
 *    text: a string "500" and the number 500 are the same label, so `f:500`
 *    and `f > 5` also match strings that read as numbers ("500", "5e2",
 *    "500.0"; and where not guarded, see below, anything Go's ParseFloat
 *    reads, "Inf" included), and `f:"500"` (quoted: a string only) also
 *    matches the number 500; true/false become "true"/"false", so
 *    `f:"true"` also matches the boolean.
 *  - A missing field, null and "" are all the empty label: `f:*` is
 *    `L!=""` (a field holding "" counts as missing, an empty array as
 *    present), `f:""` also matches records without f, `f:null` matches
 *    only the string "null".
 *  - Objects and arrays come back as their raw JSON text: `f:x` on an
 *    array does not look at its elements (the file backend matches any
 *    element), comparisons on arrays never hold.
 *  - `f:500` compiles to `L == 500` (numeric: 500.0 and 5e2 match, as in
 *    the file backend). < <= > >= with a number compile to numeric
 *    filters; with a string (or a quoted value) they are refused with
 *    LD_EUSAGE: LogQL compares only numbers. So is a number beyond double
 *    range (1e400), which LogQL cannot parse.
 *  - A numeric filter on a label that is not a number sets __error__ and
 *    the final `| __error__=""` drops the line. Where a false filter could
 *    still let the line match (inside an `or`, under a pushed-down `not`)
 *    it is guarded so that it is only evaluated on number-shaped labels:
 *    `L!~NUM or L <= 5` for a negation, `(L=~NUM and (L!~NUM or L > 5))`
 *    elsewhere, NUM being the JSON number regex (label filter `or` stops
 *    at its first true operand, `and` evaluates both). Of an or-chain the
 *    last operand needs no guard, so an operand with a numeric filter is
 *    moved last. A label holding a number too large for a double (1e400)
 *    still drops the line.
 *  - Wildcards become anchored regexes: `*` -> `.*`, `?` -> `.`, under
 *    (?s); the rest QuoteMeta'd. Case-sensitive, as in the file backend.
 *  - LogQL label filters have no `not`: negations are pushed down to the
 *    leaves (De Morgan; = <-> !=, =~ <-> !~, == <-> !=, > <-> <=, ...).
 *  - Free text (case-insensitive substring of the raw line) becomes
 *    `|~ "(?i)TEXT"` (QuoteMeta'd); RE2's (?i) folds Unicode case too
 *    ("É" finds "é"), the file backend only ASCII. /regex/ becomes
 *    `|~ "RE"` after logql_check_regex. Both are line filters when they
 *    are terms of the top-level and-chain, negated or not, or an `or` of
 *    such positive terms (one alternation); anywhere else the line is
 *    copied into the label ldline (`| label_format
 *    ldline="{{__line__}}"`) and tested with `ldline=~"(?s).*(?i:TEXT).*"`
 *    or `ldline=~"(?s:.*)(?:RE)(?s:.*)"`; a log query's streams then carry
 *    the line a second time, as that label.
 *  - RE2 differs from PCRE2 where it is not refused: \s has no \x0b, $ is
 *    only the end of the line, \p{...} names are Go's.
 *  - A dotted path is read as nested keys (a.b.c) unless
 *    logql_label_keys says how it splits; the file backend also finds a
 *    key containing dots ("log.level"). Keys holding '"' or ']' cannot be
 *    written in a json stage (LD_EUSAGE).
 *  - Loki's json stage checks only the start of the line and what it
 *    reads: a line that is not JSON is JSONParserErr (dropped) when it
 *    does not start with {, [ or "; a truncated object, or an array, may
 *    pass with empty labels. A query with no field and no extra path has
 *    no json stage at all, so lines that are not JSON are not dropped:
 *    pass a path in logql_req.paths to have them dropped.
 *  - If a field's label name is also a stream label or structured
 *    metadata key that the selector does not name, Loki renames the field
 *    to NAME_extracted and the filter reads the stream label: pass known
 *    label names (GET /loki/api/v1/labels, "detected_level") as avoid.
 */
#ifndef LD_LOGQL_H
#define LD_LOGQL_H
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"
#include "lib/err.h"
#include "queries/query.h"

/* The label that holds the whole line when free text or a regex must be a
 * label filter; no field ever gets this name. */
#define LOGQL_LINE_LABEL	"ldline"

/* A checked stream selector (§4.1). */
struct logql_selector {
	char	 *text;		/* from '{' to '}' as given */
	char	**labels;	/* distinct label names, in order of appearance */
	size_t	  nlabels;
};

/* Parse text as a stream selector: `{name op "value", ...}` with op one
 * of = != =~ !~, names [a-zA-Z_][a-zA-Z0-9_]* (not a LogQL keyword such
 * as `by` or `json`), values Go strings ("..." with Go escapes, or `raw`),
 * blanks and # comments between tokens; the text must be valid UTF-8 and
 * regex values must compile. At least one matcher must not match the
 * empty string (Loki's validateMatchers; a regex is tested anchored with
 * PCRE2), else Loki's own text. Returns LD_OK and fills out (free with
 * logql_selector_free), or LD_EUSAGE with err->col set and a message
 * "stream selector: WHAT at col N" (N counts UTF-8 characters from 1 at
 * the start of text); out is then empty. */
int	logql_selector_parse(const char *text, struct logql_selector *out,
	    struct ld_err *err);
void	logql_selector_free(struct logql_selector *s);

/* Append s[0..n) as a LogQL double-quoted string (§4.8 step 2): \ " LF
 * TAB CR escaped, other bytes < 0x20 and 0x7f as \xNN, UTF-8 as is.
 * Invalid UTF-8 is LD_EUSAGE "value is not valid UTF-8" (LogQL text must
 * be UTF-8) and out is unchanged. */
int	logql_quote(struct buf *out, const char *s, size_t n, struct ld_err *err);
/* The same for a literal inside a regex (§4.8 step 3): Go's
 * regexp.QuoteMeta (\ . + * ? ( ) | [ ] { } ^ $ escaped), then quoted. */
int	logql_quote_regex(struct buf *out, const char *s, size_t n, struct ld_err *err);

/* Check the Q_REGEX node q (a PCRE2 pattern in q->value) for what Go's
 * RE2 syntax lacks: lookaround, backreferences (\1, \k<n>, \g, (?P=n)),
 * possessive quantifiers, atomic groups, \K, recursion and subroutines
 * ((?R), (?1), (?&n)), conditionals, callouts, (*VERBS), comments (?#,
 * flags other than i m s U, branch reset, \C \X \R \N \h \v \G \Z \e \c
 * \o and other escapes, \b in a class, (?'name'), a lone \E, repeat
 * counts over 1000 and {,n}. Returns LD_OK, or LD_EUSAGE "regex: WHAT is
 * not supported by Loki (RE2)[ (HINT)] at col N" with err->col = N, the
 * column of the construct in the query (q->col is the opening '/'; a '/'
 * in the pattern was typed \/). Invalid UTF-8 is refused too. */
int	logql_check_regex(const struct q_node *q, struct ld_err *err);

/* "a.b.c" with Loki's flattening (§4.3): each key's blanks trimmed, each
 * character outside [a-zA-Z0-9_] made '_', keys joined with '_', a
 * leading digit prefixed with '_'; "" -> "_". Caller frees. */
char	*logql_flatten(const char *path);

/* Label names of field paths, one per path, stable across the queries
 * built with it: the flattened path, with "x" put before a name starting
 * with "__" (Loki's own labels), then "_x" appended until it is not a
 * selector label, an avoid name, LOGQL_LINE_LABEL, a LogQL keyword (any
 * case) or another path's label. */
struct logql_label {
	char	*path;		/* the full dotted path */
	char	*name;		/* its label */
	char	*expr;		/* its json stage expression: a.b, a["c-d"].e */
};

struct logql_labels {
	struct logql_label	 *v;		/* in order of first use */
	size_t			  n, cap;
	char			**taken;	/* names no path may get */
	size_t			  ntaken;
};

/* sel may be NULL; avoid[0..navoid) are more names to keep clear of
 * (copied). Free with logql_labels_free. */
void	logql_labels_init(struct logql_labels *l, const struct logql_selector *sel,
	    const char *const *avoid, size_t navoid);
void	logql_labels_free(struct logql_labels *l);
/* The label of path, made on first use (the string belongs to l). NULL
 * with LD_EUSAGE if the path is not valid UTF-8 or a key holds '"' or
 * ']'. */
const char *logql_label(struct logql_labels *l, const char *path, struct ld_err *err);
/* Say that path is the keys keys[0..nkeys) (e.g. "log.level" as the one
 * key "log.level"), before or after its first use; its name does not
 * change once made. Errors as logql_label. */
int	logql_label_keys(struct logql_labels *l, const char *path,
	    const char *const *keys, size_t nkeys, struct ld_err *err);

/* One more label filter a panel needs, after the query's. */
enum logql_fop {
	LOGQL_STR_EQ, LOGQL_STR_NE,	/* L="str", L!="str" */
	LOGQL_RE, LOGQL_NRE,		/* L=~"str", L!~"str": str is RE2, quoted only */
	LOGQL_NUM_EQ, LOGQL_NUM_NE,	/* L == num, L != num */
	LOGQL_LT, LOGQL_LE, LOGQL_GT, LOGQL_GE
};

struct logql_filter {
	const char	*path;
	enum logql_fop	 op;
	const char	*str;		/* string and regex ops */
	double		 num;		/* numeric ops: finite */
	const struct logql_filter *and;	/* NULL, or the next of an and-chain */
};

/* What a query is built from. */
struct logql_req {
	const struct logql_selector *sel;	/* required */
	struct logql_labels	*labels;	/* required; grows */
	const struct q_node	*query;		/* resolved (->path); NULL: every line */
	const char *const	*paths;		/* more paths to extract (group-by,
						   sort field, ...) */
	size_t			 npaths;
	const struct logql_filter *filter;	/* NULL: none; an and-chain */
	const struct logql_filter *const *any;	/* then `| (CHAIN) or (CHAIN)...`
						   of these and-chains */
	size_t			 nany;
	int			 no_negative;	/* the server predates Loki 3.1, whose
						   label filters took negative numbers:
						   refuse them (LD_EUSAGE, the column) */
};

/* The log query (drill-down, trace):
 *   {SEL} LINEFILTERS | json L="path", ... [| label_format
 *   ldline="{{__line__}}"] [| LABELFILTER] [| FILTER] [| ANY] | __error__=""
 * FILTER is r->filter's chain, `A and B`; ANY `(A and B) or (C)` of r->any.
 * The json stage lists r->paths, then r->filter's paths, r->any's, the query's
 * fields in order of appearance, each once; it is left out when there are
 * none. LINEFILTERS and LABELFILTER as at the top of this file; the label
 * filter is one expression, and/or fully parenthesized where they mix.
 * names (if non-NULL) gets r->npaths label names, names[i] that of
 * paths[i] (owned by r->labels). Returns NULL with err (LD_EUSAGE, err->col
 * set for errors in the query) when a value, path or regex cannot be
 * written in LogQL. */
char	*logql_log_query(const struct logql_req *r, const char **names,
	    struct ld_err *err);

/* Every range of a metric query is followed by this offset, so that the
 * point at time T covers [T - R, T) for nanosecond entry times instead of
 * Loki's (T - R, T] (§4.6): a point at the end of a bucket is that bucket,
 * even where the query frontend aligns the evaluation times to multiples
 * of the step (split_queries_by_interval). */
#define LOGQL_OFFSET	" offset 1ns"

/* Metric queries of the panels (range = step for disjoint buckets). */
enum logql_fn {
	LOGQL_QUANTILE,		/* quantile_over_time(phi, ... | unwrap L ...) */
	LOGQL_AVG,		/* avg_over_time(... | unwrap L ...) */
	LOGQL_COUNT		/* sum(count_over_time(...)) */
};

struct logql_metric {
	enum logql_fn	   fn;
	double		   phi;		/* QUANTILE: 0 <= phi <= 1 */
	const char	  *unwrap;	/* QUANTILE, AVG: the numeric field's path */
	const char *const *by;		/* group-by paths */
	size_t		   nby;
	int64_t		   range;	/* ns: a positive multiple of 1 ms */
};

/* PIPE being logql_log_query's text (json stage: unwrap, by, r->paths,
 * filter, query fields):
 *   quantile_over_time(PHI, PIPE | unwrap L | __error__="" [R] offset 1ns) by (G, ...)
 *   avg_over_time(PIPE | unwrap L | __error__="" [R] offset 1ns) by (G, ...)
 *   sum by (G, ...) (count_over_time(PIPE [R] offset 1ns))
 * Without by paths: `by ()` for the first two (one series, not one per
 * label set) and `sum(count_over_time(PIPE [R] offset 1ns))`. A series whose group
 * field is missing has G "" (or no G). R as logql_duration. Errors as
 * logql_log_query, plus LD_EUSAGE for a bad range, phi or unwrap. */
char	*logql_metric_query(const struct logql_req *r, const struct logql_metric *m,
	    struct ld_err *err);

/* sum(count_over_time({SEL} [R] offset 1ns)): every line. */
char	*logql_count_lines(const struct logql_selector *sel, int64_t range,
	    struct ld_err *err);
/* sum(count_over_time({SEL} | json | __error__="JSONParserErr" [R] offset 1ns)):
 * lines that are not JSON. */
char	*logql_count_json_errors(const struct logql_selector *sel, int64_t range,
	    struct ld_err *err);

/* A log query whose lines are shrunk to one field, for what LogQL cannot
 * compute (the mean of a confidence array):
 *   PIPE | line_format "{{.C}}" | keep G, ...
 * C the label of line_path (json stage: line_path, keep, r->paths, ...);
 * each line becomes C's text (raw JSON for an array, "" if missing) and
 * the streams are per value of the keep paths (a missing one: no label).
 * Without keep paths, `| drop` of every label the pipeline made instead:
 * the streams are then Loki's own. Errors as logql_log_query. */
char	*logql_lines_query(const struct logql_req *r, const char *line_path,
	    const char *const *keep, size_t nkeep, struct ld_err *err);

/* ns as a range duration: "3600s" when whole seconds, else "1500ms".
 * LD_EUSAGE if ns <= 0 or not whole milliseconds (LogQL ranges have no
 * finer unit). out needs 24 bytes. */
int	logql_duration(int64_t ns, char *out, size_t outlen, struct ld_err *err);

#endif
