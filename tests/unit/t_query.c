#include "config.h"
#include "tests/unit/tap.h"
#include "lib/err.h"
#include "lib/xalloc.h"
#include "queries/query.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Parse text and compare its canonical form (unresolved field names). */
static void
parses(const char *text, const char *want)
{
	struct ld_err err;
	struct q_node *q = query_parse(text, &err);
	char *s = query_to_string(q);

	if (q == NULL && err.status != LD_OK)
		printf("#   error: %s\n", err.msg);
	is_str(s, want, "parse %s", text);
	free(s);
	query_free(q);
}

/* Parse text and expect a usage error with this message and column. */
static void
fails(const char *text, const char *msg, int col)
{
	struct ld_err err;
	struct q_node *q = query_parse(text, &err);

	ok(q == NULL && err.status == LD_EUSAGE && err.col == col,
	    "error for %s at col %d (got col %d)", text, col, err.col);
	is_str(err.msg, msg, "message for %s", text);
	query_free(q);
}

static void
test_design_examples(void)
{
	parses("latency_ms > 500 and serving_variant:canary",
	    "(and (> latency_ms 500) (: serving_variant \"canary\"))");
	parses("model_version:\"3.2.1\" and not log_level:INFO",
	    "(and (: model_version \"3.2.1\") (not (: log_level \"INFO\")))");
	parses("service:(feature-store or api-gateway)",
	    "(or (: service \"feature-store\") (: service \"api-gateway\"))");
	parses("error.message:*OOM*            # wildcard",
	    "(wild error.message \"*OOM*\")");
	parses("/CUDA out of memory/           # PCRE2 regex over the raw line",
	    "(regex \"CUDA out of memory\")");
	parses("\"shape mismatch\"               # free text, phrase",
	    "(text \"shape mismatch\")");
	parses("cache_hit:false and feature_store_latency_ms >= 40",
	    "(and (: cache_hit false) (>= feature_store_latency_ms 40))");
	/* The whole block at once: lines are juxtaposed, so and-ed. */
	parses("service:(feature-store or api-gateway)\n"
	    "error.message:*OOM*            # wildcard\n"
	    "/CUDA out of memory/           # PCRE2 regex over the raw line\n"
	    "\"shape mismatch\"               # free text, phrase\n",
	    "(and (or (: service \"feature-store\") (: service \"api-gateway\")) "
	    "(wild error.message \"*OOM*\") (regex \"CUDA out of memory\") "
	    "(text \"shape mismatch\"))");
}

static void
test_precedence(void)
{
	parses("a or b and c",
	    "(or (text \"a\") (and (text \"b\") (text \"c\")))");
	parses("a and b or c",
	    "(or (and (text \"a\") (text \"b\")) (text \"c\"))");
	parses("not a and b", "(and (not (text \"a\")) (text \"b\"))");
	parses("not (a or b)", "(not (or (text \"a\") (text \"b\")))");
	parses("(a or b) c", "(and (or (text \"a\") (text \"b\")) (text \"c\"))");
	parses("a b c", "(and (text \"a\") (text \"b\") (text \"c\"))");
	parses("a AND b Or NOT c",
	    "(or (and (text \"a\") (text \"b\")) (not (text \"c\")))");
	parses("a or b or c", "(or (text \"a\") (text \"b\") (text \"c\"))");
	parses("(a and b) and (c and d)",
	    "(and (text \"a\") (text \"b\") (text \"c\") (text \"d\"))");
	parses("a and (b or c)",
	    "(and (text \"a\") (or (text \"b\") (text \"c\")))");
	parses("not not a", "(not (not (text \"a\")))");
	parses("((a))", "(text \"a\")");
	parses("x:1 or y:2 z:3",
	    "(or (: x 1) (and (: y 2) (: z 3)))");
}

static void
test_values(void)
{
	struct ld_err err;
	struct q_node *q;

	parses("latency_ms>500", "(> latency_ms 500)");
	parses("latency_ms>=500", "(>= latency_ms 500)");
	parses("latency_ms<5", "(< latency_ms 5)");
	parses("latency_ms <= -1.5", "(<= latency_ms -1.5)");
	parses("latency_ms<=5 and x:1", "(and (<= latency_ms 5) (: x 1))");
	parses("x:1e3", "(: x 1e3)");
	parses("latency_ms:>500", "(> latency_ms 500)");
	parses("latency_ms:>= 500", "(>= latency_ms 500)");
	parses("latency_ms:(>100 and <=900)",
	    "(and (> latency_ms 100) (<= latency_ms 900))");
	parses("f:\\>5 g:a>b", "(and (: f \">5\") (: g \"a>b\"))");
	parses("v:3.2.1", "(: v \"3.2.1\")");
	parses("v:01", "(: v \"01\")");
	parses("v:+1", "(: v \"+1\")");
	parses("v:1.", "(: v \"1.\")");
	parses("v:\"500\"", "(: v \"500\")");
	parses("v:canary", "(: v \"canary\")");
	parses("f:true f:\"false\" f:null",
	    "(and (: f true) (: f \"false\") (: f null))");
	parses("f:True", "(: f \"True\")");
	parses("f:*", "(exists f)");
	parses("f:\"*\"", "(: f \"*\")");
	parses("f:\\*", "(: f \"*\")");
	parses("f:a\\*b*", "(wild f \"a\\\\*b*\")");
	parses("f:a?c", "(wild f \"a?c\")");
	parses("f > a*", "(> f \"a*\")");
	parses("msg:\"a \\\"quoted\\\" \\\\ word\"",
	    "(: msg \"a \\\"quoted\\\" \\\\ word\")");
	parses("f:a\\:b\\(c\\)", "(: f \"a:b(c)\")");
	parses("host:10.0.0.1:8080", "(: host \"10.0.0.1:8080\")");
	parses("@timestamp >= 2026-02-27T03:00:00Z",
	    "(>= @timestamp \"2026-02-27T03:00:00Z\")");
	parses("path:/v1/recommend", "(: path \"/v1/recommend\")");
	parses("service : api", "(: service \"api\")");
	parses("log.level:warn", "(: log.level \"warn\")");
	parses("user\\ name:bob", "(: \"user name\" \"bob\")");
	parses("café:crème", "(: café \"crème\")");
	parses("f:(a and not b)", "(and (: f \"a\") (not (: f \"b\")))");
	parses("f:(a (b or c))",
	    "(and (: f \"a\") (or (: f \"b\") (: f \"c\")))");
	parses("f:(* or \"x y\")", "(or (exists f) (: f \"x y\"))");
	parses("/a\\/b/", "(regex \"a/b\")");
	parses("// f:\"\"", "(and (regex \"\") (: f \"\"))");
	parses("/\\d+ms\\\\/", "(regex \"\\\\d+ms\\\\\\\\\")");
	parses("\\and or \"OR\"", "(or (text \"and\") (text \"OR\"))");
	parses("x#y # the rest is a comment ) ( \"", "(text \"x#y\")");
	parses("a:b # one\n# two\nc", "(and (: a \"b\") (text \"c\"))");
	parses("tab\\\tx", "(text \"tab\\tx\")");

	/* Node fields as the backends read them. */
	q = query_parse("a and service:x*", &err);
	ok(q != NULL && q->kind == Q_AND && q->b->kind == Q_FIELD &&
	    q->b->col == 7 && q->b->wildcard && !q->b->quoted &&
	    strcmp(q->b->field, "service") == 0 &&
	    strcmp(q->b->value, "x*") == 0, "field node of 'service:x*'");
	query_free(q);
	q = query_parse("x:-1.5e2", &err);
	ok(q != NULL && q->is_num && q->num == -150.0 && q->cmp == Q_EQ,
	    "-1.5e2 is the number -150");
	query_free(q);
	q = query_parse("x:\"12\"", &err);
	ok(q != NULL && q->quoted && !q->is_num && !q->wildcard,
	    "a quoted number is a string");
	query_free(q);
	q = query_parse("  not   /x/", &err);
	ok(q != NULL && q->kind == Q_NOT && q->col == 3 &&
	    q->a->kind == Q_REGEX && q->a->col == 9 && q->a->re != NULL,
	    "regex node compiled, columns");
	query_free(q);

	/* Empty queries match everything. */
	q = query_parse("", &err);
	ok(q == NULL && err.status == LD_OK, "empty query");
	q = query_parse("  \t# only a comment\n ", &err);
	ok(q == NULL && err.status == LD_OK, "blank query");
	q = query_parse(NULL, &err);
	ok(q == NULL && err.status == LD_OK, "NULL query");
	{
		char *s = query_to_string(NULL);
		is_str(s, "", "to_string of the empty query");
		free(s);
	}
}

static void
test_errors(void)
{
	fails("service:", "expected value after ':' at col 9", 9);
	fails("latency_ms > 500 and log_level:",
	    "expected value after ':' at col 32", 32);
	fails("service:)", "expected value after ':' at col 9", 9);
	fails("service:and", "expected value after ':' at col 9", 9);
	fails("a and b)", "unbalanced ')' at col 8", 8);
	fails(")", "unbalanced ')' at col 1", 1);
	fails("a (b or c", "missing ')' for '(' at col 3", 3);
	fails("((a)", "missing ')' for '(' at col 1", 1);
	fails("msg:\"abc", "unterminated string starting at col 5", 5);
	fails("café \"x", "unterminated string starting at col 6", 6);
	fails("/CUDA", "unterminated regex starting at col 1", 1);
	fails("a /x\\/", "unterminated regex starting at col 3", 3);
	fails("latency_ms > 500 and",
	    "expected a query after 'and' at col 21", 21);
	fails("a or", "expected a query after 'or' at col 5", 5);
	fails("a or and b", "expected a query after 'or' at col 6", 6);
	fails("not", "expected a query after 'not' at col 4", 4);
	fails("()", "expected a query after '(' at col 2", 2);
	fails("and a", "expected a query before 'and' at col 1", 1);
	fails("OR a", "expected a query before 'or' at col 1", 1);
	fails(":x", "expected a field name before ':' at col 1", 1);
	fails("> 5", "expected a field name before '>' at col 1", 1);
	fails("(a):b", "expected a field name before ':' at col 4", 4);
	fails("latency_ms >", "expected value after '>' at col 13", 13);
	fails("latency_ms >= )", "expected value after '>=' at col 15", 15);
	fails("latency_ms > (1 or 2)", "expected value after '>' at col 14",
	    14);
	fails("service:(a or)", "expected a value after 'or' at col 14", 14);
	fails("service:(not)", "expected a value after 'not' at col 13", 13);
	fails("service:()", "expected a value after '(' at col 10", 10);
	fails("service:(a", "missing ')' for '(' at col 9", 9);
	fails("f:>", "expected value after '>' at col 4", 4);
	fails("f:(<= )", "expected value after '<=' at col 7", 7);
	fails("/(unclosed/",
	    "invalid regex at col 1: missing closing parenthesis", 1);
	fails("x and /a{2,1}/",
	    "invalid regex at col 7: numbers out of order in {} quantifier",
	    7);
	fails("/foo/i",
	    "unexpected text after regex at col 6 (for flags write "
	    "/(?i)pattern/)", 6);
	fails("a\\", "nothing to escape after '\\' at col 2", 2);
	fails("\"log.level\":x",
	    "quoted field name at col 1 (write it bare; escape special "
	    "characters with '\\')", 1);
	fails("a # comment\n)", "unbalanced ')' at col 13", 13);
}

static void
test_deep(void)
{
	enum { N = 100000 };
	struct ld_err err;
	struct q_node *q;
	char *s = xmalloc(2 * N + 16), *t;
	size_t i;

	for (i = 0; i < N; i++)
		s[i] = '(';
	strcpy(s + N, "a");
	fails(s, "query nested too deeply at col 129 (more than 128 levels)",
	    129);
	for (i = 0; i < N; i++)
		s[N + 1 + i] = ')';
	s[2 * N + 1] = '\0';
	fails(s, "query nested too deeply at col 129 (more than 128 levels)",
	    129);

	memset(s, '(', 128);
	strcpy(s + 128, "a");
	memset(s + 129, ')', 128);
	s[257] = '\0';
	parses(s, "(text \"a\")");

	for (i = 0; i < N / 4; i++)
		memcpy(s + 4 * i, "not ", 4);
	strcpy(s + N, "a");
	fails(s, "query nested too deeply at col 513 (more than 128 levels)",
	    513);

	/* f:((((... nests too. */
	strcpy(s, "f:");
	memset(s + 2, '(', 1000);
	s[1002] = '\0';
	fails(s, "query nested too deeply at col 131 (more than 128 levels)",
	    131);
	free(s);

	/* A long flat chain is fine: it parses to a balanced tree. */
	s = xmalloc(6 * N + 2);
	for (i = 0; i < N; i++)
		memcpy(s + 6 * i, "a and ", 6);
	strcpy(s + 6 * N, "a");
	q = query_parse(s, &err);
	ok(q != NULL && q->kind == Q_AND, "100001-term and chain parses");
	t = query_to_string(q);
	ok(t != NULL && strlen(t) == 4 + (N + 1) * 11 + 1,
	    "and chain prints flat");
	free(t);
	{
		struct q_record r = { NULL, NULL, "xay", 3 };
		ok(query_match(q, &r) == 1, "and chain matches");
	}
	query_free(q);
	free(s);
}

/* Field resolution. */

static const char *const paths[] = {
	"timestamp", "service", "log_level", "log.level", "message",
	"model_metadata", "model_metadata.serving_variant",
	"model_metadata.model_version", "inference_metrics.latency_ms",
	"input_features.cache_hit", "input_features.feature_store_latency_ms",
	"output.confidence_scores", "error.message", "tags", "note", "user",
	"user.name", "trace.id", "span.id", "request.id"
};
#define NPATHS	(sizeof paths / sizeof paths[0])

static void
resolves(const char *text, const char *want)
{
	struct ld_err err;
	struct q_node *q = query_parse(text, &err);
	int rc = query_resolve(q, paths, NPATHS, &err);
	char *s = rc == LD_OK ? query_to_string(q) : xstrdup(err.msg);

	is_str(s, want, "resolve %s", text);
	free(s);
	query_free(q);
}

static void
test_resolve(void)
{
	static const char *const many[] = {
		"p9.x", "p1.x", "p2.x", "p3.x", "p4.x", "p5.x", "p6.x",
		"p7.x", "p8.x", "p0.x"
	};
	static const char *const twice[] = { "a.b.x", "c.y", "a.b.x" };
	struct ld_err err;
	struct q_node *q;

	resolves("message:x", "(: message \"x\")");
	resolves("latency_ms > 500 and serving_variant:canary",
	    "(and (> inference_metrics.latency_ms 500) "
	    "(: model_metadata.serving_variant \"canary\"))");
	resolves("metrics.latency_ms:1",
	    "unknown field 'metrics.latency_ms' at col 1");
	resolves("inference_metrics.latency_ms:1",
	    "(: inference_metrics.latency_ms 1)");
	resolves("level:warn", "(: log.level \"warn\")");
	resolves("log.level:warn", "(: log.level \"warn\")");
	resolves("latency_ms:*", "(exists inference_metrics.latency_ms)");
	resolves("name:(a or b)",
	    "(or (: user.name \"a\") (: user.name \"b\"))");
	resolves("not cache_hit:true /x/ y",
	    "(and (not (: input_features.cache_hit true)) (regex \"x\") "
	    "(text \"y\"))");
	resolves("ms:1", "unknown field 'ms' at col 1");
	resolves("atency_ms:1", "unknown field 'atency_ms' at col 1");
	resolves("service:x and nope:1", "unknown field 'nope' at col 15");
	resolves("id:1", "field 'id' is ambiguous at col 1: "
	    "request.id, span.id, trace.id");
	resolves("a and (b or id:1)", "field 'id' is ambiguous at col 13: "
	    "request.id, span.id, trace.id");

	q = query_parse("x:1", &err);
	ok(query_resolve(q, many, 10, &err) == LD_EUSAGE && err.col == 1,
	    "ambiguous among 10 is LD_EUSAGE");
	is_str(err.msg, "field 'x' is ambiguous at col 1: p0.x, p1.x, p2.x, "
	    "p3.x, p4.x, p5.x, p6.x, p7.x and 2 more", "long candidate list");
	ok(query_resolve(q, twice, 3, &err) == LD_OK &&
	    strcmp(q->path, "a.b.x") == 0 && strcmp(q->field, "x") == 0,
	    "a path listed twice is one candidate");
	ok(query_resolve(q, paths, NPATHS, &err) == LD_EUSAGE,
	    "re-resolving against other paths");
	query_free(q);
	ok(query_resolve(NULL, paths, NPATHS, &err) == LD_OK &&
	    err.status == LD_OK, "resolving the empty query");
}

/* Evaluation over hand-written records: a path -> values table. */

struct fval {
	const char	*path;
	struct q_val	 v;
};

struct frec {
	const char		*raw;
	const struct fval	*vals;
};

#define S(p, x)	{ p, { QV_STRING, 0, x, sizeof x - 1 } }
#define N(p, x)	{ p, { QV_NUMBER, x, NULL, 0 } }
#define V(p, t)	{ p, { t, 0, NULL, 0 } }

static const struct fval r0[] = {
	S("timestamp", "2026-02-27T03:10:00Z"),
	S("service", "recommendation-model"),
	S("log_level", "ERROR"),
	V("model_metadata", QV_OTHER),
	S("model_metadata.serving_variant", "canary"),
	S("model_metadata.model_version", "3.2.1"),
	N("inference_metrics.latency_ms", 812),
	V("input_features.cache_hit", QV_FALSE),
	N("input_features.feature_store_latency_ms", 45),
	N("output.confidence_scores", 0.2),
	N("output.confidence_scores", 0.9),
	S("error.message", "CUDA out of memory (OOM) on gpu 1"),
	S("tags", "gpu"),
	S("tags", "a*b"),
	{ NULL, { QV_NULL, 0, NULL, 0 } }
};

static const struct fval r1[] = {
	S("timestamp", "2026-02-27T02:00:00Z"),
	S("service", "feature-store"),
	S("log_level", "INFO"),
	V("model_metadata", QV_OTHER),
	S("model_metadata.serving_variant", "prod"),
	N("model_metadata.model_version", 3),
	N("inference_metrics.latency_ms", 87),
	V("input_features.cache_hit", QV_TRUE),
	N("input_features.feature_store_latency_ms", 40),
	N("output.confidence_scores", 0.8),
	S("message", "Shape Mismatch in layer 3"),
	S("tags", "axb"),
	V("note", QV_NULL),
	{ NULL, { QV_NULL, 0, NULL, 0 } }
};

static const struct fval r2[] = {
	S("timestamp", "2026-02-27T03:30:00Z"),
	S("service", "api-gateway"),
	S("log.level", "warn"),
	S("inference_metrics.latency_ms", "87ms"),
	S("message", "caf\xc3\xa9 served"),
	V("user", QV_OTHER),
	S("user.name", "Zo\xc3\xab"),
	{ NULL, { QV_NULL, 0, NULL, 0 } }
};

static const struct frec recs[] = {
	{ "{\"timestamp\":\"2026-02-27T03:10:00Z\",\"service\":"
	  "\"recommendation-model\",\"log_level\":\"ERROR\",\"model_metadata\":"
	  "{\"serving_variant\":\"canary\",\"model_version\":\"3.2.1\"},"
	  "\"inference_metrics\":{\"latency_ms\":812},\"input_features\":"
	  "{\"cache_hit\":false,\"feature_store_latency_ms\":45},\"output\":"
	  "{\"confidence_scores\":[0.2,0.9]},\"error\":{\"message\":"
	  "\"CUDA out of memory (OOM) on gpu 1\"},\"tags\":[\"gpu\",\"a*b\"]}",
	  r0 },
	{ "{\"timestamp\":\"2026-02-27T02:00:00Z\",\"service\":\"feature-store\","
	  "\"log_level\":\"INFO\",\"model_metadata\":{\"serving_variant\":"
	  "\"prod\",\"model_version\":3},\"inference_metrics\":{\"latency_ms\":"
	  "87},\"input_features\":{\"cache_hit\":true,"
	  "\"feature_store_latency_ms\":40},\"output\":{\"confidence_scores\":"
	  "0.8},\"message\":\"Shape Mismatch in layer 3\",\"tags\":[\"axb\"],"
	  "\"note\":null}", r1 },
	{ "{\"timestamp\":\"2026-02-27T03:30:00Z\",\"service\":\"api-gateway\","
	  "\"log.level\":\"warn\",\"inference_metrics\":{\"latency_ms\":"
	  "\"87ms\"},\"message\":\"caf\xc3\xa9 served\",\"user\":{\"name\":"
	  "\"Zo\xc3\xab\"},\"tags\":[]}", r2 }
};

static size_t
fget(void *ctx, const char *path, struct q_val *out, size_t max)
{
	const struct fval *f;
	size_t n = 0;

	for (f = ctx; f->path != NULL; f++)
		if (strcmp(f->path, path) == 0) {
			if (n < max)
				out[n] = f->v;
			n++;
		}
	return n;
}

/* Which of recs[] match: "101" means the first and the last; an error
 * comes back as its message. */
static char *
matches(const char *text)
{
	struct ld_err err;
	struct q_node *q = query_parse(text, &err);
	char *s;
	size_t i;

	if (err.status != LD_OK ||
	    query_resolve(q, paths, NPATHS, &err) != LD_OK) {
		query_free(q);
		return xstrdup(err.msg);
	}
	s = xmalloc(4);
	for (i = 0; i < 3; i++) {
		struct q_record r = { (void *)recs[i].vals, fget, recs[i].raw,
		    strlen(recs[i].raw) };
		s[i] = query_match(q, &r) ? '1' : '0';
	}
	s[3] = '\0';
	query_free(q);
	return s;
}

#define MATCHES(text, want) do { char *m_ = matches(text); \
	is_str(m_, want, "match %s", text); free(m_); } while (0)

static void
test_match(void)
{
	/* Numbers. */
	MATCHES("latency_ms > 500", "100");
	MATCHES("latency_ms > 50", "110");
	MATCHES("latency_ms >= 812", "100");
	MATCHES("latency_ms <= 87", "010");
	MATCHES("latency_ms < 87", "000");
	MATCHES("latency_ms:87", "010");
	MATCHES("latency_ms:87.0", "010");
	MATCHES("latency_ms:8.7e1", "010");
	MATCHES("latency_ms:87ms", "001");
	MATCHES("latency_ms:(>100 and <=900)", "100");
	MATCHES("feature_store_latency_ms >= 40 and cache_hit:false", "100");
	/* Strings, exact and case-sensitive; a quoted number is a string. */
	MATCHES("model_version:3", "010");
	MATCHES("model_version:3.2.1", "100");
	MATCHES("model_version:\"3.2.1\"", "100");
	MATCHES("model_version:\"3\"", "000");
	MATCHES("log_level:ERROR or log.level:warn", "101");
	MATCHES("log_level:error", "000");
	MATCHES("serving_variant:can", "000");
	/* Booleans and null. */
	MATCHES("cache_hit:false", "100");
	MATCHES("cache_hit:true", "010");
	MATCHES("cache_hit:\"true\"", "000");
	MATCHES("not cache_hit:true", "101");
	MATCHES("note:null", "010");
	MATCHES("note:*", "000");
	/* Arrays: any element. */
	MATCHES("confidence_scores > 0.85", "100");
	MATCHES("confidence_scores < 0.5", "100");
	MATCHES("confidence_scores:0.8", "010");
	MATCHES("confidence_scores:(0.2 and 0.9)", "100");
	MATCHES("tags:gpu", "100");
	MATCHES("tags:*", "110");
	MATCHES("not tags:*", "001");
	/* Missing fields never match, so not matches them. */
	MATCHES("error.message:*", "100");
	MATCHES("not error.message:*", "011");
	MATCHES("not cache_hit:false", "011");
	MATCHES("model_metadata:*", "110");
	MATCHES("model_metadata:x", "000");
	/* Wildcards. */
	MATCHES("error.message:*OOM*", "100");
	MATCHES("error.message:*oom*", "000");
	MATCHES("error.message:CUDA*", "100");
	MATCHES("error.message:*gpu", "000");
	MATCHES("tags:a*b", "110");
	MATCHES("tags:a\\*b", "100");
	MATCHES("tags:a?b", "110");
	MATCHES("tags:\"a*b\"", "100");
	MATCHES("message:*layer?3", "010");
	MATCHES("message:caf?\\ served", "001");
	MATCHES("message:caf??served", "001");
	MATCHES("message:caf???served", "000");	/* ? is a character */
	MATCHES("name:Zo?", "001");
	MATCHES("service:*-*-*", "000");
	MATCHES("service:*e*e*e*", "110");
	MATCHES("service:(feature-store or api-gateway)", "011");
	MATCHES("service:(not api-gateway)", "110");
	MATCHES("service:feature*", "010");
	/* Comparisons on strings are byte-wise; types must agree. */
	MATCHES("timestamp >= 2026-02-27T03:00:00Z", "101");
	MATCHES("timestamp < 2026-02-27T03", "010");
	MATCHES("service > feature-store", "100");
	MATCHES("service >= feature-store", "110");
	MATCHES("service < \"api-gatewayz\"", "001");
	MATCHES("service > 5", "000");
	MATCHES("latency_ms > \"5\"", "001");
	/* Regex over the raw line. */
	MATCHES("/CUDA out of memory/", "100");
	MATCHES("/cuda/", "000");
	MATCHES("/(?i)cuda/", "100");
	MATCHES("/\"latency_ms\":\\d{3}\\b/", "100");
	MATCHES("/\"tags\":\\[\\]/", "001");
	MATCHES("/caf./", "001");
	/* Free text: ASCII case-insensitive substring of the raw line. */
	MATCHES("\"shape mismatch\"", "010");
	MATCHES("cuda", "100");
	MATCHES("GATEWAY", "001");
	MATCHES("CAF\xc3\x89", "000");
	MATCHES("caf\xc3\xa9", "001");
	MATCHES("store prod", "010");
	MATCHES("\"\"", "111");
	/* Resolution errors surface. */
	MATCHES("missing:x", "unknown field 'missing' at col 1");
	/* A whole triage query. */
	MATCHES("service:recommendation-model and latency_ms > 500 and "
	    "not cache_hit:true and /OOM/", "100");
}

/* A field with more values than query_match reads at once. */
static size_t
manyget(void *ctx, const char *path, struct q_val *out, size_t max)
{
	size_t i, n = 100;

	(void)ctx;
	if (strcmp(path, "xs") != 0)
		return 0;
	for (i = 0; i < n && i < max; i++) {
		out[i].type = QV_NUMBER;
		out[i].num = (double)i;
		out[i].s = NULL;
		out[i].len = 0;
	}
	return n;
}

static void
test_many_values(void)
{
	struct q_record r = { NULL, manyget, "{}", 2 };
	struct ld_err err;
	struct q_node *q;

	q = query_parse("xs:99", &err);
	ok(query_match(q, &r) == 1, "the 100th array element is seen");
	query_free(q);
	q = query_parse("xs:100", &err);
	ok(query_match(q, &r) == 0, "no element 100");
	query_free(q);
	ok(query_match(NULL, &r) == 1, "the empty query matches");
}

static int
one(const char *text, const struct q_record *r)
{
	struct ld_err err;
	struct q_node *q = query_parse(text, &err);
	int m = err.status == LD_OK ? query_match(q, r) : -1;

	query_free(q);
	return m;
}

static void
test_edge(void)
{
	static char big[20001];
	struct fval vals[] = {
		S("code", "500"), S("bin", "a\xff" "b"),
		{ "big", { QV_STRING, 0, big, sizeof big - 1 } },
		{ NULL, { QV_NULL, 0, NULL, 0 } }
	};
	const char *raw = "bad \xff byte CUDA";
	struct q_record r = { vals, fget, raw, strlen(raw) };

	memset(big, 'a', sizeof big - 1);
	ok(one("code:500", &r) == 1, "a number value matches its text");
	ok(one("code:\"500\"", &r) == 1, "a quoted value matches the string");
	ok(one("code > 400", &r) == 0, "a number never compares with a string");
	ok(one("code > \"400\"", &r) == 1, "strings compare byte-wise");
	ok(one("bin:a?b", &r) == 1, "? takes an invalid byte");
	ok(one("bin:a*", &r) == 1, "* runs over an invalid byte");
	ok(one("/CUDA/", &r) == 1, "regex over raw with invalid UTF-8");
	ok(one("/^bad/ and /CUDA$/", &r) == 1, "anchored regexes");
	ok(one("BYTE", &r) == 1, "free text over raw with invalid UTF-8");
	/* Iterative wildcards: no exponential backtracking. */
	ok(one("big:*a*a*a*a*a*a*a*a*a*a*b", &r) == 0, "pathological pattern");
	ok(one("big:*a*a*a*a*a*a*a*a*a*a*", &r) == 1, "many stars");
	ok(one("big:a*a?", &r) == 1, "star then one character");
	ok(one("big:*\\*", &r) == 0, "escaped star is literal");
}

/* Regex matching on a second thread, with its own match data. */
static void *
worker(void *arg)
{
	const struct q_node *q = arg;
	struct q_record r = { NULL, NULL, "xx CUDA out of memory", 21 };
	long n = 0;
	int i;

	for (i = 0; i < 1000; i++)
		n += query_match(q, &r);
	query_thread_done();
	return (void *)n;
}

static void
test_threads(void)
{
	struct ld_err err;
	struct q_node *q = query_parse("/out of mem(ory)?/", &err);
	pthread_t t1, t2;
	void *n1 = NULL, *n2 = NULL;

	pthread_create(&t1, NULL, worker, q);
	pthread_create(&t2, NULL, worker, q);
	pthread_join(t1, &n1);
	pthread_join(t2, &n2);
	ok((long)n1 == 1000 && (long)n2 == 1000, "regex on two threads");
	query_free(q);
}

int
main(void)
{
	test_design_examples();
	test_precedence();
	test_values();
	test_errors();
	test_deep();
	test_resolve();
	test_match();
	test_many_values();
	test_edge();
	test_threads();
	query_thread_done();
	return tap_done();
}
