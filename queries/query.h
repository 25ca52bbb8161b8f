/* The query language of DESIGN §4: parser, AST, field resolution and
 * in-memory evaluation. Backend-agnostic; each backend compiles the AST to
 * its own language or calls query_match on each record. */
#ifndef LD_QUERY_H
#define LD_QUERY_H
#include <stddef.h>
#include "lib/err.h"

enum q_kind {
	Q_AND,		/* a and b */
	Q_OR,		/* a or b */
	Q_NOT,		/* not a */
	Q_FIELD,	/* field OP value; field:* is Q_EXISTS */
	Q_EXISTS,	/* field:* */
	Q_TEXT,		/* free text or "phrase": case-insensitive substring of the raw record */
	Q_REGEX		/* /pcre2/ over the raw record */
};

enum q_cmp { Q_EQ, Q_LT, Q_LE, Q_GT, Q_GE };	/* ':' is Q_EQ */

struct q_node {
	enum q_kind	 kind;
	int		 col;		/* 1-based column where the node starts */
	struct q_node	*a, *b;		/* AND/OR: both; NOT: a */
	char		*field;		/* FIELD/EXISTS: as typed */
	char		*path;		/* FIELD/EXISTS: resolved full path (query_resolve) */
	enum q_cmp	 cmp;
	char		*value;		/* FIELD/TEXT: unescaped text; REGEX: pattern */
	int		 quoted;	/* value was a "quoted phrase": no wildcards,
					 * never a number, true, false or null */
	int		 wildcard;	/* FIELD ':' with an unescaped * or ?: value is
					 * then a pattern in which \*, \? and \\
					 * stand for literal *, ? and \ */
	int		 is_num;	/* unquoted value is a JSON number: num */
	double		 num;
	void		*re;		/* REGEX: pcre2_code * (JIT-compiled) */
};

/* Parse text into an AST. Returns NULL with err set (LD_EUSAGE, err->col
 * and a message like "expected value after ':' at col 14") on a syntax
 * error. Empty or all-blank text parses to NULL with err->status LD_OK
 * (match everything). Terms side by side are and-ed; the grammar is at
 * the top of query.c. Columns count UTF-8 characters from 1 at the start
 * of text. Free with query_free. */
struct q_node	*query_parse(const char *text, struct ld_err *err);
void		 query_free(struct q_node *q);

/* Resolve every FIELD/EXISTS name against the known full paths: an exact
 * path wins; else a unique path ending in "." + name; several -> LD_EUSAGE
 * "field 'x' is ambiguous at col N: a.x, b.x"; none -> LD_EUSAGE
 * "unknown field 'x' at col N". Sets node->path (owned by the node). */
int		 query_resolve(struct q_node *q, const char *const *paths, size_t n,
		    struct ld_err *err);

/* Canonical text form for tests and display, e.g.
 * (and (> inference_metrics.latency_ms 500) (: serving_variant "canary")).
 * Forms: (and A B ...) and (or A B ...) with nested chains of the same
 * operator flattened; (not A); (OP NAME VALUE) with OP one of : < <= > >=;
 * (wild NAME "pattern") for a wildcard ':'; (exists NAME); (text "s");
 * (regex "pattern"). VALUE is a number as typed, or an unquoted
 * true/false/null after ':', else a JSON string. NAME is bare unless it
 * holds a blank, a control character, ( ) " or \ (then a JSON string).
 * Strings are JSON-escaped. The empty query is "". Uses path when
 * resolved, else field. Caller frees. */
char		*query_to_string(const struct q_node *q);

/* One scalar value of a record, as the evaluator sees it. */
enum q_vtype { QV_NULL, QV_FALSE, QV_TRUE, QV_NUMBER, QV_STRING, QV_OTHER };
struct q_val {
	enum q_vtype	 type;
	double		 num;		/* QV_NUMBER */
	const char	*s;		/* QV_STRING: unescaped UTF-8, not NUL-terminated */
	size_t		 len;
};

/* How the evaluator reads a record. get() fills up to max values found at
 * the full path (an array's elements are each a value; objects are
 * QV_OTHER) and returns how many there are (may exceed max; 0: missing).
 * raw is the record's text (one JSON line) for TEXT and REGEX. */
struct q_record {
	void		*ctx;
	size_t		(*get)(void *ctx, const char *path, struct q_val *out, size_t max);
	const char	*raw;
	size_t		 rawlen;
};

/* 1 if the record matches. NULL q matches everything. Thread-safe (regex
 * match data is per thread). Semantics: ':' on a string is an exact,
 * case-sensitive match (wildcards: * any run, ? one character, over the
 * whole value); on a number, numeric equality; true/false match booleans;
 * a field holding an array matches if any element matches; < <= > >=
 * compare numbers numerically and strings byte-wise; a missing field never
 * matches (so `not f:x` matches records without f). Details: ':' with
 * an unquoted true/false/null matches that JSON literal, and any value
 * also matches a string equal to its text (f:500 matches "500"); a quoted
 * value is a string only (f:"500" never matches the number 500); < <= >
 * >= compare a number only with numbers and a string only with strings;
 * objects match only field:*, which holds for any value but null (an empty
 * array is missing). TEXT: ASCII case-insensitive substring of raw; REGEX:
 * PCRE2 in UTF mode, invalid UTF-8 in raw tolerated. Allocates nothing per
 * record beyond per-thread buffers. */
int		 query_match(const struct q_node *q, const struct q_record *r);

/* Release this thread's regex match data (call before a worker exits). */
void		 query_thread_done(void);

#endif
