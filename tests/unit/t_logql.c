/* backends/logql.c: quoting, stream selectors, the RE2 check of /regex/,
 * label names of paths, golden LogQL for every DESIGN §4 example and the
 * edge cases (values, negation push-down, free text inside or/not,
 * numeric guards), and every metric query shape of the Loki contract. */
#include "config.h"
#include "tests/unit/tap.h"
#include "backends/logql.h"
#include "lib/strutil.h"
#include "lib/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The leaf paths of tests/data/tiny.jsonl (line 9 spells two of them as
 * flat dotted keys), plus a few more for the odd cases. */
static const char *const PATHS[] = {
	"timestamp", "service", "log_level", "model_metadata.serving_variant",
	"model_metadata.model_version", "inference_metrics.latency_ms",
	"output.confidence_scores", "input_features.cache_hit",
	"anomaly_signals.drift_score", "@timestamp", "log.level",
	"inference_metrics.feature_store_latency_ms", "error.message", "message",
	"correlation_id", "request_id", "headers.User-Agent", "2xx.count", "app",
	"ldline", "__error__", "json", "by"
};
#define NPATHS	(sizeof PATHS / sizeof PATHS[0])

#define NUM	"-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]+)?"

static struct logql_selector SEL;

static struct q_node *
parse(const char *text, char **fail)
{
	struct ld_err err;
	struct q_node *q;

	*fail = NULL;
	q = query_parse(text, &err);
	if (q == NULL && err.status != LD_OK) {
		*fail = xasprintf("PARSE col %d: %s", err.col, err.msg);
		return NULL;
	}
	if (q != NULL && query_resolve(q, PATHS, NPATHS, &err) != LD_OK) {
		*fail = xasprintf("RESOLVE col %d: %s", err.col, err.msg);
		query_free(q);
		return NULL;
	}
	return q;
}

/* The log query of text over SEL with a fresh label set, extra paths and
 * filter f; or "ERR col N: message". */
static char *
lq(const char *text, const char *const *paths, size_t npaths,
    const struct logql_filter *f)
{
	struct logql_labels l;
	struct ld_err err;
	struct q_node *q;
	char *s, *fail;

	if ((q = parse(text, &fail)) == NULL && fail != NULL)
		return fail;
	logql_labels_init(&l, &SEL, NULL, 0);
	struct logql_req r = { &SEL, &l, q, paths, npaths, f, NULL, 0, 0 };
	s = logql_log_query(&r, NULL, &err);
	if (s == NULL)
		s = xasprintf("ERR col %d: %s", err.col, err.msg);
	logql_labels_free(&l);
	query_free(q);
	return s;
}

/* Test names: control characters and invalid UTF-8 made visible
 * (str_visible of "" returns an unterminated buffer: not called for it). */
static char *
vis(const char *s)
{
	return *s ? str_visible(s, strlen(s), STRVIS_ASCII) : xstrdup("");
}

#define GOLD(text, want) do { char *g__ = lq(text, NULL, 0, NULL), *v__ = vis(text); \
	is_str(g__, want, "logql: %s", v__); free(g__); free(v__); } while (0)

/* The selector text (labels joined by ','), or "ERR col N: message". */
static char *
sel(const char *text)
{
	struct logql_selector s;
	struct ld_err err;
	char *r;

	if (logql_selector_parse(text, &s, &err) != LD_OK)
		return xasprintf("ERR col %d: %s", err.col, err.msg);
	r = xasprintf("%s [", s.text);
	for (size_t i = 0; i < s.nlabels; i++) {
		char *t = xasprintf("%s%s%s", r, i ? "," : "", s.labels[i]);
		free(r);
		r = t;
	}
	{
		char *t = xasprintf("%s]", r);
		free(r);
		r = t;
	}
	logql_selector_free(&s);
	return r;
}

#define SELGOLD(text, want) do { char *g__ = sel(text), *v__ = vis(text); \
	is_str(g__, want, "selector: %s", v__); free(g__); free(v__); } while (0)

static const char *EMPTY_MSG = "stream selector: queries require at least one "
    "regexp or equality matcher that does not have an empty-compatible value. For "
    "instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will";

static char *
quoted(const char *s, size_t n, int re)
{
	struct buf b = BUF_INIT;
	struct ld_err err;
	int rc;

	buf_adds(&b, "<");
	rc = re ? logql_quote_regex(&b, s, n, &err) : logql_quote(&b, s, n, &err);
	if (rc != LD_OK) {
		char *e = xasprintf("%s ERR %s", b.p, err.msg);
		buf_free(&b);
		return e;
	}
	buf_adds(&b, ">");
	return buf_detach(&b);
}

#define QGOLD(s, n, re, want) do { char *g__ = quoted(s, n, re), *v__ = vis(want); \
	is_str(g__, want, "quote%s: %s", re ? "_regex" : "", v__); free(g__); free(v__); \
	} while (0)

static void
test_quote(void)
{
	QGOLD("plain text", 10, 0, "<\"plain text\">");
	QGOLD("", 0, 0, "<\"\">");
	QGOLD("say \"hi\"", 8, 0, "<\"say \\\"hi\\\"\">");
	QGOLD("a\\b", 3, 0, "<\"a\\\\b\">");
	QGOLD("`raw`", 5, 0, "<\"`raw`\">");
	QGOLD("l1\nl2\tx\ry", 9, 0, "<\"l1\\nl2\\tx\\ry\">");
	QGOLD("\x01\x1b[31m\x7f", 7, 0, "<\"\\x01\\x1b[31m\\x7f\">");
	QGOLD("nul\0x", 5, 0, "<\"nul\\x00x\">");
	QGOLD("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5", 14, 0,
	    "<\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5\">");
	QGOLD("bad \xff byte", 10, 0, "< ERR value is not valid UTF-8");
	QGOLD("\xc3\x28", 2, 0, "< ERR value is not valid UTF-8");
	QGOLD("\xed\xa0\x80", 3, 0, "< ERR value is not valid UTF-8");	/* surrogate */
	/* §4.8's example */
	QGOLD("he said \"hi\" \\o/", 16, 0, "<\"he said \\\"hi\\\" \\\\o/\">");
	QGOLD("he said \"hi\" \\o/", 16, 1, "<\"he said \\\"hi\\\" \\\\\\\\o/\">");
	QGOLD("a.b", 3, 1, "<\"a\\\\.b\">");
	QGOLD("\\.+*?()|[]{}^$", 14, 1,
	    "<\"\\\\\\\\\\\\.\\\\+\\\\*\\\\?\\\\(\\\\)\\\\|\\\\[\\\\]\\\\{\\\\}\\\\^\\\\$\">");
	QGOLD("-/#<>&%`\"", 9, 1, "<\"-/#<>&%`\\\"\">");
	QGOLD("tab\there", 8, 1, "<\"tab\\there\">");
	QGOLD("\xff", 1, 1, "< ERR value is not valid UTF-8");
}

static void
test_selector(void)
{
	SELGOLD("{app=\"inference\"}", "{app=\"inference\"} [app]");
	SELGOLD("  {app=\"a\", env=~\"prod|staging\" ,\tpod!=\"x\",job!~\"test.*\"}\n",
	    "{app=\"a\", env=~\"prod|staging\" ,\tpod!=\"x\",job!~\"test.*\"} [app,env,pod,job]");
	SELGOLD("{service_name=~\".+\"}", "{service_name=~\".+\"} [service_name]");
	SELGOLD("{a=\"x\", a!=\"y\", _b9=`raw \\d \"q\"`}",
	    "{a=\"x\", a!=\"y\", _b9=`raw \\d \"q\"`} [a,_b9]");
	SELGOLD("{app=\"\\\"\\\\\\n\\t\\x41\\101\\u00e9\\U0001F525\\a\\b\\f\\r\\v\"}",
	    "{app=\"\\\"\\\\\\n\\t\\x41\\101\\u00e9\\U0001F525\\a\\b\\f\\r\\v\"} [app]");
	SELGOLD("{app=\"caf\xc3\xa9\"} # a comment\n", "{app=\"caf\xc3\xa9\"} [app]");
	SELGOLD("{ # labels\n app = \"a\" }", "{ # labels\n app = \"a\" } [app]");
	/* Loki counts !="" and !~".*" as matchers that cannot match "" */
	SELGOLD("{app!=\"\"}", "{app!=\"\"} [app]");
	SELGOLD("{app!~\".*\"}", "{app!~\".*\"} [app]");
	SELGOLD("{app=~\"a|\", env=\"prod\"}", "{app=~\"a|\", env=\"prod\"} [app,env]");

	/* Loki's own text for selectors that can match every stream */
	char *want = xasprintf("ERR col 1: %s at col 1", EMPTY_MSG);
	SELGOLD("{}", want);
	SELGOLD("{app=~\".*\"}", want);
	SELGOLD("{app!=\"x\"}", want);
	SELGOLD("{app!~\"x\", env=\"\"}", want);
	SELGOLD("{app=~\"a*\"}", want);
	SELGOLD("{app=~\"(a|)\"}", want);
	SELGOLD("{app!~\".+\"}", want);
	free(want);
	want = xasprintf("ERR col 3: %s at col 3", EMPTY_MSG);
	SELGOLD("  {app=\"\"}", want);
	free(want);

	SELGOLD("", "ERR col 1: stream selector: expected '{' at col 1");
	SELGOLD("app=\"a\"", "ERR col 1: stream selector: expected '{' at col 1");
	SELGOLD("{app=\"a\"} |= \"x\"",
	    "ERR col 11: stream selector: unexpected text after '}' at col 11");
	SELGOLD("{app=\"a\"", "ERR col 9: stream selector: expected ',' or '}' at col 9");
	SELGOLD("{app=\"a\",}",
	    "ERR col 10: stream selector: expected a label name after ',' at col 10");
	SELGOLD("{app=\"a\" env=\"b\"}",
	    "ERR col 10: stream selector: expected ',' or '}' at col 10");
	SELGOLD("{9app=\"a\"}", "ERR col 2: stream selector: expected a label name at col 2");
	SELGOLD("{app.name=\"a\"}",
	    "ERR col 5: stream selector: expected =, !=, =~ or !~ after label name at col 5");
	SELGOLD("{app==\"a\"}",
	    "ERR col 6: stream selector: expected a string (\"...\" or `...`) at col 6");
	SELGOLD("{app=a}",
	    "ERR col 6: stream selector: expected a string (\"...\" or `...`) at col 6");
	SELGOLD("{app='a'}",
	    "ERR col 6: stream selector: expected a string (\"...\" or `...`) at col 6");
	SELGOLD("{app=\"a}", "ERR col 6: stream selector: unterminated string at col 6");
	SELGOLD("{app=`a}", "ERR col 6: stream selector: unterminated string at col 6");
	SELGOLD("{app=\"a\nb\"}", "ERR col 6: stream selector: newline in string at col 6");
	SELGOLD("{app=\"\\q\"}",
	    "ERR col 7: stream selector: invalid escape '\\q' in string (LogQL strings "
	    "know \\\\ \\\" \\n \\t \\r \\a \\b \\f \\v \\xNN \\NNN \\uNNNN \\UNNNNNNNN) at col 7");
	SELGOLD("{app=\"\\'\"}",
	    "ERR col 7: stream selector: invalid escape '\\'' in string (LogQL strings "
	    "know \\\\ \\\" \\n \\t \\r \\a \\b \\f \\v \\xNN \\NNN \\uNNNN \\UNNNNNNNN) at col 7");
	SELGOLD("{app=\"\\x4\"}",
	    "ERR col 7: stream selector: invalid \\x escape in string at col 7");
	SELGOLD("{app=\"\\400\"}",
	    "ERR col 7: stream selector: octal escape value > 255 in string at col 7");
	SELGOLD("{app=\"\\ud800\"}",
	    "ERR col 7: stream selector: escape \\u is not a valid code point at col 7");
	SELGOLD("{by=\"x\"}",
	    "ERR col 2: stream selector: label name 'by' is a LogQL keyword at col 2");
	SELGOLD("{app=\"a\", JSON=\"x\"}",
	    "ERR col 11: stream selector: label name 'JSON' is a LogQL keyword at col 11");
	SELGOLD("{app=~\"(a\"}",
	    "ERR col 7: stream selector: invalid regex for label 'app': missing closing "
	    "parenthesis at col 7");
	SELGOLD("{\xc3\xa9=\"a\"}",
	    "ERR col 2: stream selector: expected a label name at col 2");
	SELGOLD("{app=\"\xc3\xa9\xff\"}", "ERR col 8: stream selector: invalid UTF-8 at col 8");
}

/* The error of /regex/ text, or "OK". */
static char *
regex_err(const char *text)
{
	struct ld_err err;
	struct q_node *q;
	char *fail;

	if ((q = parse(text, &fail)) == NULL)
		return fail;
	if (logql_check_regex(q->kind == Q_REGEX ? q : q->b, &err) == LD_OK) {
		query_free(q);
		return xstrdup("OK");
	}
	query_free(q);
	return xasprintf("col %d: %s", err.col, err.msg);
}

#define REFUSED(text, col, what) do { char *g__ = regex_err(text); \
	char *w__ = xasprintf("col %d: regex: %s is not supported by Loki (RE2) at col %d", \
	    col, what, col); \
	is_str(g__, w__, "refused: %s", text); free(g__); free(w__); } while (0)
#define REFUSED_HINT(text, col, what, hint) do { char *g__ = regex_err(text); \
	char *w__ = xasprintf("col %d: regex: %s is not supported by Loki (RE2) (%s) at " \
	    "col %d", col, what, hint, col); \
	is_str(g__, w__, "refused: %s", text); free(g__); free(w__); } while (0)

static void
test_regex(void)
{
	REFUSED("/a(?=b)/", 3, "a lookahead (?=");
	REFUSED("/a(?!b)/", 3, "a negative lookahead (?!");
	REFUSED("/(?<=a)b/", 2, "a lookbehind (?<=");
	REFUSED("/(?<!a)b/", 2, "a negative lookbehind (?<!");
	REFUSED("/(a)\\1/", 5, "a backreference \\1");
	REFUSED("/(?<n>a)\\k<n>/", 9, "a named backreference \\k");
	REFUSED("/(a)\\g{1}/", 5, "a backreference or subroutine call \\g");
	REFUSED("/(?P<n>a)(?P=n)/", 10, "a named backreference (?P=");
	REFUSED("/(?P<n>a)(?P>n)/", 10, "a subroutine call (?P>");
	REFUSED("/a*+/", 3, "a possessive quantifier *+");
	REFUSED("/a++/", 3, "a possessive quantifier ++");
	REFUSED("/a?+b/", 3, "a possessive quantifier ?+");
	REFUSED("/ab{2}+/", 4, "a possessive quantifier {2}+");
	REFUSED("/ab{2,}+/", 4, "a possessive quantifier {2,}+");
	REFUSED("/ab{2,5}+/", 4, "a possessive quantifier {2,5}+");
	REFUSED("/(?>x)/", 2, "an atomic group (?>");
	REFUSED("/a\\Kb/", 3, "\\K (reset the match start)");
	REFUSED("/(a|(?R))/", 5, "recursion (?R");
	REFUSED("/(a)(?1)/", 5, "a subroutine call (?1");
	REFUSED("/(a)(?-1)/", 5, "a subroutine call (?-");
	REFUSED("/(?+1)(a)/", 2, "a subroutine call (?+");
	REFUSED("/(?<n>a)(?&n)/", 9, "recursion (?&");
	REFUSED("/(a)(?(1)b|c)/", 5, "a conditional group (?(");
	REFUSED("/(?C1)a/", 2, "a callout (?C");
	REFUSED("/(*FAIL)/", 2, "the verb (*FAIL");
	REFUSED("/(*UTF)a/", 2, "the verb (*UTF");
	REFUSED("/(?#note)a/", 2, "a comment (?#");
	REFUSED("/(?|(a)|(b))/", 2, "a branch reset group (?|");
	REFUSED_HINT("/(?x)a b/", 4, "the flag 'x'", "RE2 has i, m, s and U");
	REFUSED_HINT("/(?i-x:a)/", 6, "the flag 'x'", "RE2 has i, m, s and U");
	REFUSED_HINT("/(?^)a/", 4, "the flag '^'", "RE2 has i, m, s and U");
	REFUSED_HINT("/(?'n'a)/", 2, "a named group (?'name'", "write (?P<name>...)");
	REFUSED("/\\C/", 2, "\\C (one code unit)");
	REFUSED("/\\X/", 2, "\\X (a grapheme cluster)");
	REFUSED_HINT("/\\R/", 2, "\\R (any newline)", "write (\\r\\n|[\\n\\r])");
	REFUSED_HINT("/a\\N/", 3, "\\N", "write [^\\n]");
	REFUSED("/\\h/", 2, "\\h (horizontal or vertical space)");
	REFUSED("/\\H/", 2, "\\H (horizontal or vertical space)");
	REFUSED("/\\V/", 2, "\\V (horizontal or vertical space)");
	REFUSED_HINT("/\\v/", 2, "\\v (vertical space in PCRE2, one character in RE2)",
	    "write \\x0b or [\\n\\x0b\\f\\r]");
	REFUSED("/\\Ga/", 2, "\\G");
	REFUSED_HINT("/a\\Z/", 3, "\\Z", "write \\z");
	REFUSED_HINT("/\\e\\[/", 2, "\\e", "write \\x1b");
	REFUSED_HINT("/\\cA/", 2, "\\c (a control character)", "write \\xNN");
	REFUSED_HINT("/\\o{101}/", 2, "\\o{...}", "write \\x{...}");
	REFUSED_HINT("/\\x4/", 2, "\\x with fewer than two hex digits", "write \\x0N or \\x{N}");
	REFUSED("/a\\E/", 3, "\\E without \\Q");
	REFUSED_HINT("/x[\\b]/", 4, "\\b inside [...]", "write \\x08");
	REFUSED("/[\\1]/", 3, "\\1 inside [...]");
	REFUSED("/[\\Qa\\E]/", 3, "\\Q inside [...]");
	REFUSED_HINT("/[[:<:]]a/", 3, "a word boundary [[:<:]]", "write \\b");
	REFUSED("/a{1001}/", 3, "a repeat count over 1000");
	REFUSED("/a{2,5000}/", 3, "a repeat count over 1000");
	REFUSED_HINT("/a{,3}/", 3, "{,n}", "write {0,n}");
	REFUSED_HINT("/\\\xc3\xa9/", 2, "a backslash before a non-ASCII character",
	    "drop the backslash");
	/* columns: UTF-8 characters, and \/ is two of them */
	REFUSED("/\xc3\xa9\\/\xc3\xbc(?!x)/", 6, "a negative lookahead (?!");
	REFUSED("service:x or /a(?=b)/", 16, "a lookahead (?=");
	REFUSED("  /[\\]\\/]\\/(?>a)/", 12, "an atomic group (?>");

	/* what RE2 has */
	const char *ok_[] = {
		"/(?i)cuda/", "/(?i:a)(?s)b(?m)c(?U)d*(?-i)e/", "/(?P<n>a)(?<m>b)(?:c)/",
		"/\\Qa.(b\\E+/", "/\\Q(unterminated/", "/[[:alpha:]][[:^digit:]]/",
		"/a{2,3}?b*?c+?d??e{2}?/", "/a{2,1000}/", "/\\x{263a}\\x41\\p{Greek}\\pL\\P{L}/",
		"/\\d+\\s*\\w\\D\\S\\W/", "/\\0\\012/", "/a{x}b{/", "/\\bfoo\\B/",
		"/^a$/", "/\\Aa\\z/", "/[^]a\\]]+/", "/\\a\\f\\t\\n\\r/", "/\\.\\*\\/\\-/",
		"/\"level\":\"ERROR\"/", "/[\\d\\s\\w\\x41\\p{L}-]/"
	};
	for (size_t i = 0; i < sizeof ok_ / sizeof ok_[0]; i++) {
		char *g = regex_err(ok_[i]);
		is_str(g, "OK", "RE2 has: %s", ok_[i]);
		free(g);
	}
	{
		struct q_node n;
		struct ld_err err;
		memset(&n, 0, sizeof n);
		n.kind = Q_REGEX;
		n.col = 4;
		n.value = (char *)"ab\xff";
		ok(logql_check_regex(&n, &err) == LD_EUSAGE && err.col == 7 &&
		    strcmp(err.msg, "regex is not valid UTF-8 at col 7") == 0,
		    "invalid UTF-8 in a regex refused at its column");
		n.kind = Q_TEXT;
		ok(logql_check_regex(&n, &err) == LD_EUSAGE, "not a regex node");
	}
}

static const char *
expr_of(const struct logql_labels *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return l->v[i].expr;
	return NULL;
}

static void
test_labels(void)
{
	static const char *const avoid[] = { "service_name", "detected_level" };
	struct logql_selector s;
	struct logql_labels l;
	struct ld_err err;
	const char *a, *b;
	char *f;

	/* Loki's flattening */
	struct { const char *path, *want; } fl[] = {
		{ "inference_metrics.latency_ms", "inference_metrics_latency_ms" },
		{ "headers.User-Agent", "headers_User_Agent" },
		{ "a:b", "a_b" }, { "2xx.count", "_2xx_count" }, { "x.2y", "x_2y" },
		{ " a . b ", "a_b" }, { "caf\xc3\xa9.\xe2\x9c\x93", "caf___" },
		{ "bad\xff", "bad_" }, { "", "_" }, { "@timestamp", "_timestamp" },
		{ "__error__", "__error__" }, { "a..b", "a__b" }
	};
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
		f = logql_flatten(fl[i].path);
		is_str(f, fl[i].want, "flatten '%s'", fl[i].path);
		free(f);
	}

	logql_selector_parse("{service=\"api\", app=~\"inf.+\", ldline_x!=\"\"}", &s, &err);
	logql_labels_init(&l, &s, avoid, 2);
	is_str(logql_label(&l, "service", &err), "service_x", "selector label taken: _x");
	is_str(logql_label(&l, "app", &err), "app_x", "every selector label is taken");
	is_str(logql_label(&l, "ldline", &err), "ldline_x_x",
	    "the line label and a selector label: _x twice");
	is_str(logql_label(&l, "service_name", &err), "service_name_x", "an avoid name");
	is_str(logql_label(&l, "detected_level", &err), "detected_level_x", "an avoid name");
	is_str(logql_label(&l, "service_x", &err), "service_x_x",
	    "a name another path already has");
	is_str(logql_label(&l, "by", &err), "by_x", "a LogQL keyword");
	is_str(logql_label(&l, "Keep", &err), "Keep_x", "keywords in any case");
	is_str(logql_label(&l, "rate", &err), "rate", "function names are identifiers");
	is_str(logql_label(&l, "__error__", &err), "x__error__", "'__' is Loki's");
	is_str(logql_label(&l, "model_metadata.serving_variant", &err),
	    "model_metadata_serving_variant", "nested keys joined with _");
	is_str(logql_label(&l, "model_metadata_serving_variant", &err),
	    "model_metadata_serving_variant_x", "two paths, one flattening: unique");
	a = logql_label(&l, "service", &err);
	b = logql_label(&l, "service", &err);
	ok(a == b && strcmp(a, "service_x") == 0, "a path keeps its label");
	ok(logql_label(&l, "a.b\"c", &err) == NULL && err.status == LD_EUSAGE &&
	    strcmp(err.msg, "field 'a.b\"c' has a key with '\"' or ']', which Loki's json "
	    "stage cannot read") == 0, "a key with '\"' refused");
	ok(logql_label(&l, "x]", &err) == NULL, "a key with ']' refused");
	ok(logql_label(&l, "bad\xff", &err) == NULL && strcmp(err.msg,
	    "field 'bad\\xff' is not valid UTF-8") == 0, "invalid UTF-8 refused, the byte shown as \\xff");

	/* json stage expressions */
	{
		static const char *const k1[] = { "log.level" };
		static const char *const k2[] = { "a", "b c", "d" };
		static const char *const k3[] = { "model_metadata.serving_variant" };
		struct { const char *path, *expr; } ex[] = {
			{ "service", "service" }, { "model_metadata.serving_variant",
			    "model_metadata.serving_variant" },
			{ "headers.User-Agent", "headers[\"User-Agent\"]" },
			{ "2xx.count", "[\"2xx\"].count" }, { "a.0", "a[\"0\"]" },
			{ "@timestamp", "[\"@timestamp\"]" }, { "caf\xc3\xa9", "[\"caf\xc3\xa9\"]" },
			{ "a.b c.d", "a[\"b c\"].d" }, { "a..b", "a[\"\"].b" },
			{ "x\\y", "[\"x\\y\"]" }
		};
		for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
			logql_label(&l, ex[i].path, &err);
			is_str(expr_of(&l, ex[i].path), ex[i].expr, "json expression of '%s'",
			    ex[i].path);
		}
		ok(logql_label_keys(&l, "log.level", k1, 1, &err) == LD_OK,
		    "log.level declared as one key");
		is_str(expr_of(&l, "log.level"), "[\"log.level\"]", "its expression");
		is_str(logql_label(&l, "log.level", &err), "log_level",
		    "its name: the same flattening");
		ok(logql_label_keys(&l, "a.b c.d.e", k2, 3, &err) == LD_OK, "keys not at the dots");
		is_str(expr_of(&l, "a.b c.d.e"), "a[\"b c\"].d", "  their expression");
		ok(logql_label_keys(&l, "model_metadata.serving_variant", k3, 1, &err) == LD_OK,
		    "a used path re-split");
		is_str(expr_of(&l, "model_metadata.serving_variant"),
		    "[\"model_metadata.serving_variant\"]", "  its new expression");
		is_str(logql_label(&l, "model_metadata.serving_variant", &err),
		    "model_metadata_serving_variant", "  keeps its name");
		ok(logql_label_keys(&l, "q", k2, 0, &err) == LD_EUSAGE, "no keys refused");
	}
	logql_labels_free(&l);
	logql_selector_free(&s);
	logql_labels_init(&l, NULL, NULL, 0);
	is_str(logql_label(&l, "service", &err), "service", "no selector: the flattening");
	logql_labels_free(&l);
}

#define P_LAT	"inference_metrics_latency_ms=\"inference_metrics.latency_ms\""
#define P_VAR	"model_metadata_serving_variant=\"model_metadata.serving_variant\""
#define P_VER	"model_metadata_model_version=\"model_metadata.model_version\""
#define P_HIT	"input_features_cache_hit=\"input_features.cache_hit\""
#define P_FSL	"inference_metrics_feature_store_latency_ms=" \
		"\"inference_metrics.feature_store_latency_ms\""
#define P_DRIFT	"anomaly_signals_drift_score=\"anomaly_signals.drift_score\""
#define P_CONF	"output_confidence_scores=\"output.confidence_scores\""
#define LAT	"inference_metrics_latency_ms"
#define DRIFT	"anomaly_signals_drift_score"
#define SELT	"{app=\"inference\"}"
#define END	" | __error__=\"\""
#define LDLINE	" | label_format ldline=\"{{__line__}}\""

static void
test_design_examples(void)
{
	GOLD("latency_ms > 500 and serving_variant:canary",
	    SELT " | json " P_LAT ", " P_VAR " | " LAT " > 500 and "
	    "model_metadata_serving_variant=\"canary\"" END);
	GOLD("model_version:\"3.2.1\" and not log_level:INFO",
	    SELT " | json " P_VER ", log_level=\"log_level\" | "
	    "model_metadata_model_version=\"3.2.1\" and log_level!=\"INFO\"" END);
	GOLD("service:(feature-store or api-gateway)",
	    SELT " | json service=\"service\" | service=\"feature-store\" or "
	    "service=\"api-gateway\"" END);
	GOLD("error.message:*OOM*            # wildcard",
	    SELT " | json error_message=\"error.message\" | error_message=~\"(?s).*OOM.*\"" END);
	GOLD("/CUDA out of memory/           # PCRE2 regex over the raw line",
	    SELT " |~ \"CUDA out of memory\"" END);
	GOLD("\"shape mismatch\"               # free text, phrase",
	    SELT " |~ \"(?i)shape mismatch\"" END);
	GOLD("cache_hit:false and feature_store_latency_ms >= 40",
	    SELT " | json " P_HIT ", " P_FSL " | input_features_cache_hit=\"false\" and "
	    "inference_metrics_feature_store_latency_ms >= 40" END);
	GOLD("", SELT END);
}

static void
test_values(void)
{
	GOLD("service:\"say \\\"hi\\\" \\\\ ok\"",
	    SELT " | json service=\"service\" | service=\"say \\\"hi\\\" \\\\ ok\"" END);
	GOLD("service:\"`tick` and back\\\\slash\"",
	    SELT " | json service=\"service\" | service=\"`tick` and back\\\\slash\"" END);
	GOLD("service:\"line1\nline2\tend\r\"",
	    SELT " | json service=\"service\" | service=\"line1\\nline2\\tend\\r\"" END);
	GOLD("service:\"bell\a esc\x1b del\x7f\"",
	    SELT " | json service=\"service\" | service=\"bell\\x07 esc\\x1b del\\x7f\"" END);
	GOLD("service:caf\xc3\xa9-\xe2\x9c\x93",
	    SELT " | json service=\"service\" | service=\"caf\xc3\xa9-\xe2\x9c\x93\"" END);
	GOLD("service:\"caf\xc3\xa9\" or service:x\xff",
	    "ERR col 19: value is not valid UTF-8 at col 19");
	GOLD("\"bad \xff text\"", "ERR col 1: text is not valid UTF-8 at col 1");
	GOLD("/bad\xfe/", "PARSE col 1: invalid regex at col 1: UTF-8 error: illegal byte "
	    "(0xfe or 0xff)");
	GOLD("\"he said \\\"hi\\\" \\\\o/\"",
	    SELT " |~ \"(?i)he said \\\"hi\\\" \\\\\\\\o/\"" END);
	GOLD("\"50% *off* (a.b) [x] ^$\"",
	    SELT " |~ \"(?i)50% \\\\*off\\\\* \\\\(a\\\\.b\\\\) \\\\[x\\\\] \\\\^\\\\$\"" END);
	GOLD("\"tab\there\"", SELT " |~ \"(?i)tab\\there\"" END);
	GOLD("\"\"", SELT " |~ \"(?i)\"" END);
	GOLD("/\"level\":\"ERROR\"/", SELT " |~ \"\\\"level\\\":\\\"ERROR\\\"\"" END);
	GOLD("/\\d+ms \\/v1\\/x/", SELT " |~ \"\\\\d+ms /v1/x\"" END);
	GOLD("/a`b\\tc/", SELT " |~ \"a`b\\\\tc\"" END);
	/* wildcards: * and ?, \* \? \\ literal, the rest QuoteMeta'd */
	GOLD("message:*a\\*b?c**",
	    SELT " | json message=\"message\" | message=~\"(?s).*a\\\\*b.c.*\"" END);
	GOLD("message:x\\\\y.\\(z\\)*",
	    SELT " | json message=\"message\" | message=~\"(?s)x\\\\\\\\y\\\\.\\\\(z\\\\).*\"" END);
	GOLD("message:\"*literal?\"",
	    SELT " | json message=\"message\" | message=\"*literal?\"" END);
	GOLD("not message:caf\xc3\xa9*",
	    SELT " | json message=\"message\" | message!~\"(?s)caf\xc3\xa9.*\"" END);
	/* types: numbers, quoted numbers, booleans, null, "" */
	GOLD("latency_ms:87", SELT " | json " P_LAT " | " LAT " == 87" END);
	GOLD("latency_ms:-2.5", SELT " | json " P_LAT " | " LAT " == -2.5" END);
	GOLD("latency_ms:1e3", SELT " | json " P_LAT " | " LAT " == 1e3" END);
	GOLD("latency_ms <= 1E-2", SELT " | json " P_LAT " | " LAT " <= 1E-2" END);
	GOLD("latency_ms:\"500\"", SELT " | json " P_LAT " | " LAT "=\"500\"" END);
	GOLD("latency_ms:abc", SELT " | json " P_LAT " | " LAT "=\"abc\"" END);
	GOLD("cache_hit:true", SELT " | json " P_HIT " | input_features_cache_hit=\"true\"" END);
	GOLD("log_level:null", SELT " | json log_level=\"log_level\" | log_level=\"null\"" END);
	GOLD("log_level:\"\"", SELT " | json log_level=\"log_level\" | log_level=\"\"" END);
	GOLD("log_level:*", SELT " | json log_level=\"log_level\" | log_level!=\"\"" END);
	GOLD("not log_level:*", SELT " | json log_level=\"log_level\" | log_level=\"\"" END);
	GOLD("latency_ms > 1e400", "ERR col 1: number 1e400 is out of range at col 1");
	GOLD("timestamp > 1772159400000",
	    SELT " | json timestamp=\"timestamp\" | timestamp > 1772159400000" END);
	/* odd keys and names */
	GOLD("User-Agent:curl* and 2xx.count:3 and app:x and ldline:z and __error__:1 and "
	    "json:j and \\by:b",
	    SELT " | json headers_User_Agent=\"headers[\\\"User-Agent\\\"]\", "
	    "_2xx_count=\"[\\\"2xx\\\"].count\", app_x=\"app\", ldline_x=\"ldline\", "
	    "x__error__=\"__error__\", json_x=\"json\", by_x=\"by\" | "
	    "headers_User_Agent=~\"(?s)curl.*\" and _2xx_count == 3 and app_x=\"x\" and "
	    "ldline_x=\"z\" and x__error__ == 1 and json_x=\"j\" and by_x=\"b\"" END);
	GOLD("@timestamp:*", SELT " | json _timestamp=\"[\\\"@timestamp\\\"]\" | _timestamp!=\"\"" END);
}

static void
test_negation(void)
{
	GOLD("not service:a", SELT " | json service=\"service\" | service!=\"a\"" END);
	GOLD("not not service:a", SELT " | json service=\"service\" | service=\"a\"" END);
	GOLD("not (service:a and log_level:b)",
	    SELT " | json service=\"service\", log_level=\"log_level\" | service!=\"a\" or "
	    "log_level!=\"b\"" END);
	GOLD("not (service:a or log_level:b)",
	    SELT " | json service=\"service\", log_level=\"log_level\" | service!=\"a\" and "
	    "log_level!=\"b\"" END);
	GOLD("not (service:a or not (log_level:b and message:c*))",
	    SELT " | json service=\"service\", log_level=\"log_level\", message=\"message\" | "
	    "service!=\"a\" and log_level=\"b\" and message=~\"(?s)c.*\"" END);
	GOLD("not ((service:a or service:b) and not (log_level:c or log_level:d))",
	    SELT " | json service=\"service\", log_level=\"log_level\" | "
	    "(service!=\"a\" and service!=\"b\") or log_level=\"c\" or log_level=\"d\"" END);
	GOLD("service:a or log_level:b and not message:c",
	    SELT " | json service=\"service\", log_level=\"log_level\", message=\"message\" | "
	    "service=\"a\" or (log_level=\"b\" and message!=\"c\")" END);
	GOLD("(service:a or log_level:b) and (message:c or not message:d)",
	    SELT " | json service=\"service\", log_level=\"log_level\", message=\"message\" | "
	    "(service=\"a\" or log_level=\"b\") and (message=\"c\" or message!=\"d\")" END);
	GOLD("not service:(a or b or c)",
	    SELT " | json service=\"service\" | service!=\"a\" and service!=\"b\" and "
	    "service!=\"c\"" END);
	GOLD("service:(a and not b)",
	    SELT " | json service=\"service\" | service=\"a\" and service!=\"b\"" END);
	/* negated comparisons: numbers shaped, then the inverse operator */
	GOLD("not latency_ms > 500",
	    SELT " | json " P_LAT " | " LAT "!~\"" NUM "\" or " LAT " <= 500" END);
	GOLD("not latency_ms >= 500", SELT " | json " P_LAT " | " LAT "!~\"" NUM "\" or "
	    LAT " < 500" END);
	GOLD("not latency_ms < 500", SELT " | json " P_LAT " | " LAT "!~\"" NUM "\" or "
	    LAT " >= 500" END);
	GOLD("not latency_ms <= 500", SELT " | json " P_LAT " | " LAT "!~\"" NUM "\" or "
	    LAT " > 500" END);
	GOLD("not latency_ms:500", SELT " | json " P_LAT " | " LAT "!~\"" NUM "\" or "
	    LAT " != 500" END);
	GOLD("service:x and not latency_ms > 500",
	    SELT " | json service=\"service\", " P_LAT " | service=\"x\" and (" LAT "!~\""
	    NUM "\" or " LAT " <= 500)" END);
	GOLD("not (latency_ms > 500 and service:x)",
	    SELT " | json " P_LAT ", service=\"service\" | " LAT "!~\"" NUM "\" or " LAT
	    " <= 500 or service!=\"x\"" END);
}

static void
test_numbers(void)
{
	/* a numeric filter that may be false while the line still matches is
	 * guarded; the last operand of an or needs no guard */
	GOLD("latency_ms > 500 or drift_score > 0.5",
	    SELT " | json " P_LAT ", " P_DRIFT " | (" LAT "=~\"" NUM "\" and (" LAT "!~\""
	    NUM "\" or " LAT " > 500)) or " DRIFT " > 0.5" END);
	GOLD("drift_score > 0.5 or service:x",
	    SELT " | json " P_DRIFT ", service=\"service\" | service=\"x\" or " DRIFT
	    " > 0.5" END);
	GOLD("service:x or drift_score > 0.5 or log_level:y",
	    SELT " | json service=\"service\", " P_DRIFT ", log_level=\"log_level\" | "
	    "service=\"x\" or log_level=\"y\" or " DRIFT " > 0.5" END);
	GOLD("(latency_ms > 1 and service:a) or log_level:b",
	    SELT " | json " P_LAT ", service=\"service\", log_level=\"log_level\" | "
	    "log_level=\"b\" or (" LAT " > 1 and service=\"a\")" END);
	GOLD("service:x and (latency_ms > 1 or latency_ms < 0)",
	    SELT " | json service=\"service\", " P_LAT " | service=\"x\" and ((" LAT "=~\""
	    NUM "\" and (" LAT "!~\"" NUM "\" or " LAT " > 1)) or " LAT " < 0)" END);
	GOLD("latency_ms:(>100 and <=200)",
	    SELT " | json " P_LAT " | " LAT " > 100 and " LAT " <= 200" END);
	GOLD("(latency_ms > 1 or drift_score > 2) or (latency_ms < 3 and drift_score < 4)",
	    SELT " | json " P_LAT ", " P_DRIFT " | (" LAT "=~\"" NUM "\" and (" LAT "!~\""
	    NUM "\" or " LAT " > 1)) or (" DRIFT "=~\"" NUM "\" and (" DRIFT "!~\"" NUM
	    "\" or " DRIFT " > 2)) or (" LAT " < 3 and " DRIFT " < 4)" END);
	GOLD("not (service:a and (latency_ms < 1 or drift_score:0))",
	    SELT " | json service=\"service\", " P_LAT ", " P_DRIFT " | service!=\"a\" or ("
	    "(" LAT "!~\"" NUM "\" or " LAT " >= 1) and (" DRIFT "!~\"" NUM "\" or " DRIFT
	    " != 0))" END);
	/* comparisons with strings: LogQL has none */
	GOLD("timestamp >= 2026-02-27T03:00:00Z",
	    "ERR col 1: field 'timestamp': LogQL compares only numbers with < <= > >=, and "
	    "'2026-02-27T03:00:00Z' is a string at col 1");
	GOLD("service:x and latency_ms > \"5\"",
	    "ERR col 15: field 'inference_metrics.latency_ms': LogQL compares only numbers "
	    "with < <= > >=, and \"5\" is a string (drop the quotes) at col 15");
	GOLD("not service < m",
	    "ERR col 5: field 'service': LogQL compares only numbers with < <= > >=, and "
	    "'m' is a string at col 5");
}

static void
test_text_regex(void)
{
	/* top-level and-chain: line filters, before the json stage */
	GOLD("\"oops\" and service:x and not /dbg|trace/ and not \"Heartbeat\"",
	    SELT " |~ \"(?i)oops\" !~ \"dbg|trace\" !~ \"(?i)Heartbeat\" | json "
	    "service=\"service\" | service=\"x\"" END);
	GOLD("not (\"a\" or /b\\/c/)", SELT " !~ \"(?i)a\" !~ \"b/c\"" END);
	GOLD("\"a\" or /b/ or \"c.d\"", SELT " |~ \"(?i:a)|(?:b)|(?i:c\\\\.d)\"" END);
	GOLD("service:x (\"timeout\" or \"OOM\")",
	    SELT " |~ \"(?i:timeout)|(?i:OOM)\" | json service=\"service\" | service=\"x\"" END);
	GOLD("not (service:a or not (log_level:ERROR and \"x\"))",
	    SELT " |~ \"(?i)x\" | json service=\"service\", log_level=\"log_level\" | "
	    "service!=\"a\" and log_level=\"ERROR\"" END);
	/* inside an or with fields, or an or of negations: the ldline label */
	GOLD("\"oops\" or service:x",
	    SELT " | json service=\"service\"" LDLINE " | ldline=~\"(?s).*(?i:oops).*\" or "
	    "service=\"x\"" END);
	GOLD("not (\"oops\" and service:x)",
	    SELT " | json service=\"service\"" LDLINE " | ldline!~\"(?s).*(?i:oops).*\" or "
	    "service!=\"x\"" END);
	GOLD("not \"a\" or /b/",
	    SELT LDLINE " | ldline!~\"(?s).*(?i:a).*\" or ldline=~\"(?s:.*)(?:b)(?s:.*)\"" END);
	GOLD("service:x or /(?i)cuda \\d+/",
	    SELT " | json service=\"service\"" LDLINE " | service=\"x\" or "
	    "ldline=~\"(?s:.*)(?:(?i)cuda \\\\d+)(?s:.*)\"" END);
	GOLD("service:x or /\\Qa(/",
	    SELT " | json service=\"service\"" LDLINE " | service=\"x\" or "
	    "ldline=~\"(?s:.*)(?:\\\\Qa(\\\\E)(?s:.*)\"" END);
	GOLD("/\\Q(unterminated/", SELT " |~ \"\\\\Q(unterminated\\\\E\"" END);
	GOLD("(\"a\" and service:x) or (log_level:y and not \"b\\\"q\")",
	    SELT " | json service=\"service\", log_level=\"log_level\"" LDLINE " | "
	    "(ldline=~\"(?s).*(?i:a).*\" and service=\"x\") or (log_level=\"y\" and "
	    "ldline!~\"(?s).*(?i:b\\\"q).*\")" END);
	GOLD("service:x or /a(?=b)/",
	    "ERR col 16: regex: a lookahead (?= is not supported by Loki (RE2) at col 16");
	GOLD("\"ok\" and /a++/",
	    "ERR col 12: regex: a possessive quantifier ++ is not supported by Loki (RE2) "
	    "at col 12");
}

/* The extra paths come first in the json stage; names point at labels. */
static void
test_paths(void)
{
	static const char *const extra[] = {
		"model_metadata.serving_variant", "timestamp", "service"
	};
	struct logql_filter f = { "log_level", LOGQL_RE, "(?i)error", 0, NULL };
	struct logql_labels l;
	struct ld_err err;
	const char *names[3];
	struct q_node *q;
	char *s, *fail;

	q = parse("service:x and latency_ms > 1", &fail);
	logql_labels_init(&l, &SEL, NULL, 0);
	struct logql_req r = { &SEL, &l, q, extra, 3, &f, NULL, 0, 0 };
	s = logql_log_query(&r, names, &err);
	is_str(s, SELT " | json " P_VAR ", timestamp=\"timestamp\", service=\"service\", "
	    "log_level=\"log_level\", " P_LAT " | service=\"x\" and " LAT " > 1 | "
	    "log_level=~\"(?i)error\"" END, "extra paths, then the filter's, then the query's");
	free(s);
	is_str(names[0], "model_metadata_serving_variant", "names[0]");
	is_str(names[1], "timestamp", "names[1]");
	is_str(names[2], "service", "names[2]");
	query_free(q);
	r.query = NULL;
	r.filter = NULL;
	r.npaths = 1;
	s = logql_log_query(&r, NULL, &err);
	is_str(s, SELT " | json " P_VAR END, "no query: the json stage still drops non-JSON");
	free(s);
	{
		static const char *const bad[] = { "a\"b" };
		r.paths = bad;
		s = logql_log_query(&r, NULL, &err);
		ok(s == NULL && err.status == LD_EUSAGE && err.col == 0, "a bad extra path");
		r.paths = extra;
	}
	{
		static const char *const k[] = { "log.level" };
		logql_label_keys(&l, "log.level", k, 1, &err);
		q = parse("log.level:ERROR", &fail);
		r.query = q;
		r.npaths = 0;
		s = logql_log_query(&r, NULL, &err);
		is_str(s, SELT " | json log_level_x=\"[\\\"log.level\\\"]\" | "
		    "log_level_x=\"ERROR\"" END, "a declared split is used (log_level is "
		    "the filter's)");
		free(s);
		query_free(q);
	}
	logql_labels_free(&l);

	/* every filter operator */
	struct { struct logql_filter f; const char *want; } fs[] = {
		{ { "input_features.cache_hit", LOGQL_STR_EQ, "true", 0, NULL },
		    "input_features_cache_hit=\"true\"" },
		{ { "input_features.cache_hit", LOGQL_STR_NE, "a\"b", 0, NULL },
		    "input_features_cache_hit!=\"a\\\"b\"" },
		{ { "input_features.cache_hit", LOGQL_RE, "true|false", 0, NULL },
		    "input_features_cache_hit=~\"true|false\"" },
		{ { "input_features.cache_hit", LOGQL_NRE, "a\\.b", 0, NULL },
		    "input_features_cache_hit!~\"a\\\\.b\"" },
		{ { "inference_metrics.latency_ms", LOGQL_NUM_EQ, NULL, 50, NULL }, LAT " == 50" },
		{ { "inference_metrics.latency_ms", LOGQL_NUM_NE, NULL, -0.5, NULL }, LAT " != -0.5" },
		{ { "inference_metrics.latency_ms", LOGQL_LT, NULL, 1e21, NULL }, LAT " < 1e+21" },
		{ { "inference_metrics.latency_ms", LOGQL_LE, NULL, 0.1, NULL }, LAT " <= 0.1" },
		{ { "inference_metrics.latency_ms", LOGQL_GT, NULL, 2.5e-7, NULL }, LAT " > 2.5e-07" },
		{ { "inference_metrics.latency_ms", LOGQL_GE, NULL, 1000, NULL }, LAT " >= 1000" },
	};
	for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
		s = lq("", NULL, 0, &fs[i].f);
		char *w = xasprintf(SELT " | json %s | %s" END,
		    fs[i].f.op <= LOGQL_NRE ? P_HIT : P_LAT, fs[i].want);
		is_str(s, w, "filter %d", (int)fs[i].f.op);
		free(s);
		free(w);
	}
	{
		struct logql_filter nf = { "a", LOGQL_GT, NULL, NAN, NULL };
		s = lq("", NULL, 0, &nf);
		is_str(s, "ERR col 0: filter on 'a': the number is not finite", "NaN refused");
		free(s);
		nf.op = LOGQL_STR_EQ;
		nf.str = "\xff";
		s = lq("", NULL, 0, &nf);
		is_str(s, "ERR col 0: filter on 'a': value missing or not valid UTF-8",
		    "invalid UTF-8 refused");
		free(s);
	}
}

/* A metric query of text over SEL with a fresh label set. */
static char *
mq(const char *text, const struct logql_metric *m, const struct logql_filter *f)
{
	struct logql_labels l;
	struct ld_err err;
	struct q_node *q;
	char *s, *fail;

	if ((q = parse(text, &fail)) == NULL && fail != NULL)
		return fail;
	logql_labels_init(&l, &SEL, NULL, 0);
	struct logql_req r = { &SEL, &l, q, NULL, 0, f, NULL, 0, 0 };
	s = logql_metric_query(&r, m, &err);
	if (s == NULL)
		s = xasprintf("ERR %s", err.msg);
	logql_labels_free(&l);
	query_free(q);
	return s;
}

#define MGOLD(text, m, f, want) do { char *g__ = mq(text, m, f); \
	is_str(g__, want, "metric: %s", want); free(g__); } while (0)

#define HOUR	(3600 * 1000000000LL)

static void
test_metrics(void)
{
	static const char *const var[] = { "model_metadata.serving_variant" };
	static const char *const two[] = {
		"model_metadata.serving_variant", "model_metadata.model_version"
	};
	struct logql_metric m = { LOGQL_QUANTILE, 0.95, "inference_metrics.latency_ms",
		var, 1, HOUR };
	struct logql_filter f;

	MGOLD("service:x", &m, NULL,
	    "quantile_over_time(0.95, " SELT " | json " P_LAT ", " P_VAR
	    ", service=\"service\" | service=\"x\"" END " | unwrap " LAT END " [3600s] offset 1ns) "
	    "by (model_metadata_serving_variant)");
	m.phi = 0.5;
	MGOLD("", &m, NULL,
	    "quantile_over_time(0.5, " SELT " | json " P_LAT ", " P_VAR END " | unwrap "
	    LAT END " [3600s] offset 1ns) by (model_metadata_serving_variant)");
	m.by = two;
	m.nby = 2;
	m.phi = 0.99;
	MGOLD("\"oops\"", &m, NULL,
	    "quantile_over_time(0.99, " SELT " |~ \"(?i)oops\" | json " P_LAT ", " P_VAR
	    ", " P_VER END " | unwrap " LAT END " [3600s] offset 1ns) by "
	    "(model_metadata_serving_variant, model_metadata_model_version)");
	m.nby = 0;
	m.range = 1500 * 1000000LL;
	MGOLD("", &m, NULL,
	    "quantile_over_time(0.99, " SELT " | json " P_LAT END " | unwrap " LAT END
	    " [1500ms] offset 1ns) by ()");

	/* drift, confidence */
	m.fn = LOGQL_AVG;
	m.unwrap = "anomaly_signals.drift_score";
	m.range = HOUR;
	MGOLD("", &m, NULL,
	    "avg_over_time(" SELT " | json " P_DRIFT END " | unwrap " DRIFT END " [3600s] offset 1ns) "
	    "by ()");
	m.by = var;
	m.nby = 1;
	m.unwrap = "output.confidence_scores";
	MGOLD("latency_ms > 5", &m, NULL,
	    "avg_over_time(" SELT " | json " P_CONF ", " P_VAR ", " P_LAT " | " LAT " > 5"
	    END " | unwrap output_confidence_scores" END " [3600s] offset 1ns) by "
	    "(model_metadata_serving_variant)");

	/* counts: histogram buckets, cache hits, booleans, errors */
	m.fn = LOGQL_COUNT;
	f = (struct logql_filter){ "inference_metrics.latency_ms", LOGQL_LE, NULL, 50, NULL };
	MGOLD("service:x", &m, &f,
	    "sum by (model_metadata_serving_variant) (count_over_time(" SELT " | json "
	    P_VAR ", " P_LAT ", service=\"service\" | service=\"x\" | " LAT " <= 50" END
	    " [3600s] offset 1ns))");
	m.nby = 0;
	f = (struct logql_filter){ "input_features.cache_hit", LOGQL_STR_EQ, "true", 0, NULL };
	MGOLD("", &m, &f,
	    "sum(count_over_time(" SELT " | json " P_HIT " | input_features_cache_hit="
	    "\"true\"" END " [3600s] offset 1ns))");
	f = (struct logql_filter){ "input_features.cache_hit", LOGQL_RE, "true|false", 0, NULL };
	MGOLD("", &m, &f,
	    "sum(count_over_time(" SELT " | json " P_HIT " | input_features_cache_hit=~"
	    "\"true|false\"" END " [3600s] offset 1ns))");
	f = (struct logql_filter){ "log_level", LOGQL_RE, "(?i)error", 0, NULL };
	m.range = 86400 * 1000000000LL;
	MGOLD("\"CUDA\" and not service:x", &m, &f,
	    "sum(count_over_time(" SELT " |~ \"(?i)CUDA\" | json log_level=\"log_level\", "
	    "service=\"service\" | service!=\"x\" | log_level=~\"(?i)error\"" END
	    " [86400s] offset 1ns))");

	/* refused */
	m.range = 0;
	MGOLD("", &m, NULL, "ERR range of 0 ns: a LogQL range must be a positive whole "
	    "number of milliseconds");
	m.range = 1500000;
	MGOLD("", &m, NULL, "ERR range of 1500000 ns: a LogQL range must be a positive "
	    "whole number of milliseconds");
	m.range = HOUR;
	m.fn = LOGQL_QUANTILE;
	m.phi = 1.5;
	MGOLD("", &m, NULL, "ERR quantile must be between 0 and 1");
	m.phi = NAN;
	MGOLD("", &m, NULL, "ERR quantile must be between 0 and 1");
	m.phi = 0.5;
	m.unwrap = NULL;
	MGOLD("", &m, NULL, "ERR no field to unwrap");
	m.unwrap = "x";
	MGOLD("timestamp < a", &m, NULL, "ERR field 'timestamp': LogQL compares only "
	    "numbers with < <= > >=, and 'a' is a string at col 1");
}

static void
test_counts(void)
{
	struct ld_err err;
	char *s, d[24];

	s = logql_count_lines(&SEL, HOUR, &err);
	is_str(s, "sum(count_over_time(" SELT " [3600s] offset 1ns))", "every line");
	free(s);
	s = logql_count_json_errors(&SEL, 60 * 1000000000LL, &err);
	is_str(s, "sum(count_over_time(" SELT " | json | __error__=\"JSONParserErr\" [60s] offset 1ns))",
	    "lines that are not JSON");
	free(s);
	ok(logql_count_lines(&SEL, -1, &err) == NULL && err.status == LD_EUSAGE,
	    "negative range refused");
	ok(logql_count_json_errors(NULL, HOUR, &err) == NULL && err.status == LD_EUSAGE,
	    "no selector refused");

	ok(logql_duration(HOUR, d, sizeof d, &err) == LD_OK && strcmp(d, "3600s") == 0,
	    "1 h is 3600s");
	ok(logql_duration(1500000000LL, d, sizeof d, &err) == LD_OK && strcmp(d, "1500ms") == 0,
	    "1.5 s is 1500ms");
	ok(logql_duration(1000000LL, d, sizeof d, &err) == LD_OK && strcmp(d, "1ms") == 0,
	    "1 ms");
	ok(logql_duration(9223372036000000000LL, d, sizeof d, &err) == LD_OK &&
	    strcmp(d, "9223372036s") == 0, "the largest whole second");
	ok(logql_duration(1000, d, sizeof d, &err) == LD_EUSAGE, "1 us refused");
	ok(logql_duration(0, d, sizeof d, &err) == LD_EUSAGE, "0 refused");
}

static void
test_lines(void)
{
	static const char *const var[] = { "model_metadata.serving_variant" };
	struct logql_labels l;
	struct ld_err err;
	struct q_node *q;
	char *s, *fail;

	q = parse("latency_ms > 5", &fail);
	logql_labels_init(&l, &SEL, NULL, 0);
	struct logql_req r = { &SEL, &l, q, NULL, 0, NULL, NULL, 0, 0 };
	s = logql_lines_query(&r, "output.confidence_scores", var, 1, &err);
	is_str(s, SELT " | json " P_CONF ", " P_VAR ", " P_LAT " | " LAT " > 5" END
	    " | line_format \"{{.output_confidence_scores}}\" | keep "
	    "model_metadata_serving_variant", "confidence lines kept per variant");
	free(s);
	query_free(q);
	q = parse("\"x\" or service:y", &fail);
	r.query = q;
	s = logql_lines_query(&r, "output.confidence_scores", NULL, 0, &err);
	is_str(s, SELT " | json " P_CONF ", service=\"service\"" LDLINE " | "
	    "ldline=~\"(?s).*(?i:x).*\" or service=\"y\"" END " | line_format "
	    "\"{{.output_confidence_scores}}\" | drop output_confidence_scores, service, ldline",
	    "without keep paths: every label made is dropped");
	free(s);
	ok(logql_lines_query(&r, NULL, NULL, 0, &err) == NULL, "no line field refused");
	query_free(q);
	logql_labels_free(&l);

	/* the same label set across queries: stable names */
	{
		struct logql_selector s2;
		struct logql_metric m = { LOGQL_COUNT, 0, NULL, var, 1, HOUR };
		static const char *const grp[] = { "service" };
		char *a, *b;

		logql_selector_parse("{service=\"rec\"}", &s2, &err);
		logql_labels_init(&l, &s2, NULL, 0);
		struct logql_req r2 = { &s2, &l, NULL, NULL, 0, NULL, NULL, 0, 0 };
		m.by = grp;
		a = logql_metric_query(&r2, &m, &err);
		b = logql_lines_query(&r2, "output.confidence_scores", grp, 1, &err);
		is_str(a, "sum by (service_x) (count_over_time({service=\"rec\"} | json "
		    "service_x=\"service\"" END " [3600s] offset 1ns))", "a field named like a selector "
		    "label");
		is_str(b, "{service=\"rec\"} | json " P_CONF ", service_x=\"service\"" END
		    " | line_format \"{{.output_confidence_scores}}\" | keep service_x",
		    "  the same name in the next query");
		free(a);
		free(b);
		logql_labels_free(&l);
		logql_selector_free(&s2);
	}
}

int
main(void)
{
	struct ld_err err;

	if (logql_selector_parse(SELT, &SEL, &err) != LD_OK) {
		printf("# %s\n", err.msg);
		return 1;
	}
	test_quote();
	test_selector();
	test_regex();
	test_labels();
	test_design_examples();
	test_values();
	test_negation();
	test_numbers();
	test_text_regex();
	test_paths();
	test_metrics();
	test_counts();
	test_lines();
	logql_selector_free(&SEL);
	return tap_done();
}
